// `npx tsx bench/api-load.ts`: a bounded load test of the AWS-compatible API on loopback. A real
// `vpcflow serve` child process with a network, a flow log to a log group and an access key keeps
// receiving captures (so records are delivered throughout) while 50 SDK clients, each on its own
// connection, call DescribeFlowLogs, DescribeLogGroups, DescribeLogStreams and FilterLogEvents for
// a fixed time. The same clients then run against a minimal node:http peer answering the very
// bodies vpcflow gave (the transport + SDK ceiling on this machine); the ratio says how much of
// that ceiling vpcflow reaches. Any failed call is printed and counted; a clean run has none.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { Agent, createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EC2Client, DescribeFlowLogsCommand } from '@aws-sdk/client-ec2';
import { CloudWatchLogsClient, DescribeLogGroupsCommand, DescribeLogStreamsCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { demoCapture, type Conversation } from '../src/cli/demo-traffic.ts';
import { DEMO_NETWORK } from '../src/cli/demo.ts';
import { Client, resolveCredentials } from '../src/cli/client.ts';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin/vpcflow.js');
const THIS_FILE = fileURLToPath(import.meta.url);
const ACCOUNT = '111122223333';
const VPC = 'vpc-0a1b2c3d4e5f60718';
const GROUP = '/bench/api';
const FILTER_PATTERN = '[version, accountid, interfaceid, srcaddr, dstaddr, srcport, dstport = 80 || dstport = 443, protocol, packets, bytes, start, end, action, logstatus]';

export const OPERATIONS = ['DescribeFlowLogs', 'DescribeLogGroups', 'DescribeLogStreams', 'FilterLogEvents'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface ApiLoadOptions {
  /** Seconds of load against each side (default 20). */
  durationSeconds?: number;
  /** Concurrent clients, each with its own connection (default 50). */
  clients?: number;
  /** Keep ingesting captures while the clients run against vpcflow (default true). */
  backgroundIngest?: boolean;
  /** Progress lines (default: stderr). */
  progress?: (line: string) => void;
}

export interface OperationStats {
  operation: Operation;
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Size of the answer body the peer replays for this operation. */
  responseBytes: number;
}

export interface SideResult {
  seconds: number;
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  operations: OperationStats[];
  /** Every failed call, `operation: message`. */
  errors: string[];
}

export interface ApiLoadResult {
  machine: string;
  clients: number;
  durationSeconds: number;
  vpcflow: SideResult;
  peer: SideResult;
  /** vpcflow requests/s over the peer's. */
  ratio: number;
  /** Deliveries made while the clients ran against vpcflow (none when backgroundIngest is off). */
  background: { ingests: number; records: number; errors: string[] };
}

// ---------------------------------------------------------------------------------------------
// Child processes

interface Child {
  process: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

/** Spawns a program that prints its URL on stderr (`serving http://…` or `listening http://…`). */
function spawnServing(args: string[], pattern: RegExp): Promise<Child> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${args.join(' ')} did not start in 30 s:\n${log}`)), 30_000);
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      const m = pattern.exec(log);
      if (m) {
        clearTimeout(timer);
        ok({
          process: child,
          url: m[1]!,
          stop: () => new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
        });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`${args.join(' ')} exited with ${code}:\n${log}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Clients

interface Clients {
  ec2: EC2Client;
  logs: CloudWatchLogsClient;
  agent: Agent;
}

/** One client: an EC2 and a Logs SDK client sharing one keep-alive connection. */
function makeClient(endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string }): Clients {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const common = { endpoint, region: 'us-east-1', credentials, maxAttempts: 1, requestHandler: { httpAgent: agent } };
  return { ec2: new EC2Client(common), logs: new CloudWatchLogsClient(common), agent };
}

function call(c: Clients, op: Operation): Promise<unknown> {
  switch (op) {
    case 'DescribeFlowLogs':
      return c.ec2.send(new DescribeFlowLogsCommand({}));
    case 'DescribeLogGroups':
      return c.logs.send(new DescribeLogGroupsCommand({}));
    case 'DescribeLogStreams':
      return c.logs.send(new DescribeLogStreamsCommand({ logGroupName: GROUP }));
    case 'FilterLogEvents':
      return c.logs.send(new FilterLogEventsCommand({ logGroupName: GROUP, filterPattern: FILTER_PATTERN, limit: 50 }));
  }
}

const percentile = (sortedMs: number[], p: number): number => (sortedMs.length ? sortedMs[Math.min(sortedMs.length - 1, Math.ceil((p / 100) * sortedMs.length) - 1)]! : NaN);

/** Runs `clients` loops for `seconds`; each loop cycles through the operations, starting at its own offset. */
async function drive(endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string }, clients: number, seconds: number, bodySizes: Record<Operation, number>): Promise<SideResult> {
  const pool = Array.from({ length: clients }, () => makeClient(endpoint, credentials));
  const latencies = new Map<Operation, number[]>(OPERATIONS.map((o) => [o, []]));
  const errors: string[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(pool.map(async (c, i) => {
    for (let n = i; performance.now() < deadline; n++) {
      const op = OPERATIONS[n % OPERATIONS.length]!;
      const t0 = performance.now();
      try {
        await call(c, op);
        latencies.get(op)!.push(performance.now() - t0);
      } catch (e) {
        const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
        errors.push(`${op}: ${err.name ?? 'Error'} (HTTP ${err.$metadata?.httpStatusCode ?? '-'}) ${err.message ?? String(e)}`);
      }
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  for (const c of pool) {
    c.ec2.destroy();
    c.logs.destroy();
    c.agent.destroy();
  }
  const all: number[] = [];
  const operations = OPERATIONS.map((operation): OperationStats => {
    const ms = latencies.get(operation)!.sort((a, b) => a - b);
    all.push(...ms);
    return { operation, requests: ms.length, perSecond: ms.length / elapsed, p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99), responseBytes: bodySizes[operation] };
  });
  all.sort((a, b) => a - b);
  return { seconds: elapsed, requests: all.length, perSecond: all.length / elapsed, p50Ms: percentile(all, 50), p99Ms: percentile(all, 99), operations, errors };
}

// ---------------------------------------------------------------------------------------------
// The peer: fixed answers, no store, no signature check.

interface PeerBodies {
  [operation: string]: { contentType: string; body: string };
}

/** Which of the four operations a request is: X-Amz-Target for Logs, the Action form field for EC2. */
function peerOperation(target: string | undefined, body: string): string {
  if (target) return target.slice(target.indexOf('.') + 1);
  return new URLSearchParams(body).get('Action') ?? '';
}

function runPeer(bodiesFile: string): void {
  const bodies = JSON.parse(readFileSync(bodiesFile, 'utf8')) as PeerBodies;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = req.headers['x-amz-target'];
      const answer = bodies[peerOperation(typeof target === 'string' ? target : undefined, Buffer.concat(chunks).toString('utf8'))];
      if (!answer) {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"__type":"UnknownOperationException","message":"peer"}');
        return;
      }
      res.writeHead(200, { 'content-type': answer.contentType, 'content-length': Buffer.byteLength(answer.body), 'x-amzn-RequestId': '00000000-0000-0000-0000-000000000000' }).end(answer.body);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    process.stderr.write(`peer listening http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}\n`);
  });
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}

/** The bodies vpcflow answers right now, one per operation, byte for byte. */
async function captureBodies(endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string }): Promise<PeerBodies> {
  const bodies: PeerBodies = {};
  for (const op of OPERATIONS) bodies[op] = await rawCall(endpoint, credentials, op);
  return bodies;
}

/** One request signed by the SDK but sent by us, so the exact answer bytes are kept. */
async function rawCall(endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string }, op: Operation): Promise<{ contentType: string; body: string }> {
  let captured: { contentType: string; body: string } | undefined;
  const handler = {
    handle: async (request: { method: string; hostname: string; port?: number; path: string; headers: Record<string, string>; body?: unknown }) => {
      const body = typeof request.body === 'string' ? request.body : request.body instanceof Uint8Array ? Buffer.from(request.body).toString('utf8') : '';
      const answer = await new Promise<{ status: number; headers: Record<string, string>; body: Buffer }>((ok, fail) => {
        const req = httpRequest({ method: request.method, host: request.hostname, port: request.port, path: request.path, headers: request.headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body: Buffer.concat(chunks) }));
        });
        req.on('error', fail);
        req.end(body);
      });
      if (answer.status !== 200) throw new Error(`${op}: HTTP ${answer.status} ${answer.body.toString('utf8')}`);
      captured = { contentType: answer.headers['content-type'] ?? 'application/octet-stream', body: answer.body.toString('utf8') };
      const { Readable } = await import('node:stream');
      return { response: { statusCode: answer.status, reason: 'OK', headers: answer.headers, body: Readable.from([answer.body]) } };
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
  };
  const common = { endpoint, region: 'us-east-1', credentials, maxAttempts: 1, requestHandler: handler };
  const c: Clients = { ec2: new EC2Client(common), logs: new CloudWatchLogsClient(common), agent: new Agent() };
  try {
    await call(c, op);
  } finally {
    c.ec2.destroy();
    c.logs.destroy();
    c.agent.destroy();
  }
  if (!captured) throw new Error(`${op}: no answer captured`);
  return captured;
}

