// GetMetricStatistics over the per-minute buckets metric filters produce: request validation with
// CloudWatch's codes and wording, and the folding of minute buckets into the requested period.

import { VpcflowError, describeValue } from '../platform/errors.ts';

export class MetricQueryError extends VpcflowError {}

export const STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
export type Statistic = (typeof STATISTICS)[number];
export const MAX_DATAPOINTS = 1440;

export interface MetricStatisticsRequest {
  namespace: string;
  metricName: string;
  /** The metric's full dimension set: a metric is identified by namespace, name and all its dimensions. */
  dimensions: Record<string, string>;
  /** Inclusive, ms since epoch. */
  startTime: number;
  /** Exclusive, ms since epoch. */
  endTime: number;
  /** Seconds, a multiple of 60. */
  period: number;
  statistics: Statistic[];
}

export interface MinuteRow {
  minute: number;
  sum: number;
  sampleCount: number;
  min: number;
  max: number;
  unit: string;
}

export interface Datapoint {
  Timestamp: string;
  SampleCount?: number;
  Average?: number;
  Sum?: number;
  Minimum?: number;
  Maximum?: number;
  Unit: string;
}

const missing = (name: string): MetricQueryError => new MetricQueryError('MissingParameter', `The parameter ${name} is required.`);
const badValue = (message: string): MetricQueryError => new MetricQueryError('InvalidParameterValue', message);

/** A time as ms since epoch, or an ISO 8601 date-time. */
export function parseTime(v: unknown, name: string): number {
  if (v === undefined || v === null || v === '') throw missing(name);
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === 'string') {
    if (/^\d+$/.test(v)) return Number(v);
    const t = Date.parse(v);
    if (/^\d{4}-\d{2}-\d{2}/.test(v) && Number.isFinite(t)) return t;
  }
  throw badValue(`The parameter ${name} must be an ISO 8601 date-time or milliseconds since the epoch, got ${describeValue(v)}.`);
}

function requiredString(b: Record<string, unknown>, name: string, max = 255): string {
  const v = b[name];
  if (v === undefined || v === null || v === '') throw missing(name);
  if (typeof v !== 'string') throw badValue(`The parameter ${name} must be a string.`);
  if (v.length > max) throw badValue(`The parameter ${name} must be at most ${max} characters long.`);
  return v;
}

/** Reads a CloudWatch-shaped GetMetricStatistics body: Namespace, MetricName, Dimensions[{Name,Value}], StartTime, EndTime, Period, Statistics. */
export function parseMetricStatisticsRequest(b: Record<string, unknown>): MetricStatisticsRequest {
  const namespace = requiredString(b, 'Namespace');
  const metricName = requiredString(b, 'MetricName');
  const dimensions: Record<string, string> = {};
  if (b.Dimensions !== undefined && b.Dimensions !== null) {
    if (!Array.isArray(b.Dimensions)) throw badValue('The parameter Dimensions must be a list of {Name, Value}.');
    if (b.Dimensions.length > 30) throw badValue('The collection Dimensions must not have a size greater than 30.');
    for (const d of b.Dimensions as unknown[]) {
      const dim = (d ?? {}) as Record<string, unknown>;
      if (typeof dim.Name !== 'string' || !dim.Name || typeof dim.Value !== 'string') throw badValue('Each dimension must have a Name and a Value (strings).');
      if (Object.hasOwn(dimensions, dim.Name)) throw new MetricQueryError('InvalidParameterCombination', `The dimension ${dim.Name} is given more than once.`);
      dimensions[dim.Name] = dim.Value;
    }
  }
  const startTime = parseTime(b.StartTime, 'StartTime');
  const endTime = parseTime(b.EndTime, 'EndTime');
  if (startTime >= endTime) throw badValue('The parameter StartTime must be less than the parameter EndTime.');
  const period = b.Period;
  if (period === undefined || period === null) throw missing('Period');
  if (typeof period !== 'number' || !Number.isInteger(period) || period < 1) throw badValue('The parameter Period must be a positive whole number of seconds.');
  if (period % 60 !== 0) throw badValue('The parameter Period must be a multiple of 60.');
  const raw = b.Statistics;
  if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) throw missing('Statistics');
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length > 5) throw badValue('The collection Statistics must not have a size greater than 5.');
  for (const s of list) {
    if (!(STATISTICS as readonly unknown[]).includes(s)) throw badValue(`The parameter Statistics contains ${describeValue(s)}; valid values: ${STATISTICS.join(', ')}.`);
  }
  const points = Math.ceil((endTime - startTime) / (period * 1000));
  if (points > MAX_DATAPOINTS) {
    throw new MetricQueryError('InvalidParameterCombination', `You have requested up to ${points.toLocaleString('en-US')} datapoints, which exceeds the limit of ${MAX_DATAPOINTS.toLocaleString('en-US')}. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`);
  }
  return { namespace, metricName, dimensions, startTime, endTime, period, statistics: [...new Set(list as Statistic[])] };
}

/** Folds minute rows into period buckets aligned to multiples of the period since the epoch, oldest first. */
export function foldDatapoints(rows: readonly MinuteRow[], period: number, statistics: readonly Statistic[]): Datapoint[] {
  const periodMs = period * 1000;
  const buckets = new Map<number, MinuteRow>();
  for (const r of rows) {
    const start = Math.floor(r.minute / periodMs) * periodMs;
    const b = buckets.get(start);
    if (!b) buckets.set(start, { ...r, minute: start });
    else {
      b.sum += r.sum;
      b.sampleCount += r.sampleCount;
      b.min = Math.min(b.min, r.min);
      b.max = Math.max(b.max, r.max);
    }
  }
  return [...buckets.values()]
    .sort((a, b) => a.minute - b.minute)
    .map((b) => {
      const p: Datapoint = { Timestamp: new Date(b.minute).toISOString(), Unit: b.unit };
      for (const s of statistics) {
        if (s === 'SampleCount') p.SampleCount = b.sampleCount;
        else if (s === 'Sum') p.Sum = b.sum;
        else if (s === 'Minimum') p.Minimum = b.min;
        else if (s === 'Maximum') p.Maximum = b.max;
        else p.Average = b.sum / b.sampleCount;
      }
      return p;
    });
}
