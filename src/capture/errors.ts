// Errors the capture readers throw. Per-packet trouble is never thrown: it is counted as a
// DecodeProblem; only a capture whose file header (or gzip data) cannot be read stops a run.

import { linkTypeName } from './link-types.ts';

/** The capture's file header (or a section header) cannot be read, so no packet can be framed. */
export class CaptureFormatError extends Error {
  override readonly name = 'CaptureFormatError';
  constructor(
    /** File path, or a name for a streamed source ('stdin', 'tcpdump'). */
    readonly source: string,
    /** Byte offset in the capture where the problem was found. */
    readonly offset: number,
    readonly why: string,
  ) {
    super(`${source}: not a readable capture at byte ${offset}: ${why}`);
  }
}

/**
 * A link-layer type the decoder has no dissector for. Not thrown by the decoder: the interface (a
 * pcap file's only one, or a pcapng IDB) is listed in the stats and its packets are counted as
 * skipped under the reason "unsupported link type N (NAME)".
 */
export class UnsupportedLinkTypeError extends Error {
  override readonly name = 'UnsupportedLinkTypeError';
  constructor(
    readonly linkType: number,
    readonly source: string,
    /** pcapng interface ordinal (counted across sections); undefined for pcap. */
    readonly interfaceIndex?: number,
  ) {
    const where = interfaceIndex === undefined ? source : `${source} interface ${interfaceIndex}`;
    const name = linkTypeName(linkType);
    super(`${where}: unsupported link-layer type ${linkType}${name === undefined ? '' : ` (${name})`}`);
  }
}
