// Users' SQL (`vpcflow query`; account keys' queries for the console) runs here, never on the
// store's own DuckDB instance. Each query gets:
//   - a snapshot: DuckDB files holding only its scope's rows (`flows`, `archive_objects`; an
//     account's scope: rows whose owner_account is that account), written by the store from one
//     committed snapshot (Database.exportSnapshot), reused while Database.writeGeneration holds, and
//     otherwise extended by a file of the rows appended since (flow_records is append-only);
//   - a child process of its own (sql-worker.ts) under an OS memory limit (RLIMIT_DATA through
//     prlimit), with a fresh in-memory DuckDB instance that may open that one file and nothing else
//     (allowed_paths, enable_external_access=false, settings locked), attaches it READ_ONLY and runs
//     exactly one SELECT, returning at most maxRows rows / maxResultBytes;
//   - a deadline: past it the process is killed (QueryTimeout), whatever DuckDB is doing.
// So an account's query cannot see another account's rows by any SQL: they are not in its process.
//
// Why not something lighter (measured with @duckdb/node-api 1.5.6 on this host):
//   - A second DuckDB instance in this process can ATTACH the live vpcflow.duckdb READ_ONLY (file
//     locks are per process, so nothing refuses it), but it reads the file as of the attach and keeps
//     reading blocks the writer frees and reuses: after the writer deleted, checkpointed and rebuilt a
//     2 M-row table, the attached copy still answered the old count and sums. Not a safe view.
//   - memory_limit is not a hard bound: `select repeat('x', 10000000) s from range(1000)` took the
//     process to 10 GB RSS in DuckDB's result conversion with memory_limit=128MB, and converting
//     that chunk to JS crashed node (heap out of memory). Under prlimit --data=1GiB the same query
//     fails cleanly (DuckDB: "Out of Memory Error: Failed to allocate block"). Hence a process.
//   - Snapshot cost for 5 M rows: a DuckDB file 3.1 s / 42 MB (Parquet: uncompressed 4.2 s / 210 MB,
//     zstd 6.3 s / 31 MB), and 7-30 s for 4 M rows on this 2-core host under load; a query over it
//     ~30 ms. A live server writes every second, so whole copies per query would not do: a new
//     snapshot reuses the previous one's files and adds the rows past its max(rowid), after checking
//     (count and hash of every row up to that rowid, in the same transaction) that nothing before it
//     changed; anything else (a delete, a rewrite) gets a whole new copy. A worker process starts in
//     ~1 s here, so one idle spare is kept ready once SQL has been used.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdir, rm, unlink } from 'node:fs/promises';
import { setPriority } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DuckDBValue } from '@duckdb/node-api';
import { VpcflowError, errorMessage } from '../platform/errors.ts';
import { RECORD_COLUMNS } from './schema.ts';

export type SqlScope = { readonly kind: 'operator' } | { readonly kind: 'account'; readonly accountId: string };
export const OPERATOR_SCOPE: SqlScope = Object.freeze({ kind: 'operator' });

export interface SqlSandboxOptions {
  /** Whole time a query may take, snapshot and start included (default 30 000 ms). */
  timeoutMs?: number;
  /** Rows returned at most; more are cut off and `truncated` says so (default 10 000). */
  maxRows?: number;
  /** Bytes of row data returned at most (default 16 MiB). */
  maxResultBytes?: number;
  /** DuckDB memory_limit inside the worker (default '256MB'). */
  memoryLimit?: string;
  /** OS limit on the worker process's data memory (RLIMIT_DATA; default 1 GiB). */
  workerMemoryBytes?: number;
  /** DuckDB threads per query (default 1: two cores are shared with ingestion). */
  threads?: number;
  /** Spill space per query (default '1GB'). */
  maxTempDirectorySize?: string;
  /** Queries running at once (default 2); more wait, up to maxWaiting, then get ThrottlingException. */
  maxConcurrent?: number;
  maxWaiting?: number;
  /** Longest SQL text accepted (default 100 000 characters). */
  maxSqlLength?: number;
  /** Snapshots kept for reuse (default 8 scopes). */
  maxSnapshots?: number;
  log?: (line: string) => void;
}

