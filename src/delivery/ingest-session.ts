// An ingest delivered whole or not at all. While a capture streams in, its routed deliveries are
// staged in ingest_staging, which no reader sees; `publish` moves all of them to every consumer in one
// transaction and records the content digest in `ingests`, so a second copy of the same content is
// refused (or replaces nothing: a retry after any interruption ends with exactly one copy). Owns the
// ingest_staging and ingests tables.

import { randomBytes } from 'node:crypto';
import type { Database } from '../store/index.ts';
import type { Delivery } from '../flowlogs/index.ts';
import { VpcflowError } from '../platform/errors.ts';
import type { ArchiveFlushOutcome } from './archive-queue.ts';
import type { DeliveryStage, RoutingPlan } from './delivery-stage.ts';
import { countDeliveries, type DeliveredCount } from './delivered-counts.ts';
import type { ClosedWindow } from '../flows/index.ts';

/** A capture (or imported log file) whose content was already published for the account. */
export class AlreadyIngestedError extends VpcflowError {
  constructor(readonly source: string, readonly previous: { name: string; ingestedAt: number; result: unknown }) {
    super('AlreadyIngested',
      `${source}: this content was already ingested for the account at ${new Date(previous.ingestedAt).toISOString()} (as ${previous.name}); ingesting it again would duplicate every record (pass --force to do so anyway)`,
      409);
  }

  /** What the native API returns beside the message. */
  get details(): unknown {
    return { PreviousName: this.previous.name, IngestedAt: this.previous.ingestedAt, PreviousResult: this.previous.result };
  }
}

export interface PublishRequest {
  readonly accountId: string;
  /** 'capture' or 'import': content is deduplicated per account and kind. */
  readonly kind: string;
  /** sha256 of the uploaded bytes, hex. */
  readonly digest: string;
  readonly name: string;
  /** Publish even when the same content was published before. */
  readonly force: boolean;
  /** What the ingest reported, kept for the refusal of a repeat. */
  readonly result: unknown;
}

export interface PublishOutcome {
  readonly windows: number;
  readonly records: number;
  readonly archive: readonly ArchiveFlushOutcome[];
}

export class IngestSession {
  readonly id = `ingest-${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
  private seq = 0;
  private finished = false;
  windows = 0;
  records = 0;

  constructor(private readonly db: Database, private readonly stage: DeliveryStage) {}

  /** Routes closed windows and stages their deliveries (invisible to every reader until publish). */
  async stageWindows(windows: readonly ClosedWindow[], plan: RoutingPlan): Promise<void> {
    this.windows += windows.length;
    const deliveries = this.stage.route(windows, plan);
    if (deliveries.length === 0) return;
    return this.stageDeliveries(deliveries);
  }

  /** Stages deliveries routed elsewhere (an import of AWS flow logs). */
  async stageDeliveries(deliveries: readonly Delivery[]): Promise<void> {
    if (this.finished) throw new Error(`ingest ${this.id} is already finished`);
    for (const d of deliveries) this.records += d.records.length;
    const seq = this.seq++;
    await this.db.transaction((tx) => tx.run('INSERT INTO ingest_staging VALUES ($1, $2, $3)', [this.id, BigInt(seq), JSON.stringify(deliveries)]));
  }

  /**
   * Delivers everything staged to every consumer in one transaction (refused with
   * AlreadyIngestedError when the content was published before and not `force`), then writes the
   * ingest's archive files.
   */
  async publish(req: PublishRequest): Promise<PublishOutcome> {
    if (this.finished) throw new Error(`ingest ${this.id} is already finished`);
    this.finished = true;
    const announced: Parameters<DeliveryStage['announce']>[0][number][] = [];
    const counts = new Map<string, DeliveredCount>();
    try {
      await this.db.transaction(async (tx) => {
        const prior = await tx.all('SELECT name, ingested_at, result FROM ingests WHERE account_id = $1 AND kind = $2 AND digest = $3', [req.accountId, req.kind, req.digest]);
        if (prior.length > 0 && !req.force) {
          const p = prior[0]!;
          throw new AlreadyIngestedError(req.name, { name: String(p.name), ingestedAt: Number(p.ingested_at), result: JSON.parse(String(p.result)) });
        }
        const ctx = { origin: this.id, ingestionTime: this.stage.now() };
        for (let s = 0; s < this.seq; s++) {
          const rows = await tx.all('SELECT deliveries FROM ingest_staging WHERE ingest_id = $1 AND seq = $2', [this.id, BigInt(s)]);
          const deliveries = JSON.parse(String(rows[0]!.deliveries)) as Delivery[];
          await this.stage.publishInTransaction(tx, deliveries, ctx, announced);
          countDeliveries(deliveries, counts);
        }
        await tx.run('DELETE FROM ingest_staging WHERE ingest_id = $1', [this.id]);
        await tx.run('INSERT OR REPLACE INTO ingests VALUES ($1, $2, $3, $4, $5, $6)', [req.accountId, req.digest, req.kind, req.name, JSON.stringify(req.result), BigInt(ctx.ingestionTime)]);
      });
    } catch (e) {
      await this.discardStaged();
      throw e;
    }
    this.stage.announce(announced);
    this.stage.delivered(counts);
    const archive = await this.stage.flushArchive(this.id, 'all');
    return { windows: this.windows, records: this.records, archive };
  }

  /** Forgets everything staged (the upload failed or was refused): nothing of it was delivered. */
  async discard(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.discardStaged();
  }

  private async discardStaged(): Promise<void> {
    if (this.seq === 0) return;
    await this.db.transaction((tx) => tx.run('DELETE FROM ingest_staging WHERE ingest_id = $1', [this.id]));
  }
}

/** Staged rows of ingests that never published (their server stopped): returns how many ingests. */
export async function discardStagedIngests(db: Database): Promise<number> {
  const rows = await db.all('SELECT count(DISTINCT ingest_id) AS n FROM ingest_staging');
  const n = Number(rows[0]?.n ?? 0);
  if (n > 0) await db.transaction((tx) => tx.run('DELETE FROM ingest_staging'));
  return n;
}
