// Streaming gzip (RFC 1952) decompression for captures stored as .pcap.gz / .pcapng.gz: DEFLATE
// (RFC 1951) decoded synchronously, chunk by chunk, in fixed memory (a 32 KiB history plus a 64 KiB
// output block), handing inflated bytes to a sink as they are produced.
//
// Why not node:zlib: its streams deliver output asynchronously, while CaptureStreamDecoder.push() is
// synchronous (callers push a chunk, then drain closed windows, then call end() and read the stats);
// zlib's synchronous calls want the whole input and return the whole output at once, which a gzip
// bomb turns into gigabytes. node:zlib still computes the CRC-32 of the output.

import { crc32 } from 'node:zlib';
import { CaptureFormatError } from './errors.ts';

const WINDOW = 32768;
const OUT_SIZE = WINDOW + 65536;
const MAX_MATCH = 258;

const S_MEMBER = 0;
const S_HEADER = 1;
const S_EXTRA_LENGTH = 2;
const S_EXTRA = 3;
const S_NAME = 4;
const S_COMMENT = 5;
const S_HEADER_CRC = 6;
const S_BLOCK = 7;
const S_STORED_LENGTH = 8;
const S_STORED = 9;
const S_TABLE = 10;
const S_CODE_LENGTHS = 11;
const S_LENGTHS = 12;
const S_CODES = 13;
const S_DISTANCE = 14;
const S_DISTANCE_EXTRA = 15;
const S_TRAILER = 16;

const FLAG_HCRC = 2;
const FLAG_EXTRA = 4;
const FLAG_NAME = 8;
const FLAG_COMMENT = 16;
const FLAG_RESERVED = 0xe0;

const LENGTH_BASE = Uint16Array.from([3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]);
const LENGTH_EXTRA = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]);
const DISTANCE_BASE = Uint16Array.from([1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]);
const DISTANCE_EXTRA = Uint8Array.from([0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]);
/** The order in which a dynamic block lists the code-length code's lengths. */
const CODE_LENGTH_ORDER = Uint8Array.from([16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]);

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of one more byte, for the header CRC (headers are short; the data goes through zlib). */
function crcByte(crc: number, byte: number): number {
  const c = ~crc >>> 0;
  return ~(CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8)) >>> 0;
}

/**
 * A canonical Huffman code as a lookup table indexed by the next `bits` input bits (least significant
 * first, as DEFLATE packs codes): entry = symbol << 4 | code length, 0 where no code matches.
 */
class HuffmanTable {
  readonly entries: Uint16Array;
  bits = 0;
  private static readonly counts = new Uint16Array(16);
  private static readonly next = new Uint16Array(16);

  constructor(maxBits: number) {
    this.entries = new Uint16Array(1 << maxBits);
  }

  /** Builds from code lengths; returns the unused code space (0: complete), or -1 when over-subscribed. */
  build(lengths: Uint8Array, start: number, n: number): number {
    const count = HuffmanTable.counts;
    const next = HuffmanTable.next;
    count.fill(0);
    for (let i = 0; i < n; i++) count[lengths[start + i]!]!++;
    let maxLength = 0;
    let left = 1;
    for (let len = 1; len <= 15; len++) {
      left = (left << 1) - count[len]!;
      if (left < 0) return -1;
      if (count[len]! > 0) maxLength = len;
    }
    let code = 0;
    for (let len = 1; len <= 15; len++) {
      code = (code + count[len - 1]!) << 1;
      next[len] = code;
    }
    const size = 1 << maxLength;
    this.bits = maxLength;
    this.entries.fill(0, 0, size);
    for (let symbol = 0; symbol < n; symbol++) {
      const len = lengths[start + symbol]!;
      if (len === 0) continue;
      const c = next[len]!++;
      let reversed = 0;
      for (let b = 0; b < len; b++) reversed |= ((c >>> b) & 1) << (len - 1 - b);
      const entry = (symbol << 4) | len;
      for (let at = reversed; at < size; at += 1 << len) this.entries[at] = entry;
    }
    return left;
  }

