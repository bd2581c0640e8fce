// Frames pcap and pcapng records out of a byte stream fed in chunks of any size (a file read in large
// blocks, or `tcpdump -w -` on a pipe), carrying a record split across chunks, and decodes each packet.
// Records are decoded in place in the caller's chunk; only a record split across chunks is copied.
// A gzip-compressed capture (.pcap.gz, .pcapng.gz) is recognized by its magic bytes and inflated on
// the fly, so callers push the file as it is.

import { CaptureFormatError, UnsupportedLinkTypeError } from './errors.ts';
import type { CaptureCompression, CaptureFormat, CaptureInterface, CaptureStats } from './capture-stats.ts';
import { DECODED, FrameDecoder, NOT_IP, NO_PAYLOAD, SKIP_NFLOG_NO_PAYLOAD, SKIP_NOT_IP, type FrameDecoderOptions } from './frame-decoder.ts';
import { GzipInflater } from './gzip.ts';
import { isSupportedLinkType, unsupportedLinkTypeReason } from './link-types.ts';
import { MAX_PACKET_TIME_SEC, MIN_PACKET_TIME_SEC } from './packet.ts';
import type { DecodedPacket, DecodeProblem } from './packet.ts';

export interface CaptureDecoderOptions extends FrameDecoderOptions {
  /** Names the source in errors and stats (a path, 'stdin', 'tcpdump'...). */
  source?: string;
  /** How many problems to keep with details (all are counted); default 100. */
  maxProblems?: number;
}

const STAGE_START = 0;
const STAGE_PCAP = 1;
const STAGE_PCAPNG = 2;
const STAGE_STOPPED = 3;

const PCAP_MICRO = 0xa1b2c3d4;
const PCAP_MICRO_SWAPPED = 0xd4c3b2a1;
const PCAP_NANO = 0xa1b23c4d;
const PCAP_NANO_SWAPPED = 0x4d3cb2a1;
const PCAP_HEADER_LENGTH = 24;
const PCAP_RECORD_HEADER_LENGTH = 16;
/** libpcap accepts records up to the larger of the snaplen and this. */
const PCAP_MIN_MAX_RECORD = 262144;

const BLOCK_SHB = 0x0a0d0d0a;
const BLOCK_IDB = 1;
const BLOCK_PB = 2;
const BLOCK_SPB = 3;
const BLOCK_EPB = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const MIN_BLOCK_LENGTH = 12;
// The fixed fields of each block type, trailing length included (pcapng spec, draft-ietf-opsawg-pcapng
// §4.1–4.4 and appendix A). A block shorter than that cannot be read without reading past its end, into
// the next block or into whatever an earlier block left in the carry buffer.
/** Type, length, byte-order magic, major and minor version, section length (8), trailing length. */
const MIN_SHB_LENGTH = 28;
/** Type, length, link type, reserved (2), snap length, trailing length. */
const MIN_IDB_LENGTH = 20;
/** Type, length, interface id, timestamp high and low, captured length, original length, trailing length. */
const MIN_EPB_LENGTH = 32;
/** Type, length, interface id (2), drops count (2), timestamp high and low, captured and original length, trailing length. */
const MIN_PB_LENGTH = 32;
/** Type, length, original length, trailing length. */
const MIN_SPB_LENGTH = 16;
const OPTION_IF_TSRESOL = 9;
const OPTION_IF_TSOFFSET = 14;

/** Bounds a single record or block, so a corrupt length cannot make the reader buffer gigabytes. */
const MAX_RECORD_LENGTH = 64 * 1024 * 1024;
const TWO_TO_32 = 4294967296;

const REASON_TRUNCATED_RECORD = 'truncated record at end of capture';
const REASON_CORRUPT_LENGTH = 'corrupt record length; the rest of the capture cannot be framed';
const REASON_TRAILER_MISMATCH = 'pcapng block trailing length differs from its leading length';
const REASON_EPB_OVERRUN = 'captured length runs past the end of its block';
const REASON_NO_INTERFACE = 'packet refers to an interface not declared in its section';
const REASON_SHORT_BLOCK = 'pcapng block shorter than the fixed fields of its type';
const REASON_UNREADABLE_INTERFACE = 'packet refers to an interface whose description block is too short to read';
const REASON_BAD_SECTION = 'pcapng section header with an unknown byte-order magic or version; the rest of the capture cannot be read';
export const REASON_TIME_RANGE = 'timestamp out of range';

