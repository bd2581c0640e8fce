// gzip-compressed captures: the streaming inflater against node:zlib and GNU gzip output, corrupt and
// truncated streams, a gzip bomb, and every shared test capture decoding the same compressed or not.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { CaptureFormatError } from './errors.ts';
import { CaptureStreamDecoder } from './capture-stream-decoder.ts';
import { GzipInflater } from './gzip.ts';
import { readCapture } from './read-capture.ts';
import { LINKTYPE_ETHERNET, LINKTYPE_RAW } from './link-types.ts';
import { concat, decodeBytes, epb, ethernet, idb, ipv4, pcapFile, shb, snapshot, tcp, udp, type PacketSnapshot } from './test-fixtures.ts';
import type { CaptureStats } from './capture-stats.ts';

const PCAP_DIR = resolve(fileURLToPath(new URL('../..', import.meta.url)), '../shared/testdata/pcap');

interface Inflated {
  bytes: Buffer;
  inflater: GzipInflater;
}

function inflate(gz: Uint8Array, chunkSize = gz.length || 1): Inflated {
  const parts: Buffer[] = [];
  const inflater = new GzipInflater((piece) => {
    parts.push(Buffer.from(piece));
  }, 'test.gz');
  for (let at = 0; at < gz.length; at += chunkSize) {
    const chunk = Uint8Array.from(gz.subarray(at, at + chunkSize));
    inflater.push(chunk);
    chunk.fill(0xee); // the inflater must not keep references into a pushed chunk
  }
  inflater.end();
  return { bytes: Buffer.concat(parts), inflater };
}

function corruptGzip(fn: () => unknown, why: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CaptureFormatError, `${e}`);
    assert.equal(e.source, 'test.gz');
    assert.match(e.why, why);
    return true;
  });
}

const text = Buffer.from(Array.from({ length: 4000 }, (_, i) => `line ${i}: ${(i * i) % 977} ${'abc'.repeat(i % 7)}\n`).join(''));

