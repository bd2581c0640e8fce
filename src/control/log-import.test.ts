// Imports on a real store, log store and delivery stage: events are the files' lines in
// `{interface-id}-all` streams, flow_records rows belong to the importing account, an import is
// published whole (staged in batches) or not at all, and once per content unless forced.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Database } from '../store/index.ts';
import { LogStore } from '../destinations/logstore/index.ts';
import { ArchiveWriter } from '../destinations/archive/index.ts';
import { LocalObjectStore } from '../platform/object-store-local.ts';
import { DeliveryStage } from '../delivery/index.ts';
import { AlreadyImportedError, NO_INTERFACE_STREAM, fieldsOfLogFormat, importFlowLogId, importFlowLogs } from './log-import.ts';

const DATA = resolve(import.meta.dirname, '../../../shared/testdata/aws');
const ACCOUNT = '111122223333';
const GROUP = '/imported/vpc';
const NOW = 1_767_225_600_000;

let dir: string;
let db: Database;
let logStore: LogStore;
let archive: ArchiveWriter;
let delivery: DeliveryStage;

beforeEach(async () => {
  assert.ok(existsSync(DATA), `third-party test data missing at ${DATA} (../shared/testdata)`);
  dir = mkdtempSync(join(tmpdir(), 'vpcflow-import-'));
  db = new Database({ dataDir: join(dir, 'data') });
  await db.start();
  logStore = new LogStore(db, 'us-east-1');
  archive = new ArchiveWriter({ store: new LocalObjectStore(join(dir, 's3'), { createMissingBuckets: true }), tempDir: join(dir, 'tmp') });
  delivery = new DeliveryStage({ db, logStore, archive, now: () => NOW, onArchiveOutcome: async () => {} });
  await delivery.start();
});

afterEach(async () => {
  await archive.close();
  await db.stop();
  rmSync(dir, { recursive: true, force: true });
});

const bytesOf = (rel: string): Buffer => readFileSync(join(DATA, rel));
async function* chunks(b: Buffer, size = 100): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}
const run = (b: Buffer, opts: Partial<Parameters<typeof importFlowLogs>[3]> = {}) =>
  importFlowLogs(delivery, ACCOUNT, chunks(b), { name: 'v2_records.log', logGroupName: GROUP, now: () => NOW, ...opts });

async function streamLines(stream: string, group = GROUP): Promise<string[]> {
  return (await logStore.getLogEvents(ACCOUNT, group, stream, { startFromHead: true })).events.map((e) => e.message);
}
const count = async (sql: string): Promise<number> => Number((await db.all(sql))[0]!.n);

