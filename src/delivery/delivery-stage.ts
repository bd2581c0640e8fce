// The delivery stage: closed capture windows in, routed and rendered records out to every consumer
// registered on it. Built in: the log store (events + flow_records) and the archive queue; registered:
// whatever else consumes records or log events (metric filters today; alarms and findings next).
// One transaction per delivery: a window reaches every consumer together or not at all. The live path
// delivers as windows close; an ingest stages its deliveries and publishes them whole (ingest-session.ts).

import type { BucketRegistry } from '../destinations/archive/buckets.ts';
import type { Database, Transaction } from '../store/index.ts';
import { appendRecords, type StoredRecord } from '../store/index.ts';
import type { LogStore, StoredEvent } from '../destinations/logstore/index.ts';
import type { ArchiveWriter } from '../destinations/archive/index.ts';
import type { ClosedWindow, MonitoredInterface } from '../flows/index.ts';
import { routeWindow, type ArchiveDelivery, type Delivery, type FlowLogTarget, type LogStoreDelivery } from '../flowlogs/index.ts';
import { ArchiveQueue, LIVE_ORIGIN, type ArchiveFlushOutcome } from './archive-queue.ts';
import { IngestSession, discardStagedIngests } from './ingest-session.ts';
import { countDeliveries, type DeliveredCount } from './delivered-counts.ts';

/** Which flow logs each monitored interface's records go to (from the control plane's monitoring plan). */
export interface RoutingPlan {
  readonly interfaces: readonly MonitoredInterface[];
  /** coverage[i]: the flow logs covering interfaces[i]. */
  readonly coverage: readonly (readonly FlowLogTarget[])[];
}

export interface DeliveryContext {
  /** 'live', or the id of the ingest being published. */
  readonly origin: string;
  readonly ingestionTime: number;
}

/** Gets every routed delivery (log store and archive bound) inside the delivery transaction. */
export interface RecordConsumer {
  readonly name: string;
  consumeRecords(tx: Transaction, deliveries: readonly Delivery[], ctx: DeliveryContext): Promise<void>;
}

/** Gets the events appended to a log group, inside the delivery transaction (metric filters). */
export interface LogEventConsumer {
  readonly name: string;
  consumeLogEvents(tx: Transaction, accountId: string, group: string, events: readonly StoredEvent[], ctx: DeliveryContext): Promise<void>;
}

export interface DeliveryStageOptions {
  readonly db: Database;
  readonly logStore: LogStore;
  readonly archive: ArchiveWriter;
  readonly now: () => number;
  readonly log?: (line: string) => void;
  /** Told the outcome of every archive file (the flow log's DeliverLogsStatus). */
  readonly onArchiveOutcome: (outcome: ArchiveFlushOutcome) => Promise<void>;
  /** Told, after each commit, how many records were delivered per flow log (vpcflow's own metrics). */
  readonly onDelivered?: (counts: readonly DeliveredCount[]) => void;
  /** Told, per live window delivered, the seconds from the window's end to its commit. */
  readonly onLiveLatency?: (seconds: number) => void;
  readonly buckets?: BucketRegistry;
}

type Announcement = readonly [accountId: string, group: string, events: StoredEvent[]];


export class DeliveryStage {
  readonly archiveQueue: ArchiveQueue;
  private readonly recordConsumers: RecordConsumer[] = [];
  private readonly logEventConsumers: LogEventConsumer[] = [];
  /** Per aggregation interval: the end of the last window the live path closed. */
  private readonly liveClosedUntil = new Map<number, number>();

  constructor(private readonly o: DeliveryStageOptions) {
    this.archiveQueue = new ArchiveQueue({ db: o.db, archive: o.archive, now: o.now, ...(o.log ? { log: o.log } : {}), ...(o.buckets ? { buckets: o.buckets } : {}) });
  }

  /** The clock deliveries are stamped with (ingestion-time). */
  now(): number {
    return this.o.now();
  }

  registerRecordConsumer(c: RecordConsumer): void {
    this.recordConsumers.push(c);
  }

  registerLogEventConsumer(c: LogEventConsumer): void {
    this.logEventConsumers.push(c);
  }

  /**
   * After a restart: staged ingests died with their requests (their clients retry), and archive files
   * of ingests published just before a crash are written now.
   */
  async start(): Promise<void> {
    const discarded = await discardStagedIngests(this.o.db);
    if (discarded > 0) this.o.log?.(`delivery: discarded ${discarded} unpublished ingest(s) of the previous run (nothing of them was delivered)`);
    for (const origin of await this.archiveQueue.strandedOrigins()) await this.flushArchive(origin, 'all');
    const live = await this.archiveQueue.pendingPeriods(LIVE_ORIGIN);
    if (live > 0) this.o.log?.(`archive: ${live} pending file(s) from the previous run will be written when their period completes`);
  }

