// pcap and pcapng framing: byte orders, timestamp resolutions, sections, interfaces, block types,
// chunk boundaries, truncated and corrupt files — on hand-built fixtures.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureStreamDecoder, REASON_TIME_RANGE } from './capture-stream-decoder.ts';
import { CaptureFormatError, UnsupportedLinkTypeError } from './errors.ts';
import { readCapture } from './read-capture.ts';
import { LINKTYPE_ETHERNET, LINKTYPE_NFLOG, LINKTYPE_RAW } from './link-types.ts';
import {
  concat, decodeBytes, epb, ethernet, idb, ipv4, legacyPb, nflog, nflogTlv, otherBlock, pcapFile, pcapngOption, shb, snapshot, spb, tcp,
  textBytes, u16be, u16le, u32be, u32le, udp, type DecodeResult, type PacketSnapshot,
} from './test-fixtures.ts';

const UDP = 17;
const TCP = 6;
const packetA = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: UDP, payload: udp(1001, 53, [1, 2, 3]) });
const packetB = ipv4({ src: '10.0.0.3', dst: '10.0.0.4', protocol: TCP, payload: tcp(2002, 80, 0x02) });
const packetC = ipv4({ src: '10.0.0.5', dst: '10.0.0.6', protocol: UDP, payload: udp(3003, 123) });
const etherA = ethernet(0x0800, packetA);
const etherB = ethernet(0x0800, packetB);

const near = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 1e-6, `${what}: ${actual} != ${expected}`);

describe('pcap', () => {
  for (const littleEndian of [true, false]) {
    for (const nano of [false, true]) {
      it(`${littleEndian ? 'little' : 'big'}-endian, ${nano ? 'nanosecond' : 'microsecond'} timestamps`, () => {
        const fraction = nano ? 250_000_000 : 250_000;
        const bytes = pcapFile({ linkType: LINKTYPE_ETHERNET, littleEndian, nano, snapLength: 1500 }, [
          { seconds: 1_700_000_000, fraction, frame: etherA },
          { seconds: 1_700_000_001, fraction: 0, frame: etherB },
        ]);
        const { packets, stats } = decodeBytes(bytes);
        assert.equal(stats.format, 'pcap');
        assert.deepEqual(stats.linkTypes, [LINKTYPE_ETHERNET]);
        assert.equal(stats.interfaces[0]!.snapLength, 1500);
        assert.equal(stats.interfaces[0]!.ticksPerSecond, nano ? 1e9 : 1e6);
        assert.equal(packets.length, 2);
        near(packets[0]!.timeSec, 1_700_000_000.25, 'first timestamp');
        near(packets[1]!.timeSec, 1_700_000_001, 'second timestamp');
        assert.deepEqual(packets.map((p) => [p.src, p.srcPort, p.packetIndex]), [['10.0.0.1', 1001, 0], ['10.0.0.3', 2002, 1]]);
        assert.equal(stats.bytesRead, bytes.length);
        assert.equal(stats.unparsedBytes, 0);
      });
    }
  }

  it('an unsupported link type is not thrown: every packet is skipped under a reason naming it, and the stats report it', () => {
    const bytes = pcapFile({ linkType: 127 }, [
      { seconds: 1_700_000_000, fraction: 0, frame: [1, 2, 3] },
      { seconds: 1_700_000_001, fraction: 0, frame: [4, 5, 6, 7] },
      { seconds: 1_700_000_002, fraction: 0, frame: [8] },
    ]);
    const { packets, stats } = decodeBytes(bytes, bytes.length, { source: 'wifi.pcap' });
    assert.equal(packets.length, 0);
    assert.equal(stats.packetsRead, 3);
    assert.equal(stats.packetsDecoded, 0);
    assert.equal(stats.packetsSkipped, 3);
    assert.equal(stats.problemCount, 0);
    assert.deepEqual(stats.skippedByReason, { 'unsupported link type 127 (IEEE802_11_RADIOTAP)': 3 });
    assert.deepEqual(stats.linkTypes, [127]);
    assert.equal(stats.interfaces[0]!.supported, false);
    assert.equal(stats.unsupportedInterfaces.length, 1);
    const error = stats.unsupportedInterfaces[0]!;
    assert.ok(error instanceof UnsupportedLinkTypeError);
    assert.equal(error.linkType, 127);
    assert.equal(error.interfaceIndex, undefined);
    assert.equal(error.message, 'wifi.pcap: unsupported link-layer type 127 (IEEE802_11_RADIOTAP)');
  });

  it('an unsupported link type without a registry name says just its number', () => {
    const { stats } = decodeBytes(pcapFile({ linkType: 9999 }, [{ seconds: 1, fraction: 0, frame: [1] }]));
    assert.deepEqual(stats.skippedByReason, { 'unsupported link type 9999': 1 });
  });

  it('a record length beyond any snaplen stops framing with a problem, keeping earlier packets', () => {
    const good = pcapFile({ linkType: LINKTYPE_RAW }, [{ seconds: 1, fraction: 0, frame: packetA }]);
    const corrupt = pcapFile({ linkType: LINKTYPE_RAW }, [{ seconds: 2, fraction: 0, frame: packetB, capturedLength: 0x7fffffff }]).subarray(24);
    const bytes = concat(good, corrupt);
    const { packets, stats } = decodeBytes(bytes);
    assert.equal(packets.length, 1);
    assert.equal(stats.problemCount, 1);
    assert.equal(stats.problems[0]!.fileOffset, good.length);
    assert.equal(stats.problems[0]!.packetIndex, 1);
    assert.match(stats.problems[0]!.reason, /corrupt record length/);
    assert.equal(stats.unparsedBytes, corrupt.length);
  });
});

