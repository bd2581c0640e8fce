// `vpcflow demo`: a server on a temporary folder, a sample network, three flow logs (log store,
// gzip text and Parquet archives), traffic, and what came out of it. As root with the kernel tools
// present the network is realized on this host and real programs make the traffic (demo-live.ts);
// elsewhere a generated capture of the same kind of traffic is ingested.

import { createReadStream, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, type RunningServer } from '../app/server.ts';
import { checkPrefix } from '../dataplane/names.ts';
import { down } from '../dataplane/realize.ts';
import { formatArgv } from '../dataplane/teardown.ts';
import { Client, CliError, EXIT } from './client.ts';
import { demoCapture } from './demo-traffic.ts';
import { exitCodeOfSignal } from './exec-command.ts';
import { printRows } from './output.ts';
import { LIVE_DEMO_NETWORK, demoPrefix, liveDemoUnavailable, liveNamespacesWithPrefix, runLiveTraffic } from './demo-live.ts';

export const DEMO_NETWORK = `account: "111122223333"
region: us-east-1
vpcs:
  - id: vpc-0a1b2c3d4e5f60718
    cidr: 10.0.0.0/16
    subnets:
      - { id: subnet-0a1b2c3d4e5f60718, cidr: 10.0.1.0/24, availability-zone: us-east-1a }
      - { id: subnet-0f1e2d3c4b5a69788, cidr: 10.0.2.0/24, availability-zone: us-east-1b }
    instances:
      - id: i-0a1b2c3d4e5f60718
        subnet: subnet-0a1b2c3d4e5f60718
        interfaces: [{ id: eni-0a1b2c3d4e5f60718, private-ip: 10.0.1.10 }]
      - id: i-0f1e2d3c4b5a69788
        subnet: subnet-0f1e2d3c4b5a69788
        interfaces: [{ id: eni-0f1e2d3c4b5a69788, private-ip: 10.0.2.20 }]
`;

export type DemoMode = 'auto' | 'live' | 'capture';

/** Seconds per window in the live demo (an extension: AWS allows 60 and 600). */
const LIVE_INTERVAL_SEC = 5;

export interface DemoOptions {
  port: number;
  keep: boolean;
  mode: DemoMode;
  /** Name prefix of the live demo's namespaces (default: a random `vfd…`). */
  dataplanePrefix?: string;
  /** End after showing the records (scripts); otherwise the network, traffic and console run until Ctrl-C. */
  exit?: boolean;
}

const INTERRUPTING = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * From construction to dispose(), SIGINT/SIGTERM/SIGHUP do not end the process: they abort the
 * demo's waits and make the next step throw, so its cleanup runs (the server, every namespace it
 * built and whatever runs in them, the temporary folder) before it exits with 128 + signal.
 */
class Interruption {
  signal: NodeJS.Signals | undefined;
  private readonly controller = new AbortController();
  private readonly handlers = INTERRUPTING.map((sig) => [sig, () => this.on(sig)] as const);

  constructor(private readonly out: (s?: string) => void) {
    for (const [sig, h] of this.handlers) process.on(sig, h);
    // After SIGHUP the terminal may be gone: a failed write must not end the process before its cleanup.
    process.stdout.on('error', ignore);
    process.stderr.on('error', ignore);
  }

  get abortSignal(): AbortSignal {
    return this.controller.signal;
  }

  private on(sig: NodeJS.Signals): void {
    if (this.signal) {
      this.out(`${sig}: still removing what the demo built; it exits when that is done`);
      return;
    }
    this.signal = sig;
    this.out(`\n${sig}: stopping the demo and removing what it built...`);
    this.controller.abort(new DemoInterrupted(sig));
  }

  /** Throws once a signal came. */
  check(): void {
    if (this.signal) throw new DemoInterrupted(this.signal);
  }

  dispose(): void {
    for (const [sig, h] of this.handlers) process.off(sig, h);
    process.stdout.off('error', ignore);
    process.stderr.off('error', ignore);
  }
}

