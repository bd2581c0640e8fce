// Encodes one flow log's records for one 5-minute period into AWS-shaped archive files (gzip text
// with a header line, or gzip-paged Parquet with Athena column names) and puts them into an
// ObjectStore, splitting at a size cap the way AWS closes files at 75 MB.

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { ObjectStore } from '../../platform/object-store.ts';
import { type ColumnSpec, type FieldName, type FlowRecord, duckdbColumnsDdl, headerLine } from '../../records/index.ts';
import { type FileFormat, fileHash, filePeriodStart, objectKey } from './layout.ts';
import { type ParquetRow, archiveColumns, parquetRow, renderLines } from './rows.ts';

const gzipAsync = promisify(gzip);

export const DEFAULT_MAX_FILE_TEXT_BYTES = 75 * 1024 * 1024;

const CONTENT_TYPE: Record<FileFormat, string> = {
  'plain-text': 'application/gzip',
  parquet: 'application/vnd.apache.parquet',
};

export interface ArchiveFlowLog {
  readonly flowLogId: string;
  /** The account that owns the flow log; it names the folder and the file. */
  readonly accountId: string;
  readonly region: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly fields: readonly FieldName[];
  readonly fileFormat: FileFormat;
  readonly hiveCompatiblePartitions: boolean;
  readonly perHourPartition: boolean;
}

export interface ArchiveBatch {
  readonly flowLog: ArchiveFlowLog;
  /** Start (or any instant) of the 5-minute file period, epoch ms or Date. */
  readonly fileTime: number | Date;
  readonly records: readonly FlowRecord[];
  /**
   * Which delivery of this period this is (0, 1, 2...). Together with the flow log and period it
   * fixes the file names, so retrying a batch with the same sequence overwrites instead of duplicating.
   */
  readonly sequence?: number;
}

