import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Database } from '../store/database.ts';
import { appendRecords, type StoredRecord } from '../store/records-table.ts';
import type { FlowRecord } from './fields.ts';
import {
  FILTER_FIELDS,
  FilterExpressionError,
  type FilterNode,
  type FilterRecord,
  MAX_FILTER_DEPTH,
  MAX_FILTER_LENGTH,
  MAX_FILTER_SQL_LENGTH,
  MAX_FILTER_TERMS,
  compileFilterToSql,
  likeMatches,
  matchesFilter,
  parseFilterExpression,
  resolveFilterField,
} from './filter-expression.ts';

/** A compact rendering of the tree: (and a b), (not a), (= field v1 v2). */
function show(node: FilterNode | null): string {
  if (!node) return 'null';
  switch (node.kind) {
    case 'and':
    case 'or':
      return `(${node.kind} ${node.children.map(show).join(' ')})`;
    case 'not':
      return `(not ${show(node.child)})`;
    case 'compare':
      return `(${node.op} ${node.field.name} ${node.values.map((v) => (v.type === 'address' ? `${v.address}/${v.prefixLength}` : String(v.value))).join(' ')})`;
  }
}

const p = (text: string) => show(parseFilterExpression(text));

function fails(text: string, want: { position: number; length?: number; expected?: readonly string[]; message?: RegExp | string }): void {
  assert.throws(() => parseFilterExpression(text), (e: unknown) => {
    assert.ok(e instanceof FilterExpressionError, `a FilterExpressionError for ${JSON.stringify(text)}, got ${String(e)}`);
    assert.equal(e.position, want.position, `position for ${JSON.stringify(text)}: ${e.message}`);
    if (want.length !== undefined) assert.equal(e.length, want.length, `length for ${JSON.stringify(text)}: ${e.message}`);
    if (want.expected) assert.deepEqual(e.expected, want.expected, `expected for ${JSON.stringify(text)}: ${e.message}`);
    if (typeof want.message === 'string') assert.equal(e.message, want.message);
    else if (want.message) assert.match(e.message, want.message);
    assert.equal(e.code, 'InvalidFilterExpression');
    assert.equal(e.httpStatus, 400);
    return true;
  });
}

describe('field names', () => {
  test('AWS hyphen, Athena underscore, Insights camelCase and Akvorado PascalCase name one field', () => {
    for (const name of ['interface-id', 'interface_id', 'interfaceId', 'InterfaceId', 'INTERFACE-ID']) assert.equal(resolveFilterField(name)?.name, 'interface-id', name);
    for (const name of ['srcAddr', 'SrcAddr', 'srcaddr']) assert.equal(resolveFilterField(name)?.name, 'srcaddr', name);
    assert.equal(resolveFilterField('logStatus')?.name, 'log-status');
    assert.equal(resolveFilterField('pkt_dstaddr')?.column, 'pkt_dstaddr');
    assert.equal(resolveFilterField('owner_account')?.column, 'owner_account');
    assert.equal(resolveFilterField('end')?.column, 'end');
    assert.equal(resolveFilterField('dstprt'), undefined);
    assert.equal(resolveFilterField('tgw-id'), undefined);
  });

  test('no two fields share a name once case, - and _ are ignored', () => {
    const keys = FILTER_FIELDS.map((f) => f.name.replaceAll('-', '').toLowerCase());
    assert.equal(new Set(keys).size, keys.length);
    assert.equal(FILTER_FIELDS.length, 57);
  });

  test('kinds follow the field: integers, addresses, fixed values, text', () => {
    const kind = (n: string) => resolveFilterField(n)!.kind;
    assert.deepEqual(['dstport', 'bytes', 'tcp-flags', 'traffic-path', 'start'].map(kind), ['integer', 'integer', 'integer', 'integer', 'integer']);
    assert.deepEqual(['srcaddr', 'dstaddr', 'pkt-srcaddr', 'pkt-dstaddr'].map(kind), ['address', 'address', 'address', 'address']);
    assert.deepEqual(['action', 'log-status', 'type', 'flow-direction'].map(kind), ['enum', 'enum', 'enum', 'enum']);
    assert.deepEqual(['interface-id', 'vpc-id', 'rule', 'account-id'].map(kind), ['text', 'text', 'text', 'text']);
    assert.equal(resolveFilterField('dstport')!.max, 65535);
    assert.equal(resolveFilterField('protocol')!.max, 255);
  });
});

