import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeValue } from './errors.ts';

// What a client's JSON body can carry: JSON.parse reads 50 000 nested lists, anything recursive over them does not.
const DEPTH = 50_000;
const deepList = (): unknown => JSON.parse('['.repeat(DEPTH) + ']'.repeat(DEPTH));
const deepObject = (): unknown => JSON.parse('{"a":'.repeat(DEPTH) + '1' + '}'.repeat(DEPTH));

test('a value nested 50 000 deep is described in a few characters, where JSON.stringify, String and Number overflow the stack', () => {
  const list = deepList();
  assert.throws(() => JSON.stringify(list), RangeError, 'the value must be deep enough to overflow a recursive rendering');
  assert.throws(() => String(list), RangeError);
  assert.throws(() => Number(list), RangeError);
  assert.equal(describeValue(list), '[[[[…]]]]');
  assert.equal(describeValue(deepObject()), '{"a":{"a":{"a":{…}}}}');
  assert.equal(describeValue({ a: list }), '{"a":[[[…]]]}');
});

test('small JSON values read as their JSON text', () => {
  assert.equal(describeValue(5), '5');
  assert.equal(describeValue(-1.5e300), '-1.5e+300');
  assert.equal(describeValue(true), 'true');
  assert.equal(describeValue(null), 'null');
  assert.equal(describeValue('x"y'), '"x\\"y"');
  assert.equal(describeValue([1, 'a', null]), '[1,"a",null]');
  assert.equal(describeValue({ a: 1, b: [] }), '{"a":1,"b":[]}');
  assert.equal(describeValue({}), '{}');
});

test('values JSON cannot hold are named, not dropped or thrown on', () => {
  assert.equal(describeValue(undefined), 'undefined');
  assert.equal(describeValue(10n), '10n');
  assert.equal(describeValue(Symbol('s'.repeat(1000))), 'a symbol');
  assert.equal(describeValue(() => 1), 'a function');
  assert.equal(describeValue([undefined, 1n]), '[undefined,1n]');
});

test('only a few members are shown, with a count of the rest', () => {
  assert.equal(describeValue([1, 2, 3, 4, 5, 6, 7]), '[1,2,3,4,5,…2 more]');
  assert.equal(describeValue({ a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 }), '{"a":1,"b":2,"c":3,"d":4,"e":5,…1 more}');
});

test('the description is at most `max` characters however large the value', () => {
  const huge: unknown[] = [
    'x'.repeat(300_000), '"'.repeat(300_000), '\u0000'.repeat(300_000), Array(1_000_000).fill('y'.repeat(100)),
    Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`k${'k'.repeat(1000)}${i}`, 'v'.repeat(1000)])),
    [[['z'.repeat(10_000), 'z'.repeat(10_000)]]], deepList(),
  ];
  for (const v of huge) {
    for (const max of [1, 10, 60, 80, 200]) {
      const d = describeValue(v, max);
      assert.ok(d.length <= max, `${d.length} characters for max ${max}: ${d.slice(0, 300)}`);
      assert.ok(d.length > 0);
    }
  }
  assert.equal(describeValue('x'.repeat(100), 10), '"xxxxxxxx…');
  assert.equal(describeValue('x'.repeat(100)), `"${'x'.repeat(58)}…`);
});

test('a list is read only as far as it is shown: its size does not matter', () => {
  const read = new Set<PropertyKey>();
  const big = new Proxy(Array.from({ length: 100_000 }, (_, i) => i), {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) read.add(key);
      return Reflect.get(target, key, receiver);
    },
  });
  assert.equal(describeValue(big), '[0,1,2,3,4,…99995 more]');
  assert.deepEqual([...read], ['0', '1', '2', '3', '4']);
});

test('a cut never leaves half of a surrogate pair', () => {
  const lone = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
  for (let pad = 0; pad < 4; pad++) {
    for (const max of [5, 6, 7, 60, 61]) {
      const d = describeValue('a'.repeat(pad) + '😀'.repeat(100), max);
      assert.ok(!lone.test(d), `max ${max}, pad ${pad}: ${JSON.stringify(d)}`);
      const inList = describeValue(['a'.repeat(pad) + '😀'.repeat(100)], max);
      assert.ok(!lone.test(inList), `in a list, max ${max}, pad ${pad}: ${JSON.stringify(inList)}`);
    }
  }
});