  /** Number of symbols with a code (for the "a single code of length 1" exception). */
  static codes(lengths: Uint8Array, start: number, n: number): number {
    let k = 0;
    for (let i = 0; i < n; i++) if (lengths[start + i] !== 0) k++;
    return k;
  }
}

const FIXED_LITERALS = new HuffmanTable(9);
const FIXED_DISTANCES = new HuffmanTable(5);
{
  const lengths = new Uint8Array(288);
  lengths.fill(8, 0, 144);
  lengths.fill(9, 144, 256);
  lengths.fill(7, 256, 280);
  lengths.fill(8, 280, 288);
  FIXED_LITERALS.build(lengths, 0, 288);
  // 30 distance codes of 5 bits; codes 30 and 31 stay empty, so using them is an invalid-code error.
  FIXED_DISTANCES.build(new Uint8Array(30).fill(5), 0, 30);
}

/**
 * Inflates a gzip stream (one or more members, as `cat a.gz b.gz` makes) pushed in chunks of any
 * size; every byte produced goes to `sink` before push() returns. The sink gets a view into the
 * inflater's buffer, valid only during the call. Corrupt data throws CaptureFormatError at the
 * compressed offset where it was found.
 */
export class GzipInflater {
  /** Compressed bytes pushed so far. */
  compressedBytes = 0;
  /** Bytes inflated so far, all members together. */
  inflatedBytes = 0;
  /** Members decoded completely (trailer checked). */
  members = 0;

  private state = S_MEMBER;
  private input: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private bitBuffer = 0;
  private bitCount = 0;
  private readonly out = new Uint8Array(OUT_SIZE);
  private outPos = 0;
  private emitted = 0;
  /** Output of the current member: bounds back-references and is checked against ISIZE. */
  private memberBytes = 0;
  private crc = 0;

  private headerCount = 0;
  private flags = 0;
  private headerCrc = 0;
  private word = 0;
  private extraLeft = 0;

  private final = false;
  private storedLeft = 0;
  private literalCount = 0;
  private distanceCount = 0;
  private codeLengthCount = 0;
  private lengthIndex = 0;
  private readonly lengths = new Uint8Array(320);
  private readonly codeLengthTable = new HuffmanTable(7);
  private readonly dynamicLiterals = new HuffmanTable(15);
  private readonly dynamicDistances = new HuffmanTable(15);
  private literals = FIXED_LITERALS;
  private distances = FIXED_DISTANCES;
  private matchLength = 0;
  private distanceCode = 0;

  constructor(
    private readonly sink: (inflated: Uint8Array) => void,
    private readonly source: string,
  ) {}

  push(chunk: Uint8Array): void {
    this.input = chunk;
    this.pos = 0;
    try {
      this.run();
      this.emit();
    } finally {
      this.compressedBytes += chunk.length;
      this.input = new Uint8Array(0);
    }
  }

  /** Checks that the stream ended after a complete member. */
  end(): void {
    if (this.state === S_MEMBER && this.headerCount === 0 && this.members > 0) return;
    const where = this.state <= S_HEADER_CRC ? 'a member header' : this.state === S_TRAILER ? 'a member trailer' : 'the compressed data';
    throw this.error(`the gzip stream ends inside ${where}: the file is truncated (${this.members} complete members, ${this.inflatedBytes} bytes inflated)`, this.compressedBytes);
  }

  private error(what: string, offset = this.offset()): CaptureFormatError {
    return new CaptureFormatError(this.source, offset, `corrupt gzip stream (offset in the compressed file): ${what}`);
  }

  /** Compressed offset of the byte holding the next bit not yet used (bits read ahead count as unused). */
  private offset(): number {
    return this.compressedBytes + this.pos - ((this.bitCount + 7) >>> 3);
  }

  /** The next whole byte: from the bit buffer when a byte-aligned field follows bits read ahead, else the input; -1 if none. */
  private nextByte(): number {
    if (this.bitCount >= 8) {
      const b = this.bitBuffer & 0xff;
      this.bitBuffer >>>= 8;
      this.bitCount -= 8;
      return b;
    }
    return this.pos < this.input.length ? this.input[this.pos++]! : -1;
  }

