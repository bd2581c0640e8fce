import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Database } from '../../store/database.ts';
import { MIGRATIONS } from '../../store/schema.ts';
import { VpcflowError } from '../../platform/errors.ts';
import { objectKey } from './layout.ts';
import {
  BucketAccessDeniedError, BucketRegistry, TooManyBucketsError, bucketTargetOf, deliveryRoot, type BucketTarget,
} from './buckets.ts';

const A = '111122223333';
const B = '444455556666';
const C = '777788889999';

let dir: string;
let db: Database;
let registry: BucketRegistry;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vpcflow-buckets-'));
  db = new Database({ dataDir: dir, readers: 2 });
  await db.start();
  registry = new BucketRegistry(db, { now: () => 1_700_000_000_000 });
});
after(async () => {
  await db?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const target = (account: string, bucket: string, prefix = '', over: Partial<BucketTarget> = {}): BucketTarget =>
  ({ account, region: 'us-east-1', bucket, prefix, hiveCompatiblePartitions: false, ...over });

const denied = (bucket: string) => (e: unknown) => {
  assert.ok(e instanceof BucketAccessDeniedError, String(e));
  assert.equal(e.message, `Access Denied for LogDestination: ${bucket}. Please check LogDestination permission`);
  assert.equal(e.code, 'AccessDenied');
  assert.equal(e.unsuccessfulCode, '400');
  assert.equal(e.message.includes(A), false, "the refusal must not reveal the owner's account");
  return true;
};
const coded = (code: string, status: number, message?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof VpcflowError, String(e));
  assert.equal(e.code, code, e.message);
  assert.equal(e.httpStatus, status);
  if (message) assert.match(e.message, message);
  return true;
};

function policy(bucket: string, grantee: string, resource: string, sourceArn?: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{
      Sid: 'AWSLogDeliveryWrite', Effect: 'Allow', Principal: { Service: 'delivery.logs.amazonaws.com' }, Action: 's3:PutObject',
      Resource: `arn:aws:s3:::${bucket}/${resource}`,
      Condition: { StringEquals: { 'aws:SourceAccount': grantee }, ...(sourceArn ? { ArnLike: { 'aws:SourceArn': sourceArn } } : {}) },
    }],
  });
}

test('the first account to name a bucket owns it; another account is refused without learning who owns it', async () => {
  assert.equal(await registry.claimOrCheck(undefined, target(A, 'a-logs')), 'claimed');
  assert.equal(await registry.claimOrCheck(undefined, target(A, 'a-logs', 'any/folder/')), 'owner');
  await assert.rejects(registry.claimOrCheck(undefined, target(B, 'a-logs')), denied('a-logs'));
  await assert.rejects(registry.claimOrCheck(undefined, target(B, 'a-logs', 'b/')), denied('a-logs'));
  assert.deepEqual(await registry.listBuckets(A), [{ name: 'a-logs', creationTime: 1_700_000_000_000 }]);
  assert.deepEqual(await registry.listBuckets(B), []);
});

test('a claim commits with the transaction it runs in, or not at all', async () => {
  await assert.rejects(db.transaction(async (tx) => {
    assert.equal(await registry.claimOrCheck(tx, target(A, 'rolled-back')), 'claimed');
    throw new Error('the flow log insert failed');
  }), /insert failed/);
  // Nothing stayed: B can take it.
  assert.equal(await registry.claimOrCheck(undefined, target(B, 'rolled-back')), 'claimed');
});

test('two accounts racing for one bucket: exactly one owns it', async () => {
  const results = await Promise.allSettled([registry.claimOrCheck(undefined, target(A, 'raced')), registry.claimOrCheck(undefined, target(B, 'raced'))]);
  assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
  const winner = results[0]!.status === 'fulfilled' ? A : B;
  assert.deepEqual((await registry.listBuckets(winner)).filter((b) => b.name === 'raced').length, 1);
});

