// Shared pieces of the fuzz suites (test/fuzz/*.test.ts):
// - a seeded PRNG where every case has its own generator derived from (seed, part, case index), so one
//   failing case can be replayed alone (VPCFLOW_FUZZ_SEED + VPCFLOW_FUZZ_CASE) without running the rest;
// - failure reports that name the seed and the case and keep the input in a temp file;
// - a worker thread that runs one case under a deadline: node:test's timeout cannot interrupt a
//   synchronous loop in the test's own thread, Worker.terminate() can, and resourceLimits bound its heap;
// - SigV4-signed requests to a real `vpcflow serve` (native /v1 API and the AWS endpoint), each with a
//   deadline of its own, so a server that stops answering fails the case instead of hanging the suite.
//
// Modes: the test command runs a bounded number of cases (the defaults in each file, sized for well under
// two minutes for all fuzz files together on two busy cores); `npm run fuzz` sets VPCFLOW_FUZZ_CASES to run
// many more. Environment:
//   VPCFLOW_FUZZ_CASES       in-process cases per generator (server-level samples scale from it)
//   VPCFLOW_FUZZ_SEED        the run's seed (uint32); random when unset, printed either way
//   VPCFLOW_FUZZ_CASE        run only this case index (replays a reported failure)
//   VPCFLOW_FUZZ_DEADLINE_MS per-case deadline for a hang (default 15000: far above any case's real cost)
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Worker } from 'node:worker_threads';
import { SignatureV4 } from '@smithy/signature-v4';
import { VpcflowServer } from '../helpers/cli.ts';
import { NodeSha256 } from '../helpers/sha256.ts';

// ---------------------------------------------------------------------------------------------
// Configuration

const env = process.env;

function envInt(name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new Error(`${name} must be a whole number, got '${v}'`);
  return Number(v);
}

/** The run's seed: VPCFLOW_FUZZ_SEED, else random (printed by every suite). */
export const SEED: number = envInt('VPCFLOW_FUZZ_SEED') ?? randomBytes(4).readUInt32LE(0);
/** VPCFLOW_FUZZ_CASES: undefined in the test command's bounded mode. */
export const CASES_OVERRIDE: number | undefined = envInt('VPCFLOW_FUZZ_CASES');
/** VPCFLOW_FUZZ_CASE: replay one case index only. */
export const ONLY_CASE: number | undefined = envInt('VPCFLOW_FUZZ_CASE');
export const DEADLINE_MS: number = envInt('VPCFLOW_FUZZ_DEADLINE_MS') ?? 15_000;
export const LONG_MODE = CASES_OVERRIDE !== undefined;

/**
 * How many cases a generator runs: `short` in the test command, else VPCFLOW_FUZZ_CASES divided by
 * `share` (server-level samples cost a request or a process each, so they take a share of the cases).
 */
export function caseCount(short: number, share = 1): number {
  if (CASES_OVERRIDE === undefined) return short;
  return Math.max(1, Math.ceil(CASES_OVERRIDE / share));
}

/** The case indices to run: 0..n-1, or only VPCFLOW_FUZZ_CASE when replaying. */
export function caseIndices(n: number): number[] {
  if (ONLY_CASE !== undefined) return ONLY_CASE < n ? [ONLY_CASE] : [];
  return Array.from({ length: n }, (_, i) => i);
}

/** One line naming the seed and how to replay, for the test's diagnostics. */
export function seedLine(suite: string, counts: Record<string, number>): string {
  const c = Object.entries(counts).map(([k, v]) => `${k}=${v}`).join(' ');
  return `fuzz ${suite}: seed ${SEED} (${c}; replay with VPCFLOW_FUZZ_SEED=${SEED}${LONG_MODE ? ` VPCFLOW_FUZZ_CASES=${CASES_OVERRIDE}` : ''})`;
}

