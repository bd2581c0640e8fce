import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { mountBucketRoutes } from '../api/buckets-routes.ts';
import { BucketRegistry } from '../destinations/archive/buckets.ts';
import { VpcflowError } from '../platform/errors.ts';
import { Database } from '../store/database.ts';

const A = '111122223333';
const B = '444455556666';

let dir: string;
let db: Database;
let registry: BucketRegistry;
let server: ServerType;
let endpoint: string;
let runner: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vpcflow-bucket-cli-'));
  db = new Database({ dataDir: join(dir, 'db'), readers: 1 });
  await db.start();
  registry = new BucketRegistry(db, { now: () => Date.UTC(2026, 0, 2) });
  const app = new Hono();
  app.onError((err, c) => c.json({ __type: err instanceof VpcflowError ? err.code : 'InternalFailure', message: err.message }, (err instanceof VpcflowError ? err.httpStatus : 500) as 400));
  // native.ts decides the account from the signature; here the CLI's ?account= stands in for it.
  mountBucketRoutes(app, {
    registry,
    body: async (c) => JSON.parse((await c.req.text()) || '{}') as Record<string, unknown>,
    account: async (c) => c.req.query('account') ?? A,
  });
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const address = server.address();
  endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  runner = join(dir, 'run-buckets.mts');
  const url = (p: string) => JSON.stringify(pathToFileURL(join(import.meta.dirname, p)).href);
  writeFileSync(runner, `
import { Command, Option } from ${JSON.stringify(import.meta.resolve('commander'))};
import { addBucketCommands } from ${url('buckets-commands.ts')};
import { CliError } from ${url('client.ts')};
import { parseOutput } from ${url('output.ts')};
const program = new Command('vpcflow').exitOverride();
addBucketCommands(program, (cmd, defaultOutput = 'json') => cmd.addOption(new Option('--endpoint <url>')).addOption(new Option('--output <format>').argParser(parseOutput).default(defaultOutput)));
try {
  await program.parseAsync(['node', 'vpcflow', 'buckets', ...process.argv.slice(2)]);
} catch (e) {
  process.stderr.write(e instanceof CliError ? \`[\${e.code ?? 'usage'}] \${e.message}\` : String(e));
  process.exit(2);
}
`);
});
after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await db.stop();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs `vpcflow buckets ARGS` in a process of its own (the program main.ts builds: its --endpoint and
 * --output helper, errors printed as main() prints them) and returns what it printed; rejects with
 * stderr (holding `[CODE]` of a server error) when it exits non-zero.
 */
function buckets(args: string[]): Promise<string> {
  const cleanEnv = () => {
    const env = { ...process.env };
    for (const k of ['VPCFLOW_ACCESS_KEY_ID', 'VPCFLOW_SECRET_ACCESS_KEY', 'VPCFLOW_CREDENTIALS', 'VPCFLOW_ACCOUNT', 'VPCFLOW_ENDPOINT']) delete env[k];
    return env;
  };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', runner, ...args, '--endpoint', endpoint], { cwd: join(import.meta.dirname, '../..'), env: cleanEnv() },
      (err, stdout, stderr) => (err ? reject(new Error(stderr || String(err))) : resolve(stdout)));
  });
}

test('put-policy --grant-account writes AWS\'s policy; get-policy, list and delete-policy show and undo it', async () => {
  await buckets(['put-policy', '--bucket', 'cli-logs', '--grant-account', B, '--folder', 'team', '--account', A]);
  const shown = JSON.parse(await buckets(['get-policy', '--bucket', 'cli-logs', '--account', A, '--output', 'text'])) as { Statement: { Resource: unknown }[] };
  assert.deepEqual(shown.Statement[0]!.Resource, [`arn:aws:s3:::cli-logs/team/AWSLogs/${B}/*`, `arn:aws:s3:::cli-logs/team/AWSLogs/aws-account-id=${B}/*`]);
  assert.equal(await registry.claimOrCheck(undefined, { account: B, region: 'us-east-1', bucket: 'cli-logs', prefix: 'team/', hiveCompatiblePartitions: false }), 'granted');
  const table = await buckets(['list', '--account', A]);
  assert.match(table, /\| Name\s+\| CreationDate\s+\|/);
  assert.match(table, /\| cli-logs \| 2026-01-02T00:00:00\.000Z \|/);
  assert.deepEqual(JSON.parse(await buckets(['list', '--account', B, '--output', 'json'])), { Buckets: [], Owner: { ID: B } });
  await buckets(['delete-policy', '--bucket', 'cli-logs', '--account', A]);
  await assert.rejects(buckets(['get-policy', '--bucket', 'cli-logs', '--account', A]), /\[NoSuchBucketPolicy\] An error occurred \(NoSuchBucketPolicy\): The bucket policy does not exist/);
});

test('put-policy --policy takes the JSON or file://PATH, as the aws CLI does', async () => {
  const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'delivery.logs.amazonaws.com' }, Action: 's3:PutObject', Resource: 'arn:aws:s3:::cli-file/*', Condition: { StringEquals: { 'aws:SourceAccount': B } } }] });
  const file = join(dir, 'policy.json');
  writeFileSync(file, policy);
  await buckets(['put-policy', '--bucket', 'cli-file', '--policy', `file://${file}`, '--account', A]);
  assert.equal(JSON.parse(await buckets(['get-policy', '--bucket', 'cli-file', '--account', A])).Policy, policy);
  await buckets(['put-policy', '--bucket', 'cli-file', '--policy', policy.replace('/*', '/b/*'), '--account', A]);
  assert.match(JSON.parse(await buckets(['get-policy', '--bucket', 'cli-file', '--account', A])).Policy as string, /cli-file\/b\/\*/);
});

test('usage errors and server refusals', async () => {
  await assert.rejects(buckets(['put-policy', '--bucket', 'x-logs', '--account', A]), /give either --policy or --grant-account/);
  await assert.rejects(buckets(['put-policy', '--bucket', 'x-logs', '--policy', '{}', '--grant-account', B]), /give either --policy or --grant-account/);
  await assert.rejects(buckets(['put-policy', '--bucket', 'x-logs', '--policy', '{}', '--folder', 'f']), /--folder goes with --grant-account/);
  await assert.rejects(buckets(['put-policy', '--bucket', 'x-logs', '--grant-account', '123']), /an account id is 12 digits, got '123'/);
  await assert.rejects(buckets(['put-policy', '--bucket', 'x-logs', '--policy', `file://${join(dir, 'missing.json')}`]), /--policy: cannot read .*missing\.json/);
  const big = join(dir, 'big.json');
  writeFileSync(big, ' '.repeat(30_000));
  await assert.rejects(buckets(['put-policy', '--bucket', 'x-logs', '--policy', `file://${big}`]), /is 30000 bytes; a bucket policy may have at most 20480/);
  await assert.rejects(buckets(['put-policy', '--bucket', 'x-logs', '--policy', '{"Version": "2012-10-17"}']), /\[MalformedPolicy\] .*Statement: is missing/);
  await assert.rejects(buckets(['get-policy', '--bucket', 'cli-file', '--account', B]), /\[AccessDenied\] An error occurred \(AccessDenied\): Access Denied/);
});
