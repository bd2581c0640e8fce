// Decodes one captured frame — link layer, then IPv4/IPv6 (with extension headers and fragments),
// then the transport ports and TCP flags — into the run's single reused DecodedPacket.
//
// Fragments: only the first fragment carries the transport header. Every fragment of a datagram is
// counted under the datagram's 5-tuple, taken from its first fragment through a bounded FragmentTable;
// a fragment whose first fragment was not seen (not captured, evicted, or not arrived yet) gets ports 0.
// This is a per-wire-packet view of what tshark shows after its default reassembly: tshark prints the
// datagram's ports only on the frame that completes reassembly (usually the last fragment) and none on
// the others, so counting ports per frame as tshark prints them would split one datagram across two
// 5-tuples.

import { FragmentTable } from './fragment-table.ts';
import {
  LINKTYPE_ETHERNET, LINKTYPE_IPNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP, LINKTYPE_NFLOG, LINKTYPE_NULL, LINKTYPE_PPP, LINKTYPE_PPP_HDLC, LINKTYPE_RAW, LINKTYPE_RAW_BSD_12,
  LINKTYPE_RAW_BSD_14,
} from './link-types.ts';
import { createDecodedPacket, type DecodedPacket } from './packet.ts';

/** decode() results. */
export const DECODED = 0;
/** The frame is valid but carries no IP packet (ARP, LLDP, STP, ...): skipped, not a problem. */
export const NOT_IP = 1;
/** An NFLOG record without a payload attribute (logged with copy mode "none"). */
export const NO_PAYLOAD = 2;
/** The frame is malformed or truncated; see problemReason / problemValue. */
export const PROBLEM = 3;
export type DecodeStatus = typeof DECODED | typeof NOT_IP | typeof NO_PAYLOAD | typeof PROBLEM;

export const SKIP_NOT_IP = 'not IP';
export const SKIP_NFLOG_NO_PAYLOAD = 'NFLOG record without payload';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_OLD = 0x9100;
const ETHERTYPE_MPLS = 0x8847;
const ETHERTYPE_MPLS_MULTICAST = 0x8848;
const ETHERTYPE_PPPOE_SESSION = 0x8864;
const PPP_IPV4 = 0x0021;
const PPP_IPV6 = 0x0057;
const MAX_TAGS = 8;
const CAPTURED = 'bytes captured';
const MAX_IPV6_EXTENSION_HEADERS = 16;

const NFLOG_PAYLOAD = 9;
const NFLOG_PREFIX = 10;
const NFLOG_IFINDEX_INDEV = 4;
const NFLOG_IFINDEX_OUTDEV = 5;

const PROTO_ICMP = 1;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_DCCP = 33;
const PROTO_SCTP = 132;
const PROTO_UDPLITE = 136;

export interface FrameDecoderOptions {
  /** How many fragmented datagrams to remember at once (default 4096). */
  fragmentTableSize?: number;
}

export class FrameDecoder {
  readonly packet: DecodedPacket = createDecodedPacket();
  /**
   * Set when decode() returns PROBLEM: a fixed description (usable as a counter key), a number that
   * goes with it and the number's unit, joined only when a problem is reported (no per-packet strings).
   */
  problemReason = '';
  problemValue = 0;
  problemUnit = '';
  private readonly fragments: FragmentTable;
  private readonly prefixes = new PrefixCache();

  constructor(options: FrameDecoderOptions = {}) {
    this.fragments = new FragmentTable(options.fragmentTableSize ?? 4096);
  }

