// End-to-end: metric filters on a flow-log log group, through the real aws CLI v2 (/usr/bin/aws)
// against a real `vpcflow serve` process: filters put, described, tested and refused with AWS's
// errors; a third-party capture ingested; and the metrics `vpcflow metrics get` reports compared with
// an independent per-minute count over the events `aws logs filter-log-events` returns.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VpcflowServer, ROOT } from '../helpers/cli.ts';

const AWS = '/usr/bin/aws';
const ACCOUNT = '111122223333';
const OTHER = '444455556666';
const VPC = 'vpc-0b1b2c3d4e5f60718';
const SUBNET = 'subnet-0b1b2c3d4e5f60718';
const GROUP = '/vpc/metrics';
const NS = 'VPCFlowLogs';
// ipfixprobe's mixed.pcap: 10.5.5.1 talking to 8.8.8.8 / 8.8.4.4 (DNS) and to 10.5.5.26, over ~15
// minutes. Captured traffic gives ACCEPT records only; REJECT evaluation is covered by the unit tests.
const CAPTURE = join(ROOT, '../shared/testdata/pcap/ipfixprobe/mixed.pcap');
const SKIP = !existsSync(AWS)
  ? `${AWS} (aws CLI v2, Debian package awscli) is not installed: the metric filter end-to-end test did not run`
  : !existsSync(CAPTURE) ? `third-party capture missing at ${CAPTURE} (../shared/testdata from the repo root): the metric filter end-to-end test did not run` : false;

const NETWORK = `account: "${ACCOUNT}"
region: us-east-1
vpcs:
  - id: ${VPC}
    cidr: 10.5.0.0/16
    subnets:
      - { id: ${SUBNET}, cidr: 10.5.4.0/23, availability-zone: us-east-1b }
    instances:
      - id: i-0b1b2c3d4e5f60718
        subnet: ${SUBNET}
        interfaces: [{ id: eni-0b1b2c3d4e5f60718, private-ip: 10.5.5.1 }]
      - id: i-0b2b2c3d4e5f60718
        subnet: ${SUBNET}
        interfaces: [{ id: eni-0b2b2c3d4e5f60718, private-ip: 10.5.5.26 }]
`;

const FIELDS = ['version', 'account', 'eni', 'source', 'destination', 'srcport', 'destport', 'protocol', 'packets', 'bytes', 'windowstart', 'windowend', 'action', 'flowlogstatus'];
const ALL_FIELDS = `[${FIELDS.join(', ')}]`;
const DNS_PATTERN = '[version, account, eni, source, destination, srcport, destport="53", protocol="17", packets, bytes, windowstart, windowend, action="ACCEPT", flowlogstatus]';
const SSH_REJECT_PATTERN = '[version, account, eni, source, destination, srcport, destport="22", protocol="6", packets, bytes, windowstart, windowend, action="REJECT", flowlogstatus]';

interface Key {
  accessKeyId: string;
  secretAccessKey: string;
}
interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let server: VpcflowServer;
let key: Key;
let otherKey: Key;

function aws(k: Key, args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, HOME: server.dataDir, AWS_ACCESS_KEY_ID: k.accessKeyId, AWS_SECRET_ACCESS_KEY: k.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: join(server.dataDir, 'no-config'), AWS_SHARED_CREDENTIALS_FILE: join(server.dataDir, 'no-credentials'),
    AWS_PAGER: '', AWS_MAX_ATTEMPTS: '1',
  };
  return new Promise((resolve) => {
    execFile(AWS, ['--endpoint-url', server.endpoint, '--output', 'json', ...args], { env, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0, stdout, stderr });
    });
  });
}

async function ok<T = Record<string, unknown>>(k: Key, args: string[]): Promise<T> {
  const r = await aws(k, args);
  assert.equal(r.code, 0, `aws ${args.join(' ')} failed:\n${r.stderr}`);
  return (r.stdout.trim() ? JSON.parse(r.stdout) : {}) as T;
}

async function fails(k: Key, args: string[], code: string, message?: RegExp): Promise<void> {
  const r = await aws(k, args);
  assert.equal(r.code, 254, `aws ${args.join(' ')}: expected a service error, got exit ${r.code}\n${r.stdout}${r.stderr}`);
  assert.match(r.stderr, new RegExp(`An error occurred \\(${code}\\)`), r.stderr);
  if (message) assert.match(r.stderr, message);
}

async function cli<T = Record<string, unknown>>(args: string[]): Promise<T> {
  const r = await server.run([...args, '--output', 'json']);
  assert.equal(r.code, 0, `vpcflow ${args.join(' ')} failed:\n${r.stderr}`);
  return (r.stdout.trim() ? JSON.parse(r.stdout) : {}) as T;
}

