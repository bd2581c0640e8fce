import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readAwsLogFile } from './aws-files.ts';
import { formatRecord } from '../records/index.ts';

const DATA = resolve(import.meta.dirname, '../../../shared/testdata/aws');
const need = () => assert.ok(existsSync(DATA), `third-party test data missing at ${DATA} (../shared/testdata)`);

test('AWS Parquet (flowlogs-reader sample) reads back to the records its upstream test expects', async () => {
  need();
  const f = await readAwsLogFile(join(DATA, 'flowlogs-reader/flows.parquet'));
  const expected = JSON.parse(await import('node:fs').then((fs) => fs.readFileSync(join(DATA, 'flowlogs-reader/expected_from_tests.json'), 'utf8')))
    .expectations.find((e: { test: string }) => e.test.endsWith('test_serial_parquet')).value as Record<string, unknown>[];
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
});

test('gzip text with a header (as AWS delivers to S3) and CloudWatch JSON exports read back', async () => {
  need();
  const dir = mkdtempSync(join(tmpdir(), 'vpcflow-awsfiles-'));
  try {
    const { readFileSync } = await import('node:fs');
    const v5 = readFileSync(join(DATA, 'flowlogs-reader/v5_header_format.log'));
    writeFileSync(join(dir, 'x.log.gz'), gzipSync(v5));
    const gz = await readAwsLogFile(join(dir, 'x.log.gz'));
    assert.equal(gz.kind, 'gzip-text');
    assert.ok(gz.fields.includes('flow-direction'));
    assert.ok(gz.records.length >= 2);
    assert.equal(gz.problems.length, 1, 'the sample has one deliberately bogus line');
    const lines = v5.toString().split('\n').slice(1).filter((l) => l.trim());
    assert.equal(formatRecord(gz.records[0]!, gz.fields), lines[0]);

    const msg = '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK';
    writeFileSync(join(dir, 'export.json'), JSON.stringify({ events: [{ logStreamName: 'eni-1235b8ca123456789-all', timestamp: 1418530010000, message: msg }] }));
    const cw = await readAwsLogFile(join(dir, 'export.json'));
    assert.equal(cw.kind, 'cloudwatch-json');
    assert.equal(formatRecord(cw.records[0]!, cw.fields), msg);

    writeFileSync(join(dir, 'broken.gz'), Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]));
    await assert.rejects(readAwsLogFile(join(dir, 'broken.gz')), /broken\.gz: the gzip data is corrupt/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
