// A newcomer's first hour with the real `vpcflow` command against a real server: one operator with
// two accounts (every account-scoped command takes --account / VPCFLOW_ACCOUNT), accounts list and
// delete-key, --version, piping into `head`, every form of the time options, aws-CLI text output,
// tables sized to 120 columns with ISO times, the empty-metrics hint, a busy port, and the benchmark
// refusing to start without its tools.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VpcflowServer, ROOT, BIN, runCli, type RunResult } from '../helpers/cli.ts';
import { demoCapture } from '../../src/cli/demo-traffic.ts';

const A = '111122223333'; // examples/network.yaml's account
const B = '444455556666';
const VPC_B = 'vpc-0b0b0b0b0b0b0b0b1';
const SUBNET_B = 'subnet-0b0b0b0b0b0b0b0b1';
const GROUP_B = '/b/flows';
const SERVER_IP = '10.9.1.10';
const CLIENT_IP = '10.9.1.20';
const NETWORK_B = `account: "${B}"
region: us-east-1
vpcs:
  - id: ${VPC_B}
    cidr: 10.9.0.0/16
    subnets:
      - { id: ${SUBNET_B}, cidr: 10.9.1.0/24, availability-zone: us-east-1a }
    instances:
      - id: i-0b0b0b0b0b0b0b0b1
        subnet: ${SUBNET_B}
        interfaces: [{ id: eni-0b0b0b0b0b0b0b0b1, private-ip: ${SERVER_IP} }]
      - id: i-0b0b0b0b0b0b0b0b2
        subnet: ${SUBNET_B}
        interfaces: [{ id: eni-0b0b0b0b0b0b0b0b2, private-ip: ${CLIENT_IP} }]
`;
// Three conversations at known times, told apart by their server port: long ago, 3 h ago, 5 min ago.
const OLD = Date.UTC(2024, 2, 1, 0, 0, 5); // 2024-03-01T00:00:05Z
const NOW = Date.now();
const HOURS_AGO = NOW - 3 * 3600_000;
const MINUTES_AGO = NOW - 5 * 60_000;
const PORT_AT = new Map([[OLD, 80], [HOURS_AGO, 443], [MINUTES_AGO, 22]]);
const FIELDS = '[version, account, eni, source, destination, srcport, destport, protocol, packets, bytes, windowstart, windowend, action, flowlogstatus]';
const PORT80 = FIELDS.replace('destport', 'destport="80"');
const AWS_TEXT_ORACLE = '/usr/bin/python3';
const NO_AWS_CLI = spawnSync(AWS_TEXT_ORACLE, ['-c', 'import awscli.text'], { stdio: 'ignore' }).status !== 0;

let server: VpcflowServer;
let work: string;
const keys: Record<string, { AccessKeyId: string; SecretAccessKey: string }> = {};

