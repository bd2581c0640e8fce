// CloudWatch Logs filter patterns (terms, %regex%, space-delimited [..] and JSON {..}) compiled once
// into closures, because FilterLogEvents, metric filters and subscription filters test every event.
//
// Semantics follow AWS's "Filter pattern syntax" documentation. Where the documentation is silent the
// choice made here is written next to the code (look for "Assumption").

import { VpcflowError } from '../../platform/errors.ts';
import { compileLinearRegex, RegexSyntaxError, type LinearRegex } from './linear-regex.ts';

export type FilterPatternKind = 'all' | 'terms' | 'regex' | 'delimited' | 'json';

export interface FilterPattern {
  readonly kind: FilterPatternKind;
  /** The pattern text exactly as given. */
  readonly source: string;
  matches(message: string): boolean;
  /**
   * For a matching event: the values a metric filter can use. Space-delimited patterns give `$name`
   * for every named field and `$N` (1-based field number) for the others; other kinds give `{}`.
   * `null` when the event does not match.
   */
  extract(message: string): Record<string, string> | null;
  /**
   * Conservative prefilter: every string listed occurs (as a plain substring) in every message the
   * pattern can match. Absent when nothing useful is known. Callers escape `%`/`_` for SQL LIKE.
   */
  readonly sqlHint?: readonly string[];
}

export interface FilterPatternOptions {
  /**
   * How a bare or quoted term is found in a term pattern. `substring` (default) is what AWS's
   * documentation shows (`ERROR` matches `ERRORCODE`, `Exception` matches `IllegalArgumentException`);
   * `word` requires the term not to be glued to other letters, digits or `_`.
   */
  readonly termMatch?: 'substring' | 'word';
}

/** An invalid filter pattern. `message` leads with AWS's InvalidParameterException wording. */
export class FilterPatternError extends VpcflowError {
  constructor(
    readonly pattern: string,
    /** 0-based character offset into `pattern` where the problem was found. */
    readonly position: number,
    readonly detail: string,
    readonly awsMessage = 'Invalid filter pattern',
  ) {
    super('InvalidParameterException', `${awsMessage} (at position ${position}: ${detail})`);
  }
}

/** AWS allows at most this many `%regex%` inside one space-delimited or JSON pattern. */
export const MAX_REGEX_PER_PATTERN = 2;
/** AWS's limit on a filter pattern's length (PutMetricFilter, FilterLogEvents, TestMetricFilter). */
export const MAX_FILTER_PATTERN_LENGTH = 1024;
/**
 * A pattern looks at no more of a message than this many characters. A CloudWatch Logs event is at
 * most 256 KB of UTF-8, so no real event is longer; only a longer text handed to TestMetricFilter
 * (or a future ingest path) is cut, which keeps one evaluation's work bounded.
 */
export const MAX_EVALUATED_MESSAGE_LENGTH = 262_144;
/**
 * A message nested deeper than this is not JSON to a JSON pattern (no match). Assumption: AWS
 * documents no limit; real events nest a few levels, and the bound keeps parsing off deep recursion.
 */
export const MAX_JSON_DEPTH = 1000;

export function parseFilterPattern(text: string, options: FilterPatternOptions = {}): FilterPattern {
  if (text.length > MAX_FILTER_PATTERN_LENGTH) {
    throw new FilterPatternError(
      text,
      MAX_FILTER_PATTERN_LENGTH,
      `the pattern is ${text.length} characters long; at most ${MAX_FILTER_PATTERN_LENGTH} are allowed`,
      `1 validation error detected: Value at 'filterPattern' failed to satisfy constraint: Member must have length less than or equal to ${MAX_FILTER_PATTERN_LENGTH}`,
    );
  }
  return bounded(parseUnbounded(text, options));
}

function parseUnbounded(text: string, options: FilterPatternOptions): FilterPattern {
  const sc = new Scanner(text);
  sc.skipSpace();
  if (sc.done) return matchAll(text);
  const first = sc.peek();
  if (first === '[') return parseDelimited(sc);
  if (first === '{') return parseJson(sc);
  const last = text.trimEnd();
  if (first === '%' && last.endsWith('%') && last.length - sc.pos > 1) return parseRegexPattern(sc);
  return parseTerms(sc, options.termMatch ?? 'substring');
}

