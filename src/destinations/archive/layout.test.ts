import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ArchiveLayoutError,
  fileHash,
  fileName,
  fileTimeOf,
  normalizePrefix,
  objectFolder,
  objectKey,
  parseS3DestinationArn,
} from './layout.ts';

const base = {
  bucket: 'my-flow-log-bucket',
  accountId: '123456789012',
  region: 'us-east-1',
  flowLogId: 'fl-1234abcd',
  fileTime: Date.UTC(2018, 5, 20, 16, 20),
  hiveCompatiblePartitions: false,
  perHourPartition: false,
  fileFormat: 'plain-text' as const,
  hash: 'fe123456',
};

describe('objectKey: AWS documented examples (spec §3.2)', () => {
  it('reproduces the documented full key', () => {
    assert.equal(
      objectKey(base),
      'my-flow-log-bucket/AWSLogs/123456789012/vpcflowlogs/us-east-1/2018/06/20/' +
        '123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz',
    );
  });

  it('reproduces the documented file name', () => {
    assert.equal(fileName(base), '123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz');
  });

  it('reproduces the real-world key seen in an S3 event (folder + name below the bucket)', () => {
    const key = objectKey({
      ...base,
      bucket: 'some-bucket',
      accountId: '841154226728',
      region: 'us-west-2',
      flowLogId: 'fl-055401975c87952e8',
      fileTime: new Date('2023-01-21T21:00:00Z'),
      hash: '1ce1bf4b',
    });
    assert.equal(
      key,
      'some-bucket/AWSLogs/841154226728/vpcflowlogs/us-west-2/2023/01/21/' +
        '841154226728_vpcflowlogs_us-west-2_fl-055401975c87952e8_20230121T2100Z_1ce1bf4b.log.gz',
    );
  });
});

describe('objectKey: the four partition styles', () => {
  const name = '123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz';
  const cases: [boolean, boolean, string][] = [
    [false, false, 'AWSLogs/123456789012/vpcflowlogs/us-east-1/2018/06/20/'],
    [false, true, 'AWSLogs/123456789012/vpcflowlogs/us-east-1/2018/06/20/16/'],
    [true, false, 'AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2018/month=06/day=20/'],
    [true, true, 'AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2018/month=06/day=20/hour=16/'],
  ];
  for (const [hive, hourly, folder] of cases) {
    it(`hive=${hive} perHour=${hourly}`, () => {
      const input = { ...base, prefix: 'team/flows/', hiveCompatiblePartitions: hive, perHourPartition: hourly };
      assert.equal(objectKey(input), `my-flow-log-bucket/team/flows/${folder}${name}`);
    });
  }

  it('uses .log.parquet for Parquet files', () => {
    assert.ok(objectKey({ ...base, fileFormat: 'parquet' }).endsWith('_20180620T1620Z_fe123456.log.parquet'));
  });
});

describe('prefix handling', () => {
  const keyWith = (prefix: string | undefined) => objectKey({ ...base, prefix });
  it('treats a prefix with and without slashes alike and never doubles slashes', () => {
    const expected = keyWith('a/b/');
    for (const p of ['a/b', '/a/b/', 'a//b', '//a/b//']) assert.equal(keyWith(p), expected, p);
    assert.ok(expected.startsWith('my-flow-log-bucket/a/b/AWSLogs/'));
    assert.ok(!expected.includes('//'));
  });
  it('omits an empty prefix', () => {
    assert.equal(keyWith(''), keyWith(undefined));
    assert.ok(keyWith('/').startsWith('my-flow-log-bucket/AWSLogs/'));
  });
  it('refuses dangerous or reserved segments', () => {
    for (const bad of ['../x', 'a/./b', 'a\\b', 'a\0b', 'AWSLogs', 'x/AWSLogs/']) {
      assert.throws(() => normalizePrefix(bad), ArchiveLayoutError, bad);
    }
  });
});

describe('UTC rollover edge cases', () => {
  const at = (iso: string, perHourPartition = true) =>
    objectKey({ ...base, fileTime: fileTimeOf(Date.parse(iso) / 1000), perHourPartition });

  it('23:59:59 stays in the old day and hour, in the 23:55 file', () => {
    assert.equal(
      at('2018-12-31T23:59:59Z'),
      'my-flow-log-bucket/AWSLogs/123456789012/vpcflowlogs/us-east-1/2018/12/31/23/' +
        '123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20181231T2355Z_fe123456.log.gz',
    );
  });
  it('midnight starts the new year, month, day and hour', () => {
    assert.equal(
      at('2019-01-01T00:00:00Z'),
      'my-flow-log-bucket/AWSLogs/123456789012/vpcflowlogs/us-east-1/2019/01/01/00/' +
        '123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20190101T0000Z_fe123456.log.gz',
    );
  });
  it('month boundary: 31 Jan 23:57 → 2019/01/31, 1 Feb 00:01 → 2019/02/01', () => {
    assert.match(at('2019-01-31T23:57:00Z', false), /\/2019\/01\/31\/123456789012_.*_20190131T2355Z_/);
    assert.match(at('2019-02-01T00:01:00Z', false), /\/2019\/02\/01\/123456789012_.*_20190201T0000Z_/);
  });
  it('leap day', () => {
    assert.match(at('2024-02-29T23:59:59Z'), /\/2024\/02\/29\/23\/123456789012_.*_20240229T2355Z_/);
    assert.match(at('2024-03-01T00:04:59Z'), /\/2024\/03\/01\/00\/123456789012_.*_20240301T0000Z_/);
  });
  it('hive hour partition is zero-padded', () => {
    const folder = objectFolder({ ...base, fileTime: Date.UTC(2024, 0, 5, 7, 5), hiveCompatiblePartitions: true, perHourPartition: true });
    assert.match(folder, /year=2024\/month=01\/day=05\/hour=07\/$/);
  });
});

