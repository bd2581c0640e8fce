import { test } from 'node:test';
import assert from 'node:assert/strict';
import { documentNestingProblem } from './doc-nesting.ts';

test('real documents pass; flow, block-sequence and indentation nesting beyond the bound are refused with their position', () => {
  assert.equal(documentNestingProblem('account: "1"\nvpcs:\n  - id: vpc-1\n    subnets: [{ id: s, cidr: "10.0.0.0/24" }]  # [[[[ in a comment\n'), undefined);
  assert.deepEqual(documentNestingProblem('{"a":'.repeat(1000) + '1' + '}'.repeat(1000)), { line: 1, column: 64 * 5 + 1, message: 'nested more than 64 levels deep' });
  assert.match(documentNestingProblem('['.repeat(1000) + ']'.repeat(1000))!.message, /64 levels/);
  assert.deepEqual(documentNestingProblem('x: 1\n' + '- '.repeat(1000) + 'x'), { line: 2, column: 129, message: 'more than 64 nested sequences on one line' });
  assert.match(documentNestingProblem('a:\n' + ' '.repeat(300) + 'b: 1')!.message, /indented more than 256 columns/);
  assert.equal(documentNestingProblem('['.repeat(64) + ']'.repeat(64)), undefined);
});
