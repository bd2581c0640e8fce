// Metric filters over a real log store (temporary DuckDB): CRUD with AWS's errors, evaluation on the
// append path aggregated per minute, filters applying to new events only, defaults at read time,
// removal with the group, and account isolation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../store/index.ts';
import { LogStore } from '../destinations/logstore/log-store.ts';
import { parseMetricStatisticsRequest } from './metric-statistics.ts';
import { MetricFilterStore } from './metric-store.ts';

const A = '111122223333';
const B = '444455556666';
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const PATTERN = '[version, account, eni, source, destination, srcport, destport, protocol, packets, bytes, windowstart, windowend, action, flowlogstatus]';
let dir: string;
let db: Database;
let store: LogStore;
let metrics: MetricFilterStore;

function record(dstport: number, bytes: number | '-', action: string, status = 'OK'): string {
  const packets = bytes === '-' ? '-' : 2;
  return `2 ${A} eni-0a1b2c3d4e5f60718 10.0.2.20 10.0.1.10 40000 ${dstport} 6 ${packets} ${bytes} 1767268800 1767268860 ${action} ${status}`;
}

async function deliver(account: string, group: string, events: { at: number; message: string }[]): Promise<void> {
  // As the delivery stage does: append, then the metric filters consume the appended events.
  const stored = await db.transaction(async (tx) => {
    const appended = await store.appendInTransaction(tx, account, group, events.map((e) => ({ streamName: 'eni-0a1b2c3d4e5f60718-all', timestamp: e.at, message: e.message })));
    await metrics.evaluateInTransaction(tx, account, group, appended);
    return appended;
  });
  store.announce(account, group, stored);
}

const put = (account: string, group: string, filterName: string, pattern: string, t: Record<string, unknown>) =>
  metrics.putMetricFilter(account, { logGroupName: group, filterName, filterPattern: pattern, metricTransformations: [{ metricNamespace: 'VPC', ...t }] });

const stats = (account: string, metric: string, dims: Record<string, string> = {}, period = 60, start = T0 - 3600_000, end = T0 + 3600_000) =>
  metrics.getMetricStatistics(account, parseMetricStatisticsRequest({
    Namespace: 'VPC', MetricName: metric, Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })), StartTime: start, EndTime: end, Period: period,
    Statistics: ['SampleCount', 'Sum', 'Minimum', 'Maximum', 'Average'],
  }));