async function accessKey(account: string): Promise<Key> {
  const { AccessKey } = await cli<{ AccessKey: { AccessKeyId: string; SecretAccessKey: string } }>(['accounts', 'create', '--account', account]);
  return { accessKeyId: AccessKey.AccessKeyId, secretAccessKey: AccessKey.SecretAccessKey };
}

const putFilter = (k: Key, name: string, pattern: string, transformation: Record<string, unknown>) =>
  aws(k, ['logs', 'put-metric-filter', '--log-group-name', GROUP, '--filter-name', name, '--filter-pattern', pattern, '--metric-transformations', JSON.stringify([{ metricNamespace: NS, ...transformation }])]);

interface Datapoint {
  Timestamp: string;
  Sum: number;
  SampleCount: number;
  Minimum: number;
  Maximum: number;
  Average: number;
  Unit: string;
}

async function metric(name: string, start: number, end: number, opts: { dimension?: string; period?: number } = {}): Promise<Datapoint[]> {
  const args = ['metrics', 'get', '--namespace', NS, '--metric', name, '--start', new Date(start).toISOString(), '--end', String(end), '--period', String(opts.period ?? 60)];
  if (opts.dimension) args.push('--dimension', opts.dimension);
  return (await cli<{ Label: string; Datapoints: Datapoint[] }>(args)).Datapoints;
}

before(async () => {
  if (SKIP) return;
  server = new VpcflowServer();
  await server.start();
  writeFileSync(join(server.dataDir, 'network.yaml'), NETWORK);
  await cli(['apply', join(server.dataDir, 'network.yaml')]);
  key = await accessKey(ACCOUNT);
  otherKey = await accessKey(OTHER);
});

after(async () => {
  await server?.stop();
});

