// Link layers, IP, extension headers, fragments and malformed frames, on hand-built fixtures whose
// expected values come from how each fixture was written.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  LINKTYPE_ETHERNET, LINKTYPE_IPNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP,
  LINKTYPE_NFLOG, LINKTYPE_NULL, LINKTYPE_PPP, LINKTYPE_RAW, LINKTYPE_RAW_BSD_12, LINKTYPE_RAW_BSD_14,
} from './link-types.ts';
import { FragmentTable } from './fragment-table.ts';
import {
  decodeBytes, ethernet, fullIpv6, ipv4, ipv4Bytes, ipv6, ipv6Auth, ipv6Extension, ipv6Fragment, nflog, nflogTlv, pcapFile, sll, sll2,
  tcp, textBytes, u16be, u32be, u32le, udp, type PacketSnapshot,
} from './test-fixtures.ts';

const TCP = 6;
const UDP = 17;
const ICMP = 1;
const SYN_ACK = 0x12;

function decodeFrames(linkType: number, frames: (number[] | { frame: number[]; wireLength?: number })[]) {
  const records = frames.map((f, i) => ('frame' in f ? { seconds: 100 + i, fraction: 0, ...f } : { seconds: 100 + i, fraction: 0, frame: f }));
  return decodeBytes(pcapFile({ linkType }, records));
}

function only(linkType: number, frame: number[]): PacketSnapshot {
  const { packets, stats } = decodeFrames(linkType, [frame]);
  assert.equal(stats.problemCount, 0, JSON.stringify(stats.problems));
  assert.equal(packets.length, 1, `decoded ${packets.length} packets, skipped ${JSON.stringify(stats.skippedByReason)}`);
  return packets[0]!;
}

const tcpV4 = ipv4({ src: '192.0.2.10', dst: '198.51.100.7', protocol: TCP, payload: tcp(40000, 443, SYN_ACK, [1, 2, 3, 4, 5]) });
const tcpV4Bytes = 20 + 20 + 5;

function assertTcpV4(p: PacketSnapshot) {
  assert.equal(p.ipVersion, 4);
  assert.equal(p.src, '192.0.2.10');
  assert.equal(p.dst, '198.51.100.7');
  assert.equal(p.protocol, TCP);
  assert.equal(p.srcPort, 40000);
  assert.equal(p.dstPort, 443);
  assert.equal(p.tcpFlags, SYN_ACK);
  assert.equal(p.ipBytes, tcpV4Bytes);
}

