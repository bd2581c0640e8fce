// SQL runs sandboxed (src/store/sql-sandbox.ts): through the real server and CLI, the operator's
// `vpcflow query` reads the flow records of every account but no file of the host (not /etc/passwd,
// not the keys in DATA_DIR/keys), cannot ATTACH, COPY, INSTALL, SET or run two statements, and a
// runaway query is stopped with QueryTimeout while the server keeps serving. An account's SQL sees
// its own records only, whatever it names.
//
// WIRING: account keys reach SQL once src/api/native.ts lets them call /v1/vpcflow/Query and the
// control plane passes their scope (patch: /work/notes/h3-wiring.patch). Until then the tests marked
// [needs wiring] are skipped (ACCOUNT_SQL_WIRED) and the last test checks the same scoping on this
// server's own data through the store API (Database.query with an account scope), after stopping it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VpcflowServer, type RunResult } from '../helpers/cli.ts';
import { demoCapture } from '../../src/cli/demo-traffic.ts';
import { DEMO_NETWORK } from '../../src/cli/demo.ts';
import { Database } from '../../src/store/index.ts';
import { VpcflowError } from '../../src/platform/errors.ts';

/** Set to true once /work/notes/h3-wiring.patch (or its equivalent) is applied. */
const ACCOUNT_SQL_WIRED = true;

const A = '111122223333'; // DEMO_NETWORK's account
const B = '444455556666';
const NETWORK_B = DEMO_NETWORK.replace(A, B).replaceAll('0a1b2c3d4e5f60718', '0b1b2c3d4e5f60718').replaceAll('0f1e2d3c4b5a69788', '0e1e2d3c4b5a69788');
const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z
const bucket = (account: string) => `sql-bucket-${account}`;
let server: VpcflowServer;
let data: string;
const keys: Record<string, { AccessKeyId: string; SecretAccessKey: string }> = {};
const as = (account: string) => ({ VPCFLOW_CREDENTIALS: '', VPCFLOW_ACCESS_KEY_ID: keys[account]!.AccessKeyId, VPCFLOW_SECRET_ACCESS_KEY: keys[account]!.SecretAccessKey });

function ok(r: RunResult, what: string): string {
  assert.equal(r.code, 0, `${what}: ${r.stderr}`);
  return r.stdout;
}

async function rows(sql: string, env?: Record<string, string>): Promise<Record<string, unknown>[]> {
  return JSON.parse(ok(await server.run(['query', sql, '--output', 'json'], env ? { env } : {}), sql)) as Record<string, unknown>[];
}

async function refused(sql: string, code: string, message: RegExp, env?: Record<string, string>): Promise<void> {
  const r = await server.run(['query', sql], env ? { env } : {});
  assert.notEqual(r.code, 0, `${sql} was refused`);
  assert.match(r.stderr, new RegExp(code), sql);
  assert.match(r.stderr, message, sql);
}

before(async () => {
  server = new VpcflowServer();
  await server.start();
  data = join(server.dataDir, 'data');
  const pcap = join(server.dataDir, 'capture.pcap');
  writeFileSync(pcap, demoCapture([
    { client: '10.0.2.20', server: '10.0.1.10', protocol: 'tcp', port: 80, exchanges: 4, startSec: T0 + 10 },
    { client: '10.0.1.10', server: '10.0.2.20', protocol: 'udp', port: 5353, exchanges: 3, startSec: T0 + 70 },
  ]));
  for (const [account, doc] of [[A, DEMO_NETWORK], [B, NETWORK_B]] as const) {
    const file = join(server.dataDir, `${account}.yaml`);
    writeFileSync(file, doc);
    ok(await server.run(['apply', file]), `apply ${account}`);
    keys[account] = (JSON.parse(ok(await server.run(['accounts', 'create', '--account', account, '--output', 'json']), 'key')) as { AccessKey: { AccessKeyId: string; SecretAccessKey: string } }).AccessKey;
    const vpc = account === A ? 'vpc-0a1b2c3d4e5f60718' : 'vpc-0b1b2c3d4e5f60718';
    ok(await server.run(['flow-logs', 'create', '--account', account, '--resource-type', 'VPC', '--resource-ids', vpc, '--traffic-type', 'ALL',
      '--log-destination-type', 'cloud-watch-logs', '--log-group-name', `/sql/${account}`, '--max-aggregation-interval', '60']), 'flow log');
    // Each account archives into a bucket of its own (a bucket belongs to one account) in the same local store.
    const created = JSON.parse(ok(await server.run(['flow-logs', 'create', '--account', account, '--resource-type', 'VPC', '--resource-ids', vpc, '--traffic-type', 'ALL',
      '--log-destination-type', 's3', '--log-destination', `arn:aws:s3:::${bucket(account)}`, '--max-aggregation-interval', '60']), 'archive flow log')) as { Unsuccessful: unknown[] };
    assert.deepEqual(created.Unsuccessful, []);
    ok(await server.run(['ingest', pcap, '--account', account]), `ingest ${account}`);
  }
});