  /** Routes closed windows to the flow logs of `plan` and renders each record in its flow log's format. */
  route(windows: readonly ClosedWindow[], plan: RoutingPlan): Delivery[] {
    return windows.flatMap((w) => routeWindow(w, plan.interfaces, plan.coverage));
  }

  /** The live path: delivers closed windows now, then writes the archive files whose period is complete. */
  async deliverLive(windows: readonly ClosedWindow[], plan: RoutingPlan): Promise<void> {
    const deliveries = this.route(windows, plan);
    if (deliveries.length > 0) {
      const ctx: DeliveryContext = { origin: LIVE_ORIGIN, ingestionTime: this.now() };
      const announced: Announcement[] = [];
      await this.o.db.transaction((tx) => this.publishInTransaction(tx, deliveries, ctx, announced));
      this.announce(announced);
      this.delivered(countDeliveries(deliveries));
      const committedAt = this.now();
      for (const w of windows) if (w.records.length > 0) this.o.onLiveLatency?.(Math.max(0, committedAt / 1000 - w.windowEnd));
    }
    for (const w of windows) this.liveClosedUntil.set(w.intervalSec, Math.max(this.liveClosedUntil.get(w.intervalSec) ?? 0, w.windowEnd));
    await this.flushArchive(LIVE_ORIGIN, this.liveClosedUntil);
  }

  /** Writes the live path's complete archive periods (all of them when `all`, at stop). */
  flushLive(all: boolean): Promise<ArchiveFlushOutcome[]> {
    return this.flushArchive(LIVE_ORIGIN, all ? 'all' : this.liveClosedUntil);
  }

  /** Starts an ingest whose deliveries stay invisible until `publish` (see IngestSession). */
  beginIngest(): IngestSession {
    return new IngestSession(this.o.db, this);
  }

  /**
   * Every consumer's share of one delivery, inside `tx`. `announced` collects what live tail is told
   * after the commit (only while someone listens).
   */
  async publishInTransaction(tx: Transaction, deliveries: readonly Delivery[], ctx: DeliveryContext, announced: Announcement[]): Promise<void> {
    const listening = this.o.logStore.listenerCount('events') > 0;
    for (const d of deliveries) {
      if (d.kind === 'cloud-watch-logs') await this.deliverToLogStore(tx, d, ctx, listening ? announced : undefined);
      else await this.archiveQueue.enqueueInTransaction(tx, d as ArchiveDelivery, ctx.origin, ctx.ingestionTime);
    }
    for (const c of this.recordConsumers) await c.consumeRecords(tx, deliveries, ctx);
  }

  private async deliverToLogStore(tx: Transaction, d: LogStoreDelivery, ctx: DeliveryContext, announced: Announcement[] | undefined): Promise<void> {
    const group = d.target.destination.type === 'cloud-watch-logs' ? d.target.destination.logGroupName : '';
    const events = await this.o.logStore.appendInTransaction(tx, d.target.accountId, group, d.events);
    const rows: StoredRecord[] = d.records.map((r) => ({
      record: r.record, ownerAccount: d.target.accountId, flowLogId: d.target.flowLogId, destinationType: 'cloud-watch-logs', destination: group, rule: r.rule, ingestionTime: ctx.ingestionTime,
    }));
    await appendRecords(tx, rows);
    for (const c of this.logEventConsumers) await c.consumeLogEvents(tx, d.target.accountId, group, events, ctx);
    announced?.push([d.target.accountId, group, events]);
  }

  /** Reports committed deliveries to onDelivered; a failing listener never fails a delivery. */
  delivered(counts: ReadonlyMap<string, DeliveredCount>): void {
    if (!this.o.onDelivered || counts.size === 0) return;
    try {
      this.o.onDelivered([...counts.values()]);
    } catch (e) {
      this.o.log?.(`delivery: the delivered-records listener failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  announce(announced: readonly Announcement[]): void {
    for (const [a, g, ev] of announced) this.o.logStore.announce(a, g, ev);
  }

  async flushArchive(origin: string, closedUntil: ReadonlyMap<number, number> | 'all'): Promise<ArchiveFlushOutcome[]> {
    const outcomes = await this.archiveQueue.flush(origin, closedUntil);
    for (const outcome of outcomes) await this.o.onArchiveOutcome(outcome);
    return outcomes;
  }
}
