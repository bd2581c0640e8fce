// Rejected: REJECT records of a time range, newest first, each with the rule that dropped it
// (POST /v1/vpcflow/Rejected, src/api/rejected-route.ts) linked to that rule's resource page.
// Records of ingested captures or imported logs carry no rule; the server says why, and so do we.
// URL: #/rejected?range=24h (or start=…&end=…)&interface=eni-…&refresh=…

import { useEffect, useState } from 'preact/hooks';
import { call } from '../api.ts';
import { route, setParams } from '../router.ts';
import { DataTable, Empty, ErrorBox, Link, Loading, formatNumber, formatTime, useAsync, type Column } from '../components/ui.tsx';
import { TimeRangePicker, useTimeRange } from '../components/time-range.tsx';
import { clause, protocolName } from '../components/filter-box.tsx';
import './traffic.css';

export interface DropExplanation {
  layer: 'network-acl' | 'security-group' | 'invalid-state' | 'unknown';
  direction?: 'inbound' | 'outbound';
  resourceId?: string;
  ruleNumber?: number;
  securityGroupIds?: string[];
  text: string;
  stale?: boolean;
  code?: string;
}

export interface RejectedRecord {
  interfaceId: string | null;
  srcaddr: string | null;
  dstaddr: string | null;
  srcport: number | null;
  dstport: number | null;
  protocol: number | null;
  packets: number | null;
  bytes: number | null;
  start: number;
  end: number | null;
  accountId?: string | null;
  logStatus?: string | null;
  flowLogId?: string;
  Rule: string | null;
  Explanation: DropExplanation | null;
  Reason?: string;
}

interface RejectedPage {
  Records: RejectedRecord[];
  NextToken?: string;
}

const PAGE_SIZE = 100;
/** Pages a person can load by "Load more" before the page asks them to narrow the range instead. */
const MAX_PAGES = 50;

const hasPorts = (p: number | null): boolean => p === 6 || p === 17 || p === 132;

/** `10.0.2.20:40900`, `[2600::1]:443`, or the address alone when the protocol has no ports. */
export function endpointText(addr: string | null, port: number | null, protocol: number | null): string {
  const a = addr ?? '–';
  if (!hasPorts(protocol) || port === null) return a;
  return a.includes(':') ? `[${a}]:${port}` : `${a}:${port}`;
}

/** The resource page(s) a rule explanation names. */
function ruleTargets(e: DropExplanation): { kind: 'network-acls' | 'security-groups'; id: string }[] {
  if (e.layer === 'network-acl' && e.resourceId) return [{ kind: 'network-acls', id: e.resourceId }];
  if (e.layer === 'security-group') {
    const ids = e.securityGroupIds?.length ? e.securityGroupIds : e.resourceId ? [e.resourceId] : [];
    return ids.map((id) => ({ kind: 'security-groups' as const, id }));
  }
  return [];
}

function RuleCell({ r }: { r: RejectedRecord }) {
  const e = r.Explanation;
  if (!e) return <span class="muted no-rule">{r.Reason ?? 'No rule was recorded for this record.'}</span>;
  const targets = ruleTargets(e);
  return (
    <span class="rule-text">
      {targets.length === 1
        ? <Link to={[targets[0]!.kind, targets[0]!.id]}>{e.text}</Link>
        : <span>{e.text}</span>}
      {targets.length > 1 && (
        <span class="rule-links">
          {' '}({targets.map((t, i) => <>{i > 0 ? ', ' : ''}<Link to={[t.kind, t.id]}>{t.id}</Link></>)})
        </span>
      )}
      {e.stale && <span class="badge stale" title="The network changed since this packet was dropped; the text says how">changed since</span>}
    </span>
  );
}

const COLUMNS: Column<RejectedRecord>[] = [
  { label: 'Time (UTC)', text: (r) => formatTime(r.start * 1000) },
  {
    label: 'Interface',
    text: (r) => r.interfaceId ?? '–',
    render: (r) => (r.interfaceId ? <Link to={['network-interfaces', r.interfaceId]}>{r.interfaceId}</Link> : '–'),
  },
  {
    label: 'Source → destination',
    text: (r) => `${endpointText(r.srcaddr, r.srcport, r.protocol)} → ${endpointText(r.dstaddr, r.dstport, r.protocol)}`,
    render: (r) => (
      <span class="mono">{endpointText(r.srcaddr, r.srcport, r.protocol)} →<wbr /> {endpointText(r.dstaddr, r.dstport, r.protocol)}</span>
    ),
  },
  { label: 'Protocol', text: (r) => protocolName(r.protocol) },
  { label: 'Packets', text: (r) => formatNumber(r.packets), numeric: true },
  // Bytes are in the record (and in the traffic view); the rule's text needs the width here.
  {
    label: 'Deciding rule',
    text: (r) => r.Explanation?.text ?? r.Reason ?? '',
    render: (r) => <RuleCell r={r} />,
  },
  {
    label: 'Traffic',
    text: () => '',
    render: (r) => (r.srcaddr && r.dstaddr
      ? <Link to={['traffic']} params={{ filter: `action = REJECT and ${clause('srcaddr', r.srcaddr)} and ${clause('dstaddr', r.dstaddr)}` }} title="This conversation's rejected traffic over time">Show traffic</Link>
      : ''),
  },
];

