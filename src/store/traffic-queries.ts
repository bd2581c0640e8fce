// The console's traffic views (time series, top-N, sankey, map edges) as SQL over the `flows`
// view, for a scope (the operator's: every account; an account's: rows whose owner_account is it),
// a time range and a filter expression (records/filter-expression.ts).
//
// Every answer carries the SQL that produced it, with its parameters written in as literals: the
// same text runs unchanged in `vpcflow query` (the SQL sandbox's snapshot has the same `flows`
// view, holding only the scope's rows, where the owner_account condition is simply true) and gives
// the same numbers. Each view is one statement, so what the console draws is exactly what that SQL
// returns; the only work done here is zero-filling buckets and turning rows into links.
//
// Time: a record belongs to the range, and to a time bucket, by its `start` (the first packet of its
// aggregation window): StartTime ≤ start < EndTime, bucket = floor(start / step) × step. A record is
// never split across buckets, so sums over buckets equal the sum over the range.
//
// The SQL is generated here from validated input only (fields from the field table, integers,
// text through sqlText), so it runs on the store's own read connections (Database.read), not
// through the sandbox that users' SQL needs.

import type { DuckDBValue } from '@duckdb/node-api';
import { VpcflowError } from '../platform/errors.ts';
import {
  FILTER_FIELD_NAMES,
  FilterExpressionError,
  type FilterField,
  compileFilterToSql,
  parseFilterExpression,
  resolveFilterField,
  sqlInteger,
  sqlText,
} from '../records/filter-expression.ts';
import type { Row } from './database.ts';
import type { SqlScope } from './sql-sandbox.ts';

export type TrafficMetric = 'bytes' | 'packets' | 'records';
export type TrafficAggregate = 'sum' | 'max' | 'last';

export interface TrafficRange {
  readonly scope: SqlScope;
  /** Epoch seconds; records with StartTime ≤ start < EndTime. */
  readonly start: number;
  readonly end: number;
  /** A filter expression (records/filter-expression.ts); blank or absent: every record. */
  readonly filter?: string;
}

export interface TimeSeriesRequest extends TrafficRange {
  readonly metric: TrafficMetric;
  /** The field whose values split the series (default action). */
  readonly splitBy?: string;
  /** Bucket width in seconds (≥ 60, at most MAX_BUCKETS buckets); default the smallest nice step giving at most MAX_BUCKETS. */
  readonly step?: number;
  /** Series kept (by total over the range, largest first); the rest are summed as Other. Default 10. */
  readonly limit?: number;
}

export interface TrafficSeries {
  /** The split field's value as text; '-' where the record has none. */
  readonly key: string;
  readonly values: number[];
}

export interface TimeSeriesResult {
  readonly metric: TrafficMetric;
  readonly splitBy: string;
  readonly step: number;
  /** Start of each bucket (epoch seconds), every bucket of the range, empty ones included. */
  readonly buckets: number[];
  readonly series: TrafficSeries[];
  /** The split values past the limit, summed; absent when there are none. */
  readonly other?: TrafficSeries;
  readonly sql: string;
}

export interface TopNRequest extends TrafficRange {
  /** One field or a list (up to MAX_DIMENSIONS): the rows are their value combinations. */
  readonly dimension: string | readonly string[];
  readonly metric: TrafficMetric;
  /**
   * sum (default): the total over the range; max: the largest value of one time step (a burst);
   * last: the value in the range's last step. Steps as in timeSeries.
   */
  readonly aggregate?: TrafficAggregate;
  readonly step?: number;
  /** 1..100, default 10. */
  readonly limit?: number;
}

export type TrafficKey = Record<string, string | number | null>;

export interface TopNResult {
  readonly dimensions: string[];
  readonly metric: TrafficMetric;
  readonly aggregate: TrafficAggregate;
  /** The step max and last are computed over; absent for sum. */
  readonly step?: number;
  /** Largest value first; keys by field name (AWS's form), integers as numbers, '-' as null. */
  readonly rows: { key: TrafficKey; value: number; records: number }[];
  /** The aggregate of all matching traffic: sum: its total; max: the largest step's total; last: the last step's total. */
  readonly total: number;
  /** Matching records in the range, and how many distinct keys they have. */
  readonly totalRecords: number;
  readonly groups: number;
  readonly sql: string;
}

