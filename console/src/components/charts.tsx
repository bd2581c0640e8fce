// Charts of the traffic pages, drawn as SVG elements by Preact (no chart library, no canvas): a
// stacked-bar time series with axes, legend and a data table, and a sankey whose layout is computed
// here (columns per dimension, nodes stacked by value, links as bands). Every label is an SVG
// <text> node with the value as text, so values never pass through markup, and tests and screen
// readers can read what the picture shows.

import type { ComponentChildren } from 'preact';
import { useId } from 'preact/hooks';
import { formatBytes, formatNumber } from './ui.tsx';

export type Metric = 'bytes' | 'packets' | 'records';

export const METRIC_LABEL: Readonly<Record<Metric, string>> = { bytes: 'Bytes', packets: 'Packets', records: 'Records' };

const PALETTE = ['#1d4ed8', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#9333ea', '#0d9488', '#ea580c', '#4f46e5', '#be123c', '#0369a1'];
const OTHER_COLOR = '#94a3b8';
const ACTION_COLOR: Readonly<Record<string, string>> = { ACCEPT: '#15803d', REJECT: '#b91c1c' };

/** A stable colour per series: action keys keep their meaning (green accept, red reject). */
export function seriesColor(key: string | null, index: number, isOther = false): string {
  if (isOther) return OTHER_COLOR;
  if (key !== null && ACTION_COLOR[key]) return ACTION_COLOR[key]!;
  return PALETTE[index % PALETTE.length]!;
}

/** A metric value for an axis or a label: bytes as KB/MB, counts with thousands separators or k/M. */
export function formatMetric(metric: Metric, v: number, compact = false): string {
  if (metric === 'bytes') return formatBytes(v);
  if (!compact || Math.abs(v) < 10_000) return formatNumber(v);
  const units: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [size, unit] of units) if (Math.abs(v) >= size) return `${(v / size).toFixed(v / size >= 100 ? 0 : 1)}${unit}`;
  return formatNumber(v);
}

/** Up to about `count` round tick values from 0 to at least max (steps of 1, 2 or 5 × 10^k). */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  // count + 2 bounds the loop whatever rounding does.
  for (let i = 0; i <= count + 2; i++) {
    const t = i * step;
    ticks.push(t);
    if (t >= max) break;
  }
  return ticks;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** A bucket time on the axis (UTC): `14:05` within a day, `05-01 14:05` across days. */
export function axisTime(seconds: number, spanSeconds: number): string {
  const d = new Date(seconds * 1000);
  const hm = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
  if (spanSeconds <= 24 * 3600) return spanSeconds <= 600 ? `${hm}:${pad2(d.getUTCSeconds())}` : hm;
  return `${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${hm}`;
}

const fullTime = (seconds: number): string => new Date(seconds * 1000).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');

/** `1 minute`, `5 minutes`, `1 hour`, `30 seconds`. */
export function stepText(step: number): string {
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (step % 86400 === 0) return unit(step / 86400, 'day');
  if (step % 3600 === 0) return unit(step / 3600, 'hour');
  if (step % 60 === 0) return unit(step / 60, 'minute');
  return unit(step, 'second');
}

export interface ChartSeries {
  /** The value of the split field; null for records without one; `other` for the rest beyond the limit. */
  key: string | null;
  /** What people read: the key, `–` for none, `Other` for the rest. */
  label: string;
  values: number[];
  other?: boolean;
}

export interface TimeSeriesProps {
  buckets: number[];
  step: number;
  series: ChartSeries[];
  metric: Metric;
  /** The field the series are split by (for the legend's heading and the pick's meaning). */
  splitBy: string;
  /** A series key was clicked (never for Other or a missing value). */
  onPick?: (key: string) => void;
}

const W = 800;
const H = 280;
const M = { left: 72, right: 12, top: 12, bottom: 40 };