describe('capture file header', () => {
  it('an unknown magic number is a CaptureFormatError with source and offset', () => {
    const decoder = new CaptureStreamDecoder(() => {}, { source: 'notes.txt' });
    assert.throws(() => decoder.push(Uint8Array.from(textBytes('this is not a valid pcap file.'))), (e: unknown) => {
      assert.ok(e instanceof CaptureFormatError);
      assert.equal(e.source, 'notes.txt');
      assert.equal(e.offset, 0);
      assert.match(e.why, /unknown magic number 0x74686973/);
      return true;
    });
  });

  it('an empty stream, or one ending inside the header, is a CaptureFormatError at end()', () => {
    assert.throws(() => new CaptureStreamDecoder(() => {}).end(), CaptureFormatError);
    const header = pcapFile({ linkType: 1 }, []);
    const decoder = new CaptureStreamDecoder(() => {});
    decoder.push(header.subarray(0, 10));
    assert.throws(() => decoder.end(), /ends inside the file header/);
  });

  it('a pcapng section header with a bad byte-order magic is a CaptureFormatError', () => {
    const bytes = Uint8Array.from(shb(true));
    bytes[8] = 0x99;
    assert.throws(() => new CaptureStreamDecoder(() => {}).push(bytes), (e: unknown) => e instanceof CaptureFormatError && /byte-order/.test(e.why));
  });

  it('a header-only pcap holds zero packets', () => {
    const { packets, stats } = decodeBytes(pcapFile({ linkType: 1 }, []));
    assert.equal(packets.length, 0);
    assert.equal(stats.packetsRead, 0);
    assert.equal(stats.problemCount, 0);
  });
});

