import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FIELDS, type FieldName, type FlowRecord } from './fields.ts';
import {
  CloudWatchExportScanner,
  FieldsUnknownError,
  type FormatChange,
  LogTextReader,
  RecordFormatError,
  RecordParseError,
  assumeFields,
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

// --- Reading whole files line by line (vpcflow import) ---

const V3_HEADER = 'account-id bytes dstaddr dstport end instance-id packets pkt-dstaddr pkt-srcaddr protocol srcaddr srcport start subnet-id tcp-flags type version vpc-id';
const V3_LINE = '000000000000 6392 172.18.160.93 47460 1568300425 i-06f9249b 10 172.18.160.93 192.168.0.1 6 172.18.160.68 443 1568300367 subnet-089e7569 19 IPv4 3 vpc-0461a061';

test('a header line after records (two S3 objects concatenated) switches the fields from there on', () => {
  const text = [headerLine(DEFAULT_FIELDS), ACCEPT_LINE, NODATA_LINE, V3_HEADER, V3_LINE, ''].join('\n');
  const r = parseLogText(text);
  assert.deepEqual(r.problems, []);
  assert.equal(r.records.length, 3);
  assert.deepEqual(r.recordLines, [2, 3, 5]);
  assert.equal(r.records[2]!['vpc-id'], 'vpc-0461a061');
  assert.equal(r.records[2]!.version, 3);
  assert.deepEqual(r.fields, V3_HEADER.split(' '));

  const formats: FormatChange[] = [];
  const reader = new LogTextReader({}, (f) => formats.push(f));
  const read = text.split('\n').map((l, i) => reader.line(l, i + 1));
  reader.finish();
  assert.deepEqual(formats.map((f) => [f.line, f.source, f.fields?.length]), [[1, 'header', 14], [4, 'header', 18]]);
  // Each record keeps the fields it was read with and its line as written.
  assert.equal(read[1]!.fields, formats[0]!.fields);
  assert.equal(read[4]!.fields, formats[1]!.fields);
  assert.equal(read[4]!.message, V3_LINE);
  assert.equal(formatRecord(read[4]!.record, read[4]!.fields), V3_LINE);
});

test('an invalid header after records stops reading until the next valid header, and says how many lines it skipped', () => {
  const text = [ACCEPT_LINE, 'version srcaddr tgw-id', '2 10.0.0.1 tgw-1', headerLine(DEFAULT_FIELDS), NODATA_LINE].join('\n');
  const r = parseLogText(text);
  assert.equal(r.records.length, 2);
  assert.deepEqual(r.recordLines, [1, 5]);
  assert.deepEqual(r.problems, [{ line: 2, message: "invalid header line: 'tgw-id' at position 17 is a Transit Gateway flow log field; VPC flow log records do not have it; 1 record line not parsed" }]);
});

test('a UTF-8 byte-order mark does not hide a header (first line or after a concatenation), nor a record', () => {
  const r = parseLogText('\uFEFF' + V3_HEADER + '\r\n' + V3_LINE + '\r\n');
  assert.equal(r.hasHeader, true);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.fields, V3_HEADER.split(' '));
  assert.equal(r.records[0]!['subnet-id'], 'subnet-089e7569');
  const joined = parseLogText([headerLine(DEFAULT_FIELDS), ACCEPT_LINE, '\uFEFF' + V3_HEADER, V3_LINE, '\uFEFF' + V3_LINE].join('\n'));
  assert.deepEqual(joined.problems, []);
  assert.equal(joined.records.length, 3);
  const reader = new LogTextReader({ fields: DEFAULT_FIELDS });
  assert.equal(reader.line('\uFEFF' + ACCEPT_LINE + '\r', 1)!.message, ACCEPT_LINE);
});

