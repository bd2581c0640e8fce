// The archive browse routes on a small Hono app over a real store, log store, control plane and
// local object store: the archive files are the ones the delivery path wrote for ingested captures
// (ArchiveWriter through ArchiveQueue), so keys, rows and bytes are what a server holds.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { Hono } from 'hono';
import { demoCapture } from '../cli/demo-traffic.ts';
import { DEMO_NETWORK } from '../cli/demo.ts';
import { ControlPlane } from '../control/index.ts';
import { ArchiveWriter } from '../destinations/archive/index.ts';
import { deliveryPolicy } from '../destinations/archive/bucket-policy.ts';
import { BucketRegistry } from '../destinations/archive/buckets.ts';
import { LogStore } from '../destinations/logstore/index.ts';
import { VpcflowError } from '../platform/errors.ts';
import { LocalObjectStore } from '../platform/object-store-local.ts';
import { DEFAULT_FIELDS, parseRecordLine } from '../records/index.ts';
import { Database } from '../store/index.ts';
import { ARCHIVE_MAX_ENTRIES, downloadName, mountArchiveRoutes } from './archive-routes.ts';

const A = '111122223333';
const B = '444455556666';
const T0 = 1_767_225_600;

const NETWORK_B = `account: "${B}"
region: us-east-1
vpcs:
  - id: vpc-0b0b0b0b0b0b0b0b0
    cidr: 10.0.0.0/16
    subnets:
      - { id: subnet-0b0b0b0b0b0b0b0b0, cidr: 10.0.1.0/24, availability-zone: us-east-1a }
      - { id: subnet-0b0b0b0b0b0b0b0b1, cidr: 10.0.2.0/24, availability-zone: us-east-1b }
    instances:
      - id: i-0b0b0b0b0b0b0b0b0
        subnet: subnet-0b0b0b0b0b0b0b0b0
        interfaces: [{ id: eni-0b0b0b0b0b0b0b0b0, private-ip: 10.0.1.10 }]
      - id: i-0b0b0b0b0b0b0b0b1
        subnet: subnet-0b0b0b0b0b0b0b0b1
        interfaces: [{ id: eni-0b0b0b0b0b0b0b0b1, private-ip: 10.0.2.20 }]
`;

let dir: string;
let db: Database;
let store: LocalObjectStore;
let archive: ArchiveWriter;
let control: ControlPlane;
let app: Hono;
let aTextFlowLog: string;
let aParquetFlowLog: string;

interface Reply {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
  bytes: Uint8Array;
}

