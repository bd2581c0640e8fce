// The console's traffic views on the native API: POST /v1/vpcflow/TrafficSeries, TrafficTop,
// TrafficSankey and TrafficEdges, JSON in and out in the native API's PascalCase. The numbers come
// from store/traffic-queries.ts; each answer's Sql is the statement that produced them, which
// `vpcflow query` runs unchanged with the same result.
// Authentication stays with native.ts: it mounts these behind its /v1 middleware and passes in how
// a request's body is read and which scope (the operator's, or one account's) it acts for.

import type { Context, Hono } from 'hono';
import { VpcflowError, describeValue } from '../platform/errors.ts';
import type { SqlScope } from '../store/sql-sandbox.ts';
import type { TrafficAggregate, TrafficMetric, TrafficQueries, TrafficRange } from '../store/traffic-queries.ts';

export interface TrafficRouteDeps {
  readonly traffic: TrafficQueries;
  /** The request's JSON object (native.ts's `json(c)`). */
  readonly body: (c: Context) => Promise<Record<string, unknown>>;
  /** The scope the request acts for: an account key's own account; the operator's whole store, or the account it names. */
  readonly scope: (c: Context, body: Record<string, unknown>) => SqlScope;
}

const RANGE = ['Account', 'StartTime', 'EndTime', 'Filter'];
/** Members each action takes (`Account`: the native API's way for the operator to name an account). */
const MEMBERS: Readonly<Record<string, readonly string[]>> = {
  TrafficSeries: [...RANGE, 'Metric', 'SplitBy', 'Step', 'Limit'],
  TrafficTop: [...RANGE, 'Metric', 'Dimensions', 'Aggregate', 'Step', 'Limit'],
  TrafficSankey: [...RANGE, 'Metric', 'Dimensions', 'Limit'],
  TrafficEdges: [...RANGE, 'Limit'],
};

function members(action: string, b: Record<string, unknown>): void {
  const known = MEMBERS[action]!;
  for (const k of Object.keys(b)) {
    if (!known.includes(k)) throw new VpcflowError('UnknownParameter', `${action} has no member ${k.slice(0, 64)} (it takes ${known.join(', ')})`);
  }
}

const present = (v: unknown): boolean => v !== undefined && v !== null;

function optString(b: Record<string, unknown>, key: string): string | undefined {
  if (!present(b[key])) return undefined;
  if (typeof b[key] !== 'string') throw new VpcflowError('InvalidParameterValue', `${key} must be a string, got ${describeValue(b[key])}`);
  return b[key] as string;
}

function optInteger(b: Record<string, unknown>, key: string): number | undefined {
  if (!present(b[key])) return undefined;
  if (typeof b[key] !== 'number' || !Number.isInteger(b[key])) throw new VpcflowError('InvalidParameterValue', `${key} must be an integer, got ${describeValue(b[key])}`);
  return b[key] as number;
}

/** A field name or a list of them. */
function dimensions(b: Record<string, unknown>): string | string[] {
  const v = b.Dimensions;
  if (!present(v)) throw new VpcflowError('MissingParameter', 'The request must contain the parameter Dimensions (a field name or a list of field names)');
  if (typeof v === 'string') return v;
  if (!Array.isArray(v) || v.length > 16 || v.some((x) => typeof x !== 'string')) throw new VpcflowError('InvalidParameterValue', `Dimensions must be a field name or a list of field names, got ${describeValue(v)}`);
  return v as string[];
}

/** Metric and Aggregate in any case (Bytes, BYTES); Metric defaults to bytes. */
const lowerOr = <T extends string>(b: Record<string, unknown>, key: string, fallback: T | undefined): T | undefined => (optString(b, key)?.toLowerCase() as T | undefined) ?? fallback;

export function mountTrafficRoutes(app: Hono, deps: TrafficRouteDeps): void {
  const { traffic } = deps;
  const request = async (c: Context, action: string): Promise<{ b: Record<string, unknown>; range: TrafficRange }> => {
    const b = await deps.body(c);
    members(action, b);
    const scope = deps.scope(c, b);
    // Types of StartTime/EndTime are checked by TrafficQueries, which names the member in its errors.
    const filter = optString(b, 'Filter');
    return { b, range: { scope, start: b.StartTime as number, end: b.EndTime as number, ...(filter !== undefined ? { filter } : {}) } };
  };

  app.post('/v1/vpcflow/TrafficSeries', async (c) => {
    const { b, range } = await request(c, 'TrafficSeries');
    const splitBy = optString(b, 'SplitBy');
    const step = optInteger(b, 'Step');
    const limit = optInteger(b, 'Limit');
    const r = await traffic.timeSeries({
      ...range, metric: lowerOr<TrafficMetric>(b, 'Metric', 'bytes')!,
      ...(splitBy !== undefined ? { splitBy } : {}), ...(step !== undefined ? { step } : {}), ...(limit !== undefined ? { limit } : {}),
    });
    return c.json({
      Metric: r.metric, SplitBy: r.splitBy, Step: r.step, Buckets: r.buckets,
      Series: r.series.map((s) => ({ Key: s.key, Values: s.values })),
      ...(r.other ? { Other: { Key: r.other.key, Values: r.other.values } } : {}),
      Sql: r.sql,
    });
  });

  app.post('/v1/vpcflow/TrafficTop', async (c) => {
    const { b, range } = await request(c, 'TrafficTop');
    const step = optInteger(b, 'Step');
    const limit = optInteger(b, 'Limit');
    const r = await traffic.topN({
      ...range, metric: lowerOr<TrafficMetric>(b, 'Metric', 'bytes')!, dimension: dimensions(b), aggregate: lowerOr<TrafficAggregate>(b, 'Aggregate', 'sum')!,
      ...(step !== undefined ? { step } : {}), ...(limit !== undefined ? { limit } : {}),
    });
    return c.json({
      Metric: r.metric, Dimensions: r.dimensions, Aggregate: r.aggregate, ...(r.step !== undefined ? { Step: r.step } : {}),
      Rows: r.rows.map((x) => ({ Key: x.key, Value: x.value, Records: x.records })),
      Total: r.total, TotalRecords: r.totalRecords, Groups: r.groups, Sql: r.sql,
    });
  });

  app.post('/v1/vpcflow/TrafficSankey', async (c) => {
    const { b, range } = await request(c, 'TrafficSankey');
    const dims = dimensions(b);
    const limit = optInteger(b, 'Limit');
    const r = await traffic.sankey({ ...range, metric: lowerOr<TrafficMetric>(b, 'Metric', 'bytes')!, dimensions: typeof dims === 'string' ? [dims] : dims, ...(limit !== undefined ? { limit } : {}) });
    return c.json({
      Metric: r.metric, Dimensions: r.dimensions,
      Nodes: r.nodes.map((n) => ({ Name: n.name, Dimension: n.dimension, Label: n.label })),
      Links: r.links.map((l) => ({ Source: l.source, Target: l.target, Value: l.value })),
      Sql: r.sql,
    });
  });

  app.post('/v1/vpcflow/TrafficEdges', async (c) => {
    const { b, range } = await request(c, 'TrafficEdges');
    const limit = optInteger(b, 'Limit');
    const r = await traffic.edges({ ...range, ...(limit !== undefined ? { limit } : {}) });
    return c.json({
      Edges: r.edges.map((e) => ({ InterfaceId: e.interfaceId, SrcAddr: e.srcaddr, DstAddr: e.dstaddr, Action: e.action, Bytes: e.bytes, Packets: e.packets, Records: e.records })),
      Total: r.total, Sql: r.sql,
    });
  });
}