test('assumeFields: a header-less line is read only when its values identify the format, and says why not', () => {
  assert.deepEqual(assumeFields(ACCEPT_LINE, 1), DEFAULT_FIELDS);
  assert.deepEqual(assumeFields(NODATA_LINE, 1), DEFAULT_FIELDS);
  // A custom format of 6 fields (AWS's NAT gateway example): nothing names them.
  assert.throws(() => assumeFields('- eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5', 3), (e: unknown) =>
    e instanceof FieldsUnknownError && e.line === 3
    && e.detail === "line 3 has 6 values and no header line names them; without one, only 14 values (AWS's default format) or 21, 25, 29, 39, 40, 41, 42 or 54 (all fields up to a version, in AWS's documentation order) can be assumed");
  // 21 values and version 3, as all fields up to v3 would be — but in another order (AWS's TCP-flag example).
  const tcpFlags = '3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789010 IPv4 52.213.180.42 10.0.0.62 43416 5001 52.213.180.42 10.0.0.62 6 568 8 1566848875 1566848933 ACCEPT 2 OK';
  assert.throws(() => assumeFields(tcpFlags, 1), (e: unknown) =>
    e instanceof FieldsUnknownError && /^line 1 has 21 values and version 3 like all fields up to version 3 in AWS's documentation order, but does not fit that format \(column 50, srcaddr: 'i-01234567890123456' is not an IP address/.test(e.detail)
    && /another format of 21 fields, whose order cannot be guessed$/.test(e.detail));
  // 14 values whose first is not version 2: not the default format.
  const fourteen = ACCEPT_LINE.replace(/^2 /, '3 ');
  assert.throws(() => assumeFields(fourteen, 7), (e: unknown) =>
    e instanceof FieldsUnknownError && e.detail.startsWith("line 7 has 14 values, as many as AWS's default format, but its first value is '3', not that format's version 2"));
  // Transit Gateway records are named as such.
  assert.throws(() => assumeFields('3 - 748335378900 tgw-0a12bc34de56f7890 tgw-attach-0789ijkl', 1), (e: unknown) =>
    e instanceof FieldsUnknownError && /suggest a Transit Gateway flow log/.test(e.detail));
  // All fields up to version 5 in AWS's order, with version 5: assumed.
  const v5 = '5 64111117617 eni-069xxxxxb7a490 89.160.20.156 10.200.0.0 50041 33004 17 52 1 164000066 1640000297 REJECT OK vpc-09676f97xxxxxb8a7 subnet-02d645xxxxxxxdbc0 i-0axxxxxx1ad77 1 IPv4 89.160.20.156 10.200.0.80 us-east-1 use1-az5 - - AMAZON CLOUDFRONT ingress 1';
  assert.equal(assumeFields(v5, 1).length, 29);
});

test('LogTextReader with assume: given fields and headers are used; lines that change the assumed count are refused', () => {
  const reader = new LogTextReader({ assume: true });
  assert.ok(reader.line(ACCEPT_LINE, 1));
  assert.ok(reader.line(NODATA_LINE, 2));
  // A bad value in a line of the right count is that line's problem ...
  assert.equal(reader.line(ACCEPT_LINE.replace(' 22 ', ' x '), 3), undefined);
  assert.equal(reader.problems.length, 1);
  // ... but a line of another count puts the guess in doubt: refused, not misread.
  assert.throws(() => reader.line('2 123456789010 eni-1 - - - - - - - 1 2 - NODATA extra', 4), (e: unknown) =>
    e instanceof FieldsUnknownError && e.line === 4
    && e.detail === "line 4 has 15 values, but line 1 had 14 and, without a header line, the file was read as AWS's default format: a file mixing formats without header lines cannot be read by guessing");
  // With a header, the same line is only a bad record.
  const withHeader = new LogTextReader({ assume: true });
  withHeader.line(headerLine(DEFAULT_FIELDS), 1);
  assert.equal(withHeader.line(ACCEPT_LINE + ' extra', 2), undefined);
  assert.match(withHeader.problems[0]!.message, /expected 14 values, found 15/);
  // Given fields are never second-guessed.
  const given = new LogTextReader({ fields: ['action', 'log-status'], assume: true });
  assert.deepEqual(given.line('ACCEPT OK', 1)!.record, { action: 'ACCEPT', 'log-status': 'OK' });
});