describe('fileTimeOf', () => {
  it('floors the record end to 5 minutes (current AWS rule)', () => {
    assert.equal(fileTimeOf(Date.UTC(2018, 5, 20, 16, 20, 0) / 1000), Date.UTC(2018, 5, 20, 16, 20));
    assert.equal(fileTimeOf(Date.UTC(2018, 5, 20, 16, 24, 59) / 1000), Date.UTC(2018, 5, 20, 16, 20));
    assert.equal(fileTimeOf(Date.UTC(2018, 5, 20, 16, 25, 0) / 1000), Date.UTC(2018, 5, 20, 16, 25));
  });
  it('refuses nonsense', () => {
    assert.throws(() => fileTimeOf(Number.NaN), ArchiveLayoutError);
    assert.throws(() => fileTimeOf(-1), ArchiveLayoutError);
  });
  it('objectKey floors an unaligned time to its period', () => {
    assert.equal(objectKey({ ...base, fileTime: Date.UTC(2018, 5, 20, 16, 23, 41, 500) }), objectKey(base));
  });
});

describe('fileHash', () => {
  const input = { flowLogId: 'fl-1234abcd', fileTime: Date.UTC(2018, 5, 20, 16, 20), sequence: 0, part: 0 };
  it('is 8 lowercase hex characters and deterministic', () => {
    assert.match(fileHash(input), /^[0-9a-f]{8}$/);
    assert.equal(fileHash(input), fileHash({ ...input }));
    assert.equal(fileHash(input), fileHash({ ...input, fileTime: Date.UTC(2018, 5, 20, 16, 24, 59) }));
  });
  it('differs between flow logs, periods, sequences and parts', () => {
    const hashes = new Set<string>();
    for (let sequence = 0; sequence < 20; sequence++) {
      for (let part = 0; part < 20; part++) hashes.add(fileHash({ ...input, sequence, part }));
    }
    assert.equal(hashes.size, 400);
    assert.notEqual(fileHash(input), fileHash({ ...input, flowLogId: 'fl-1234abce' }));
    assert.notEqual(fileHash(input), fileHash({ ...input, fileTime: Date.UTC(2018, 5, 20, 16, 25) }));
  });
  it('objectKey refuses a malformed hash', () => {
    for (const hash of ['FE123456', 'fe12345', 'fe1234567', 'ge123456']) {
      assert.throws(() => objectKey({ ...base, hash }), ArchiveLayoutError, hash);
    }
  });
});

describe('parseS3DestinationArn', () => {
  it('parses bucket-only and bucket+prefix ARNs', () => {
    assert.deepEqual(parseS3DestinationArn('arn:aws:s3:::my-flow-log-bucket'), { bucket: 'my-flow-log-bucket', prefix: '' });
    assert.deepEqual(parseS3DestinationArn('arn:aws:s3:::my-flow-log-bucket/'), { bucket: 'my-flow-log-bucket', prefix: '' });
    assert.deepEqual(parseS3DestinationArn('arn:aws:s3:::my-bucket/optional/prefix/'), { bucket: 'my-bucket', prefix: 'optional/prefix/' });
    assert.deepEqual(parseS3DestinationArn('arn:aws:s3:::my-bucket/flows'), { bucket: 'my-bucket', prefix: 'flows/' });
    assert.deepEqual(parseS3DestinationArn('arn:aws-cn:s3:::cn.bucket.1/x/'), { bucket: 'cn.bucket.1', prefix: 'x/' });
  });
  it('refuses other ARNs and bad bucket names with a typed error', () => {
    const bad = [
      'arn:aws:logs:us-east-1:123456789012:log-group:x',
      's3://my-bucket/prefix/',
      'arn:aws:s3:::',
      'arn:aws:s3:::ab',
      'arn:aws:s3:::My-Bucket',
      'arn:aws:s3:::my_bucket',
      'arn:aws:s3:::-bucket',
      'arn:aws:s3:::bucket-',
      'arn:aws:s3:::my..bucket',
      'arn:aws:s3:::192.168.5.4',
      'arn:aws:s3:::xn--bucket',
      'arn:aws:s3:::' + 'a'.repeat(64),
      'arn:aws:s3:::my-bucket/AWSLogs/',
      'arn:aws:s3:::my-bucket/a/../b/',
    ];
    for (const arn of bad) {
      assert.throws(() => parseS3DestinationArn(arn), (e: unknown) => e instanceof ArchiveLayoutError && e.value === arn, arn);
    }
  });
});

describe('identifier validation', () => {
  it('refuses path separators in identifiers', () => {
    assert.throws(() => objectKey({ ...base, accountId: '12/34' }), ArchiveLayoutError);
    assert.throws(() => objectKey({ ...base, flowLogId: 'fl_1' }), ArchiveLayoutError);
    assert.throws(() => objectKey({ ...base, region: '' }), ArchiveLayoutError);
    assert.throws(() => objectKey({ ...base, fileTime: Number.NaN }), ArchiveLayoutError);
    assert.throws(() => objectKey({ ...base, bucket: 'Bad' }), ArchiveLayoutError);
  });
});
