// `vpcflow import`: VPC flow log files AWS wrote for someone else (S3 text or Parquet, CloudWatch
// Logs exports) delivered into a log group of the importing account and into the SQL store, through
// the ingest staging of the delivery stage: read as a stream in batches, staged, published in one
// transaction at the end (whole or not at all), and refused when the same content was imported before.
//
// Decisions:
// - Each record's log event message is the record's text as the file has it (the line; for Parquet,
//   the row written in its fields), so an export of the group gives the file's lines back.
// - The records are kept as written, `account-id` included; they belong to the importing account
//   (owner_account), which is the only account an account key can import into. A record's
//   account-id names the owner of the interface, which AWS itself often reports as another account
//   (requester-managed interfaces, shared VPCs), so a differing one is counted, not refused.
// - The records of an import are one pseudo flow log, `import-` + the file's name (sanitized): the
//   name is known when the first batch is staged (the content digest only at the end) and is what a
//   user recognises in `vpcflow query ... WHERE flow_log_id = 'import-…'`.
// - Event timestamps are start × 1000 as on the live path (NODATA and SKIPDATA records have a start
//   too); a CloudWatch export's own event time wins; with neither start nor end (custom formats
//   without them), the import time.

import { createHash } from 'node:crypto';
import { AlreadyIngestedError, type DeliveryStage } from '../delivery/index.ts';
import { LogStore } from '../destinations/logstore/index.ts';
import { streamNameFor, type FlowLogTarget, type LogStoreDelivery } from '../flowlogs/index.ts';
import { HeaderLineError, LogFormatError, fieldsFromHeader, headerLine, parseLogFormat, versionOf, type FieldName, type TextProblem } from '../records/index.ts';
import { FieldsUnknownError } from '../records/text.ts';
import { AwsFileError, AwsFileReader, RECORD_COLUMNS, type AwsFileKind } from '../store/index.ts';
import { VpcflowError, errorMessage } from '../platform/errors.ts';

export interface ImportOptions {
  /** The file's name (the client's base name): in messages, the dedup record and the flow log id. */
  readonly name: string;
  readonly logGroupName: string;
  /** Fields of a header-less file: `${a} ${b} …` (CreateFlowLogs syntax) or `a b …` (a header line). */
  readonly logFormat?: string;
  /** Import although the same content was imported before (duplicates its records). */
  readonly force?: boolean;
  /** Records per staged delivery (default 10 000). */
  readonly batchRecords?: number;
  /** Where a streamed Parquet file is spooled. */
  readonly tempDir?: string;
  readonly now?: () => number;
  readonly log?: (line: string) => void;
}

export interface ImportResult {
  Name: string;
  Account: string;
  LogGroupName: string;
  /** flow_records.flow_log_id of every imported record. */
  FlowLogId: string;
  Format: AwsFileKind;
  Gzip: boolean;
  /** The fields each run of records was read with, from which line (row) on, and how they were known. */
  Formats: { From: number; Fields: string | null; Source: string }[];
  Bytes: number;
  /** Lines (text), events (CloudWatch export) or rows (Parquet) read. */
  Lines: number;
  Records: number;
  Streams: number;
  Problems: number;
  ProblemSamples: { Line: number; Reason: string }[];
  Sha256: string;
  Warnings: string[];
}

/** The same content was imported into the account before. */
export class AlreadyImportedError extends VpcflowError {
  constructor(readonly source: string, readonly accountId: string, readonly previous: AlreadyIngestedError['previous']) {
    const p = (previous.result ?? {}) as { Records?: unknown; LogGroupName?: unknown };
    const what = typeof p.Records === 'number' && typeof p.LogGroupName === 'string' ? `, ${p.Records} records into ${p.LogGroupName}` : '';
    super('AlreadyIngested',
      `${source}: this content was already imported into account ${accountId} at ${new Date(previous.ingestedAt).toISOString()} (as ${previous.name}${what}); `
      + 'importing it again would duplicate every record (pass --force to import it anyway)',
      409);
  }

  get details(): unknown {
    return { PreviousName: this.previous.name, ImportedAt: this.previous.ingestedAt, PreviousResult: this.previous.result };
  }
}

/** Stream of records whose interface is unknown (formats without interface-id, or '-'). */
export const NO_INTERFACE_STREAM = 'no-interface-id';

// CloudWatch's stream name rule, as the log store applies it at publish time.
const STREAM_NAME = /^[^:*]{1,512}$/;
const MAX_PROBLEM_SAMPLES = 20;
const DEFAULT_BATCH = 10_000;
const MAX_FORMATS_LISTED = 100;
const MAX_NAME = 256;