const clip = (message: string): string => (message.length > MAX_EVALUATED_MESSAGE_LENGTH ? message.slice(0, MAX_EVALUATED_MESSAGE_LENGTH) : message);

function bounded(p: FilterPattern): FilterPattern {
  if (p.kind === 'all') return p;
  const { matches, extract } = p;
  return { ...p, matches: (m) => matches(clip(m)), extract: (m) => extract(clip(m)) };
}

const NOT_JSON = Symbol('not JSON');

/**
 * An event message as a JSON pattern reads it: the parsed document, or NOT_JSON when the message is
 * not a JSON object or array, is not valid JSON, or nests deeper than MAX_JSON_DEPTH (checked by a
 * scan before parsing, so neither the parser nor any walk over the document recurses that deep).
 */
export function parseJsonEvent(message: string): unknown {
  const text = clip(message);
  const c = text.trimStart()[0];
  if (c !== '{' && c !== '[') return NOT_JSON;
  if (!nestingWithin(text, MAX_JSON_DEPTH)) return NOT_JSON;
  try {
    return JSON.parse(text);
  } catch {
    // Invalid JSON, or an engine's own depth limit (RangeError): either way not a JSON event.
    return NOT_JSON;
  }
}

export const isJsonEvent = (doc: unknown): boolean => doc !== NOT_JSON;

