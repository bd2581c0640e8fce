import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AcceptCounters, CounterFormatError, parseCounterSet } from './accept-counters.ts';
import type { CommandRunner } from './exec.ts';

// The shape `nft -j list set` (nftables 1.0.6) printed for a set like acc4 on this machine kind.
const listing = (elems: unknown[], type = ['ipv4_addr', 'ipv4_addr', 'inet_proto', 'inet_service', 'inet_service']) => JSON.stringify({
  nftables: [
    { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
    { set: { family: 'inet', name: 'acc4', table: 'vpcflow_counters', type, handle: 3, size: 262144, flags: ['timeout'], timeout: 60, elem: elems, stmt: [{ counter: null }] } },
  ],
});
const elem = (src: string, dst: string, proto: string | number, sport: number, dport: number, packets: number, bytes: number) =>
  ({ elem: { val: { concat: [src, dst, proto, sport, dport] }, expires: 59, counter: { packets, bytes } } });
const where = { namespace: 'vf-ns', set: 'acc4' };

test('parses every element with its totals; protocols by name or number; addresses canonical', () => {
  const flows = parseCounterSet(listing([elem('10.0.1.20', '10.0.1.10', 'tcp', 40000, 80, 12, 9000), elem('2600:1f18:0:0::10', '2600:1f18::20', 17, 53, 5353, 2, 180)]), 4, where);
  assert.deepEqual(flows[0], { ipVersion: 4, src: '10.0.1.20', dst: '10.0.1.10', protocol: 6, srcPort: 40000, dstPort: 80, packets: 12, bytes: 9000 });
  assert.equal(flows[1]!.src, '2600:1f18::10');
  assert.equal(flows[1]!.protocol, 17);
});

test('an empty set has no elements; malformed listings are refused with what and where', () => {
  assert.deepEqual(parseCounterSet(listing([]).replace(',"elem":[]', ''), 4, where), []);
  assert.throws(() => parseCounterSet('not json', 4, where), (e: unknown) => e instanceof CounterFormatError && /acc4 in vf-ns: not JSON/.test(e.message));
  assert.throws(() => parseCounterSet(listing([{ elem: { val: '10.0.0.1' } }]), 4, where), /is not \(saddr \. daddr \. proto \. sport \. dport\) with a counter/);
  assert.throws(() => parseCounterSet(listing([elem('10.0.0.1', '10.0.0.2', 'sctp', 1, 2, 1, 1)]), 4, where), /unexpected types/);
});

test('reads deltas: growth since the last read; an element that expired and came back counts from zero', async () => {
  let v4: unknown[] = [elem('10.0.1.20', '10.0.1.10', 'tcp', 40000, 80, 10, 1000)];
  const calls: string[][] = [];
  const runner: CommandRunner = async (program, args) => {
    calls.push([program, ...args]);
    return { stdout: args.at(-1) === 'acc4' ? listing(v4) : listing([], ['ipv6_addr', 'ipv6_addr', 'inet_proto', 'inet_service', 'inet_service']), stderr: '' };
  };
  const c = new AcceptCounters('vf-ns', runner);
  assert.deepEqual((await c.read()).map((f) => [f.packets, f.bytes]), [[10, 1000]]);
  assert.deepEqual(calls[0], ['ip', 'netns', 'exec', 'vf-ns', 'nft', '-j', 'list', 'set', 'inet', 'vpcflow_counters', 'acc4']);
  v4 = [elem('10.0.1.20', '10.0.1.10', 'tcp', 40000, 80, 15, 1600)];
  assert.deepEqual((await c.read()).map((f) => [f.packets, f.bytes]), [[5, 600]]);
  assert.deepEqual(await c.read(), [], 'nothing new, nothing reported');
  v4 = [elem('10.0.1.20', '10.0.1.10', 'tcp', 40000, 80, 3, 300)];
  assert.deepEqual((await c.read()).map((f) => [f.packets, f.bytes]), [[3, 300]], 'recreated element');
  c.reset();
  assert.deepEqual((await c.read()).map((f) => [f.packets, f.bytes]), [[3, 300]], 'after reset every total is new');
});