describe('link layers', () => {
  it('Ethernet with IPv4/TCP', () => {
    const p = only(LINKTYPE_ETHERNET, ethernet(0x0800, tcpV4));
    assertTcpV4(p);
    assert.equal(p.linkType, LINKTYPE_ETHERNET);
    assert.equal(p.timeSec, 100);
  });

  it('802.1Q, 802.1ad+802.1Q (QinQ) and the old 0x9100 tag', () => {
    assertTcpV4(only(LINKTYPE_ETHERNET, ethernet(0x0800, tcpV4, [[0x8100, 42]])));
    assertTcpV4(only(LINKTYPE_ETHERNET, ethernet(0x0800, tcpV4, [[0x88a8, 100], [0x8100, 42]])));
    assertTcpV4(only(LINKTYPE_ETHERNET, ethernet(0x0800, tcpV4, [[0x9100, 7], [0x8100, 42]])));
  });

  it('ARP and LLDP are skipped as "not IP", not problems', () => {
    const { packets, stats } = decodeFrames(LINKTYPE_ETHERNET, [
      ethernet(0x0806, new Array(28).fill(0)),
      ethernet(0x88cc, new Array(20).fill(0)),
      ethernet(0x0806, new Array(28).fill(0), [[0x8100, 5]]),
      ethernet(0x0800, tcpV4),
    ]);
    assert.equal(packets.length, 1);
    assert.deepEqual(stats.skippedByReason, { 'not IP': 3 });
    assert.equal(stats.packetsSkipped, 3);
    assert.equal(stats.problemCount, 0);
    assert.equal(stats.packetsRead, 4);
  });

  it('raw IP link types: 101 and 12/14 by version nibble, 228 IPv4, 229 IPv6', () => {
    const v6 = ipv6({ next: UDP, payload: udp(5353, 53, [9, 9]) });
    for (const lt of [LINKTYPE_RAW, LINKTYPE_RAW_BSD_12, LINKTYPE_RAW_BSD_14]) {
      assertTcpV4(only(lt, tcpV4));
      const p = only(lt, v6);
      assert.equal(p.ipVersion, 6);
      assert.equal(p.src, fullIpv6('2001:db8::1'));
      assert.equal(p.dst, fullIpv6('2001:db8::2'));
      assert.equal(p.ipBytes, 40 + 10);
    }
    assertTcpV4(only(LINKTYPE_IPV4, tcpV4));
    assert.equal(only(LINKTYPE_IPV6, v6).protocol, UDP);
  });

  it('LINKTYPE_IPV4 carrying an IPv6 packet is a problem', () => {
    const { packets, stats } = decodeFrames(LINKTYPE_IPV4, [ipv6({ next: UDP, payload: udp(1, 2) })]);
    assert.equal(packets.length, 0);
    assert.equal(stats.packetProblems, 1);
    assert.match(stats.problems[0]!.reason, /bad IP version \(6\)/);
  });

  it('Linux cooked capture v1 and v2', () => {
    assertTcpV4(only(LINKTYPE_LINUX_SLL, sll(0x0800, tcpV4)));
    assertTcpV4(only(LINKTYPE_LINUX_SLL2, sll2(0x0800, tcpV4)));
    const { stats } = decodeFrames(LINKTYPE_LINUX_SLL2, [sll2(0x0806, new Array(28).fill(0))]);
    assert.deepEqual(stats.skippedByReason, { 'not IP': 1 });
  });

  it('NULL (host-order family) and LOOP (network-order family)', () => {
    assertTcpV4(only(LINKTYPE_NULL, [...u32le(2), ...tcpV4]));
    assertTcpV4(only(LINKTYPE_NULL, [...u32be(2), ...tcpV4]));
    assertTcpV4(only(LINKTYPE_LOOP, [...u32be(2), ...tcpV4]));
    const v6 = ipv6({ next: UDP, payload: udp(1, 2) });
    for (const family of [10, 24, 28, 30]) assert.equal(only(LINKTYPE_NULL, [...u32le(family), ...v6]).ipVersion, 6);
    assert.equal(only(LINKTYPE_LOOP, [...u32be(30), ...v6]).ipVersion, 6);
    const { stats } = decodeFrames(LINKTYPE_NULL, [[...u32le(7), ...tcpV4]]);
    assert.deepEqual(stats.skippedByReason, { 'not IP': 1 });
  });

  it('NFLOG: payload, prefix and in/out interface indexes from little-endian TLVs', () => {
    const record = nflog(2, [
      nflogTlv(1, [0x08, 0x00, 1, 0]), // packet header: hw protocol, hook
      nflogTlv(10, [...textBytes('sg-1234 DENY '), 0]),
      nflogTlv(4, u32be(7)),
      nflogTlv(5, u32be(9)),
      nflogTlv(9, tcpV4),
    ]);
    const plain = nflog(2, [nflogTlv(9, tcpV4)]);
    const { packets, stats } = decodeFrames(LINKTYPE_NFLOG, [record, plain, record]);
    assert.equal(stats.problemCount, 0);
    assert.equal(packets.length, 3);
    assertTcpV4(packets[0]!);
    assert.equal(packets[0]!.nflogPrefix, 'sg-1234 DENY ');
    assert.equal(packets[0]!.inIfIndex, 7);
    assert.equal(packets[0]!.outIfIndex, 9);
    // The packet object is reused: NFLOG fields must not leak into the next packet.
    assert.equal(packets[1]!.nflogPrefix, '');
    assert.equal(packets[1]!.inIfIndex, 0);
    assert.equal(packets[1]!.outIfIndex, 0);
    assert.equal(packets[2]!.nflogPrefix, 'sg-1234 DENY ');
  });

  it('NFLOG with an IPv6 payload, and a record without payload', () => {
    const v6 = ipv6({ next: UDP, payload: udp(1000, 53) });
    const { packets, stats } = decodeFrames(LINKTYPE_NFLOG, [nflog(10, [nflogTlv(9, v6)]), nflog(2, [nflogTlv(10, [...textBytes('x'), 0])])]);
    assert.equal(packets.length, 1);
    assert.equal(packets[0]!.ipVersion, 6);
    assert.equal(packets[0]!.dstPort, 53);
    assert.deepEqual(stats.skippedByReason, { 'NFLOG record without payload': 1 });
  });

  it('PPP, PPPoE, MPLS and Solaris ipnet', () => {
    assertTcpV4(only(LINKTYPE_PPP, [0xff, 0x03, ...u16be(0x0021), ...tcpV4]));
    assertTcpV4(only(LINKTYPE_PPP, [0x21, ...tcpV4]));
    const pppoe = [0x11, 0x00, ...u16be(1), ...u16be(tcpV4.length + 2), ...u16be(0x0021), ...tcpV4];
    assertTcpV4(only(LINKTYPE_ETHERNET, ethernet(0x8864, pppoe)));
    const labels = [...u32be((100 << 12) | 0x40), ...u32be((200 << 12) | 0x140)]; // second label has bottom-of-stack
    assertTcpV4(only(LINKTYPE_ETHERNET, ethernet(0x8847, [...labels, ...tcpV4])));
    const ipnetHeader = [1, 2, 0, 0, ...u32be(tcpV4.length), ...u32be(2), ...u32be(0), ...u32be(0), ...u32be(0)];
    assertTcpV4(only(LINKTYPE_IPNET, [...ipnetHeader, ...tcpV4]));
  });
});

