import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FIELDS, type FieldName, type FlowRecord } from './fields.ts';
import {
  RecordFormatError,
  RecordParseError,
  formatRecord,
  headerLine,
  looksLikeHeader,
  parseCloudWatchExport,
  parseLogText,
  parseRecordLine,
  recordsFromEvents,
} from './text.ts';

// Records from AWS's documentation (spec §7.1, §7.2).
const ACCEPT_LINE = '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK';
const NODATA_LINE = '2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA';

test('parseRecordLine types integers as numbers, other fields as strings, - as null', () => {
  const r = parseRecordLine(ACCEPT_LINE, DEFAULT_FIELDS);
  assert.deepEqual(r, {
    version: 2,
    'account-id': '123456789010',
    'interface-id': 'eni-1235b8ca123456789',
    srcaddr: '172.31.16.139',
    dstaddr: '172.31.16.21',
    srcport: 20641,
    dstport: 22,
    protocol: 6,
    packets: 20,
    bytes: 4249,
    start: 1418530010,
    end: 1418530070,
    action: 'ACCEPT',
    'log-status': 'OK',
  });
  const nodata = parseRecordLine(NODATA_LINE, DEFAULT_FIELDS);
  assert.equal(nodata.srcaddr, null);
  assert.equal(nodata.packets, null);
  assert.equal(nodata.action, null);
  assert.equal(nodata['log-status'], 'NODATA');
});

test('formatRecord writes - for null and absent fields, single spaces, base-10 numbers', () => {
  const fields: FieldName[] = ['version', 'srcaddr', 'tcp-flags', 'bytes', 'action'];
  assert.equal(formatRecord({ version: 3, srcaddr: '10.0.0.1', 'tcp-flags': null, bytes: 9007199254740991 }, fields), '3 10.0.0.1 - 9007199254740991 -');
  assert.equal(formatRecord({}, ['version']), '-');
  assert.equal(formatRecord(parseRecordLine(ACCEPT_LINE, DEFAULT_FIELDS), DEFAULT_FIELDS), ACCEPT_LINE);
  assert.equal(formatRecord(parseRecordLine(NODATA_LINE, DEFAULT_FIELDS), DEFAULT_FIELDS), NODATA_LINE);
});

test('formatRecord refuses values that would corrupt the line', () => {
  const bad: [FlowRecord, RegExp][] = [
    [{ bytes: -1 }, /non-negative safe integer/],
    [{ bytes: 1.5 }, /non-negative safe integer/],
    [{ bytes: Number.NaN }, /non-negative safe integer/],
    [{ bytes: 2 ** 53 }, /non-negative safe integer/],
    [{ 'vpc-id': '' }, /empty/],
    [{ 'vpc-id': 'vpc a' }, /space/],
    [{ 'vpc-id': 'vpc\na' }, /line break/],
  ];
  for (const [record, why] of bad) {
    const fields = Object.keys(record) as FieldName[];
    assert.throws(() => formatRecord(record, fields), (e: unknown) => e instanceof RecordFormatError && why.test(e.message) && e.field === fields[0]);
  }
});

test('headerLine', () => {
  assert.equal(
    headerLine(DEFAULT_FIELDS),
    'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status',
  );
});

