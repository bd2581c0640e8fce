import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { AwsFileReader, MAX_LINE_BYTES, readAwsLogFile, type RecordBatch } from './aws-files.ts';
import { FIELDS, fieldsFromHeader, formatRecord, type FieldName, type TextProblem } from '../records/index.ts';

const DATA = resolve(import.meta.dirname, '../../../shared/testdata/aws');
const need = () => assert.ok(existsSync(DATA), `third-party test data missing at ${DATA} (../shared/testdata)`);
const fieldsUpTo = (v: number): FieldName[] => FIELDS.filter((f) => f.version <= v).map((f) => f.name);

function withDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'vpcflow-awsfiles-'));
  return run(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

async function readStream(bytes: Buffer | string, opts: { fields?: readonly FieldName[]; batchSize?: number; pieces?: number } = {}) {
  const buf = Buffer.from(bytes);
  const piece = opts.pieces ?? 4096;
  const source = (async function* () {
    for (let i = 0; i < buf.length; i += piece) yield buf.subarray(i, i + piece);
  })();
  const problems: TextProblem[] = [];
  const reader = new AwsFileReader(source, { name: 'upload.log', onProblem: (p) => problems.push(p), ...opts });
  const batches: RecordBatch[] = [];
  for await (const b of reader.batches()) batches.push(b);
  return { batches, problems, info: reader.info };
}

test('AWS Parquet (flowlogs-reader sample) reads back to the records its upstream test expects', async () => {
  need();
  const f = await readAwsLogFile(join(DATA, 'flowlogs-reader/flows.parquet'));
  const expected = (JSON.parse(readFileSync(join(DATA, 'flowlogs-reader/expected_from_tests.json'), 'utf8')) as { expectations: { test: string; value: unknown }[] })
    .expectations.find((e) => e.test.endsWith('test_serial_parquet'))!.value as Record<string, unknown>[];
  assert.equal(f.kind, 'parquet');
  assert.equal(f.records.length, expected.length);
  f.records.forEach((r, i) => {
    const want = expected[i]!;
    for (const [k, v] of Object.entries(want)) {
      const field = k.replaceAll('_', '-') as keyof typeof r;
      const got = r[field];
      if (k === 'start' || k === 'end') assert.equal(new Date(Number(got) * 1000).toISOString().slice(0, 19), v, `${k} of record ${i}`);
      else assert.equal(got, v, `${k} of record ${i}`);
    }
    for (const absent of ['packets', 'bytes'] as const) if (!(absent in want)) assert.equal(r[absent], null);
  });
  // Each row's message is the row written in the file's columns: what AWS would have written as text.
  const rows = f.batches.flatMap((b) => b.records);
  assert.equal(rows[1]!.message, '2 123456789010 eni-202010ab - - - - - - - 1439387263 1439387264 - NODATA');
  assert.deepEqual(rows.map((r) => r.line), [1, 2, 3]);
  // Streamed (an upload), it is spooled and reads the same.
  const streamed = await readStream(readFileSync(join(DATA, 'flowlogs-reader/flows.parquet')), { pieces: 1000 });
  assert.deepEqual(streamed.batches.flatMap((b) => b.records), rows);
});

test('gzip text with a header (as AWS delivers to S3) and CloudWatch JSON exports read back', async () => {
  need();
  await withDir(async (dir) => {
    const v5 = readFileSync(join(DATA, 'flowlogs-reader/v5_header_format.log'));
    writeFileSync(join(dir, 'x.log.gz'), gzipSync(v5));
    const gz = await readAwsLogFile(join(dir, 'x.log.gz'));
    assert.equal(gz.kind, 'text');
    assert.equal(gz.gzip, true);
    assert.ok(gz.fields.includes('flow-direction'));
    assert.equal(gz.records.length, 2);
    assert.equal(gz.problems.length, 1, 'the sample has one deliberately bogus line');
    assert.equal(gz.problems[0]!.line, 4);
    const lines = v5.toString().split('\n').slice(1).filter((l) => l.trim());
    assert.equal(formatRecord(gz.records[0]!, gz.fields), lines[0]);

    const msg = '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK';
    writeFileSync(join(dir, 'export.json'), JSON.stringify({ events: [{ logStreamName: 'eni-1235b8ca123456789-all', timestamp: 1418530010000, message: msg }] }));
    const cw = await readAwsLogFile(join(dir, 'export.json'));
    assert.equal(cw.kind, 'cloudwatch-json');
    assert.equal(formatRecord(cw.records[0]!, cw.fields), msg);
    assert.deepEqual(cw.batches[0]!.records[0], { record: cw.records[0], message: msg, line: 1, timestamp: 1418530010000, logStream: 'eni-1235b8ca123456789-all' });

    writeFileSync(join(dir, 'broken.gz'), Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]));
    await assert.rejects(readAwsLogFile(join(dir, 'broken.gz')), /broken\.gz: the gzip data is corrupt after 0 decompressed bytes/);
  });
});

