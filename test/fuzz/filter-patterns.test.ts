// Fuzz: random CloudWatch Logs filter patterns (terms, %regex% in AWS's subset and out of it, [..]
// space-delimited, {..} JSON), valid and mutated, evaluated with parseFilterPattern on random messages
// (flow-log lines, JSON events, text, long and deeply nested ones) in a worker, each case under a
// deadline: no hang, only FilterPatternError with a position and a reason, and the semantic checks of
// filter-task.ts. Seeds, case counts and replay: see lib.ts.
import { test, after } from 'node:test';
import { CaseWorker, Failures, Rng, SEED, caseCount, caseIndices, outcomeProblem, seedLine } from './lib.ts';
import type { FilterCase, FilterVerdict } from './filter-task.ts';

const SUITE = 'filter-patterns';
const CASES = caseCount(4000);

const WORDS = ['REJECT', 'ACCEPT', 'OK', 'NODATA', 'SKIPDATA', 'ERROR', 'eni', 'vpc', 'x', 'a', 'b', '6', '17', '443', '10', '0', '-', 'constructor', '__proto__', 'valueOf'];
const IPS = ['10.0.1.10', '10.0.2.20', '172.16.0.1', '2600:1f18:abcd:1201::10', '0.0.0.0', '255.255.255.255'];

/** A word of the patterns' and messages' shared vocabulary; `numeric`: a number only. */
function word(rng: Rng, numeric = false): string {
  if (numeric) return String(rng.pick([0, 1, 6, 17, 22, 80, 443, 65535, -1, 1.5, 1e21, 0.001]));
  return rng.weighted<() => string>([
    [6, () => rng.pick(WORDS)],
    [2, () => String(rng.pick([0, 1, 6, 17, 22, 80, 443, 65535, -1, 1.5, 1e21]))],
    [1, () => rng.pick(IPS)],
    [1, () => Array.from({ length: rng.range(1, 8) }, () => rng.pick([...'abcXYZ019_'])).join('')],
  ])();
}

// ---- regular expressions: the documented subset, with out-of-subset pieces sometimes ----

function regexBody(rng: Rng, budget: { stars: number }): string {
  const atom = (): string => rng.weighted<() => string>([
    [6, () => rng.pick([...'abcRJECTOK0123456789-_:/.@#=,; '])],
    [2, () => '.'],
    [3, () => rng.pick(['\\d', '\\w', '\\s', '\\D', '\\W', '\\S', '\\.', '\\*', '\\[', '\\]', '\\{', '\\}', '\\|', '\\\\', '\\t', '\\n', '\\-', '\\+', '\\?', '\\^', '\\$'])],
    [2, () => rng.pick(['[a-z]', '[0-9]', '[A-Z0-9_]', '[^ ]', '[^\\s,]', '[\\d.]', '[-a]', '[a-]', '[.]', '[\\]]', '[*+?]'])],
    [1, () => rng.pick(['\\b', '\\B', '^', '$'])],
  ])();
  const quantifier = (): string => {
    const q = rng.weighted([[10, ''], [2, '*'], [2, '+'], [2, '?'], [1, '{2}'], [1, '{1,3}'], [1, '{2,}'], [1, '*?'], [1, '+?'], [1, `{${rng.pick([0, 5, 999, 1000, 1001, 5000])}}`]] as const);
    if (q === '*' || q === '+' || q === '{2,}' || q === '*?' || q === '+?') {
      // Unbounded repetitions are what make a backtracking RegExp (the oracle) slow; keep them few.
      if (budget.stars >= 3) return '';
      budget.stars++;
    }
    return q;
  };
  const seq = () => Array.from({ length: rng.range(1, 6) }, () => atom() + quantifier()).join('');
  let body = seq();
  while (rng.chance(0.2)) body += `|${seq()}`;
  if (rng.chance(0.15)) {
    // Outside the subset, or plainly broken.
    const broken = rng.pick(['(', ')', '(a)', '[', '[]', '[z-a]', '[\\d-z]', '{', '{,5}', 'a{3,1}', '**', 'a**', '^*', '\\', '\\1', '\\x41', '\\u0041', '\\p{L}', 'é', '😀', '"', "'", '%', '&', '!', '<', '~', '`', 'a{1001}']);
    const at = rng.int(body.length + 1);
    body = body.slice(0, at) + broken + body.slice(at);
  }
  return body;
}

