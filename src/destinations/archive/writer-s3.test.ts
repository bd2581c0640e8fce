// The archive writer and S3ObjectStore against a real S3-compatible server (s3rver, in-process).

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LocalObjectStore } from '../../platform/object-store-local.ts';
import { S3ObjectStore } from '../../platform/object-store-s3.ts';
import { ObjectStoreError } from '../../platform/object-store.ts';
import { DEFAULT_FIELDS, parseRecordLine } from '../../records/index.ts';
import { ArchiveDeliveryError, type ArchiveFlowLog, ArchiveWriter } from './index.ts';

// s3rver ships no type declarations; this is the part of its API the test uses.
interface S3rverServer {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
type S3rverClass = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}) => S3rverServer;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;

const LINES = [
  '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK',
  '2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA',
];
const HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const RECORDS = LINES.map((l) => parseRecordLine(l, DEFAULT_FIELDS));
const FILE_TIME = Date.UTC(2018, 5, 20, 16, 20);
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

let work: string;
let server: S3rverServer;
let endpoint: string;
let s3: S3ObjectStore;
let sdk: S3Client;
let writer: ArchiveWriter;
let localStore: LocalObjectStore;
let localWriter: ArchiveWriter;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'vpcflow-archive-s3-'));
  server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: path.join(work, 's3rver'), configureBuckets: [{ name: 'flowlogs' }] });
  const { port } = await server.run();
  endpoint = `http://127.0.0.1:${port}`;
  s3 = new S3ObjectStore({ endpoint, region: 'us-east-1', credentials: CREDENTIALS, forcePathStyle: true, maxAttempts: 1 });
  sdk = new S3Client({ endpoint, region: 'us-east-1', credentials: CREDENTIALS, forcePathStyle: true });
  writer = new ArchiveWriter({ store: s3, tempDir: path.join(work, 'tmp') });
  localStore = new LocalObjectStore(path.join(work, 'local'), { createMissingBuckets: true });
  localWriter = new ArchiveWriter({ store: localStore, tempDir: path.join(work, 'tmp-local') });
});

after(async () => {
  await writer?.close();
  await localWriter?.close();
  s3?.close();
  sdk?.destroy();
  await server?.close();
  await rm(work, { recursive: true, force: true });
});

function flowLog(overrides: Partial<ArchiveFlowLog> = {}): ArchiveFlowLog {
  return {
    flowLogId: 'fl-1234abcd',
    accountId: '123456789012',
    region: 'us-east-1',
    bucket: 'flowlogs',
    prefix: '',
    fields: DEFAULT_FIELDS,
    fileFormat: 'plain-text',
    hiveCompatiblePartitions: false,
    perHourPartition: false,
    ...overrides,
  };
}

async function sdkGet(fullKey: string): Promise<{ body: Uint8Array; contentType: string | undefined }> {
  const slash = fullKey.indexOf('/');
  const response = await sdk.send(new GetObjectCommand({ Bucket: fullKey.slice(0, slash), Key: fullKey.slice(slash + 1) }));
  return { body: await response.Body!.transformToByteArray(), contentType: response.ContentType };
}

describe('ArchiveWriter → S3ObjectStore → s3rver', () => {
  for (const fileFormat of ['plain-text', 'parquet'] as const) {
    it(`stores ${fileFormat} objects byte-identical to the local store's files`, async () => {
      const batch = { flowLog: flowLog({ fileFormat, perHourPartition: true }), fileTime: FILE_TIME, records: RECORDS };
      const keys = await writer.write(batch);
      const localKeys = await localWriter.write(batch);
      assert.deepEqual(keys, localKeys);
      assert.equal(keys.length, 1);
      const key = keys[0]!;
      assert.match(key, fileFormat === 'parquet'
        ? /^flowlogs\/AWSLogs\/123456789012\/vpcflowlogs\/us-east-1\/2018\/06\/20\/16\/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_[0-9a-f]{8}\.log\.parquet$/
        : /^flowlogs\/AWSLogs\/123456789012\/vpcflowlogs\/us-east-1\/2018\/06\/20\/16\/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_[0-9a-f]{8}\.log\.gz$/);

      const remote = await sdkGet(key);
      const local = await localStore.get(key);
      assert.deepEqual(Buffer.from(remote.body), Buffer.from(local));
      assert.deepEqual(Buffer.from(await s3.get(key)), Buffer.from(remote.body));
      if (fileFormat === 'plain-text') {
        assert.equal(gunzipSync(remote.body).toString('utf8'), `${HEADER}\n${LINES.join('\n')}\n`);
        assert.equal(remote.contentType, 'application/gzip');
      } else {
        // Parquet files start and end with the magic bytes "PAR1".
        assert.equal(Buffer.from(remote.body.subarray(0, 4)).toString('latin1'), 'PAR1');
        assert.equal(Buffer.from(remote.body.subarray(-4)).toString('latin1'), 'PAR1');
      }

      const head = await sdk.send(new HeadObjectCommand({ Bucket: 'flowlogs', Key: key.slice('flowlogs/'.length) }));
      assert.equal(head.ContentLength, remote.body.byteLength);
      const listed = await s3.list(key);
      assert.deepEqual(listed, [{ key, size: remote.body.byteLength }]);
    });
  }

  it('a put to a missing bucket gives ArchiveDeliveryError and nothing is listed', async () => {
    await assert.rejects(
      writer.write({ flowLog: flowLog({ bucket: 'missing-bucket', flowLogId: 'fl-missing' }), fileTime: FILE_TIME, records: RECORDS }),
      (e: unknown) =>
        e instanceof ArchiveDeliveryError && e.stage === 'store' && e.key.startsWith('missing-bucket/AWSLogs/') &&
        e.cause instanceof ObjectStoreError && e.cause.failure === 'NoSuchBucket',
    );
    await assert.rejects(s3.list('missing-bucket/'), (e: unknown) => e instanceof ObjectStoreError && e.failure === 'NoSuchBucket');
    assert.deepEqual((await s3.list('flowlogs/')).filter((o) => o.key.includes('fl-missing')), []);
  });
});
