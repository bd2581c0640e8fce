import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AddressError,
  canonicalIp,
  compareIp,
  formatIp,
  formatIpv4,
  formatIpv6,
  ipFromBigInt,
  ipToBigInt,
  isIp,
  isIpv4,
  isIpv6,
  parseIp,
  unmapIpv4,
} from './ip.ts';

// Deterministic PRNG so failures reproduce.
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('parseIp reads IPv4 dotted quads into bytes', () => {
  assert.deepEqual(parseIp('172.31.16.139'), { version: 4, bytes: Uint8Array.of(172, 31, 16, 139) });
  assert.deepEqual(parseIp('0.0.0.0').bytes, Uint8Array.of(0, 0, 0, 0));
  assert.deepEqual(parseIp('255.255.255.255').bytes, Uint8Array.of(255, 255, 255, 255));
});

test('parseIp rejects malformed IPv4 with a reason', () => {
  const cases: [string, RegExp][] = [
    ['', /empty/],
    ['1.2.3', /3 parts, expected 4/],
    ['1.2.3.4.5', /after the 4th/],
    ['1.2.3.256', /256, above 255/],
    ['01.2.3.4', /leading zero/],
    ['1.2.3.4 ', /unexpected character ' '/],
    [' 1.2.3.4', /unexpected character ' '/],
    ['1..3.4', /unexpected character '\.'/],
    ['1.2.3.', /3 parts/],
    ['1234.1.1.1', /more than 3 digits/],
    ['0x1.2.3.4', /unexpected character 'x'/],
    ['-', /unexpected character '-'/],
  ];
  for (const [text, why] of cases) {
    assert.throws(
      () => parseIp(text),
      (e: unknown) => e instanceof AddressError && e.text === text && why.test(e.reason),
      `expected ${JSON.stringify(text)} to fail with ${why}`,
    );
  }
});

test('parseIp reads IPv6 forms (RFC 4291 §2.2 examples)', () => {
  const full = Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0x08, 0x08, 0x00, 0x20, 0x0c, 0x41, 0x7a);
  assert.deepEqual(parseIp('2001:DB8:0:0:8:800:200C:417A').bytes, full);
  assert.deepEqual(parseIp('2001:db8::8:800:200c:417a').bytes, full);
  assert.deepEqual(parseIp('::').bytes, new Uint8Array(16));
  assert.deepEqual(parseIp('::1').bytes, Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1));
  assert.deepEqual(parseIp('ff01::').bytes, Uint8Array.of(0xff, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
  assert.deepEqual(parseIp('::13.1.68.3').bytes, Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 13, 1, 68, 3));
  assert.deepEqual(parseIp('::FFFF:129.144.52.38').bytes, Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 129, 144, 52, 38));
  assert.deepEqual(parseIp('0:0:0:0:0:0:13.1.68.3').bytes, parseIp('::13.1.68.3').bytes);
  assert.deepEqual(parseIp('1:2:3:4:5:6:7::').bytes, Uint8Array.of(0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0));
  assert.equal(parseIp('2a02:cf40::').version, 6);
});

test('parseIp rejects malformed IPv6 with a reason', () => {
  const cases: [string, RegExp][] = [
    [':', /single ':'/],
    [':1::', /single ':'/],
    ['1:2', /2 groups, expected 8/],
    ['1::2::3', /more than once/],
    ['1:2:3:4:5:6:7:8:9', /more than 8 groups/],
    ['1:2:3:4:5:6:7:8::', /already has 8/],
    ['::1:2:3:4:5:6:7:8', /already has 8/],
    ['12345::', /more than 4 hex digits/],
    ['fe80::1%eth0', /zone index/],
    ['1:', /ends with a single ':'/],
    [':::', /unexpected character ':'/],
    ['g::', /unexpected character 'g'/],
    ['::1.2.3', /embedded IPv4: IPv4 address has 3 parts/],
    ['1:2:3:4:5:6:7:1.2.3.4', /does not fit/],
    ['::1.2.3.4:5', /embedded IPv4/],
  ];
  for (const [text, why] of cases) {
    assert.throws(
      () => parseIp(text),
      (e: unknown) => e instanceof AddressError && why.test(e.reason),
      `expected ${JSON.stringify(text)} to fail with ${why}`,
    );
  }
});

