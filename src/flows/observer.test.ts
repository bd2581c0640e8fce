import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowObserver, type ObservedPacket } from './observer.ts';
import type { MonitoredInterface } from './interfaces.ts';
import type { FlowRecord } from '../records/index.ts';

const A: MonitoredInterface = {
  interfaceId: 'eni-0aaaaaaaaaaaaaaaa', accountId: '111122223333', region: 'us-east-1', vpcId: 'vpc-01', subnetId: 'subnet-0a',
  instanceId: 'i-0a', azId: 'use1-az1', primaryIpv4: '10.0.1.10', ipv4: ['10.0.1.10', '10.0.1.11'], ipv6: ['2600:1f18::10'],
};
const B: MonitoredInterface = {
  interfaceId: 'eni-0bbbbbbbbbbbbbbbb', accountId: '111122223333', region: 'us-east-1', vpcId: 'vpc-01', subnetId: 'subnet-0b',
  instanceId: 'i-0b', azId: 'use1-az2', primaryIpv4: '10.0.2.20', ipv4: ['10.0.2.20'], ipv6: ['2600:1f18::20'],
};

function v4(src: string, dst: string, t: number, extra: Partial<ObservedPacket> = {}): ObservedPacket {
  const data = new Uint8Array(8);
  data.set(src.split('.').map(Number), 0);
  data.set(dst.split('.').map(Number), 4);
  return { timeSec: t, data, ipVersion: 4, srcOffset: 0, dstOffset: 4, protocol: 6, srcPort: 40000, dstPort: 80, ipBytes: 60, tcpFlags: 0x10, ...extra };
}

function v6(src: number, dst: number, t: number): ObservedPacket {
  const data = new Uint8Array(32);
  const prefix = [0x26, 0x00, 0x1f, 0x18];
  data.set(prefix, 0);
  data.set(prefix, 16);
  data[15] = src;
  data[31] = dst;
  return { timeSec: t, data, ipVersion: 6, srcOffset: 0, dstOffset: 16, protocol: 6, srcPort: 5555, dstPort: 22, ipBytes: 80, tcpFlags: 0x02 };
}

const records = (o: FlowObserver): FlowRecord[] => o.drain().flatMap((w) => w.records.map((r) => r.record));
const find = (rs: FlowRecord[], eni: MonitoredInterface, dir: string) => rs.filter((r) => r['interface-id'] === eni.interfaceId && r['flow-direction'] === dir);

test('a conversation between two interfaces gives each interface an egress and an ingress record', () => {
  const o = new FlowObserver({ interfaces: [A, B], intervals: [60], maxFlows: 100 });
  const t0 = 1_700_000_040; // window [1700000040, 1700000100)
  o.observe(v4('10.0.2.20', '10.0.1.10', t0 + 1, { tcpFlags: 0x02, srcPort: 40000, dstPort: 80 })); // SYN
  o.observe(v4('10.0.1.10', '10.0.2.20', t0 + 1.2, { tcpFlags: 0x12, srcPort: 80, dstPort: 40000, ipBytes: 60 })); // SYN-ACK
  o.observe(v4('10.0.2.20', '10.0.1.10', t0 + 2, { tcpFlags: 0x10, srcPort: 40000, dstPort: 80, ipBytes: 52 }));
  o.observe(v4('10.0.2.20', '10.0.1.10', t0 + 5, { tcpFlags: 0x11, srcPort: 40000, dstPort: 80, ipBytes: 52 })); // FIN
  o.observe(v4('10.0.1.10', '10.0.2.20', t0 + 5.5, { tcpFlags: 0x11, srcPort: 80, dstPort: 40000, ipBytes: 52 }));
  o.finish();
  const rs = records(o);
  assert.equal(rs.length, 4);
  const bIn = find(rs, A, 'ingress')[0]!; // client → server seen on the server's interface
  assert.deepEqual(
    [bIn.srcaddr, bIn.dstaddr, bIn.srcport, bIn.dstport, bIn.packets, bIn.bytes, bIn.start, bIn.end, bIn['tcp-flags'], bIn.action, bIn['log-status']],
    ['10.0.2.20', '10.0.1.10', 40000, 80, 3, 164, t0 + 1, t0 + 5, 3, 'ACCEPT', 'OK'],
  );
  assert.equal(bIn['traffic-path'], null, 'traffic-path is egress-only');
  const clientOut = find(rs, B, 'egress')[0]!;
  assert.deepEqual([clientOut.packets, clientOut.bytes, clientOut['tcp-flags'], clientOut['traffic-path'], clientOut['subnet-id']], [3, 164, 3, 1, 'subnet-0b']);
  const serverOut = find(rs, A, 'egress')[0]!;
  assert.equal(serverOut['tcp-flags'], 19, 'SYN-ACK (18) ORed with FIN (1)');
  assert.equal(serverOut.packets, 2);
});