interface InterfaceState {
  info: CaptureInterface;
  /** Seconds added to every timestamp: timestamp = (high * 2^32 + low) / ticksPerSecond + offset. */
  offset: number;
  /** '' when the link type is supported, else the skip reason counted for its packets. */
  skipReason: string;
}

export class CaptureStreamDecoder {
  private readonly source: string;
  private readonly maxProblems: number;
  private readonly frames: FrameDecoder;
  private readonly packet: DecodedPacket;
  private stage = STAGE_START;
  private ended = false;
  /** Bytes pushed by the caller (compressed bytes for a gzip capture). */
  private pushed = 0;
  /** Until two bytes were seen: whether the stream is gzip is not known yet. */
  private sniff: number[] | null = [];
  private inflater: GzipInflater | null = null;
  /** Offset in the capture itself (after inflating) of the first byte of the chunk being framed. */
  private base = 0;
  private carry = new Uint8Array(65536);
  private carryLength = 0;
  private carryOffset = 0;
  private littleEndian = true;
  private format: CaptureFormat | undefined;

  private pcapInterface: InterfaceState | undefined;
  private pcapFractionScale = 1e-6;
  private pcapMaxCapturedLength = PCAP_MIN_MAX_RECORD;

  private readonly interfaces: InterfaceState[] = [];
  /**
   * The current section's interfaces by id. null: an interface description block too short to read,
   * kept in place so that the ids of the interfaces after it still point to the right ones.
   */
  private section: (InterfaceState | null)[] = [];
  private lastTimeSec = 0;

  private packetsRead = 0;
  private packetsDecoded = 0;
  private packetsSkipped = 0;
  private packetProblems = 0;
  private problemCount = 0;
  private unparsedBytes = 0;
  private readonly problems: DecodeProblem[] = [];
  private readonly problemsByReason = new Map<string, number>();
  private readonly skippedByReason = new Map<string, number>();
  private readonly unsupported: UnsupportedLinkTypeError[] = [];

  constructor(
    private readonly onPacket: (packet: DecodedPacket) => void,
    options: CaptureDecoderOptions = {},
  ) {
    this.source = options.source ?? 'capture stream';
    this.maxProblems = options.maxProblems ?? 100;
    this.frames = new FrameDecoder(options);
    this.packet = this.frames.packet;
  }

  /** Bytes pushed so far (as pushed: compressed for a gzip capture). */
  get bytesConsumed(): number {
    return this.pushed;
  }

  /**
   * Decodes every complete record in `chunk` (plus one carried over from earlier chunks) and keeps
   * a trailing partial record for the next push. The chunk may be reused by the caller afterwards.
   * Throws CaptureFormatError for an unreadable file header or corrupt gzip data; everything else
   * (including a link type without a decoder) is counted, never thrown.
   */
  push(chunk: Uint8Array): void {
    if (this.ended) throw new Error(`${this.source}: push() after end()`);
    this.pushed += chunk.length;
    if (this.sniff !== null) {
      let at = 0;
      while (this.sniff.length < 2 && at < chunk.length) this.sniff.push(chunk[at++]!);
      if (this.sniff.length < 2) return;
      const head = this.sniff;
      this.sniff = null;
      if (head[0] === 0x1f && head[1] === 0x8b) this.inflater = new GzipInflater((inflated) => this.frameChunk(inflated), this.source);
      // Bytes held from earlier pushes (usually none), then this chunk whole, uncopied.
      if (at < head.length) this.feed(Uint8Array.from(head.slice(0, head.length - at)));
      this.feed(chunk);
      return;
    }
    this.feed(chunk);
  }

