// The flow log model (layer 0) refuses S3 destinations the archive could never write; it cannot
// import the archive, so it restates the archive's rules. These tests hold the two together: the
// key length it computes is layout.ts's, the bucket names it accepts are the object stores', and a
// folder it accepts at the limit is really written by the local archive.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  LOCAL_ARCHIVE_MAX_SEGMENT_BYTES, LOCAL_ARCHIVE_TEMP_MARKER, S3_MAX_KEY_BYTES, archiveKeyOverheadBytes, validateCreateFlowLogs,
  type CreateFlowLogsContext, type DestinationOptions,
} from '../../model/flow-log.ts';
import { sequentialIdGenerator } from '../../model/ids.ts';
import { LocalObjectStore, MAX_SEGMENT_BYTES, TEMP_MARKER } from '../../platform/object-store-local.ts';
import { MAX_KEY_BYTES, bucketNameProblem } from '../../platform/object-store.ts';
import { objectKey, parseS3DestinationArn } from './layout.ts';

const ACCOUNT = '123456789101';
const LONGEST_ID = 'fl-0123456789abcdef0';
const OPTIONS: DestinationOptions[] = (['plain-text', 'parquet'] as const).flatMap((fileFormat) =>
  [false, true].flatMap((hiveCompatiblePartitions) => [false, true].map((perHourPartition) => ({ fileFormat, hiveCompatiblePartitions, perHourPartition }))));

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vpcflow-dest-rules-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const ctx = (region = 'us-east-1'): CreateFlowLogsContext => ({
  accountId: ACCOUNT, region, existing: [], resourceExists: () => true, now: () => Date.UTC(2026, 0, 1), idGenerator: sequentialIdGenerator(),
});
const request = (destination: string, o: DestinationOptions) => ({
  ResourceType: 'VPC', ResourceIds: ['vpc-11111111'], TrafficType: 'ALL', LogDestinationType: 's3', LogDestination: destination,
  DestinationOptions: { FileFormat: o.fileFormat, HiveCompatiblePartitions: o.hiveCompatiblePartitions, PerHourPartition: o.perHourPartition },
});
const keyOf = (prefix: string, region: string, o: DestinationOptions) => objectKey({
  bucket: 'b-1', prefix, accountId: ACCOUNT, region, flowLogId: LONGEST_ID, fileTime: Date.UTC(9999, 11, 31, 23, 59), hash: '0a1b2c3d',
  fileFormat: o.fileFormat, hiveCompatiblePartitions: o.hiveCompatiblePartitions, perHourPartition: o.perHourPartition,
});

test('the model\'s key overhead is what layout.ts appends after the folder, for every option and region length', () => {
  for (const region of ['us-east-1', 'ap-southeast-2', 'us-gov-west-1']) {
    for (const o of OPTIONS) {
      assert.equal(Buffer.byteLength(keyOf('', region, o)) - 'b-1/'.length, archiveKeyOverheadBytes(ACCOUNT, region, o), `${region} ${JSON.stringify(o)}`);
    }
  }
  assert.equal(S3_MAX_KEY_BYTES, MAX_KEY_BYTES);
  assert.equal(LOCAL_ARCHIVE_TEMP_MARKER, TEMP_MARKER);
  assert.equal(LOCAL_ARCHIVE_MAX_SEGMENT_BYTES, MAX_SEGMENT_BYTES);
});

test('a folder accepted at the byte limit is written by the local archive; one byte more would not be', async () => {
  const store = new LocalObjectStore(join(dir, 's3'), { createMissingBuckets: true });
  for (const o of [OPTIONS[0]!, OPTIONS[OPTIONS.length - 1]!]) {
    const room = S3_MAX_KEY_BYTES - archiveKeyOverheadBytes(ACCOUNT, 'us-east-1', o);
    // Segments of 240 bytes + '/', then the rest, so every segment fits a file name.
    const segments: string[] = [];
    let left = room;
    while (left > 241) {
      segments.push('日'.repeat(80));
      left -= 241;
    }
    segments.push('a'.repeat(left - 1));
    const arn = `arn:aws:s3:::b-1/${segments.join('/')}/`;
    const created = validateCreateFlowLogs(request(arn, o), ctx());
    assert.equal(created.valid.length, 1, JSON.stringify(o));
    const key = keyOf(parseS3DestinationArn(arn).prefix, 'us-east-1', o);
    assert.equal(Buffer.byteLength(key) - 'b-1/'.length, S3_MAX_KEY_BYTES);
    await store.put(key, new Uint8Array([1]));
    const longer = `arn:aws:s3:::b-1/${segments.join('/')}a/`;
    assert.throws(() => validateCreateFlowLogs(request(longer, o), ctx()), /object keys would exceed S3's 1024-byte limit/);
    await assert.rejects(store.put(keyOf(parseS3DestinationArn(longer).prefix, 'us-east-1', o), new Uint8Array([1])), /longer than 1024 bytes/);
  }
});

test('every bucket name a flow log accepts is one the object stores accept', () => {
  const names = ['my-log-bucket', 'a.b.c', 'ab', 'abc', 'a'.repeat(63), 'a'.repeat(64), 'A-bucket', 'under_score', '-start', 'end-', '.start', 'a..b', 'a.-b', 'a-.b',
    '192.168.1.1', '192.168.1.1a', 'xn--bucket', 'sthree-bucket', 'amzn-s3-demo-bucket', 'amzn-s3-demo', 'b-s3alias', 'b--ol-s3', 'b.mrap', 'b--x-s3', 'b--table-s3', 'bücket'];
  let accepted = 0;
  for (const name of names) {
    let ok = true;
    try {
      validateCreateFlowLogs(request(`arn:aws:s3:::${name}/x/`, OPTIONS[0]!), ctx());
    } catch {
      ok = false;
    }
    if (ok) {
      accepted++;
      assert.equal(bucketNameProblem(name), null, `the flow log accepted bucket ${name}, which the object stores refuse`);
    }
  }
  assert.ok(accepted >= 5, 'the list holds valid names too');
});