test('parseRecordLine errors name the line, column, field and reason', () => {
  const check = (line: string, column: number, field: FieldName | undefined, reason: RegExp, fields = DEFAULT_FIELDS): void => {
    assert.throws(
      () => parseRecordLine(line, fields, 7),
      (e: unknown) => {
        assert.ok(e instanceof RecordParseError);
        assert.equal(e.line, 7);
        assert.equal(e.column, column, line);
        assert.equal(e.field, field, line);
        assert.match(e.reason, reason, line);
        assert.ok(e.message.startsWith(`line 7, column ${column}`), e.message);
        return true;
      },
    );
  };
  const replace = (index: number, value: string): string => {
    const parts = ACCEPT_LINE.split(' ');
    parts[index] = value;
    return parts.join(' ');
  };
  const col = (index: number): number => ACCEPT_LINE.split(' ').slice(0, index).join(' ').length + (index === 0 ? 1 : 2);
  check(replace(5, '70000'), col(5), 'srcport', /'70000' is above 65535 \(largest srcport\)/);
  check(replace(7, '256'), col(7), 'protocol', /above 255/);
  check(replace(8, '-3'), col(8), 'packets', /not a non-negative base-10 integer/);
  check(replace(8, '+3'), col(8), 'packets', /not a non-negative base-10 integer/);
  check(replace(9, '0x10'), col(9), 'bytes', /not a non-negative base-10 integer/);
  check(replace(9, '010'), col(9), 'bytes', /leading zero/);
  check(replace(9, '1e3'), col(9), 'bytes', /not a non-negative base-10 integer/);
  check(replace(10, '90071992547409921'), col(10), 'start', /above 2\^53-1/);
  check(replace(0, '2147483648'), 1, 'version', /above 2147483647/);
  check(replace(3, '172.31.16'), col(3), 'srcaddr', /not an IP address: IPv4 address has 3 parts/);
  check(replace(4, 'example.com'), col(4), 'dstaddr', /not an IP address/);
  check(replace(12, 'ACC\tEPT'), col(12) + 3, 'action', /control character 0x09/);
  // Wrong number of values: the count is the diagnosis.
  check(ACCEPT_LINE + ' extra', ACCEPT_LINE.length + 2, undefined, /^expected 14 values, found 15 \(unexpected 'extra' after the last field\)$/);
  check('2 123456789010', 15, 'interface-id', /^expected 14 values, found 2 \(no value for 'interface-id'\)$/);
  check('bogus line', 1, 'version', /^expected 14 values, found 2 \(first bad value: version 'bogus' is not a non-negative base-10 integer\)$/);
  check('', 1, 'version', /expected 14 values, found 0/);
  check('x 1.2.3.4', 1, 'version', /^'x' is not a non-negative base-10 integer$/, ['version', 'srcaddr']);
  check('2 1.2.3', 3, 'srcaddr', /^'1\.2\.3' is not an IP address/, ['version', 'srcaddr']);
  check('2 1.2.3 9', 3, 'srcaddr', /^expected 2 values, found 3 \(first bad value: srcaddr '1\.2\.3' is not an IP address/, ['version', 'srcaddr']);
});

test('parseRecordLine treats a run of spaces as one separator (AWS doc typo) and round-trips to single spaces', () => {
  const doubled = ACCEPT_LINE.replace(' 22 ', '  22 ');
  assert.notEqual(doubled, ACCEPT_LINE);
  assert.deepEqual(parseRecordLine(doubled, DEFAULT_FIELDS), parseRecordLine(ACCEPT_LINE, DEFAULT_FIELDS));
  assert.equal(formatRecord(parseRecordLine(doubled, DEFAULT_FIELDS), DEFAULT_FIELDS), ACCEPT_LINE);
});

test('IPv6 and IPv4-mapped addresses are accepted as written', () => {
  const line = '2 123456789010 eni-1 2001:db8:1234:a100:8d6e:3477:df66:f105 ::ffff:10.0.0.1 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK';
  assert.equal(formatRecord(parseRecordLine(line, DEFAULT_FIELDS), DEFAULT_FIELDS), line);
});

test('looksLikeHeader separates header lines from records', () => {
  assert.equal(looksLikeHeader(headerLine(DEFAULT_FIELDS)), true);
  assert.equal(looksLikeHeader('instance-id interface-id srcaddr'), true);
  assert.equal(looksLikeHeader('resource-type tgw-id'), true);
  assert.equal(looksLikeHeader(ACCEPT_LINE), false);
  assert.equal(looksLikeHeader('- eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5'), false);
  assert.equal(looksLikeHeader('ingress egress'), false); // a record of ${flow-direction} values
  assert.equal(looksLikeHeader('ACCEPT'), false);
});

test('parseLogText: header, CRLF, blank lines, problems that do not stop parsing', () => {
  const text = ['srcaddr dstport action', '10.0.0.1 22 ACCEPT', '', '10.0.0.2 x REJECT\r', '10.0.0.3 443 REJECT\r', ''].join('\n');
  const r = parseLogText(text);
  assert.equal(r.hasHeader, true);
  assert.deepEqual(r.fields, ['srcaddr', 'dstport', 'action']);
  assert.deepEqual(r.records, [
    { srcaddr: '10.0.0.1', dstport: 22, action: 'ACCEPT' },
    { srcaddr: '10.0.0.3', dstport: 443, action: 'REJECT' },
  ]);
  assert.deepEqual(r.recordLines, [2, 5]);
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0]!.line, 4);
  assert.match(r.problems[0]!.message, /^line 4, column 10 \(dstport\): 'x' is not a non-negative base-10 integer$/);
});

test('parseLogText without a header uses opts.fields, else the default fields', () => {
  assert.equal(parseLogText(ACCEPT_LINE + '\n' + NODATA_LINE + '\n').records.length, 2);
  const custom = parseLogText('ACCEPT OK\nREJECT OK', { fields: ['action', 'log-status'] });
  assert.equal(custom.hasHeader, false);
  assert.deepEqual(custom.records, [
    { action: 'ACCEPT', 'log-status': 'OK' },
    { action: 'REJECT', 'log-status': 'OK' },
  ]);
  // A header wins over opts.fields: the file says what it holds.
  const withHeader = parseLogText('action\nACCEPT', { fields: DEFAULT_FIELDS });
  assert.deepEqual(withHeader.fields, ['action']);
  assert.deepEqual(parseLogText(''), { fields: DEFAULT_FIELDS, records: [], recordLines: [], problems: [], hasHeader: false });
});

