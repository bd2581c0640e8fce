// The log store as CloudWatch Logs shows it: log groups (retention, stored bytes), a group's
// streams (one per interface), events of a stream or of the whole group searched with a filter
// pattern over a time range, and a live tail. Flow log lines are split into columns named from
// the format of the flow log(s) delivering to the group (record-columns.ts).

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { ApiError, call, stream } from '../api.ts';
import { route, setParams } from '../router.ts';
import { AsyncView, Details, Empty, ErrorBox, Field, Link, Loading, Tabs, errorText, formatBytes, formatNumber, formatTime, useAsync } from '../components/ui.tsx';
import { cellClass, errorPosition, fieldsOfFormat, NUMERIC_FIELDS, recordColumns, TIME_FIELDS, type RecordColumns } from '../components/record-columns.ts';
import './log-groups.css';

interface LogGroupInfo {
  logGroupName: string;
  creationTime: number;
  retentionInDays?: number;
  metricFilterCount: number;
  storedBytes: number;
  arn: string;
  logGroupArn: string;
}

interface LogStreamInfo {
  logStreamName: string;
  creationTime: number;
  firstEventTimestamp?: number;
  lastEventTimestamp?: number;
  lastIngestionTime?: number;
}

interface LogEvent {
  eventId: string;
  logStreamName: string;
  timestamp: number;
  ingestionTime: number;
  message: string;
}

interface FlowLogItem {
  FlowLogId: string;
  ResourceId: string;
  LogFormat?: string;
  LogGroupName?: string;
  TrafficType?: string;
}

/** CloudWatch Logs' allowed retention values (PutRetentionPolicy). */
export const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;
const PAGE_EVENTS = 100;
/** The live tail keeps this many rows (and as many waiting while paused); older ones are dropped. */
export const TAIL_MAX_ROWS = 1000;

/**
 * A form control's text that follows `value` (from the URL or the server) whenever that changes,
 * and otherwise keeps what the person typed. Derived during render rather than synced in an
 * effect, which would run after the first paint and could wipe text typed in between.
 */
function useDraft<T>(value: T): [T, (v: T) => void] {
  const [state, setState] = useState({ base: value, draft: value });
  return [state.base === value ? state.draft : value, (draft: T) => setState({ base: value, draft })];
}

export const retentionText = (days: number | undefined): string => (days === undefined ? 'Never expire' : `${days} day${days === 1 ? '' : 's'}`);

// ---------------------------------------------------------------------------------------------
// Log groups

