// The native /v1 API (what the vpcflow CLI speaks) takes the same keys as the AWS endpoint: unsigned
// or badly signed requests are refused, an account's key acts only within its account, and the
// host-level actions need the operator key the server keeps in DATA_DIR/keys/operator.json.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VpcflowServer, ROOT } from '../helpers/cli.ts';
import { Client, CliError } from '../../src/cli/client.ts';

let server: VpcflowServer;
const A = '111122223333'; // examples/network.yaml's account
const B = '444455556666';
let keyA: { AccessKeyId: string; SecretAccessKey: string };
const asA = () => ({ VPCFLOW_CREDENTIALS: '', VPCFLOW_ACCESS_KEY_ID: keyA.AccessKeyId, VPCFLOW_SECRET_ACCESS_KEY: keyA.SecretAccessKey });

before(async () => {
  server = new VpcflowServer();
  await server.start();
  const applied = await server.run(['apply', join(ROOT, 'examples/network.yaml')]);
  assert.equal(applied.code, 0, applied.stderr);
  const created = await server.run(['accounts', 'create', '--account', A, '--output', 'json']);
  assert.equal(created.code, 0, created.stderr);
  keyA = (JSON.parse(created.stdout) as { AccessKey: typeof keyA }).AccessKey;
});

after(async () => {
  await server?.stop();
});

test('the operator key file is the server\'s, readable by its owner only', () => {
  assert.equal(statSync(server.operatorKeyFile).mode & 0o777, 0o600);
});

test('unsigned requests are refused with MissingAuthenticationToken (401) and a hint; /v1/health stays open', async () => {
  const r = await fetch(`${server.endpoint}/v1/ec2/DescribeFlowLogs`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
  assert.equal(r.status, 401);
  const body = await r.json() as { __type: string; message: string };
  assert.equal(body.__type, 'MissingAuthenticationTokenException');
  assert.match(body.message, /VPCFLOW_CREDENTIALS/);
  assert.equal((await fetch(`${server.endpoint}/v1/health`)).status, 200);
  // The CLI without any key says the same.
  const cli = await server.run(['flow-logs', 'describe'], { env: { VPCFLOW_CREDENTIALS: join(server.dataDir, 'missing.json') } });
  assert.notEqual(cli.code, 0);
});

test('a wrong secret or an unknown key is refused (403) and changes nothing', async () => {
  const wrong = await server.run(['flow-logs', 'create', '--resource-type', 'VPC', '--resource-ids', 'vpc-0a1b2c3d4e5f60718', '--traffic-type', 'ALL',
    '--log-destination-type', 'cloud-watch-logs', '--log-group-name', '/x'], { env: { ...asA(), VPCFLOW_SECRET_ACCESS_KEY: 'x'.repeat(40) } });
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /InvalidSignatureException/);
  const unknown = await server.run(['flow-logs', 'describe'], { env: { VPCFLOW_CREDENTIALS: '', VPCFLOW_ACCESS_KEY_ID: 'AKIAAAAAAAAAAAAAAAAA', VPCFLOW_SECRET_ACCESS_KEY: 'y'.repeat(40) } });
  assert.match(unknown.stderr, /UnrecognizedClientException/);
  const list = await server.run(['flow-logs', 'describe', '--output', 'json']);
  assert.deepEqual((JSON.parse(list.stdout) as { FlowLogs: unknown[] }).FlowLogs, []);
});

test('an account key works within its account (flow logs, network) and nowhere else', async () => {
  const created = await server.run(['flow-logs', 'create', '--resource-type', 'VPC', '--resource-ids', 'vpc-0a1b2c3d4e5f60718', '--traffic-type', 'ALL',
    '--log-destination-type', 'cloud-watch-logs', '--log-group-name', '/auth/a', '--output', 'json'], { env: asA() });
  assert.equal(created.code, 0, created.stderr);
  const mine = await server.run(['flow-logs', 'describe', '--output', 'json'], { env: asA() });
  assert.equal((JSON.parse(mine.stdout) as { FlowLogs: unknown[] }).FlowLogs.length, 1);
  // Naming another account with A's key (the native API's Account member) is refused.
  const client = new Client(server.endpoint, { accessKeyId: keyA.AccessKeyId, secretAccessKey: keyA.SecretAccessKey });
  for (const [path, body] of [['/v1/ec2/DescribeFlowLogs', { Account: B }], ['/v1/logs/DescribeLogGroups', { Account: B }], ['/v1/vpcflow/DescribeNetwork', { Account: B }]] as const) {
    await assert.rejects(client.call(path, body), (e: unknown) => e instanceof CliError && e.code === 'AccessDenied' && /cannot act for account 444455556666/.test(e.message), path);
  }
  assert.equal(((await client.call('/v1/vpcflow/DescribeNetwork', { Account: A })) as { Network: { account: string } }).Network.account, A);
  // A document of another account cannot be applied with A's key.
  const doc = join(server.dataDir, 'b.yaml');
  writeFileSync(doc, `account: "${B}"\nregion: us-east-1\nvpcs: [{ cidr: 10.9.0.0/16 }]\n`);
  const applied = await server.run(['apply', doc], { env: asA() });
  assert.match(applied.stderr, /AccessDenied/);
  const networks = await server.run(['query', "select count(*)::INT n from flows"]);
  assert.equal(networks.code, 0, 'the operator may query');
});

test('host-level actions need the operator key', async () => {
  // SQL is not host-level any more: an account key's runs over its own records (test/e2e/sql-sandbox.test.ts).
  for (const args of [['accounts', 'create', '--account', B], ['down'], ['exec', 'i-0a1b2c3d4e5f60718', '--', 'true']]) {
    const r = await server.run(args, { env: { ...asA(), VPCFLOW_ENDPOINT: server.endpoint }, withEndpoint: false });
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, /AccessDenied.*operator key/, args.join(' '));
  }
});
