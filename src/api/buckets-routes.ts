// The native API's archive bucket actions, in S3's names and shapes: /v1/s3/ListBuckets (the
// caller's own buckets), PutBucketPolicy, GetBucketPolicy, DeleteBucketPolicy (their owner only).
// Authentication stays with native.ts: it mounts these routes behind its /v1 middleware and passes
// in how a request's body is read and whose account it acts for.

import type { Context, Hono } from 'hono';
import type { BucketRegistry } from '../destinations/archive/buckets.ts';
import { VpcflowError, describeValue } from '../platform/errors.ts';

export interface BucketRouteDeps {
  readonly registry: BucketRegistry;
  /** The request's JSON object (native.ts's `json(c)`, which reuses the body its signature check read). */
  readonly body: (c: Context) => Promise<Record<string, unknown>>;
  /**
   * The account the request acts for: an account key's own, or the one the operator names
   * (native.ts: `control.accountFor(account(c, body))`). Throws when there is none.
   */
  readonly account: (c: Context, body: Record<string, unknown>) => Promise<string>;
}

/** Members each action takes (`Account`: the native API's way for the operator to name an account). */
const MEMBERS: Readonly<Record<string, readonly string[]>> = {
  ListBuckets: ['Account'],
  PutBucketPolicy: ['Account', 'Bucket', 'Policy'],
  GetBucketPolicy: ['Account', 'Bucket'],
  DeleteBucketPolicy: ['Account', 'Bucket'],
};

function members(action: string, b: Record<string, unknown>): void {
  const known = MEMBERS[action]!;
  for (const k of Object.keys(b)) {
    if (!known.includes(k)) throw new VpcflowError('UnknownParameter', `${action} has no member ${k} (it takes ${known.join(', ')})`);
  }
}

function bucketOf(b: Record<string, unknown>): string {
  if (b.Bucket === undefined || b.Bucket === null || b.Bucket === '') throw new VpcflowError('MissingParameter', 'The request must contain the parameter Bucket');
  if (typeof b.Bucket !== 'string') throw new VpcflowError('InvalidParameterValue', `Bucket must be a string, got ${describeValue(b.Bucket)}`);
  return b.Bucket;
}

export function mountBucketRoutes(app: Hono, deps: BucketRouteDeps): void {
  const { registry } = deps;
  const request = async (c: Context, action: string) => {
    const b = await deps.body(c);
    members(action, b);
    return { b, account: await deps.account(c, b) };
  };

  app.post('/v1/s3/ListBuckets', async (c) => {
    const { account } = await request(c, 'ListBuckets');
    const buckets = await registry.listBuckets(account);
    return c.json({ Buckets: buckets.map((x) => ({ Name: x.name, CreationDate: new Date(x.creationTime).toISOString() })), Owner: { ID: account } });
  });
  app.post('/v1/s3/PutBucketPolicy', async (c) => {
    const { b, account } = await request(c, 'PutBucketPolicy');
    const bucket = bucketOf(b);
    if (b.Policy === undefined || b.Policy === null) throw new VpcflowError('MissingParameter', 'The request must contain the parameter Policy (the policy document as JSON text)');
    await registry.putBucketPolicy(account, bucket, b.Policy);
    return c.json({});
  });
  app.post('/v1/s3/GetBucketPolicy', async (c) => {
    const { b, account } = await request(c, 'GetBucketPolicy');
    return c.json({ Policy: await registry.getBucketPolicy(account, bucketOf(b)) });
  });
  app.post('/v1/s3/DeleteBucketPolicy', async (c) => {
    const { b, account } = await request(c, 'DeleteBucketPolicy');
    await registry.deleteBucketPolicy(account, bucketOf(b));
    return c.json({});
  });
}