test('windows: packets in the next window close the previous one; silent windows and interfaces get NODATA', () => {
  const o = new FlowObserver({ interfaces: [A, B], intervals: [60], maxFlows: 100 });
  o.observe(v4('10.0.1.10', '198.51.100.1', 120));
  o.observe(v4('10.0.1.10', '198.51.100.1', 250)); // window 240; window 180 was silent
  const closed = o.drain();
  assert.deepEqual(closed.map((w) => [w.windowStart, w.windowEnd]), [[120, 180], [180, 240]]);
  const first = closed[0]!.records.map((r) => r.record);
  assert.equal(first.length, 2);
  const nodataB = first.find((r) => r['interface-id'] === B.interfaceId)!;
  assert.deepEqual([nodataB['log-status'], nodataB.start, nodataB.end, nodataB.action, nodataB.srcaddr], ['NODATA', 120, 180, undefined, undefined]);
  assert.ok(closed[1]!.records.every((r) => r.record['log-status'] === 'NODATA'));
  o.finish();
  const last = records(o);
  assert.equal(last.find((r) => r['interface-id'] === A.interfaceId)!.start, 250);
});

test('each aggregation interval in use gets its own records', () => {
  const o = new FlowObserver({ interfaces: [A], intervals: [600, 60, 60], maxFlows: 100 });
  for (const t of [0, 30, 90, 150]) o.observe(v4('10.0.1.10', '198.51.100.1', 1_800_000_000 + t));
  o.finish();
  const windows = o.drain();
  const by = (i: number) => windows.filter((w) => w.intervalSec === i).flatMap((w) => w.records.map((r) => r.record.packets));
  assert.deepEqual(by(60), [2, 1, 1]);
  assert.deepEqual(by(600), [4]);
});

test('a full flow table turns new flows into SKIPDATA for the interface, never unbounded memory', () => {
  const o = new FlowObserver({ interfaces: [A, B], intervals: [60], maxFlows: 2 });
  for (let p = 1; p <= 5; p++) o.observe(v4('10.0.1.10', '198.51.100.1', 60, { srcPort: 1000 + p }));
  o.observe(v4('10.0.1.10', '198.51.100.1', 61, { srcPort: 1001 })); // existing flow still counts
  o.finish();
  const rs = records(o);
  const ok = rs.filter((r) => r['log-status'] === 'OK');
  assert.deepEqual(ok.map((r) => [r.srcport, r.packets]), [[1001, 2], [1002, 1]]);
  assert.equal(rs.filter((r) => r['log-status'] === 'SKIPDATA' && r['interface-id'] === A.interfaceId).length, 1);
  assert.equal(o.aggregators[0]!.stats.skippedPackets, 3);
  assert.equal(rs.find((r) => r['interface-id'] === B.interfaceId)!['log-status'], 'NODATA');
});

test('lost observations make SKIPDATA for the named interfaces in the window open at the time, beside OK records', () => {
  const o = new FlowObserver({ interfaces: [A, B], intervals: [60], maxFlows: 10 });
  o.observe(v4('10.0.1.10', '198.51.100.1', 60));
  o.markLost(70, [A.interfaceId, 'eni-00000000000000000'], 12);
  o.observe(v4('10.0.1.10', '198.51.100.1', 125));
  o.finish();
  const rs = records(o);
  const status = (eni: string, from: number) => rs.filter((r) => r['interface-id'] === eni && Number(r.start) >= from && Number(r.start) < from + 60).map((r) => r['log-status']).sort();
  assert.deepEqual(status(A.interfaceId, 60), ['OK', 'SKIPDATA']);
  assert.deepEqual(status(B.interfaceId, 60), ['NODATA']);
  assert.deepEqual(status(A.interfaceId, 120), ['OK'], 'the loss belongs to its own window only');
  assert.equal(o.aggregators[0]!.stats.skippedPackets, 12);
});

