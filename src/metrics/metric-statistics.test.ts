// GetMetricStatistics request validation (CloudWatch's codes) and folding minute buckets into periods.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldDatapoints, parseMetricStatisticsRequest, parseTime } from './metric-statistics.ts';

const T0 = Date.UTC(2026, 0, 1);
const base = { Namespace: 'VPC', MetricName: 'RejectedBytes', StartTime: T0, EndTime: T0 + 3600_000, Period: 300, Statistics: ['Sum'] };

function fails(b: Record<string, unknown>, code: string, message: RegExp): void {
  assert.throws(() => parseMetricStatisticsRequest(b), (e: unknown) => {
    assert.equal((e as { code?: string }).code, code, String(e));
    assert.match((e as Error).message, message);
    return true;
  });
}

test('a request is read with its dimensions and times (ms or ISO 8601)', () => {
  const r = parseMetricStatisticsRequest({ ...base, StartTime: '2026-01-01T00:00:00Z', Dimensions: [{ Name: 'Action', Value: 'REJECT' }], Statistics: ['Sum', 'Sum', 'Average'] });
  assert.deepEqual(r, { namespace: 'VPC', metricName: 'RejectedBytes', dimensions: { Action: 'REJECT' }, startTime: T0, endTime: T0 + 3600_000, period: 300, statistics: ['Sum', 'Average'] });
  assert.equal(parseTime('1767225600000', 'StartTime'), T0);
});

test('bad requests get CloudWatch\'s codes', () => {
  fails({ ...base, Namespace: undefined }, 'MissingParameter', /Namespace/);
  fails({ ...base, Period: 90 }, 'InvalidParameterValue', /multiple of 60/);
  fails({ ...base, Statistics: ['p99'] }, 'InvalidParameterValue', /p99/);
  fails({ ...base, Statistics: [] }, 'MissingParameter', /Statistics/);
  fails({ ...base, EndTime: T0 }, 'InvalidParameterValue', /StartTime must be less than/);
  fails({ ...base, StartTime: 'yesterday' }, 'InvalidParameterValue', /StartTime/);
  fails({ ...base, Period: 60, EndTime: T0 + 2 * 86400_000 }, 'InvalidParameterCombination', /up to 2,880 datapoints, which exceeds the limit of 1,440/);
  fails({ ...base, Dimensions: [{ Name: 'A', Value: 'x' }, { Name: 'A', Value: 'y' }] }, 'InvalidParameterCombination', /more than once/);
});

test('minute buckets fold into period-aligned datapoints with every statistic', () => {
  const rows = [
    { minute: T0 + 60_000, sum: 10, sampleCount: 2, min: 4, max: 6, unit: 'Bytes' },
    { minute: T0 + 240_000, sum: 30, sampleCount: 1, min: 30, max: 30, unit: 'Bytes' },
    { minute: T0 + 300_000, sum: 5, sampleCount: 5, min: 1, max: 1, unit: 'Bytes' },
  ];
  assert.deepEqual(foldDatapoints(rows, 300, ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum']), [
    { Timestamp: '2026-01-01T00:00:00.000Z', Unit: 'Bytes', SampleCount: 3, Average: 40 / 3, Sum: 40, Minimum: 4, Maximum: 30 },
    { Timestamp: '2026-01-01T00:05:00.000Z', Unit: 'Bytes', SampleCount: 5, Average: 1, Sum: 5, Minimum: 1, Maximum: 1 },
  ]);
  assert.deepEqual(foldDatapoints(rows, 60, ['Maximum']).map((p) => Object.keys(p).sort()), [['Maximum', 'Timestamp', 'Unit'], ['Maximum', 'Timestamp', 'Unit'], ['Maximum', 'Timestamp', 'Unit']]);
});
