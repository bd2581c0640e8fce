// Fuzz: mutated captures (real third-party pcap/pcapng files and a generated one) through the capture
// decoder and flow stage in a worker under a deadline, then a sample of them through a real server's
// ingest (HTTP upload as the CLI signs it, and the CLI itself for a few). Asserted for every case: no
// crash, no hang, memory bounded, only the typed capture error; on the server a 200 or a 4xx with a
// precise message (never a 500), an ingest delivered whole or not at all (rows of `flows` and files of
// the s3 destination before/after), the server still answering /v1/health, its RSS bounded at the end.
// Seeds, case counts and replay: see lib.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CaptureStreamDecoder } from '../../src/capture/index.ts';
import { formatIpv4, formatIpv6 } from '../../src/net/index.ts';
import type { MonitoredInterface } from '../../src/flows/index.ts';
import { demoCapture } from '../../src/cli/demo-traffic.ts';
import { ROOT, SHARED } from '../helpers/cli.ts';
import { CaseWorker, FuzzServer, Failures, LONG_MODE, ONLY_CASE, Rng, SEED, caseCount, caseIndices, nativeErrorProblem, outcomeProblem, seedLine, type RawAnswer } from './lib.ts';
import { mutateCapture } from './capture-mutators.ts';
import type { CaptureCase, CaptureVerdict } from './capture-task.ts';

const SUITE = 'captures';
const PCAP = join(SHARED, 'testdata/pcap');
/** Small captures of different formats, byte orders and link types (SOURCES.md names their origins). */
const REAL = [
  'tcpdump/dns_udp.pcap', 'tcpdump/isup.pcap', 'tcpdump/e1000g.pcap', 'tcpdump/ipv6-routing-header.pcap', 'tcpdump/nflog.pcap',
  'tcpdump/tcp-handshake-nano.pcap', 'tcpdump/LINKTYPE_RAW_ipv4.pcap', 'tcpdump/icmp-length-zero.pcapng', 'ndpi/gre.pcapng',
  'nfstream/dhcp.pcapng', 'pcapng-test-generator/output_be/difficult/test202.pcapng', 'pcapng-test-generator/output_le/difficult/test201.pcapng',
];
const ACCOUNT = '111122223333';
const VPC = 'vpc-0a1b2c3d4e5f60718';
const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z

const DECODE_CASES = caseCount(800);
const SERVER_CASES = caseCount(14, 20);
/** Of the server cases, every CLI_EVERY-th goes through the `vpcflow ingest` command (a process each). */
const CLI_EVERY = LONG_MODE ? 10 : 7;
/** The server's RSS may grow by this much over the run (DuckDB caches, archive buffers), not more. */
const RSS_GROWTH_LIMIT_KB = 400 * 1024;

interface Base {
  name: string;
  bytes: Uint8Array;
  interfaces: MonitoredInterface[];
}

function iface(n: number, ipv4: string[], ipv6: string[]): MonitoredInterface {
  const hex = n.toString(16).padStart(17, '0');
  return {
    interfaceId: `eni-${hex}`, accountId: ACCOUNT, region: 'us-east-1', vpcId: VPC, subnetId: `subnet-${hex}`, instanceId: `i-${hex}`, azId: 'use1-az1',
    primaryIpv4: ipv4[0] ?? null, ipv4, ipv6,
  };
}

/** Interfaces for the first addresses a capture holds, so its mutants have traffic to aggregate. */
function interfacesOf(bytes: Uint8Array): MonitoredInterface[] {
  const v4 = new Set<string>();
  const v6 = new Set<string>();
  const d = new CaptureStreamDecoder((p) => {
    const [set, format] = p.ipVersion === 4 ? [v4, formatIpv4] : [v6, formatIpv6];
    if (set.size < 3) set.add(format(p.data, p.srcOffset));
    if (set.size < 3) set.add(format(p.data, p.dstOffset));
  });
  d.push(bytes);
  d.end();
  return [...[...v4].map((a, i) => iface(i + 1, [a], [])), ...[...v6].map((a, i) => iface(i + 10, [], [a]))];
}