test('metric filters are put, refused, described and tested through the aws CLI', { skip: SKIP }, async () => {
  await fails(key, ['logs', 'put-metric-filter', '--log-group-name', GROUP, '--filter-name', 'x', '--filter-pattern', 'REJECT', '--metric-transformations', 'metricName=M,metricNamespace=N,metricValue=1'],
    'ResourceNotFoundException', /The specified log group does not exist\./);
  await ok(key, ['logs', 'create-log-group', '--log-group-name', GROUP]);
  const created = await cli<{ FlowLogIds: string[] }>(['flow-logs', 'create', '--resource-type', 'VPC', '--resource-ids', VPC, '--traffic-type', 'ALL', '--log-group-name', GROUP, '--max-aggregation-interval', '60']);
  assert.equal(created.FlowLogIds.length, 1);

  let r = await putFilter(key, 'bytes-by-action', ALL_FIELDS, { metricName: 'Bytes', metricValue: '$bytes', unit: 'Bytes', dimensions: { Action: '$action' } });
  assert.equal(r.code, 0, r.stderr);
  r = await putFilter(key, 'dns-packets', DNS_PATTERN, { metricName: 'DnsPackets', metricValue: '$packets', defaultValue: 0 });
  assert.equal(r.code, 0, r.stderr);
  r = await putFilter(key, 'ssh-rejects', SSH_REJECT_PATTERN, { metricName: 'SshRejects', metricValue: '1' });
  assert.equal(r.code, 0, r.stderr);
  // The vpcflow CLI puts filters through the native API the same way.
  const mine = await server.run(['logs', 'put-metric-filter', '--log-group-name', GROUP, '--filter-name', 'all-records', '--filter-pattern', '', '--metric-name', 'Records', '--metric-namespace', NS]);
  assert.equal(mine.code, 0, mine.stderr);

  // Refusals: the parser's precise message, AWS's limits.
  const badPattern = await putFilter(key, 'bad', '[version, account, eni', { metricName: 'M', metricValue: '1' });
  assert.equal(badPattern.code, 254);
  assert.match(badPattern.stderr, /\(InvalidParameterException\).*Invalid filter pattern \(at position 22: unexpected end of pattern \(missing '\]'\)\)/);
  await fails(key, ['logs', 'put-metric-filter', '--log-group-name', GROUP, '--filter-name', 'bad', '--filter-pattern', 'REJECT', '--metric-transformations', JSON.stringify([{ metricName: 'M', metricNamespace: NS, metricValue: '1', dimensions: { A: '$action' } }])],
    'InvalidParameterException', /The specified filter pattern does not support dimensions/);
  await fails(key, ['logs', 'put-metric-filter', '--log-group-name', GROUP, '--filter-name', 'bad', '--filter-pattern', ALL_FIELDS, '--metric-transformations', JSON.stringify([{ metricName: 'M', metricNamespace: NS, metricValue: '$octets' }])],
    'InvalidParameterException', /'octets' is not a field of the filter pattern/);

  const described = await ok<{ metricFilters: { filterName: string; filterPattern: string; logGroupName: string; creationTime: number; metricTransformations: Record<string, unknown>[] }[] }>(key, ['logs', 'describe-metric-filters', '--log-group-name', GROUP]);
  assert.deepEqual(described.metricFilters.map((f) => f.filterName), ['all-records', 'bytes-by-action', 'dns-packets', 'ssh-rejects']);
  const dns = described.metricFilters.find((f) => f.filterName === 'dns-packets')!;
  assert.equal(dns.filterPattern, DNS_PATTERN);
  assert.equal(dns.logGroupName, GROUP);
  assert.ok(Number.isInteger(dns.creationTime) && dns.creationTime > 1.7e12);
  assert.deepEqual(dns.metricTransformations, [{ metricName: 'DnsPackets', metricNamespace: NS, metricValue: '$packets', defaultValue: 0 }]);
  assert.deepEqual(described.metricFilters.find((f) => f.filterName === 'bytes-by-action')!.metricTransformations, [{ metricName: 'Bytes', metricNamespace: NS, metricValue: '$bytes', unit: 'Bytes', dimensions: { Action: '$action' } }]);
  const byMetric = await ok<{ metricFilters: { filterName: string }[] }>(key, ['logs', 'describe-metric-filters', '--metric-name', 'SshRejects', '--metric-namespace', NS]);
  assert.deepEqual(byMetric.metricFilters.map((f) => f.filterName), ['ssh-rejects']);
  const paged = await ok<{ metricFilters: { filterName: string }[] }>(key, ['logs', 'describe-metric-filters', '--log-group-name', GROUP, '--page-size', '1']);
  assert.equal(paged.metricFilters.length, 4, 'the aws CLI follows nextToken page by page');
  assert.deepEqual((await ok<{ metricFilters: unknown[] }>(otherKey, ['logs', 'describe-metric-filters'])).metricFilters, [], 'another account sees no filters');
  await fails(otherKey, ['logs', 'describe-metric-filters', '--log-group-name', GROUP], 'ResourceNotFoundException');

  const sample = [
    `2 ${ACCOUNT} eni-0b1b2c3d4e5f60718 10.5.5.1 8.8.4.4 50000 53 17 3 219 1477674100 1477674160 ACCEPT OK`,
    `2 ${ACCOUNT} eni-0b1b2c3d4e5f60718 10.5.5.1 10.5.5.26 50000 22 6 3 219 1477674100 1477674160 REJECT OK`,
  ];
  const tested = await ok<{ matches: { eventNumber: number; eventMessage: string; extractedValues: Record<string, string> }[] }>(key, ['logs', 'test-metric-filter', '--filter-pattern', DNS_PATTERN, '--log-event-messages', ...sample]);
  assert.equal(tested.matches.length, 1);
  assert.equal(tested.matches[0]!.eventMessage, sample[0]);
  assert.deepEqual(tested.matches[0]!.extractedValues, Object.fromEntries(FIELDS.map((f, i) => [`$${f}`, sample[0]!.split(' ')[i]])));
});

