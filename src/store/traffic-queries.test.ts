import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FlowRecord } from '../records/fields.ts';
import { matchesFilter, parseFilterExpression } from '../records/filter-expression.ts';
import { Database } from './database.ts';
import { appendRecords, type StoredRecord } from './records-table.ts';
import type { SqlScope } from './sql-sandbox.ts';
import { TrafficQueries, TrafficQueryError, type TrafficMetric } from './traffic-queries.ts';

const A = '111122223333';
const B = '444455556666';
const asA: SqlScope = { kind: 'account', accountId: A };
const asB: SqlScope = { kind: 'account', accountId: B };
const OPERATOR: SqlScope = { kind: 'operator' };
const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z
const S = T0 + 600;
const E = T0 + 600 + 2 * 3600;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Held {
  record: FlowRecord;
  owner: string;
}

/** Account A: 10.0.x addresses and ordinary volumes. B: its own addresses and far larger volumes, so any leak shows. */
function makeRecords(): Held[] {
  const r = rng(11);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const out: Held[] = [];
  for (let i = 0; i < 1500; i++) {
    const owner = i % 3 === 2 ? B : A;
    // Some records before the range and at or after its end, which no answer may count.
    const start = T0 + Math.floor(r() * (3 * 3600 + 1200));
    const eni = owner === A ? pick(['eni-0a000000000000001', 'eni-0a000000000000002', 'eni-0a000000000000003']) : 'eni-0b000000000000001';
    if (r() < 0.05) {
      out.push({ owner, record: { version: 5, 'account-id': owner, 'interface-id': eni, start, end: start + 60, 'log-status': 'NODATA' } });
      continue;
    }
    const src = owner === A ? pick(['10.0.0.1', '10.0.0.2', '10.0.1.5', '10.1.0.9', '2001:db8::1', '203.0.113.7']) : pick(['172.16.0.1', '172.16.0.2', '2001:db8:b::1']);
    const dst = owner === A ? pick(['10.0.0.1', '10.0.0.2', '10.0.3.3', '198.51.100.1']) : pick(['172.16.9.9', '10.0.0.1']);
    out.push({
      owner,
      record: {
        version: 5, 'account-id': owner, 'interface-id': eni, srcaddr: src, dstaddr: dst, srcport: pick([443, 22, 50000, 50001]), dstport: pick([22, 80, 443, 3389, 53, 8080]),
        protocol: pick([6, 6, 6, 17]), packets: 1 + Math.floor(r() * 50) * (owner === B ? 1000 : 1), bytes: 40 + Math.floor(r() * 5000) * (owner === B ? 100_000 : 1),
        start, end: start + 60, action: r() < 0.15 ? 'REJECT' : 'ACCEPT', 'log-status': 'OK', 'flow-direction': pick(['ingress', 'egress']),
      },
    });
  }
  return out;
}

const held = makeRecords();
let dir: string;
let db: Database;
let traffic: TrafficQueries;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vpcflow-traffic-'));
  db = new Database({ dataDir: dir, readers: 2, sql: { timeoutMs: 60_000 } });
  await db.start();
  const rows: StoredRecord[] = held.map((h, i) => ({
    record: h.record, ownerAccount: h.owner, flowLogId: h.owner === A ? 'fl-0a' : 'fl-0b', destinationType: 'cloud-watch-logs', destination: '/vpc/x', rule: null, ingestionTime: i,
  }));
  await db.transaction((tx) => appendRecords(tx, rows));
  traffic = new TrafficQueries(db);
});