// ---------------------------------------------------------------------------------------------
// The run

/** Conversations between the demo network's two instances: a few hundred records per ingest. */
function captureForBench(): Uint8Array {
  const start = Math.floor(Date.now() / 1000) - 900;
  const conversations: Conversation[] = [];
  for (let i = 0; i < 60; i++) {
    const protocol = i % 3 === 0 ? 'udp' : 'tcp';
    conversations.push({ client: '10.0.2.20', server: '10.0.1.10', protocol, port: [80, 443, 8080, 5432, 53][i % 5]!, exchanges: 2 + (i % 4), startSec: start + i * 7 });
  }
  conversations.push({ client: '10.0.2.20', server: '10.0.1.10', protocol: 'tcp', port: 22, unanswered: true, startSec: start + 5 });
  return demoCapture(conversations);
}

export async function runApiLoadBench(opts: ApiLoadOptions = {}): Promise<ApiLoadResult> {
  const seconds = opts.durationSeconds ?? 20;
  const clients = opts.clients ?? 50;
  const progress = opts.progress ?? ((s: string) => process.stderr.write(`[api-load] ${s}\n`));
  const dir = mkdtempSync(join(tmpdir(), 'vpcflow-api-load-'));
  let server: Child | undefined;
  let peer: Child | undefined;
  try {
    progress(`starting vpcflow serve (data in ${dir})`);
    server = await spawnServing([...(process.env.API_LOAD_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.API_LOAD_PROF] : []), BIN, 'serve', '--data-dir', join(dir, 'data'), '--port', '0'], /serving (http:\/\/[\d.]+:\d+)/);
    // The native API, signed with the operator key the server wrote into its data folder.
    const native = new Client(server.url, resolveCredentials({ VPCFLOW_CREDENTIALS: join(dir, 'data', 'keys', 'operator.json') }));
    await native.call('/v1/vpcflow/Apply', { Document: DEMO_NETWORK, SourceName: 'bench-network.yaml' });
    await native.call('/v1/ec2/CreateFlowLogs', { ResourceType: 'VPC', ResourceIds: [VPC], TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs', LogGroupName: GROUP, MaxAggregationInterval: 60 });
    const key = (await native.call<{ AccessKey: { AccessKeyId: string; SecretAccessKey: string } }>('/v1/vpcflow/CreateAccessKey', { AccountId: ACCOUNT })).AccessKey;
    const credentials = { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey };
    const capture = Buffer.from(captureForBench());
    const ingest = async (): Promise<number> => {
      const r = await native.upload<{ Records: number; DeliveryErrors: unknown[] }>('/v1/vpcflow/Ingest?name=bench.pcap&force=true', Readable.from([capture]), capture.length);
      if (r.DeliveryErrors.length) throw new Error(`ingest: delivery errors ${JSON.stringify(r.DeliveryErrors)}`);
      return Number(r.Records);
    };
    const first = await ingest();
    progress(`first ingest delivered ${first} records; capturing answers for the peer`);
    const bodies = await captureBodies(server.url, credentials);
    const sizes = Object.fromEntries(OPERATIONS.map((o) => [o, Buffer.byteLength(bodies[o]!.body)])) as Record<Operation, number>;

    // Records keep arriving while the clients run: one ingest after another, with a short pause.
    const background = { ingests: 0, records: 0, errors: [] as string[] };
    let loading = opts.backgroundIngest ?? true;
    const feeder = (async () => {
      while (loading) {
        try {
          background.records += await ingest();
          background.ingests++;
        } catch (e) {
          background.errors.push(e instanceof Error ? e.message : String(e));
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    progress(`${clients} clients against vpcflow for ${seconds} s (background ingest ${loading ? 'running' : 'off'})`);
    const ours = await drive(server.url, credentials, clients, seconds, sizes);
    loading = false;
    await feeder;
    await server.stop();
    server = undefined;

    const bodiesFile = join(dir, 'peer-bodies.json');
    writeFileSync(bodiesFile, JSON.stringify(bodies));
    peer = await spawnServing(['--import', 'tsx', THIS_FILE, '--peer', bodiesFile], /listening (http:\/\/[\d.]+:\d+)/);
    progress(`${clients} clients against the node:http peer for ${seconds} s`);
    const theirs = await drive(peer.url, credentials, clients, seconds, sizes);
    await peer.stop();
    peer = undefined;

    const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
    return {
      machine: `${cpus().length} cores (${cpu}), node ${process.version}`,
      clients,
      durationSeconds: seconds,
      vpcflow: ours,
      peer: theirs,
      ratio: ours.perSecond / theirs.perSecond,
      background,
    };
  } finally {
    await server?.stop();
    await peer?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The result as the lines `bench/RESULTS.md` takes. */
export function formatApiLoad(r: ApiLoadResult): string {
  const f1 = (n: number) => n.toFixed(1);
  const rows = OPERATIONS.map((op, i) => {
    const a = r.vpcflow.operations[i]!;
    const b = r.peer.operations[i]!;
    return `| ${op} (${a.responseBytes} B answer) | ${f1(a.perSecond)} | ${f1(a.p50Ms)} / ${f1(a.p99Ms)} | ${f1(b.perSecond)} | ${f1(b.p50Ms)} / ${f1(b.p99Ms)} | ${(a.perSecond / b.perSecond).toFixed(2)} |`;
  });
  return [
    `machine: ${r.machine}; ${r.clients} clients, ${r.durationSeconds} s per side; background ingest ${r.background.ingests ? 'on' : 'off'}`,
    '',
    '| operation | vpcflow req/s | vpcflow p50 / p99 ms | peer req/s | peer p50 / p99 ms | ratio |',
    '|---|---|---|---|---|---|',
    ...rows,
    `| **all four** | ${f1(r.vpcflow.perSecond)} | ${f1(r.vpcflow.p50Ms)} / ${f1(r.vpcflow.p99Ms)} | ${f1(r.peer.perSecond)} | ${f1(r.peer.p50Ms)} / ${f1(r.peer.p99Ms)} | **${r.ratio.toFixed(2)}** |`,
    '',
    `errors: vpcflow ${r.vpcflow.errors.length}, peer ${r.peer.errors.length}; background delivery during the vpcflow run: ${r.background.ingests} ingests, ${r.background.records} records, ${r.background.errors.length} errors`,
  ].join('\n');
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const peerAt = process.argv.indexOf('--peer');
  if (peerAt >= 0) {
    runPeer(process.argv[peerAt + 1]!);
  } else {
    const seconds = Number(process.env.API_LOAD_SECONDS ?? 20);
    const result = await runApiLoadBench({ durationSeconds: seconds, backgroundIngest: process.env.API_LOAD_NO_INGEST !== '1' });
    for (const e of [...result.vpcflow.errors.map((x) => `vpcflow ${x}`), ...result.peer.errors.map((x) => `peer ${x}`), ...result.background.errors.map((x) => `background ${x}`)]) {
      process.stdout.write(`ERROR ${e}\n`);
    }
    process.stdout.write(`${formatApiLoad(result)}\n`);
    if (result.vpcflow.errors.length || result.background.errors.length) process.exitCode = 1;
  }
}
