import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Hono } from 'hono';
import { Database } from '../store/database.ts';
import { appendRecords, type StoredRecord } from '../store/records-table.ts';
import type { SqlScope } from '../store/sql-sandbox.ts';
import { TrafficQueries } from '../store/traffic-queries.ts';
import { mountTrafficRoutes } from './traffic-route.ts';

const A = '111122223333';
const B = '444455556666';
const T0 = 1_767_225_600;

let dir: string;
let db: Database;
let traffic: TrafficQueries;
let app: Hono;

function record(owner: string, i: number): StoredRecord {
  return {
    record: {
      version: 2, 'account-id': owner, 'interface-id': owner === A ? 'eni-0a1b2c3d4e5f60718' : 'eni-0bbbbbbbbbbbbbbbb', srcaddr: `10.0.0.${1 + (i % 4)}`, dstaddr: '10.0.1.9',
      srcport: 40000 + i, dstport: [22, 443, 3389][i % 3]!, protocol: 6, packets: 1 + i, bytes: 100 * (1 + i), start: T0 + 60 * i, end: T0 + 60 * i + 60,
      action: i % 4 === 0 ? 'REJECT' : 'ACCEPT', 'log-status': 'OK',
    },
    ownerAccount: owner, flowLogId: 'fl-0', destinationType: 'cloud-watch-logs', destination: '/vpc/x', rule: null, ingestionTime: i,
  };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vpcflow-traffic-route-'));
  db = new Database({ dataDir: dir, readers: 2 });
  await db.start();
  await db.transaction((tx) => appendRecords(tx, [...Array.from({ length: 40 }, (_, i) => record(A, i)), ...Array.from({ length: 10 }, (_, i) => record(B, i))]));
  traffic = new TrafficQueries(db);
  app = new Hono();
  // As native.ts renders coded errors.
  app.onError((err, c) => {
    const e = err as Error & { code?: unknown; httpStatus?: number; details?: unknown };
    if (typeof e.code === 'string') return c.json({ __type: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) }, (e.httpStatus ?? 400) as 400);
    return c.json({ __type: 'InternalFailure', message: err.message }, 500);
  });
  mountTrafficRoutes(app, {
    traffic,
    body: async (c) => JSON.parse((await c.req.text()) || '{}') as Record<string, unknown>,
    // native.ts decides this from the signing key; a header stands in for it here.
    scope: (c): SqlScope => {
      const a = c.req.header('x-account');
      return a ? { kind: 'account', accountId: a } : { kind: 'operator' };
    },
  });
});

