// The embedded DuckDB database in the data folder: opened (and migrated) at server start, with
// serialized transactions so concurrent writers never interleave on the write connection, and a
// small pool of read connections so reads (DuckDB's MVCC gives each a committed snapshot) run
// beside writes and beside each other instead of queueing behind them.
//
// The instance is locked down at open: no file or network access beyond its own files and the SQL
// sandbox's folder (where it writes snapshot files), no extension installs or loads, and settings
// frozen. vpcflow's own SQL never needs more: the archive writes Parquet and reads AWS files through
// DuckDB instances of their own (destinations/archive/writer.ts, aws-files.ts). SQL from users never
// runs here at all: query() hands it to the SqlSandbox (sql-sandbox.ts).

import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBPreparedStatement, type DuckDBValue } from '@duckdb/node-api';
import { Mutex } from '../platform/mutex.ts';
import { VpcflowError, errorMessage } from '../platform/errors.ts';
import { MIGRATIONS } from './schema.ts';
import { OPERATOR_SCOPE, SqlSandbox, type SnapshotRead, type SnapshotTable, type SqlResult, type SqlSandboxOptions, type SqlScope } from './sql-sandbox.ts';

export interface DatabaseOptions {
  dataDir: string;
  /** DuckDB memory_limit, e.g. '512MB'. */
  memoryLimit?: string;
  threads?: number;
  /** Connections for concurrent reads (default 4). */
  readers?: number;
  /** Folders this store's own SQL may also read and write (e.g. a benchmark's COPY TO); none by default. */
  allowedDirectories?: readonly string[];
  /** Limits of the sandbox that runs query(). */
  sql?: SqlSandboxOptions;
}

export type Row = Record<string, unknown>;

/** A read stopped because it ran longer than it may. */
export class QueryTimeoutError extends VpcflowError {
  constructor(readonly timeoutMs: number) {
    super('QueryTimeout', `the query ran longer than ${timeoutMs / 1000} s and was stopped; narrow the time range or the filter`, 503);
  }
}

export class StoreError extends VpcflowError {
  constructor(message: string, cause?: unknown) {
    super('InternalError', message, 500, { cause });
  }
}

export class Database {
  private instance: DuckDBInstance | null = null;
  private conn: DuckDBConnection | null = null;
  private readonly mutex = new Mutex();
  private readonly idleReaders: DuckDBConnection[] = [];
  private readonly allReaders: DuckDBConnection[] = [];
  private readonly readerWaiters: ((c: DuckDBConnection) => void)[] = [];
  readonly path: string;
  /** The SQL sandbox's folder (snapshots, spill files): the only one the instance may write besides its own files. */
  readonly sqlDir: string;
  /** Runs users' SQL (query()) away from this instance. */
  readonly sql: SqlSandbox;
  private writes = 0;

  constructor(private readonly opts: DatabaseOptions) {
    this.path = join(opts.dataDir, 'vpcflow.duckdb');
    // Absolute: the sandbox's workers run in another directory, and DuckDB compares allowed paths as written.
    this.sqlDir = resolve(opts.dataDir, 'tmp', 'sql');
    this.sql = new SqlSandbox(this, this.sqlDir, opts.sql);
  }

  /**
   * Counts finished write operations (transaction() and run(), committed or not). Every change to
   * the data goes through them, so an unchanged count means unchanged data: the SQL sandbox reuses
   * a snapshot while it holds.
   */
  get writeGeneration(): number {
    return this.writes;
  }

  async start(): Promise<void> {
    mkdirSync(this.opts.dataDir, { recursive: true });
    try {
      this.instance = await DuckDBInstance.create(this.path, {
        memory_limit: this.opts.memoryLimit ?? '512MB',
        threads: String(this.opts.threads ?? 2),
        autoinstall_known_extensions: 'false',
        autoload_known_extensions: 'false',
        allow_community_extensions: 'false',
      });
    } catch (e) {
      throw new StoreError(`cannot open the database ${this.path}: ${errorMessage(e)} (is another vpcflow server using this data folder?)`, e);
    }
    this.conn = await this.instance.connect();
    // allowed_directories can only be set while external access is still on, and DuckDB refuses it
    // as an instance option (the C API's set_config has no list values), so: set, then close, then lock.
    const allowed = [this.sqlDir, ...(this.opts.allowedDirectories ?? []).map((d) => resolve(d))].map((d) => sqlString(d.endsWith('/') ? d : `${d}/`));
    await this.conn.run(`SET allowed_directories = [${allowed.join(', ')}]`);
    await this.conn.run('SET enable_external_access = false');
    await this.conn.run('SET lock_configuration = true');
    await this.migrate();
    for (let i = 0; i < (this.opts.readers ?? 4); i++) {
      const c = await this.instance.connect();
      this.allReaders.push(c);
      this.idleReaders.push(c);
    }
    await this.sql.start();
  }

