// The control plane: the declared networks and flow logs of each account (kept in the store and
// in memory), every change to them as one validated, realized and persisted unit, ingest of captures
// through decode → aggregate → deliver, and SQL queries.

import { createHash } from 'node:crypto';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { OPERATOR_SCOPE, type Database, type SqlScope } from '../store/index.ts';
import type { LogStore } from '../destinations/logstore/index.ts';
import type { MetricFilterStore } from '../metrics/index.ts';
import type { ArchiveWriter } from '../destinations/archive/index.ts';
import { BucketRefusedError, type BucketRegistry } from '../destinations/archive/buckets.ts';
import { FlowObserver } from '../flows/index.ts';
import { DeliveryStage, metricFilterConsumer, type DeliveredCount, type IngestSession } from '../delivery/index.ts';
import { CaptureFormatError, CaptureStreamDecoder } from '../capture/index.ts';
import { VpcflowError, describeValue, errorMessage } from '../platform/errors.ts';
import { Mutex } from '../platform/mutex.ts';
import {
  planApply, NetworkIndex, documentNestingProblem, validateCreateFlowLogs, matchesDescribeFilters, checkDescribeFilters, validateDeleteFlowLogs, accountOfDocument,
  type NetworkModel, type FlowLog, type Change,
} from '../model/index.ts';
import { describeFlowLogItem, monitoringPlan, unloggedAddresses } from './mapping.ts';
import { LiveNetwork } from './live.ts';
import { ControlStateStore, type StateTransaction } from './state-store.ts';
import { importFlowLogs, type ImportOptions, type ImportResult } from './log-import.ts';

export interface ControlPlaneOptions {
  db: Database;
  logStore: LogStore;
  /** Metric filters: they consume every log event delivered (absent: no metrics are published). */
  metrics?: MetricFilterStore;
  /** Told the records delivered per flow log after each commit (vpcflow's own metrics). */
  onDelivered?: (counts: readonly DeliveredCount[]) => void;
  /** Told, per live window delivered, the seconds from the window's end to its commit. */
  onLiveLatency?: (seconds: number) => void;
  archive: ArchiveWriter;
  /** Owners of archive buckets: an s3 flow log may only name a bucket its account owns or is granted. */
  buckets?: BucketRegistry;
  maxFlows: number;
  allowShortIntervals: boolean;
  now?: () => number;
  log?: (line: string) => void;
  /** Realize the declared network on this host and log its real traffic (`serve --realize`; needs root). */
  realize?: { dataDir: string; prefix?: string };
  /**
   * Called at each step of a network change ('realize', 'persist', 'rollback'); a throw there is a
   * failure of that step. Tests use it to show that a failure at any step changes nothing.
   */
  faultAt?: (step: MutationStep) => void;
}

export type MutationStep = 'realize' | 'persist';

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
  /** sha256 of the uploaded bytes: the same content is ingested once per account (unless forced). */
  Sha256: string;
  Warnings: string[];
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
  /** Flow logs deleted because the resource they were attached to was deleted. */
  readonly deletedFlowLogs: readonly string[];
}

export interface ApplyOptions {
  /** The caller may only change this account's network (an account key's request). */
  readonly asAccount?: string;
  /** Delete resources the document does not mention (otherwise such an apply is refused). */
  readonly prune?: boolean;
  /** Plan only: validate and say what would change, change nothing. */
  readonly dryRun?: boolean;
}

export class ControlPlane {
  private readonly networks = new Map<string, NetworkModel>();
  private readonly flowLogs = new Map<string, FlowLog>();
  private readonly now: () => number;
  private readonly live: LiveNetwork | undefined;
  readonly delivery: DeliveryStage;
  private readonly state: ControlStateStore;
  /** One network change at a time: each plans against the model the previous one left. */
  private readonly networkMutex = new Mutex();