  /** Loads input bytes until `n` (at most 20) bits are buffered or the input runs out; true if there are n. */
  private need(n: number): boolean {
    while (this.bitCount < n) {
      if (this.pos >= this.input.length) return false;
      this.bitBuffer |= this.input[this.pos++]! << this.bitCount;
      this.bitCount += 8;
    }
    return true;
  }

  private drop(n: number): void {
    this.bitBuffer >>>= n;
    this.bitCount -= n;
  }

  /** Hands inflated bytes not yet emitted to the sink, folding them into the member's CRC. */
  private emit(): void {
    if (this.outPos === this.emitted) return;
    const piece = this.out.subarray(this.emitted, this.outPos);
    this.crc = crc32(piece, this.crc);
    this.inflatedBytes += piece.length;
    this.emitted = this.outPos;
    this.sink(piece);
  }

  /** Emits, then keeps only the last 32 KiB (all a back-reference can reach) at the buffer's start. */
  private slide(): void {
    this.emit();
    if (this.outPos > WINDOW) {
      this.out.copyWithin(0, this.outPos - WINDOW, this.outPos);
      this.outPos = WINDOW;
      this.emitted = WINDOW;
    }
  }

  /** Runs the state machine until the input is used up (state kept for the next chunk). */
  private run(): void {
    for (;;) {
      switch (this.state) {
        case S_MEMBER: {
          if (this.headerCount === 0) {
            const b = this.nextByte();
            if (b < 0) return;
            if (b !== 0x1f) throw this.error(`after member ${this.members}, byte 0x${b.toString(16).padStart(2, '0')} does not start another gzip member (magic 1f 8b)`, this.offset() - 1);
            this.headerCount = 1;
            this.headerCrc = crcByte(0, b);
          }
          this.state = S_HEADER;
          break;
        }
        case S_HEADER: {
          // Fixed part: ID1 ID2 CM FLG MTIME(4) XFL OS.
          while (this.headerCount < 10) {
            const b = this.nextByte();
            if (b < 0) return;
            const at = this.headerCount++;
            this.headerCrc = crcByte(this.headerCrc, b);
            if (at === 1 && b !== 0x8b) throw this.error(`byte 0x${b.toString(16).padStart(2, '0')} after 1f is not the gzip magic 8b`, this.offset() - 1);
            if (at === 2 && b !== 8) throw this.error(`compression method ${b} is not deflate (8)`, this.offset() - 1);
            if (at === 3) {
              if (b & FLAG_RESERVED) throw this.error(`reserved header flag bits set (flags 0x${b.toString(16)})`, this.offset() - 1);
              this.flags = b;
            }
          }
          this.word = 0;
          this.extraLeft = 0;
          this.state = this.flags & FLAG_EXTRA ? S_EXTRA_LENGTH : S_NAME;
          break;
        }
        case S_EXTRA_LENGTH: {
          while (this.extraLeft < 2) {
            const b = this.nextByte();
            if (b < 0) return;
            this.headerCrc = crcByte(this.headerCrc, b);
            this.word |= b << (8 * this.extraLeft++);
          }
          this.extraLeft = this.word;
          this.state = S_EXTRA;
          break;
        }
        case S_EXTRA:
        case S_NAME:
        case S_COMMENT: {
          const s = this.state;
          const wanted = s === S_EXTRA || (s === S_NAME && this.flags & FLAG_NAME) || (s === S_COMMENT && this.flags & FLAG_COMMENT);
          if (wanted) {
            for (;;) {
              if (s === S_EXTRA && this.extraLeft === 0) break;
              const b = this.nextByte();
              if (b < 0) return;
              this.headerCrc = crcByte(this.headerCrc, b);
              if (s === S_EXTRA) this.extraLeft--;
              else if (b === 0) break;
            }
          }
          this.word = 0;
          this.extraLeft = 0;
          this.state = s === S_EXTRA ? S_NAME : s === S_NAME ? S_COMMENT : this.flags & FLAG_HCRC ? S_HEADER_CRC : S_BLOCK;
          if (this.state === S_BLOCK) this.startMember();
          break;
        }
        case S_HEADER_CRC: {
          while (this.extraLeft < 2) {
            const b = this.nextByte();
            if (b < 0) return;
            this.word |= b << (8 * this.extraLeft++);
          }
          const expected = this.headerCrc & 0xffff;
          if (this.word !== expected) throw this.error(`header CRC-16 is 0x${this.word.toString(16)}, the header's bytes give 0x${expected.toString(16)}`, this.offset() - 2);
          this.state = S_BLOCK;
          this.startMember();
          break;
        }
        case S_BLOCK: {
          if (this.final) {
            // Whole bytes follow the last block: the trailer.
            this.emit();
            this.drop(this.bitCount & 7);
            this.word = 0;
            this.extraLeft = 0;
            this.state = S_TRAILER;
            break;
          }
          if (!this.need(3)) return;
          const type = (this.bitBuffer >>> 1) & 3;
          if (type === 3) throw this.error('block type 3 is reserved');
          this.final = (this.bitBuffer & 1) === 1;
          this.drop(3);
          if (type === 0) {
            this.drop(this.bitCount & 7);
            this.word = 0;
            this.extraLeft = 0;
            this.state = S_STORED_LENGTH;
          } else if (type === 1) {
            this.literals = FIXED_LITERALS;
            this.distances = FIXED_DISTANCES;
            this.state = S_CODES;
          } else {
            this.state = S_TABLE;
          }
          break;
        }
        case S_STORED_LENGTH: {
          while (this.extraLeft < 4) {
            const b = this.nextByte();
            if (b < 0) return;
            this.word = (this.word | (b << (8 * this.extraLeft++))) >>> 0;
          }
          const length = this.word & 0xffff;
          if ((this.word >>> 16) !== (~length & 0xffff)) throw this.error(`stored block length ${length} does not match its one's complement 0x${(this.word >>> 16).toString(16)}`, this.offset() - 4);
          this.storedLeft = length;
          this.state = S_STORED;
          break;
        }
        case S_STORED: {
          while (this.storedLeft > 0) {
            if (this.outPos === OUT_SIZE) this.slide();
            // The bit buffer is empty here: the length field ended on a byte boundary.
            const available = this.input.length - this.pos;
            if (available === 0) return;
            const n = Math.min(this.storedLeft, available, OUT_SIZE - this.outPos);
            this.out.set(this.input.subarray(this.pos, this.pos + n), this.outPos);
            this.pos += n;
            this.outPos += n;
            this.memberBytes += n;
            this.storedLeft -= n;
          }
          this.state = S_BLOCK;
          break;
        }
        case S_TABLE: {
          if (!this.need(14)) return;
          this.literalCount = (this.bitBuffer & 31) + 257;
          this.distanceCount = ((this.bitBuffer >>> 5) & 31) + 1;
          this.codeLengthCount = ((this.bitBuffer >>> 10) & 15) + 4;
          this.drop(14);
          if (this.literalCount > 286) throw this.error(`dynamic block declares ${this.literalCount} literal/length codes (at most 286)`);
          if (this.distanceCount > 30) throw this.error(`dynamic block declares ${this.distanceCount} distance codes (at most 30)`);
          this.lengthIndex = 0;
          this.state = S_CODE_LENGTHS;
          break;
        }
        case S_CODE_LENGTHS: {
          while (this.lengthIndex < this.codeLengthCount) {
            if (!this.need(3)) return;
            this.lengths[CODE_LENGTH_ORDER[this.lengthIndex++]!] = this.bitBuffer & 7;
            this.drop(3);
          }
          for (let i = this.codeLengthCount; i < 19; i++) this.lengths[CODE_LENGTH_ORDER[i]!] = 0;
          if (this.codeLengthTable.build(this.lengths, 0, 19) !== 0) throw this.error('the code-length code is incomplete or over-subscribed');
          this.lengthIndex = 0;
          this.state = S_LENGTHS;
          break;
        }
        case S_LENGTHS: {
          if (!this.readLengths()) return;
          this.buildDynamicTables();
          this.state = S_CODES;
          break;
        }
        case S_CODES:
        case S_DISTANCE:
        case S_DISTANCE_EXTRA: {
          if (!this.codes()) return;
          break;
        }
        case S_TRAILER: {
          while (this.extraLeft < 8) {
            const b = this.nextByte();
            if (b < 0) return;
            if (this.extraLeft === 4) {
              const crc = this.word >>> 0;
              if (crc !== this.crc) throw this.error(`CRC-32 of member ${this.members + 1}'s inflated data is 0x${this.crc.toString(16).padStart(8, '0')}, its trailer says 0x${crc.toString(16).padStart(8, '0')}`, this.offset() - 5);
              this.word = 0;
            }
            this.word = (this.word | (b << (8 * (this.extraLeft++ & 3)))) >>> 0;
          }
          const size = this.word >>> 0;
          const actual = this.memberBytes % 4294967296;
          if (size !== actual) throw this.error(`member ${this.members + 1} inflated to ${this.memberBytes} bytes, its trailer says ${size} (mod 2^32)`, this.offset() - 4);
          this.members++;
          this.headerCount = 0;
          this.state = S_MEMBER;
          break;
        }
      }
    }
  }