/** Whether brackets outside string literals nest at most `limit` deep. */
function nestingWithin(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return false;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Scanning helpers shared by every pattern kind

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

class Scanner {
  pos = 0;
  regexCount = 0;
  constructor(readonly text: string) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  peek(offset = 0): string {
    return this.text[this.pos + offset] ?? '';
  }

  startsWith(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }

  skipSpace(): void {
    while (!this.done && isSpace(this.peek())) this.pos++;
  }

  fail(detail: string, at = this.pos, awsMessage?: string): never {
    throw new FilterPatternError(this.text, at, detail, awsMessage);
  }

  /** At `"`: reads to the closing quote; `\"` and `\\` stand for `"` and `\`. */
  readQuoted(): string {
    const start = this.pos;
    let out = '';
    this.pos++;
    while (!this.done) {
      const c = this.peek();
      if (c === '"') {
        this.pos++;
        return out;
      }
      if (c === '\\' && (this.peek(1) === '"' || this.peek(1) === '\\')) {
        out += this.peek(1);
        this.pos += 2;
        continue;
      }
      out += c;
      this.pos++;
    }
    return this.fail('unterminated quoted string (no closing \'"\')', start);
  }

  /**
   * At `%`: reads a regular expression up to the next `%`, checked against AWS's subset and compiled
   * for linear-time matching (linear-regex.ts).
   */
  readRegex(): LinearRegex {
    const start = this.pos;
    const end = this.text.indexOf('%', start + 1);
    if (end < 0) this.fail("unterminated regular expression (no closing '%')", start);
    const body = this.text.slice(start + 1, end);
    if (body.length === 0) this.fail('empty regular expression', start);
    let re: LinearRegex;
    try {
      re = compileLinearRegex(body);
    } catch (e) {
      if (e instanceof RegexSyntaxError) this.fail(e.detail, start + 1 + e.offset);
      throw e;
    }
    this.pos = end + 1;
    return re;
  }
}

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

const asNumber = (s: string): number | undefined => (NUMBER.test(s) ? Number(s) : undefined);

// ---------------------------------------------------------------------------------------------
// Match everything / whole-pattern regex

function simplePattern(kind: FilterPatternKind, source: string, matches: (m: string) => boolean, sqlHint?: readonly string[]): FilterPattern {
  return {
    kind,
    source,
    matches,
    extract: (m) => (matches(m) ? {} : null),
    ...(sqlHint && sqlHint.length > 0 ? { sqlHint } : {}),
  };
}

function matchAll(source: string): FilterPattern {
  return simplePattern('all', source, () => true);
}

function parseRegexPattern(sc: Scanner): FilterPattern {
  const re = sc.readRegex();
  sc.skipSpace();
  if (!sc.done) sc.fail('unexpected text after the regular expression');
  return simplePattern('regex', sc.text, (m) => re.test(m));
}

// ---------------------------------------------------------------------------------------------
// Term patterns: `ERROR`, `"exact phrase"`, `-EXCLUDED`, `?ALT1 ?ALT2`

interface TermGroup {
  readonly include: ((m: string) => boolean)[];
  readonly exclude: ((m: string) => boolean)[];
  readonly includeText: string[];
}

const BARE_TERM = /^[A-Za-z0-9_]+$/;
const WORD_CHAR = /[A-Za-z0-9_]/;

function termMatcher(term: string, mode: 'substring' | 'word'): (m: string) => boolean {
  if (term === '') return () => true;
  if (mode === 'substring') return (m) => m.includes(term);
  const escaped = term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const before = WORD_CHAR.test(term[0]!) ? '(?<![A-Za-z0-9_])' : '';
  const after = WORD_CHAR.test(term[term.length - 1]!) ? '(?![A-Za-z0-9_])' : '';
  // An escaped literal between one-character lookarounds: nothing in it can backtrack.
  const re = new RegExp(before + escaped + after);
  return (m) => re.test(m);
}

/**
 * Assumption (how `?` combines with other terms): a `?` starts a new alternative and the terms after
 * it, up to the next `?`, must all hold together (`?A B ?C` = (A and B) or C). This is the reading AWS
 * CDK's `anyTermGroup` relies on. Terms before the first `?` form the first alternative.
 */
function parseTerms(sc: Scanner, mode: 'substring' | 'word'): FilterPattern {
  const newGroup = (): TermGroup => ({ include: [], exclude: [], includeText: [] });
  const groups: TermGroup[] = [newGroup()];
  for (;;) {
    sc.skipSpace();
    if (sc.done) break;
    const start = sc.pos;
    let alternative = false;
    let excluded = false;
    if (sc.peek() === '?') {
      alternative = true;
      sc.pos++;
    } else if (sc.peek() === '-') {
      excluded = true;
      sc.pos++;
      // AWS's older examples write the exclusion as `"ERROR" - "Exiting"`.
      sc.skipSpace();
    }
    if ((alternative || excluded) && (sc.done || isSpace(sc.peek()))) {
      sc.fail(`'${alternative ? '?' : '-'}' must be followed by a term`, start);
    }
    let term: string;
    if (sc.peek() === '"') {
      term = sc.readQuoted();
      if (!sc.done && !isSpace(sc.peek())) sc.fail('expected a space after the closing quote');
    } else {
      const termStart = sc.pos;
      while (!sc.done && !isSpace(sc.peek())) sc.pos++;
      term = sc.text.slice(termStart, sc.pos);
      if (!BARE_TERM.test(term)) {
        const badAt = [...term].findIndex((c) => !/[A-Za-z0-9_]/.test(c));
        const bad = [...term][badAt] ?? term;
        sc.fail(
          `term '${term}' contains '${bad}': terms with characters other than letters, digits and '_' must be in double quotes`,
          termStart + term.indexOf(bad),
          `Invalid character(s) in term '${bad}'`,
        );
      }
    }
    let group = groups[groups.length - 1]!;
    if (alternative && (group.include.length > 0 || group.exclude.length > 0)) {
      group = newGroup();
      groups.push(group);
    }
    if (excluded) {
      group.exclude.push(termMatcher(term, mode));
    } else {
      group.include.push(termMatcher(term, mode));
      if (term !== '') group.includeText.push(term);
    }
  }
  const compiled = groups.map(compileGroup);
  const matches = compiled.length === 1 ? compiled[0]! : (m: string) => compiled.some((g) => g(m));
  return simplePattern('terms', sc.text, matches, groups.length === 1 ? groups[0]!.includeText : undefined);
}

function compileGroup(g: TermGroup): (m: string) => boolean {
  const { include, exclude } = g;
  if (exclude.length === 0 && include.length === 1) return include[0]!;
  return (m) => {
    for (const t of include) if (!t(m)) return false;
    for (const t of exclude) if (t(m)) return false;
    return true;
  };
}

// ---------------------------------------------------------------------------------------------
// Values and comparisons shared by space-delimited and JSON patterns

type Operator = '=' | '!=' | '<' | '<=' | '>' | '>=';
const OPERATORS: ReadonlySet<string> = new Set(['=', '!=', '<', '<=', '>', '>=']);

type Value =
  | { readonly kind: 'string'; readonly text: string; readonly quoted: boolean }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'regex'; readonly re: LinearRegex };