  async stop(): Promise<void> {
    if (!this.conn) return;
    await this.sql.stop();
    // Every reader back in the pool means no read is running.
    const readers = await Promise.all(this.allReaders.map(() => this.acquireReader()));
    await this.mutex.run(async () => {
      await this.conn!.run('CHECKPOINT');
      for (const r of readers) r.closeSync();
      this.conn!.closeSync();
      this.instance!.closeSync();
    });
    this.conn = null;
    this.instance = null;
    this.allReaders.length = 0;
    this.idleReaders.length = 0;
  }

  private acquireReader(): Promise<DuckDBConnection> {
    const c = this.idleReaders.pop();
    if (c) return Promise.resolve(c);
    if (!this.allReaders.length) return Promise.reject(new StoreError('the database is not open'));
    return new Promise((resolve) => this.readerWaiters.push(resolve));
  }

  private releaseReader(c: DuckDBConnection): void {
    const next = this.readerWaiters.shift();
    if (next) next(c);
    else this.idleReaders.push(c);
  }

  /** Runs `work` on a read connection: a snapshot of committed data, concurrent with writes. */
  private async withReader<T>(work: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const c = await this.acquireReader();
    try {
      return await work(c);
    } finally {
      this.releaseReader(c);
    }
  }

  /** Several reads on one read connection, all from the same snapshot (writes belong in transaction()). */
  readTransaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.withReader(async (c) => {
      await c.run('BEGIN TRANSACTION');
      try {
        const out = await work(new Transaction(c));
        await c.run('COMMIT');
        return out;
      } catch (e) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  /**
   * A read-only statement on a read connection (never use it for writes: they belong in transaction()).
   * With timeoutMs the statement is interrupted when it runs longer, and QueryTimeoutError is thrown.
   */
  read(sql: string, params: DuckDBValue[] = [], opts: { timeoutMs?: number } = {}): Promise<Row[]> {
    return this.withReader(async (c) => {
      if (opts.timeoutMs === undefined) return new Transaction(c).all(sql, params);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        c.interrupt();
      }, opts.timeoutMs);
      try {
        return await new Transaction(c).all(sql, params);
      } catch (e) {
        if (timedOut) throw new QueryTimeoutError(opts.timeoutMs);
        throw e;
      } finally {
        clearTimeout(timer);
      }
    });
  }

  private get c(): DuckDBConnection {
    if (!this.conn) throw new StoreError('the database is not open');
    return this.conn;
  }

