// Frames pcap and pcapng records out of a byte stream fed in chunks of any size (a file read in large
// blocks, or `tcpdump -w -` on a pipe), carrying a record split across chunks, and decodes each packet.
// Records are decoded in place in the caller's chunk; only a record split across chunks is copied.

import { CaptureFormatError, UnsupportedLinkTypeError } from './errors.ts';
import type { CaptureFormat, CaptureInterface, CaptureStats } from './capture-stats.ts';
import { DECODED, FrameDecoder, NOT_IP, NO_PAYLOAD, SKIP_NFLOG_NO_PAYLOAD, SKIP_NOT_IP, type FrameDecoderOptions } from './frame-decoder.ts';
import { isSupportedLinkType } from './link-types.ts';
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
const REASON_BAD_SECTION = 'pcapng section header with an unknown byte-order magic or version; the rest of the capture cannot be read';

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
  /** File offset of the first byte of the chunk being pushed. */
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
  private section: InterfaceState[] = [];
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

  /** Bytes pushed so far. */
  get bytesConsumed(): number {
    return this.base;
  }

  /**
   * Decodes every complete record in `chunk` (plus one carried over from earlier chunks) and keeps
   * a trailing partial record for the next push. The chunk may be reused by the caller afterwards.
   * Throws CaptureFormatError for an unreadable file header, UnsupportedLinkTypeError for a pcap
   * file whose link type has no decoder; everything else is counted, never thrown.
   */
  push(chunk: Uint8Array): void {
    if (this.ended) throw new Error(`${this.source}: push() after end()`);
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
      if (this.stage === STAGE_START) {
        throw new CaptureFormatError(this.source, this.base, this.base === 0 ? 'empty: no file header' : 'ends inside the file header');
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
      bytesRead: this.base,
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
        throw new CaptureFormatError(this.source, this.base + pos, `unknown magic number 0x${magic.toString(16).padStart(8, '0')} (neither pcap nor pcapng)`);
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
        if (first) throw new CaptureFormatError(this.source, this.base + pos, 'pcapng section header has an unknown byte-order magic');
        return -1;
      }
      littleEndian = order;
    }
    const length = littleEndian
      ? (buf[pos + 4]! | (buf[pos + 5]! << 8) | (buf[pos + 6]! << 16) | (buf[pos + 7]! << 24)) >>> 0
      : ((buf[pos + 4]! << 24) | (buf[pos + 5]! << 16) | (buf[pos + 6]! << 8) | buf[pos + 7]!) >>> 0;
    if (length < MIN_BLOCK_LENGTH || length % 4 !== 0 || length > MAX_RECORD_LENGTH) {
      if (first) throw new CaptureFormatError(this.source, this.base + pos, `pcapng section header has an impossible length ${length}`);
      return -1;
    }
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
      skipReason: supported ? '' : `unsupported link type ${linkType}`,
    };
    if (!supported) throw new UnsupportedLinkTypeError(linkType, this.source);
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

  private checkPacketBlock(iface: InterfaceState | undefined, id: number, captured: number, room: number, fileOffset: number): boolean {
    if (iface !== undefined && captured <= room) return true;
    const index = this.packetsRead++;
    this.packetProblems++;
    if (iface === undefined) this.addProblem(fileOffset, index, REASON_NO_INTERFACE, `${REASON_NO_INTERFACE} (interface ${id})`);
    else this.addProblem(fileOffset, index, REASON_EPB_OVERRUN, `${REASON_EPB_OVERRUN} (${captured} bytes, room for ${room})`);
    return false;
  }

  private sectionHeader(buf: Uint8Array, pos: number, length: number, fileOffset: number): void {
    const order = sectionByteOrder(buf, pos);
    const first = fileOffset === 0;
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
      skipReason: supported ? '' : `unsupported link type ${linkType}`,
    };
    if (!supported) this.unsupported.push(new UnsupportedLinkTypeError(linkType, this.source, index));
    this.interfaces.push(state);
    this.section.push(state);
  }

  private frame(buf: Uint8Array, start: number, captured: number, wire: number, iface: InterfaceState, timeSec: number, fileOffset: number): void {
    const index = this.packetsRead++;
    this.lastTimeSec = timeSec;
    if (iface.skipReason !== '') {
      this.skip(iface.skipReason);
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

/** true: little-endian section, false: big-endian, undefined: not a byte-order magic. */
function sectionByteOrder(buf: Uint8Array, pos: number): boolean | undefined {
  const be = ((buf[pos + 8]! << 24) | (buf[pos + 9]! << 16) | (buf[pos + 10]! << 8) | buf[pos + 11]!) >>> 0;
  if (be === BYTE_ORDER_MAGIC) return false;
  const le = (buf[pos + 8]! | (buf[pos + 9]! << 8) | (buf[pos + 10]! << 16) | (buf[pos + 11]! << 24)) >>> 0;
  if (le === BYTE_ORDER_MAGIC) return true;
  return undefined;
}
