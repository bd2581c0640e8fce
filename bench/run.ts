// `npm run bench`: vpcflow's decode+aggregate packet rate beside softflowd reading the same real
// capture in the same run, memory per active flow, and records/s through format+deliver beside
// DuckDB writing the same records as gzip text; as root also the live path's cost (iperf3 through a
// realized VPC with and without a flow log, and where SKIPDATA begins). Prints ratios; see bench/RESULTS.md.
import { execFileSync } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, mkdtempSync, openSync, readSync, closeSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { CaptureStreamDecoder } from '../src/capture/index.ts';
import { FlowObserver, type ClosedWindow, type MonitoredInterface } from '../src/flows/index.ts';
import { routeWindow, type FlowLogTarget } from '../src/flowlogs/index.ts';
import { Database, appendRecords } from '../src/store/index.ts';
import { LogStore } from '../src/destinations/logstore/index.ts';
import { ArchiveWriter } from '../src/destinations/archive/index.ts';
import { LocalObjectStore } from '../src/platform/object-store-local.ts';
import { DEFAULT_FIELDS } from '../src/records/index.ts';
import { makeCapture } from './make-capture.ts';

const OUT = resolve(import.meta.dirname, 'out');
const capture = process.env.BENCH_CAPTURE ?? join(OUT, 'bench.pcap');
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
checkTools();
if (!existsSync(capture)) await makeCapture(OUT);
const size = statSync(capture).size;
const line = (s: string) => process.stdout.write(s + '\n');
line(`capture: ${capture} (${(size / 1048576).toFixed(1)} MiB)`);

// The capture's two sides as monitored interfaces (10.99.0.1; 10.99.0.2-9 are one interface's addresses).
const ifaces: MonitoredInterface[] = [
  { interfaceId: 'eni-0aaaaaaaaaaaaaaaa', accountId: '111122223333', region: 'us-east-1', vpcId: 'vpc-0bench', subnetId: 'subnet-0bench', instanceId: 'i-0a', azId: 'use1-az1', primaryIpv4: '10.99.0.1', ipv4: ['10.99.0.1'], ipv6: [] },
  { interfaceId: 'eni-0bbbbbbbbbbbbbbbb', accountId: '111122223333', region: 'us-east-1', vpcId: 'vpc-0bench', subnetId: 'subnet-0bench', instanceId: 'i-0b', azId: 'use1-az1', primaryIpv4: '10.99.0.2', ipv4: Array.from({ length: 8 }, (_, i) => `10.99.0.${i + 2}`), ipv6: [] },
];

