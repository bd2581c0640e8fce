// Byte-level builders for hand-made capture fixtures used by the capture tests: packets, link-layer
// headers, pcap files and pcapng blocks, each written field by field from the format definitions.

import type { DecodedPacket } from './packet.ts';
import { CaptureStreamDecoder, type CaptureDecoderOptions } from './capture-stream-decoder.ts';
import type { CaptureStats } from './capture-stats.ts';

export function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const arrays = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

export const u16be = (v: number) => [(v >>> 8) & 0xff, v & 0xff];
export const u32be = (v: number) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
export const u16le = (v: number) => [v & 0xff, (v >>> 8) & 0xff];
export const u32le = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const u16 = (le: boolean, v: number) => (le ? u16le(v) : u16be(v));
const u32 = (le: boolean, v: number) => (le ? u32le(v) : u32be(v));

export function ipv4Bytes(text: string): number[] {
  return text.split('.').map(Number);
}

/** Expands an IPv6 text (with at most one '::') to its 16 bytes. */
export function ipv6Bytes(text: string): number[] {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  return all.flatMap((g) => u16be(g));
}

export function tcp(srcPort: number, dstPort: number, flags: number, payload: number[] = []): number[] {
  return [...u16be(srcPort), ...u16be(dstPort), ...u32be(1000), ...u32be(0), 0x50, flags, ...u16be(65535), 0, 0, 0, 0, ...payload];
}

export function udp(srcPort: number, dstPort: number, payload: number[] = []): number[] {
  return [...u16be(srcPort), ...u16be(dstPort), ...u16be(8 + payload.length), 0, 0, ...payload];
}

export interface Ipv4Options {
  src?: string;
  dst?: string;
  protocol: number;
  payload: number[];
  id?: number;
  /** Fragment offset in 8-byte units. */
  fragmentOffset?: number;
  moreFragments?: boolean;
  /** IP options bytes (multiple of 4). */
  options?: number[];
  /** Overrides the computed total length. */
  totalLength?: number;
  /** Overrides the first byte (version and IHL). */
  versionIhl?: number;
}

export function ipv4(o: Ipv4Options): number[] {
  const options = o.options ?? [];
  const headerLength = 20 + options.length;
  const total = o.totalLength ?? headerLength + o.payload.length;
  const fragment = ((o.moreFragments ? 1 : 0) << 13) | (o.fragmentOffset ?? 0);
  return [
    o.versionIhl ?? 0x40 | (headerLength / 4), 0, ...u16be(total), ...u16be(o.id ?? 0x1234), ...u16be(fragment), 64, o.protocol, 0, 0,
    ...ipv4Bytes(o.src ?? '10.0.0.1'), ...ipv4Bytes(o.dst ?? '10.0.0.2'), ...options, ...o.payload,
  ];
}

export interface Ipv6Options {
  src?: string;
  dst?: string;
  /** Next header of the fixed header. */
  next: number;
  /** Extension headers and transport, already chained. */
  payload: number[];
  payloadLength?: number;
}

export function ipv6(o: Ipv6Options): number[] {
  return [
    0x60, 0, 0, 0, ...u16be(o.payloadLength ?? o.payload.length), o.next, 64,
    ...ipv6Bytes(o.src ?? '2001:db8::1'), ...ipv6Bytes(o.dst ?? '2001:db8::2'), ...o.payload,
  ];
}

/** A generic IPv6 extension header (hop-by-hop, routing, destination options, mobility) of 8·(units+1) bytes. */
export function ipv6Extension(next: number, units = 0): number[] {
  return [next, units, ...new Array(6 + units * 8).fill(0)];
}

export function ipv6Fragment(next: number, offsetUnits: number, more: boolean, id: number): number[] {
  return [next, 0, ...u16be((offsetUnits << 3) | (more ? 1 : 0)), ...u32be(id)];
}

