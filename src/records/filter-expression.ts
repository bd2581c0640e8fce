// Filter expressions over flow record fields, in the spirit of Akvorado's console filter:
//   action = REJECT and dstport in (22, 3389) and srcaddr in 10.0.0.0/16
//   not (protocol = tcp or protocol = 17)     interface-id != eni-0a1b2c3d4e5f60718
// A hand-written tokenizer and a recursive-descent parser (no backtracking, no regular expressions
// over the input), so parsing is linear in the input, which is bounded (MAX_FILTER_LENGTH characters,
// MAX_FILTER_TERMS values, MAX_FILTER_DEPTH nested parentheses/nots). Values are type-checked
// against their field here, so the SQL compiler renders only values already known to be integers,
// canonical addresses, enum members or text without control characters.
//
// Semantics (the same in matchesFilter and in the SQL): a comparison with a field that is absent
// ('-', NULL in the store) is false whatever the operator, so `srcport != 22` leaves out NODATA
// records; `not` is the plain complement, so `not srcport = 22` keeps them. An address compared
// with a CIDR block tests membership (`srcaddr = 10.0.0.0/16`); IPv4 and IPv6 never contain each
// other. `like` is case-sensitive, `%` any run, `_` one character, `\` escapes the next one.

import { FIELDS, columnName, type FieldSpec } from './fields.ts';
import { CidrError, AddressError, parseCidr, parseIp, formatIp, parseProtocol, ProtocolError, type IpAddress } from '../net/index.ts';

export const MAX_FILTER_LENGTH = 4096;
/** Values in one expression (each member of an `in` list counts). */
export const MAX_FILTER_TERMS = 256;
/** Parentheses and `not`s open at once. */
export const MAX_FILTER_DEPTH = 32;
/** Longest SQL a filter may compile to: it must fit in a `vpcflow query` (100 000 characters by default) with the query around it. */
export const MAX_FILTER_SQL_LENGTH = 65_536;

export type FilterFieldKind = 'integer' | 'address' | 'enum' | 'text';

export interface FilterField {
  /** AWS's field name (hyphen form); for the columns vpcflow adds, its own (owner-account, flow-log-id, rule). */
  readonly name: string;
  /** The column of the `flows` view (Athena's name). */
  readonly column: string;
  readonly kind: FilterFieldKind;
  /** integer fields: the largest value the field can hold. */
  readonly max: number;
  /** enum fields: every value, in the case AWS writes it. */
  readonly values: readonly string[];
}

const INT32_MAX = 2_147_483_647;
const INTEGER_MAX: ReadonlyMap<string, number> = new Map([
  ['srcport', 65535],
  ['dstport', 65535],
  ['protocol', 255],
  ['tcp-flags', 255],
]);
const ADDRESS_FIELDS: ReadonlySet<string> = new Set(['srcaddr', 'dstaddr', 'pkt-srcaddr', 'pkt-dstaddr']);
const ENUM_VALUES: ReadonlyMap<string, readonly string[]> = new Map([
  ['action', ['ACCEPT', 'REJECT']],
  ['log-status', ['OK', 'NODATA', 'SKIPDATA']],
  ['type', ['IPv4', 'IPv6', 'EFA']],
  ['flow-direction', ['ingress', 'egress']],
  ['sublocation-type', ['wavelength', 'outpost', 'localzone']],
]);

function fieldOf(spec: FieldSpec): FilterField {
  const kind: FilterFieldKind = spec.parquet !== 'STRING' ? 'integer' : ADDRESS_FIELDS.has(spec.name) ? 'address' : ENUM_VALUES.has(spec.name) ? 'enum' : 'text';
  const max = kind === 'integer' ? (INTEGER_MAX.get(spec.name) ?? (spec.parquet === 'INT_32' ? INT32_MAX : Number.MAX_SAFE_INTEGER)) : 0;
  return Object.freeze({ name: spec.name, column: columnName(spec.name), kind, max, values: ENUM_VALUES.get(spec.name) ?? [] });
}

/**
 * Every field a filter (or a traffic query's dimension) can name: the 54 AWS fields in AWS's
 * order, then the `flows` view's own columns that say whose and which flow log a record is.
 */
export const FILTER_FIELDS: readonly FilterField[] = Object.freeze([
  ...FIELDS.map(fieldOf),
  ...['owner-account', 'flow-log-id', 'rule'].map((name) => Object.freeze({ name, column: columnName(name), kind: 'text' as const, max: 0, values: [] })),
]);