  private feed(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.inflater === null) {
      this.frameChunk(chunk);
      return;
    }
    try {
      this.inflater.push(chunk);
    } catch (e) {
      throw this.inDecompressed(e);
    }
  }

  /** Framing errors inside a gzip capture: say that their offset counts decompressed bytes. */
  private inDecompressed(e: unknown): unknown {
    if (!(e instanceof CaptureFormatError) || this.inflater === null || e.why.startsWith('corrupt gzip stream')) return e;
    return new CaptureFormatError(e.source, e.offset, `${e.why} (offset in the decompressed capture)`);
  }

  private frameChunk(chunk: Uint8Array): void {
    const n = chunk.length;
    let pos = 0;
    if (this.carryLength > 0 && this.stage !== STAGE_STOPPED) {
      pos = this.completeCarried(chunk);
      if (pos < 0) {
        this.base += n;
        return;
      }
    }
    while (this.stage !== STAGE_STOPPED && pos < n) {
      const available = n - pos;
      const need = this.recordLength(chunk, pos, available);
      if (need < 0) {
        this.stopAtCorruptLength(this.base + pos);
        break;
      }
      if (need > available) {
        this.keep(chunk, pos, available);
        pos = n;
        break;
      }
      this.process(chunk, pos, need, this.base + pos);
      pos += need;
    }
    if (this.stage === STAGE_STOPPED) this.unparsedBytes += n - pos;
    this.base += n;
  }

  /** Ends the stream: a partial last record is counted as a problem. Returns the run's stats. */
  end(): CaptureStats {
    if (!this.ended) {
      this.ended = true;
      if (this.sniff !== null) {
        const head = Uint8Array.from(this.sniff);
        this.sniff = null;
        this.feed(head);
      }
      if (this.inflater !== null) {
        try {
          this.inflater.end();
        } catch (e) {
          throw this.inDecompressed(e);
        }
      }
      if (this.stage === STAGE_START) {
        throw this.inDecompressed(new CaptureFormatError(this.source, this.base, this.base === 0 ? 'empty: no file header' : 'ends inside the file header'));
      }
      if (this.carryLength > 0) {
        // The record's full length is known only once its own header was read.
        const headerLength = this.stage === STAGE_PCAP ? PCAP_RECORD_HEADER_LENGTH : MIN_BLOCK_LENGTH;
        const need = this.carryLength >= headerLength ? this.recordLength(this.carry, 0, this.carryLength) : -1;
        const of = need > 0 ? ` of ${need}` : '';
        this.addProblem(this.carryOffset, this.packetsRead, REASON_TRUNCATED_RECORD, `${REASON_TRUNCATED_RECORD} (${this.carryLength}${of} bytes present)`);
        this.unparsedBytes += this.carryLength;
        this.carryLength = 0;
      }
    }
    return this.stats();
  }

  /** A snapshot of the counts so far. */
  stats(): CaptureStats {
    const all = this.pcapInterface ? [this.pcapInterface] : this.interfaces;
    return {
      source: this.source,
      format: this.format,
      compression: this.compression(),
      bytesRead: this.pushed,
      inflatedBytes: this.inflater?.inflatedBytes ?? 0,
      unparsedBytes: this.unparsedBytes,
      packetsRead: this.packetsRead,
      packetsDecoded: this.packetsDecoded,
      packetsSkipped: this.packetsSkipped,
      skippedByReason: Object.fromEntries(this.skippedByReason),
      packetProblems: this.packetProblems,
      problemCount: this.problemCount,
      problems: this.problems.slice(),
      problemsByReason: Object.fromEntries(this.problemsByReason),
      linkTypes: [...new Set(all.map((i) => i.info.linkType))].sort((a, b) => a - b),
      interfaces: all.map((i) => ({ ...i.info })),
      unsupportedInterfaces: this.unsupported.slice(),
    };
  }

  private compression(): CaptureCompression {
    return this.inflater === null ? 'none' : 'gzip';
  }

  /** Fills the carried partial record from the chunk; returns where the chunk continues, -1 if it was used up. */
  private completeCarried(chunk: Uint8Array): number {
    let pos = 0;
    for (;;) {
      const need = this.recordLength(this.carry, 0, this.carryLength);
      if (need < 0) {
        this.stopAtCorruptLength(this.carryOffset);
        this.unparsedBytes += this.carryLength;
        this.carryLength = 0;
        return pos;
      }
      if (this.carryLength >= need) {
        this.carryLength = 0;
        this.process(this.carry, 0, need, this.carryOffset);
        return pos;
      }
      const take = Math.min(need - this.carryLength, chunk.length - pos);
      this.ensureCarryCapacity(need);
      this.carry.set(chunk.subarray(pos, pos + take), this.carryLength);
      this.carryLength += take;
      pos += take;
      if (this.carryLength < need) return -1;
    }
  }

  private keep(chunk: Uint8Array, pos: number, length: number): void {
    this.ensureCarryCapacity(length);
    this.carry.set(chunk.subarray(pos, pos + length), 0);
    this.carryLength = length;
    this.carryOffset = this.base + pos;
  }

  private ensureCarryCapacity(length: number): void {
    if (this.carry.length >= length) return;
    let size = this.carry.length;
    while (size < length) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.carry.subarray(0, this.carryLength));
    this.carry = bigger;
  }

  private u32(buf: Uint8Array, at: number): number {
    return this.littleEndian
      ? (buf[at]! | (buf[at + 1]! << 8) | (buf[at + 2]! << 16) | (buf[at + 3]! << 24)) >>> 0
      : ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
  }

  private u16(buf: Uint8Array, at: number): number {
    return this.littleEndian ? buf[at]! | (buf[at + 1]! << 8) : (buf[at]! << 8) | buf[at + 1]!;
  }

  /**
   * Length of the record starting at buf[pos] given `available` bytes: a header size when the header
   * itself is not complete yet, -1 when the length is corrupt. Reads state, never changes it.
   */
  private recordLength(buf: Uint8Array, pos: number, available: number): number {
    switch (this.stage) {
      case STAGE_PCAP: {
        if (available < PCAP_RECORD_HEADER_LENGTH) return PCAP_RECORD_HEADER_LENGTH;
        const captured = this.u32(buf, pos + 8);
        if (captured > this.pcapMaxCapturedLength) return -1;
        return PCAP_RECORD_HEADER_LENGTH + captured;
      }
      case STAGE_PCAPNG:
        return this.blockLength(buf, pos, available, false);
      case STAGE_START: {
        if (available < 4) return 4;
        const magic = ((buf[pos]! << 24) | (buf[pos + 1]! << 16) | (buf[pos + 2]! << 8) | buf[pos + 3]!) >>> 0;
        if (magic === PCAP_MICRO || magic === PCAP_MICRO_SWAPPED || magic === PCAP_NANO || magic === PCAP_NANO_SWAPPED) return PCAP_HEADER_LENGTH;
        if (magic === BLOCK_SHB) return this.blockLength(buf, pos, available, true);
        throw new CaptureFormatError(this.source, 0, `unknown magic number 0x${magic.toString(16).padStart(8, '0')} (neither pcap nor pcapng)`);
      }
      default:
        return -1;
    }
  }

  private blockLength(buf: Uint8Array, pos: number, available: number, first: boolean): number {
    if (available < MIN_BLOCK_LENGTH) return MIN_BLOCK_LENGTH;
    const isSection = buf[pos] === 0x0a && buf[pos + 1] === 0x0d && buf[pos + 2] === 0x0d && buf[pos + 3] === 0x0a;
    let littleEndian = this.littleEndian;
    if (isSection) {
      const order = sectionByteOrder(buf, pos);
      if (order === undefined) {
        if (first) throw new CaptureFormatError(this.source, 0, 'pcapng section header has an unknown byte-order magic');
        return -1;
      }
      littleEndian = order;
    }
    const length = littleEndian
      ? (buf[pos + 4]! | (buf[pos + 5]! << 8) | (buf[pos + 6]! << 16) | (buf[pos + 7]! << 24)) >>> 0
      : ((buf[pos + 4]! << 24) | (buf[pos + 5]! << 16) | (buf[pos + 6]! << 8) | buf[pos + 7]!) >>> 0;
    if (length < MIN_BLOCK_LENGTH || length % 4 !== 0 || length > MAX_RECORD_LENGTH) {
      if (first) throw new CaptureFormatError(this.source, 0, `pcapng section header has an impossible length ${length}`);
      return -1;
    }
    // Refused as soon as its length is known, so a file that ends inside such a block says the same.
    if (first && length < MIN_SHB_LENGTH) throw new CaptureFormatError(this.source, 0, shortSectionWhy(length));
    return length;
  }

  private process(buf: Uint8Array, pos: number, length: number, fileOffset: number): void {
    switch (this.stage) {
      case STAGE_PCAP:
        this.pcapRecord(buf, pos, fileOffset);
        return;
      case STAGE_PCAPNG:
        this.block(buf, pos, length, fileOffset);
        return;
      case STAGE_START:
        if (buf[pos] === 0x0a && buf[pos + 1] === 0x0d) {
          this.format = 'pcapng';
          this.stage = STAGE_PCAPNG;
          this.block(buf, pos, length, fileOffset);
        } else {
          this.pcapHeader(buf, pos, fileOffset);
        }
        return;
    }
  }

  private pcapHeader(buf: Uint8Array, pos: number, fileOffset: number): void {
    const magic = ((buf[pos]! << 24) | (buf[pos + 1]! << 16) | (buf[pos + 2]! << 8) | buf[pos + 3]!) >>> 0;
    this.littleEndian = magic === PCAP_MICRO_SWAPPED || magic === PCAP_NANO_SWAPPED;
    const nano = magic === PCAP_NANO || magic === PCAP_NANO_SWAPPED;
    const major = this.u16(buf, pos + 4);
    if (major !== 2) throw new CaptureFormatError(this.source, fileOffset + 4, `unsupported pcap version ${major}.${this.u16(buf, pos + 6)}`);
    const snapLength = this.u32(buf, pos + 16);
    // The upper bits of this field carry FCS information, the link type is the low 16 bits.
    const linkType = this.u32(buf, pos + 20) & 0xffff;
    this.format = 'pcap';
    this.pcapFractionScale = nano ? 1e-9 : 1e-6;
    this.pcapMaxCapturedLength = Math.min(Math.max(snapLength, PCAP_MIN_MAX_RECORD), MAX_RECORD_LENGTH - PCAP_RECORD_HEADER_LENGTH);
    const supported = isSupportedLinkType(linkType);
    this.pcapInterface = {
      info: { index: 0, linkType, snapLength, ticksPerSecond: nano ? 1e9 : 1e6, timeOffsetSec: 0, supported },
      offset: 0,
      skipReason: supported ? '' : unsupportedLinkTypeReason(linkType),
    };
    // Not thrown: the file is readable, only its packets cannot be dissected; every one of them is
    // counted as skipped under this reason, so the caller can report what the capture holds.
    if (!supported) this.unsupported.push(new UnsupportedLinkTypeError(linkType, this.source));
    this.stage = STAGE_PCAP;
  }

  private pcapRecord(buf: Uint8Array, pos: number, fileOffset: number): void {
    const seconds = this.u32(buf, pos);
    const fraction = this.u32(buf, pos + 4);
    const captured = this.u32(buf, pos + 8);
    const wire = this.u32(buf, pos + 12);
    this.frame(buf, pos + PCAP_RECORD_HEADER_LENGTH, captured, wire, this.pcapInterface!, seconds + fraction * this.pcapFractionScale, fileOffset);
  }

  private block(buf: Uint8Array, pos: number, length: number, fileOffset: number): void {
    if (buf[pos] === 0x0a && buf[pos + 1] === 0x0d && buf[pos + 2] === 0x0d && buf[pos + 3] === 0x0a) {
      this.sectionHeader(buf, pos, length, fileOffset);
      return;
    }
    if (this.u32(buf, pos + length - 4) !== length) {
      this.addProblem(fileOffset, this.packetsRead, REASON_TRAILER_MISMATCH, REASON_TRAILER_MISMATCH);
    }
    const type = this.u32(buf, pos);
    const minimum = minimumBlockLength(type);
    if (length < minimum) {
      this.shortBlock(type, length, minimum, fileOffset);
      return;
    }
    switch (type) {
      case BLOCK_EPB: {
        const iface = this.section[this.u32(buf, pos + 8)];
        const captured = this.u32(buf, pos + 20);
        if (!this.checkPacketBlock(iface, this.u32(buf, pos + 8), captured, length - 32, fileOffset)) return;
        const time = (this.u32(buf, pos + 12) * TWO_TO_32 + this.u32(buf, pos + 16)) / iface!.info.ticksPerSecond + iface!.offset;
        this.frame(buf, pos + 28, captured, this.u32(buf, pos + 24), iface!, time, fileOffset);
        return;
      }
      case BLOCK_SPB: {
        const iface = this.section[0];
        const wire = this.u32(buf, pos + 8);
        let captured = Math.min(wire, length - 16);
        if (iface && iface.info.snapLength > 0 && captured > iface.info.snapLength) captured = iface.info.snapLength;
        if (!this.checkPacketBlock(iface, 0, captured, length - 16, fileOffset)) return;
        // A simple packet block has no timestamp: it gets the time of the packet before it.
        this.frame(buf, pos + 12, captured, wire, iface!, this.lastTimeSec, fileOffset);
        return;
      }
      case BLOCK_PB: {
        const iface = this.section[this.u16(buf, pos + 8)];
        const captured = this.u32(buf, pos + 20);
        if (!this.checkPacketBlock(iface, this.u16(buf, pos + 8), captured, length - 32, fileOffset)) return;
        const time = (this.u32(buf, pos + 12) * TWO_TO_32 + this.u32(buf, pos + 16)) / iface!.info.ticksPerSecond + iface!.offset;
        this.frame(buf, pos + 28, captured, this.u32(buf, pos + 24), iface!, time, fileOffset);
        return;
      }
      case BLOCK_IDB:
        this.interfaceBlock(buf, pos, length);
        return;
      default:
        // Name resolution, interface statistics, decryption secrets, custom and unknown blocks.
        return;
    }
  }

  /**
   * A block too short for its own fixed fields: a packet block is a packet that cannot be read; an
   * interface description block declares an interface whose packets cannot be read.
   */
  private shortBlock(type: number, length: number, minimum: number, fileOffset: number): void {
    const detail = `${REASON_SHORT_BLOCK} (${blockName(type)} of ${length} bytes, its fixed fields take ${minimum})`;
    if (type === BLOCK_IDB) {
      this.addProblem(fileOffset, this.packetsRead, REASON_SHORT_BLOCK, detail);
      this.section.push(null);
      return;
    }
    const index = this.packetsRead++;
    this.packetProblems++;
    this.addProblem(fileOffset, index, REASON_SHORT_BLOCK, detail);
  }

  private checkPacketBlock(iface: InterfaceState | null | undefined, id: number, captured: number, room: number, fileOffset: number): boolean {
    if (iface != null && captured <= room) return true;
    const index = this.packetsRead++;
    this.packetProblems++;
    if (iface === undefined) this.addProblem(fileOffset, index, REASON_NO_INTERFACE, `${REASON_NO_INTERFACE} (interface ${id})`);
    else if (iface === null) this.addProblem(fileOffset, index, REASON_UNREADABLE_INTERFACE, `${REASON_UNREADABLE_INTERFACE} (interface ${id})`);
    else this.addProblem(fileOffset, index, REASON_EPB_OVERRUN, `${REASON_EPB_OVERRUN} (${captured} bytes, room for ${room})`);
    return false;
  }

  private sectionHeader(buf: Uint8Array, pos: number, length: number, fileOffset: number): void {
    const first = fileOffset === 0;
    // A short first one was refused by blockLength as soon as its length was read. A later one starts
    // a section whose version is unknown, so nothing after it can be trusted to be read right.
    if (length < MIN_SHB_LENGTH) {
      this.addProblem(fileOffset, this.packetsRead, REASON_SHORT_BLOCK, `${REASON_SHORT_BLOCK} (${blockName(BLOCK_SHB)} of ${length} bytes, its fixed fields take ${MIN_SHB_LENGTH}; the rest of the capture cannot be read)`);
      this.stage = STAGE_STOPPED;
      return;
    }
    const order = sectionByteOrder(buf, pos);
    const major = order === undefined ? -1 : order ? buf[pos + 12]! | (buf[pos + 13]! << 8) : (buf[pos + 12]! << 8) | buf[pos + 13]!;
    if (order === undefined || major !== 1) {
      const why = order === undefined ? 'unknown byte-order magic' : `unsupported pcapng version ${major}`;
      if (first) throw new CaptureFormatError(this.source, fileOffset, `pcapng section header: ${why}`);
      this.addProblem(fileOffset, this.packetsRead, REASON_BAD_SECTION, `${REASON_BAD_SECTION} (${why})`);
      this.stage = STAGE_STOPPED;
      return;
    }
    this.littleEndian = order;
    this.section = [];
    if (this.u32(buf, pos + length - 4) !== length) {
      this.addProblem(fileOffset, this.packetsRead, REASON_TRAILER_MISMATCH, REASON_TRAILER_MISMATCH);
    }
  }

  private interfaceBlock(buf: Uint8Array, pos: number, length: number): void {
    const linkType = this.u16(buf, pos + 8);
    const snapLength = this.u32(buf, pos + 12);
    let ticksPerSecond = 1e6;
    let timeOffsetSec = 0;
    let at = pos + 16;
    const optionsEnd = pos + length - 4;
    while (optionsEnd - at >= 4) {
      const code = this.u16(buf, at);
      const size = this.u16(buf, at + 2);
      if (code === 0 || at + 4 + size > optionsEnd) break;
      if (code === OPTION_IF_TSRESOL && size >= 1) {
        const v = buf[at + 4]!;
        // High bit set: a negative power of 2; clear: a negative power of 10.
        ticksPerSecond = v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
      } else if (code === OPTION_IF_TSOFFSET && size >= 8) {
        const first = this.u32(buf, at + 4);
        const second = this.u32(buf, at + 8);
        const high = this.littleEndian ? second | 0 : first | 0;
        const low = this.littleEndian ? first : second;
        timeOffsetSec = high * TWO_TO_32 + low;
      }
      at += 4 + ((size + 3) & ~3);
    }
    const index = this.interfaces.length;
    const supported = isSupportedLinkType(linkType);
    const state: InterfaceState = {
      info: { index, linkType, snapLength, ticksPerSecond, timeOffsetSec, supported },
      offset: timeOffsetSec,
      skipReason: supported ? '' : unsupportedLinkTypeReason(linkType),
    };
    if (!supported) this.unsupported.push(new UnsupportedLinkTypeError(linkType, this.source, index));
    this.interfaces.push(state);
    this.section.push(state);
  }

  private frame(buf: Uint8Array, start: number, captured: number, wire: number, iface: InterfaceState, timeSec: number, fileOffset: number): void {
    const index = this.packetsRead++;
    // False for NaN too. The flow stage's windows and flow tables, and AWS's start/end, assume this range.
    const inRange = timeSec >= MIN_PACKET_TIME_SEC && timeSec < MAX_PACKET_TIME_SEC;
    if (inRange) this.lastTimeSec = timeSec;
    if (iface.skipReason !== '') {
      this.skip(iface.skipReason);
      return;
    }
    if (!inRange) {
      this.packetProblems++;
      if (this.countProblem(REASON_TIME_RANGE)) this.keepProblem(fileOffset, index, `${REASON_TIME_RANGE} (${timeSec} s since 1970; a packet time must lie in [1970-01-01T00:00:00Z, 2106-02-07T06:28:16Z))`);
      return;
    }
    const p = this.packet;
    p.timeSec = timeSec;
    p.packetIndex = index;
    p.interfaceIndex = iface.info.index;
    p.linkType = iface.info.linkType;
    const status = this.frames.decode(buf, start, captured, wire, iface.info.linkType);
    if (status === DECODED) {
      this.packetsDecoded++;
      this.onPacket(p);
    } else if (status === NOT_IP) {
      this.skip(SKIP_NOT_IP);
    } else if (status === NO_PAYLOAD) {
      this.skip(SKIP_NFLOG_NO_PAYLOAD);
    } else {
      this.packetProblems++;
      const f = this.frames;
      if (this.countProblem(f.problemReason)) {
        const detail = f.problemUnit === '' ? `${f.problemValue}` : `${f.problemValue} ${f.problemUnit}`;
        this.keepProblem(fileOffset, index, `${f.problemReason} (${detail})`);
      }
    }
  }

  private skip(reason: string): void {
    this.packetsSkipped++;
    this.skippedByReason.set(reason, (this.skippedByReason.get(reason) ?? 0) + 1);
  }

  /** Counts a problem under its fixed reason; true when it should also be kept with details (under the cap). */
  private countProblem(reason: string): boolean {
    this.problemCount++;
    this.problemsByReason.set(reason, (this.problemsByReason.get(reason) ?? 0) + 1);
    return this.problems.length < this.maxProblems;
  }

  private keepProblem(fileOffset: number, packetIndex: number, detail: string): void {
    this.problems.push({ fileOffset, packetIndex, reason: detail });
  }

  /** For rare, file-level problems whose detail text is cheap to build every time. */
  private addProblem(fileOffset: number, packetIndex: number, reason: string, detail: string): void {
    if (this.countProblem(reason)) this.keepProblem(fileOffset, packetIndex, detail);
  }

  private stopAtCorruptLength(fileOffset: number): void {
    this.addProblem(fileOffset, this.packetsRead, REASON_CORRUPT_LENGTH, REASON_CORRUPT_LENGTH);
    this.stage = STAGE_STOPPED;
  }
}

