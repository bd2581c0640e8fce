// IPv4 and IPv6 addresses as bytes: a strict text parser and fast canonical formatters.
// The formatters run once per flow record on the aggregator's hot path, so they read straight
// from a packet buffer at an offset and build the text from lookup tables (no regex, no arrays).

export type IpVersion = 4 | 6;

export interface IpAddress {
  readonly version: IpVersion;
  /** 4 bytes for IPv4, 16 for IPv6, network byte order. */
  readonly bytes: Uint8Array;
}

/** A text that is not an IP address; `reason` says which part is wrong. */
export class AddressError extends Error {
  override readonly name = 'AddressError';
  constructor(
    readonly text: string,
    readonly reason: string,
  ) {
    super(`invalid IP address '${text}': ${reason}`);
  }
}

const DECIMAL: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));
const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16));
const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Dotted-quad text of the 4 bytes at `offset`. */
export function formatIpv4(bytes: Uint8Array, offset = 0): string {
  return (
    DECIMAL[bytes[offset]!]! + '.' + DECIMAL[bytes[offset + 1]!]! + '.' + DECIMAL[bytes[offset + 2]!]! + '.' + DECIMAL[bytes[offset + 3]!]!
  );
}

const hexGroup = (hi: number, lo: number): string => (hi === 0 ? HEX[lo]! : HEX[hi]! + HEX2[lo]!);

/**
 * RFC 5952 text of the 16 bytes at `offset`: lower case, no leading zeros, the longest run of two
 * or more zero groups (the first one on a tie) written as `::`, IPv4-mapped as `::ffff:a.b.c.d`.
 */
export function formatIpv6(bytes: Uint8Array, offset = 0): string {
  // Find the longest run of zero 16-bit groups without building a group array.
  let bestStart = -1;
  let bestLen = 0;
  let runStart = -1;
  for (let g = 0; g < 8; g++) {
    const zero = bytes[offset + 2 * g] === 0 && bytes[offset + 2 * g + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = g;
      const len = g - runStart + 1;
      if (len > bestLen) {
        bestLen = len;
        bestStart = runStart;
      }
    } else {
      runStart = -1;
    }
  }
  if (bestStart === 0 && bestLen === 5 && bytes[offset + 10] === 0xff && bytes[offset + 11] === 0xff) {
    return '::ffff:' + formatIpv4(bytes, offset + 12);
  }
  if (bestLen < 2) bestStart = -1;
  const bestEnd = bestStart + bestLen;
  let out = '';
  let needColon = false; // tracked instead of reading `out`, which would flatten the string each time
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      out += '::';
      g = bestEnd - 1;
      needColon = false;
      continue;
    }
    if (needColon) out += ':';
    out += hexGroup(bytes[offset + 2 * g]!, bytes[offset + 2 * g + 1]!);
    needColon = true;
  }
  return out;
}

/** Canonical text of an address (dotted quad or RFC 5952). */
export function formatIp(address: IpAddress): string {
  return address.version === 4 ? formatIpv4(address.bytes, 0) : formatIpv6(address.bytes, 0);
}

// The parsers return the bytes or, on failure, a string naming the reason; the public functions
// turn that into an AddressError or a boolean, so the is* checks never pay for an exception.

function parseIpv4Into(s: string, from: number, to: number, out: Uint8Array, at: number): string | undefined {
  let part = 0;
  let i = from;
  while (part < 4) {
    const start = i;
    let value = 0;
    while (i < to) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      value = value * 10 + (c - 48);
      i++;
      if (i - start > 3) return `IPv4 part ${part + 1} has more than 3 digits`;
    }
    if (i === start) {
      if (i >= to) return `IPv4 address has ${part} parts, expected 4`;
      return `unexpected character '${s[i]}' at position ${i + 1}`;
    }
    if (i - start > 1 && s.charCodeAt(start) === 48) return `IPv4 part ${part + 1} '${s.slice(start, i)}' has a leading zero`;
    if (value > 255) return `IPv4 part ${part + 1} is ${value}, above 255`;
    out[at + part] = value;
    part++;
    if (part < 4) {
      if (i >= to) return `IPv4 address has ${part} parts, expected 4`;
      if (s.charCodeAt(i) !== 46) return `unexpected character '${s[i]}' at position ${i + 1}`;
      i++;
    }
  }
  if (i !== to) return `unexpected character '${s[i]}' at position ${i + 1} after the 4th IPv4 part`;
  return undefined;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function parseIpv6Text(s: string): Uint8Array | string {
  const n = s.length;
  if (n === 0) return 'empty text';
  if (s.indexOf('%') >= 0) return 'zone index (%...) is not allowed';
  const out = new Uint8Array(16);
  let group = 0; // next 16-bit group to fill
  let gapAt = -1; // group index where '::' stands
  let i = 0;
  if (s.startsWith('::')) {
    gapAt = 0;
    i = 2;
    if (n === 2) return out;
  } else if (s.charCodeAt(0) === 58) {
    return "a single ':' cannot start an address";
  }
  while (i < n) {
    if (group >= 8) return 'more than 8 groups';
    const start = i;
    let value = 0;
    while (i < n) {
      const h = hexValue(s.charCodeAt(i));
      if (h < 0) break;
      value = value * 16 + h;
      i++;
    }
    const digits = i - start;
    if (i < n && s.charCodeAt(i) === 46) {
      // Embedded IPv4 in the last 32 bits.
      if (group > 6) return 'embedded IPv4 address does not fit in the last 32 bits';
      const reason = parseIpv4Into(s, start, n, out, group * 2);
      if (reason !== undefined) return `embedded IPv4: ${reason}`;
      group += 2;
      i = n;
      break;
    }
    if (digits === 0) return `unexpected character '${s[i]}' at position ${i + 1}`;
    if (digits > 4) return `group '${s.slice(start, i)}' has more than 4 hex digits`;
    out[group * 2] = value >> 8;
    out[group * 2 + 1] = value & 0xff;
    group++;
    if (i === n) break;
    if (s.charCodeAt(i) !== 58) return `unexpected character '${s[i]}' at position ${i + 1}`;
    i++;
    if (i < n && s.charCodeAt(i) === 58) {
      if (gapAt >= 0) return "'::' appears more than once";
      gapAt = group;
      i++;
      if (i === n) break;
    } else if (i === n) {
      return "address ends with a single ':'";
    }
  }
  if (gapAt < 0) {
    if (group !== 8) return `${group} groups, expected 8 (or '::')`;
    return out;
  }
  // '::' must stand for at least one zero group (RFC 4291 allows exactly one; RFC 5952 discourages it).
  if (group >= 8) return "'::' stands for no group in an address that already has 8";
  const tail = group - gapAt;
  const shift = 8 - group;
  for (let g = gapAt + tail - 1; g >= gapAt; g--) {
    out[(g + shift) * 2] = out[g * 2]!;
    out[(g + shift) * 2 + 1] = out[g * 2 + 1]!;
  }
  out.fill(0, gapAt * 2, (gapAt + shift) * 2);
  return out;
}

