// End-to-end: the real aws CLI v2 (/usr/bin/aws) against vpcflow's AWS-compatible endpoint, served
// in-process on a free port: flow logs created, described, filtered, paged and deleted through EC2
// Query; log groups and events through CloudWatch Logs JSON (including `logs tail --follow`);
// SigV4 refusals; and two accounts that cannot see or touch each other's resources.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { Database } from '../../src/store/index.ts';
import { LogStore } from '../../src/destinations/logstore/index.ts';
import { MetricFilterStore } from '../../src/metrics/index.ts';
import { ArchiveWriter } from '../../src/destinations/archive/index.ts';
import { LocalObjectStore } from '../../src/platform/object-store-local.ts';
import { ControlPlane } from '../../src/control/index.ts';
import { createApi, newOperatorKey } from '../../src/api/index.ts';
import { AccountStore, mountAwsEndpoint, type NewAccessKey } from '../../src/api/aws/index.ts';
import { ROOT } from '../helpers/cli.ts';

const AWS = '/usr/bin/aws';
const SKIP = existsSync(AWS) ? false : `${AWS} (aws CLI v2, Debian package awscli) is not installed: the AWS endpoint end-to-end test did not run`;
const A = '111122223333'; // the account of examples/network.yaml
const B = '444455556666';
const VPC = 'vpc-0a1b2c3d4e5f60718';
const SUBNET = 'subnet-0a1b2c3d4e5f60718';
const ENI = 'eni-0a1b2c3d4e5f60718';

let dir: string;
let db: Database;
let logStore: LogStore;
let archive: ArchiveWriter;
let server: ServerType;
let endpoint: string;
let keyA: NewAccessKey;
let keyB: NewAccessKey;
let startedAt: number;
const children: ChildProcess[] = [];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cliEnv(key: { accessKeyId: string; secretAccessKey: string }): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: dir,
    AWS_ACCESS_KEY_ID: key.accessKeyId,
    AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(dir, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
    AWS_PAGER: '',
    AWS_MAX_ATTEMPTS: '1',
  };
}