// ---- patterns ----

function value(rng: Rng, budget: { stars: number; regexes: number }): string {
  return rng.weighted<() => string>([
    [4, () => word(rng)],
    [2, () => `${rng.pick(['*', ''])}${word(rng)}${rng.pick(['*', ''])}`],
    [2, () => `"${rng.pick(['', 'a b', 'REJECT', 'quote \\" inside', 'back\\\\slash', word(rng)])}"`],
    [1, () => (++budget.regexes <= 3 ? `%${regexBody(rng, budget)}%` : word(rng))],
    [0.5, () => rng.pick(['', '@', '$x', 'a\\b', '1e', '--1', '.5', '+3', '1.2.3', 'NaN', 'Infinity', 'true', 'null'])],
  ])();
}

const op = (rng: Rng): string => (rng.chance(0.96) ? rng.pick(['=', '!=', '<', '<=', '>', '>=', '=']) : rng.pick(['==', '=<', '<>', '!', '=!']));

function delimited(rng: Rng, budget: { stars: number; regexes: number }): string {
  const names = ['version', 'account', 'eni', 'src', 'dst', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'action', 'status', 'constructor', '__proto__', 'valueOf', 'hasOwnProperty'];
  const n = rng.range(1, 15);
  const slots: string[] = [];
  const declared: string[] = [];
  // Mostly distinct names (a name used twice is refused); a condition may name a field declared before.
  const fresh = (i: number) => {
    const name = rng.chance(0.05) && declared.length ? rng.pick(declared) : `${rng.pick(names)}${i}`;
    declared.push(name);
    return name;
  };
  for (let i = 0; i < n; i++) {
    slots.push(rng.weighted<() => string>([
      [5, () => fresh(i)],
      [i === 0 || slots.includes('...') ? 0.2 : 1, () => '...'],
      [0.5, () => ''],
      [3, () => {
        const name = fresh(i);
        const cond = (nm: string) => {
          const o = op(rng);
          return `${nm} ${o} ${/^[<>]/.test(o) && rng.chance(0.9) ? word(rng, true) : value(rng, budget)}`;
        };
        let e = cond(name);
        while (rng.chance(0.3)) e += ` ${rng.chance(0.9) ? rng.pick(['&&', '||']) : rng.pick(['&', '|', 'AND'])} ${cond(rng.chance(0.9) ? rng.pick(declared) : rng.pick(names))}`;
        return e;
      }],
    ])());
  }
  return `[${slots.join(rng.pick([', ', ',', ' , ']))}]`;
}

function selector(rng: Rng): string {
  let s = '$';
  const n = rng.range(rng.chance(0.95) ? 1 : 0, 4);
  for (let i = 0; i < n; i++) {
    s += rng.chance(0.7)
      ? `.${rng.chance(0.98) ? rng.pick(['a', 'b', 'eventName', 'user-id', 'x_1', 'constructor', '__proto__', 'length', 'toString', '0']) : ''}`
      : `[${rng.chance(0.97) ? rng.pick(['0', '1', '10', '99999999999']) : rng.pick(['-1', 'a', ''])}]`;
  }
  return s;
}

function json(rng: Rng, budget: { stars: number; regexes: number }, depth = 0): string {
  const primary = (): string => rng.weighted<() => string>([
    [5, () => {
      const o = op(rng);
      return `${selector(rng)} ${o} ${/^[<>]/.test(o) && rng.chance(0.9) ? word(rng, true) : value(rng, budget)}`;
    }],
    [2, () => `${selector(rng)} ${rng.chance(0.85) ? rng.pick(['IS NULL', 'IS TRUE', 'IS FALSE', 'NOT EXISTS', 'is true']) : rng.pick(['IS', 'IS MAYBE', 'NOT', 'EXISTS'])}`],
    [1, () => (depth < 4 ? `(${json(rng, budget, depth + 1)})` : `${selector(rng)} = 1`)],
  ])();
  let e = primary();
  while (rng.chance(0.35)) e += ` ${rng.pick(['&&', '||', '&', 'OR'])} ${primary()}`;
  return depth === 0 ? `{ ${e} }` : e;
}

