// Archive records waiting for their 5-minute file period, and the files written from them. Owns the
// archive_pending and archive_objects tables: records are queued inside the delivery transaction
// that also reaches the log store, so a crash between delivery and file loses nothing; file names are
// deterministic (flow log, period, sequence), so a file rewritten after a crash overwrites itself.

import type { Database, Transaction } from '../store/index.ts';
import { appendRecords } from '../store/index.ts';
import { ArchiveDeliveryError, type ArchiveWriter } from '../destinations/archive/index.ts';
import { FILE_PERIOD_SEC, type ArchiveDelivery, type FlowLogTarget } from '../flowlogs/index.ts';
import { errorMessage } from '../platform/errors.ts';
import type { BucketRegistry } from '../destinations/archive/buckets.ts';

/** An archive file is written early once its period holds this many records. */
export const ARCHIVE_FILE_RECORDS = 250_000;

/** The origin of the live path's records; an ingest queues under its own id. */
export const LIVE_ORIGIN = 'live';

export interface ArchiveFlushOutcome {
  readonly flowLogId: string;
  /** null: the file was written. */
  readonly error: string | null;
}

export interface ArchiveQueueOptions {
  readonly db: Database;
  readonly archive: ArchiveWriter;
  readonly now: () => number;
  readonly log?: (line: string) => void;
  /** Checked before each file: a bucket's owner may have withdrawn the grant since the flow log was created. */
  readonly buckets?: BucketRegistry;
}

export class ArchiveQueue {
  constructor(private readonly o: ArchiveQueueOptions) {}

  /** Queues one delivery's records inside the caller's delivery transaction. */
  async enqueueInTransaction(tx: Transaction, d: ArchiveDelivery, origin: string, ingestionTime: number): Promise<void> {
    if (d.records.length === 0) return;
    await tx.run('INSERT INTO archive_pending (flow_log_id, file_time, target, records, added_at, origin, record_count) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      d.target.flowLogId, BigInt(d.fileTime), JSON.stringify(d.target), JSON.stringify(d.records), BigInt(ingestionTime), origin, BigInt(d.records.length),
    ]);
  }

  /** Origins other than the live path with records still queued (ingests a crash interrupted after they were published). */
  async strandedOrigins(): Promise<string[]> {
    const rows = await this.o.db.all('SELECT DISTINCT origin FROM archive_pending WHERE origin <> $1 ORDER BY origin', [LIVE_ORIGIN]);
    return rows.map((r) => String(r.origin));
  }

  /** How many periods are queued for `origin`. */
  async pendingPeriods(origin: string): Promise<number> {
    const rows = await this.o.db.all('SELECT count(*) AS n FROM (SELECT DISTINCT flow_log_id, file_time FROM archive_pending WHERE origin = $1)', [origin]);
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Writes every queued file of `origin` whose period can get no more records: its end is at or
   * before `closedUntil` for the flow log's aggregation interval, or it is large, or `all`.
   */
  async flush(origin: string, closedUntil: ReadonlyMap<number, number> | 'all'): Promise<ArchiveFlushOutcome[]> {
    const periods = await this.o.db.all(
      'SELECT flow_log_id, file_time, any_value(target) AS target, sum(record_count) AS n FROM archive_pending WHERE origin = $1 GROUP BY flow_log_id, file_time ORDER BY file_time, flow_log_id',
      [origin],
    );
    const outcomes: ArchiveFlushOutcome[] = [];
    for (const p of periods) {
      const target = JSON.parse(String(p.target)) as FlowLogTarget;
      const fileTime = Number(p.file_time);
      const complete = closedUntil === 'all'
        || fileTime + FILE_PERIOD_SEC <= (closedUntil.get(target.maxAggregationInterval) ?? 0)
        || Number(p.n) >= ARCHIVE_FILE_RECORDS;
      if (!complete) continue;
      outcomes.push(await this.writeFile(origin, target, fileTime));
    }
    return outcomes;
  }

  private async writeFile(origin: string, target: FlowLogTarget, fileTime: number): Promise<ArchiveFlushOutcome> {
    const { db } = this.o;
    const rows = await db.all('SELECT rowid AS id, records FROM archive_pending WHERE origin = $1 AND flow_log_id = $2 AND file_time = $3 ORDER BY added_at, rowid', [origin, target.flowLogId, BigInt(fileTime)]);
    const ids = rows.map((r) => BigInt(r.id as number | bigint));
    const records = rows.flatMap((r) => JSON.parse(String(r.records)) as ArchiveDelivery['records']);
    const dropQueued = async (tx: Transaction) => {
      for (const id of ids) await tx.run('DELETE FROM archive_pending WHERE rowid = $1', [id]);
    };
    const dest = target.destination;
    if (dest.type !== 's3') {
      await db.transaction(dropQueued);
      return { flowLogId: target.flowLogId, error: null };
    }
    const fileTimeMs = fileTime * 1000;
    try {
      await this.o.buckets?.claimOrCheck(undefined, { account: target.accountId, region: target.region, bucket: dest.bucket, prefix: dest.prefix, hiveCompatiblePartitions: dest.hiveCompatiblePartitions });
      const prior = await db.all('SELECT count(DISTINCT sequence) AS n FROM archive_objects WHERE flow_log_id = $1 AND file_time = $2', [target.flowLogId, BigInt(fileTimeMs)]);
      const sequence = Number(prior[0]?.n ?? 0);
      const objects = await this.o.archive.writeObjects({
        flowLog: {
          flowLogId: target.flowLogId, accountId: target.accountId, region: target.region, bucket: dest.bucket, prefix: dest.prefix, fields: target.fields,
          fileFormat: dest.fileFormat, hiveCompatiblePartitions: dest.hiveCompatiblePartitions, perHourPartition: dest.perHourPartition,
        },
        fileTime: fileTimeMs,
        records: records.map((r) => r.record),
        sequence,
      });
      const ingestion = this.o.now();
      const destination = `s3://${dest.bucket}/${dest.prefix}`;
      await db.transaction(async (tx) => {
        await dropQueued(tx);
        for (const o of objects) {
          await tx.run('INSERT INTO archive_objects VALUES ($1, $2, $3, $4, $5, $6)', [target.flowLogId, BigInt(fileTimeMs), sequence, o.key, BigInt(o.records), BigInt(ingestion)]);
        }
        await appendRecords(tx, records.map((r) => ({ record: r.record, ownerAccount: target.accountId, flowLogId: target.flowLogId, destinationType: 's3', destination, rule: r.rule, ingestionTime: ingestion })));
      });
      return { flowLogId: target.flowLogId, error: null };
    } catch (e) {
      const message = e instanceof ArchiveDeliveryError ? e.message : `archive delivery failed: ${errorMessage(e)}`;
      this.o.log?.(message);
      // The file is given up (its flow log shows the failure) rather than retried forever.
      await db.transaction(dropQueued);
      return { flowLogId: target.flowLogId, error: message };
    }
  }
}