  constructor(private readonly o: ControlPlaneOptions) {
    this.now = o.now ?? Date.now;
    this.state = new ControlStateStore(o.db);
    this.delivery = new DeliveryStage({
      db: o.db, logStore: o.logStore, archive: o.archive, now: this.now, ...(o.buckets ? { buckets: o.buckets } : {}), ...(o.log ? { log: o.log } : {}),
      onArchiveOutcome: (r) => this.markDelivery(r.flowLogId, r.error === null ? null : 'Access error'),
      ...(o.onDelivered ? { onDelivered: o.onDelivered } : {}),
      ...(o.onLiveLatency ? { onLiveLatency: o.onLiveLatency } : {}),
    });
    if (o.metrics) this.delivery.registerLogEventConsumer(metricFilterConsumer(o.metrics));
    this.live = o.realize
      ? new LiveNetwork({
        dataDir: o.realize.dataDir, ...(o.realize.prefix !== undefined ? { prefix: o.realize.prefix } : {}), maxFlows: o.maxFlows, now: this.now, log: o.log,
        delivery: this.delivery,
      })
      : undefined;
  }

  async start(): Promise<void> {
    const loaded = await this.state.load();
    for (const m of loaded.networks) this.networks.set(m.account, m);
    for (const fl of loaded.flowLogs) this.flowLogs.set(fl.flowLogId, fl);
    await this.delivery.start();
    if (this.live) {
      // Adopt what an earlier run realized: the recorded owner, else the only account with a network.
      const owner = loaded.realizedAccount ?? (this.networks.size === 1 ? [...this.networks.keys()][0] : undefined);
      const model = owner !== undefined ? this.networks.get(owner) : undefined;
      if (model) {
        await this.live.realize(model, this.flowLogsOf(model.account));
        if (loaded.realizedAccount === undefined) await this.state.setRealizedAccount(model.account);
      } else if (this.networks.size > 1) {
        this.o.log?.(`--realize: ${this.networks.size} accounts have networks and none is realized yet; the next \`vpcflow apply\` chooses the one realized`);
      }
    }
  }

  async stop(): Promise<void> {
    // Ingests finish with their requests; the live path's observers stop here (its namespaces stay).
    await this.live?.stop();
  }

  /** The account a request acts for: the one named, else the only account with a network. */
  /** The live path's observation totals since the start (undefined without --realize). */
  liveObservations() {
    return this.live?.observationTotals();
  }

  /** Accounts that have declared a network. */
  networkAccounts(): string[] {
    return [...this.networks.keys()].sort();
  }

  async accountFor(account: string | undefined): Promise<string> {
    if (account) return account;
    if (this.networks.size === 1) return [...this.networks.keys()][0]!;
    if (this.networks.size === 0) throw new VpcflowError('InvalidParameterValue', 'no network is declared yet: run `vpcflow apply FILE` first');
    throw new VpcflowError('InvalidParameterValue', `several accounts have networks (${[...this.networks.keys()].join(', ')}): name one with --account`);
  }