function loadBases(): Base[] {
  const missing = REAL.filter((f) => !existsSync(join(PCAP, f)));
  assert.deepEqual(missing, [], `third-party captures missing under ${PCAP} (see ${join(SHARED, 'testdata/README.md')})`);
  const demo = demoCapture([
    { client: '10.0.2.20', server: '10.0.1.10', protocol: 'tcp', port: 80, exchanges: 3, startSec: T0 + 1 },
    { client: '10.0.1.10', server: '10.0.2.20', protocol: 'udp', port: 5353, exchanges: 2, startSec: T0 + 70 },
    { client: '10.0.1.10', server: '10.0.2.30', protocol: 'icmp', exchanges: 2, startSec: T0 + 95 },
    { client: '10.0.2.20', server: '10.0.1.10', protocol: 'tcp', port: 22, unanswered: true, startSec: T0 + 130 },
  ]);
  const demoInterfaces = [iface(1, ['10.0.1.10', '10.0.1.11'], ['2600:1f18:abcd:1201::10']), iface(2, ['10.0.2.20'], []), iface(3, ['10.0.2.30'], [])];
  return [
    { name: 'demoCapture', bytes: demo, interfaces: demoInterfaces },
    ...REAL.map((f) => {
      const bytes = new Uint8Array(readFileSync(join(PCAP, f)));
      return { name: f, bytes, interfaces: interfacesOf(bytes) };
    }),
  ];
}

function captureCase(rng: Rng, bases: Base[], preferDemo: boolean): { base: Base; steps: string[]; input: CaptureCase } {
  const base = preferDemo && rng.chance(0.7) ? bases[0]! : rng.pick(bases);
  const donors = bases.map((b) => b.bytes);
  const m = mutateCapture(base.bytes, donors, rng, true);
  const chunks = Array.from({ length: rng.range(1, 6) }, () => Math.max(1, rng.size(70_000)));
  return {
    base,
    steps: m.steps,
    input: {
      bytes: m.bytes, chunks, interfaces: base.interfaces, intervals: rng.pick([[60], [600], [60, 600], [1], [1, 60]]),
      maxFlows: rng.pick([1, 4, 64, 100_000]), source: 'fuzz-case.pcap',
    },
  };
}

let bases: Base[];
let worker: CaseWorker;

before(() => {
  bases = loadBases();
  worker = new CaseWorker('capture-task.ts', 256);
});

after(async () => {
  await worker?.stop();
});

const le32 = (b: Uint8Array, at: number, v: number) => new DataView(b.buffer, b.byteOffset).setUint32(at, v, true);
const be32 = (b: Uint8Array, at: number, v: number) => new DataView(b.buffer, b.byteOffset).setUint32(at, v, false);

/**
 * Inputs that broke the decoder (or once did), run in every run before the random ones, split into
 * small chunks as a pipe delivers them: a block whose length is shorter than its own fixed fields is
 * read past its end (into the next block when pushed whole, into stale carry bytes when split), and
 * an interface at if_tsoffset 2^59 s whose packets 128 s apart once spun the window loop forever.
 */
function corpus(): { label: string; base: string; bytes: Uint8Array; chunks: number[] }[] {
  const named = (name: string) => bases.find((b) => b.name === name)!.bytes;
  const shb12 = named('tcpdump/icmp-length-zero.pcapng').slice();
  le32(shb12, 4, 12); // the section header block says it is 12 bytes long; its version lies beyond
  const be = named('pcapng-test-generator/output_be/difficult/test202.pcapng');
  const epb = [...new Set((function* () {
    for (let at = 0; at + 8 <= be.length; at += 4) if (be[at] === 0 && be[at + 1] === 0 && be[at + 2] === 0 && be[at + 3] === 6) yield at;
  })())];
  const epb12 = be.slice();
  if (epb[0] !== undefined) be32(epb12, epb[0] + 4, 12); // an enhanced packet block of 12 bytes: its captured length lies beyond
  const spin = (() => {
    const demo = bases[0]!.bytes;
    // The demo capture as pcapng on an interface with if_tsoffset 2^59 s, packets 128 s apart.
    const parts: number[] = [0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0];
    const idbBody = [1, 0, 0, 0, 0, 0, 0, 0, 14, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0];
    const idbLen = 12 + idbBody.length;
    parts.push(1, 0, 0, 0, idbLen, 0, 0, 0, ...idbBody, idbLen, 0, 0, 0);
    let at = 24;
    let k = 0;
    while (at + 16 <= demo.length && k < 40) {
      const caplen = demo[at + 8]! | (demo[at + 9]! << 8);
      const frame = [...demo.subarray(at + 16, at + 16 + caplen)];
      while (frame.length % 4) frame.push(0);
      const ticks = BigInt(k++) * 128_000_000n;
      const len = 32 + frame.length;
      const w = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
      parts.push(...w(6), ...w(len), ...w(0), ...w(Number(ticks >> 32n)), ...w(Number(ticks & 0xffffffffn)), ...w(caplen), ...w(caplen), ...frame, ...w(len));
      at += 16 + caplen;
    }
    return Uint8Array.from(parts);
  })();
  return [
    { label: 'corpus-shb-length-12', base: 'tcpdump/icmp-length-zero.pcapng', bytes: shb12, chunks: [1] },
    { label: 'corpus-epb-length-12', base: 'pcapng-test-generator/output_be/difficult/test202.pcapng', bytes: epb12, chunks: [2] },
    { label: 'corpus-tsoffset-2^59', base: 'demoCapture', bytes: spin, chunks: [4096] },
  ];
}