const ignore = (): void => undefined;

class DemoInterrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
  }
}

export async function runDemo(opts: DemoOptions): Promise<void> {
  const out = (s = '') => process.stdout.write(s + '\n');
  const unavailable = opts.mode === 'capture' ? 'you asked for --capture' : liveDemoUnavailable();
  if (unavailable && opts.mode === 'live') throw new Error(`the live demo cannot run here: ${unavailable}`);
  const live = unavailable === undefined;
  let prefix: string | undefined;
  if (live) {
    try {
      prefix = checkPrefix(opts.dataplanePrefix ?? demoPrefix());
    } catch {
      throw new CliError(`--dataplane-prefix: '${opts.dataplanePrefix}' is not a namespace prefix (a lowercase letter, then 1 to 11 lowercase letters or digits)`, EXIT.usage);
    }
    // Its namespaces are all removed at the end: they must not be somebody else's.
    const taken = liveNamespacesWithPrefix(prefix);
    if (taken.length) throw new CliError(`--dataplane-prefix ${prefix}: namespaces ${taken.join(', ')} exist already; choose another prefix`, EXIT.usage);
  }
  if (!live) out(`(not building a real network because ${unavailable}: ingesting a generated capture instead)\n`);
  const interruption = new Interruption(out);
  try {
    await demoSteps(opts, live, prefix, interruption, out);
  } finally {
    interruption.dispose();
  }
}

