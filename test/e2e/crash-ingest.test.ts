// Crash test: the server is killed with SIGKILL at a random moment of an ingest, restarted on the same
// data folder, and the client retries; every destination then holds exactly one copy of every record
// (the log store, the archive files and the SQL store), as a clean ingest into a fresh server has them.
// VPCFLOW_CRASH_TRIALS sets the number of trials (3 here; `npm run fuzz` runs 20).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BIN, VpcflowServer } from '../helpers/cli.ts';
import { demoCapture, type Conversation } from '../../src/cli/demo-traffic.ts';
import { DEMO_NETWORK } from '../../src/cli/demo.ts';

const VPC = 'vpc-0a1b2c3d4e5f60718';
const T0 = 1_767_225_600;
const TRIALS = Number(process.env.VPCFLOW_CRASH_TRIALS ?? 3);

let work: VpcflowServer;
let capture: string;

interface Copy {
  /** Log store: message → how many times it is stored. */
  events: Map<string, number>;
  /** Archive: data lines (header excluded) → count. */
  archived: Map<string, number>;
  /** flow_records rows per destination type. */
  rows: Record<string, number>;
}

function conversations(): Conversation[] {
  const out: Conversation[] = [];
  // ~12 000 conversations over 40 minutes: several windows and 5-minute archive periods, a ~10 MB file.
  for (let i = 0; i < 12_000; i++) {
    const startSec = T0 + Math.floor(i / 5);
    if (i % 7 === 0) out.push({ client: '10.0.2.20', server: '10.0.1.10', protocol: 'tcp', port: 22, unanswered: true, startSec });
    else if (i % 3 === 0) out.push({ client: '10.0.1.10', server: '10.0.2.20', protocol: 'udp', port: 1000 + (i % 5000), exchanges: 2, startSec });
    else out.push({ client: '10.0.2.20', server: '10.0.1.10', protocol: 'tcp', port: 80, exchanges: 2, startSec });
  }
  return out;
}

async function prepare(server: VpcflowServer): Promise<void> {
  writeFileSync(join(server.dataDir, 'network.yaml'), DEMO_NETWORK);
  const steps = [
    ['apply', join(server.dataDir, 'network.yaml')],
    ['flow-logs', 'create', '--resource-type', 'VPC', '--resource-ids', VPC, '--traffic-type', 'ALL', '--log-destination-type', 'cloud-watch-logs', '--log-group-name', '/crash'],
    ['flow-logs', 'create', '--resource-type', 'VPC', '--resource-ids', VPC, '--traffic-type', 'ALL', '--log-destination-type', 's3', '--log-destination', 'arn:aws:s3:::crash/p'],
  ];
  for (const args of steps) {
    const r = await server.run(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  }
}

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

async function copyIn(server: VpcflowServer): Promise<Copy> {
  const events = new Map<string, number>();
  const streams = await server.run(['logs', 'streams', '/crash', '--output', 'json']);
  assert.equal(streams.code, 0, streams.stderr);
  for (const s of (JSON.parse(streams.stdout) as { logStreams: { logStreamName: string }[] }).logStreams) {
    const got = await server.run(['logs', 'get', '/crash', s.logStreamName, '--start-from-head', '--output', 'text']);
    assert.equal(got.code, 0, got.stderr);
    for (const line of got.stdout.split('\n')) if (line) bump(events, `${s.logStreamName} ${line}`);
  }
  const archived = new Map<string, number>();
  for (const f of files(join(server.dataDir, 'data', 's3', 'crash'))) {
    if (!f.endsWith('.log.gz')) continue;
    const lines = gunzipSync(readFileSync(f)).toString('utf8').split('\n').filter(Boolean);
    for (const line of lines.slice(1)) bump(archived, line);
  }
  const q = await server.run(['query', 'select destination_type, count(*) as n from flows group by 1 order by 1', '--output', 'json']);
  assert.equal(q.code, 0, q.stderr);
  const rows: Record<string, number> = {};
  for (const r of JSON.parse(q.stdout) as { destination_type: string; n: number | string }[]) rows[r.destination_type] = Number(r.n);
  return { events, archived, rows };
}

function ingest(server: VpcflowServer): { done: Promise<{ code: number; out: string }>; kill: () => void } {
  const child = spawn(process.execPath, [BIN, 'ingest', capture, '--endpoint', server.endpoint, '--output', 'json'], {
    env: { ...process.env, ...server.cliEnv }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return { done: new Promise((r) => child.once('close', (code) => r({ code: code ?? 1, out }))), kill: () => child.kill('SIGKILL') };
}

let reference: Copy;
let cleanMs = 0;

before(async () => {
  work = new VpcflowServer();
  await work.start();
  capture = join(work.dataDir, 'crash.pcap');
  writeFileSync(capture, demoCapture(conversations()));
  await prepare(work);
  const t = Date.now();
  const r = await ingest(work).done;
  cleanMs = Date.now() - t;
  assert.equal(r.code, 0, r.out);
  reference = await copyIn(work);
  assert.ok(reference.events.size > 1000 && reference.archived.size > 1000, `reference copy: ${reference.events.size} events, ${reference.archived.size} archived`);
});

after(async () => {
  await work?.stop();
});

const same = (a: Map<string, number>, b: Map<string, number>): string | undefined => {
  if (a.size !== b.size) return `${a.size} distinct lines, expected ${b.size}`;
  for (const [k, n] of b) if (a.get(k) !== n) return `'${k}' stored ${a.get(k) ?? 0} times, expected ${n}`;
  return undefined;
};

for (let trial = 1; trial <= TRIALS; trial++) {
  test(`crash trial ${trial}/${TRIALS}: SIGKILL during ingest, restart, retry → exactly one copy everywhere`, { timeout: 180_000 }, async () => {
    const first = new VpcflowServer();
    await first.start();
    let server = first;
    try {
      await prepare(first);
      const running = ingest(first);
      // Anywhere from the first bytes to past the end of a clean ingest (then the retry is a repeat).
      const delay = Math.floor(Math.random() * (cleanMs * 1.2)) + 20;
      await new Promise((r) => setTimeout(r, delay));
      await first.kill('SIGKILL');
      const attempt = await running.done;
      server = new VpcflowServer([], first.dataDir);
      await server.start();
      const retry = await ingest(server).done;
      // The first attempt may have completed just before the kill: then the retry is refused as a repeat.
      const repeated = /already ingested/.test(retry.out);
      assert.ok(retry.code === 0 || repeated, `retry after a kill at ${delay} ms (first attempt exit ${attempt.code}): ${retry.out}`);
      const copy = await copyIn(server);
      assert.equal(same(copy.events, reference.events), undefined, `log store after a kill at ${delay} ms`);
      assert.equal(same(copy.archived, reference.archived), undefined, `archive after a kill at ${delay} ms`);
      assert.deepEqual(copy.rows, reference.rows, `flow_records after a kill at ${delay} ms`);
    } finally {
      await server.stop();
    }
  });
}
