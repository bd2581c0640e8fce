import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  FilterPatternError,
  MAX_EVALUATED_MESSAGE_LENGTH,
  MAX_FILTER_PATTERN_LENGTH,
  MAX_JSON_DEPTH,
  parseFilterPattern,
  splitDelimitedFields,
} from './filter-pattern.ts';

// Records and expected results: spec §6.3 "Worked match table" (records are AWS's documented examples).
const R1 = '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK';
const R2 = '2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK';
const R3 = '2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA';
const R4 = '2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK';
const R5 = '2 123456789010 eni-1235b8ca123456789 172.31.16.139 203.0.113.12 0 0 1 4 336 1432917094 1432917142 REJECT OK';
const RECORDS = [R1, R2, R3, R4, R5];

const WORKED_TABLE: [pattern: string, expected: [boolean, boolean, boolean, boolean, boolean]][] = [
  ['[version, account, eni, source, destination, srcport, destport="22", protocol="6", packets, bytes, windowstart, windowend, action="REJECT", flowlogstatus]', [false, false, false, false, false]],
  ['[version, accountid, interfaceid, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action = REJECT, logstatus]', [false, true, false, false, true]],
  ['[version, accountid, interfaceid, srcaddr = 172.31.*, ...]', [true, true, false, false, true]],
  ['[version, accountid, interfaceid, srcaddr, dstaddr, srcport, dstport = 22 || dstport = 3389, ...]', [true, true, false, false, false]],
  ['[..., bytes >= 400, start, end, action, logstatus]', [true, true, false, false, false]],
  ['[..., logstatus != OK]', [false, false, true, false, false]],
  ['[..., action = REJECT, logstatus]', [false, true, false, false, true]],
  ['REJECT', [false, true, false, false, true]],
  ['NODATA', [false, false, true, false, false]],
];

describe('spec §6.3 worked match table', () => {
  for (const [pattern, expected] of WORKED_TABLE) {
    RECORDS.forEach((record, i) => {
      test(`R${i + 1} × ${pattern}`, () => {
        assert.equal(parseFilterPattern(pattern).matches(record), expected[i]);
      });
    });
  }

  test('metric value $bytes from [..., action = REJECT, logstatus] sums 4249 + 336', () => {
    const p = parseFilterPattern('[version, accountid, interfaceid, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action = REJECT, logstatus]');
    const sum = RECORDS.map((r) => p.extract(r)).reduce((acc, x) => acc + (x ? Number(x.$bytes) : 0), 0);
    assert.equal(sum, 4249 + 336);
  });
});

describe('documented flow-log patterns (spec §6.3) parse', () => {
  const documented = [
    '[version, accountid, interfaceid, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, logstatus]',
    '[version, accountid, interfaceid, srcaddr = 10.0.0.1, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, logstatus]',
    '[version, accountid, interfaceid, srcaddr = 10.0.2.*, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, logstatus]',
    '[version, accountid, interfaceid, srcaddr, dstaddr, srcport, dstport = 80 || dstport = 8080, protocol, packets, bytes, start, end, action, logstatus]',
    '[version, accountid, interfaceid, srcaddr, dstaddr, srcport, dstport = 80 || dstport = 8080, protocol, packets, bytes >= 400, start, end, action = REJECT, logstatus]',
    '[version, account, eni, source, destination, srcport, destport="22", protocol="6", packets, bytes, windowstart, windowend, action="REJECT", flowlogstatus]',
  ];
  for (const text of documented) {
    test(text, () => {
      const p = parseFilterPattern(text);
      assert.equal(p.kind, 'delimited');
      // The plain 14-name pattern matches every default-format record, including NODATA.
      if (text === documented[0]) for (const r of RECORDS) assert.equal(p.matches(r), true);
    });
  }

  test('srcaddr = 10.0.0.1 is an exact match, 10.0.2.* a prefix', () => {
    const exact = parseFilterPattern(documented[1]!);
    assert.equal(exact.matches(R1.replace('172.31.16.139', '10.0.0.1')), true);
    assert.equal(exact.matches(R1.replace('172.31.16.139', '10.0.0.11')), false);
    const prefix = parseFilterPattern(documented[2]!);
    assert.equal(prefix.matches(R1.replace('172.31.16.139', '10.0.2.77')), true);
    assert.equal(prefix.matches(R1.replace('172.31.16.139', '10.0.20.77')), false);
  });

  test('the SSH-reject metric filter example matches a rejected port-22 TCP record only', () => {
    const p = parseFilterPattern(documented[5]!);
    const sshReject = R1.replace('ACCEPT', 'REJECT');
    assert.equal(p.matches(sshReject), true);
    assert.equal(p.matches(R1), false);
    assert.equal(p.matches(sshReject.replace(' 22 6 ', ' 22 17 ')), false);
  });
});

