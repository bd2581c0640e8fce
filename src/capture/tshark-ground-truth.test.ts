// Ground truth: for every capture in the shared test data, the per-5-tuple packet and byte totals
// from our decoder must equal those derived from tshark's dissection of the same file.
//
// How tshark's output is read (the rules AWS would apply on the interface that saw the packet):
// - Tunnels (IP-in-IP, GRE, VXLAN, Teredo, GTP, ICMP errors quoting a packet...): tshark joins outer
//   and inner values with commas; only the OUTER IP header and the transport right after it count.
// - IPv6 extension headers: the protocol is the last next-header value of the outer header's chain.
// - Fragments: tshark (default reassembly) prints the datagram's ports only on the frame that
//   completes it; we count every fragment under the datagram's 5-tuple, so the ports tshark shows on
//   any fragment of (src, dst, id, protocol) are applied to all of them.
// - Bytes are the IP length: IPv4 total length, IPv6 40 + payload length.

import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalIp, formatIpv4, formatIpv6 } from '../net/index.ts';
import { readCapture } from './read-capture.ts';
import type { DecodedPacket } from './packet.ts';

const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const PCAP_DIR = resolve(REPO_ROOT, '../shared/testdata/pcap');
const TSHARK = '/usr/bin/tshark';
const EDITCAP = '/usr/bin/editcap';

/** Files whose tshark view legitimately differs from an interface's view, with the reason. */
const EXCLUDED: Record<string, string> = {};

const FIELDS = [
  'frame.protocols', 'frame.time_epoch', 'nflog.ifindex_indev', 'nflog.ifindex_outdev',
  'ip.src', 'ip.dst', 'ip.proto', 'ip.len', 'ip.id', 'ip.flags.mf', 'ip.frag_offset',
  'ipv6.src', 'ipv6.dst', 'ipv6.plen', 'ipv6.nxt',
  'ipv6.hopopts.nxt', 'ipv6.routing.nxt', 'ipv6.dstopts.nxt', 'ipv6.fraghdr.nxt', 'ipv6.fraghdr.offset', 'ipv6.fraghdr.more',
  'ipv6.fraghdr.ident', 'ah.next_header',
  'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport', 'sctp.srcport', 'sctp.dstport', 'dccp.srcport', 'dccp.dstport',
] as const;
type Field = (typeof FIELDS)[number];

/** frame.protocols names of IPv6 extension headers and the field holding each one's next header. */
const EXTENSION_NEXT: Record<string, Field> = {
  'ipv6.hopopts': 'ipv6.hopopts.nxt',
  'ipv6.routing': 'ipv6.routing.nxt',
  'ipv6.dstopts': 'ipv6.dstopts.nxt',
  'ipv6.fraghdr': 'ipv6.fraghdr.nxt',
  ah: 'ah.next_header',
};
const PORT_FIELDS: Record<number, [string, Field, Field]> = {
  6: ['tcp', 'tcp.srcport', 'tcp.dstport'],
  17: ['udp', 'udp.srcport', 'udp.dstport'],
  132: ['sctp', 'sctp.srcport', 'sctp.dstport'],
  33: ['dccp', 'dccp.srcport', 'dccp.dstport'],
};

interface Totals {
  packets: number;
  bytes: number;
}

function captureFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...captureFiles(path));
    else if (/\.(pcap|pcapng|cap)$/.test(name)) out.push(path);
  }
  return out;
}

interface TsharkRun {
  stdout: string;
  /** Set when tshark exited with an error (it still prints what it read of a file cut short). */
  error: string | undefined;
}

function runTshark(file: string): Promise<TsharkRun> {
  const args = ['-n', '-r', file, '-T', 'fields', '-E', 'separator=/t', '-E', 'aggregator=,', '-E', 'occurrence=a'];
  for (const f of FIELDS) args.push('-e', f);
  return new Promise((resolvePromise) => {
    execFile(TSHARK, args, { maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      const messages = stderr.split('\n').filter((l) => l.trim() !== '' && !l.includes('could be dangerous')).join(' ');
      resolvePromise({ stdout, error: error ? messages || error.message : undefined });
    });
  });
}

function add(map: Map<string, Totals>, key: string, bytes: number): void {
  const t = map.get(key);
  if (t) {
    t.packets++;
    t.bytes += bytes;
  } else {
    map.set(key, { packets: 1, bytes });
  }
}