/** A pcapng file with two sections of opposite byte order exercising every block type. */
function richPcapng(): { bytes: Uint8Array; expected: Partial<PacketSnapshot>[] } {
  const le = true;
  const be = false;
  const nflogRecord = nflog(2, [nflogTlv(10, [...textBytes('nacl-7 DENY'), 0]), nflogTlv(9, packetC)]);
  const bytes = concat(
    shb(le),
    idb(le, LINKTYPE_ETHERNET, 0, { tsresol: 9, tsoffset: 1000 }), // interface 0: ns + 1000 s offset
    otherBlock(le, 4), // name resolution
    idb(le, LINKTYPE_RAW, 0, { tsresol: 0x80 | 10 }), // interface 1: 1/1024 s ticks
    epb(le, 0, 1_600_000_000_500_000_000n, etherA),
    otherBlock(le, 0x0bad), // custom block
    epb(le, 1, 1024n * 1_600_000_001n + 256n, packetB),
    otherBlock(le, 5), // interface statistics
    otherBlock(le, 0x0a), // decryption secrets
    otherBlock(le, 0x12345678), // unknown
    shb(be),
    idb(be, LINKTYPE_NFLOG, 0), // interface 2, id 0 in this section; default microseconds
    idb(be, LINKTYPE_ETHERNET, 64), // interface 3, snaplen 64
    epb(be, 0, 1_600_000_002_000_000n, nflogRecord),
    spb(be, ethernet(0x0800, packetA)), // simple packet blocks belong to the section's interface 0
    legacyPb(be, 1, 1_600_000_003_000_000n, etherB),
  );
  const expected: Partial<PacketSnapshot>[] = [
    { src: '10.0.0.1', srcPort: 1001, timeSec: 1_600_001_000.5, interfaceIndex: 0, linkType: LINKTYPE_ETHERNET, packetIndex: 0 },
    { src: '10.0.0.3', srcPort: 2002, timeSec: 1_600_000_001.25, interfaceIndex: 1, linkType: LINKTYPE_RAW, packetIndex: 1 },
    { src: '10.0.0.5', srcPort: 3003, timeSec: 1_600_000_002, interfaceIndex: 2, linkType: LINKTYPE_NFLOG, nflogPrefix: 'nacl-7 DENY', packetIndex: 2 },
    // No timestamp in an SPB: it takes the previous packet's time.
    { src: '10.0.0.1', srcPort: 1001, timeSec: 1_600_000_002, interfaceIndex: 2, linkType: LINKTYPE_NFLOG, packetIndex: 3 },
    { src: '10.0.0.3', srcPort: 2002, timeSec: 1_600_000_003, interfaceIndex: 3, linkType: LINKTYPE_ETHERNET, packetIndex: 4 },
  ];
  return { bytes, expected };
}

function pick(p: PacketSnapshot, like: Partial<PacketSnapshot>): Partial<PacketSnapshot> {
  return Object.fromEntries(Object.keys(like).map((k) => [k, p[k as keyof PacketSnapshot]]));
}

