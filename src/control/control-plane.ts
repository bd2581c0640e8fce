// The control plane: the declared networks and flow logs of each account (kept in the store and
// in memory), ingest of captures through decode → aggregate → route → deliver, and SQL queries.

import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { Database } from '../store/index.ts';
import { appendRecords, type StoredRecord } from '../store/index.ts';
import type { LogStore } from '../destinations/logstore/index.ts';
import { ArchiveDeliveryError, type ArchiveWriter } from '../destinations/archive/index.ts';
import { FlowObserver, type ClosedWindow, type MonitoredInterface } from '../flows/index.ts';
import { routeWindow, FILE_PERIOD_SEC, type ArchiveDelivery, type Delivery, type FlowLogTarget } from '../flowlogs/index.ts';
import { CaptureStreamDecoder, CaptureFormatError, UnsupportedLinkTypeError } from '../capture/index.ts';
import { VpcflowError, errorMessage } from '../platform/errors.ts';
import { Mutex } from '../platform/mutex.ts';
import {
  planApply, NetworkIndex, validateCreateFlowLogs, matchesDescribeFilters, checkDescribeFilters, validateDeleteFlowLogs, accountOfDocument,
  type NetworkModel, type FlowLog, type Change,
} from '../model/index.ts';
import { describeFlowLogItem, monitoringPlan, unloggedAddresses } from './mapping.ts';
import { LiveNetwork } from './live.ts';

export interface ControlPlaneOptions {
  db: Database;
  logStore: LogStore;
  archive: ArchiveWriter;
  maxFlows: number;
  allowShortIntervals: boolean;
  now?: () => number;
  log?: (line: string) => void;
  /** Realize the declared network on this host and log its real traffic (`serve --realize`; needs root). */
  realize?: { dataDir: string; prefix?: string };
}

export interface IngestResult {
  Name: string;
  Account: string;
  Bytes: number;
  Packets: number;
  Attributed: number;
  Windows: number;
  Records: number;
  Problems: number;
  ProblemSamples: { Offset: number; Packet: number; Reason: string }[];
  SkippedByReason: Record<string, number>;
  DeliveryErrors: { FlowLogId: string; Message: string }[];
}

/** What an EC2 network action wants changed (see ControlPlane.mutateNetwork). */
export interface NetworkMutation<R> {
  /** The whole apply document the account's network becomes; absent when the network stays as it is. */
  readonly doc?: unknown;
  /** Flow logs of the account whose stored form changed (their tags), as they are now. */
  readonly flowLogs?: readonly FlowLog[];
  readonly result: R;
}

export interface NetworkMutationResult<R> {
  readonly result: R;
  /** The account's network after the mutation (undefined when it has none). */
  readonly model: NetworkModel | undefined;
  readonly changes: readonly Change[];
}

export class ControlPlane {
  private readonly networks = new Map<string, NetworkModel>();
  private readonly flowLogs = new Map<string, FlowLog>();
  private readonly now: () => number;
  private readonly live: LiveNetwork | undefined;
  /** The live path's archive records waiting for their file period, mirrored in archive_pending. */
  private readonly livePending = newPendingArchive(true);
  /** One network change at a time: each plans against the model the previous one left. */
  private readonly networkMutex = new Mutex();

  constructor(private readonly o: ControlPlaneOptions) {
    this.now = o.now ?? Date.now;
    this.live = o.realize
      ? new LiveNetwork({
        dataDir: o.realize.dataDir, ...(o.realize.prefix !== undefined ? { prefix: o.realize.prefix } : {}), maxFlows: o.maxFlows, now: this.now, log: o.log,
        delivery: { deliverWindows: (w, i, c, p) => this.deliverWindows(w, i, c, p), flushArchive: (p, all) => this.flushArchive(p, all), newPending: () => this.livePending },
      })
      : undefined;
  }