/** A term that needs no quotes. */
function bare(rng: Rng): string {
  const w = word(rng);
  return /^[A-Za-z0-9_]+$/.test(w) ? w : rng.pick(['REJECT', 'ACCEPT', 'OK', 'eni', '443', 'x_1']);
}

function terms(rng: Rng): string {
  const n = rng.range(1, 5);
  return Array.from({ length: n }, () => rng.weighted<() => string>([
    [5, () => bare(rng)],
    [2, () => `"${rng.pick(['a b', 'REJECT OK', 'x"y', '\\"', '', word(rng)])}"`],
    [2, () => `-${bare(rng)}`],
    [2, () => `?${bare(rng)}`],
    [0.5, () => rng.pick(['-', '?', '- "x"', '"unterminated', 'a.b', 'ünï', '😀', '*', '$', '%a', '10.0.1.10'])],
  ])()).join(rng.pick([' ', '  ', '\t']));
}

/** Character-level damage to a pattern, to reach the error paths. */
function damage(p: string, rng: Rng): string {
  const n = rng.range(1, 3);
  let s = p;
  for (let i = 0; i < n; i++) {
    const at = rng.int(s.length + 1);
    s = rng.weighted<() => string>([
      [2, () => s.slice(0, at) + s.slice(at + 1)],
      [2, () => s.slice(0, at) + rng.pick([...'[]{}()%"\\,&|=<>!$. ?-*']) + s.slice(at)],
      [1, () => s.slice(0, at)],
      [1, () => s.slice(0, at) + String.fromCharCode(rng.int(0x10000)) + s.slice(at)],
    ])();
  }
  return s;
}

function pattern(rng: Rng): { text: string; regexOracle: boolean } {
  const budget = { stars: 0, regexes: 0 };
  let text = rng.weighted<() => string>([
    [3, () => terms(rng)],
    [3, () => `%${regexBody(rng, budget)}%`],
    [3, () => delimited(rng, budget)],
    [3, () => json(rng, budget)],
    [1, () => rng.pick(['', ' ', '\t\n', '[]', '{}', '%%', '%', '[', '{', '"', '[...]', '[..., ...]', '{ $ = 1 }', '{ $. = 1 }', '{ $.a[ = 1 }'])],
    [0.3, () => 'a '.repeat(rng.pick([511, 512, 513, 600])).trimEnd()],
  ])();
  const damaged = rng.chance(0.25);
  if (damaged) text = damage(text, rng);
  if (rng.chance(0.1)) text = `${rng.pick([' ', '\t', '\n'])}${text}${rng.pick([' ', '\r\n', ''])}`;
  // Damage may add repetitions the budget did not count.
  return { text, regexOracle: !damaged };
}

// ---- messages ----

function flowLine(rng: Rng): string {
  const f = [2, '111122223333', 'eni-0a1b2c3d4e5f60718', rng.pick(IPS), rng.pick(IPS), rng.pick([0, 22, 443, 49152]), rng.pick([0, 80, 5353]), rng.pick([1, 6, 17]),
    rng.range(1, 1000), rng.range(40, 1e6), 1_767_225_600, 1_767_225_660, rng.pick(['ACCEPT', 'REJECT', '-']), rng.pick(['OK', 'NODATA', 'SKIPDATA'])];
  if (rng.chance(0.2)) f.splice(rng.int(f.length), 1);
  return f.join(' ');
}