export function LogGroups() {
  const prefix = route.value.params.get('prefix') ?? '';
  const [draft, setDraft] = useDraft(prefix);
  const [pages, setPages] = useState<{ key: string; groups: LogGroupInfo[]; next?: string; error?: unknown; loading: boolean }>({ key: '', groups: [], loading: true });
  const [more, setMore] = useState(false);

  useEffect(() => {
    const ac = new AbortController();
    setPages({ key: prefix, groups: [], loading: true });
    call<{ logGroups: LogGroupInfo[]; nextToken?: string }>('/v1/logs/DescribeLogGroups', { ...(prefix ? { logGroupNamePrefix: prefix } : {}) }, { signal: ac.signal }).then(
      (r) => !ac.signal.aborted && setPages({ key: prefix, groups: r.logGroups, ...(r.nextToken ? { next: r.nextToken } : {}), loading: false }),
      (error) => !ac.signal.aborted && setPages({ key: prefix, groups: [], error, loading: false }),
    );
    return () => ac.abort();
  }, [prefix]);

  const loadMore = async () => {
    if (!pages.next) return;
    setMore(true);
    try {
      const r = await call<{ logGroups: LogGroupInfo[]; nextToken?: string }>('/v1/logs/DescribeLogGroups', { ...(prefix ? { logGroupNamePrefix: prefix } : {}), nextToken: pages.next });
      setPages((p) => (p.key === prefix ? { key: prefix, groups: [...p.groups, ...r.logGroups], ...(r.nextToken ? { next: r.nextToken } : {}), loading: false } : p));
    } catch (error) {
      setPages((p) => ({ ...p, error }));
    } finally {
      setMore(false);
    }
  };

  return (
    <section>
      <h1 tabIndex={-1}>Log groups</h1>
      <p class="lede">Flow logs to CloudWatch Logs deliver here: one group per flow log destination, one stream per network interface.</p>
      <form class="toolbar" role="search" onSubmit={(e) => { e.preventDefault(); setParams({ prefix: draft.trim() }); }}>
        <Field label="Log group name prefix" hint="Lists the groups whose names start with this (searched on the server).">
          {(p) => <input {...p} type="search" value={draft} placeholder="/vpc/" onInput={(e) => setDraft((e.target as HTMLInputElement).value)} />}
        </Field>
        <button type="submit">Search</button>
        {prefix && <button type="button" onClick={() => setParams({ prefix: undefined })}>Clear</button>}
      </form>
      {pages.error !== undefined && <ErrorBox error={pages.error} title="The log groups could not be listed" />}
      {pages.loading ? <Loading label="Listing log groups" /> : pages.groups.length === 0 && pages.error === undefined ? (
        prefix ? <Empty>No log group name starts with “{prefix}”.</Empty> : (
          <Empty>No log groups yet — <Link to={['flow-logs']}>create a flow log to CloudWatch Logs</Link>; its group appears here once records are delivered.</Empty>
        )
      ) : (
        <section class="table-panel" aria-label="Log groups">
          <div class="table-toolbar"><h2>Log groups <span class="count">({pages.groups.length}{pages.next ? '+' : ''})</span></h2></div>
          <div class="table-scroll">
            <table>
              <thead><tr><th scope="col">Log group</th><th scope="col">Retention</th><th scope="col" class="num">Metric filters</th><th scope="col" class="num">Stored bytes</th><th scope="col">Creation time</th></tr></thead>
              <tbody>
                {pages.groups.map((g) => (
                  <tr key={g.logGroupName}>
                    <td class="wrap"><Link to={['log-groups', g.logGroupName]}>{g.logGroupName}</Link></td>
                    <td>{retentionText(g.retentionInDays)}</td>
                    <td class="num">{formatNumber(g.metricFilterCount)}</td>
                    <td class="num" title={`${formatNumber(g.storedBytes)} bytes`}>{formatBytes(g.storedBytes)}</td>
                    <td>{formatTime(g.creationTime)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
      {pages.next && <button type="button" onClick={() => void loadMore()} disabled={more}>{more ? 'Loading…' : 'Load more'}</button>}
    </section>
  );
}

// ---------------------------------------------------------------------------------------------
// One log group

/** The group's details: DescribeLogGroups with its name as prefix lists it first (names sort by prefix). */
async function describeGroup(name: string, signal: AbortSignal): Promise<LogGroupInfo> {
  const r = await call<{ logGroups: LogGroupInfo[] }>('/v1/logs/DescribeLogGroups', { logGroupNamePrefix: name, limit: 1 }, { signal });
  const g = r.logGroups[0];
  if (!g || g.logGroupName !== name) throw new ApiError('ResourceNotFoundException', `The log group ${name} does not exist (yet): a flow log's group is created when its first records are delivered.`, 400);
  return g;
}

/** The flow logs delivering to a group, and the field lists of their formats. */
function useFlowLogFormats(group: string) {
  return useAsync(async (signal) => {
    try {
      const r = await call<{ FlowLogs: FlowLogItem[] }>('/v1/ec2/DescribeFlowLogs', { Filter: [{ Name: 'log-group-name', Values: [group] }] }, { signal });
      const flowLogs = r.FlowLogs.filter((f) => f.LogGroupName === group);
      const formats: string[][] = [];
      for (const f of flowLogs) {
        const fields = fieldsOfFormat(f.LogFormat);
        if (fields && !formats.some((x) => x.join(' ') === fields.join(' '))) formats.push(fields);
      }
      return { flowLogs, formats, error: undefined as unknown };
    } catch (error) {
      // The records are still readable: columns fall back to numbered fields, and the page says why.
      return { flowLogs: [] as FlowLogItem[], formats: [] as string[][], error };
    }
  }, [group]);
}

function RetentionEditor({ group, onSaved }: { group: LogGroupInfo; onSaved: () => void }) {
  const current = group.retentionInDays === undefined ? 'never' : String(group.retentionInDays);
  const [draft, setDraft] = useDraft(current);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [saved, setSaved] = useState('');
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setSaved('');
    try {
      if (draft === 'never') await call('/v1/logs/DeleteRetentionPolicy', { logGroupName: group.logGroupName });
      else await call('/v1/logs/PutRetentionPolicy', { logGroupName: group.logGroupName, retentionInDays: Number(draft) });
      setSaved(`Retention set to ${draft === 'never' ? 'Never expire' : retentionText(Number(draft))}.`);
      onSaved();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="retention-form" onSubmit={save}>
      <Field label="Retention" error={error} hint="Events older than this are deleted (checked hourly).">
        {(p) => (
          <select {...p} value={draft} onChange={(e) => setDraft((e.target as HTMLSelectElement).value)}>
            <option value="never">Never expire</option>
            {RETENTION_DAYS.map((d) => <option value={String(d)}>{retentionText(d)}</option>)}
          </select>
        )}
      </Field>
      <button type="submit" disabled={busy || draft === current}>{busy ? 'Saving…' : 'Save retention'}</button>
      <span role="status" class="saved">{saved}</span>
    </form>
  );
}

export function LogGroup({ name }: { name: string }) {
  const tab = route.value.path[2] === 'search' ? 'search' : 'streams';
  const info = useAsync((signal) => describeGroup(name, signal), [name]);
  const formats = useFlowLogFormats(name);
  return (
    <section>
      <Crumbs items={[{ label: 'Log groups', to: ['log-groups'] }, { label: name }]} />
      <div class="page-head">
        <h1 tabIndex={-1} class="wrap-name">{name}</h1>
        <Link class="button primary" to={['log-groups', name, 'tail']}>Live tail</Link>
      </div>
      <AsyncView value={info} label="Reading the log group">
        {(g) => (
          <>
            <Details items={[
              ['ARN', <span class="mono">{g.logGroupArn}</span>],
              ['Retention', retentionText(g.retentionInDays)],
              ['Stored bytes', `${formatBytes(g.storedBytes)} (${formatNumber(g.storedBytes)} bytes)`],
              ['Creation time', formatTime(g.creationTime)],
              ['Metric filters', formatNumber(g.metricFilterCount)],
              ['Flow logs delivering here', formats.data ? (formats.data.flowLogs.length ? formats.data.flowLogs.map((f) => `${f.FlowLogId} (${f.ResourceId})`).join(', ') : 'none now') : '…'],
            ]} />
            <RetentionEditor group={g} onSaved={info.reload} />
          </>
        )}
      </AsyncView>
      <Tabs label="Log group views" current={tab} tabs={[
        { id: 'streams', label: 'Log streams', to: ['log-groups', name] },
        { id: 'search', label: 'Search log group', to: ['log-groups', name, 'search'] },
      ]} />
      {tab === 'streams' ? <StreamList group={name} /> : <EventsView group={name} />}
    </section>
  );
}

function StreamList({ group }: { group: string }) {
  const [state, setState] = useState<{ streams: LogStreamInfo[]; next?: string; error?: unknown; loading: boolean }>({ streams: [], loading: true });
  const [more, setMore] = useState(false);
  const request = (nextToken?: string) => call<{ logStreams: LogStreamInfo[]; nextToken?: string }>('/v1/logs/DescribeLogStreams', {
    logGroupName: group, orderBy: 'LastEventTime', descending: true, limit: 50, ...(nextToken ? { nextToken } : {}),
  });
  useEffect(() => {
    let live = true;
    setState({ streams: [], loading: true });
    request().then(
      (r) => live && setState({ streams: r.logStreams, ...(r.nextToken ? { next: r.nextToken } : {}), loading: false }),
      (error) => live && setState({ streams: [], error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [group]);
  const loadMore = async () => {
    setMore(true);
    try {
      const r = await request(state.next);
      setState((s) => ({ streams: [...s.streams, ...r.logStreams], ...(r.nextToken ? { next: r.nextToken } : {}), loading: false }));
    } catch (error) {
      setState((s) => ({ ...s, error }));
    } finally {
      setMore(false);
    }
  };
  if (state.loading) return <Loading label="Listing log streams" />;
  return (
    <>
      <ErrorBox error={state.error} title="The log streams could not be listed" />
      {state.streams.length === 0 && state.error === undefined ? (
        <Empty>No log streams yet: each network interface's stream appears with its first delivered records.</Empty>
      ) : state.streams.length > 0 && (
        <section class="table-panel" aria-label="Log streams">
          <div class="table-toolbar"><h2>Log streams <span class="count">({state.streams.length}{state.next ? '+' : ''})</span></h2><span class="hint">Most recent events first</span></div>
          <div class="table-scroll">
            <table>
              <thead><tr><th scope="col">Log stream</th><th scope="col">First event</th><th scope="col">Last event</th><th scope="col">Last ingestion</th></tr></thead>
              <tbody>
                {state.streams.map((s) => (
                  <tr key={s.logStreamName}>
                    <td class="wrap"><Link to={['log-groups', group, 'streams', s.logStreamName]}>{s.logStreamName}</Link></td>
                    <td>{formatTime(s.firstEventTimestamp)}</td>
                    <td>{formatTime(s.lastEventTimestamp)}</td>
                    <td>{formatTime(s.lastIngestionTime)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
      {state.next && <button type="button" onClick={() => void loadMore()} disabled={more}>{more ? 'Loading…' : 'Load more'}</button>}
    </>
  );
}

export function LogStream({ group, stream: streamName }: { group: string; stream: string }) {
  return (
    <section>
      <Crumbs items={[{ label: 'Log groups', to: ['log-groups'] }, { label: group, to: ['log-groups', group] }, { label: streamName }]} />
      <div class="page-head">
        <h1 tabIndex={-1} class="wrap-name">{streamName}</h1>
        <Link class="button" to={['log-groups', group, 'tail']}>Live tail</Link>
      </div>
      <EventsView group={group} stream={streamName} />
    </section>
  );
}

function Crumbs({ items }: { items: { label: string; to?: (string | number)[] }[] }) {
  return (
    <nav aria-label="Breadcrumbs" class="crumbs">
      <ol>
        {items.map((i, n) => (
          <li>{i.to ? <Link to={i.to}>{i.label}</Link> : <span aria-current={n === items.length - 1 ? 'page' : undefined}>{i.label}</span>}</li>
        ))}
      </ol>
    </nav>
  );
}

// ---------------------------------------------------------------------------------------------
// Filter pattern box (events search and live tail)

/** Whether an API error is the server's verdict on the filter pattern (shown at the box). */
function patternError(e: unknown): string | undefined {
  if (!(e instanceof ApiError) || e.code !== 'InvalidParameterException') return undefined;
  return errorPosition(e.message) || /filter ?pattern/i.test(e.message) ? e.message : undefined;
}

function PatternBox({ applied, error, onApply, buttonLabel }: { applied: string; error: string | undefined; onApply: (pattern: string) => void; buttonLabel: string }) {
  const [draft, setDraft] = useDraft(applied);
  const input = useRef<HTMLInputElement>(null);
  const where = error ? errorPosition(error) : undefined;
  useEffect(() => {
    // Put the caret on the character the server complained about, so the fix starts there.
    const el = input.current;
    if (el && where && el.value === applied) {
      const at = Math.min(where.position, applied.length);
      el.setSelectionRange(at, Math.min(at + 1, applied.length));
    }
  }, [error, applied]);
  return (
    <form class="pattern-form" role="search" onSubmit={(e) => { e.preventDefault(); onApply(draft.trim()); }}>
      <Field label="Filter pattern" error={error} hint="CloudWatch Logs syntax: a term (REJECT), or fields in [...] such as [version, account, eni, srcaddr = 10.0.2.*, ..., action = REJECT, status]. Empty matches every event.">
        {(p) => (
          <input {...p} ref={input} class="pattern-input mono" type="text" spellcheck={false} autocomplete="off" value={draft}
            placeholder="[version, accountid, interfaceid, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action = REJECT, logstatus]"
            onInput={(e) => setDraft((e.target as HTMLInputElement).value)} />
        )}
      </Field>
      {where && (
        <p class="pattern-where">
          At character {where.position + 1}: <code>{applied.slice(0, where.position)}<mark>{where.position < applied.length ? applied[where.position] : '␣'}</mark>{applied.slice(where.position + 1)}</code>
        </p>
      )}
      <div class="pattern-buttons">
        <button type="submit" class="primary">{buttonLabel}</button>
        {applied && <button type="button" onClick={() => { setDraft(''); onApply(''); }}>Clear pattern</button>}
      </div>
    </form>
  );
}

// ---------------------------------------------------------------------------------------------
// Events: one stream's, or the whole group's (FilterLogEvents)

const PRESETS: { label: string; value: string; ms: number }[] = [
  { label: 'Last 5 minutes', value: '-5m', ms: 5 * 60_000 },
  { label: 'Last hour', value: '-1h', ms: 3600_000 },
  { label: 'Last day', value: '-1d', ms: 86_400_000 },
];

/** A range end from the URL: a preset (-5m), an ISO time or datetime-local text (UTC), or none. */
function resolveTime(text: string, now: number): number | undefined {
  if (!text) return undefined;
  const preset = PRESETS.find((p) => p.value === text);
  if (preset) return now - preset.ms;
  const ms = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(text) ? text : `${text}Z`);
  return Number.isFinite(ms) ? ms : undefined;
}

/** datetime-local's value for a URL time (UTC), '' for presets and none. */
const localInput = (text: string): string => {
  if (!text || text.startsWith('-')) return '';
  const ms = resolveTime(text, 0);
  return ms === undefined ? '' : new Date(ms).toISOString().slice(0, 16);
};

function TimeRange({ start, end }: { start: string; end: string }) {
  const [from, setFrom] = useDraft(localInput(start));
  const [to, setTo] = useDraft(localInput(end));
  return (
    <fieldset class="time-range">
      <legend>Time range</legend>
      <div class="choices" role="group" aria-label="Time range presets">
        {PRESETS.map((p) => (
          <button type="button" aria-pressed={start === p.value && !end} onClick={() => setParams({ start: p.value, end: undefined })}>{p.label}</button>
        ))}
        <button type="button" aria-pressed={!start && !end} onClick={() => setParams({ start: undefined, end: undefined })}>All time</button>
      </div>
      <form class="custom-range" onSubmit={(e) => { e.preventDefault(); setParams({ start: from || undefined, end: to || undefined }); }}>
        <Field label="Start (UTC)">{(p) => <input {...p} type="datetime-local" value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} />}</Field>
        <Field label="End (UTC)">{(p) => <input {...p} type="datetime-local" value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} />}</Field>
        <button type="submit">Apply range</button>
      </form>
    </fieldset>
  );
}

interface EventsState {
  key: string;
  events: LogEvent[];
  next?: string;
  range: { startTime?: number; endTime?: number };
  loading: boolean;
  error?: unknown;
}

function EventsView({ group, stream: streamName }: { group: string; stream?: string }) {
  const params = route.value.params;
  const pattern = params.get('pattern') ?? '';
  const start = params.get('start') ?? '';
  const end = params.get('end') ?? '';
  const raw = params.get('raw') === '1';
  const formats = useFlowLogFormats(group);
  const key = JSON.stringify([group, streamName ?? null, pattern, start, end]);
  const [state, setState] = useState<EventsState>({ key: '', events: [], range: {}, loading: true });
  const [more, setMore] = useState(false);

  const request = (range: EventsState['range'], nextToken?: string, signal?: AbortSignal) => call<{ events: LogEvent[]; nextToken?: string }>('/v1/logs/FilterLogEvents', {
    logGroupName: group,
    ...(streamName !== undefined ? { logStreamNames: [streamName] } : {}),
    ...(pattern ? { filterPattern: pattern } : {}),
    ...range,
    limit: PAGE_EVENTS,
    ...(nextToken ? { nextToken } : {}),
  }, signal ? { signal } : {});

  useEffect(() => {
    const ac = new AbortController();
    const now = Date.now();
    const s = resolveTime(start, now);
    const e = resolveTime(end, now);
    const range = { ...(s !== undefined ? { startTime: s } : {}), ...(e !== undefined ? { endTime: e } : {}) };
    setState({ key, events: [], range, loading: true });
    request(range, undefined, ac.signal).then(
      (r) => !ac.signal.aborted && setState({ key, events: r.events, range, ...(r.nextToken ? { next: r.nextToken } : {}), loading: false }),
      (error) => !ac.signal.aborted && setState({ key, events: [], range, error, loading: false }),
    );
    return () => ac.abort();
  }, [key]);

  const loadMore = async () => {
    if (!state.next) return;
    setMore(true);
    try {
      const r = await request(state.range, state.next);
      setState((s) => (s.key === key ? { ...s, events: [...s.events, ...r.events], next: r.nextToken, loading: false } : s));
    } catch (error) {
      setState((s) => ({ ...s, error }));
    } finally {
      setMore(false);
    }
  };

  const columns = useMemo(() => recordColumns(formats.data?.formats ?? [], state.events.slice(0, 200).map((e) => e.message)), [formats.data, state.events]);
  const badPattern = patternError(state.error);

  return (
    <section class="events" aria-label={streamName === undefined ? 'Search log group' : 'Log events'}>
      <PatternBox applied={pattern} error={badPattern} buttonLabel="Search" onApply={(p) => setParams({ pattern: p || undefined })} />
      <TimeRange start={start} end={end} />
      {state.error !== undefined && !badPattern && <ErrorBox error={state.error} title="The events could not be read" />}
      {state.loading || !formats.data ? <Loading label="Searching events" /> : state.error !== undefined ? null : (
        <RecordTable
          caption={streamName === undefined ? 'Events of every stream' : 'Events'}
          rows={state.events}
          columns={columns}
          raw={raw}
          showStream={streamName === undefined}
          formatsNote={<FormatNote value={formats.data} columns={columns} />}
          toggle={<RawToggle raw={raw} onChange={(v) => setParams({ raw: v ? '1' : undefined })} />}
          empty={pattern || start || end
            ? 'No events match this filter pattern and time range. Widen the range or change the pattern.'
            : 'No events yet: records arrive when traffic is ingested (vpcflow ingest) or observed live.'}
          more={state.next ? <button type="button" onClick={() => void loadMore()} disabled={more}>{more ? 'Loading…' : 'Load more'}</button> : undefined}
        />
      )}
    </section>
  );
}

function RawToggle({ raw, onChange }: { raw: boolean; onChange: (raw: boolean) => void }) {
  return (
    <label class="raw-toggle">
      <input type="checkbox" checked={raw} onChange={(e) => onChange((e.target as HTMLInputElement).checked)} />
      Show raw messages
    </label>
  );
}

function FormatNote({ value, columns }: { value: { flowLogs: FlowLogItem[]; error: unknown } | undefined; columns: RecordColumns }) {
  if (!value) return null;
  if (value.error) return <span class="hint">Columns are numbered: the flow logs could not be read ({errorText(value.error)}).</span>;
  if (columns.fromFormat) return <span class="hint">Columns named from the format of {value.flowLogs.map((f) => f.FlowLogId).join(', ')}.</span>;
  return <span class="hint">{value.flowLogs.length ? 'These messages do not fit the format of the flow logs delivering here: columns are numbered.' : 'No flow log delivers to this group now: columns are numbered.'}</span>;
}

interface RecordRow {
  eventId: string;
  timestamp: number;
  logStreamName: string;
  message: string;
}

function RecordTable({ caption, rows, columns, raw, showStream, formatsNote, toggle, empty, more }: {
  caption: string;
  rows: readonly RecordRow[];
  columns: RecordColumns;
  raw: boolean;
  showStream: boolean;
  formatsNote?: ComponentChildren;
  toggle?: ComponentChildren;
  empty?: string | undefined;
  more?: ComponentChildren;
}) {
  const width = (raw ? 1 : columns.names.length) + (showStream ? 2 : 1);
  return (
    <section class="table-panel records" aria-label={caption}>
      <div class="table-toolbar">
        <h2>{caption} <span class="count">({formatNumber(rows.length)})</span></h2>
        <div class="toolbar-right">{formatsNote}{toggle}</div>
      </div>
      {rows.length === 0 ? (empty ? <Empty>{empty}</Empty> : null) : (
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Timestamp</th>
                {showStream && <th scope="col">Stream</th>}
                {raw ? <th scope="col">Message</th> : columns.names.map((n) => <th scope="col" class={NUMERIC_FIELDS.has(n) ? 'num' : undefined}>{n}</th>)}
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => {
                const cells = raw ? null : columns.cells(r.message);
                return (
                  <tr key={r.eventId}>
                    <td>{formatTime(r.timestamp)}</td>
                    {showStream && <td>{r.logStreamName}</td>}
                    {raw || !cells ? (
                      <td class="message" colSpan={width - (showStream ? 2 : 1)}>
                        {r.message}
                        {!raw && <span class="visually-hidden"> (this line does not fit the columns)</span>}
                      </td>
                    ) : cells.map((v, i) => {
                      const name = columns.names[i] ?? '';
                      const cls = [cellClass(name, v), NUMERIC_FIELDS.has(name) ? 'num' : ''].filter(Boolean).join(' ');
                      const secs = TIME_FIELDS.has(name) && /^\d{1,12}$/.test(v) ? Number(v) * 1000 : undefined;
                      return <td class={cls || undefined} title={secs !== undefined ? formatTime(secs) : undefined}>{v}</td>;
                    })}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {more && <div class="more">{more}</div>}
    </section>
  );
}

// ---------------------------------------------------------------------------------------------
// Live tail

type TailStatus =
  | { kind: 'connecting' }
  | { kind: 'waiting'; message: string }
  | { kind: 'live' }
  | { kind: 'stopped'; message?: string }
  | { kind: 'error'; error: unknown };

const WAIT_RETRY_MS = 3000;

function isTailEvent(v: unknown): v is LogEvent {
  if (!v || typeof v !== 'object') return false;
  const e = v as Record<string, unknown>;
  return typeof e.eventId === 'string' && typeof e.message === 'string' && typeof e.timestamp === 'number' && typeof e.logStreamName === 'string';
}

/**
 * Newest records at the top: new lines appear where the eye is, without scrolling, and the
 * oldest fall off the bottom once TAIL_MAX_ROWS are shown.
 */
export function LiveTail({ group }: { group: string }) {
  const pattern = route.value.params.get('pattern') ?? '';
  const raw = route.value.params.get('raw') === '1';
  const formats = useFlowLogFormats(group);
  const [status, setStatus] = useState<TailStatus>({ kind: 'connecting' });
  const [rows, setRows] = useState<LogEvent[]>([]);
  const [running, setRunning] = useState(true);
  const [paused, setPaused] = useState(false);
  const [pendingCount, setPendingCount] = useState(0);
  const [received, setReceived] = useState(0);
  // Lines arrive faster than a render: they are gathered here and shown at most every 100 ms.
  const incoming = useRef<LogEvent[]>([]);
  const pending = useRef<LogEvent[]>([]);
  const pausedRef = useRef(false);
  // Event ids already taken in: a restart replays the last minute, which must not show twice.
  const seen = useRef(new Set<string>());
  const shownPattern = useRef(pattern);
  const rowsRef = useRef<LogEvent[]>([]);
  rowsRef.current = rows;
  const flushTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const flush = () => {
    flushTimer.current = undefined;
    const batch = incoming.current;
    incoming.current = [];
    if (!batch.length) return;
    const newestFirst = batch.slice(-TAIL_MAX_ROWS).reverse();
    setReceived((n) => n + batch.length);
    if (pausedRef.current) {
      pending.current = [...newestFirst, ...pending.current].slice(0, TAIL_MAX_ROWS);
      setPendingCount((n) => n + batch.length);
    } else {
      setRows((r) => [...newestFirst, ...r].slice(0, TAIL_MAX_ROWS));
    }
  };

  useEffect(() => {
    if (!running) return;
    if (shownPattern.current !== pattern) {
      // Rows of another pattern would read as matches of this one.
      shownPattern.current = pattern;
      incoming.current = [];
      pending.current = [];
      seen.current = new Set();
      setRows([]);
      setPendingCount(0);
    }
    const ac = new AbortController();
    let retry: ReturnType<typeof setTimeout> | undefined;
    const body = { logGroupName: group, ...(pattern ? { filterPattern: pattern } : {}) };
    const startTime = Date.now() - 60_000;
    const open = async (): Promise<void> => {
      setStatus({ kind: 'connecting' });
      try {
        // The tail route checks the group and the pattern before it streams; asking first gives
        // those answers (a group not created yet, a bad pattern) a clear place on the page.
        await call('/v1/logs/FilterLogEvents', { ...body, startTime: Date.now(), limit: 1 }, { signal: ac.signal });
      } catch (e) {
        if (ac.signal.aborted) return;
        if (e instanceof ApiError && e.code === 'ResourceNotFoundException') {
          setStatus({ kind: 'waiting', message: `Waiting for ${group} to receive its first records (the group is created when a flow log first delivers to it).` });
          retry = setTimeout(() => void open(), WAIT_RETRY_MS);
          return;
        }
        setStatus({ kind: 'error', error: e });
        return;
      }
      try {
        await stream('/v1/vpcflow/Tail', { ...body, startTime, follow: true }, (line) => {
          if (!isTailEvent(line) || seen.current.has(line.eventId)) return;
          if (seen.current.size >= 4 * TAIL_MAX_ROWS) {
            // Bounded: only ids still held can come back in a replay worth suppressing.
            seen.current = new Set([...rowsRef.current, ...pending.current, ...incoming.current].map((e) => e.eventId));
          }
          seen.current.add(line.eventId);
          incoming.current.push(line);
          if (incoming.current.length > 4 * TAIL_MAX_ROWS) incoming.current = incoming.current.slice(-TAIL_MAX_ROWS);
          flushTimer.current ??= setTimeout(flush, 100);
        }, ac.signal, () => setStatus({ kind: 'live' }));
        if (!ac.signal.aborted) setStatus({ kind: 'stopped', message: 'The server ended the stream.' });
      } catch (e) {
        if (!ac.signal.aborted) setStatus({ kind: 'error', error: e });
      }
    };
    void open();
    return () => {
      ac.abort();
      if (retry) clearTimeout(retry);
      if (flushTimer.current) clearTimeout(flushTimer.current);
      flushTimer.current = undefined;
      flush();
    };
  }, [group, pattern, running]);

  const pause = () => {
    pausedRef.current = true;
    setPaused(true);
  };
  const resume = () => {
    pausedRef.current = false;
    setPaused(false);
    const waiting = pending.current;
    pending.current = [];
    setPendingCount(0);
    setRows((r) => [...waiting, ...r].slice(0, TAIL_MAX_ROWS));
  };
  const clear = () => {
    // Cleared rows stay in `seen` (until the bounded set is rebuilt): a restart's replay does not bring them back.
    pending.current = [];
    setPendingCount(0);
    setRows([]);
  };
  const stop = () => {
    setRunning(false);
    setStatus({ kind: 'stopped' });
  };
  const start = () => {
    setRunning(true);
  };

  const columns = useMemo(() => recordColumns(formats.data?.formats ?? [], rows.slice(0, 200).map((e) => e.message)), [formats.data, rows]);
  const badPattern = status.kind === 'error' ? patternError(status.error) : undefined;
  const statusText = status.kind === 'connecting' ? 'Connecting…'
    : status.kind === 'waiting' ? status.message
    : status.kind === 'live' ? (paused ? `Live, paused: ${formatNumber(pendingCount)} new` : 'Live')
    : status.kind === 'stopped' ? `Stopped${status.message ? `: ${status.message}` : ''}`
    : `Error: ${errorText(status.error)}`;

  return (
    <section>
      <Crumbs items={[{ label: 'Log groups', to: ['log-groups'] }, { label: group, to: ['log-groups', group] }, { label: 'Live tail' }]} />
      <h1 tabIndex={-1} class="wrap-name">Live tail: {group}</h1>
      <p class="lede">Records of the last minute, then each new one as it is delivered; newest at the top, the last {formatNumber(TAIL_MAX_ROWS)} kept.</p>
      <PatternBox applied={pattern} error={badPattern} buttonLabel="Apply pattern" onApply={(p) => setParams({ pattern: p || undefined })} />
      <div class="tail-bar">
        <p role="status" aria-live="polite" class={`tail-status tail-${status.kind}`}>
          <span class="dot" aria-hidden="true" />{statusText}
        </p>
        <div class="buttons">
          {running ? (paused
            ? <button type="button" onClick={resume}>Resume{pendingCount ? ` (${formatNumber(pendingCount)} new)` : ''}</button>
            : <button type="button" onClick={pause} disabled={status.kind !== 'live'}>Pause</button>) : null}
          {running ? <button type="button" onClick={stop}>Stop</button> : <button type="button" class="primary" onClick={start}>Start</button>}
          <button type="button" onClick={clear} disabled={rows.length === 0 && pendingCount === 0}>Clear</button>
        </div>
      </div>
      {status.kind === 'error' && !badPattern && <ErrorBox error={status.error} title="The live tail stopped" />}
      {/* Columns are named from the flow logs' formats: the table waits for them rather than renaming its columns under the reader. */}
      {!formats.data ? <Loading label="Reading the flow log formats" /> : <RecordTable
        caption="Tailed records"
        rows={rows}
        columns={columns}
        raw={raw}
        showStream
        formatsNote={<>
          <span class="hint">{formatNumber(received)} received</span>
          <FormatNote value={formats.data} columns={columns} />
        </>}
        toggle={<RawToggle raw={raw} onChange={(v) => setParams({ raw: v ? '1' : undefined })} />}
        empty={status.kind === 'live' ? (paused ? 'Paused: new records are counted above and shown on Resume.' : (received === 0 ? 'No records in the last minute yet: new ones appear here as they are delivered.' : 'Cleared: new records appear here as they are delivered.')) : undefined}
      />}
    </section>
  );
}