  async apply(text: string, sourceName: string, opts: ApplyOptions = {}) {
    let doc: unknown;
    // Before any parser: a deeply nested document would exhaust its stack (and the yaml library's
    // recovery from that can take the whole process down).
    const deep = documentNestingProblem(text);
    if (deep) throw new VpcflowError('DocumentTooDeep', `${sourceName}: refused at line ${deep.line}, column ${deep.column}: ${deep.message}; nothing was changed`);
    try {
      doc = parseYaml(text, { prettyErrors: true, uniqueKeys: true });
    } catch (e) {
      const where = e instanceof YAMLParseError && e.linePos ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
      throw new VpcflowError('InvalidDocument', `${sourceName}: not valid YAML or JSON${where}: ${yamlReason(e)}`);
    }
    return this.networkMutex.run(async () => {
      const account = accountOfDocument(doc);
      if (opts.asAccount !== undefined && account !== opts.asAccount) {
        throw new VpcflowError('AccessDenied', `this access key belongs to account ${opts.asAccount}; the document declares account ${account ?? '(none)'}`, 403);
      }
      const current = account ? this.networks.get(account) : undefined;
      const { model, changes } = planApply(current, doc);
      const deletions = changes.filter((c) => c.action === 'delete');
      if (deletions.length > 0 && !opts.prune && !opts.dryRun) {
        throw new VpcflowError('PruneRequired',
          `${sourceName} does not mention ${deletions.length} existing resource(s) of account ${model.account}: ${deletions.slice(0, 10).map((c) => c.resourceId).join(', ')}${deletions.length > 10 ? ', …' : ''}; `
          + 'add them to the document, or pass --prune to delete them (see the plan with --dry-run); nothing was changed');
      }
      const orphaned = this.flowLogsOrphanedBy(model);
      const planned = {
        Account: model.account,
        Changes: changes.map((c) => ({ Action: c.action, ResourceType: c.resourceType, ResourceId: c.resourceId, ...(c.detail ? { Detail: c.detail } : {}) })),
        ...(orphaned.length ? { DeletedFlowLogs: orphaned.map((f) => f.flowLogId) } : {}),
      };
      if (opts.dryRun) return { ...planned, DryRun: true };
      this.refuseForeignRealize(model.account);
      const realized = await this.commitNetwork(model.account, current, model, changes.length > 0, { deleteFlowLogs: orphaned });
      return { ...planned, ...(realized ? { Dataplane: { Actions: realized.actions } } : {}) };
    });
  }

  /**
   * Changes an account's network the way `apply` does: `mutate` gets the current model (undefined
   * before the account's first VPC) and the account's flow logs, and returns the whole document the
   * network becomes. The document is planned against the current model (validated exactly as
   * `vpcflow apply` validates), realized on this host when the server realizes networks, and
   * persisted, as one unit: a refusal or failure at any step leaves everything as it was.
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
      const orphaned = model ? this.flowLogsOrphanedBy(model) : [];
      if (model && m.doc !== undefined) {
        this.refuseForeignRealize(account);
        await this.commitNetwork(account, current, model, changes.length > 0, { updateFlowLogs: retagged, deleteFlowLogs: orphaned });
      } else if (retagged.length > 0) {
        await this.state.transaction(async (tx) => {
          for (const fl of retagged) await tx.updateFlowLog(fl);
        });
        for (const fl of retagged) this.flowLogs.set(fl.flowLogId, fl);
        await this.flowLogsChanged(account);
      }
      return { result: m.result, model, changes, deletedFlowLogs: orphaned.map((f) => f.flowLogId) };
    });
  }

  /**
   * This host realizes one account's network; another account's change is refused before anything
   * happens, without naming the account whose network is realized.
   */
  private refuseForeignRealize(account: string): void {
    const owner = this.live?.realizedAccount;
    if (owner !== undefined && owner !== account) {
      throw new VpcflowError('UnsupportedOperation', 'this host already realizes the network of another account (`serve --realize` realizes one account per host); nothing was changed');
    }
  }

  /** Flow logs whose VPC, subnet or interface does not exist in `model` (deleted with their resource, as AWS does). */
  private flowLogsOrphanedBy(model: NetworkModel): FlowLog[] {
    const idx = new NetworkIndex(model);
    return this.flowLogsOf(model.account).filter((f) => !idx.resourceExists(f.resourceType, f.resourceId));
  }