test('parseLogText reports an invalid header once, with the number of lines it could not read', () => {
  const r = parseLogText('version srcaddr tgw-id\n2 10.0.0.1 tgw-1\n2 10.0.0.2 tgw-2\n');
  assert.equal(r.hasHeader, true);
  assert.equal(r.records.length, 0);
  assert.deepEqual(r.problems, [
    {
      line: 1,
      message: "invalid header line: 'tgw-id' at position 17 is a Transit Gateway flow log field; VPC flow log records do not have it; 2 record lines not parsed",
    },
  ]);
});

test('parseCloudWatchExport: aws logs filter-log-events output', () => {
  const text = JSON.stringify(
    {
      events: [
        { logStreamName: 'eni-1235b8ca123456789-all', timestamp: 1418530010000, message: ACCEPT_LINE, ingestionTime: 1418530400000, eventId: '3197' },
        { logStreamName: 'eni-1235b8ca123456789-all', timestamp: 1431280876000, message: NODATA_LINE, ingestionTime: 1431281000000, eventId: '3198' },
      ],
      searchedLogStreams: [],
    },
    null,
    2,
  );
  const r = parseCloudWatchExport(text);
  assert.deepEqual(r.problems, []);
  assert.equal(r.events.length, 2);
  assert.deepEqual(r.events[0], {
    message: ACCEPT_LINE,
    line: 1,
    timestamp: 1418530010000,
    ingestionTime: 1418530400000,
    eventId: '3197',
    logStream: 'eni-1235b8ca123456789-all',
  });
  const parsed = recordsFromEvents(r.events);
  assert.deepEqual(parsed.problems, []);
  assert.equal(parsed.records[1]!['log-status'], 'NODATA');
});

test('parseCloudWatchExport: get-log-events output and a subscription envelope (spec §4.1 payload)', () => {
  const get = parseCloudWatchExport('{"events":[{"timestamp":1,"message":"a","ingestionTime":2}],"nextForwardToken":"f/1","nextBackwardToken":"b/1"}');
  assert.deepEqual(get.events, [{ message: 'a', line: 1, timestamp: 1, ingestionTime: 2 }]);
  const envelope = {
    messageType: 'DATA_MESSAGE',
    owner: '647604195155',
    logGroup: 'vpc-flow-logs',
    logStream: 'eni-0c19436730cc350ae-all',
    subscriptionFilters: ['all'],
    logEvents: [
      {
        id: '37976342262953223179038144714945888722564951965555163136',
        timestamp: 1702918083000,
        message: '2 647604195155 eni-0c19436730cc350ae 10.5.81.140 10.90.0.45 53598 443 6 2 120 1702918083 1702918083 ACCEPT OK',
      },
    ],
  };
  const control = { messageType: 'CONTROL_MESSAGE', owner: 'CloudwatchLogs', logGroup: '', logStream: '', logEvents: [{ id: '', timestamp: 1, message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.' }] };
  // Firehose concatenates envelopes without separators.
  const r = parseCloudWatchExport(JSON.stringify(control) + JSON.stringify(envelope) + '\n' + JSON.stringify(envelope));
  assert.deepEqual(r.problems, []);
  assert.equal(r.events.length, 2);
  assert.deepEqual(r.events[0], {
    message: envelope.logEvents[0]!.message,
    line: 1,
    timestamp: 1702918083000,
    eventId: '37976342262953223179038144714945888722564951965555163136',
    logGroup: 'vpc-flow-logs',
    logStream: 'eni-0c19436730cc350ae-all',
  });
  assert.equal(r.events[1]!.line, 2);
  const records = recordsFromEvents(r.events).records;
  assert.equal(records[0]!.start! as number * 1000, r.events[0]!.timestamp);
});

test('parseCloudWatchExport: JSON lines and arrays of {message}; problems for everything else', () => {
  const lines = ['{"message":"x"}', '[{"message":"y","timestamp":5}]', 'plain text line', '{"other":1}', '{"message":1}', '{"awslogs":{"data":"H4sI"}}', '{"message":"z",', ''].join('\n');
  const r = parseCloudWatchExport(lines);
  assert.deepEqual(
    r.events.map((e) => [e.message, e.line]),
    [
      ['x', 1],
      ['y', 2],
    ],
  );
  assert.deepEqual(
    r.problems.map((p) => p.line),
    [3, 4, 5, 6, 7],
  );
  assert.match(r.problems[0]!.message, /line 3 is not JSON: 'plain text line'/);
  assert.match(r.problems[1]!.message, /has no 'message', 'events' or 'logEvents'/);
  assert.match(r.problems[2]!.message, /has no string 'message'/);
  assert.match(r.problems[3]!.message, /decompress it first/);
  assert.match(r.problems[4]!.message, /unterminated JSON value starting at line 7/);
});
