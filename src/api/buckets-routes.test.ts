import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Hono } from 'hono';
import { BucketRegistry } from '../destinations/archive/buckets.ts';
import { deliveryPolicy } from '../destinations/archive/bucket-policy.ts';
import { VpcflowError } from '../platform/errors.ts';
import { Database } from '../store/database.ts';
import { mountBucketRoutes } from './buckets-routes.ts';

const A = '111122223333';
const B = '444455556666';

let dir: string;
let db: Database;
let registry: BucketRegistry;
let app: Hono;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vpcflow-bucket-routes-'));
  db = new Database({ dataDir: dir, readers: 2 });
  await db.start();
  registry = new BucketRegistry(db, { now: () => Date.UTC(2026, 0, 2, 3, 4, 5) });
  app = new Hono();
  // native.ts answers coded errors this way; authentication there decides the account, here a header stands in for it.
  app.onError((err, c) => {
    if (err instanceof VpcflowError) return c.json({ __type: err.code, message: err.message }, err.httpStatus as 400);
    return c.json({ __type: 'InternalFailure', message: err.message }, 500);
  });
  mountBucketRoutes(app, {
    registry,
    body: async (c) => JSON.parse((await c.req.text()) || '{}') as Record<string, unknown>,
    account: async (c) => {
      const a = c.req.header('x-account');
      if (!a) throw new VpcflowError('InvalidParameterValue', 'no account');
      return a;
    },
  });
});
after(async () => {
  await db?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function call(account: string, action: string, body: Record<string, unknown> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await app.request(`/v1/s3/${action}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-account': account }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() as Record<string, unknown> };
}

test('put, get and delete a policy as the owner; the grant takes effect; others get AccessDenied', async () => {
  await registry.claimOrCheck(undefined, { account: A, region: 'us-east-1', bucket: 'route-logs', prefix: '', hiveCompatiblePartitions: false });
  const policy = deliveryPolicy('route-logs', [B]);
  assert.deepEqual(await call(A, 'PutBucketPolicy', { Bucket: 'route-logs', Policy: policy }), { status: 200, body: {} });
  assert.deepEqual(await call(A, 'GetBucketPolicy', { Bucket: 'route-logs' }), { status: 200, body: { Policy: policy } });
  assert.equal(await registry.claimOrCheck(undefined, { account: B, region: 'us-east-1', bucket: 'route-logs', prefix: '', hiveCompatiblePartitions: true }), 'granted');
  for (const [action, body] of [['GetBucketPolicy', {}], ['DeleteBucketPolicy', {}], ['PutBucketPolicy', { Policy: policy }]] as const) {
    assert.deepEqual(await call(B, action, { Bucket: 'route-logs', ...body }), { status: 403, body: { __type: 'AccessDenied', message: 'Access Denied' } }, action);
  }
  assert.deepEqual(await call(A, 'DeleteBucketPolicy', { Bucket: 'route-logs' }), { status: 200, body: {} });
  assert.deepEqual((await call(A, 'GetBucketPolicy', { Bucket: 'route-logs' })).status, 404);
});

test('ListBuckets shows the caller\'s buckets only, in S3\'s shape', async () => {
  await registry.claimOrCheck(undefined, { account: B, region: 'us-east-1', bucket: 'b-owned', prefix: '', hiveCompatiblePartitions: false });
  const mine = await call(B, 'ListBuckets');
  assert.deepEqual(mine, { status: 200, body: { Buckets: [{ Name: 'b-owned', CreationDate: '2026-01-02T03:04:05.000Z' }], Owner: { ID: B } } });
  assert.equal(JSON.stringify((await call(A, 'ListBuckets')).body).includes('b-owned'), false);
});

test('bad requests get precise errors', async () => {
  assert.deepEqual(await call(A, 'PutBucketPolicy', { Bucket: 'route-logs' }), { status: 400, body: { __type: 'MissingParameter', message: 'The request must contain the parameter Policy (the policy document as JSON text)' } });
  assert.deepEqual((await call(A, 'GetBucketPolicy', {})).body.__type, 'MissingParameter');
  assert.deepEqual((await call(A, 'GetBucketPolicy', { Bucket: 7 })).body, { __type: 'InvalidParameterValue', message: 'Bucket must be a string, got 7' });
  assert.deepEqual((await call(A, 'ListBuckets', { Prefix: 'x' })).body, { __type: 'UnknownParameter', message: 'ListBuckets has no member Prefix (it takes Account)' });
  const malformed = await call(A, 'PutBucketPolicy', { Bucket: 'route-logs', Policy: { Version: '2012-10-17' } });
  assert.deepEqual([malformed.status, malformed.body.__type], [400, 'MalformedPolicy']);
  assert.match(String(malformed.body.message), /^Policy: must be the policy document as JSON text/);
  assert.equal((await call(A, 'GetBucketPolicy', { Bucket: 'Not_A_Bucket' })).body.__type, 'InvalidBucketName');
});