function parseIpv4Text(s: string): Uint8Array | string {
  if (s.length === 0) return 'empty text';
  const out = new Uint8Array(4);
  const reason = parseIpv4Into(s, 0, s.length, out, 0);
  return reason === undefined ? out : reason;
}

function parseAny(s: string): IpAddress | string {
  if (s.indexOf(':') >= 0) {
    const r = parseIpv6Text(s);
    return typeof r === 'string' ? r : { version: 6, bytes: r };
  }
  const r = parseIpv4Text(s);
  return typeof r === 'string' ? r : { version: 4, bytes: r };
}

/**
 * Parses an IPv4 dotted quad (exactly 4 decimal parts, no leading zeros) or an IPv6 address
 * (RFC 4291 text, optional embedded IPv4, no zone index). Throws AddressError.
 */
export function parseIp(s: string): IpAddress {
  const r = parseAny(s);
  if (typeof r === 'string') throw new AddressError(s, r);
  return r;
}

export function parseIpv4(s: string): IpAddress {
  const r = parseIpv4Text(s);
  if (typeof r === 'string') throw new AddressError(s, r);
  return { version: 4, bytes: r };
}

export function parseIpv6(s: string): IpAddress {
  const r = parseIpv6Text(s);
  if (typeof r === 'string') throw new AddressError(s, r);
  return { version: 6, bytes: r };
}

/** Why `s` is not an IP address, or undefined when it is one. */
export function ipProblem(s: string): string | undefined {
  const r = parseAny(s);
  return typeof r === 'string' ? r : undefined;
}

export const isIp = (s: string): boolean => typeof parseAny(s) !== 'string';
export const isIpv4 = (s: string): boolean => typeof parseIpv4Text(s) !== 'string';
export const isIpv6 = (s: string): boolean => typeof parseIpv6Text(s) !== 'string';

/** The canonical text of an address given in any accepted form (e.g. `2001:DB8:0::1` → `2001:db8::1`). */
export const canonicalIp = (s: string): string => formatIp(parseIp(s));

export function ipEquals(a: IpAddress, b: IpAddress): boolean {
  if (a.version !== b.version) return false;
  for (let i = 0; i < a.bytes.length; i++) if (a.bytes[i] !== b.bytes[i]) return false;
  return true;
}

/** Orders IPv4 before IPv6, then numerically. */
export function compareIp(a: IpAddress, b: IpAddress): number {
  if (a.version !== b.version) return a.version - b.version;
  for (let i = 0; i < a.bytes.length; i++) {
    const d = a.bytes[i]! - b.bytes[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

export function ipToBigInt(address: IpAddress): bigint {
  let v = 0n;
  for (const b of address.bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** The address with numeric value `value`; throws RangeError when it does not fit the version. */
export function ipFromBigInt(version: IpVersion, value: bigint): IpAddress {
  const size = version === 4 ? 4 : 16;
  if (value < 0n || value >> BigInt(size * 8) !== 0n) {
    throw new RangeError(`${value} is outside the IPv${version} address space`);
  }
  const bytes = new Uint8Array(size);
  let v = value;
  for (let i = size - 1; i >= 0; i--) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return { version, bytes };
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), else undefined. */
export function unmapIpv4(address: IpAddress): IpAddress | undefined {
  if (address.version !== 6) return undefined;
  const b = address.bytes;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return undefined;
  if (b[10] !== 0xff || b[11] !== 0xff) return undefined;
  return { version: 4, bytes: b.slice(12, 16) };
}