// Characters that end an unquoted value (syntax of the surrounding pattern).
const VALUE_STOP = new Set([',', ']', '[', '}', '{', ')', '(', '&', '|', '=', '!', '<', '>', '"']);
// Unquoted values may hold letters, digits and the punctuation IPs, IDs and wildcards need;
// AWS asks for quotes around anything else (its doc names '@', '$' and '\').
const BARE_VALUE_CHAR = /^[A-Za-z0-9_.*\-:/+]$/;

function readOperator(sc: Scanner): Operator {
  const start = sc.pos;
  while (!sc.done && '=!<>'.includes(sc.peek())) sc.pos++;
  const op = sc.text.slice(start, sc.pos);
  if (op === '') sc.fail('expected a comparison operator (=, !=, <, <=, >, >=)', start);
  if (!OPERATORS.has(op)) sc.fail(`invalid operator '${op}' (use =, !=, <, <=, >, >=)`, start);
  return op as Operator;
}

function readValue(sc: Scanner, op: Operator): Value {
  sc.skipSpace();
  const start = sc.pos;
  let value: Value;
  if (sc.peek() === '"') {
    value = { kind: 'string', text: sc.readQuoted(), quoted: true };
  } else if (sc.peek() === '%') {
    if (++sc.regexCount > MAX_REGEX_PER_PATTERN) sc.fail(`at most ${MAX_REGEX_PER_PATTERN} regular expressions are allowed in one pattern`, start);
    value = { kind: 'regex', re: sc.readRegex() };
  } else {
    while (!sc.done && !isSpace(sc.peek()) && !VALUE_STOP.has(sc.peek())) sc.pos++;
    const raw = sc.text.slice(start, sc.pos);
    if (raw === '') sc.fail(`missing value after '${op}'`, start);
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i]!;
      if (!BARE_VALUE_CHAR.test(c)) {
        sc.fail(`unquoted value '${raw}' contains '${c}'; put the value in double quotes`, start + i, `Invalid character(s) in term '${c}'`);
      }
    }
    const n = asNumber(raw);
    value = n === undefined ? { kind: 'string', text: raw, quoted: false } : { kind: 'number', value: n };
  }
  if (op !== '=' && op !== '!=' && value.kind !== 'number') {
    sc.fail(`operator '${op}' needs a number, not ${value.kind === 'regex' ? 'a regular expression' : `'${value.text}'`}`, start);
  }
  return value;
}

/**
 * `*` is a wildcard at the start and/or end of a value (`10.0.2.*`, `*html*`, `*Event`); AWS's
 * documentation says an inner `*` (`Ev*ent`) is matched literally. Assumption: the same holds inside
 * double quotes.
 */
function wildcardTest(pattern: string): (s: string) => boolean {
  if (pattern === '*' || pattern === '**') return () => true;
  const lead = pattern.startsWith('*');
  const trail = pattern.length > 1 && pattern.endsWith('*');
  const core = pattern.slice(lead ? 1 : 0, trail ? -1 : undefined);
  if (lead && trail) return (s) => s.includes(core);
  if (lead) return (s) => s.endsWith(core);
  if (trail) return (s) => s.startsWith(core);
  return (s) => s === core;
}

function numberTest(op: Operator, v: number): (x: number) => boolean {
  switch (op) {
    case '=':
      return (x) => x === v;
    case '!=':
      return (x) => x !== v;
    case '<':
      return (x) => x < v;
    case '<=':
      return (x) => x <= v;
    case '>':
      return (x) => x > v;
    case '>=':
      return (x) => x >= v;
  }
}

/** The literal text every match of a `=` string value must contain, for the SQL prefilter. */
function literalCore(value: Value): string {
  if (value.kind !== 'string') return '';
  const t = value.text;
  return t.slice(t.startsWith('*') ? 1 : 0, t.length > 1 && t.endsWith('*') ? -1 : undefined).replace(/^\*$/, '');
}

// ---------------------------------------------------------------------------------------------
// Space-delimited patterns: `[version, account, ..., action = REJECT, logstatus]`

type FieldExpr =
  | { readonly kind: 'cond'; readonly name: string; readonly at: number; readonly op: Operator; readonly value: Value }
  | { readonly kind: 'and' | 'or'; readonly left: FieldExpr; readonly right: FieldExpr };

type Slot =
  | { readonly kind: 'ellipsis'; readonly at: number }
  | { readonly kind: 'field'; readonly name: string | undefined; readonly at: number; readonly expr?: FieldExpr };

