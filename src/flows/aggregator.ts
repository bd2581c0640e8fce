// Turns observed packets into AWS flow records: one record per interface × 5-tuple × action per
// capture window, with NODATA for silent interfaces and SKIPDATA when observations were lost.

import { FlowTable, type FlowKey, type FlowView } from './flow-table.ts';
import type { MonitoredInterface } from './interfaces.ts';
import type { FlowRecord } from '../records/index.ts';
import { formatIpv4, formatIpv6 } from '../net/index.ts';

export interface EmittedRecord {
  /** Index into the aggregator's interface list. */
  interfaceIndex: number;
  record: FlowRecord;
  /** The rule that decided the verdict (not part of AWS's text), null when unknown. */
  rule: string | null;
}

export interface ClosedWindow {
  intervalSec: number;
  windowStart: number;
  windowEnd: number;
  records: EmittedRecord[];
}

interface Closing {
  start: number;
  end: number;
  table: FlowTable | null;
  cursor: number;
  /** null for a silent window (or gap): its NODATA records are built when drained, not when queued. */
  statusRecords: EmittedRecord[] | null;
}

export interface AggregatorOptions {
  intervalSec: number;
  /** Bound on flows per window; beyond it new flows are dropped and reported as SKIPDATA. */
  maxFlows: number;
  interfaces: readonly MonitoredInterface[];
  /** Emit NODATA records for interfaces without traffic in a window (AWS does). Default true. */
  emitNoData?: boolean;
  /** Gaps longer than this many windows get one NODATA record spanning the gap instead of one per window. */
  maxNoDataWindows?: number;
}

export interface AggregatorStats {
  packets: number;
  latePackets: number;
  /** Observations refused because their time lies outside [MIN_OBSERVED_TIME_SEC, MAX_OBSERVED_TIME_SEC). */
  outOfRangePackets: number;
  skippedPackets: number;
  windowsClosed: number;
  recordsEmitted: number;
}

/**
 * The times the flow stage accepts, [1970-01-01, 2106-02-07): the flow table keeps start and end as
 * unsigned 32-bit seconds, and window arithmetic stays exact integers. The capture decoder hands on
 * only packets in the same range (capture/packet.ts MIN/MAX_PACKET_TIME_SEC; capture/ is the same
 * layer, so the bounds are not imported from there).
 */
export const MIN_OBSERVED_TIME_SEC = 0;
export const MAX_OBSERVED_TIME_SEC = 2 ** 32;

/** False for NaN too. */
export function isObservableTime(timeSec: number): boolean {
  return timeSec >= MIN_OBSERVED_TIME_SEC && timeSec < MAX_OBSERVED_TIME_SEC;
}

/** Observation flags, combined with `|`. */
export const EGRESS = 1;
export const REJECT = 2;
/** The other end of the packet is an interface of the same network (traffic-path 1). */
export const INTERNAL = 4;

export class WindowAggregator {
  readonly intervalSec: number;
  private table: FlowTable;
  private readonly interfaces: readonly MonitoredInterface[];
  private readonly flowsPerIface: Uint32Array;
  private readonly skippedPerIface: Uint32Array;
  private readonly ruleNames: string[] = [''];
  private readonly ruleIds = new Map<string, number>();
  /**
   * The open window as an integer index (its start is index × intervalSec), null before the first
   * observation. Whole numbers, so closing windows never depends on floating-point progress.
   */
  private window: number | null = null;
  private readonly emitNoData: boolean;
  private readonly maxNoDataWindows: number;
  private readonly key: FlowKey = {
    iface: 0, ipv6: false, egress: false, reject: false, internal: false, protocol: 0, srcPort: 0, dstPort: 0,
    data: new Uint8Array(0), srcOffset: 0, dstOffset: 0,
  };
  /** Closed windows not yet drained: their flow tables stay intact until every record is read. */
  private readonly closing: Closing[] = [];
  private spare: FlowTable | null = null;
  private readonly maxFlows: number;
  readonly stats: AggregatorStats = { packets: 0, latePackets: 0, outOfRangePackets: 0, skippedPackets: 0, windowsClosed: 0, recordsEmitted: 0 };