const ok = async (args: string[], env: Record<string, string> = {}): Promise<RunResult> => {
  const r = await server.run(args, { env });
  assert.equal(r.code, 0, `vpcflow ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
  return r;
};
const json = async <T = Record<string, unknown>>(args: string[], env: Record<string, string> = {}): Promise<T> =>
  JSON.parse((await ok([...args, '--output', 'json'], env)).stdout) as T;
/** The server ports of the OK records in `logs filter` text output (`STREAM MESSAGE` lines). */
const servicePorts = (stdout: string): number[] => [...new Set(stdout.trim().split('\n').filter(Boolean).map((l) => l.split(' ').slice(1))
  .filter((f) => f[13] === 'OK').map((f) => Math.min(Number(f[5]), Number(f[6]))))].sort((a, b) => a - b);

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'vpcflow-newcomer-'));
  server = new VpcflowServer();
  await server.start();
  for (const account of [A, B]) {
    keys[account] = (JSON.parse((await ok(['accounts', 'create', '--account', account, '--output', 'json'])).stdout) as { AccessKey: typeof keys[string] }).AccessKey;
  }
  writeFileSync(join(work, 'b.yaml'), NETWORK_B);
  await ok(['apply', join(ROOT, 'examples/network.yaml')]);
  await ok(['apply', join(work, 'b.yaml')]);
  const conversations = [...PORT_AT].map(([t, port]) => ({ client: CLIENT_IP, server: SERVER_IP, protocol: 'tcp' as const, port, startSec: t / 1000 }));
  writeFileSync(join(work, 'b.pcap'), demoCapture(conversations));
});

after(async () => {
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('with two accounts, every account-scoped command takes --account (or VPCFLOW_ACCOUNT) and acts in that account only', async () => {
  const ambiguous = await server.run(['flow-logs', 'describe']);
  assert.notEqual(ambiguous.code, 0);
  assert.match(ambiguous.stderr, /several accounts have networks .*name one with --account/);

  assert.equal((await json<{ Network: { account: string } }>(['network', '--account', B])).Network.account, B);
  assert.equal((await json<{ Network: { account: string } }>(['network'], { VPCFLOW_ACCOUNT: A })).Network.account, A);
  assert.equal((await json<{ Network: { account: string } }>(['network', '--account', B], { VPCFLOW_ACCOUNT: A })).Network.account, B, '--account wins over the environment');

  // A metric filter first: filters count only events delivered after them.
  await ok(['logs', 'create-group', GROUP_B, '--account', B]);
  await ok(['logs', 'put-metric-filter', '--account', B, '--log-group-name', GROUP_B, '--filter-name', 'web', '--filter-pattern', PORT80, '--metric-name', 'Web', '--metric-namespace', 'Newcomer']);
  const created = await json<{ FlowLogIds: string[] }>(['flow-logs', 'create', '--account', B, '--resource-type', 'VPC', '--resource-ids', VPC_B, '--traffic-type', 'ALL',
    '--log-destination-type', 'cloud-watch-logs', '--log-group-name', GROUP_B, '--max-aggregation-interval', '60']);
  assert.equal(created.FlowLogIds.length, 1);
  assert.equal((await json<{ FlowLogs: unknown[] }>(['flow-logs', 'describe', '--account', B])).FlowLogs.length, 1);
  assert.equal((await json<{ FlowLogs: unknown[] }>(['flow-logs', 'describe', '--account', A])).FlowLogs.length, 0);

  const ingested = await json<{ Ingested: { Records: number }[] }>(['ingest', join(work, 'b.pcap'), '--account', B]);
  assert.ok(ingested.Ingested[0]!.Records > 0, JSON.stringify(ingested));

  const groups = (account: string) => json<{ logGroups: { logGroupName: string }[] }>(['logs', 'groups', '--account', account]).then((r) => r.logGroups.map((g) => g.logGroupName));
  assert.deepEqual(await groups(B), [GROUP_B]);
  assert.deepEqual(await groups(A), []);
  const streams = (await json<{ logStreams: { logStreamName: string }[] }>(['logs', 'streams', GROUP_B, '--account', B])).logStreams.map((s) => s.logStreamName).sort();
  assert.deepEqual(streams, ['eni-0b0b0b0b0b0b0b0b1-all', 'eni-0b0b0b0b0b0b0b0b2-all']);
  const events = (await ok(['logs', 'get', GROUP_B, streams[0]!, '--account', B, '--start-from-head'])).stdout;
  assert.match(events, new RegExp(`^2 ${B} eni-0b0b0b0b0b0b0b0b1 `, 'm'));
  assert.deepEqual(servicePorts((await ok(['logs', 'filter', GROUP_B, '--account', B, '--start-time', '0'])).stdout), [22, 80, 443]);
  assert.match((await ok(['logs', 'tail', GROUP_B, '--account', B, '--since', '1h'])).stdout, / eni-0b0b0b0b0b0b0b0b[12]-all 2 444455556666 /);
  // The same group name in the other account is another group.
  const inA = await server.run(['logs', 'filter', GROUP_B, '--account', A]);
  assert.notEqual(inA.code, 0);
  assert.match(inA.stderr, /ResourceNotFoundException/);

  const filters = (account: string) => json<{ metricFilters: { filterName: string }[] }>(['logs', 'describe-metric-filters', '--account', account]).then((r) => r.metricFilters.map((f) => f.filterName));
  assert.deepEqual(await filters(B), ['web']);
  assert.deepEqual(await filters(A), []);
  const points = await json<{ Datapoints: { Sum: number }[] }>(['metrics', 'get', '--account', B, '--namespace', 'Newcomer', '--metric', 'Web', '--start', String(OLD - 5000), '--end', String(OLD + 3600_000)]);
  assert.ok(points.Datapoints.length > 0);
  await ok(['logs', 'delete-metric-filter', '--account', B, '--log-group-name', GROUP_B, '--filter-name', 'web']);
  assert.deepEqual(await filters(B), []);

  await ok(['logs', 'create-group', '/a/only', '--account', A]);
  await ok(['logs', 'retention', '/a/only', '7', '--account', A]);
  assert.deepEqual(await groups(A), ['/a/only']);
  await ok(['logs', 'delete-group', '/a/only', '--account', A]);
  assert.deepEqual(await groups(A), []);

  // An account's own key may name its account, never another.
  const asA = { VPCFLOW_CREDENTIALS: '', VPCFLOW_ACCESS_KEY_ID: keys[A]!.AccessKeyId, VPCFLOW_SECRET_ACCESS_KEY: keys[A]!.SecretAccessKey };
  assert.equal((await json<{ Network: { account: string } }>(['network', '--account', A], asA)).Network.account, A);
  const denied = await server.run(['flow-logs', 'describe', '--account', B], { env: asA });
  assert.match(denied.stderr, /AccessDenied.*cannot act for account 444455556666/);

  const doomed = await json<{ FlowLogIds: string[] }>(['flow-logs', 'create', '--account', B, '--resource-type', 'NetworkInterface', '--resource-ids', 'eni-0b0b0b0b0b0b0b0b1',
    '--traffic-type', 'REJECT', '--log-group-name', '/b/doomed']);
  assert.equal((await json<{ FlowLogs: unknown[] }>(['flow-logs', 'describe', '--account', B])).FlowLogs.length, 2);
  await ok(['flow-logs', 'delete', '--account', B, '--flow-log-ids', doomed.FlowLogIds[0]!]);
  const left = await json<{ FlowLogs: { FlowLogId: string }[] }>(['flow-logs', 'describe', '--account', B]);
  assert.deepEqual(left.FlowLogs.map((f) => f.FlowLogId), created.FlowLogIds);
});

test('--account is checked before anything is sent: 12 digits, from the option or VPCFLOW_ACCOUNT', async () => {
  for (const [args, env, shown] of [
    [['flow-logs', 'describe', '--account', '12345'], {}, /'--account <id>' argument '12345' is invalid\. an account id is 12 digits/],
    [['logs', 'groups'], { VPCFLOW_ACCOUNT: 'acct-1' }, /value 'acct-1' from env 'VPCFLOW_ACCOUNT' is invalid\. an account id is 12 digits/],
    [['ingest', 'x.pcap', '--account', '1111222233334'], {}, /12 digits, got '1111222233334'/],
    [['accounts', 'create', '--account', '11112222333'], {}, /12 digits, got '11112222333'/],
  ] as const) {
    const r = await server.run([...args], { env: { ...env } });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, shown);
  }
});

test('accounts list shows every account\'s keys (created, last used); delete-key revokes one', async () => {
  const list = () => json<{ Accounts: { AccountId: string; Keys: { AccessKeyId: string; CreatedAt: number; LastUsedAt: number | null }[] }[] }>(['accounts', 'list']);
  const before = await list();
  const keyOf = (r: typeof before, account: string, id: string) => r.Accounts.find((a) => a.AccountId === account)?.Keys.find((k) => k.AccessKeyId === id);
  const b = keyOf(before, B, keys[B]!.AccessKeyId);
  assert.ok(b && keyOf(before, A, keys[A]!.AccessKeyId), JSON.stringify(before));
  assert.equal(typeof b.CreatedAt, 'number');

  const asB = { VPCFLOW_CREDENTIALS: '', VPCFLOW_ACCESS_KEY_ID: keys[B]!.AccessKeyId, VPCFLOW_SECRET_ACCESS_KEY: keys[B]!.SecretAccessKey };
  await ok(['network'], asB);
  const used = keyOf(await list(), B, keys[B]!.AccessKeyId)!;
  assert.ok(typeof used.LastUsedAt === 'number' && used.LastUsedAt >= used.CreatedAt, JSON.stringify(used));

  // The table shows the times as ISO 8601.
  const table = (await ok(['accounts', 'list'])).stdout;
  assert.match(table, /\| AccountId +\| AccessKeyId +\| CreatedAt +\| LastUsedAt +\|/);
  assert.ok(table.includes(`| ${B} | ${keys[B]!.AccessKeyId} | ${new Date(used.CreatedAt).toISOString()} | ${new Date(used.LastUsedAt!).toISOString()} |`), table);

  const deleted = await json<{ AccessKeyId: string; Deleted: boolean }>(['accounts', 'delete-key', keys[B]!.AccessKeyId]);
  assert.deepEqual(deleted, { AccessKeyId: keys[B]!.AccessKeyId, Deleted: true });
  assert.equal(keyOf(await list(), B, keys[B]!.AccessKeyId), undefined);
  const refused = await server.run(['network'], { env: asB });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /UnrecognizedClientException/);
  const again = await server.run(['accounts', 'delete-key', keys[B]!.AccessKeyId]);
  assert.notEqual(again.code, 0);
  const malformed = await server.run(['accounts', 'delete-key', 'my-key']);
  assert.equal(malformed.code, 2);
  assert.match(malformed.stderr, /access key id 'my-key' is not one/);
});

test('time options take epoch ms, ISO 8601, now and durations, and refuse anything else precisely', async () => {
  const ports = async (...range: string[]) => servicePorts((await ok(['logs', 'filter', GROUP_B, '--account', B, ...range])).stdout);
  assert.deepEqual(await ports('--start-time', String(OLD - 60_000), '--end-time', String(OLD + 60_000)), [80]);
  assert.deepEqual(await ports('--start-time', '2024-03-01', '--end-time', '2024-03-01T00:10:00Z'), [80]);
  assert.deepEqual(await ports('--start-time', '2024-03-01T01:00:00+01:00', '--end-time', '2024-03-01T00:01'), [80]);
  assert.deepEqual(await ports('--start-time', '4h', '--end-time', '1h'), [443]);
  assert.deepEqual(await ports('--start-time', '1h'), [22]);
  assert.deepEqual(await ports('--start-time', '1d', '--end-time', 'now'), [22, 443]);
  assert.deepEqual(await ports('--start-time', 'now'), []);
  const stream = 'eni-0b0b0b0b0b0b0b0b1-all';
  const got = (await ok(['logs', 'get', GROUP_B, stream, '--account', B, '--start-time', '2h', '--end-time', 'now', '--start-from-head'])).stdout.trim().split('\n');
  assert.ok(got.length > 0 && got.every((l) => l.includes(' 22 ') || l.endsWith('NODATA')), got.join('\n'));
  const tail = (await ok(['logs', 'tail', GROUP_B, '--account', B, '--since', '2024-03-01T00:00:00Z', '--format', 'short'])).stdout;
  assert.match(tail, /^2024-03-01T00:00:05\.000Z 2 444455556666 /m);
  const metric = ['metrics', 'get', '--account', B, '--namespace', 'Newcomer', '--metric', 'Web'];
  // The filter was deleted by the first test only after these events were delivered.
  const points = await json<{ Datapoints: { Timestamp: string; Sum: number }[] }>([...metric, '--start', '2024-03-01T00:00:00Z', '--end', '2024-03-01T01:00:00Z', '--period', '3600']);
  assert.deepEqual(points.Datapoints.map((p) => p.Timestamp), ['2024-03-01T00:00:00.000Z']);
  const counted = (await ok(['logs', 'filter', GROUP_B, '--account', B, '--filter-pattern', PORT80, '--start-time', '2024-03-01', '--end-time', '2024-03-01T01:00Z'])).stdout.trim().split('\n').length;
  assert.equal(points.Datapoints[0]!.Sum, counted, 'the metric counts the events the same pattern finds');

  for (const [args, shown] of [
    [['logs', 'filter', GROUP_B, '--start-time', '10x'], /^--start-time: '10x' is not a time: unknown unit 'x'/],
    [['logs', 'get', GROUP_B, stream, '--end-time', '1709251205'], /^--end-time: '1709251205' is not a time: looks like seconds since the epoch; times are in milliseconds \(1709251205000\)/],
    [['logs', 'tail', GROUP_B, '--since', '2024-02-30'], /^--since: '2024-02-30' is not a time: day 30 is not in 2024-02 \(01–29\)/],
    [[...metric, '--start', 'yesterday'], /^--start: 'yesterday' is not a time: expected ms since the epoch, ISO 8601/],
    [[...metric, '--start', 'now', '--end', '1h'], /^--start \(.*\) is after --end \(.*\)/],
  ] as const) {
    const r = await server.run([...args, '--account', B]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, shown);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line, no help dump: ${r.stderr}`);
  }
});