const FIELD_NAME = /[A-Za-z0-9_]/;

function readFieldName(sc: Scanner): string {
  const start = sc.pos;
  if (!/[A-Za-z_]/.test(sc.peek())) {
    const c = sc.peek();
    sc.fail(c === '' ? "unexpected end of pattern (missing ']')" : `expected a field name, found '${c}'`, start);
  }
  while (!sc.done && FIELD_NAME.test(sc.peek())) sc.pos++;
  return sc.text.slice(start, sc.pos);
}

function parseFieldCondition(sc: Scanner): FieldExpr {
  sc.skipSpace();
  const at = sc.pos;
  const name = readFieldName(sc);
  sc.skipSpace();
  if (sc.done) sc.fail("unexpected end of pattern (missing ']')");
  if (!'=!<>'.includes(sc.peek())) sc.fail(`expected an operator after '${name}', found '${sc.peek()}'`);
  const op = readOperator(sc);
  return { kind: 'cond', name, at, op, value: readValue(sc, op) };
}

function parseFieldAnd(sc: Scanner): FieldExpr {
  let left = parseFieldCondition(sc);
  for (;;) {
    sc.skipSpace();
    if (!sc.startsWith('&&')) return left;
    sc.pos += 2;
    left = { kind: 'and', left, right: parseFieldCondition(sc) };
  }
}

function parseFieldOr(sc: Scanner): FieldExpr {
  let left = parseFieldAnd(sc);
  for (;;) {
    sc.skipSpace();
    if (!sc.startsWith('||')) return left;
    sc.pos += 2;
    left = { kind: 'or', left, right: parseFieldAnd(sc) };
  }
}

function parseSlot(sc: Scanner): Slot {
  sc.skipSpace();
  const at = sc.pos;
  if (sc.startsWith('...')) {
    sc.pos += 3;
    return { kind: 'ellipsis', at };
  }
  // An empty position (`[a,,b]`, or the trailing comma in AWS's `[..., status_code=4*,]`) is an
  // unnamed field; it is reported as `$N`.
  if (sc.peek() === ',' || sc.peek() === ']') return { kind: 'field', name: undefined, at };
  const name = readFieldName(sc);
  sc.skipSpace();
  if (sc.peek() === ',' || sc.peek() === ']') return { kind: 'field', name, at };
  sc.pos = at;
  const expr = parseFieldOr(sc);
  return { kind: 'field', name: firstName(expr), at, expr };
}

const firstName = (e: FieldExpr): string => (e.kind === 'cond' ? e.name : firstName(e.left));

function conditions(e: FieldExpr, out: Extract<FieldExpr, { kind: 'cond' }>[] = []): Extract<FieldExpr, { kind: 'cond' }>[] {
  if (e.kind === 'cond') out.push(e);
  else {
    conditions(e.left, out);
    conditions(e.right, out);
  }
  return out;
}

/**
 * Splits an event into fields on single spaces. A field that opens with `"` runs to the next `"`,
 * one that opens with `[` runs to the next `]` (AWS treats such text as one field); the enclosing
 * characters are not part of the value, as in AWS's documented extraction example.
 */
export function splitDelimitedFields(message: string): string[] {
  if (!message.includes('"') && !message.includes('[')) return message.split(' ');
  const fields: string[] = [];
  const n = message.length;
  let i = 0;
  for (;;) {
    const open = message[i];
    const close = open === '"' ? '"' : open === '[' ? ']' : undefined;
    const closeAt = close === undefined ? -1 : message.indexOf(close, i + 1);
    let value: string;
    if (closeAt >= 0) {
      // Text glued after the closing character stays in the same field, and then so does the
      // closing character, so that a field value is always a contiguous piece of the message.
      const space = message.indexOf(' ', closeAt + 1);
      const end = space < 0 ? n : space;
      value = message.slice(i + 1, end === closeAt + 1 ? closeAt : end);
      i = end;
    } else {
      const space = message.indexOf(' ', i);
      const end = space < 0 ? n : space;
      value = message.slice(i, end);
      i = end;
    }
    fields.push(value);
    if (i >= n) return fields;
    i++; // the separating space
  }
}

type FieldGetter = (fields: readonly string[], n: number) => string;

