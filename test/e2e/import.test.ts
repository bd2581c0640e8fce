// End-to-end: `vpcflow import` against a real `vpcflow serve`, with every VPC flow log sample of
// ../shared/testdata/aws (AWS's documentation, flowlogs-reader, Elastic, Beats): each record lands in
// its interface's stream with the file's line as the message (read back with `vpcflow logs get`),
// `vpcflow query` sees them in the importing account, a repeat is refused and --force imports again.
// Transit Gateway files and header-less files of unknown format are refused with the reason.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { VpcflowServer, SHARED, type RunResult } from '../helpers/cli.ts';
import { FIELDS } from '../../src/records/index.ts';

const DATA = join(SHARED, 'testdata/aws');
const A = '111122223333';
const B = '444455556666';
const PLAIN = '/aws/import/plain';
const CUSTOM = '/aws/import/custom';
const MADE = '/aws/import/assembled';

let server: VpcflowServer;
let asA: Record<string, string>;

/** What a group must hold after the imports: every record line of every file imported into it. */
const expected = new Map<string, string[]>();
const expect = (group: string, lines: string[]) => expected.set(group, [...(expected.get(group) ?? []), ...lines]);
/** Records per flow log id, from the imports' results (checked against the files below). */
const recordsOf = new Map<string, number>();

const read = (rel: string): string => readFileSync(join(DATA, rel), 'utf8');
const linesOf = (text: string): string[] => text.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim().length > 0);
const fieldsUpTo = (v: number): string => FIELDS.filter((f) => f.version <= v).map((f) => f.name).join(' ');

interface Imported {
  File: string;
  Records: number;
  FlowLogId: string;
  Problems: number;
  ProblemSamples: { Line: number; Reason: string }[];
  Formats: { From: number; Fields: string | null; Source: string }[];
  Format: string;
  Gzip: boolean;
}

async function importFiles(files: string[], group: string, extra: string[] = []): Promise<Imported[]> {
  const r = await server.run(['import', ...files, '--log-group-name', group, '--output', 'json', ...extra], { env: asA });
  assert.equal(r.code, 0, `import ${files.join(' ')}: ${r.stderr}`);
  const out = (JSON.parse(r.stdout) as { Imported: Imported[] }).Imported;
  for (const i of out) recordsOf.set(i.FlowLogId, (recordsOf.get(i.FlowLogId) ?? 0) + i.Records);
  return out;
}

function refused(r: RunResult, why: RegExp): void {
  assert.notEqual(r.code, 0, r.stdout);
  assert.match(r.stderr, why);
}

before(async () => {
  assert.ok(existsSync(DATA), `third-party test data missing at ${DATA} (../shared/testdata from the repository root)`);
  server = new VpcflowServer();
  await server.start();
  const created = await server.run(['accounts', 'create', '--account', A, '--output', 'json']);
  assert.equal(created.code, 0, created.stderr);
  const key = (JSON.parse(created.stdout) as { AccessKey: { AccessKeyId: string; SecretAccessKey: string } }).AccessKey;
  asA = { VPCFLOW_CREDENTIALS: '', VPCFLOW_ACCESS_KEY_ID: key.AccessKeyId, VPCFLOW_SECRET_ACCESS_KEY: key.SecretAccessKey };
});

after(async () => {
  await server?.stop();
});