test('a grant in the owner\'s policy lets exactly the deliveries its Resource and conditions cover', async () => {
  await registry.claimOrCheck(undefined, target(A, 'shared-logs'));
  await registry.putBucketPolicy(A, 'shared-logs', policy('shared-logs', B, `AWSLogs/${B}/*`, `arn:aws:logs:us-east-1:${B}:*`));
  assert.equal(await registry.claimOrCheck(undefined, target(B, 'shared-logs')), 'granted');
  // Its objects would be under x/AWSLogs/B/, AWSLogs/aws-account-id=B/ (Hive), or come from another region: not covered.
  await assert.rejects(registry.claimOrCheck(undefined, target(B, 'shared-logs', 'x/')), denied('shared-logs'));
  await assert.rejects(registry.claimOrCheck(undefined, target(B, 'shared-logs', '', { hiveCompatiblePartitions: true })), denied('shared-logs'));
  await assert.rejects(registry.claimOrCheck(undefined, target(B, 'shared-logs', '', { region: 'eu-west-1' })), denied('shared-logs'));
  await assert.rejects(registry.claimOrCheck(undefined, target(C, 'shared-logs')), denied('shared-logs'));

  // A folder grant covers the folder and what is below it, in any region when no SourceArn says otherwise.
  await registry.putBucketPolicy(A, 'shared-logs', policy('shared-logs', B, 'team-b/*'));
  assert.equal(await registry.claimOrCheck(undefined, target(B, 'shared-logs', 'team-b/')), 'granted');
  assert.equal(await registry.claimOrCheck(undefined, target(B, 'shared-logs', 'team-b/sub', { hiveCompatiblePartitions: true, region: 'eu-west-1' })), 'granted');
  // The new policy replaced the old one.
  await assert.rejects(registry.claimOrCheck(undefined, target(B, 'shared-logs')), denied('shared-logs'));
  await assert.rejects(registry.claimOrCheck(undefined, target(B, 'shared-logs', 'team-a/')), denied('shared-logs'));
  assert.equal(await registry.getBucketPolicy(A, 'shared-logs'), policy('shared-logs', B, 'team-b/*'));

  await registry.deleteBucketPolicy(A, 'shared-logs');
  await assert.rejects(registry.claimOrCheck(undefined, target(B, 'shared-logs', 'team-b/')), denied('shared-logs'));
  await assert.rejects(registry.getBucketPolicy(A, 'shared-logs'), coded('NoSuchBucketPolicy', 404, /^The bucket policy does not exist$/));
});

test('only the owner reads, replaces or deletes a policy; an unowned bucket becomes the caller\'s by putting one', async () => {
  await registry.claimOrCheck(undefined, target(A, 'a-only'));
  const p = policy('a-only', B, '*');
  for (const op of [() => registry.putBucketPolicy(B, 'a-only', p), () => registry.getBucketPolicy(B, 'a-only'), () => registry.deleteBucketPolicy(B, 'a-only')]) {
    await assert.rejects(op(), coded('AccessDenied', 403, /^Access Denied$/));
  }
  await assert.rejects(registry.claimOrCheck(undefined, target(B, 'a-only')), denied('a-only'), 'B\'s refused put granted nothing');
  await assert.rejects(registry.getBucketPolicy(A, 'nobody-has-it'), coded('NoSuchBucket', 404));
  await assert.rejects(registry.deleteBucketPolicy(A, 'nobody-has-it'), coded('NoSuchBucket', 404));
  await registry.putBucketPolicy(C, 'c-first', policy('c-first', B, '*'));
  assert.equal(await registry.claimOrCheck(undefined, target(C, 'c-first')), 'owner');
  assert.equal(await registry.claimOrCheck(undefined, target(B, 'c-first', 'anything/')), 'granted');
  // A malformed policy changes nothing.
  await assert.rejects(registry.putBucketPolicy(C, 'c-first', '{"Version": "2012-10-17", "Statement": [{"Effect": "Deny"}]}'), coded('MalformedPolicy', 400, /Statement\[0\]\.Effect/));
  assert.equal(await registry.getBucketPolicy(C, 'c-first'), policy('c-first', B, '*'));
  await assert.rejects(registry.putBucketPolicy(C, 'Bad_Bucket', p), coded('InvalidBucketName', 400, /"Bad_Bucket"/));
  await assert.rejects(registry.claimOrCheck(undefined, target(C, 'amzn-s3-demo-bucket')), coded('InvalidBucketName', 400, /reserved prefix/));
});