export interface SankeyRequest extends TrafficRange {
  /** 2..4 fields, left to right. */
  readonly dimensions: readonly string[];
  readonly metric: TrafficMetric;
  /** Value combinations kept (largest first, 1..100, default 10); the rest are one Other path. */
  readonly limit?: number;
}

export interface SankeyNode {
  /** Unique in the graph: `dimension=label`, or `dimension Other`. */
  readonly name: string;
  readonly dimension: string;
  /** The value as text ('-' where records have none), or 'Other'. */
  readonly label: string;
}

export interface SankeyResult {
  readonly dimensions: string[];
  readonly metric: TrafficMetric;
  readonly nodes: SankeyNode[];
  /** Between nodes of neighbouring dimensions; value: the metric summed over the paths through both. */
  readonly links: { source: string; target: string; value: number }[];
  readonly sql: string;
}

export interface EdgesRequest extends TrafficRange {
  /** 1..MAX_EDGES, default 1000: the edges with most bytes. */
  readonly limit?: number;
}

export interface TrafficEdge {
  readonly interfaceId: string | null;
  readonly srcaddr: string;
  readonly dstaddr: string;
  readonly action: string | null;
  readonly bytes: number;
  readonly packets: number;
  readonly records: number;
}

export interface EdgesResult {
  /** Most bytes first; records without addresses (NODATA, SKIPDATA) are no edge. */
  readonly edges: TrafficEdge[];
  /** Distinct edges matching, including those past the limit. */
  readonly total: number;
  readonly sql: string;
}

/** Something that runs a trusted read-only statement (Database.read). */
export interface TrafficSource {
  read(sql: string, params?: DuckDBValue[], opts?: { timeoutMs?: number }): Promise<Row[]>;
}

/** Longest a traffic query may run before it is interrupted (a console view must never hang the server). */
export const TRAFFIC_QUERY_TIMEOUT_MS = 30_000;

export const MAX_BUCKETS = 500;
export const MIN_STEP = 60;
/** Widths the automatic step picks from (seconds): minutes, hours, days. */
export const NICE_STEPS: readonly number[] = [60, 300, 900, 1800, 3600, 10800, 21600, 43200, 86400, 172800, 604800];
export const MAX_RANGE_SECONDS = 400 * 86400;
/** Record times are unsigned 32-bit seconds (AWS's), so no range reaches past 2106. */
export const MAX_EPOCH = 2 ** 32;
export const MAX_DIMENSIONS = 4;
export const MAX_SERIES = 50;
export const MAX_TOP = 100;
export const MAX_EDGES = 10_000;

/**
 * A request the traffic views cannot answer. `details` says which parameter (the native API's
 * name), and for filter expressions where: Position (0-based), Length, Expected.
 */
export class TrafficQueryError extends VpcflowError {
  constructor(code: 'InvalidParameterValue' | 'InvalidFilterExpression' | 'MissingParameter', message: string, readonly details: Record<string, unknown>) {
    super(code, message, 400);
  }
}

const invalid = (parameter: string, message: string, extra: Record<string, unknown> = {}) => new TrafficQueryError('InvalidParameterValue', message, { Parameter: parameter, ...extra });

const describe = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 59)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return Array.isArray(v) ? 'a list' : typeof v;
};

/** Builds a statement twice over: with $n parameters to run, and with the values written in to show. */
class Binder {
  readonly params: DuckDBValue[] = [];
  constructor(readonly literal: boolean) {}

  int(v: number): string {
    if (this.literal) return sqlInteger(v);
    this.params.push(BigInt(v));
    return `$${this.params.length}`;
  }

  text(v: string): string {
    if (this.literal) return sqlText(v);
    this.params.push(v);
    return `$${this.params.length}`;
  }
}

