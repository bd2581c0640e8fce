// Map: one VPC drawn as its subnets (columns) holding their network interfaces (rows), with the
// conversations of a time range between them (POST /v1/vpcflow/TrafficEdges) and to addresses
// outside the VPC. Accepted traffic solid, rejected dashed and red, width by bytes on a log scale.
// Every interface and edge is a link to the traffic view filtered to it; the edges are also listed
// in a table below the picture. URL: #/map?vpc=vpc-…&range=24h (or start=…&end=…)

import { useId } from 'preact/hooks';
import { call } from '../api.ts';
import { href, route, setParams } from '../router.ts';
import { DataTable, Empty, ErrorBox, Link, Loading, formatBytes, formatNumber, tagValue, useAsync, type Column } from '../components/ui.tsx';
import { TimeRangePicker, useTimeRange, type TimeRange } from '../components/time-range.tsx';
import { clause, filterLiteral } from '../components/filter-box.tsx';
import './traffic.css';

interface Tag {
  Key: string;
  Value: string;
}
interface VpcItem {
  VpcId: string;
  CidrBlock?: string;
  CidrBlockAssociationSet?: { CidrBlock: string }[];
  Ipv6CidrBlockAssociationSet?: { Ipv6CidrBlock: string }[];
  Tags?: Tag[];
}
interface SubnetItem {
  SubnetId: string;
  CidrBlock?: string;
  AvailabilityZone?: string;
  Tags?: Tag[];
}
interface EniItem {
  NetworkInterfaceId: string;
  SubnetId: string;
  PrivateIpAddress?: string;
  PrivateIpAddresses?: { PrivateIpAddress: string }[];
  Ipv6Addresses?: { Ipv6Address: string }[];
  TagSet?: Tag[];
  Attachment?: { InstanceId?: string };
  Description?: string;
}
interface InstanceItem {
  InstanceId: string;
  Tags?: Tag[];
}

export interface TrafficEdge {
  interfaceId: string;
  srcaddr: string;
  dstaddr: string;
  action: string;
  bytes: number;
  packets: number;
  records: number;
}

/** Conversations asked for per view: the largest by bytes, as the server ranks them. */
const EDGE_LIMIT = 1000;
/** The filter language takes at most 256 values; a VPC with more interfaces is filtered here instead. */
const MAX_FILTER_INTERFACES = 200;
/** Addresses listed in one edge's traffic filter before it falls back to "outside the VPC's blocks". */
const MAX_FILTER_ADDRESSES = 50;
/** Pages of a Describe call followed at most (1000 items each). */
const MAX_DESCRIBE_PAGES = 20;
export const OUTSIDE = 'outside';

async function describeAll<T>(action: string, body: Record<string, unknown>, member: string, signal: AbortSignal): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_DESCRIBE_PAGES; page++) {
    const r = await call<Record<string, unknown>>(`/v1/ec2/${action}`, { ...body, MaxResults: 1000, ...(token ? { NextToken: token } : {}) }, { signal });
    out.push(...((r[member] as T[] | undefined) ?? []));
    token = typeof r.NextToken === 'string' && r.NextToken ? r.NextToken : undefined;
    if (!token) break;
  }
  return out;
}

function readEdges(raw: unknown): TrafficEdge[] {
  const o = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const list = Array.isArray(raw) ? raw : o.Edges ?? o.edges;
  if (!Array.isArray(list)) return [];
  // The route answers in PascalCase (InterfaceId, SrcAddr); the store's own names are read too.
  const g = (e: Record<string, unknown>, ...names: string[]): unknown => names.map((n) => e[n]).find((v) => v !== undefined && v !== null);
  return list.map((e: Record<string, unknown>) => ({
    interfaceId: String(g(e, 'InterfaceId', 'interfaceId') ?? ''),
    srcaddr: String(g(e, 'SrcAddr', 'Srcaddr', 'srcaddr') ?? ''),
    dstaddr: String(g(e, 'DstAddr', 'Dstaddr', 'dstaddr') ?? ''),
    action: String(g(e, 'Action', 'action') ?? ''),
    bytes: Number(g(e, 'Bytes', 'bytes')) || 0,
    packets: Number(g(e, 'Packets', 'packets')) || 0,
    records: Number(g(e, 'Records', 'records')) || 0,
  })).filter((e) => e.srcaddr && e.dstaddr && e.srcaddr !== '-' && e.dstaddr !== '-');
}