/** Authentication header with `words` 32-bit words of ICV (length field = total/4 - 2). */
export function ipv6Auth(next: number, icvWords = 1): number[] {
  const length = 12 + icvWords * 4;
  return [next, length / 4 - 2, 0, 0, ...u32be(0x100), ...u32be(1), ...new Array(icvWords * 4).fill(0)];
}

export function ethernet(etherType: number, payload: number[], tags: [tpid: number, vid: number][] = []): number[] {
  const macs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const tagBytes = tags.flatMap(([tpid, vid]) => [...u16be(tpid), ...u16be(vid)]);
  return [...macs, ...tagBytes, ...u16be(etherType), ...payload];
}

export function sll(protocol: number, payload: number[]): number[] {
  return [...u16be(0), ...u16be(1), ...u16be(6), 0, 1, 2, 3, 4, 5, 0, 0, ...u16be(protocol), ...payload];
}

export function sll2(protocol: number, payload: number[]): number[] {
  return [...u16be(protocol), 0, 0, ...u32be(3), ...u16be(1), 0, 6, 0, 1, 2, 3, 4, 5, 0, 0, ...payload];
}

/** An NFLOG TLV: little-endian length (header included) and type, value padded to 4 bytes. */
export function nflogTlv(type: number, value: number[]): number[] {
  const padded = [...value, ...new Array((4 - (value.length % 4)) % 4).fill(0)];
  return [...u16le(4 + value.length), ...u16le(type), ...padded];
}

export function nflog(family: number, tlvs: number[][]): number[] {
  return [family, 0, ...u16be(5), ...tlvs.flat()];
}

export const textBytes = (s: string) => [...new TextEncoder().encode(s)];

export interface PcapRecord {
  seconds: number;
  fraction: number;
  frame: number[] | Uint8Array;
  /** Wire length; defaults to the frame length. */
  wireLength?: number;
  /** Captured length written in the header; defaults to the frame length. */
  capturedLength?: number;
}

export interface PcapOptions {
  littleEndian?: boolean;
  nano?: boolean;
  snapLength?: number;
  linkType: number;
}

export function pcapFile(o: PcapOptions, records: PcapRecord[]): Uint8Array {
  const le = o.littleEndian ?? true;
  const magic = o.nano ? 0xa1b23c4d : 0xa1b2c3d4;
  const header = [...u32(le, magic), ...u16(le, 2), ...u16(le, 4), ...u32(le, 0), ...u32(le, 0), ...u32(le, o.snapLength ?? 65535), ...u32(le, o.linkType)];
  const body = records.map((r) => {
    const frame = r.frame instanceof Uint8Array ? r.frame : Uint8Array.from(r.frame);
    return concat(u32(le, r.seconds), u32(le, r.fraction), u32(le, r.capturedLength ?? frame.length), u32(le, r.wireLength ?? frame.length), frame);
  });
  return concat(header, ...body);
}

function block(le: boolean, type: number, body: number[]): number[] {
  const padded = [...body, ...new Array((4 - (body.length % 4)) % 4).fill(0)];
  const length = 12 + padded.length;
  return [...u32(le, type), ...u32(le, length), ...padded, ...u32(le, length)];
}

export function pcapngOption(le: boolean, code: number, value: number[]): number[] {
  const padded = [...value, ...new Array((4 - (value.length % 4)) % 4).fill(0)];
  return [...u16(le, code), ...u16(le, value.length), ...padded];
}

export function shb(le: boolean): number[] {
  const body = [...u32(le, 0x1a2b3c4d), ...u16(le, 1), ...u16(le, 0), ...u32(le, 0xffffffff), ...u32(le, 0xffffffff)];
  return [0x0a, 0x0d, 0x0d, 0x0a, ...u32(le, 28), ...body, ...u32(le, 28)];
}

export interface IdbOptions {
  tsresol?: number;
  /** if_tsoffset in seconds (non-negative, < 2^32 in these fixtures). */
  tsoffset?: number;
}

