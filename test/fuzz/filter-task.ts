// One filter-pattern fuzz case, run inside a CaseWorker (lib.ts) so that a pattern or message that
// makes evaluation run away is cut off by the deadline. Checked:
// - parseFilterPattern returns a pattern or throws FilterPatternError (InvalidParameterException, HTTP
//   400) whose message says where (`at position N`, inside the pattern) and why; nothing else is thrown;
// - matches() and extract() agree, never throw, and extract gives `$name` → string;
// - sqlHint is conservative: every listed string occurs in every message the pattern matches;
// - a single bare term matches exactly the messages containing it (substring semantics);
// - a whole-pattern %regex% matches what JavaScript's RegExp matches on the same (short, BMP) text.
import { FilterPatternError, parseFilterPattern, type FilterPattern } from '../../src/destinations/logstore/index.ts';

export interface FilterCase {
  pattern: string;
  messages: string[];
  termMatch: 'substring' | 'word';
  /** Compare a %regex% with JavaScript's RegExp (only when its backtracking is known to stay small). */
  regexOracle: boolean;
}

export interface FilterVerdict {
  parsed: boolean;
  kind: string | null;
  matched: number;
  error: string | null;
  violations: string[];
}

const KINDS = new Set(['all', 'terms', 'regex', 'delimited', 'json']);
const BARE_TERM = /^[A-Za-z0-9_]+$/;
const MAX_VIOLATIONS = 8;

export function run(c: FilterCase): FilterVerdict {
  const v: string[] = [];
  const bad = (what: string) => v.length < MAX_VIOLATIONS && v.push(what);
  let p: FilterPattern;
  try {
    p = parseFilterPattern(c.pattern, { termMatch: c.termMatch });
  } catch (e) {
    if (!(e instanceof FilterPatternError)) {
      bad(`parseFilterPattern threw ${e instanceof Error ? `${e.constructor.name}: ${e.stack}` : String(e)}, not a FilterPatternError`);
      return { parsed: false, kind: null, matched: 0, error: String(e), violations: v };
    }
    if (e.code !== 'InvalidParameterException' || e.httpStatus !== 400) bad(`FilterPatternError with code ${e.code} / HTTP ${e.httpStatus}`);
    if (e.pattern !== c.pattern) bad('FilterPatternError.pattern is not the pattern given');
    if (!Number.isInteger(e.position) || e.position < 0 || e.position > c.pattern.length) bad(`position ${e.position} outside the pattern of ${c.pattern.length} characters: ${e.message}`);
    if (!new RegExp(`\\(at position ${e.position}: .{8,}\\)$`, 's').test(e.message)) bad(`message without where and why: ${e.message}`);
    return { parsed: false, kind: null, matched: 0, error: e.message, violations: v };
  }
  if (!KINDS.has(p.kind)) bad(`kind ${p.kind}`);
  if (p.source !== c.pattern) bad('source is not the pattern given');
  let matched = 0;
  const bareTerm = p.kind === 'terms' && c.termMatch === 'substring' && BARE_TERM.test(c.pattern.trim()) ? c.pattern.trim() : null;
  const body = p.kind === 'regex' ? c.pattern.trim().slice(1, -1) : null;
  let js: RegExp | null = null;
  if (body !== null && c.regexOracle) {
    try {
      js = new RegExp(body);
    } catch {
      js = null;
    }
  }
  for (const m of c.messages) {
    const short = m.length > 60 ? `${JSON.stringify(m.slice(0, 60))}… (${m.length} chars)` : JSON.stringify(m);
    let r: unknown;
    let x: Record<string, string> | null;
    try {
      r = p.matches(m);
      x = p.extract(m);
    } catch (e) {
      bad(`evaluating on ${short} threw ${e instanceof Error ? e.stack : String(e)}`);
      continue;
    }
    if (typeof r !== 'boolean') {
      bad(`matches(${short}) returned ${typeof r}`);
      continue;
    }
    if ((x === null) === r) bad(`matches(${short}) is ${r} but extract() gives ${JSON.stringify(x)}`);
    if (x) for (const [k, val] of Object.entries(x)) if (!k.startsWith('$') || typeof val !== 'string') bad(`extract gives ${k}: ${typeof val}`);
    if (r) {
      matched++;
      for (const h of p.sqlHint ?? []) if (!m.includes(h)) bad(`matches ${short} although its sqlHint ${JSON.stringify(h)} does not occur in it`);
    }
    if (bareTerm !== null && r !== m.includes(bareTerm)) bad(`term ${bareTerm}: matches(${short}) is ${r}, substring says ${!r}`);
    // Astral characters are one step for RE2, two UTF-16 units for JavaScript (a documented difference).
    if (js && m.length <= 200 && !/[\ud800-\udfff]/.test(m) && js.test(m) !== r) bad(`%${body}% on ${short}: ${r}, JavaScript's RegExp says ${!r}`);
  }
  return { parsed: true, kind: p.kind, matched, error: null, violations: v };
}
