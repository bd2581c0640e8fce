import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SERIES_PER_METRIC, Telemetry, TelemetryError, escapeLabelValue } from './telemetry.ts';

test('counters render in the exposition format with escaped labels; gauges are read at render time', async () => {
  const t = new Telemetry();
  const c = t.counter('vpcflow_things_total', 'Things seen', ['kind']);
  c.inc({ kind: 'a' });
  c.inc({ kind: 'a' }, 2);
  c.inc({ kind: 'say "hi"\\\nbye' });
  let depth = 7;
  t.gauge('vpcflow_depth', 'A queue depth', [], () => [{ value: depth }]);
  depth = 9;
  const text = await t.render();
  assert.match(text, /^# HELP vpcflow_depth A queue depth\n# TYPE vpcflow_depth gauge\nvpcflow_depth 9\n/);
  assert.match(text, /# TYPE vpcflow_things_total counter\nvpcflow_things_total\{kind="a"\} 3\nvpcflow_things_total\{kind="say \\"hi\\"\\\\\\nbye"\} 1\n/);
  assert.ok(text.endsWith('vpcflow_telemetry_gauge_failures 0\n'));
  assert.equal(c.get({ kind: 'a' }), 3);
  assert.equal(escapeLabelValue('x'.repeat(500)).length, 200);
});

test('label sets are bounded: past the bound samples go to "other" and the overflow is counted', async () => {
  const t = new Telemetry();
  const c = t.counter('vpcflow_many_total', 'Many', ['id']);
  for (let i = 0; i < MAX_SERIES_PER_METRIC + 50; i++) c.inc({ id: `fl-${i}` });
  assert.equal(c.overflow, 50);
  const text = await t.render();
  assert.match(text, /vpcflow_many_total\{id="other"\} 50\n/);
  assert.match(text, /vpcflow_telemetry_overflow_samples_total 50\n/);
  assert.equal(text.split('\n').filter((l) => l.startsWith('vpcflow_many_total{')).length, MAX_SERIES_PER_METRIC + 1, 'the bound, and the one "other" series');
});

test('a gauge that cannot be read is left out and counted; bad names and decreasing counters are refused', async () => {
  const t = new Telemetry();
  t.gauge('vpcflow_broken', 'Fails', [], () => {
    throw new Error('store closed');
  });
  const text = await t.render();
  assert.doesNotMatch(text, /vpcflow_broken/);
  assert.match(text, /vpcflow_telemetry_gauge_failures 1\n/);
  assert.throws(() => t.counter('bad-name', 'x'), TelemetryError);
  assert.throws(() => t.counter('vpcflow_ok_total', 'x', ['__reserved']), TelemetryError);
  assert.throws(() => t.gauge('vpcflow_broken', 'again', [], () => []), /registered twice/);
  const c = t.counter('vpcflow_up_total', 'x');
  assert.throws(() => c.inc({}, -1), /only goes up/);
  assert.throws(() => c.inc({}, Number.NaN), /only goes up/);
});

test('a histogram counts into cumulative buckets with sum and count', async () => {
  const t = new Telemetry();
  const h = t.histogram('vpcflow_latency_seconds', 'Latency', [1, 5]);
  for (const v of [0.5, 2, 7, Number.NaN]) h.observe(v);
  const text = await t.render();
  assert.match(text, /# TYPE vpcflow_latency_seconds histogram\nvpcflow_latency_seconds_bucket\{le="1"\} 1\nvpcflow_latency_seconds_bucket\{le="5"\} 2\nvpcflow_latency_seconds_bucket\{le="\+Inf"\} 3\nvpcflow_latency_seconds_sum 9.5\nvpcflow_latency_seconds_count 3\n/);
  assert.throws(() => t.histogram('vpcflow_bad_seconds', 'x', [5, 1]), /increasing/);
});
