// Traffic: who talks to whom, how much, accepted or rejected, over a time range. A typed filter
// (the server's filter language), a time series split by one field, a top-N table and a sankey,
// each answered by the server (/v1/vpcflow/TrafficSeries|TrafficTop|TrafficSankey) with the SQL it
// ran. The whole view is in the URL, so a reload or a shared link shows the same thing:
// #/traffic?range=1h&filter=…&metric=bytes&split=action&top=srcaddr&agg=sum&limit=10&sankey=srcaddr,dstaddr,dstport

import type { ComponentChildren } from 'preact';
import { useId } from 'preact/hooks';
import { call } from '../api.ts';
import { route, setParams } from '../router.ts';
import { Empty, ErrorBox, Link, Loading, formatNumber, useAsync, type Async } from '../components/ui.tsx';
import { TimeRangePicker, useTimeRange, type TimeRange } from '../components/time-range.tsx';
import { FilterBox, SPLIT_FIELDS, addClause, clause, filterProblem, isSplitField, protocolName } from '../components/filter-box.tsx';
import { METRIC_LABEL, SankeyChart, TimeSeriesChart, formatMetric, type ChartSeries, type Metric, type SankeyLink, type SankeyNode } from '../components/charts.tsx';
import './traffic.css';

const METRICS: readonly Metric[] = ['bytes', 'packets', 'records'];

export const TOP_CHOICES: readonly { id: string; label: string; dimensions: string[] }[] = [
  { id: 'srcaddr', label: 'Top talkers: source address', dimensions: ['srcaddr'] },
  { id: 'dstaddr', label: 'Top talkers: destination address', dimensions: ['dstaddr'] },
  { id: 'srcaddr,dstaddr', label: 'Top talkers: source → destination', dimensions: ['srcaddr', 'dstaddr'] },
  { id: 'dstport', label: 'Ports: destination port', dimensions: ['dstport'] },
  { id: 'protocol', label: 'Protocols', dimensions: ['protocol'] },
  { id: 'interface-id', label: 'Interfaces', dimensions: ['interface-id'] },
];

const AGGREGATES: readonly { id: string; label: string }[] = [
  { id: 'sum', label: 'Sum over the range' },
  { id: 'max', label: 'Max in one step (bursts)' },
  { id: 'last', label: 'Last step' },
];

const LIMITS = [10, 20, 50] as const;
/** Series beyond this many are folded into "Other" by the server. */
const SERIES_LIMIT = 10;
const DEFAULT_SANKEY = ['srcaddr', 'dstaddr', 'dstport'];

// ---- answers, as the routes send them (camelCase or PascalCase members are both read) ----

type Json = Record<string, unknown>;
const member = (o: unknown, name: string): unknown => {
  if (!o || typeof o !== 'object') return undefined;
  const r = o as Json;
  return r[name] ?? r[name[0]!.toUpperCase() + name.slice(1)];
};
const numbers = (v: unknown): number[] => (Array.isArray(v) ? v.map((x) => Number(x) || 0) : []);
const keyText = (v: unknown): string | null => (v === null || v === undefined || v === '-' ? null : String(v));

export interface SeriesAnswer {
  step: number;
  buckets: number[];
  series: { key: string | null; values: number[] }[];
  other?: number[];
  sql: string;
}

export function readSeries(raw: unknown): SeriesAnswer {
  const list = member(raw, 'series');
  const otherRaw = member(raw, 'other');
  const other = Array.isArray(otherRaw) ? numbers(otherRaw) : otherRaw && typeof otherRaw === 'object' ? numbers(member(otherRaw, 'values')) : undefined;
  return {
    step: Number(member(raw, 'step')) || 60,
    buckets: numbers(member(raw, 'buckets')),
    series: Array.isArray(list) ? list.map((s) => ({ key: keyText(member(s, 'key')), values: numbers(member(s, 'values')) })) : [],
    ...(other && other.some((v) => v > 0) ? { other } : {}),
    sql: String(member(raw, 'sql') ?? ''),
  };
}

export interface TopRow {
  key: Record<string, string | null>;
  value: number;
  records: number;
}

export interface TopAnswer {
  rows: TopRow[];
  total?: number;
  sql: string;
}

export function readTop(raw: unknown, dimensions: readonly string[]): TopAnswer {
  const rows = member(raw, 'rows');
  const total = member(raw, 'total');
  return {
    rows: Array.isArray(rows) ? rows.map((r) => {
      const k = member(r, 'key');
      const key: Record<string, string | null> = {};
      for (const d of dimensions) key[d] = keyText(k && typeof k === 'object' ? (k as Json)[d] : dimensions.length === 1 ? k : undefined);
      return { key, value: Number(member(r, 'value')) || 0, records: Number(member(r, 'records')) || 0 };
    }) : [],
    ...(total !== undefined && total !== null ? { total: Number(total) } : {}),
    sql: String(member(raw, 'sql') ?? ''),
  };
}

