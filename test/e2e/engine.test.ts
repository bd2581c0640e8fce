// End-to-end: the real CLI against a real server process — apply, flow logs at all three levels to
// both destinations, ingest a capture, read records back through the log store, the archive (with
// DuckDB's own readers) and SQL, and bad input of every kind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readdirSync, statSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { execFileSync } from 'node:child_process';
import { DuckDBInstance } from '@duckdb/node-api';
import { VpcflowServer } from '../helpers/cli.ts';
import { demoCapture } from '../../src/cli/demo-traffic.ts';
import { DEMO_NETWORK } from '../../src/cli/demo.ts';

const VPC = 'vpc-0a1b2c3d4e5f60718';
const SUBNET_A = 'subnet-0a1b2c3d4e5f60718';
const ENI_A = 'eni-0a1b2c3d4e5f60718';
const ENI_B = 'eni-0f1e2d3c4b5a69788';
let server: VpcflowServer;
let work: string;
let pcap: string;
const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

async function duck<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowObjectsJson() as T[];
  } finally {
    c.closeSync();
    inst.closeSync();
  }
}

before(async () => {
  server = new VpcflowServer();
  await server.start();
  work = server.dataDir;
  writeFileSync(join(work, 'network.yaml'), DEMO_NETWORK);
  pcap = join(work, 'capture.pcap');
  writeFileSync(pcap, demoCapture([
    { client: '10.0.2.20', server: '10.0.1.10', protocol: 'tcp', port: 80, exchanges: 4, startSec: T0 + 10 },
    { client: '10.0.2.20', server: '10.0.1.10', protocol: 'tcp', port: 22, unanswered: true, startSec: T0 + 20 },
    { client: '10.0.1.10', server: '10.0.2.20', protocol: 'udp', port: 5353, exchanges: 3, startSec: T0 + 70 },
    { client: '10.0.1.10', server: '198.51.100.7', protocol: 'icmp', exchanges: 4, startSec: T0 + 400 },
  ]));
});

after(async () => {
  await server?.stop();
});

test('apply creates the network, re-applying changes nothing, bad documents change nothing', async () => {
  const first = await server.run(['apply', join(work, 'network.yaml'), '--output', 'text']);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, new RegExp(`\\+ \\S+ ${VPC}`));
  assert.match(first.stdout, new RegExp(`\\+ \\S+ ${ENI_B}`));
  const again = await server.run(['apply', join(work, 'network.yaml'), '--output', 'text']);
  assert.equal(again.stdout.trim(), 'no changes');
  const bad = join(work, 'bad.yaml');
  writeFileSync(bad, DEMO_NETWORK.replace('cidr: 10.0.2.0/24', 'cidr: 10.0.2.0/33'));
  const refused = await server.run(['apply', bad]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /10\.0\.2\.0\/33/);
  assert.match(refused.stderr, /subnets\[1\]/);
  const shown = JSON.parse((await server.run(['network'])).stdout);
  assert.equal(JSON.stringify(shown).includes('10.0.2.0/33'), false);
});

