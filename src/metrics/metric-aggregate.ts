// In-memory aggregation of one delivered batch into per-minute metric buckets (sum, count, min, max
// per namespace, metric and dimension set), so the store writes one upserted row per bucket instead
// of one row per matching event.

import type { CompiledMetricFilter } from './metric-filter.ts';

export const MINUTE_MS = 60_000;

export interface MetricBucket {
  namespace: string;
  metricName: string;
  /** Canonical dimension set: JSON of [name, value] pairs sorted by name; `[]` for none. */
  dimensions: string;
  /** Start of the minute (ms since epoch) the events' timestamps fall in. */
  minute: number;
  unit: string;
  sum: number;
  sampleCount: number;
  min: number;
  max: number;
}

/** A minute in which events reached the group, for a filter with a default value (see metric-store.ts). */
export interface DefaultMinute {
  namespace: string;
  metricName: string;
  minute: number;
  defaultValue: number;
  unit: string;
}

export interface BatchMetrics {
  buckets: MetricBucket[];
  defaultMinutes: DefaultMinute[];
  /** Events that matched a filter but gave no usable value (e.g. `-` in `$bytes` of a NODATA record). */
  unusable: number;
}

export const canonicalDimensions = (dims: Readonly<Record<string, string>>): string =>
  JSON.stringify(Object.entries(dims).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

export const minuteOf = (timestamp: number): number => Math.floor(timestamp / MINUTE_MS) * MINUTE_MS;

/** Evaluates every event against every filter and folds the samples into minute buckets. */
export function aggregateBatch(filters: readonly CompiledMetricFilter[], events: readonly { timestamp: number; message: string }[]): BatchMetrics {
  const buckets = new Map<string, MetricBucket>();
  const defaults = new Map<string, DefaultMinute>();
  const minutes = events.map((e) => minuteOf(e.timestamp));
  let unusable = 0;
  for (const filter of filters) {
    const t = filter.definition.metricTransformations[0];
    const unit = t.unit ?? 'None';
    const prefix = `${t.metricNamespace}\u0000${t.metricName}\u0000`;
    if (t.defaultValue !== undefined) {
      for (const minute of new Set(minutes)) {
        const dk = prefix + minute;
        if (!defaults.has(dk)) defaults.set(dk, { namespace: t.metricNamespace, metricName: t.metricName, minute, defaultValue: t.defaultValue, unit });
      }
    }
    const dimNames = Object.keys(t.dimensions ?? {});
    // Canonical dimension text per combination of values, so JSON is built once per combination.
    const canonical = new Map<string, string>();
    events.forEach((e, i) => {
      const sample = filter.evaluate(e.message);
      if (sample === null) return;
      if (sample === 'unusable') {
        unusable++;
        return;
      }
      let dimensions = '[]';
      if (dimNames.length > 0) {
        const values = dimNames.map((n) => sample.dimensions[n]).join('\u0000');
        dimensions = canonical.get(values) ?? canonicalDimensions(sample.dimensions);
        canonical.set(values, dimensions);
      }
      const minute = minutes[i]!;
      const key = `${prefix}${dimensions}\u0000${minute}`;
      const b = buckets.get(key);
      if (!b) {
        buckets.set(key, { namespace: t.metricNamespace, metricName: t.metricName, dimensions, minute, unit, sum: sample.value, sampleCount: 1, min: sample.value, max: sample.value });
      } else {
        b.sum += sample.value;
        b.sampleCount++;
        if (sample.value < b.min) b.min = sample.value;
        if (sample.value > b.max) b.max = sample.value;
        b.unit = unit;
      }
    });
  }
  return { buckets: [...buckets.values()], defaultMinutes: [...defaults.values()], unusable };
}