interface Built {
  run: string;
  params: DuckDBValue[];
  shown: string;
}

function build(make: (b: Binder) => string): Built {
  const run = new Binder(false);
  const runSql = make(run);
  return { run: runSql, params: run.params, shown: make(new Binder(true)) };
}

interface Checked {
  scope: SqlScope;
  start: number;
  end: number;
  filterSql: string | null;
}

const METRICS: readonly TrafficMetric[] = ['bytes', 'packets', 'records'];
const AGGREGATES: readonly TrafficAggregate[] = ['sum', 'max', 'last'];

const col = (f: FilterField): string => `"${f.column}"`;

function metricExpr(metric: TrafficMetric): string {
  // NODATA and SKIPDATA records have no bytes or packets ('-'): they add 0, and count as records.
  return metric === 'records' ? '1' : `coalesce("${metric}", 0)`;
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

export interface TrafficQueriesOptions {
  /** Queries running at once (default 2: one per core of a small host; the store has 4 read connections). */
  maxConcurrent?: number;
  /** Queries waiting for a turn (default 16); past that, ThrottlingException (429). */
  maxWaiting?: number;
  /** A query running longer is interrupted (QueryTimeout, 503); default TRAFFIC_QUERY_TIMEOUT_MS. */
  timeoutMs?: number;
}

export class TrafficQueries {
  private readonly maxConcurrent: number;
  private readonly maxWaiting: number;
  private readonly timeoutMs: number;
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly db: TrafficSource, opts: TrafficQueriesOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? TRAFFIC_QUERY_TIMEOUT_MS;
    this.maxConcurrent = opts.maxConcurrent ?? 2;
    this.maxWaiting = opts.maxWaiting ?? 16;
    if (!Number.isSafeInteger(this.maxConcurrent) || this.maxConcurrent < 1 || !Number.isSafeInteger(this.maxWaiting) || this.maxWaiting < 0) {
      throw new VpcflowError('InvalidParameterValue', `TrafficQueries needs maxConcurrent ≥ 1 and maxWaiting ≥ 0, got ${this.maxConcurrent} and ${this.maxWaiting}`);
    }
  }

  /**
   * Runs one statement when a turn is free, interrupted past timeoutMs. A query over a long range can
   * take seconds, so a console refreshing many panels must not take every read connection (the SQL sandbox's snapshots and the log store read through the same pool).
   */
  private async run(built: Built): Promise<Row[]> {
    if (this.active < this.maxConcurrent) this.active++;
    else {
      if (this.waiting.length >= this.maxWaiting) {
        throw new VpcflowError('ThrottlingException', `${this.maxConcurrent} traffic queries are running and ${this.waiting.length} waiting; try again shortly`, 429);
      }
      // The finishing query hands its turn over (active stays the same).
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    try {
      return await this.db.read(built.run, built.params, { timeoutMs: this.timeoutMs });
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }

  /** The metric per time bucket, one series per value of `splitBy` (the `limit` largest; the rest as Other). */
  async timeSeries(req: TimeSeriesRequest): Promise<TimeSeriesResult> {
    const c = this.check(req);
    const metric = checkMetric(req.metric);
    const split = checkField(req.splitBy ?? 'action', 'SplitBy');
    const limit = checkLimit(req.limit, 10, MAX_SERIES, 'Limit');
    const step = checkStep(req.step, c.start, c.end);
    const first = Math.floor(c.start / step) * step;
    // One scan into (series, bucket) sums, kept (MATERIALIZED) for the ranking and the folding into
    // Other: scanning twice would evaluate the filter twice, and address blocks are its costly part.
    const built = build((b) => `WITH matched AS (
  SELECT ("start" // ${sqlInteger(step)}) * ${sqlInteger(step)} AS bucket, ${col(split)} AS series, ${metricExpr(metric)} AS value
  FROM flows
  WHERE ${this.where(b, c)}
), per_bucket AS MATERIALIZED (
  SELECT series, bucket, sum(value) AS value FROM matched GROUP BY series, bucket
), ranked AS (
  SELECT series, row_number() OVER (ORDER BY sum(value) DESC, series) AS series_rank FROM per_bucket GROUP BY series
), folded AS (
  SELECT least(r.series_rank, ${limit + 1}) AS series_rank, CASE WHEN r.series_rank <= ${limit} THEN coalesce(CAST(p.series AS VARCHAR), '-') END AS series,
    p.bucket, sum(p.value) AS value
  FROM per_bucket p JOIN ranked r ON p.series IS NOT DISTINCT FROM r.series
  GROUP BY ALL
)
SELECT series_rank, series, sum(value)::BIGINT AS total, list(bucket ORDER BY bucket) AS buckets, list(value::BIGINT ORDER BY bucket) AS "values"
FROM folded
GROUP BY series_rank, series
ORDER BY series_rank`);
    const rows = await this.run(built);
    const count = Math.ceil((c.end - first) / step);
    const buckets = Array.from({ length: count }, (_, i) => first + i * step);
    const series: TrafficSeries[] = [];
    let other: TrafficSeries | undefined;
    for (const r of rows) {
      const values = new Array<number>(count).fill(0);
      const at = r.buckets as unknown[];
      const vs = r.values as unknown[];
      for (let i = 0; i < at.length; i++) values[(num(at[i]) - first) / step] = num(vs[i]);
      if (num(r.series_rank) > limit) other = { key: 'Other', values };
      else series.push({ key: String(r.series), values });
    }
    return { metric, splitBy: split.name, step, buckets, series, ...(other ? { other } : {}), sql: built.shown };
  }

  /** The largest value combinations of one or more fields by sum, max (largest step) or last (last step). */
  async topN(req: TopNRequest): Promise<TopNResult> {
    const c = this.check(req);
    const metric = checkMetric(req.metric);
    const dims = checkDimensions(req.dimension, 1, MAX_DIMENSIONS, 'Dimensions');
    const aggregate = req.aggregate ?? 'sum';
    if (!AGGREGATES.includes(aggregate)) throw invalid('Aggregate', `Aggregate must be one of ${AGGREGATES.join(', ')}, got ${describe(aggregate)}`, { Valid: AGGREGATES });
    const limit = checkLimit(req.limit, 10, MAX_TOP, 'Limit');
    const d = dims.map((_, i) => `d${i + 1}`);
    const keys = d.join(', ');
    const out = dims.map((f, i) => `g.${d[i]} AS ${col(f)}`).join(', ');
    const order = `value DESC, records DESC, ${keys}`;
    const select = dims.map((f, i) => `${col(f)} AS ${d[i]}`).join(', ');
    // The groups are kept (MATERIALIZED) because the totals are computed over all of them and the top
    // rows from them: one aggregation, read twice.
    const tail = `SELECT ${out}, g.value::BIGINT AS value, g.records::BIGINT AS records,
  t.total::BIGINT AS total, t.total_records::BIGINT AS total_records, t.group_count::BIGINT AS "groups"
FROM (SELECT * FROM grouped ORDER BY ${order} LIMIT ${limit}) g, totals t
ORDER BY g.value DESC, g.records DESC, ${d.map((k) => `g.${k}`).join(', ')}`;
    let step: number | undefined;
    let built: Built;
    if (aggregate === 'sum') {
      built = build((b) => `WITH matched AS (
  SELECT ${select}, ${metricExpr(metric)} AS value
  FROM flows
  WHERE ${this.where(b, c)}
), grouped AS MATERIALIZED (
  SELECT ${keys}, sum(value) AS value, count(*) AS records FROM matched GROUP BY ${keys}
), totals AS (
  SELECT coalesce(sum(value), 0) AS total, coalesce(sum(records), 0) AS total_records, count(*) AS group_count FROM grouped
)
${tail}`);
    } else {
      const s = checkStep(req.step, c.start, c.end);
      step = s;
      const last = Math.floor((c.end - 1) / s) * s;
      const value = aggregate === 'max' ? 'max(value)' : `coalesce(sum(value) FILTER (WHERE bucket = ${sqlInteger(last)}), 0)`;
      const total = aggregate === 'max'
        ? '(SELECT coalesce(max(value), 0) FROM (SELECT sum(value) AS value FROM per_bucket GROUP BY bucket))'
        : `(SELECT coalesce(sum(value), 0) FROM per_bucket WHERE bucket = ${sqlInteger(last)})`;
      built = build((b) => `WITH matched AS (
  SELECT ${select}, ("start" // ${sqlInteger(s)}) * ${sqlInteger(s)} AS bucket, ${metricExpr(metric)} AS value
  FROM flows
  WHERE ${this.where(b, c)}
), per_bucket AS MATERIALIZED (
  SELECT ${keys}, bucket, sum(value) AS value, count(*) AS records FROM matched GROUP BY ${keys}, bucket
), grouped AS MATERIALIZED (
  SELECT ${keys}, ${value} AS value, sum(records) AS records FROM per_bucket GROUP BY ${keys}
), totals AS (
  SELECT ${total} AS total, coalesce(sum(records), 0) AS total_records, count(*) AS group_count FROM grouped
)
${tail}`);
    }
    const rows = await this.run(built);
    const first = rows[0];
    return {
      dimensions: dims.map((f) => f.name),
      metric,
      aggregate,
      ...(step !== undefined ? { step } : {}),
      rows: rows.map((r) => ({ key: keyOf(dims, r), value: num(r.value), records: num(r.records) })),
      total: num(first?.total),
      totalRecords: num(first?.total_records),
      groups: num(first?.groups),
      sql: built.shown,
    };
  }

  /** The `limit` largest value paths through 2..4 fields, plus one Other path, as nodes and links. */
  async sankey(req: SankeyRequest): Promise<SankeyResult> {
    const c = this.check(req);
    const metric = checkMetric(req.metric);
    const dims = checkDimensions(req.dimensions, 2, MAX_DIMENSIONS, 'Dimensions');
    const limit = checkLimit(req.limit, 10, MAX_TOP, 'Limit');
    const d = dims.map((_, i) => `d${i + 1}`);
    const keys = d.join(', ');
    // One scan, one aggregation with two grouping sets: the paths and the grand total (grouping()
    // all ones). A top-N (ORDER BY … LIMIT, a heap) takes the total and the limit+1 largest paths
    // from it, so the millions of paths ephemeral ports can make are never sorted nor kept.
    const all = (1 << dims.length) - 1;
    const built = build((b) => `WITH matched AS (
  SELECT ${dims.map((f, i) => `${col(f)} AS ${d[i]}`).join(', ')}, ${metricExpr(metric)} AS value
  FROM flows
  WHERE ${this.where(b, c)}
), top AS MATERIALIZED (
  SELECT ${keys}, sum(value) AS value, grouping(${keys}) = ${all} AS is_total
  FROM matched
  GROUP BY GROUPING SETS ((${keys}), ())
  ORDER BY is_total DESC, value DESC, ${keys}
  LIMIT ${limit + 2}
), kept AS (
  SELECT * FROM top WHERE NOT is_total ORDER BY value DESC, ${keys} LIMIT ${limit}
)
SELECT false AS other, ${dims.map((f, i) => `coalesce(CAST(${d[i]} AS VARCHAR), '-') AS ${col(f)}`).join(', ')}, value::BIGINT AS value FROM kept
UNION ALL
SELECT true, ${dims.map(() => 'NULL').join(', ')}, ((SELECT value FROM top WHERE is_total) - (SELECT sum(value) FROM kept))::BIGINT
WHERE (SELECT count(*) FROM top WHERE NOT is_total) > ${limit}
ORDER BY other, value DESC, ${dims.map((_, i) => String(i + 2)).join(', ')}`);
    const rows = await this.run(built);
    const nodes = new Map<string, SankeyNode>();
    const links = new Map<string, { source: string; target: string; value: number }>();
    for (const r of rows) {
      const other = r.other === true;
      const path = dims.map((f) => {
        const label = other ? 'Other' : String(r[f.column]);
        const name = other ? `${f.name} Other` : `${f.name}=${label}`;
        if (!nodes.has(name)) nodes.set(name, { name, dimension: f.name, label });
        return name;
      });
      const value = num(r.value);
      for (let i = 0; i + 1 < path.length; i++) {
        const k = JSON.stringify([path[i], path[i + 1]]);
        const link = links.get(k);
        if (link) link.value += value;
        else links.set(k, { source: path[i]!, target: path[i + 1]!, value });
      }
    }
    return { dimensions: dims.map((f) => f.name), metric, nodes: [...nodes.values()], links: [...links.values()], sql: built.shown };
  }

  /** Who talks to whom through which interface, accepted or rejected: the map's edges, most bytes first. */
  async edges(req: EdgesRequest): Promise<EdgesResult> {
    const c = this.check(req);
    const limit = checkLimit(req.limit, 1000, MAX_EDGES, 'Limit');
    const order = 'bytes DESC, packets DESC, records DESC, "interface_id", "srcaddr", "dstaddr", "action"';
    const built = build((b) => `WITH grouped AS MATERIALIZED (
  SELECT "interface_id", "srcaddr", "dstaddr", "action",
    sum(coalesce("bytes", 0)) AS bytes, sum(coalesce("packets", 0)) AS packets, count(*) AS records
  FROM flows
  WHERE ${this.where(b, c)}
    AND "srcaddr" IS NOT NULL AND "dstaddr" IS NOT NULL
  GROUP BY 1, 2, 3, 4
)
SELECT "interface_id", "srcaddr", "dstaddr", "action", bytes::BIGINT AS bytes, packets::BIGINT AS packets, records::BIGINT AS records,
  (SELECT count(*) FROM grouped)::BIGINT AS edges
FROM (SELECT * FROM grouped ORDER BY ${order} LIMIT ${limit})
ORDER BY ${order}`);
    const rows = await this.run(built);
    return {
      edges: rows.map((r) => ({
        interfaceId: (r.interface_id as string | null) ?? null, srcaddr: String(r.srcaddr), dstaddr: String(r.dstaddr), action: (r.action as string | null) ?? null,
        bytes: num(r.bytes), packets: num(r.packets), records: num(r.records),
      })),
      total: num(rows[0]?.edges),
      sql: built.shown,
    };
  }

  private check(req: TrafficRange): Checked {
    if (!req || typeof req !== 'object') throw invalid('Request', 'a traffic query needs a scope, a start and an end');
    const scope = req.scope;
    if (!(scope?.kind === 'operator' || (scope?.kind === 'account' && typeof scope.accountId === 'string' && /^\d{12}$/.test(scope.accountId)))) {
      throw invalid('Account', `the scope is the operator or an account of 12 digits, got ${describe((scope as { accountId?: unknown })?.accountId ?? scope?.kind)}`);
    }
    const time = (v: unknown, name: string): number => {
      if (v === undefined || v === null) throw new TrafficQueryError('MissingParameter', `The request must contain the parameter ${name} (epoch seconds)`, { Parameter: name });
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > MAX_EPOCH) throw invalid(name, `${name} must be whole epoch seconds between 0 and ${MAX_EPOCH}, got ${describe(v)}`);
      return v;
    };
    const start = time(req.start, 'StartTime');
    const end = time(req.end, 'EndTime');
    if (end <= start) throw invalid('EndTime', `EndTime (${end}) must be after StartTime (${start})`);
    if (end - start > MAX_RANGE_SECONDS) {
      throw invalid('EndTime', `the range is ${((end - start) / 86400).toFixed(1)} days; at most ${MAX_RANGE_SECONDS / 86400} days are queried at once`);
    }
    let filterSql: string | null = null;
    if (req.filter !== undefined && req.filter !== null) {
      if (typeof req.filter !== 'string') throw invalid('Filter', `Filter must be a filter expression (text), got ${describe(req.filter)}`);
      try {
        const ast = parseFilterExpression(req.filter);
        filterSql = ast ? compileFilterToSql(ast) : null;
      } catch (e) {
        if (!(e instanceof FilterExpressionError)) throw e;
        throw new TrafficQueryError('InvalidFilterExpression', `Filter ${e.message}`, { Parameter: 'Filter', Position: e.position, Length: e.length, Expected: [...e.expected] });
      }
    }
    return { scope, start, end, filterSql };
  }

  private where(b: Binder, c: Checked): string {
    const conds = [`"start" >= ${b.int(c.start)}`, `"start" < ${b.int(c.end)}`];
    if (c.scope.kind === 'account') conds.push(`owner_account = ${b.text(c.scope.accountId)}`);
    if (c.filterSql) conds.push(c.filterSql);
    return conds.join('\n    AND ');
  }
}

function checkMetric(metric: unknown): TrafficMetric {
  if (metric === undefined || metric === null) throw new TrafficQueryError('MissingParameter', `The request must contain the parameter Metric (${METRICS.join(', ')})`, { Parameter: 'Metric' });
  if (!METRICS.includes(metric as TrafficMetric)) throw invalid('Metric', `Metric must be one of ${METRICS.join(', ')}, got ${describe(metric)}`, { Valid: METRICS });
  return metric as TrafficMetric;
}

function checkField(name: unknown, parameter: string): FilterField {
  if (typeof name !== 'string') throw invalid(parameter, `${parameter} must be a field name, got ${describe(name)}`, { ValidFields: FILTER_FIELD_NAMES });
  const f = resolveFilterField(name);
  if (!f) throw invalid(parameter, `${parameter}: unknown field ${describe(name)}; the fields are ${FILTER_FIELD_NAMES.join(', ')}`, { Field: name.slice(0, 64), ValidFields: FILTER_FIELD_NAMES });
  return f;
}

function checkDimensions(value: unknown, least: number, most: number, parameter: string): FilterField[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length < least || list.length > most) {
    throw invalid(parameter, `${parameter} must be ${least === most ? least : `${least} to ${most}`} field names, got ${Array.isArray(list) ? `${list.length}` : describe(value)}`, { ValidFields: FILTER_FIELD_NAMES });
  }
  const fields = list.map((n) => checkField(n, parameter));
  const seen = new Set<string>();
  for (const f of fields) {
    if (seen.has(f.name)) throw invalid(parameter, `${parameter} names ${f.name} twice`, { Field: f.name });
    seen.add(f.name);
  }
  return fields;
}