after(async () => {
  await server?.stop();
});

test('the operator\'s SQL reads every account\'s records and archive files, but no host file or key, and cannot ATTACH, COPY TO, INSTALL, SET or run two statements', async () => {
  const byOwner = await rows('select owner_account, destination_type, count(*)::INT n from flows group by all order by all');
  assert.deepEqual(byOwner.map((r) => [r.owner_account, r.destination_type]), [[A, 'cloud-watch-logs'], [A, 's3'], [B, 'cloud-watch-logs'], [B, 's3']]);
  assert.ok(byOwner.every((r) => Number(r.n) > 0));
  const objects = await rows('select object_key from archive_objects order by 1');
  assert.ok(objects.some((r) => String(r.object_key).includes(`AWSLogs/${A}/`)) && objects.some((r) => String(r.object_key).includes(`AWSLogs/${B}/`)), JSON.stringify(objects));
  const keyFiles = [join(data, 'keys', 'master.key'), server.operatorKeyFile];
  for (const f of keyFiles) assert.ok(existsSync(f), `${f} exists, so a refusal is not a missing file`);
  await refused("select * from read_text('/etc/passwd')", 'InvalidQuery', /Permission Error/);
  for (const f of keyFiles) {
    await refused(`select * from read_text('${f}')`, 'InvalidQuery', /Permission Error/);
    await refused(`select * from read_blob('${f}')`, 'InvalidQuery', /Permission Error/);
  }
  await refused(`select * from read_csv('${data}/s3/${bucket(A)}/**/*.log.gz')`, 'InvalidQuery', /Permission Error/);
  await refused("select * from read_text('http://127.0.0.1:1/x')", 'InvalidQuery', /Permission Error/);
  await refused(`attach '${join(data, 'vpcflow.duckdb')}' as store`, 'InvalidQuery', /only SELECT/);
  const out = join(server.dataDir, 'copied.csv');
  await refused(`copy (select * from flows) to '${out}'`, 'InvalidQuery', /only SELECT/);
  assert.equal(existsSync(out), false);
  await refused('install httpfs', 'InvalidQuery', /only SELECT/);
  await refused('load httpfs', 'InvalidQuery', /only SELECT/);
  await refused('set enable_external_access = true', 'InvalidQuery', /only SELECT/);
  await refused('pragma database_list', 'InvalidQuery', /only SELECT/);
  await refused('delete from flows', 'InvalidQuery', /only SELECT/);
  await refused('select 1; select 2', 'InvalidQuery', /2 statements/);
  await refused("select 1; copy (select 1) to '/tmp/x.csv'", 'InvalidQuery', /2 statements/);
  // What the query's own instance says of itself.
  const settings = await rows("select name, value from duckdb_settings() where name in ('enable_external_access', 'lock_configuration') order by 1");
  assert.deepEqual(settings, [{ name: 'enable_external_access', value: 'false' }, { name: 'lock_configuration', value: 'true' }]);
  const views = await rows('select view_name from duckdb_views() where not internal order by 1');
  assert.deepEqual(views, [{ view_name: 'archive_objects' }, { view_name: 'flows' }]);
  const tables = await rows('select distinct table_name from duckdb_tables() order by 1');
  assert.deepEqual(tables, [{ table_name: 'archive_objects' }, { table_name: 'flow_records' }], 'nothing but the snapshot\'s files');
});

