// The regular expressions of CloudWatch Logs filter patterns (`%…%`), matched in time linear in the
// message. JavaScript's RegExp backtracks: `%\d*\d*…\d*x%` (16 × `\d*`) took 42 s on one flow-log
// line and blocked the server. Here a pattern is parsed against AWS's documented subset into a small
// tree, rewritten as an RE2 program with every character class spelled out, and run by re2js (a
// pure-JavaScript port of RE2/J: automata, no backtracking).
//
// What a pattern means is JavaScript's reading of the same text (non-Unicode, case-sensitive RegExp),
// which is what vpcflow used before and what the differential test compares against; the classes
// below are JavaScript's, written out so RE2's own (different) definitions of `.` and `\s` never apply.
// One difference remains: RE2 steps over a message by code point, so `.` takes a whole astral
// character (an emoji) where JavaScript would take half of it.

import { RE2JS } from 're2js';
import { VpcflowError } from '../../platform/errors.ts';

/**
 * At most this many character positions after repetitions are expanded (`a{3,5}` counts 5, `\d*` 1).
 * The matcher's work per message character grows with it: 1000 keeps a 256 KB message under a
 * fraction of a second even when the automaton cannot skip ahead, and RE2 caps one repeat at 1000 too.
 */
export const MAX_REGEX_SIZE = 1000;
/** The largest count in `{m}`, `{m,}` or `{m,n}` (RE2's limit). */
export const MAX_REPEAT = 1000;

/** A pattern outside the supported subset; `offset` is 0-based in the regular expression's text. */
export class RegexSyntaxError extends VpcflowError {
  constructor(
    readonly offset: number,
    readonly detail: string,
  ) {
    super('InvalidParameterException', `Invalid regular expression (at offset ${offset}: ${detail})`);
  }
}

export interface LinearRegex {
  /** The regular expression as written (between the `%` signs). */
  readonly source: string;
  /** The RE2 program text it was compiled to. */
  readonly program: string;
  /** Whether the expression matches somewhere in `text`. */
  test(text: string): boolean;
}

// ---------------------------------------------------------------------------------------------
// Character sets: sorted, disjoint, non-adjacent inclusive code point ranges [lo0, hi0, lo1, hi1, …]

type Ranges = readonly number[];

const MAX_CODE_POINT = 0x10ffff;

function normalize(pairs: number[]): number[] {
  const items: [number, number][] = [];
  for (let i = 0; i < pairs.length; i += 2) items.push([pairs[i]!, pairs[i + 1]!]);
  items.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [lo, hi] of items) {
    const last = out.length - 1;
    if (out.length > 0 && lo <= out[last]! + 1) out[last] = Math.max(out[last]!, hi);
    else out.push(lo, hi);
  }
  return out;
}

const union = (a: Ranges, b: Ranges): number[] => normalize([...a, ...b]);

function complement(r: Ranges): number[] {
  const out: number[] = [];
  let next = 0;
  for (let i = 0; i < r.length; i += 2) {
    if (r[i]! > next) out.push(next, r[i]! - 1);
    next = r[i + 1]! + 1;
  }
  if (next <= MAX_CODE_POINT) out.push(next, MAX_CODE_POINT);
  return out;
}

const char = (c: number): number[] => [c, c];
const DIGIT: Ranges = [0x30, 0x39];
const WORD: Ranges = normalize([0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a]);
// JavaScript's \s: ECMAScript WhiteSpace and LineTerminator.
const SPACE: Ranges = normalize([
  0x09, 0x0d, 0x20, 0x20, 0xa0, 0xa0, 0x1680, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029, 0x202f, 0x202f, 0x205f, 0x205f, 0x3000, 0x3000, 0xfeff, 0xfeff,
]);
// JavaScript's `.` without the s flag: anything but a line terminator.
const DOT: Ranges = complement(normalize([0x0a, 0x0a, 0x0d, 0x0d, 0x2028, 0x2029]));

const CLASS_ESCAPES: Record<string, Ranges> = {
  d: DIGIT,
  D: complement(DIGIT),
  w: WORD,
  W: complement(WORD),
  s: SPACE,
  S: complement(SPACE),
};
const CONTROL_ESCAPES: Record<string, number> = { t: 0x09, n: 0x0a, v: 0x0b, f: 0x0c, r: 0x0d };
const SUPPORTED_ESCAPES = '\\d \\D \\w \\W \\s \\S \\b \\B \\t \\n \\r \\f \\v, or \\ before a symbol to match it literally';

// ---------------------------------------------------------------------------------------------
// The tree: alternatives of sequences of (atom, repetition). The subset has no groups, so a
// repetition always applies to one atom and `|` only ever splits the whole expression.

type Atom =
  | { readonly kind: 'set'; readonly ranges: Ranges }
  | { readonly kind: 'start' | 'end' | 'boundary' | 'notBoundary' };