describe('IPv4', () => {
  it('reads ports after IP options', () => {
    const options = [0x94, 0x04, 0x00, 0x00]; // router alert
    const p = only(LINKTYPE_RAW, ipv4({ protocol: UDP, options, payload: udp(1111, 2222, [1, 2, 3]) }));
    assert.equal(p.srcPort, 1111);
    assert.equal(p.dstPort, 2222);
    assert.equal(p.ipBytes, 24 + 11);
  });

  it('counts the header total length for snaplen-truncated frames', () => {
    const full = ethernet(0x0800, ipv4({ protocol: TCP, payload: tcp(80, 50000, 0x10, new Array(1460).fill(7)) }));
    const cut = full.slice(0, 54);
    const { packets, stats } = decodeFrames(LINKTYPE_ETHERNET, [{ frame: cut, wireLength: full.length }]);
    assert.equal(stats.problemCount, 0);
    assert.equal(packets[0]!.ipBytes, 1500);
    assert.equal(packets[0]!.tcpFlags, 0x10);
  });

  it('a TCP header cut by the snap length still counts: ports from 4 captured bytes, flags only if byte 13 was captured', () => {
    const full = ethernet(0x0800, ipv4({ src: '10.1.1.1', dst: '10.2.2.2', protocol: TCP, payload: tcp(40001, 443, 0x18, new Array(1000).fill(7)) }));
    // Ethernet 14 + IPv4 20, then this many TCP header bytes.
    const expected: [tcpBytes: number, flags: number][] = [[4, 0], [10, 0], [13, 0], [14, 0x18], [19, 0x18]];
    const { packets, stats } = decodeFrames(LINKTYPE_ETHERNET, expected.map(([n]) => ({ frame: full.slice(0, 34 + n), wireLength: full.length })));
    assert.equal(stats.problemCount, 0, JSON.stringify(stats.problems));
    assert.deepEqual(packets.map((p) => [p.src, p.dst, p.srcPort, p.dstPort, p.ipBytes, p.tcpFlags]), expected.map(([, flags]) => ['10.1.1.1', '10.2.2.2', 40001, 443, 1040, flags]));
    // UDP has counted from its ports alone all along; a cut inside the ports stays a problem, for both.
    const datagram = ipv4({ protocol: UDP, payload: udp(5353, 53, new Array(100).fill(1)) });
    const segment = ipv4({ protocol: TCP, payload: tcp(40001, 443, 0x18) });
    const more = decodeFrames(LINKTYPE_RAW, [datagram.slice(0, 24), datagram.slice(0, 23), segment.slice(0, 23)].map((frame) => ({ frame, wireLength: 128 })));
    assert.deepEqual(more.packets.map((p) => [p.srcPort, p.dstPort, p.ipBytes]), [[5353, 53, 128]]);
    assert.deepEqual(more.stats.problems.map((p) => p.reason), ['truncated UDP header (3 bytes captured)', 'truncated TCP header (3 bytes captured)']);
  });

  it('uses the frame length when the total length is 0 (segmentation offload)', () => {
    const p = only(LINKTYPE_ETHERNET, ethernet(0x0800, ipv4({ protocol: TCP, totalLength: 0, payload: tcp(1, 2, 0x18, new Array(100).fill(1)) })));
    assert.equal(p.ipBytes, 20 + 20 + 100);
  });

  it('ignores Ethernet padding after a short packet', () => {
    const small = ipv4({ protocol: ICMP, payload: [8, 0, 0, 0, 0, 1, 0, 1] });
    const p = only(LINKTYPE_ETHERNET, [...ethernet(0x0800, small), ...new Array(18).fill(0)]);
    assert.equal(p.ipBytes, 28);
    assert.equal(p.protocol, ICMP);
    assert.equal(p.srcPort, 0);
    assert.equal(p.dstPort, 0);
  });

  it('SCTP, DCCP and UDP-Lite ports; other protocols get ports 0', () => {
    for (const protocol of [132, 33, 136]) {
      const p = only(LINKTYPE_RAW, ipv4({ protocol, payload: [...u16be(3868), ...u16be(2905), 0, 0, 0, 0, 0, 0, 0, 0] }));
      assert.equal(p.protocol, protocol);
      assert.equal(p.srcPort, 3868);
      assert.equal(p.dstPort, 2905);
    }
    const gre = only(LINKTYPE_RAW, ipv4({ protocol: 47, payload: [0, 0, 0x08, 0x00, ...tcpV4] }));
    assert.equal(gre.protocol, 47);
    assert.equal(gre.srcPort, 0);
    assert.equal(gre.ipBytes, 20 + 4 + tcpV4.length);
  });
});