test('metrics get with nothing in range says why on stderr, and where the newest datapoint is', async () => {
  await ok(['logs', 'put-metric-filter', '--account', B, '--log-group-name', GROUP_B, '--filter-name', 'later', '--filter-pattern', FIELDS, '--metric-name', 'Later', '--metric-namespace', 'Newcomer']);
  const web = await server.run(['metrics', 'get', '--account', B, '--namespace', 'Newcomer', '--metric', 'Web', '--start', '1h', '--period', '300']);
  assert.equal(web.code, 0, web.stderr);
  assert.doesNotMatch(web.stdout, /\| 20/, 'no datapoint rows');
  assert.match(web.stderr, /^no datapoints for Newcomer\/Web from .* \(period 300 s\)\. A datapoint is stamped with the time of the events it counts .*aggregation window \(60 or 600 s\) has closed\./);
  assert.match(web.stderr, /The newest datapoint is in the 300-s period starting 2024-03-01T00:00:00\.000Z \(minute 2024-03-01T00:00:00\.000Z\): try --start 2024-03-01T00:00:00\.000Z\./);
  // A filter put after the delivery has counted nothing yet.
  const later = await server.run(['metrics', 'get', '--account', B, '--namespace', 'Newcomer', '--metric', 'Later', '--start', '1d', '--output', 'json']);
  assert.equal(later.code, 0, later.stderr);
  assert.deepEqual((JSON.parse(later.stdout) as { Datapoints: unknown[] }).Datapoints, []);
  assert.match(later.stderr, /This metric has none at any time yet: a metric filter counts only events delivered after it was put/);
});