describe('parsing', () => {
  test('every operator', () => {
    assert.equal(p('dstport = 22'), '(= dstport 22)');
    assert.equal(p('dstport == 22'), '(= dstport 22)');
    assert.equal(p('dstport != 22'), '(!= dstport 22)');
    assert.equal(p('dstport <> 22'), '(!= dstport 22)');
    assert.equal(p('dstport < 1024'), '(< dstport 1024)');
    assert.equal(p('dstport <= 1024'), '(<= dstport 1024)');
    assert.equal(p('dstport > 1024'), '(> dstport 1024)');
    assert.equal(p('dstport >= 1024'), '(>= dstport 1024)');
    assert.equal(p('dstport>=1024'), '(>= dstport 1024)');
    assert.equal(p('dstport in (22, 3389)'), '(in dstport 22 3389)');
    assert.equal(p('dstport in 22'), '(in dstport 22)');
    assert.equal(p('dstport notin (22,3389)'), '(notin dstport 22 3389)');
    assert.equal(p('dstport not in (22)'), '(notin dstport 22)');
    assert.equal(p('interface-id like eni-%'), '(like interface-id eni-%)');
    assert.equal(p("interface-id unlike 'eni-0a%'"), '(unlike interface-id eni-0a%)');
    assert.equal(p('interface-id not like "eni\\_%"'), '(unlike interface-id eni\\_%)');
    assert.equal(p('interface-id != eni-0a1b2c3d4e5f60718'), '(!= interface-id eni-0a1b2c3d4e5f60718)');
  });

  test('not binds tighter than and, and tighter than or; parentheses override', () => {
    assert.equal(p('action = REJECT or dstport = 22 and protocol = 6'), '(or (= action REJECT) (and (= dstport 22) (= protocol 6)))');
    assert.equal(p('dstport = 22 and protocol = 6 or action = REJECT'), '(or (and (= dstport 22) (= protocol 6)) (= action REJECT))');
    assert.equal(p('not dstport = 22 and protocol = 6'), '(and (not (= dstport 22)) (= protocol 6))');
    assert.equal(p('not dstport = 22 or protocol = 6'), '(or (not (= dstport 22)) (= protocol 6))');
    assert.equal(p('not (protocol = 6 or protocol = 17)'), '(not (or (= protocol 6) (= protocol 17)))');
    assert.equal(p('(action = REJECT or dstport = 22) and protocol = 6'), '(and (or (= action REJECT) (= dstport 22)) (= protocol 6))');
    assert.equal(p('not not dstport = 22'), '(not (not (= dstport 22)))');
    assert.equal(p('dstport = 1 and dstport = 2 and dstport = 3'), '(and (= dstport 1) (= dstport 2) (= dstport 3))');
    assert.equal(
      p('action = REJECT and dstport in (22, 3389) and srcaddr in 10.0.0.0/16'),
      '(and (= action REJECT) (in dstport 22 3389) (in srcaddr 10.0.0.0/16))',
    );
  });

  test('keywords are case-insensitive', () => {
    assert.equal(p('NOT dstport = 22 AND protocol = 6 Or action = reject'), '(or (and (not (= dstport 22)) (= protocol 6)) (= action REJECT))');
    assert.equal(p('dstport IN (1) and dstport NOTIN (2) and interface-id LIKE x and interface-id UnLike y'), '(and (in dstport 1) (notin dstport 2) (like interface-id x) (unlike interface-id y))');
  });

  test('values: quoted either way, bare, numbers, protocol names, addresses and blocks in canonical form', () => {
    assert.equal(p(`vpc-id = 'vpc-1'`), '(= vpc-id vpc-1)');
    assert.equal(p(`vpc-id = "vpc 1"`), '(= vpc-id vpc 1)');
    assert.equal(p(`rule = 'it''s'`), "(= rule it's)");
    assert.equal(p(`rule = "say ""hi"""`), '(= rule say "hi")');
    assert.equal(p(`rule = ''`), '(= rule )');
    assert.equal(p('account-id = 123456789012'), '(= account-id 123456789012)');
    assert.equal(p('protocol = tcp or protocol = UDP or protocol = icmpv6'), '(or (= protocol 6) (= protocol 17) (= protocol 58))');
    assert.equal(p('dstport = "443"'), '(= dstport 443)');
    assert.equal(p('bytes > 9007199254740991'), '(> bytes 9007199254740991)');
    assert.equal(p('srcaddr = 203.0.113.0/24'), '(= srcaddr 203.0.113.0/24)');
    assert.equal(p('srcaddr = 10.0.0.1'), '(= srcaddr 10.0.0.1/32)');
    assert.equal(p('srcaddr = 2001:DB8:0:0::1'), '(= srcaddr 2001:db8::1/128)');
    assert.equal(p('dstaddr in (2001:db8::/32, ::ffff:10.0.0.1, 10.0.0.1/32)'), '(in dstaddr 2001:db8::/32 ::ffff:10.0.0.1/128 10.0.0.1/32)');
    assert.equal(p('action = reject and log-status = nodata'), '(and (= action REJECT) (= log-status NODATA))');
    assert.equal(p('log-status = SKIPDATA'), '(= log-status SKIPDATA)');
    assert.equal(p('type = ipv6 and flow-direction = Egress'), '(and (= type IPv6) (= flow-direction egress))');
    assert.equal(p('tcp-flags = 2'), '(= tcp-flags 2)');
    assert.equal(p('srcaddr like "10.0.%"'), '(like srcaddr 10.0.%)');
    assert.equal(p('rule = "héllo wörld"'), '(= rule héllo wörld)');
  });

  test('blank input and comments', () => {
    assert.equal(p(''), 'null');
    assert.equal(p('   \n\t'), 'null');
    assert.equal(p('-- nothing'), 'null');
    assert.equal(p('/* a */ dstport = 22 -- ssh\n and /* b */ protocol = 6'), '(and (= dstport 22) (= protocol 6))');
  });

  test('nodes keep where they stand in the text', () => {
    const n = parseFilterExpression('  dstport = 22 and not srcaddr in (10.0.0.1, 10.0.0.2)')!;
    assert.equal(n.kind, 'and');
    if (n.kind !== 'and') return;
    assert.deepEqual([n.children[0]!.position, n.children[0]!.length], [2, 12]);
    assert.deepEqual([n.children[1]!.position, n.children[1]!.length], [19, 35]);
    assert.deepEqual([n.position, n.length], [2, 52]);
  });
});