  /**
   * Decodes the frame at buf[start, start + capturedLength) captured on a link of `linkType`;
   * `wireLength` is the frame's length on the wire. The caller sets timeSec, packetIndex,
   * interfaceIndex and linkType on `packet`; decode() sets everything else.
   */
  decode(buf: Uint8Array, start: number, capturedLength: number, wireLength: number, linkType: number): DecodeStatus {
    const p = this.packet;
    p.data = buf;
    p.srcPort = 0;
    p.dstPort = 0;
    p.tcpFlags = 0;
    if (p.inIfIndex !== 0 || p.outIfIndex !== 0 || p.nflogPrefix !== '') {
      p.inIfIndex = 0;
      p.outIfIndex = 0;
      p.nflogPrefix = '';
    }
    const end = start + capturedLength;
    const wireEnd = start + (wireLength > capturedLength ? wireLength : capturedLength);
    switch (linkType) {
      case LINKTYPE_ETHERNET:
        if (capturedLength < 14) return this.fail('truncated Ethernet header', capturedLength);
        return this.ethertype(buf, (buf[start + 12]! << 8) | buf[start + 13]!, start + 14, end, wireEnd);
      case LINKTYPE_RAW:
      case LINKTYPE_RAW_BSD_12:
      case LINKTYPE_RAW_BSD_14:
        return this.ip(buf, start, end, wireEnd, 0);
      case LINKTYPE_IPV4:
        return this.ip(buf, start, end, wireEnd, 4);
      case LINKTYPE_IPV6:
        return this.ip(buf, start, end, wireEnd, 6);
      case LINKTYPE_LINUX_SLL:
        if (capturedLength < 16) return this.fail('truncated Linux cooked (SLL) header', capturedLength);
        return this.ethertype(buf, (buf[start + 14]! << 8) | buf[start + 15]!, start + 16, end, wireEnd);
      case LINKTYPE_LINUX_SLL2:
        if (capturedLength < 20) return this.fail('truncated Linux cooked (SLL2) header', capturedLength);
        return this.ethertype(buf, (buf[start]! << 8) | buf[start + 1]!, start + 20, end, wireEnd);
      case LINKTYPE_NULL:
      case LINKTYPE_LOOP:
        return this.loopback(buf, start, end, wireEnd);
      case LINKTYPE_PPP:
      case LINKTYPE_PPP_HDLC:
        return this.ppp(buf, start, end, wireEnd);
      case LINKTYPE_IPNET:
        return this.ipnet(buf, start, end, wireEnd);
      case LINKTYPE_NFLOG:
        return this.nflog(buf, start, end);
      default:
        // Readers check link types when an interface is declared; reaching here is a caller bug.
        throw new RangeError(`FrameDecoder: unsupported link type ${linkType}`);
    }
  }

  private fail(reason: string, value: number, unit: string = CAPTURED): DecodeStatus {
    this.problemReason = reason;
    // A header that claims to run past the capture leaves a negative count: nothing of it was captured.
    this.problemValue = unit === CAPTURED && value < 0 ? 0 : value;
    this.problemUnit = unit;
    return PROBLEM;
  }

  private ethertype(buf: Uint8Array, type: number, pos: number, end: number, wireEnd: number): DecodeStatus {
    for (let tags = 0; tags <= MAX_TAGS; tags++) {
      switch (type) {
        case ETHERTYPE_IPV4:
          return this.ip(buf, pos, end, wireEnd, 4);
        case ETHERTYPE_IPV6:
          return this.ip(buf, pos, end, wireEnd, 6);
        case ETHERTYPE_VLAN:
        case ETHERTYPE_QINQ:
        case ETHERTYPE_QINQ_OLD:
          if (end - pos < 4) return this.fail('truncated VLAN tag', end - pos);
          type = (buf[pos + 2]! << 8) | buf[pos + 3]!;
          pos += 4;
          break;
        case ETHERTYPE_MPLS:
        case ETHERTYPE_MPLS_MULTICAST:
          return this.mpls(buf, pos, end, wireEnd);
        case ETHERTYPE_PPPOE_SESSION:
          if (end - pos < 8) return this.fail('truncated PPPoE header', end - pos);
          return this.pppProtocol(buf, (buf[pos + 6]! << 8) | buf[pos + 7]!, pos + 8, end, wireEnd);
        default:
          return NOT_IP;
      }
    }
    return NOT_IP;
  }

  private mpls(buf: Uint8Array, pos: number, end: number, wireEnd: number): DecodeStatus {
    for (let labels = 0; labels < MAX_TAGS; labels++) {
      if (end - pos < 4) return this.fail('truncated MPLS label', end - pos);
      const bottomOfStack = buf[pos + 2]! & 1;
      pos += 4;
      if (bottomOfStack === 0) continue;
      // No protocol field after the stack: like routers do, guess from the first nibble.
      if (pos >= end) return this.fail('truncated MPLS payload', 0);
      const nibble = buf[pos]! >> 4;
      if (nibble === 4) return this.ip(buf, pos, end, wireEnd, 4);
      if (nibble === 6) return this.ip(buf, pos, end, wireEnd, 6);
      return NOT_IP;
    }
    return NOT_IP;
  }