after(async () => {
  await db?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// The reference: the same selection and sums, computed over the records in TypeScript.
function selected(scope: SqlScope, filter?: string, start = S, end = E): FlowRecord[] {
  const ast = filter ? parseFilterExpression(filter) : null;
  return held
    .filter((h) => scope.kind === 'operator' || h.owner === scope.accountId)
    .map((h) => h.record)
    .filter((r) => (r.start as number) >= start && (r.start as number) < end)
    .filter((r) => !ast || matchesFilter(ast, { ...r }));
}

const amount = (r: FlowRecord, metric: TrafficMetric): number => (metric === 'records' ? 1 : ((r[metric] as number | null | undefined) ?? 0));
const text = (v: unknown): string => (v === null || v === undefined ? '-' : String(v));

function groupSum<K>(records: readonly FlowRecord[], key: (r: FlowRecord) => K, metric: TrafficMetric): Map<string, { key: K; value: number; records: number }> {
  const m = new Map<string, { key: K; value: number; records: number }>();
  for (const r of records) {
    const k = key(r);
    const id = JSON.stringify(k);
    const g = m.get(id) ?? { key: k, value: 0, records: 0 };
    g.value += amount(r, metric);
    g.records++;
    m.set(id, g);
  }
  return m;
}

describe('timeSeries', () => {
  test('bytes per bucket split by action, each record in the bucket of its start', async () => {
    const res = await traffic.timeSeries({ scope: asA, start: S, end: E, metric: 'bytes' });
    assert.equal(res.step, 60, 'a 2-hour range gets 1-minute buckets (120 ≤ 500)');
    assert.equal(res.splitBy, 'action');
    assert.equal(res.buckets.length, 120);
    assert.equal(res.buckets[0], S);
    assert.equal(res.buckets.at(-1), E - 60);
    assert.equal(res.other, undefined);
    const recs = selected(asA);
    for (const action of ['ACCEPT', 'REJECT', '-']) {
      const want = res.buckets.map((b) => recs.filter((r) => text(r.action) === action && (r.start as number) >= b && (r.start as number) < b + 60).reduce((s, r) => s + amount(r, 'bytes'), 0));
      const got = res.series.find((s) => s.key === action);
      assert.ok(got, `a series for ${action}`);
      assert.deepEqual(got.values, want, action);
    }
    // Largest total first.
    const totals = res.series.map((s) => s.values.reduce((a, b) => a + b, 0));
    assert.deepEqual(totals, [...totals].sort((a, b) => b - a));
    assert.match(res.sql, /owner_account = '111122223333'/);
  });

  test('split by any field, the rest summed as Other, steps aligned to multiples of the step', async () => {
    const start = S + 7; // not aligned: the first bucket begins before the range, and counts only what is in it
    const res = await traffic.timeSeries({ scope: asA, start, end: E, metric: 'packets', splitBy: 'dstPort', limit: 2, step: 900, filter: 'protocol = tcp' });
    assert.equal(res.step, 900);
    assert.equal(res.buckets[0], Math.floor(start / 900) * 900);
    assert.equal(res.splitBy, 'dstport');
    const recs = selected(asA, 'protocol = tcp', start, E);
    const totals = [...groupSum(recs, (r) => text(r.dstport), 'packets').values()].sort((a, b) => b.value - a.value || (a.key < b.key ? -1 : 1));
    assert.deepEqual(res.series.map((s) => s.key), totals.slice(0, 2).map((t) => t.key));
    const bucketOf = (r: FlowRecord) => Math.floor((r.start as number) / 900) * 900;
    for (const s of res.series) {
      assert.deepEqual(s.values, res.buckets.map((b) => recs.filter((r) => text(r.dstport) === s.key && bucketOf(r) === b).reduce((x, r) => x + amount(r, 'packets'), 0)));
    }
    const top = new Set(res.series.map((s) => s.key));
    assert.ok(res.other);
    assert.equal(res.other.key, 'Other');
    assert.deepEqual(res.other.values, res.buckets.map((b) => recs.filter((r) => !top.has(text(r.dstport)) && bucketOf(r) === b).reduce((x, r) => x + amount(r, 'packets'), 0)));
  });

  test('records counted, NODATA included; the automatic step grows with the range', async () => {
    const res = await traffic.timeSeries({ scope: OPERATOR, start: S, end: E, metric: 'records', splitBy: 'log-status' });
    const recs = selected(OPERATOR);
    const sum = (key: string) => res.series.find((s) => s.key === key)?.values.reduce((a, b) => a + b, 0);
    assert.equal(sum('OK'), recs.filter((r) => r['log-status'] === 'OK').length);
    assert.equal(sum('NODATA'), recs.filter((r) => r['log-status'] === 'NODATA').length);
    const day = await traffic.timeSeries({ scope: OPERATOR, start: T0, end: T0 + 86400, metric: 'records' });
    assert.equal(day.step, 300);
    const year = await traffic.timeSeries({ scope: OPERATOR, start: T0, end: T0 + 365 * 86400, metric: 'records' });
    assert.equal(year.step, 86400);
    assert.ok(year.buckets.length <= 500);
  });
});

describe('topN', () => {
  test('sum over the range, by one field and by several, with totals', async () => {
    const res = await traffic.topN({ scope: asA, start: S, end: E, metric: 'bytes', dimension: 'srcaddr', limit: 3 });
    const recs = selected(asA);
    const want = [...groupSum(recs, (r) => (r.srcaddr ?? null) as string | null, 'bytes').values()].sort((a, b) => b.value - a.value || b.records - a.records);
    assert.deepEqual(res.rows, want.slice(0, 3).map((g) => ({ key: { srcaddr: g.key }, value: g.value, records: g.records })));
    assert.equal(res.total, recs.reduce((s, r) => s + amount(r, 'bytes'), 0));
    assert.equal(res.totalRecords, recs.length);
    assert.equal(res.groups, want.length);

    const pair = await traffic.topN({ scope: asA, start: S, end: E, metric: 'records', dimension: ['dst_addr'.replace('_', ''), 'dstPort'], limit: 100, filter: 'action = REJECT' });
    const rejects = selected(asA, 'action = REJECT');
    const pairs = groupSum(rejects, (r) => `${r.dstaddr}|${r.dstport}`, 'records');
    assert.equal(pair.groups, pairs.size);
    assert.equal(pair.rows.length, pairs.size);
    for (const row of pair.rows) {
      assert.equal(typeof row.key.dstport, 'number', 'integer fields come back as numbers');
      assert.equal(row.value, pairs.get(JSON.stringify(`${row.key.dstaddr}|${row.key.dstport}`))!.value);
    }
    assert.deepEqual(pair.dimensions, ['dstaddr', 'dstport']);
  });

  test('max is the largest step of each key, last the last step', async () => {
    const step = 600;
    const recs = selected(asA);
    const bucketOf = (r: FlowRecord) => Math.floor((r.start as number) / step) * step;
    const perBucket = groupSum(recs, (r) => [r['interface-id'], bucketOf(r)] as [string, number], 'bytes');
    const enis = [...new Set(recs.map((r) => r['interface-id'] as string))];
    const lastBucket = Math.floor((E - 1) / step) * step;
    const series = (eni: string) => [...perBucket.values()].filter((g) => g.key[0] === eni);

    const max = await traffic.topN({ scope: asA, start: S, end: E, metric: 'bytes', dimension: 'interface-id', aggregate: 'max', step });
    assert.equal(max.step, step);
    const wantMax = enis.map((e) => ({ e, v: Math.max(...series(e).map((g) => g.value)) })).sort((a, b) => b.v - a.v);
    assert.deepEqual(max.rows.map((r) => [r.key['interface-id'], r.value]), wantMax.map((w) => [w.e, w.v]));
    const allBuckets = groupSum(recs, bucketOf, 'bytes');
    assert.equal(max.total, Math.max(...[...allBuckets.values()].map((g) => g.value)));
    assert.equal(max.rows.reduce((s, r) => s + r.records, 0), recs.length, 'records: the whole range');

    const last = await traffic.topN({ scope: asA, start: S, end: E, metric: 'bytes', dimension: 'interface-id', aggregate: 'last', step });
    const lastOf = (e: string) => series(e).find((g) => g.key[1] === lastBucket)?.value ?? 0;
    assert.deepEqual(last.rows.map((r) => [r.key['interface-id'], r.value]).sort(), enis.map((e) => [e, lastOf(e)]).sort());
    assert.equal(last.total, allBuckets.get(JSON.stringify(lastBucket))?.value ?? 0);
    assert.ok(last.rows.some((r) => r.value > 0));
  });

  test('an empty selection answers zeros, not an error', async () => {
    const res = await traffic.topN({ scope: asA, start: S, end: E, metric: 'bytes', dimension: 'srcaddr', filter: 'dstport = 1' });
    assert.deepEqual([res.rows, res.total, res.totalRecords, res.groups], [[], 0, 0, 0]);
  });
});

describe('sankey', () => {
  test('the top paths and one Other path, as nodes and links whose sums match the records', async () => {
    const dims = ['srcaddr', 'dstaddr', 'dstport'];
    const res = await traffic.sankey({ scope: asA, start: S, end: E, metric: 'bytes', dimensions: dims, limit: 5 });
    const recs = selected(asA);
    const paths = [...groupSum(recs, (r) => dims.map((d) => text(r[d as keyof FlowRecord])), 'bytes').values()]
      .sort((a, b) => b.value - a.value || (JSON.stringify(a.key) < JSON.stringify(b.key) ? -1 : 1));
    assert.ok(paths.length > 5);
    const want = new Map<string, number>();
    paths.forEach((p, i) => {
      const names = dims.map((d, j) => (i < 5 ? `${d}=${p.key[j]}` : `${d} Other`));
      for (let j = 0; j + 1 < names.length; j++) {
        const k = `${names[j]} -> ${names[j + 1]}`;
        want.set(k, (want.get(k) ?? 0) + p.value);
      }
    });
    assert.deepEqual(new Map(res.links.map((l) => [`${l.source} -> ${l.target}`, l.value])), want);
    for (const n of res.nodes) assert.ok(dims.includes(n.dimension) && (n.name === `${n.dimension}=${n.label}` || n.name === `${n.dimension} Other`), n.name);
    assert.ok(res.nodes.some((n) => n.label === 'Other'));
    // What flows out of the first column is all the traffic.
    const fromFirst = res.links.filter((l) => l.source.startsWith('srcaddr')).reduce((s, l) => s + l.value, 0);
    assert.equal(fromFirst, recs.reduce((s, r) => s + amount(r, 'bytes'), 0));
  });
});

describe('edges', () => {
  test('interface, source, destination and action with their sums; records without addresses are no edge', async () => {
    const res = await traffic.edges({ scope: asA, start: S, end: E, filter: 'action = REJECT or dstport = 22' });
    const recs = selected(asA, 'action = REJECT or dstport = 22').filter((r) => r.srcaddr && r.dstaddr);
    const m = new Map<string, { bytes: number; packets: number; records: number }>();
    for (const r of recs) {
      const k = JSON.stringify([r['interface-id'], r.srcaddr, r.dstaddr, r.action]);
      const g = m.get(k) ?? { bytes: 0, packets: 0, records: 0 };
      g.bytes += r.bytes as number;
      g.packets += r.packets as number;
      g.records++;
      m.set(k, g);
    }
    assert.equal(res.total, m.size);
    assert.equal(res.edges.length, m.size);
    for (const e of res.edges) assert.deepEqual({ bytes: e.bytes, packets: e.packets, records: e.records }, m.get(JSON.stringify([e.interfaceId, e.srcaddr, e.dstaddr, e.action])));
    assert.deepEqual(res.edges.map((e) => e.bytes), res.edges.map((e) => e.bytes).sort((a, b) => b - a));
    const two = await traffic.edges({ scope: asA, start: S, end: E, filter: 'action = REJECT or dstport = 22', limit: 2 });
    assert.deepEqual(two.edges, res.edges.slice(0, 2));
    assert.equal(two.total, m.size);
  });
});

describe('scope', () => {
  test("an account's answers never count another account's rows; the operator's count all", async () => {
    for (const [scope, owners] of [[asA, [A]], [asB, [B]], [OPERATOR, [A, B]]] as const) {
      const recs = held.filter((h) => owners.includes(h.owner as never)).map((h) => h.record).filter((r) => (r.start as number) >= S && (r.start as number) < E);
      const top = await traffic.topN({ scope, start: S, end: E, metric: 'bytes', dimension: 'account-id', limit: 10 });
      assert.deepEqual(top.rows.map((r) => r.key['account-id']).sort(), [...owners].sort());
      assert.equal(top.total, recs.reduce((s, r) => s + amount(r, 'bytes'), 0));
      const series = await traffic.timeSeries({ scope, start: S, end: E, metric: 'records' });
      assert.equal(series.series.reduce((s, x) => s + x.values.reduce((a, b) => a + b, 0), 0), recs.length);
      const edges = await traffic.edges({ scope, start: S, end: E });
      assert.equal(edges.edges.reduce((s, e) => s + e.records, 0), recs.filter((r) => r.srcaddr).length);
      // A filter naming the other account's values finds nothing of it.
      const other = owners.length === 1 ? (owners[0] === A ? B : A) : null;
      if (other) {
        const none = await traffic.topN({ scope, start: S, end: E, metric: 'records', dimension: 'srcaddr', filter: `owner-account = ${other} or account-id = ${other}` });
        assert.equal(none.totalRecords, 0);
      }
    }
  });
});

describe('the returned SQL in the sandbox (vpcflow query) gives the same numbers', () => {
  test('time series, top-N, sankey and edges, for an account and for the operator', { timeout: 240_000 }, async () => {
    const filter = 'action = ACCEPT and srcaddr in (10.0.0.0/16, 2001:db8::/32) and not dstport = 53';
    for (const scope of [asA, OPERATOR]) {
      const ts = await traffic.timeSeries({ scope, start: S, end: E, metric: 'bytes', splitBy: 'interface-id', limit: 2, step: 300, filter });
      const tsRows = (await db.query(ts.sql, scope)).rows;
      const fromSandbox = new Map(tsRows.map((r) => {
        const values = new Array<number>(ts.buckets.length).fill(0);
        (r.buckets as unknown[]).forEach((b, i) => (values[(Number(b) - ts.buckets[0]!) / ts.step] = Number((r.values as unknown[])[i])));
        return [r.series === null ? 'Other' : String(r.series), values];
      }));
      const fromResult = new Map([...ts.series, ...(ts.other ? [ts.other] : [])].map((s) => [s.key, s.values]));
      assert.deepEqual(fromSandbox, fromResult);
      assert.ok([...fromResult.values()].flat().some((v) => v > 0));

      for (const aggregate of ['sum', 'max', 'last'] as const) {
        const top = await traffic.topN({ scope, start: S, end: E, metric: 'packets', dimension: ['srcaddr', 'dstport'], aggregate, limit: 5, filter });
        const rows = (await db.query(top.sql, scope)).rows;
        assert.deepEqual(rows.map((r) => ({ key: { srcaddr: r.srcaddr, dstport: Number(r.dstport) }, value: Number(r.value), records: Number(r.records) })), top.rows, aggregate);
        assert.deepEqual([Number(rows[0]?.total), Number(rows[0]?.total_records), Number(rows[0]?.groups)], [top.total, top.totalRecords, top.groups]);
      }

      const sk = await traffic.sankey({ scope, start: S, end: E, metric: 'records', dimensions: ['interface-id', 'srcaddr', 'action'], limit: 3 });
      const skRows = (await db.query(sk.sql, scope)).rows;
      const links = new Map<string, number>();
      for (const r of skRows) {
        const names = ['interface-id', 'srcaddr', 'action'].map((d) => (r.other ? `${d} Other` : `${d}=${r[d.replace('-', '_')]}`));
        for (let j = 0; j + 1 < names.length; j++) links.set(`${names[j]}>${names[j + 1]}`, (links.get(`${names[j]}>${names[j + 1]}`) ?? 0) + Number(r.value));
      }
      assert.deepEqual(links, new Map(sk.links.map((l) => [`${l.source}>${l.target}`, l.value])));

      const ed = await traffic.edges({ scope, start: S, end: E, filter, limit: 50 });
      const edRows = (await db.query(ed.sql, scope)).rows;
      assert.deepEqual(edRows.map((r) => ({ interfaceId: r.interface_id, srcaddr: r.srcaddr, dstaddr: r.dstaddr, action: r.action, bytes: Number(r.bytes), packets: Number(r.packets), records: Number(r.records) })), ed.edges);
      assert.equal(Number(edRows[0]?.edges), ed.total);
    }
  });
});

describe('validation', () => {
  const base = { scope: asA, start: S, end: E };
  async function rejects(p: Promise<unknown>, code: string, pattern: RegExp, details?: Record<string, unknown>): Promise<void> {
    await assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof TrafficQueryError, String(e));
      assert.equal(e.code, code, e.message);
      assert.equal(e.httpStatus, 400);
      assert.match(e.message, pattern);
      if (details) for (const [k, v] of Object.entries(details)) assert.deepEqual(e.details[k], v, `details.${k}`);
      return true;
    });
  }

  test('fields, metrics, aggregates, dimensions', async () => {
    await rejects(traffic.timeSeries({ ...base, metric: 'bytes', splitBy: 'dstprt' }), 'InvalidParameterValue', /SplitBy: unknown field "dstprt"; the fields are version, account-id, .*dstport/, { Parameter: 'SplitBy', Field: 'dstprt' });
    await rejects(traffic.topN({ ...base, metric: 'bytes', dimension: ['srcaddr', 'nope'] }), 'InvalidParameterValue', /Dimensions: unknown field "nope"/);
    await rejects(traffic.topN({ ...base, metric: 'bits' as TrafficMetric, dimension: 'srcaddr' }), 'InvalidParameterValue', /Metric must be one of bytes, packets, records, got "bits"/);
    await rejects(traffic.topN({ ...base, metric: undefined as unknown as TrafficMetric, dimension: 'srcaddr' }), 'MissingParameter', /Metric/);
    await rejects(traffic.topN({ ...base, metric: 'bytes', dimension: 'srcaddr', aggregate: 'avg' as 'sum' }), 'InvalidParameterValue', /Aggregate must be one of sum, max, last/);
    await rejects(traffic.topN({ ...base, metric: 'bytes', dimension: [] }), 'InvalidParameterValue', /Dimensions must be 1 to 4 field names, got 0/);
    await rejects(traffic.sankey({ ...base, metric: 'bytes', dimensions: ['srcaddr'] }), 'InvalidParameterValue', /Dimensions must be 2 to 4 field names, got 1/);
    await rejects(traffic.sankey({ ...base, metric: 'bytes', dimensions: ['srcaddr', 'a', 'b', 'c', 'd'] }), 'InvalidParameterValue', /2 to 4/);
    await rejects(traffic.sankey({ ...base, metric: 'bytes', dimensions: ['srcaddr', 'srcAddr'] }), 'InvalidParameterValue', /names srcaddr twice/);
  });

  test('times, ranges, steps and limits', async () => {
    await rejects(traffic.edges({ ...base, end: S - 1 }), 'InvalidParameterValue', /EndTime \(\d+\) must be after StartTime/);
    await rejects(traffic.edges({ ...base, end: S }), 'InvalidParameterValue', /must be after/);
    await rejects(traffic.edges({ ...base, end: S + 401 * 86400 }), 'InvalidParameterValue', /the range is 401\.0 days; at most 400 days/);
    assert.ok(await traffic.edges({ ...base, end: S + 400 * 86400 }));
    await rejects(traffic.edges({ ...base, start: -1 }), 'InvalidParameterValue', /StartTime must be whole epoch seconds/);
    await rejects(traffic.edges({ ...base, start: 1.5 }), 'InvalidParameterValue', /StartTime must be whole epoch seconds/);
    await rejects(traffic.edges({ ...base, start: undefined as unknown as number }), 'MissingParameter', /StartTime/);
    await rejects(traffic.timeSeries({ ...base, metric: 'bytes', step: 59 }), 'InvalidParameterValue', /Step must be whole seconds from 60/);
    await rejects(traffic.timeSeries({ ...base, end: S + 86400, metric: 'bytes', step: 60 }), 'InvalidParameterValue', /a Step of 60 s makes 1440 buckets over this range; at most 500/);
    await rejects(traffic.timeSeries({ ...base, metric: 'bytes', limit: 0 }), 'InvalidParameterValue', /Limit must be an integer 1\.\.50, got 0/);
    await rejects(traffic.topN({ ...base, metric: 'bytes', dimension: 'srcaddr', limit: 101 }), 'InvalidParameterValue', /Limit must be an integer 1\.\.100/);
    await rejects(traffic.edges({ ...base, limit: 10_001 }), 'InvalidParameterValue', /1\.\.10000/);
    await rejects(traffic.edges({ ...base, scope: { kind: 'account', accountId: "1' OR '1'='1" } }), 'InvalidParameterValue', /an account of 12 digits/);
  });

  test('filter errors carry where and what was expected', async () => {
    await rejects(traffic.edges({ ...base, filter: 'dstport in (' }), 'InvalidFilterExpression', /^Filter at 12: expected a value after "in \(", found end of input$/, { Parameter: 'Filter', Position: 12, Length: 0, Expected: ['value'] });
    await rejects(traffic.edges({ ...base, filter: 'srcaddr = 10.0.0.1/8' }), 'InvalidFilterExpression', /host bits are set/, { Position: 10, Length: 10 });
    await rejects(traffic.edges({ ...base, filter: 42 as unknown as string }), 'InvalidParameterValue', /Filter must be a filter expression/);
    // Blank and comment-only filters select everything.
    const all = await traffic.edges({ ...base, filter: '  -- nothing' });
    assert.equal(all.total, (await traffic.edges(base)).total);
  });
});

