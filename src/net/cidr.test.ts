import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CidrError,
  addressIndex,
  broadcastAddress,
  cidrContains,
  cidrOf,
  cidrSize,
  cidrsOverlap,
  isCidr,
  networkAddress,
  nthAddress,
  parseCidr,
  prefixLengthOf,
} from './cidr.ts';
import { formatIp, parseIp } from './ip.ts';

test('parseCidr accepts network addresses and canonicalizes the text', () => {
  const c = parseCidr('10.0.0.0/16');
  assert.equal(c.version, 4);
  assert.equal(c.prefixLength, 16);
  assert.equal(c.text, '10.0.0.0/16');
  assert.equal(parseCidr('2001:DB8:0:0::/56').text, '2001:db8::/56');
  assert.equal(parseCidr('0.0.0.0/0').text, '0.0.0.0/0');
  assert.equal(parseCidr('::/0').text, '::/0');
  assert.equal(parseCidr('10.1.2.3/32').text, '10.1.2.3/32');
  assert.equal(parseCidr('2001:db8::1/128').text, '2001:db8::1/128');
});

test('parseCidr rejects host bits and names the network that was meant', () => {
  assert.throws(
    () => parseCidr('10.0.0.1/24'),
    (e: unknown) =>
      e instanceof CidrError &&
      e.expectedNetwork === '10.0.0.0/24' &&
      e.message === "invalid CIDR '10.0.0.1/24': host bits are set; the network address of this block is 10.0.0.0/24",
  );
  assert.throws(() => parseCidr('172.31.16.139/20'), (e: unknown) => e instanceof CidrError && e.expectedNetwork === '172.31.16.0/20');
  assert.throws(() => parseCidr('2001:db8::1/64'), (e: unknown) => e instanceof CidrError && e.expectedNetwork === '2001:db8::/64');
});

test('parseCidr: other malformed inputs', () => {
  const cases: [string, RegExp][] = [
    ['10.0.0.0', /missing '\/prefix-length'/],
    ['10.0.0.0/8/8', /more than one '\/'/],
    ['10.0.0.0/33', /exceeds 32/],
    ['::/129', /exceeds 128/],
    ['10.0.0.0/08', /not a decimal number/],
    ['10.0.0.0/', /not a decimal number/],
    ['10.0.0.0/-1', /not a decimal number/],
    ['10.0.0/8', /address part '10\.0\.0'/],
    [' 10.0.0.0/8', /address part/],
  ];
  for (const [text, why] of cases) {
    assert.throws(() => parseCidr(text), (e: unknown) => e instanceof CidrError && why.test(e.reason), text);
  }
  assert.equal(isCidr('10.0.0.0/8'), true);
  assert.equal(isCidr('10.0.0.1/8'), false);
});

test('parseCidr accepts 10.0.0.128/25 (host bits below the prefix only)', () => {
  assert.equal(parseCidr('10.0.0.128/25').text, '10.0.0.128/25');
  assert.throws(() => parseCidr('10.0.0.64/25'), CidrError);
});

test('cidrContains for addresses and blocks, across versions', () => {
  assert.equal(cidrContains('10.0.0.0/16', '10.0.255.255'), true);
  assert.equal(cidrContains('10.0.0.0/16', '10.1.0.0'), false);
  assert.equal(cidrContains('10.0.0.0/16', '10.0.4.0/24'), true);
  assert.equal(cidrContains('10.0.4.0/24', '10.0.0.0/16'), false);
  assert.equal(cidrContains('10.0.0.0/16', '10.0.0.0/16'), true);
  assert.equal(cidrContains('0.0.0.0/0', '203.0.113.5'), true);
  assert.equal(cidrContains('0.0.0.0/0', '::1'), false);
  assert.equal(cidrContains('::/0', '10.0.0.1'), false);
  assert.equal(cidrContains('2001:db8:1234:a100::/56', '2001:db8:1234:a1ff::1'), true);
  assert.equal(cidrContains('2001:db8:1234:a100::/56', '2001:db8:1234:a200::'), false);
  assert.equal(cidrContains(parseCidr('192.168.0.0/23'), parseIp('192.168.1.7')), true);
  // Non-octet-aligned prefix.
  assert.equal(cidrContains('172.16.0.0/12', '172.31.255.255'), true);
  assert.equal(cidrContains('172.16.0.0/12', '172.32.0.0'), false);
});

test('cidrsOverlap', () => {
  assert.equal(cidrsOverlap('10.0.0.0/16', '10.0.128.0/17'), true);
  assert.equal(cidrsOverlap('10.0.128.0/17', '10.0.0.0/16'), true);
  assert.equal(cidrsOverlap('10.0.0.0/17', '10.0.128.0/17'), false);
  assert.equal(cidrsOverlap('10.0.0.0/8', '11.0.0.0/8'), false);
  assert.equal(cidrsOverlap('::/0', '0.0.0.0/0'), false);
  assert.equal(cidrsOverlap('2001:db8::/32', '2001:db8:ffff::/48'), true);
});

test('sizes, network, broadcast and AWS reserved addresses of a subnet', () => {
  // AWS: in 10.0.0.0/24 the reserved addresses are .0 (network), .1 (router), .2 (DNS), .3 (future), .255 (broadcast).
  const subnet = '10.0.0.0/24';
  assert.deepEqual([0, 1, 2, 3, -1].map((n) => formatIp(nthAddress(subnet, n))), [
    '10.0.0.0',
    '10.0.0.1',
    '10.0.0.2',
    '10.0.0.3',
    '10.0.0.255',
  ]);
  assert.equal(formatIp(broadcastAddress('172.31.0.0/20')), '172.31.15.255');
  assert.equal(formatIp(networkAddress('172.31.0.0/20')), '172.31.0.0');
  assert.equal(cidrSize('10.0.0.0/16'), 65536n);
  assert.equal(cidrSize('::/0'), 1n << 128n);
  assert.equal(prefixLengthOf('10.0.0.0/28'), 28);
  assert.equal(formatIp(nthAddress('2001:db8::/64', -1)), '2001:db8::ffff:ffff:ffff:ffff');
  assert.equal(formatIp(nthAddress('2001:db8::/64', 4n)), '2001:db8::4');
  assert.throws(() => nthAddress('10.0.0.0/30', 4), RangeError);
  assert.throws(() => nthAddress('10.0.0.0/30', -5), RangeError);
  assert.equal(addressIndex('10.0.0.0/24', '10.0.0.77'), 77n);
  assert.equal(addressIndex('10.0.0.0/24', '10.0.1.0'), undefined);
});

test('cidrOf clears host bits and checks the prefix length', () => {
  assert.equal(cidrOf(parseIp('172.31.16.139'), 20).text, '172.31.16.0/20');
  assert.equal(cidrOf(parseIp('2001:db8:1234:a100:8d6e:3477:df66:f105'), 56).text, '2001:db8:1234:a100::/56');
  assert.throws(() => cidrOf(parseIp('10.0.0.1'), 33), RangeError);
});