test('CloudWatchExportScanner gives the same events and problems however the text is split', () => {
  const envelope = JSON.stringify({
    messageType: 'DATA_MESSAGE', owner: '647604195155', logGroup: 'vpc-flow-logs', logStream: 'eni-0c19436730cc350ae-all', subscriptionFilters: ['all'],
    logEvents: [{ id: '1', timestamp: 1418530010000, message: ACCEPT_LINE }, { id: '2', timestamp: 1431280876000, message: NODATA_LINE }],
  });
  const control = JSON.stringify({ messageType: 'CONTROL_MESSAGE', logGroup: '', logStream: '', logEvents: [{ id: '', timestamp: 1, message: 'CWL CONTROL MESSAGE' }] });
  const text = [
    JSON.stringify({ events: [{ logStreamName: 'eni-1-all', timestamp: 1, message: 'a "quoted" \\ one' }, { message: 'b' }, 7], searchedLogStreams: [] }, null, 2),
    control + envelope,
    '\uFEFF[{"message":"x"}, {"message":"y","timestamp":"late"}, "z"]',
    'not json',
    '{"events":[{"message":"e1"},,{"message":"e2"}]}',
    '{"messageType":"DATA_MESSAGE"}',
    '{"message":"open',
  ].join('\n');
  const whole = parseCloudWatchExport(text);
  assert.deepEqual(whole.events.map((e) => e.message), ['a "quoted" \\ one', 'b', ACCEPT_LINE, NODATA_LINE, 'x', 'e1', 'e2']);
  assert.equal(whole.events[2]!.logStream, 'eni-0c19436730cc350ae-all');
  assert.equal(whole.events[2]!.eventId, '1');
  assert.deepEqual(whole.problems.map((p) => p.message), [
    "events[2] of the JSON object at line 1 has no string 'message'",
    "element 1 of the array at line 16 has a 'timestamp' that is not a number",
    'element 2 of the array at line 16 is not an object',
    "line 17 is not JSON: 'not json'",
    'invalid JSON starting at line 18: an empty array element before line 18',
    "the JSON object at line 19 is a DATA_MESSAGE without a 'logEvents' array",
    'unterminated JSON value starting at line 20',
  ]);
  for (const size of [1, 2, 3, 7, 64, 1000]) {
    const s = new CloudWatchExportScanner();
    const events: unknown[] = [];
    const problems: unknown[] = [];
    for (let i = 0; i < text.length; i += size) {
      s.push(text.slice(i, i + size));
      const got = s.take();
      events.push(...got.events);
      problems.push(...got.problems);
    }
    s.end();
    const last = s.take();
    events.push(...last.events);
    problems.push(...last.problems);
    assert.deepEqual(events, whole.events, `pieces of ${size}`);
    assert.deepEqual(problems, whole.problems, `pieces of ${size}`);
  }
});

test('CloudWatchExportScanner holds one event at a time: an export larger than its limit is read whole; one oversized value is refused', () => {
  const events = Array.from({ length: 200 }, (_, i) => ({ logStreamName: 'eni-1235b8ca123456789-all', timestamp: 1418530010000 + i, message: ACCEPT_LINE }));
  const exportText = JSON.stringify({ events, searchedLogStreams: [] });
  assert.ok(exportText.length > 20 * 1024);
  const s = new CloudWatchExportScanner({ maxValueChars: 1024 });
  s.push(exportText);
  s.end();
  const r = s.take();
  assert.deepEqual(r.problems, []);
  assert.equal(r.events.length, 200);
  assert.equal(r.events[199]!.timestamp, 1418530010199);

  const big = new CloudWatchExportScanner({ maxValueChars: 1024 });
  big.push(JSON.stringify({ message: 'x'.repeat(2000) }) + '\n' + JSON.stringify({ events: [{ message: 'y'.repeat(2000) }, { message: 'ok' }] }));
  big.end();
  const b = big.take();
  assert.deepEqual(b.events.map((e) => e.message), ['ok']);
  assert.deepEqual(b.problems.map((p) => p.message), [
    'the JSON value starting at line 1 holds more than 1024 characters outside an events array; split it into smaller exports',
    'events[0] of the JSON object at line 2 is larger than 1024 characters; no log event is that large',
  ]);
});
