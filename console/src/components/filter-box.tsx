// The typed filter expression box of the traffic pages (`action = REJECT and dstport in (22, 3389)`,
// the server's language: src/records/filter-expression.ts), and the small pieces of flow-record
// knowledge the answers pages share: which fields a view can split by, how a clicked value becomes
// a clause, protocol names.

import { useEffect, useId, useState } from 'preact/hooks';
import { ApiError } from '../api.ts';
import { errorText } from './ui.tsx';

/** Fields a series can be split by or a sankey can use, in the order people reach for them. */
export const SPLIT_FIELDS: readonly { name: string; label: string }[] = [
  { name: 'action', label: 'action (ACCEPT / REJECT)' },
  { name: 'srcaddr', label: 'srcaddr (source address)' },
  { name: 'dstaddr', label: 'dstaddr (destination address)' },
  { name: 'srcport', label: 'srcport (source port)' },
  { name: 'dstport', label: 'dstport (destination port)' },
  { name: 'protocol', label: 'protocol' },
  { name: 'interface-id', label: 'interface-id' },
  { name: 'subnet-id', label: 'subnet-id' },
  { name: 'instance-id', label: 'instance-id' },
  { name: 'vpc-id', label: 'vpc-id' },
  { name: 'flow-direction', label: 'flow-direction (ingress / egress)' },
  { name: 'traffic-path', label: 'traffic-path' },
  { name: 'pkt-srcaddr', label: 'pkt-srcaddr' },
  { name: 'pkt-dstaddr', label: 'pkt-dstaddr' },
  { name: 'tcp-flags', label: 'tcp-flags' },
  { name: 'type', label: 'type (IPv4 / IPv6)' },
  { name: 'log-status', label: 'log-status' },
  { name: 'az-id', label: 'az-id' },
  { name: 'account-id', label: 'account-id' },
];

export const isSplitField = (name: string): boolean => SPLIT_FIELDS.some((f) => f.name === name);

const PROTOCOLS: ReadonlyMap<number, string> = new Map([
  [1, 'ICMP'], [2, 'IGMP'], [4, 'IPv4'], [6, 'TCP'], [17, 'UDP'], [41, 'IPv6'], [47, 'GRE'], [50, 'ESP'], [51, 'AH'],
  [58, 'ICMPv6'], [89, 'OSPF'], [103, 'PIM'], [112, 'VRRP'], [132, 'SCTP'],
]);

/** `TCP` for 6; `protocol 253` for a number without a common name; `–` when absent. */
export function protocolName(p: number | string | null | undefined): string {
  if (p === null || p === undefined || p === '' || p === '-') return '–';
  const n = typeof p === 'number' ? p : Number(p);
  if (!Number.isInteger(n)) return String(p);
  return PROTOCOLS.get(n) ?? `protocol ${n}`;
}

// A bare word of the filter language ends at a space, a parenthesis, a comma, a quote or an
// operator character; these characters never do, and none starts a comment.
const BARE = /^[A-Za-z0-9.:/_][A-Za-z0-9.:/_-]*$/;
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'notin', 'like', 'unlike']);

/** A value as the filter language reads it back unchanged: bare when it can be, else a quoted string. */
export function filterLiteral(value: string | number): string {
  const s = String(value);
  if (BARE.test(s) && !KEYWORDS.has(s.toLowerCase())) return s;
  return `'${s.replaceAll("'", "''")}'`;
}

/** `srcaddr = 10.0.1.10` */
export function clause(field: string, value: string | number): string {
  return `${field} = ${filterLiteral(value)}`;
}

/** The filter narrowed by a clause (`… and clause`); unchanged when the clause is already one of its terms. */
export function addClause(filter: string, extra: string): string {
  const current = filter.trim();
  if (!current) return extra;
  // Terms between top-level-looking `and`s, compared with spaces normalised; quotes and
  // parentheses are not tracked, so this only avoids the obvious repeat.
  const words = current.split(/\s+/);
  const terms: string[] = [];
  let term: string[] = [];
  for (const w of words) {
    if (w.toLowerCase() === 'and') {
      terms.push(term.join(' '));
      term = [];
    } else term.push(w);
  }
  terms.push(term.join(' '));
  if (terms.includes(extra.split(/\s+/).join(' '))) return current;
  // An `or` binds looser than the added `and`: keep the user's expression whole.
  return words.some((w) => w.toLowerCase() === 'or') ? `(${current}) and ${extra}` : `${current} and ${extra}`;
}