describe('IPv6 extension headers', () => {
  const tcpPayload = tcp(5000, 22, 0x02);

  it('walks hop-by-hop, routing and destination options to TCP', () => {
    const payload = [...ipv6Extension(43), ...ipv6Extension(60, 1), ...ipv6Extension(TCP), ...tcpPayload];
    const p = only(LINKTYPE_RAW, ipv6({ next: 0, payload }));
    assert.equal(p.protocol, TCP);
    assert.equal(p.srcPort, 5000);
    assert.equal(p.dstPort, 22);
    assert.equal(p.tcpFlags, 0x02);
    assert.equal(p.ipBytes, 40 + payload.length);
  });

  it('walks an authentication header and a mobility header', () => {
    const ah = only(LINKTYPE_RAW, ipv6({ next: 51, payload: [...ipv6Auth(UDP, 3), ...udp(4500, 4500)] }));
    assert.equal(ah.protocol, UDP);
    assert.equal(ah.srcPort, 4500);
    const mobility = only(LINKTYPE_RAW, ipv6({ next: 135, payload: ipv6Extension(59, 1) }));
    assert.equal(mobility.protocol, 59);
  });

  it('no next header (59) is the final protocol, with ports 0', () => {
    const p = only(LINKTYPE_RAW, ipv6({ next: 0, payload: ipv6Extension(59) }));
    assert.equal(p.protocol, 59);
    assert.equal(p.srcPort, 0);
    assert.equal(p.dstPort, 0);
  });

  it('a truncated extension header is a problem', () => {
    const frame = ipv6({ next: 0, payload: [...ipv6Extension(43), ...ipv6Extension(TCP, 2).slice(0, 1)], payloadLength: 8 + 24 + 20 });
    const { packets, stats } = decodeFrames(LINKTYPE_RAW, [frame]);
    assert.equal(packets.length, 0);
    assert.match(stats.problems[0]!.reason, /^truncated IPv6 extension header/);
  });
});

