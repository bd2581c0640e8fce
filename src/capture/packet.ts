// The decoder's output for one packet. One object is reused for every packet of a run (the hot
// path allocates nothing per packet); consumers copy what they keep before the next packet.

/**
 * The packet times the decoder hands on: [1970-01-01T00:00:00Z, 2106-02-07T06:28:16Z). A record's
 * start and end are whole seconds the flow table keeps as unsigned 32-bit numbers, and any time in
 * this range fits AWS's text format, Parquet INT64 and DuckDB BIGINT; a packet outside it (a corrupt
 * or hostile pcapng if_tsoffset / if_tsresol / timestamp) is a decode problem, never a packet.
 */
export const MIN_PACKET_TIME_SEC = 0;
export const MAX_PACKET_TIME_SEC = 2 ** 32;

export interface DecodedPacket {
  /** Capture time, seconds since the Unix epoch (fractional), within [MIN_PACKET_TIME_SEC, MAX_PACKET_TIME_SEC). */
  timeSec: number;
  /**
   * Bytes holding the frame; addresses are read from here at srcOffset/dstOffset. This may be a
   * larger read buffer than the frame itself, and it is only valid during the onPacket call.
   */
  data: Uint8Array;
  /** 4 or 6. */
  ipVersion: 4 | 6;
  /** Offset in `data` of the 4- or 16-byte source address. */
  srcOffset: number;
  /** Offset in `data` of the 4- or 16-byte destination address. */
  dstOffset: number;
  /** IANA protocol number of the transport (after IPv6 extension headers). */
  protocol: number;
  /** Transport ports; 0 for protocols without ports (ICMP, ICMPv6, ...), as AWS records them. */
  srcPort: number;
  dstPort: number;
  /** IP packet length as on the wire (IPv4 total length; IPv6 40 + payload length), what AWS counts as bytes. */
  ipBytes: number;
  /** Raw TCP flags byte (FIN=1 SYN=2 RST=4 PSH=8 ACK=16 URG=32 ...), 0 for non-TCP. */
  tcpFlags: number;
  /** Set for packets read from an NFLOG capture: the log prefix naming the deciding rule ('' if none). */
  nflogPrefix: string;
  /** NFLOG in/out interface index (0 when absent or not NFLOG). */
  inIfIndex: number;
  outIfIndex: number;
  /** Capture interface: 0 for pcap; for pcapng the ordinal of its IDB in the file (counted across sections). */
  interfaceIndex: number;
  /** Link-layer type (LINKTYPE_*) of the interface the frame was captured on. */
  linkType: number;
  /** 0-based index of the packet record in the capture. */
  packetIndex: number;
}

/** A packet the decoder could not use, counted and reported rather than thrown. */
export interface DecodeProblem {
  /** Byte offset of the packet's record in the file. */
  fileOffset: number;
  /** 0-based index of the packet in the file. */
  packetIndex: number;
  reason: string;
}

/** A fresh packet object with every field present, so its shape stays fixed for the whole run. */
export function createDecodedPacket(): DecodedPacket {
  return {
    timeSec: 0,
    data: new Uint8Array(0),
    ipVersion: 4,
    srcOffset: 0,
    dstOffset: 0,
    protocol: 0,
    srcPort: 0,
    dstPort: 0,
    ipBytes: 0,
    tcpFlags: 0,
    nflogPrefix: '',
    inIfIndex: 0,
    outIfIndex: 0,
    interfaceIndex: 0,
    linkType: 0,
    packetIndex: 0,
  };
}