interface Term {
  readonly atom: Atom;
  readonly at: number;
  min: number;
  /** -1: no upper bound. */
  max: number;
  repeated: boolean;
}

// AWS's list: alphanumerics; symbols : _ # = @ / ; , - ; operators ^ $ ? [ ] { } | \ * + .
// Assumption: a plain space is accepted too (AWS's list omits it, but rejecting `%REJECT OK%` would
// only hurt; the doc does not show such a pattern being refused).
const ALLOWED = /^[A-Za-z0-9:_#=@/;,\-^$?[\]{}|\\*+. ]$/;
const ALNUM = /^[A-Za-z0-9]$/;

class RegexParser {
  i = 0;
  size = 0;
  constructor(readonly text: string) {}

  fail(detail: string, at = this.i): never {
    throw new RegexSyntaxError(at, detail);
  }

  parse(): Term[][] {
    const { text } = this;
    if (text.length === 0) this.fail('empty regular expression', 0);
    for (let k = 0; k < text.length; k++) {
      const c = text[k]!;
      if (c.charCodeAt(0) > 0x7e) this.fail(`multi-byte character '${c}' is not supported in a regular expression`, k);
      if (c === '(' || c === ')') this.fail(`'${c}' is not supported: a regular expression cannot define groups`, k);
      if (!ALLOWED.test(c)) this.fail(`character '${c}' is not supported in a regular expression`, k);
    }
    const alternatives: Term[][] = [[]];
    while (this.i < text.length) {
      const c = text[this.i]!;
      const at = this.i;
      const terms = alternatives[alternatives.length - 1]!;
      if (c === '|') {
        this.i++;
        alternatives.push([]);
        continue;
      }
      if (c === '*' || c === '+' || c === '?' || c === '{') {
        this.repetition(terms[terms.length - 1]);
        continue;
      }
      let atom: Atom;
      if (c === '^') {
        atom = { kind: 'start' };
        this.i++;
      } else if (c === '$') {
        atom = { kind: 'end' };
        this.i++;
      } else if (c === '.') {
        atom = { kind: 'set', ranges: DOT };
        this.i++;
      } else if (c === '[') {
        atom = { kind: 'set', ranges: this.characterClass() };
      } else if (c === '\\') {
        const e = this.escape(false);
        atom = typeof e === 'string' ? { kind: e } : { kind: 'set', ranges: typeof e === 'number' ? char(e) : e };
      } else if (c === ']' || c === '}') {
        this.fail(`unmatched '${c}'; write '\\${c}' to match it literally`);
      } else {
        atom = { kind: 'set', ranges: char(c.charCodeAt(0)) };
        this.i++;
      }
      terms.push({ atom, at, min: 1, max: 1, repeated: false });
      this.grow(1, at);
    }
    return alternatives;
  }

  private grow(n: number, at: number): void {
    this.size += n;
    if (this.size > MAX_REGEX_SIZE) {
      this.fail(`the regular expression is too large: with its repetitions expanded it exceeds ${MAX_REGEX_SIZE} positions ({m,n} counts n)`, at);
    }
  }

  /** At `*`, `+`, `?` or `{`: applies it to `term`, the atom just read. */
  private repetition(term: Term | undefined): void {
    const at = this.i;
    const c = this.text[at]!;
    let min: number;
    let max: number;
    if (c === '{') {
      [min, max] = this.counts();
    } else {
      this.i++;
      [min, max] = c === '*' ? [0, -1] : c === '+' ? [1, -1] : [0, 1];
    }
    const shown = this.text.slice(at, this.i);
    if (!term) this.fail(`'${shown}' has nothing to repeat`, at);
    if (term.repeated) this.fail(`'${shown}' follows another repetition: nothing to repeat (a regular expression cannot define groups)`, at);
    if (term.atom.kind !== 'set') this.fail(`'${shown}' cannot repeat an anchor (${this.text.slice(term.at, at)})`, at);
    // A lazy repetition (`*?`) finds the same events: only where a match ends differs.
    if (this.text[this.i] === '?') this.i++;
    term.min = min;
    term.max = max;
    term.repeated = true;
    this.grow((max < 0 ? Math.max(min, 1) : max) - 1, at);
  }

  /** At `{`: `{m}`, `{m,}` or `{m,n}`. */
  private counts(): [number, number] {
    const at = this.i;
    const m = /^\{(\d+)(,(\d*))?\}/.exec(this.text.slice(at, at + 16));
    if (!m) this.fail("'{' must start a repetition {m}, {m,} or {m,n} (digits only, no spaces); write '\\{' to match it literally", at);
    this.i += m[0].length;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
    for (const n of [min, max]) if (n > MAX_REPEAT) this.fail(`repetition count ${n} is more than ${MAX_REPEAT}`, at);
    if (max >= 0 && max < min) this.fail(`repetition {${min},${max}} has its numbers out of order`, at);
    return [min, max];
  }

  /** At `\`: a class escape (a set), one character (a code point) or a word boundary. */
  private escape(inClass: boolean): Ranges | number | 'boundary' | 'notBoundary' {
    const at = this.i;
    const c = this.text[at + 1];
    if (c === undefined) this.fail("'\\' at the end of the regular expression escapes nothing", at);
    this.i += 2;
    const set = CLASS_ESCAPES[c];
    if (set) return set;
    const control = CONTROL_ESCAPES[c];
    if (control !== undefined) return control;
    if (c === 'b' || c === 'B') {
      if (inClass) this.fail(`'\\${c}' is not supported inside a character class`, at);
      return c === 'b' ? 'boundary' : 'notBoundary';
    }
    if (/[0-9]/.test(c)) this.fail(`'\\${c}' is not supported: a regular expression has no groups to refer back to`, at);
    if (ALNUM.test(c)) this.fail(`'\\${c}' is not a supported escape (supported: ${SUPPORTED_ESCAPES})`, at);
    return c.charCodeAt(0);
  }

  /** At `[`: `[abc]`, `[a-z0-9_]`, `[^\s,]`; every character but `\` and a closing `]` is literal inside. */
  private characterClass(): number[] {
    const open = this.i;
    this.i++;
    const negate = this.text[this.i] === '^';
    if (negate) this.i++;
    if (this.text[this.i] === ']') this.fail(`empty character class '${this.text.slice(open, this.i + 1)}'; write '\\]' to match ']'`, open);
    let ranges: number[] = [];
    for (;;) {
      if (this.i >= this.text.length) this.fail("unterminated character class (no closing ']')", open);
      if (this.text[this.i] === ']') {
        this.i++;
        break;
      }
      const lowAt = this.i;
      const low = this.classAtom();
      if (this.text[this.i] === '-' && this.i + 1 < this.text.length && this.text[this.i + 1] !== ']') {
        this.i++;
        const highAt = this.i;
        const high = this.classAtom();
        if (typeof low !== 'number' || typeof high !== 'number') {
          this.fail(`a range needs a single character at each end, not a class such as \\d ('${this.text.slice(lowAt, this.i)}')`, typeof low !== 'number' ? lowAt : highAt);
        }
        if (high < low) this.fail(`range '${this.text.slice(lowAt, this.i)}' is out of order`, lowAt);
        ranges.push(low, high);
      } else {
        ranges = typeof low === 'number' ? [...ranges, low, low] : union(ranges, low);
      }
    }
    const set = normalize(ranges);
    return negate ? complement(set) : set;
  }

  /** One member of a class: a code point, or a set for \d, \s, \w and their negations. */
  private classAtom(): number | Ranges {
    if (this.text[this.i] !== '\\') return this.text.charCodeAt(this.i++);
    // Inside a class escape() refuses \b and \B, so only a code point or a set comes back.
    return this.escape(true) as number | Ranges;
  }
}

// ---------------------------------------------------------------------------------------------
// RE2 program text

const hex = (c: number): string => `\\x{${c.toString(16)}}`;

function setProgram(r: Ranges): string {
  if (r.length === 0) return `[^\\x{0}-\\x{10ffff}]`;
  if (r.length === 2 && r[0] === r[1]) return hex(r[0]!);
  let out = '[';
  for (let k = 0; k < r.length; k += 2) out += r[k] === r[k + 1] ? hex(r[k]!) : `${hex(r[k]!)}-${hex(r[k + 1]!)}`;
  return `${out}]`;
}

function termProgram(t: Term): string {
  switch (t.atom.kind) {
    case 'start':
      return '\\A';
    case 'end':
      return '\\z';
    case 'boundary':
      return '\\b';
    case 'notBoundary':
      return '\\B';
    case 'set': {
      const atom = setProgram(t.atom.ranges);
      if (!t.repeated) return atom;
      if (t.max < 0) return t.min === 0 ? `${atom}*` : t.min === 1 ? `${atom}+` : `${atom}{${t.min},}`;
      return t.min === t.max ? `${atom}{${t.min}}` : `${atom}{${t.min},${t.max}}`;
    }
  }
}

/** Parses `source` (the text between `%` signs) and compiles it; throws RegexSyntaxError. */
export function compileLinearRegex(source: string): LinearRegex {
  const alternatives = new RegexParser(source).parse();
  const program = alternatives.map((terms) => terms.map(termProgram).join('')).join('|');
  let re: RE2JS;
  try {
    re = RE2JS.compile(program);
  } catch (e) {
    // The program is built from checked parts; reaching this is a bug here, reported on the pattern.
    throw new RegexSyntaxError(0, `the regular expression could not be compiled: ${(e as Error).message}`);
  }
  return { source, program, test: (text) => re.test(text) };
}