test('an account owns at most maxBucketsPerAccount buckets; beyond that the error says so', async () => {
  const small = new BucketRegistry(db, { maxBucketsPerAccount: 2 });
  const D = '123412341234';
  await small.claimOrCheck(undefined, target(D, 'd-one'));
  await small.claimOrCheck(undefined, target(D, 'd-two'));
  await assert.rejects(small.claimOrCheck(undefined, target(D, 'd-three')), (e: unknown) => {
    assert.ok(e instanceof TooManyBucketsError, String(e));
    assert.equal(e.unsuccessfulCode, 'TooManyBuckets');
    assert.equal(e.message, 'account 123412341234 already owns 2 buckets, the most one account may own here, so it cannot take bucket d-three; '
      + 'deliver into a bucket it owns (vpcflow buckets list) or one whose owner grants it delivery');
    return true;
  });
  await assert.rejects(small.putBucketPolicy(D, 'd-three', policy('d-three', B, '*')), TooManyBucketsError);
  // Its own buckets still work, and the refused ones stayed free.
  assert.equal(await small.claimOrCheck(undefined, target(D, 'd-one', 'x/')), 'owner');
  assert.deepEqual((await small.listBuckets(D)).map((b) => b.name), ['d-one', 'd-two']);
  assert.equal(await small.claimOrCheck(undefined, target(B, 'd-three')), 'claimed');
  assert.throws(() => new BucketRegistry(db, { maxBucketsPerAccount: 0 }), RangeError);
});

test('deliveryRoot is the folder every key of the flow log starts with, in each layout', () => {
  for (const hive of [false, true]) {
    for (const perHour of [false, true]) {
      for (const prefix of ['', 'logs/', 'a/b']) {
        const key = objectKey({ bucket: 'b-1', prefix, accountId: B, region: 'eu-west-1', flowLogId: 'fl-0123456789abcdef0', fileTime: Date.UTC(2026, 4, 6, 7, 8),
          hiveCompatiblePartitions: hive, perHourPartition: perHour, fileFormat: 'parquet', hash: '0a1b2c3d' });
        const root = deliveryRoot(target(B, 'b-1', prefix, { region: 'eu-west-1', hiveCompatiblePartitions: hive }));
        assert.ok(key.startsWith(`b-1/${root}`), `${key} starts with ${root}`);
        assert.match(root, /eu-west-1\/$/);
      }
    }
  }
  assert.deepEqual(bucketTargetOf({ accountId: B, region: 'us-east-1', logDestinationType: 's3', logDestination: 'arn:aws:s3:::b-1/x//y',
    destinationOptions: { fileFormat: 'plain-text', hiveCompatiblePartitions: true, perHourPartition: false } }),
  { account: B, region: 'us-east-1', bucket: 'b-1', prefix: 'x/y/', hiveCompatiblePartitions: true });
  assert.equal(bucketTargetOf({ accountId: B, region: 'us-east-1', logDestinationType: 'cloud-watch-logs', logDestination: 'arn:aws:logs:us-east-1:444455556666:log-group:g' }), undefined);
});

test('upgrading a data folder gives each bucket its earliest flow log\'s account', async () => {
  const old = mkdtempSync(join(tmpdir(), 'vpcflow-buckets-migrate-'));
  try {
    const first = new Database({ dataDir: old, readers: 1 });
    await first.start();
    // Stand in for a folder written before the buckets migration: its flow logs, no owners yet.
    await first.transaction(async (tx) => {
      await tx.run('DROP TABLE archive_buckets');
      await tx.run('DROP TABLE archive_bucket_grants');
      const mine = MIGRATIONS.find((m) => m.sql.includes('CREATE TABLE archive_buckets'))!;
      await tx.run('DELETE FROM schema_migrations WHERE id = $1', [mine.id]);
      const fl = (id: string, account: string, destination: string, type = 's3') =>
        tx.run('INSERT INTO flow_logs VALUES ($1, $2, $3, $4)', [id, account, JSON.stringify({ flowLogId: id, accountId: account, logDestinationType: type, logDestination: destination }), BigInt(Number(id.slice(3)))]);
      await fl('fl-00000002', B, 'arn:aws:s3:::old-shared/b/');
      await fl('fl-00000001', A, 'arn:aws:s3:::old-shared');
      await fl('fl-00000003', B, 'arn:aws:s3:::old-b-only/x/');
      await fl('fl-00000004', C, 'arn:aws:logs:us-east-1:777788889999:log-group:g', 'cloud-watch-logs');
    });
    await first.stop();
    const again = new Database({ dataDir: old, readers: 1 });
    await again.start();
    try {
      const migrated = new BucketRegistry(again);
      assert.deepEqual((await migrated.listBuckets(A)).map((b) => [b.name, b.creationTime]), [['old-shared', 1]]);
      assert.deepEqual((await migrated.listBuckets(B)).map((b) => b.name), ['old-b-only']);
      assert.deepEqual(await migrated.listBuckets(C), []);
      await assert.rejects(migrated.claimOrCheck(undefined, target(B, 'old-shared', 'b/')), denied('old-shared'));
    } finally {
      await again.stop();
    }
  } finally {
    rmSync(old, { recursive: true, force: true });
  }
});