  private startMember(): void {
    this.final = false;
    this.memberBytes = 0;
    this.crc = 0;
  }

  /** Decodes code lengths of the literal/length and distance codes; false when input ran out. */
  private readLengths(): boolean {
    const table = this.codeLengthTable;
    const total = this.literalCount + this.distanceCount;
    const mask = (1 << table.bits) - 1;
    while (this.lengthIndex < total) {
      this.need(14);
      const entry = table.entries[this.bitBuffer & mask]!;
      const len = entry & 15;
      if (len === 0 || len > this.bitCount) {
        if (len === 0 && this.bitCount >= table.bits) throw this.error('invalid code-length symbol');
        return false;
      }
      const symbol = entry >>> 4;
      if (symbol < 16) {
        this.lengths[this.lengthIndex++] = symbol;
        this.drop(len);
        continue;
      }
      const extra = symbol === 16 ? 2 : symbol === 17 ? 3 : 7;
      if (len + extra > this.bitCount) return false;
      const repeat = (symbol === 16 ? 3 : symbol === 17 ? 3 : 11) + ((this.bitBuffer >>> len) & ((1 << extra) - 1));
      if (symbol === 16 && this.lengthIndex === 0) throw this.error('code length 16 (repeat the previous length) comes first');
      if (this.lengthIndex + repeat > total) throw this.error(`code lengths repeat past the ${total} codes the block declares`);
      const value = symbol === 16 ? this.lengths[this.lengthIndex - 1]! : 0;
      this.lengths.fill(value, this.lengthIndex, this.lengthIndex + repeat);
      this.lengthIndex += repeat;
      this.drop(len + extra);
    }
    return true;
  }

