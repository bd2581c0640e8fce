// PutMetricFilter validation (limits, codes, the parser's messages) and evaluation of flow-log records
// against metric filters, checked against the spec's worked match table (§6.3) and hand counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { compileMetricFilter, delimitedFieldNames, parsePutMetricFilter, testMetricFilter, type MetricFilterDefinition } from './metric-filter.ts';

// Documented records (spec §6.3 R1..R5).
const R1 = '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK';
const R2 = '2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK';
const R3 = '2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA';
const R4 = '2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK';
const R5 = '2 123456789010 eni-1235b8ca123456789 172.31.16.139 203.0.113.12 0 0 1 4 336 1432917094 1432917142 REJECT OK';
// R2 with the destination port changed to 22: a rejected SSH attempt.
const SSH_REJECT = '2 123456789010 eni-1235b8ca123456789 198.51.100.9 172.31.9.12 49761 22 6 3 180 1418530010 1418530070 REJECT OK';
const RECORDS = [R1, R2, R3, R4, R5, SSH_REJECT];

const SSH_PATTERN = '[version, account, eni, source, destination, srcport, destport="22", protocol="6", packets, bytes, windowstart, windowend, action="REJECT", flowlogstatus]';
const DEFAULT_FIELDS = '[version, accountid, interfaceid, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, logstatus]';

function body(pattern: string, transformation: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { logGroupName: '/vpc/flows', filterName: 'f', filterPattern: pattern, metricTransformations: [{ metricName: 'M', metricNamespace: 'NS', ...transformation }], ...extra };
}

function rejects(b: Record<string, unknown>, code: string, message: RegExp): void {
  assert.throws(() => parsePutMetricFilter(b), (e: unknown) => {
    assert.equal((e as { code?: string }).code, code, String(e));
    assert.match((e as Error).message, message);
    return true;
  });
}

const compile = (pattern: string, t: Record<string, unknown>) => compileMetricFilter(parsePutMetricFilter(body(pattern, { metricValue: '1', ...t })) as MetricFilterDefinition);

test('a valid flow-log metric filter is accepted and kept as given', () => {
  const def = parsePutMetricFilter(body(SSH_PATTERN, { metricValue: '1', defaultValue: 0, unit: 'Count' }));
  assert.deepEqual(def, {
    logGroupName: '/vpc/flows', filterName: 'f', filterPattern: SSH_PATTERN,
    metricTransformations: [{ metricName: 'M', metricNamespace: 'NS', metricValue: '1', defaultValue: 0, unit: 'Count' }],
  });
  const withDims = parsePutMetricFilter(body(DEFAULT_FIELDS, { metricValue: '$bytes', dimensions: { Action: '$action', Interface: '$interfaceid' } }));
  assert.deepEqual(withDims.metricTransformations[0].dimensions, { Action: '$action', Interface: '$interfaceid' });
  assert.doesNotThrow(() => parsePutMetricFilter(body('{ $.latency = * }', { metricValue: '$.latency', dimensions: { Op: '$.op' } })));
  assert.doesNotThrow(() => parsePutMetricFilter(body('[..., action, logstatus]', { metricValue: '$10' })), '$N names an unnamed field by position');
  assert.doesNotThrow(() => parsePutMetricFilter(body('REJECT', { metricValue: '2.5' })));
});

