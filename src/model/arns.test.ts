import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketNameProblem, logGroupArn, parseLogGroupArn, parseS3Arn, roleArnProblem } from './arns.ts';

test('S3 ARNs: bucket with optional folder, normalized to "" or "a/b/"', () => {
  assert.deepEqual(parseS3Arn('arn:aws:s3:::amzn-s3-demo-bucket'), { ok: true, value: { partition: 'aws', bucket: 'amzn-s3-demo-bucket', prefix: '' } });
  assert.deepEqual(parseS3Arn('arn:aws:s3:::my-log-bucket/my-logs/'), { ok: true, value: { partition: 'aws', bucket: 'my-log-bucket', prefix: 'my-logs/' } });
  assert.deepEqual(parseS3Arn('arn:aws:s3:::b-1/a//b'), { ok: true, value: { partition: 'aws', bucket: 'b-1', prefix: 'a/b/' } });
});

test('S3 ARNs: AWSLogs may not be a folder; bad shapes are refused with a reason', () => {
  for (const [arn, why] of [
    ['arn:aws:s3:::bucket/AWSLogs/', /AWSLogs/],
    ['arn:aws:s3:::bucket/logs/AWSLogs', /AWSLogs/],
    ['arn:aws:s3:::bucket/../x', /'\.\.'/],
    ['arn:aws:s3::123456789012:bucket', /not an S3 bucket ARN/],
    ['s3://bucket', /not an S3 bucket ARN/],
    ['arn:aws:s3:::Bucket', /lowercase/],
  ] as const) {
    const r = parseS3Arn(arn);
    assert.equal(r.ok, false, arn);
    if (!r.ok) assert.match(r.reason, why);
  }
  // A folder merely containing the word is fine.
  assert.equal(parseS3Arn('arn:aws:s3:::bucket/myAWSLogs/').ok, true);
});

test('bucket name rules', () => {
  assert.equal(bucketNameProblem('my.bucket-1'), undefined);
  for (const bad of ['ab', 'a'.repeat(64), 'my_bucket', '-bucket', 'bucket-', 'my..bucket', 'my.-bucket', '192.168.5.4', 'xn--bucket', 'sthree-b', 'bucket-s3alias', 'bucket--ol-s3']) {
    assert.ok(bucketNameProblem(bad), bad);
  }
});

test('log group ARNs', () => {
  assert.equal(logGroupArn('aws', 'us-east-1', '123456789101', 'my-flow-logs'), 'arn:aws:logs:us-east-1:123456789101:log-group:my-flow-logs');
  assert.deepEqual(parseLogGroupArn('arn:aws:logs:us-east-1:123456789101:log-group:my-flow-logs'), { ok: true, value: { partition: 'aws', region: 'us-east-1', account: '123456789101', logGroupName: 'my-flow-logs' } });
  const star = parseLogGroupArn('arn:aws:logs:us-east-1:123456789101:log-group:/vpc/flows:*');
  assert.ok(star.ok && star.value.logGroupName === '/vpc/flows');
  assert.equal(parseLogGroupArn('arn:aws:logs:us-east-1:1234:log-group:x').ok, false);
  assert.equal(parseLogGroupArn('arn:aws:logs:us-east-1:123456789101:log-group:bad name').ok, false);
});

test('role ARNs', () => {
  assert.equal(roleArnProblem('arn:aws:iam::123456789101:role/publishFlowLogs'), undefined);
  assert.equal(roleArnProblem('arn:aws:iam::123456789101:role/service/flow-logs@x'), undefined);
  assert.ok(roleArnProblem('arn:aws:iam::123456789101:user/bob'));
  assert.ok(roleArnProblem('publishFlowLogs'));
});
