import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DocReader } from './doc-reader.ts';

test('members are read under canonical names; PascalCase and listed aliases are accepted', () => {
  const r = new DocReader();
  const m = r.object({ PrivateIp: '10.0.0.5', SubnetId: 'subnet-1', 'from-port': '80' }, 'x[0]', { 'private-ip': [], subnet: ['SubnetId'], 'from-port': [] })!;
  assert.equal(m.string('private-ip'), '10.0.0.5');
  assert.equal(m.pathOf('private-ip'), 'x[0].PrivateIp');
  assert.equal(m.string('subnet'), 'subnet-1');
  assert.equal(m.integer('from-port'), 80);
  assert.equal(m.pathOf('absent'), 'x[0].absent');
  assert.deepEqual(r.problems, []);
});

test('type problems are collected with paths, and getters return undefined', () => {
  const r = new DocReader();
  const m = r.object({ a: 5, b: '1.5', c: 'yes', d: 'x', e: { k: 1 } }, '', { a: [], b: [], c: [], d: [], e: [], f: [] })!;
  assert.equal(m.string('a'), undefined);
  assert.equal(m.integer('b'), undefined);
  assert.equal(m.boolean('c'), undefined);
  assert.equal(m.list('d'), undefined);
  assert.deepEqual(m.tags('e'), []);
  assert.equal(m.string('f', { required: true }), undefined);
  assert.deepEqual(r.problems.map((p) => `${p.path} ${p.code}`), ['a InvalidParameterValue', 'b InvalidParameterValue', 'c InvalidParameterValue', 'd InvalidParameterValue', 'e.k InvalidParameterValue', 'f MissingParameter']);
});

test('stringList accepts a single string and reports bad elements by index', () => {
  const r = new DocReader();
  const m = r.object({ one: 'a', many: ['a', 3, 'c'] }, 'p', { one: [], many: [] })!;
  assert.deepEqual(m.stringList('one'), [{ value: 'a', path: 'p.one' }]);
  assert.deepEqual(m.stringList('many')!.map((s) => s.path), ['p.many[0]', 'p.many[2]']);
  assert.deepEqual(r.problems.map((p) => p.path), ['p.many[1]']);
});

test('integers honour bounds; booleans accept true/false text', () => {
  const r = new DocReader();
  const m = r.object({ n: -2, t: 'true', f: false }, '', { n: [], t: [], f: [] })!;
  assert.equal(m.integer('n', { min: -1, max: 255 }), undefined);
  assert.equal(m.boolean('t'), true);
  assert.equal(m.boolean('f'), false);
  assert.match(r.problems[0]!.message, /outside -1\.\.255/);
});