  private loopback(buf: Uint8Array, start: number, end: number, wireEnd: number): DecodeStatus {
    if (end - start < 4) return this.fail('truncated loopback header', end - start);
    // The address family is in the capturing host's byte order (NULL) or big-endian (LOOP): accept both.
    let family = (buf[start]! | (buf[start + 1]! << 8) | (buf[start + 2]! << 16) | (buf[start + 3]! << 24)) >>> 0;
    if (family > 0xffff) family = ((buf[start]! << 24) | (buf[start + 1]! << 16) | (buf[start + 2]! << 8) | buf[start + 3]!) >>> 0;
    if (family === 2) return this.ip(buf, start + 4, end, wireEnd, 4);
    // AF_INET6 is 10 on Linux, 23 on Windows, 24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS.
    if (family === 10 || family === 23 || family === 24 || family === 28 || family === 30) return this.ip(buf, start + 4, end, wireEnd, 6);
    return NOT_IP;
  }

  private ppp(buf: Uint8Array, start: number, end: number, wireEnd: number): DecodeStatus {
    let pos = start;
    if (end - pos >= 2 && buf[pos] === 0xff && buf[pos + 1] === 0x03) pos += 2;
    if (pos >= end) return this.fail('truncated PPP header', end - start);
    // Protocol-field compression: an odd first byte is a one-byte protocol number.
    if ((buf[pos]! & 1) === 1) return this.pppProtocol(buf, buf[pos]!, pos + 1, end, wireEnd);
    if (end - pos < 2) return this.fail('truncated PPP header', end - start);
    return this.pppProtocol(buf, (buf[pos]! << 8) | buf[pos + 1]!, pos + 2, end, wireEnd);
  }

  private pppProtocol(buf: Uint8Array, protocol: number, pos: number, end: number, wireEnd: number): DecodeStatus {
    if (protocol === PPP_IPV4) return this.ip(buf, pos, end, wireEnd, 4);
    if (protocol === PPP_IPV6) return this.ip(buf, pos, end, wireEnd, 6);
    return NOT_IP;
  }

  private ipnet(buf: Uint8Array, start: number, end: number, wireEnd: number): DecodeStatus {
    // Solaris ipnet: version, family, htype(2), pktlen(4), ifindex(4), grifindex(4), zsrc(4), zdst(4).
    if (end - start < 24) return this.fail('truncated ipnet header', end - start);
    const family = buf[start + 1]!;
    if (family === 2) return this.ip(buf, start + 24, end, wireEnd, 4);
    if (family === 26) return this.ip(buf, start + 24, end, wireEnd, 6);
    return NOT_IP;
  }

  private nflog(buf: Uint8Array, start: number, end: number): DecodeStatus {
    // nfgenmsg (family, version, resource id), then TLVs whose length and type are little-endian.
    if (end - start < 4) return this.fail('truncated NFLOG header', end - start);
    const family = buf[start]!;
    const p = this.packet;
    let payloadStart = -1;
    let payloadWireEnd = 0;
    let payloadEnd = 0;
    let pos = start + 4;
    while (end - pos >= 4) {
      const length = buf[pos]! | (buf[pos + 1]! << 8);
      const type = (buf[pos + 2]! | (buf[pos + 3]! << 8)) & 0x3fff;
      if (length < 4) return this.fail('bad NFLOG attribute length', length, 'bytes');
      const valueEnd = pos + length;
      if (type === NFLOG_PAYLOAD) {
        payloadStart = pos + 4;
        payloadWireEnd = valueEnd;
        // A snaplen shorter than the record cuts the payload: keep what was captured.
        payloadEnd = valueEnd < end ? valueEnd : end;
      } else if (valueEnd <= end) {
        if (type === NFLOG_PREFIX) {
          p.nflogPrefix = this.prefixes.get(buf, pos + 4, valueEnd);
        } else if ((type === NFLOG_IFINDEX_INDEV || type === NFLOG_IFINDEX_OUTDEV) && length >= 8) {
          const index = ((buf[pos + 4]! << 24) | (buf[pos + 5]! << 16) | (buf[pos + 6]! << 8) | buf[pos + 7]!) >>> 0;
          if (type === NFLOG_IFINDEX_INDEV) p.inIfIndex = index;
          else p.outIfIndex = index;
        }
      }
      pos += (length + 3) & ~3;
    }
    if (payloadStart < 0) return NO_PAYLOAD;
    return this.ip(buf, payloadStart, payloadEnd, payloadWireEnd, family === 2 ? 4 : family === 10 ? 6 : 0);
  }