async function call(account: string | undefined, action: string, body: Record<string, unknown> = {}): Promise<Reply> {
  const r = await app.request(`/v1/vpcflow/${action}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(account ? { 'x-account': account } : {}) }, body: JSON.stringify(body) });
  const bytes = new Uint8Array(await r.arrayBuffer());
  const type = r.headers.get('content-type') ?? '';
  return { status: r.status, headers: r.headers, bytes, json: type.startsWith('application/json') ? JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown> : {} };
}

async function createFlowLog(account: string, request: Record<string, unknown>): Promise<string> {
  const r = await control.createFlowLogs(account, { TrafficType: 'ALL', LogDestinationType: 's3', ...request });
  assert.equal(r.Unsuccessful.length, 0, JSON.stringify(r));
  return r.FlowLogIds[0]!;
}

const traffic = (startSec: number) => demoCapture([
  { client: '10.0.2.20', server: '10.0.1.10', protocol: 'tcp', port: 80, exchanges: 3, startSec },
  { client: '10.0.2.20', server: '10.0.1.10', protocol: 'tcp', port: 22, unanswered: true, startSec: startSec + 20 },
  { client: '10.0.1.10', server: '10.0.2.20', protocol: 'udp', port: 5353, exchanges: 2, startSec: startSec + 400 },
]);

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

/** Every object of the archive table, as `bucket/key`. */
async function recordedKeys(): Promise<string[]> {
  return (await db.read('SELECT DISTINCT object_key FROM archive_objects ORDER BY object_key')).map((r) => String(r.object_key));
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vpcflow-archive-routes-'));
  db = new Database({ dataDir: join(dir, 'data'), readers: 2 });
  await db.start();
  store = new LocalObjectStore(join(dir, 's3'), { createMissingBuckets: true });
  archive = new ArchiveWriter({ store, tempDir: join(dir, 'tmp') });
  const buckets = new BucketRegistry(db);
  control = new ControlPlane({ db, logStore: new LogStore(db, 'us-east-1'), archive, buckets, maxFlows: 100_000, allowShortIntervals: false });
  await control.start();
  await control.apply(DEMO_NETWORK, 'a.yaml');
  await control.apply(NETWORK_B, 'b.yaml');
  aTextFlowLog = await createFlowLog(A, { ResourceType: 'VPC', ResourceIds: ['vpc-0a1b2c3d4e5f60718'], LogDestination: 'arn:aws:s3:::a-logs/text' });
  aParquetFlowLog = await createFlowLog(A, {
    ResourceType: 'Subnet', ResourceIds: ['subnet-0a1b2c3d4e5f60718'], LogDestination: 'arn:aws:s3:::a-logs',
    DestinationOptions: { FileFormat: 'parquet', HiveCompatiblePartitions: true, PerHourPartition: true },
  });
  await createFlowLog(B, { ResourceType: 'VPC', ResourceIds: ['vpc-0b0b0b0b0b0b0b0b0'], LogDestination: 'arn:aws:s3:::b-logs' });
  // A lets B deliver into a-logs/shared/: B's files then sit in A's bucket.
  await buckets.putBucketPolicy(A, 'a-logs', deliveryPolicy('a-logs', [B], 'shared'));
  await createFlowLog(B, { ResourceType: 'VPC', ResourceIds: ['vpc-0b0b0b0b0b0b0b0b0'], LogDestination: 'arn:aws:s3:::a-logs/shared' });
  const ia = await control.ingest(once(traffic(T0 + 10)), { name: 'a.pcap', account: A });
  assert.equal(ia.DeliveryErrors.length, 0, JSON.stringify(ia));
  const ib = await control.ingest(once(traffic(T0 + 20)), { name: 'b.pcap', account: B });
  assert.equal(ib.DeliveryErrors.length, 0, JSON.stringify(ib));

  app = new Hono();
  app.onError((err, c) => {
    if (err instanceof VpcflowError) return c.json({ __type: err.code, message: err.message }, err.httpStatus as 400);
    return c.json({ __type: 'InternalFailure', message: err.message }, 500);
  });
  // native.ts authenticates and decides the scope; here a header stands in for the account key.
  mountArchiveRoutes(app, {
    db, store, tempDir: join(dir, 'tmp'),
    body: async (c) => JSON.parse((await c.req.text()) || '{}') as Record<string, unknown>,
    scope: (c) => {
      const a = c.req.header('x-account');
      return a ? { kind: 'account', accountId: a } : { kind: 'operator' };
    },
  });
});

after(async () => {
  await control?.stop();
  await archive?.close();
  await db?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Walks ListArchive down from the bucket root, collecting every object key it shows. */
async function walk(account: string | undefined, bucket: string, prefix = '', depth = 0): Promise<{ Key: string; Size: number | null; Records: number; FlowLogId: string }[]> {
  assert.ok(depth < 16, 'the archive layout is at most 12 levels deep');
  const r = await call(account, 'ListArchive', { Bucket: bucket, Prefix: prefix });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const out = [...(r.json.Objects as { Key: string; Size: number | null; Records: number; FlowLogId: string }[])];
  for (const f of r.json.Folders as { Prefix: string }[]) out.push(...await walk(account, bucket, f.Prefix, depth + 1));
  return out;
}

test('the bucket list: an account sees the buckets it owns or has files in, with its own counts', async () => {
  const keys = await recordedKeys();
  assert.ok(keys.some((k) => k.startsWith('a-logs/text/')) && keys.some((k) => k.startsWith('a-logs/AWSLogs/')) && keys.some((k) => k.startsWith('a-logs/shared/')) && keys.some((k) => k.startsWith('b-logs/')), keys.join('\n'));
  const a = await call(A, 'ListArchive');
  assert.equal(a.status, 200, JSON.stringify(a.json));
  const aFiles = keys.filter((k) => k.startsWith('a-logs/') && !k.startsWith('a-logs/shared/')).length;
  assert.deepEqual((a.json.Buckets as { Name: string; Objects: number; Owned: boolean }[]).map((x) => [x.Name, x.Objects, x.Owned]), [['a-logs', aFiles, true]]);

  const b = await call(B, 'ListArchive');
  const bShared = keys.filter((k) => k.startsWith('a-logs/shared/')).length;
  assert.deepEqual((b.json.Buckets as { Name: string; Objects: number; Owned: boolean }[]).map((x) => [x.Name, x.Objects, x.Owned]), [['a-logs', bShared, false], ['b-logs', keys.filter((k) => k.startsWith('b-logs/')).length, true]]);
  assert.equal(JSON.stringify(b.json).includes(A), false, 'B is never told who owns a-logs');

  const op = await call(undefined, 'ListArchive');
  assert.deepEqual((op.json.Buckets as { Name: string; Objects: number; Owner: string }[]).map((x) => [x.Name, x.Objects, x.Owner]), [['a-logs', aFiles + bShared, A], ['b-logs', keys.filter((k) => k.startsWith('b-logs/')).length, B]]);
});

test('one folder level at a time, down to files whose sizes and record counts are the stored ones', async () => {
  const root = await call(A, 'ListArchive', { Bucket: 'a-logs' });
  assert.deepEqual([root.json.Bucket, root.json.Prefix, root.json.Objects, root.json.NextToken], ['a-logs', '', [], undefined]);
  assert.deepEqual((root.json.Folders as { Prefix: string }[]).map((f) => f.Prefix), ['AWSLogs/', 'text/']);

  const files = await walk(A, 'a-logs');
  const recorded = await db.read("SELECT object_key, max(records) AS records, any_value(flow_log_id) AS fl FROM archive_objects WHERE starts_with(object_key, 'a-logs/') AND NOT starts_with(object_key, 'a-logs/shared/') GROUP BY 1 ORDER BY 1");
  assert.deepEqual(files.map((f) => `a-logs/${f.Key}`).sort(), recorded.map((r) => String(r.object_key)));
  for (const f of files) {
    const onDisk = statSync(join(dir, 's3', 'a-logs', ...f.Key.split('/'))).size;
    assert.equal(f.Size, onDisk, f.Key);
    const row = recorded.find((r) => r.object_key === `a-logs/${f.Key}`)!;
    assert.equal(f.Records, Number(row.records));
    assert.equal(f.FlowLogId, String(row.fl));
  }
  // Folder counts add up to the files below them.
  const text = await call(A, 'ListArchive', { Bucket: 'a-logs', Prefix: 'text/' });
  assert.deepEqual(text.json.Folders, [{ Prefix: 'text/AWSLogs/', Objects: files.filter((f) => f.Key.startsWith('text/')).length, Records: files.filter((f) => f.Key.startsWith('text/')).reduce((s, f) => s + f.Records, 0) }]);
  // A partial prefix groups by what follows it, as S3 does.
  const partial = await call(A, 'ListArchive', { Bucket: 'a-logs', Prefix: 'te' });
  assert.deepEqual((partial.json.Folders as { Prefix: string }[]).map((f) => f.Prefix), ['text/']);
  assert.deepEqual((await call(A, 'ListArchive', { Bucket: 'a-logs', Prefix: 'nothing/' })).json, { Bucket: 'a-logs', Prefix: 'nothing/', Folders: [], Objects: [] });
});

test('pages of a level never overlap and a token belongs to its level', async () => {
  const whole = await call(undefined, 'ListArchive', { Bucket: 'a-logs' });
  const names = [...(whole.json.Folders as { Prefix: string }[]).map((f) => f.Prefix)];
  assert.deepEqual(names, ['AWSLogs/', 'shared/', 'text/']);
  const seen: string[] = [];
  let token: string | undefined;
  for (let i = 0; i < 5; i++) {
    const r = await call(undefined, 'ListArchive', { Bucket: 'a-logs', MaxEntries: 1, ...(token ? { NextToken: token } : {}) });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    seen.push(...(r.json.Folders as { Prefix: string }[]).map((f) => f.Prefix));
    token = r.json.NextToken as string | undefined;
    if (!token) break;
  }
  assert.deepEqual(seen, names);
  const first = await call(undefined, 'ListArchive', { Bucket: 'a-logs', MaxEntries: 1 });
  const elsewhere = await call(undefined, 'ListArchive', { Bucket: 'a-logs', Prefix: 'text/', NextToken: first.json.NextToken });
  assert.deepEqual([elsewhere.status, elsewhere.json.__type], [400, 'InvalidParameterValue']);
  const tooMany = await call(undefined, 'ListArchive', { Bucket: 'a-logs', MaxEntries: ARCHIVE_MAX_ENTRIES + 1 });
  assert.deepEqual([tooMany.status, tooMany.json.__type], [400, 'InvalidParameterValue']);
});

test('preview: the first records of a text file and of a Parquet file, with the header and the total', async () => {
  const files = await walk(A, 'a-logs');
  const textFile = files.find((f) => f.Key.startsWith('text/'))!;
  const p = await call(A, 'PreviewArchiveObject', { Bucket: 'a-logs', Key: textFile.Key, Limit: 200 });
  assert.equal(p.status, 200, JSON.stringify(p.json));
  assert.equal(p.json.Format, 'text');
  assert.deepEqual(p.json.Header, [...DEFAULT_FIELDS]);
  const lines = gunzipSync(readFileSync(join(dir, 's3', 'a-logs', ...textFile.Key.split('/')))).toString('utf8').trim().split('\n');
  assert.equal(lines[0], DEFAULT_FIELDS.join(' '));
  assert.deepEqual(p.json.Records, lines.slice(1, 201).map((l) => l.split(' ')));
  assert.equal(p.json.TotalRecords, lines.length - 1);
  assert.equal(p.json.TotalRecords, textFile.Records);

  const one = await call(A, 'PreviewArchiveObject', { Bucket: 'a-logs', Key: textFile.Key, Limit: 1 });
  assert.deepEqual(one.json.Records, [lines[1]!.split(' ')]);
  assert.equal(one.json.TotalRecords, lines.length - 1);

  const parquetFile = files.find((f) => f.Key.endsWith('.log.parquet'))!;
  assert.ok(parquetFile, 'the parquet flow log wrote a file');
  const q = await call(A, 'PreviewArchiveObject', { Bucket: 'a-logs', Key: parquetFile.Key });
  assert.equal(q.status, 200, JSON.stringify(q.json));
  assert.equal(q.json.Format, 'parquet');
  assert.deepEqual(q.json.Header, [...DEFAULT_FIELDS]);
  assert.equal(q.json.TotalRecords, parquetFile.Records);
  const rows = q.json.Records as string[][];
  assert.equal(rows.length, Math.min(50, parquetFile.Records));
  for (const r of rows) {
    assert.equal(r.length, DEFAULT_FIELDS.length);
    assert.equal(r[1], A);
  }
});

test('preview of one part of a period written in several files counts that file\'s records', async () => {
  // A period too large for one file is split (ArchiveWriter's size cap); each part's row carries the
  // batch's count, as ArchiveQueue records it, so the preview counts the part itself.
  const source = (await walk(A, 'a-logs')).find((f) => f.Key.startsWith('text/'))!;
  const lines = gunzipSync(readFileSync(join(dir, 's3', 'a-logs', ...source.Key.split('/')))).toString('utf8').trim().split('\n').slice(1);
  const records = lines.map((l) => parseRecordLine(l, DEFAULT_FIELDS));
  const small = new ArchiveWriter({ store, tempDir: join(dir, 'tmp'), maxFileTextBytes: 400 });
  const fileTime = Date.UTC(2026, 0, 3, 10, 0);
  const keys = await small.write({
    flowLog: { flowLogId: aParquetFlowLog, accountId: A, region: 'us-east-1', bucket: 'a-logs', prefix: 'split', fields: DEFAULT_FIELDS, fileFormat: 'plain-text', hiveCompatiblePartitions: false, perHourPartition: false },
    fileTime, records,
  });
  await small.close();
  assert.ok(keys.length >= 2, `split into ${keys.length}`);
  await db.transaction(async (tx) => {
    for (const k of keys) await tx.run('INSERT INTO archive_objects VALUES ($1, $2, $3, $4, $5, $6)', [aParquetFlowLog, BigInt(fileTime), 0, k, BigInt(records.length), BigInt(Date.now())]);
  });
  let sum = 0;
  for (const k of keys) {
    const key = k.slice('a-logs/'.length);
    const inFile = gunzipSync(readFileSync(join(dir, 's3', ...k.split('/')))).toString('utf8').trim().split('\n').length - 1;
    const p = await call(A, 'PreviewArchiveObject', { Bucket: 'a-logs', Key: key, Limit: 1 });
    assert.equal(p.status, 200, JSON.stringify(p.json));
    assert.equal(p.json.TotalRecords, inFile, key);
    assert.equal((p.json.Records as unknown[]).length, 1);
    sum += inFile;
  }
  assert.equal(sum, records.length);
});

test('download: the stored bytes, typed, as an attachment with a safe name', async () => {
  const files = await walk(A, 'a-logs');
  for (const f of [files.find((x) => x.Key.endsWith('.log.gz'))!, files.find((x) => x.Key.endsWith('.log.parquet'))!]) {
    const r = await call(A, 'GetArchiveObject', { Bucket: 'a-logs', Key: f.Key });
    assert.equal(r.status, 200);
    assert.deepEqual(Buffer.from(r.bytes), readFileSync(join(dir, 's3', 'a-logs', ...f.Key.split('/'))));
    assert.equal(r.headers.get('content-type'), f.Key.endsWith('.gz') ? 'application/gzip' : 'application/vnd.apache.parquet');
    const base = f.Key.slice(f.Key.lastIndexOf('/') + 1);
    assert.equal(r.headers.get('content-disposition'), `attachment; filename="${base}"`);
    assert.equal(r.headers.get('content-length'), String(f.Size));
  }
  assert.equal(downloadName('x/a"b\r\nc;d.log.gz'), 'a_b__c_d.log.gz');
  assert.equal(downloadName('x/..'), 'archive-object');
  assert.equal(downloadName('x/ünïcode.gz'), '_n_code.gz');
});

test('isolation: B never lists, previews or downloads A\'s files, and cannot tell them from missing ones', async () => {
  const aFiles = await walk(A, 'a-logs');
  const aKey = aFiles[0]!.Key;
  // B has files in a-logs (under shared/), so A's key there is simply not one of B's.
  for (const action of ['PreviewArchiveObject', 'GetArchiveObject']) {
    const r = await call(B, action, { Bucket: 'a-logs', Key: aKey });
    const made = await call(B, action, { Bucket: 'a-logs', Key: aKey.replace(/_[0-9a-f]{8}\./, '_00000000.') });
    assert.equal(r.status, 404, `${action}: ${JSON.stringify(r.json)}`);
    assert.equal(r.json.__type, 'NoSuchKey');
    // The same answer as for a key nobody has: nothing tells B that A's file exists.
    assert.equal(made.status, r.status);
    assert.equal(made.json.__type, r.json.__type);
    assert.equal(r.bytes.length < 400, true);
  }
  // B has files in a-logs (under shared/), so it may browse the bucket, but sees only its own.
  const bInA = await walk(B, 'a-logs');
  assert.ok(bInA.length > 0);
  assert.ok(bInA.every((f) => f.Key.startsWith('shared/')), JSON.stringify(bInA));
  const bRoot = await call(B, 'ListArchive', { Bucket: 'a-logs' });
  assert.deepEqual((bRoot.json.Folders as { Prefix: string }[]).map((f) => f.Prefix), ['shared/']);
  // A owns a-logs but does not see B's files in it; in B's own bucket A gets AccessDenied.
  assert.ok(aFiles.every((f) => !f.Key.startsWith('shared/')));
  const bKey = (await walk(B, 'b-logs'))[0]!.Key;
  for (const [action, body] of [['ListArchive', { Bucket: 'b-logs' }], ['PreviewArchiveObject', { Bucket: 'b-logs', Key: bKey }], ['GetArchiveObject', { Bucket: 'b-logs', Key: bKey }], ['ListArchive', { Bucket: 'no-such-bucket' }]] as const) {
    const r = await call(A, action, body);
    assert.deepEqual([r.status, r.json], [403, { __type: 'AccessDenied', message: 'Access Denied' }], action);
  }
  const sharedKey = bInA[0]!.Key;
  const aOnShared = await call(A, 'GetArchiveObject', { Bucket: 'a-logs', Key: sharedKey });
  assert.equal(aOnShared.status, 404);
  // The operator sees everything.
  assert.equal((await call(undefined, 'GetArchiveObject', { Bucket: 'b-logs', Key: bKey })).status, 200);
  assert.equal((await call(undefined, 'ListArchive', { Bucket: 'no-such-bucket' })).json.__type, 'NoSuchBucket');
});

test('files stay the account\'s after their flow log is deleted; a file gone from the store is reported', async () => {
  const before = (await walk(A, 'a-logs')).filter((f) => f.Key.startsWith('text/'));
  const d = await control.deleteFlowLogs(A, { FlowLogIds: [aTextFlowLog] });
  assert.deepEqual(d.Unsuccessful, []);
  const after = (await walk(A, 'a-logs')).filter((f) => f.Key.startsWith('text/'));
  assert.deepEqual(after, before);
  assert.ok(!(await walk(B, 'a-logs')).some((f) => f.Key.startsWith('text/')));

  const victim = after[0]!;
  unlinkSync(join(dir, 's3', 'a-logs', ...victim.Key.split('/')));
  const listed = (await walk(A, 'a-logs')).find((f) => f.Key === victim.Key)!;
  assert.equal(listed.Size, null);
  for (const action of ['PreviewArchiveObject', 'GetArchiveObject']) {
    const r = await call(A, action, { Bucket: 'a-logs', Key: victim.Key });
    assert.equal(r.status, 404);
    assert.match(String(r.json.message), /no longer holds it/);
  }
});

test('bad requests get precise errors, and no request text reaches the file system', async () => {
  const cases: [string, Record<string, unknown>, number, string][] = [
    ['ListArchive', { Prefix: 'x/' }, 400, 'InvalidParameterCombination'],
    ['ListArchive', { Bucket: 'Not_A_Bucket' }, 400, 'InvalidBucketName'],
    ['ListArchive', { Bucket: '../etc' }, 400, 'InvalidBucketName'],
    ['ListArchive', { Bucket: 'a-logs', Prefix: 7 }, 400, 'InvalidParameterValue'],
    ['ListArchive', { Bucket: 'a-logs', Delimiter: '/' }, 400, 'UnknownParameter'],
    ['ListArchive', { NextToken: 'garbage!' }, 400, 'InvalidParameterValue'],
    ['PreviewArchiveObject', { Bucket: 'a-logs' }, 400, 'MissingParameter'],
    ['PreviewArchiveObject', { Bucket: 'a-logs', Key: '../../data/vpcflow.duckdb' }, 400, 'InvalidParameterValue'],
    ['PreviewArchiveObject', { Bucket: 'a-logs', Key: 'text/x', Limit: 201 }, 400, 'InvalidParameterValue'],
    ['GetArchiveObject', { Bucket: 'a-logs', Key: '/etc/passwd' }, 400, 'InvalidParameterValue'],
    ['GetArchiveObject', { Bucket: 'a-logs', Key: 'text/AWSLogs' }, 404, 'NoSuchKey'],
    ['GetArchiveObject', { Key: 'x' }, 400, 'MissingParameter'],
  ];
  for (const [action, body, status, type] of cases) {
    const r = await call(A, action, body);
    assert.deepEqual([r.status, r.json.__type], [status, type], `${action} ${JSON.stringify(body)}: ${JSON.stringify(r.json)}`);
  }
  // A file that exists in the store but was never recorded is not served, even to the operator.
  await store.put('a-logs/text/planted.log.gz', new Uint8Array([1, 2, 3]));
  assert.equal((await call(undefined, 'GetArchiveObject', { Bucket: 'a-logs', Key: 'text/planted.log.gz' })).status, 404);
  assert.ok(!(await walk(undefined, 'a-logs')).some((f) => f.Key.includes('planted')));
});