  constructor(opts: AggregatorOptions) {
    if (!Number.isInteger(opts.intervalSec) || opts.intervalSec < 1) {
      throw new RangeError(`aggregation interval must be a positive whole number of seconds, got ${opts.intervalSec}`);
    }
    if (opts.interfaces.length > 0xffff) throw new RangeError(`at most 65535 interfaces per aggregator, got ${opts.interfaces.length}`);
    this.intervalSec = opts.intervalSec;
    this.maxFlows = opts.maxFlows;
    this.table = new FlowTable(opts.maxFlows);
    this.interfaces = opts.interfaces;
    this.flowsPerIface = new Uint32Array(opts.interfaces.length);
    this.skippedPerIface = new Uint32Array(opts.interfaces.length);
    this.emitNoData = opts.emitNoData ?? true;
    this.maxNoDataWindows = opts.maxNoDataWindows ?? 100;
    if (!Number.isInteger(this.maxNoDataWindows) || this.maxNoDataWindows < 0) {
      throw new RangeError(`maxNoDataWindows must be a whole number >= 0, got ${this.maxNoDataWindows}`);
    }
  }

  get activeFlows(): number {
    return this.table.size;
  }

  get tableBytes(): number {
    return this.table.allocatedBytes;
  }

  get tableCapacity(): number {
    return this.table.allocatedFlows;
  }

  /** Interns a rule description, returning the small id `observe` takes (0 = none). */
  ruleId(rule: string): number {
    let id = this.ruleIds.get(rule);
    if (id === undefined) {
      if (this.ruleNames.length >= 0xffff) return 0;
      id = this.ruleNames.length;
      this.ruleNames.push(rule);
      this.ruleIds.set(rule, id);
    }
    return id;
  }

  /**
   * Records one packet seen on interface `iface` (an index into `interfaces`).
   * `flags` combines EGRESS, REJECT and INTERNAL. Closed windows queue up for `drain()`.
   * A time outside [MIN_OBSERVED_TIME_SEC, MAX_OBSERVED_TIME_SEC) is refused (counted in stats).
   */
  observe(
    timeSec: number, data: Uint8Array, ipv6: boolean, srcOffset: number, dstOffset: number, protocol: number,
    srcPort: number, dstPort: number, ipBytes: number, awsFlags: number, iface: number, flags: number, rule = 0, packets = 1,
  ): void {
    if (!isObservableTime(timeSec)) {
      this.stats.outOfRangePackets += packets;
      return;
    }
    this.stats.packets += packets;
    let t = timeSec;
    const index = Math.floor(t / this.intervalSec);
    if (this.window === null) this.window = index;
    else if (index > this.window) this.closeUntil(index);
    else if (index < this.window) {
      // Out-of-order capture: AWS's start/end may lag too; count the packet in the open window.
      this.stats.latePackets++;
      t = this.window * this.intervalSec;
    }
    const k = this.key;
    k.iface = iface;
    k.ipv6 = ipv6;
    k.egress = (flags & EGRESS) !== 0;
    k.reject = (flags & REJECT) !== 0;
    k.internal = (flags & INTERNAL) !== 0;
    k.protocol = protocol;
    k.srcPort = srcPort;
    k.dstPort = dstPort;
    k.data = data;
    k.srcOffset = srcOffset;
    k.dstOffset = dstOffset;
    const before = this.table.size;
    if (!this.table.add(k, t, ipBytes, awsFlags, rule, packets)) {
      this.stats.skippedPackets += packets;
      this.skippedPerIface[iface]! += packets;
      return;
    }
    if (this.table.size !== before) this.flowsPerIface[iface]!++;
  }