test('an observation counted in the kernel stands for its packets and bytes, beside per-packet observations of the same flow', () => {
  const o = new FlowObserver({ interfaces: [A, B], intervals: [60], maxFlows: 10 });
  o.observe(v4('10.0.2.20', '10.0.1.10', 60, { tcpFlags: 0x02, ipBytes: 60 }));
  o.observe(v4('10.0.2.20', '10.0.1.10', 61, { tcpFlags: 0, ipBytes: 52_000, packets: 40 }));
  o.observe(v4('10.0.2.20', '10.0.1.10', 62, { tcpFlags: 0x11, ipBytes: 52 }));
  o.finish();
  const rs = records(o).filter((r) => r['log-status'] === 'OK');
  assert.equal(rs.length, 2, 'one record per interface');
  for (const r of rs) assert.deepEqual([r.packets, r.bytes, r['tcp-flags']], [42, 52_112, 3]);
  assert.equal(o.aggregators[0]!.stats.packets, 84, 'each interface counted 42 packets');
});

test('secondary and foreign addresses show as the primary IPv4 in srcaddr/dstaddr, the real one in pkt-*', () => {
  const o = new FlowObserver({ interfaces: [A], intervals: [60], maxFlows: 10 });
  o.observe(v4('198.51.100.9', '10.0.1.11', 60));
  o.finish();
  const [r] = records(o);
  assert.deepEqual([r!.srcaddr, r!.dstaddr, r!['pkt-srcaddr'], r!['pkt-dstaddr'], r!['flow-direction']], ['198.51.100.9', '10.0.1.10', '198.51.100.9', '10.0.1.11', 'ingress']);
});

test('IPv6 flows are keyed and printed in canonical form', () => {
  const o = new FlowObserver({ interfaces: [A, B], intervals: [60], maxFlows: 10 });
  o.observe(v6(0x20, 0x10, 60));
  o.observe(v6(0x20, 0x10, 61));
  o.finish();
  const rs = records(o).filter((r) => r['log-status'] === 'OK');
  assert.equal(rs.length, 2);
  for (const r of rs) assert.deepEqual([r.srcaddr, r.dstaddr, r.type, r.packets], ['2600:1f18::20', '2600:1f18::10', 'IPv6', 2]);
});

test('verdicts: a drop at the source is REJECT on the sender only; at the destination ACCEPT then REJECT', () => {
  const o = new FlowObserver({ interfaces: [A, B], intervals: [60], maxFlows: 10 });
  o.observe(v4('10.0.2.20', '10.0.1.10', 60, { dstPort: 22, tcpFlags: 2 }), 'destination', 'sg-0a inbound');
  o.observe(v4('10.0.2.20', '10.0.1.10', 61, { dstPort: 3389, tcpFlags: 2 }), 'source', 'acl-0b egress #100');
  o.finish();
  const w = o.drain()[0]!;
  const ssh = w.records.filter((r) => r.record.dstport === 22).map((r) => [r.record['interface-id'], r.record.action, r.rule]);
  assert.deepEqual(ssh.sort(), [[A.interfaceId, 'REJECT', 'sg-0a inbound'], [B.interfaceId, 'ACCEPT', null]].sort());
  const rdp = w.records.filter((r) => r.record.dstport === 3389).map((r) => [r.record['interface-id'], r.record.action, r.rule]);
  assert.deepEqual(rdp, [[B.interfaceId, 'REJECT', 'acl-0b egress #100']]);
});

test('traffic AWS does not log is left out (DHCP, metadata), as is traffic of no monitored interface', () => {
  const o = new FlowObserver({ interfaces: [A], intervals: [60], maxFlows: 10, unloggedAddresses: ['169.254.169.254'] });
  o.observe(v4('10.0.1.10', '169.254.169.254', 60));
  o.observe(v4('10.0.1.10', '255.255.255.255', 60, { protocol: 17, srcPort: 68, dstPort: 67 }));
  o.observe(v4('198.51.100.1', '198.51.100.2', 60));
  o.finish();
  assert.deepEqual(o.stats, { packets: 3, attributed: 0, notMonitored: 1, unlogged: 2, outOfRange: 0 });
  assert.equal(records(o)[0]!['log-status'], 'NODATA');
});

test('a big window is drained in parts of bounded size; its status records come with the last part', () => {
  const o = new FlowObserver({ interfaces: [A, B], intervals: [60], maxFlows: 100 });
  for (let p = 0; p < 5; p++) o.observe(v4('10.0.1.10', '198.51.100.1', 60, { srcPort: 2000 + p }));
  o.finish();
  const parts = [o.drain(2), o.drain(2), o.drain(2), o.drain(2)];
  assert.deepEqual(parts.map((p) => p.flatMap((w) => w.records.map((r) => r.record['log-status'] === 'OK' ? r.record.srcport : r.record['log-status']))), [
    [2000, 2001], [2002, 2003], [2004, 'NODATA'], [],
  ]);
  assert.ok(parts.flat().every((w) => w.windowStart === 60 && w.windowEnd === 120));
});
