// The live path (`serve --realize`): realizes an account's declared network on this host through
// the data plane, watches every VPC's verdicts through NFLOG, aggregates the observed packets on the
// interfaces covered by flow logs and delivers each window shortly after it closes.

import { join } from 'node:path';
import type { DecodedPacket } from '../capture/index.ts';
import { FlowObserver, type ClosedWindow, type MonitoredInterface, type ObservedPacket, type ObserverStats } from '../flows/index.ts';
import { parseIp } from '../net/index.ts';
import type { FlowLogTarget } from '../flowlogs/index.ts';
import { NetworkIndex, type FlowLog, type NetworkModel } from '../model/index.ts';
import {
  AcceptCounters, NflogObserver, down, instanceExecArgs, readState, reconcile,
  type CountedFlow, type DownResult, type Observation, type ReconcileResult, type RealizedVpc,
} from '../dataplane/index.ts';
import { VpcflowError, errorMessage } from '../platform/errors.ts';
import type { DeliveryStage } from '../delivery/index.ts';
import { monitoringPlan, unloggedAddresses } from './mapping.ts';

/** What the live path needs of the delivery stage (the same stage ingest publishes through). */
export type LiveDelivery = Pick<DeliveryStage, 'deliverLive' | 'flushLive'>;

export interface LiveNetworkOptions {
  /** The server's data folder; the data plane's state file is `dataplane.json` in it. */
  readonly dataDir: string;
  /** Name prefix of every namespace (default: the data plane's). */
  readonly prefix?: string;
  readonly maxFlows: number;
  readonly delivery: LiveDelivery;
  readonly now?: () => number;
  readonly log?: (line: string) => void;
}

/** A flow observer for one network and set of flow logs, with what delivery needs to route its windows. */
interface Aggregation {
  readonly observer: FlowObserver;
  readonly interfaces: readonly MonitoredInterface[];
  readonly coverage: readonly (readonly FlowLogTarget[])[];
}

/** Records built per delivery step (bounded memory, as in ingest). */
const DELIVERY_BATCH = 50_000;
/**
 * Windows close this long after their end: NFLOG flushes a partial batch after 1 s and libpcap
 * stamps a record when it reads it, so a packet can carry a time up to a second late.
 */
const LATE_PACKET_GRACE_SEC = 1;
const TICK_MS = 1000;

export class LiveNetworkError extends VpcflowError {}