test('an import delivers each line as a log event of its interface\'s stream and a flow_records row of the importing account', async () => {
  const file = bytesOf('flowlogs-reader/v2_records.log');
  const r = await run(file, { batchRecords: 2 });
  assert.equal(r.Records, 5);
  assert.equal(r.Streams, 4);
  assert.equal(r.FlowLogId, 'import-v2_records.log');
  assert.equal(r.Problems, 0);
  assert.deepEqual(r.Formats, [{ From: 1, Fields: 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status', Source: 'assumed' }]);
  assert.match(r.Warnings[0]!, /^5 records have an account-id other than 111122223333 \(e\.g\. 123456789010\): kept as written/);
  const lines = file.toString().trimEnd().split('\n');
  assert.deepEqual(await streamLines('eni-102010ab-all'), lines.slice(0, 2));
  assert.deepEqual(await streamLines('eni-102010cd-all'), [lines[2]]);
  assert.deepEqual(await streamLines('eni-4b118871-all'), [lines[4]]);
  const events = await logStore.getLogEvents(ACCOUNT, GROUP, 'eni-1a2b3c4d-all', { startFromHead: true });
  assert.equal(events.events[0]!.timestamp, 1431280876000, 'a NODATA record is stamped with its start, as the live path does');
  const rows = await db.all(`SELECT owner_account, flow_log_id, destination, account_id, interface_id, log_status FROM flow_records ORDER BY start, interface_id`);
  assert.equal(rows.length, 5);
  for (const row of rows) {
    assert.equal(row.owner_account, ACCOUNT);
    assert.equal(row.flow_log_id, 'import-v2_records.log');
    assert.equal(row.destination, GROUP);
    assert.equal(row.account_id, '123456789010');
  }
  assert.equal(await count('SELECT count(*) AS n FROM ingest_staging'), 0);
});

test('the same content again is refused, naming the first import; --force imports it again', async () => {
  const file = bytesOf('flowlogs-reader/v2_records.log');
  await run(file);
  await assert.rejects(run(gzipSync(file)).then(() => run(file, { name: 'copy.log' })), (e: unknown) =>
    e instanceof AlreadyImportedError && e.httpStatus === 409 && e.code === 'AlreadyIngested'
    && /^copy\.log: this content was already imported into account 111122223333 at \d{4}-\d\d-\d\dT[\d:.]+Z \(as v2_records\.log, 5 records into \/imported\/vpc\); importing it again would duplicate every record \(pass --force to import it anyway\)$/.test(e.message));
  // The gzip copy is other bytes (imported once, above); the refused repeat left nothing behind.
  assert.equal(await count('SELECT count(*) AS n FROM flow_records'), 10);
  assert.equal(await count('SELECT count(*) AS n FROM ingest_staging'), 0);
  const again = await run(file, { force: true });
  assert.equal(again.Records, 5);
  assert.equal(await count('SELECT count(*) AS n FROM flow_records'), 15);
});

test('an import that fails after staging batches leaves nothing: no group, no events, no rows, no staging', async () => {
  // Header-less and read as the default format from line 1; a later line of another count refuses the file.
  const lines = bytesOf('flowlogs-reader/v2_records.log').toString().trimEnd().split('\n');
  const mixed = Buffer.from([...lines, ...lines, ...lines, '2 123456789010 eni-1 - - - - - - - 1 2 - NODATA extra', ''].join('\n'));
  await assert.rejects(run(mixed, { batchRecords: 2, name: 'mixed.log' }), (e: Error) =>
    e.message === "mixed.log: line 16 has 15 values, but line 1 had 14 and, without a header line, the file was read as AWS's default format: "
      + "a file mixing formats without header lines cannot be read by guessing; give the file's fields with --log-format (API: logFormat), e.g. '${version} ${account-id} ${interface-id} …'");
  assert.equal((await logStore.describeLogGroups(ACCOUNT)).logGroups.length, 0);
  assert.equal(await count('SELECT count(*) AS n FROM log_events'), 0);
  assert.equal(await count('SELECT count(*) AS n FROM flow_records'), 0);
  assert.equal(await count('SELECT count(*) AS n FROM ingest_staging'), 0);
  assert.equal(await count('SELECT count(*) AS n FROM ingests'), 0);
});

test('a custom format without start or interface-id: given fields, import-time stamps, the no-interface stream', async () => {
  const nat = bytesOf('awsdocs/example-nat-gateway.log');
  const r = await run(nat, { name: 'nat.log', logFormat: bytesOf('awsdocs/example-nat-gateway.format').toString() });
  assert.equal(r.Records, 6);
  assert.equal(r.Formats[0]!.Source, 'given');
  assert.deepEqual(r.Warnings, ['6 records have neither start nor end: their events carry the import time']);
  const ev = await logStore.getLogEvents(ACCOUNT, GROUP, 'eni-1235b8ca123456789-all', { startFromHead: true });
  assert.deepEqual(ev.events.map((e) => [e.timestamp, e.message]), nat.toString().trimEnd().split('\n').slice(0, 4).map((l) => [NOW, l]));

  const v3 = bytesOf('flowlogs-reader/v3_header_format.log');
  const h = await run(v3, { name: 'v3.log' });
  assert.equal(h.Formats[0]!.Source, 'header');
  assert.ok(h.Warnings.some((w) => w === `2 records have no interface-id: their events are in stream '${NO_INTERFACE_STREAM}' (or the stream a CloudWatch export names)`));
  assert.deepEqual(await streamLines(NO_INTERFACE_STREAM), v3.toString().trimEnd().split('\n').slice(1));
});

test('fields the SQL store has no column for are named in a warning; their log events keep them', async () => {
  const v8 = bytesOf('elastic-integrations/test-v8-samples.log');
  const fields = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path ecs-cluster-arn ecs-cluster-name ecs-container-instance-arn ecs-container-instance-id ecs-container-id ecs-second-container-id ecs-service-name ecs-task-definition-arn ecs-task-arn ecs-task-id reject-reason';
  const r = await run(v8, { name: 'v8.log', logFormat: fields });
  assert.equal(r.Records, 1);
  assert.ok(r.Warnings.some((w) => w.startsWith('ecs-cluster-arn, ecs-cluster-name,') && w.includes('reject-reason are kept in the log events, but the SQL store has no column')), r.Warnings.join('\n'));
  assert.deepEqual(await streamLines(NO_INTERFACE_STREAM), [v8.toString().trimEnd()]);
});

test('options and files that cannot be imported are refused precisely, before anything is delivered', async () => {
  const file = bytesOf('flowlogs-reader/v2_records.log');
  await assert.rejects(run(file, { logGroupName: 'bad group' }), /Value 'bad group' at 'logGroupName' failed to satisfy constraint/);
  await assert.rejects(run(file, { logFormat: '${version} ${acount-id}' }), (e: Error) =>
    e.message === "log format '${version} ${acount-id}': unknown field 'acount-id' at position 12 (did you mean 'account-id'?); write it as CreateFlowLogs takes it ('${version} ${account-id} …') or as a header line ('version account-id …')");
  await assert.rejects(run(Buffer.alloc(0), { name: 'empty.log' }), /^AwsFileError: empty\.log: the file is empty$/);
  await assert.rejects(run(Buffer.from('hello world\nnot a record\n'), { name: 'prose.txt', logFormat: 'version srcport' }),
    (e: Error) => e.message === "prose.txt: no flow log record could be read (2 problems; first, at 1: line 1, column 1 (version): 'hello' is not a non-negative base-10 integer)");
  await assert.rejects(run(bytesOf('flowlogs-reader/v6_header_format_tgw.log'), { name: 'tgw.log' }),
    /tgw\.log: no flow log record could be read \(1 problem; first, at 1: invalid header line: 'resource-type' at position 1 is a Transit Gateway flow log field/);
  assert.equal(await count('SELECT count(*) AS n FROM log_events'), 0);
  assert.equal(await count('SELECT count(*) AS n FROM ingests'), 0);
});

test('flow log ids and log formats', () => {
  assert.equal(importFlowLogId('123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz'), 'import-123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz');
  assert.equal(importFlowLogId('dir/sub\\my file (1).log'), 'import-my_file__1_.log');
  assert.equal(importFlowLogId(''), 'import-upload');
  assert.deepEqual(fieldsOfLogFormat('${action} ${log-status}\n'), ['action', 'log-status']);
  assert.deepEqual(fieldsOfLogFormat('action log-status'), ['action', 'log-status']);
});

test('a file whose header changes the fields often imports whole; the formats listed are capped; a log format a header overrides is said unused', async () => {
  const v3 = bytesOf('flowlogs-reader/v3_header_format.log').toString().trimEnd().split('\n');
  const v4 = bytesOf('flowlogs-reader/v4_header_format.log').toString().trimEnd().split('\n');
  const parts: string[] = [];
  for (let i = 0; i < 125; i++) parts.push(v3[0]!, v3[1]!, v4[0]!, v4[1]!);
  const r = await run(Buffer.from(parts.join('\n')), { name: 'many.log', batchRecords: 7, logFormat: 'version account-id' });
  assert.equal(r.Records, 250);
  assert.equal(r.Formats.length, 100);
  assert.deepEqual(r.Formats.slice(0, 2).map((f) => [f.From, f.Source]), [[1, 'header'], [3, 'header']]);
  assert.ok(r.Warnings.includes('the file changes its fields 250 times; only the first 100 are listed in Formats'), r.Warnings.join('\n'));
  assert.ok(r.Warnings.includes('the file starts with a header line, which names its fields: the given log format was not used'), r.Warnings.join('\n'));
  assert.equal(await count("SELECT count(*) AS n FROM flow_records WHERE region = 'us-east-1'"), 125);
  const messages = (await logStore.filterLogEvents(ACCOUNT, { logGroupName: GROUP })).events.map((e) => e.message);
  assert.deepEqual(messages.sort(), parts.filter((_, i) => i % 2 === 1).sort());
});