describe('empty and match-all patterns', () => {
  for (const text of ['', ' ', '   \t ']) {
    test(JSON.stringify(text), () => {
      const p = parseFilterPattern(text);
      assert.equal(p.kind, 'all');
      assert.equal(p.matches(R1), true);
      assert.equal(p.matches(''), true);
      assert.deepEqual(p.extract(R3), {});
      assert.equal(p.sqlHint, undefined);
    });
  }
  test('"" (an empty quoted term) matches everything', () => {
    assert.equal(parseFilterPattern('""').matches('anything'), true);
  });
});

describe('term patterns', () => {
  const events = ['ERROR WARN message', 'ERROR message', 'WARN message'];
  const cases: [string, boolean[]][] = [
    ['ERROR', [true, true, false]],
    ['?ERROR ?WARN', [true, true, true]],
    ['ERROR WARN', [true, false, false]],
    ['ERROR -WARN', [false, true, false]],
    ['-ERROR', [false, false, true]],
  ];
  for (const [pattern, expected] of cases) {
    test(`${pattern} (AWS's OR-matching example)`, () => {
      assert.deepEqual(events.map((e) => parseFilterPattern(pattern).matches(e)), expected);
    });
  }

  test('case-sensitive', () => {
    assert.equal(parseFilterPattern('ERROR').matches('error happened'), false);
    assert.equal(parseFilterPattern('error').matches('error happened'), true);
  });

  test("substring matching by default, as AWS's examples show (ERROR ⊂ ERRORCODE)", () => {
    assert.equal(parseFilterPattern('ERROR').matches('Exiting with ERRORCODE: -1'), true);
    assert.equal(parseFilterPattern('Exception').matches('[ERROR] Caught IllegalArgumentException'), true);
    assert.equal(parseFilterPattern('"ERROR" - "Exiting"').matches('Exiting with ERRORCODE: -1'), false);
    assert.equal(parseFilterPattern('"ERROR" - "Exiting"').matches('[ERROR] A fatal exception has occurred'), true);
  });

  test('termMatch: word requires the term to stand alone', () => {
    const p = parseFilterPattern('ERROR', { termMatch: 'word' });
    assert.equal(p.matches('Exiting with ERRORCODE: -1'), false);
    assert.equal(p.matches('[ERROR] A fatal exception'), true);
    assert.equal(p.matches('x_ERROR'), false);
    assert.equal(parseFilterPattern('"ERROR 401"', { termMatch: 'word' }).matches('[ERROR 401] UNAUTHORIZED'), true);
    assert.equal(parseFilterPattern('"ERROR 401"', { termMatch: 'word' }).matches('[ERROR 4010]'), false);
  });

  test('quoted phrase is matched exactly, terms separately anywhere', () => {
    assert.equal(parseFilterPattern('"Failed to process"').matches('[WARN] Failed to process the request'), true);
    assert.equal(parseFilterPattern('"Failed to process"').matches('Failed badly to process'), false);
    assert.equal(parseFilterPattern('Failed process').matches('Failed badly to process'), true);
    assert.equal(parseFilterPattern('"10.0.0.1"').matches(R1.replace('172.31.16.139', '10.0.0.1')), true);
    assert.equal(parseFilterPattern('"say \\"hi\\""').matches('they say "hi" twice'), true);
  });

  test('? starts an alternative group; following terms AND into it', () => {
    const p = parseFilterPattern('?"ERROR" "MainThread" ?"WARN" "Deadlock"');
    assert.equal(p.matches('ERROR in MainThread'), true);
    assert.equal(p.matches('WARN Deadlock found'), true);
    assert.equal(p.matches('ERROR Deadlock'), false);
    assert.equal(p.matches('WARN in MainThread'), false);
  });

  test('exclusion belongs to the alternative it follows', () => {
    const p = parseFilterPattern('?REJECT ?NODATA -"eni-1"');
    assert.equal(p.matches(R2), true);
    assert.equal(p.matches(R3), false);
    assert.equal(p.matches(R3.replace('eni-1', 'eni-2')), true);
    assert.equal(p.matches(R1), false);
  });

  test('sqlHint lists required terms only', () => {
    assert.deepEqual(parseFilterPattern('REJECT "172.31" -NODATA').sqlHint, ['REJECT', '172.31']);
    assert.equal(parseFilterPattern('?REJECT ?NODATA').sqlHint, undefined);
    assert.equal(parseFilterPattern('-REJECT').sqlHint, undefined);
  });
});