  /** Runs statements in one transaction: all of them take effect or none. */
  transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      try {
        await this.c.run('BEGIN TRANSACTION');
        try {
          const out = await work(new Transaction(this.c));
          await this.c.run('COMMIT');
          return out;
        } catch (e) {
          await this.c.run('ROLLBACK').catch(() => undefined);
          throw e;
        }
      } finally {
        // Counted only once the commit (or rollback) is done, so a snapshot taken while the count
        // still reads N already holds every change that finished before N was read.
        this.writes++;
      }
    });
  }

  /** A read outside any explicit transaction (still serialized with writes). */
  all(sql: string, params: DuckDBValue[] = []): Promise<Row[]> {
    return this.mutex.run(() => new Transaction(this.c).all(sql, params));
  }

  run(sql: string, params: DuckDBValue[] = []): Promise<void> {
    return this.mutex.run(async () => {
      try {
        await new Transaction(this.c).run(sql, params);
      } finally {
        this.writes++;
      }
    });
  }

  /**
   * Runs a user's SQL in the sandbox: one SELECT over the scope's own `flows` and `archive_objects`
   * (the operator's scope: every account's), bounded in time, memory and result size.
   */
  query(sql: string, scope: SqlScope = OPERATOR_SCOPE): Promise<SqlResult> {
    return this.sql.query(sql, scope);
  }

  /**
   * Writes tables (trusted SQL over this database) into a new DuckDB file, all from one committed
   * snapshot, on a read connection (beside writes). `plan` runs first inside that snapshot, with
   * reads only, and decides the tables from what it reads (the SQL sandbox exports only rows past
   * its previous snapshot). The file is complete and closed when this resolves; nothing else of this
   * database is in it. `signal` interrupts.
   */
  exportSnapshot<T>(file: string, plan: (read: SnapshotRead) => Promise<{ tables: readonly SnapshotTable[]; info: T }>, signal?: AbortSignal): Promise<{ counts: number[]; info: T }> {
    return this.withReader(async (c) => {
      const abort = () => c.interrupt();
      signal?.addEventListener('abort', abort);
      const alias = `vpcflow_export_${++exportCounter}`;
      try {
        if (signal?.aborted) throw new StoreError('the export was cancelled');
        await c.run(`ATTACH ${sqlString(file)} AS ${alias}`);
        try {
          await c.run('BEGIN TRANSACTION');
          try {
            const tx = new Transaction(c);
            const { tables, info } = await plan((sql, params = []) => tx.all(sql, params));
            const counts: number[] = [];
            for (const t of tables) {
              await c.run(`CREATE TABLE ${alias}.${t.name} AS ${t.sql}`, t.params.length ? [...t.params] : undefined);
              // rowsChanged says 0 for CREATE TABLE AS: count what landed.
              const [row] = (await c.runAndReadAll(`SELECT count(*)::VARCHAR AS n FROM ${alias}.${t.name}`)).getRowObjectsJson();
              counts.push(Number(row?.n));
            }
            await c.run('COMMIT');
            return { counts, info };
          } catch (e) {
            await c.run('ROLLBACK').catch(() => undefined);
            throw e;
          }
        } finally {
          // DETACH checkpoints and closes the file, so a reader never needs its WAL.
          await c.run(`DETACH ${alias}`).catch(() => undefined);
        }
      } catch (e) {
        if (e instanceof VpcflowError) throw e;
        throw new StoreError(`cannot write the SQL snapshot ${file}: ${errorMessage(e)}`, e);
      } finally {
        signal?.removeEventListener('abort', abort);
      }
    });
  }

  private async migrate(): Promise<void> {
    await this.c.run('CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
    const done = new Set((await new Transaction(this.c).all('SELECT id FROM schema_migrations')).map((r) => Number(r.id)));
    for (const m of MIGRATIONS) {
      if (done.has(m.id)) continue;
      await this.transaction(async (tx) => {
        await tx.run(m.sql);
        await tx.run('INSERT INTO schema_migrations VALUES ($1, $2)', [m.id, BigInt(Date.now())]);
      });
    }
  }
}

let exportCounter = 0;

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Prepared statements kept per connection: parsing and planning a statement again per request was most of a small read's cost. */
const PREPARED_PER_CONNECTION = 256;
const preparedCache = new WeakMap<DuckDBConnection, Map<string, DuckDBPreparedStatement>>();

/** A single parameterized statement (multi-statement SQL such as migrations goes through the connection directly). */
async function prepared(connection: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
  let cache = preparedCache.get(connection);
  if (!cache) preparedCache.set(connection, (cache = new Map()));
  const hit = cache.get(sql);
  if (hit) {
    // Most recently used last, so the first entry is the one to evict.
    cache.delete(sql);
    cache.set(sql, hit);
    return hit;
  }
  const p = await connection.prepare(sql);
  cache.set(sql, p);
  if (cache.size > PREPARED_PER_CONNECTION) {
    const [oldest, statement] = cache.entries().next().value as [string, DuckDBPreparedStatement];
    cache.delete(oldest);
    statement.destroySync();
  }
  return p;
}

/** Statement helpers bound to the connection inside a transaction. */
export class Transaction {
  constructor(readonly connection: DuckDBConnection) {}

  async run(sql: string, params: DuckDBValue[] = []): Promise<void> {
    if (!params.length) {
      await this.connection.run(sql);
      return;
    }
    const p = await prepared(this.connection, sql);
    p.bind(params);
    await p.run();
  }

  async all(sql: string, params: DuckDBValue[] = []): Promise<Row[]> {
    const p = await prepared(this.connection, sql);
    if (params.length) p.bind(params);
    const reader = await p.runAndReadAll();
    return reader.getRowObjectsJson() as Row[];
  }
}