  /** Decodes an IP packet at buf[pos, end); `expectedVersion` is what the link layer said (0: look). */
  private ip(buf: Uint8Array, pos: number, end: number, wireEnd: number, expectedVersion: 0 | 4 | 6): DecodeStatus {
    if (pos >= end) return this.fail('truncated IP header', 0);
    const version = buf[pos]! >> 4;
    if (expectedVersion !== 0 && version !== expectedVersion) return this.fail('bad IP version', version, '');
    if (version === 4) return this.ipv4(buf, pos, end, wireEnd);
    if (version === 6) return this.ipv6(buf, pos, end, wireEnd);
    return this.fail('bad IP version', version, '');
  }

  private ipv4(buf: Uint8Array, pos: number, end: number, wireEnd: number): DecodeStatus {
    if (end - pos < 20) return this.fail('truncated IPv4 header', end - pos);
    const headerLength = (buf[pos]! & 0x0f) * 4;
    if (headerLength < 20) return this.fail('bad IPv4 header length', headerLength, 'bytes');
    if (pos + headerLength > end) return this.fail('IPv4 header beyond captured bytes', end - pos);
    const totalLength = (buf[pos + 2]! << 8) | buf[pos + 3]!;
    let payloadEnd = end;
    const p = this.packet;
    if (totalLength === 0) {
      // Segmentation offload (TSO, BIG TCP) leaves 0 here; the frame's own length is the packet's.
      p.ipBytes = wireEnd - pos;
    } else {
      if (totalLength < headerLength) return this.fail('IPv4 total length smaller than its header', totalLength, 'bytes');
      // Snaplen-truncated captures still count the bytes the header says were sent.
      p.ipBytes = totalLength;
      if (pos + totalLength < end) payloadEnd = pos + totalLength;
    }
    const protocol = buf[pos + 9]!;
    p.ipVersion = 4;
    p.srcOffset = pos + 12;
    p.dstOffset = pos + 16;
    p.protocol = protocol;
    const fragment = (buf[pos + 6]! << 8) | buf[pos + 7]!;
    if ((fragment & 0x3fff) === 0) return this.transport(buf, protocol, pos + headerLength, payloadEnd);
    const id = (buf[pos + 4]! << 8) | buf[pos + 5]!;
    if ((fragment & 0x1fff) !== 0) {
      if (this.fragments.lookup(buf, 4, pos + 12, pos + 16, id, protocol)) {
        p.srcPort = this.fragments.foundSrcPort;
        p.dstPort = this.fragments.foundDstPort;
      }
      return DECODED;
    }
    const status = this.transport(buf, protocol, pos + headerLength, payloadEnd);
    if (status === DECODED) this.fragments.remember(buf, 4, pos + 12, pos + 16, id, protocol, protocol, p.srcPort, p.dstPort);
    return status;
  }