describe('regex patterns', () => {
  test('%REJECT% and anchors', () => {
    assert.deepEqual(RECORDS.map((r) => parseFilterPattern('%REJECT%').matches(r)), [false, true, false, false, true]);
    assert.deepEqual(RECORDS.map((r) => parseFilterPattern('%DATA$%').matches(r)), [false, false, true, false, false]);
    assert.equal(parseFilterPattern('%^2 %').matches(R1), true);
    assert.equal(parseFilterPattern('%^3 %').matches(R1), false);
  });

  test('operators from the supported list', () => {
    assert.equal(parseFilterPattern('%colou?r%').matches('the color'), true);
    assert.equal(parseFilterPattern('%colou?r%').matches('the colour'), true);
    assert.equal(parseFilterPattern('%[hc]at%').matches('hat'), true);
    assert.equal(parseFilterPattern('%a{3,5}%').matches('baab'), false);
    assert.equal(parseFilterPattern('%a{3,5}%').matches('baaab'), true);
    assert.equal(parseFilterPattern('%gray|grey%').matches('grey'), true);
    assert.equal(parseFilterPattern('%10\\.10\\.0\\.1%').matches('10.10.0.1'), true);
    assert.equal(parseFilterPattern('%10\\.10\\.0\\.1%').matches('10x10.0.1'), false);
    assert.equal(parseFilterPattern('%AUTHORIZED%').matches('[ERROR 401] UNAUTHORIZED REQUEST'), true);
  });

  for (const [text, at] of [['%(a)%', 1], ['%a)%', 2], ['%something!%', 10], ['%é%', 1], ['%%', 0], ['%a[%', 2]] as const) {
    test(`rejects ${text}`, () => {
      assert.throws(() => parseFilterPattern(text), (e: unknown) => e instanceof FilterPatternError && e.position === at);
    });
  }
});

