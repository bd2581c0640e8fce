// Mutations of real captures for the capture fuzz suite: random bit flips, byte splices, insertions,
// deletions and truncation, and structure-aware ones that know where pcap records and pcapng blocks
// start (their length fields, timestamps, interface ids, IDB options), a re-encoding of pcap files as
// pcapng with hostile if_tsresol / if_tsoffset, and gzip wrapping (corrupted or not).
import { gzipSync } from 'node:zlib';
import type { Rng } from './lib.ts';

export interface Block {
  /** Offset of the record (pcap) or block (pcapng) in the file. */
  offset: number;
  /** Bytes of the whole record or block. */
  length: number;
  kind: 'pcap-header' | 'pcap-record' | 'shb' | 'idb' | 'epb' | 'spb' | 'pb' | 'other';
  littleEndian: boolean;
}

const rd32 = (b: Uint8Array, at: number, le: boolean): number =>
  le ? (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0 : ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

function wr32(b: Uint8Array, at: number, v: number, le: boolean): void {
  if (at < 0 || at + 4 > b.length) return;
  v >>>= 0;
  if (le) {
    b[at] = v & 0xff;
    b[at + 1] = (v >>> 8) & 0xff;
    b[at + 2] = (v >>> 16) & 0xff;
    b[at + 3] = v >>> 24;
  } else {
    b[at] = v >>> 24;
    b[at + 1] = (v >>> 16) & 0xff;
    b[at + 2] = (v >>> 8) & 0xff;
    b[at + 3] = v & 0xff;
  }
}

function wr16(b: Uint8Array, at: number, v: number, le: boolean): void {
  if (at < 0 || at + 2 > b.length) return;
  if (le) {
    b[at] = v & 0xff;
    b[at + 1] = (v >>> 8) & 0xff;
  } else {
    b[at] = (v >>> 8) & 0xff;
    b[at + 1] = v & 0xff;
  }
}

/** The records (pcap) or blocks (pcapng) of a well-formed capture, as far as they can be walked. */
export function blocksOf(b: Uint8Array): Block[] {
  const out: Block[] = [];
  if (b.length < 24) return out;
  const magic = rd32(b, 0, false);
  if (magic === 0xa1b2c3d4 || magic === 0xd4c3b2a1 || magic === 0xa1b23c4d || magic === 0x4d3cb2a1) {
    const le = magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1;
    out.push({ offset: 0, length: 24, kind: 'pcap-header', littleEndian: le });
    let at = 24;
    while (at + 16 <= b.length && out.length < 100_000) {
      const len = 16 + rd32(b, at + 8, le);
      if (at + len > b.length) break;
      out.push({ offset: at, length: len, kind: 'pcap-record', littleEndian: le });
      at += len;
    }
    return out;
  }
  if (magic !== 0x0a0d0d0a) return out;
  let at = 0;
  let le = true;
  while (at + 12 <= b.length && out.length < 100_000) {
    if (rd32(b, at, false) === 0x0a0d0d0a) le = rd32(b, at + 8, true) === 0x1a2b3c4d;
    const len = rd32(b, at + 4, le);
    if (len < 12 || len % 4 !== 0 || at + len > b.length) break;
    const type = rd32(b, at, le);
    const kind = type === 0x0a0d0d0a ? 'shb' : type === 1 ? 'idb' : type === 6 ? 'epb' : type === 3 ? 'spb' : type === 2 ? 'pb' : 'other';
    out.push({ offset: at, length: len, kind, littleEndian: le });
    at += len;
  }
  return out;
}

/** Values that tend to break length and counter arithmetic. */
const INTERESTING_32 = [0, 1, 2, 3, 4, 11, 12, 13, 15, 16, 17, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 262_144, 262_145, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 64 * 1024 * 1024, 64 * 1024 * 1024 + 4, 64 * 1024 * 1024 - 4];

export interface Mutated {
  bytes: Uint8Array;
  /** What was done, for the failure report. */
  steps: string[];
}

type Mutator = (b: Uint8Array, rng: Rng, steps: string[], donors: readonly Uint8Array[]) => Uint8Array;

const bitFlips: Mutator = (b, rng, steps) => {
  const out = b.slice();
  const n = rng.range(1, 8);
  for (let i = 0; i < n && out.length; i++) {
    const at = rng.int(out.length);
    out[at]! ^= 1 << rng.int(8);
  }
  steps.push(`flip ${n} bits`);
  return out;
};

const byteSets: Mutator = (b, rng, steps) => {
  const out = b.slice();
  const n = rng.range(1, 4);
  for (let i = 0; i < n && out.length; i++) out[rng.int(out.length)] = rng.pick([0, 0xff, 0x7f, 0x80, 0x01, rng.int(256)]);
  steps.push(`set ${n} bytes`);
  return out;
};

const splice: Mutator = (b, rng, steps, donors) => {
  const donor = rng.pick(donors);
  const from = rng.int(donor.length);
  const len = Math.min(donor.length - from, rng.size(2048));
  const at = rng.int(b.length + 1);
  const overwrite = rng.chance(0.5);
  const piece = donor.subarray(from, from + len);
  const out = overwrite ? b.slice() : new Uint8Array(b.length + len);
  if (overwrite) out.set(piece.subarray(0, Math.max(0, Math.min(len, out.length - at))), at);
  else {
    out.set(b.subarray(0, at), 0);
    out.set(piece, at);
    out.set(b.subarray(at), at + len);
  }
  steps.push(`${overwrite ? 'overwrite' : 'insert'} ${len} donor bytes at ${at}`);
  return out;
};

const insertRandom: Mutator = (b, rng, steps) => {
  const len = rng.size(512);
  const at = rng.int(b.length + 1);
  const out = new Uint8Array(b.length + len);
  out.set(b.subarray(0, at), 0);
  out.set(rng.bytes(len), at);
  out.set(b.subarray(at), at + len);
  steps.push(`insert ${len} random bytes at ${at}`);
  return out;
};

const deleteRange: Mutator = (b, rng, steps) => {
  const at = rng.int(b.length);
  const len = Math.min(b.length - at, rng.size(512));
  const out = new Uint8Array(b.length - len);
  out.set(b.subarray(0, at), 0);
  out.set(b.subarray(at + len), at);
  steps.push(`delete ${len} bytes at ${at}`);
  return out;
};

const truncate: Mutator = (b, rng, steps) => {
  // Mostly near the end (a capture cut while written), sometimes inside the file header.
  const at = rng.chance(0.2) ? rng.int(Math.min(40, b.length)) : b.length - 1 - rng.size(Math.max(2, Math.min(b.length, 4096)));
  const cut = Math.max(0, at);
  steps.push(`truncate to ${cut} of ${b.length}`);
  return b.slice(0, cut);
};

const duplicateRecord: Mutator = (b, rng, steps) => {
  const blocks = blocksOf(b).filter((x) => x.kind !== 'pcap-header');
  if (!blocks.length) return bitFlips(b, rng, steps, []);
  const blk = rng.pick(blocks);
  const times = rng.range(1, 50);
  const piece = b.subarray(blk.offset, blk.offset + blk.length);
  const at = rng.pick(blocks).offset;
  const out = new Uint8Array(b.length + piece.length * times);
  out.set(b.subarray(0, at), 0);
  for (let i = 0; i < times; i++) out.set(piece, at + i * piece.length);
  out.set(b.subarray(at), at + piece.length * times);
  steps.push(`repeat the ${blk.kind} at ${blk.offset} ${times}× at ${at}`);
  return out;
};

/** A length field of a record or block set to a boundary value or shifted a little. */
const lengthField: Mutator = (b, rng, steps) => {
  const blocks = blocksOf(b);
  if (!blocks.length) return bitFlips(b, rng, steps, []);
  const out = b.slice();
  const blk = rng.pick(blocks);
  const le = blk.littleEndian;
  let field: number;
  let name: string;
  switch (blk.kind) {
    case 'pcap-header':
      field = 16;
      name = 'snaplen';
      break;
    case 'pcap-record':
      [field, name] = rng.pick([[blk.offset + 8, 'caplen'], [blk.offset + 12, 'wirelen']] as const);
      break;
    case 'epb':
    case 'pb':
      [field, name] = rng.pick([[blk.offset + 4, 'block length'], [blk.offset + blk.length - 4, 'trailing length'], [blk.offset + 20, 'captured length'], [blk.offset + 24, 'original length']] as const);
      break;
    case 'spb':
      [field, name] = rng.pick([[blk.offset + 4, 'block length'], [blk.offset + 8, 'original length']] as const);
      break;
    case 'idb': {
      // An option's length: the options start at +16.
      const opt = blk.offset + 16;
      if (opt + 4 <= blk.offset + blk.length - 4 && rng.chance(0.5)) {
        wr16(out, opt + 2, rng.pick([0, 1, 7, 8, 9, 0xfff0, 0xffff, rng.int(0x10000)]), le);
        steps.push(`IDB at ${blk.offset}: first option length corrupted`);
        return out;
      }
      [field, name] = rng.pick([[blk.offset + 4, 'block length'], [blk.offset + 12, 'snaplen']] as const);
      break;
    }
    default:
      [field, name] = rng.pick([[blk.offset + 4, 'block length'], [blk.offset + blk.length - 4, 'trailing length']] as const);
  }
  const old = rd32(out, field, le);
  const value = rng.chance(0.6) ? rng.pick(INTERESTING_32) : (old + rng.range(-8, 8)) >>> 0;
  wr32(out, field, value, le);
  steps.push(`${blk.kind} at ${blk.offset}: ${name} ${old} → ${value}`);
  return out;
};

/** Timestamps: seconds/fraction of pcap records, the high/low words of EPB/PB, or an IDB's interface id use. */
const timestamps: Mutator = (b, rng, steps) => {
  const blocks = blocksOf(b).filter((x) => x.kind === 'pcap-record' || x.kind === 'epb' || x.kind === 'pb');
  if (!blocks.length) return bitFlips(b, rng, steps, []);
  const out = b.slice();
  const n = rng.range(1, Math.min(5, blocks.length));
  for (let i = 0; i < n; i++) {
    const blk = rng.pick(blocks);
    const le = blk.littleEndian;
    const v = rng.pick([0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 999_999, 1_000_000, 1_000_000_000, 0xfffffffe, rng.u32()]);
    if (blk.kind === 'pcap-record') {
      const field = rng.chance(0.5) ? 0 : 4;
      wr32(out, blk.offset + field, v, le);
      steps.push(`pcap record at ${blk.offset}: ${field ? 'fraction' : 'seconds'} → ${v}`);
    } else {
      const which = rng.int(3);
      if (which === 2) {
        wr32(out, blk.offset + 8, rng.pick([1, 2, 7, 0xffff, 0xffffffff]), le);
        steps.push(`${blk.kind} at ${blk.offset}: interface id corrupted`);
      } else {
        wr32(out, blk.offset + 12 + which * 4, v, le);
        steps.push(`${blk.kind} at ${blk.offset}: timestamp ${which ? 'low' : 'high'} word → ${v}`);
      }
    }
  }
  return out;
};

// ---- pcapng writing, for the re-encoding and hostile IDB options ----

function block(le: boolean, type: number, body: number[]): number[] {
  while (body.length % 4) body.push(0);
  const len = body.length + 12;
  const w = (v: number) => (le ? [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24] : [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
  return [...w(type), ...w(len), ...body, ...w(len)];
}

const u32 = (le: boolean, v: number) => {
  v >>>= 0;
  return le ? [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24] : [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
};
const u16 = (le: boolean, v: number) => (le ? [v & 0xff, (v >>> 8) & 0xff] : [(v >>> 8) & 0xff, v & 0xff]);

function option(le: boolean, code: number, value: number[]): number[] {
  const v = [...value];
  while (v.length % 4) v.push(0);
  return [...u16(le, code), ...u16(le, value.length), ...v];
}

function hostileOptions(le: boolean, rng: Rng, steps: string[]): number[] {
  const opts: number[] = [];
  if (rng.chance(0.6)) {
    const r = rng.pick([0, 1, 3, 6, 9, 10, 19, 20, 60, 127, 0x80, 0x81, 0x94, 0xbf, 0xff, rng.int(256)]);
    opts.push(...option(le, 9, [r]));
    steps.push(`if_tsresol ${r}`);
  }
  if (rng.chance(0.6)) {
    const big = rng.pick([0n, 1n, -1n, 2n ** 31n, 2n ** 32n, 2n ** 53n, 2n ** 59n, 2n ** 62n, 2n ** 63n - 1n, -(2n ** 63n), -(2n ** 40n), BigInt(rng.u32()) << BigInt(rng.int(33))]);
    const v = BigInt.asUintN(64, big);
    const lo = Number(v & 0xffffffffn);
    const hi = Number(v >> 32n);
    opts.push(...option(le, 14, le ? [...u32(le, lo), ...u32(le, hi)] : [...u32(le, hi), ...u32(le, lo)]));
    steps.push(`if_tsoffset ${big}`);
  }
  if (rng.chance(0.15)) {
    // An option whose declared length runs past the block.
    opts.push(...u16(le, 9), ...u16(le, 0xfff0));
    steps.push('an option longer than its block');
  }
  opts.push(0, 0, 0, 0);
  return opts;
}

/** A pcap file re-encoded as pcapng (either byte order), its IDB carrying hostile options. */
const pcapAsPcapng: Mutator = (b, rng, steps) => {
  const blocks = blocksOf(b);
  if (!blocks.length || blocks[0]!.kind !== 'pcap-header') return hostileIdbOptions(b, rng, steps, []);
  const src = blocks[0]!.littleEndian;
  const nano = rd32(b, 0, false) === 0xa1b23c4d || rd32(b, 0, false) === 0x4d3cb2a1;
  const linkType = rd32(b, 20, src) & 0xffff;
  const le = rng.chance(0.7);
  steps.push(`re-encode pcap as ${le ? 'little' : 'big'}-endian pcapng`);
  const parts: number[] = [];
  parts.push(...block(le, 0x0a0d0d0a, [...u32(le, 0x1a2b3c4d), ...u16(le, 1), ...u16(le, 0), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
  const opts = hostileOptions(le, rng, steps);
  parts.push(...block(le, 1, [...u16(le, linkType), 0, 0, ...u32(le, rd32(b, 16, src)), ...(nano ? option(le, 9, [9]).concat([0, 0, 0, 0]) : opts)]));
  if (nano) steps.push('(nanosecond source: if_tsresol 9)');
  const twoInterfaces = rng.chance(0.3);
  if (twoInterfaces) parts.push(...block(le, 1, [...u16(le, linkType), 0, 0, ...u32(le, 0), ...hostileOptions(le, rng, steps)]));
  for (const r of blocks.slice(1)) {
    const sec = rd32(b, r.offset, src);
    const frac = rd32(b, r.offset + 4, src);
    const caplen = rd32(b, r.offset + 8, src);
    const wire = rd32(b, r.offset + 12, src);
    const ticks = BigInt(sec) * (nano ? 1_000_000_000n : 1_000_000n) + BigInt(frac);
    const frame = [...b.subarray(r.offset + 16, r.offset + 16 + caplen)];
    const iface = twoInterfaces && rng.chance(0.5) ? 1 : 0;
    const kind = rng.chance(0.1) ? 'spb' : 'epb';
    if (kind === 'spb') parts.push(...block(le, 3, [...u32(le, wire), ...frame]));
    else parts.push(...block(le, 6, [...u32(le, iface), ...u32(le, Number(ticks >> 32n)), ...u32(le, Number(ticks & 0xffffffffn)), ...u32(le, caplen), ...u32(le, wire), ...frame]));
  }
  return Uint8Array.from(parts);
};

/** A pcapng's IDBs replaced by ones with hostile if_tsresol / if_tsoffset (or a new section inserted). */
const hostileIdbOptions: Mutator = (b, rng, steps) => {
  const blocks = blocksOf(b);
  const idbs = blocks.filter((x) => x.kind === 'idb');
  if (!idbs.length) return blocks.length && blocks[0]!.kind === 'pcap-header' ? pcapAsPcapng(b, rng, steps, []) : timestamps(b, rng, steps, []);
  const blk = rng.pick(idbs);
  const le = blk.littleEndian;
  const linkType = le ? b[blk.offset + 8]! | (b[blk.offset + 9]! << 8) : (b[blk.offset + 8]! << 8) | b[blk.offset + 9]!;
  const replacement = Uint8Array.from(block(le, 1, [...u16(le, linkType), 0, 0, ...u32(le, rd32(b, blk.offset + 12, le)), ...hostileOptions(le, rng, steps)]));
  const out = new Uint8Array(b.length - blk.length + replacement.length);
  out.set(b.subarray(0, blk.offset), 0);
  out.set(replacement, blk.offset);
  out.set(b.subarray(blk.offset + blk.length), blk.offset + replacement.length);
  steps.push(`IDB at ${blk.offset} replaced`);
  return out;
};

/** Gzip-wrapped, sometimes corrupted: compressed body, header flags, CRC/ISIZE trailer, cut short, garbage or a second member after it. */
export function gzipWrap(b: Uint8Array, rng: Rng, steps: string[]): Uint8Array {
  let gz: Uint8Array = gzipSync(b, { level: rng.pick([0, 1, 6, 9]) });
  steps.push(`gzip (${gz.length} bytes)`);
  const how = rng.weighted([[3, 'clean'], [2, 'flip'], [1, 'trailer'], [1, 'cut'], [1, 'garbage'], [1, 'second'], [1, 'flags']] as const);
  if (how === 'clean') return gz;
  gz = gz.slice();
  switch (how) {
    case 'flip': {
      const at = 10 + rng.int(Math.max(1, gz.length - 18));
      gz[at]! ^= 1 << rng.int(8);
      steps.push(`flip a bit of the deflate data at ${at}`);
      break;
    }
    case 'trailer': {
      const at = gz.length - 1 - rng.int(8);
      gz[at]! ^= 0xff;
      steps.push(`corrupt the CRC/ISIZE trailer at ${at}`);
      break;
    }
    case 'cut': {
      const cut = rng.range(2, gz.length - 1);
      steps.push(`cut the gzip stream to ${cut} bytes`);
      return gz.slice(0, cut);
    }
    case 'garbage': {
      const tail = rng.bytes(rng.range(1, 64));
      steps.push(`${tail.length} bytes of garbage after the member`);
      const out = new Uint8Array(gz.length + tail.length);
      out.set(gz, 0);
      out.set(tail, gz.length);
      return out;
    }
    case 'second': {
      const second = gzipSync(b.subarray(rng.int(b.length)), { level: 1 });
      steps.push('a second gzip member');
      const out = new Uint8Array(gz.length + second.length);
      out.set(gz, 0);
      out.set(second, gz.length);
      return out;
    }
    case 'flags': {
      gz[3] = rng.pick([0x02, 0x04, 0x08, 0x10, 0x1e, 0xe0, 0xff]);
      steps.push(`gzip header flags ${gz[3]}`);
      break;
    }
  }
  return gz;
}

/** A pcap header followed by `n` KiB of zeros: many empty records out of a tiny gzip (a small bomb). */
export function zeroRecords(b: Uint8Array, rng: Rng, steps: string[]): Uint8Array {
  const kib = rng.pick([64, 256, 1024, 2048]);
  const out = new Uint8Array(24 + kib * 1024);
  out.set(b.subarray(0, Math.min(24, b.length)), 0);
  steps.push(`header + ${kib} KiB of zeros`);
  return out;
}

const MUTATORS: readonly (readonly [number, Mutator])[] = [
  [4, bitFlips], [2, byteSets], [2, splice], [1, insertRandom], [1, deleteRange], [2, truncate], [1, duplicateRecord],
  [4, lengthField], [3, timestamps], [2, pcapAsPcapng], [2, hostileIdbOptions],
];

/** One to three chained mutations of `base`; sometimes gzip-wrapped afterwards. */
export function mutateCapture(base: Uint8Array, donors: readonly Uint8Array[], rng: Rng, allowBomb: boolean): Mutated {
  const steps: string[] = [];
  let b = base;
  if (allowBomb && rng.chance(0.02)) b = zeroRecords(b, rng, steps);
  const n = rng.weighted([[6, 1], [3, 2], [1, 3]] as const);
  for (let i = 0; i < n; i++) b = rng.weighted(MUTATORS)(b, rng, steps, donors);
  if (rng.chance(0.2)) b = gzipWrap(b, rng, steps);
  return { bytes: b, steps };
}