// Every text sample, with the fields its source names (SOURCES.md; `.format` files beside AWS's examples).
const TEXT_SAMPLES: [file: string, fields: readonly FieldName[] | undefined][] = [
  ['awsdocs/example-default-v2.log', undefined],
  ['awsdocs/example-nat-gateway.log', 'awsdocs/example-nat-gateway.format'],
  ['awsdocs/example-tcp-flag-sequence.log', 'awsdocs/example-tcp-flag-sequence.format'],
  ['awsdocs/example-traffic-path-v5.log', 'awsdocs/example-traffic-path-v5.format'],
  ['awsdocs/example-transit-gateway.log', 'awsdocs/example-transit-gateway.format'],
  ['elastic-integrations/test-ecs-samples.log', fieldsUpTo(7)],
  ['elastic-integrations/test-v5-all-fields.log', undefined],
  ['elastic-integrations/test-v8-samples.log', fieldsUpTo(8)],
  ['elastic-integrations/test-with-message-field.log', undefined],
  ['flowlogs-reader/v2_records.log', undefined],
  ['flowlogs-reader/v3_header_format.log', undefined],
  ['flowlogs-reader/v4_header_format.log', undefined],
  ['flowlogs-reader/v5_header_format.log', undefined],
].map(([file, f]) => [file as string, typeof f === 'string' ? fieldsFromHeader(readFileSync(join(DATA, f), 'utf8').trim()) : f]);

test('every record of the text samples is read, keeping its line as written; written back it is the same bytes', async () => {
  need();
  let records = 0;
  for (const [file, fields] of TEXT_SAMPLES) {
    const text = readFileSync(join(DATA, file), 'utf8');
    const f = await readAwsLogFile(join(DATA, file), fields ? { fields } : {});
    const read = f.batches.flatMap((b) => b.records.map((r) => ({ ...r, fields: b.fields })));
    if (f.kind === 'cloudwatch-json') {
      assert.equal(read.length, 1);
      assert.equal(read[0]!.message, (JSON.parse(text) as { message: string }).message);
      records++;
      continue;
    }
    const lines = text.split('\n');
    const expected = lines.map((l, i) => ({ l, n: i + 1 })).filter(({ l, n }) => l.trim() && !(n === 1 && f.formats[0]?.source === 'header'));
    const bogus = file.endsWith('v5_header_format.log') ? [4] : [];
    assert.deepEqual(f.problems.map((p) => p.line), bogus, file);
    assert.deepEqual(read.map((r) => r.line), expected.map((e) => e.n).filter((n) => !bogus.includes(n)), file);
    for (const r of read) {
      const line = lines[r.line - 1]!;
      assert.equal(r.message, line, `${file}:${r.line}`);
      // AWS's own documentation has one line with two spaces; written back, it is single-spaced.
      assert.equal(formatRecord(r.record, r.fields), line.replace(/ {2,}/g, ' '), `${file}:${r.line}`);
      records++;
    }
  }
  assert.equal(records, 7 + 6 + 8 + 2 + 4 + 10 + 1 + 1 + 1 + 5 + 2 + 2 + 2);
});