describe('GzipInflater', { timeout: 60_000 }, () => {
  it('inflates what node:zlib deflates, at every level and strategy, pushed in chunks of any size', () => {
    const inputs: [string, Buffer][] = [
      ['empty', Buffer.alloc(0)],
      ['one byte', Buffer.from('x')],
      ['random', randomBytes(70_000)],
      ['zeros', Buffer.alloc(300_000)],
      ['text', text],
      ['a capture', Buffer.from(pcapFile({ linkType: LINKTYPE_RAW }, Array.from({ length: 300 }, (_, i) => ({ seconds: 1_700_000_000 + i, fraction: i, frame: ipv4({ protocol: 17, payload: udp(1000 + (i % 13), 53, [i & 0xff, 1, 2]) }) }))))],
    ];
    const strategies = [constants.Z_DEFAULT_STRATEGY, constants.Z_FIXED, constants.Z_HUFFMAN_ONLY, constants.Z_RLE, constants.Z_FILTERED];
    for (const [name, data] of inputs) {
      for (const level of [0, 1, 6, 9]) {
        for (const strategy of strategies) {
          const gz = gzipSync(data, { level, strategy });
          for (const chunk of [gz.length || 1, 4096, 7, ...(data.length < 10_000 ? [1] : [])]) {
            const out = inflate(gz, chunk);
            assert.ok(out.bytes.equals(data), `${name}, level ${level}, strategy ${strategy}, chunks of ${chunk}`);
            assert.equal(out.inflater.inflatedBytes, data.length);
            assert.equal(out.inflater.compressedBytes, gz.length);
            assert.equal(out.inflater.members, 1);
          }
        }
      }
    }
  });

  it('concatenated members (cat a.gz b.gz) inflate to the concatenation; a reference cannot reach into the previous member', () => {
    const a = randomBytes(40_000);
    const out = inflate(Buffer.concat([gzipSync(text), gzipSync(a), gzipSync(Buffer.alloc(0))]), 1000);
    assert.ok(out.bytes.equals(Buffer.concat([text, a])));
    assert.equal(out.inflater.members, 3);
    // A member whose first block refers 3 bytes back: valid deflate after "abc", invalid at a member's start.
    const ref = deflateRawSync(Buffer.from('abcabcabcabc'), { level: 9 });
    const header = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
    const trailer = (data: Buffer) => {
      const t = Buffer.alloc(8);
      t.writeUInt32LE(crc32(data), 0);
      t.writeUInt32LE(data.length, 4);
      return t;
    };
    assert.ok(inflate(Buffer.concat([header, ref, trailer(Buffer.from('abcabcabcabc'))])).bytes.equals(Buffer.from('abcabcabcabc')));
    // A fixed-Huffman block (BFINAL 1, BTYPE 01) opening with a match: length 3 (symbol 257, code
    // 0000001) at distance 1 (code 00000), with nothing before it to copy.
    const inflater = new GzipInflater(() => {}, 'test.gz');
    corruptGzip(() => inflater.push(Buffer.concat([header, Buffer.from([0x03, 0x02, 0x00])])), /a match reaches 1 bytes back, before the start of the member's data \(0 bytes\)/);
  });

  it('reads GNU gzip output (file name in the header), and optional header fields with a header CRC', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vpcflow-gzip-'));
    try {
      const path = join(dir, 'capture-with-a-rather-long-name.pcap');
      writeFileSync(path, text);
      const gz = execFileSync('gzip', ['-c', '-9', path]);
      assert.equal(gz[3]! & 8, 8, 'gzip wrote FNAME');
      assert.ok(inflate(gz, 5).bytes.equals(text));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const body = gzipSync(text).subarray(10);
    const extra = Buffer.from([4, 0, 0x41, 0x42, 0x43, 0x44]); // XLEN 4, one subfield
    const name = Buffer.from('x.pcap\0');
    const comment = Buffer.from('captured on eth0\0');
    const head = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 2 | 4 | 8 | 16, 1, 2, 3, 4, 0, 3]), extra, name, comment]);
    const hcrc = Buffer.alloc(2);
    hcrc.writeUInt16LE(crc32(head) & 0xffff, 0);
    const full = Buffer.concat([head, hcrc, body]);
    for (const chunk of [full.length, 1, 3]) assert.ok(inflate(full, chunk).bytes.equals(text));
    const badCrc = Buffer.from(full);
    badCrc[head.length]! ^= 1;
    corruptGzip(() => inflate(badCrc), /header CRC-16 is 0x[0-9a-f]+, the header's bytes give 0x[0-9a-f]+/);
  });

  it('the gzip bomb: 400 MB of zeros from a few hundred KB go to the sink in pieces of at most 96 KiB', () => {
    const gz = gzipSync(Buffer.alloc(400_000_000), { level: 9 });
    assert.ok(gz.length < 500_000);
    let total = 0;
    let largest = 0;
    let nonZero = 0;
    const inflater = new GzipInflater((piece) => {
      total += piece.length;
      largest = Math.max(largest, piece.length);
      if (piece[0] !== 0 || piece[piece.length - 1] !== 0) nonZero++;
    }, 'test.gz');
    for (let at = 0; at < gz.length; at += 65536) inflater.push(gz.subarray(at, at + 65536));
    inflater.end();
    assert.equal(total, 400_000_000);
    assert.equal(inflater.inflatedBytes, 400_000_000);
    assert.ok(largest <= 96 * 1024, `a piece of ${largest} bytes`);
    assert.equal(nonZero, 0);
  });

  describe('corrupt streams are CaptureFormatError with what and where', () => {
    const gz = gzipSync(text);
    it('a wrong compression method, reserved flags, block type 3', () => {
      const cm = Buffer.from(gz);
      cm[2] = 7;
      corruptGzip(() => inflate(cm), /compression method 7 is not deflate \(8\)/);
      const flags = Buffer.from(gz);
      flags[3] = 0x20;
      corruptGzip(() => inflate(flags), /reserved header flag bits set \(flags 0x20\)/);
      const reserved = Buffer.concat([gz.subarray(0, 10), Buffer.from([0x07, 0, 0, 0])]);
      assert.throws(() => inflate(reserved), (e: unknown) => e instanceof CaptureFormatError && e.offset === 10 && /block type 3 is reserved/.test(e.why));
    });

    it('a stored block whose length does not match its complement', () => {
      const stored = Buffer.from(gzipSync(Buffer.from('hello'), { level: 0 }));
      stored[13]! ^= 0xff; // NLEN low byte (block header byte 10, LEN 11-12, NLEN 13-14)
      corruptGzip(() => inflate(stored), /stored block length 5 does not match its one's complement/);
    });

    it('a CRC-32 or size in the trailer that does not match the data', () => {
      const crc = Buffer.from(gz);
      crc[gz.length - 8]! ^= 1;
      assert.throws(() => inflate(crc), (e: unknown) => e instanceof CaptureFormatError && e.offset === gz.length - 8 && /CRC-32 of member 1's inflated data is 0x[0-9a-f]{8}, its trailer says 0x[0-9a-f]{8}/.test(e.why));
      const size = Buffer.from(gz);
      size[gz.length - 1]! ^= 1;
      assert.throws(() => inflate(size), (e: unknown) => e instanceof CaptureFormatError && e.offset === gz.length - 4 && new RegExp(`member 1 inflated to ${text.length} bytes, its trailer says \\d+`).test(e.why));
    });

    it('bytes after the last member that are not another member', () => {
      assert.throws(() => inflate(Buffer.concat([gz, Buffer.from([0, 0, 0, 0])])), (e: unknown) => e instanceof CaptureFormatError && e.offset === gz.length && /after member 1, byte 0x00 does not start another gzip member/.test(e.why));
    });

    it('every cut of the stream short of its end is reported as truncated', () => {
      for (let n = 1; n < gz.length; n++) corruptGzip(() => inflate(gz.subarray(0, n)), /the gzip stream ends inside (a member header|the compressed data|a member trailer): the file is truncated/);
    });

    it('flipping any bit is detected, by the decoder or by the CRC, except in fields that carry no data', () => {
      const small = gzipSync(text.subarray(0, 3000));
      const undetected: string[] = [];
      for (let at = 0; at < small.length; at++) {
        for (let bit = 0; bit < 8; bit++) {
          const bad = Buffer.from(small);
          bad[at]! ^= 1 << bit;
          try {
            inflate(bad);
            undetected.push(`${at}.${bit}`);
          } catch (e) {
            assert.ok(e instanceof CaptureFormatError, `byte ${at} bit ${bit}: ${e}`);
          }
        }
      }
      // MTIME, XFL and OS (bytes 4-9; no header CRC here), the FTEXT hint (byte 3 bit 0), and the
      // padding after the last block's end code in the last compressed byte (just before the trailer).
      const last = small.length - 9;
      const carriesNoData = (k: string) => {
        const [at, bit] = k.split('.').map(Number) as [number, number];
        return (at >= 4 && at < 10) || (at === 3 && bit === 0) || at === last;
      };
      assert.deepEqual(undetected.filter((k) => !carriesNoData(k)), []);
      assert.ok(undetected.filter((k) => k.startsWith(`${last}.`)).length < 8, 'some bit of the last byte is the end code');
    });
  });
});