interface TsharkPacket {
  /** Capture time as tshark prints it (seconds, 9 decimals); undefined when the record has none (pcapng SPB). */
  time: number | undefined;
  /** NFLOG in/out interface indexes, '0 0' when absent. */
  ifIndexes: string;
  src: string;
  dst: string;
  protocol: number;
  bytes: number;
  ports: string | undefined;
  /** Set for fragments: the datagram they belong to. */
  datagram: string | undefined;
}

/** One tshark row → the outer IP packet's 5-tuple, or undefined when tshark found no IP in it. */
function tsharkPacket(line: string): TsharkPacket | undefined {
  const cells = line.split('\t');
  const values = (f: Field): string[] => {
    const cell = cells[FIELDS.indexOf(f)] ?? '';
    return cell === '' ? [] : cell.split(',');
  };
  const nth = (f: Field, n: number): string | undefined => values(f)[n];
  const tokens = values('frame.protocols').join(',').split(':');
  const ipAt = tokens.findIndex((t) => t === 'ip' || t === 'ipv6');
  if (ipAt < 0) return undefined;
  const before = (token: string, at: number) => tokens.slice(0, at).filter((t) => t === token).length;
  let src: string;
  let dst: string;
  let protocol: number;
  let bytes: number;
  let datagram: string | undefined;
  let next = ipAt + 1;
  if (tokens[ipAt] === 'ip') {
    const k = before('ip', ipAt);
    src = canonicalIp(nth('ip.src', k)!);
    dst = canonicalIp(nth('ip.dst', k)!);
    protocol = Number(nth('ip.proto', k));
    bytes = Number(nth('ip.len', k));
    if (nth('ip.flags.mf', k) === '1' || Number(nth('ip.frag_offset', k)) > 0) datagram = `4 ${src} ${dst} ${nth('ip.id', k)} ${protocol}`;
  } else {
    const k = before('ipv6', ipAt);
    src = canonicalIp(nth('ipv6.src', k)!);
    dst = canonicalIp(nth('ipv6.dst', k)!);
    bytes = 40 + Number(nth('ipv6.plen', k));
    protocol = Number(nth('ipv6.nxt', k));
    while (next < tokens.length && EXTENSION_NEXT[tokens[next]!]) {
      const token = tokens[next]!;
      const n = before(token, next);
      protocol = Number(nth(EXTENSION_NEXT[token]!, n));
      if (token === 'ipv6.fraghdr') {
        const fragmented = nth('ipv6.fraghdr.more', n) === '1' || Number(nth('ipv6.fraghdr.offset', n)) > 0;
        if (fragmented) datagram = `6 ${src} ${dst} ${nth('ipv6.fraghdr.ident', n)} ${protocol}`;
      }
      next++;
    }
  }
  let ports: string | undefined;
  const portFields = PORT_FIELDS[protocol];
  if (portFields && tokens[next] === portFields[0]) {
    const n = before(portFields[0], next);
    ports = `${nth(portFields[1], n)} ${nth(portFields[2], n)}`;
  }
  const time = nth('frame.time_epoch', 0);
  const ifIndexes = `${nth('nflog.ifindex_indev', 0) ?? 0} ${nth('nflog.ifindex_outdev', 0) ?? 0}`;
  return { time: time === undefined ? undefined : Number(time), ifIndexes, src, dst, protocol, bytes, ports, datagram };
}

interface Summary {
  totals: Map<string, Totals>;
  /** Per IP packet in capture order: time and NFLOG interface indexes. */
  times: (number | undefined)[];
  ifIndexes: string[];
}

function tsharkSummary(output: string): Summary {
  const packets = output.split('\n').filter((l) => l !== '').map(tsharkPacket).filter((p) => p !== undefined);
  const datagramPorts = new Map<string, string>();
  for (const p of packets) if (p.datagram && p.ports) datagramPorts.set(p.datagram, p.ports);
  const totals = new Map<string, Totals>();
  for (const p of packets) {
    const ports = p.ports ?? (p.datagram ? datagramPorts.get(p.datagram) : undefined) ?? '0 0';
    add(totals, `${p.src} ${p.dst} ${p.protocol} ${ports}`, p.bytes);
  }
  return { totals, times: packets.map((p) => p.time), ifIndexes: packets.map((p) => p.ifIndexes) };
}

