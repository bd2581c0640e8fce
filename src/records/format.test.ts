import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_LOG_FORMAT,
  HeaderLineError,
  LogFormatError,
  fieldsFromHeader,
  logFormatOf,
  parseLogFormat,
  versionOf,
} from './format.ts';
import { DEFAULT_FORMAT, type FieldName } from './fields.ts';

// The default format string exactly as DescribeFlowLogs returns it (spec §1.2).
const AWS_DEFAULT =
  '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}';

test('the default format parses to the 14 v2 fields, version 2', () => {
  const f = parseLogFormat(AWS_DEFAULT);
  assert.equal(f.fields.length, 14);
  assert.equal(f.fields[0], 'version');
  assert.equal(f.fields[13], 'log-status');
  assert.equal(f.version, 2);
  assert.equal(DEFAULT_LOG_FORMAT.text, AWS_DEFAULT);
  assert.equal(DEFAULT_FORMAT, AWS_DEFAULT);
  assert.deepEqual(DEFAULT_LOG_FORMAT.fields, f.fields);
});

test('version is the highest field version (spec §1.3 and §7.9 examples)', () => {
  // CLI/S3 example → records have version 3.
  assert.equal(
    parseLogFormat('${version} ${vpc-id} ${subnet-id} ${instance-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${tcp-flags} ${type} ${pkt-srcaddr} ${pkt-dstaddr}').version,
    3,
  );
  // Encryption-controls recommendation → version 10.
  assert.equal(
    parseLogFormat('${encryption-status} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${traffic-path} ${flow-direction} ${reject-reason}').version,
    10,
  );
  const cases: [FieldName[], number][] = [
    [['srcaddr'], 2],
    [['srcaddr', 'vpc-id', 'region'], 4],
    [['flow-direction'], 5],
    [['ecs-task-id'], 7],
    [['reject-reason'], 8],
    [['resource-id'], 9],
    [['interface-tag-2', 'version'], 11],
    [[], 2],
  ];
  for (const [fields, v] of cases) assert.equal(versionOf(fields), v, fields.join(','));
});

test('AWS-shaped message for every kind of invalid format, with a precise detail', () => {
  const cases: [string, number, RegExp][] = [
    ['', 1, /empty; at least one field is required/],
    [' ${version}', 1, /leading space/],
    ['${version} ${log-status} ', 25, /trailing space at position 25/],
    ['${version}  ${srcaddr}', 12, /two consecutive spaces at positions 11 and 12/],
    ['${version}\t${srcaddr}', 11, /a tab at position 11/],
    ['${version} ${srcadr}', 12, /unknown field 'srcadr' at position 12 \(did you mean 'srcaddr'\?\)/],
    ['${log_status}', 1, /unknown field 'log_status'.*did you mean 'log-status'/],
    ['${nonsense-field-name}', 1, /^unknown field 'nonsense-field-name' at position 1$/],
    ['${version} ${srcaddr} ${version}', 23, /field 'version' at position 23 is listed twice \(first at position 1\)/],
    ['version account-id', 1, /'version' at position 1 is not a field reference.*write '\$\{version\}'/],
    ['${version}${srcaddr}', 1, /holds more than one field/],
    ['${}', 1, /not a field reference/],
    ['${version', 1, /not a field reference/],
    ['${resource-type} ${srcaddr}', 1, /'resource-type' at position 1 is a Transit Gateway flow log field/],
  ];
  for (const [text, position, detail] of cases) {
    assert.throws(
      () => parseLogFormat(text),
      (e: unknown) => {
        assert.ok(e instanceof LogFormatError, `not a LogFormatError for ${JSON.stringify(text)}`);
        assert.equal(e.message, `1 validation error detected: Value '${text}' at 'logFormat' has an invalid format`);
        assert.match(e.detail, detail, JSON.stringify(text));
        assert.equal(e.position, position, JSON.stringify(text));
        return true;
      },
    );
  }
});

test('the trailing-space case observed against AWS (rain#288) is rejected', () => {
  assert.throws(() => parseLogFormat(AWS_DEFAULT + ' '), LogFormatError);
});

test('logFormatOf builds the canonical text', () => {
  const f = logFormatOf(['instance-id', 'interface-id', 'srcaddr']);
  assert.equal(f.text, '${instance-id} ${interface-id} ${srcaddr}');
  assert.equal(f.version, 3);
  assert.throws(() => logFormatOf([]), LogFormatError);
  assert.throws(() => logFormatOf(['srcaddr', 'srcaddr']), LogFormatError);
});

test('fieldsFromHeader reads S3 header lines and rejects bad ones precisely', () => {
  assert.deepEqual(fieldsFromHeader('version account-id interface-id'), ['version', 'account-id', 'interface-id']);
  const cases: [string, number, RegExp][] = [
    ['', 1, /header line is empty/],
    ['version tgw-id', 9, /'tgw-id' at position 9 is a Transit Gateway flow log field/],
    ['version srcport srcprt', 17, /unknown field 'srcprt' at position 17 \(did you mean 'srcport'\?\)/],
    ['${version} srcaddr', 1, /without \$\{\.\.\.\}/],
    ['version  srcaddr', 9, /two consecutive spaces/],
    ['version srcaddr version', 17, /listed twice/],
  ];
  for (const [line, position, detail] of cases) {
    assert.throws(
      () => fieldsFromHeader(line),
      (e: unknown) => e instanceof HeaderLineError && e.position === position && detail.test(e.detail) && e.message.includes(e.detail),
      JSON.stringify(line),
    );
  }
});