function aws(key: { accessKeyId: string; secretAccessKey: string }, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(AWS, ['--endpoint-url', endpoint, '--output', 'json', ...args], { env: cliEnv(key), timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function ok<T = Record<string, unknown>>(key: NewAccessKey, args: string[]): Promise<T> {
  const r = await aws(key, args);
  assert.equal(r.code, 0, `aws ${args.join(' ')} failed:\n${r.stderr}`);
  return (r.stdout.trim() ? JSON.parse(r.stdout) : {}) as T;
}

/** The CLI prints `An error occurred (Code) when calling the Op operation…: message` and exits 254. */
async function fails(key: { accessKeyId: string; secretAccessKey: string }, args: string[], code: string, message?: RegExp): Promise<void> {
  const r = await aws(key, args);
  assert.equal(r.code, 254, `aws ${args.join(' ')}: expected a service error, got exit ${r.code}\n${r.stdout}${r.stderr}`);
  assert.match(r.stderr, new RegExp(`An error occurred \\(${code.replace(/\./g, '\\.')}\\)`), r.stderr);
  if (message) assert.match(r.stderr, message);
}

interface FlowLogItem {
  FlowLogId: string;
  ResourceId: string;
  TrafficType: string;
  LogDestinationType: string;
  LogDestination: string;
  LogGroupName?: string;
  LogFormat: string;
  MaxAggregationInterval: number;
  CreationTime: string;
  DeliverLogsStatus: string;
  FlowLogStatus: string;
  DeliverLogsPermissionArn?: string;
  Tags?: { Key: string; Value: string }[];
  DestinationOptions?: { FileFormat: string; HiveCompatiblePartitions: boolean; PerHourPartition: boolean };
}

const describe = async (key: NewAccessKey, ...args: string[]) => (await ok<{ FlowLogs: FlowLogItem[] }>(key, ['ec2', 'describe-flow-logs', ...args])).FlowLogs;

// Flow-log records from the spec's documented examples (§6.3 R1, R2, R5).
const R1 = '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK';
const R2 = '2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK';
const R5 = '2 123456789010 eni-1235b8ca123456789 172.31.16.139 203.0.113.12 0 0 1 4 336 1432917094 1432917142 REJECT OK';

/** Appends events to a log group the way the control plane delivers them (one transaction, then announce). */
async function deliver(account: string, group: string, messages: string[], at: number): Promise<void> {
  const events = messages.map((message, i) => ({ streamName: `${ENI}-all`, timestamp: at + i, message }));
  const stored = await db.transaction((tx) => logStore.appendInTransaction(tx, account, group, events));
  logStore.announce(account, group, stored);
}

const ids: Record<string, string> = {};

before(async () => {
  if (SKIP) return;
  startedAt = Date.now();
  dir = mkdtempSync(join(tmpdir(), 'vpcflow-aws-cli-'));
  db = new Database({ dataDir: join(dir, 'data') });
  await db.start();
  logStore = new LogStore(db, 'us-east-1');
  const metrics = new MetricFilterStore(db);
  logStore.onGroupDeleted((tx, a, g) => metrics.removeGroupInTransaction(tx, a, g));
  archive = new ArchiveWriter({ store: new LocalObjectStore(join(dir, 'data', 's3'), { createMissingBuckets: true }), tempDir: join(dir, 'data', 'tmp') });
  const control = new ControlPlane({ db, logStore, metrics, archive, maxFlows: 100_000, allowShortIntervals: false });
  await control.start();
  await control.apply(readFileSync(join(ROOT, 'examples/network.yaml'), 'utf8'), 'x');
  const accounts = new AccountStore(db);
  await accounts.start();
  keyA = await accounts.createAccessKey(A);
  keyB = await accounts.createAccessKey(B);
  const app = createApi({ control, logStore, metrics, operator: newOperatorKey() });
  mountAwsEndpoint(app, { control, logStore, metrics, accounts });
  server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address();
  endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  if (server) {
    await new Promise<void>((r) => {
      server.close(() => r());
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
    });
  }
  await archive?.close();
  await db?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('ec2 create-flow-logs: VPC, subnet and interface, to CloudWatch Logs and to S3', { skip: SKIP }, async () => {
  const vpc = await ok<{ FlowLogIds: string[]; Unsuccessful: { Error: { Code: string }; ResourceId: string }[] }>(keyA,
    ['ec2', 'create-flow-logs', '--resource-type', 'VPC', '--resource-ids', VPC, 'vpc-0123456789abcdef0', '--traffic-type', 'ALL', '--log-group-name', '/vpc/flows']);
  assert.equal(vpc.FlowLogIds.length, 1);
  assert.match(vpc.FlowLogIds[0]!, /^fl-[0-9a-f]{17}$/);
  // Partial success: the unknown VPC is refused on its own.
  assert.deepEqual(vpc.Unsuccessful.map((u) => [u.ResourceId, u.Error.Code]), [['vpc-0123456789abcdef0', 'InvalidVpcID.NotFound']]);
  ids.vpc = vpc.FlowLogIds[0]!;

  const subnetArgs = ['ec2', 'create-flow-logs', '--resource-type', 'Subnet', '--resource-ids', SUBNET, '--traffic-type', 'REJECT', '--log-destination-type', 's3',
    '--log-destination', 'arn:aws:s3:::flowlogs/rejects/', '--destination-options', 'FileFormat=parquet,HiveCompatiblePartitions=true,PerHourPartition=true',
    '--max-aggregation-interval', '60', '--log-format', '${version} ${interface-id} ${srcaddr} ${dstaddr} ${action}',
    '--tag-specifications', 'ResourceType=vpc-flow-log,Tags=[{Key=Name,Value=subnet-rejects},{Key=Team,Value=a&b<c>}]', '--client-token', 'subnet-token-1'];
  const subnet = await ok<{ FlowLogIds: string[]; Unsuccessful: unknown[]; ClientToken: string }>(keyA, subnetArgs);
  assert.deepEqual([subnet.FlowLogIds.length, subnet.Unsuccessful, subnet.ClientToken], [1, [], 'subnet-token-1']);
  ids.subnet = subnet.FlowLogIds[0]!;
  // The same client token and parameters return the same flow log instead of a new one.
  assert.deepEqual((await ok<{ FlowLogIds: string[] }>(keyA, subnetArgs)).FlowLogIds, [ids.subnet]);

  const eniCwl = await ok<{ FlowLogIds: string[] }>(keyA, ['ec2', 'create-flow-logs', '--resource-type', 'NetworkInterface', '--resource-ids', ENI, '--traffic-type', 'ACCEPT',
    '--log-destination-type', 'cloud-watch-logs', '--log-destination', `arn:aws:logs:us-east-1:${A}:log-group:eni-logs`, '--deliver-logs-permission-arn', `arn:aws:iam::${A}:role/publishFlowLogs`]);
  ids.eniCwl = eniCwl.FlowLogIds[0]!;
  const eniS3 = await ok<{ FlowLogIds: string[] }>(keyA, ['ec2', 'create-flow-logs', '--resource-type', 'NetworkInterface', '--resource-ids', ENI, '--traffic-type', 'ALL',
    '--log-destination-type', 's3', '--log-destination', 'arn:aws:s3:::flowlogs']);
  ids.eniS3 = eniS3.FlowLogIds[0]!;
  assert.equal(new Set(Object.values(ids)).size, 4);
});

test('ec2 describe-flow-logs: every member, filters, ids and server-side paging', { skip: SKIP }, async () => {
  const [subnet, ...rest] = await describe(keyA, '--filter', `Name=resource-id,Values=${SUBNET}`);
  assert.equal(rest.length, 0);
  assert.deepEqual({ ...subnet!, CreationTime: undefined }, {
    FlowLogId: ids.subnet, ResourceId: SUBNET, TrafficType: 'REJECT', LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::flowlogs/rejects/',
    LogFormat: '${version} ${interface-id} ${srcaddr} ${dstaddr} ${action}', MaxAggregationInterval: 60, DeliverLogsStatus: 'SUCCESS', FlowLogStatus: 'ACTIVE',
    Tags: [{ Key: 'Name', Value: 'subnet-rejects' }, { Key: 'Team', Value: 'a&b<c>' }],
    DestinationOptions: { FileFormat: 'parquet', HiveCompatiblePartitions: true, PerHourPartition: true }, CreationTime: undefined,
  });
  const created = Date.parse(subnet!.CreationTime);
  assert.ok(created >= startedAt - 1000 && created <= Date.now(), subnet!.CreationTime);

  const cwl = await describe(keyA, '--filter', 'Name=log-destination-type,Values=cloud-watch-logs');
  assert.deepEqual(cwl.map((f) => [f.FlowLogId, f.ResourceId, f.LogGroupName, f.TrafficType, f.MaxAggregationInterval]).sort(),
    [[ids.vpc, VPC, '/vpc/flows', 'ALL', 600], [ids.eniCwl, ENI, 'eni-logs', 'ACCEPT', 600]].sort());
  assert.equal(cwl.find((f) => f.FlowLogId === ids.eniCwl)!.DeliverLogsPermissionArn, `arn:aws:iam::${A}:role/publishFlowLogs`);
  assert.equal(cwl.find((f) => f.FlowLogId === ids.vpc)!.LogDestination, `arn:aws:logs:us-east-1:${A}:log-group:/vpc/flows`);

  // Filters AND together, values within one filter OR.
  const both = await describe(keyA, '--filter', 'Name=traffic-type,Values=ALL,REJECT', 'Name=log-destination-type,Values=s3');
  assert.deepEqual(both.map((f) => f.FlowLogId).sort(), [ids.subnet, ids.eniS3].sort());
  assert.deepEqual((await describe(keyA, '--filter', 'Name=tag:Name,Values=subnet-*')).map((f) => f.FlowLogId), [ids.subnet]);
  assert.deepEqual((await describe(keyA, '--flow-log-ids', ids.eniS3!, ids.vpc!)).map((f) => f.FlowLogId).sort(), [ids.eniS3, ids.vpc].sort());
  // --page-size 1 makes the CLI follow nextToken page by page until the server stops sending one.
  const paged = await describe(keyA, '--page-size', '1');
  assert.deepEqual(paged.map((f) => f.FlowLogId).sort(), Object.values(ids).sort());
  const firstPage = await ok<{ FlowLogs: FlowLogItem[]; NextToken?: string }>(keyA, ['ec2', 'describe-flow-logs', '--max-items', '2']);
  assert.equal(firstPage.FlowLogs.length, 2);
  assert.equal(typeof firstPage.NextToken, 'string');
  await fails(keyA, ['ec2', 'describe-flow-logs', '--filter', 'Name=colour,Values=blue'], 'InvalidParameterValue', /colour/);
});

test('ec2 request errors come back as EC2 errors the CLI reports', { skip: SKIP }, async () => {
  await fails(keyA, ['ec2', 'create-flow-logs', '--resource-type', 'VPC', '--resource-ids', 'vpc-xyz', '--traffic-type', 'ALL', '--log-group-name', 'g'], 'InvalidVpcID.Malformed');
  await fails(keyA, ['ec2', 'create-flow-logs', '--resource-type', 'VPC', '--resource-ids', VPC, '--traffic-type', 'ALL', '--log-group-name', 'g', '--max-aggregation-interval', '30'],
    'InvalidParameter', /Invalid Flow Log Max Aggregation Interval/);
  await fails(keyA, ['ec2', 'create-flow-logs', '--resource-type', 'VPC', '--resource-ids', VPC, '--traffic-type', 'ALL', '--log-destination-type', 's3'], 'InvalidParameter',
    /LogDestination can't be empty/);
  await fails(keyA, ['ec2', 'create-flow-logs', '--resource-type', 'VPC', '--resource-ids', VPC, '--traffic-type', 'ALL', '--log-group-name', 'g2', '--dry-run'], 'DryRunOperation');
  await fails(keyA, ['ec2', 'describe-flow-logs', '--dry-run'], 'DryRunOperation');
  assert.equal((await describe(keyA, '--filter', 'Name=log-group-name,Values=g,g2')).length, 0);
});

test('logs: create, describe, retention, filter (with a flow-log pattern), streams, events, delete', { skip: SKIP }, async () => {
  assert.deepEqual(await ok(keyA, ['logs', 'create-log-group', '--log-group-name', '/team/app']), {});
  await fails(keyA, ['logs', 'create-log-group', '--log-group-name', '/team/app'], 'ResourceAlreadyExistsException');
  await ok(keyA, ['logs', 'put-retention-policy', '--log-group-name', '/team/app', '--retention-in-days', '7']);
  const groups = await ok<{ logGroups: { logGroupName: string; retentionInDays?: number; arn: string }[] }>(keyA, ['logs', 'describe-log-groups', '--log-group-name-prefix', '/team']);
  assert.deepEqual(groups.logGroups.map((g) => [g.logGroupName, g.retentionInDays, g.arn]), [['/team/app', 7, `arn:aws:logs:us-east-1:${A}:log-group:/team/app:*`]]);
  assert.deepEqual((await ok<{ events: unknown[] }>(keyA, ['logs', 'filter-log-events', '--log-group-name', '/team/app'])).events, []);

  await deliver(A, '/vpc/flows', [R1, R2, R5], 1418530010000);
  const rejected = await ok<{ events: { message: string; logStreamName: string; eventId: string }[] }>(keyA, ['logs', 'filter-log-events', '--log-group-name', '/vpc/flows',
    '--start-time', '1418530010000', '--filter-pattern', '[version, accountid, interfaceid, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action = REJECT, logstatus]']);
  // Spec §6.3's worked table: the pattern matches R2 and R5 only.
  assert.deepEqual(rejected.events.map((e) => e.message), [R2, R5]);
  assert.equal(rejected.events[0]!.logStreamName, `${ENI}-all`);
  const streams = await ok<{ logStreams: { logStreamName: string }[] }>(keyA, ['logs', 'describe-log-streams', '--log-group-name', '/vpc/flows']);
  assert.deepEqual(streams.logStreams.map((s) => s.logStreamName), [`${ENI}-all`]);
  const got = await ok<{ events: { message: string }[] }>(keyA, ['logs', 'get-log-events', '--log-group-name', '/vpc/flows', '--log-stream-name', `${ENI}-all`, '--start-from-head']);
  assert.deepEqual(got.events.map((e) => e.message), [R1, R2, R5]);
  const tail = await aws(keyA, ['logs', 'tail', '/vpc/flows', '--since', '2014-12-14T00:00:00Z', '--format', 'short']);
  assert.equal(tail.code, 0, tail.stderr);
  assert.deepEqual(tail.stdout.trim().split('\n').map((l) => l.slice(l.indexOf(' ') + 1)), [R1, R2, R5]);

  await ok(keyA, ['logs', 'delete-log-group', '--log-group-name', '/team/app']);
  assert.deepEqual((await ok<{ logGroups: unknown[] }>(keyA, ['logs', 'describe-log-groups', '--log-group-name-prefix', '/team'])).logGroups, []);
  await fails(keyA, ['logs', 'filter-log-events', '--log-group-name', '/team/app'], 'ResourceNotFoundException', /The specified log group does not exist\./);
});

test('logs tail --follow prints stored events, then events delivered while it polls', { skip: SKIP }, async () => {
  const fresh = '2 111122223333 eni-0a1b2c3d4e5f60718 10.0.1.10 10.0.2.20 443 50000 6 3 180 1767225600 1767225660 ACCEPT OK';
  const child = spawn(AWS, ['--endpoint-url', endpoint, 'logs', 'tail', '/vpc/flows', '--follow', '--since', '2014-12-14T00:00:00Z', '--format', 'short'], {
    // Python block-buffers stdout into a pipe; the CLI does not flush while following.
    env: { ...cliEnv(keyA), PYTHONUNBUFFERED: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const seen = (text: string) => new Promise<void>((resolve, reject) => {
    // A hang guard, not a timing assertion: the CLI polls every 5 s.
    const guard = setTimeout(() => reject(new Error(`logs tail --follow never printed ${JSON.stringify(text)}; stdout:\n${out}\nstderr:\n${err}`)), 60_000);
    const check = () => {
      if (out.includes(text)) {
        clearTimeout(guard);
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    const onData = (d: Buffer) => {
      out += d.toString();
      check();
    };
    child.stdout!.on('data', onData);
    check();
  });
  await seen(R5);
  await deliver(A, '/vpc/flows', [fresh], Date.now());
  await seen(fresh);
  assert.equal(out.split('\n').filter((l) => l.endsWith(fresh)).length, 1);
  child.kill('SIGTERM');
});

test('a wrong secret or an unknown access key is refused by each service', { skip: SKIP }, async () => {
  const wrong = { accessKeyId: keyA.accessKeyId, secretAccessKey: 'x'.repeat(40) };
  await fails(wrong, ['ec2', 'describe-flow-logs'], 'AuthFailure', /AWS was not able to validate the provided access credentials/);
  await fails(wrong, ['ec2', 'delete-flow-logs', '--flow-log-ids', ids.vpc!], 'AuthFailure');
  await fails(wrong, ['logs', 'describe-log-groups'], 'InvalidSignatureException', /signature we calculated does not match/);
  const unknown = { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: keyA.secretAccessKey };
  await fails(unknown, ['ec2', 'describe-flow-logs'], 'AuthFailure');
  await fails(unknown, ['logs', 'describe-log-groups'], 'UnrecognizedClientException');
  assert.equal((await describe(keyA, '--flow-log-ids', ids.vpc!)).length, 1);
});

test('a second account cannot see or delete the first account\'s flow logs or log groups', { skip: SKIP }, async () => {
  assert.deepEqual(await describe(keyB), []);
  assert.deepEqual(await describe(keyB, '--flow-log-ids', ids.vpc!), []);
  const refused = await ok<{ Unsuccessful: { ResourceId: string; Error: { Code: string } }[] }>(keyB, ['ec2', 'delete-flow-logs', '--flow-log-ids', ids.vpc!]);
  assert.deepEqual(refused.Unsuccessful.map((u) => [u.ResourceId, u.Error.Code]), [[ids.vpc, 'InvalidFlowLogId.NotFound']]);
  // Account B has no network, so it cannot put flow logs on account A's VPC either.
  await fails(keyB, ['ec2', 'create-flow-logs', '--resource-type', 'VPC', '--resource-ids', VPC, '--traffic-type', 'ALL', '--log-group-name', 'steal'], 'InvalidParameterValue');

  assert.deepEqual((await ok<{ logGroups: unknown[] }>(keyB, ['logs', 'describe-log-groups'])).logGroups, []);
  await fails(keyB, ['logs', 'delete-log-group', '--log-group-name', '/vpc/flows'], 'ResourceNotFoundException');
  await fails(keyB, ['logs', 'filter-log-events', '--log-group-name', '/vpc/flows'], 'ResourceNotFoundException');
  await fails(keyB, ['logs', 'put-retention-policy', '--log-group-name', '/vpc/flows', '--retention-in-days', '1'], 'ResourceNotFoundException');
  // B's own group of the same name is a different group.
  await ok(keyB, ['logs', 'create-log-group', '--log-group-name', '/vpc/flows']);
  assert.deepEqual((await ok<{ events: unknown[] }>(keyB, ['logs', 'filter-log-events', '--log-group-name', '/vpc/flows'])).events, []);

  // Account A still has everything.
  assert.equal((await describe(keyA)).length, 4);
  const aGroups = await ok<{ logGroups: { logGroupName: string; retentionInDays?: number }[] }>(keyA, ['logs', 'describe-log-groups', '--log-group-name-prefix', '/vpc']);
  assert.deepEqual(aGroups.logGroups.map((g) => [g.logGroupName, g.retentionInDays]), [['/vpc/flows', undefined]]);
  assert.equal((await ok<{ events: unknown[] }>(keyA, ['logs', 'filter-log-events', '--log-group-name', '/vpc/flows'])).events.length, 4);
});

test('ec2 delete-flow-logs deletes the account\'s flow logs and reports unknown ids', { skip: SKIP }, async () => {
  const r = await ok<{ Unsuccessful: { ResourceId: string; Error: { Code: string; Message: string } }[] }>(keyA,
    ['ec2', 'delete-flow-logs', '--flow-log-ids', ids.vpc!, ids.eniS3!, 'fl-0123456789abcdef0']);
  assert.deepEqual(r.Unsuccessful.map((u) => [u.ResourceId, u.Error.Code, u.Error.Message]),
    [['fl-0123456789abcdef0', 'InvalidFlowLogId.NotFound', 'These flow log ids in the input list are not found: [TotalCount: 1] fl-0123456789abcdef0']]);
  assert.deepEqual((await describe(keyA)).map((f) => f.FlowLogId).sort(), [ids.subnet, ids.eniCwl].sort());
  assert.deepEqual((await ok<{ Unsuccessful: unknown[] }>(keyA, ['ec2', 'delete-flow-logs', '--flow-log-ids', ids.subnet!, ids.eniCwl!])).Unsuccessful, []);
  assert.deepEqual(await describe(keyA), []);
});