export interface MapEdge {
  key: string;
  /** Node ids: an interface id or OUTSIDE. */
  from: string;
  to: string;
  action: 'ACCEPT' | 'REJECT';
  bytes: number;
  packets: number;
  records: number;
  srcaddrs: string[];
  dstaddrs: string[];
}

interface Tally {
  bytes: number;
  packets: number;
  records: number;
  src: Set<string>;
  dst: Set<string>;
}
const tally = (): Tally => ({ bytes: 0, packets: 0, records: 0, src: new Set(), dst: new Set() });
const add = (t: Tally, e: TrafficEdge) => {
  t.bytes += e.bytes;
  t.packets += e.packets;
  t.records += e.records;
  t.src.add(e.srcaddr);
  t.dst.add(e.dstaddr);
};

/**
 * One edge per (from, to, action) of the VPC. A conversation between two interfaces is recorded on
 * both (egress at one, ingress at the other), so accepted traffic is counted where it arrived (the
 * destination's records; the source's when the destination has none, e.g. no flow log covers it),
 * and rejected traffic where it was dropped (a packet is dropped once, at either end).
 */
export function buildEdges(edges: readonly TrafficEdge[], nodeOf: (address: string) => string, interfaces: ReadonlySet<string>): MapEdge[] {
  const pairs = new Map<string, { from: string; to: string; acceptAtDst: Tally; acceptAtSrc: Tally; reject: Tally }>();
  for (const e of edges) {
    if (!interfaces.has(e.interfaceId)) continue;
    const from = nodeOf(e.srcaddr);
    const to = nodeOf(e.dstaddr);
    const k = `${from}>${to}`;
    let p = pairs.get(k);
    if (!p) pairs.set(k, (p = { from, to, acceptAtDst: tally(), acceptAtSrc: tally(), reject: tally() }));
    if (e.action === 'REJECT') add(p.reject, e);
    else if (e.interfaceId === to && to !== from) add(p.acceptAtDst, e);
    else add(p.acceptAtSrc, e);
  }
  const out: MapEdge[] = [];
  for (const [k, p] of pairs) {
    const accepted = p.acceptAtDst.records > 0 ? p.acceptAtDst : p.acceptAtSrc;
    for (const [action, t] of [['ACCEPT', accepted], ['REJECT', p.reject]] as const) {
      if (t.records === 0 && t.bytes === 0) continue;
      out.push({ key: `${k}>${action}`, from: p.from, to: p.to, action, bytes: t.bytes, packets: t.packets, records: t.records, srcaddrs: [...t.src].sort(), dstaddrs: [...t.dst].sort() });
    }
  }
  return out.sort((a, b) => b.bytes - a.bytes);
}

// ---- layout ----

const COL_W = 230;
const COL_GAP = 90;
const MARGIN = 20;
/** Room above the subnets: edges that skip a column arc through it, over the boxes between. */
const TOP = 56;
const CHANNEL_Y = 28;
const HEAD_H = 44;
const ROW_H = 58;
const NODE_H = 46;
const NODE_PAD = 12;
const OUTSIDE_W = 170;
const OUTSIDE_H = 64;

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
  column: number;
}

export function mapLayout(subnets: readonly SubnetItem[], enisBySubnet: ReadonlyMap<string, EniItem[]>) {
  const boxes = new Map<string, Box>();
  const nodes = new Map<string, Box>();
  let maxRows = 1;
  subnets.forEach((s, c) => {
    const enis = enisBySubnet.get(s.SubnetId) ?? [];
    maxRows = Math.max(maxRows, enis.length);
    const x = MARGIN + c * (COL_W + COL_GAP);
    boxes.set(s.SubnetId, { x, y: TOP, w: COL_W, h: HEAD_H + Math.max(1, enis.length) * ROW_H + 4, column: c });
    enis.forEach((n, r) => nodes.set(n.NetworkInterfaceId, { x: x + NODE_PAD, y: TOP + HEAD_H + r * ROW_H, w: COL_W - 2 * NODE_PAD, h: NODE_H, column: c }));
  });
  const height = TOP + HEAD_H + maxRows * ROW_H + 40;
  const outsideColumn = subnets.length;
  const ox = MARGIN + outsideColumn * (COL_W + COL_GAP);
  nodes.set(OUTSIDE, { x: ox, y: Math.max(TOP, (height - OUTSIDE_H) / 2), w: OUTSIDE_W, h: OUTSIDE_H, column: outsideColumn });
  const width = ox + OUTSIDE_W + MARGIN;
  return { boxes, nodes, width, height: Math.max(height, OUTSIDE_H + 2 * TOP) };
}

