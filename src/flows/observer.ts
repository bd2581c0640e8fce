// Attributes each observed packet to the interfaces it crossed (the sender's egress, the
// receiver's ingress) and feeds one aggregator per aggregation interval in use.

import { WindowAggregator, EGRESS, INTERNAL, REJECT, isObservableTime, type ClosedWindow } from './aggregator.ts';
import type { MonitoredInterface } from './interfaces.ts';
import { awsTcpFlags } from '../records/index.ts';
import { formatIpv4, formatIpv6, parseIp } from '../net/index.ts';

/** The packet fields the flow stage consumes (the capture stage's DecodedPacket has them). */
export interface ObservedPacket {
  /** Seconds since 1970; outside [MIN_OBSERVED_TIME_SEC, MAX_OBSERVED_TIME_SEC) the packet is refused. */
  timeSec: number;
  data: Uint8Array;
  ipVersion: 4 | 6;
  srcOffset: number;
  dstOffset: number;
  protocol: number;
  srcPort: number;
  dstPort: number;
  /** IP bytes of the packet, or of all `packets` when several were counted together. */
  ipBytes: number;
  tcpFlags: number;
  /** How many packets this observation stands for (the kernel counted them; default 1). */
  packets?: number;
}

/** Where the enforcement point dropped a packet: nowhere, on the sender's side, or on the receiver's side. */
export type DropSite = 'none' | 'source' | 'destination';

export interface FlowObserverOptions {
  interfaces: readonly MonitoredInterface[];
  /** Aggregation intervals in use by the flow logs covering these interfaces. */
  intervals: readonly number[];
  maxFlows: number;
  /** Addresses whose traffic AWS does not log (instance metadata, Amazon DNS, the VPC router...). */
  unloggedAddresses?: readonly string[];
}

export interface ObserverStats {
  packets: number;
  attributed: number;
  notMonitored: number;
  unlogged: number;
  /** Packets refused for a time outside the range the flow stage accepts (they move no window). */
  outOfRange: number;
}

/** Distinct unmatched addresses counted (see FlowObserver.mostFrequentUnmatched). */
const MAX_UNMATCHED = 1024;

export class FlowObserver {
  readonly aggregators: WindowAggregator[];
  private readonly v4 = new Map<number, number>();
  private readonly v6 = new Map<string, number>();
  private readonly unlogged4 = new Set<number>();
  private readonly unlogged6 = new Set<string>();
  readonly stats: ObserverStats = { packets: 0, attributed: 0, notMonitored: 0, unlogged: 0, outOfRange: 0 };
  private readonly interfaceIds: readonly string[];
  /**
   * Addresses of packets that matched no monitored interface, with how often each was seen: what a
   * user needs when a capture matches nothing. Bounded: after MAX_UNMATCHED distinct addresses only
   * those already counted are counted further.
   */
  private readonly unmatched = new Map<string, number>();

  constructor(opts: FlowObserverOptions) {
    this.interfaceIds = opts.interfaces.map((n) => n.interfaceId);
    const intervals = [...new Set(opts.intervals)].sort((a, b) => a - b);
    this.aggregators = intervals.map((intervalSec) => new WindowAggregator({ intervalSec, maxFlows: opts.maxFlows, interfaces: opts.interfaces }));
    opts.interfaces.forEach((n, i) => {
      for (const a of n.ipv4) this.v4.set(ipv4Number(a), i);
      for (const a of n.ipv6) this.v6.set(ipv6Key(parseIp(a).bytes, 0), i);
    });
    for (const a of opts.unloggedAddresses ?? []) {
      const ip = parseIp(a);
      if (ip.version === 4) this.unlogged4.add(ipv4Number(a));
      else this.unlogged6.add(ipv6Key(ip.bytes, 0));
    }
  }

  private countUnmatched(address: string): void {
    const n = this.unmatched.get(address);
    if (n !== undefined) this.unmatched.set(address, n + 1);
    else if (this.unmatched.size < MAX_UNMATCHED) this.unmatched.set(address, 1);
  }