describe('pcapng', () => {
  it('sections of both byte orders, per-interface link types, resolutions and offsets; EPB, SPB, legacy PB', () => {
    const { bytes, expected } = richPcapng();
    const { packets, stats } = decodeBytes(bytes);
    assert.equal(stats.problemCount, 0, JSON.stringify(stats.problems));
    assert.equal(stats.format, 'pcapng');
    // The SPB is on the NFLOG interface: an Ethernet frame there is not an NFLOG record.
    assert.equal(packets.length, 4);
    assert.deepEqual(stats.skippedByReason, { 'NFLOG record without payload': 1 });
    const decoded = expected.filter((_, i) => i !== 3);
    for (let i = 0; i < decoded.length; i++) {
      const want = decoded[i]!;
      const { timeSec, ...rest } = want;
      const got = packets[i]!;
      assert.deepEqual(pick(got, rest), rest, `packet ${i}`);
      near(got.timeSec, timeSec!, `packet ${i} time`);
    }
    assert.deepEqual(stats.linkTypes, [LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_NFLOG]);
    assert.deepEqual(stats.interfaces.map((i) => [i.index, i.linkType, i.ticksPerSecond, i.timeOffsetSec, i.snapLength]), [
      [0, LINKTYPE_ETHERNET, 1e9, 1000, 0],
      [1, LINKTYPE_RAW, 1024, 0, 0],
      [2, LINKTYPE_NFLOG, 1e6, 0, 0],
      [3, LINKTYPE_ETHERNET, 1e6, 0, 64],
    ]);
  });

  it('SPB captured length is capped by the interface snaplen', () => {
    const le = true;
    const big = ipv4({ protocol: UDP, payload: udp(7, 7, new Array(200).fill(1)) });
    const bytes = concat(shb(le), idb(le, LINKTYPE_RAW, 28), spb(le, big));
    const { packets, stats } = decodeBytes(bytes);
    assert.equal(stats.problemCount, 0);
    assert.equal(packets[0]!.ipBytes, big.length, 'the IP header still tells the wire length');
    assert.equal(packets[0]!.srcPort, 7);
  });

  it('an interface with an unsupported link type skips its packets and reports it; others go on', () => {
    const le = true;
    const bytes = concat(shb(le), idb(le, 147), idb(le, LINKTYPE_RAW), epb(le, 0, 1n, [1, 2, 3, 4]), epb(le, 1, 2n, packetA), epb(le, 0, 3n, [5, 6]));
    const { packets, stats } = decodeBytes(bytes, bytes.length, { source: 'mixed.pcapng' });
    assert.equal(packets.length, 1);
    assert.deepEqual(stats.skippedByReason, { 'unsupported link type 147 (USER0)': 2 });
    assert.equal(stats.unsupportedInterfaces.length, 1);
    const error = stats.unsupportedInterfaces[0]!;
    assert.ok(error instanceof UnsupportedLinkTypeError);
    assert.equal(error.linkType, 147);
    assert.equal(error.interfaceIndex, 0);
    assert.match(error.message, /mixed\.pcapng interface 0: unsupported link-layer type 147 \(USER0\)$/);
    assert.equal(stats.interfaces[0]!.supported, false);
  });

  it('a packet on an undeclared interface is a problem', () => {
    const le = true;
    const bytes = concat(shb(le), idb(le, LINKTYPE_RAW), epb(le, 3, 1n, packetA), epb(le, 0, 2n, packetB));
    const { packets, stats } = decodeBytes(bytes);
    assert.equal(packets.length, 1);
    assert.equal(stats.packetsRead, 2);
    assert.equal(stats.problems[0]!.packetIndex, 0);
    assert.match(stats.problems[0]!.reason, /interface not declared.*\(interface 3\)/);
  });

  it('a corrupt block length stops framing with a problem at that block; earlier packets stay', () => {
    const le = true;
    const head = concat(shb(le), idb(le, LINKTYPE_RAW), epb(le, 0, 1n, packetA));
    const bad = Uint8Array.from(epb(le, 0, 2n, packetB));
    bad[4] = 13; // block length 13: not a multiple of 4
    bad[5] = 0;
    const bytes = concat(head, bad, epb(le, 0, 3n, packetC));
    const { packets, stats } = decodeBytes(bytes);
    assert.equal(packets.length, 1);
    assert.equal(stats.problemCount, 1);
    assert.equal(stats.problems[0]!.fileOffset, head.length);
    assert.equal(stats.problems[0]!.packetIndex, 1);
    assert.match(stats.problems[0]!.reason, /corrupt record length/);
    assert.equal(stats.unparsedBytes, bytes.length - head.length);
  });

  it('an EPB whose captured length runs past its block is a problem, and reading goes on', () => {
    const le = true;
    const bad = Uint8Array.from(epb(le, 0, 2n, packetB));
    bad[20] = 200; // captured length 200 in a block with room for far less
    const head = concat(shb(le), idb(le, LINKTYPE_RAW));
    const bytes = concat(head, bad, epb(le, 0, 3n, packetC));
    const { packets, stats } = decodeBytes(bytes);
    assert.equal(packets.length, 1);
    assert.equal(packets[0]!.src, '10.0.0.5');
    assert.equal(stats.problems[0]!.fileOffset, head.length);
    assert.match(stats.problems[0]!.reason, /runs past the end of its block/);
  });
});

