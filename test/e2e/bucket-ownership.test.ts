// End-to-end: archive buckets have owners. Two accounts (keys from `vpcflow accounts create`) on a
// real server: the aws CLI's create-flow-logs of account B into A's bucket is refused with AWS's
// message, which never names A; once A's bucket policy grants B (`vpcflow buckets put-policy`), B's
// flow log is created and its files land under B's own AWSLogs folder in A's bucket; an account owns
// a bounded number of buckets; folders that could never be written are refused at creation.
//
// Needs the wiring of the bucket registry (control-plane.ts createFlowLogs, delivery/archive-queue.ts
// before each file, native.ts routes, server.ts and main.ts --max-buckets-per-account, main.ts
// `buckets` commands).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { VpcflowServer, ROOT } from '../helpers/cli.ts';
import { demoCapture } from '../../src/cli/demo-traffic.ts';

const AWS = '/usr/bin/aws';
// On CI a missing aws CLI is a broken CI host: the test runs and fails there.
const SKIP = existsSync(AWS) || process.env.CI === 'true' ? false : `${AWS} (aws CLI v2) is not installed: the bucket ownership end-to-end test did not run`;
const A = '111122223333'; // examples/network.yaml's account
const B = '444455556666';
const VPC_A = 'vpc-0a1b2c3d4e5f60718';
const VPC_B = 'vpc-0b1b2c3d4e5f60718';
const SUBNET_B = 'subnet-0b1b2c3d4e5f60718';
const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z

const NETWORK_B = `account: "${B}"
region: us-east-1
vpcs:
  - id: ${VPC_B}
    cidr: 10.9.0.0/16
    subnets:
      - { id: ${SUBNET_B}, cidr: 10.9.1.0/24, availability-zone: us-east-1a }
    instances:
      - id: i-0b1b2c3d4e5f60718
        subnet: subnet-0b1b2c3d4e5f60718
        interfaces: [{ id: eni-0b1b2c3d4e5f60718, private-ip: 10.9.1.10 }]
`;

interface Key { AccessKeyId: string; SecretAccessKey: string }
interface Created { FlowLogIds: string[]; Unsuccessful: { Error: { Code: string; Message: string }; ResourceId: string }[] }

let server: VpcflowServer;
const keys: Record<string, Key> = {};
const asVpcflow = (account: string) => ({ VPCFLOW_CREDENTIALS: '', VPCFLOW_ACCESS_KEY_ID: keys[account]!.AccessKeyId, VPCFLOW_SECRET_ACCESS_KEY: keys[account]!.SecretAccessKey });

function aws(account: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const home = server.dataDir;
  return new Promise((resolve) => {
    execFile(AWS, ['--endpoint-url', server.endpoint, '--output', 'json', ...args], {
      timeout: 60_000,
      env: {
        PATH: process.env.PATH, HOME: home, AWS_ACCESS_KEY_ID: keys[account]!.AccessKeyId, AWS_SECRET_ACCESS_KEY: keys[account]!.SecretAccessKey,
        AWS_DEFAULT_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: join(home, 'no-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'), AWS_PAGER: '', AWS_MAX_ATTEMPTS: '1',
      },
    }, (err, stdout, stderr) => resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0, stdout, stderr }));
  });
}

