// pcap and pcapng framing: byte orders, timestamp resolutions, sections, interfaces, block types,
// chunk boundaries, truncated and corrupt files — on hand-built fixtures.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureStreamDecoder } from './capture-stream-decoder.ts';
import { CaptureFormatError, UnsupportedLinkTypeError } from './errors.ts';
import { readCapture } from './read-capture.ts';
import { LINKTYPE_ETHERNET, LINKTYPE_NFLOG, LINKTYPE_RAW } from './link-types.ts';
import {
  concat, decodeBytes, epb, ethernet, idb, ipv4, legacyPb, nflog, nflogTlv, otherBlock, pcapFile, shb, snapshot, spb, tcp,
  textBytes, udp, type PacketSnapshot,
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

  it('throws UnsupportedLinkTypeError naming the link type and the source', () => {
    const bytes = pcapFile({ linkType: 147 }, [{ seconds: 1, fraction: 0, frame: [1, 2, 3] }]);
    const decoder = new CaptureStreamDecoder(() => {}, { source: 'user0.pcap' });
    assert.throws(() => decoder.push(bytes), (e: unknown) => {
      assert.ok(e instanceof UnsupportedLinkTypeError);
      assert.equal(e.linkType, 147);
      assert.match(e.message, /user0\.pcap.*147/);
      return true;
    });
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
    assert.deepEqual(stats.skippedByReason, { 'unsupported link type 147': 2 });
    assert.equal(stats.unsupportedInterfaces.length, 1);
    const error = stats.unsupportedInterfaces[0]!;
    assert.ok(error instanceof UnsupportedLinkTypeError);
    assert.equal(error.linkType, 147);
    assert.equal(error.interfaceIndex, 0);
    assert.match(error.message, /mixed\.pcapng interface 0: unsupported link-layer type 147/);
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