test('mutated captures through CaptureStreamDecoder + FlowObserver: no crash, hang or unbounded heap; only CaptureFormatError; chunking, gzip and flow invariants hold', { timeout: 20 * 60_000 }, async (t) => {
  t.diagnostic(seedLine(SUITE, { decode: DECODE_CASES, server: SERVER_CASES }));
  const failures = new Failures(SUITE, 'decode');
  const tally = { refused: 0, accepted: 0, packets: 0, records: 0 };
  if (ONLY_CASE === undefined) {
    for (const c of corpus()) {
      const input: CaptureCase = { bytes: c.bytes, chunks: c.chunks, interfaces: bases[0]!.interfaces, intervals: [60, 600], maxFlows: 100_000, source: 'fuzz-case.pcap' };
      const o = await worker.run<CaptureVerdict>(input);
      const problem = outcomeProblem(o) ?? (o.status === 'done' && o.value.ok && o.value.result.violations.length ? o.value.result.violations.join('; ') : undefined);
      if (problem) failures.add(c.label, `${c.base}, ${c.label}: ${problem}`, c.bytes, 'pcap');
    }
  }
  for (const i of caseIndices(DECODE_CASES)) {
    const rng = new Rng(SEED, 'decode', i);
    const { base, steps, input } = captureCase(rng, bases, false);
    const o = await worker.run<CaptureVerdict>(input);
    const problem = outcomeProblem(o) ?? (o.status === 'done' && o.value.ok && o.value.result.violations.length ? o.value.result.violations.join('; ') : undefined);
    if (problem) {
      failures.add(i, `${base.name} + [${steps.join(', ')}] (chunks ${input.chunks.join(',')}, intervals ${input.intervals}, maxFlows ${input.maxFlows}): ${problem}`, input.bytes, 'pcap');
      continue;
    }
    if (o.status === 'done' && o.value.ok) {
      const r = o.value.result;
      if (r.refused) tally.refused++;
      else tally.accepted++;
      tally.packets += r.packetsRead;
      tally.records += r.records;
    }
  }
  t.diagnostic(`decoded ${tally.accepted} mutants (${tally.packets} packets, ${tally.records} flow records), refused ${tally.refused}; worker heap peak ${(worker.peakHeap / 1048576).toFixed(1)} MiB (limit 256)`);
  // A fuzzer whose mutants are all refused (or all accepted) tests only one path.
  if (caseIndices(DECODE_CASES).length >= 100) assert.ok(tally.refused > 0 && tally.accepted > tally.refused, JSON.stringify(tally));
  failures.assertNone();
});