test('flow-logs create/describe/delete speak the aws CLI', async () => {
  const mk = async (args: string[]) => {
    const r = await server.run(['flow-logs', 'create', ...args]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as { FlowLogIds: string[]; Unsuccessful: unknown[] };
  };
  const rejects = await mk(['--resource-type', 'Subnet', '--resource-ids', SUBNET_A, '--traffic-type', 'REJECT', '--log-destination-type', 'cloud-watch-logs', '--log-group-name', '/vpc/rejects', '--max-aggregation-interval', '60']);
  assert.equal(rejects.FlowLogIds.length, 1);
  assert.match(rejects.FlowLogIds[0]!, /^fl-[0-9a-f]{17}$/);
  await mk(['--resource-type', 'NetworkInterface', '--resource-ids', ENI_A, ENI_B, '--traffic-type', 'ALL', '--log-group-name', '/vpc/all', '--max-aggregation-interval', '60']);
  await mk(['--resource-type', 'VPC', '--resource-ids', VPC, '--traffic-type', 'ALL', '--log-destination-type', 's3', '--log-destination', 'arn:aws:s3:::my-bucket/prefix',
    '--destination-options', 'FileFormat=parquet,HiveCompatiblePartitions=true,PerHourPartition=true', '--max-aggregation-interval', '60']);
  await mk(['--resource-type', 'VPC', '--resource-ids', VPC, '--traffic-type', 'ACCEPT', '--log-destination-type', 's3', '--log-destination', 'arn:aws:s3:::my-bucket/text/',
    '--log-format', '${version} ${vpc-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${tcp-flags} ${flow-direction} ${log-status}',
    '--max-aggregation-interval', '60']);

  const all = JSON.parse((await server.run(['flow-logs', 'describe'])).stdout) as { FlowLogs: Record<string, unknown>[] };
  assert.equal(all.FlowLogs.length, 5);
  const s3 = JSON.parse((await server.run(['flow-logs', 'describe', '--filter', 'Name=log-destination-type,Values=s3'])).stdout) as { FlowLogs: Record<string, unknown>[] };
  assert.equal(s3.FlowLogs.length, 2);
  assert.deepEqual(s3.FlowLogs.find((f) => f.LogDestination === 'arn:aws:s3:::my-bucket/prefix')!.DestinationOptions, { FileFormat: 'parquet', HiveCompatiblePartitions: true, PerHourPartition: true });
  const byGroup = JSON.parse((await server.run(['flow-logs', 'describe', '--filter', 'Name=log-group-name,Values=/vpc/all', '--filter', 'Name=resource-id,Values=' + ENI_B])).stdout);
  assert.equal(byGroup.FlowLogs.length, 1);
  assert.equal(byGroup.FlowLogs[0].LogFormat, '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}');

  const dup = await server.run(['flow-logs', 'create', '--resource-type', 'Subnet', '--resource-ids', SUBNET_A, '--traffic-type', 'REJECT', '--log-group-name', '/vpc/rejects', '--max-aggregation-interval', '60']);
  assert.equal(dup.code, 0, 'like the aws CLI: the call succeeds, the resource is reported unsuccessful');
  const dupOut = JSON.parse(dup.stdout);
  assert.deepEqual([dupOut.FlowLogIds, dupOut.Unsuccessful[0].Error.Code, dupOut.Unsuccessful[0].ResourceId], [[], 'FlowLogAlreadyExists', SUBNET_A]);
  const badFormat = await server.run(['flow-logs', 'create', '--resource-type', 'VPC', '--resource-ids', VPC, '--traffic-type', 'ALL', '--log-group-name', '/vpc/x', '--log-format', '${version} ${no-such-field}']);
  assert.notEqual(badFormat.code, 0);
  assert.match(badFormat.stderr, /at 'logFormat' has an invalid format/);
  const unknown = JSON.parse((await server.run(['flow-logs', 'create', '--resource-type', 'VPC', '--resource-ids', 'vpc-0123456789abcdef0', '--traffic-type', 'ALL', '--log-group-name', '/vpc/y'])).stdout);
  assert.deepEqual(unknown.FlowLogIds, []);
  assert.equal(unknown.Unsuccessful[0].Error.Code, 'InvalidVpcID.NotFound');
  assert.equal(JSON.parse((await server.run(['flow-logs', 'describe'])).stdout).FlowLogs.length, 5, 'failed creates left nothing');
});

test('ingest delivers every window to every destination before it returns', async () => {
  const r = await server.run(['ingest', pcap]);
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout).Ingested[0];
  assert.equal(res.Problems, 0);
  assert.ok(res.Records > 0);

  // Ground truth: per 5-tuple packet and byte totals from tshark on the same file.
  const truth = new Map<string, [number, number]>();
  const tshark = execFileSync('tshark', ['-r', pcap, '-T', 'fields', '-E', 'separator=,', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'ip.proto', '-e', 'tcp.srcport', '-e', 'udp.srcport', '-e', 'tcp.dstport', '-e', 'udp.dstport', '-e', 'ip.len'], { encoding: 'utf8' });
  for (const line of tshark.trim().split('\n')) {
    const [src, dst, proto, ts, us, td, ud, len] = line.split(',');
    const key = [src, dst, proto, ts || us || '0', td || ud || '0'].join(' ');
    const t = truth.get(key) ?? [0, 0];
    truth.set(key, [t[0] + 1, t[1] + Number(len)]);
  }
  const q = await server.run(['query', "select pkt_srcaddr, pkt_dstaddr, protocol, srcport, dstport, sum(packets)::INT p, sum(bytes)::INT b from flows where flow_log_id in (select distinct flow_log_id from flows where destination = 's3://my-bucket/prefix/') and log_status = 'OK' and flow_direction = case when pkt_srcaddr in ('10.0.1.10','10.0.2.20') then 'egress' else 'ingress' end group by all", '--output', 'json']);
  assert.equal(q.code, 0, q.stderr);
  const ours = new Map((JSON.parse(q.stdout) as Record<string, unknown>[]).map((r) => [[r.pkt_srcaddr, r.pkt_dstaddr, r.protocol, r.srcport, r.dstport].join(' '), [Number(r.p), Number(r.b)]]));
  assert.deepEqual(Object.fromEntries([...ours].sort()), Object.fromEntries([...truth].sort()));
});

