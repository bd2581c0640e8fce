import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseShorthand, ShorthandError } from './shorthand.ts';
import { sinceToMs } from './main.ts';

test('aws CLI shorthand: key=value pairs, value lists and nested structures', () => {
  assert.deepEqual(parseShorthand('--destination-options', 'FileFormat=parquet,HiveCompatiblePartitions=true,PerHourPartition=true'), {
    FileFormat: 'parquet', HiveCompatiblePartitions: 'true', PerHourPartition: 'true',
  });
  assert.deepEqual(parseShorthand('--filter', 'Name=resource-id,Values=vpc-1,vpc-2'), { Name: 'resource-id', Values: ['vpc-1', 'vpc-2'] });
  assert.deepEqual(parseShorthand('--tag-specifications', 'ResourceType=vpc-flow-log,Tags=[{Key=Name,Value=x},{Key=team,Value=net}]'), {
    ResourceType: 'vpc-flow-log', Tags: [{ Key: 'Name', Value: 'x' }, { Key: 'team', Value: 'net' }],
  });
  assert.deepEqual(parseShorthand('--filter', '[{"Name":"traffic-type","Values":["ALL"]}]'), [{ Name: 'traffic-type', Values: ['ALL'] }]);
});

test('shorthand errors say which option, where and why', () => {
  assert.throws(() => parseShorthand('--filter', 'Name'), (e: unknown) => e instanceof ShorthandError && /--filter: .* at character 5: expected '='/.test(e.message));
  assert.throws(() => parseShorthand('--tag-specifications', 'Tags=[{Key=a'), ShorthandError);
});

test('--since takes durations or epoch milliseconds', () => {
  assert.equal(sinceToMs('10m', 1_000_000_000), 1_000_000_000 - 600_000);
  assert.equal(sinceToMs('1735776000000'), 1735776000000);
  assert.throws(() => sinceToMs('yesterday'), /--since/);
});