describe('truncated file', () => {
  it('a partial last pcap record is a problem at its offset, not a crash', () => {
    const full = pcapFile({ linkType: LINKTYPE_ETHERNET }, [
      { seconds: 1, fraction: 0, frame: etherA },
      { seconds: 2, fraction: 0, frame: etherB },
    ]);
    const cut = full.subarray(0, full.length - 5);
    const { packets, stats } = decodeBytes(cut);
    assert.equal(packets.length, 1);
    assert.equal(stats.problemCount, 1);
    const problem = stats.problems[0]!;
    assert.equal(problem.fileOffset, 24 + 16 + etherA.length);
    assert.equal(problem.packetIndex, 1);
    assert.match(problem.reason, new RegExp(`truncated record at end of capture \\(${16 + etherB.length - 5} of ${16 + etherB.length} bytes present\\)`));
    assert.equal(stats.unparsedBytes, 16 + etherB.length - 5);
  });

  it('a file cut inside a record header, and a pcapng file cut inside a block', () => {
    const pcap = pcapFile({ linkType: LINKTYPE_RAW }, [{ seconds: 1, fraction: 0, frame: packetA }, { seconds: 2, fraction: 0, frame: packetB }]);
    const firstEnd = 24 + 16 + packetA.length;
    const r1 = decodeBytes(pcap.subarray(0, firstEnd + 7));
    assert.equal(r1.packets.length, 1);
    assert.equal(r1.stats.problems[0]!.fileOffset, firstEnd);

    const le = true;
    const head = concat(shb(le), idb(le, LINKTYPE_RAW), epb(le, 0, 1n, packetA));
    const pcapng = concat(head, epb(le, 0, 2n, packetB));
    const r2 = decodeBytes(pcapng.subarray(0, pcapng.length - 3));
    assert.equal(r2.packets.length, 1);
    assert.equal(r2.stats.problems[0]!.fileOffset, head.length);
    assert.match(r2.stats.problems[0]!.reason, /^truncated record at end of capture/);
  });
});

/** Address offsets depend on which buffer held the record (chunk or carry); the addresses do not. */
const withoutOffsets = ({ srcOffset: _s, dstOffset: _d, ...rest }: PacketSnapshot) => rest;

describe('chunk boundaries', () => {
  const inputs: [string, Uint8Array][] = [
    ['pcap', pcapFile({ linkType: LINKTYPE_ETHERNET, littleEndian: false, nano: true }, [
      { seconds: 5, fraction: 1, frame: etherA },
      { seconds: 6, fraction: 2, frame: etherB },
      { seconds: 7, fraction: 3, frame: ethernet(0x0806, new Array(28).fill(0)) },
    ])],
    ['pcapng', richPcapng().bytes],
    ['truncated pcap', pcapFile({ linkType: LINKTYPE_RAW }, [{ seconds: 1, fraction: 0, frame: packetA }, { seconds: 2, fraction: 0, frame: packetB }]).subarray(0, 100)],
  ];
  for (const [name, bytes] of inputs) {
    it(`${name}: one byte at a time and odd chunk sizes decode exactly like the whole buffer`, () => {
      const whole = decodeBytes(bytes);
      assert.ok(whole.packets.length > 0);
      for (const size of [1, 2, 3, 7, 16, 29, 64]) {
        const chunked = decodeBytes(bytes, size);
        assert.deepEqual(chunked.packets.map(withoutOffsets), whole.packets.map(withoutOffsets), `chunk size ${size}`);
        assert.deepEqual(chunked.stats, whole.stats, `chunk size ${size}`);
      }
    });
  }
});

