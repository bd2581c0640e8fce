// The linear-time regular expressions of filter patterns: the same answers as JavaScript's
// backtracking RegExp over generated patterns of the supported subset (a differential test), no
// blow-up on the patterns that hang a backtracking engine, and precise refusals outside the subset.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { compileLinearRegex, MAX_REGEX_SIZE, RegexSyntaxError } from './linear-regex.ts';

/** A small deterministic generator (mulberry32), so a failing case is the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const LITERALS = ['a', 'b', 'c', '1', '2', ' ', '-', '_', ':', '#', '=', '@', '/', ';', ','];
const ESCAPED = ['\\.', '\\-', '\\*', '\\+', '\\?', '\\[', '\\]', '\\{', '\\}', '\\|', '\\\\', '\\^', '\\$', '\\ ', '\\/'];
const CLASS_ESCAPES = ['\\d', '\\D', '\\w', '\\W', '\\s', '\\S'];
const CONTROLS = ['\\t', '\\n', '\\r'];
const CLASS_ITEMS = ['a', 'b', '1', 'a-c', '0-9', 'A-Z', '\\d', '\\s', '\\W', '\\S', '.', '*', '[', '$', '{', '\\]', '\\-', '\\^', ' ', '_'];
const QUANTIFIERS = ['', '', '', '*', '+', '?', '{2}', '{1,3}', '{0,2}', '{2,}', '*?', '+?', '{0}'];
const ANCHORS = ['^', '$', '\\b', '\\B'];

function characterClass(r: () => number): string {
  const n = 1 + Math.floor(r() * 3);
  const items = Array.from({ length: n }, () => pick(r, CLASS_ITEMS));
  // '-' only last, where both engines read it as itself (elsewhere it could make a range of a class).
  if (r() < 0.2) items.push('-');
  return `[${r() < 0.3 ? '^' : ''}${items.join('')}]`;
}

function term(r: () => number): string {
  const k = r();
  if (k < 0.1) return pick(r, ANCHORS);
  const atom = k < 0.45 ? pick(r, LITERALS) : k < 0.55 ? pick(r, ESCAPED) : k < 0.65 ? '.' : k < 0.8 ? pick(r, CLASS_ESCAPES) : k < 0.83 ? pick(r, CONTROLS) : characterClass(r);
  return atom + pick(r, QUANTIFIERS);
}

function pattern(r: () => number): string {
  const alternatives = 1 + Math.floor(r() * 3);
  return Array.from({ length: alternatives }, () => Array.from({ length: Math.floor(r() * 5) }, () => term(r)).join('')).join('|') || 'a';
}

const INPUT_CHARS = ['a', 'b', 'c', 'A', '1', '2', '9', ' ', '-', '_', '.', ':', '[', ']', '*', '\n', '\r', '\t', '\u00a0', '\u2028', 'é', '\\', '$', '^'];

function input(r: () => number): string {
  return Array.from({ length: Math.floor(r() * 11) }, () => pick(r, INPUT_CHARS)).join('');
}

describe('differential: the same answers as a backtracking RegExp', () => {
  test('AWS documentation examples and hand-picked cases', () => {
    const cases: [string, string[]][] = [
      ['AUTHORIZED', ['[ERROR 401] UNAUTHORIZED REQUEST', '[SUCCESS 200] AUTHORIZED REQUEST', 'authorized']],
      ['^[hc]at', ['hat', 'cat', 'a cat', 'bat']],
      ['[hc]at$', ['hat', 'that cat', 'cats']],
      ['colou?r', ['color', 'colour', 'colouur']],
      ['[abcx-z]', ['y', 'd', 'X']],
      ['a{3,5}', ['aa', 'aaa', 'baaab']],
      ['gray|grey', ['grey', 'gray', 'griy']],
      ['10\\.10\\.0\\.1', ['10.10.0.1', '10x10.0.1']],
      ['\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}', ['172.31.16.139', '172.31.16', 'a.b.c.d']],
      ['[Ee]rror|[Ff]ail', ['Error', 'fail', 'FAIL']],
      ['^2 \\d{12} eni-[0-9a-f]+ ', ['2 123456789010 eni-1235b8ca123456789 172.31.16.139', '2 12345678901 eni-1 ']],
      ['REJECT OK$', ['... REJECT OK', '... REJECT OK ', 'ACCEPT OK']],
      ['a.c', ['abc', 'a\nc', 'a\rc', 'a\u2028c', 'a c']],
      ['\\s', ['\u00a0', '\u2028', '\ufeff', 'x']],
      ['[^\\s,]+x', [', x', 'yx', ' x']],
      ['\\bOK\\b', ['OK', 'NOK', 'is OK.', 'OKAY']],
      ['a|', ['', 'b']],
    ];
    for (const [p, inputs] of cases) {
      const ours = compileLinearRegex(p);
      const js = new RegExp(p);
      for (const s of inputs) assert.equal(ours.test(s), js.test(s), `${p} on ${JSON.stringify(s)}`);
    }
  });

  test('600 generated patterns × 40 generated inputs', () => {
    const r = rng(20240601);
    let compared = 0;
    let matched = 0;
    for (let k = 0; k < 600; k++) {
      const p = pattern(r);
      const js = new RegExp(p); // every generated pattern is valid JavaScript with the same meaning
      const ours = compileLinearRegex(p);
      for (let j = 0; j < 40; j++) {
        const s = input(r);
        const want = js.test(s);
        assert.equal(ours.test(s), want, `pattern ${JSON.stringify(p)} on ${JSON.stringify(s)} (program ${ours.program})`);
        compared++;
        if (want) matched++;
      }
    }
    // The corpus must exercise both answers, or agreeing would prove little.
    assert.ok(matched > compared / 10 && matched < compared * 0.9, `${matched} of ${compared} matched`);
  });
});

describe('patterns that make a backtracking engine explode', () => {
  const hostile = '\\d*'.repeat(16) + 'x';
  const cases: [string, string, boolean][] = [
    [hostile, '1'.repeat(40), false],
    [hostile, '1'.repeat(262_144), false],
    [hostile, `${'1'.repeat(5000)}x`, true],
    ['\\d*'.repeat(16) + '\\D', '1'.repeat(100_000), false],
    ['[0-9a]{1,999}\\s', 'a1'.repeat(5000), false],
    ['a+'.repeat(10) + 'b', 'a'.repeat(50_000), false],
    ['.*.*.*.*.*.*.*.*=', 'x'.repeat(50_000), false],
  ];
  for (const [p, s, want] of cases) {
    test(`${p.slice(0, 40)}${p.length > 40 ? '…' : ''} on ${s.length} characters`, { timeout: 20_000 }, () => {
      assert.equal(compileLinearRegex(p).test(s), want);
    });
  }
});

describe('refusals outside the supported subset', () => {
  const cases: [source: string, offset: number, detail: RegExp][] = [
    ['(a)', 0, /cannot define groups/],
    ['a)', 1, /cannot define groups/],
    ['a!', 1, /character '!' is not supported/],
    ['é', 0, /multi-byte character/],
    ['*a', 0, /'\*' has nothing to repeat/],
    ['a|+', 2, /'\+' has nothing to repeat/],
    ['a**', 2, /follows another repetition/],
    ['a{2}{3}', 4, /follows another repetition/],
    ['^*', 1, /cannot repeat an anchor/],
    ['\\b+', 2, /cannot repeat an anchor/],
    ['a{', 1, /'\{' must start a repetition/],
    ['a{1, 3}', 1, /no spaces/],
    ['a{,3}', 1, /'\{' must start a repetition/],
    ['a{3,1}', 1, /out of order/],
    ['a{1001}', 1, /more than 1000/],
    ['x]', 1, /unmatched '\]'/],
    ['x}', 1, /unmatched '\}'/],
    ['[]', 0, /empty character class/],
    ['[^]', 0, /empty character class/],
    ['[abc', 0, /unterminated character class/],
    ['[z-a]', 1, /out of order/],
    ['[\\d-z]', 1, /single character at each end/],
    ['[a-\\w]', 3, /single character at each end/],
    ['[\\b]', 1, /not supported inside a character class/],
    ['(?=a)', 0, /cannot define groups/],
    ['\\1', 0, /no groups to refer back to/],
    ['a\\k', 1, /'\\k' is not a supported escape/],
    ['\\x41', 0, /'\\x' is not a supported escape/],
    ['\\u0041', 0, /'\\u' is not a supported escape/],
    ['ab\\', 2, /escapes nothing/],
    ['', 0, /empty regular expression/],
  ];
  for (const [source, offset, detail] of cases) {
    test(JSON.stringify(source), () => {
      assert.throws(
        () => compileLinearRegex(source),
        (e: unknown) => {
          assert.ok(e instanceof RegexSyntaxError, String(e));
          assert.equal(e.code, 'InvalidParameterException');
          assert.equal(e.offset, offset, e.message);
          assert.match(e.detail, detail);
          return true;
        },
      );
    });
  }

  test(`at most ${MAX_REGEX_SIZE} positions once repetitions are expanded`, () => {
    assert.doesNotThrow(() => compileLinearRegex('\\d{1000}'));
    assert.doesNotThrow(() => compileLinearRegex('a*'.repeat(MAX_REGEX_SIZE)));
    assert.doesNotThrow(() => compileLinearRegex('a{500}|b{500}'));
    for (const [source, offset] of [['\\d{1000}x', 8], ['a{600}b{600}', 7], ['a'.repeat(MAX_REGEX_SIZE + 1), MAX_REGEX_SIZE], ['a{2,}'.repeat(501), 2500]] as const) {
      assert.throws(() => compileLinearRegex(source), (e: unknown) => e instanceof RegexSyntaxError && e.offset === offset && /too large/.test(e.detail), source.slice(0, 30));
    }
  });
});