/**
 * An edge's path between two node boxes: side to side between neighbouring columns, a loop on the
 * right within one column, and over the top (through the channel above the subnets) when it
 * would otherwise cross the boxes of the columns between.
 */
export function edgePath(a: Box, b: Box, offset: number): string {
  const ay = a.y + a.h / 2 + offset;
  const by = b.y + b.h / 2 + offset;
  if (a.column === b.column) {
    const x = a.x + a.w;
    const bulge = 40 + Math.min(60, Math.abs(ay - by) / 4);
    return `M${x},${ay} C${x + bulge},${ay} ${x + bulge},${by} ${x},${by}`;
  }
  const forward = a.column < b.column;
  const x0 = forward ? a.x + a.w : a.x;
  const x1 = forward ? b.x : b.x + b.w;
  if (Math.abs(a.column - b.column) > 1) {
    // A cubic's highest point is 3/4 of the way to its control points' height: put them where
    // that point lands in the channel, whatever the rows' depth.
    const peak = CHANNEL_Y + offset * 2;
    const c = (peak - 0.25 * ((ay + by) / 2)) / 0.75;
    const dx = forward ? 60 : -60;
    return `M${x0},${ay} C${x0 + dx},${c.toFixed(1)} ${x1 - dx},${c.toFixed(1)} ${x1},${by}`;
  }
  const xm = (x0 + x1) / 2;
  // A bow away from the lane's side: the two directions of one pair stay apart even between
  // nodes at the same height, where straight lines would lie on each other.
  const bow = offset * 4;
  return `M${x0},${ay} C${xm},${ay + bow} ${xm},${by + bow} ${x1},${by}`;
}

export function edgeWidth(bytes: number, maxBytes: number): number {
  if (maxBytes <= 0) return 1.5;
  return 1.5 + (6 * Math.log1p(Math.max(0, bytes))) / Math.log1p(maxBytes);
}

// ---- filters for the traffic view ----

function addressClause(field: string, addresses: readonly string[], outsideBlocks: readonly string[], outside: boolean): string {
  if (addresses.length === 1) return clause(field, addresses[0]!);
  if (addresses.length <= MAX_FILTER_ADDRESSES || !outside || !outsideBlocks.length) return `${field} in (${addresses.slice(0, 250).map(filterLiteral).join(', ')})`;
  return `${field} notin (${outsideBlocks.map(filterLiteral).join(', ')})`;
}

export function edgeFilter(e: MapEdge, vpcBlocks: readonly string[]): string {
  return `${addressClause('srcaddr', e.srcaddrs, vpcBlocks, e.from === OUTSIDE)} and ${addressClause('dstaddr', e.dstaddrs, vpcBlocks, e.to === OUTSIDE)}`;
}

const rangeParams = (p: URLSearchParams): Record<string, string | undefined> => ({
  range: p.get('range') ?? undefined, start: p.get('start') ?? undefined, end: p.get('end') ?? undefined,
});

// ---- the page ----

interface MapData {
  subnets: SubnetItem[];
  enis: EniItem[];
  names: Map<string, string>;
  edges: TrafficEdge[];
}