test('header-less files whose fields cannot be known are refused, saying why; Transit Gateway files are refused', async () => {
  need();
  await assert.rejects(readAwsLogFile(join(DATA, 'awsdocs/example-nat-gateway.log')), (e: Error) =>
    e.message.startsWith(`${join(DATA, 'awsdocs/example-nat-gateway.log')}: line 1 has 6 values and no header line names them; without one, only 14 values (AWS's default format)`));
  await assert.rejects(readAwsLogFile(join(DATA, 'elastic-integrations/test-ecs-samples.log')), /line 1 has 39 values, as many as all fields up to version 7 in AWS's documentation order, but its first value is '3', not that format's version 7/);
  await assert.rejects(readAwsLogFile(join(DATA, 'awsdocs/example-traffic-path-v5.log')), /line 1 has 29 values and version 5 like all fields up to version 5 in AWS's documentation order, but does not fit that format/);
  await assert.rejects(readAwsLogFile(join(DATA, 'elastic-integrations/test-tgw-samples.log')), /line 1 has 36 values .* suggest a Transit Gateway flow log/);
  const tgw = await readAwsLogFile(join(DATA, 'flowlogs-reader/v6_header_format_tgw.log'));
  assert.equal(tgw.records.length, 0);
  assert.match(tgw.problems[0]!.message, /'resource-type' at position 1 is a Transit Gateway flow log field; VPC flow log records do not have it; 1 record line not parsed/);
});

test('S3 objects concatenated (gzip members, each with its header, one with a byte-order mark) switch fields at each header', async () => {
  need();
  const v3 = readFileSync(join(DATA, 'flowlogs-reader/v3_header_format.log'));
  const v4 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(join(DATA, 'flowlogs-reader/v4_header_format.log'))]);
  const r = await readStream(Buffer.concat([gzipSync(v3), gzipSync(v4)]), { pieces: 100 });
  assert.equal(r.info.gzip, true);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.info.formats.map((f) => [f.line, f.source, f.fields?.length]), [[1, 'header', 18], [4, 'header', 22]]);
  assert.deepEqual(r.batches.map((b) => b.records.length), [2, 2]);
  const text = (v3.toString() + v4.toString().slice(1)).split('\n');
  for (const b of r.batches) for (const rec of b.records) assert.equal(rec.message, text[rec.line - 1]);
  assert.equal(r.batches[1]!.records[0]!.record.region, 'us-east-1');
});

test('batches hold at most batchSize records; bad lines (too long, not UTF-8) are problems, the rest is read', async () => {
  need();
  const v2 = readFileSync(join(DATA, 'flowlogs-reader/v2_records.log'), 'utf8');
  const r = await readStream(v2, { batchSize: 2, pieces: 7 });
  assert.deepEqual(r.batches.map((b) => b.records.length), [2, 2, 1]);
  assert.equal(r.info.formats[0]!.source, 'assumed');

  const lines = v2.trimEnd().split('\n');
  const long = '2 ' + 'x'.repeat(MAX_LINE_BYTES);
  const bad = Buffer.concat([Buffer.from(lines[0] + '\n' + long + '\n'), Buffer.from([0x32, 0x20, 0xff, 0xfe, 0x0a]), Buffer.from(lines[1] + '\n')]);
  const b = await readStream(bad, { pieces: 65536 });
  assert.deepEqual(b.batches.flatMap((x) => x.records.map((y) => y.line)), [1, 4]);
  assert.deepEqual(b.problems, [
    { line: 2, message: `line 2 is longer than ${MAX_LINE_BYTES} bytes; no flow log record is that long` },
    { line: 3, message: 'line 3 is not UTF-8 text' },
  ]);
});