export interface FilterProblem {
  message: string;
  /** 0-based character position of the offending part, and its length (0 = the end of the input). */
  position?: number;
  length?: number;
  expected?: string[];
}

/** The filter problem an API error describes, or undefined when the error is about something else. */
export function filterProblem(error: unknown): FilterProblem | undefined {
  if (!(error instanceof ApiError) || error.code !== 'InvalidFilterExpression') return undefined;
  const d = error.details ?? {};
  const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined);
  const expected = Array.isArray(d.Expected) ? d.Expected.filter((x): x is string => typeof x === 'string').slice(0, 20) : undefined;
  const position = num(d.Position ?? d.position);
  const length = num(d.Length ?? d.length);
  return { message: error.message, ...(position !== undefined ? { position } : {}), ...(length !== undefined ? { length } : {}), ...(expected ? { expected } : {}) };
}

/**
 * The filter input: Enter or Apply runs it (`onApply`), Clear empties it. `applied` is the expression
 * the page ran; `error` its problem, shown under the box with the offending part marked.
 */
export function FilterBox({ applied, onApply, error, label = 'Filter', placeholder = 'action = REJECT and dstport in (22, 3389) and srcaddr in 10.0.0.0/16' }: {
  applied: string;
  onApply: (filter: string) => void;
  error?: unknown;
  label?: string;
  placeholder?: string;
}) {
  const id = useId();
  const [draft, setDraft] = useState(applied);
  // The URL is the truth: a click elsewhere (legend, table, sankey) or history changes `applied`.
  useEffect(() => setDraft(applied), [applied]);
  const problem = filterProblem(error);
  const otherError = error && !problem ? errorText(error) : undefined;
  const describedBy = [`${id}-hint`, problem || otherError ? `${id}-error` : ''].filter(Boolean).join(' ');

  const submit = (e: Event) => {
    e.preventDefault();
    onApply(draft.trim());
  };

  return (
    <form class="filter-box" onSubmit={submit}>
      <div class={`field${problem || otherError ? ' has-error' : ''}`}>
        <label for={id}>{label}</label>
        <div class="filter-row">
          <input id={id} type="text" class="mono filter-input" value={draft} placeholder={placeholder} spellcheck={false} autocomplete="off"
            maxLength={4096}
            aria-describedby={describedBy}
            {...(problem || otherError ? { 'aria-invalid': 'true' as const } : {})}
            onInput={(e) => setDraft((e.target as HTMLInputElement).value)} />
          <button type="submit" class="primary">Apply</button>
          {applied !== '' && <button type="button" onClick={() => onApply('')}>Clear filter</button>}
        </div>
        <div class="hint" id={`${id}-hint`}>
          Fields by AWS name (<code>srcaddr</code>, <code>dstport</code>, <code>interface-id</code>, …); <code>= != &lt; &gt; in (…) notin (…) like</code>; <code>and</code>, <code>or</code>, <code>not</code>, parentheses. Addresses match CIDR blocks: <code>srcaddr = 10.0.0.0/16</code>.
        </div>
        {problem && <FilterErrorView id={`${id}-error`} expression={applied} problem={problem} />}
        {otherError && <div class="field-error" id={`${id}-error`} role="alert">{otherError}</div>}
      </div>
    </form>
  );
}

function FilterErrorView({ id, expression, problem }: { id: string; expression: string; problem: FilterProblem }) {
  const pos = problem.position;
  const shown = pos !== undefined && pos <= expression.length;
  const start = shown ? pos : 0;
  const end = shown ? Math.min(expression.length, start + (problem.length ?? 0)) : 0;
  const expected = problem.expected?.length ? ` (expected: ${problem.expected.join(', ')})` : '';
  return (
    <div class="field-error filter-error" id={id} role="alert">
      {shown && (
        <pre class="filter-echo" aria-hidden="true">
          {expression.slice(0, start)}
          <mark class="filter-mark">{end > start ? expression.slice(start, end) : ' '}</mark>
          {expression.slice(end)}
        </pre>
      )}
      <div>{problem.message}{/\bexpected\b/.test(problem.message) ? '' : expected}</div>
    </div>
  );
}
