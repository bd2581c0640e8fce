import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, test } from 'node:test';
import { VpcflowError } from '../platform/errors.ts';
import { Database } from './database.ts';
import { appendRecords, type StoredRecord } from './records-table.ts';
import type { SqlScope } from './sql-sandbox.ts';

const A = '111122223333';
const B = '444455556666';
const asA: SqlScope = { kind: 'account', accountId: A };
const asB: SqlScope = { kind: 'account', accountId: B };

let dir: string;
let db: Database;

function records(owner: string, flowLogId: string, n: number, firstPort: number): StoredRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    record: {
      version: 2, 'account-id': owner, 'interface-id': 'eni-0a1b2c3d4e5f60718', srcaddr: '10.0.1.10', dstaddr: '10.0.2.20',
      srcport: firstPort + i, dstport: 443, protocol: 6, packets: 1, bytes: 100, start: 1_767_225_600, end: 1_767_225_660, action: 'ACCEPT', 'log-status': 'OK',
    },
    ownerAccount: owner, flowLogId, destinationType: 'cloud-watch-logs', destination: '/vpc/x', rule: null, ingestionTime: 1_767_225_700_000,
  }));
}

const failsWith = (code: string, pattern: RegExp) => (e: unknown) => {
  assert.ok(e instanceof VpcflowError, `a VpcflowError, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  assert.ok(e.httpStatus >= 400 && e.httpStatus < 500, `4xx, got ${e.httpStatus}`);
  assert.match(e.message, pattern);
  return true;
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vpcflow-sql-'));
  // A file the sandbox must never read, inside the data folder like the real keys.
  writeFileSync(join(dir, 'secret.txt'), 'master key material');
  // A deadline well above what a loaded 2-core machine needs for the memory-limit cases (which must fail
  // on memory, not on time); only the runaway query reaches it.
  db = new Database({ dataDir: dir, sql: { timeoutMs: 30_000, maxRows: 50, maxResultBytes: 64 * 1024 } });
  await db.start();
  await db.transaction(async (tx) => {
    await appendRecords(tx, records(A, 'fl-0aaaaaaaaaaaaaaaa', 3, 1000));
    await appendRecords(tx, records(B, 'fl-0bbbbbbbbbbbbbbbb', 5, 2000));
    await tx.run('INSERT INTO flow_logs VALUES ($1, $2, $3, 0)', ['fl-0aaaaaaaaaaaaaaaa', A, '{}']);
    await tx.run('INSERT INTO flow_logs VALUES ($1, $2, $3, 0)', ['fl-0bbbbbbbbbbbbbbbb', B, '{}']);
    await tx.run("INSERT INTO archive_objects VALUES ('fl-0aaaaaaaaaaaaaaaa', 0, 0, 'AWSLogs/111122223333/a.log.gz', 3, 0)");
    await tx.run("INSERT INTO archive_objects VALUES ('fl-0bbbbbbbbbbbbbbbb', 0, 0, 'AWSLogs/444455556666/b.log.gz', 5, 0)");
  });
});

after(async () => {
  await db?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('the operator sees every account\'s records; an account only its own, whatever it names', { timeout: 180_000 }, async () => {
  const all = await db.query("SELECT owner_account, count(*)::INT AS n FROM flows GROUP BY 1 ORDER BY 1");
  assert.deepEqual(all.rows, [{ owner_account: A, n: 3 }, { owner_account: B, n: 5 }]);
  assert.deepEqual(all.columns, ['owner_account', 'n']);
  assert.equal(all.truncated, null);
  const mine = await db.query('SELECT owner_account, count(*)::INT AS n, min(srcport) AS p FROM flows GROUP BY 1', asA);
  assert.deepEqual(mine.rows, [{ owner_account: A, n: 3, p: 1000 }]);
  const theirs = await db.query('SELECT count(*)::INT AS n FROM flows', asB);
  assert.deepEqual(theirs.rows, [{ n: 5 }]);
  // Everything that lists tables, databases or files of the instance shows the account's own only.
  const archive = await db.query('SELECT object_key FROM archive_objects', asA);
  assert.deepEqual(archive.rows, [{ object_key: 'AWSLogs/111122223333/a.log.gz' }]);
  const tables = await db.query('SELECT database_name, schema_name, table_name, estimated_size::INT AS rows FROM duckdb_tables() ORDER BY table_name', asA);
  assert.deepEqual(tables.rows, [
    { database_name: 'vpcflow_0', schema_name: 'main', table_name: 'archive_objects', rows: 1 },
    { database_name: 'vpcflow_0', schema_name: 'main', table_name: 'flow_records', rows: 3 },
  ]);
  const views = await db.query('SELECT database_name, view_name FROM duckdb_views() WHERE NOT internal ORDER BY 2', asA);
  assert.deepEqual(views.rows, [{ database_name: 'memory', view_name: 'archive_objects' }, { database_name: 'memory', view_name: 'flows' }]);
  const dbs = await db.query("SELECT database_name FROM duckdb_databases() WHERE NOT internal ORDER BY 1", asA);
  assert.deepEqual(dbs.rows.map((r) => r.database_name), ['memory', 'vpcflow_0']);
  for (const sql of ['SELECT * FROM flow_records', 'SELECT * FROM log_events', 'SELECT * FROM main.flow_logs', 'SELECT * FROM vpcflow_0.main.networks', 'SELECT * FROM vpcflow.main.flows']) {
    await assert.rejects(db.query(sql, asA), failsWith('InvalidQuery', /does not exist/), sql);
  }
  // The other scopes' snapshot files lie in the same folder: not readable, unlike its own.
  const own = String((await db.query("SELECT path FROM duckdb_databases() WHERE database_name = 'vpcflow_0'", asA)).rows[0]?.path);
  const others = readdirSync(join(db.sqlDir, 'snapshots')).map((f) => join(db.sqlDir, 'snapshots', f)).filter((f) => f !== own);
  assert.ok(others.length >= 2, `the operator's and B's snapshots are there too: ${others}`);
  assert.deepEqual((await db.query(`SELECT count(*)::INT AS n FROM read_blob('${own}')`, asA)).rows, [{ n: 1 }]);
  for (const f of others) await assert.rejects(db.query(`SELECT count(*) FROM read_blob('${f}')`, asA), failsWith('InvalidQuery', /Permission Error/), f);
  await assert.rejects(db.query(`SELECT count(*) FROM read_blob('${join(db.sqlDir, 'snapshots')}/*')`, asA), failsWith('InvalidQuery', /Permission Error/));
});

test('no file, URL, ATTACH, COPY, extension, setting or second statement', { timeout: 120_000 }, async () => {
  const refused: [string, string, RegExp][] = [
    ["SELECT * FROM read_text('/etc/passwd')", 'InvalidQuery', /Permission Error.*disabled by configuration/s],
    [`SELECT content FROM read_text('${join(dir, 'secret.txt')}')`, 'InvalidQuery', /Permission Error/],
    [`SELECT * FROM read_blob('${join(dir, 'vpcflow.duckdb')}')`, 'InvalidQuery', /Permission Error/],
    [`SELECT * FROM glob('${dir}/*')`, 'InvalidQuery', /Permission Error/],
    ["SELECT * FROM read_csv('https://example.com/x.csv')", 'InvalidQuery', /Permission Error/],
    [`ATTACH '${join(dir, 'vpcflow.duckdb')}' AS main_db`, 'InvalidQuery', /only SELECT/],
    ["ATTACH ':memory:' AS scratch", 'InvalidQuery', /only SELECT/],
    [`COPY (SELECT * FROM flows) TO '${join(dir, 'out.csv')}'`, 'InvalidQuery', /only SELECT/],
    ['INSTALL httpfs', 'InvalidQuery', /only SELECT/],
    ['LOAD httpfs', 'InvalidQuery', /only SELECT/],
    ['SET enable_external_access = true', 'InvalidQuery', /only SELECT/],
    ["PRAGMA database_list", 'InvalidQuery', /only SELECT/],
    ['CREATE TABLE x AS SELECT 1', 'InvalidQuery', /only SELECT/],
    ['DELETE FROM flows', 'InvalidQuery', /only SELECT/],
    ['EXPLAIN ANALYZE DELETE FROM flows', 'InvalidQuery', /only SELECT/],
    ['SELECT 1; SELECT 2', 'InvalidQuery', /2 statements/],
    ["SELECT 1; ATTACH ':memory:' AS x", 'InvalidQuery', /2 statements/],
    ['SELEC 1', 'InvalidQuery', /does not parse/],
    ["SELECT * FROM query('SELECT 1; SELECT 2')", 'InvalidQuery', /single SELECT/],
    ['SET VARIABLE x = 1', 'InvalidQuery', /only SELECT/],
    ['SELECT * FROM duckdb_secrets()', 'InvalidQuery', /Permission Error/],
    ['SELECT getenv(\'HOME\')', 'InvalidQuery', /getenv does not exist/],
    ['SELECT 1 /* unterminated', 'InvalidQuery', /does not parse/],
  ];
  for (const [sql, code, pattern] of refused) await assert.rejects(db.query(sql, asA), failsWith(code, pattern), sql);
  // The settings that matter, as the query's instance reports them.
  const s = await db.query("SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', 'lock_configuration', 'autoload_known_extensions', 'threads') ORDER BY 1");
  assert.deepEqual(Object.fromEntries(s.rows.map((r) => [r.name, r.value])), { autoload_known_extensions: 'false', enable_external_access: 'false', lock_configuration: 'true', threads: '1' });
  // A trailing semicolon, comments, CTEs, EXPLAIN and DESCRIBE are fine.
  assert.deepEqual((await db.query('WITH x AS (SELECT 2 AS v) SELECT v FROM x; -- done', asA)).rows, [{ v: 2 }]);
  assert.ok((await db.query('EXPLAIN SELECT count(*) FROM flows', asA)).rows.length > 0);
  assert.ok((await db.query('DESCRIBE flows', asA)).rows.some((r) => r.column_name === 'srcaddr'));
  assert.deepEqual((await db.query('SELECT srcport FROM flows ORDER BY srcport DESC LIMIT 2', asB)).rows, [{ srcport: 2004 }, { srcport: 2003 }]);
});

test('the store itself reads no file outside its own and the sandbox folder', async () => {
  await assert.rejects(db.read("SELECT * FROM read_text('/etc/passwd')"), /Permission Error/);
  await assert.rejects(db.run(`COPY (SELECT 1) TO '${join(dir, 'x.csv')}'`), /Permission Error/);
  await assert.rejects(db.run('SET enable_external_access = true'), /locked/);
});

test('a runaway query is stopped at the deadline with QueryTimeout; the next query runs', { timeout: 180_000 }, async () => {
  await assert.rejects(db.query('SELECT count(*) FROM range(1000000000000)', asA), failsWith('QueryTimeout', /did not finish within 30 s/));
  assert.deepEqual((await db.query('SELECT count(*)::INT AS n FROM flows', asA)).rows, [{ n: 3 }]);
});

test('results are cut at the row and byte limits, and say so', { timeout: 180_000 }, async () => {
  const many = await db.query('SELECT range AS i FROM range(1000000000000)');
  assert.equal(many.rows.length, 50);
  assert.deepEqual(many.truncated, { by: 'rows', limit: 50 });
  assert.deepEqual(many.rows[49], { i: '49' });
  const first = await db.query("SELECT repeat('x', 100000 + range::INT) AS s FROM range(1000)");
  assert.deepEqual([first.rows.length, first.truncated], [0, { by: 'bytes', limit: 64 * 1024 }], 'a first row over the budget');
  const some = await db.query("SELECT repeat('y', 10000 + range::INT) AS s FROM range(100)");
  assert.ok(some.rows.length >= 5 && some.rows.length <= 7, `about 6 rows of 10 kB fit 64 KiB, got ${some.rows.length}`);
  assert.deepEqual(some.truncated, { by: 'bytes', limit: 64 * 1024 });
});

test('memory is bounded: a query over its memory fails with QueryResourceLimit, the server lives on', { timeout: 180_000 }, async () => {
  await assert.rejects(db.query('SELECT list(range) FROM range(100000000)', asA), failsWith('QueryResourceLimit', /memory/));
  // In the server's own process this one took 10 GB and then crashed node converting its rows.
  await assert.rejects(db.query("SELECT repeat('x', 10000000) AS s FROM range(1000)", asA), failsWith('QueryResourceLimit', /memory/));
  assert.deepEqual((await db.query('SELECT 1 AS one', asA)).rows, [{ one: 1 }]);
});

test('every write is seen by the next query: appended rows extend the snapshot, any other change copies it anew', { timeout: 120_000 }, async () => {
  // How many snapshot files the flows view reads.
  const files = async (scope: SqlScope) => Number((await db.query("SELECT len(regexp_extract_all(sql, 'vpcflow_[0-9]+')) AS n FROM duckdb_views() WHERE view_name = 'flows'", scope)).rows[0]!.n);
  const ports = async (scope: SqlScope) => (await db.query('SELECT list(srcport ORDER BY srcport) AS p FROM flows', scope)).rows[0]!.p;
  assert.deepEqual(await ports(asA), [1000, 1001, 1002]);
  const before = await files(asA);
  await db.transaction((tx) => appendRecords(tx, records(A, 'fl-0aaaaaaaaaaaaaaaa', 2, 3000)));
  assert.deepEqual(await ports(asA), [1000, 1001, 1002, 3000, 3001]);
  assert.equal(await files(asA), before + 1, 'the new rows came as one more file');
  // B's rows did not change: its snapshot gets a file of archive_objects only, no more flows.
  const filesOfB = await files(asB);
  await db.transaction((tx) => tx.run("INSERT INTO archive_objects VALUES ('fl-0bbbbbbbbbbbbbbbb', 1, 0, 'AWSLogs/444455556666/c.log.gz', 0, 0)"));
  assert.deepEqual(await ports(asB), [2000, 2001, 2002, 2003, 2004]);
  assert.equal(await files(asB), filesOfB);
  assert.deepEqual((await db.query('SELECT count(*)::INT AS n FROM archive_objects', asB)).rows, [{ n: 2 }]);
  await db.transaction((tx) => tx.run("DELETE FROM archive_objects WHERE object_key = 'AWSLogs/444455556666/c.log.gz'"));
  // Rows before the snapshot's end changed: a whole new copy, never stale rows.
  await db.transaction((tx) => tx.run('DELETE FROM flow_records WHERE srcport = 1001'));
  assert.deepEqual(await ports(asA), [1000, 1002, 3000, 3001]);
  assert.equal(await files(asA), 1);
  await db.transaction((tx) => tx.run('UPDATE flow_records SET bytes = 7 WHERE srcport = 1000'));
  assert.deepEqual((await db.query('SELECT bytes FROM flows WHERE srcport = 1000', asA)).rows, [{ bytes: '7' }]);
  await db.transaction((tx) => tx.run('DELETE FROM flow_records WHERE srcport >= 3000'));
  await db.transaction((tx) => appendRecords(tx, records(A, 'fl-0aaaaaaaaaaaaaaaa', 1, 1001)));
  assert.deepEqual(await ports(asA), [1000, 1001, 1002]);
});

test('scopes and SQL text are checked before anything runs', async () => {
  await assert.rejects(db.query('SELECT 1', { kind: 'account', accountId: "1' OR '1'='1" }), failsWith('InvalidParameterValue', /12 digits/));
  await assert.rejects(db.query('   '), failsWith('InvalidQuery', /empty/));
  await assert.rejects(db.query(`SELECT ${'1+'.repeat(60_000)}1`), failsWith('InvalidQuery', /characters long/));
});

test('past maxConcurrent running and maxWaiting waiting, a query is refused with ThrottlingException (429)', { timeout: 180_000 }, async () => {
  const small = new Database({ dataDir: join(dir, 'small'), sql: { timeoutMs: 4_000, maxConcurrent: 1, maxWaiting: 0 } });
  await small.start();
  try {
    const runaway = small.query('SELECT count(*) FROM range(1000000000000)');
    await assert.rejects(small.query('SELECT 1'), (e: unknown) => e instanceof VpcflowError && e.code === 'ThrottlingException' && e.httpStatus === 429);
    await assert.rejects(runaway, failsWith('QueryTimeout', /4 s/));
    assert.deepEqual((await small.query('SELECT 1 AS one')).rows, [{ one: 1 }], 'the slot is free again');
  } finally {
    await small.stop();
  }
});

test('a data folder given as a relative path works (the workers run in another directory)', { timeout: 180_000 }, async () => {
  const abs = mkdtempSync(join(tmpdir(), 'vpcflow-sql-rel-'));
  const rel = new Database({ dataDir: relative(process.cwd(), abs) });
  await rel.start();
  try {
    await rel.transaction((tx) => appendRecords(tx, records(A, 'fl-0aaaaaaaaaaaaaaaa', 2, 10)));
    assert.deepEqual((await rel.query('SELECT count(*)::INT AS n FROM flows', asA)).rows, [{ n: 2 }]);
  } finally {
    await rel.stop();
    rmSync(abs, { recursive: true, force: true });
  }
});