  /** The addresses seen most often on packets that matched no monitored interface, most frequent first. */
  mostFrequentUnmatched(limit = 5): { address: string; packets: number }[] {
    return [...this.unmatched].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, limit).map(([address, packets]) => ({ address, packets }));
  }

  /**
   * Counts one packet on the interfaces it crossed. `dropped` says where the kernel dropped it (see
   * docs/ARCHITECTURE.md): at the source side (sender's security group or subnet ACL: REJECT on the sender,
   * nothing on the receiver) or at the destination side (ACCEPT on the sender, REJECT on the receiver).
   * `rule` names the deciding rule when known.
   */
  observe(p: ObservedPacket, dropped: DropSite = 'none', rule = ''): void {
    this.stats.packets++;
    if (!isObservableTime(p.timeSec)) {
      this.stats.outOfRange++;
      return;
    }
    // Windows follow the capture's clock, also when a packet concerns no monitored interface.
    for (const agg of this.aggregators) agg.advanceTo(p.timeSec);
    if (isUnloggedProtocol(p)) {
      this.stats.unlogged++;
      return;
    }
    let srcIface: number;
    let dstIface: number;
    if (p.ipVersion === 4) {
      const s = readU32(p.data, p.srcOffset);
      const d = readU32(p.data, p.dstOffset);
      if (this.unlogged4.has(s) || this.unlogged4.has(d)) {
        this.stats.unlogged++;
        return;
      }
      srcIface = this.v4.get(s) ?? -1;
      dstIface = this.v4.get(d) ?? -1;
    } else {
      const s = ipv6Key(p.data, p.srcOffset);
      const d = ipv6Key(p.data, p.dstOffset);
      if (this.unlogged6.has(s) || this.unlogged6.has(d)) {
        this.stats.unlogged++;
        return;
      }
      srcIface = this.v6.get(s) ?? -1;
      dstIface = this.v6.get(d) ?? -1;
    }
    if ((srcIface < 0 && dstIface < 0) || srcIface === dstIface) {
      this.stats.notMonitored++;
      if (srcIface < 0 && dstIface < 0) {
        const text = p.ipVersion === 4 ? formatIpv4 : formatIpv6;
        this.countUnmatched(text(p.data, p.srcOffset));
        this.countUnmatched(text(p.data, p.dstOffset));
      }
      return;
    }
    this.stats.attributed++;
    const flags = awsTcpFlags(p.tcpFlags);
    const count = p.packets ?? 1;
    const internal = srcIface >= 0 && dstIface >= 0 ? INTERNAL : 0;
    for (const agg of this.aggregators) {
      const ruleId = rule === '' ? 0 : agg.ruleId(rule);
      const ipv6 = p.ipVersion === 6;
      if (srcIface >= 0) {
        const verdict = dropped === 'source' ? REJECT : 0;
        agg.observe(p.timeSec, p.data, ipv6, p.srcOffset, p.dstOffset, p.protocol, p.srcPort, p.dstPort, p.ipBytes, flags, srcIface, EGRESS | verdict | internal, verdict ? ruleId : 0, count);
      }
      // A packet dropped on the sender's side never reaches the receiver.
      if (dstIface >= 0 && dropped !== 'source') {
        const verdict = dropped === 'destination' ? REJECT : 0;
        agg.observe(p.timeSec, p.data, ipv6, p.srcOffset, p.dstOffset, p.protocol, p.srcPort, p.dstPort, p.ipBytes, flags, dstIface, verdict | internal, verdict ? ruleId : 0, count);
      }
    }
  }

  /**
   * Observations were lost at `timeSec` (reader overrun, NFLOG queue overflow) and the packets are
   * unknown: every named monitored interface gets SKIPDATA for the window open then.
   */
  markLost(timeSec: number, interfaceIds: readonly string[], count = 1): void {
    const wanted = new Set(interfaceIds);
    for (const agg of this.aggregators) {
      this.interfaceIds.forEach((id, i) => {
        if (wanted.has(id)) agg.markSkipped(timeSec, i, count);
      });
    }
  }

  advanceTo(timeSec: number): void {
    for (const a of this.aggregators) a.advanceTo(timeSec);
  }

  finish(): void {
    for (const a of this.aggregators) a.finish();
  }

  /** Closed-window parts of every aggregator; `limit` bounds the flow records built per aggregator per call. */
  drain(limit?: number): ClosedWindow[] {
    return this.aggregators.flatMap((a) => a.drain(limit));
  }
}

function readU32(d: Uint8Array, o: number): number {
  return ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
}

function ipv4Number(text: string): number {
  const ip = parseIp(text);
  if (ip.version !== 4) throw new TypeError(`expected an IPv4 address, got ${text}`);
  return readU32(ip.bytes, 0);
}

function ipv6Key(d: Uint8Array, o: number): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += String.fromCharCode(d[o + i]!);
  return s;
}

/** DHCP is never logged by AWS (spec §2.3). */
function isUnloggedProtocol(p: ObservedPacket): boolean {
  if (p.protocol !== 17) return false;
  return p.dstPort === 67 || p.dstPort === 68 || p.dstPort === 546 || p.dstPort === 547;
}