  private buildDynamicTables(): void {
    const nl = this.literalCount;
    const nd = this.distanceCount;
    if (this.lengths[256] === 0) throw this.error('the literal/length code has no end-of-block code');
    const l = this.dynamicLiterals.build(this.lengths, 0, nl);
    // Like zlib: an incomplete code is allowed only when it is a single code of length 1.
    if (l < 0 || (l > 0 && !(HuffmanTable.codes(this.lengths, 0, nl) === 1 && this.dynamicLiterals.bits === 1))) {
      throw this.error(`the literal/length code is ${l < 0 ? 'over-subscribed' : 'incomplete'}`);
    }
    const d = this.dynamicDistances.build(this.lengths, nl, nd);
    if (d < 0 || (d > 0 && this.dynamicDistances.bits > 1)) {
      throw this.error(`the distance code is ${d < 0 ? 'over-subscribed' : 'incomplete'}`);
    }
    this.literals = this.dynamicLiterals;
    this.distances = this.dynamicDistances;
  }

  /**
   * Literal/length symbols, and the distance of each match, until the block ends (true) or the input
   * runs out (false, the state says where to resume). The hot loop: everything in locals, no calls.
   */
  private codes(): boolean {
    const literals = this.literals.entries;
    const literalBits = this.literals.bits;
    const literalMask = (1 << literalBits) - 1;
    const distances = this.distances.entries;
    const distanceBits = this.distances.bits;
    const distanceMask = (1 << distanceBits) - 1;
    const input = this.input;
    const inputLength = input.length;
    const out = this.out;
    let pos = this.pos;
    let bits = this.bitBuffer;
    let count = this.bitCount;
    let outPos = this.outPos;
    let memberBytes = this.memberBytes;
    let state = this.state;
    let length = this.matchLength;
    let code = this.distanceCode;
    const fail = (what: string): CaptureFormatError => {
      this.pos = pos;
      this.bitCount = count;
      return this.error(what);
    };
    try {
      for (;;) {
        if (state === S_CODES) {
          while (count < 20 && pos < inputLength) {
            bits |= input[pos++]! << count;
            count += 8;
          }
          const entry = literals[bits & literalMask]!;
          const len = entry & 15;
          if (len === 0 || len > count) {
            if (len === 0 && count >= literalBits) throw fail('invalid literal/length code');
            return false;
          }
          const symbol = entry >>> 4;
          if (symbol < 256) {
            if (outPos === OUT_SIZE) {
              this.outPos = outPos;
              this.slide();
              outPos = this.outPos;
            }
            out[outPos++] = symbol;
            memberBytes++;
            bits >>>= len;
            count -= len;
            continue;
          }
          if (symbol === 256) {
            bits >>>= len;
            count -= len;
            state = S_BLOCK;
            return true;
          }
          const index = symbol - 257;
          if (index >= 29) throw fail(`invalid literal/length symbol ${symbol}`);
          const extra = LENGTH_EXTRA[index]!;
          if (len + extra > count) return false;
          length = LENGTH_BASE[index]! + ((bits >>> len) & ((1 << extra) - 1));
          bits >>>= len + extra;
          count -= len + extra;
          state = S_DISTANCE;
        }
        if (state === S_DISTANCE) {
          while (count < 15 && pos < inputLength) {
            bits |= input[pos++]! << count;
            count += 8;
          }
          const entry = distances[bits & distanceMask]!;
          const len = entry & 15;
          if (len === 0 || len > count) {
            if (len === 0 && count >= distanceBits) throw fail('invalid distance code');
            return false;
          }
          code = entry >>> 4;
          bits >>>= len;
          count -= len;
          state = S_DISTANCE_EXTRA;
        }
        const extra = DISTANCE_EXTRA[code]!;
        while (count < extra && pos < inputLength) {
          bits |= input[pos++]! << count;
          count += 8;
        }
        if (count < extra) return false;
        const distance = DISTANCE_BASE[code]! + (bits & ((1 << extra) - 1));
        bits >>>= extra;
        count -= extra;
        if (distance > memberBytes) throw fail(`a match reaches ${distance} bytes back, before the start of the member's data (${memberBytes} bytes)`);
        if (OUT_SIZE - outPos < MAX_MATCH) {
          this.outPos = outPos;
          this.slide();
          outPos = this.outPos;
        }
        let from = outPos - distance;
        if (distance === 1) {
          out.fill(out[from]!, outPos, outPos + length);
          outPos += length;
        } else if (length > 32 && distance >= length) {
          out.copyWithin(outPos, from, from + length);
          outPos += length;
        } else {
          // Forward byte by byte: a match may overlap the bytes it produces (distance < length is a run).
          for (const stop = outPos + length; outPos < stop; ) out[outPos++] = out[from++]!;
        }
        memberBytes += length;
        state = S_CODES;
      }
    } finally {
      this.pos = pos;
      this.bitBuffer = bits;
      this.bitCount = count;
      this.outPos = outPos;
      this.memberBytes = memberBytes;
      this.state = state;
      this.matchLength = length;
      this.distanceCode = code;
    }
  }
}