export const FILTER_FIELD_NAMES: readonly string[] = Object.freeze(FILTER_FIELDS.map((f) => f.name));

/** `interface-id`, `interface_id`, `interfaceId` and `InterfaceId` are one name: case, '-' and '_' are ignored. */
function nameKey(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    if (c !== '-' && c !== '_') out += c.toLowerCase();
  }
  return out;
}

const FIELD_BY_KEY: ReadonlyMap<string, FilterField> = new Map(FILTER_FIELDS.map((f) => [nameKey(f.name), f]));

/** The field named in AWS's hyphen form, Athena's underscore form or Logs Insights' camelCase; undefined when none. */
export function resolveFilterField(name: string): FilterField | undefined {
  if (name.length > 64) return undefined;
  return FIELD_BY_KEY.get(nameKey(name));
}

/** The nearest field name to a misspelt one (edit distance ≤ 2), for "did you mean". */
export function suggestFilterField(name: string): string | undefined {
  if (name.length > 40) return undefined;
  const key = nameKey(name);
  let best: string | undefined;
  let bestDistance = 3;
  for (const f of FILTER_FIELDS) {
    const d = editDistance(key, nameKey(f.name), bestDistance);
    if (d < bestDistance) {
      bestDistance = d;
      best = f.name;
    }
  }
  return best;
}

/** Levenshtein distance, or `limit` when it is at least that (both strings are at most ~40 characters). */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = row;
  }
  return Math.min(prev[b.length]!, limit);
}

// ---------------------------------------------------------------------------------------------
// AST

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'notin' | 'like' | 'unlike';

export type FilterValue =
  | { readonly type: 'integer'; readonly value: number }
  /** An address (prefixLength 32 or 128) or a CIDR block; `address` is the canonical network address. */
  | { readonly type: 'address'; readonly version: 4 | 6; readonly address: string; readonly prefixLength: number }
  /** Enum members in AWS's case, text as written. */
  | { readonly type: 'text'; readonly value: string }
  /** A like pattern as written (`%`, `_`, `\` escapes). */
  | { readonly type: 'pattern'; readonly value: string };

/** `position`/`length`: where the node stands in the expression (0-based characters). */
export type FilterNode =
  | { readonly kind: 'and' | 'or'; readonly children: readonly FilterNode[]; readonly position: number; readonly length: number }
  | { readonly kind: 'not'; readonly child: FilterNode; readonly position: number; readonly length: number }
  | {
    readonly kind: 'compare';
    readonly field: FilterField;
    readonly op: CompareOp;
    /** One value, except for in/notin (one or more). */
    readonly values: readonly FilterValue[];
    readonly position: number;
    readonly length: number;
  };

// ---------------------------------------------------------------------------------------------
// Errors

/**
 * A filter that cannot be used. `position` is 0-based, `length` the offending token's (0 at the end
 * of the input), `expected` what would have been accepted there.
 */