  /**
   * One network change as a unit: realize `next` (when realizing), then persist it with its flow log
   * changes in one transaction. A failure at either step puts the kernel back to `previous` and
   * leaves the store and memory untouched.
   */
  private async commitNetwork(
    account: string, previous: NetworkModel | undefined, next: NetworkModel, modelChanged: boolean,
    flowLogChanges: { updateFlowLogs?: readonly FlowLog[]; deleteFlowLogs?: readonly FlowLog[] },
  ) {
    const deleted = new Set((flowLogChanges.deleteFlowLogs ?? []).map((f) => f.flowLogId));
    const updated = (flowLogChanges.updateFlowLogs ?? []).filter((f) => !deleted.has(f.flowLogId));
    const nextFlowLogs = this.flowLogsOf(account).filter((f) => !deleted.has(f.flowLogId)).map((f) => updated.find((u) => u.flowLogId === f.flowLogId) ?? f);
    const wasRealized = this.live?.realizedAccount === account;
    let realized;
    if (this.live) {
      try {
        this.o.faultAt?.('realize');
        // Also with no change: a re-apply repairs what the kernel lost (reconcile is idempotent).
        realized = await this.live.realize(next, nextFlowLogs);
      } catch (e) {
        await this.restoreKernel(account, previous, wasRealized);
        throw e;
      }
    }
    try {
      await this.state.transaction(async (tx: StateTransaction) => {
        this.o.faultAt?.('persist');
        if (modelChanged) await tx.putNetwork(next, this.now());
        for (const fl of updated) await tx.updateFlowLog(fl);
        for (const id of deleted) await tx.deleteFlowLog(id);
        // In the same transaction: a restart adopts exactly the network that was realized and stored.
        if (this.live && !wasRealized) await tx.setRealizedAccount(account);
      });
    } catch (e) {
      if (this.live) await this.restoreKernel(account, previous, wasRealized);
      throw e;
    }
    this.networks.set(account, next);
    for (const fl of updated) this.flowLogs.set(fl.flowLogId, fl);
    for (const id of deleted) this.flowLogs.delete(id);
    for (const id of deleted) this.o.log?.(`flow log ${id} deleted with the resource it was attached to`);
    return realized;
  }

  /** After a failed change: the kernel back to the stored network (or nothing, if none was realized). */
  private async restoreKernel(account: string, previous: NetworkModel | undefined, wasRealized: boolean): Promise<void> {
    if (!this.live) return;
    try {
      if (wasRealized && previous) await this.live.realize(previous, this.flowLogsOf(account));
      else if (this.live.realizedAccount === account) await this.live.down();
    } catch (e) {
      this.o.log?.(`restoring the realized network of account ${account} after a failed change failed too: ${errorMessage(e)} (re-apply to repair)`);
    }
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
    const live = this.requireLive();
    return this.networkMutex.run(async () => {
      const r = await live.down();
      await this.state.setRealizedAccount(undefined);
      return {
        Removed: r.removed,
        Stopped: (r.stopped ?? []).map((p) => ({
          Pid: p.pid, Command: [...p.argv], Namespace: p.namespace, Signal: p.signal,
          ...(p.owner?.kind === 'instance' ? { InstanceId: p.owner.id } : p.owner ? { VpcId: p.owner.id } : {}),
        })),
        Busy: r.busy.map((b) => ({ Namespace: b.namespace, Pids: b.pids })),
      };
    });
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
    let valid = result.valid;
    const unsuccessful = [...result.unsuccessful];
    if (valid.length) {
      // The bucket claim (or grant check) and the flow logs commit together or not at all.
      const refused = await this.state.transaction(async (tx) => {
        try {
          // Every flow log of one request names the same destination: checking one checks all.
          await this.o.buckets?.checkFlowLog(tx.tx, valid[0]!);
        } catch (e) {
          if (e instanceof BucketRefusedError) return e;
          throw e;
        }
        for (const fl of valid) await tx.insertFlowLog(fl);
        return undefined;
      });
      if (refused) {
        unsuccessful.push(...valid.map((fl) => ({ resourceId: fl.resourceId, code: refused.unsuccessfulCode, message: refused.message })));
        valid = [];
      } else {
        for (const fl of valid) this.flowLogs.set(fl.flowLogId, fl);
        await this.flowLogsChanged(acct);
      }
    }
    return {
      ...(typeof request.ClientToken === 'string' ? { ClientToken: request.ClientToken } : {}),
      FlowLogIds: [...result.replayed, ...valid].map((f) => f.flowLogId),
      Unsuccessful: unsuccessful.map((u) => ({ Error: { Code: u.code, Message: u.message }, ResourceId: u.resourceId })),
    };
  }