describe('fragments', () => {
  const id = 0x4242;
  const body = udp(53, 33333, new Array(40).fill(1));
  const first = ipv4({ src: '10.1.1.1', dst: '10.2.2.2', protocol: UDP, id, moreFragments: true, payload: body.slice(0, 24) });
  const middle = ipv4({ src: '10.1.1.1', dst: '10.2.2.2', protocol: UDP, id, moreFragments: true, fragmentOffset: 3, payload: body.slice(24, 40) });
  const last = ipv4({ src: '10.1.1.1', dst: '10.2.2.2', protocol: UDP, id, fragmentOffset: 5, payload: body.slice(40) });

  it('IPv4: later fragments carry the 5-tuple of their first fragment', () => {
    const { packets, stats } = decodeFrames(LINKTYPE_RAW, [first, middle, last]);
    assert.equal(stats.problemCount, 0);
    assert.deepEqual(packets.map((p) => [p.protocol, p.srcPort, p.dstPort, p.ipBytes]), [
      [UDP, 53, 33333, 44],
      [UDP, 53, 33333, 36],
      [UDP, 53, 33333, 28],
    ]);
  });

  it('IPv4: fragments without a seen first fragment get ports 0; a different id does not match', () => {
    const otherId = ipv4({ src: '10.1.1.1', dst: '10.2.2.2', protocol: UDP, id: id + 1, fragmentOffset: 3, payload: body.slice(24, 40) });
    const { packets } = decodeFrames(LINKTYPE_RAW, [middle, first, otherId, last]);
    assert.deepEqual(packets.map((p) => [p.srcPort, p.dstPort]), [[0, 0], [53, 33333], [0, 0], [53, 33333]]);
  });

  it('IPv6: fragment header, first fragment remembered, later ones matched', () => {
    const fragId = 0xdeadbeef;
    const f1 = ipv6({ src: '2001:db8::a', dst: '2001:db8::b', next: 44, payload: [...ipv6Fragment(UDP, 0, true, fragId), ...body.slice(0, 24)] });
    const f2 = ipv6({ src: '2001:db8::a', dst: '2001:db8::b', next: 44, payload: [...ipv6Fragment(UDP, 3, false, fragId), ...body.slice(24)] });
    const stray = ipv6({ src: '2001:db8::a', dst: '2001:db8::b', next: 44, payload: [...ipv6Fragment(UDP, 3, false, fragId + 1), ...body.slice(24)] });
    const { packets, stats } = decodeFrames(LINKTYPE_RAW, [f1, f2, stray]);
    assert.equal(stats.problemCount, 0);
    assert.deepEqual(packets.map((p) => [p.protocol, p.srcPort, p.dstPort, p.ipBytes]), [
      [UDP, 53, 33333, 40 + 8 + 24],
      [UDP, 53, 33333, 40 + 8 + 24],
      [UDP, 0, 0, 40 + 8 + 24],
    ]);
  });

  it('the fragment table is bounded and evicts the oldest entry of a full bucket', () => {
    const table = new FragmentTable(4); // one bucket of four entries
    assert.equal(table.capacity, 4);
    const data = Uint8Array.from([...ipv4Bytes('10.0.0.1'), ...ipv4Bytes('10.0.0.2')]);
    for (let i = 0; i < 5; i++) table.remember(data, 4, 0, 4, i, UDP, UDP, 1000 + i, 53);
    assert.equal(table.lookup(data, 4, 0, 4, 0, UDP), false, 'oldest datagram evicted');
    for (let i = 1; i < 5; i++) {
      assert.equal(table.lookup(data, 4, 0, 4, i, UDP), true);
      assert.equal(table.foundSrcPort, 1000 + i);
      assert.equal(table.foundDstPort, 53);
    }
    assert.equal(table.lookup(data, 4, 0, 4, 1, TCP), false, 'protocol is part of the key');
    assert.equal(table.lookup(data, 4, 4, 0, 1, UDP), false, 'direction is part of the key');
  });
});