function parseDelimited(sc: Scanner): FilterPattern {
  const open = sc.pos;
  sc.pos++; // '['
  const slots: Slot[] = [];
  for (;;) {
    slots.push(parseSlot(sc));
    sc.skipSpace();
    if (sc.peek() === ',') {
      sc.pos++;
      continue;
    }
    if (sc.peek() === ']') {
      sc.pos++;
      break;
    }
    if (sc.done) sc.fail(`unbalanced '[': missing ']'`, open);
    if (sc.peek() === '&' || sc.peek() === '|') sc.fail(`expected '${sc.peek()}${sc.peek()}'`);
    sc.fail(`expected ',' or ']', found '${sc.peek()}'`);
  }
  sc.skipSpace();
  if (!sc.done) sc.fail(`unexpected text after ']'`);
  if (slots.length === 1 && slots[0]!.kind === 'field' && slots[0]!.name === undefined) sc.fail('a space-delimited pattern needs at least one field', open);

  const ellipses = slots.filter((s) => s.kind === 'ellipsis');
  if (ellipses.length > 1) sc.fail("only one '...' is allowed in a space-delimited pattern", ellipses[1]!.at);
  const ellipsisAt = slots.findIndex((s) => s.kind === 'ellipsis');
  const fieldSlots = slots.filter((s): s is Extract<Slot, { kind: 'field' }> => s.kind === 'field');
  const headLen = ellipsisAt < 0 ? fieldSlots.length : ellipsisAt;
  const tailLen = fieldSlots.length - headLen;
  const hasEllipsis = ellipsisAt >= 0;

  // Where each named field lives: counted from the start before the ellipsis, from the end after it.
  const getters = new Map<string, FieldGetter>();
  fieldSlots.forEach((slot, k) => {
    if (slot.name === undefined) return;
    if (getters.has(slot.name)) sc.fail(`field name '${slot.name}' is used twice`, slot.at);
    getters.set(slot.name, k < headLen ? (f) => f[k] ?? '' : (f, n) => f[n - tailLen + (k - headLen)] ?? '');
  });

  const predicates: ((f: readonly string[], n: number) => boolean)[] = [];
  const hints: string[] = [];
  for (const slot of fieldSlots) {
    if (!slot.expr) continue;
    // Assumption: a condition may name another field of the pattern (`status = 4* && bytes > 1000`
    // needs a `bytes` position). AWS answered "Invalid filter pattern" to its own doc example that
    // names an undeclared field (awsdocs/amazon-cloudwatch-logs-user-guide#21), so that is an error.
    for (const c of conditions(slot.expr)) {
      if (!getters.has(c.name)) sc.fail(`condition names '${c.name}', which is not a field of this pattern`, c.at);
    }
    predicates.push(compileFieldExpr(slot.expr, getters));
    if (!hasOr(slot.expr)) for (const c of conditions(slot.expr)) if (c.op === '=') hints.push(literalCore(c.value));
  }

  const countOk = hasEllipsis ? (n: number) => n >= headLen + tailLen : (n: number) => n === headLen;
  const matchFields = (fields: readonly string[]): boolean => {
    const n = fields.length;
    if (!countOk(n)) return false;
    for (const p of predicates) if (!p(fields, n)) return false;
    return true;
  };

  const extract = (message: string): Record<string, string> | null => {
    const fields = splitDelimitedFields(message);
    if (!matchFields(fields)) return null;
    const n = fields.length;
    const names: (string | undefined)[] = new Array(n).fill(undefined);
    fieldSlots.forEach((slot, k) => {
      names[k < headLen ? k : n - tailLen + (k - headLen)] = slot.name;
    });
    const out: Record<string, string> = {};
    fields.forEach((value, i) => {
      out[`$${names[i] ?? i + 1}`] = value;
    });
    return out;
  };

  const sqlHint = hints.filter((h) => h !== '');
  return {
    kind: 'delimited',
    source: sc.text,
    matches: (message) => matchFields(splitDelimitedFields(message)),
    extract,
    ...(sqlHint.length > 0 ? { sqlHint } : {}),
  };
}

const hasOr = (e: FieldExpr): boolean => e.kind === 'or' || (e.kind === 'and' && (hasOr(e.left) || hasOr(e.right)));

