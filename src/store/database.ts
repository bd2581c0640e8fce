// The embedded DuckDB database in the data folder: opened (and migrated) at server start, with
// serialized transactions so concurrent writers never interleave on the write connection, and a
// small pool of read connections so reads (DuckDB's MVCC gives each a committed snapshot) run
// beside writes and beside each other instead of queueing behind them.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBPreparedStatement, type DuckDBValue } from '@duckdb/node-api';
import { Mutex } from '../platform/mutex.ts';
import { VpcflowError, errorMessage } from '../platform/errors.ts';
import { MIGRATIONS } from './schema.ts';

export interface DatabaseOptions {
  dataDir: string;
  /** DuckDB memory_limit, e.g. '512MB'. */
  memoryLimit?: string;
  threads?: number;
  /** Connections for concurrent reads (default 4). */
  readers?: number;
}

export type Row = Record<string, unknown>;

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

  constructor(private readonly opts: DatabaseOptions) {
    this.path = join(opts.dataDir, 'vpcflow.duckdb');
  }

  async start(): Promise<void> {
    mkdirSync(this.opts.dataDir, { recursive: true });
    try {
      this.instance = await DuckDBInstance.create(this.path, {
        memory_limit: this.opts.memoryLimit ?? '512MB',
        threads: String(this.opts.threads ?? 2),
      });
    } catch (e) {
      throw new StoreError(`cannot open the database ${this.path}: ${errorMessage(e)} (is another vpcflow server using this data folder?)`, e);
    }
    this.conn = await this.instance.connect();
    await this.migrate();
    for (let i = 0; i < (this.opts.readers ?? 4); i++) {
      const c = await this.instance.connect();
      this.allReaders.push(c);
      this.idleReaders.push(c);
    }
  }

  async stop(): Promise<void> {
    if (!this.conn) return;
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

  /** A read-only statement on a read connection (never use it for writes: they belong in transaction()). */
  read(sql: string, params: DuckDBValue[] = []): Promise<Row[]> {
    return this.withReader((c) => new Transaction(c).all(sql, params));
  }

  private get c(): DuckDBConnection {
    if (!this.conn) throw new StoreError('the database is not open');
    return this.conn;
  }

  /** Runs statements in one transaction: all of them take effect or none. */
  transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      await this.c.run('BEGIN TRANSACTION');
      try {
        const out = await work(new Transaction(this.c));
        await this.c.run('COMMIT');
        return out;
      } catch (e) {
        await this.c.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  /** A read outside any explicit transaction (still serialized with writes). */
  all(sql: string, params: DuckDBValue[] = []): Promise<Row[]> {
    return this.mutex.run(() => new Transaction(this.c).all(sql, params));
  }

  run(sql: string, params: DuckDBValue[] = []): Promise<void> {
    return this.mutex.run(() => new Transaction(this.c).run(sql, params));
  }

  /** Runs a user's read-only SQL; anything but a query is refused before it runs. */
  query(sql: string): Promise<{ columns: string[]; rows: Row[] }> {
    return this.withReader(async (c) => {
      let prepared;
      try {
        prepared = await c.prepare(sql);
      } catch (e) {
        throw new VpcflowError('InvalidQuery', `the query does not parse: ${errorMessage(e)}`);
      }
      // StatementType 1 = SELECT in DuckDB's C API; EXPLAIN (8) is read-only too.
      if (prepared.statementType !== 1 && prepared.statementType !== 8) {
        prepared.destroySync?.();
        throw new VpcflowError('InvalidQuery', 'only SELECT queries can be run (the store is read-only to queries)');
      }
      try {
        const reader = await prepared.runAndReadAll();
        return { columns: reader.columnNames(), rows: reader.getRowObjectsJson() as Row[] };
      } catch (e) {
        throw new VpcflowError('InvalidQuery', `the query failed: ${errorMessage(e)}`);
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