export function idb(le: boolean, linkType: number, snapLength = 0, o: IdbOptions = {}): number[] {
  const options: number[] = [];
  if (o.tsresol !== undefined) options.push(...pcapngOption(le, 9, [o.tsresol]));
  if (o.tsoffset !== undefined) {
    const value = le ? [...u32le(o.tsoffset), ...u32le(0)] : [...u32be(0), ...u32be(o.tsoffset)];
    options.push(...pcapngOption(le, 14, value));
  }
  if (options.length) options.push(0, 0, 0, 0);
  return block(le, 1, [...u16(le, linkType), 0, 0, ...u32(le, snapLength), ...options]);
}

/** Enhanced packet block; `ticks` is the 64-bit timestamp in the interface's units. */
export function epb(le: boolean, interfaceId: number, ticks: bigint, frame: number[], wireLength = frame.length): number[] {
  const high = Number(ticks >> 32n);
  const low = Number(ticks & 0xffffffffn);
  return block(le, 6, [...u32(le, interfaceId), ...u32(le, high), ...u32(le, low), ...u32(le, frame.length), ...u32(le, wireLength), ...frame]);
}

export function spb(le: boolean, frame: number[], wireLength = frame.length): number[] {
  return block(le, 3, [...u32(le, wireLength), ...frame]);
}

/** The obsolete packet block (type 2). */
export function legacyPb(le: boolean, interfaceId: number, ticks: bigint, frame: number[]): number[] {
  const high = Number(ticks >> 32n);
  const low = Number(ticks & 0xffffffffn);
  return block(le, 2, [...u16(le, interfaceId), ...u16(le, 0), ...u32(le, high), ...u32(le, low), ...u32(le, frame.length), ...u32(le, frame.length), ...frame]);
}

/** Any other block (NRB = 4, ISB = 5, DSB = 10, custom, unknown) with an opaque body. */
export function otherBlock(le: boolean, type: number, body: number[] = [1, 2, 3, 4, 5, 6, 7, 8]): number[] {
  return block(le, type, body);
}

/** A decoded packet copied out of the reused object, with addresses as text. */
export interface PacketSnapshot extends Omit<DecodedPacket, 'data'> {
  src: string;
  dst: string;
}

export function snapshot(p: DecodedPacket): PacketSnapshot {
  const address = (at: number) => {
    if (p.ipVersion === 4) return Array.from(p.data.subarray(at, at + 4)).join('.');
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((p.data[at + i]! << 8) | p.data[at + i + 1]!).toString(16));
    return groups.join(':');
  };
  const { data: _data, ...rest } = p;
  return { ...rest, src: address(p.srcOffset), dst: address(p.dstOffset) };
}

/** Full-form IPv6 text as `snapshot` writes it (no '::' compression). */
export function fullIpv6(text: string): string {
  const bytes = ipv6Bytes(text);
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}

export interface DecodeResult {
  packets: PacketSnapshot[];
  stats: CaptureStats;
}

/** Feeds `bytes` to a stream decoder in chunks of `chunkSize` (whole buffer by default). */
export function decodeBytes(bytes: Uint8Array, chunkSize = bytes.length || 1, options: CaptureDecoderOptions = {}): DecodeResult {
  const packets: PacketSnapshot[] = [];
  const decoder = new CaptureStreamDecoder((p) => packets.push(snapshot(p)), { source: 'fixture', ...options });
  for (let at = 0; at < bytes.length; at += chunkSize) {
    // Copy each chunk and scribble over it afterwards: the decoder must not keep references into it.
    // (Uint8Array's slice copies; a Buffer's would not.)
    const chunk = Uint8Array.prototype.slice.call(bytes, at, at + chunkSize);
    decoder.push(chunk);
    chunk.fill(0xee);
  }
  return { packets, stats: decoder.end() };
}