describe('errors: position, length, expected tokens, message', () => {
  test('a value missing after an in list opens', () => {
    fails('dstport in (', { position: 12, length: 0, expected: ['value'], message: 'at 12: expected a value after "in (", found end of input' });
    fails('action = REJECT and dstport in (', { position: 32, message: 'at 32: expected a value after "in (", found end of input' });
    fails('dstport in (22,', { position: 15, message: 'at 15: expected a value after "22,", found end of input' });
    fails('dstport in ()', { position: 12, length: 1, expected: ['value'], message: /expected a value after "in \(", found "\)"/ });
    fails('dstport in (22 80)', { position: 15, length: 2, expected: [',', ')'], message: /expected "," or "\)" after "22" in the list, found "80"/ });
  });

  test('a value missing after an operator', () => {
    fails('dstport >=', { position: 10, length: 0, expected: ['value'], message: 'at 10: expected a value after "dstport >=", found end of input' });
    fails('interface-id = and vpc-id = x', { position: 15, length: 3, expected: ['value'], message: /expected a value after "interface-id =", found "and" \(write "and" in quotes to mean the word\)/ });
  });

  test('a field, an operator or a connective missing', () => {
    fails('dstport', { position: 7, length: 0, expected: ['=', '!=', '<', '<=', '>', '>=', 'in', 'notin'], message: 'at 7: expected an operator (= != < <= > >= in notin) after "dstport", found end of input' });
    fails('dstport 22', { position: 8, length: 2, message: /expected an operator .* after "dstport", found "22"/ });
    fails('dstport = 22 and', { position: 16, length: 0, expected: ['field name', '(', 'not'], message: 'at 16: expected a field name, "(" or "not" after "and", found end of input' });
    fails('and dstport = 22', { position: 0, length: 3, expected: ['field name', '(', 'not'], message: 'at 0: expected a field name, "(" or "not", found "and"' });
    fails('dstport = 22 protocol = 6', { position: 13, length: 8, expected: ['and', 'or', 'end of input'], message: /expected "and", "or" or the end of the filter after "22", found "protocol"/ });
    fails('not', { position: 3, message: /expected a field name, "\(" or "not" after "not", found end of input/ });
  });

  test('parentheses', () => {
    fails('(dstport = 22', { position: 13, length: 0, expected: ['and', 'or', ')'], message: /expected "and", "or" or "\)" \(closing the "\(" at 0\) after "22", found end of input/ });
    fails('dstport = 22)', { position: 12, length: 1, expected: ['and', 'or', 'end of input'], message: /found "\)" with no "\(" open before it/ });
    fails('()', { position: 1, length: 1, message: /expected a comparison inside "\(\)"/ });
  });

  test('unknown fields name the valid ones and the nearest', () => {
    fails('dstprt = 22', { position: 0, length: 6, expected: ['field name'], message: /^at 0: unknown field "dstprt" \(did you mean dstport\?\); the fields are version, account-id, interface-id, srcaddr, .*, owner-account, flow-log-id, rule$/ });
    fails('dstport = 22 or tgw-id = x', { position: 16, length: 6, message: /unknown field "tgw-id"; the fields are/ });
  });

  test('operators that do not apply to the field', () => {
    fails('srcaddr < 10.0.0.1', { position: 8, length: 1, expected: ['=', '!=', 'in', 'notin', 'like', 'unlike'], message: /operator "<" does not apply to srcaddr, an address field; use = != in notin like unlike/ });
    fails('action >= ACCEPT', { position: 7, length: 2, message: /does not apply to action, a field of fixed values; use = != in notin/ });
    fails('dstport like 2%', { position: 8, length: 4, message: /operator "like" does not apply to dstport, an integer field/ });
    fails('interface-id > x', { position: 13, message: /does not apply to interface-id, a text field/ });
    fails('dstport not like x', { position: 8, length: 8, message: /operator "not like" does not apply/ });
  });

  test('values are checked against the field', () => {
    fails('dstport = 70000', { position: 10, length: 5, expected: ['value'], message: 'at 10: dstport takes an integer 0..65535, found "70000"' });
    fails('dstport = http', { position: 10, message: /dstport takes an integer 0\.\.65535, found "http"/ });
    fails('dstport = -1', { position: 10, message: /takes an integer/ });
    fails('dstport = 022', { position: 10, message: /takes an integer/ });
    fails('bytes = 9007199254740992', { position: 8, message: /bytes takes an integer 0\.\.9007199254740991/ });
    fails('protocol = all', { position: 11, message: /protocol takes a protocol number 0\.\.255 or tcp, udp, icmp, icmpv6/ });
    fails('protocol = 256', { position: 11, message: /protocol takes/ });
    fails('action = DENY', { position: 9, length: 4, expected: ['ACCEPT', 'REJECT'], message: 'at 9: action takes ACCEPT, REJECT, found "DENY"' });
    fails('log-status = BAD', { position: 13, expected: ['OK', 'NODATA', 'SKIPDATA'] });
    fails('srcaddr = 10.0.0.1/16', { position: 10, length: 11, message: /srcaddr takes an IPv4 or IPv6 address or CIDR block \(host bits are set; the network address of this block is 10\.0\.0\.0\/16\)/ });
    fails('srcaddr = 10.0.0.256', { position: 10, message: /IPv4 part 4 is 256/ });
    fails('srcaddr in (10.0.0.1, eni-1)', { position: 22, length: 5, message: /srcaddr takes an IPv4 or IPv6 address/ });
    fails('srcaddr = 2001:db8::/129', { position: 10, message: /prefix length 129 exceeds 128/ });
    fails('interface-id like "a\\b"', { position: 18, message: /like pattern: "\\" escapes only %, _ or \\/ });
    fails('interface-id like "a\\"', { position: 18, message: /escapes only/ });
  });

  test('the tokenizer', () => {
    fails("vpc-id = 'abc", { position: 9, length: 4, expected: ["'"], message: 'at 9: the string opened here is not closed, found end of input' });
    fails('dstport ! 22', { position: 8, length: 1, expected: ['!='] });
    fails('/* never closed', { position: 0, expected: ['*/'] });
    fails('vpc-id = "a\u0000b"', { position: 11, length: 1, message: /control character \(code 0\)/ });
    fails('dstport\u0001= 1', { position: 7, length: 1, message: /unexpected control character \(code 1\)/ });
  });

  test('bounds: length, values, nesting', () => {
    const long = `rule = '${'x'.repeat(MAX_FILTER_LENGTH - 9)}'`;
    assert.equal(long.length, MAX_FILTER_LENGTH);
    assert.equal(parseFilterExpression(long)?.kind, 'compare');
    fails(`${long} `, { position: MAX_FILTER_LENGTH, length: 1, message: `at ${MAX_FILTER_LENGTH}: the filter is ${MAX_FILTER_LENGTH + 1} characters long; at most ${MAX_FILTER_LENGTH} are accepted` });

    const values = (n: number) => `dstport in (${Array.from({ length: n }, (_, i) => i).join(',')})`;
    assert.equal(parseFilterExpression(values(MAX_FILTER_TERMS))?.kind, 'compare');
    const over = values(MAX_FILTER_TERMS + 1);
    fails(over, { position: over.lastIndexOf(',') + 1, length: 3, message: `at ${over.lastIndexOf(',') + 1}: more than ${MAX_FILTER_TERMS} values in one filter` });
    const comparisons = Array.from({ length: MAX_FILTER_TERMS + 1 }, (_, i) => `dstport=${i}`).join(' or ');
    fails(comparisons, { position: comparisons.lastIndexOf('=') + 1, message: /more than 256 values/ });

    const nested = (n: number) => `${'('.repeat(n)}dstport = 1${')'.repeat(n)}`;
    assert.equal(p(nested(MAX_FILTER_DEPTH)), '(= dstport 1)');
    fails(nested(MAX_FILTER_DEPTH + 1), { position: MAX_FILTER_DEPTH, length: 1, message: /more than 32 parentheses and "not"s are open here/ });
    const nots = (n: number) => `${'not '.repeat(n)}dstport = 1`;
    assert.match(p(nots(MAX_FILTER_DEPTH)), /^\(not \(not/);
    fails(nots(MAX_FILTER_DEPTH + 1), { position: 4 * MAX_FILTER_DEPTH, length: 3 });
    fails(`${'not ('.repeat(16)}not dstport = 1${')'.repeat(16)}`, { position: 16 * 5, message: /more than 32/ });
    // A chain as long as the bounds allow is flat, not deep: 256 comparisons joined by or/and.
    const chain = Array.from({ length: MAX_FILTER_TERMS }, (_, i) => `dstport=${i}`).join(' and ');
    assert.equal(parseFilterExpression(chain)?.kind, 'and');
  });

  test('input that is not text', () => {
    assert.throws(() => parseFilterExpression(42 as unknown as string), FilterExpressionError);
  });
});

describe('like', () => {
  test('wildcards, escapes, case and whole-text matching', () => {
    assert.ok(likeMatches('eni-%', 'eni-0a1b'));
    assert.ok(!likeMatches('eni-%', 'ENI-0a1b'), 'case-sensitive');
    assert.ok(likeMatches('%', ''));
    assert.ok(likeMatches('a_c', 'abc'));
    assert.ok(!likeMatches('a_c', 'abbc'));
    assert.ok(likeMatches('%b%b%', 'abcbd'));
    assert.ok(!likeMatches('%b%b%', 'abcd'));
    assert.ok(likeMatches('a\\%', 'a%'));
    assert.ok(!likeMatches('a\\%', 'ab'));
    assert.ok(likeMatches('a\\_b', 'a_b'));
    assert.ok(!likeMatches('a\\_b', 'axb'));
    assert.ok(likeMatches('a\\\\b', 'a\\b'));
    assert.ok(likeMatches('_', 'é'), 'one character, not one byte');
    assert.ok(likeMatches('%%%a', 'bbbba'));
    assert.ok(!likeMatches('abc', 'ab'));
  });
});

describe('matchesFilter', () => {
  const m = (f: string, r: FilterRecord) => matchesFilter(parseFilterExpression(f)!, r);
  test('a comparison with an absent field is false for every operator; not is the complement', () => {
    const nodata: FilterRecord = { 'interface-id': 'eni-1', 'log-status': 'NODATA', srcport: null };
    for (const f of ['srcport = 22', 'srcport != 22', 'srcport < 22', 'srcport in (22)', 'srcport notin (22)', 'srcaddr != 10.0.0.0/8', 'action != REJECT', 'vpc-id unlike x']) {
      assert.equal(m(f, nodata), false, f);
      assert.equal(m(`not ${f}`, nodata), true, `not ${f}`);
    }
  });
  test('CIDR membership for IPv4 and IPv6, never across versions', () => {
    assert.ok(m('srcaddr = 10.0.0.0/16', { srcaddr: '10.0.255.255' }));
    assert.ok(!m('srcaddr = 10.0.0.0/16', { srcaddr: '10.1.0.0' }));
    assert.ok(m('srcaddr = 10.0.16.0/20', { srcaddr: '10.0.31.1' }));
    assert.ok(!m('srcaddr = 10.0.16.0/20', { srcaddr: '10.0.32.1' }));
    assert.ok(m('srcaddr = 2001:db8::/32', { srcaddr: '2001:DB8:0:0:0:0:0:1' }));
    assert.ok(!m('srcaddr = 0.0.0.0/0', { srcaddr: '::ffff:10.0.0.1' }));
    assert.ok(m('srcaddr = ::ffff:0:0/96', { srcaddr: '::ffff:10.0.0.1' }));
    assert.ok(!m('srcaddr = ::/0', { srcaddr: '10.0.0.1' }));
    assert.ok(m('srcaddr notin (10.0.0.1, 10.0.0.2)', { srcaddr: '10.0.0.3' }));
    assert.ok(!m('srcaddr notin (10.0.0.1, 10.0.0.2)', { srcaddr: '10.0.0.2' }));
  });
});

// ---------------------------------------------------------------------------------------------
// The SQL against DuckDB: the same records in a real store, filtered by SQL and by matchesFilter.

/** Deterministic numbers (mulberry32). */
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

// Addresses as records may hold them: canonical, and IPv6 as an imported file may write it.
const ADDRESSES = [
  '10.0.0.1', '10.0.0.2', '10.0.1.7', '10.0.15.255', '10.0.16.0', '10.0.31.9', '10.0.32.1', '10.1.0.1', '10.255.255.255', '11.0.0.1',
  '192.168.1.1', '192.168.1.127', '192.168.1.128', '203.0.113.9', '0.0.0.0', '255.255.255.255', '1.2.3.4', '100.64.0.1',
  '2001:db8::1', '2001:db8::2', '2001:DB8:0:0:0:0:0:3', '2001:0db8:0000:0001:0000:0000:0000:0001', '2001:db8:0:1::5', '2001:db8:ffff::1',
  '2001:db9::1', 'fd00::1', 'fe80::1', '::1', '::', '::ffff:10.0.0.1', '::ffff:192.168.1.1', '64:ff9b::203.0.113.9', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::',
];
const BLOCKS = [
  '10.0.0.0/8', '10.0.0.0/16', '10.0.0.0/24', '10.0.16.0/20', '10.0.0.0/31', '10.0.0.2/32', '192.168.1.128/25', '192.168.1.0/25', '0.0.0.0/0',
  '128.0.0.0/1', '0.0.0.0/5', '203.0.113.0/24', '2001:db8::/32', '2001:db8::/64', '2001:db8:0:1::/64', '2001:db8::/31', '2001:db8::3', '2001:db8::/127',
  '::/0', '::/1', 'fc00::/7', 'fd00::/8', '::ffff:0:0/96', '::ffff:10.0.0.0/104', '64:ff9b::/96', '::1', '1:2:3:4:5:6:7::/112', '2001:db8::1', '10.0.0.1',
];

function makeRecords(n: number): FlowRecord[] {
  const r = rng(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const out: FlowRecord[] = [];
  for (let i = 0; i < n; i++) {
    const start = 1_767_225_600 + Math.floor(r() * 3600);
    if (r() < 0.08) {
      // NODATA / SKIPDATA: every traffic field is '-'.
      out.push({ version: 5, 'account-id': '111122223333', 'interface-id': pick(['eni-0a', 'eni-0b']), start, end: start + 60, 'log-status': pick(['NODATA', 'SKIPDATA']) });
      continue;
    }
    out.push({
      version: 5, 'account-id': '111122223333', 'interface-id': pick(['eni-0a', 'eni-0b', 'eni-0c_1', "eni-o'q", 'eni-%x']),
      srcaddr: pick(ADDRESSES), dstaddr: pick(ADDRESSES), srcport: pick([22, 80, 443, 1024, 3389, 50000, 65535, 0]), dstport: pick([22, 53, 80, 443, 1023, 1024, 3389, 8080]),
      protocol: pick([6, 17, 1, 58]), packets: Math.floor(r() * 100), bytes: Math.floor(r() * 100_000), start, end: start + 60,
      action: pick(['ACCEPT', 'REJECT']), 'log-status': 'OK', 'vpc-id': pick(['vpc-1', 'vpc-2', null]), 'tcp-flags': pick([0, 2, 18, 19, null]),
      type: pick(['IPv4', 'IPv6']), 'pkt-srcaddr': pick([...ADDRESSES, null]), 'flow-direction': pick(['ingress', 'egress']), 'traffic-path': pick([1, 8, null]),
    });
  }
  return out;
}

/** Random filters over the same fields and values, with and/or/not nesting. */
function randomFilter(r: () => number, depth = 0): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const x = r();
  if (depth < 3 && x < 0.25) return `(${randomFilter(r, depth + 1)} ${pick(['and', 'or', 'AND', 'Or'])} ${randomFilter(r, depth + 1)})`;
  if (depth < 3 && x < 0.35) return `not ${randomFilter(r, depth + 1)}`;
  const list = (gen: () => string) => `(${Array.from({ length: 1 + Math.floor(r() * 3) }, gen).join(', ')})`;
  switch (Math.floor(r() * 9)) {
    case 0:
    case 1:
    {
      const op = pick(['=', '!=', 'in', 'notin']);
      const one = op.includes('in') ? pick([true, false]) : true;
      return `${pick(['srcaddr', 'dstAddr', 'pkt_srcaddr'])} ${op} ${one ? pick([...BLOCKS, ...ADDRESSES]) : list(() => pick([...BLOCKS, ...ADDRESSES]))}`;
    }
    case 2:
      return `${pick(['dstport', 'srcPort'])} ${pick(['=', '!=', '<', '<=', '>', '>='])} ${pick([0, 22, 80, 443, 1024, 3389, 65535])}`;
    case 3:
      return pick([`dstport ${pick(['in', 'notin'])} ${list(() => String(pick([22, 53, 80, 443])))}`, `protocol ${pick(['in', 'notin'])} ${list(() => pick(['6', '17', 'tcp', 'icmp', '58']))}`]);
    case 4:
      return `action ${pick(['=', '!='])} ${pick(['ACCEPT', 'reject'])}`;
    case 5:
      return `${pick(['log-status', 'logStatus'])} ${pick(['=', '!=', 'in'])} ${pick(['OK', 'NODATA', 'SKIPDATA'])}`;
    case 6:
      return `interface-id ${pick(['=', '!=', 'like', 'unlike'])} ${pick(["'eni-0a'", "'eni-%'", "'eni-0_'", "'eni-\\%x'", "'eni-o''q'", "'%\\_1'", '"eni-0c_1"'])}`;
    case 7:
      return `${pick(['tcp-flags', 'traffic-path', 'bytes', 'packets'])} ${pick(['=', '!=', '>', '<='])} ${pick([0, 2, 18, 50, 1000])}`;
    default:
      return pick([`vpc-id ${pick(['=', '!='])} vpc-1`, `type ${pick(['=', '!='])} IPv6`, `flow-direction ${pick(['=', '!='])} egress`]);
  }
}

describe('compileFilterToSql on a real store', () => {
  let dir: string;
  let db: Database;
  const records = makeRecords(800);
  const owners = ['111122223333', '444455556666'];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vpcflow-filter-'));
    db = new Database({ dataDir: dir, readers: 2 });
    await db.start();
    const rows: StoredRecord[] = records.map((record, i) => ({
      record, ownerAccount: owners[i % 2]!, flowLogId: `fl-${i % 3}`, destinationType: 'cloud-watch-logs', destination: '/vpc/x', rule: i % 5 === 0 ? 'sg-1:rule-1' : null, ingestionTime: i,
    }));
    await db.transaction((tx) => appendRecords(tx, rows));
  });

  after(async () => {
    await db?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const view = (i: number): FilterRecord => ({ ...records[i]!, 'owner-account': owners[i % 2]!, 'flow-log-id': `fl-${i % 3}`, rule: i % 5 === 0 ? 'sg-1:rule-1' : null });

  async function check(filter: string): Promise<number> {
    const ast = parseFilterExpression(filter)!;
    const sql = compileFilterToSql(ast);
    const got = (await db.read(`SELECT ingestion_time::INTEGER AS i FROM flows WHERE ${sql} ORDER BY 1`)).map((r) => Number(r.i));
    const want = records.map((_, i) => i).filter((i) => matchesFilter(ast, view(i)));
    assert.deepEqual(got, want, `${filter}\n  SQL: ${sql}`);
    return want.length;
  }

  test('every operator on every kind of field matches what matchesFilter says', async () => {
    const filters = [
      'action = REJECT', 'action != REJECT', 'action in (ACCEPT, REJECT)', 'action notin (ACCEPT)',
      'log-status = NODATA', 'log-status != OK', 'not log-status = OK',
      'dstport = 22', 'dstport != 22', 'dstport < 1024', 'dstport <= 1024', 'dstport > 1024', 'dstport >= 1024', 'dstport in (22, 3389)', 'dstport notin (22, 3389)',
      'srcport = 0', 'protocol = tcp', 'not (protocol = 6 or protocol = 17)', 'tcp-flags = 2', 'tcp-flags != 2', 'traffic-path > 1', 'bytes >= 50000 and packets < 10',
      'interface-id = eni-0a', "interface-id = 'eni-o''q'", 'interface-id != eni-0a', 'interface-id like eni-%', 'interface-id like "eni-0_"', 'interface-id unlike "eni-0_"',
      "interface-id like 'eni-\\%x'", "interface-id like '%\\_1'", 'interface-id like "%"', 'interface-id unlike "%"',
      'vpc-id = vpc-1', 'vpc-id != vpc-1', 'type = IPv6', 'flow-direction = egress', 'owner-account = 444455556666', 'flow-log-id in (fl-0, fl-2)', 'rule = sg-1:rule-1', 'rule != sg-1:rule-1',
      'srcaddr notin (10.0.0.1, 10.0.0.2)', 'srcaddr like "10.0.%"', 'srcaddr unlike "%:%"', 'pkt-srcaddr = 10.0.0.0/8', 'pkt-srcaddr != 10.0.0.0/8',
      'action = REJECT and dstport in (22, 3389) and srcaddr in 10.0.0.0/16', 'interfaceId != eni-0a and not (dstPort = 22 or srcAddr = 2001:db8::/32)',
    ];
    let matched = 0;
    for (const f of filters) matched += (await check(f)) > 0 ? 1 : 0;
    // The data is made so that most of these select something (a filter matching nothing proves little).
    assert.ok(matched >= filters.length - 2, `${matched} of ${filters.length} filters matched some record`);
  });

  test('CIDR blocks and addresses, IPv4 and IPv6 (any text form), with = != in notin and not', async () => {
    let some = 0;
    for (const b of [...BLOCKS, ...ADDRESSES]) {
      for (const f of [`srcaddr = ${b}`, `srcaddr != ${b}`, `not dstaddr in (${b})`]) some += (await check(f)) > 0 ? 1 : 0;
    }
    await check(`srcaddr in (${BLOCKS.join(', ')})`);
    await check(`dstaddr notin (${BLOCKS.filter((b) => b.includes(':')).join(', ')})`);
    assert.ok(some > BLOCKS.length * 2);
    // Non-canonical IPv6 text in the store is still inside its blocks.
    assert.ok((await check('srcaddr = 2001:db8::3')) > 0);
    assert.ok((await check('srcaddr = 2001:db8:0:1::1')) > 0);
    assert.ok((await check('srcaddr = 1:2:3:4:5:6:7:0')) > 0);
    assert.ok((await check('srcaddr = ::ffff:10.0.0.0/104')) > 0);
  });

  test('random filters agree with matchesFilter', async () => {
    const r = rng(42);
    let proper = 0;
    for (let k = 0; k < 250; k++) {
      const n = await check(randomFilter(r));
      if (n > 0 && n < records.length) proper++;
    }
    // Most select some records and not all of them, or the comparison would prove little.
    assert.ok(proper > 150, `${proper} of 250 random filters selected a proper subset`);
  });

  test('the same SQL runs in the SQL sandbox (vpcflow query) with the same result', { timeout: 120_000 }, async () => {
    const filter = "not (srcaddr in (10.0.16.0/20, ::ffff:10.0.0.0/104, 2001:db8::/32) or dstport >= 1024) and interface-id like 'eni-%' and action = ACCEPT or log-status = NODATA";
    const sql = compileFilterToSql(parseFilterExpression(filter)!);
    const q = `SELECT ingestion_time::INTEGER AS i FROM flows WHERE ${sql} ORDER BY 1`;
    const inSandbox = (await db.query(q)).rows.map((r) => Number(r.i));
    assert.ok(inSandbox.length > 10);
    assert.deepEqual(inSandbox, (await db.read(q)).map((r) => Number(r.i)));
    assert.equal(inSandbox.length, await check(filter));
  });

  test('the compiled SQL stays within its bound, and says so when it would not', () => {
    const many = Array.from({ length: 80 }, (_, i) => `srcaddr = 2001:db8:${i.toString(16)}::/48`).join(' or ');
    assert.throws(() => compileFilterToSql(parseFilterExpression(many)!), (e: unknown) => e instanceof FilterExpressionError && /compiles to \d+ characters of SQL.*one "in \(\.\.\.\)" list/.test(e.message) && e.position === 0 && e.length === many.length);
    const asList = `srcaddr in (${Array.from({ length: 200 }, (_, i) => `2001:db8:${i.toString(16)}::/48`).join(', ')})`;
    // In one list, 200 IPv6 blocks share one expansion of the address: well within the bound.
    const listed = compileFilterToSql(parseFilterExpression(asList)!).length;
    const one = compileFilterToSql(parseFilterExpression('srcaddr = 2001:db8::/48')!).length;
    assert.ok(listed < MAX_FILTER_SQL_LENGTH && listed < (200 * one) / 5, `${listed} characters for the list, ${one} for one block`);
  });
});