function jsonEvent(rng: Rng, depth = 0): string {
  const val = (): string => rng.weighted<() => string>([
    [3, () => JSON.stringify(word(rng))],
    [2, () => String(rng.pick([0, 1, -1, 3.5, 1e300, 6, 443]))],
    [1, () => rng.pick(['true', 'false', 'null'])],
    [1, () => (depth < 4 ? jsonEvent(rng, depth + 1) : '1')],
    [1, () => (depth < 4 ? `[${Array.from({ length: rng.range(0, 3) }, () => val()).join(',')}]` : '[]')],
  ])();
  const keys = ['a', 'b', 'eventName', 'user-id', 'x_1', 'constructor', '__proto__', 'length', '0'];
  return `{${Array.from({ length: rng.range(0, 4) }, () => `${JSON.stringify(rng.pick(keys))}:${val()}`).join(',')}}`;
}

function message(rng: Rng, long: boolean): string {
  return rng.weighted<() => string>([
    [4, () => flowLine(rng)],
    [3, () => jsonEvent(rng)],
    [2, () => Array.from({ length: rng.range(0, 12) }, () => word(rng)).join(rng.pick([' ', '  ', ','])) ],
    [1, () => rng.pick(['', ' ', '"', '[', '"a b" [c d] e', '[unterminated', '"x', '\u2028', '😀 REJECT', 'Ā'.repeat(5)])],
    [1, () => (long ? `${flowLine(rng)} ${'x'.repeat(rng.pick([70_000, 262_143, 262_145, 300_000]))}` : flowLine(rng))],
    [1, () => (long ? `${'['.repeat(rng.pick([999, 1000, 1001, 50_000]))}${']'.repeat(rng.pick([0, 999, 1000, 1001]))}` : jsonEvent(rng))],
    [1, () => (long ? `${'{"a":'.repeat(rng.pick([999, 1000, 1001, 20_000]))}1${'}'.repeat(rng.pick([999, 1000, 1001, 20_000]))}` : jsonEvent(rng))],
  ])();
}

let worker: CaseWorker;

after(async () => {
  await worker?.stop();
});

test('random filter patterns on random messages: no hang, only FilterPatternError (with position and reason), consistent matching', { timeout: 20 * 60_000 }, async (t) => {
  t.diagnostic(seedLine(SUITE, { patterns: CASES }));
  worker = new CaseWorker('filter-task.ts', 256);
  const failures = new Failures(SUITE, 'patterns');
  const tally: Record<string, number> = { refused: 0, matched: 0 };
  const reasons = new Map<string, number>();
  for (const i of caseIndices(CASES)) {
    const rng = new Rng(SEED, 'patterns', i);
    const { text, regexOracle } = pattern(rng);
    const long = rng.chance(0.06);
    const messages = Array.from({ length: rng.range(1, 8) }, () => message(rng, long));
    const input: FilterCase = { pattern: text, messages, termMatch: rng.chance(0.8) ? 'substring' : 'word', regexOracle };
    const o = await worker.run<FilterVerdict>(input);
    const problem = outcomeProblem(o) ?? (o.status === 'done' && o.value.ok && o.value.result.violations.length ? o.value.result.violations.join('; ') : undefined);
    if (problem) {
      failures.add(i, `pattern ${JSON.stringify(text.slice(0, 300))}: ${problem}`, JSON.stringify(input, null, 1), 'json');
      continue;
    }
    if (o.status === 'done' && o.value.ok) {
      const r = o.value.result;
      if (!r.parsed) {
        tally.refused!++;
        const why = (r.error ?? '').replace(/at position \d+: /, '').replace(/'[^']*'/g, "'…'").slice(0, 70);
        reasons.set(why, (reasons.get(why) ?? 0) + 1);
      }
      else tally[r.kind!] = (tally[r.kind!] ?? 0) + 1;
      tally.matched! += r.matched;
    }
  }
  t.diagnostic(`outcomes ${JSON.stringify(tally)}; worker heap peak ${(worker.peakHeap / 1048576).toFixed(1)} MiB`);
  t.diagnostic(`most frequent refusals: ${[...reasons].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([w, n]) => `${n}× ${w}`).join(' | ')}`);
  failures.assertNone();
});