async function demoSteps(opts: DemoOptions, live: boolean, prefix: string | undefined, interruption: Interruption, out: (s?: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vpcflow-demo-'));
  const dataDir = join(dir, 'data');
  let server: RunningServer | undefined;
  let realized = false;
  let failure: unknown;
  // Once the demo serves its console, Ctrl-C is how it ends, not an interruption.
  let serving = false;
  try {
    server = await startServer({
      dataDir, port: opts.port, quiet: true,
      ...(live ? { realize: true, dataplanePrefix: prefix, allowShortIntervals: true } : {}),
    }, false);
    const raw = new Client(server.url, server.operator);
    // Each request runs to its end (the server is in this process: an abandoned apply would go on
    // building namespaces during the cleanup); a signal stops the demo before the next one.
    const api = {
      call: async <T>(path: string, body?: unknown): Promise<T> => {
        interruption.check();
        const r = await raw.call<T>(path, body);
        interruption.check();
        return r;
      },
      upload: raw.upload.bind(raw),
    };
    out(`vpcflow demo — server ${server.url}, data in ${dataDir}${live ? `, namespaces ${prefix}-*` : ''}\n`);
    // Set before the apply: a failed or interrupted apply may have built part of the network.
    realized = live;
    const applied = await api.call<{ Changes: { Action: string; ResourceType: string; ResourceId: string }[] }>('/v1/vpcflow/Apply', { Document: live ? LIVE_DEMO_NETWORK : DEMO_NETWORK, SourceName: 'demo-network.yaml' });
    out(`$ vpcflow apply demo-network.yaml   (${applied.Changes.length} changes${live ? ', now real on this host' : ''})`);
    for (const c of applied.Changes.slice(0, 8)) out(`  + ${c.ResourceType} ${c.ResourceId}`);
    if (applied.Changes.length > 8) out(`  ... and ${applied.Changes.length - 8} more`);
    const interval = live ? LIVE_INTERVAL_SEC : 60;
    const flowLogs = [
      { ResourceType: 'VPC', ResourceIds: ['vpc-0a1b2c3d4e5f60718'], TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs', LogGroupName: '/vpc/demo', MaxAggregationInterval: interval },
      { ResourceType: 'VPC', ResourceIds: ['vpc-0a1b2c3d4e5f60718'], TrafficType: 'ALL', LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::demo-bucket/text', MaxAggregationInterval: interval,
        LogFormat: '${version} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${tcp-flags} ${flow-direction} ${traffic-path} ${log-status}' },
      { ResourceType: 'Subnet', ResourceIds: ['subnet-0a1b2c3d4e5f60718'], TrafficType: 'ALL', LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::demo-bucket/parquet',
        DestinationOptions: { FileFormat: 'parquet', HiveCompatiblePartitions: true, PerHourPartition: true }, MaxAggregationInterval: interval },
    ];
    for (const f of flowLogs) {
      const r = await api.call<{ FlowLogIds: string[] }>('/v1/ec2/CreateFlowLogs', f);
      out(`$ vpcflow flow-logs create --resource-type ${f.ResourceType} ... --log-destination-type ${f.LogDestinationType}  → ${r.FlowLogIds.join(', ')}`);
    }
    if (live) {
      await runLiveTraffic({ api, out, intervalSec: interval, signal: interruption.abortSignal });
    } else {
      await ingestGeneratedTraffic(raw, dir, out);
      await importRecordedVerdicts(raw, out);
    }
    interruption.check();

    const events = await api.call<{ events: { logStreamName: string; message: string }[] }>('/v1/logs/FilterLogEvents', { logGroupName: '/vpc/demo', filterPattern: '[version, account, eni, src, dst, srcport, dstport, protocol, packets, bytes, start, end, action, status=OK]', limit: 20 });
    out(`$ vpcflow logs filter /vpc/demo --filter-pattern '[..., status=OK]'   (first ${events.events.length})`);
    for (const e of events.events) out(`  ${e.logStreamName} ${e.message}`);
    out();
    const summary = "select interface_id, flow_direction, action, count(*) records, sum(packets) packets, sum(bytes) bytes from flows where log_status = 'OK' and destination_type = 'cloud-watch-logs' group by all order by 1, 2, 3";
    out(`$ vpcflow query "${summary}"`);
    const q = await api.call<{ Columns: string[]; Rows: Record<string, unknown>[] }>('/v1/vpcflow/Query', { Sql: summary });
    printRows(q.Rows, 'table', q.Columns);
    if (live) {
      const why = "select interface_id, srcaddr, dstaddr, dstport, protocol, rule from flows where action = 'REJECT' and destination_type = 'cloud-watch-logs' group by all order by 1, 4";
      out(`\nwhy was it rejected? (the deciding rule is kept beside each record)\n$ vpcflow query "${why}"`);
      const r = await api.call<{ Columns: string[]; Rows: Record<string, unknown>[] }>('/v1/vpcflow/Query', { Sql: why });
      printRows(r.Rows, 'table', r.Columns);
      if (opts.exit) {
        // Stopping the live path delivers the archive's open 5-minute period as files.
        const down = await api.call<{ Removed: string[] }>('/v1/vpcflow/Down');
        realized = false;
        out(`\n$ vpcflow down   (removed ${down.Removed.length} namespaces)`);
      }
    }
    out('\narchive objects (AWS S3 layout):');
    const s3 = join(dataDir, 's3');
    for (const f of existsSync(s3) ? listFiles(s3) : []) out(`  s3/${relative(s3, f)}  (${statSync(f).size} bytes)`);
    if (opts.exit) {
      out(`\nnext: 'npx vpcflow serve --data-dir ./data${live ? ' --realize' : ''}' and 'npx vpcflow --help'; the README has a tour.`);
    } else {
      serving = true;
      await serveConsole({ server, api: raw, live, intervalSec: interval, dir, out, signal: interruption.abortSignal });
    }
  } catch (e) {
    if (!(serving && e instanceof DemoInterrupted)) failure = e;
  }
  const problems = await cleanUp({ server, realized, live, prefix, dataDir, dir, keep: opts.keep, out });
  const sig = interruption.signal;
  if (sig && serving && failure === undefined) {
    if (problems.length) throw new CliError(`vpcflow demo: stopped by ${sig}; NOT removed: ${problems.join('; ')}`, EXIT.serverError);
    out('demo stopped: nothing it built is left');
    return;
  }
  if (sig) {
    const left = problems.length ? `; NOT removed: ${problems.join('; ')}` : '; nothing it built is left';
    throw new CliError(`vpcflow demo: interrupted by ${sig}${left}`, exitCodeOfSignal(sig));
  }
  if (failure !== undefined) {
    if (problems.length) out(`the demo failed, and its cleanup too: ${problems.join('; ')}`);
    throw failure;
  }
  if (problems.length) throw new CliError(`vpcflow demo: cleanup failed: ${problems.join('; ')}`, EXIT.serverError);
}

/**
 * Removes everything the demo built, whatever state it stopped in, and says what it could not
 * remove. The namespaces go through the server's Down when a network was realized (it stops the
 * live path in order); after the server stopped, the data plane's own down removes whatever
 * remains with the demo's prefix, also when Down failed or the server never answered.
 */
async function cleanUp(c: {
  server: RunningServer | undefined; realized: boolean; live: boolean; prefix: string | undefined;
  dataDir: string; dir: string; keep: boolean; out: (s?: string) => void;
}): Promise<string[]> {
  const problems: string[] = [];
  const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
  if (c.server && c.realized) {
    await new Client(c.server.url, c.server.operator).call('/v1/vpcflow/Down').catch((e: unknown) => c.out(`the server could not remove the demo's namespaces (${message(e)}); removing them directly`));
  }
  if (c.server) await c.server.stop().catch((e: unknown) => problems.push(`stopping the demo server: ${message(e)}`));
  if (c.live && c.prefix !== undefined) {
    try {
      const r = await down(join(c.dataDir, 'dataplane.json'), { prefix: c.prefix });
      for (const p of r.stopped ?? []) c.out(`  stopped pid ${p.pid} (${formatArgv(p.argv)}) in namespace ${p.namespace}`);
      if (r.removed.length) c.out(`  removed namespaces ${r.removed.join(', ')}`);
      for (const b of r.busy) problems.push(`namespace ${b.namespace} lives on while processes ${b.pids.join(', ')} run in it`);
    } catch (e) {
      problems.push(`namespaces ${c.prefix}-*: ${message(e)}`);
    }
  }
  if (c.keep) {
    c.out(`\ndemo data kept in ${c.dir}`);
  } else {
    try {
      rmSync(c.dir, { recursive: true, force: true });
    } catch (e) {
      problems.push(`the folder ${c.dir}: ${message(e)}`);
    }
  }
  return problems;
}

/**
 * Keeps the demo's network, traffic and console going until Ctrl-C: prints the console's address, an
 * account key to sign in with and which page shows what, then makes a round of traffic (live) or
 * ingests a fresh capture of it (otherwise) every little while, so the live tail and charts move.
 */
async function serveConsole(o: {
  server: RunningServer; api: Client; live: boolean; intervalSec: number; dir: string; out: (s?: string) => void; signal: AbortSignal;
}): Promise<void> {
  const { out, api, signal } = o;
  const key = (await api.call<{ AccessKey: { AccessKeyId: string; SecretAccessKey: string } }>('/v1/vpcflow/CreateAccessKey', { AccountId: '111122223333' })).AccessKey;
  const page = (hash: string) => `${o.server.url}/console/#/${hash}`;
  out(`\nweb console: ${o.server.url}/console/   sign in with account 111122223333's key (made now, shown only here):`);
  out(`  Access key ID      ${key.AccessKeyId}`);
  out(`  Secret access key  ${key.SecretAccessKey}`);
  out('\nwhat each page shows:');
  const vpc = 'vpc-0a1b2c3d4e5f60718';
  for (const [hash, what] of [
    [`vpcs/${vpc}/flow-logs`, 'the VPC\'s flow logs; "Create flow log" adds one (also on subnet and interface pages)'],
    [`log-groups/${encodeURIComponent('/vpc/demo')}/tail`, 'live tail: records of /vpc/demo as they are delivered'],
    ['traffic?range=1h', 'bytes, packets and records over time, top talkers, a sankey; filter e.g. action = REJECT'],
    ['rejected?range=1h', o.live ? 'every REJECT with the rule that decided it' : 'REJECT records (the kernel\'s rule is known for live traffic, as root)'],
    [`map?vpc=${vpc}&range=1h`, 'subnets and interfaces with the flows between them'],
    ['archive', 'the S3-layout archive: folders, files, preview, download'],
  ] as const) out(`  ${page(hash)}\n      ${what}`);
  out(`\n${o.live ? 'traffic runs in the instances' : 'a new capture of the same traffic is ingested'} every ${o.live ? o.intervalSec * 2 : 30} s. Ctrl-C stops the demo and removes everything it built.`);
  for (let round = 1; !signal.aborted; round++) {
    if (o.live) {
      await runLiveTraffic({ api, out: () => undefined, intervalSec: o.intervalSec, signal });
    } else {
      await sleep(30_000, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) break;
      await ingestGeneratedTraffic(api, o.dir, () => undefined, Math.floor(Date.now() / 1000) - 60, `demo-${round}.pcap`);
    }
  }
  throw signal.reason;
}

async function ingestGeneratedTraffic(api: Client, dir: string, out: (s?: string) => void, start = Math.floor(Date.now() / 1000) - 600, name = 'demo.pcap'): Promise<void> {
  const capture = demoCapture([
    { client: '10.0.2.20', server: '10.0.1.10', protocol: 'tcp', port: 80, exchanges: 4, startSec: start + 1 },
    { client: '10.0.2.20', server: '10.0.1.10', protocol: 'tcp', port: 443, exchanges: 2, startSec: start + 30 },
    { client: '10.0.1.10', server: '10.0.2.20', protocol: 'udp', port: 5353, exchanges: 3, startSec: start + 70 },
    { client: '10.0.1.10', server: '10.0.2.20', protocol: 'icmp', exchanges: 4, startSec: start + 95 },
    { client: '10.0.2.20', server: '10.0.1.10', protocol: 'tcp', port: 22, unanswered: true, startSec: start + 130 },
    { client: '10.0.1.10', server: '198.51.100.7', protocol: 'tcp', port: 443, exchanges: 2, startSec: start + 200 },
  ]);
  const pcap = join(dir, name);
  writeFileSync(pcap, capture);
  const ingested = await api.upload<{ Packets: number; Records: number; Windows: number }>(`/v1/vpcflow/Ingest?name=${encodeURIComponent(name)}`, createReadStream(pcap), capture.length);
  out(`$ vpcflow ingest demo.pcap  → ${ingested.Packets} packets, ${ingested.Windows} windows, ${ingested.Records} records delivered\n`);
}

/**
 * A capture carries no verdicts (every packet in it was delivered), so without root the demo also shows
 * REJECT: records that a live run of this demo produced on a real kernel, kept in examples/ and
 * imported here as anyone imports AWS flow logs. Labelled as what they are.
 */
async function importRecordedVerdicts(api: Client, out: (s?: string) => void): Promise<void> {
  const file = join(import.meta.dirname, '..', '..', 'examples', 'live-demo-records.log');
  if (!existsSync(file)) return;
  const group = '/vpc/demo-recorded-live';
  const q = new URLSearchParams({ name: 'live-demo-records.log', logGroupName: group });
  const r = await api.upload<{ Records: number }>(`/v1/vpcflow/Import?${q}`, createReadStream(file), statSync(file).size);
  out(`$ vpcflow import examples/live-demo-records.log --log-group-name ${group}  → ${r.Records} records`);
  out('  (RECORDED, not this machine\'s traffic: what a live run of this demo logged on a real kernel, where the');
  out('   security group refused SSH and the network ACL refused DNS and ping; run the demo as root to make your own)');
  const rejects = await api.call<{ events: { logStreamName: string; message: string }[] }>('/v1/logs/FilterLogEvents', { logGroupName: group, filterPattern: 'REJECT', limit: 10 });
  for (const e of rejects.events) out(`  ${e.logStreamName} ${e.message}`);
  out();
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out.sort();
}