  async start(): Promise<void> {
    for (const r of await this.o.db.all('SELECT account_id, model FROM networks')) {
      this.networks.set(String(r.account_id), JSON.parse(String(r.model)) as NetworkModel);
    }
    for (const r of await this.o.db.all('SELECT body FROM flow_logs')) {
      const fl = JSON.parse(String(r.body)) as FlowLog;
      this.flowLogs.set(fl.flowLogId, fl);
    }
    // Archive records an earlier run delivered from closed windows but had not written yet.
    for (const r of await this.o.db.all('SELECT flow_log_id, file_time, target, records FROM archive_pending ORDER BY added_at')) {
      const key = `${String(r.flow_log_id)} ${Number(r.file_time)}`;
      const records = JSON.parse(String(r.records)) as ArchiveDelivery['records'];
      const held = this.livePending.get(key);
      if (held) held.records.push(...records);
      else this.livePending.set(key, { kind: 's3', target: JSON.parse(String(r.target)) as FlowLogTarget, fileTime: Number(r.file_time), records });
    }
    if (this.livePending.size) this.o.log?.(`archive: ${this.livePending.size} pending file(s) from the previous run will be written when their period completes`);
    if (this.live) {
      // Adopt what an earlier run realized: one account per host (see LiveNetwork).
      const models = [...this.networks.values()];
      if (models.length === 1) await this.live.realize(models[0]!, this.flowLogsOf(models[0]!.account));
      else if (models.length > 1) this.o.log?.(`--realize: ${models.length} accounts have networks; the next \`vpcflow apply\` chooses the one realized`);
    }
  }

  async stop(): Promise<void> {
    // Ingests finish with their requests; the live path's observers stop here (its namespaces stay).
    await this.live?.stop();
  }

  /** The account a request acts for: the one named, else the only account with a network. */
  async accountFor(account: string | undefined): Promise<string> {
    if (account) return account;
    if (this.networks.size === 1) return [...this.networks.keys()][0]!;
    if (this.networks.size === 0) throw new VpcflowError('InvalidParameterValue', 'no network is declared yet: run `vpcflow apply FILE` first');
    throw new VpcflowError('InvalidParameterValue', `several accounts have networks (${[...this.networks.keys()].join(', ')}): name one with --account`);
  }

  /** `asAccount`: the caller may only change this account's network (an account key's request). */
  async apply(text: string, sourceName: string, asAccount?: string) {
    let doc: unknown;
    try {
      doc = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
    } catch (e) {
      const where = e instanceof YAMLParseError && e.linePos ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
      throw new VpcflowError('InvalidDocument', `${sourceName}: not valid YAML or JSON${where}: ${errorMessage(e).split('\n')[0]}`);
    }
    return this.networkMutex.run(async () => {
      const account = accountOfDocument(doc);
      if (asAccount !== undefined && account !== asAccount) {
        throw new VpcflowError('AccessDenied', `this access key belongs to account ${asAccount}; the document declares account ${account ?? '(none)'}`, 403);
      }
      const current = account ? this.networks.get(account) : undefined;
      const { model, changes } = planApply(current, doc);
      if (changes.length > 0) {
        await this.o.db.transaction(async (tx) => {
          await tx.run('INSERT OR REPLACE INTO networks VALUES ($1, $2, $3)', [model.account, JSON.stringify(model), BigInt(this.now())]);
        });
        this.networks.set(model.account, model);
      }
      // Also with no change: a re-apply repairs what the kernel lost (reconcile is idempotent).
      const realized = this.live ? await this.live.realize(model, this.flowLogsOf(model.account)) : undefined;
      return {
        Account: model.account,
        Changes: changes.map((c) => ({ Action: c.action, ResourceType: c.resourceType, ResourceId: c.resourceId, ...(c.detail ? { Detail: c.detail } : {}) })),
        ...(realized ? { Dataplane: { Actions: realized.actions } } : {}),
      };
    });
  }