async function failsWith(work: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(work, (e: unknown) => {
    assert.equal((e as { code?: string }).code, code, String(e));
    if (message) assert.match((e as Error).message, message);
    return true;
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vpcflow-metric-store-'));
  db = new Database({ dataDir: dir });
  await db.start();
  store = new LogStore(db, 'us-east-1', () => T0 + 7200_000);
  metrics = new MetricFilterStore(db, () => T0 + 7200_000);
  store.onGroupDeleted((tx, a, g) => metrics.removeGroupInTransaction(tx, a, g));
  await store.createLogGroup(A, '/vpc/flows');
});

after(async () => {
  await db?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('put, describe (filters, order, pages) and delete, with AWS errors', async () => {
  await store.createLogGroup(A, '/crud');
  await failsWith(put(A, '/no/such/group', 'x', 'REJECT', { metricName: 'M', metricValue: '1' }), 'ResourceNotFoundException', /^The specified log group does not exist\.$/);
  for (const name of ['c-filter', 'a-filter', 'b-filter']) await put(A, '/crud', name, 'REJECT', { metricName: name === 'b-filter' ? 'Other' : 'M', metricValue: '1' });
  const all = await metrics.describeMetricFilters(A, { logGroupName: '/crud' });
  assert.deepEqual(all.metricFilters.map((f) => f.filterName), ['a-filter', 'b-filter', 'c-filter']);
  assert.deepEqual(all.metricFilters[0], { filterName: 'a-filter', filterPattern: 'REJECT', metricTransformations: [{ metricName: 'M', metricNamespace: 'VPC', metricValue: '1' }], creationTime: T0 + 7200_000, logGroupName: '/crud' });
  const page1 = await metrics.describeMetricFilters(A, { logGroupName: '/crud', limit: 2 });
  assert.deepEqual(page1.metricFilters.map((f) => f.filterName), ['a-filter', 'b-filter']);
  const page2 = await metrics.describeMetricFilters(A, { logGroupName: '/crud', limit: 2, nextToken: page1.nextToken });
  assert.deepEqual([page2.metricFilters.map((f) => f.filterName), page2.nextToken], [['c-filter'], undefined]);
  assert.deepEqual((await metrics.describeMetricFilters(A, { logGroupName: '/crud', filterNamePrefix: 'b' })).metricFilters.map((f) => f.filterName), ['b-filter']);
  assert.deepEqual((await metrics.describeMetricFilters(A, { metricName: 'Other', metricNamespace: 'VPC' })).metricFilters.map((f) => f.filterName), ['b-filter']);
  await failsWith(metrics.describeMetricFilters(A, { metricName: 'Other' }), 'InvalidParameterException', /metricNamespace/);
  await failsWith(metrics.describeMetricFilters(A, { limit: 51 }), 'InvalidParameterException', /between 1 and 50/);
  await failsWith(metrics.describeMetricFilters(A, { logGroupName: '/nope' }), 'ResourceNotFoundException');
  await failsWith(metrics.describeMetricFilters(A, { nextToken: 'garbage' }), 'InvalidParameterException', /nextToken/);
  // Replacing keeps one filter of that name.
  await put(A, '/crud', 'a-filter', 'ACCEPT', { metricName: 'M', metricValue: '1' });
  const replaced = (await metrics.describeMetricFilters(A, { logGroupName: '/crud', filterNamePrefix: 'a' })).metricFilters;
  assert.deepEqual(replaced.map((f) => f.filterPattern), ['ACCEPT']);
  assert.equal((await store.describeLogGroups(A, { prefix: '/crud' })).logGroups[0]!.metricFilterCount, 3);
  await metrics.deleteMetricFilter(A, '/crud', 'a-filter');
  await failsWith(metrics.deleteMetricFilter(A, '/crud', 'a-filter'), 'ResourceNotFoundException', /metric filter does not exist/);
  await failsWith(metrics.deleteMetricFilter(A, '/nope', 'a-filter'), 'ResourceNotFoundException', /log group does not exist/);
  // Another account sees none of it.
  assert.deepEqual((await metrics.describeMetricFilters(B, {})).metricFilters, []);
  await failsWith(metrics.deleteMetricFilter(B, '/crud', 'b-filter'), 'ResourceNotFoundException');
});

test('at most 100 filters per group (LimitExceededException); replacing one at the limit is allowed', async () => {
  await store.createLogGroup(A, '/limit');
  for (let i = 0; i < 100; i++) await put(A, '/limit', `f${String(i).padStart(3, '0')}`, 'x', { metricName: 'M', metricValue: '1' });
  await failsWith(put(A, '/limit', 'one-more', 'x', { metricName: 'M', metricValue: '1' }), 'LimitExceededException');
  await put(A, '/limit', 'f000', 'y', { metricName: 'M', metricValue: '1' });
  await store.deleteLogGroup(A, '/limit');
  await store.createLogGroup(A, '/limit');
  assert.deepEqual((await metrics.describeMetricFilters(A, { logGroupName: '/limit' })).metricFilters, [], 'deleting the group removed its filters');
});

test('delivered events become per-minute sums, counts, minima and maxima; filters apply to later events only', async () => {
  // Events before any filter exists: never counted.
  await deliver(A, '/vpc/flows', [{ at: T0 - 60_000, message: record(22, 100, 'REJECT') }]);
  await put(A, '/vpc/flows', 'rejected-bytes', `[${PATTERN.slice(1, -1).replace('action', 'action = REJECT')}]`, { metricName: 'RejectedBytes', metricValue: '$bytes', unit: 'Bytes' });
  await put(A, '/vpc/flows', 'ssh-rejects', PATTERN.replace('destport', 'destport = 22').replace('action', 'action = REJECT'), { metricName: 'SshRejects', metricValue: '1', defaultValue: 0 });
  await put(A, '/vpc/flows', 'packets-by-action', PATTERN, { metricName: 'Packets', metricValue: '$packets', dimensions: { Action: '$action' } });
  // Minute 0 (two batches), minute 2; minute 1 has only an ACCEPT record; a NODATA record in minute 2.
  await deliver(A, '/vpc/flows', [{ at: T0 + 1_000, message: record(22, 300, 'REJECT') }, { at: T0 + 2_000, message: record(80, 500, 'ACCEPT') }]);
  await deliver(A, '/vpc/flows', [{ at: T0 + 59_999, message: record(443, 40, 'REJECT') }]);
  await deliver(A, '/vpc/flows', [{ at: T0 + 60_000, message: record(80, 700, 'ACCEPT') }]);
  await deliver(A, '/vpc/flows', [{ at: T0 + 120_000, message: record(22, 1000, 'REJECT') }, { at: T0 + 120_500, message: record(22, '-', '-', 'NODATA') }]);

  const bytes = await stats(A, 'RejectedBytes');
  assert.deepEqual(bytes.Datapoints.map((p) => [p.Timestamp, p.Sum, p.SampleCount, p.Minimum, p.Maximum, p.Average, p.Unit]), [
    ['2026-01-01T12:00:00.000Z', 340, 2, 40, 300, 170, 'Bytes'],
    ['2026-01-01T12:02:00.000Z', 1000, 1, 1000, 1000, 1000, 'Bytes'],
  ]);
  const fiveMinutes = await stats(A, 'RejectedBytes', {}, 300);
  assert.deepEqual(fiveMinutes.Datapoints.map((p) => [p.Timestamp, p.Sum, p.SampleCount]), [['2026-01-01T12:00:00.000Z', 1340, 3]]);
  // The default (0) fills minute 1, which had events but no SSH reject; minutes without events stay empty.
  const ssh = await stats(A, 'SshRejects');
  assert.deepEqual(ssh.Datapoints.map((p) => [p.Timestamp, p.Sum, p.SampleCount, p.Unit]), [
    ['2026-01-01T12:00:00.000Z', 1, 1, 'None'],
    ['2026-01-01T12:01:00.000Z', 0, 1, 'None'],
    ['2026-01-01T12:02:00.000Z', 1, 1, 'None'],
  ]);
  // Dimensions: each value is its own metric; without the dimension nothing is found.
  const accepted = await stats(A, 'Packets', { Action: 'ACCEPT' });
  assert.deepEqual(accepted.Datapoints.map((p) => [p.Timestamp, p.Sum]), [['2026-01-01T12:00:00.000Z', 2], ['2026-01-01T12:01:00.000Z', 2]]);
  assert.deepEqual((await stats(A, 'Packets', { Action: 'REJECT' })).Datapoints.map((p) => p.Sum), [4, 2]);
  assert.deepEqual((await stats(A, 'Packets')).Datapoints, []);
  // Range bounds: start inclusive, end exclusive.
  assert.deepEqual((await stats(A, 'RejectedBytes', {}, 60, T0 + 60_000, T0 + 120_000)).Datapoints, []);
  // Another account's query sees nothing.
  assert.deepEqual((await stats(B, 'RejectedBytes')).Datapoints, []);
  // One row per (metric, dimensions, minute), however many events and batches.
  const rows = await db.all("SELECT metric_name, count(*) AS n FROM metric_datapoints WHERE account_id = $1 GROUP BY ALL ORDER BY metric_name", [A]);
  assert.deepEqual(rows.map((r) => [r.metric_name, Number(r.n)]), [['Packets', 4], ['RejectedBytes', 2], ['SshRejects', 2]]);
});

test('deleting a filter stops new samples; deleting the group removes its filters but keeps the metric data', async () => {
  await store.createLogGroup(A, '/short-lived');
  await put(A, '/short-lived', 'all', '', { metricName: 'Events', metricValue: '1' });
  await deliver(A, '/short-lived', [{ at: T0 + 600_000, message: record(80, 1, 'ACCEPT') }]);
  await store.deleteLogGroup(A, '/short-lived');
  await deliver(A, '/short-lived', [{ at: T0 + 600_000, message: record(80, 1, 'ACCEPT') }]);
  assert.deepEqual((await stats(A, 'Events')).Datapoints.map((p) => p.SampleCount), [1]);
});