const withoutOffsets = ({ srcOffset: _s, dstOffset: _d, ...rest }: PacketSnapshot) => rest;
/** Stats of a compressed run with the fields that differ from the plain run's put back. */
function asPlain(stats: CaptureStats, plain: CaptureStats): CaptureStats {
  return { ...stats, compression: plain.compression, bytesRead: plain.bytesRead, inflatedBytes: plain.inflatedBytes };
}

function captureFiles(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return captureFiles(path);
    return /\.(pcap|pcapng|cap)$/.test(name) ? [path] : [];
  });
}

describe('gzip-compressed captures through CaptureStreamDecoder', { timeout: 120_000 }, () => {
  const le = true;
  const sample = concat(
    shb(le),
    idb(le, LINKTYPE_ETHERNET),
    epb(le, 0, 1_700_000_000_000_000n, ethernet(0x0800, ipv4({ protocol: 6, payload: tcp(40000, 443, 0x02) }))),
    epb(le, 0, 1_700_000_001_000_000n, ethernet(0x0806, new Array(28).fill(0))),
    epb(le, 0, 1_700_000_002_000_000n, ethernet(0x0800, ipv4({ protocol: 17, payload: udp(5353, 53, [1, 2]) }))),
  );

  it('decodes exactly like the uncompressed capture in any chunking, and says it was gzip with how many bytes it inflated', () => {
    const plain = decodeBytes(sample);
    const gz = gzipSync(sample);
    for (const size of [gz.length, 1, 2, 3, 7, 64]) {
      const got = decodeBytes(gz, size);
      assert.deepEqual(got.packets.map(withoutOffsets), plain.packets.map(withoutOffsets), `chunk size ${size}`);
      assert.equal(got.stats.compression, 'gzip');
      assert.equal(got.stats.bytesRead, gz.length);
      assert.equal(got.stats.inflatedBytes, sample.length);
      assert.deepEqual(asPlain(got.stats, plain.stats), plain.stats);
    }
    assert.equal(plain.stats.compression, 'none');
    assert.equal(plain.stats.inflatedBytes, 0);
  });

  it('every shared test capture decodes the same gzip-compressed (levels 1 and 9)', (t) => {
    if (!existsSync(PCAP_DIR)) assert.fail(`shared test captures missing: expected them at ${PCAP_DIR}`);
    const files = captureFiles(PCAP_DIR);
    assert.ok(files.length > 100);
    let compared = 0;
    for (const file of files) {
      const bytes = readFileSync(file);
      let plain;
      try {
        plain = decodeBytes(bytes);
      } catch (e) {
        // A file that is not readable as a capture must fail the same way compressed.
        assert.ok(e instanceof CaptureFormatError);
        assert.throws(() => decodeBytes(gzipSync(bytes)), (g: unknown) => g instanceof CaptureFormatError && g.why === `${e.why} (offset in the decompressed capture)`);
        continue;
      }
      for (const level of [1, 9]) {
        const gz = gzipSync(bytes, { level });
        const got = decodeBytes(gz, 8192);
        const name = `${relative(PCAP_DIR, file)} level ${level}`;
        assert.deepEqual(got.packets.map(withoutOffsets), plain.packets.map(withoutOffsets), name);
        assert.deepEqual(asPlain(got.stats, plain.stats), plain.stats, name);
        assert.equal(got.stats.inflatedBytes, bytes.length, name);
      }
      compared++;
    }
    t.diagnostic(`${compared} captures compared`);
  });

  it('a gzip of something that is not a capture: the framing error says its offset counts decompressed bytes', () => {
    assert.throws(() => decodeBytes(gzipSync(Buffer.from('this is not a capture at all'))), (e: unknown) => {
      assert.ok(e instanceof CaptureFormatError);
      assert.equal(e.offset, 0);
      assert.equal(e.why, 'unknown magic number 0x74686973 (neither pcap nor pcapng) (offset in the decompressed capture)');
      return true;
    });
    assert.throws(() => decodeBytes(gzipSync(Buffer.alloc(0))), (e: unknown) => e instanceof CaptureFormatError && /^empty: no file header \(offset in the decompressed capture\)$/.test(e.why));
  });

  it('a truncated gzip capture is a CaptureFormatError naming the source, after the packets before the cut', () => {
    const many = pcapFile({ linkType: LINKTYPE_RAW }, Array.from({ length: 2000 }, (_, i) => ({ seconds: 1_700_000_000 + i, fraction: 0, frame: ipv4({ protocol: 17, payload: udp(i, 53, [...randomBytes(40)]) }) })));
    const gz = gzipSync(many);
    const cut = gz.subarray(0, Math.floor(gz.length * 0.8));
    let decoded = 0;
    const decoder = new CaptureStreamDecoder(() => decoded++, { source: 'cut.pcap.gz' });
    for (let at = 0; at < cut.length; at += 4096) decoder.push(cut.subarray(at, at + 4096));
    assert.throws(() => decoder.end(), (e: unknown) => {
      assert.ok(e instanceof CaptureFormatError);
      assert.equal(e.source, 'cut.pcap.gz');
      assert.equal(e.offset, cut.length);
      assert.match(e.message, /^cut\.pcap\.gz: not a readable capture at byte \d+: corrupt gzip stream \(offset in the compressed file\): the gzip stream ends inside the compressed data: the file is truncated \(0 complete members, \d+ bytes inflated\)$/);
      return true;
    });
    assert.ok(decoded > 1000 && decoded < 2000, `${decoded} packets before the cut`);
  });

  it('a bomb of zeros behind a pcap header is framed in bounded memory, every zero record counted', () => {
    const zeros = 16 * 1024 * 1024;
    const bomb = gzipSync(concat(pcapFile({ linkType: LINKTYPE_RAW }, []), new Uint8Array(zeros)), { level: 9 });
    const { packets, stats } = decodeBytes(bomb, 65536, { maxProblems: 3 });
    assert.equal(packets.length, 0);
    assert.equal(stats.inflatedBytes, 24 + zeros);
    assert.equal(stats.bytesRead, bomb.length);
    // Zero-length records at time 0: each 16-byte record header is one packet with nothing captured.
    assert.equal(stats.packetsRead, zeros / 16);
    assert.deepEqual(stats.problemsByReason, { 'truncated IP header': zeros / 16 });
    assert.equal(stats.problems.length, 3);
  });

  it('readCapture reads a .pcap.gz file: progress counts file bytes, stats count both', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vpcflow-gzip-'));
    try {
      const path = join(dir, 'sample.pcapng.gz');
      const gz = gzipSync(sample);
      writeFileSync(path, gz);
      const packets: PacketSnapshot[] = [];
      const progress: number[] = [];
      const stats = await readCapture(path, (p) => packets.push(snapshot(p)), { chunkSize: 11, onProgress: (done, total) => progress.push(done / total) });
      assert.deepEqual(packets.map(withoutOffsets), decodeBytes(sample).packets.map(withoutOffsets));
      assert.equal(stats.bytesRead, gz.length);
      assert.equal(stats.inflatedBytes, sample.length);
      assert.equal(progress.at(-1), 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