test('bad requests get AWS error types and precise messages', () => {
  rejects(body('[a, b', { metricValue: '1' }), 'InvalidParameterException', /^Invalid filter pattern \(at position 5: unexpected end of pattern \(missing '\]'\)\)$/);
  rejects(body('x', { metricValue: '1' }, { metricTransformations: [] }), 'InvalidParameterException', /'metricTransformations'.*greater than or equal to 1/);
  rejects(body('x', { metricValue: '1' }, { metricTransformations: [{ metricName: 'a', metricNamespace: 'b', metricValue: '1' }, { metricName: 'c', metricNamespace: 'd', metricValue: '1' }] }), 'InvalidParameterException', /less than or equal to 1/);
  rejects(body('x', {}), 'InvalidParameterException', /Value null at 'metricTransformations\.1\.member\.metricValue'/);
  rejects(body('x', { metricValue: 'lots' }), 'InvalidParameterException', /Invalid metric value 'lots'/);
  rejects(body('REJECT', { metricValue: '$bytes' }), 'InvalidParameterException', /extracts no fields/);
  rejects(body(DEFAULT_FIELDS, { metricValue: '$octets' }), 'InvalidParameterException', /'octets' is not a field of the filter pattern/);
  rejects(body(DEFAULT_FIELDS, { metricValue: '$.bytes' }), 'InvalidParameterException', /space-delimited filter pattern takes \$name/);
  rejects(body('{ $.a = 1 }', { metricValue: '$bytes' }), 'InvalidParameterException', /JSON filter pattern takes a selector/);
  rejects(body('REJECT', { metricValue: '1', dimensions: { A: '$action' } }), 'InvalidParameterException', /^The specified filter pattern does not support dimensions$/);
  rejects(body(DEFAULT_FIELDS, { metricValue: '1', dimensions: { A: 'REJECT' } }), 'InvalidParameterException', /dimension values must be fields/);
  rejects(body(DEFAULT_FIELDS, { metricValue: '1', dimensions: { A: '$action', B: '$srcaddr', C: '$dstaddr', D: '$protocol' } }), 'InvalidParameterException', /at most 3 dimensions/);
  rejects(body(DEFAULT_FIELDS, { metricValue: '1', defaultValue: 0, dimensions: { A: '$action' } }), 'InvalidParameterException', /mutually exclusive/);
  rejects(body('x', { metricValue: '1', unit: 'Parsecs' }), 'InvalidParameterException', /'metricTransformations\.1\.member\.unit'.*enum value set/);
  rejects(body('x', { metricValue: '1', defaultValue: '0' }), 'SerializationException', /defaultValue/);
  rejects(body('x', { metricValue: '1', metricName: 'a:b' }), 'InvalidParameterException', /metricName.*\[\^:\*\$\]\*/);
  rejects(body('x', { metricValue: '1' }, { filterName: 'a*b' }), 'InvalidParameterException', /'filterName'/);
  rejects(body('x', { metricValue: '1' }, { logGroupName: 'bad group' }), 'InvalidParameterException', /'logGroupName'/);
  rejects(body('x'.repeat(1025), { metricValue: '1' }), 'InvalidParameterException', /less than or equal to 1024/);
});

test('delimited field names are read from the pattern, commas inside quoted values and regexes included', () => {
  assert.deepEqual([...delimitedFieldNames(SSH_PATTERN)], ['version', 'account', 'eni', 'source', 'destination', 'srcport', 'destport', 'protocol', 'packets', 'bytes', 'windowstart', 'windowend', 'action', 'flowlogstatus']);
  assert.deepEqual([...delimitedFieldNames('[a = "x,y", ..., b = %c,d%, c]')], ['a', 'b', 'c']);
  assert.deepEqual([...delimitedFieldNames('[..., bytes >= 400 && packets > 1, end]')], ['bytes', 'end']);
});

test('the SSH-reject pattern (AWS\'s metric filter example) counts only rejected TCP port-22 records', () => {
  const f = compile(SSH_PATTERN, {});
  // Spec §6.3: this pattern matches none of R1..R5; our extra record is the one rejected SSH attempt.
  assert.deepEqual(RECORDS.map((r) => f.evaluate(r)), [null, null, null, null, null, { value: 1, dimensions: {} }]);
});

test('$bytes and $packets come from the named fields; dimensions from fields; NODATA gives no usable value', () => {
  const rejectedBytes = compile('[..., bytes, start, end, action = REJECT, logstatus]', { metricValue: '$bytes' });
  const values = RECORDS.map((r) => rejectedBytes.evaluate(r)).filter((s) => s !== null && s !== 'unusable').map((s) => (s as { value: number }).value);
  assert.deepEqual(values, [4249, 336, 180], 'spec §6.3: R2 and R5 (4249 + 336), plus the SSH record');
  const byAction = compile(DEFAULT_FIELDS, { metricValue: '$packets', dimensions: { Action: '$action', Eni: '$interfaceid' } });
  assert.deepEqual(byAction.evaluate(R4), { value: 4, dimensions: { Action: 'ACCEPT', Eni: 'eni-1235b8ca123456789' } });
  assert.equal(byAction.evaluate(R3), 'unusable', "'-' in packets is not a number");
  // Positions the pattern leaves unnamed (here under the ellipsis) are $N; field 10 is bytes.
  const positional = compile('[..., action, logstatus]', { metricValue: '$10' });
  assert.deepEqual(positional.evaluate(R1), { value: 4249, dimensions: {} });
});

test('JSON patterns take values and dimensions from selectors', () => {
  const f = compile('{ $.action = "REJECT" }', { metricValue: '$.bytes', dimensions: { Port: '$.dst.port' } });
  assert.deepEqual(f.evaluate('{"action":"REJECT","bytes":120,"dst":{"port":22}}'), { value: 120, dimensions: { Port: '22' } });
  assert.equal(f.evaluate('{"action":"ACCEPT","bytes":120,"dst":{"port":22}}'), null);
  assert.equal(f.evaluate('{"action":"REJECT","bytes":"many","dst":{"port":22}}'), 'unusable');
  assert.equal(f.evaluate('{"action":"REJECT","bytes":1}'), 'unusable', 'a missing dimension field');
});