test('log store: streams per interface, filter patterns and tail', async () => {
  const streams = JSON.parse((await server.run(['logs', 'streams', '/vpc/all'])).stdout);
  assert.deepEqual(streams.logStreams.map((s: { logStreamName: string }) => s.logStreamName), [`${ENI_A}-all`, `${ENI_B}-all`]);
  const http = await server.run(['logs', 'filter', '/vpc/all', '--filter-pattern', '[version, account, eni, src, dst, srcport, dstport="80", ...]']);
  const lines = http.stdout.trim().split('\n');
  assert.equal(lines.length, 2, http.stdout + http.stderr);
  for (const l of lines) assert.match(l, new RegExp(`^${ENI_A}-all 2 111122223333 ${ENI_A} 10\\.0\\.2\\.20 10\\.0\\.1\\.10 40000 80 6 \\d+ \\d+ \\d+ \\d+ ACCEPT OK$|^${ENI_B}-all 2 111122223333 ${ENI_B} 10\\.0\\.2\\.20 10\\.0\\.1\\.10 40000 80 6 \\d+ \\d+ \\d+ \\d+ ACCEPT OK$`));
  const tail = await server.run(['logs', 'tail', '/vpc/rejects', '--since', String((T0 - 60) * 1000)]);
  assert.equal(tail.code, 0, tail.stderr);
  const tailed = tail.stdout.trim().split('\n');
  assert.ok(tailed.length >= 1);
  for (const l of tailed) assert.match(l, / - NODATA$/, 'the capture holds no REJECTs: only NODATA reaches a REJECT flow log');
});

test('archive: AWS keys in every layout, whole files that DuckDB reads with Athena names and types', async () => {
  const root = join(work, 'data', 's3', 'my-bucket');
  const keys = files(root).map((f) => relative(join(work, 'data', 's3'), f)).sort();
  const parquet = keys.filter((k) => k.endsWith('.log.parquet'));
  const text = keys.filter((k) => k.endsWith('.log.gz'));
  assert.ok(parquet.length >= 2 && text.length >= 2, keys.join('\n'));
  for (const k of parquet) assert.match(k, /^my-bucket\/prefix\/AWSLogs\/aws-account-id=111122223333\/aws-service=vpcflowlogs\/aws-region=us-east-1\/year=2026\/month=01\/day=01\/hour=00\/111122223333_vpcflowlogs_us-east-1_fl-[0-9a-f]{17}_20260101T00[0-5][05]Z_[0-9a-f]{8}\.log\.parquet$/);
  for (const k of text) assert.match(k, /^my-bucket\/text\/AWSLogs\/111122223333\/vpcflowlogs\/us-east-1\/2026\/01\/01\/111122223333_vpcflowlogs_us-east-1_fl-[0-9a-f]{17}_20260101T00[0-5][05]Z_[0-9a-f]{8}\.log\.gz$/);
  assert.equal(keys.some((k) => /\/\.|\.tmp/.test(k)), false, 'no temporary files left');

  const types = await duck<{ column_name: string; column_type: string }>(`DESCRIBE SELECT * FROM read_parquet('${root}/prefix/**/*.parquet')`);
  const typeOf = Object.fromEntries(types.map((t) => [t.column_name, t.column_type]));
  assert.deepEqual([typeOf.version, typeOf.account_id, typeOf.srcport, typeOf.packets, typeOf.bytes, typeOf.start, typeOf.end, typeOf.log_status], ['INTEGER', 'VARCHAR', 'INTEGER', 'BIGINT', 'BIGINT', 'BIGINT', 'BIGINT', 'VARCHAR']);
  const pq = await duck<{ n: string; p: string }>(`SELECT count(*) n, sum(packets) p FROM read_parquet('${root}/prefix/**/*.parquet')`);
  const fromStore = JSON.parse((await server.run(['query', "select count(*)::INT n, sum(packets)::INT p from flows where destination = 's3://my-bucket/prefix/'", '--output', 'json'])).stdout)[0];
  assert.deepEqual([Number(pq[0]!.n), Number(pq[0]!.p)], [fromStore.n, fromStore.p]);

  const gz = join(work, 'data', 's3', text[0]!);
  const header = execFileSync('sh', ['-c', 'gzip -dc "$1" | head -1', 'sh', gz], { encoding: 'utf8' }).trim();
  assert.equal(header, 'version vpc-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action tcp-flags flow-direction log-status');
  const csv = await duck<{ n: string; v: string }>(`SELECT count(*) n, min(version) v FROM read_csv('${root}/text/**/*.log.gz', delim=' ', header=true, nullstr='-')`);
  assert.equal(Number(csv[0]!.v), 5, 'flow-direction makes the custom format version 5');
  assert.ok(Number(csv[0]!.n) > 0);
});

