// `vpcflow demo`: a server on a temporary folder, a sample network, three flow logs (log store,
// gzip text and Parquet archives), traffic, and what came out of it. As root with the kernel tools
// present the network is realized on this host and real programs make the traffic (demo-live.ts);
// elsewhere a generated capture of the same kind of traffic is ingested.

import { mkdtempSync, rmSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startServer } from '../app/server.ts';
import { Client } from './client.ts';
import { demoCapture } from './demo-traffic.ts';
import { printRows } from './output.ts';
import { createReadStream, existsSync } from 'node:fs';
import { LIVE_DEMO_NETWORK, demoPrefix, liveDemoUnavailable, runLiveTraffic } from './demo-live.ts';

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

export async function runDemo(opts: { port: number; keep: boolean; mode: DemoMode }): Promise<void> {
  const out = (s = '') => process.stdout.write(s + '\n');
  const unavailable = opts.mode === 'capture' ? 'you asked for --capture' : liveDemoUnavailable();
  if (unavailable && opts.mode === 'live') throw new Error(`the live demo cannot run here: ${unavailable}`);
  const live = unavailable === undefined;
  if (!live) out(`(not building a real network because ${unavailable}: ingesting a generated capture instead)\n`);
  const dir = mkdtempSync(join(tmpdir(), 'vpcflow-demo-'));
  const prefix = live ? demoPrefix() : undefined;
  const server = await startServer({
    dataDir: join(dir, 'data'), port: opts.port, quiet: true,
    ...(live ? { realize: true, dataplanePrefix: prefix, allowShortIntervals: true } : {}),
  }, false);
  const api = new Client(server.url, server.operator);
  let realized = false;
  try {
    out(`vpcflow demo — server ${server.url}, data in ${join(dir, 'data')}${live ? `, namespaces ${prefix}-*` : ''}\n`);
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
      await runLiveTraffic({ api, out, intervalSec: interval });
    } else {
      await ingestGeneratedTraffic(api, dir, out);
    }

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
      // Stopping the live path delivers the archive's open 5-minute period as files.
      const down = await api.call<{ Removed: string[] }>('/v1/vpcflow/Down');
      realized = false;
      out(`\n$ vpcflow down   (removed ${down.Removed.length} namespaces)`);
    }
    out('\narchive objects (AWS S3 layout):');
    const s3 = join(dir, 'data', 's3');
    for (const f of existsSync(s3) ? listFiles(s3) : []) out(`  s3/${relative(s3, f)}  (${statSync(f).size} bytes)`);
    out(`\nnext: 'vpcflow serve --data-dir ./data${live ? ' --realize' : ''}' and 'vpcflow --help'; the README has a tour.`);
  } finally {
    if (realized) await api.call('/v1/vpcflow/Down').catch((e: unknown) => out(`could not remove the demo's namespaces: ${e instanceof Error ? e.message : String(e)}`));
    await server.stop();
    if (opts.keep) out(`\ndemo data kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

async function ingestGeneratedTraffic(api: Client, dir: string, out: (s?: string) => void): Promise<void> {
  const start = Math.floor(Date.now() / 1000) - 600;
  const capture = demoCapture([
    { client: '10.0.2.20', server: '10.0.1.10', protocol: 'tcp', port: 80, exchanges: 4, startSec: start + 1 },
    { client: '10.0.2.20', server: '10.0.1.10', protocol: 'tcp', port: 443, exchanges: 2, startSec: start + 30 },
    { client: '10.0.1.10', server: '10.0.2.20', protocol: 'udp', port: 5353, exchanges: 3, startSec: start + 70 },
    { client: '10.0.1.10', server: '10.0.2.20', protocol: 'icmp', exchanges: 4, startSec: start + 95 },
    { client: '10.0.2.20', server: '10.0.1.10', protocol: 'tcp', port: 22, unanswered: true, startSec: start + 130 },
    { client: '10.0.1.10', server: '198.51.100.7', protocol: 'tcp', port: 443, exchanges: 2, startSec: start + 200 },
  ]);
  const pcap = join(dir, 'demo.pcap');
  writeFileSync(pcap, capture);
  const ingested = await api.upload<{ Packets: number; Records: number; Windows: number }>('/v1/vpcflow/Ingest?name=demo.pcap', createReadStream(pcap), capture.length);
  out(`$ vpcflow ingest demo.pcap  → ${ingested.Packets} packets, ${ingested.Windows} windows, ${ingested.Records} records delivered\n`);
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