async function createS3(account: string, vpc: string, destination: string): Promise<Created> {
  const r = await aws(account, ['ec2', 'create-flow-logs', '--resource-type', 'VPC', '--resource-ids', vpc, '--traffic-type', 'ALL',
    '--log-destination-type', 's3', '--log-destination', destination, '--max-aggregation-interval', '60']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Created;
}

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

before(async () => {
  if (SKIP) return;
  server = new VpcflowServer(['--max-buckets-per-account', '3']);
  await server.start();
  for (const account of [A, B]) {
    const created = await server.run(['accounts', 'create', '--account', account, '--output', 'json']);
    assert.equal(created.code, 0, created.stderr);
    keys[account] = (JSON.parse(created.stdout) as { AccessKey: Key }).AccessKey;
  }
  const docB = join(server.dataDir, 'network-b.yaml');
  writeFileSync(docB, NETWORK_B);
  for (const [account, doc] of [[A, join(ROOT, 'examples/network.yaml')], [B, docB]] as const) {
    const applied = await server.run(['apply', doc], { env: asVpcflow(account) });
    assert.equal(applied.code, 0, applied.stderr);
  }
});

after(async () => {
  await server?.stop();
});

test('B cannot deliver into A\'s bucket until A\'s bucket policy grants it; then its files land under B\'s AWSLogs folder', { skip: SKIP }, async () => {
  const mine = await createS3(A, VPC_A, 'arn:aws:s3:::a-archive/');
  assert.deepEqual([mine.FlowLogIds.length, mine.Unsuccessful], [1, []]);

  const refused = await createS3(B, VPC_B, 'arn:aws:s3:::a-archive/');
  assert.deepEqual(refused, {
    FlowLogIds: [],
    Unsuccessful: [{ Error: { Code: '400', Message: 'Access Denied for LogDestination: a-archive. Please check LogDestination permission' }, ResourceId: VPC_B }],
  });
  assert.equal(JSON.stringify(refused).includes(A), false, 'the refusal does not reveal who owns the bucket');
  const none = await aws(B, ['ec2', 'describe-flow-logs']);
  assert.deepEqual(JSON.parse(none.stdout).FlowLogs, [], 'the refused request created nothing');

  // Only the owner manages the policy.
  const notB = await server.run(['buckets', 'put-policy', '--bucket', 'a-archive', '--grant-account', B], { env: asVpcflow(B) });
  assert.notEqual(notB.code, 0);
  assert.match(notB.stderr, /An error occurred \(AccessDenied\): Access Denied/);
  const granted = await server.run(['buckets', 'put-policy', '--bucket', 'a-archive', '--grant-account', B], { env: asVpcflow(A) });
  assert.equal(granted.code, 0, granted.stderr);
  const shown = await server.run(['buckets', 'get-policy', '--bucket', 'a-archive', '--output', 'json'], { env: asVpcflow(A) });
  assert.match(JSON.parse(shown.stdout).Policy, new RegExp(`arn:aws:s3:::a-archive/AWSLogs/${B}/\\*`));
  assert.match((await server.run(['buckets', 'get-policy', '--bucket', 'a-archive'], { env: asVpcflow(B) })).stderr, /AccessDenied/);

  const allowed = await createS3(B, VPC_B, 'arn:aws:s3:::a-archive/');
  assert.deepEqual([allowed.FlowLogIds.length, allowed.Unsuccessful], [1, []]);
  // The grant covers B's AWSLogs folder at the bucket's top only: another folder is still refused.
  assert.equal((await createS3(B, VPC_B, 'arn:aws:s3:::a-archive/elsewhere/')).Unsuccessful[0]!.Error.Code, '400');

  const pcap = join(server.dataDir, 'b.pcap');
  writeFileSync(pcap, demoCapture([{ client: '10.9.1.10', server: '198.51.100.7', protocol: 'tcp', port: 443, exchanges: 3, startSec: T0 + 10 }]));
  const ingested = await server.run(['ingest', pcap], { env: asVpcflow(B) });
  assert.equal(ingested.code, 0, ingested.stderr);
  const s3 = join(server.dataDir, 'data', 's3');
  const written = files(join(s3, 'a-archive')).map((f) => relative(s3, f));
  assert.ok(written.length >= 1, 'B\'s records were archived');
  for (const k of written) {
    assert.match(k, new RegExp(`^a-archive/AWSLogs/${B}/vpcflowlogs/us-east-1/2026/01/01/${B}_vpcflowlogs_us-east-1_${allowed.FlowLogIds[0]}_20260101T0000Z_[0-9a-f]{8}\\.log\\.gz$`));
  }

  // Without the policy, B may not create more flow logs there.
  const removed = await server.run(['buckets', 'delete-policy', '--bucket', 'a-archive'], { env: asVpcflow(A) });
  assert.equal(removed.code, 0, removed.stderr);
  const again = await aws(B, ['ec2', 'create-flow-logs', '--resource-type', 'Subnet', '--resource-ids', SUBNET_B, '--traffic-type', 'REJECT',
    '--log-destination-type', 's3', '--log-destination', 'arn:aws:s3:::a-archive/']);
  assert.deepEqual(JSON.parse(again.stdout).Unsuccessful.map((u: { Error: { Code: string }; ResourceId: string }) => [u.ResourceId, u.Error.Code]), [[SUBNET_B, '400']]);
  // Nor does its existing flow log write there any more: the delivery fails as on AWS (FAILED, Access error).
  const later = join(server.dataDir, 'b-later.pcap');
  writeFileSync(later, demoCapture([{ client: '10.9.1.10', server: '198.51.100.8', protocol: 'udp', port: 53, exchanges: 2, startSec: T0 + 3600 }]));
  const refusedDelivery = await server.run(['ingest', later], { env: asVpcflow(B) });
  assert.match(refusedDelivery.stdout + refusedDelivery.stderr, /Access Denied for LogDestination: a-archive/);
  assert.deepEqual(files(join(s3, 'a-archive')).map((f) => relative(s3, f)).sort(), [...written].sort(), 'no file was added');
  const status = JSON.parse((await aws(B, ['ec2', 'describe-flow-logs', '--flow-log-ids', allowed.FlowLogIds[0]!])).stdout).FlowLogs[0];
  assert.deepEqual([status.DeliverLogsStatus, status.DeliverLogsErrorMessage], ['FAILED', 'Access error']);
});

test('an account owns at most --max-buckets-per-account buckets', { skip: SKIP }, async () => {
  // A owns a-archive already.
  assert.equal((await createS3(A, VPC_A, 'arn:aws:s3:::a-second')).FlowLogIds.length, 1);
  assert.equal((await createS3(A, VPC_A, 'arn:aws:s3:::a-third')).FlowLogIds.length, 1);
  const fourth = await createS3(A, VPC_A, 'arn:aws:s3:::a-fourth');
  assert.deepEqual(fourth.FlowLogIds, []);
  assert.equal(fourth.Unsuccessful[0]!.Error.Code, 'TooManyBuckets');
  assert.match(fourth.Unsuccessful[0]!.Error.Message, new RegExp(`account ${A} already owns 3 buckets`));
  const list = await server.run(['buckets', 'list', '--output', 'json'], { env: asVpcflow(A) });
  assert.deepEqual((JSON.parse(list.stdout) as { Buckets: { Name: string }[] }).Buckets.map((b) => b.Name), ['a-archive', 'a-second', 'a-third']);
  // Another account is free to take the bucket A could not.
  assert.equal((await createS3(B, VPC_B, 'arn:aws:s3:::a-fourth')).FlowLogIds.length, 1);
});

test('a folder that could never be written is refused when the flow log is created', { skip: SKIP }, async () => {
  for (const [destination, message] of [
    ['arn:aws:s3:::b-logs/a//b/', /LogDestination: the folder "a\/\/b\/" has an empty segment/],
    [`arn:aws:s3:::b-logs/${'日'.repeat(300)}/`, /folder segment 1 .* is 900 bytes/],
    ['arn:aws:s3:::b-logs/x/AWSLogs/', /AWSLogs is reserved/],
  ] as const) {
    const r = await aws(B, ['ec2', 'create-flow-logs', '--resource-type', 'VPC', '--resource-ids', VPC_B, '--traffic-type', 'ALL', '--log-destination-type', 's3', '--log-destination', destination]);
    assert.equal(r.code, 254, r.stdout + r.stderr);
    assert.match(r.stderr, /An error occurred \(InvalidParameter\)/);
    assert.match(r.stderr, message);
  }
});
