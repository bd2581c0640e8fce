// CloudWatch Logs JSON dispatch over a real log store (temporary DuckDB): targets, body parsing,
// member types, per-account isolation and the FilterLogEvents call `aws logs tail` makes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../store/index.ts';
import { LogStore } from '../../destinations/logstore/index.ts';
import { MetricFilterStore } from '../../metrics/index.ts';
import { parseLogsRequest, runLogsOperation, logsErrorBody } from './logs-json.ts';

const A = '111122223333';
const B = '444455556666';
let dir: string;
let db: Database;
let store: LogStore;
let metrics: MetricFilterStore;

const call = (account: string, op: string, body: unknown) => runLogsOperation({ logStore: store, metrics }, account, parseLogsRequest(`Logs_20140328.${op}`, JSON.stringify(body)));

async function failsWith(work: Promise<unknown> | (() => unknown), code: string, message?: RegExp): Promise<void> {
  await assert.rejects(async () => (typeof work === 'function' ? work() : work), (e: unknown) => {
    const c = (e as { code?: string }).code;
    assert.equal(c, code, String(e));
    if (message) assert.match((e as Error).message, message);
    return true;
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vpcflow-logs-json-'));
  db = new Database({ dataDir: dir });
  await db.start();
  store = new LogStore(db, 'us-east-1');
  metrics = new MetricFilterStore(db);
  store.onGroupDeleted((tx, a, g) => metrics.removeGroupInTransaction(tx, a, g));
  await call(A, 'CreateLogGroup', { logGroupName: '/vpc/flows' });
  // Records from the spec's documented examples (§6.3 R1, R2, R5), one stream per interface.
  const events = [
    '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK',
    '2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK',
    '2 123456789010 eni-1235b8ca123456789 172.31.16.139 203.0.113.12 0 0 1 4 336 1432917094 1432917142 REJECT OK',
  ].map((message, i) => ({ streamName: 'eni-1235b8ca123456789-all', timestamp: 1418530010000 + i * 1000, message }));
  const stored = await db.transaction((tx) => store.appendInTransaction(tx, A, '/vpc/flows', events));
  store.announce(A, '/vpc/flows', stored);
});

after(async () => {
  await db?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('the target names the operation; a bad target or body gets the JSON protocol codes', async () => {
  assert.deepEqual(parseLogsRequest('Logs_20140328.DescribeLogGroups', '{"logGroupNamePrefix": "vpc"}'), { operation: 'DescribeLogGroups', input: { logGroupNamePrefix: 'vpc' } });
  assert.deepEqual(parseLogsRequest('Logs_20140328.DescribeLogGroups', ''), { operation: 'DescribeLogGroups', input: {} });
  await failsWith(() => parseLogsRequest(undefined, '{}'), 'UnknownOperationException', /X-Amz-Target/);
  await failsWith(() => parseLogsRequest('Kinesis_20131202.ListStreams', '{}'), 'UnknownOperationException');
  await failsWith(() => parseLogsRequest('Logs_20140328.PutLogEvents', '{}'), 'UnknownOperationException', /PutLogEvents/);
  await failsWith(() => parseLogsRequest('Logs_20140328.hasOwnProperty', '{}'), 'UnknownOperationException');
  await failsWith(() => parseLogsRequest('Logs_20140328.DescribeLogGroups', '{"a":'), 'SerializationException');
  await failsWith(() => parseLogsRequest('Logs_20140328.DescribeLogGroups', '[1]'), 'SerializationException');
  assert.deepEqual(JSON.parse(logsErrorBody('ResourceNotFoundException', 'The specified log group does not exist.')), { __type: 'ResourceNotFoundException', message: 'The specified log group does not exist.' });
});

test('log groups belong to one account: another account neither sees nor deletes them', async () => {
  const mine = (await call(A, 'DescribeLogGroups', { logGroupNamePrefix: '/vpc' })) as { logGroups: { logGroupName: string; arn: string }[] };
  assert.deepEqual(mine.logGroups.map((g) => g.logGroupName), ['/vpc/flows']);
  assert.equal(mine.logGroups[0]!.arn, `arn:aws:logs:us-east-1:${A}:log-group:/vpc/flows:*`);
  assert.deepEqual(await call(B, 'DescribeLogGroups', {}), { logGroups: [] });
  await failsWith(call(B, 'DeleteLogGroup', { logGroupName: '/vpc/flows' }), 'ResourceNotFoundException');
  await failsWith(call(B, 'FilterLogEvents', { logGroupName: '/vpc/flows' }), 'ResourceNotFoundException');
  await failsWith(call(B, 'FilterLogEvents', { logGroupIdentifier: `arn:aws:logs:us-east-1:${A}:log-group:/vpc/flows` }), 'ResourceNotFoundException');
  // B may create a group of the same name; it is a different group.
  assert.deepEqual(await call(B, 'CreateLogGroup', { logGroupName: '/vpc/flows' }), {});
  assert.deepEqual((await call(B, 'FilterLogEvents', { logGroupName: '/vpc/flows' }) as { events: unknown[] }).events, []);
  assert.equal(((await call(A, 'FilterLogEvents', { logGroupName: '/vpc/flows' })) as { events: unknown[] }).events.length, 3);
});

test('FilterLogEvents as `aws logs tail` sends it (interleaved, startTime) with a flow-log filter pattern', async () => {
  const r = (await call(A, 'FilterLogEvents', { logGroupName: '/vpc/flows', interleaved: true, startTime: 1418530010000, filterPattern: '[version, accountid, interfaceid, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action = REJECT, logstatus]' })) as {
    events: { message: string; logStreamName: string; eventId: string; timestamp: number; ingestionTime: number }[]; searchedLogStreams: unknown[]; nextToken?: string;
  };
  // Spec §6.3's worked table: this pattern matches R2 and R5 only.
  assert.deepEqual(r.events.map((e) => e.message.split(' ')[3]), ['172.31.9.69', '172.31.16.139']);
  assert.deepEqual(Object.keys(r.events[0]!).sort(), ['eventId', 'ingestionTime', 'logStreamName', 'message', 'timestamp']);
  assert.equal(r.nextToken, undefined);
  const byArn = (await call(A, 'FilterLogEvents', { logGroupIdentifier: `arn:aws:logs:us-east-1:${A}:log-group:/vpc/flows:*`, limit: 1 })) as { events: unknown[]; nextToken?: string };
  assert.equal(byArn.events.length, 1);
  assert.equal(typeof byArn.nextToken, 'string');
});

test('streams, events and retention', async () => {
  const streams = (await call(A, 'DescribeLogStreams', { logGroupName: '/vpc/flows' })) as { logStreams: { logStreamName: string; firstEventTimestamp: number }[] };
  assert.deepEqual(streams.logStreams.map((s) => [s.logStreamName, s.firstEventTimestamp]), [['eni-1235b8ca123456789-all', 1418530010000]]);
  const got = (await call(A, 'GetLogEvents', { logGroupName: '/vpc/flows', logStreamName: 'eni-1235b8ca123456789-all', startFromHead: true, limit: 2 })) as { events: { timestamp: number }[]; nextForwardToken: string };
  assert.deepEqual(got.events.map((e) => e.timestamp), [1418530010000, 1418530011000]);
  assert.match(got.nextForwardToken, /^f\//);
  assert.deepEqual(await call(A, 'PutRetentionPolicy', { logGroupName: '/vpc/flows', retentionInDays: 14 }), {});
  const groups = (await call(A, 'DescribeLogGroups', { logGroupNamePattern: 'flows' })) as { logGroups: { retentionInDays?: number }[] };
  assert.equal(groups.logGroups[0]!.retentionInDays, 14);
  await failsWith(call(A, 'PutRetentionPolicy', { logGroupName: '/vpc/flows', retentionInDays: 2 }), 'InvalidParameterException', /retentionInDays/);
});

test('missing and mistyped members, and unsupported options, are refused precisely', async () => {
  await failsWith(call(A, 'CreateLogGroup', {}), 'InvalidParameterException', /Value null at 'logGroupName'/);
  await failsWith(call(A, 'CreateLogGroup', { logGroupName: 7 }), 'SerializationException');
  await failsWith(call(A, 'CreateLogGroup', { logGroupName: 'bad name!' }), 'InvalidParameterException', /logGroupName/);
  await failsWith(call(A, 'CreateLogGroup', { logGroupName: '/vpc/flows' }), 'ResourceAlreadyExistsException');
  await failsWith(call(A, 'CreateLogGroup', { logGroupName: 'k', kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/x' }), 'InvalidParameterException', /kmsKeyId/);
  await failsWith(call(A, 'PutRetentionPolicy', { logGroupName: '/vpc/flows' }), 'InvalidParameterException', /retentionInDays/);
  await failsWith(call(A, 'FilterLogEvents', { logGroupName: '/vpc/flows', startTime: '1418530010000' }), 'SerializationException');
  await failsWith(call(A, 'FilterLogEvents', { logGroupName: '/vpc/flows', startTime: -1 }), 'InvalidParameterException');
  await failsWith(call(A, 'FilterLogEvents', { logGroupName: '/vpc/flows', interleaved: 'yes' }), 'SerializationException');
  await failsWith(call(A, 'FilterLogEvents', {}), 'InvalidParameterException', /name or ARN/);
  await failsWith(call(A, 'FilterLogEvents', { logGroupName: '/vpc/flows', logGroupIdentifier: '/vpc/flows' }), 'InvalidParameterException', /mutually exclusive/);
  await failsWith(call(A, 'FilterLogEvents', { logGroupName: '/vpc/flows', logStreamNames: 'eni' }), 'SerializationException');
  await failsWith(call(A, 'GetLogEvents', { logGroupName: '/vpc/flows' }), 'InvalidParameterException', /logStreamName/);
  await failsWith(call(A, 'DescribeLogGroups', { limit: 0 }), 'InvalidParameterException');
  await failsWith(call(A, 'DescribeLogGroups', { accountIdentifiers: [B] }), 'InvalidParameterException', /accountIdentifiers/);
});

test('metric filter operations: put, describe, test and delete, per account, with AWS error types', async () => {
  await call(A, 'CreateLogGroup', { logGroupName: '/vpc/metric-json' });
  const transformation = { metricName: 'RejectedBytes', metricNamespace: 'VPC', metricValue: '$bytes', unit: 'Bytes' };
  const pattern = '[version, accountid, interfaceid, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action = REJECT, logstatus]';
  assert.deepEqual(await call(A, 'PutMetricFilter', { logGroupName: '/vpc/metric-json', filterName: 'rejected', filterPattern: pattern, metricTransformations: [transformation] }), {});
  const described = (await call(A, 'DescribeMetricFilters', { logGroupName: '/vpc/metric-json' })) as { metricFilters: Record<string, unknown>[] };
  assert.equal(described.metricFilters.length, 1);
  assert.deepEqual({ ...described.metricFilters[0], creationTime: 0 }, { filterName: 'rejected', filterPattern: pattern, metricTransformations: [transformation], creationTime: 0, logGroupName: '/vpc/metric-json' });
  assert.deepEqual(await call(B, 'DescribeMetricFilters', {}), { metricFilters: [] });
  await failsWith(call(B, 'PutMetricFilter', { logGroupName: '/vpc/metric-json', filterName: 'x', filterPattern: pattern, metricTransformations: [transformation] }), 'ResourceNotFoundException');
  await failsWith(call(A, 'PutMetricFilter', { logGroupName: '/vpc/metric-json', filterName: 'x', filterPattern: '[a', metricTransformations: [{ ...transformation, metricValue: '1' }] }), 'InvalidParameterException', /Invalid filter pattern \(at position 2/);
  await failsWith(call(A, 'PutMetricFilter', { logGroupName: '/vpc/metric-json', filterName: 'x', filterPattern: '' }), 'InvalidParameterException', /Value null at 'metricTransformations'/);
  await failsWith(call(A, 'PutMetricFilter', { logGroupName: '/vpc/metric-json', filterName: 'x', filterPattern: 'REJECT', metricTransformations: [transformation], fieldSelectionCriteria: 'x' }), 'InvalidParameterException', /fieldSelectionCriteria/);
  await failsWith(call(A, 'DescribeMetricFilters', { limit: 0 }), 'InvalidParameterException');
  const tested = (await call(A, 'TestMetricFilter', { filterPattern: '[..., action = REJECT, logstatus]', logEventMessages: ['2 1 eni-1 a b 1 2 6 1 40 1 2 REJECT OK', '2 1 eni-1 a b 1 2 6 1 40 1 2 ACCEPT OK'] })) as { matches: { eventNumber: number; extractedValues: Record<string, string> }[] };
  assert.deepEqual(tested.matches.map((m) => [m.eventNumber, m.extractedValues.$action, m.extractedValues.$10]), [[1, 'REJECT', '40']]);
  await failsWith(call(A, 'TestMetricFilter', { filterPattern: 'x' }), 'InvalidParameterException', /logEventMessages/);
  await failsWith(call(B, 'DeleteMetricFilter', { logGroupName: '/vpc/metric-json', filterName: 'rejected' }), 'ResourceNotFoundException');
  assert.deepEqual(await call(A, 'DeleteMetricFilter', { logGroupName: '/vpc/metric-json', filterName: 'rejected' }), {});
  await failsWith(call(A, 'DeleteMetricFilter', { logGroupName: '/vpc/metric-json', filterName: 'rejected' }), 'ResourceNotFoundException', /metric filter does not exist/);
});