  private ipv6(buf: Uint8Array, pos: number, end: number, wireEnd: number): DecodeStatus {
    if (end - pos < 40) return this.fail('truncated IPv6 header', end - pos);
    const payloadLength = (buf[pos + 4]! << 8) | buf[pos + 5]!;
    const p = this.packet;
    let payloadEnd = end;
    if (payloadLength === 0) {
      // Jumbogram or segmentation offload: the frame's own length is the packet's.
      p.ipBytes = wireEnd - pos;
    } else {
      p.ipBytes = 40 + payloadLength;
      if (pos + p.ipBytes < end) payloadEnd = pos + p.ipBytes;
    }
    p.ipVersion = 6;
    p.srcOffset = pos + 8;
    p.dstOffset = pos + 24;
    let next = buf[pos + 6]!;
    let at = pos + 40;
    let fragmentId = -1;
    let fragmentNext = 0;
    for (let headers = 0; headers < MAX_IPV6_EXTENSION_HEADERS; headers++) {
      if (next === 0 || next === 43 || next === 60 || next === 135) {
        // Hop-by-hop, routing, destination options, mobility: length in 8-octet units, not counting the first.
        if (payloadEnd - at < 2) return this.fail('truncated IPv6 extension header', payloadEnd - at);
        const length = (buf[at + 1]! + 1) * 8;
        next = buf[at]!;
        at += length;
      } else if (next === 51) {
        // Authentication header: length in 4-octet units, not counting the first two.
        if (payloadEnd - at < 2) return this.fail('truncated IPv6 extension header', payloadEnd - at);
        const length = (buf[at + 1]! + 2) * 4;
        next = buf[at]!;
        at += length;
      } else if (next === 44) {
        if (payloadEnd - at < 8) return this.fail('truncated IPv6 extension header', payloadEnd - at);
        const offsetAndFlags = (buf[at + 2]! << 8) | buf[at + 3]!;
        const id = ((buf[at + 4]! << 24) | (buf[at + 5]! << 16) | (buf[at + 6]! << 8) | buf[at + 7]!) >>> 0;
        next = buf[at]!;
        at += 8;
        if ((offsetAndFlags & 0xfff8) !== 0) {
          p.protocol = next;
          if (this.fragments.lookup(buf, 6, pos + 8, pos + 24, id, next)) {
            p.protocol = this.fragments.foundProtocol;
            p.srcPort = this.fragments.foundSrcPort;
            p.dstPort = this.fragments.foundDstPort;
          }
          return DECODED;
        }
        // Offset 0 and no more fragments is an atomic fragment: a whole datagram, nothing to remember.
        if ((offsetAndFlags & 1) === 1) {
          fragmentId = id;
          fragmentNext = next;
        }
      } else {
        break;
      }
    }
    p.protocol = next;
    const status = this.transport(buf, next, at, payloadEnd);
    if (status === DECODED && fragmentId >= 0) {
      this.fragments.remember(buf, 6, pos + 8, pos + 24, fragmentId, fragmentNext, next, p.srcPort, p.dstPort);
    }
    return status;
  }

  private transport(buf: Uint8Array, protocol: number, at: number, end: number): DecodeStatus {
    const p = this.packet;
    switch (protocol) {
      case PROTO_TCP:
        // The ports are what the segment is counted under (tshark shows them on a header the snap
        // length cut short, and so counts the packet); the flags byte (offset 13) only if captured.
        if (end - at < 4) return this.fail('truncated TCP header', end - at);
        p.srcPort = (buf[at]! << 8) | buf[at + 1]!;
        p.dstPort = (buf[at + 2]! << 8) | buf[at + 3]!;
        p.tcpFlags = end - at >= 14 ? buf[at + 13]! : 0;
        return DECODED;
      case PROTO_UDP:
      case PROTO_UDPLITE:
      case PROTO_SCTP:
      case PROTO_DCCP:
        if (end - at < 4) return this.fail(protocol === PROTO_UDP ? 'truncated UDP header' : 'truncated transport header', end - at);
        p.srcPort = (buf[at]! << 8) | buf[at + 1]!;
        p.dstPort = (buf[at + 2]! << 8) | buf[at + 3]!;
        return DECODED;
      case PROTO_ICMP:
      default:
        return DECODED;
    }
  }
}

/** NFLOG prefixes repeat (one per rule): decode each distinct one once and hand back the same string. */
class PrefixCache {
  private static readonly SIZE = 64;
  private readonly bytes: Uint8Array[] = [];
  private readonly texts: string[] = [];
  private next = 0;
  private readonly decoder = new TextDecoder('utf-8');

  get(buf: Uint8Array, start: number, end: number): string {
    let stop = start;
    while (stop < end && buf[stop] !== 0) stop++;
    const length = stop - start;
    if (length === 0) return '';
    for (let i = 0; i < this.bytes.length; i++) {
      const known = this.bytes[i]!;
      if (known.length !== length) continue;
      let same = true;
      for (let j = 0; j < length; j++) {
        if (known[j] !== buf[start + j]) {
          same = false;
          break;
        }
      }
      if (same) return this.texts[i]!;
    }
    const copy = buf.slice(start, stop);
    const text = this.decoder.decode(copy);
    const slot = this.bytes.length < PrefixCache.SIZE ? this.bytes.length : this.next++ % PrefixCache.SIZE;
    this.bytes[slot] = copy;
    this.texts[slot] = text;
    return text;
  }
}