test('samples with a header line, in the default format or in Parquet import without being told their fields', async () => {
  const files = [
    'awsdocs/example-default-v2.log', 'flowlogs-reader/v2_records.log', 'elastic-integrations/test-v5-all-fields.log',
    'elastic-integrations/test-with-message-field.log', 'flowlogs-reader/v3_header_format.log', 'flowlogs-reader/v4_header_format.log',
    'flowlogs-reader/v5_header_format.log', 'flowlogs-reader/flows.parquet',
  ];
  const results = await importFiles(files.map((f) => join(DATA, f)), PLAIN);
  const byFile = new Map(results.map((r, i) => [files[i]!, r]));
  for (const f of files.slice(0, 3)) {
    assert.equal(byFile.get(f)!.Formats[0]!.Source, 'assumed', f);
    expect(PLAIN, linesOf(read(f)));
  }
  // A CloudWatch-style envelope: the message is the record.
  assert.equal(byFile.get('elastic-integrations/test-with-message-field.log')!.Format, 'cloudwatch-json');
  expect(PLAIN, [(JSON.parse(read('elastic-integrations/test-with-message-field.log')) as { message: string }).message]);
  // Header files: every line but the header, and (v5) but the one line SOURCES.md calls bogus.
  for (const f of ['flowlogs-reader/v3_header_format.log', 'flowlogs-reader/v4_header_format.log', 'flowlogs-reader/v5_header_format.log']) {
    assert.equal(byFile.get(f)!.Formats[0]!.Source, 'header', f);
    expect(PLAIN, linesOf(read(f)).slice(1).filter((l) => l !== 'bogus line'));
  }
  const v5 = byFile.get('flowlogs-reader/v5_header_format.log')!;
  assert.deepEqual([v5.Problems, v5.ProblemSamples[0]!.Line], [1, 4]);
  assert.ok(results.filter((r) => r !== v5).every((r) => r.Problems === 0), JSON.stringify(results.map((r) => r.ProblemSamples)));
  // Parquet: the rows flowlogs-reader's own test expects, written as AWS writes text records.
  const pq = byFile.get('flowlogs-reader/flows.parquet')!;
  assert.equal(pq.Format, 'parquet');
  const want = (JSON.parse(read('flowlogs-reader/expected_from_tests.json')) as { expectations: { test: string; value: Record<string, unknown>[] }[] })
    .expectations.find((e) => e.test.endsWith('test_serial_parquet'))!.value;
  const columns = ['version', 'account_id', 'interface_id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'action', 'log_status'];
  expect(PLAIN, want.map((row) => columns.map((c) => {
    const v = row[c];
    if (v === undefined || v === null) return '-';
    return c === 'start' || c === 'end' ? String(Date.parse(`${String(v)}Z`) / 1000) : String(v);
  }).join(' ')));
  assert.equal(pq.Records, want.length);
});

test('custom formats import with --log-format (as CreateFlowLogs writes it, or as a header line)', async () => {
  const withFormatFile = ['awsdocs/example-nat-gateway', 'awsdocs/example-tcp-flag-sequence', 'awsdocs/example-traffic-path-v5', 'awsdocs/example-transit-gateway'];
  for (const base of withFormatFile) {
    const format = read(`${base}.format`).trim();
    // The same list both ways: `${a} ${b}` and `a b`.
    const given = base.endsWith('nat-gateway') ? format.split(' ').map((f) => '${' + f + '}').join(' ') : format;
    const [r] = await importFiles([join(DATA, `${base}.log`)], CUSTOM, ['--log-format', given]);
    assert.equal(r!.Formats[0]!.Source, 'given');
    assert.equal(r!.Problems, 0);
    // The TCP-flag example has one line with two spaces (a typo in AWS's documentation): kept as written.
    expect(CUSTOM, linesOf(read(`${base}.log`)));
  }
  for (const [file, v] of [['elastic-integrations/test-ecs-samples.log', 7], ['elastic-integrations/test-v8-samples.log', 8]] as const) {
    const [r] = await importFiles([join(DATA, file)], CUSTOM, ['--log-format', fieldsUpTo(v)]);
    assert.equal(r!.Records, linesOf(read(file)).length);
    expect(CUSTOM, linesOf(read(file)));
  }
});

test('assembled files: gzip, S3 objects concatenated with their headers (one with a byte-order mark), Beats cases, a CloudWatch export', async () => {
  const dir = server.dataDir;
  const v5 = read('flowlogs-reader/v5_header_format.log');
  writeFileSync(join(dir, 'v5.log.gz'), gzipSync(v5));
  expect(MADE, linesOf(v5).slice(1).filter((l) => l !== 'bogus line'));

  const v3 = read('flowlogs-reader/v3_header_format.log');
  const v4 = read('flowlogs-reader/v4_header_format.log');
  writeFileSync(join(dir, 'two-objects.log.gz'), Buffer.concat([gzipSync(v3), gzipSync('\uFEFF' + v4)]));
  expect(MADE, [...linesOf(v3).slice(1), ...linesOf(v4).slice(1)]);

  // Every Beats case as its own header + samples, one after the other; a Transit Gateway case in the middle is skipped, with the reason.
  const cases = parseYaml(read('beats-processor/aws-vpc-flow-logs.yml'), { merge: true }) as Record<string, { format: string; samples: string[] }>;
  const parts: string[] = [];
  let tgwHeaderLine = 0;
  let lineCount = 0;
  for (const [name, c] of Object.entries(cases)) {
    if (name.startsWith('v6-') && name !== 'v6-fields-original') continue;
    if (name === 'v6-fields-original') tgwHeaderLine = lineCount + 1;
    else expect(MADE, c.samples);
    parts.push(c.format, ...c.samples);
    lineCount += 1 + c.samples.length;
  }
  writeFileSync(join(dir, 'beats-cases.log'), parts.join('\n') + '\n');

  // `aws logs filter-log-events` output of AWS's default-format examples.
  const doc = linesOf(read('awsdocs/example-default-v2.log'));
  writeFileSync(join(dir, 'filter-log-events.json'), JSON.stringify({
    events: doc.map((message, i) => ({ logStreamName: 'eni-1235b8ca123456789-all', timestamp: (Number(message.split(' ')[10]) * 1000), message, ingestionTime: 1, eventId: String(i) })),
    searchedLogStreams: [],
  }, null, 2));
  expect(MADE, doc);

  const results = await importFiles(['v5.log.gz', 'two-objects.log.gz', 'beats-cases.log', 'filter-log-events.json'].map((f) => join(dir, f)), MADE);
  assert.deepEqual(results.map((r) => [r.Format, r.Gzip]), [['text', true], ['text', true], ['text', false], ['cloudwatch-json', false]]);
  assert.deepEqual(results[1]!.Formats.map((f) => [f.From, f.Source]), [[1, 'header'], [4, 'header']]);
  const beats = results[2]!;
  assert.equal(beats.Problems, 1);
  assert.equal(beats.ProblemSamples[0]!.Line, tgwHeaderLine);
  assert.match(beats.ProblemSamples[0]!.Reason, /Transit Gateway flow log field; VPC flow log records do not have it; 1 record line not parsed/);
  assert.ok(beats.Formats.length >= 10, JSON.stringify(beats.Formats));
});

test('every imported record is a log event of its interface\'s stream whose message is the file\'s line', async () => {
  for (const [group, lines] of expected) {
    const listed = await server.run(['logs', 'streams', group, '--output', 'json'], { env: asA });
    assert.equal(listed.code, 0, listed.stderr);
    const streams = (JSON.parse(listed.stdout) as { logStreams: { logStreamName: string }[] }).logStreams.map((s) => s.logStreamName);
    const got: string[] = [];
    // A few `logs get` at a time: each is a CLI process.
    for (let i = 0; i < streams.length; i += 4) {
      const runs = await Promise.all(streams.slice(i, i + 4).map((s) => server.run(['logs', 'get', group, s, '--start-from-head'], { env: asA })));
      runs.forEach((r, k) => {
        assert.equal(r.code, 0, r.stderr);
        const stream = streams[i + k]!;
        const messages = r.stdout.split('\n').filter((l) => l.length > 0);
        for (const m of messages) {
          // A stream is named after the interface every record in it carries; records without one share their own.
          if (stream === 'no-interface-id') assert.ok(!m.split(/ +/).some((t) => t.startsWith('eni-')), `${group}/${stream}: ${m}`);
          else assert.ok(m.split(/ +/).includes(stream.replace(/-all$/, '')), `${group}/${stream}: ${m}`);
        }
        got.push(...messages);
      });
    }
    assert.deepEqual([...got].sort(), [...lines].sort(), group);
  }
});

test('`vpcflow query` sees every imported record in the importing account, under its file\'s flow log id', async () => {
  const r = await server.run(['query', `SELECT flow_log_id, count(*) AS n FROM flows WHERE owner_account = '${A}' GROUP BY flow_log_id ORDER BY flow_log_id`, '--output', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as { flow_log_id: string; n: number | string }[];
  assert.deepEqual(rows.map((x) => [x.flow_log_id, Number(x.n)]), [...recordsOf].sort(([a], [b]) => (a < b ? -1 : 1)));
  const total = [...expected.values()].reduce((s, l) => s + l.length, 0);
  assert.equal(rows.reduce((s, x) => s + Number(x.n), 0), total);
  // Typed values, as the file says: AWS's TCP flag example, SYN-ACK + FIN (19) from port 5001.
  const flags = await server.run(['query', "SELECT srcport, dstport, tcp_flags, bytes, account_id FROM flows WHERE flow_log_id = 'import-example-tcp-flag-sequence.log' AND tcp_flags = 19 ORDER BY bytes", '--output', 'json']);
  assert.equal(flags.code, 0, flags.stderr);
  assert.deepEqual(JSON.parse(flags.stdout), [
    { srcport: 5001, dstport: 43638, tcp_flags: 19, bytes: '967', account_id: '123456789010' }, // BIGINT columns come back as text
  ]);
});

test('the same file again is refused, naming the first import; --force imports it again', async () => {
  const file = join(DATA, 'awsdocs/example-default-v2.log');
  const again = await server.run(['import', file, '--log-group-name', PLAIN], { env: asA });
  refused(again, /An error occurred \(AlreadyIngested\): example-default-v2\.log: this content was already imported into account 111122223333 at \S+ \(as example-default-v2\.log, 7 records into \/aws\/import\/plain\); importing it again would duplicate every record \(pass --force to import it anyway\)/);
  // Into another group it is still the same records: refused as well.
  refused(await server.run(['import', file, '--log-group-name', '/elsewhere'], { env: asA }), /already imported/);
  const forced = await server.run(['import', file, '--log-group-name', PLAIN, '--force', '--output', 'json'], { env: asA });
  assert.equal(forced.code, 0, forced.stderr);
  const q = await server.run(['query', "SELECT count(*) AS n FROM flows WHERE flow_log_id = 'import-example-default-v2.log'", '--output', 'json']);
  assert.equal(Number((JSON.parse(q.stdout) as { n: number }[])[0]!.n), 14);
});

test('files that cannot be imported are refused with the reason, and an account key imports only into its own account', async () => {
  refused(await server.run(['import', join(DATA, 'awsdocs/example-nat-gateway.log'), '--log-group-name', '/x'], { env: asA }),
    /example-nat-gateway\.log: line 1 has 6 values and no header line names them; without one, only 14 values \(AWS's default format\) .* can be assumed; give the file's fields with --log-format/);
  refused(await server.run(['import', join(DATA, 'elastic-integrations/test-tgw-samples.log'), '--log-group-name', '/x'], { env: asA }),
    /line 1 has 36 values .*its tgw- values suggest a Transit Gateway flow log, a record set vpcflow does not model/);
  refused(await server.run(['import', join(DATA, 'flowlogs-reader/v6_header_format_tgw.log'), '--log-group-name', '/x'], { env: asA }),
    /no flow log record could be read \(1 problem; first, at 1: invalid header line: 'resource-type' at position 1 is a Transit Gateway flow log field/);
  refused(await server.run(['import', join(SHARED, 'testdata/pcap/ipfixprobe/mixed.pcap'), '--log-group-name', '/x'], { env: asA }),
    /this is a packet capture \(pcap\), not a flow log file; captures are turned into flow log records by `vpcflow ingest`/);
  refused(await server.run(['import', join(DATA, 'awsdocs/example-default-v2.log'), '--log-group-name', '/x', '--account', B], { env: asA }),
    /this access key belongs to account 111122223333; it cannot act for account 444455556666/);
  refused(await server.run(['import', join(DATA, 'awsdocs/example-default-v2.log'), '--log-group-name', 'no spaces allowed'], { env: asA }),
    /InvalidParameterException.*'no spaces allowed' at 'logGroupName'/);
  const groups = await server.run(['logs', 'groups', '--output', 'json'], { env: asA });
  assert.deepEqual((JSON.parse(groups.stdout) as { logGroups: { logGroupName: string }[] }).logGroups.map((g) => g.logGroupName).sort(), [CUSTOM, MADE, PLAIN].sort());
});