  /**
   * Counts `count` observations of interface `iface` as lost at `timeSec` (e.g. the capture reader
   * overran): the window open then gets a SKIPDATA record for the interface, as when the table is full.
   */
  markSkipped(timeSec: number, iface: number, count: number): void {
    if (iface < 0 || iface >= this.interfaces.length || !(count > 0)) return;
    // A time out of range moves no window; the loss still counts in the window open (or next opened).
    this.advanceTo(timeSec);
    this.stats.skippedPackets += count;
    this.skippedPerIface[iface]! += count;
  }

  /** Closes every window that ends at or before `timeSec` (live capture: call on a clock tick); out-of-range times are ignored. */
  advanceTo(timeSec: number): void {
    if (!isObservableTime(timeSec)) return;
    const index = Math.floor(timeSec / this.intervalSec);
    if (this.window === null) this.window = index;
    else if (index > this.window) this.closeUntil(index);
  }

  /** Closes the open window (end of a finished capture file). */
  finish(): void {
    if (this.window === null) return;
    this.closeCurrent();
    this.window = null;
  }

  /**
   * Records of windows closed since the last drain, oldest first, in parts of about `limit` records
   * (a part is a ClosedWindow too; the last part of a window carries its NODATA/SKIPDATA, so a part
   * may exceed `limit` by one window's status records). Records are built here, part by part, so a
   * huge window, or a long run of silent ones, never exists as one array.
   */
  drain(limit = Number.POSITIVE_INFINITY): ClosedWindow[] {
    const out: ClosedWindow[] = [];
    let budget = limit;
    while (this.closing.length > 0 && budget > 0) {
      const c = this.closing[0]!;
      const records: EmittedRecord[] = [];
      if (c.table) {
        const to = Math.min(c.table.size, c.cursor + budget);
        const addr = new Uint8Array(16);
        c.table.forEach((f) => {
          records.push({ interfaceIndex: f.iface, record: this.flowRecord(f, addr), rule: f.rule === 0 ? null : this.ruleNames[f.rule]! });
        }, c.cursor, to);
        budget -= to - c.cursor;
        c.cursor = to;
      }
      const done = !c.table || c.cursor >= c.table.size;
      if (done) {
        const status = c.statusRecords ?? this.noDataRecords(c.start, c.end);
        for (const r of status) records.push(r);
        budget -= status.length;
        this.closing.shift();
        if (c.table) {
          c.table.clear();
          this.spare ??= c.table;
        }
      }
      this.stats.recordsEmitted += records.length;
      out.push({ intervalSec: this.intervalSec, windowStart: c.start, windowEnd: c.end, records });
    }
    return out;
  }

  /** Closes the open window and the silent ones up to window `target` (> the open one), which opens. */
  private closeUntil(target: number): void {
    const open = this.window!;
    this.closeCurrent();
    // Whole windows strictly between the closed one and the target: at most maxNoDataWindows
    // entries, however far the clock jumped.
    const gap = target - open - 1;
    if (gap > 0 && this.emitNoData) {
      if (gap > this.maxNoDataWindows) {
        this.closing.push(this.noDataWindow(open + 1, target));
      } else {
        for (let w = open + 1; w < target; w++) this.closing.push(this.noDataWindow(w, w + 1));
      }
    }
    this.window = target;
  }

  /** Windows [from, to) with nothing observed, as one drain entry (records built by drain). */
  private noDataWindow(from: number, to: number): Closing {
    this.stats.windowsClosed++;
    return { start: from * this.intervalSec, end: to * this.intervalSec, table: null, cursor: 0, statusRecords: null };
  }

  private noDataRecords(start: number, end: number): EmittedRecord[] {
    return this.interfaces.map((_, i) => ({ interfaceIndex: i, record: this.statusRecord(i, start, end, 'NODATA'), rule: null }));
  }