export class ArchiveDeliveryError extends Error {
  override readonly name = 'ArchiveDeliveryError';
  constructor(
    readonly flowLogId: string,
    readonly key: string,
    /** 'encode' = building the file failed; 'store' = the object store refused it. */
    readonly stage: 'encode' | 'store',
    /** Complete objects of this batch that were stored before the failure (a retry rewrites them). */
    readonly keysWritten: readonly string[],
    cause: unknown,
  ) {
    super(`archive delivery for ${flowLogId} failed at ${stage} of ${key}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause });
  }
}

export class ArchiveWriterClosedError extends Error {
  override readonly name = 'ArchiveWriterClosedError';
  constructor(readonly flowLogId: string) {
    super(`cannot archive records of ${flowLogId}: the archive writer is closed`);
  }
}

export interface ArchiveWriterOptions {
  readonly store: ObjectStore;
  /** Private scratch directory for Parquet encoding; created if missing. */
  readonly tempDir: string;
  /** Uncompressed text size (header included) at which a file is closed and another begun. */
  readonly maxFileTextBytes?: number;
  /** DuckDB memory_limit for Parquet encoding. */
  readonly duckdbMemoryLimit?: string;
}

export class ArchiveWriter {
  private readonly store: ObjectStore;
  private readonly tempDir: string;
  private readonly maxFileTextBytes: number;
  private readonly duckdbMemoryLimit: string;
  private duckdb: Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> | undefined;
  /** Parquet encodes share one connection, so they run one at a time. */
  private parquetQueue: Promise<unknown> = Promise.resolve();
  private tableCounter = 0;
  private closed = false;

  constructor(options: ArchiveWriterOptions) {
    this.store = options.store;
    this.tempDir = path.resolve(options.tempDir);
    this.maxFileTextBytes = options.maxFileTextBytes ?? DEFAULT_MAX_FILE_TEXT_BYTES;
    if (!(this.maxFileTextBytes > 0)) throw new RangeError('maxFileTextBytes must be positive');
    this.duckdbMemoryLimit = options.duckdbMemoryLimit ?? '256MB';
  }

  /**
   * Writes the batch as one or more objects and returns their keys (`BUCKET/...`). An empty batch
   * writes nothing. Invalid records throw ArchiveRecordError before anything is stored. The caller
   * picks the records of the period (fileTimeOf(end) === fileTime); they are not re-checked here.
   */
  async write(batch: ArchiveBatch): Promise<string[]> {
    return (await this.writeObjects(batch)).map((o) => o.key);
  }

  /** As write, with the number of records each object holds (a large period is split into several). */
  async writeObjects(batch: ArchiveBatch): Promise<{ key: string; records: number }[]> {
    if (this.closed) throw new ArchiveWriterClosedError(batch.flowLog.flowLogId);
    const { flowLog } = batch;
    const columns = archiveColumns(flowLog.fields);
    const period = filePeriodStart(batch.fileTime);
    const lines = renderLines(flowLog.flowLogId, batch.records, flowLog.fields);
    if (lines.length === 0) return [];
    const parquetRows = flowLog.fileFormat === 'parquet'
      ? lines.map((line, i) => parquetRow(flowLog.flowLogId, i, line, columns))
      : undefined;

    const keys: string[] = [];
    const written: { key: string; records: number }[] = [];
    const header = headerLine(flowLog.fields);
    for (const [part, { start, end }] of this.splitIntoParts(header, lines).entries()) {
      const key = objectKey({
        ...flowLog,
        fileTime: period,
        hash: fileHash({ flowLogId: flowLog.flowLogId, fileTime: period, sequence: batch.sequence ?? 0, part }),
      });
      let body: Uint8Array;
      try {
        body = parquetRows
          ? await this.encodeParquet(columns, parquetRows.slice(start, end))
          : await encodeText(header, lines.slice(start, end));
      } catch (e) {
        throw new ArchiveDeliveryError(flowLog.flowLogId, key, 'encode', [...keys], e);
      }
      try {
        await this.store.put(key, body, CONTENT_TYPE[flowLog.fileFormat]);
      } catch (e) {
        throw new ArchiveDeliveryError(flowLog.flowLogId, key, 'store', [...keys], e);
      }
      keys.push(key);
      written.push({ key, records: end - start });
    }
    return written;
  }

  /** Waits for running encodes, then releases DuckDB. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.parquetQueue.catch(() => undefined);
    const duckdb = await this.duckdb?.catch(() => undefined);
    duckdb?.connection.closeSync();
    duckdb?.instance.closeSync();
  }

  /** Index ranges of `lines` whose text file (header included) stays within the size cap. */
  private splitIntoParts(header: string, lines: readonly string[]): { start: number; end: number }[] {
    const headerBytes = Buffer.byteLength(header) + 1;
    const parts: { start: number; end: number }[] = [];
    let start = 0;
    let size = headerBytes;
    for (let i = 0; i < lines.length; i++) {
      const lineBytes = Buffer.byteLength(lines[i]!) + 1;
      // A single oversized record still gets a file of its own rather than being dropped.
      if (i > start && size + lineBytes > this.maxFileTextBytes) {
        parts.push({ start, end: i });
        start = i;
        size = headerBytes;
      }
      size += lineBytes;
    }
    parts.push({ start, end: lines.length });
    return parts;
  }

  private encodeParquet(columns: readonly ColumnSpec[], rows: readonly ParquetRow[]): Promise<Uint8Array> {
    const run = this.parquetQueue.catch(() => undefined).then(() => this.encodeParquetNow(columns, rows));
    this.parquetQueue = run;
    return run;
  }

  private async encodeParquetNow(columns: readonly ColumnSpec[], rows: readonly ParquetRow[]): Promise<Uint8Array> {
    await mkdir(this.tempDir, { recursive: true });
    const { connection } = await this.openDuckdb();
    const table = `archive_part_${++this.tableCounter}`;
    const file = path.join(this.tempDir, `part-${process.pid}-${randomBytes(6).toString('hex')}.parquet`);
    await connection.run(`CREATE TABLE ${table} (${duckdbColumnsDdl(columns.map((c) => c.field))})`);
    try {
      const appender = await connection.createAppender(table);
      try {
        for (const row of rows) {
          columns.forEach((column, i) => {
            const cell = row[i];
            if (cell === null || cell === undefined) appender.appendNull();
            else if (column.parquet === 'STRING') appender.appendVarchar(String(cell));
            else if (column.parquet === 'INT_32') appender.appendInteger(Number(cell));
            else appender.appendBigInt(BigInt(cell));
          });
          appender.endRow();
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
      await connection.run(`COPY ${table} TO ${sqlString(file)} (FORMAT parquet, COMPRESSION gzip)`);
      return new Uint8Array(await readFile(file));
    } finally {
      await unlink(file).catch(() => undefined);
      await connection.run(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    }
  }

  private openDuckdb(): Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> {
    this.duckdb ??= (async () => {
      const instance = await DuckDBInstance.create(':memory:', {
        memory_limit: this.duckdbMemoryLimit,
        threads: '1',
        temp_directory: path.join(this.tempDir, 'duckdb'),
      });
      const connection = await instance.connect();
      return { instance, connection };
    })();
    return this.duckdb;
  }
}

/** gzip of the header line and one LF-terminated line per record. */
async function encodeText(header: string, lines: readonly string[]): Promise<Uint8Array> {
  const text = header + '\n' + lines.join('\n') + '\n';
  return new Uint8Array(await gzipAsync(Buffer.from(text, 'utf8')));
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}
