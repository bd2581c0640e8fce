import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { LocalObjectStore } from '../../platform/object-store-local.ts';
import { DEFAULT_FIELDS, type FieldName, type FlowRecord, parseRecordLine } from '../../records/index.ts';
import { ArchiveDeliveryError, type ArchiveFlowLog, ArchiveRecordError, ArchiveWriter } from './index.ts';

// Documented example records (spec §7.1–7.4), default format, verbatim.
const DEFAULT_LINES = [
  '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK',
  '2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK',
  '2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA',
  '2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA',
  '2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK',
  '2 123456789010 eni-1235b8ca123456789 172.31.16.139 203.0.113.12 0 0 1 4 336 1432917094 1432917142 REJECT OK',
  '2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK',
];
const DEFAULT_HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
// Spec §1.4: Parquet types of the 14 default fields, with Athena's column names.
const DEFAULT_PARQUET_SCHEMA = [
  ['version', 'INTEGER'], ['account_id', 'VARCHAR'], ['interface_id', 'VARCHAR'], ['srcaddr', 'VARCHAR'],
  ['dstaddr', 'VARCHAR'], ['srcport', 'INTEGER'], ['dstport', 'INTEGER'], ['protocol', 'INTEGER'],
  ['packets', 'BIGINT'], ['bytes', 'BIGINT'], ['start', 'BIGINT'], ['end', 'BIGINT'],
  ['action', 'VARCHAR'], ['log_status', 'VARCHAR'],
];

// Spec §7.8: custom v5 format and its two documented records.
const V5_HEADER = 'version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id subnet-id instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags pkt-srcaddr pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status';
const V5_LINES = [
  '5 52.95.128.179 10.0.0.71 80 34210 6 1616729292 1616729349 IPv4 14 15044 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 19 52.95.128.179 10.0.0.71 S3 - - ingress OK',
  '5 10.0.0.71 52.95.128.179 34210 80 6 1616729292 1616729349 IPv4 7 471 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 3 10.0.0.71 52.95.128.179 - S3 8 egress OK',
];
const V5_FIELDS = V5_HEADER.split(' ') as FieldName[];

const parse = (lines: string[], fields: readonly FieldName[]): FlowRecord[] => lines.map((l) => parseRecordLine(l, fields));

const FILE_TIME = Date.UTC(2024, 1, 29, 23, 55); // leap day, last period of the day
const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

let work: string;
let root: string;
let store: LocalObjectStore;
let writer: ArchiveWriter;
let duck: DuckDBInstance;
let db: DuckDBConnection;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'vpcflow-archive-'));
  root = path.join(work, 's3');
  store = new LocalObjectStore(root);
  await store.createBucket('flowlogs');
  writer = new ArchiveWriter({ store, tempDir: path.join(work, 'tmp') });
  duck = await DuckDBInstance.create(':memory:');
  db = await duck.connect();
});
after(async () => {
  await writer.close();
  db.closeSync();
  duck.closeSync();
  await rm(work, { recursive: true, force: true });
});

const filePath = (key: string) => path.join(root, ...key.split('/'));

function flowLog(overrides: Partial<ArchiveFlowLog> = {}): ArchiveFlowLog {
  return {
    flowLogId: 'fl-0123456789abcdef0',
    accountId: '123456789012',
    region: 'eu-west-1',
    bucket: 'flowlogs',
    prefix: 'vpc/',
    fields: DEFAULT_FIELDS,
    fileFormat: 'plain-text',
    hiveCompatiblePartitions: false,
    perHourPartition: false,
    ...overrides,
  };
}

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await db.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

async function tree(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true })).sort();
  } catch {
    return [];
  }
}

// Spec §3.2 folder table, written out independently of layout.ts.
const STYLES = [
  { hive: false, hourly: false, folder: 'vpc/AWSLogs/123456789012/vpcflowlogs/eu-west-1/2024/02/29/' },
  { hive: false, hourly: true, folder: 'vpc/AWSLogs/123456789012/vpcflowlogs/eu-west-1/2024/02/29/23/' },
  { hive: true, hourly: false, folder: 'vpc/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2024/month=02/day=29/' },
  { hive: true, hourly: true, folder: 'vpc/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2024/month=02/day=29/hour=23/' },
];