describe('malformed and truncated packets are counted problems', () => {
  const cases: [string, number, number[], RegExp][] = [
    ['bad IP version behind an IPv4 ethertype', LINKTYPE_ETHERNET, ethernet(0x0800, [0x55, ...tcpV4.slice(1)]), /^bad IP version \(5\)$/],
    ['bad IP version on a raw link', LINKTYPE_RAW, [0x35, ...tcpV4.slice(1)], /^bad IP version \(3\)$/],
    ['IPv4 header length below 20', LINKTYPE_RAW, [0x43, ...tcpV4.slice(1)], /^bad IPv4 header length \(12 bytes\)$/],
    ['IPv4 header length beyond the capture', LINKTYPE_RAW, [0x4f, ...tcpV4.slice(1, 40)], /^IPv4 header beyond captured bytes \(40 bytes captured\)$/],
    ['truncated IPv4 header', LINKTYPE_RAW, tcpV4.slice(0, 12), /^truncated IPv4 header \(12 bytes captured\)$/],
    ['truncated TCP header', LINKTYPE_RAW, ipv4({ protocol: TCP, payload: tcp(1, 2, 2).slice(0, 3) }), /^truncated TCP header \(3 bytes captured\)$/],
    ['truncated UDP header', LINKTYPE_RAW, ipv4({ protocol: UDP, payload: [0, 53] }), /^truncated UDP header \(2 bytes captured\)$/],
    ['truncated IPv6 header', LINKTYPE_RAW, ipv6({ next: UDP, payload: [] }).slice(0, 30), /^truncated IPv6 header \(30 bytes captured\)$/],
    ['truncated Ethernet header', LINKTYPE_ETHERNET, [1, 2, 3, 4, 5, 6, 7, 8], /^truncated Ethernet header \(8 bytes captured\)$/],
    ['truncated VLAN tag', LINKTYPE_ETHERNET, [...ethernet(0x8100, []), 0], /^truncated VLAN tag/],
    ['IPv4 total length below its header', LINKTYPE_RAW, ipv4({ protocol: UDP, totalLength: 10, payload: udp(1, 2) }), /^IPv4 total length smaller than its header \(10 bytes\)$/],
  ];
  for (const [name, linkType, frame, reason] of cases) {
    it(name, () => {
      const good = ethernetOrRaw(linkType);
      const { packets, stats } = decodeFrames(linkType, [good, frame, good]);
      assert.equal(packets.length, 2, 'the packets around it still decode');
      assert.equal(stats.packetProblems, 1);
      assert.equal(stats.problemCount, 1);
      const problem = stats.problems[0]!;
      assert.match(problem.reason, reason);
      assert.equal(problem.packetIndex, 1);
      // pcap: 24-byte file header, then a 16-byte record header before each frame.
      assert.equal(problem.fileOffset, 24 + 16 + good.length);
      assert.equal(stats.packetsRead, 3);
    });
  }

  it('keeps the first maxProblems problems and counts all', () => {
    const bad = [0x35, ...tcpV4.slice(1)];
    const bytes = pcapFile({ linkType: LINKTYPE_RAW }, new Array(5).fill(0).map((_, i) => ({ seconds: i, fraction: 0, frame: bad })));
    const { stats } = decodeBytes(bytes, bytes.length, { maxProblems: 2 });
    assert.equal(stats.problemCount, 5);
    assert.equal(stats.problems.length, 2);
    assert.deepEqual(stats.problemsByReason, { 'bad IP version': 5 });
  });
});

function ethernetOrRaw(linkType: number): number[] {
  return linkType === LINKTYPE_ETHERNET ? ethernet(0x0800, tcpV4) : tcpV4;
}