  /**
   * Changes an account's network the way `apply` does: `mutate` gets the current model (undefined
   * before the account's first VPC) and the account's flow logs, and returns the whole document the
   * network becomes. The document is planned against the current model (validated exactly as
   * `vpcflow apply` validates), persisted, and realized on this host when the server realizes
   * networks. Anything `mutate` or planning throws refuses the request with nothing changed.
   */
  async mutateNetwork<R>(account: string, mutate: (current: NetworkModel | undefined, flowLogs: readonly FlowLog[]) => NetworkMutation<R>): Promise<NetworkMutationResult<R>> {
    return this.networkMutex.run(async () => {
      const current = this.networks.get(account);
      const m = mutate(current, this.flowLogsOf(account));
      let model = current;
      let changes: readonly Change[] = [];
      if (m.doc !== undefined) {
        const plan = planApply(current, m.doc);
        if (plan.model.account !== account) throw new VpcflowError('InvalidParameterValue', `a change for account ${account} may not declare account ${plan.model.account}`);
        model = plan.model;
        changes = plan.changes;
      }
      const retagged = (m.flowLogs ?? []).filter((f) => f.accountId === account && this.flowLogs.has(f.flowLogId));
      if (changes.length > 0 || retagged.length > 0) {
        await this.o.db.transaction(async (tx) => {
          if (model && changes.length > 0) await tx.run('INSERT OR REPLACE INTO networks VALUES ($1, $2, $3)', [model.account, JSON.stringify(model), BigInt(this.now())]);
          for (const fl of retagged) await tx.run('UPDATE flow_logs SET body = $2 WHERE flow_log_id = $1', [fl.flowLogId, JSON.stringify(fl)]);
        });
        if (model && changes.length > 0) this.networks.set(model.account, model);
        for (const fl of retagged) this.flowLogs.set(fl.flowLogId, fl);
      }
      // As apply() does: realize the planned model, also when nothing changed.
      if (m.doc !== undefined && model && this.live) await this.live.realize(model, this.flowLogsOf(model.account));
      else if (retagged.length > 0) await this.flowLogsChanged(account);
      return { result: m.result, model, changes };
    });
  }

  /** The account's network (undefined before its first VPC or apply) and its flow logs, for Describe* actions. */
  networkOf(account: string): { model: NetworkModel | undefined; flowLogs: readonly FlowLog[] } {
    return { model: this.networks.get(account), flowLogs: this.flowLogsOf(account) };
  }

  /** The command that runs `argv` inside a realized instance (`ip netns exec …`); the caller runs it as root on this host. */
  async execArgs(instanceId: string, argv: readonly string[]) {
    return { Argv: this.requireLive().execArgs(instanceId, argv) };
  }

  /** Stops observing and removes every namespace of the realized network; declarations and records stay. */
  async down() {
    const r = await this.requireLive().down();
    return { Removed: r.removed, Busy: r.busy.map((b) => ({ Namespace: b.namespace, Pids: b.pids })) };
  }

  /** How many times the live path found observations lost (each made SKIPDATA records); 0 when not realizing. */
  liveLossEvents(): number {
    return this.live?.lossEvents ?? 0;
  }

  private requireLive(): LiveNetwork {
    if (!this.live) throw new VpcflowError('UnsupportedOperation', 'this server does not realize networks: start it with `vpcflow serve --realize` (as root)');
    return this.live;
  }

  private async flowLogsChanged(account: string): Promise<void> {
    const model = this.networks.get(account);
    if (this.live && model) await this.live.setFlowLogs(model, this.flowLogsOf(account));
  }

  async describeNetwork(account: string | undefined) {
    const acct = await this.accountFor(account);
    return { Network: this.networks.get(acct) };
  }

  private index(account: string): NetworkIndex {
    const model = this.networks.get(account);
    if (!model) throw new VpcflowError('InvalidParameterValue', `account ${account} has no declared network: run \`vpcflow apply FILE\` first`);
    return new NetworkIndex(model);
  }

  private flowLogsOf(account: string): FlowLog[] {
    return [...this.flowLogs.values()].filter((f) => f.accountId === account);
  }

  async createFlowLogs(account: string | undefined, request: Record<string, unknown>) {
    const acct = await this.accountFor(account);
    const idx = this.index(acct);
    const result = validateCreateFlowLogs(request, {
      accountId: acct,
      region: idx.model.region,
      existing: this.flowLogsOf(acct),
      resourceExists: (type, id) => idx.resourceExists(type, id),
      now: this.now,
      allowShortIntervals: this.o.allowShortIntervals,
    });
    if (result.valid.length) {
      await this.o.db.transaction(async (tx) => {
        for (const fl of result.valid) {
          await tx.run('INSERT INTO flow_logs VALUES ($1, $2, $3, $4)', [fl.flowLogId, fl.accountId, JSON.stringify(fl), BigInt(fl.creationTime)]);
        }
      });
      for (const fl of result.valid) this.flowLogs.set(fl.flowLogId, fl);
    }
    if (result.valid.length) await this.flowLogsChanged(acct);
    return {
      ...(typeof request.ClientToken === 'string' ? { ClientToken: request.ClientToken } : {}),
      FlowLogIds: [...result.replayed, ...result.valid].map((f) => f.flowLogId),
      Unsuccessful: result.unsuccessful.map((u) => ({ Error: { Code: u.code, Message: u.message }, ResourceId: u.resourceId })),
    };
  }