test('TestMetricFilter returns matching events numbered from 1 with their extracted values', () => {
  const r = testMetricFilter('[..., action = REJECT, logstatus]', [R1, R2, R3]);
  assert.equal(r.matches.length, 1);
  const m = r.matches[0]!;
  assert.equal(m.eventNumber, 2);
  assert.equal(m.eventMessage, R2);
  assert.equal(m.extractedValues.$action, 'REJECT');
  assert.equal(m.extractedValues.$logstatus, 'OK');
  assert.equal(m.extractedValues.$1, '2', 'unnamed positions are $N');
  assert.equal(m.extractedValues.$10, '4249');
  assert.deepEqual(testMetricFilter('NODATA', [R1, R3]).matches, [{ eventNumber: 2, eventMessage: R3, extractedValues: {} }]);
  assert.throws(() => testMetricFilter('x', []), /logEventMessages/);
  assert.throws(() => testMetricFilter('x', Array(51).fill('a')), /less than or equal to 50/);
  assert.throws(() => testMetricFilter('"unterminated', ['a']), (e: unknown) => (e as { code?: string }).code === 'InvalidParameterException');
});

// 50 000 nested arrays, as a client's JSON body can carry them.
const DEEP_TEXT = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;

test('request values nested 50 000 deep get a short SerializationException, not a stack overflow', () => {
  const deep: unknown = JSON.parse(DEEP_TEXT);
  const serializationError = (e: unknown) => {
    assert.equal((e as { code?: string }).code, 'SerializationException', String(e));
    assert.ok((e as Error).message.length < 300, (e as Error).message.slice(0, 300));
    return true;
  };
  assert.throws(() => testMetricFilter('{ $.a[0] = 1 }', deep), serializationError);
  assert.throws(() => testMetricFilter('{ $.a[0] = 1 }', [deep]), serializationError);
  assert.throws(() => testMetricFilter(deep, ['x']), serializationError);
  assert.throws(() => parsePutMetricFilter(body('x', { metricValue: '1' }, { metricTransformations: [deep] })), serializationError);
  assert.throws(() => parsePutMetricFilter(body('x', { metricValue: '1', defaultValue: { a: deep } })), (e: unknown) => {
    serializationError(e);
    assert.match((e as Error).message, /got \{"a":\[\[\[…\]\]\]\}$/);
    return true;
  });
  assert.throws(() => parsePutMetricFilter(body('x', { metricValue: '1', unit: deep })), (e: unknown) => (e as { code?: string }).code === 'InvalidParameterException');
});

test('TestMetricFilter on a message of 50 000 nested arrays: no match, no crash', () => {
  assert.deepEqual(testMetricFilter('{ $.a[0] = 1 }', [DEEP_TEXT, `{"a":[1],"b":${DEEP_TEXT}}`, '{"a":[1]}']).matches.map((m) => m.eventNumber), [3]);
  const f = compile('{ $.a[0] = 1 }', { metricValue: '$.n' });
  assert.equal(f.evaluate(`{"a":[1],"n":5,"b":${DEEP_TEXT}}`), null);
  assert.deepEqual(f.evaluate('{"a":[1],"n":5}'), { value: 5, dimensions: {} });
});

test('the hostile regex as a metric filter and in TestMetricFilter answers at once', { timeout: 30_000 }, async (t) => {
  // A backtracking engine blocks the thread it runs on, so the evaluation runs in a child process
  // and this test's timeout can fail it (the child is then killed).
  const hostile = `%${'\\d*'.repeat(16)}x%`;
  const url = new URL('./metric-filter.ts', import.meta.url).href;
  const code = `const m = await import(${JSON.stringify(url)});
    let input = ''; for await (const chunk of process.stdin) input += chunk;
    const { pattern, messages } = JSON.parse(input);
    const f = m.compileMetricFilter(m.parsePutMetricFilter({ logGroupName: 'g', filterName: 'f', filterPattern: pattern, metricTransformations: [{ metricName: 'M', metricNamespace: 'N', metricValue: '1' }] }));
    process.stdout.write(JSON.stringify({ evaluated: messages.map((x) => f.evaluate(x)), tested: m.testMetricFilter(pattern, messages).matches.map((x) => x.eventNumber) }));`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const messages = [...RECORDS, '1'.repeat(40), `${'1'.repeat(40)}x`];
  child.stdin.end(JSON.stringify({ pattern: hostile, messages }));
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (err += d));
  const exit = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(exit, 0, err);
  assert.deepEqual(JSON.parse(out), { evaluated: [...RECORDS.map(() => null), null, { value: 1, dimensions: {} }], tested: [RECORDS.length + 2] });
});
