// The time range of an "answers" page (traffic, rejected, map) and its auto-refresh, both kept in
// the URL: a relative range as `range=1h` (it slides with the clock: a shared link means "the last
// hour" whenever it is opened), an absolute one as `start=…&end=…` (ISO UTC or epoch seconds), and
// `refresh=30s`. Times are UTC everywhere, so a link reads the same in every time zone.

import { useEffect, useId, useMemo, useState } from 'preact/hooks';
import { route, setParams } from '../router.ts';
import { formatTime } from './ui.tsx';

export interface Preset {
  id: string;
  label: string;
  seconds: number;
}

export const PRESETS: readonly Preset[] = [
  { id: '15m', label: 'Last 15 minutes', seconds: 15 * 60 },
  { id: '1h', label: 'Last hour', seconds: 3600 },
  { id: '6h', label: 'Last 6 hours', seconds: 6 * 3600 },
  { id: '24h', label: 'Last 24 hours', seconds: 24 * 3600 },
  { id: '7d', label: 'Last 7 days', seconds: 7 * 24 * 3600 },
];

export const REFRESH_CHOICES: readonly { id: string; label: string; seconds: number }[] = [
  { id: '', label: 'Off', seconds: 0 },
  { id: '10s', label: 'Every 10 seconds', seconds: 10 },
  { id: '30s', label: 'Every 30 seconds', seconds: 30 },
  { id: '1m', label: 'Every minute', seconds: 60 },
  { id: '5m', label: 'Every 5 minutes', seconds: 300 },
];

/** Record times are unsigned 32-bit epoch seconds (AWS's format): nothing outside can match. */
const MAX_TIME = 0xffff_ffff;
const EPOCH_SECONDS = /^[0-9]{1,10}$/;
// Anchored, no nested quantifiers: linear in the (short) input.
const ISO_TIME = /^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,3})?)?(Z|[+-][0-9]{2}:[0-9]{2})?$/;

/** Epoch seconds of a URL time (epoch seconds, or ISO 8601 read as UTC when it names no zone), or undefined. */
export function parseTime(text: string): number | undefined {
  const t = text.trim();
  if (t.length > 40) return undefined;
  if (EPOCH_SECONDS.test(t)) {
    const n = Number(t);
    return n <= MAX_TIME ? n : undefined;
  }
  if (!ISO_TIME.test(t)) return undefined;
  const zoned = /(Z|[+-][0-9]{2}:[0-9]{2})$/.test(t) ? t : `${t}Z`;
  const ms = Date.parse(zoned.replace(' ', 'T'));
  if (!Number.isFinite(ms)) return undefined;
  const s = Math.floor(ms / 1000);
  return s >= 0 && s <= MAX_TIME ? s : undefined;
}

/** `2024-05-01T10:00:00Z`: how absolute times are written into the URL. */
export function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The value of a datetime-local input (UTC) for epoch seconds. */
const inputTime = (seconds: number): string => new Date(seconds * 1000).toISOString().slice(0, 19);

export interface TimeRange {
  /** Epoch seconds, inclusive. */
  start: number;
  end: number;
  /** The preset id of a relative range; undefined for an absolute one. */
  preset?: string;
  /** For people: "Last hour" or "2024-05-01 10:00:00Z – 2024-05-01 11:00:00Z". */
  label: string;
}

export type RangeResult = { range: TimeRange; error?: undefined } | { range?: undefined; error: string };

/** The range the URL names, evaluated at `now` (epoch seconds); a typed error for a range that is not one. */
export function rangeFromParams(params: URLSearchParams, now: number, fallback: string): RangeResult {
  const start = params.get('start');
  const end = params.get('end');
  if (start !== null || end !== null) {
    const s = parseTime(start ?? '');
    const e = end === null || end === '' ? now : parseTime(end);
    if (s === undefined) return { error: `The start of the range, “${start ?? ''}”, is not a time: write epoch seconds or an ISO time such as 2024-05-01T10:00:00Z (UTC).` };
    if (e === undefined) return { error: `The end of the range, “${end ?? ''}”, is not a time: write epoch seconds or an ISO time such as 2024-05-01T11:00:00Z (UTC).` };
    if (s >= e) return { error: `The range starts (${formatTime(s * 1000)}) at or after its end (${formatTime(e * 1000)}): choose a start before the end.` };
    return { range: { start: s, end: e, label: `${formatTime(s * 1000)} – ${formatTime(e * 1000)}` } };
  }
  const id = params.get('range') ?? fallback;
  const preset = PRESETS.find((p) => p.id === id);
  if (!preset) return { error: `“${id}” is not a time range this console knows (${PRESETS.map((p) => p.id).join(', ')}).` };
  return { range: { start: Math.max(0, now - preset.seconds), end: now, preset: preset.id, label: preset.label } };
}

export interface TimeRangeState {
  result: RangeResult;
  /** Bumped by auto-refresh and the Refresh button: put it in the deps of every request of the page. */
  tick: number;
  refresh: () => void;
  refreshSeconds: number;
}

/**
 * The page's time range from the URL. "Now" of a relative range is fixed until the range changes or
 * the page refreshes (manually or by timer), so renders do not each ask the server again.
 */