test('a packet capture is refused with what to use instead; a JSON export reads events with their own times and streams', async () => {
  need();
  const pcap = resolve(DATA, '../pcap/ipfixprobe/mixed.pcap');
  assert.ok(existsSync(pcap), pcap);
  const reader = new AwsFileReader(createReadStream(pcap), { name: 'mixed.pcap' });
  await assert.rejects((async () => {
    for await (const _ of reader.batches()) { /* refused first */ }
  })(), /^AwsFileError: mixed\.pcap: this is a packet capture \(pcap\), not a flow log file; captures are turned into flow log records by `vpcflow ingest`$/);

  const lines = readFileSync(join(DATA, 'awsdocs/example-default-v2.log'), 'utf8').trimEnd().split('\n');
  const exported = JSON.stringify({ events: lines.map((message, i) => ({ logStreamName: `s${i}`, timestamp: 1000 + i, message })) }, null, 2);
  const r = await readStream(exported, { pieces: 33 });
  const events = r.batches.flatMap((b) => b.records);
  assert.deepEqual(events.map((e) => e.message), lines);
  assert.deepEqual(events.map((e) => [e.timestamp, e.logStream]), lines.map((_, i) => [1000 + i, `s${i}`]));
  assert.equal(r.problems.length, 0);
  // Read as the default format (nothing says otherwise), a message of another count is refused, not misread.
  const mixed = JSON.stringify({ events: [...lines, '2 x'].map((message) => ({ message })) });
  await assert.rejects(readStream(mixed), /^AwsFileError: upload\.log: event 8 has 2 values, but event 1 had 14 and, without a header line, the file was read as AWS's default format/);
  const badLine = lines[0]!.replace(' 22 ', ' 99999 ');
  const bad = await readStream(JSON.stringify({ events: [lines[1], badLine].map((message) => ({ message })) }));
  assert.deepEqual(bad.problems, [{ line: 2, message: `event 2: column ${badLine.indexOf(' 99999 ') + 2} (dstport): '99999' is above 65535 (largest dstport)` }]);
});

test('Parquet values are checked against their column types; unknown columns are named; Transit Gateway Parquet is refused', async () => {
  await withDir(async (dir) => {
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const file = join(dir, 'custom.parquet');
    const tgwFile = join(dir, 'tgw.parquet');
    await c.run(`COPY (SELECT * FROM (VALUES
        (3, '000000000001', 'eni-1', '10.0.0.1', 300, 5000000000, 'IPv4', 'extra'),
        (3, '000000000001', 'eni-1', '10.0.0.1', -1, 1, 'IPv4', 'extra'),
        (3, '000000000001', 'eni 1', '10.0.0.1', 6, 1, 'IPv4', 'extra'),
        (3, NULL, '-', 'None', 17, 1, '-', 'extra'))
      AS t(version, account_id, interface_id, srcaddr, protocol, "bytes", "type", comment)) TO '${file}' (FORMAT parquet)`);
    await c.run(`COPY (SELECT 'TransitGateway' AS resource_type, 'tgw-1' AS tgw_id) TO '${tgwFile}' (FORMAT parquet)`);
    c.closeSync();
    db.closeSync();
    const f = await readAwsLogFile(file);
    assert.deepEqual(f.fields, ['version', 'account-id', 'interface-id', 'srcaddr', 'protocol', 'bytes', 'type']);
    // protocol 300 is no IANA number, but the INT_32 column holds it: kept as the file has it.
    assert.deepEqual(f.batches[0]!.records.map((r) => r.message), [
      '3 000000000001 eni-1 10.0.0.1 300 5000000000 IPv4',
      '3 - - - 17 1 -',
    ]);
    assert.deepEqual(f.problems.map((p) => p.message), [
      "column 'comment' is not a VPC flow log field; ignored",
      'row 2: column protocol: "-1" is not a non-negative integer',
      'row 3: column interface_id: "eni 1" is empty or contains a space or line break',
    ]);
    await assert.rejects(readAwsLogFile(tgwFile), /no column of this Parquet file is a VPC flow log field \(its columns are a Transit Gateway flow log's, a record set vpcflow does not model\); columns: resource_type, tgw_id/);
  });
});