describe('space-delimited patterns', () => {
  test('field count must equal the names when there is no ellipsis', () => {
    assert.equal(parseFilterPattern('[a, b, c]').matches('x y z'), true);
    assert.equal(parseFilterPattern('[a, b, c]').matches('x y'), false);
    assert.equal(parseFilterPattern('[a, b, c]').matches('x y z w'), false);
  });

  test('ellipsis at the beginning, middle and end', () => {
    const begin = parseFilterPattern('[..., action = REJECT, status]');
    const middle = parseFilterPattern('[version = 2, ..., status = OK]');
    const end = parseFilterPattern('[version = 2, account, ...]');
    assert.equal(begin.matches('REJECT OK'), true);
    assert.equal(begin.matches('OK'), false);
    assert.equal(middle.matches('2 OK'), true);
    assert.equal(middle.matches('2 a b c OK'), true);
    assert.equal(middle.matches('3 a b c OK'), false);
    assert.equal(end.matches('2 acct'), true);
    assert.equal(end.matches('2'), false);
    assert.equal(parseFilterPattern('[...]').matches(R1), true);
  });

  test('&& and || in one position', () => {
    const or = parseFilterPattern('[..., dstport = 80 || dstport = 8080, protocol, packets, bytes, start, end, action, logstatus]');
    assert.equal(or.matches(R1.replace(' 22 6 ', ' 80 6 ')), true);
    assert.equal(or.matches(R1.replace(' 22 6 ', ' 8080 6 ')), true);
    assert.equal(or.matches(R1), false);
    const and = parseFilterPattern('[ip, user, username, timestamp, request, status_code = 4* && bytes > 1000, bytes]');
    assert.equal(and.matches('1.2.3.4 - frank ts req 404 1534'), true);
    assert.equal(and.matches('1.2.3.4 - frank ts req 404 999'), false);
    assert.equal(and.matches('1.2.3.4 - frank ts req 200 1534'), false);
    const notBoth = parseFilterPattern('[w1 != ERROR && w1 != WARN, w2]');
    assert.deepEqual(['ERROR x', 'WARN x', 'INFO x'].map((m) => notBoth.matches(m)), [false, false, true]);
    const either = parseFilterPattern('[w1=ERROR || w1=WARN, w2]');
    assert.deepEqual(['ERROR x', 'WARN x', 'INFO x'].map((m) => either.matches(m)), [true, true, false]);
  });

  test('&& binds tighter than ||', () => {
    const p = parseFilterPattern('[a = 1 || a = 2 && b = 3, b]');
    assert.equal(p.matches('1 0'), true);
    assert.equal(p.matches('2 3'), true);
    assert.equal(p.matches('2 0'), false);
  });

  test('numeric comparisons are numeric, not textual', () => {
    const p = parseFilterPattern('[n > 9]');
    assert.equal(p.matches('10'), true); // '10' < '9' as text
    assert.equal(p.matches('9'), false);
    assert.equal(parseFilterPattern('[n = 80]').matches('080'), true);
    assert.equal(parseFilterPattern('[n = 80]').matches('80.0'), true);
    assert.equal(parseFilterPattern('[n <= -1.5]').matches('-2'), true);
    assert.equal(parseFilterPattern('[n >= 1e3]').matches('1000'), true);
    assert.equal(parseFilterPattern('[n < 10]').matches('abc'), false);
  });

  test('numeric comparison against a non-number (-) does not match, for any operator', () => {
    for (const op of ['=', '!=', '<', '<=', '>', '>=']) {
      assert.equal(parseFilterPattern(`[n ${op} 5]`).matches('-'), false, op);
    }
  });

  test('quoted values compare as text', () => {
    assert.equal(parseFilterPattern('[n = "80"]').matches('80'), true);
    assert.equal(parseFilterPattern('[n = "80"]').matches('080'), false);
    assert.equal(parseFilterPattern('[n = "a b, c"]').matches('"a b, c"'), true);
  });

  test('string wildcards: leading, trailing, both; != negates', () => {
    assert.equal(parseFilterPattern('[r = *html*]').matches('/index.html?x'), true);
    assert.equal(parseFilterPattern('[r = *html]').matches('/index.html?x'), false);
    assert.equal(parseFilterPattern('[r = *html]').matches('/index.html'), true);
    assert.equal(parseFilterPattern('[r = eni-*]').matches('eni-123'), true);
    assert.equal(parseFilterPattern('[r != eni-*]').matches('eni-123'), false);
    assert.equal(parseFilterPattern('[r != eni-*]').matches('vpc-1'), true);
    assert.equal(parseFilterPattern('[r = *]').matches('-'), true);
    assert.equal(parseFilterPattern('[r = REJECT]').matches('REJECTED'), false);
  });

  test('regex values inside a field', () => {
    const p = parseFilterPattern('[..., status = %^4[0-9]{2}$%, bytes]');
    assert.equal(p.matches('x 404 10'), true);
    assert.equal(p.matches('x 4040 10'), false);
    assert.throws(() => parseFilterPattern('[a = %x%, b = %y%, c = %z%]'), FilterPatternError);
  });

  test('"..." and [...] group one field in the event', () => {
    const event = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534';
    assert.deepEqual(splitDelimitedFields(event), ['127.0.0.1', '-', 'frank', '10/Oct/2000:13:25:15 -0700', 'GET /index.html HTTP/1.0', '404', '1534']);
    const p = parseFilterPattern('[..., request=*.html*, status_code=4*,]');
    assert.deepEqual(p.extract(event), {
      $1: '127.0.0.1',
      $2: '-',
      $3: 'frank',
      $4: '10/Oct/2000:13:25:15 -0700',
      $request: 'GET /index.html HTTP/1.0',
      $status_code: '404',
      $7: '1534',
    });
    assert.equal(p.extract(event.replace(' 404 ', ' 200 ')), null);
  });

  test('field splitting is on single spaces; unterminated groups stay plain', () => {
    assert.deepEqual(splitDelimitedFields('a  b'), ['a', '', 'b']);
    assert.deepEqual(splitDelimitedFields('"open x'), ['"open', 'x']);
    assert.deepEqual(splitDelimitedFields('"a b"c d'), ['a b"c', 'd']);
  });

  test('extract on flow records names every field', () => {
    const p = parseFilterPattern('[version, accountid, interfaceid, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, logstatus]');
    const x = p.extract(R2);
    assert.equal(x?.$dstport, '3389');
    assert.equal(x?.$action, 'REJECT');
    assert.equal(Object.keys(x ?? {}).length, 14);
  });

  test('sqlHint: required literal parts of = string conditions, nothing from || / numbers / !=', () => {
    assert.deepEqual(parseFilterPattern('[..., srcaddr = 172.31.*, dstaddr, srcport, dstport = 22, protocol, packets, bytes, start, end, action = "REJECT", logstatus != OK]').sqlHint, ['172.31.', 'REJECT']);
    assert.equal(parseFilterPattern('[..., action = REJECT || action = ACCEPT, s]').sqlHint, undefined);
    // The hint is always a substring of any matching message.
    const p = parseFilterPattern('[..., request=*.html*, status_code=4*,]');
    const event = '127.0.0.1 - frank [10/Oct/2000] "GET /index.html HTTP/1.0" 404 1534';
    assert.equal(p.matches(event), true);
    for (const h of p.sqlHint ?? []) assert.ok(event.includes(h), h);
  });
});