export function Rejected() {
  const time = useTimeRange('24h');
  const params = route.value.params;
  const interfaceId = params.get('interface') ?? '';
  const range = time.result.range;
  const request = (nextToken?: string) => ({
    StartTime: range!.start, EndTime: range!.end, Limit: PAGE_SIZE,
    ...(interfaceId ? { InterfaceId: interfaceId } : {}),
    ...(nextToken ? { NextToken: nextToken } : {}),
  });
  const first = useAsync<RejectedPage | undefined>(
    (signal) => (range ? call<RejectedPage>('/v1/vpcflow/Rejected', request(), { signal }) : Promise.resolve(undefined)),
    [range?.start, range?.end, interfaceId, time.tick],
  );
  const [more, setMore] = useState<{ pages: RejectedPage[]; loading: boolean; error: unknown }>({ pages: [], loading: false, error: undefined });
  useEffect(() => setMore({ pages: [], loading: false, error: undefined }), [first.data]);

  const records = [...(first.data?.Records ?? []), ...more.pages.flatMap((p) => p.Records)];
  const lastPage = more.pages.length ? more.pages[more.pages.length - 1] : first.data;
  const nextToken = lastPage?.NextToken;

  const loadMore = async () => {
    if (!nextToken || more.loading) return;
    setMore((m) => ({ ...m, loading: true, error: undefined }));
    try {
      const page = await call<RejectedPage>('/v1/vpcflow/Rejected', request(nextToken));
      setMore((m) => ({ pages: [...m.pages, page], loading: false, error: undefined }));
    } catch (error) {
      setMore((m) => ({ ...m, loading: false, error }));
    }
  };

  return (
    <section class="answers rejected-page">
      <h1 tabIndex={-1}>Rejected</h1>
      <p class="lede">Traffic the network dropped, newest first, with the security group or network ACL rule that decided. Live traffic (<code>vpcflow serve --realize</code>) records its rule; ingested captures and imported logs do not.</p>
      <TimeRangePicker state={time} fallback="24h" loading={first.loading} />
      {interfaceId && (
        <p class="scope-note">
          Only interface <Link to={['network-interfaces', interfaceId]}>{interfaceId}</Link>.{' '}
          <button type="button" onClick={() => setParams({ interface: undefined })}>Show every interface</button>
        </p>
      )}
      {time.result.error !== undefined ? (
        <ErrorBox title="The time range in the address is not usable" error={new Error(time.result.error)} />
      ) : first.error ? (
        <ErrorBox title="Could not list rejected records" error={first.error} />
      ) : first.data === undefined ? (
        <Loading label="Finding rejected records" />
      ) : records.length === 0 ? (
        <Empty>
          No rejected records in this range ({range?.label}). Widen the range, or check that a{' '}
          <Link to={['flow-logs']}>flow log</Link> with traffic type REJECT or ALL covers the interfaces.
        </Empty>
      ) : (
        <>
          <DataTable caption="Rejected records" noun="records" columns={COLUMNS} rows={records}
            rowKey={(r) => `${r.accountId ?? ""}|${r.start}|${r.end}|${r.interfaceId}|${r.srcaddr}|${r.srcport}|${r.dstaddr}|${r.dstport}|${r.protocol}`} />
          <ErrorBox title="Could not load more" error={more.error} />
          {nextToken && more.pages.length < MAX_PAGES && (
            <div class="buttons start">
              <button type="button" onClick={() => void loadMore()} disabled={more.loading}>{more.loading ? 'Loading…' : 'Load more'}</button>
            </div>
          )}
          {nextToken && more.pages.length >= MAX_PAGES && <p class="hint">More records exist: narrow the time range to see them.</p>}
          {!nextToken && <p class="hint">{formatNumber(records.length)} rejected {records.length === 1 ? 'record' : 'records'}: all of this range.</p>}
        </>
      )}
    </section>
  );
}