test('--output text is the aws CLI\'s text output, not a line of JSON', { skip: NO_AWS_CLI && process.env.CI !== 'true' ? `${AWS_TEXT_ORACLE} cannot import awscli (Debian package awscli): the text output was not compared` : false }, async () => {
  await ok(['flow-logs', 'create', '--account', B, '--resource-type', 'Subnet', '--resource-ids', SUBNET_B, '--traffic-type', 'REJECT', '--log-group-name', '/b/rejects',
    '--tag-specifications', 'ResourceType=vpc-flow-log,Tags=[{Key=Name,Value=rejects},{Key=team,Value=net}]']);
  for (const args of [['network', '--account', B], ['flow-logs', 'describe', '--account', B], ['logs', 'streams', GROUP_B, '--account', B]]) {
    const asJson = (await ok([...args, '--output', 'json'])).stdout;
    const oracle = spawnSync(AWS_TEXT_ORACLE, ['-c', 'import io, json, sys\nfrom awscli.text import format_text\nformat_text(json.load(sys.stdin), sys.stdout)'], { input: asJson, encoding: 'utf8' });
    assert.equal(oracle.status, 0, oracle.stderr);
    const text = (await ok([...args, '--output', 'text'])).stdout;
    assert.equal(text, oracle.stdout, args.join(' '));
    assert.doesNotMatch(text, /"\w+":/, 'no JSON in text output');
  }
  const described = (await ok(['flow-logs', 'describe', '--account', B, '--output', 'text'])).stdout;
  assert.match(described, /^TAGS\tName\trejects$/m);
  assert.match(described, new RegExp(`^FLOWLOGS\\t.*\\t${SUBNET_B}\\tREJECT$`, 'm'));
});