describe('plain-text files, all partition styles', () => {
  for (const style of STYLES) {
    it(`hive=${style.hive} perHour=${style.hourly}`, async () => {
      const keys = await writer.write({
        flowLog: flowLog({ hiveCompatiblePartitions: style.hive, perHourPartition: style.hourly }),
        fileTime: FILE_TIME,
        records: parse(DEFAULT_LINES, DEFAULT_FIELDS),
      });
      assert.equal(keys.length, 1);
      const key = keys[0]!;
      const name = new RegExp(`^flowlogs/${style.folder.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}` +
        '123456789012_vpcflowlogs_eu-west-1_fl-0123456789abcdef0_20240229T2355Z_[0-9a-f]{8}\\.log\\.gz$');
      assert.match(key, name);

      const text = gunzipSync(await readFile(filePath(key))).toString('utf8');
      assert.equal(text, [DEFAULT_HEADER, ...DEFAULT_LINES].join('\n') + '\n');
      assert.equal(text.split('\n')[0], DEFAULT_HEADER);

      const file = sqlString(filePath(key));
      const [summary] = await rows(
        `SELECT count(*) AS n, sum(bytes) AS total, count(*) FILTER (WHERE srcaddr IS NULL) AS no_src,
                count(*) FILTER (WHERE "log-status" = 'NODATA') AS nodata
         FROM read_csv(${file}, delim=' ', header=true, nullstr='-', hive_partitioning=false, quote='', escape='')`,
      );
      assert.deepEqual(summary, { n: '7', total: '18025', no_src: '2', nodata: '1' });
      const columns = await rows(`DESCRIBE SELECT * FROM read_csv(${file}, delim=' ', header=true, nullstr='-', hive_partitioning=false)`);
      assert.deepEqual(columns.map((c) => c.column_name), DEFAULT_HEADER.split(' '));
    });
  }
});

describe('Parquet files, all partition styles', () => {
  for (const style of STYLES) {
    it(`hive=${style.hive} perHour=${style.hourly}`, async () => {
      const keys = await writer.write({
        flowLog: flowLog({ fileFormat: 'parquet', hiveCompatiblePartitions: style.hive, perHourPartition: style.hourly }),
        fileTime: FILE_TIME,
        records: parse(DEFAULT_LINES, DEFAULT_FIELDS),
      });
      assert.equal(keys.length, 1);
      const key = keys[0]!;
      assert.ok(key.startsWith(`flowlogs/${style.folder}123456789012_vpcflowlogs_eu-west-1_fl-0123456789abcdef0_20240229T2355Z_`), key);
      assert.match(key, /_[0-9a-f]{8}\.log\.parquet$/);

      const file = sqlString(filePath(key));
      const schema = await rows(`DESCRIBE SELECT * FROM read_parquet(${file}, hive_partitioning=false)`);
      assert.deepEqual(schema.map((c) => [c.column_name, c.column_type]), DEFAULT_PARQUET_SCHEMA);

      const codecs = await rows(`SELECT DISTINCT compression FROM parquet_metadata(${file})`);
      assert.deepEqual(codecs.map((c) => c.compression), ['GZIP']);

      if (style.hive) {
        // A Hive-aware reader recovers the partition values from the key alone.
        const partitions = await rows(`SELECT DISTINCT "aws-account-id", "aws-service", "aws-region", year, month, day${style.hourly ? ', hour' : ''}
          FROM read_parquet(${file}, hive_partitioning=true, hive_types_autocast=false)`);
        assert.deepEqual(partitions, [{
          'aws-account-id': '123456789012', 'aws-service': 'vpcflowlogs', 'aws-region': 'eu-west-1',
          year: '2024', month: '02', day: '29', ...(style.hourly && { hour: '23' }),
        }]);
      }

      const data = await rows(`SELECT * FROM read_parquet(${file}, hive_partitioning=false)`);
      assert.equal(data.length, 7);
      assert.deepEqual(data[2], {
        version: 2, account_id: '123456789010', interface_id: 'eni-1235b8ca123456789', srcaddr: null, dstaddr: null,
        srcport: null, dstport: null, protocol: null, packets: null, bytes: null, start: '1431280876', end: '1431280934',
        action: null, log_status: 'NODATA',
      });
      assert.deepEqual(data[6], {
        version: 2, account_id: '123456789010', interface_id: 'eni-1235b8ca123456789',
        srcaddr: '2001:db8:1234:a100:8d6e:3477:df66:f105', dstaddr: '2001:db8:1234:a102:3304:8879:34cf:4071',
        srcport: 34892, dstport: 22, protocol: 6, packets: '54', bytes: '8855', start: '1477913708', end: '1477913820',
        action: 'ACCEPT', log_status: 'OK',
      });
    });
  }
});