export function NetworkMap() {
  const time = useTimeRange('24h');
  const params = route.value.params;
  const id = useId();
  const vpcs = useAsync((signal) => describeAll<VpcItem>('DescribeVpcs', {}, 'Vpcs', signal), [time.tick]);
  const list = vpcs.data ?? [];
  const chosen = params.get('vpc') ?? '';
  const vpc = list.find((v) => v.VpcId === chosen) ?? (chosen ? undefined : list[0]);
  const range = time.result.range;

  const data = useAsync<MapData | undefined>(async (signal) => {
    if (!vpc || !range) return undefined;
    const byVpc = { Filters: [{ Name: 'vpc-id', Values: [vpc.VpcId] }] };
    const [subnets, enis, instances] = await Promise.all([
      describeAll<SubnetItem>('DescribeSubnets', byVpc, 'Subnets', signal),
      describeAll<EniItem>('DescribeNetworkInterfaces', byVpc, 'NetworkInterfaces', signal),
      describeAll<{ Instances?: InstanceItem[] }>('DescribeInstances', byVpc, 'Reservations', signal),
    ]);
    const names = new Map<string, string>();
    for (const r of instances) for (const i of r.Instances ?? []) names.set(i.InstanceId, tagValue(i.Tags));
    const ids = enis.map((n) => n.NetworkInterfaceId);
    const filter = ids.length && ids.length <= MAX_FILTER_INTERFACES ? `interface-id in (${ids.join(', ')})` : undefined;
    const edges = ids.length
      ? readEdges(await call('/v1/vpcflow/TrafficEdges', { StartTime: range.start, EndTime: range.end, Limit: EDGE_LIMIT, ...(filter ? { Filter: filter } : {}) }, { signal }))
      : [];
    return { subnets: subnets.sort((a, b) => a.SubnetId.localeCompare(b.SubnetId)), enis, names, edges };
  }, [vpc?.VpcId, range?.start, range?.end, time.tick]);

  return (
    <section class="answers map-page">
      <h1 tabIndex={-1}>Map</h1>
      <p class="lede">A VPC's subnets and network interfaces, and who talked to whom in the time range. Select an interface or a line to see its traffic.</p>
      <div class="toolbar">
        <div class="field">
          <label for={`${id}-vpc`}>VPC</label>
          <select id={`${id}-vpc`} value={vpc?.VpcId ?? ''} disabled={!list.length} onChange={(e) => setParams({ vpc: (e.target as HTMLSelectElement).value })}>
            {!list.length && <option value="">{vpcs.data ? 'No VPCs' : 'Loading…'}</option>}
            {chosen && !vpc && <option value={chosen}>{chosen} (not found)</option>}
            {list.map((v) => <option value={v.VpcId}>{v.VpcId}{tagValue(v.Tags) ? ` (${tagValue(v.Tags)})` : ''}{v.CidrBlock ? ` ${v.CidrBlock}` : ''}</option>)}
          </select>
        </div>
      </div>
      <TimeRangePicker state={time} fallback="24h" loading={data.loading} />
      {vpcs.error ? <ErrorBox title="Could not list VPCs" error={vpcs.error} />
        : !vpcs.data ? <Loading label="Listing VPCs" />
        : !list.length ? <Empty>No VPCs yet. Apply a network document (<code>vpcflow apply examples/network.yaml</code>) to draw its map.</Empty>
        : !vpc ? <Empty>There is no VPC {chosen} in this account. <Link to={['map']}>Show the first VPC</Link>.</Empty>
        : time.result.error !== undefined ? <ErrorBox title="The time range in the address is not usable" error={new Error(time.result.error)} />
        : data.error ? <ErrorBox title="Could not draw the map" error={data.error} />
        : !data.data ? <Loading label="Drawing the map" />
        : <MapView vpc={vpc} data={data.data} range={range!} />}
    </section>
  );
}

/** Rows in address order: IPv4 octets zero-padded so that 10.0.2.9 sorts before 10.0.2.10. */
function addressOrder(a: string | undefined): string {
  if (!a) return '~';
  const octets = a.split('.');
  return octets.length === 4 ? octets.map((o) => o.padStart(3, '0')).join('.') : a;
}

function vpcBlocks(v: VpcItem): string[] {
  const blocks = new Set<string>();
  if (v.CidrBlock) blocks.add(v.CidrBlock);
  for (const a of v.CidrBlockAssociationSet ?? []) blocks.add(a.CidrBlock);
  for (const a of v.Ipv6CidrBlockAssociationSet ?? []) blocks.add(a.Ipv6CidrBlock);
  return [...blocks];
}