  async describeFlowLogs(account: string | undefined, request: Record<string, unknown>) {
    const acct = await this.accountFor(account);
    const ids = Array.isArray(request.FlowLogIds) ? (request.FlowLogIds as string[]) : [];
    const filters = Array.isArray(request.Filter) ? (request.Filter as { Name: string; Values: string[] }[]) : [];
    const max = request.MaxResults === undefined || request.MaxResults === null ? undefined : Number(request.MaxResults);
    if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > 1000)) {
      throw new VpcflowError('InvalidParameterValue', `Value ( ${request.MaxResults} ) for parameter maxResults is invalid. Expecting a value between 1 and 1000.`);
    }
    checkDescribeFilters(filters);
    let list = this.flowLogsOf(acct)
      .filter((f) => ids.length === 0 || ids.includes(f.flowLogId))
      .filter((f) => matchesDescribeFilters(f, filters))
      .sort((a, b) => a.creationTime - b.creationTime || a.flowLogId.localeCompare(b.flowLogId));
    const start = typeof request.NextToken === 'string' && request.NextToken ? decodeNext(request.NextToken) : 0;
    list = list.slice(start);
    const page = max === undefined ? list : list.slice(0, max);
    const more = max !== undefined && list.length > max;
    return { FlowLogs: page.map(describeFlowLogItem), ...(more ? { NextToken: Buffer.from(JSON.stringify({ o: start + max! })).toString('base64') } : {}) };
  }

  async deleteFlowLogs(account: string | undefined, request: Record<string, unknown>) {
    const acct = await this.accountFor(account);
    const { toDelete, unsuccessful } = validateDeleteFlowLogs(request, this.flowLogsOf(acct));
    if (toDelete.length) {
      await this.o.db.transaction(async (tx) => {
        for (const id of toDelete) await tx.run('DELETE FROM flow_logs WHERE flow_log_id = $1', [id]);
      });
      for (const id of toDelete) this.flowLogs.delete(id);
    }
    if (toDelete.length) await this.flowLogsChanged(acct);
    return { Unsuccessful: unsuccessful.map((u) => ({ Error: { Code: u.code, Message: u.message }, ResourceId: u.resourceId })) };
  }

  async query(sql: string) {
    const r = await this.o.db.query(sql);
    return { Columns: r.columns, Rows: r.rows };
  }

  /**
   * Decodes a capture stream, aggregates it on the account's monitored interfaces and delivers every
   * window to every covering flow log. Resolves after the last window of the file is delivered.
   */
  async ingest(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>, opts: { name: string; account?: string }): Promise<IngestResult> {
    const acct = await this.accountFor(opts.account);
    const idx = this.index(acct);
    const { interfaces, coverage, intervals } = monitoringPlan(idx, this.flowLogsOf(acct));
    const observer = new FlowObserver({
      interfaces,
      intervals,
      maxFlows: this.o.maxFlows,
      unloggedAddresses: unloggedAddresses(idx),
    });
    const result: IngestResult = {
      Name: opts.name, Account: acct, Bytes: 0, Packets: 0, Attributed: 0, Windows: 0, Records: 0, Problems: 0,
      ProblemSamples: [], SkippedByReason: {}, DeliveryErrors: [],
    };
    const decoder = new CaptureStreamDecoder((p) => observer.observe(p), { source: opts.name });
    const pending = newPendingArchive();
    const deliverClosed = async () => {
      for (;;) {
        // Parts of at most DELIVERY_BATCH flow records: a huge window never sits in memory whole.
        const windows = observer.drain(DELIVERY_BATCH);
        if (!windows.length) return;
        await this.deliverWindows(windows, interfaces, coverage, pending, result);
        await this.flushArchive(pending, false, result);
      }
    };
    let stats;
    try {
      for await (const chunk of body as AsyncIterable<Uint8Array>) {
        result.Bytes += chunk.length;
        decoder.push(chunk);
        await deliverClosed();
      }
      stats = decoder.end();
    } catch (e) {
      // A file we cannot read at all is the client's problem; windows already delivered stay delivered.
      if (e instanceof CaptureFormatError || e instanceof UnsupportedLinkTypeError) throw new VpcflowError('InvalidCapture', e.message);
      throw e;
    }
    observer.finish();
    await deliverClosed();
    await this.flushArchive(pending, true, result);
    result.Packets = stats.packetsRead;
    result.Attributed = observer.stats.attributed;
    result.Problems = stats.problemCount;
    result.ProblemSamples = stats.problems.slice(0, 20).map((p) => ({ Offset: p.fileOffset, Packet: p.packetIndex, Reason: p.reason }));
    result.SkippedByReason = stats.skippedByReason;
    this.o.log?.(`ingested ${opts.name}: ${result.Packets} packets, ${result.Records} records in ${result.Windows} windows, ${result.Problems} bad packets`);
    return result;
  }

  /**
   * Delivers closed windows: log store deliveries at once, in one transaction; archive records are
   * gathered per flow log and 5-minute file period into `pending` and written by `flushArchive`
   * once the period is complete, so a period becomes one file as AWS publishes it.
   */
  async deliverWindows(windows: ClosedWindow[], interfaces: readonly MonitoredInterface[], coverage: readonly (readonly FlowLogTarget[])[], pending: PendingArchive, result?: IngestResult): Promise<void> {
    const deliveries: Delivery[] = windows.flatMap((w) => routeWindow(w, interfaces, coverage));
    const ingestion = this.now();
    const stored = (d: Delivery, destination: string): StoredRecord[] =>
      d.records.map((r) => ({ record: r.record, ownerAccount: d.target.accountId, flowLogId: d.target.flowLogId, destinationType: d.kind, destination, rule: r.rule, ingestionTime: ingestion }));

    const toLogs = deliveries.filter((d) => d.kind === 'cloud-watch-logs');
    const toArchive = deliveries.filter((d): d is ArchiveDelivery => d.kind === 's3');
    const durable = pending.durable && toArchive.length > 0;
    if (toLogs.length || durable) {
      const announced: [string, string, Awaited<ReturnType<LogStore['appendInTransaction']>>][] = [];
      // One transaction: a window reaches the log store and the archive queue together or not at all.
      await this.o.db.transaction(async (tx) => {
        for (const d of toLogs) {
          const group = d.target.destination.type === 'cloud-watch-logs' ? d.target.destination.logGroupName : '';
          announced.push([d.target.accountId, group, await this.o.logStore.appendInTransaction(tx, d.target.accountId, group, d.events)]);
          await appendRecords(tx, stored(d, group));
        }
        if (durable) {
          for (const d of toArchive) {
            await tx.run('INSERT INTO archive_pending VALUES ($1, $2, $3, $4, $5)', [d.target.flowLogId, BigInt(d.fileTime), JSON.stringify(d.target), JSON.stringify(d.records), BigInt(ingestion)]);
          }
        }
      });
      for (const [a, g, ev] of announced) this.o.logStore.announce(a, g, ev);
    }
    for (const d of deliveries) {
      if (d.kind !== 's3') continue;
      const key = `${d.target.flowLogId} ${d.fileTime}`;
      const held = pending.get(key);
      if (!held) pending.set(key, d);
      else for (const r of d.records) held.records.push(r);
    }
    for (const w of windows) pending.closedUntil.set(w.intervalSec, Math.max(pending.closedUntil.get(w.intervalSec) ?? 0, w.windowEnd));
    if (result) {
      result.Windows += windows.length;
      result.Records += deliveries.reduce((n, d) => n + d.records.length, 0);
    }
  }

  /** Writes every pending archive file whose 5-minute period can get no more records (all of them when `all`). */
  async flushArchive(pending: PendingArchive, all: boolean, result?: IngestResult): Promise<void> {
    const ingestion = this.now();
    for (const [key, d] of [...pending]) {
      const complete = d.fileTime + FILE_PERIOD_SEC <= (pending.closedUntil.get(d.target.maxAggregationInterval) ?? 0);
      // A period with very many records becomes several files, as AWS closes files at a size cap.
      if (!all && !complete && d.records.length < ARCHIVE_FILE_RECORDS) continue;
      pending.delete(key);
      if (d.target.destination.type !== 's3') continue;
      const dest = d.target.destination;
      const fileTimeMs = d.fileTime * 1000;
      try {
        const prior = await this.o.db.all('SELECT count(DISTINCT sequence) AS n FROM archive_objects WHERE flow_log_id = $1 AND file_time = $2', [d.target.flowLogId, BigInt(fileTimeMs)]);
        const sequence = Number(prior[0]?.n ?? 0);
        const keys = await this.o.archive.write({
          flowLog: { flowLogId: d.target.flowLogId, accountId: d.target.accountId, region: d.target.region, bucket: dest.bucket, prefix: dest.prefix, fields: d.target.fields, fileFormat: dest.fileFormat, hiveCompatiblePartitions: dest.hiveCompatiblePartitions, perHourPartition: dest.perHourPartition },
          fileTime: fileTimeMs,
          records: d.records.map((r) => r.record),
          sequence,
        });
        const destination = `s3://${dest.bucket}/${dest.prefix}`;
        await this.o.db.transaction(async (tx) => {
          if (pending.durable) await tx.run('DELETE FROM archive_pending WHERE flow_log_id = $1 AND file_time = $2', [d.target.flowLogId, BigInt(d.fileTime)]);
          for (const k of keys) {
            await tx.run('INSERT INTO archive_objects VALUES ($1, $2, $3, $4, $5, $6)', [d.target.flowLogId, BigInt(fileTimeMs), sequence, k, BigInt(d.records.length), BigInt(ingestion)]);
          }
          await appendRecords(tx, d.records.map((r) => ({ record: r.record, ownerAccount: d.target.accountId, flowLogId: d.target.flowLogId, destinationType: 's3', destination, rule: r.rule, ingestionTime: ingestion })));
        });
        await this.markDelivery(d.target.flowLogId, null);
      } catch (e) {
        const message = e instanceof ArchiveDeliveryError ? e.message : `archive delivery failed: ${errorMessage(e)}`;
        this.o.log?.(message);
        result?.DeliveryErrors.push({ FlowLogId: d.target.flowLogId, Message: message });
        // The file is given up (its flow log shows the failure), as in memory.
        if (pending.durable) await this.o.db.run('DELETE FROM archive_pending WHERE flow_log_id = $1 AND file_time = $2', [d.target.flowLogId, BigInt(d.fileTime)]);
        await this.markDelivery(d.target.flowLogId, 'Access error');
      }
    }
  }

  /** Records the outcome of a delivery on the flow log (DeliverLogsStatus, as DescribeFlowLogs shows it). */
  private async markDelivery(flowLogId: string, error: string | null): Promise<void> {
    const fl = this.flowLogs.get(flowLogId);
    if (!fl) return;
    const status = error ? 'FAILED' : 'SUCCESS';
    if (fl.deliverLogsStatus === status && (fl.deliverLogsErrorMessage ?? null) === error) return;
    const updated: FlowLog = { ...fl, deliverLogsStatus: status, ...(error ? { deliverLogsErrorMessage: error } : { deliverLogsErrorMessage: undefined }) };
    await this.o.db.run('UPDATE flow_logs SET body = $2 WHERE flow_log_id = $1', [flowLogId, JSON.stringify(updated)]);
    this.flowLogs.set(flowLogId, updated);
  }
}

/** Flow records built and delivered per step of an ingest. */
const DELIVERY_BATCH = 50_000;
/** An archive file is written early once it holds this many records. */
const ARCHIVE_FILE_RECORDS = 250_000;

/**
 * Archive records waiting for their 5-minute file period to complete, keyed by flow log and period;
 * `closedUntil` holds, per aggregation interval, the end of the last closed window.
 */
export type PendingArchive = Map<string, ArchiveDelivery> & { closedUntil: Map<number, number>; durable: boolean };

/** `durable`: mirrored in the archive_pending table (the live path), else memory only (an ingest ends with its request). */
const newPendingArchive = (durable = false): PendingArchive =>
  Object.assign(new Map<string, ArchiveDelivery>(), { closedUntil: new Map<number, number>(), durable });

function decodeNext(token: string): number {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { o?: unknown };
    if (typeof v.o === 'number' && Number.isInteger(v.o) && v.o >= 0) return v.o;
  } catch {
    // reported below
  }
  throw new VpcflowError('InvalidParameterValue', `The token '${token}' is invalid.`);
}
