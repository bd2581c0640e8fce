// Window bookkeeping under hostile clocks: times the flow stage refuses, clock jumps across the
// whole accepted range, and long runs of silent windows, all of which must stay bounded.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_OBSERVED_TIME_SEC, WindowAggregator, type ClosedWindow } from './aggregator.ts';
import { FlowObserver, type ObservedPacket } from './observer.ts';
import type { MonitoredInterface } from './interfaces.ts';

function eni(n: number): MonitoredInterface {
  const ip = `10.0.${Math.floor(n / 250)}.${(n % 250) + 1}`;
  return {
    interfaceId: `eni-${n.toString(16).padStart(17, '0')}`, accountId: '111122223333', region: 'us-east-1', vpcId: 'vpc-01', subnetId: 'subnet-01',
    instanceId: null, azId: null, primaryIpv4: ip, ipv4: [ip], ipv6: [],
  };
}

const A = eni(0);
const B = eni(1);
const data = Uint8Array.from([10, 0, 0, 1, 10, 0, 0, 2]);

function observe(agg: WindowAggregator, t: number, iface = 0): void {
  agg.observe(t, data, false, 0, 4, 6, 40000, 443, 60, 2, iface, 1);
}

function packet(t: number): ObservedPacket {
  return { timeSec: t, data, ipVersion: 4, srcOffset: 0, dstOffset: 4, protocol: 6, srcPort: 40000, dstPort: 443, ipBytes: 60, tcpFlags: 2 };
}

const summary = (ws: ClosedWindow[]) => ws.flatMap((w) => w.records.map((r) => [r.record['log-status'], r.record.start, r.record.end]));

describe('times outside [1970, 2106) never reach a window', { timeout: 20_000 }, () => {
  it('observe refuses 2^59 s, 2^53 s, 2^32 s, negative, NaN and infinite times: no window opens or closes', () => {
    const agg = new WindowAggregator({ intervalSec: 60, maxFlows: 100, interfaces: [A] });
    const t0 = 1_700_000_040;
    observe(agg, t0);
    // 2^59 + 128 after 2^59 is what once spun forever (window + 60 == window in doubles there):
    // checking after every packet makes code that accepts 2^59 fail before it can spin.
    for (const t of [2 ** 59, 2 ** 59 + 128, 2 ** 53 + 2, MAX_OBSERVED_TIME_SEC, -1, -(2 ** 59), Number.NaN, Number.POSITIVE_INFINITY]) {
      observe(agg, t);
      assert.equal(agg.stats.windowsClosed, 0, `${t} moved a window`);
    }
    observe(agg, t0 + 5);
    assert.equal(agg.stats.outOfRangePackets, 8);
    assert.equal(agg.stats.packets, 2);
    agg.finish();
    const ws = agg.drain();
    assert.deepEqual(summary(ws), [['OK', t0, t0 + 5]]);
    assert.equal(ws[0]!.records[0]!.record.packets, 2);
  });

  it('advanceTo and markSkipped ignore such times; markSkipped still counts the loss in the open window', () => {
    const agg = new WindowAggregator({ intervalSec: 60, maxFlows: 100, interfaces: [A] });
    observe(agg, 1_700_000_040);
    agg.advanceTo(2 ** 59);
    assert.equal(agg.stats.windowsClosed, 0);
    agg.advanceTo(Number.NaN);
    agg.markSkipped(2 ** 59 + 128, 0, 3);
    assert.equal(agg.stats.windowsClosed, 0);
    agg.finish();
    assert.deepEqual(summary(agg.drain()).map(([status]) => status).sort(), ['OK', 'SKIPDATA']);
  });

  it('the last second before 2^32 is accepted with exact times; 2^32 itself is not', () => {
    const agg = new WindowAggregator({ intervalSec: 600, maxFlows: 100, interfaces: [A] });
    const last = MAX_OBSERVED_TIME_SEC - 1;
    observe(agg, last - 0.5);
    observe(agg, last);
    observe(agg, MAX_OBSERVED_TIME_SEC);
    observe(agg, MAX_OBSERVED_TIME_SEC + 700);
    assert.equal(agg.stats.outOfRangePackets, 2);
    agg.finish();
    const [w] = agg.drain();
    assert.equal(w!.windowStart, Math.floor(last / 600) * 600);
    assert.equal(w!.windowEnd, w!.windowStart + 600);
    assert.deepEqual(summary([w!]), [['OK', last - 1, last]]);
  });
});