test('metrics from an ingested capture equal an independent count over the delivered events', { skip: SKIP }, async () => {
  const ingest = await server.run(['ingest', CAPTURE]);
  assert.equal(ingest.code, 0, ingest.stderr);
  const events = (await ok<{ events: { timestamp: number; message: string }[] }>(key, ['logs', 'filter-log-events', '--log-group-name', GROUP])).events;
  assert.ok(events.length > 5, `expected records for the capture, got ${events.length}`);

  // Independent count: split each delivered line on spaces and fold per minute of its timestamp.
  type Agg = { sum: number; count: number; min: number; max: number };
  const fold = (m: Map<number, Agg>, minute: number, v: number) => {
    const a = m.get(minute) ?? { sum: 0, count: 0, min: Infinity, max: -Infinity };
    m.set(minute, { sum: a.sum + v, count: a.count + 1, min: Math.min(a.min, v), max: Math.max(a.max, v) });
  };
  const bytesBy = new Map<string, Map<number, Agg>>();
  const dnsPackets = new Map<number, Agg>();
  const records = new Map<number, Agg>();
  const minutesWithEvents = new Set<number>();
  let sshRejects = 0;
  for (const e of events) {
    const minute = Math.floor(e.timestamp / 60_000) * 60_000;
    minutesWithEvents.add(minute);
    fold(records, minute, 1);
    const f = Object.fromEntries(e.message.split(' ').map((v, i) => [FIELDS[i], v]));
    assert.equal(e.message.split(' ').length, FIELDS.length, e.message);
    if (/^\d+$/.test(f.bytes!)) {
      if (!bytesBy.has(f.action!)) bytesBy.set(f.action!, new Map());
      fold(bytesBy.get(f.action!)!, minute, Number(f.bytes));
    }
    if (f.destport === '53' && f.protocol === '17' && f.action === 'ACCEPT') fold(dnsPackets, minute, Number(f.packets));
    if (f.destport === '22' && f.protocol === '6' && f.action === 'REJECT') sshRejects++;
  }
  assert.ok(dnsPackets.size > 0, 'the capture holds DNS queries');
  assert.ok(bytesBy.get('ACCEPT')?.size, 'the capture gives ACCEPT records with byte counts');
  const start = Math.min(...minutesWithEvents);
  const end = Math.max(...minutesWithEvents) + 60_000;
  const expected = (m: Map<number, Agg>) => [...m].sort(([a], [b]) => a - b).map(([minute, a]) => [new Date(minute).toISOString(), a.sum, a.count, a.min, a.max]);
  const got = (points: Datapoint[]) => points.map((p) => [p.Timestamp, p.Sum, p.SampleCount, p.Minimum, p.Maximum]);

  for (const [action, perMinute] of bytesBy) {
    const points = await metric('Bytes', start, end, { dimension: `Action=${action}` });
    assert.deepEqual(got(points), expected(perMinute), `Bytes for Action=${action}`);
    assert.ok(points.every((p) => p.Unit === 'Bytes'));
  }
  assert.deepEqual(got(await metric('Records', start, end)), expected(records));
  // DnsPackets has defaultValue 0: every minute with events but no DNS query reports one sample of 0.
  const dnsExpected = new Map(dnsPackets);
  for (const minute of minutesWithEvents) if (!dnsExpected.has(minute)) dnsExpected.set(minute, { sum: 0, count: 1, min: 0, max: 0 });
  assert.deepEqual(got(await metric('DnsPackets', start, end)), expected(dnsExpected));
  const sshPoints = await metric('SshRejects', start, end);
  assert.equal(sshPoints.reduce((s, p) => s + p.Sum, 0), sshRejects);
  // A 5-minute period folds the same samples.
  const total = [...records.values()].reduce((s, a) => s + a.count, 0);
  const fiveMinutes = await metric('Records', start, end + 300_000, { period: 300 });
  assert.equal(fiveMinutes.reduce((s, p) => s + p.SampleCount, 0), total);
  assert.ok(fiveMinutes.every((p) => Date.parse(p.Timestamp) % 300_000 === 0));

  const badPeriod = await server.run(['metrics', 'get', '--namespace', NS, '--metric', 'Records', '--start', String(start), '--end', String(end), '--period', '90']);
  assert.notEqual(badPeriod.code, 0);
  assert.match(badPeriod.stderr, /multiple of 60/);
});

test('the vpcflow CLI describes and deletes filters; deleting the group removes the rest', { skip: SKIP }, async () => {
  const listed = await cli<{ metricFilters: { filterName: string }[] }>(['logs', 'describe-metric-filters', '--log-group-name', GROUP]);
  assert.deepEqual(listed.metricFilters.map((f) => f.filterName), ['all-records', 'bytes-by-action', 'dns-packets', 'ssh-rejects']);
  await cli(['logs', 'delete-metric-filter', '--log-group-name', GROUP, '--filter-name', 'ssh-rejects']);
  const missing = await server.run(['logs', 'delete-metric-filter', '--log-group-name', GROUP, '--filter-name', 'ssh-rejects']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /does not exist/);
  assert.deepEqual((await cli<{ metricFilters: { filterName: string }[] }>(['logs', 'describe-metric-filters', '--log-group-name', GROUP])).metricFilters.map((f) => f.filterName), ['all-records', 'bytes-by-action', 'dns-packets']);
  await ok(key, ['logs', 'delete-log-group', '--log-group-name', GROUP]);
  await ok(key, ['logs', 'create-log-group', '--log-group-name', GROUP]);
  assert.deepEqual((await ok<{ metricFilters: unknown[] }>(key, ['logs', 'describe-metric-filters', '--log-group-name', GROUP])).metricFilters, []);
});