  async describeFlowLogs(account: string | undefined, request: Record<string, unknown>) {
    // As AWS: an account without a network (or any flow log) has an empty list, not an error.
    const acct = account ?? (this.networks.size === 0 ? undefined : await this.accountFor(undefined));
    const ids = Array.isArray(request.FlowLogIds) ? (request.FlowLogIds as string[]) : [];
    const filters = Array.isArray(request.Filter) ? (request.Filter as { Name: string; Values: string[] }[]) : [];
    // Number() and a template literal of a list call its toString, which recurses: a list 50 000 deep overflowed the stack.
    const rawMax = request.MaxResults;
    const max = rawMax === undefined || rawMax === null ? undefined : typeof rawMax === 'number' ? rawMax : typeof rawMax === 'string' ? Number(rawMax) : NaN;
    if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > 1000)) {
      const shown = typeof rawMax === 'string' && rawMax.length <= 60 ? rawMax : describeValue(rawMax);
      throw new VpcflowError('InvalidParameterValue', `Value ( ${shown} ) for parameter maxResults is invalid. Expecting a value between 1 and 1000.`);
    }
    checkDescribeFilters(filters);
    let list = (acct === undefined ? [] : this.flowLogsOf(acct))
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
      await this.state.transaction(async (tx) => {
        for (const id of toDelete) await tx.deleteFlowLog(id);
      });
      for (const id of toDelete) this.flowLogs.delete(id);
      await this.flowLogsChanged(acct);
    }
    return { Unsuccessful: unsuccessful.map((u) => ({ Error: { Code: u.code, Message: u.message }, ResourceId: u.resourceId })) };
  }

  /** SQL in the sandbox (store/sql-sandbox.ts): an account's scope sees that account's records only. */
  async query(sql: string, scope: SqlScope = OPERATOR_SCOPE) {
    const r = await this.o.db.query(sql, scope);
    return { Columns: r.columns, Rows: r.rows, ...(r.truncated ? { Truncated: { By: r.truncated.by, Limit: r.truncated.limit } } : {}) };
  }

  /**
   * Decodes a capture stream, aggregates it on the account's monitored interfaces and delivers every
   * window to every covering flow log, whole or not at all: deliveries are staged while the capture
   * streams in and published in one transaction at its end. Content already ingested for the account
   * is refused (AlreadyIngestedError) unless `force`.
   */
  async ingest(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>, opts: { name: string; account?: string; force?: boolean }): Promise<IngestResult> {
    const acct = await this.accountFor(opts.account);
    const idx = this.index(acct);
    const plan = monitoringPlan(idx, this.flowLogsOf(acct));
    const observer = new FlowObserver({
      interfaces: plan.interfaces,
      intervals: plan.intervals,
      maxFlows: this.o.maxFlows,
      unloggedAddresses: unloggedAddresses(idx),
    });
    const result: IngestResult = {
      Name: opts.name, Account: acct, Bytes: 0, Packets: 0, Attributed: 0, Windows: 0, Records: 0, Problems: 0,
      ProblemSamples: [], SkippedByReason: {}, DeliveryErrors: [], Sha256: '', Warnings: [],
    };
    const decoder = new CaptureStreamDecoder((p) => observer.observe(p), { source: opts.name });
    const digest = createHash('sha256');
    const session: IngestSession = this.delivery.beginIngest();
    const stageClosed = async () => {
      for (;;) {
        // Parts of at most DELIVERY_BATCH flow records: a huge window never sits in memory whole.
        const windows = observer.drain(DELIVERY_BATCH);
        if (!windows.length) return;
        await session.stageWindows(windows, plan);
      }
    };
    try {
      let stats;
      try {
        for await (const chunk of body as AsyncIterable<Uint8Array>) {
          result.Bytes += chunk.length;
          digest.update(chunk);
          decoder.push(chunk);
          await stageClosed();
        }
        stats = decoder.end();
      } catch (e) {
        // A file we cannot read at all is the client's problem; nothing of it is delivered.
        if (e instanceof CaptureFormatError) throw new VpcflowError('InvalidCapture', e.message);
        throw e;
      }
      observer.finish();
      await stageClosed();
      result.Packets = stats.packetsRead;
      result.Attributed = observer.stats.attributed;
      result.Problems = stats.problemCount;
      result.ProblemSamples = stats.problems.slice(0, 20).map((p) => ({ Offset: p.fileOffset, Packet: p.packetIndex, Reason: p.reason }));
      result.SkippedByReason = stats.skippedByReason;
      result.Sha256 = digest.digest('hex');
      result.Windows = session.windows;
      result.Records = session.records;
      if (result.Attributed === 0 && stats.packetsDecoded > 0) {
        const seen = observer.mostFrequentUnmatched(5).map((u) => `${u.address} (${u.packets})`).join(', ');
        result.Warnings.push(`no packet of ${opts.name} matched an interface of account ${acct} covered by a flow log${seen ? `; the addresses seen most were ${seen}` : ''}: `
          + 'check that the capture\'s addresses are those of the declared interfaces (vpcflow network) and that flow logs cover them (vpcflow flow-logs describe)');
      }
      const published = await session.publish({ accountId: acct, kind: 'capture', digest: result.Sha256, name: opts.name, force: opts.force ?? false, result: summaryOf(result) });
      for (const a of published.archive) if (a.error !== null) result.DeliveryErrors.push({ FlowLogId: a.flowLogId, Message: a.error });
    } catch (e) {
      await session.discard();
      throw e;
    }
    this.o.log?.(`ingested ${opts.name}: ${result.Packets} packets, ${result.Records} records in ${result.Windows} windows, ${result.Problems} bad packets`);
    return result;
  }

  /** Records the outcome of a delivery on the flow log (DeliverLogsStatus, as DescribeFlowLogs shows it). */
  private async markDelivery(flowLogId: string, error: string | null): Promise<void> {
    const fl = this.flowLogs.get(flowLogId);
    if (!fl) return;
    const status = error ? 'FAILED' : 'SUCCESS';
    if (fl.deliverLogsStatus === status && (fl.deliverLogsErrorMessage ?? null) === error) return;
    const updated: FlowLog = { ...fl, deliverLogsStatus: status, ...(error ? { deliverLogsErrorMessage: error } : { deliverLogsErrorMessage: undefined }) };
    await this.state.transaction((tx) => tx.updateFlowLog(updated));
    this.flowLogs.set(flowLogId, updated);
  }

  /** Imports a flow log file AWS wrote (log-import.ts) into a log group of the account, whole or not at all, once per content. */
  async importFlowLogs(
    body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
    opts: { account?: string } & Omit<ImportOptions, 'now' | 'log'>,
  ): Promise<ImportResult> {
    // Importing needs no network: without one, the operator names the account.
    const acct = await this.accountFor(opts.account).catch((e: unknown) => {
      throw e instanceof VpcflowError ? new VpcflowError(e.code, `${e.message} (or name the account the imported records belong to: --account ID)`, e.httpStatus) : e;
    });
    const { account: _account, ...options } = opts;
    return importFlowLogs(this.delivery, acct, body as AsyncIterable<Uint8Array>, { ...options, now: this.now, ...(this.o.log ? { log: this.o.log } : {}) });
  }
}

/** Flow records built and staged per step of an ingest. */
const DELIVERY_BATCH = 50_000;

/** What a refused repeat of an ingest reports about the first one. */
const summaryOf = (r: IngestResult) => ({ Name: r.Name, Packets: r.Packets, Records: r.Records, Windows: r.Windows });

/** The first line of a YAML parser's message, without its trailing position (the caller states it). */
function yamlReason(e: unknown): string {
  const first = errorMessage(e).split('\n')[0] ?? '';
  return first.replace(/\s*at line \d+, column \d+:?\s*$/, '').replace(/:\s*$/, '');
}

function decodeNext(token: string): number {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { o?: unknown };
    if (typeof v.o === 'number' && Number.isInteger(v.o) && v.o >= 0) return v.o;
  } catch {
    // reported below
  }
  throw new VpcflowError('InvalidParameterValue', `The token '${token}' is invalid.`);
}