describe('custom v5 format (spec §7.8)', () => {
  it('text holds the documented lines under the format header', async () => {
    const [key] = await writer.write({ flowLog: flowLog({ fields: V5_FIELDS }), fileTime: FILE_TIME, records: parse(V5_LINES, V5_FIELDS) });
    const text = gunzipSync(await readFile(filePath(key!))).toString('utf8');
    assert.equal(text, `${V5_HEADER}\n${V5_LINES.join('\n')}\n`);
  });

  it('Parquet uses Athena names, AWS types and null for "-"', async () => {
    const [key] = await writer.write({
      flowLog: flowLog({ fields: V5_FIELDS, fileFormat: 'parquet' }),
      fileTime: FILE_TIME,
      records: parse(V5_LINES, V5_FIELDS),
    });
    const file = sqlString(filePath(key!));
    const schema = Object.fromEntries((await rows(`DESCRIBE SELECT * FROM read_parquet(${file}, hive_partitioning=false)`)).map((c) => [c.column_name, c.column_type]));
    assert.deepEqual(Object.keys(schema), V5_HEADER.replaceAll('-', '_').split(' '));
    assert.equal(schema.tcp_flags, 'INTEGER');
    assert.equal(schema.traffic_path, 'INTEGER');
    assert.equal(schema.pkt_src_aws_service, 'VARCHAR');
    assert.equal(schema.az_id, 'VARCHAR');
    const data = await rows(`SELECT flow_direction, traffic_path, tcp_flags, pkt_src_aws_service, pkt_dst_aws_service, sublocation_id
                             FROM read_parquet(${file}, hive_partitioning=false)`);
    assert.deepEqual(data, [
      { flow_direction: 'ingress', traffic_path: null, tcp_flags: 19, pkt_src_aws_service: 'S3', pkt_dst_aws_service: null, sublocation_id: null },
      { flow_direction: 'egress', traffic_path: 8, tcp_flags: 3, pkt_src_aws_service: null, pkt_dst_aws_service: 'S3', sublocation_id: null },
    ]);
  });
});

describe('size cap, idempotence and empty batches', () => {
  const many = (n: number): FlowRecord[] =>
    Array.from({ length: n }, (_, i) => ({ ...parse([DEFAULT_LINES[0]!], DEFAULT_FIELDS)[0]!, srcport: 1000 + i }));

  for (const fileFormat of ['plain-text', 'parquet'] as const) {
    it(`splits ${fileFormat} files at the text size cap into distinct objects holding every record once`, async () => {
      const capped = new ArchiveWriter({ store, tempDir: path.join(work, 'tmp-capped'), maxFileTextBytes: 1000 });
      try {
        const log = flowLog({ flowLogId: `fl-split${fileFormat === 'parquet' ? 'pq' : 'tx'}`, fileFormat });
        const records = many(40);
        const objects = await capped.writeObjects({ flowLog: log, fileTime: FILE_TIME, records });
        const keys = objects.map((o) => o.key);
        // Each line is 113 bytes + LF, the header 114 + LF: 7 records fit in 1000 bytes, so 40 need 6 files.
        assert.equal(keys.length, 6);
        assert.deepEqual(objects.map((o) => o.records), [7, 7, 7, 7, 7, 5], 'each object counts its own records (archive_objects.records)');
        assert.equal(new Set(keys).size, keys.length);
        const ports: number[] = [];
        for (const key of keys) {
          const file = sqlString(filePath(key));
          if (fileFormat === 'plain-text') {
            const text = gunzipSync(await readFile(filePath(key))).toString('utf8');
            assert.ok(Buffer.byteLength(text) <= 1000, `${key} holds ${Buffer.byteLength(text)} bytes`);
            assert.equal(text.split('\n')[0], DEFAULT_HEADER);
            ports.push(...(await rows(`SELECT srcport FROM read_csv(${file}, delim=' ', header=true, nullstr='-', hive_partitioning=false)`)).map((r) => Number(r.srcport)));
          } else {
            ports.push(...(await rows(`SELECT srcport FROM read_parquet(${file}, hive_partitioning=false)`)).map((r) => Number(r.srcport)));
          }
        }
        assert.deepEqual(ports, records.map((r) => r.srcport));
      } finally {
        await capped.close();
      }
    });
  }

  it('a retried batch rewrites the same keys; another sequence gets new keys', async () => {
    const log = flowLog({ flowLogId: 'fl-retry' });
    const batch = { flowLog: log, fileTime: FILE_TIME, records: parse(DEFAULT_LINES, DEFAULT_FIELDS) };
    const first = await writer.write(batch);
    const again = await writer.write(batch);
    assert.deepEqual(again, first);
    const next = await writer.write({ ...batch, sequence: 1 });
    assert.notDeepEqual(next, first);
    const listed = (await store.list('flowlogs/vpc/')).map((o) => o.key).filter((k) => k.includes('fl-retry'));
    assert.deepEqual(listed.sort(), [...first, ...next].sort());
  });

  it('an empty batch writes nothing', async () => {
    assert.deepEqual(await writer.write({ flowLog: flowLog({ flowLogId: 'fl-empty' }), fileTime: FILE_TIME, records: [] }), []);
    assert.equal((await store.list('flowlogs/vpc/')).filter((o) => o.key.includes('fl-empty')).length, 0);
  });
});