// ---------------------------------------------------------------------------------------------
// PRNG: sfc32 seeded through splitmix32 from (seed, part, index)

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function hashText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, part = '', index = 0) {
    const mix = splitmix32((seed ^ hashText(part) ^ Math.imul(index + 1, 0x27d4eb2d)) >>> 0);
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** [0, 1) */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor(this.float() * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Picks by weight: [[weight, value], ...]. */
  weighted<T>(choices: readonly (readonly [number, T])[]): T {
    const total = choices.reduce((s, [w]) => s + w, 0);
    let r = this.float() * total;
    for (const [w, v] of choices) {
      if ((r -= w) < 0) return v;
    }
    return choices[choices.length - 1]![1];
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }

  /** A size skewed to small values, up to `max`. */
  size(max: number): number {
    return Math.floor(max ** this.float());
  }
}

// ---------------------------------------------------------------------------------------------
// Failure reports

const MAX_REPORTED = 25;

/** Collects the failing cases of one test: each names seed and case and keeps its input in a temp file. */
export class Failures {
  readonly messages: string[] = [];
  private count = 0;

  constructor(readonly suite: string, readonly part: string) {}

  get size(): number {
    return this.count;
  }

  /** Records a failing case; returns the path its input was written to. */
  add(index: number | string, detail: string, input: Uint8Array | string, ext = 'bin'): string {
    this.count++;
    const file = join(tmpdir(), `vpcflow-fuzz-${this.suite}-${this.part}-seed${SEED}-case${index}.${ext}`);
    writeFileSync(file, input);
    if (this.messages.length < MAX_REPORTED) {
      // A corpus case (named, not numbered) runs in every run: no seed needed to replay it.
      const replay = typeof index === 'number'
        ? `VPCFLOW_FUZZ_SEED=${SEED} VPCFLOW_FUZZ_CASE=${index}${LONG_MODE ? ` VPCFLOW_FUZZ_CASES=${CASES_OVERRIDE}` : ''} node --import tsx --test test/fuzz/${this.suite}.test.ts`
        : `node --import tsx --test test/fuzz/${this.suite}.test.ts (corpus case, run every time)`;
      this.messages.push(`seed ${SEED} case ${index} (${this.suite}/${this.part}): ${detail}\n    input written to ${file}\n    replay: ${replay}`);
    }
    return file;
  }

  /** Fails the test listing every recorded case (the first MAX_REPORTED in full). */
  assertNone(): void {
    if (this.count === 0) return;
    const more = this.count > this.messages.length ? `\n… and ${this.count - this.messages.length} more failing cases` : '';
    assert.fail(`${this.count} failing fuzz case(s) in ${this.suite}/${this.part}:\n${this.messages.join('\n')}${more}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Cases in a worker thread, each under a deadline

export type WorkerOutcome<T> =
  | { readonly status: 'done'; readonly value: T; readonly heapUsed: number; readonly ms: number }
  | { readonly status: 'timeout'; readonly ms: number }
  | { readonly status: 'crashed'; readonly error: string };

interface Pending {
  resolve: (o: WorkerOutcome<unknown>) => void;
  timer: NodeJS.Timeout | undefined;
  started: number;
}

/**
 * A worker thread running `task` (a module under test/fuzz/ exporting `run(input)`), one case at a
 * time. A case that outlives its deadline is a hang: the worker is terminated (which stops even a
 * synchronous loop) and replaced. Exceeding `maxHeapMb` kills the worker (ERR_WORKER_OUT_OF_MEMORY):
 * reported as a crash, so unbounded memory on an input fails that input.
 */
export class CaseWorker {
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;
  private pending: Pending | null = null;
  private nextId = 0;
  /** Most heap the worker's isolate held after any case (bytes). */
  peakHeap = 0;

  constructor(private readonly task: string, private readonly maxHeapMb = 256) {}

  private start(): Promise<void> {
    const target = new URL(`./${this.task}`, import.meta.url).href;
    const tsx = new URL('../../node_modules/tsx/dist/esm/api/index.mjs', import.meta.url).href;
    // Worker threads do not inherit the parent's tsx loader: register it, then import the task.
    const boot = `
      const { parentPort } = await import('node:worker_threads');
      const { getHeapStatistics } = await import('node:v8');
      const { register } = await import(${JSON.stringify(tsx)});
      register();
      const task = await import(${JSON.stringify(target)});
      parentPort.on('message', async ({ id, input }) => {
        const t0 = performance.now();
        let value;
        try {
          value = { ok: true, result: await task.run(input) };
        } catch (e) {
          value = { ok: false, error: e && e.stack ? String(e.stack) : String(e) };
        }
        parentPort.postMessage({ id, value, heapUsed: getHeapStatistics().used_heap_size, ms: performance.now() - t0 });
      });
      parentPort.postMessage({ ready: true });`;
    const w = new Worker(`(async () => {${boot}})().catch((e) => { throw e; });`, {
      eval: true,
      resourceLimits: { maxOldGenerationSizeMb: this.maxHeapMb, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
      stdout: false,
      stderr: false,
    });
    this.worker = w;
    this.ready = new Promise<void>((ok, fail) => {
      const onMessage = (m: { ready?: boolean; id?: number; value?: unknown; heapUsed?: number; ms?: number }) => {
        if (m.ready) return ok();
        const p = this.pending;
        if (!p || m.id !== this.nextId) return;
        this.pending = null;
        clearTimeout(p.timer);
        this.peakHeap = Math.max(this.peakHeap, m.heapUsed ?? 0);
        p.resolve({ status: 'done', value: m.value, heapUsed: m.heapUsed ?? 0, ms: m.ms ?? 0 });
      };
      const onGone = (error: string) => {
        if (this.worker === w) this.worker = null;
        fail(new Error(`fuzz worker ${this.task} could not start: ${error}`));
        const p = this.pending;
        if (p) {
          this.pending = null;
          clearTimeout(p.timer);
          p.resolve({ status: 'crashed', error });
        }
      };
      w.on('message', onMessage);
      w.on('error', (e: Error & { code?: string }) => onGone(`${e.code ?? e.name}: ${e.message}`));
      w.on('exit', (code) => onGone(`worker exited with code ${code}`));
    });
    // A worker that dies later rejects `ready` after it resolved: harmless, but keep it handled.
    this.ready.catch(() => undefined);
    return this.ready;
  }

  /**
   * Runs one case. `value` is what the task returned ({ ok: true, result }) or the exception it threw
   * ({ ok: false, error: stack }); timeouts and crashes restart the worker for the next case.
   */
  async run<T>(input: unknown, deadlineMs = DEADLINE_MS, transfer: ArrayBuffer[] = []): Promise<WorkerOutcome<{ ok: true; result: T } | { ok: false; error: string }>> {
    if (!this.worker) await this.start();
    else await this.ready;
    const w = this.worker!;
    const id = ++this.nextId;
    const outcome = await new Promise<WorkerOutcome<unknown>>((resolve) => {
      const started = performance.now();
      const pending: Pending = { resolve, timer: undefined, started };
      pending.timer = setTimeout(() => {
        if (this.pending !== pending) return;
        this.pending = null;
        resolve({ status: 'timeout', ms: performance.now() - started });
      }, deadlineMs);
      this.pending = pending;
      w.postMessage({ id, input }, transfer);
    });
    if (outcome.status !== 'done') await this.stop();
    return outcome as WorkerOutcome<{ ok: true; result: T } | { ok: false; error: string }>;
  }

  async stop(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.ready = null;
    if (w) await w.terminate();
  }
}

/** The text of a worker outcome that is not a clean return, or undefined. */
export function outcomeProblem<T>(o: WorkerOutcome<{ ok: true; result: T } | { ok: false; error: string }>, deadlineMs = DEADLINE_MS): string | undefined {
  if (o.status === 'timeout') return `no answer within ${deadlineMs} ms (a hang: the worker was terminated)`;
  if (o.status === 'crashed') return `the worker died: ${o.error}`;
  if (!o.value.ok) return `threw: ${o.value.error}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// SigV4-signed HTTP against a real server

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** How long one request may take before the server counts as not answering. */
export const REQUEST_DEADLINE_MS = 60_000;

export class FuzzServer {
  readonly server: VpcflowServer;
  host = '';
  port = 0;
  operator!: Credentials;

  constructor(extraArgs: string[] = []) {
    this.server = new VpcflowServer(extraArgs);
  }

  async start(): Promise<void> {
    await this.server.start();
    const url = new URL(this.server.endpoint);
    this.host = url.hostname;
    this.port = Number(url.port);
    const k = JSON.parse(readFileSync(this.server.operatorKeyFile, 'utf8')) as { AccessKeyId: string; SecretAccessKey: string };
    this.operator = { accessKeyId: k.AccessKeyId, secretAccessKey: k.SecretAccessKey };
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }

  get dataDir(): string {
    return join(this.server.dataDir, 'data');
  }

  /** Sends exactly these headers and body (POST unless said otherwise), with a deadline. */
  send(method: string, path: string, headers: Record<string, string>, body: Buffer): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      let answered = false;
      const r = httpRequest({ host: this.host, port: this.port, method, path, headers: { ...headers, 'content-length': String(body.length) }, agent: false }, (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      r.setTimeout(REQUEST_DEADLINE_MS, () => r.destroy(new Error(`no answer to ${method} ${path} within ${REQUEST_DEADLINE_MS} ms`)));
      r.on('error', (e: NodeJS.ErrnoException) => {
        // The server may answer (413) and close before reading the whole body: that answer still counts
        // when it arrives; a connection that dies without one (the server crashed) is an error.
        if (answered) return;
        if (e.code === 'EPIPE' || e.code === 'ECONNRESET') setTimeout(() => answered || reject(new Error(`${method} ${path}: connection closed without an answer (${e.code})`)), 1000);
        else reject(e);
      });
      r.end(body);
    });
  }

  /** A request signed like the SDKs sign (every given header signed, payload hash included). */
  async signed(service: string, path: string, query: Record<string, string>, headers: Record<string, string>, body: Buffer, credentials: Credentials = this.operator): Promise<RawAnswer> {
    const signer = new SignatureV4({ service, region: 'us-east-1', credentials, sha256: NodeSha256 });
    const req = await signer.sign(
      { method: 'POST', protocol: 'http:', hostname: this.host, port: this.port, path, query, headers: { host: `${this.host}:${this.port}`, ...headers }, body },
      { signingDate: new Date() },
    );
    const qs = new URLSearchParams(query).toString();
    return this.send('POST', qs ? `${path}?${qs}` : path, { ...(req.headers as Record<string, string>) }, body);
  }

  /** A native /v1 call with this exact body text, signed with the operator key unless told otherwise. */
  native(path: string, body: string | Buffer, credentials?: Credentials, query: Record<string, string> = {}): Promise<RawAnswer> {
    return this.signed('vpcflow', path, query, { 'content-type': 'application/json' }, typeof body === 'string' ? Buffer.from(body, 'utf8') : body, credentials);
  }

  /** A native call that must succeed: its parsed JSON answer. */
  async call<T = Record<string, unknown>>(path: string, body: unknown = {}): Promise<T> {
    const a = await this.native(path, JSON.stringify(body));
    assert.equal(a.status, 200, `${path}: ${a.body}`);
    return JSON.parse(a.body) as T;
  }

  /** An upload (capture) signed whole with its SHA-256; a fresh invocation id keeps every signature unique. */
  upload(path: string, query: Record<string, string>, bytes: Uint8Array): Promise<RawAnswer> {
    return this.signed('vpcflow', path, query, { 'content-type': 'application/octet-stream', 'amz-sdk-invocation-id': randomUUID() }, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  /** Rows of a SELECT over the store (what `vpcflow query` runs). */
  async query(sql: string): Promise<Record<string, unknown>[]> {
    return (await this.call<{ Rows: Record<string, unknown>[] }>('/v1/vpcflow/Query', { Sql: sql })).Rows;
  }

  /** Whether /v1/health answers 200 (within the request deadline). */
  async healthy(): Promise<boolean> {
    try {
      const a = await this.send('GET', '/v1/health', {}, Buffer.alloc(0));
      return a.status === 200;
    } catch {
      return false;
    }
  }

  /** The server process's resident set (kB), from /proc/PID/status VmRSS. */
  rssKb(): number {
    const pid = this.server.pid;
    assert.ok(pid, 'the server runs');
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    assert.ok(m, `/proc/${pid}/status has no VmRSS`);
    return Number(m[1]);
  }

  /** Lines of the server's log that report an internal error (an answer 500 or a failure not meant for the client). */
  internalErrors(): string[] {
    return this.server.output.split('\n').filter((l) => /internal error|InternalFailure|unhandled|uncaught/i.test(l));
  }

  /** Every file under the data dir's local S3 folder, with its size: the archive destination's contents. */
  s3Files(): string[] {
    const root = join(this.dataDir, 's3');
    const out: string[] = [];
    const walk = (dir: string, depth: number): void => {
      if (depth > 32) return;
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        return;
      }
      for (const n of names) {
        const p = join(dir, n);
        const st = statSync(p);
        if (st.isDirectory()) walk(p, depth + 1);
        else out.push(`${relative(root, p)} ${st.size}`);
      }
    };
    walk(root, 0);
    return out.sort();
  }
}

/** Parses an error answer of the native API: `{ __type, message }`, or says what is wrong with it. */
export function nativeErrorProblem(a: RawAnswer): string | undefined {
  if (a.status >= 500) return `HTTP ${a.status}: ${a.body.slice(0, 400)}`;
  if (a.status < 400) return undefined;
  let b: { __type?: unknown; message?: unknown };
  try {
    b = JSON.parse(a.body) as typeof b;
  } catch {
    return `HTTP ${a.status} with a body that is not JSON: ${a.body.slice(0, 200)}`;
  }
  if (typeof b.__type !== 'string' || !/^[A-Za-z][A-Za-z0-9.]*$/.test(b.__type)) return `HTTP ${a.status} without an error code (__type): ${a.body.slice(0, 200)}`;
  if (typeof b.message !== 'string' || b.message.trim().length < 8) return `HTTP ${a.status} ${b.__type} without a message: ${a.body.slice(0, 200)}`;
  return undefined;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