function compileFieldExpr(e: FieldExpr, getters: ReadonlyMap<string, FieldGetter>): (f: readonly string[], n: number) => boolean {
  if (e.kind !== 'cond') {
    const l = compileFieldExpr(e.left, getters);
    const r = compileFieldExpr(e.right, getters);
    return e.kind === 'and' ? (f, n) => l(f, n) && r(f, n) : (f, n) => l(f, n) || r(f, n);
  }
  const get = getters.get(e.name)!;
  const test = fieldValueTest(e.op, e.value);
  return (f, n) => test(get(f, n));
}

/** A test on one event field (always text). Numeric comparisons never match a non-number such as `-`. */
function fieldValueTest(op: Operator, value: Value): (s: string) => boolean {
  if (value.kind === 'number') {
    const cmp = numberTest(op, value.value);
    return (s) => {
      const x = asNumber(s);
      return x !== undefined && cmp(x);
    };
  }
  const positive = value.kind === 'regex' ? (s: string) => value.re.test(s) : wildcardTest(value.text);
  return op === '=' ? positive : (s) => !positive(s);
}

// ---------------------------------------------------------------------------------------------
// JSON patterns: `{ $.a.b[0] = "x" && ($.n > 3 || $.flag IS TRUE) }`

type JsonSegment = string | number;

type JsonExpr =
  | { readonly kind: 'and' | 'or'; readonly left: JsonExpr; readonly right: JsonExpr }
  | { readonly kind: 'compare'; readonly path: readonly JsonSegment[]; readonly op: Operator; readonly value: Value }
  | { readonly kind: 'is'; readonly path: readonly JsonSegment[]; readonly what: 'null' | 'true' | 'false' | 'missing' };

const MISSING = Symbol('missing');

function parseJson(sc: Scanner): FilterPattern {
  const open = sc.pos;
  sc.pos++; // '{'
  const expr = parseJsonOr(sc, open);
  sc.skipSpace();
  if (sc.done) sc.fail("unbalanced '{': missing '}'", open);
  if (sc.peek() !== '}') sc.fail(`expected '&&', '||' or '}', found '${sc.peek()}'`);
  sc.pos++;
  sc.skipSpace();
  if (!sc.done) sc.fail("unexpected text after '}'");
  const test = compileJson(expr);
  const matches = (message: string): boolean => {
    const doc = parseJsonEvent(message);
    return isJsonEvent(doc) && test(doc);
  };
  return simplePattern('json', sc.text, matches);
}

function parseJsonOr(sc: Scanner, open: number): JsonExpr {
  let left = parseJsonAnd(sc, open);
  for (;;) {
    sc.skipSpace();
    if (!sc.startsWith('||')) return left;
    sc.pos += 2;
    left = { kind: 'or', left, right: parseJsonAnd(sc, open) };
  }
}

function parseJsonAnd(sc: Scanner, open: number): JsonExpr {
  let left = parseJsonPrimary(sc, open);
  for (;;) {
    sc.skipSpace();
    if (!sc.startsWith('&&')) return left;
    sc.pos += 2;
    left = { kind: 'and', left, right: parseJsonPrimary(sc, open) };
  }
}

function parseJsonPrimary(sc: Scanner, open: number): JsonExpr {
  sc.skipSpace();
  if (sc.peek() === '(') {
    const paren = sc.pos;
    sc.pos++;
    const inner = parseJsonOr(sc, open);
    sc.skipSpace();
    if (sc.peek() !== ')') sc.fail(sc.done ? "unbalanced '(': missing ')'" : `expected ')', found '${sc.peek()}'`, sc.done ? paren : sc.pos);
    sc.pos++;
    return inner;
  }
  if (sc.done) sc.fail("unbalanced '{': missing '}'", open);
  if (sc.peek() !== '$') sc.fail(`expected a selector starting with '$', found '${sc.peek()}'`);
  const path = readSelector(sc);
  sc.skipSpace();
  const wordAt = sc.pos;
  const word = readWord(sc);
  if (word !== '') {
    const upper = word.toUpperCase();
    if (upper === 'IS') {
      sc.skipSpace();
      const whatAt = sc.pos;
      const what = readWord(sc).toUpperCase();
      if (what === 'NULL' || what === 'TRUE' || what === 'FALSE') return { kind: 'is', path, what: what.toLowerCase() as 'null' | 'true' | 'false' };
      sc.fail("expected NULL, TRUE or FALSE after 'IS'", whatAt);
    }
    if (upper === 'NOT') {
      sc.skipSpace();
      const whatAt = sc.pos;
      if (readWord(sc).toUpperCase() === 'EXISTS') return { kind: 'is', path, what: 'missing' };
      sc.fail("expected EXISTS after 'NOT'", whatAt);
    }
    sc.fail(`unexpected '${word}' after the selector (expected an operator, IS or NOT EXISTS)`, wordAt);
  }
  if (sc.done || !'=!<>'.includes(sc.peek())) sc.fail(sc.done ? "unbalanced '{': missing '}'" : `expected an operator after the selector, found '${sc.peek()}'`, sc.done ? open : sc.pos);
  const op = readOperator(sc);
  return { kind: 'compare', path, op, value: readValue(sc, op) };
}