describe('JSON patterns', () => {
  const doc = JSON.stringify({
    eventType: 'UpdateTrail',
    sourceIPAddress: '111.111.111.111',
    arrayKey: ['value', 'another value'],
    objectList: [{ name: 'a', id: 1 }, { name: 'b', id: 2 }],
    SomeObject: null,
    ThisFlag: true,
    latency: 700,
  });
  const cases: [string, boolean][] = [
    ['{ $.eventType = "UpdateTrail" }', true],
    ['{ $.eventType = UpdateTrail }', true],
    ['{ $.eventType = Update* }', true],
    ['{ $.eventType = *Trail }', true],
    ['{ $.eventType = Upd*ail }', false],
    ['{ $.eventType != "UpdateTrail" }', false],
    ['{ $.sourceIPAddress != 123.123.* }', true],
    ['{ $.arrayKey[0] = "value" }', true],
    ['{ $.objectList[1].id = 2 }', true],
    ['{ $.objectList[1].id = "2" }', false],
    ['{ $.objectList = 1 }', false],
    ['{ $.objectList != 1 }', false],
    ['{ $.SomeObject IS NULL }', true],
    ['{ $.eventType IS NULL }', false],
    ['{ $.SomeOtherObject NOT EXISTS }', true],
    ['{ $.SomeObject NOT EXISTS }', false],
    ['{ $.ThisFlag IS TRUE }', true],
    ['{ $.ThisFlag IS FALSE }', false],
    ['{ $.latency >= 500 }', true],
    ['{ $.latency < 5e2 }', false],
    ['{ $.latency = * }', true],
    ['{ $.missing = * }', false],
    ['{ $.eventType = %^Update% }', true],
    ['{ $.eventType = "nope" || $.latency > +600 }', true],
    ['{ $.eventType = "nope" || $.latency > 600 && $.ThisFlag IS FALSE }', false],
    ['{ ($.eventType = "nope" || $.latency > 600) && $.ThisFlag IS TRUE }', true],
  ];
  for (const [pattern, expected] of cases) {
    test(pattern, () => assert.equal(parseFilterPattern(pattern).matches(doc), expected));
  }

  test("AWS's compound examples", () => {
    const d = JSON.stringify({
      user: { id: 1, email: 'John.Stiles@example.com' },
      users: [{ id: 2, email: 'John.Doe@example.com' }, { id: 3, email: 'Jane.Doe@example.com' }],
      actions: ['GET', 'PUT', 'DELETE'],
      coordinates: [[0, 1, 2], [4, 5, 6], [7, 8, 9]],
    });
    assert.equal(parseFilterPattern('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }').matches(d), true);
    assert.equal(parseFilterPattern('{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }').matches(d), false);
    assert.equal(parseFilterPattern('{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }').matches(d), true);
    assert.equal(parseFilterPattern('{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }').matches(d), false);
  });

  test('flow-log text and broken JSON never match a JSON pattern', () => {
    const p = parseFilterPattern('{ $.action = REJECT }');
    assert.equal(p.matches(R2), false);
    assert.equal(p.matches('{"action": "REJECT"'), false);
    assert.equal(p.matches('{"action": "REJECT"}'), true);
    assert.deepEqual(p.extract('{"action": "REJECT"}'), {});
    assert.equal(p.extract(R2), null);
  });
});