export class FilterExpressionError extends Error {
  override readonly name = 'FilterExpressionError';
  /** AWS-style code and status, so an API that lets it through answers 400 with this code. */
  readonly code = 'InvalidFilterExpression';
  readonly httpStatus = 400;
  constructor(
    readonly position: number,
    readonly length: number,
    readonly expected: readonly string[],
    readonly reason: string,
  ) {
    super(`at ${position}: ${reason}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Tokens

type TokenKind = 'word' | 'string' | '(' | ')' | ',' | 'op' | 'end';
type Keyword = 'and' | 'or' | 'not' | 'in' | 'notin' | 'like' | 'unlike';
const KEYWORDS: ReadonlySet<string> = new Set<Keyword>(['and', 'or', 'not', 'in', 'notin', 'like', 'unlike']);

interface Token {
  readonly kind: TokenKind;
  /** word: as written; string: its content (quotes removed, doubled quotes undone); op: the operator. */
  readonly value: string;
  readonly start: number;
  readonly end: number;
  readonly keyword: Keyword | null;
}

const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0xfeff || c === 0x2028 || c === 0x2029;
const isControl = (c: number): boolean => c < 32 || c === 0x7f;
/** Characters that end a bare word. */
const isDelimiter = (c: number): boolean => isSpace(c) || c === 40 || c === 41 || c === 44 || c === 39 || c === 34 || c === 61 || c === 33 || c === 60 || c === 62;

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  const n = s.length;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    // Comments as in Akvorado's filters (and SQL): `-- to the end of the line`, `/* ... */`.
    if (c === 45 && s.charCodeAt(i + 1) === 45) {
      while (i < n && s.charCodeAt(i) !== 10) i++;
      continue;
    }
    if (c === 47 && s.charCodeAt(i + 1) === 42) {
      const close = s.indexOf('*/', i + 2);
      if (close < 0) throw new FilterExpressionError(i, n - i, ['*/'], 'the comment opened here is not closed with */');
      i = close + 2;
      continue;
    }
    const start = i;
    if (c === 40 || c === 41 || c === 44) {
      out.push({ kind: c === 40 ? '(' : c === 41 ? ')' : ',', value: s[i]!, start, end: i + 1, keyword: null });
      i++;
      continue;
    }
    if (c === 61 || c === 33 || c === 60 || c === 62) {
      const next = s.charCodeAt(i + 1);
      let op: string;
      if (c === 61) op = next === 61 ? '==' : '=';
      else if (c === 33) {
        if (next !== 61) throw new FilterExpressionError(i, 1, ['!='], `found "!" alone: the operator is "!="`);
        op = '!=';
      } else if (c === 60) op = next === 61 ? '<=' : next === 62 ? '<>' : '<';
      else op = next === 61 ? '>=' : '>';
      i += op.length;
      out.push({ kind: 'op', value: op === '==' ? '=' : op === '<>' ? '!=' : op, start, end: i, keyword: null });
      continue;
    }
    if (c === 39 || c === 34) {
      // A quoted string; the quote itself is written twice inside it.
      let value = '';
      i++;
      for (;;) {
        if (i >= n) throw new FilterExpressionError(start, n - start, [s[start]!], `the string opened here is not closed, found end of input`);
        const d = s.charCodeAt(i);
        if (d === c) {
          if (s.charCodeAt(i + 1) === c) {
            value += s[i];
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (isControl(d)) throw new FilterExpressionError(i, 1, ['a printable character'], `a control character (code ${d}) cannot stand in a string`);
        value += s[i];
        i++;
      }
      out.push({ kind: 'string', value, start, end: i, keyword: null });
      continue;
    }
    if (isControl(c)) throw new FilterExpressionError(i, 1, ['a printable character'], `unexpected control character (code ${c})`);
    while (i < n) {
      const d = s.charCodeAt(i);
      if (isDelimiter(d) || isControl(d)) break;
      i++;
    }
    const value = s.slice(start, i);
    const lower = value.toLowerCase();
    out.push({ kind: 'word', value, start, end: i, keyword: KEYWORDS.has(lower) ? (lower as Keyword) : null });
  }
  out.push({ kind: 'end', value: '', start: n, end: n, keyword: null });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parser

const OPS_BY_KIND: Readonly<Record<FilterFieldKind, readonly CompareOp[]>> = {
  integer: ['=', '!=', '<', '<=', '>', '>=', 'in', 'notin'],
  address: ['=', '!=', 'in', 'notin', 'like', 'unlike'],
  enum: ['=', '!=', 'in', 'notin'],
  text: ['=', '!=', 'in', 'notin', 'like', 'unlike'],
};
const KIND_TEXT: Readonly<Record<FilterFieldKind, string>> = { integer: 'an integer field', address: 'an address field', enum: 'a field of fixed values', text: 'a text field' };

const FIELD_START = ['field name', '(', 'not'];

class Parser {
  private i = 0;
  private depth = 0;
  private terms = 0;

  constructor(private readonly s: string, private readonly tokens: readonly Token[]) {}

  parse(): FilterNode | null {
    if (this.peek().kind === 'end') return null;
    const root = this.parseOr();
    const t = this.peek();
    if (t.kind !== 'end') {
      if (t.kind === ')') throw this.error(t, ['and', 'or', 'end of input'], `found ")" with no "(" open before it`);
      throw this.error(t, ['and', 'or', 'end of input'], `expected "and", "or" or the end of the filter after ${this.after(this.i - 1, this.i - 1)}, found ${this.found(t)}`);
    }
    return root;
  }

  private peek(): Token {
    return this.tokens[this.i]!;
  }

  private take(): Token {
    return this.tokens[this.i++]!;
  }

  private error(t: Token, expected: readonly string[], reason: string): FilterExpressionError {
    return new FilterExpressionError(t.start, t.end - t.start, expected, reason);
  }

  private found(t: Token): string {
    if (t.kind === 'end') return 'end of input';
    const text = this.s.slice(t.start, t.end);
    return JSON.stringify(text.length > 40 ? `${text.slice(0, 39)}…` : text);
  }

  /** `"<the source text of tokens from..to>"`, for "expected ... after ...". */
  private after(from: number, to: number): string {
    if (from < 0 || to < 0) return 'the start';
    const text = this.s.slice(this.tokens[from]!.start, this.tokens[to]!.end);
    return JSON.stringify(text.length > 40 ? `…${text.slice(text.length - 39)}` : text);
  }

  private enter(t: Token): void {
    if (++this.depth > MAX_FILTER_DEPTH) throw this.error(t, [], `more than ${MAX_FILTER_DEPTH} parentheses and "not"s are open here; simplify the expression`);
  }

  private parseOr(): FilterNode {
    return this.parseChain('or', () => this.parseAnd());
  }

  private parseAnd(): FilterNode {
    return this.parseChain('and', () => this.parseNot());
  }

  /** `first (kw next)*`, iterative: long chains do not deepen the stack. */
  private parseChain(kw: 'and' | 'or', next: () => FilterNode): FilterNode {
    const first = next();
    if (this.peek().keyword !== kw) return first;
    const children = [first];
    while (this.peek().keyword === kw) {
      this.take();
      children.push(next());
    }
    const last = children[children.length - 1]!;
    return { kind: kw, children, position: first.position, length: last.position + last.length - first.position };
  }

  private parseNot(): FilterNode {
    const t = this.peek();
    if (t.keyword !== 'not') return this.parsePrimary();
    this.take();
    this.enter(t);
    const child = this.parseNot();
    this.depth--;
    return { kind: 'not', child, position: t.start, length: child.position + child.length - t.start };
  }

  private parsePrimary(): FilterNode {
    const t = this.peek();
    if (t.kind === '(') {
      this.take();
      this.enter(t);
      if (this.peek().kind === ')') throw this.error(this.peek(), FIELD_START, `expected a comparison inside "()", found ")"`);
      const inner = this.parseOr();
      const close = this.peek();
      if (close.kind !== ')') {
        throw this.error(close, ['and', 'or', ')'], `expected "and", "or" or ")" (closing the "(" at ${t.start}) after ${this.after(this.i - 1, this.i - 1)}, found ${this.found(close)}`);
      }
      this.take();
      this.depth--;
      return inner;
    }
    if (t.kind === 'word' && t.keyword === null) return this.parseComparison();
    const context = this.i > 0 ? ` after ${this.after(this.i - 1, this.i - 1)}` : '';
    throw this.error(t, FIELD_START, `expected a field name, "(" or "not"${context}, found ${this.found(t)}`);
  }

  private parseComparison(): FilterNode {
    const fieldIndex = this.i;
    const ft = this.take();
    const field = resolveFilterField(ft.value);
    if (!field) {
      const hint = suggestFilterField(ft.value);
      throw this.error(ft, ['field name'], `unknown field ${this.found(ft)}${hint ? ` (did you mean ${hint}?)` : ''}; the fields are ${FILTER_FIELD_NAMES.join(', ')}`);
    }
    const opToken = this.peek();
    let op: CompareOp;
    if (opToken.kind === 'op') op = opToken.value as CompareOp;
    else if (opToken.keyword === 'in' || opToken.keyword === 'notin' || opToken.keyword === 'like' || opToken.keyword === 'unlike') op = opToken.keyword;
    else if (opToken.keyword === 'not' && (this.tokens[this.i + 1]!.keyword === 'in' || this.tokens[this.i + 1]!.keyword === 'like')) {
      // `not in` / `not like`, as SQL writes them.
      op = this.tokens[this.i + 1]!.keyword === 'in' ? 'notin' : 'unlike';
      this.take();
    } else {
      throw this.error(opToken, OPS_BY_KIND[field.kind], `expected an operator (${OPS_BY_KIND[field.kind].join(' ')}) after ${this.after(fieldIndex, fieldIndex)}, found ${this.found(opToken)}`);
    }
    const opEnd = this.take();
    const allowed = OPS_BY_KIND[field.kind];
    if (!allowed.includes(op)) {
      const opText = this.s.slice(opToken.start, opEnd.end);
      throw new FilterExpressionError(opToken.start, opEnd.end - opToken.start, allowed, `operator "${opText}" does not apply to ${field.name}, ${KIND_TEXT[field.kind]}; use ${allowed.join(' ')}`);
    }
    const opIndex = this.i - 1;
    const values: FilterValue[] = [];
    if ((op === 'in' || op === 'notin') && this.peek().kind === '(') {
      this.take();
      let context = this.after(opIndex, this.i - 1);
      for (;;) {
        values.push(this.parseValue(field, op, context));
        const sep = this.peek();
        if (sep.kind === ')') break;
        if (sep.kind !== ',') throw this.error(sep, [',', ')'], `expected "," or ")" after ${this.after(this.i - 1, this.i - 1)} in the list, found ${this.found(sep)}`);
        this.take();
        context = this.after(this.i - 2, this.i - 1);
      }
      this.take();
    } else {
      values.push(this.parseValue(field, op, this.after(fieldIndex, opIndex)));
    }
    const last = this.tokens[this.i - 1]!;
    return { kind: 'compare', field, op, values, position: ft.start, length: last.end - ft.start };
  }

  private parseValue(field: FilterField, op: CompareOp, context: string): FilterValue {
    const t = this.peek();
    if (!(t.kind === 'string' || (t.kind === 'word' && t.keyword === null))) {
      const hint = t.keyword ? ` (write "${t.value}" in quotes to mean the word)` : '';
      throw this.error(t, ['value'], `expected a value after ${context}, found ${this.found(t)}${hint}`);
    }
    if (++this.terms > MAX_FILTER_TERMS) throw this.error(t, [], `more than ${MAX_FILTER_TERMS} values in one filter`);
    this.take();
    const problem = (why: string, expected: readonly string[] = ['value']) => this.error(t, expected, `${field.name} ${why}, found ${this.found(t)}`);
    const text = t.value;
    if (op === 'like' || op === 'unlike') {
      for (let k = 0; k < text.length; k++) {
        if (text.charCodeAt(k) !== 92) continue;
        const next = text[k + 1];
        if (next !== '%' && next !== '_' && next !== '\\') throw problem('like pattern: "\\" escapes only %, _ or \\', ['pattern']);
        k++;
      }
      return { type: 'pattern', value: text };
    }
    switch (field.kind) {
      case 'integer': {
        const n = readInteger(text);
        if (n !== undefined && n <= field.max) return { type: 'integer', value: n };
        if (field.name === 'protocol' && n === undefined) {
          try {
            const p = parseProtocol(text);
            if (p >= 0) return { type: 'integer', value: p };
          } catch (e) {
            if (!(e instanceof ProtocolError)) throw e;
          }
          throw problem('takes a protocol number 0..255 or tcp, udp, icmp, icmpv6');
        }
        throw problem(`takes an integer 0..${field.max}`);
      }
      case 'address': {
        const v = readAddress(text);
        if (typeof v === 'string') throw problem(`takes an IPv4 or IPv6 address or CIDR block (${v})`);
        return v;
      }
      case 'enum': {
        const lower = text.toLowerCase();
        const hit = field.values.find((x) => x.toLowerCase() === lower);
        if (!hit) throw problem(`takes ${field.values.join(', ')}`, field.values);
        return { type: 'text', value: hit };
      }
      case 'text':
        return { type: 'text', value: text };
    }
  }
}

/** A decimal integer without sign or leading zeros, at most 2^53-1; else undefined. */
function readInteger(text: string): number | undefined {
  if (text.length === 0 || text.length > 16) return undefined;
  if (text.length > 1 && text.charCodeAt(0) === 48) return undefined;
  let v = 0;
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c < 48 || c > 57) return undefined;
    v = v * 10 + (c - 48);
  }
  return v <= Number.MAX_SAFE_INTEGER ? v : undefined;
}

function readAddress(text: string): FilterValue | string {
  try {
    if (text.includes('/')) {
      const c = parseCidr(text);
      return { type: 'address', version: c.version, address: formatIp(c.network), prefixLength: c.prefixLength };
    }
    const a = parseIp(text);
    return { type: 'address', version: a.version, address: formatIp(a), prefixLength: a.version === 4 ? 32 : 128 };
  } catch (e) {
    if (e instanceof CidrError || e instanceof AddressError) return e.reason;
    throw e;
  }
}

/**
 * Parses a filter expression; null for one that is empty (blank or only comments). Throws
 * FilterExpressionError with the position of the first problem.
 */
export function parseFilterExpression(text: string): FilterNode | null {
  if (typeof text !== 'string') throw new FilterExpressionError(0, 0, ['text'], 'a filter expression is text');
  if (text.length > MAX_FILTER_LENGTH) {
    throw new FilterExpressionError(MAX_FILTER_LENGTH, text.length - MAX_FILTER_LENGTH, [], `the filter is ${text.length} characters long; at most ${MAX_FILTER_LENGTH} are accepted`);
  }
  return new Parser(text, tokenize(text)).parse();
}

// ---------------------------------------------------------------------------------------------
// Evaluation (the reference semantics; the SQL below must agree with it)

/** A record's values by field name (AWS's hyphen form, as FlowRecord has them); null or absent is '-'. */
export type FilterRecord = Readonly<Record<string, string | number | null | undefined>>;

export function matchesFilter(node: FilterNode, record: FilterRecord): boolean {
  switch (node.kind) {
    case 'and':
      return node.children.every((c) => matchesFilter(c, record));
    case 'or':
      return node.children.some((c) => matchesFilter(c, record));
    case 'not':
      return !matchesFilter(node.child, record);
    case 'compare':
      return compareMatches(node, record[node.field.name]);
  }
}

function compareMatches(node: Extract<FilterNode, { kind: 'compare' }>, raw: string | number | null | undefined): boolean {
  if (raw === null || raw === undefined) return false;
  const { op, values } = node;
  if (op === 'like' || op === 'unlike') {
    const hit = likeMatches((values[0] as { value: string }).value, String(raw));
    return op === 'like' ? hit : !hit;
  }
  const positive = op !== '!=' && op !== 'notin';
  switch (node.field.kind) {
    case 'integer': {
      const v = typeof raw === 'number' ? raw : Number(raw);
      if (!Number.isFinite(v)) return false;
      const x = (values[0] as { value: number }).value;
      switch (op) {
        case '<': return v < x;
        case '<=': return v <= x;
        case '>': return v > x;
        case '>=': return v >= x;
        default: {
          const hit = values.some((w) => (w as { value: number }).value === v);
          return positive ? hit : !hit;
        }
      }
    }
    case 'address': {
      let a: IpAddress;
      try {
        a = parseIp(String(raw));
      } catch {
        return false;
      }
      const hit = values.some((w) => addressIn(a, w as Extract<FilterValue, { type: 'address' }>));
      return positive ? hit : !hit;
    }
    default: {
      const s = String(raw);
      const hit = values.some((w) => (w as { value: string }).value === s);
      return positive ? hit : !hit;
    }
  }
}

function addressIn(a: IpAddress, block: Extract<FilterValue, { type: 'address' }>): boolean {
  if (a.version !== block.version) return false;
  const net = parseIp(block.address).bytes;
  let bits = block.prefixLength;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((a.bytes[i]! & mask) !== net[i]) return false;
  }
  return true;
}

/**
 * SQL LIKE with `\` as the escape character. Greedy with one remembered `%` (the classic wildcard
 * matcher): O(pattern × text) at worst, both bounded, and no regular expression.
 */
export function likeMatches(pattern: string, text: string): boolean {
  // Pattern as units: '%', '_' or a literal character.
  const units: { any: boolean; one: boolean; ch: string }[] = [];
  for (let k = 0; k < pattern.length; k++) {
    const c = pattern[k]!;
    if (c === '\\' && k + 1 < pattern.length) units.push({ any: false, one: false, ch: pattern[++k]! });
    else units.push({ any: c === '%', one: c === '_', ch: c });
  }
  const chars = [...text];
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < chars.length) {
    const u = units[p];
    if (u && !u.any && (u.one || u.ch === chars[t])) {
      p++;
      t++;
    } else if (u?.any) {
      star = p++;
      mark = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else return false;
  }
  while (units[p]?.any) p++;
  return p === units.length;
}

// ---------------------------------------------------------------------------------------------
// SQL

/** A text value as a SQL string literal: only text the parser validated (no control characters) gets here. */
export function sqlText(value: string): string {
  for (let k = 0; k < value.length; k++) {
    if (isControl(value.charCodeAt(k))) throw new RangeError('a SQL text literal cannot hold control characters');
  }
  return `'${value.replaceAll("'", "''")}'`;
}

/** An integer as SQL digits. */
export function sqlInteger(value: number): string {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${value} is not a safe integer`);
  return String(value);
}

const quoted = (column: string): string => {
  // Columns come from the field table ([a-z0-9_]); checked anyway, since they go into SQL unquoted by value.
  for (let k = 0; k < column.length; k++) {
    const c = column.charCodeAt(k);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95)) throw new RangeError(`unexpected column name ${column}`);
  }
  return `"${column}"`;
};

/**
 * The WHERE condition (without WHERE) selecting the rows of the `flows` view the filter matches.
 * Valid in the store's own database and in the SQL sandbox's snapshots alike (both have `flows`
 * with the same columns), so it can be pasted into `vpcflow query`. Uses no extension: IPv4 blocks
 * are text prefixes (plus a range on the one octet a prefix length splits), IPv6 addresses are
 * expanded to 8 groups of 4 hex digits (from any valid text form: upper case, leading zeros,
 * embedded IPv4) and compared as a range; both only on rows of their own version.
 */
export function compileFilterToSql(node: FilterNode): string {
  const sql = compileNode(node);
  if (sql.length > MAX_FILTER_SQL_LENGTH) {
    throw new FilterExpressionError(node.position, node.length, [], `the filter compiles to ${sql.length} characters of SQL, more than the ${MAX_FILTER_SQL_LENGTH} allowed; write the IPv6 values of one field as one "in (...)" list`);
  }
  return sql;
}

function compileNode(node: FilterNode): string {
  switch (node.kind) {
    case 'and':
    case 'or':
      return `(${node.children.map(compileNode).join(node.kind === 'and' ? ' AND ' : ' OR ')})`;
    case 'not':
      // The child may be NULL (a comparison on '-'); a WHERE treats NULL as false, so AND/OR above it
      // already agree with two-valued logic, and NOT must see it as false too.
      return `(NOT coalesce(${compileNode(node.child)}, false))`;
    case 'compare':
      return compileCompare(node);
  }
}

function compileCompare(node: Extract<FilterNode, { kind: 'compare' }>): string {
  const col = quoted(node.field.column);
  const { op, values } = node;
  if (op === 'like' || op === 'unlike') {
    return `(${col}${op === 'unlike' ? ' NOT' : ''} LIKE ${sqlText((values[0] as { value: string }).value)} ESCAPE '\\')`;
  }
  const positive = op !== '!=' && op !== 'notin';
  if (node.field.kind === 'address') {
    const member = addressMembership(col, values as Extract<FilterValue, { type: 'address' }>[]);
    // NULL addresses fail every comparison, != and notin included.
    return positive ? member : `(${col} IS NOT NULL AND NOT coalesce(${member}, false))`;
  }
  const literal = (v: FilterValue): string => (v.type === 'integer' ? sqlInteger(v.value) : sqlText((v as { value: string }).value));
  if (op === 'in' || op === 'notin' || values.length > 1) {
    if (values.length === 1) return `(${col} ${positive ? '=' : '<>'} ${literal(values[0]!)})`;
    return `(${col} ${positive ? 'IN' : 'NOT IN'} (${values.map(literal).join(', ')}))`;
  }
  return `(${col} ${op === '!=' ? '<>' : op} ${literal(values[0]!)})`;
}

/** TRUE when the column's address is in one of the blocks; FALSE or NULL otherwise. */
function addressMembership(col: string, blocks: readonly Extract<FilterValue, { type: 'address' }>[]): string {
  const parts: string[] = [];
  const exact4 = blocks.filter((b) => b.version === 4 && b.prefixLength === 32).map((b) => sqlText(b.address));
  if (exact4.length === 1) parts.push(`${col} = ${exact4[0]}`);
  else if (exact4.length > 1) parts.push(`${col} IN (${exact4.join(', ')})`);
  for (const b of blocks) if (b.version === 4 && b.prefixLength < 32) parts.push(ipv4Block(col, b.address, b.prefixLength));
  const v6 = blocks.filter((b) => b.version === 6);
  if (v6.length) parts.push(ipv6Blocks(col, v6));
  return parts.length === 1 ? `(${parts[0]})` : `(${parts.join(' OR ')})`;
}

/**
 * IPv4 text is canonical (dotted decimal, no leading zeros: the readers refuse others), so a block
 * is the text prefix of its whole octets plus, when the prefix length splits an octet, a range on
 * that octet. Cheap per row, and no IPv6 text ever starts with digits and a dot.
 */
function ipv4Block(col: string, address: string, prefixLength: number): string {
  const octets = address.split('.').map(Number);
  const whole = Math.floor(prefixLength / 8);
  const rest = prefixLength % 8;
  const prefix = octets.slice(0, whole).map((o) => `${o}.`).join('');
  const conds: string[] = [];
  if (whole === 0) conds.push(`NOT contains(${col}, ':')`);
  else conds.push(`starts_with(${col}, ${sqlText(prefix)})`);
  if (rest > 0) {
    const lo = octets[whole]!;
    const hi = lo + (1 << (8 - rest)) - 1;
    // The last octet is what follows the prefix; a middle one needs splitting at the dots.
    const octet = whole === 3 ? `substr(${col}, ${prefix.length + 1})` : `split_part(${col}, '.', ${whole + 1})`;
    conds.push(`TRY_CAST(${octet} AS INTEGER) BETWEEN ${lo} AND ${hi}`);
  }
  return conds.join(' AND ');
}

/**
 * The 8 groups of the address in a text column as a list of 4 lower-case hex digits each (NULL for
 * text that is not one; compared with list literals, which measured a fifth faster than joining
 * them into one text): '::' becomes the zero groups it stands for (8 minus the groups written) and
 * every group is padded to 4 digits. Text with an embedded IPv4 address (::ffff:1.2.3.4, rare) first has it
 * rewritten as two hex groups, through lambdas that bind the intermediate text once; the common
 * case repeats lower(col) instead, which measured a quarter faster than binding it.
 */
function ipv6Hex(col: string): string {
  const expand = (x: string, g: string) => `list_transform(string_split(replace(${x}, '::', ':' || repeat('0:', 8 - (length(${x}) - length(replace(${x}, ':', ''))))), ':'), lambda ${g}: lpad(${g}, 4, '0'))`;
  const a = 'vpcflow_a';
  const o = 'vpcflow_o';
  const v4tail = `list_transform([string_split(regexp_extract(${a}, '[0-9.]+$'), '.')], lambda ${o}: printf('%x:%x', TRY_CAST(${o}[1] AS INTEGER) * 256 + TRY_CAST(${o}[2] AS INTEGER), TRY_CAST(${o}[3] AS INTEGER) * 256 + TRY_CAST(${o}[4] AS INTEGER)))[1]`;
  const embedded = `list_transform([lower(${col})], lambda ${a}: list_transform([regexp_replace(${a}, '[0-9.]+$', '') || ${v4tail}], lambda vpcflow_x: ${expand('vpcflow_x', 'vpcflow_g')})[1])[1]`;
  return `CASE WHEN contains(${col}, '.') THEN ${embedded} ELSE ${expand(`lower(${col})`, 'vpcflow_g')} END`;
}

/** hex32 as a SQL list of its 8 groups, 4 digits each: lists compare element by element, as the text would. */
function groups(address: string, fill: 'low' | 'high', prefixLength: number): string {
  const hex = hex32(address, fill, prefixLength);
  return `[${Array.from({ length: 8 }, (_, i) => `'${hex.slice(4 * i, 4 * i + 4)}'`).join(', ')}]`;
}

function hex32(address: string, fill: 'low' | 'high', prefixLength: number): string {
  const bytes = parseIp(address).bytes;
  let out = '';
  for (let i = 0; i < 16; i++) {
    let b = bytes[i]!;
    const keep = prefixLength - i * 8;
    if (fill === 'high' && keep < 8) b |= keep <= 0 ? 0xff : 0xff >> keep;
    out += b.toString(16).padStart(2, '0');
  }
  return out;
}

function ipv6Blocks(col: string, blocks: readonly Extract<FilterValue, { type: 'address' }>[]): string {
  const h = 'vpcflow_h';
  const tests = blocks.map((b) => (b.prefixLength === 128
    ? `${h} = ${groups(b.address, 'low', 128)}`
    : `${h} BETWEEN ${groups(b.address, 'low', b.prefixLength)} AND ${groups(b.address, 'high', b.prefixLength)}`));
  // A cheap test of the first group, when every block fixes it, spares the expansion on most rows.
  let guard = `contains(${col}, ':')`;
  if (blocks.every((b) => b.prefixLength >= 16)) {
    const firsts = [...new Set(blocks.map((b) => parseInt(hex32(b.address, 'low', 128).slice(0, 4), 16).toString(16)).map((f) => (f === '0' ? '' : f)))];
    const cut = `ltrim(lower(split_part(${col}, ':', 1)), '0')`;
    guard += firsts.length === 1 ? ` AND ${cut} = '${firsts[0]}'` : ` AND ${cut} IN (${firsts.map((f) => `'${f}'`).join(', ')})`;
  }
  return `CASE WHEN ${guard} THEN list_transform([${ipv6Hex(col)}], lambda ${h}: ${tests.join(' OR ')})[1] ELSE false END`;
}
