// End-to-end: captures that are hostile, broken or merely third-party, ingested through the real CLI
// and server — times out of any sane range (pcapng if_tsoffset / if_tsresol / timestamp words), a
// gzip-compressed real capture, TCP headers cut by the snap length, a link type without a decoder.
// The server must answer for each with a result, never hang, 500 or mark a flow log FAILED.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SHARED, VpcflowServer } from '../helpers/cli.ts';
import { concat, epb, ethernet, idb, ipv4, otherBlock, pcapFile, pcapngOption, shb, tcp, u16le, u32le } from '../../src/capture/test-fixtures.ts';

const VPC = 'vpc-0a1b2c3d4e5f60718';
const ENI_A = 'eni-0a1b2c3d4e5f60718';
const ENI_B = 'eni-0f1e2d3c4b5a69788';
// The two hosts of the shared capture nfstream/ssh.pcap (one SSH connection), as two interfaces of a
// /22 subnet: 172.16.238.1 is not the subnet's router address (172.16.236.1), so AWS would log it.
const NETWORK = `account: "111122223333"
region: us-east-1
vpcs:
  - id: ${VPC}
    cidr: 172.16.0.0/16
    subnets:
      - { id: subnet-0a1b2c3d4e5f60718, cidr: 172.16.236.0/22, availability-zone: us-east-1a }
    instances:
      - id: i-0a1b2c3d4e5f60718
        subnet: subnet-0a1b2c3d4e5f60718
        interfaces: [{ id: ${ENI_A}, private-ip: 172.16.238.1 }]
      - id: i-0f1e2d3c4b5a69788
        subnet: subnet-0a1b2c3d4e5f60718
        interfaces: [{ id: ${ENI_B}, private-ip: 172.16.238.168 }]
`;
const SSH_PCAP = join(SHARED, 'testdata/pcap/nfstream/ssh.pcap');
/** nfstream/ssh.pcap runs 2011-11-04T19:37:44Z to 19:41:53Z. */
const SSH_FROM = 1_320_435_420;
const SSH_TO = 1_320_435_780;
const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z
const TIMEOUT = { timeout: 120_000 };

let server: VpcflowServer;
let work: string;

interface Ingested {
  Packets: number;
  Attributed: number;
  Records: number;
  Windows: number;
  Problems: number;
  ProblemSamples: { Offset: number; Packet: number; Reason: string }[];
  SkippedByReason: Record<string, number>;
  DeliveryErrors: unknown[];
}

async function ingest(file: string): Promise<Ingested> {
  const r = await server.run(['ingest', file]);
  assert.equal(r.code, 0, `ingest ${file}: ${r.stderr}`);
  return JSON.parse(r.stdout).Ingested[0] as Ingested;
}

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const r = await server.run(['query', sql, '--output', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>[];
}

async function flowLogs(): Promise<Record<string, unknown>[]> {
  const r = await server.run(['flow-logs', 'describe']);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { FlowLogs: Record<string, unknown>[] }).FlowLogs;
}

/** Every record column but the delivery bookkeeping, as text, with a count per distinct record. */
const RECORD_ROWS = (where: string, shift = 0, flags = 'tcp_flags') => `
  select interface_id, flow_log_id, pkt_srcaddr, pkt_dstaddr, srcport, dstport, protocol, packets, bytes,
         "start" - ${shift} as s, "end" - ${shift} as e, action, log_status, flow_direction, ${flags} as flags, count(*)::INT as n
  from flows where ${where} group by all order by all`;

/** An IDB whose if_tsresol / if_tsoffset (signed 64-bit seconds) are written as given. */
function hostileIdb(o: { tsresol?: number; tsoffset?: bigint }): number[] {
  const options: number[] = [];
  if (o.tsresol !== undefined) options.push(...pcapngOption(true, 9, [o.tsresol]));
  if (o.tsoffset !== undefined) {
    const v = BigInt.asUintN(64, o.tsoffset);
    options.push(...pcapngOption(true, 14, [...u32le(Number(v & 0xffffffffn)), ...u32le(Number(v >> 32n))]));
  }
  options.push(0, 0, 0, 0);
  return otherBlock(true, 1, [...u16le(1), 0, 0, ...u32le(0), ...options]);
}

const segment = (from: 'a' | 'b', flags: number) => {
  const [src, dst, sport, dport] = from === 'b' ? ['172.16.238.168', '172.16.238.1', 50000, 22] : ['172.16.238.1', '172.16.238.168', 22, 50000];
  return ethernet(0x0800, ipv4({ src, dst, protocol: 6, payload: tcp(sport, dport, flags, [1, 2, 3, 4]) }));
};
const us = (sec: number) => BigInt(sec) * 1_000_000n;