test('a sample of mutated captures ingested by a real server: 200 or a precise 4xx, delivered whole or not at all, still serving, RSS bounded', { timeout: 20 * 60_000 }, async (t) => {
  const fs = new FuzzServer();
  await fs.start();
  try {
    await fs.call('/v1/vpcflow/Apply', { Document: readFileSync(join(ROOT, 'examples/network.yaml'), 'utf8'), SourceName: 'network.yaml' });
    const common = { ResourceType: 'VPC', ResourceIds: [VPC], TrafficType: 'ALL', MaxAggregationInterval: 60 };
    const cwl = (await fs.call<{ FlowLogIds: string[] }>('/v1/ec2/CreateFlowLogs', { ...common, LogDestinationType: 'cloud-watch-logs', LogGroupName: '/fuzz/captures' })).FlowLogIds[0]!;
    await fs.call('/v1/ec2/CreateFlowLogs', { ...common, LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::fuzz-captures/text' });
    /** What the destinations hold: rows of `flows` (all, and the log store's), archive objects, the log group's stored bytes. */
    const destinations = async () => {
      const [r] = await fs.query(`select count(*)::BIGINT n, (count(*) filter (where flow_log_id = '${cwl}'))::BIGINT cw, (select count(*) from archive_objects)::BIGINT a from flows`);
      const groups = (await fs.call<{ logGroups: { logGroupName: string; storedBytes?: number }[] }>('/v1/logs/DescribeLogGroups', { logGroupNamePrefix: '/fuzz/captures' })).logGroups;
      return { rows: Number(r!.n), logStoreRows: Number(r!.cw), archiveObjects: Number(r!.a), storedBytes: groups[0]?.storedBytes ?? 0 };
    };
    // Control: the unmutated generated capture is delivered to both destinations.
    const control = await fs.upload('/v1/vpcflow/Ingest', { name: 'control.pcap' }, bases[0]!.bytes);
    assert.equal(control.status, 200, control.body);
    const first = await destinations();
    assert.ok(JSON.parse(control.body).Records > 0 && first.rows === JSON.parse(control.body).Records && first.logStoreRows > 0 && first.storedBytes > 0, control.body);
    assert.ok(first.archiveObjects > 0 && fs.s3Files().length > 0, 'the s3 flow log wrote its file');
    const baselineRss = fs.rssKb();

    const failures = new Failures(SUITE, 'server');
    const seen = new Set<string>([createHash('sha256').update(bases[0]!.bytes).digest('hex')]);
    const tally = { accepted: 0, refused: 0, cli: 0, records: 0 };
    let held = await destinations();
    for (const i of caseIndices(SERVER_CASES)) {
      const rng = new Rng(SEED, 'server', i);
      let { base, steps, input } = captureCase(rng, bases, true);
      // The same content twice is refused as AlreadyIngested (tested elsewhere); keep every upload new.
      while (seen.has(createHash('sha256').update(input.bytes).digest('hex'))) ({ base, steps, input } = captureCase(rng, bases, true));
      seen.add(createHash('sha256').update(input.bytes).digest('hex'));
      const what = `${base.name} + [${steps.join(', ')}]`;
      // What the decoder makes of it in a worker first: a hang or crash there must not stall the server test.
      const local = await worker.run<CaptureVerdict>(input);
      const localProblem = outcomeProblem(local);
      if (localProblem || local.status !== 'done' || !local.value.ok) {
        failures.add(i, `${what}: in-process decode: ${localProblem}`, input.bytes, 'pcap');
        continue;
      }
      const verdict = local.value.result;
      // Nothing else changes the store between cases: the count after the last case is the count before this one.
      const before = held;
      const rowsBefore = before.rows;
      const filesBefore = fs.s3Files();
      const viaCli = i % CLI_EVERY === CLI_EVERY - 1;
      let status: number;
      let code = '';
      let message = '';
      let result: Record<string, unknown> | undefined;
      if (viaCli) {
        tally.cli++;
        const file = join(fs.server.dataDir, `case-${i}.pcap`);
        writeFileSync(file, input.bytes);
        const r = await fs.server.run(['ingest', file, '--output', 'json']);
        if (r.code === 0) {
          status = 200;
          result = (JSON.parse(r.stdout) as { Ingested: Record<string, unknown>[] }).Ingested[0];
        } else {
          const m = /An error occurred \(([A-Za-z.]+)\): (.+)/s.exec(r.stderr);
          status = m ? 400 : 0;
          code = m?.[1] ?? '';
          message = m?.[2] ?? r.stderr;
          if (!m || r.code !== 1) failures.add(i, `${what}: vpcflow ingest exited ${r.code} without a clear error: ${r.stderr.slice(0, 400)}`, input.bytes, 'pcap');
          if (/^Internal/.test(code)) status = 500;
        }
      } else {
        let a: RawAnswer;
        try {
          a = await fs.upload('/v1/vpcflow/Ingest', { name: `case-${i}.pcap` }, input.bytes);
        } catch (e) {
          failures.add(i, `${what}: the upload got no answer: ${(e as Error).message}`, input.bytes, 'pcap');
          break;
        }
        status = a.status;
        const problem = nativeErrorProblem(a);
        if (problem) failures.add(i, `${what}: ${problem}`, input.bytes, 'pcap');
        if (a.status === 200) result = JSON.parse(a.body) as Record<string, unknown>;
        else if (!problem) ({ __type: code, message } = JSON.parse(a.body) as { __type: string; message: string });
      }
      const now = await destinations();
      held = now;
      const rowsAfter = now.rows;
      const filesAfter = fs.s3Files();
      if (status === 200 && result) {
        tally.accepted++;
        tally.records += Number(result.Records);
        const expect: string[] = [];
        if (verdict.refused) expect.push(`accepted, but the decoder refuses it: ${verdict.refused}`);
        if (result.Packets !== verdict.packetsRead || result.Problems !== verdict.problemCount) {
          expect.push(`server says ${result.Packets} packets / ${result.Problems} problems, the decoder ${verdict.packetsRead} / ${verdict.problemCount}`);
        }
        if ((result.DeliveryErrors as unknown[]).length) expect.push(`delivery errors ${JSON.stringify(result.DeliveryErrors)}`);
        if (rowsAfter - rowsBefore !== result.Records) expect.push(`${result.Records} records reported, ${rowsAfter - rowsBefore} rows added to flows (not delivered whole)`);
        if ((now.logStoreRows > before.logStoreRows) !== (now.storedBytes > before.storedBytes)) {
          expect.push(`the log store got ${now.logStoreRows - before.logStoreRows} rows but its group's stored bytes went ${before.storedBytes} → ${now.storedBytes}`);
        }
        const names = (files: string[]) => new Set(files.map((f) => f.slice(0, f.lastIndexOf(' '))));
        const after = names(filesAfter);
        const gone = [...names(filesBefore)].filter((f) => !after.has(f));
        if (gone.length) expect.push(`s3 files removed by an ingest: ${gone.slice(0, 3).join(', ')}`);
        if (expect.length) failures.add(i, `${what}: ${expect.join('; ')}`, input.bytes, 'pcap');
      } else if (status >= 400 && status < 500) {
        tally.refused++;
        const expect: string[] = [];
        if (code === 'InvalidCapture') {
          if (!verdict.refused) expect.push(`refused as InvalidCapture (${message}), but the decoder reads it (${verdict.packetsRead} packets)`);
          if (!/not a readable capture at byte \d+: ./.test(message)) expect.push(`InvalidCapture without where and why: ${message}`);
        } else expect.push(`refused with ${code}: ${message}`);
        if (JSON.stringify(now) !== JSON.stringify(before)) expect.push(`a refused ingest changed the destinations: ${JSON.stringify(before)} → ${JSON.stringify(now)}`);
        if (JSON.stringify(filesAfter) !== JSON.stringify(filesBefore)) expect.push(`a refused ingest changed the s3 destination: ${filesAfter.filter((f) => !filesBefore.includes(f)).slice(0, 3).join(', ')}`);
        if (expect.length) failures.add(i, `${what}: ${expect.join('; ')}`, input.bytes, 'pcap');
      } else if (status >= 500) {
        failures.add(i, `${what}: HTTP ${status} ${code} ${message}`, input.bytes, 'pcap');
      }
      if (!(await fs.healthy())) {
        failures.add(i, `${what}: /v1/health stopped answering after this ingest`, input.bytes, 'pcap');
        break;
      }
    }
    const flowLogs = (await fs.call<{ FlowLogs: { FlowLogId: string; DeliverLogsStatus: string; DeliverLogsErrorMessage?: string }[] }>('/v1/ec2/DescribeFlowLogs', {})).FlowLogs;
    const rss = fs.rssKb();
    t.diagnostic(`server: ${tally.accepted} ingests accepted (${tally.records} records), ${tally.refused} refused, ${tally.cli} through the CLI; RSS ${(baselineRss / 1024).toFixed(0)} → ${(rss / 1024).toFixed(0)} MiB`);
    assert.equal(flowLogs.length, 2);
    for (const fl of flowLogs) assert.notEqual(fl.DeliverLogsStatus, 'FAILED', `${fl.FlowLogId}: ${fl.DeliverLogsErrorMessage}`);
    assert.deepEqual(fs.internalErrors(), [], 'the server logged internal errors');
    assert.ok(rss - baselineRss < RSS_GROWTH_LIMIT_KB, `server RSS grew from ${baselineRss} kB to ${rss} kB over ${SERVER_CASES} ingests`);
    failures.assertNone();
  } finally {
    await fs.stop();
  }
});
