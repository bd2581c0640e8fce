import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tagProblems } from './tags.ts';

test('valid tags have no problems; limits are inclusive', () => {
  assert.deepEqual(tagProblems([{ Key: 'Name', Value: '' }, { Key: 'k'.repeat(127), Value: 'v'.repeat(255) }]), []);
  assert.deepEqual(tagProblems(Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: '' }))), []);
});

test('each broken rule is reported with the index of its tag', () => {
  const problems = tagProblems([
    { Key: '', Value: 'x' },
    { Key: 'AWS:reserved', Value: 'x' },
    { Key: 'long', Value: 'v'.repeat(256) },
    { Key: 'long', Value: 'x' },
  ]);
  assert.deepEqual(problems.map((p) => [p.index, p.code]), [[0, 'InvalidParameterValue'], [1, 'InvalidParameterValue'], [2, 'InvalidParameterValue'], [3, 'InvalidParameterValue']]);
  assert.match(problems[1]!.message, /aws:/);
  assert.match(problems[3]!.message, /Duplicate/);
  const tooMany = tagProblems(Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: '' })));
  assert.deepEqual(tooMany.map((p) => [p.index, p.code]), [[undefined, 'TagLimitExceeded']]);
});