before(async () => {
  server = new VpcflowServer();
  await server.start();
  work = server.dataDir;
  writeFileSync(join(work, 'network.yaml'), NETWORK);
  const applied = await server.run(['apply', join(work, 'network.yaml')]);
  assert.equal(applied.code, 0, applied.stderr);
  for (const args of [
    ['--log-destination-type', 'cloud-watch-logs', '--log-group-name', '/vpc/hostile'],
    ['--log-destination-type', 's3', '--log-destination', 'arn:aws:s3:::hostile-bucket/parquet', '--destination-options', 'FileFormat=parquet'],
    ['--log-destination-type', 's3', '--log-destination', 'arn:aws:s3:::hostile-bucket/text'],
  ]) {
    const r = await server.run(['flow-logs', 'create', '--resource-type', 'VPC', '--resource-ids', VPC, '--traffic-type', 'ALL', '--max-aggregation-interval', '60', ...args]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).FlowLogIds.length, 1, r.stdout);
  }
});

after(async () => {
  await server?.stop();
});

test('a pcapng whose interfaces put packets at 2^59 s and beyond: good packets delivered, the rest counted, the server answers', TIMEOUT, async () => {
  const le = true;
  const good = [
    epb(le, 0, us(T0 + 10), segment('b', 0x02)),
    epb(le, 0, us(T0 + 10) + 500n, segment('a', 0x12)),
    epb(le, 0, us(T0 + 11), segment('b', 0x10)),
  ];
  const hostile = [
    // Interface 1: if_tsoffset 2^59 s. Two packets 128 s apart up there are what used to spin the
    // server forever: a window start + 60 s rounds back to the window start at that magnitude.
    epb(le, 1, 0n, segment('b', 0x18)),
    epb(le, 1, us(128), segment('a', 0x18)),
    epb(le, 1, us(256), segment('b', 0x18)),
    // Interface 2: if_tsresol 2^-0 (one tick per second) and tick counts past 2^53 and 2^63.
    epb(le, 2, 2n ** 53n + 2n, segment('b', 0x18)),
    epb(le, 2, 2n ** 64n - 1n, segment('a', 0x18)),
    // Interface 3: a negative if_tsoffset, far before 1970.
    epb(le, 3, us(T0), segment('b', 0x18)),
    // Interface 0 (microseconds): a huge timestamp high word, 1.8e13 s.
    epb(le, 0, 0xffffffffn << 32n, segment('a', 0x18)),
  ];
  const bytes = concat(
    shb(le),
    idb(le, 1),
    hostileIdb({ tsoffset: 2n ** 59n }),
    hostileIdb({ tsresol: 0x80 }),
    hostileIdb({ tsoffset: -(2n ** 40n) }),
    ...good,
    ...hostile,
    epb(le, 0, us(T0 + 70), segment('a', 0x11)), // and good again, in the next window
  );
  const file = join(work, 'hostile.pcapng');
  writeFileSync(file, bytes);
  const res = await ingest(file);
  assert.equal(res.Packets, good.length + hostile.length + 1);
  assert.equal(res.Problems, hostile.length);
  assert.equal(res.Attributed, good.length + 1);
  for (const p of res.ProblemSamples) assert.match(p.Reason, /^timestamp out of range \(/);
  assert.deepEqual(res.DeliveryErrors, []);
  assert.ok(res.Records > 0);
  // The first capture of this server: every record there is must lie in the good packets' two windows.
  const [span] = await query('select min("start")::BIGINT lo, max("end")::BIGINT hi from flows');
  assert.ok(Number(span!.lo) >= T0 && Number(span!.hi) <= T0 + 120, `records span ${span!.lo}..${span!.hi}, outside the good packets' windows`);
  const ok = await query(`select count(*)::INT n, sum(packets)::INT p from flows where log_status = 'OK' and "start" >= ${T0} and "start" < ${T0 + 120}`);
  // Every good packet on both interfaces (the sender's egress, the receiver's ingress), in each of the 3 flow logs.
  assert.equal(ok[0]!.p, (good.length + 1) * 2 * 3);
  // Still answering: the flow logs, healthy.
  for (const fl of await flowLogs()) assert.notEqual(fl.DeliverLogsStatus, 'FAILED', JSON.stringify(fl));
});

test('good packets, then times before 1970 and past 2^53 s: 200 with problems counted, no flow log FAILED', TIMEOUT, async () => {
  const le = true;
  const start = T0 + 86_400;
  const bytes = concat(
    shb(le),
    idb(le, 1),
    hostileIdb({ tsoffset: -(2n ** 40n) }),
    hostileIdb({ tsresol: 0x80 }),
    epb(le, 0, us(start + 1), segment('b', 0x02)),
    epb(le, 0, us(start + 2), segment('a', 0x12)),
    epb(le, 1, us(start + 3), segment('b', 0x10)), // before 1970
    epb(le, 2, 2n ** 53n + 2n, segment('a', 0x10)), // past 2^53 s: once an end no record field could hold
    epb(le, 1, us(start + 4), segment('b', 0x10)),
  );
  const file = join(work, 'late-hostile.pcapng');
  writeFileSync(file, bytes);
  const r = await server.run(['ingest', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /delivery to .* failed|500|Internal/);
  const res = JSON.parse(r.stdout).Ingested[0] as Ingested;
  assert.equal(res.Packets, 5);
  assert.equal(res.Problems, 3);
  assert.deepEqual(res.DeliveryErrors, []);
  const rows = await query(`select count(*)::INT n, max("end")::BIGINT hi from flows where "start" >= ${start - 60} and "start" < ${start + 86_400}`);
  assert.ok(Number(rows[0]!.n) > 0);
  assert.ok(Number(rows[0]!.hi) <= start + 60, `a record ends at ${rows[0]!.hi}`);
  const [beyond] = await query(`select count(*)::INT n from flows where "start" < 0 or "end" >= ${2 ** 32}`);
  assert.equal(beyond!.n, 0);
  const logs = await flowLogs();
  assert.equal(logs.length, 3);
  for (const fl of logs) assert.notEqual(fl.DeliverLogsStatus, 'FAILED', JSON.stringify(fl));
});

test('a .pcap.gz of a real capture gives the same records as the capture itself', TIMEOUT, async () => {
  const gzFile = join(work, 'ssh.pcap.gz');
  writeFileSync(gzFile, gzipSync(readFileSync(SSH_PCAP), { level: 9 }));
  const where = `"start" >= ${SSH_FROM} and "start" < ${SSH_TO}`;
  const plain = await ingest(SSH_PCAP);
  assert.equal(plain.Problems, 0);
  assert.equal(plain.Packets, 258);
  assert.ok(plain.Records > 0 && plain.Attributed === 258, JSON.stringify(plain));
  const once = await query(RECORD_ROWS(where));
  const gz = await ingest(gzFile);
  assert.deepEqual(
    [gz.Packets, gz.Attributed, gz.Records, gz.Windows, gz.Problems, gz.SkippedByReason],
    [plain.Packets, plain.Attributed, plain.Records, plain.Windows, plain.Problems, plain.SkippedByReason],
  );
  const twice = await query(RECORD_ROWS(where));
  assert.deepEqual(twice, once.map((r) => ({ ...r, n: Number(r.n) * 2 })), 'each record delivered once more, identical');
});

test('TCP headers cut by the snap length (editcap -s) still count: same records, flags 0 where the flags byte was cut', TIMEOUT, async () => {
  // Shifted by whole numbers of windows (10 and 20 days), so each copy's records line up with the
  // original's and neither collides with records of the capture ingested as it is.
  const fullShift = 864_000;
  const cutShift = 1_728_000;
  const fullFile = join(work, 'ssh-shifted.pcap');
  const cutFile = join(work, 'ssh-cut.pcap');
  execFileSync('editcap', ['-F', 'pcap', '-t', String(fullShift), SSH_PCAP, fullFile]);
  // Ethernet 14 + IPv4 20 + the 4 bytes of TCP ports.
  execFileSync('editcap', ['-F', 'pcap', '-s', '38', '-t', String(cutShift), SSH_PCAP, cutFile]);
  const full = await ingest(fullFile);
  const cut = await ingest(cutFile);
  assert.equal(cut.Problems, 0, JSON.stringify(cut.ProblemSamples));
  assert.deepEqual([cut.Packets, cut.Attributed, cut.Records], [full.Packets, full.Attributed, full.Records]);
  const range = (shift: number) => `"start" >= ${SSH_FROM + shift} and "start" < ${SSH_TO + shift}`;
  const theirs = await query(RECORD_ROWS(range(cutShift), cutShift, '0'));
  const ours = await query(RECORD_ROWS(range(fullShift), fullShift, '0'));
  assert.ok(theirs.length > 0);
  assert.deepEqual(theirs, ours);
  const [flags] = await query(`select max(tcp_flags)::INT f, count(*)::INT n from flows where log_status = 'OK' and ${range(cutShift)}`);
  assert.ok(Number(flags!.n) > 0);
  assert.equal(flags!.f, 0, 'the flags byte was not captured');
});

test('a capture of a link type without a decoder reports its packets as skipped, naming the link type', TIMEOUT, async () => {
  const file = join(work, 'radiotap.pcap');
  writeFileSync(file, pcapFile({ linkType: 127 }, Array.from({ length: 5 }, (_, i) => ({ seconds: T0 + i, fraction: 0, frame: [0, 0, 8, 0, 0, 0, 0, 0, i] }))));
  const res = await ingest(file);
  assert.deepEqual([res.Packets, res.Attributed, res.Records, res.Problems], [5, 0, 0, 0]);
  assert.deepEqual(res.SkippedByReason, { 'unsupported link type 127 (IEEE802_11_RADIOTAP)': 5 });
});