export interface SqlResult {
  columns: string[];
  rows: Record<string, unknown>[];
  /** Set when rows were left off, by the row limit or the result size limit. */
  truncated: { by: 'rows' | 'bytes'; limit: number } | null;
}

/** One table of a snapshot: trusted SQL over the store and its parameters. */
export interface SnapshotTable {
  name: string;
  sql: string;
  params: readonly DuckDBValue[];
}

/** Reads inside the snapshot being exported. */
export type SnapshotRead = (sql: string, params?: DuckDBValue[]) => Promise<Record<string, unknown>[]>;

/** What the sandbox needs from the store (Database implements it). */
export interface SnapshotSource {
  readonly writeGeneration: number;
  exportSnapshot<T>(file: string, plan: (read: SnapshotRead) => Promise<{ tables: readonly SnapshotTable[]; info: T }>, signal?: AbortSignal): Promise<{ counts: number[]; info: T }>;
}

/** Parent → worker. */
export type ToWorker =
  | { type: 'check'; sql: string }
  | {
    type: 'run';
    /** Files whose flow_records tables together are the scope's records; `archive` holds its archive_objects. */
    parts: string[];
    archive: string;
    /** The select list of the `flows` view over them (FLOWS_COLUMNS). */
    flowsColumns: string;
    spillDir: string; memoryLimit: string; threads: number; maxTempDirectorySize: string; maxRows: number; maxResultBytes: number;
  };
/** Worker → parent. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'checked' }
  | { type: 'result'; columns: string[]; rows: Record<string, unknown>[]; truncated: SqlResult['truncated'] }
  | { type: 'error'; code: SqlErrorCode; message: string };

export type SqlErrorCode = 'InvalidQuery' | 'QueryResourceLimit' | 'InternalError';

const WORKER_FILE = fileURLToPath(new URL('./sql-worker.ts', import.meta.url));
const TSX_LOADER = import.meta.resolve('tsx');
const SPARE_IDLE_MS = 5 * 60_000;

/** Files of flows a snapshot may be made of before it is copied whole again. */
const MAX_PARTS = 32;

/**
 * The `flows` view's columns (schema.ts) over flow_records. Snapshot files keep flow_records' own
 * columns (a third faster to copy than the view's, measured: 9.7 s against 13.7 s for 4 M rows)
 * and the worker puts this view over them.
 */
export const FLOWS_COLUMNS = [
  ...RECORD_COLUMNS.map((c) => (c.stored ? `"${c.column}"` : `NULL::${c.sqlType} AS "${c.column}"`)),
  'owner_account', 'flow_log_id', 'destination_type', 'destination', 'rule', 'ingestion_time',
].join(', ');

/** Count and hash sum of flow_records rows with rowid in (from, to]: equal values, unchanged rows (rowid included). */
const FINGERPRINT = `SELECT count(*)::VARCHAR AS n, coalesce(sum(hash(rowid, ingestion_time, flow_log_id, owner_account, interface_id, srcaddr, dstaddr, srcport, dstport, packets, bytes, start, "end")), 0)::VARCHAR AS h
  FROM flow_records WHERE rowid > $1 AND rowid <= $2`;

/**
 * The tables of one snapshot file of a scope: flow_records rows with rowid in (from, to] and every
 * archive_objects row; an account's hold only rows it owns.
 */
export function snapshotTables(scope: SqlScope, from: bigint, to: bigint): SnapshotTable[] {
  const range = 'rowid > $1 AND rowid <= $2';
  if (scope.kind === 'operator') {
    return [
      { name: 'flow_records', sql: `SELECT * FROM flow_records WHERE ${range}`, params: [from, to] },
      { name: 'archive_objects', sql: 'SELECT * FROM archive_objects', params: [] },
    ];
  }
  const id = scope.accountId;
  return [
    { name: 'flow_records', sql: `SELECT * FROM flow_records WHERE ${range} AND owner_account = $3`, params: [from, to, id] },
    {
      // archive_objects has no account column: a file is the account's when its flow log is (still
      // declared, or named by the account's delivered records after the flow log was deleted).
      name: 'archive_objects',
      sql: 'SELECT * FROM archive_objects WHERE flow_log_id IN (SELECT flow_log_id FROM flow_logs WHERE account_id = $1 UNION SELECT flow_log_id FROM flow_records WHERE owner_account = $1)',
      params: [id],
    },
  ];
}

