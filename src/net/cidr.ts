// CIDR blocks for IPv4 and IPv6: strict parsing (host bits must be zero, as AWS requires for VPC
// and subnet blocks), containment, overlap and address arithmetic for AWS's reserved addresses.

import { type IpAddress, type IpVersion, formatIp, ipFromBigInt, ipProblem, ipToBigInt, parseIp } from './ip.ts';

export interface Cidr {
  readonly version: IpVersion;
  /** The network address (host bits zero). */
  readonly network: IpAddress;
  readonly prefixLength: number;
  /** Canonical text, e.g. `10.0.0.0/16`, `2001:db8::/56`. */
  readonly text: string;
}

/** A text that is not a valid CIDR block. `expectedNetwork` is set when only the host bits are wrong. */
export class CidrError extends Error {
  override readonly name = 'CidrError';
  constructor(
    readonly text: string,
    readonly reason: string,
    readonly expectedNetwork?: string,
  ) {
    super(`invalid CIDR '${text}': ${reason}`);
  }
}

const bitsOf = (version: IpVersion): number => (version === 4 ? 32 : 128);

function maskBytes(bytes: Uint8Array, prefixLength: number): Uint8Array {
  const out = bytes.slice();
  for (let i = 0; i < out.length; i++) {
    const keep = prefixLength - i * 8;
    if (keep >= 8) continue;
    out[i] = keep <= 0 ? 0 : out[i]! & (0xff << (8 - keep));
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function makeCidr(network: IpAddress, prefixLength: number): Cidr {
  return { version: network.version, network, prefixLength, text: `${formatIp(network)}/${prefixLength}` };
}

/** The block of the given prefix length containing `address` (host bits cleared). */
export function cidrOf(address: IpAddress, prefixLength: number): Cidr {
  const bits = bitsOf(address.version);
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > bits) {
    throw new RangeError(`prefix length ${prefixLength} is outside 0..${bits} for IPv${address.version}`);
  }
  return makeCidr({ version: address.version, bytes: maskBytes(address.bytes, prefixLength) }, prefixLength);
}

/**
 * Parses `address/prefix`. Strict: exactly one '/', a decimal prefix without leading zeros within
 * 0..32 (IPv4) or 0..128 (IPv6), and no host bits set (the error then names the network meant).
 */
export function parseCidr(s: string): Cidr {
  const slash = s.indexOf('/');
  if (slash < 0) throw new CidrError(s, "missing '/prefix-length'");
  if (s.indexOf('/', slash + 1) >= 0) throw new CidrError(s, "more than one '/'");
  const addressText = s.slice(0, slash);
  const prefixText = s.slice(slash + 1);
  const problem = ipProblem(addressText);
  if (problem !== undefined) throw new CidrError(s, `address part '${addressText}': ${problem}`);
  const address = parseIp(addressText);
  const bits = bitsOf(address.version);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) {
    throw new CidrError(s, `prefix length '${prefixText}' is not a decimal number 0..${bits}`);
  }
  const prefixLength = Number(prefixText);
  if (prefixLength > bits) throw new CidrError(s, `prefix length ${prefixLength} exceeds ${bits} for IPv${address.version}`);
  const network = maskBytes(address.bytes, prefixLength);
  if (!sameBytes(network, address.bytes)) {
    const expected = makeCidr({ version: address.version, bytes: network }, prefixLength).text;
    throw new CidrError(s, `host bits are set; the network address of this block is ${expected}`, expected);
  }
  return makeCidr(address, prefixLength);
}

export const isCidr = (s: string): boolean => {
  try {
    parseCidr(s);
    return true;
  } catch {
    return false;
  }
};

const asCidr = (x: Cidr | string): Cidr => (typeof x === 'string' ? parseCidr(x) : x);

const isCidrValue = (x: Cidr | IpAddress): x is Cidr => 'prefixLength' in x;

function toTarget(x: Cidr | IpAddress | string): Cidr {
  if (typeof x === 'string') {
    if (x.includes('/')) return parseCidr(x);
    const address = parseIp(x);
    return cidrOf(address, bitsOf(address.version));
  }
  if (isCidrValue(x)) return x;
  return cidrOf(x, bitsOf(x.version));
}

/**
 * Whether `inner` (an address, or a whole block) lies inside `cidr`. Strings are parsed (an
 * address when there is no '/'); different IP versions never contain each other.
 */
export function cidrContains(cidr: Cidr | string, inner: Cidr | IpAddress | string): boolean {
  const outer = asCidr(cidr);
  const target = toTarget(inner);
  if (outer.version !== target.version || target.prefixLength < outer.prefixLength) return false;
  return sameBytes(maskBytes(target.network.bytes, outer.prefixLength), outer.network.bytes);
}

/** Whether the two blocks share at least one address (for CIDR blocks: one contains the other). */
export function cidrsOverlap(a: Cidr | string, b: Cidr | string): boolean {
  const x = asCidr(a);
  const y = asCidr(b);
  if (x.version !== y.version) return false;
  const shorter = Math.min(x.prefixLength, y.prefixLength);
  return sameBytes(maskBytes(x.network.bytes, shorter), maskBytes(y.network.bytes, shorter));
}

export const prefixLengthOf = (cidr: Cidr | string): number => asCidr(cidr).prefixLength;

/** Number of addresses in the block (a bigint: an IPv6 /0 holds 2^128). */
export function cidrSize(cidr: Cidr | string): bigint {
  const c = asCidr(cidr);
  return 1n << BigInt(bitsOf(c.version) - c.prefixLength);
}

export const networkAddress = (cidr: Cidr | string): IpAddress => asCidr(cidr).network;

/** The last address of the block (the IPv4 broadcast address; for IPv6 simply the highest). */
export function broadcastAddress(cidr: Cidr | string): IpAddress {
  return nthAddress(cidr, -1);
}

/**
 * The address at index `n` of the block: 0 is the network address, 1 the next, …; negative
 * indexes count from the end (-1 is the last). AWS reserves indexes 0–3 and -1 of every subnet.
 * Throws RangeError when the block has no such address.
 */
export function nthAddress(cidr: Cidr | string, n: number | bigint): IpAddress {
  const c = asCidr(cidr);
  const size = cidrSize(c);
  const i = typeof n === 'bigint' ? n : BigInt(n);
  const index = i < 0n ? size + i : i;
  if (index < 0n || index >= size) {
    throw new RangeError(`address index ${n} is outside ${c.text}, which holds ${size} addresses`);
  }
  return ipFromBigInt(c.version, ipToBigInt(c.network) + index);
}

/** Index of `address` within `cidr` (inverse of nthAddress), or undefined when outside. */
export function addressIndex(cidr: Cidr | string, address: IpAddress | string): bigint | undefined {
  const c = asCidr(cidr);
  const a = typeof address === 'string' ? parseIp(address) : address;
  if (!cidrContains(c, a)) return undefined;
  return ipToBigInt(a) - ipToBigInt(c.network);
}