export interface SankeyAnswer {
  nodes: SankeyNode[];
  links: SankeyLink[];
  sql: string;
}

export function readSankey(raw: unknown): SankeyAnswer {
  const nodes = member(raw, 'nodes');
  const links = member(raw, 'links');
  // Nodes are named uniquely (`srcaddr=10.0.1.10`, `srcaddr Other`) and carry the value as `label`;
  // links name their ends (or give indices).
  const list: SankeyNode[] = [];
  const byName = new Map<string, number>();
  if (Array.isArray(nodes)) {
    for (const n of nodes) {
      const label = member(n, 'label');
      const name = member(n, 'name');
      const other = typeof name === 'string' && / Other$/.test(name) && label === 'Other';
      byName.set(String(name), list.length);
      list.push({ name: keyText(label !== undefined ? label : name), dimension: String(member(n, 'dimension') ?? ''), ...(other ? { other: true } : {}) });
    }
  }
  const index = (v: unknown): number => (typeof v === 'number' ? v : byName.get(String(v)) ?? -1);
  return {
    nodes: list,
    links: Array.isArray(links) ? links.map((l) => ({ source: index(member(l, 'source')), target: index(member(l, 'target')), value: Number(member(l, 'value')) || 0 })) : [],
    sql: String(member(raw, 'sql') ?? ''),
  };
}

// ---- the view in the URL ----

export interface TrafficView {
  filter: string;
  metric: Metric;
  split: string;
  top: (typeof TOP_CHOICES)[number];
  aggregate: string;
  limit: number;
  sankey: string[];
}

export function viewFromParams(p: URLSearchParams): TrafficView {
  const metric = (METRICS as readonly string[]).includes(p.get('metric') ?? '') ? (p.get('metric') as Metric) : 'bytes';
  const split = isSplitField(p.get('split') ?? '') ? p.get('split')! : 'action';
  const top = TOP_CHOICES.find((t) => t.id === p.get('top')) ?? TOP_CHOICES[0]!;
  const aggregate = AGGREGATES.some((a) => a.id === p.get('agg')) ? p.get('agg')! : 'sum';
  const limitParam = Number(p.get('limit'));
  const limit = (LIMITS as readonly number[]).includes(limitParam) ? limitParam : 10;
  const dims = (p.get('sankey') ?? '').split(',').filter((d) => isSplitField(d));
  const unique = [...new Set(dims)].slice(0, 4);
  return { filter: p.get('filter') ?? '', metric, split, top, aggregate, limit, sankey: unique.length >= 2 ? unique : DEFAULT_SANKEY };
}

/** How a value of a field reads: protocols by name (with the number the filter takes). */
export function valueLabel(field: string, v: string | null): string {
  if (v === null) return '–';
  if (field === 'protocol') return `${protocolName(v)} (${v})`;
  return v;
}

// ---- the page ----