describe('errors carry AWS wording and a position', () => {
  const cases: [text: string, position: number, detail: RegExp][] = [
    ['[version, action', 16, /missing '\]'/],
    ['[a, b] extra', 7, /after '\]'/],
    ['{ $.a = 1', 0, /missing '\}'/],
    ['{ ($.a = 1 }', 11, /expected '\)'/],
    ['"unterminated', 0, /unterminated quoted string/],
    ['[a = "open]', 5, /unterminated quoted string/],
    ['[a == 1]', 3, /invalid operator '=='/],
    ['[a => 1]', 3, /invalid operator '=>'/],
    ['[a <> 1]', 3, /invalid operator '<>'/],
    ['[a > REJECT]', 5, /needs a number/],
    ['[a = ]', 5, /missing value/],
    ['[a = 1 & b = 2, b]', 7, /expected '&&'/],
    ['[a, ..., b, ..., c]', 12, /only one '\.\.\.'/],
    ['[a, a]', 4, /used twice/],
    ['[a = 1 && zz = 2, b]', 10, /not a field of this pattern/],
    ['[ip, status_code = 4* && bytes > 1000]', 25, /'bytes'/],
    ['[]', 0, /at least one field/],
    ['{ $.a IS MAYBE }', 9, /NULL, TRUE or FALSE/],
    ['{ $.a NOT THERE }', 10, /EXISTS/],
    ['{ a = 1 }', 2, /selector/],
    ['{ $ = 1 }', 2, /property after '\$'/],
    ['{ $.a[x] = 1 }', 5, /\[NUMBER\]/],
    ['?', 0, /followed by a term/],
  ];
  for (const [text, position, detail] of cases) {
    test(text, () => {
      assert.throws(
        () => parseFilterPattern(text),
        (e: unknown) => {
          assert.ok(e instanceof FilterPatternError, String(e));
          assert.equal(e.code, 'InvalidParameterException');
          assert.equal(e.awsMessage, 'Invalid filter pattern');
          assert.equal(e.position, position);
          assert.match(e.detail, detail);
          assert.ok(e.message.startsWith('Invalid filter pattern'));
          return true;
        },
      );
    });
  }

  const unquoted: [text: string, position: number, bad: string][] = [
    ['10.0.0.1', 2, '.'],
    ['ERROR eni-123', 9, '-'],
    ['user@host', 4, '@'],
    ['[a = “x“]', 5, '“'],
    ['[a = $x]', 5, '$'],
  ];
  for (const [text, position, bad] of unquoted) {
    test(`unquoted special character: ${text}`, () => {
      assert.throws(
        () => parseFilterPattern(text),
        (e: unknown) => e instanceof FilterPatternError && e.position === position && e.awsMessage === `Invalid character(s) in term '${bad}'`,
      );
    });
  }

  test('the same text quoted is accepted', () => {
    assert.equal(parseFilterPattern('"10.0.0.1"').kind, 'terms');
    assert.equal(parseFilterPattern('[a = "$x"]').matches('$x'), true);
  });
});