describe('readCapture', () => {
  it('reads a file in small chunks with progress, same result as the stream decoder', async () => {
    const { bytes } = richPcapng();
    const dir = mkdtempSync(join(tmpdir(), 'vpcflow-capture-'));
    try {
      const path = join(dir, 'rich.pcapng');
      writeFileSync(path, bytes);
      const packets: PacketSnapshot[] = [];
      const progress: [number, number][] = [];
      const stats = await readCapture(path, (p) => packets.push(snapshot(p)), { chunkSize: 37, onProgress: (done, total) => progress.push([done, total]) });
      const reference = decodeBytes(bytes, bytes.length, { source: path });
      assert.deepEqual(packets.map(withoutOffsets), reference.packets.map(withoutOffsets));
      assert.deepEqual(stats, reference.stats);
      assert.equal(progress.length, Math.ceil(bytes.length / 37));
      assert.deepEqual(progress.at(-1), [bytes.length, bytes.length]);
      for (let i = 1; i < progress.length; i++) assert.ok(progress[i]![0] > progress[i - 1]![0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects with CaptureFormatError for a file that is not a capture', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vpcflow-capture-'));
    try {
      const path = join(dir, 'x.pcap');
      writeFileSync(path, 'hello, world, not a capture');
      await assert.rejects(readCapture(path, () => {}), (e: unknown) => e instanceof CaptureFormatError && e.source === path);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** An IDB with raw option values: if_tsresol byte and/or if_tsoffset as a signed 64-bit count of seconds. */
function hostileIdb(linkType: number, o: { tsresol?: number; tsoffset?: bigint }): number[] {
  const options: number[] = [];
  if (o.tsresol !== undefined) options.push(...pcapngOption(true, 9, [o.tsresol]));
  if (o.tsoffset !== undefined) {
    const v = BigInt.asUintN(64, o.tsoffset);
    options.push(...pcapngOption(true, 14, [...u32le(Number(v & 0xffffffffn)), ...u32le(Number(v >> 32n))]));
  }
  options.push(0, 0, 0, 0);
  return otherBlock(true, 1, [...u16le(linkType), 0, 0, ...u32le(0), ...options]);
}

describe('packet times outside [1970, 2106) are problems, never packets', { timeout: 20_000 }, () => {
  const T = 1_700_000_000n;
  const le = true;

  it('hostile if_tsoffset, if_tsresol and timestamp words, between good packets on a sane interface', () => {
    const blocks: [number[], 'good' | 'bad'][] = [
      [shb(le), 'good'],
      [idb(le, LINKTYPE_RAW), 'good'], // 0: microseconds, no offset
      [hostileIdb(LINKTYPE_RAW, { tsoffset: 2n ** 59n }), 'good'], // 1: every time at 2^59 s
      [hostileIdb(LINKTYPE_RAW, { tsresol: 0 }), 'good'], // 2: 10^-0 s ticks
      [hostileIdb(LINKTYPE_RAW, { tsresol: 0x80 }), 'good'], // 3: 2^-0 s ticks
      [hostileIdb(LINKTYPE_RAW, { tsoffset: -(2n ** 40n) }), 'good'], // 4: a negative offset
      [hostileIdb(LINKTYPE_RAW, { tsresol: 0x80, tsoffset: 2n ** 63n - 1n }), 'good'], // 5: the largest offset
      [epb(le, 0, T * 1_000_000n, packetA), 'good'],
      [epb(le, 1, 5n, packetB), 'bad'],
      [epb(le, 2, 2n ** 40n, packetB), 'bad'], // 1.1e12 s
      [epb(le, 3, 2n ** 53n + 2n, packetB), 'bad'], // above 2^53 s
      [epb(le, 3, 2n ** 64n - 1n, packetB), 'bad'],
      [epb(le, 0, 0xffffffffn << 32n, packetB), 'bad'], // huge high word in microseconds: 1.8e13 s
      [epb(le, 4, T * 1_000_000n, packetB), 'bad'], // 1.7e9 - 1.1e12 < 0
      [epb(le, 5, 0n, packetB), 'bad'],
      [spb(le, packetC), 'good'], // no timestamp: the last good packet's time, not a bad one's
      [epb(le, 3, 2n ** 32n - 1n, packetC), 'good'], // the last second in range
      [epb(le, 3, 2n ** 32n, packetC), 'bad'], // the first second out of range
      [epb(le, 3, 0n, packetC), 'good'], // 1970-01-01T00:00:00Z
      [epb(le, 0, (T + 1n) * 1_000_000n, packetA), 'good'],
    ];
    const bytes = concat(...blocks.map(([b]) => b));
    const offsets: number[] = [];
    let at = 0;
    for (const [b, kind] of blocks) {
      if (kind === 'bad') offsets.push(at);
      at += b.length;
    }
    for (const chunk of [bytes.length, 13]) {
      const { packets, stats } = decodeBytes(bytes, chunk);
      assert.deepEqual(packets.map((p) => [p.src, p.timeSec]), [
        ['10.0.0.1', 1_700_000_000], ['10.0.0.5', 1_700_000_000], ['10.0.0.5', 2 ** 32 - 1], ['10.0.0.5', 0], ['10.0.0.1', 1_700_000_001],
      ]);
      assert.equal(stats.packetsRead, 13);
      assert.equal(stats.packetProblems, offsets.length);
      assert.deepEqual(stats.problemsByReason, { [REASON_TIME_RANGE]: offsets.length });
      assert.deepEqual(stats.problems.map((p) => p.fileOffset), offsets);
      for (const p of stats.problems) assert.match(p.reason, /^timestamp out of range \(-?[\d.e+]+ s since 1970; a packet time must lie in \[1970-01-01T00:00:00Z, 2106-02-07T06:28:16Z\)\)$/);
      assert.match(stats.problems[0]!.reason, /\(576460752303423500 s since 1970/);
      assert.equal(stats.packetsRead, stats.packetsDecoded + stats.packetsSkipped + stats.packetProblems);
    }
  });

  it('a pcap record whose microsecond field pushes the time past 2^32 s is a problem', () => {
    const bytes = pcapFile({ linkType: LINKTYPE_RAW }, [
      { seconds: 0xffffffff, fraction: 0, frame: packetA },
      { seconds: 0xffffffff, fraction: 0xffffffff, frame: packetB },
    ]);
    const { packets, stats } = decodeBytes(bytes);
    assert.deepEqual(packets.map((p) => p.src), ['10.0.0.1']);
    assert.deepEqual(stats.problemsByReason, { [REASON_TIME_RANGE]: 1 });
    assert.equal(stats.problems[0]!.fileOffset, 24 + 16 + packetA.length);
  });

  it('ten thousand packets at 2^59 s and beyond finish with every one counted', () => {
    const many = new Array(10_000).fill(0).map((_, i) => epb(le, 0, BigInt(i) * 1_000_000n, packetB));
    const bytes = concat(shb(le), hostileIdb(LINKTYPE_RAW, { tsoffset: 2n ** 59n }), ...many);
    const { packets, stats } = decodeBytes(bytes, 4096, { maxProblems: 5 });
    assert.equal(packets.length, 0);
    assert.deepEqual(stats.problemsByReason, { [REASON_TIME_RANGE]: 10_000 });
    assert.equal(stats.problems.length, 5);
  });
});

/**
 * A block `length` bytes long, as its leading and trailing lengths say, holding the first bytes of
 * `body` (zero-padded when body is shorter): what a writer that cut a block's fixed fields leaves.
 */
function sizedBlock(le: boolean, type: number, length: number, body: number[]): number[] {
  const w32 = le ? u32le : u32be;
  const inner = [...body, ...new Array(Math.max(0, length - 12 - body.length)).fill(0)].slice(0, length - 12);
  return [...w32(type), ...w32(length), ...inner, ...w32(length)];
}

/** The whole buffer, then 1-, 3- and 7-byte chunks: all must agree (packets and stats); returns the first. */
function decodeEveryWay(bytes: Uint8Array): DecodeResult {
  const whole = decodeBytes(bytes);
  for (const size of [1, 3, 7]) {
    const chunked = decodeBytes(bytes, size);
    assert.deepEqual(chunked.packets.map(withoutOffsets), whole.packets.map(withoutOffsets), `chunks of ${size} bytes`);
    assert.deepEqual(chunked.stats, whole.stats, `chunks of ${size} bytes`);
  }
  return whole;
}

describe('pcapng blocks shorter than their fixed fields are read only within their own bytes', () => {
  const SHORT = 'pcapng block shorter than the fixed fields of its type';
  const BOM = 0x1a2b3c4d;

  it('the first section header block (28 bytes of fixed fields): a CaptureFormatError at byte 0, whole or in 1-byte chunks', () => {
    for (const length of [12, 16, 20, 24]) {
      // Only the length field cut, as the fuzzer did it: the version the block no longer holds still follows it.
      const bytes = concat(shb(true), idb(true, LINKTYPE_RAW), epb(true, 0, 1n, packetA));
      bytes[4] = length;
      for (const size of [bytes.length, 1]) {
        assert.throws(() => decodeBytes(bytes, size), (e: unknown) => {
          assert.ok(e instanceof CaptureFormatError, String(e));
          assert.equal(e.offset, 0);
          assert.equal(e.why, `pcapng section header block of ${length} bytes, shorter than its 28 bytes of fixed fields`);
          return true;
        }, `length ${length}, chunks of ${size}`);
      }
    }
  });

  for (const le of [true, false]) {
    const w16 = le ? u16le : u16be;
    const w32 = le ? u32le : u32be;

    it(`${le ? 'little' : 'big'}-endian: a later section header block is a problem at its offset, and nothing after it is read`, () => {
      for (const length of [16, 20, 24]) {
        const head = concat(shb(le), idb(le, LINKTYPE_RAW), epb(le, 0, 1n, packetA));
        const short = sizedBlock(le, 0x0a0d0d0a, length, [...w32(BOM), ...w16(1), ...w16(0), ...w32(0xffffffff)]);
        const tail = concat(idb(le, LINKTYPE_RAW), epb(le, 0, 2n, packetB));
        const { packets, stats } = decodeEveryWay(concat(head, short, tail));
        assert.deepEqual(packets.map((p) => p.src), ['10.0.0.1'], `length ${length}`);
        assert.deepEqual(stats.problems, [{
          fileOffset: head.length, packetIndex: 1,
          reason: `${SHORT} (section header block of ${length} bytes, its fixed fields take 28; the rest of the capture cannot be read)`,
        }], `length ${length}`);
        assert.deepEqual(stats.problemsByReason, { [SHORT]: 1 });
        assert.equal(stats.unparsedBytes, tail.length);
      }
    });

    it(`${le ? 'little' : 'big'}-endian: a short interface description block (20) keeps its id; its packets are problems, later interfaces keep theirs`, () => {
      for (const length of [12, 16]) {
        const shortIdb = sizedBlock(le, 1, length, [...w16(LINKTYPE_ETHERNET), 0, 0, ...w32(0)]);
        const blocks = [shb(le), shortIdb, idb(le, LINKTYPE_RAW), epb(le, 1, 1n, packetA), epb(le, 0, 2n, packetB), spb(le, etherA)];
        const at = (i: number) => blocks.slice(0, i).reduce((n, b) => n + b.length, 0);
        const { packets, stats } = decodeEveryWay(concat(...blocks));
        assert.deepEqual(packets.map((p) => [p.src, p.interfaceIndex, p.linkType]), [['10.0.0.1', 0, LINKTYPE_RAW]], `length ${length}`);
        assert.deepEqual(stats.interfaces.map((i) => [i.index, i.linkType]), [[0, LINKTYPE_RAW]]);
        const unreadable = 'packet refers to an interface whose description block is too short to read (interface 0)';
        assert.deepEqual(stats.problems, [
          { fileOffset: at(1), packetIndex: 0, reason: `${SHORT} (interface description block of ${length} bytes, its fixed fields take 20)` },
          { fileOffset: at(4), packetIndex: 1, reason: unreadable },
          { fileOffset: at(5), packetIndex: 2, reason: unreadable }, // a simple packet block is on interface 0
        ], `length ${length}`);
        assert.equal(stats.packetsRead, 3);
        assert.equal(stats.packetProblems, 2);
      }
    });

    const packetBlocks: [name: string, type: number, minimum: number, body: number[]][] = [
      ['enhanced packet block', 6, 32, [...w32(0), ...w32(0), ...w32(1), ...w32(packetA.length), ...w32(packetA.length), ...packetA]],
      ['packet block', 2, 32, [...w16(0), ...w16(0), ...w32(0), ...w32(1), ...w32(packetA.length), ...w32(packetA.length), ...packetA]],
      ['simple packet block', 3, 16, [...w32(packetA.length), ...packetA]],
    ];
    for (const [name, type, minimum, body] of packetBlocks) {
      it(`${le ? 'little' : 'big'}-endian: a short ${name} (under ${minimum} bytes) is a packet with a problem, and reading goes on`, () => {
        for (let length = 12; length < minimum; length += 4) {
          const head = concat(shb(le), idb(le, LINKTYPE_RAW));
          const { packets, stats } = decodeEveryWay(concat(head, sizedBlock(le, type, length, body), epb(le, 0, 3n, packetC)));
          assert.deepEqual(packets.map((p) => [p.src, p.packetIndex]), [['10.0.0.5', 1]], `length ${length}`);
          assert.deepEqual(stats.problems, [{ fileOffset: head.length, packetIndex: 0, reason: `${SHORT} (${name} of ${length} bytes, its fixed fields take ${minimum})` }], `length ${length}`);
          assert.equal(stats.packetsRead, 2);
          assert.equal(stats.packetProblems, 1);
          assert.equal(stats.unparsedBytes, 0);
        }
      });
    }
  }
});
