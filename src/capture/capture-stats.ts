// What a capture run counted: records read, packets decoded or skipped (by reason), problems.

import type { UnsupportedLinkTypeError } from './errors.ts';
import type { DecodeProblem } from './packet.ts';

export type CaptureFormat = 'pcap' | 'pcapng';
/** How the capture was stored: as is, or gzip-compressed (recognized by its magic bytes 1f 8b). */
export type CaptureCompression = 'none' | 'gzip';

/** One capture interface: the pcap file itself, or one pcapng IDB. */
export interface CaptureInterface {
  /** Ordinal in the capture (pcapng IDBs counted across sections; 0 for pcap). */
  index: number;
  linkType: number;
  /** Snapshot length from the header (0: not limited). */
  snapLength: number;
  /** Timestamp units per second (1e6 for microseconds; pcapng if_tsresol). */
  ticksPerSecond: number;
  /** Seconds added to every timestamp (pcapng if_tsoffset). */
  timeOffsetSec: number;
  supported: boolean;
}

export interface CaptureStats {
  /** File path or stream name. */
  source: string;
  /** Undefined when no file header was read. */
  format: CaptureFormat | undefined;
  compression: CaptureCompression;
  /** Bytes consumed from the source, as stored (compressed for gzip), including any not parsed after corrupt framing. */
  bytesRead: number;
  /**
   * Bytes of the capture after decompression (0 when not compressed): a gzip bomb shows here. File
   * offsets in problems, and unparsedBytes, count these bytes in a compressed capture.
   */
  inflatedBytes: number;
  /** Bytes after a corrupt record length or a truncated last record that could not be framed. */
  unparsedBytes: number;
  /** Packet records read (= packetsDecoded + packetsSkipped + packets with a problem). */
  packetsRead: number;
  /** Packets handed to onPacket. */
  packetsDecoded: number;
  /** Valid packets that carry nothing to count (not IP, unsupported link type...). */
  packetsSkipped: number;
  skippedByReason: Record<string, number>;
  /** Packet records with a problem (malformed or truncated). */
  packetProblems: number;
  /** All problems, including file-level ones (truncated last record, corrupt block). */
  problemCount: number;
  /** The first problems (capped by maxProblems). */
  problems: DecodeProblem[];
  problemsByReason: Record<string, number>;
  /** Distinct link types declared by the capture's interfaces, ascending. */
  linkTypes: number[];
  interfaces: CaptureInterface[];
  /** Interfaces (the pcap file's one, or pcapng IDBs) whose packets were skipped because their link type is not supported. */
  unsupportedInterfaces: UnsupportedLinkTypeError[];
}