export class LiveNetwork {
  readonly statePath: string;
  private account: string | undefined;
  private readonly observers = new Map<string, NflogObserver>();
  /** Per VPC: what the kernel counted of accepted bulk TCP/UDP (the packets NFLOG does not carry). */
  private readonly counters = new Map<string, AcceptCounters>();
  /** What reconcile last realized per VPC, so a reader that died can be restarted. */
  private readonly realizedVpcs = new Map<string, RealizedVpc>();
  /** Per VPC: tcpdump's "dropped by kernel" count when last read. */
  private readonly dropEventsSeen = new Map<string, number>();
  private checkingLoss = false;
  private aggregation: Aggregation | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Every delivery and rebuild runs in this order, one at a time. */
  private queue: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly o: LiveNetworkOptions) {
    this.statePath = join(o.dataDir, 'dataplane.json');
    this.now = o.now ?? Date.now;
  }

  /** The account whose network is realized, once one is. */
  get realizedAccount(): string | undefined {
    return this.account;
  }

  /**
   * Makes the kernel match `model` (one account per host: the data plane has one state file),
   * starts or refreshes one NFLOG observer per VPC and rebuilds the flow aggregation.
   */
  async realize(model: NetworkModel, flowLogs: readonly FlowLog[]): Promise<ReconcileResult> {
    if (this.account !== undefined && this.account !== model.account) {
      throw new LiveNetworkError('UnsupportedOperation', `this host realizes account ${this.account}'s network; run \`vpcflow down\` before realizing account ${model.account}`);
    }
    let result: ReconcileResult;
    try {
      result = await reconcile(model, { statePath: this.statePath, ...(this.o.prefix !== undefined ? { prefix: this.o.prefix } : {}) });
    } catch (e) {
      throw new LiveNetworkError('DataplaneFailure', `realizing account ${model.account}'s network failed: ${errorMessage(e)}`, 500, { cause: e });
    }
    this.account = model.account;
    await this.refreshObservers(result);
    await this.rebuild(model, flowLogs);
    this.startTimer();
    for (const a of result.actions) this.o.log?.(`dataplane: ${a}`);
    for (const b of result.busy) this.o.log?.(`dataplane: namespace ${b.namespace} deleted while processes ${b.pids.join(', ')} still ran in it`);
    return result;
  }

  private async refreshObservers(result: ReconcileResult): Promise<void> {
    const wanted = new Map(result.vpcs.map((v) => [v.vpcId, v]));
    this.realizedVpcs.clear();
    for (const v of result.vpcs) this.realizedVpcs.set(v.vpcId, v);
    for (const vpcId of [...this.counters.keys()]) if (!wanted.has(vpcId)) this.counters.delete(vpcId);
    for (const v of result.vpcs) {
      const existing = this.counters.get(v.vpcId);
      const recreated = result.actions.some((a) => a.startsWith(`create namespace ${v.namespace} `));
      if (!existing || existing.namespace !== v.namespace) this.counters.set(v.vpcId, new AcceptCounters(v.namespace));
      else if (recreated) existing.reset();
      if (!v.ruleset.countsInKernel) this.counters.delete(v.vpcId);
    }
    for (const [vpcId, obs] of [...this.observers]) {
      const vpc = wanted.get(vpcId);
      // A recreated namespace is a new one: tcpdump would still listen in the old one.
      if (vpc && !result.actions.some((a) => a.startsWith(`create namespace ${vpc.namespace} `))) continue;
      this.observers.delete(vpcId);
      this.dropEventsSeen.delete(vpcId);
      await obs.stop();
    }
    for (const vpc of result.vpcs) {
      const obs = this.observers.get(vpc.vpcId);
      if (obs) await obs.setRuleset(vpc.ruleset);
      else this.observers.set(vpc.vpcId, await this.startObserver(vpc));
    }
  }

  private startObserver(vpc: RealizedVpc): Promise<NflogObserver> {
    return NflogObserver.start({
      vpc,
      onPacket: (p: DecodedPacket, obs: Observation) => this.aggregation?.observer.observe(p, obs.dropped, obs.rule?.code ?? ''),
      onError: (e) => this.o.log?.(`observer of ${vpc.vpcId}: ${e.message}`),
    });
  }

  /** Replaces the flow aggregation after the network or the account's flow logs changed. */
  async setFlowLogs(model: NetworkModel, flowLogs: readonly FlowLog[]): Promise<void> {
    if (this.account !== model.account) return;
    await this.rebuild(model, flowLogs);
  }

  private rebuild(model: NetworkModel, flowLogs: readonly FlowLog[]): Promise<void> {
    const idx = new NetworkIndex(model);
    const plan = monitoringPlan(idx, flowLogs.filter((f) => f.accountId === model.account));
    const next: Aggregation | undefined = plan.interfaces.length === 0 ? undefined : {
      observer: new FlowObserver({ interfaces: plan.interfaces, intervals: plan.intervals, maxFlows: this.o.maxFlows, unloggedAddresses: unloggedAddresses(idx) }),
      interfaces: plan.interfaces,
      coverage: plan.coverage,
    };
    const previous = this.aggregation;
    if (previous) this.retire(previous.observer);
    this.aggregation = next;
    // The old windows close now (shorter than their interval) so nothing observed before the change is lost.
    const cutAt = this.now() / 1000;
    previous?.observer.finish();
    return previous ? this.enqueue(() => this.deliverClosed(previous, false, cutAt)) : Promise.resolve();
  }

  private startTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      const agg = this.aggregation;
      if (!agg) return;
      void this.checkLoss();
      void this.enqueue(async () => {
        await this.readCounters();
        agg.observer.advanceTo(this.now() / 1000 - LATE_PACKET_GRACE_SEC);
        await this.deliverClosed(agg, false);
      });
    }, TICK_MS);
    this.timer.unref();
  }

  /**
   * Reads every reader's overrun counter and restarts readers that died; either means packets went
   * unobserved, so every monitored interface of that VPC gets SKIPDATA for the window open now.
   */
  private async checkLoss(): Promise<void> {
    if (this.checkingLoss) return;
    this.checkingLoss = true;
    try {
      for (const [vpcId, obs] of [...this.observers]) {
        let lostWhy: string | undefined;
        if (obs.failed) {
          lostWhy = 'its NFLOG reader exited';
          this.observers.delete(vpcId);
          this.dropEventsSeen.delete(vpcId);
          const vpc = this.realizedVpcs.get(vpcId);
          if (vpc) {
            try {
              this.observers.set(vpcId, await this.startObserver(vpc));
            } catch (e) {
              this.o.log?.(`observer of ${vpcId}: restart failed: ${errorMessage(e)}`);
            }
          }
        } else {
          const events = await obs.pollKernelStats(TICK_MS);
          const seen = this.dropEventsSeen.get(vpcId) ?? 0;
          if (events > seen) lostWhy = `its NFLOG reader overran ${events - seen} time(s)`;
          this.dropEventsSeen.set(vpcId, events);
        }
        if (lostWhy !== undefined) this.markLost(vpcId, lostWhy);
      }
    } catch (e) {
      this.o.log?.(`checking observation loss failed: ${errorMessage(e)}`);
    } finally {
      this.checkingLoss = false;
    }
  }

  /**
   * Adds what the kernel counted since the last read to the open windows, stamped with the same
   * lag as NFLOG's packets so that they never land in a window that is already closed.
   */
  private async readCounters(): Promise<void> {
    for (const [vpcId, counters] of [...this.counters]) await this.addCounts(vpcId, () => counters.read());
  }

  private async addCounts(vpcId: string, read: () => Promise<CountedFlow[]>): Promise<void> {
    let counted: CountedFlow[];
    try {
      counted = await read();
    } catch (e) {
      this.o.log?.(`reading the kernel counters of ${vpcId} failed: ${errorMessage(e)}`);
      this.markLost(vpcId, 'its kernel counters could not be read');
      return;
    }
    const agg = this.aggregation;
    if (!agg) return;
    const timeSec = this.now() / 1000 - LATE_PACKET_GRACE_SEC;
    for (const f of counted) agg.observer.observe(countedPacket(f, timeSec));
  }

  private markLost(vpcId: string, why: string): void {
    const agg = this.aggregation;
    if (!agg) return;
    const ids = agg.interfaces.filter((n) => n.vpcId === vpcId).map((n) => n.interfaceId);
    agg.observer.markLost(this.now() / 1000 - LATE_PACKET_GRACE_SEC, ids);
    this.lossEvents++;
    this.o.log?.(`observations lost in ${vpcId} (${why}): SKIPDATA for ${ids.length} interface(s) in the open window`);
  }

  /** How many times observations were found lost (each made SKIPDATA records). */
  lossEvents = 0;
  /** What the observers replaced since the start saw (a network or flow log change builds a new one). */
  private readonly retired: ObserverStats = { packets: 0, attributed: 0, notMonitored: 0, unlogged: 0, outOfRange: 0 };

  /** Observations since the start, over every observer the live path has had (vpcflow's own metrics). */
  observationTotals(): ObserverStats & { lossEvents: number } {
    const now = this.aggregation?.observer.stats;
    const sum = (k: keyof ObserverStats) => this.retired[k] + (now?.[k] ?? 0);
    return { packets: sum('packets'), attributed: sum('attributed'), notMonitored: sum('notMonitored'), unlogged: sum('unlogged'), outOfRange: sum('outOfRange'), lossEvents: this.lossEvents };
  }

  private retire(observer: FlowObserver): void {
    for (const k of Object.keys(this.retired) as (keyof ObserverStats)[]) this.retired[k] += observer.stats[k];
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(step).catch((e) => this.o.log?.(`live delivery failed: ${errorMessage(e)}`));
    this.queue = run;
    return run;
  }

  /**
   * Delivers what `agg` closed. `cutAt`: the aggregation was finished early at that time (a rebuild
   * or a stop), so its last window is partial: no NODATA for it, since the rest of that window
   * belongs to the next aggregation (or the next run), which reports it.
   */
  private async deliverClosed(agg: Aggregation, all: boolean, cutAt?: number): Promise<void> {
    for (;;) {
      const windows = agg.observer.drain(DELIVERY_BATCH).map((w) => this.withoutRepeatedNoData(agg, w, cutAt));
      if (!windows.length) break;
      await this.o.delivery.deliverLive(windows, agg);
    }
    if (all) await this.o.delivery.flushLive(true);
    // Windows that ended before the longest interval (600 s) can no longer be reopened by a rebuild.
    const horizon = this.now() / 1000 - 1200;
    if (this.reported.size > 0 && ++this.deliveriesSincePrune >= 60) {
      this.deliveriesSincePrune = 0;
      for (const [key, end] of this.reported) if (end < horizon) this.reported.delete(key);
    }
  }

  private deliveriesSincePrune = 0;

  /**
   * A window's NODATA is said once per interface and only when nothing else was: a window split by a
   * rebuild is reported by two aggregations, and only the one that saw it close knows it was silent.
   */
  private withoutRepeatedNoData(agg: Aggregation, w: ClosedWindow, cutAt: number | undefined): ClosedWindow {
    const partial = cutAt !== undefined && w.windowEnd > cutAt;
    const records = w.records.filter((r) => {
      const key = `${agg.interfaces[r.interfaceIndex]?.interfaceId} ${w.intervalSec} ${w.windowStart}`;
      if (r.record['log-status'] === 'NODATA') {
        if (partial || this.reported.has(key)) return false;
      }
      this.reported.set(key, w.windowEnd);
      return true;
    });
    return records.length === w.records.length ? w : { ...w, records };
  }

  /** Per interface, interval and window start: windows something was delivered for (see withoutRepeatedNoData). */
  private readonly reported = new Map<string, number>();

  /** The `ip` argv that runs `argv` inside an instance's namespace (to be run by root on this host). */
  execArgs(instanceId: string, argv: readonly string[]): string[] {
    const state = readState(this.statePath);
    if (!state) throw new LiveNetworkError('InvalidParameterValue', 'no network is realized on this host: `vpcflow apply FILE` first');
    const args = instanceExecArgs(state, instanceId, argv);
    if (!args) throw new LiveNetworkError('InvalidInstanceID.NotFound', `The instance ID '${instanceId}' is not realized on this host`);
    return ['ip', ...args];
  }

  /** Stops observing and delivering: the open windows are closed and delivered. Namespaces stay. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const [vpcId, obs] of [...this.observers]) {
      this.observers.delete(vpcId);
      await obs.stop().catch((e) => this.o.log?.(`stopping the observer of ${vpcId}: ${errorMessage(e)}`));
    }
    await this.enqueue(() => this.readCounters());
    const agg = this.aggregation;
    if (agg) this.retire(agg.observer);
    this.aggregation = undefined;
    const cutAt = this.now() / 1000;
    agg?.observer.finish();
    await this.enqueue(() => (agg ? this.deliverClosed(agg, true, cutAt) : this.o.delivery.flushLive(true).then(() => undefined)));
  }

  /** Stops observing, then removes every namespace of the data plane. */
  async down(): Promise<DownResult> {
    await this.stop();
    this.account = undefined;
    let result: DownResult;
    try {
      result = await down(this.statePath);
    } catch (e) {
      throw new LiveNetworkError('DataplaneFailure', `removing the realized network failed: ${errorMessage(e)}`, 500, { cause: e });
    }
    for (const p of result.stopped ?? []) this.o.log?.(`dataplane: stopped pid ${p.pid} (${p.argv.join(' ')}) in ${p.namespace} with ${p.signal}`);
    for (const b of result.busy) this.o.log?.(`dataplane: namespace ${b.namespace} deleted while processes ${b.pids.join(', ')} still ran in it`);
    return result;
  }
}

/** A kernel-counted flow as one observation standing for all its packets (accepted, no SYN/FIN/RST). */
function countedPacket(f: CountedFlow, timeSec: number): ObservedPacket {
  const src = parseIp(f.src).bytes;
  const dst = parseIp(f.dst).bytes;
  const data = new Uint8Array(src.length + dst.length);
  data.set(src, 0);
  data.set(dst, src.length);
  return {
    timeSec, data, ipVersion: f.ipVersion, srcOffset: 0, dstOffset: src.length, protocol: f.protocol,
    srcPort: f.srcPort, dstPort: f.dstPort, ipBytes: f.bytes, tcpFlags: 0, packets: f.packets,
  };
}