function readWhole(onChunk: (c: Uint8Array) => void): void {
  const fd = openSync(capture, 'r');
  const buf = new Uint8Array(4 << 20);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      onChunk(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
}

/** Decode + aggregate the whole capture; the closed window stays queued in the observer for delivery. */
function ours(): { seconds: number; packets: number; observer: FlowObserver; peakFlows: number; tableBytes: number; tableFlows: number } {
  const observer = new FlowObserver({ interfaces: ifaces, intervals: [600], maxFlows: 4_000_000 });
  const agg = observer.aggregators[0]!;
  let peakFlows = 0;
  let tableBytes = 0;
  let tableFlows = 0;
  const sample = () => {
    if (agg.activeFlows <= peakFlows) return;
    peakFlows = agg.activeFlows;
    tableBytes = agg.tableBytes;
    tableFlows = agg.tableCapacity;
  };
  const decoder = new CaptureStreamDecoder((p) => observer.observe(p), { source: capture });
  const t0 = process.hrtime.bigint();
  readWhole((c) => {
    decoder.push(c);
    sample();
  });
  const stats = decoder.end();
  sample();
  observer.finish();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { seconds, packets: stats.packetsRead, observer, peakFlows, tableBytes, tableFlows };
}

async function softflowd(): Promise<{ seconds: number; flows: number }> {
  const out = execFileSync(process.execPath, [join(import.meta.dirname, 'softflowd-peer.mjs'), capture], { encoding: 'utf8' });
  return JSON.parse(out) as { seconds: number; flows: number };
}

/** Drains the closed window in parts of 50k records and delivers each part to the log store and the archive. */
async function deliver(observer: FlowObserver): Promise<{ records: number; buildSeconds: number; logSeconds: number; archiveSeconds: number; peerSeconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'vpcflow-bench-deliver-'));
  // The peer's COPY writes into the bench's own folder, which the store's lockdown must allow.
  const db = new Database({ dataDir: join(dir, 'db'), memoryLimit: '1GB', allowedDirectories: [dir] });
  await db.start();
  const store = new LogStore(db, 'us-east-1');
  const archive = new ArchiveWriter({ store: new LocalObjectStore(join(dir, 's3'), { createMissingBuckets: true }), tempDir: join(dir, 'tmp') });
  const base = { accountId: '111122223333', region: 'us-east-1', trafficType: 'ALL' as const, maxAggregationInterval: 600, fields: DEFAULT_FIELDS, version: 2 };
  const cwl: FlowLogTarget = { ...base, flowLogId: 'fl-0000000000000cwl0', destination: { type: 'cloud-watch-logs', logGroupName: '/bench' } };
  const s3: FlowLogTarget = { ...base, flowLogId: 'fl-00000000000000s30', destination: { type: 's3', bucket: 'bench', prefix: '', fileFormat: 'plain-text', hiveCompatiblePartitions: false, perHourPartition: false } };
  const clock = () => process.hrtime.bigint();
  const secs = (t: bigint) => Number(clock() - t) / 1e9;
  let records = 0;
  let buildSeconds = 0;
  let logSeconds = 0;
  let archiveSeconds = 0;
  let sequence = 0;
  for (;;) {
    let t = clock();
    const windows = observer.drain(50_000);
    buildSeconds += secs(t);
    if (!windows.length) break;
    t = clock();
    for (const w of windows) {
      for (const d of routeWindow(w, ifaces, [[cwl], [cwl]])) {
        if (d.kind !== 'cloud-watch-logs') continue;
        records += d.records.length;
        await db.transaction(async (tx) => {
          await store.appendInTransaction(tx, d.target.accountId, '/bench', d.events);
          await appendRecords(tx, d.records.map((r) => ({ record: r.record, ownerAccount: d.target.accountId, flowLogId: d.target.flowLogId, destinationType: 'cloud-watch-logs', destination: '/bench', rule: r.rule, ingestionTime: Date.now() })));
        });
      }
    }
    logSeconds += secs(t);
    t = clock();
    for (const w of windows) {
      for (const d of routeWindow(w, ifaces, [[s3], [s3]])) {
        if (d.kind !== 's3') continue;
        await archive.write({ flowLog: { flowLogId: s3.flowLogId, accountId: s3.accountId, region: s3.region, bucket: 'bench', prefix: '', fields: DEFAULT_FIELDS, fileFormat: 'plain-text', hiveCompatiblePartitions: false, perHourPartition: false }, fileTime: d.fileTime * 1000, records: d.records.map((r) => r.record), sequence: sequence++ });
      }
    }
    archiveSeconds += secs(t);
  }
  // Peer: DuckDB's own C++ CSV writer producing the same gzip text from the stored rows.
  const t = clock();
  await db.run(`COPY (SELECT version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, "end", action, log_status FROM flow_records) TO '${join(dir, 'peer.log.gz')}' (FORMAT csv, DELIMITER ' ', HEADER, QUOTE '', NULLSTR '-', COMPRESSION gzip)`);
  const peerSeconds = secs(t);
  await archive.close();
  await db.stop();
  rmSync(dir, { recursive: true, force: true });
  return { records, buildSeconds, logSeconds, archiveSeconds, peerSeconds };
}