describe('failures', () => {
  it('a record that cannot be written is named and nothing is stored', async () => {
    const records = parse(DEFAULT_LINES, DEFAULT_FIELDS);
    records[3] = { ...records[3]!, action: 'ACCEPT NOW' };
    await assert.rejects(
      writer.write({ flowLog: flowLog({ flowLogId: 'fl-badrecord' }), fileTime: FILE_TIME, records }),
      (e: unknown) => e instanceof ArchiveRecordError && e.recordIndex === 3 && e.field === 'action',
    );
    const tooBig = parse(DEFAULT_LINES, DEFAULT_FIELDS);
    tooBig[1] = { ...tooBig[1]!, version: 2 ** 31 };
    await assert.rejects(
      writer.write({ flowLog: flowLog({ flowLogId: 'fl-badrecord', fileFormat: 'parquet' }), fileTime: FILE_TIME, records: tooBig }),
      (e: unknown) => e instanceof ArchiveRecordError && e.recordIndex === 1 && e.field === 'version',
    );
    assert.equal((await store.list('flowlogs')).filter((o) => o.key.includes('fl-badrecord')).length, 0);
  });

  for (const fileFormat of ['plain-text', 'parquet'] as const) {
    it(`a ${fileFormat} put to a missing bucket gives ArchiveDeliveryError and leaves no file behind`, async () => {
      const tempDir = path.join(work, `tmp-missing-${fileFormat}`);
      const w = new ArchiveWriter({ store, tempDir });
      try {
        const before = await tree(root);
        await assert.rejects(
          w.write({ flowLog: flowLog({ bucket: 'no-such-bucket', fileFormat }), fileTime: FILE_TIME, records: parse(DEFAULT_LINES, DEFAULT_FIELDS) }),
          (e: unknown) => e instanceof ArchiveDeliveryError && e.stage === 'store' && e.flowLogId === 'fl-0123456789abcdef0' &&
            e.key.startsWith('no-such-bucket/vpc/AWSLogs/') && e.keysWritten.length === 0,
        );
        assert.deepEqual(await tree(root), before);
        assert.deepEqual((await tree(tempDir)).filter((f) => !f.startsWith('duckdb')), []);
      } finally {
        await w.close();
      }
    });
  }

  it('a Parquet encode that cannot use its temp dir gives ArchiveDeliveryError(stage encode)', async () => {
    const blocker = path.join(work, 'not-a-dir');
    await writeFile(blocker, 'file');
    const w = new ArchiveWriter({ store, tempDir: path.join(blocker, 'tmp') });
    try {
      await assert.rejects(
        w.write({ flowLog: flowLog({ flowLogId: 'fl-encodefail', fileFormat: 'parquet' }), fileTime: FILE_TIME, records: parse(DEFAULT_LINES, DEFAULT_FIELDS) }),
        (e: unknown) => e instanceof ArchiveDeliveryError && e.stage === 'encode',
      );
      assert.equal((await store.list('flowlogs')).filter((o) => o.key.includes('fl-encodefail')).length, 0);
    } finally {
      await w.close();
    }
  });
});