/** Stacked bars over time, a legend with each series' total (click to filter) and the data as a table. */
export function TimeSeriesChart({ buckets, step, series, metric, splitBy, onPick }: TimeSeriesProps) {
  const id = useId();
  const n = buckets.length;
  const sums = buckets.map((_, i) => series.reduce((s, x) => s + (x.values[i] ?? 0), 0));
  const max = Math.max(0, ...sums);
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1] || 1;
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const bw = n > 0 ? plotW / n : plotW;
  const y = (v: number) => M.top + plotH - (v / top) * plotH;
  const span = n > 0 ? buckets[n - 1]! + step - buckets[0]! : 0;
  const labelEvery = Math.max(1, Math.ceil(n / 7));
  const totals = series.map((s) => s.values.reduce((a, b) => a + b, 0));
  const colors = series.map((s, i) => seriesColor(s.key, i, s.other));
  const summary = `Stacked bars of ${METRIC_LABEL[metric].toLowerCase()} per ${stepText(step)} by ${splitBy}, ${series.length} series` +
    (n > 0 ? `, ${fullTime(buckets[0]!)} to ${fullTime(buckets[n - 1]! + step)}` : '');

  return (
    <figure class="chart timeseries" aria-labelledby={`${id}-cap`}>
      <figcaption id={`${id}-cap`} class="chart-caption">{METRIC_LABEL[metric]} per {stepText(step)}, by {splitBy}</figcaption>
      <div class="chart-scroll">
        <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-label={summary} class="chart-svg">
          <g class="axis y-axis">
            {ticks.map((t) => (
              <g>
                <line x1={M.left} x2={W - M.right} y1={y(t)} y2={y(t)} class="gridline" />
                <text x={M.left - 6} y={y(t) + 4} text-anchor="end" class="tick-label">{formatMetric(metric, t, true)}</text>
              </g>
            ))}
            <text x={14} y={M.top + plotH / 2} transform={`rotate(-90 14 ${M.top + plotH / 2})`} text-anchor="middle" class="axis-label">{METRIC_LABEL[metric]}</text>
          </g>
          <g class="bars">
            {buckets.map((b, i) => {
              let acc = 0;
              return (
                <g>
                  {series.map((s, k) => {
                    const v = s.values[i] ?? 0;
                    if (v <= 0) return null;
                    const y0 = y(acc);
                    acc += v;
                    const y1 = y(acc);
                    return (
                      <rect x={M.left + i * bw + (bw > 4 ? 1 : 0)} width={Math.max(1, bw - (bw > 4 ? 2 : 0))} y={y1} height={Math.max(0.5, y0 - y1)} fill={colors[k]}>
                        <title>{`${s.label} at ${fullTime(b)}: ${formatMetric(metric, v)}`}</title>
                      </rect>
                    );
                  })}
                </g>
              );
            })}
          </g>
          <g class="axis x-axis">
            <line x1={M.left} x2={W - M.right} y1={M.top + plotH} y2={M.top + plotH} class="axis-line" />
            {buckets.map((b, i) => (i % labelEvery === 0 ? (
              <text x={M.left + i * bw + bw / 2} y={M.top + plotH + 16} text-anchor="middle" class="tick-label">{axisTime(b, span)}</text>
            ) : null))}
            <text x={M.left + plotW / 2} y={H - 4} text-anchor="middle" class="axis-label">Time (UTC)</text>
          </g>
        </svg>
      </div>
      <ul class="legend series-legend" aria-label={`Series by ${splitBy}`}>
        {series.map((s, k) => {
          const body = (
            <>
              <span class="swatch" style={{ background: colors[k] }} aria-hidden="true" />
              <span class="legend-key">{s.label}</span>
              <span class="legend-total" title={metric === 'bytes' ? formatBytes(totals[k]!) : undefined}>{formatNumber(totals[k]!)}</span>
            </>
          );
          const pickable = onPick && !s.other && s.key !== null;
          return (
            <li data-key={s.key ?? ''}>
              {pickable
                ? <button type="button" class="legend-button" aria-label={`Add ${splitBy} = ${s.key} to the filter (total ${formatNumber(totals[k]!)} ${METRIC_LABEL[metric].toLowerCase()})`} onClick={() => onPick!(s.key!)}>{body}</button>
                : <span class="legend-item">{body}</span>}
            </li>
          );
        })}
      </ul>
      <details class="chart-data">
        <summary>Data table</summary>
        <div class="table-scroll">
          <table>
            <caption class="visually-hidden">{METRIC_LABEL[metric]} per {stepText(step)} by {splitBy}</caption>
            <thead>
              <tr>
                <th scope="col">Time (UTC)</th>
                {series.map((s) => <th scope="col" class="num">{s.label}</th>)}
                <th scope="col" class="num">Total</th>
              </tr>
            </thead>
            <tbody>
              {buckets.map((b, i) => (
                <tr>
                  <th scope="row">{fullTime(b)}</th>
                  {series.map((s) => <td class="num">{formatNumber(s.values[i] ?? 0)}</td>)}
                  <td class="num">{formatNumber(sums[i]!)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">Total</th>
                {totals.map((t) => <td class="num">{formatNumber(t)}</td>)}
                <td class="num">{formatNumber(totals.reduce((a, b) => a + b, 0))}</td>
              </tr>
            </tfoot>
          </table>
        </div>
      </details>
    </figure>
  );
}

// ---- sankey ----

export interface SankeyNode {
  /** The value; null where records have none. */
  name: string | null;
  dimension: string;
  /** The paths past the limit, summed: drawn, never picked. */
  other?: boolean;
}

export interface SankeyLink {
  source: number;
  target: number;
  value: number;
}

interface PlacedNode {
  index: number;
  node: SankeyNode;
  column: number;
  value: number;
  x: number;
  y: number;
  h: number;
}

const SANKEY_W = 800;
const NODE_W = 14;
const NODE_GAP = 10;
const SANKEY_TOP = 24;

/**
 * The sankey's geometry: nodes in one column per dimension (in `dimensions` order), each as tall as
 * the larger of its inflow and outflow, stacked largest first; links leave and enter their nodes
 * in the order of the other end's position, so bands do not cross at the nodes.
 */
export function sankeyLayout(nodes: readonly SankeyNode[], links: readonly SankeyLink[], dimensions: readonly string[]) {
  const columns = Math.max(1, dimensions.length);
  const valid = links.filter((l) => nodes[l.source] && nodes[l.target] && l.value > 0 && l.source !== l.target);
  const inflow = new Array<number>(nodes.length).fill(0);
  const outflow = new Array<number>(nodes.length).fill(0);
  for (const l of valid) {
    outflow[l.source]! += l.value;
    inflow[l.target]! += l.value;
  }
  const byColumn: PlacedNode[][] = Array.from({ length: columns }, () => []);
  nodes.forEach((node, index) => {
    const c = dimensions.indexOf(node.dimension);
    const value = Math.max(inflow[index]!, outflow[index]!);
    if (c < 0 || value <= 0) return;
    byColumn[c]!.push({ index, node, column: c, value, x: 0, y: 0, h: 0 });
  });
  for (const col of byColumn) col.sort((a, b) => b.value - a.value);
  const most = Math.max(1, ...byColumn.map((c) => c.length));
  const height = Math.max(240, most * 30 + SANKEY_TOP + 8);
  const usable = height - SANKEY_TOP - 8;
  const scale = Math.min(...byColumn.filter((c) => c.length).map((c) => (usable - NODE_GAP * (c.length - 1)) / c.reduce((s, n) => s + n.value, 0)));
  const k = Number.isFinite(scale) && scale > 0 ? scale : 1;
  const colX = (c: number) => (columns === 1 ? 8 : 8 + (c * (SANKEY_W - 16 - NODE_W)) / (columns - 1));
  const placed = new Map<number, PlacedNode>();
  for (const col of byColumn) {
    let yy = SANKEY_TOP;
    for (const p of col) {
      p.x = colX(p.column);
      p.y = yy;
      p.h = Math.max(2, p.value * k);
      yy += p.h + NODE_GAP;
      placed.set(p.index, p);
    }
  }
  const outOffset = new Map<number, number>();
  const inOffset = new Map<number, number>();
  const drawn = valid
    .filter((l) => placed.has(l.source) && placed.has(l.target))
    .sort((a, b) => placed.get(a.source)!.y - placed.get(b.source)!.y || placed.get(a.target)!.y - placed.get(b.target)!.y);
  const bands: { link: SankeyLink; path: string; width: number }[] = [];
  // Outgoing ends stack by target position, incoming ends by source position.
  const bySource = [...drawn].sort((a, b) => a.source - b.source || placed.get(a.target)!.y - placed.get(b.target)!.y);
  const sourceY = new Map<SankeyLink, number>();
  for (const l of bySource) {
    const s = placed.get(l.source)!;
    const off = outOffset.get(l.source) ?? 0;
    const w = l.value * k;
    sourceY.set(l, s.y + off + w / 2);
    outOffset.set(l.source, off + w);
  }
  for (const l of drawn) {
    const s = placed.get(l.source)!;
    const t = placed.get(l.target)!;
    const w = Math.max(1, l.value * k);
    const off = inOffset.get(l.target) ?? 0;
    const y1 = t.y + off + (l.value * k) / 2;
    inOffset.set(l.target, off + l.value * k);
    const y0 = sourceY.get(l)!;
    const x0 = s.x + NODE_W;
    const x1 = t.x;
    const xm = (x0 + x1) / 2;
    bands.push({ link: l, width: w, path: `M${x0.toFixed(1)},${y0.toFixed(1)} C${xm.toFixed(1)},${y0.toFixed(1)} ${xm.toFixed(1)},${y1.toFixed(1)} ${x1.toFixed(1)},${y1.toFixed(1)}` });
  }
  return { nodes: [...placed.values()], bands, height, columns, colX };
}

export const nodeLabel = (n: SankeyNode): string => (n.other ? 'Other' : n.name === null || n.name === '' ? '–' : n.name);
const pickableNode = (n: SankeyNode): boolean => !n.other && n.name !== null && n.name !== '';

/** A sankey of the dimensions; clicking (or Enter/Space on) a node picks it. */
export function SankeyChart({ nodes, links, dimensions, metric, onPick, caption }: {
  nodes: SankeyNode[];
  links: SankeyLink[];
  dimensions: string[];
  metric: Metric;
  onPick?: (dimension: string, value: string) => void;
  caption: ComponentChildren;
}) {
  const id = useId();
  const layout = sankeyLayout(nodes, links, dimensions);
  const colors = new Map<number, string>();
  layout.nodes.forEach((p, i) => colors.set(p.index, seriesColor(p.node.name, i, p.node.other)));
  const pick = (p: PlacedNode) => {
    if (onPick && pickableNode(p.node)) onPick(p.node.dimension, p.node.name!);
  };
  return (
    <figure class="chart sankey" aria-labelledby={`${id}-cap`}>
      <figcaption id={`${id}-cap`} class="chart-caption">{caption}</figcaption>
      <div class="chart-scroll">
        <svg viewBox={`0 0 ${SANKEY_W} ${layout.height}`} width={SANKEY_W} height={layout.height} class="chart-svg"
          role="group" aria-label={`Sankey of ${METRIC_LABEL[metric].toLowerCase()} by ${dimensions.join(' → ')}`}>
          {dimensions.map((d, c) => (
            <text x={layout.colX(c) + (c === dimensions.length - 1 && c > 0 ? NODE_W : 0)} y={14} text-anchor={c === dimensions.length - 1 && c > 0 ? 'end' : 'start'} class="axis-label">{d}</text>
          ))}
          <g class="sankey-links" aria-hidden="true">
            {layout.bands.map((b) => (
              <path d={b.path} stroke={colors.get(b.link.source)} stroke-width={b.width} fill="none" class="sankey-link">
                <title>{`${nodeLabel(nodes[b.link.source]!)} → ${nodeLabel(nodes[b.link.target]!)}: ${formatMetric(metric, b.link.value)}`}</title>
              </path>
            ))}
          </g>
          <g class="sankey-nodes">
            {layout.nodes.map((p) => {
              const last = p.column === layout.columns - 1 && layout.columns > 1;
              const text = `${nodeLabel(p.node)} (${formatMetric(metric, p.value)})`;
              const pickable = onPick && pickableNode(p.node);
              return (
                <g class={pickable ? 'sankey-node pickable' : 'sankey-node'}
                  {...(pickable ? {
                    // SVG attributes are case-sensitive: `tabindex`, not `tabIndex`, makes the node focusable.
                    role: 'button', tabindex: 0,
                    'aria-label': `Add ${p.node.dimension} = ${nodeLabel(p.node)} to the filter (${formatMetric(metric, p.value)})`,
                    onClick: () => pick(p),
                    onKeyDown: (e: KeyboardEvent) => {
                      if (e.key === 'Enter' || e.key === ' ') {
                        e.preventDefault();
                        pick(p);
                      }
                    },
                  } : {})}
                  data-dimension={p.node.dimension} data-name={p.node.name ?? ''}>
                  <rect x={p.x} y={p.y} width={NODE_W} height={p.h} fill={colors.get(p.index)} />
                  <text x={last ? p.x - 4 : p.x + NODE_W + 4} y={p.y + p.h / 2 + 4} text-anchor={last ? 'end' : 'start'} class="sankey-label">{text}</text>
                </g>
              );
            })}
          </g>
        </svg>
      </div>
      <details class="chart-data">
        <summary>Data table</summary>
        <div class="table-scroll">
          <table>
            <caption class="visually-hidden">Flows between {dimensions.join(', ')}</caption>
            <thead>
              <tr><th scope="col">From</th><th scope="col">To</th><th scope="col" class="num">{METRIC_LABEL[metric]}</th></tr>
            </thead>
            <tbody>
              {links.filter((l) => nodes[l.source] && nodes[l.target]).map((l) => (
                <tr>
                  <td>{nodes[l.source]!.dimension} {nodeLabel(nodes[l.source]!)}</td>
                  <td>{nodes[l.target]!.dimension} {nodeLabel(nodes[l.target]!)}</td>
                  <td class="num">{formatNumber(l.value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