export function Traffic() {
  const time = useTimeRange('1h');
  const view = viewFromParams(route.value.params);
  const range = time.result.range;
  const base = (r: TimeRange) => ({ StartTime: r.start, EndTime: r.end, ...(view.filter ? { Filter: view.filter } : {}), Metric: view.metric });
  const when = (fn: (r: TimeRange, signal: AbortSignal) => Promise<unknown>) => (signal: AbortSignal) => (range ? fn(range, signal) : Promise.resolve(undefined));
  const common = [range?.start, range?.end, view.filter, view.metric, time.tick];

  const series = useAsync(when(async (r, signal) => readSeries(await call('/v1/vpcflow/TrafficSeries', { ...base(r), SplitBy: view.split, Limit: SERIES_LIMIT }, { signal }))), [...common, view.split]);
  const top = useAsync(when(async (r, signal) => readTop(await call('/v1/vpcflow/TrafficTop', {
    ...base(r), Dimensions: view.top.dimensions, Aggregate: view.aggregate, Limit: view.limit,
  }, { signal }), view.top.dimensions)), [...common, view.top.id, view.aggregate, view.limit]);
  const sankey = useAsync(when(async (r, signal) => readSankey(await call('/v1/vpcflow/TrafficSankey', {
    ...base(r), Dimensions: view.sankey, Limit: view.limit,
  }, { signal }))), [...common, view.sankey.join(','), view.limit]);

  // One bad filter fails all three requests the same way: it is shown once, at the box.
  const filterError = [series.error, top.error, sankey.error].find((e) => filterProblem(e));
  const narrow = (extra: string) => setParams({ filter: addClause(view.filter, extra) });
  const loading = series.loading || top.loading || sankey.loading;
  const seriesData = series.data as SeriesAnswer | undefined;
  const topData = top.data as TopAnswer | undefined;
  const sankeyData = sankey.data as SankeyAnswer | undefined;
  const nothing = seriesData !== undefined && total(seriesData) === 0;

  return (
    <section class="answers traffic-page">
      <h1 tabIndex={-1}>Traffic</h1>
      <p class="lede">Flow records over time: filter, split, rank and follow conversations. Click a series, a row or a sankey node to narrow the filter.</p>
      <TimeRangePicker state={time} fallback="1h" loading={loading} />
      <FilterBox applied={view.filter} error={filterError} onApply={(f) => setParams({ filter: f || undefined })} />
      <ViewControls view={view} />
      {time.result.error !== undefined ? (
        <ErrorBox title="The time range in the address is not usable" error={new Error(time.result.error)} />
      ) : filterError ? null : (
        <>
          {loading && seriesData && <p class="updating" role="status">Updating…</p>}
          {nothing ? (
            <Empty>
              {view.filter
                ? <>No records match this filter in this range ({range?.label}) — widen the range or loosen the filter.</>
                : <>No records in this range ({range?.label}) — widen it or check that <Link to={['flow-logs']}>flow logs</Link> exist and deliver.</>}
            </Empty>
          ) : (
            <>
              <Panel title="Over time" value={series} label="Loading the time series">
                {(d: SeriesAnswer) => <SeriesView data={d} view={view} onPick={(key) => narrow(clause(view.split, key))} />}
              </Panel>
              <div class="answers-grid">
                <Panel title={view.top.label} value={top} label="Ranking">
                  {(d: TopAnswer) => <TopTable data={d} view={view} onPick={narrow} />}
                </Panel>
                <Panel title={`Sankey: ${view.sankey.join(' → ')}`} value={sankey} label="Laying out the sankey">
                  {(d: SankeyAnswer) => (d.links.length === 0
                    ? <Empty>No flows between {view.sankey.join(', ')} in this range.</Empty>
                    : <SankeyChart nodes={d.nodes} links={d.links} dimensions={view.sankey} metric={view.metric}
                      caption={`${METRIC_LABEL[view.metric]} from ${view.sankey.join(' to ')}`}
                      onPick={(dimension, value) => narrow(clause(dimension, value))} />)}
                </Panel>
              </div>
            </>
          )}
          <SqlPanel parts={[['Time series', seriesData?.sql], ['Top-N', topData?.sql], ['Sankey', sankeyData?.sql]]} />
        </>
      )}
    </section>
  );
}

const total = (d: SeriesAnswer): number => d.series.reduce((s, x) => s + x.values.reduce((a, b) => a + b, 0), 0) + (d.other ?? []).reduce((a, b) => a + b, 0);

function Panel<T>({ title, value, label, children }: { title: string; value: Async<unknown>; label: string; children: (d: T) => ComponentChildren }) {
  const id = useId();
  return (
    <section class="panel" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {value.error ? <ErrorBox error={value.error} /> : value.data === undefined ? <Loading label={label} /> : children(value.data as T)}
    </section>
  );
}

function ViewControls({ view }: { view: TrafficView }) {
  const id = useId();
  const sel = (name: string, label: string, value: string, options: readonly { id: string; label: string }[], onChange: (v: string) => void) => (
    <div class="field">
      <label for={`${id}-${name}`}>{label}</label>
      <select id={`${id}-${name}`} value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        {options.map((o) => <option value={o.id}>{o.label}</option>)}
      </select>
    </div>
  );
  const fields = SPLIT_FIELDS.map((f) => ({ id: f.name, label: f.label }));
  const setSankey = (i: number, v: string) => {
    const dims = [...view.sankey];
    if (v === '') dims.splice(i, 1);
    else dims[i] = v;
    setParams({ sankey: [...new Set(dims)].join(',') });
  };
  return (
    <div class="view-controls">
      <fieldset>
        <legend>Series and ranking</legend>
        <div class="toolbar">
          {sel('metric', 'Metric', view.metric, METRICS.map((m) => ({ id: m, label: METRIC_LABEL[m] })), (v) => setParams({ metric: v }))}
          {sel('split', 'Split by', view.split, fields, (v) => setParams({ split: v }))}
          {sel('top', 'Top-N', view.top.id, TOP_CHOICES, (v) => setParams({ top: v }))}
          {sel('agg', 'Aggregate', view.aggregate, AGGREGATES, (v) => setParams({ agg: v }))}
          {sel('limit', 'Limit', String(view.limit), LIMITS.map((l) => ({ id: String(l), label: String(l) })), (v) => setParams({ limit: v }))}
        </div>
      </fieldset>
      <fieldset>
        <legend>Sankey dimensions</legend>
        <div class="toolbar">
          {[0, 1, 2, 3].map((i) => {
            const value = view.sankey[i] ?? '';
            // Dimensions 1 and 2 are required; 3 and 4 only after the ones before them.
            if (i > view.sankey.length) return null;
            const options = i < 2 ? fields : [{ id: '', label: '(none)' }, ...fields];
            return sel(`sankey${i}`, `Sankey dimension ${i + 1}`, value, options, (v) => setSankey(i, v));
          })}
        </div>
      </fieldset>
    </div>
  );
}