function MapView({ vpc, data, range }: { vpc: VpcItem; data: MapData; range: TimeRange }) {
  const params = route.value.params;
  const rp = rangeParams(params);
  const enisBySubnet = new Map<string, EniItem[]>();
  for (const n of [...data.enis].sort((a, b) => addressOrder(a.PrivateIpAddress).localeCompare(addressOrder(b.PrivateIpAddress)) || a.NetworkInterfaceId.localeCompare(b.NetworkInterfaceId))) {
    const l = enisBySubnet.get(n.SubnetId) ?? [];
    l.push(n);
    enisBySubnet.set(n.SubnetId, l);
  }
  const byAddress = new Map<string, string>();
  for (const n of data.enis) {
    for (const a of [n.PrivateIpAddress, ...(n.PrivateIpAddresses ?? []).map((p) => p.PrivateIpAddress), ...(n.Ipv6Addresses ?? []).map((p) => p.Ipv6Address)]) {
      if (a) byAddress.set(a.toLowerCase(), n.NetworkInterfaceId);
    }
  }
  const ids = new Set(data.enis.map((n) => n.NetworkInterfaceId));
  const edges = buildEdges(data.edges, (a) => byAddress.get(a.toLowerCase()) ?? OUTSIDE, ids);
  const layout = mapLayout(data.subnets, enisBySubnet);
  const maxBytes = Math.max(0, ...edges.map((e) => e.bytes));
  const blocks = vpcBlocks(vpc);
  const eniName = (n: EniItem) => tagValue(n.TagSet) || (n.Attachment?.InstanceId ? data.names.get(n.Attachment.InstanceId) || n.Attachment.InstanceId : n.Description || '');
  const eniById = new Map(data.enis.map((n) => [n.NetworkInterfaceId, n]));
  const nodeText = (nodeId: string) => {
    if (nodeId === OUTSIDE) return 'outside the VPC';
    const n = eniById.get(nodeId);
    return n ? `${nodeId} (${n.PrivateIpAddress ?? ''})` : nodeId;
  };
  const trafficHref = (filter: string) => href(['traffic'], { ...rp, filter });
  const edgeText = (e: MapEdge) => `${nodeText(e.from)} → ${nodeText(e.to)}: ${formatBytes(e.bytes)} ${e.action === 'REJECT' ? 'rejected' : 'accepted'}`;

  // Opposite directions and the two actions of one pair get their own lanes, so lines do not overlap.
  const lane = (e: MapEdge) => (e.from < e.to ? 1 : -1) * (e.action === 'REJECT' ? 9 : 3);
  const columns: Column<MapEdge>[] = [
    { label: 'From', text: (e) => `${nodeText(e.from)} ${e.srcaddrs.join(' ')}`, render: (e) => <EndpointCell node={nodeText(e.from)} addresses={e.srcaddrs} /> },
    { label: 'To', text: (e) => `${nodeText(e.to)} ${e.dstaddrs.join(' ')}`, render: (e) => <EndpointCell node={nodeText(e.to)} addresses={e.dstaddrs} /> },
    { label: 'Action', text: (e) => e.action, render: (e) => <span class={e.action === 'REJECT' ? 'reject' : 'accept'}>{e.action}</span> },
    { label: 'Bytes', text: (e) => formatNumber(e.bytes), numeric: true },
    { label: 'Packets', text: (e) => formatNumber(e.packets), numeric: true },
    { label: 'Records', text: (e) => formatNumber(e.records), numeric: true },
    { label: 'Traffic', text: () => '', render: (e) => <a href={trafficHref(edgeFilter(e, blocks))} aria-label={`Show traffic ${edgeText(e)}`}>Show traffic</a> },
  ];

  return (
    <>
      <div class="map-legend" aria-label="Legend">
        <span><svg width="40" height="10" aria-hidden="true"><line x1="0" y1="5" x2="40" y2="5" class="map-edge accept" stroke-width="3" /></svg> accepted</span>
        <span><svg width="40" height="10" aria-hidden="true"><line x1="0" y1="5" x2="40" y2="5" class="map-edge reject" stroke-width="3" /></svg> rejected</span>
        <span>line width: bytes (log scale); arrows point from source to destination</span>
        <span class="hint">{range.label}</span>
      </div>
      <div class="map-scroll">
        <svg class="map-svg" width={layout.width} height={layout.height} viewBox={`0 0 ${layout.width} ${layout.height}`} role="group"
          aria-label={`Map of ${vpc.VpcId}: ${data.subnets.length} subnets, ${data.enis.length} network interfaces, ${edges.length} conversations`}>
          <defs>
            <marker id="map-arrow-accept" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">
              <path d="M0,0 L10,5 L0,10 z" class="arrow accept" />
            </marker>
            <marker id="map-arrow-reject" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">
              <path d="M0,0 L10,5 L0,10 z" class="arrow reject" />
            </marker>
          </defs>
          {data.subnets.map((s) => {
            const b = layout.boxes.get(s.SubnetId)!;
            const name = tagValue(s.Tags);
            return (
              <g class="subnet" data-subnet={s.SubnetId}>
                <rect x={b.x} y={b.y} width={b.w} height={b.h} rx={6} class="subnet-box" />
                <a href={href(['subnets', s.SubnetId])} aria-label={`Subnet ${s.SubnetId}${name ? ` (${name})` : ''} ${s.CidrBlock ?? ''}`}>
                  <text x={b.x + 10} y={b.y + 18} class="subnet-title">{s.SubnetId}{name ? ` · ${name}` : ''}</text>
                </a>
                <text x={b.x + 10} y={b.y + 34} class="subnet-sub">{s.CidrBlock ?? ''}{s.AvailabilityZone ? ` · ${s.AvailabilityZone}` : ''}</text>
                {!(enisBySubnet.get(s.SubnetId)?.length) && <text x={b.x + 10} y={b.y + HEAD_H + 24} class="subnet-sub">no network interfaces</text>}
              </g>
            );
          })}
          <g class="edges">
            {edges.filter((e) => e.from !== e.to || e.from !== OUTSIDE).map((e) => {
              const a = layout.nodes.get(e.from);
              const b = layout.nodes.get(e.to);
              if (!a || !b) return null;
              return (
                <a href={trafficHref(edgeFilter(e, blocks))} aria-label={`${edgeText(e)}: show this traffic`} class="edge-link" data-edge={e.key}>
                  <path d={edgePath(a, b, lane(e))} class={`map-edge ${e.action === 'REJECT' ? 'reject' : 'accept'}`} stroke-width={edgeWidth(e.bytes, maxBytes)}
                    marker-end={`url(#map-arrow-${e.action === 'REJECT' ? 'reject' : 'accept'})`} fill="none">
                    <title>{edgeText(e)}</title>
                  </path>
                </a>
              );
            })}
          </g>
          {data.enis.map((n) => {
            const b = layout.nodes.get(n.NetworkInterfaceId);
            if (!b) return null;
            const name = eniName(n);
            return (
              <a href={trafficHref(clause('interface-id', n.NetworkInterfaceId))} class="node-link" data-interface={n.NetworkInterfaceId}
                aria-label={`Interface ${n.NetworkInterfaceId} ${n.PrivateIpAddress ?? ''}${name ? ` ${name}` : ''}: show its traffic`}>
                <rect x={b.x} y={b.y} width={b.w} height={b.h} rx={4} class="eni-box" />
                <text x={b.x + 8} y={b.y + 18} class="eni-title">{n.NetworkInterfaceId}</text>
                <text x={b.x + 8} y={b.y + 35} class="eni-sub">{n.PrivateIpAddress ?? ''}{name ? ` · ${name}` : ''}</text>
              </a>
            );
          })}
          {(() => {
            const b = layout.nodes.get(OUTSIDE)!;
            const used = edges.some((e) => e.from === OUTSIDE || e.to === OUTSIDE);
            return (
              <g class={`outside${used ? '' : ' unused'}`}>
                <rect x={b.x} y={b.y} width={b.w} height={b.h} rx={30} class="outside-box" />
                <text x={b.x + b.w / 2} y={b.y + 28} text-anchor="middle" class="eni-title">outside the VPC</text>
                <text x={b.x + b.w / 2} y={b.y + 46} text-anchor="middle" class="eni-sub">{blocks.length ? `not in ${blocks[0]}${blocks.length > 1 ? ' …' : ''}` : 'other addresses'}</text>
              </g>
            );
          })()}
        </svg>
      </div>
      {edges.length === 0 && <Empty>No traffic of this VPC's interfaces in this range ({range.label}). Widen the range, or check that <Link to={['flow-logs']}>flow logs</Link> cover these interfaces.</Empty>}
      {edges.length > 0 && (
        <DataTable caption="Conversations" noun="conversations" columns={columns} rows={edges} rowKey={(e) => e.key} />
      )}
    </>
  );
}

function EndpointCell({ node, addresses }: { node: string; addresses: string[] }) {
  const shown = addresses.slice(0, 5);
  return (
    <span>
      {node}
      {node.startsWith('outside') && <span class="mono"> {shown.join(', ')}{addresses.length > shown.length ? ` and ${addresses.length - shown.length} more` : ''}</span>}
    </span>
  );
}