/** One snapshot file, shared by the snapshots (and queries) that use it. */
interface Part {
  file: string;
  refs: number;
}

interface Snapshot {
  key: string;
  generation: number;
  /** Files whose flow_records tables together are the scope's records. */
  flows: Part[];
  /** The newest file: its archive_objects is the scope's. */
  archive: Part;
  /** flow_records rows up to this rowid are in `flows`; their fingerprint, to tell whether they changed. */
  max: bigint;
  count: bigint;
  hash: bigint;
  lastUsed: number;
}

interface ExportEntry {
  generation: number;
  /** Queries waiting for it: each gets a hold on the snapshot when it lands. */
  joined: number;
  abort: AbortController;
  promise: Promise<Snapshot>;
}

interface SlotWait {
  grant: () => void;
  granted: boolean;
  abandoned: boolean;
}

class WorkerEnded extends Error {}

/** A worker child process and its message queue. */
class Worker {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  private readonly inbox: FromWorker[] = [];
  private waiter: { resolve: (m: FromWorker) => void; reject: (e: Error) => void } | null = null;
  private ended: Error | null = null;
  private stderrTail = '';

  constructor(command: string, args: readonly string[], cwd: string) {
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8' };
    // Nothing else of the server's environment (S3 keys, tokens) reaches the process running SQL.
    if (process.env.TMPDIR) env.TMPDIR = process.env.TMPDIR;
    this.child = spawn(command, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString('utf8')).slice(-2000);
    });
    this.child.on('message', (m: FromWorker) => {
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w.resolve(m);
      } else this.inbox.push(m);
    });
    this.child.once('error', (e) => this.end(new WorkerEnded(`the SQL worker could not start: ${e.message}`)));
    // 'close' comes after the IPC channel closed, so every message the worker sent was delivered.
    this.child.once('close', (code, signal) => this.end(new WorkerEnded(signal ? `signal ${signal}` : `exit code ${code}`)));
    if (this.child.pid !== undefined) {
      try {
        // A runaway query should lose the CPU to ingestion, not the other way round.
        setPriority(this.child.pid, 10);
      } catch {
        /* lowering priority can fail under some sandboxes; the deadline still bounds the query */
      }
    }
    this.ready = this.next().then((m) => {
      if (m.type !== 'ready') throw new WorkerEnded(`the SQL worker sent ${m.type} before ready`);
    });
    this.ready.catch(() => undefined);
  }

  get alive(): boolean {
    return this.ended === null;
  }

  /** The last line the worker wrote to stderr (why it died, when it did). */
  get lastWords(): string {
    const lines = this.stderrTail.trim().split('\n');
    return (lines[lines.length - 1] ?? '').slice(0, 300);
  }

  next(): Promise<FromWorker> {
    const m = this.inbox.shift();
    if (m) return Promise.resolve(m);
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  send(m: ToWorker): void {
    if (!this.alive || !this.child.connected) return;
    this.child.send(m, (e) => {
      if (e) this.end(new WorkerEnded(`cannot reach the SQL worker: ${e.message}`));
    });
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private end(e: Error): void {
    if (this.ended) return;
    this.ended = e;
    const w = this.waiter;
    this.waiter = null;
    w?.reject(e);
  }
}

export class SqlSandbox {
  private readonly o: Required<Omit<SqlSandboxOptions, 'log'>>;
  private readonly log: (line: string) => void;
  private readonly snapshotDir: string;
  private readonly spillRoot: string;
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly exporting = new Map<string, ExportEntry>();
  /** Every export still running, chained ones included (stop() cancels them all). */
  private readonly running = new Set<ExportEntry>();
  private readonly workers = new Set<Worker>();
  private readonly queue: SlotWait[] = [];
  private active = 0;
  private spare: Worker | null = null;
  private spareTimer: NodeJS.Timeout | null = null;
  private used = false;
  private state: 'new' | 'running' | 'stopped' = 'new';
  private launch: { command: string; args: string[] } | null = null;

  constructor(private readonly source: SnapshotSource, readonly dir: string, opts: SqlSandboxOptions = {}) {
    this.o = {
      timeoutMs: opts.timeoutMs ?? 30_000,
      maxRows: opts.maxRows ?? 10_000,
      maxResultBytes: opts.maxResultBytes ?? 16 * 1024 * 1024,
      memoryLimit: opts.memoryLimit ?? '256MB',
      workerMemoryBytes: opts.workerMemoryBytes ?? 1024 * 1024 * 1024,
      threads: opts.threads ?? 1,
      maxTempDirectorySize: opts.maxTempDirectorySize ?? '1GB',
      maxConcurrent: opts.maxConcurrent ?? 2,
      maxWaiting: opts.maxWaiting ?? 16,
      maxSqlLength: opts.maxSqlLength ?? 100_000,
      maxSnapshots: opts.maxSnapshots ?? 8,
    };
    for (const [k, v] of Object.entries(this.o)) {
      const least = k === 'maxWaiting' ? 0 : 1;
      if (typeof v === 'number' && (!Number.isSafeInteger(v) || v < least)) throw new VpcflowError('InvalidParameterValue', `SQL sandbox option ${k} must be an integer of at least ${least}, got ${v}`);
    }
    this.log = opts.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.snapshotDir = join(dir, 'snapshots');
    this.spillRoot = join(dir, 'spill');
  }

  get limits(): Readonly<Required<Omit<SqlSandboxOptions, 'log'>>> {
    return this.o;
  }

  async start(): Promise<void> {
    if (this.state !== 'new') return;
    // Whatever a killed server left (snapshots, spill files) is stale.
    await rm(this.dir, { recursive: true, force: true });
    await mkdir(this.snapshotDir, { recursive: true, mode: 0o700 });
    await mkdir(this.spillRoot, { recursive: true, mode: 0o700 });
    const nodeArgs = [`--max-old-space-size=${Math.max(64, Math.floor(this.o.workerMemoryBytes / 4 / 1024 / 1024))}`, '--import', TSX_LOADER, WORKER_FILE];
    const prlimit = findOnPath('prlimit');
    if (prlimit) this.launch = { command: prlimit, args: [`--data=${this.o.workerMemoryBytes}`, '--', process.execPath, ...nodeArgs] };
    else {
      this.log('WARNING: prlimit (util-linux) is not on PATH: SQL workers run without an OS memory limit (DuckDB memory_limit and the V8 heap limit still apply)');
      this.launch = { command: process.execPath, args: nodeArgs };
    }
    this.state = 'running';
  }

  async stop(): Promise<void> {
    if (this.state !== 'running') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopped';
    if (this.spareTimer) clearTimeout(this.spareTimer);
    for (const w of this.workers) w.kill();
    for (const e of this.running) e.abort.abort();
    await Promise.allSettled([...this.running].map((e) => e.promise));
    for (const q of this.queue.splice(0)) q.abandoned = true;
    await rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
  }

  /** Runs one SELECT of a user within `scope`; every failure is a VpcflowError, 4xx unless the host itself fails. */
  async query(sql: string, scope: SqlScope): Promise<SqlResult> {
    if (this.state !== 'running') throw new VpcflowError('ServiceUnavailable', 'the SQL sandbox is not running (the store is not open)', 503);
    checkScope(scope);
    if (typeof sql !== 'string' || !sql.trim()) throw new VpcflowError('InvalidQuery', 'the SQL text is empty');
    if (sql.length > this.o.maxSqlLength) throw new VpcflowError('InvalidQuery', `the SQL text is ${sql.length} characters long; at most ${this.o.maxSqlLength} are accepted`);
    const started = Date.now();
    const deadline = started + this.o.timeoutMs;
    await this.acquireSlot(deadline);
    let worker: Worker | null = null;
    let spill: string | null = null;
    let ready = false;
    try {
      worker = this.takeWorker();
      const w = worker;
      const kill = () => w.kill();
      await this.within(w.ready, deadline, kill, 'starting the SQL worker');
      ready = true;
      w.send({ type: 'check', sql });
      this.expect(await this.within(w.next(), deadline, kill, 'checking the statement'), 'checked');
      const snap = await this.acquireSnapshot(scope, deadline);
      try {
        spill = join(this.spillRoot, randomBytes(8).toString('hex'));
        await mkdir(spill, { mode: 0o700 });
        w.send({
          type: 'run', parts: snap.flows.map((p) => p.file), archive: snap.archive.file, flowsColumns: FLOWS_COLUMNS, spillDir: spill, memoryLimit: this.o.memoryLimit, threads: this.o.threads,
          maxTempDirectorySize: this.o.maxTempDirectorySize, maxRows: this.o.maxRows, maxResultBytes: this.o.maxResultBytes,
        });
        const m = this.expect(await this.within(w.next(), deadline, kill, 'running the query'), 'result');
        if (!Array.isArray(m.columns) || !Array.isArray(m.rows)) throw new VpcflowError('InternalError', 'the SQL worker sent a malformed result', 500);
        return { columns: m.columns, rows: m.rows, truncated: m.truncated ?? null };
      } finally {
        release(snap);
      }
    } catch (e) {
      if (e instanceof WorkerEnded && this.state !== 'running') throw new VpcflowError('ServiceUnavailable', 'the server is stopping; the query was cancelled', 503);
      if (e instanceof WorkerEnded && worker && !ready) {
        throw new VpcflowError('InternalError', `the SQL worker did not start (${e.message})${worker.lastWords ? `: ${worker.lastWords}` : ''}`, 500);
      }
      if (e instanceof WorkerEnded && worker) {
        const why = worker.lastWords;
        throw new VpcflowError('QueryResourceLimit',
          `the query's process ended (${e.message}) before answering: most likely it exceeded its memory bound `
          + `(${Math.round(this.o.workerMemoryBytes / 1024 / 1024)} MiB for the process, DuckDB memory_limit ${this.o.memoryLimit})${why ? `; its last words: ${why}` : ''}`);
      }
      throw e;
    } finally {
      worker?.kill();
      if (worker) this.workers.delete(worker);
      if (spill) await rm(spill, { recursive: true, force: true }).catch(() => undefined);
      this.releaseSlot();
      this.keepSpare();
    }
  }

  private expect<T extends FromWorker['type']>(m: FromWorker, type: T): Extract<FromWorker, { type: T }> {
    if (m.type === 'error') {
      if (m.code === 'InternalError') throw new VpcflowError('InternalError', String(m.message), 500);
      throw new VpcflowError(m.code === 'QueryResourceLimit' ? 'QueryResourceLimit' : 'InvalidQuery', String(m.message));
    }
    if (m.type !== type) throw new VpcflowError('InternalError', `the SQL worker sent ${String(m.type)} where ${type} was due`, 500);
    return m as Extract<FromWorker, { type: T }>;
  }

  /** `p`, or QueryTimeout at the deadline (after `onLate`, which stops whatever `p` waits for). */
  private async within<T>(p: Promise<T>, deadline: number, onLate: () => void, doing: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        onLate();
        const hint = doing.startsWith('writing the snapshot')
          ? 'the snapshot goes on being written and the next query reuses it; try again shortly'
          : doing.startsWith('waiting') ? 'the server is busy with other queries; try again shortly'
          : 'narrow it (a WHERE on start or end, a LIMIT) or aggregate';
        reject(new VpcflowError('QueryTimeout', `the query did not finish within ${this.o.timeoutMs / 1000} s (stopped while ${doing}); ${hint}`));
      }, Math.max(0, deadline - Date.now()));
    });
    try {
      return await Promise.race([p, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async acquireSlot(deadline: number): Promise<void> {
    if (this.active < this.o.maxConcurrent) {
      this.active++;
      return;
    }
    if (this.queue.filter((q) => !q.abandoned).length >= this.o.maxWaiting) {
      throw new VpcflowError('ThrottlingException', `${this.o.maxConcurrent} queries are running and ${this.o.maxWaiting} waiting; try again later`, 429);
    }
    let entry!: SlotWait;
    const granted = new Promise<void>((resolve) => {
      entry = { grant: () => ((entry.granted = true), resolve()), granted: false, abandoned: false };
    });
    this.queue.push(entry);
    await this.within(granted, deadline, () => {
      entry.abandoned = true;
      // Granted in the same turn as the deadline: hand the slot on rather than lose it.
      if (entry.granted) this.releaseSlot();
    }, 'waiting for a free query slot');
  }

  private releaseSlot(): void {
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
      if (next.abandoned) continue;
      next.grant();
      return;
    }
    this.active--;
  }

  private spawnWorker(): Worker {
    if (!this.launch) throw new VpcflowError('ServiceUnavailable', 'the SQL sandbox is not running', 503);
    const w = new Worker(this.launch.command, this.launch.args, this.dir);
    this.workers.add(w);
    return w;
  }

  private takeWorker(): Worker {
    this.used = true;
    const spare = this.spare;
    this.spare = null;
    if (this.spareTimer) clearTimeout(this.spareTimer);
    if (spare?.alive) return spare;
    if (spare) this.workers.delete(spare);
    return this.spawnWorker();
  }

  /** Once SQL is in use, one started worker waits for the next query (a start costs ~1 s). */
  private keepSpare(): void {
    if (this.state !== 'running' || !this.used || (this.spare?.alive ?? false)) return;
    const w = this.spawnWorker();
    this.spare = w;
    w.ready.catch(() => {
      if (this.spare === w) this.spare = null;
      this.workers.delete(w);
    });
    if (this.spareTimer) clearTimeout(this.spareTimer);
    this.spareTimer = setTimeout(() => {
      if (this.spare === w) {
        this.spare = null;
        this.workers.delete(w);
        w.kill();
      }
    }, SPARE_IDLE_MS);
    this.spareTimer.unref();
  }

  /** The scope's snapshot with a hold on its files (give it back with release()). */
  private async acquireSnapshot(scope: SqlScope, deadline: number): Promise<Snapshot> {
    const key = scope.kind === 'operator' ? 'operator' : `account:${scope.accountId}`;
    const generation = this.source.writeGeneration;
    const have = this.snapshots.get(key);
    if (have && have.generation === generation) {
      hold(have, 1);
      have.lastUsed = Date.now();
      return have;
    }
    let entry = this.exporting.get(key);
    if (!entry || entry.generation !== generation) entry = this.startExport(key, scope, generation);
    entry.joined++;
    const e = entry;
    let late = false;
    try {
      return await this.within(e.promise, deadline, () => {
        late = true;
        // The export goes on for the next query; this one gives its hold back when it lands.
        e.promise.then((s) => release(s), () => undefined);
      }, 'writing the snapshot of the records');
    } catch (err) {
      if (late || err instanceof VpcflowError) throw err;
      throw new VpcflowError('InternalError', `cannot prepare the records for SQL: ${errorMessage(err)}`, 500);
    }
  }

  private startExport(key: string, scope: SqlScope, generation: number): ExportEntry {
    const file = join(this.snapshotDir, `${randomBytes(8).toString('hex')}.duckdb`);
    const abort = new AbortController();
    const entry: ExportEntry = { generation, joined: 0, abort, promise: Promise.resolve(null as unknown as Snapshot) };
    const prior = this.exporting.get(key);
    entry.promise = (async () => {
      // An export of an older state still running is waited for and then extended: never two whole
      // copies of one scope at once, however often the records change.
      if (prior) await prior.promise.catch(() => undefined);
      // The snapshot this one may extend: held so its files outlive a replacement during the export.
      const base = this.snapshots.get(key);
      if (base) hold(base, 1);
      try {
        if (abort.signal.aborted) throw new VpcflowError('ServiceUnavailable', 'the server is stopping', 503);
        const { counts, info } = await this.source.exportSnapshot(file, async (read) => {
          const top = BigInt(String((await read('SELECT coalesce(max(rowid), -1)::VARCHAR AS m FROM flow_records'))[0]?.m ?? '-1'));
          let from = -1n;
          let count = 0n;
          let hash = 0n;
          if (base && base.flows.length < MAX_PARTS && base.max <= top) {
            const [old] = await read(FINGERPRINT, [-1n, base.max]);
            // Rows up to base.max as they were: only what came after is new.
            if (BigInt(String(old?.n)) === base.count && BigInt(String(old?.h)) === base.hash) [from, count, hash] = [base.max, base.count, base.hash];
          }
          const [added] = await read(FINGERPRINT, [from, top]);
          return {
            tables: snapshotTables(scope, from, top),
            info: { extends: from >= 0n, max: top, count: count + BigInt(String(added?.n)), hash: hash + BigInt(String(added?.h)) },
          };
        }, abort.signal);
        const part: Part = { file, refs: 0 };
        // A file with no new flows of the scope only brings the archive_objects of now.
        const flows = info.extends ? (counts[0] ? [...base!.flows, part] : [...base!.flows]) : [part];
        const snap: Snapshot = { key, generation, flows, archive: part, max: info.max, count: info.count, hash: info.hash, lastUsed: Date.now() };
        if (this.exporting.get(key) === entry) this.exporting.delete(key);
        // One hold for the cache, one per waiting query.
        hold(snap, 1 + entry.joined);
        this.install(snap);
        return snap;
      } catch (e) {
        if (this.exporting.get(key) === entry) this.exporting.delete(key);
        await removeSnapshotFile(file);
        throw e;
      } finally {
        if (base) release(base);
      }
    })();
    entry.promise.catch(() => undefined).finally(() => this.running.delete(entry));
    this.running.add(entry);
    this.exporting.set(key, entry);
    return entry;
  }

  private install(snap: Snapshot): void {
    const current = this.snapshots.get(snap.key);
    if (this.state !== 'running' || (current && current.generation > snap.generation)) {
      release(snap);
      return;
    }
    if (current) release(current);
    this.snapshots.set(snap.key, snap);
    // Least recently used first.
    const idle = [...this.snapshots.values()].filter((s) => s !== snap).sort((a, b) => a.lastUsed - b.lastUsed);
    for (const s of idle) {
      if (this.snapshots.size <= this.o.maxSnapshots) break;
      this.snapshots.delete(s.key);
      release(s);
    }
  }
}

function hold(snap: Snapshot, n: number): void {
  for (const p of parts(snap)) p.refs += n;
}

/** Gives back one hold; a file no snapshot or query holds any more is deleted. */
function release(snap: Snapshot): void {
  for (const p of parts(snap)) {
    p.refs--;
    if (p.refs === 0) void removeSnapshotFile(p.file);
  }
}

function parts(snap: Snapshot): Part[] {
  return snap.flows.includes(snap.archive) ? snap.flows : [...snap.flows, snap.archive];
}

function checkScope(scope: SqlScope): void {
  if (scope?.kind === 'operator') return;
  if (scope?.kind === 'account' && typeof scope.accountId === 'string' && /^\d{12}$/.test(scope.accountId)) return;
  throw new VpcflowError('InvalidParameterValue', `a SQL scope is the operator or an account of 12 digits, got ${JSON.stringify(scope)}`);
}

async function removeSnapshotFile(file: string): Promise<void> {
  await unlink(file).catch(() => undefined);
  await unlink(`${file}.wal`).catch(() => undefined);
}

function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      /* not here */
    }
  }
  return null;
}