/** Length of a block type's fixed fields, trailing length included; 12 (type, length, trailing length) for the types skipped unread. */
function minimumBlockLength(type: number): number {
  switch (type) {
    case BLOCK_IDB:
      return MIN_IDB_LENGTH;
    case BLOCK_EPB:
      return MIN_EPB_LENGTH;
    case BLOCK_PB:
      return MIN_PB_LENGTH;
    case BLOCK_SPB:
      return MIN_SPB_LENGTH;
    default:
      return MIN_BLOCK_LENGTH;
  }
}

function blockName(type: number): string {
  switch (type) {
    case BLOCK_SHB:
      return 'section header block';
    case BLOCK_IDB:
      return 'interface description block';
    case BLOCK_EPB:
      return 'enhanced packet block';
    case BLOCK_PB:
      return 'packet block';
    case BLOCK_SPB:
      return 'simple packet block';
    default:
      return `block of type 0x${type.toString(16).padStart(8, '0')}`;
  }
}

function shortSectionWhy(length: number): string {
  return `pcapng section header block of ${length} bytes, shorter than its ${MIN_SHB_LENGTH} bytes of fixed fields`;
}

/** true: little-endian section, false: big-endian, undefined: not a byte-order magic. */
function sectionByteOrder(buf: Uint8Array, pos: number): boolean | undefined {
  const be = ((buf[pos + 8]! << 24) | (buf[pos + 9]! << 16) | (buf[pos + 10]! << 8) | buf[pos + 11]!) >>> 0;
  if (be === BYTE_ORDER_MAGIC) return false;
  const le = (buf[pos + 8]! | (buf[pos + 9]! << 8) | (buf[pos + 10]! << 16) | (buf[pos + 11]! << 24)) >>> 0;
  if (le === BYTE_ORDER_MAGIC) return true;
  return undefined;
}