test('formatIpv6 follows RFC 5952 (examples from its sections 4.1–4.3 and 5)', () => {
  const canon: [string, string][] = [
    ['2001:0db8::0001', '2001:db8::1'], // 4.1 leading zeros
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'], // 4.2.1 shorten as much as possible
    ['2001:db8::0:1', '2001:db8::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // 4.2.2 no '::' for one group
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // 4.2.3 longest run
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // 4.2.3 first of equal runs
    ['2001:DB8::ABCD', '2001:db8::abcd'], // 4.3 lower case
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'], // 5 IPv4-mapped keeps dotted form
    ['0:0:0:0:0:ffff:c000:201', '::ffff:192.0.2.1'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
  ];
  for (const [input, expected] of canon) assert.equal(canonicalIp(input), expected, input);
  // IPv4-compatible (deprecated) and IPv4-translated addresses are plain hex, as Python's ipaddress prints them.
  assert.equal(canonicalIp('::1.2.3.4'), '::102:304');
  assert.equal(canonicalIp('::ffff:0:1.2.3.4'), '::ffff:0:102:304');
});

test('formatIpv6 agrees with the WHATWG URL serializer on random addresses', () => {
  // URL host serialization compresses the first longest zero run (length ≥ 2) in lower case: an
  // independent RFC 5952 implementation. It never uses the dotted IPv4-mapped form, so skip those.
  const rnd = prng(5952);
  const bytes = new Uint8Array(16);
  for (let n = 0; n < 5000; n++) {
    for (let i = 0; i < 16; i += 2) {
      // Many zero groups so that runs and ties are common.
      const zero = rnd() < 0.5;
      bytes[i] = zero ? 0 : rnd() < 0.3 ? 0 : Math.floor(rnd() * 256);
      bytes[i + 1] = zero ? 0 : Math.floor(rnd() * 256);
    }
    const ours = formatIpv6(bytes, 0);
    if (ours.startsWith('::ffff:') && ours.includes('.')) continue;
    const url = new URL(`http://[${ours}]/`).hostname.slice(1, -1);
    assert.equal(ours, url);
    assert.deepEqual(parseIp(ours).bytes, bytes, 'text parses back to the same bytes');
  }
});

test('formatIpv4/formatIpv6 read at an offset inside a larger buffer', () => {
  const packet = Uint8Array.of(9, 9, 10, 0, 1, 5, 203, 0, 113, 5, 9);
  assert.equal(formatIpv4(packet, 2), '10.0.1.5');
  assert.equal(formatIpv4(packet, 6), '203.0.113.5');
  const v6 = new Uint8Array(20);
  v6.set(parseIp('2001:db8:1234:a100:8d6e:3477:df66:f105').bytes, 3);
  assert.equal(formatIpv6(v6, 3), '2001:db8:1234:a100:8d6e:3477:df66:f105');
});

test('formatIpv4 round-trips every octet value', () => {
  for (let v = 0; v < 256; v++) {
    const b = Uint8Array.of(v, 255 - v, v, 0);
    assert.equal(formatIpv4(b), `${v}.${255 - v}.${v}.0`);
  }
});

test('is* predicates and helpers', () => {
  assert.equal(isIp('10.0.0.1'), true);
  assert.equal(isIp('2001:db8::1'), true);
  assert.equal(isIp('10.0.0'), false);
  assert.equal(isIpv4('10.0.0.1'), true);
  assert.equal(isIpv4('::1'), false);
  assert.equal(isIpv6('::1'), true);
  assert.equal(isIpv6('10.0.0.1'), false);
  assert.equal(formatIp(parseIp('10.0.0.1')), '10.0.0.1');
  assert.equal(ipToBigInt(parseIp('0.0.1.2')), 258n);
  assert.equal(formatIp(ipFromBigInt(6, (1n << 128n) - 1n)), 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
  assert.throws(() => ipFromBigInt(4, 1n << 32n), RangeError);
  assert.ok(compareIp(parseIp('10.0.0.2'), parseIp('10.0.0.10')) < 0);
  assert.ok(compareIp(parseIp('255.255.255.255'), parseIp('::')) < 0);
  assert.equal(formatIp(unmapIpv4(parseIp('::ffff:10.1.2.3'))!), '10.1.2.3');
  assert.equal(unmapIpv4(parseIp('::1')), undefined);
});