test('tables fit 120 columns when not on a terminal, cut values end in …, and epoch-ms times read as ISO 8601', async () => {
  const table = (await ok(['flow-logs', 'describe', '--account', B, '--output', 'table'])).stdout;
  const lines = table.trimEnd().split('\n');
  for (const l of lines) assert.ok(l.length <= 120, `${l.length} columns: ${l}`);
  assert.equal(lines[0]!.length, 120, 'a table wider than 120 is cut to exactly 120');
  assert.match(table, /…/);
  const streams = (await ok(['logs', 'streams', GROUP_B, '--account', B, '--output', 'table'])).stdout;
  // The first event of each stream is the old conversation's first packet.
  assert.match(streams, /\| 2024-03-01T00:00:05\.000Z /);
  assert.doesNotMatch(streams, /\| 17\d{11} /);
});

test('vpcflow --version prints package.json\'s version', async () => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const r = await runCli([flag]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${version}\n`);
  }
});

test('every command\'s help ends with an example', async () => {
  const r = await runCli(['logs', 'get', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /\nExample:\n {2}vpcflow logs get \/vpc\/flows eni-\S+ --start-time 2h/);
});

test('piped into a reader that stops early (| head), the CLI ends quietly with 0 instead of dying of EPIPE', async () => {
  // ~1.8 MB of output (far beyond a pipe's buffer), under the sandbox's 10 000-row cut.
  const child = spawn(process.execPath, [BIN, 'query', "SELECT range AS n, repeat('x', 200) AS pad FROM range(9000)", '--output', 'text', '--endpoint', server.endpoint],
    { env: { ...process.env, ...server.cliEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  let first = '';
  child.stdout.once('data', (d: Buffer) => {
    first = d.toString();
    child.stdout.destroy();
  });
  const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
  assert.match(first, /^0\tx{200}\n1\tx{200}\n/);
  assert.equal(stderr, '');
  assert.equal(code, 0);
});

test('a busy port: serve says to pass --port, without a stack trace', async () => {
  const port = new URL(server.endpoint).port;
  const dir = mkdtempSync(join(tmpdir(), 'vpcflow-busy-'));
  try {
    const r = await runCli(['serve', '--data-dir', join(dir, 'data'), '--port', port]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use .*pass --port N`));
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('npm run bench without its tools names the Debian packages to install and exits 2, no stack trace', async () => {
  const emptyPath = mkdtempSync(join(tmpdir(), 'vpcflow-nopath-'));
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/run.ts')], {
      cwd: ROOT, encoding: 'utf8', env: { ...process.env, PATH: emptyPath, BENCH_CAPTURE: join(work, 'b.pcap') },
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^\[bench\] cannot run: missing on PATH: softflowd/);
    assert.match(r.stderr, /Install them \(Debian\): apt-get install -y softflowd/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.equal(r.stdout, '');
  } finally {
    rmSync(emptyPath, { recursive: true, force: true });
  }
});

test('a refused network document lists each problem once', async () => {
  const bad = join(work, 'bad.yaml');
  writeFileSync(bad, `account: "${A}"\nregion: us-east-1\nvpcs: [{ cidr: 10.0.0.0/33 }, { cidr: bad }]\n`);
  const r = await server.run(['apply', bad]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /InvalidNetworkDocument.*2 problems/);
  assert.equal(r.stderr.match(/vpcs\[0\]\.cidr/g)?.length, 1, r.stderr);
  assert.equal(r.stderr.match(/vpcs\[1\]\.cidr/g)?.length, 1, r.stderr);
});