test('a runaway query is stopped with QueryTimeout while the server keeps serving', { timeout: 120_000 }, async () => {
  const runaway = server.run(['query', 'select count(*) from range(1000000000000)']);
  // While it runs, the API answers and other SQL runs (two queries may run at once).
  ok(await server.run(['flow-logs', 'describe', '--account', A]), 'describe during the runaway query');
  assert.ok((await rows('select count(*)::INT n from flows'))[0]!.n as number > 0);
  const r = await runaway;
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /QueryTimeout/);
  assert.match(r.stderr, /did not finish within 30 s/);
  assert.ok((await rows('select count(*)::INT n from flows'))[0]!.n as number > 0, 'and SQL still runs after it');
});

test('[needs wiring] an account key\'s SQL sees only its own records, whatever it names', { skip: !ACCOUNT_SQL_WIRED && 'needs /work/notes/h3-wiring.patch' }, async () => {
  const all = await rows('select owner_account, count(*)::INT n from flows group by 1 order by 1');
  for (const [me, other] of [[A, B], [B, A]] as const) {
    const env = as(me);
    const mine = await rows('select owner_account, count(*)::INT n from flows group by 1', env);
    assert.deepEqual(mine, all.filter((r) => r.owner_account === me));
    const ids = await rows('select distinct account_id from flows', env);
    assert.deepEqual(ids, [{ account_id: me }]);
    const objects = await rows('select object_key from archive_objects', env);
    assert.ok(objects.length > 0 && objects.every((r) => String(r.object_key).includes(`AWSLogs/${me}/`)), JSON.stringify(objects));
    for (const sql of ['select * from flow_records', 'select * from log_events', 'select * from main.flow_logs', 'select * from vpcflow_0.main.flow_logs', 'select * from vpcflow.main.networks']) {
      await refused(sql, 'InvalidQuery', /does not exist/, env);
    }
    await refused(`select * from read_csv('${data}/s3/${bucket(other)}/AWSLogs/${other}/**/*.log.gz')`, 'InvalidQuery', /Permission Error/, env);
    await refused(`attach '${join(data, 'vpcflow.duckdb')}' as store`, 'InvalidQuery', /only SELECT/, env);
    await refused("set lock_configuration = false", 'InvalidQuery', /only SELECT/, env);
    const tables = await rows('select distinct table_name from duckdb_tables() order by 1', env);
    assert.deepEqual(tables.map((t) => t.table_name), ['archive_objects', 'flow_records']);
  }
});

test('an account\'s SQL sees only its own records (store API on this server\'s data; after the server stops)', { timeout: 120_000 }, async () => {
  const all = await rows('select owner_account, count(*)::INT n from flows group by 1 order by 1');
  assert.deepEqual(all.map((r) => r.owner_account), [A, B]);
  // The server owns the database file while it runs; stopping it hands the same data to the store API.
  await server.kill();
  const db = new Database({ dataDir: data });
  await db.start();
  try {
    for (const [me, other] of [[A, B], [B, A]] as const) {
      const scope = { kind: 'account', accountId: me } as const;
      const mine = await db.query('select owner_account, count(*)::INT n from flows group by 1', scope);
      assert.deepEqual(mine.rows, all.filter((r) => r.owner_account === me));
      assert.deepEqual((await db.query('select distinct account_id from flows', scope)).rows, [{ account_id: me }]);
      const objects = (await db.query('select object_key from archive_objects', scope)).rows;
      assert.ok(objects.length > 0 && objects.every((r) => String(r.object_key).includes(`AWSLogs/${me}/`)), JSON.stringify(objects));
      for (const sql of ['select * from flow_records', 'select * from log_events', 'select * from main.flow_logs', 'select * from vpcflow_0.main.flow_logs', 'select * from vpcflow.main.networks']) {
        await assert.rejects(db.query(sql, scope), (e: unknown) => e instanceof VpcflowError && e.code === 'InvalidQuery' && /does not exist/.test(e.message), sql);
      }
      await assert.rejects(db.query(`select * from read_csv('${data}/s3/${bucket(other)}/AWSLogs/${other}/**/*.log.gz')`, scope), (e: unknown) => e instanceof VpcflowError && /Permission Error/.test(e.message));
      const tables = (await db.query('select distinct table_name from duckdb_tables() order by 1', scope)).rows;
      assert.deepEqual(tables.map((t) => t.table_name), ['archive_objects', 'flow_records']);
    }
  } finally {
    await db.stop();
  }
});