test('bad captures are reported precisely and the server keeps serving', async () => {
  const whole = readFileSync(pcap);
  const truncated = join(work, 'truncated.pcap');
  writeFileSync(truncated, whole.subarray(0, whole.length - 30));
  const t = await server.run(['ingest', truncated]);
  assert.equal(t.code, 0, t.stderr);
  const res = JSON.parse(t.stdout).Ingested[0];
  assert.equal(res.Problems, 1);
  assert.match(res.ProblemSamples[0].Reason, /truncat/i);

  const garbage = join(work, 'garbage.pcap');
  writeFileSync(garbage, Buffer.from('this is not a capture file at all, just text\n'.repeat(10)));
  const g = await server.run(['ingest', garbage]);
  assert.notEqual(g.code, 0);
  assert.match(g.stderr, /garbage\.pcap/);
  assert.match(g.stderr, /not a pcap|magic/i);

  const health = await fetch(`${server.endpoint}/v1/health`);
  assert.equal(health.status, 200);
});

test('a destination that refuses writes: precise error, FAILED status, nothing partial', async () => {
  mkdirSync(join(work, 'data', 's3'), { recursive: true });
  writeFileSync(join(work, 'data', 's3', 'blocked-bucket'), 'a file where the bucket folder should be');
  const c = await server.run(['flow-logs', 'create', '--resource-type', 'VPC', '--resource-ids', VPC, '--traffic-type', 'ALL', '--log-destination-type', 's3', '--log-destination', 'arn:aws:s3:::blocked-bucket', '--max-aggregation-interval', '60']);
  assert.equal(c.code, 0, c.stderr);
  const id = JSON.parse(c.stdout).FlowLogIds[0];
  // The same capture again, for the new flow log: --force, since its content was ingested before.
  const r = await server.run(['ingest', pcap, '--force']);
  assert.notEqual(r.code, 0, 'a failed delivery makes the ingest fail');
  assert.match(r.stderr, new RegExp(`${id}.*blocked-bucket`));
  const d = JSON.parse((await server.run(['flow-logs', 'describe', '--flow-log-ids', id])).stdout).FlowLogs[0];
  assert.deepEqual([d.DeliverLogsStatus, d.DeliverLogsErrorMessage], ['FAILED', 'Access error']);
  const rows = JSON.parse((await server.run(['query', `select count(*)::INT n from flows where flow_log_id = '${id}'`, '--output', 'json'])).stdout);
  assert.equal(rows[0].n, 0, 'records of a failed delivery are not stored as delivered');
});

test('query refuses anything but SELECT', async () => {
  const r = await server.run(['query', 'delete from flow_records']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /only SELECT/);
  const n = JSON.parse((await server.run(['query', 'select count(*)::INT n from flows', '--output', 'json'])).stdout)[0].n;
  assert.ok(n > 0);
});