export function useTimeRange(fallback = '1h'): TimeRangeState {
  const params = route.value.params;
  const key = `${params.get('range') ?? ''}|${params.get('start') ?? ''}|${params.get('end') ?? ''}`;
  const refreshId = params.get('refresh') ?? '';
  const refreshSeconds = REFRESH_CHOICES.find((c) => c.id === refreshId)?.seconds ?? 0;
  const [tick, setTick] = useState(0);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const now = useMemo(() => Math.min(MAX_TIME, Math.floor(Date.now() / 1000)), [key, tick]);
  useEffect(() => {
    if (refreshSeconds === 0) return;
    const timer = setInterval(() => {
      // A hidden tab asks nothing; it catches up when shown again (visibilitychange below).
      if (!document.hidden) setTick((t) => t + 1);
    }, refreshSeconds * 1000);
    const onShow = () => !document.hidden && setTick((t) => t + 1);
    document.addEventListener('visibilitychange', onShow);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onShow);
    };
  }, [refreshSeconds]);
  const result = useMemo(() => rangeFromParams(params, now, fallback), [key, now, fallback]);
  return { result, tick, refresh: () => setTick((t) => t + 1), refreshSeconds };
}

/** The range controls: a preset (or custom start/end, UTC), auto-refresh and a Refresh button. */
export function TimeRangePicker({ state, fallback = '1h', loading }: { state: TimeRangeState; fallback?: string; loading?: boolean }) {
  const id = useId();
  const params = route.value.params;
  const absolute = params.has('start') || params.has('end');
  const range = state.result.range;
  const [custom, setCustom] = useState(absolute);
  const [draft, setDraft] = useState(() => ({ start: range ? inputTime(range.start) : '', end: range ? inputTime(range.end) : '' }));
  const [draftError, setDraftError] = useState<string | undefined>(undefined);
  const selected = absolute || custom ? 'custom' : (params.get('range') ?? fallback);

  // The URL changed under the picker (history, a link): show what it now says.
  const startParam = params.get('start');
  const endParam = params.get('end');
  useEffect(() => {
    setCustom(absolute);
    if (absolute && range) setDraft({ start: inputTime(range.start), end: inputTime(range.end) });
    setDraftError(undefined);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [absolute, startParam, endParam]);

  const choosePreset = (value: string) => {
    if (value === 'custom') {
      if (range) setDraft({ start: inputTime(range.start), end: inputTime(range.end) });
      setDraftError(undefined);
      setCustom(true);
      return;
    }
    setCustom(false);
    setParams({ range: value, start: undefined, end: undefined });
  };

  const applyCustom = (e: Event) => {
    e.preventDefault();
    const s = parseTime(draft.start);
    const en = parseTime(draft.end);
    if (s === undefined || en === undefined) {
      setDraftError('Enter both a start and an end (UTC).');
      return;
    }
    if (s >= en) {
      setDraftError('The start must come before the end.');
      return;
    }
    setDraftError(undefined);
    setParams({ range: undefined, start: isoTime(s), end: isoTime(en) });
  };

  return (
    <form class="time-range" onSubmit={applyCustom}>
      <div class="field">
        <label for={`${id}-preset`}>Time range</label>
        <select id={`${id}-preset`} value={selected} onChange={(e) => choosePreset((e.target as HTMLSelectElement).value)}>
          {PRESETS.map((p) => <option value={p.id}>{p.label}</option>)}
          <option value="custom">Custom (start and end)</option>
        </select>
      </div>
      {(custom || absolute) && (
        <>
          <div class={`field${draftError ? ' has-error' : ''}`}>
            <label for={`${id}-start`}>Start (UTC)</label>
            <input id={`${id}-start`} type="datetime-local" step={1} value={draft.start}
              {...(draftError ? { 'aria-invalid': 'true', 'aria-describedby': `${id}-error` } : {})}
              onInput={(e) => setDraft({ ...draft, start: (e.target as HTMLInputElement).value })} />
          </div>
          <div class={`field${draftError ? ' has-error' : ''}`}>
            <label for={`${id}-end`}>End (UTC)</label>
            <input id={`${id}-end`} type="datetime-local" step={1} value={draft.end}
              {...(draftError ? { 'aria-invalid': 'true', 'aria-describedby': `${id}-error` } : {})}
              onInput={(e) => setDraft({ ...draft, end: (e.target as HTMLInputElement).value })} />
          </div>
          <button type="submit">Apply range</button>
        </>
      )}
      <div class="field">
        <label for={`${id}-refresh`}>Auto-refresh</label>
        <select id={`${id}-refresh`} value={params.get('refresh') ?? ''} onChange={(e) => setParams({ refresh: (e.target as HTMLSelectElement).value || undefined })}>
          {REFRESH_CHOICES.map((c) => <option value={c.id}>{c.label}</option>)}
        </select>
      </div>
      <button type="button" onClick={state.refresh} disabled={loading}>{loading ? 'Refreshing…' : 'Refresh'}</button>
      {draftError && <div class="field-error" id={`${id}-error`} role="alert">{draftError}</div>}
      {range && <p class="range-label hint">{range.label}{range.preset ? ` (until ${formatTime(range.end * 1000)})` : ''}</p>}
    </form>
  );
}