after(async () => {
  await db?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function call(action: string, body: Record<string, unknown>, account?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await app.request(`/v1/vpcflow/${action}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(account ? { 'x-account': account } : {}) }, body: JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

const range = { StartTime: T0, EndTime: T0 + 3600 };

test('TrafficSeries answers the buckets and series of TrafficQueries, in PascalCase', async () => {
  const r = await call('TrafficSeries', { ...range, Metric: 'Bytes', SplitBy: 'dstPort', Step: 600, Limit: 2, Filter: 'action = ACCEPT' }, A);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const direct = await traffic.timeSeries({ scope: { kind: 'account', accountId: A }, start: T0, end: T0 + 3600, metric: 'bytes', splitBy: 'dstPort', step: 600, limit: 2, filter: 'action = ACCEPT' });
  assert.deepEqual(r.body, {
    Metric: 'bytes', SplitBy: 'dstport', Step: 600, Buckets: direct.buckets,
    Series: direct.series.map((s) => ({ Key: s.key, Values: s.values })), Other: { Key: 'Other', Values: direct.other!.values }, Sql: direct.sql,
  });
  assert.equal((r.body.Series as unknown[]).length, 2);
  assert.match(String(r.body.Sql), /owner_account = '111122223333'/);
});

test('TrafficTop, TrafficSankey and TrafficEdges', async () => {
  const top = await call('TrafficTop', { ...range, Metric: 'packets', Dimensions: ['srcaddr', 'dstport'], Aggregate: 'MAX', Limit: 3 }, A);
  assert.equal(top.status, 200, JSON.stringify(top.body));
  assert.equal(top.body.Aggregate, 'max');
  assert.equal(top.body.Step, 60);
  assert.deepEqual(top.body.Dimensions, ['srcaddr', 'dstport']);
  const rows = top.body.Rows as { Key: Record<string, unknown>; Value: number; Records: number }[];
  assert.equal(rows.length, 3);
  assert.deepEqual(rows[0], { Key: { srcaddr: '10.0.0.4', dstport: 22 }, Value: 40, Records: 4 }, 'one record per minute: the largest minute is the last record (i = 39: 40 packets); records over the whole range (i = 3, 15, 27, 39)');
  assert.equal(top.body.TotalRecords, 40);

  const sankey = await call('TrafficSankey', { ...range, Dimensions: ['srcaddr', 'action'], Limit: 100 });
  assert.equal(sankey.status, 200, JSON.stringify(sankey.body));
  const links = sankey.body.Links as { Source: string; Target: string; Value: number }[];
  assert.equal(links.reduce((s, l) => s + l.Value, 0), [...Array(40).keys(), ...Array(10).keys()].reduce((s, i) => s + 100 * (1 + i), 0), 'the operator: both accounts, bytes by default');
  assert.ok((sankey.body.Nodes as { Name: string }[]).some((n) => n.Name === 'action=REJECT'));

  const edges = await call('TrafficEdges', { ...range, Filter: 'dstport = 22', Limit: 2 }, B);
  assert.equal(edges.status, 200, JSON.stringify(edges.body));
  const list = edges.body.Edges as Record<string, unknown>[];
  assert.deepEqual(Object.keys(list[0]!), ['InterfaceId', 'SrcAddr', 'DstAddr', 'Action', 'Bytes', 'Packets', 'Records']);
  assert.ok(list.every((e) => e.InterfaceId === 'eni-0bbbbbbbbbbbbbbbb'), 'account B sees only its own interface');
  assert.equal(edges.body.Total, 4, 'i = 0, 3, 6, 9: four source addresses');
});

test('errors: filter position details, unknown members, types, fields, ranges', async () => {
  const bad = await call('TrafficEdges', { ...range, Filter: 'action = REJECT and dstport in (' });
  assert.deepEqual(bad, {
    status: 400,
    body: {
      __type: 'InvalidFilterExpression', message: 'Filter at 32: expected a value after "in (", found end of input',
      details: { Parameter: 'Filter', Position: 32, Length: 0, Expected: ['value'] },
    },
  });
  const unknown = await call('TrafficSeries', { ...range, Dimension: 'srcaddr' });
  assert.deepEqual(unknown, { status: 400, body: { __type: 'UnknownParameter', message: 'TrafficSeries has no member Dimension (it takes Account, StartTime, EndTime, Filter, Metric, SplitBy, Step, Limit)' } });
  const field = await call('TrafficTop', { ...range, Dimensions: 'dstprt' });
  assert.equal(field.status, 400);
  assert.equal(field.body.__type, 'InvalidParameterValue');
  assert.match(String(field.body.message), /Dimensions: unknown field "dstprt"; the fields are version, account-id/);
  assert.equal((field.body.details as Record<string, unknown>).Field, 'dstprt');
  assert.deepEqual((await call('TrafficTop', range)).body.__type, 'MissingParameter');
  assert.deepEqual((await call('TrafficTop', { ...range, Dimensions: [1] })).body, { __type: 'InvalidParameterValue', message: 'Dimensions must be a field name or a list of field names, got [1]' });
  assert.deepEqual((await call('TrafficSeries', { ...range, Step: '60' })).body, { __type: 'InvalidParameterValue', message: 'Step must be an integer, got "60"' });
  assert.deepEqual((await call('TrafficSeries', { ...range, Filter: 7 })).body, { __type: 'InvalidParameterValue', message: 'Filter must be a string, got 7' });
  const time = await call('TrafficSeries', { StartTime: '2026-01-01', EndTime: T0 });
  assert.deepEqual([time.status, time.body.__type], [400, 'InvalidParameterValue']);
  assert.match(String(time.body.message), /StartTime must be whole epoch seconds/);
  assert.deepEqual((await call('TrafficSeries', { EndTime: T0 })).body.__type, 'MissingParameter');
  const backwards = await call('TrafficEdges', { StartTime: T0 + 10, EndTime: T0 });
  assert.match(String(backwards.body.message), /EndTime \(\d+\) must be after StartTime/);
  assert.deepEqual((await call('TrafficSeries', { ...range, Metric: 'bits' })).body.__type, 'InvalidParameterValue');
});
