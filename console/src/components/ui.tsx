// Building blocks every page uses: loading and error states, empty states that say what to do
// next, a filterable table, labelled form fields, key/value details, tabs and the typed delete
// confirmation. Everything user data reaches is rendered as text (JSX escapes it); nothing here
// sets innerHTML.

import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api.ts';
import { href } from '../router.ts';

export interface Async<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Runs fn when deps change (and on reload); a stale answer never overwrites a newer one. */
export function useAsync<T>(fn: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Async<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const ac = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    fn(ac.signal).then(
      (data) => !ac.signal.aborted && setState({ data, error: undefined, loading: false }),
      (error) => !ac.signal.aborted && setState({ data: undefined, error, loading: false }),
    );
    return () => ac.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return `${e.code}: ${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
}

export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  return (
    <div class="error-box" role="alert">
      <strong>{title ?? 'Something went wrong'}</strong>
      <div>{errorText(error)}</div>
    </div>
  );
}

export function Loading({ label = 'Loading' }: { label?: string }) {
  return (
    <div class="loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      {label}…
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty" role="note">{children}</div>;
}

/** Shows loading, error or the content of an async value. */
export function AsyncView<T>({ value, label, children }: { value: Async<T>; label?: string; children: (data: T) => ComponentChildren }) {
  if (value.error) return <ErrorBox error={value.error} />;
  if (value.data === undefined) return <Loading {...(label ? { label } : {})} />;
  return <>{children(value.data)}</>;
}

export interface Column<R> {
  label: string;
  /** The cell's text, also what the filter box searches. */
  text: (row: R) => string;
  /** A richer cell (a link); defaults to the text. */
  render?: (row: R) => ComponentChildren;
  numeric?: boolean;
}

/** A table with a filter box over every cell's text (AWS's list pages). */
export function DataTable<R>({ caption, columns, rows, rowKey, noun, empty, actions }: {
  caption: string;
  columns: Column<R>[];
  rows: R[];
  rowKey: (row: R) => string;
  noun: string;
  empty?: ComponentChildren;
  actions?: ComponentChildren;
}) {
  const [filter, setFilter] = useState('');
  const id = useId();
  const shown = useMemo(() => {
    const words = filter.toLowerCase().split(/\s+/).filter(Boolean).slice(0, 20);
    if (!words.length) return rows;
    return rows.filter((r) => {
      const text = columns.map((c) => c.text(r)).join(' ').toLowerCase();
      return words.every((w) => text.includes(w));
    });
  }, [rows, filter, columns]);
  return (
    <section class="table-panel" aria-label={caption}>
      <div class="table-toolbar">
        <h2>{caption} <span class="count">({shown.length === rows.length ? rows.length : `${shown.length} of ${rows.length}`})</span></h2>
        <div class="toolbar-right">
          <label class="filter" for={id}>
            <span class="visually-hidden">Filter {noun}</span>
            <input id={id} type="search" placeholder={`Filter ${noun}`} value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
          </label>
          {actions}
        </div>
      </div>
      {rows.length === 0 ? (
        <Empty>{empty ?? `No ${noun} yet.`}</Empty>
      ) : (
        <div class="table-scroll">
          <table>
            <thead>
              <tr>{columns.map((c) => <th scope="col" class={c.numeric ? 'num' : undefined}>{c.label}</th>)}</tr>
            </thead>
            <tbody>
              {shown.map((r) => (
                <tr key={rowKey(r)}>{columns.map((c) => <td class={c.numeric ? 'num' : undefined}>{c.render ? c.render(r) : c.text(r)}</td>)}</tr>
              ))}
            </tbody>
          </table>
          {shown.length === 0 && <Empty>No {noun} match “{filter}”.</Empty>}
        </div>
      )}
    </section>
  );
}

export function Link({ to, params, children, class: className, title }: { to: (string | number)[]; params?: Record<string, string | number | undefined>; children: ComponentChildren; class?: string; title?: string }) {
  return <a href={href(to, params)} class={className} title={title}>{children}</a>;
}

/** A labelled form control with its error shown on the field (aria-invalid, aria-describedby). */
export function Field({ label, error, hint, children }: { label: string; error?: string | undefined; hint?: string; children: (props: { id: string; 'aria-invalid'?: 'true'; 'aria-describedby'?: string }) => ComponentChildren }) {
  const id = useId();
  const describedBy = [error ? `${id}-error` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ');
  return (
    <div class={`field${error ? ' has-error' : ''}`}>
      <label for={id}>{label}</label>
      {children({ id, ...(error ? { 'aria-invalid': 'true' as const } : {}), ...(describedBy ? { 'aria-describedby': describedBy } : {}) })}
      {hint && <div class="hint" id={`${id}-hint`}>{hint}</div>}
      {error && <div class="field-error" id={`${id}-error`} role="alert">{error}</div>}
    </div>
  );
}

export function Details({ items }: { items: [string, ComponentChildren][] }) {
  return (
    <dl class="details">
      {items.map(([k, v]) => (
        <div class="detail">
          <dt>{k}</dt>
          <dd>{v === '' || v === null || v === undefined ? '–' : v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Tabs as links, so each tab has its own URL. */
export function Tabs({ label, tabs, current }: { label: string; tabs: { id: string; label: string; to: (string | number)[] }[]; current: string }) {
  return (
    <nav class="tabs" aria-label={label}>
      {tabs.map((t) => (
        <a href={href(t.to)} aria-current={t.id === current ? 'page' : undefined} class={t.id === current ? 'tab current' : 'tab'}>{t.label}</a>
      ))}
    </nav>
  );
}

/** A modal dialog that asks the user to type "delete" before the destructive action runs. */
export function ConfirmDelete({ title, body, onConfirm, onClose }: { title: string; body: ComponentChildren; onConfirm: () => Promise<void>; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const id = useId();
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const run = async (e: Event) => {
    e.preventDefault();
    if (typed !== 'delete') return;
    setBusy(true);
    setError(undefined);
    try {
      await onConfirm();
      ref.current?.close();
      onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <dialog ref={ref} class="dialog" aria-labelledby={`${id}-title`} onClose={onClose}>
      <form onSubmit={run}>
        <h2 id={`${id}-title`}>{title}</h2>
        <div>{body}</div>
        <label for={id}>To confirm, type <kbd>delete</kbd> in the field</label>
        <input id={id} value={typed} autocomplete="off" onInput={(e) => setTyped((e.target as HTMLInputElement).value)} />
        <ErrorBox error={error} />
        <div class="buttons">
          <button type="button" onClick={() => { ref.current?.close(); onClose(); }}>Cancel</button>
          <button type="submit" class="danger" disabled={typed !== 'delete' || busy}>{busy ? 'Deleting…' : 'Delete'}</button>
        </div>
      </form>
    </dialog>
  );
}

export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

export function formatNumber(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US');
}

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** The value of a tag key (Name) on an AWS-shaped resource. */
export function tagValue(tags: { Key: string; Value: string }[] | undefined, key = 'Name'): string {
  return tags?.find((t) => t.Key === key)?.Value ?? '';
}