function readWord(sc: Scanner): string {
  const start = sc.pos;
  while (!sc.done && /[A-Za-z]/.test(sc.peek())) sc.pos++;
  return sc.text.slice(start, sc.pos);
}

/** `$.a.b-c[0][1].d` → ['a', 'b-c', 0, 1, 'd']. Property names: letters, digits, '-' and '_'. */
function readSelector(sc: Scanner): JsonSegment[] {
  const start = sc.pos;
  sc.pos++; // '$'
  const path: JsonSegment[] = [];
  for (;;) {
    if (sc.peek() === '.') {
      sc.pos++;
      const nameAt = sc.pos;
      while (!sc.done && /[A-Za-z0-9_-]/.test(sc.peek())) sc.pos++;
      if (sc.pos === nameAt) sc.fail(`expected a property name after '.'`, nameAt);
      path.push(sc.text.slice(nameAt, sc.pos));
    } else if (sc.peek() === '[') {
      const bracket = sc.pos;
      sc.pos++;
      const numAt = sc.pos;
      while (!sc.done && /[0-9]/.test(sc.peek())) sc.pos++;
      if (sc.pos === numAt || sc.peek() !== ']') sc.fail('an array index must be [NUMBER]', bracket);
      path.push(Number(sc.text.slice(numAt, sc.pos)));
      sc.pos++;
    } else break;
  }
  if (path.length === 0) sc.fail("a selector needs a property after '$' (e.g. $.eventName)", start);
  return path;
}

function resolve(doc: unknown, path: readonly JsonSegment[]): unknown {
  let cur: unknown = doc;
  for (const seg of path) {
    if (typeof seg === 'number') {
      if (!Array.isArray(cur) || seg >= cur.length) return MISSING;
      cur = cur[seg];
    } else {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, seg)) return MISSING;
      cur = (cur as Record<string, unknown>)[seg];
    }
  }
  return cur;
}

function compileJson(e: JsonExpr): (doc: unknown) => boolean {
  switch (e.kind) {
    case 'and': {
      const l = compileJson(e.left);
      const r = compileJson(e.right);
      return (d) => l(d) && r(d);
    }
    case 'or': {
      const l = compileJson(e.left);
      const r = compileJson(e.right);
      return (d) => l(d) || r(d);
    }
    case 'is': {
      const { path, what } = e;
      if (what === 'missing') return (d) => resolve(d, path) === MISSING;
      const want = what === 'null' ? null : what === 'true';
      return (d) => resolve(d, path) === want;
    }
    case 'compare':
      return compileJsonCompare(e.path, e.op, e.value);
  }
}

/**
 * The selector must reach a value node: when it reaches an object, an array, or nothing, both `=` and
 * `!=` are false (AWS's documented rule). Numbers compare with JSON numbers, strings with JSON strings;
 * a lone `*` accepts any string, number or boolean (AWS's `{ $.latency = * }` example).
 */
function compileJsonCompare(path: readonly JsonSegment[], op: Operator, value: Value): (doc: unknown) => boolean {
  if (value.kind === 'number') {
    const cmp = numberTest(op, value.value);
    return (d) => {
      const v = resolve(d, path);
      return typeof v === 'number' && cmp(v);
    };
  }
  if (value.kind === 'string' && (value.text === '*' || value.text === '**')) {
    return (d) => {
      const t = typeof resolve(d, path);
      return op === '=' && (t === 'string' || t === 'number' || t === 'boolean');
    };
  }
  const positive = value.kind === 'regex' ? (s: string) => value.re.test(s) : wildcardTest(value.text);
  const negate = op === '!=';
  return (d) => {
    const v = resolve(d, path);
    return typeof v === 'string' && positive(v) !== negate;
  };
}