/** Fields not stored as SQL columns (the store keeps the versions vpcflow's sources fill). */
const NOT_IN_SQL: ReadonlySet<string> = new Set(RECORD_COLUMNS.filter((c) => !c.stored).map((c) => c.field));

/** The flow log id of an import: `import-` and the file's base name in the characters ids use. */
export function importFlowLogId(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? '';
  const clean = base.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200);
  return `import-${clean || 'upload'}`;
}

/** The fields of a log format given for a header-less file. */
export function fieldsOfLogFormat(text: string): readonly FieldName[] {
  const t = text.trim();
  try {
    return t.includes('${') ? parseLogFormat(t).fields : fieldsFromHeader(t);
  } catch (e) {
    if (e instanceof LogFormatError || e instanceof HeaderLineError) {
      throw new VpcflowError('InvalidParameterValue', `log format '${text}': ${e.detail}; write it as CreateFlowLogs takes it ('\${version} \${account-id} …') or as a header line ('version account-id …')`);
    }
    throw e;
  }
}

/**
 * Reads `body` (a flow log file) and delivers its records to `opts.logGroupName` of `accountId`,
 * whole or not at all. Throws VpcflowError for options or a file that cannot be read, and
 * AlreadyImportedError (409) for content imported before without `force`.
 */
export async function importFlowLogs(
  delivery: DeliveryStage,
  accountId: string,
  body: AsyncIterable<Uint8Array>,
  opts: ImportOptions,
): Promise<ImportResult> {
  const group = LogStore.validateGroupName(opts.logGroupName);
  if (opts.name.length === 0 || opts.name.length > MAX_NAME) throw new VpcflowError('InvalidParameterValue', `name must be 1 to ${MAX_NAME} characters, got ${opts.name.length}`);
  const fields = opts.logFormat === undefined ? undefined : fieldsOfLogFormat(opts.logFormat);
  const now = opts.now ?? Date.now;
  const importTime = now();
  const flowLogId = importFlowLogId(opts.name);
  const batchRecords = opts.batchRecords ?? DEFAULT_BATCH;
  const result: ImportResult = {
    Name: opts.name, Account: accountId, LogGroupName: group, FlowLogId: flowLogId, Format: 'text', Gzip: false, Formats: [],
    Bytes: 0, Lines: 0, Records: 0, Streams: 0, Problems: 0, ProblemSamples: [], Sha256: '', Warnings: [],
  };
  const digest = createHash('sha256');
  const counted = async function* (): AsyncGenerator<Uint8Array> {
    for await (const chunk of body) {
      result.Bytes += chunk.length;
      digest.update(chunk);
      yield chunk;
    }
  };
  const onProblem = (p: TextProblem) => {
    result.Problems++;
    if (result.ProblemSamples.length < MAX_PROBLEM_SAMPLES) result.ProblemSamples.push({ Line: p.line, Reason: p.message });
  };
  const reader = new AwsFileReader(counted(), {
    name: opts.name, ...(fields ? { fields } : {}), batchSize: batchRecords,
    ...(opts.tempDir ? { tempDir: opts.tempDir } : {}), onProblem,
  });
  let target: FlowLogTarget | undefined;
  const targetFor = (f: readonly FieldName[]): FlowLogTarget => {
    // Batches of one run of fields follow each other: one target per run, none kept after it.
    if (target?.fields !== f) {
      target = {
        // Only the log store reads an import's target: region, traffic type and interval are AWS's
        // defaults for a flow log whose real settings the file does not tell.
        flowLogId, accountId, region: '-', trafficType: 'ALL', maxAggregationInterval: 600,
        fields: f, version: versionOf(f), destination: { type: 'cloud-watch-logs', logGroupName: group },
      };
    }
    return target;
  };
  // Deliveries staged together: at most batchRecords records, however often header lines change the fields.
  let pending: LogStoreDelivery[] = [];
  let pendingRecords = 0;
  const streams = new Set<string>();
  let foreign = 0;
  let foreignExample = '';
  let noInterface = 0;
  let unstamped = 0;
  const session = delivery.beginIngest();
  try {
    try {
      for await (const batch of reader.batches()) {
        if (pendingRecords > 0 && pendingRecords + batch.records.length > batchRecords) {
          await session.stageDeliveries(pending);
          pending = [];
          pendingRecords = 0;
        }
        const d: LogStoreDelivery = { kind: 'cloud-watch-logs', target: targetFor(batch.fields), events: [], records: [] };
        for (const r of batch.records) {
          const rec = r.record;
          const eni = rec['interface-id'];
          let stream = typeof eni === 'string' ? streamNameFor(eni) : undefined;
          if (stream === undefined || !STREAM_NAME.test(stream)) {
            noInterface++;
            stream = r.logStream !== undefined && STREAM_NAME.test(r.logStream) ? r.logStream : NO_INTERFACE_STREAM;
          }
          if (streams.size < 1_000_000) streams.add(stream);
          let timestamp: number;
          if (r.timestamp !== undefined && Number.isSafeInteger(r.timestamp) && r.timestamp >= 0) timestamp = r.timestamp;
          else if (typeof rec.start === 'number') timestamp = rec.start * 1000;
          else if (typeof rec.end === 'number') timestamp = rec.end * 1000;
          else {
            timestamp = importTime;
            unstamped++;
          }
          const owner = rec['account-id'];
          if (typeof owner === 'string' && owner !== accountId) {
            if (foreign++ === 0) foreignExample = owner;
          }
          d.events.push({ streamName: stream, timestamp, message: r.message });
          d.records.push({ record: rec, rule: null });
        }
        pending.push(d);
        pendingRecords += d.records.length;
      }
      if (pending.length > 0) await session.stageDeliveries(pending);
    } catch (e) {
      if (e instanceof AwsFileError && e.cause instanceof FieldsUnknownError) {
        throw new VpcflowError(e.code, `${e.message}; give the file's fields with --log-format (API: logFormat), e.g. '\${version} \${account-id} \${interface-id} …'`, e.httpStatus, { cause: e.cause });
      }
      throw e;
    }
    result.Format = reader.info.kind ?? 'text';
    result.Gzip = reader.info.gzip;
    result.Lines = reader.info.units;
    result.Records = session.records;
    result.Streams = streams.size;
    result.Sha256 = digest.digest('hex');
    result.Formats = reader.info.formats.slice(0, MAX_FORMATS_LISTED).map((f) => ({ From: f.line, Fields: f.fields ? headerLine(f.fields) : null, Source: f.source }));
    if (reader.info.formatChanges > MAX_FORMATS_LISTED) result.Warnings.push(`the file changes its fields ${reader.info.formatChanges} times; only the first ${MAX_FORMATS_LISTED} are listed in Formats`);
    if (fields !== undefined && reader.info.formats[0]?.source === 'header') {
      result.Warnings.push('the file starts with a header line, which names its fields: the given log format was not used');
    }
    if (result.Records === 0) {
      if (result.Bytes === 0) throw new AwsFileError(opts.name, 'the file is empty');
      const first = result.ProblemSamples[0];
      throw new AwsFileError(opts.name, `no flow log record could be read` + (first ? ` (${result.Problems} problem${result.Problems === 1 ? '' : 's'}; first, at ${first.Line}: ${first.Reason})` : ' (the file holds no record lines)'));
    }
    if (foreign > 0) {
      result.Warnings.push(`${foreign} record${foreign === 1 ? ' has' : 's have'} an account-id other than ${accountId} (e.g. ${foreignExample}): kept as written; every imported record belongs to account ${accountId}`);
    }
    if (noInterface > 0) result.Warnings.push(`${noInterface} record${noInterface === 1 ? ' has' : 's have'} no interface-id: their events are in stream '${NO_INTERFACE_STREAM}' (or the stream a CloudWatch export names)`);
    if (unstamped > 0) result.Warnings.push(`${unstamped} record${unstamped === 1 ? ' has' : 's have'} neither start nor end: their events carry the import time`);
    const unqueryable = [...new Set(reader.info.formats.flatMap((f) => f.fields ?? []))].filter((f) => NOT_IN_SQL.has(f));
    if (unqueryable.length > 0) {
      result.Warnings.push(`${unqueryable.join(', ')} ${unqueryable.length === 1 ? 'is' : 'are'} kept in the log events, but the SQL store has no column${unqueryable.length === 1 ? '' : 's'} for ${unqueryable.length === 1 ? 'it' : 'them'} yet: \`vpcflow query\` shows NULL`);
    }
    try {
      await session.publish({
        accountId, kind: 'import', digest: result.Sha256, name: opts.name, force: opts.force ?? false,
        result: { Name: result.Name, Records: result.Records, LogGroupName: group, FlowLogId: flowLogId },
      });
    } catch (e) {
      if (e instanceof AlreadyIngestedError) throw new AlreadyImportedError(opts.name, accountId, e.previous);
      throw e;
    }
  } catch (e) {
    await session.discard().catch((d) => opts.log?.(`import ${opts.name}: discarding its staged records failed: ${errorMessage(d)}`));
    throw e;
  }
  opts.log?.(`imported ${opts.name} into ${group} of account ${accountId}: ${result.Records} records, ${result.Streams} streams, ${result.Problems} problems`);
  return result;
}
