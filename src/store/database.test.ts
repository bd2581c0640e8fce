import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Database, QueryTimeoutError } from './database.ts';

test('reads run beside an open write transaction and see only committed data', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vpcflow-db-'));
  const db = new Database({ dataDir: dir, readers: 2 });
  await db.start();
  try {
    await db.transaction(async (tx) => tx.run('CREATE TABLE t (v INTEGER)'));
    await db.transaction(async (tx) => tx.run('INSERT INTO t VALUES (1)'));
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let inserted!: () => void;
    const insertedOnce = new Promise<void>((r) => (inserted = r));
    const writer = db.transaction(async (tx) => {
      await tx.run('INSERT INTO t VALUES (2)');
      inserted();
      await held;
    });
    await insertedOnce;
    // The writer holds the write connection; a read must not wait for it.
    // Users' SQL (the sandbox's snapshot is written on a read connection) does not wait either.
    const [sum, count, flows] = await Promise.all([db.read('SELECT sum(v)::INTEGER AS s FROM t'), db.read('SELECT count(*)::INTEGER AS n FROM t'), db.query('SELECT count(*)::INTEGER AS n FROM flows')]);
    assert.deepEqual([sum[0], count[0]], [{ s: 1 }, { n: 1 }], 'the uncommitted row is invisible');
    assert.deepEqual(flows.rows, [{ n: 0 }]);
    release();
    await writer;
    assert.deepEqual(await db.read('SELECT sum(v)::INTEGER AS s FROM t'), [{ s: 3 }]);
  } finally {
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('query refuses statements that are not SELECT', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vpcflow-db-'));
  const db = new Database({ dataDir: dir });
  await db.start();
  try {
    await assert.rejects(db.query('CREATE TABLE x (v INTEGER)'), /only SELECT queries/);
    await assert.rejects(db.query('SELEC 1'), /does not parse/);
  } finally {
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a read with a timeout is interrupted when it runs longer, and the connection serves the next read', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vpcflow-db-timeout-'));
  const db = new Database({ dataDir: dir });
  await db.start();
  try {
    // Minutes of work for DuckDB: only the interrupt can end it within the test's time.
    await assert.rejects(db.read('SELECT count(*) AS n FROM range(1000000000000) a WHERE a.range % 7 = 3', [], { timeoutMs: 200 }),
      (e: unknown) => e instanceof QueryTimeoutError && e.code === 'QueryTimeout' && e.httpStatus === 503);
    for (let i = 0; i < 6; i++) assert.deepEqual(await db.read('SELECT 42 AS n', [], { timeoutMs: 5000 }), [{ n: 42 }]);
  } finally {
    await db.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