async function ourSummary(file: string): Promise<Summary> {
  const totals = new Map<string, Totals>();
  const times: number[] = [];
  const ifIndexes: string[] = [];
  const format = (p: DecodedPacket, at: number) => (p.ipVersion === 4 ? formatIpv4(p.data, at) : formatIpv6(p.data, at));
  const stats = await readCapture(file, (p) => {
    add(totals, `${format(p, p.srcOffset)} ${format(p, p.dstOffset)} ${p.protocol} ${p.srcPort} ${p.dstPort}`, p.ipBytes);
    times.push(p.timeSec);
    ifIndexes.push(`${p.inIfIndex} ${p.outIfIndex}`);
  });
  assert.equal(stats.packetsRead, stats.packetsDecoded + stats.packetsSkipped + stats.packetProblems, 'every record is decoded, skipped or a problem');
  assert.equal(stats.bytesRead, statSync(file).size);
  return { totals, times, ifIndexes };
}

const sorted = (m: Map<string, Totals>) => Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)));

describe('decoder agrees with tshark on every shared test capture', { concurrency: 4 }, () => {
  it('has the shared test data', () => {
    assert.ok(existsSync(PCAP_DIR), `shared test captures missing: expected them at ${PCAP_DIR}`);
  });
  if (!existsSync(PCAP_DIR)) return;
  if (!existsSync(TSHARK)) {
    it('needs tshark', (t) => t.skip(`${TSHARK} is not installed (Debian package tshark): the tshark comparison did not run`));
    return;
  }
  const files = captureFiles(PCAP_DIR);
  it('finds captures to compare', () => assert.ok(files.length > 100, `only ${files.length} captures under ${PCAP_DIR}`));
  for (const file of files) {
    const name = relative(PCAP_DIR, file);
    const excluded = EXCLUDED[name];
    if (excluded) {
      it(name, (t) => t.skip(excluded));
      continue;
    }
    it(name, async (t) => {
      const run = await runTshark(file);
      if (run.error !== undefined && run.stdout === '') {
        t.skip(`tshark cannot read this file: ${run.error}`);
        return;
      }
      const theirs = tsharkSummary(run.stdout);
      const ours = await ourSummary(file);
      assert.deepEqual(sorted(ours.totals), sorted(theirs.totals));
      assert.deepEqual(ours.ifIndexes, theirs.ifIndexes, 'NFLOG interface indexes');
      assert.equal(ours.times.length, theirs.times.length);
      for (let i = 0; i < ours.times.length; i++) {
        const expected = theirs.times[i];
        // A pcapng simple packet block has no timestamp (tshark prints none; we reuse the previous one).
        if (expected === undefined) continue;
        // tshark prints 9 decimals; a double holds an epoch time to about 0.24 µs.
        assert.ok(Math.abs(ours.times[i]! - expected) < 1e-6, `IP packet ${i}: time ${ours.times[i]} != tshark ${expected}`);
      }
    });
  }
});

/** Shared TCP captures, with the offset of the TCP header in their frames. */
const SNAP_CASES: [file: string, transportOffset: number][] = [
  ['tcpdump/mptcp-v1.pcap', 16 + 20], // Linux cooked v1, IPv4, TCP with options
  ['tcpdump/dns_tcp.pcap', 14 + 20],
  ['tcpdump/bigtcp-ipv4.pcap', 14 + 20],
  ['tcpdump/gso-ipv6.pcap', 14 + 40],
];

describe('TCP headers cut by the snap length (editcap -s) count as tshark counts them', { concurrency: 2 }, () => {
  if (!existsSync(PCAP_DIR)) return;
  if (!existsSync(TSHARK) || !existsSync(EDITCAP)) {
    it('needs tshark and editcap', (t) => t.skip(`${TSHARK} or ${EDITCAP} is not installed (Debian package tshark): the comparison did not run`));
    return;
  }
  for (const [file, offset] of SNAP_CASES) {
    // 4 bytes: the ports and nothing else; 10 and 13: the flags (byte 13) not captured either.
    for (const kept of [4, 10, 13]) {
      it(`${file} cut ${kept} bytes into its TCP header`, async () => {
        const dir = mkdtempSync(join(tmpdir(), 'vpcflow-snap-'));
        try {
          const cut = join(dir, 'cut.pcap');
          execFileSync(EDITCAP, ['-s', String(offset + kept), join(PCAP_DIR, file), cut]);
          const run = await runTshark(cut);
          assert.equal(run.error, undefined, `tshark: ${run.error}`);
          const theirs = tsharkSummary(run.stdout);
          const ours = await ourSummary(cut);
          assert.ok(theirs.totals.size > 0);
          assert.deepEqual(sorted(ours.totals), sorted(theirs.totals));
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  }
});
