import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatText, renderTable, tableCell, terminalWidth } from './output.ts';

test('text output is the aws CLI\'s: scalars per object on a line, nested values on lines of their own', () => {
  const response = {
    FlowLogs: [
      {
        CreationTime: '2026-01-01T00:00:00.000Z', DeliverLogsStatus: 'SUCCESS', FlowLogId: 'fl-0123', FlowLogStatus: 'ACTIVE', LogGroupName: '/vpc/a', ResourceId: 'vpc-0a',
        TrafficType: 'ALL', MaxAggregationInterval: 600, Tags: [{ Key: 'Name', Value: 'x' }, { Key: 'team', Value: 'net' }],
        DestinationOptions: { FileFormat: 'plain-text', HiveCompatiblePartitions: false },
      },
      { FlowLogId: 'fl-0456', FlowLogStatus: 'ACTIVE', ResourceId: 'subnet-0b', TrafficType: 'REJECT', MaxAggregationInterval: 60, LogDestination: null, Tags: [] },
    ],
    NextToken: 'abc', Unsuccessful: [], Ids: ['a', 'b'], Nested: [[1, 2], 3, [4]], Top: true,
  };
  // What awscli/text.py (aws-cli 1.45.11) prints for the same JSON.
  const aws = 'abc\tTrue\nFLOWLOGS\t2026-01-01T00:00:00.000Z\tSUCCESS\tfl-0123\tACTIVE\t\t/vpc/a\t600\tvpc-0a\tALL\nDESTINATIONOPTIONS\tplain-text\tFalse\n'
    + 'TAGS\tName\tx\nTAGS\tteam\tnet\nFLOWLOGS\t\t\tfl-0456\tACTIVE\tNone\t\t60\tsubnet-0b\tREJECT\nIDS\ta\nIDS\tb\nNESTED\t3\nNESTED\t1\nNESTED\t2\nNESTED\t4\n';
  assert.equal(formatText(response), aws);
  assert.equal(formatText({}), '');
  assert.equal(formatText(['x', 'y']), 'x\ty\n');
});

test('tables show epoch-ms time columns as ISO 8601 and leave other numbers alone', () => {
  assert.equal(tableCell('CreatedAt', 1767225600000), '2026-01-01T00:00:00.000Z');
  assert.equal(tableCell('lastEventTimestamp', 1767225600123), '2026-01-01T00:00:00.123Z');
  assert.equal(tableCell('timestamp', 1767225600000), '2026-01-01T00:00:00.000Z');
  assert.equal(tableCell('ingestionTime', '1767225600000'), '2026-01-01T00:00:00.000Z', 'a BIGINT from vpcflow query');
  assert.equal(tableCell('ingestionTime', '17672256x0000'), '17672256x0000');
  assert.equal(tableCell('LastUsedAt', null), '');
  assert.equal(tableCell('CreationTime', '2026-01-01T00:00:00.000Z'), '2026-01-01T00:00:00.000Z');
  assert.equal(tableCell('start', 1767225600), '1767225600', 'seconds (a record\'s start) are not a time column');
  assert.equal(tableCell('retentionInDays', 1767225600000), '1767225600000');
  assert.equal(tableCell('Packets', 3), '3');
  assert.equal(tableCell('message', 'a\tb\nc'), 'a b c');
});

test('a table wider than the terminal cuts its widest columns and marks the cut with …', () => {
  const rows = [
    { FlowLogId: 'fl-0123456789abcdef0', LogFormat: '${version} ${account-id} ${interface-id} '.repeat(10), TrafficType: 'ALL' },
    { FlowLogId: 'fl-0fedcba9876543210', LogFormat: 'short', TrafficType: 'REJECT' },
  ];
  const table = renderTable(rows, ['FlowLogId', 'LogFormat', 'TrafficType'], 80);
  const lines = table.trimEnd().split('\n');
  for (const l of lines) assert.equal(l.length, 80, l);
  assert.match(lines[3]!, /^\| fl-0123456789abcdef0 \| \$\{version\} .*…\s\| ALL {9}\|$/);
  assert.match(lines[4]!, /\| short {4}/);
  // Narrow enough already: untouched.
  const wide = renderTable(rows, ['FlowLogId', 'TrafficType'], 80);
  assert.ok(!wide.includes('…'));
  assert.equal(wide.split('\n')[0], '+----------------------+-------------+');
  // Several long columns share what is left evenly.
  const two = renderTable([{ A: 'a'.repeat(100), B: 'b'.repeat(100), C: 'c' }], ['A', 'B', 'C'], 60);
  assert.deepEqual(two.trimEnd().split('\n').map((l) => l.length), [60, 60, 60, 60, 60]);
  assert.match(two, /\| a{24}… \| b{23}… \| c \|/);
  // Too many columns for the width: each keeps MIN_COLUMN (3) and the table overflows rather than vanish.
  const cramped = renderTable([{ A: 'aaaaaa', B: 'bbbbbb' }], ['A', 'B'], 10);
  assert.match(cramped, /\| aa… \| bb… \|/);
});

test('tables are fitted to a terminal\'s width, else to 120 columns', () => {
  assert.equal(terminalWidth({ isTTY: true, columns: 93 }), 93);
  assert.equal(terminalWidth({ isTTY: false, columns: 93 }), 120);
  assert.equal(terminalWidth({}), 120);
});