  /** Hands the window's table to the drain queue and continues on a fresh (or recycled) one. */
  private closeCurrent(): void {
    const start = this.window! * this.intervalSec;
    const end = start + this.intervalSec;
    const statusRecords: EmittedRecord[] = [];
    for (let i = 0; i < this.interfaces.length; i++) {
      if (this.skippedPerIface[i]! > 0) statusRecords.push({ interfaceIndex: i, record: this.statusRecord(i, start, end, 'SKIPDATA'), rule: null });
      else if (this.flowsPerIface[i] === 0 && this.emitNoData) statusRecords.push({ interfaceIndex: i, record: this.statusRecord(i, start, end, 'NODATA'), rule: null });
    }
    this.closing.push({ start, end, table: this.table.size > 0 ? this.table : null, cursor: 0, statusRecords });
    if (this.table.size > 0) {
      this.table = this.spare ?? new FlowTable(this.maxFlows);
      this.spare = null;
    }
    this.flowsPerIface.fill(0);
    this.skippedPerIface.fill(0);
    this.stats.windowsClosed++;
  }

  private statusRecord(i: number, start: number, end: number, status: 'NODATA' | 'SKIPDATA'): FlowRecord {
    const n = this.interfaces[i]!;
    return {
      ...identityFields(n),
      version: 2, start, end, 'log-status': status,
    };
  }

  private flowRecord(f: FlowView, addr: Uint8Array): FlowRecord {
    const n = this.interfaces[f.iface]!;
    const src = addressText(f.ipv6, (w) => f.srcWord(w), addr);
    const dst = addressText(f.ipv6, (w) => f.dstWord(w), addr);
    const egress = f.egress;
    const proto = f.protocol;
    return {
      version: 2,
      'account-id': n.accountId,
      'interface-id': n.interfaceId,
      srcaddr: egress ? asSeenByInterface(src, f.ipv6, n) : src,
      dstaddr: egress ? dst : asSeenByInterface(dst, f.ipv6, n),
      srcport: f.srcPort,
      dstport: f.dstPort,
      protocol: proto,
      packets: f.packets,
      bytes: f.bytes,
      start: f.start,
      end: f.end,
      action: f.reject ? 'REJECT' : 'ACCEPT',
      'log-status': 'OK',
      'vpc-id': n.vpcId,
      'subnet-id': n.subnetId,
      'instance-id': n.instanceId,
      'tcp-flags': proto === 6 ? f.tcpFlags : 0,
      type: f.ipv6 ? 'IPv6' : 'IPv4',
      'pkt-srcaddr': src,
      'pkt-dstaddr': dst,
      region: n.region,
      'az-id': n.azId,
      'flow-direction': egress ? 'egress' : 'ingress',
      'traffic-path': egress && f.internal ? 1 : null,
    };
  }
}

function identityFields(n: MonitoredInterface): FlowRecord {
  return {
    'account-id': n.accountId,
    'interface-id': n.interfaceId,
    'vpc-id': n.vpcId,
    'subnet-id': n.subnetId,
    'instance-id': n.instanceId,
    region: n.region,
    'az-id': n.azId,
  };
}

function addressText(ipv6: boolean, word: (i: number) => number, out: Uint8Array): string {
  const words = ipv6 ? 4 : 1;
  for (let i = 0; i < words; i++) {
    const w = word(i);
    out[i * 4] = w >>> 24;
    out[i * 4 + 1] = (w >>> 16) & 0xff;
    out[i * 4 + 2] = (w >>> 8) & 0xff;
    out[i * 4 + 3] = w & 0xff;
  }
  return ipv6 ? formatIpv6(out, 0) : formatIpv4(out, 0);
}

/**
 * AWS shows the interface's own side of a record as its primary private IPv4 when the packet
 * used a secondary or foreign IPv4 address (spec §1.5); the interface's own IPv6 stays as is.
 */
function asSeenByInterface(address: string, ipv6: boolean, n: MonitoredInterface): string {
  if (ipv6) return n.ipv6.includes(address) || n.primaryIpv4 === null ? address : n.primaryIpv4;
  return n.primaryIpv4 ?? address;
}