const progress = (s: string) => process.stderr.write(`[bench] ${s}\n`);
progress('softflowd reading the capture (1/2)');
const sf = await softflowd();
progress('vpcflow decode+aggregate');
const us = ours();
progress('softflowd reading the capture (2/2)');
const sf2 = await softflowd();
const sfSeconds = Math.min(sf.seconds, sf2.seconds);
const ourRate = us.packets / us.seconds;
const sfRate = us.packets / sfSeconds;
line(`decode+aggregate: vpcflow ${fmt(ourRate)} packets/s (${us.packets} packets in ${us.seconds.toFixed(2)} s)`);
line(`                  softflowd -r ${fmt(sfRate)} packets/s (best of 2: ${sfSeconds.toFixed(2)} s, ${sf.flows} flows exported)`);
line(`                  ratio vpcflow/softflowd = ${(ourRate / sfRate).toFixed(2)}`);
line(`memory per active flow: ${(us.tableBytes / us.tableFlows).toFixed(1)} bytes per flow slot (flow table ${(us.tableBytes / 1048576).toFixed(1)} MiB for ${us.tableFlows} slots at the peak of ${us.peakFlows} active flows = ${(us.tableBytes / us.peakFlows).toFixed(1)} bytes per active flow including grown-but-unused slots)`);
progress('building and delivering the records');
const d = await deliver(us.observer);
line(`format+deliver (${d.records} records): building records ${fmt(d.records / d.buildSeconds)} records/s; log store (DuckDB events + flow_records) ${fmt(d.records / d.logSeconds)} records/s; archive gzip text ${fmt(d.records / d.archiveSeconds)} records/s`);
line(`                DuckDB COPY to gzip text (peer) ${fmt(d.records / d.peerSeconds)} records/s; ratio archive/peer = ${((d.records / d.archiveSeconds) / (d.records / d.peerSeconds)).toFixed(2)}`);
progress('ingest delivered whole (staged, published in one transaction) vs part by part');
{
  const { runIngestDeliveryBench } = await import('./ingest-delivery.ts');
  const r = await runIngestDeliveryBench();
  line(`ingest (${r.records} records, log group + archive): staged and published whole ${fmt(r.records / r.stagedSeconds)} records/s (${r.stagedSeconds.toFixed(2)} s); `
    + `delivered part by part (peer) ${fmt(r.records / r.directSeconds)} records/s (${r.directSeconds.toFixed(2)} s); ratio whole/parts = ${(r.directSeconds / r.stagedSeconds).toFixed(2)}`);
}
progress('console traffic queries over 10 M generated records (vs DuckDB running the same SQL)');
{
  const { runTrafficQueriesBench, printTrafficQueriesBench } = await import('./traffic-queries.ts');
  printTrafficQueriesBench(await runTrafficQueriesBench(10_000_000, progress), line);
}
if (isRoot) {
  progress('live path on the real kernel (iperf3 through a realized VPC)');
  const { runLiveBench, printLiveBench } = await import('./live-throughput.ts');
  printLiveBench(await runLiveBench({ log: progress }), line);
} else {
  line('live path: skipped (needs root to build namespaces)');
}
line(`machine: ${availableParallelism()} cores, node ${process.version}`);

/**
 * Every program this run will start, checked before the first one is: a missing tool otherwise
 * shows up minutes in as a stack trace ("exec of \"nmap\" failed"). Exits 2 naming the Debian packages.
 */
function checkTools(): void {
  // program -> Debian package
  const needs = new Map<string, string>([['softflowd', 'softflowd']]);
  const why: string[] = ['softflowd: the peer the decode rate is compared with'];
  const needCapture = !existsSync(capture);
  if (needCapture && process.env.BENCH_CAPTURE) fail(`BENCH_CAPTURE=${process.env.BENCH_CAPTURE}: no such file`);
  if (needCapture && !isRoot) {
    fail(`the benchmark capture ${capture} does not exist yet, and making it needs root (it records real traffic between two network namespaces).\n`
      + 'Run `npm run bench` once as root, or set BENCH_CAPTURE=FILE to a pcap of your own.');
  }
  if (needCapture) {
    for (const [p, pkg] of [['ip', 'iproute2'], ['ethtool', 'ethtool'], ['tcpdump', 'tcpdump'], ['iperf3', 'iperf3'], ['nmap', 'nmap']] as const) needs.set(p, pkg);
    why.push(`ip, ethtool, tcpdump, iperf3, nmap: to record the capture (${capture} is missing)`);
  }
  if (isRoot) {
    for (const [p, pkg] of [['ip', 'iproute2'], ['nft', 'nftables'], ['tcpdump', 'tcpdump'], ['setpriv', 'util-linux'], ['iperf3', 'iperf3'], ['python3', 'python3']] as const) needs.set(p, pkg);
    why.push('ip, nft, tcpdump, setpriv, iperf3, python3: the live path (run as root)');
  }
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const missing = [...needs].filter(([program]) => !dirs.some((d) => isExecutable(join(d, program))));
  if (!missing.length) return;
  const packages = [...new Set(missing.map(([, pkg]) => pkg))];
  fail(`missing on PATH: ${missing.map(([p]) => p).join(', ')}.\n`
    + `Install them (Debian): apt-get install -y ${packages.join(' ')}\n`
    + `What needs them:\n${why.map((w) => `  ${w}`).join('\n')}`);
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function fail(message: string): never {
  process.stderr.write(`[bench] cannot run: ${message}\n`);
  process.exit(2);
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(0)} k`;
}