describe('clock jumps stay bounded', { timeout: 20_000 }, () => {
  it('a jump across the whole range at a 1 s interval gives one NODATA record spanning the gap, and no further', () => {
    const agg = new WindowAggregator({ intervalSec: 1, maxFlows: 100, interfaces: [A] });
    observe(agg, 0);
    observe(agg, MAX_OBSERVED_TIME_SEC - 1);
    observe(agg, MAX_OBSERVED_TIME_SEC + 5);
    agg.advanceTo(2 ** 60);
    agg.finish();
    const ws = agg.drain();
    assert.deepEqual(summary(ws), [['OK', 0, 0], ['NODATA', 1, MAX_OBSERVED_TIME_SEC - 1], ['OK', MAX_OBSERVED_TIME_SEC - 1, MAX_OBSERVED_TIME_SEC - 1]]);
    assert.equal(agg.stats.windowsClosed, 3);
  });

  it('a long run of silent windows on many interfaces is drained in parts bounded by the limit', () => {
    const interfaces = Array.from({ length: 50 }, (_, i) => eni(i));
    const agg = new WindowAggregator({ intervalSec: 60, maxFlows: 100, interfaces });
    const t0 = 1_700_000_040;
    observe(agg, t0);
    observe(agg, t0 + 101 * 60); // 100 silent windows between (the default maxNoDataWindows): one NODATA window each
    agg.finish();
    let total = 0;
    let parts = 0;
    const windows = new Set<string>();
    for (;;) {
      const ws = agg.drain(100);
      if (ws.length === 0) break;
      for (const w of ws) windows.add(`${w.windowStart} ${w.windowEnd}`);
      const n = ws.reduce((k, w) => k + w.records.length, 0);
      // At most the limit plus one window's status records.
      assert.ok(n <= 100 + interfaces.length, `a drain(100) call built ${n} records`);
      total += n;
      parts++;
    }
    // 100 silent windows × 50 interfaces, plus each traffic window's OK record and 49 NODATA.
    assert.equal(total, 100 * 50 + 2 * 50);
    assert.ok(parts >= 51, `${parts} parts`);
    const w0 = Math.floor(t0 / 60) * 60;
    assert.deepEqual([...windows], Array.from({ length: 102 }, (_, i) => `${w0 + i * 60} ${w0 + (i + 1) * 60}`), 'consecutive whole windows');
  });
});

describe('FlowObserver with several intervals', { timeout: 20_000 }, () => {
  it('refuses out-of-range packets before any aggregator sees them', () => {
    const o = new FlowObserver({ interfaces: [A, B], intervals: [60, 600, 1], maxFlows: 100 });
    const t0 = 1_700_000_040;
    o.observe(packet(t0));
    for (const t of [2 ** 59, 2 ** 59 + 128, 2 ** 64, -5, Number.NaN]) {
      o.observe(packet(t));
      for (const agg of o.aggregators) assert.equal(agg.stats.windowsClosed, 0, `${t} moved a window of interval ${agg.intervalSec}`);
    }
    o.markLost(2 ** 59, [A.interfaceId]);
    o.advanceTo(2 ** 59);
    o.observe(packet(t0 + 0.5));
    assert.equal(o.stats.outOfRange, 5);
    assert.equal(o.stats.attributed, 2);
    for (const agg of o.aggregators) assert.equal(agg.stats.windowsClosed, 0, `interval ${agg.intervalSec}`);
    o.finish();
    const ws = o.drain();
    for (const w of ws) for (const r of w.records) assert.ok(Number(r.record.end) <= t0 + 600, JSON.stringify(r.record));
    assert.deepEqual(ws.map((w) => w.intervalSec), [1, 60, 600]);
  });
});