/**
 * Evaluates patterns in a child process. A backtracking engine blocks its thread, so a `timeout` on a
 * test that evaluates in-process could not fire before the evaluation ends; here the test waits on
 * I/O and its timeout fails it while the child is still busy (the child is then killed).
 */
function evaluateInChild(cases: { pattern: string; messages: string[]; extract?: boolean }[], t: { after(fn: () => void): void }): Promise<unknown[][]> {
  const url = new URL('./filter-pattern.ts', import.meta.url).href;
  const code = `const { parseFilterPattern } = await import(${JSON.stringify(url)});
    let input = ''; for await (const chunk of process.stdin) input += chunk;
    const out = JSON.parse(input).map((c) => { const p = parseFilterPattern(c.pattern); return c.messages.map((m) => (c.extract ? p.extract(m) : p.matches(m))); });
    process.stdout.write(JSON.stringify(out));`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  child.stdin.end(JSON.stringify(cases));
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (err += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as unknown[][]) : reject(new Error(`evaluation exited with ${code}: ${err}`))));
  });
}

describe('bounded evaluation', () => {
  // The pattern that blocked every client for 42 s: 16 × `\d*` then a character that never comes.
  const HOSTILE = `%${'\\d*'.repeat(16)}x%`;

  test('the 51-character hostile regex answers at once, alone and inside [..] and {..} patterns', { timeout: 30_000 }, async (t) => {
    assert.equal(HOSTILE.length, 51);
    const regexBody = HOSTILE.slice(1, -1);
    const digits = '1'.repeat(40);
    const results = await evaluateInChild(
      [
        { pattern: HOSTILE, messages: [...RECORDS, digits, '1'.repeat(MAX_EVALUATED_MESSAGE_LENGTH), `${digits}x`] },
        { pattern: `[..., bytes, start = %${regexBody}%, end, action, logstatus]`, messages: [...RECORDS, `${digits} ${digits} ${digits} a b`] },
        { pattern: `{ $.n = %${regexBody}% || $.m = %${regexBody.replace(/x$/, 'y')}% }`, messages: [JSON.stringify({ n: digits, m: digits }), JSON.stringify({ n: `${digits}x` })] },
        // What a metric filter and TestMetricFilter use: extract.
        { pattern: `[..., bytes = %${regexBody}%, start, end, action, logstatus]`, messages: [R1], extract: true },
      ],
      t,
    );
    assert.deepEqual(results, [
      [false, false, false, false, false, false, false, true],
      [false, false, false, false, false, false],
      [false, true],
      [null],
    ]);
  });

  test('a regex error inside [..] and {..} is reported at its position in the whole pattern', () => {
    const cases: [string, number, RegExp][] = [
      ['[a = %x**%, b]', 8, /follows another repetition/],
      ['{ $.a = %a{2,1}% }', 10, /out of order/],
      ['[a, b = %\\w+\\1%]', 12, /no groups to refer back to/],
      ['{ $.a = %[^%', 9, /unterminated character class/],
    ];
    for (const [text, position, detail] of cases) {
      assert.throws(() => parseFilterPattern(text), (e: unknown) => e instanceof FilterPatternError && e.position === position && detail.test(e.detail), text);
    }
  });

  test(`patterns are at most ${MAX_FILTER_PATTERN_LENGTH} characters, as AWS allows`, () => {
    const longest = `"${'a'.repeat(MAX_FILTER_PATTERN_LENGTH - 2)}"`;
    assert.equal(parseFilterPattern(longest).matches(`x${'a'.repeat(MAX_FILTER_PATTERN_LENGTH)}`), true);
    assert.throws(
      () => parseFilterPattern(`${longest} `),
      (e: unknown) => e instanceof FilterPatternError && e.position === MAX_FILTER_PATTERN_LENGTH && /Member must have length less than or equal to 1024/.test(e.message),
    );
    // The parser recurses per '(': the cap is also what keeps it off the end of the stack.
    assert.throws(() => parseFilterPattern(`{ ${'('.repeat(50_000)}$.a = 1 }`), (e: unknown) => e instanceof FilterPatternError && e.position === MAX_FILTER_PATTERN_LENGTH);
    assert.equal(parseFilterPattern(`{ ${'('.repeat(300)}$.a = 1${')'.repeat(300)} }`).matches('{"a":1}'), true);
  });

  test(`a message is evaluated on its first ${MAX_EVALUATED_MESSAGE_LENGTH} characters (the most a CloudWatch event holds)`, () => {
    const pad = 'a'.repeat(MAX_EVALUATED_MESSAGE_LENGTH - 1);
    assert.equal(parseFilterPattern('%x%').matches(`${pad}x`), true);
    assert.equal(parseFilterPattern('%x%').matches(`${pad}ax`), false);
    assert.equal(parseFilterPattern('%a$%').matches(`${pad}ab`), true, 'the evaluated text ends where it is cut');
    assert.equal(parseFilterPattern('REJECT').matches(`${pad} REJECT`), false);
    assert.equal(parseFilterPattern('').matches(`${pad} REJECT`), true);
  });

  test(`a JSON message nested deeper than ${MAX_JSON_DEPTH} levels is not JSON to a pattern: no match, no crash`, () => {
    const p = parseFilterPattern('{ $.a[0] = 1 }');
    const nested = (depth: number) => `{"a":[1],"b":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
    assert.equal(p.matches(nested(3)), true);
    assert.equal(p.matches(nested(MAX_JSON_DEPTH)), true);
    assert.equal(p.matches(nested(MAX_JSON_DEPTH + 1)), false);
    assert.equal(p.matches(nested(50_000)), false);
    assert.equal(p.extract(nested(50_000)), null);
    // Brackets inside strings are text, not nesting.
    assert.equal(p.matches(`{"a":[1],"b":"${'['.repeat(50_000)}\\"["}`), true);
    const arrays = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
    assert.equal(parseFilterPattern('{ $.a NOT EXISTS }').matches(arrays), false, 'a top-level array nested 50 000 deep');
    assert.equal(parseFilterPattern('{ $.a NOT EXISTS }').matches('[[[]]]'), true);
  });
});