describe('turns', () => {
  test('at most maxConcurrent statements run at once; past maxWaiting the caller is told to retry', async () => {
    const started: string[] = [];
    const release: (() => void)[] = [];
    const source = {
      read: (sql: string) => {
        started.push(sql);
        return new Promise<Record<string, unknown>[]>((resolve) => release.push(() => resolve([])));
      },
    };
    const q = new TrafficQueries(source, { maxConcurrent: 2, maxWaiting: 1 });
    const req = { scope: asA, start: S, end: E };
    const first = q.edges(req);
    const second = q.edges(req);
    const third = q.edges(req);
    await new Promise((r) => setImmediate(r));
    assert.equal(started.length, 2, 'two run, the third waits');
    await assert.rejects(q.edges(req), (e: unknown) => e instanceof Error && (e as { code?: string }).code === 'ThrottlingException' && (e as { httpStatus?: number }).httpStatus === 429);
    release.shift()!();
    await first;
    await new Promise((r) => setImmediate(r));
    assert.equal(started.length, 3, 'the waiting one got the turn');
    release.shift()!();
    release.shift()!();
    assert.deepEqual((await Promise.all([second, third])).map((r) => r.edges), [[], []]);
    // Turns are all back: two more start at once.
    const again = [q.edges(req), q.edges(req)];
    await new Promise((r) => setImmediate(r));
    assert.equal(started.length, 5);
    for (const r of release.splice(0)) r();
    await Promise.all(again);
  });
});