function SeriesView({ data, view, onPick }: { data: SeriesAnswer; view: TrafficView; onPick: (key: string) => void }) {
  const list: ChartSeries[] = data.series.map((s) => ({ key: s.key, label: valueLabel(view.split, s.key), values: s.values }));
  if (data.other) list.push({ key: null, label: 'Other', values: data.other, other: true });
  if (data.buckets.length === 0) return <Empty>No time buckets in this range.</Empty>;
  return <TimeSeriesChart buckets={data.buckets} step={data.step} series={list} metric={view.metric} splitBy={view.split} onPick={onPick} />;
}

function TopTable({ data, view, onPick }: { data: TopAnswer; view: TrafficView; onPick: (extra: string) => void }) {
  const dims = view.top.dimensions;
  if (data.rows.length === 0) return <Empty>Nothing to rank in this range.</Empty>;
  const aggregate = AGGREGATES.find((a) => a.id === view.aggregate)?.label ?? view.aggregate;
  const sum = data.total ?? data.rows.reduce((s, r) => s + r.value, 0);
  return (
    <div class="table-scroll">
      <table class="top-table">
        <caption class="visually-hidden">{view.top.label}, {METRIC_LABEL[view.metric].toLowerCase()}, {aggregate.toLowerCase()}</caption>
        <thead>
          <tr>
            <th scope="col" class="num">#</th>
            <th scope="col">{dims.join(' → ')}</th>
            <th scope="col" class="num">{METRIC_LABEL[view.metric]}</th>
            {view.aggregate === 'sum' && <th scope="col" class="num">Share</th>}
            <th scope="col" class="num">Records</th>
          </tr>
        </thead>
        <tbody>
          {data.rows.map((r, i) => {
            const pickable = dims.every((d) => r.key[d] !== null);
            const text = dims.map((d) => valueLabel(d, r.key[d] ?? null)).join(' → ');
            const extra = dims.map((d) => clause(d, r.key[d]!)).join(' and ');
            return (
              <tr data-key={dims.map((d) => r.key[d] ?? '').join('|')}>
                <td class="num">{i + 1}</td>
                <td class="mono">
                  {pickable
                    ? <button type="button" class="link-button" aria-label={`Add ${extra} to the filter`} onClick={() => onPick(extra)}>{text}</button>
                    : text}
                </td>
                <td class="num" title={view.metric === 'bytes' ? formatMetric('bytes', r.value) : undefined}>{formatNumber(r.value)}</td>
                {view.aggregate === 'sum' && <td class="num">{sum > 0 ? `${((100 * r.value) / sum).toFixed(1)} %` : '–'}</td>}
                <td class="num">{formatNumber(r.records)}</td>
              </tr>
            );
          })}
        </tbody>
        {data.total !== undefined && view.aggregate === 'sum' && (
          <tfoot>
            <tr><th scope="row" colSpan={2}>All matching records</th><td class="num">{formatNumber(data.total)}</td><td /><td /></tr>
          </tfoot>
        )}
      </table>
    </div>
  );
}

function SqlPanel({ parts }: { parts: [string, string | undefined][] }) {
  const shown = parts.filter((p): p is [string, string] => typeof p[1] === 'string' && p[1] !== '');
  if (!shown.length) return null;
  return (
    <details class="sql-panel">
      <summary>SQL</summary>
      <p class="hint">
        The statements the server ran for this view, over the <code>flows</code> view of your records.
        {' '}<code>vpcflow query</code> runs SQL over the same view and returns the same numbers.
      </p>
      {shown.map(([title, sql]) => (
        <div class="sql-part">
          <h3>{title}</h3>
          <pre class="sql">{sql}</pre>
        </div>
      ))}
    </details>
  );
}