function checkLimit(value: unknown, fallback: number, most: number, parameter: string): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > most) throw invalid(parameter, `${parameter} must be an integer 1..${most}, got ${describe(value)}`);
  return value;
}

/** Buckets of [start, end) at this step, the first aligned down to a multiple of it. */
const bucketCount = (start: number, end: number, step: number): number => Math.ceil((end - Math.floor(start / step) * step) / step);

function checkStep(value: unknown, start: number, end: number): number {
  if (value === undefined || value === null) {
    for (const s of NICE_STEPS) if (bucketCount(start, end, s) <= MAX_BUCKETS) return s;
    return NICE_STEPS[NICE_STEPS.length - 1]!;
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < MIN_STEP || value > MAX_RANGE_SECONDS) {
    throw invalid('Step', `Step must be whole seconds from ${MIN_STEP} to ${MAX_RANGE_SECONDS}, got ${describe(value)}`);
  }
  const n = bucketCount(start, end, value);
  if (n > MAX_BUCKETS) throw invalid('Step', `a Step of ${value} s makes ${n} buckets over this range; at most ${MAX_BUCKETS} (leave Step out to get one chosen)`);
  return value;
}

function keyOf(dims: readonly FilterField[], r: Row): TrafficKey {
  const key: TrafficKey = {};
  for (const f of dims) {
    const v = r[f.column];
    key[f.name] = v === null || v === undefined ? null : f.kind === 'integer' ? Number(v) : String(v);
  }
  return key;
}
