// Reads flow log files as AWS writes them (or as people export them) back into records, as a stream
// in bounded memory: plain or gzip text with or without header lines (S3 objects, several of them
// concatenated), Parquet with AWS's column names (through DuckDB, one result chunk at a time) and
// CloudWatch Logs JSON exports. Every record keeps the text it came from, so it can be delivered as
// the same log event message.

import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  FIELDS, TRANSIT_GATEWAY_ONLY_FIELDS, columnName, formatRecord, RecordFormatError,
  type FieldName, type FieldSpec, type FlowRecord, type TextProblem,
} from '../records/index.ts';
import { CloudWatchExportScanner, FieldsUnknownError, LogTextReader, type FieldsSource, type FormatChange } from '../records/text.ts';
import { VpcflowError, errorMessage } from '../platform/errors.ts';

export type AwsFileKind = 'text' | 'parquet' | 'cloudwatch-json';

export class AwsFileError extends VpcflowError {
  constructor(readonly path: string, why: string, cause?: unknown) {
    super('InvalidFile', `${path}: ${why}`, 400, { cause });
  }
}

/** One record read back, with what its log event needs. */
export interface ImportedRecord {
  readonly record: FlowRecord;
  /** The record's text: the line as written (text files, CloudWatch messages) or, for Parquet, the row written in its fields. */
  readonly message: string;
  /** Its line (text), the line its top-level JSON value starts at (CloudWatch), or its row (Parquet, 1-based). */
  readonly line: number;
  /** The event time a CloudWatch export gives. */
  readonly timestamp?: number;
  /** The stream a CloudWatch export names. */
  readonly logStream?: string;
}

/** Consecutive records read with the same fields. */
export interface RecordBatch {
  readonly fields: readonly FieldName[];
  readonly records: ImportedRecord[];
}

/** The fields from `line` (row, for Parquet) on; `fields` undefined: an invalid header, its lines not read. */
export interface FileFormat {
  readonly line: number;
  readonly fields: readonly FieldName[] | undefined;
  readonly source: FieldsSource | 'parquet-columns';
}

export interface AwsReadOptions {
  /** The file's name in every message. */
  readonly name: string;
  /** The fields of lines before any header line; without them only a format the values identify is read. */
  readonly fields?: readonly FieldName[];
  /** Records per batch (default 10 000). */
  readonly batchSize?: number;
  /** Where a streamed Parquet file is spooled (it needs random access); default the system's. */
  readonly tempDir?: string;
  /** Every line (row, event) that could not be used; reading continues after it. */
  readonly onProblem?: (p: TextProblem) => void;
}

/** What a read found besides its records; filled as it goes. */
export interface AwsReadInfo {
  kind: AwsFileKind | undefined;
  gzip: boolean;
  /** Lines (text), events (CloudWatch) or rows (Parquet) seen. */
  units: number;
  /** The first MAX_FORMATS changes of fields; `formatChanges` counts all of them. */
  readonly formats: FileFormat[];
  formatChanges: number;
}

const DEFAULT_BATCH = 10_000;
const INT32_MAX = 2147483647;
/** No flow log record comes near this (54 fields of at most a few hundred characters). */
export const MAX_LINE_BYTES = 1024 * 1024;
/** Changes of fields kept in AwsReadInfo.formats (a file of header lines only must not fill memory with them). */
export const MAX_FORMATS = 1000;

const FIELD_BY_COLUMN: ReadonlyMap<string, FieldSpec> = new Map(FIELDS.map((f) => [columnName(f.name), f]));
const TGW_COLUMNS: ReadonlySet<string> = new Set([...TRANSIT_GATEWAY_ONLY_FIELDS].map(columnName));

/**
 * Reads a flow log file from its bytes, whatever the kind (see the file header), in batches of at
 * most `batchSize` records. Throws AwsFileError for a file that cannot be read at all (corrupt gzip,
 * a packet capture, fields that cannot be known); single bad lines go to `onProblem`.
 */
export class AwsFileReader {
  readonly info: AwsReadInfo = { kind: undefined, gzip: false, units: 0, formats: [], formatChanges: 0 };
  private readonly batchSize: number;

  constructor(private readonly source: AsyncIterable<Uint8Array>, private readonly o: AwsReadOptions) {
    this.batchSize = o.batchSize ?? DEFAULT_BATCH;
  }

  async *batches(): AsyncGenerator<RecordBatch> {
    let input = new Peekable(this.source);
    let head = await input.peek(4);
    this.refuseCapture(head);
    if (head[0] === 0x1f && head[1] === 0x8b) {
      this.info.gzip = true;
      input = new Peekable(gunzip(input, this.o.name));
      head = await input.peek(4);
      this.refuseCapture(head);
    }
    if (head.length >= 4 && head.toString('latin1', 0, 4) === 'PAR1') {
      if (this.info.gzip) throw new AwsFileError(this.o.name, 'a gzip-compressed Parquet file: AWS writes Parquet uncompressed (its pages are compressed inside); decompress it first');
      this.info.kind = 'parquet';
      yield* this.parquetFromStream(input);
      return;
    }
    const first = await input.firstNonBlank();
    if (first === 0x7b || first === 0x5b) {
      this.info.kind = 'cloudwatch-json';
      yield* this.cloudWatch(input);
      return;
    }
    this.info.kind = 'text';
    yield* this.text(input);
  }

  /** Reads a Parquet file in place (no spooling). */
  async *parquetFile(path: string): AsyncGenerator<RecordBatch> {
    this.info.kind = 'parquet';
    yield* this.parquet(path);
  }

  private refuseCapture(head: Buffer): void {
    if (head.length < 4) return;
    const magic = head.readUInt32BE(0);
    const what = magic === 0x0a0d0d0a ? 'pcapng' : [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1].includes(magic) ? 'pcap' : undefined;
    if (what !== undefined) {
      throw new AwsFileError(this.o.name, `this is a packet capture (${what}), not a flow log file; captures are turned into flow log records by \`vpcflow ingest\``);
    }
  }

  private noteFormat(f: FileFormat): void {
    if (this.info.formatChanges++ < MAX_FORMATS) this.info.formats.push(f);
  }

  private problem(p: TextProblem): void {
    this.o.onProblem?.(p);
  }

  private textReader(unit: 'line' | 'event'): LogTextReader {
    const onFormat = (f: FormatChange) => this.noteFormat({ line: f.line, fields: f.fields, source: f.source });
    return new LogTextReader({ unit, ...(this.o.fields === undefined ? { assume: true } : { fields: this.o.fields }) }, onFormat);
  }

  /** Runs `read` over one line, turning a refusal to guess the fields into the file's error. */
  private guarded<T>(read: () => T): T {
    try {
      return read();
    } catch (e) {
      if (e instanceof FieldsUnknownError) throw new AwsFileError(this.o.name, e.detail, e);
      throw e;
    }
  }

  private async *text(input: Peekable): AsyncGenerator<RecordBatch> {
    const reader = this.textReader('line');
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let batch: RecordBatch | undefined;
    for await (const line of splitLines(input, MAX_LINE_BYTES)) {
      this.info.units = line.number;
      if (line.bytes === undefined) {
        this.problem({ line: line.number, message: `line ${line.number} is longer than ${MAX_LINE_BYTES} bytes; no flow log record is that long` });
        continue;
      }
      let text: string;
      try {
        text = decoder.decode(line.bytes);
      } catch {
        this.problem({ line: line.number, message: `line ${line.number} is not UTF-8 text` });
        continue;
      }
      const r = this.guarded(() => reader.line(text, line.number));
      for (const p of reader.problems.splice(0)) this.problem(p);
      if (r === undefined) continue;
      if (batch !== undefined && (batch.fields !== r.fields || batch.records.length >= this.batchSize)) {
        yield batch;
        batch = undefined;
      }
      (batch ??= { fields: r.fields, records: [] }).records.push({ record: r.record, message: r.message, line: line.number });
    }
    reader.finish();
    for (const p of reader.problems.splice(0)) this.problem(p);
    if (batch !== undefined) yield batch;
  }

  private async *cloudWatch(input: Peekable): AsyncGenerator<RecordBatch> {
    const scanner = new CloudWatchExportScanner();
    const reader = this.textReader('event');
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let batch: RecordBatch | undefined;
    let bytes = 0;
    const drain = function* (this: AwsFileReader): Generator<RecordBatch> {
      const found = scanner.take();
      for (const p of found.problems) this.problem(p);
      for (const e of found.events) {
        const n = ++this.info.units;
        const r = this.guarded(() => reader.line(e.message, n));
        for (const p of reader.problems.splice(0)) this.problem(p);
        if (r === undefined) continue;
        if (batch !== undefined && (batch.fields !== r.fields || batch.records.length >= this.batchSize)) {
          yield batch;
          batch = undefined;
        }
        (batch ??= { fields: r.fields, records: [] }).records.push({
          record: r.record, message: e.message, line: e.line,
          ...(e.timestamp !== undefined ? { timestamp: e.timestamp } : {}), ...(e.logStream !== undefined ? { logStream: e.logStream } : {}),
        });
      }
    };
    for await (const chunk of input) {
      let text: string;
      try {
        text = decoder.decode(chunk, { stream: true });
      } catch {
        throw new AwsFileError(this.o.name, `the JSON export is not UTF-8 text (in bytes ${bytes}..${bytes + chunk.length})`);
      }
      bytes += chunk.length;
      scanner.push(text);
      yield* drain.call(this);
    }
    try {
      scanner.push(decoder.decode());
    } catch {
      throw new AwsFileError(this.o.name, 'the JSON export ends inside a UTF-8 character');
    }
    scanner.end();
    yield* drain.call(this);
    reader.finish();
    for (const p of reader.problems.splice(0)) this.problem(p);
    if (batch !== undefined) yield batch;
  }

  private async *parquetFromStream(input: Peekable): AsyncGenerator<RecordBatch> {
    const dir = await mkdtemp(join(this.o.tempDir ?? tmpdir(), 'vpcflow-import-'));
    try {
      const path = join(dir, 'upload.parquet');
      const f = await open(path, 'wx', 0o600);
      try {
        for await (const chunk of input) await f.write(chunk);
      } finally {
        await f.close();
      }
      yield* this.parquet(path);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Parquet columns are Athena names (hyphens → underscores); '-', 'None' (pandas' text for a
   * missing value) and null all mean AWS's '-'. Values are checked against their column's type (a
   * non-negative integer within INT_32 / INT_64, or text that writes as one token), not against the
   * text reader's value rules: named columns cannot be misaligned the way a wrong field list
   * misreads a text line, and a value the store can hold is kept as the file has it.
   */
  private async *parquet(path: string): AsyncGenerator<RecordBatch> {
    const instance = await DuckDBInstance.create(':memory:', { memory_limit: '256MB', threads: '1' });
    const c = await instance.connect();
    try {
      let result;
      try {
        result = await c.stream('SELECT * FROM read_parquet($1)', [path]);
      } catch (e) {
        throw new AwsFileError(this.o.name, `not a readable Parquet file: ${errorMessage(e)}`, e);
      }
      const columns = result.columnNames();
      const used: number[] = [];
      columns.forEach((col, i) => {
        if (FIELD_BY_COLUMN.has(col)) used.push(i);
        else this.problem({ line: 0, message: `column '${col}' is not a VPC flow log field; ignored` });
      });
      if (used.length === 0) {
        const tgw = columns.some((col) => TGW_COLUMNS.has(col)) ? ' (its columns are a Transit Gateway flow log\'s, a record set vpcflow does not model)' : '';
        throw new AwsFileError(this.o.name, `no column of this Parquet file is a VPC flow log field${tgw}; columns: ${columns.join(', ')}`);
      }
      const specs = used.map((i) => FIELD_BY_COLUMN.get(columns[i]!)!);
      const fields = specs.map((s) => s.name as FieldName);
      this.noteFormat({ line: 1, fields, source: 'parquet-columns' });
      let batch: ImportedRecord[] = [];
      let row = 0;
      try {
        for await (const rows of result.yieldRowsJs()) {
          for (const values of rows) {
            row++;
            this.info.units = row;
            const r = this.parquetRow(values, used, specs, fields, row);
            if (r === undefined) continue;
            batch.push(r);
            if (batch.length >= this.batchSize) {
              yield { fields, records: batch };
              batch = [];
            }
          }
        }
      } catch (e) {
        if (e instanceof VpcflowError) throw e;
        throw new AwsFileError(this.o.name, `the Parquet data cannot be read after row ${row}: ${errorMessage(e)}`, e);
      }
      if (batch.length > 0) yield { fields, records: batch };
    } finally {
      c.closeSync();
      instance.closeSync();
    }
  }

  private parquetRow(values: readonly unknown[], used: readonly number[], specs: readonly FieldSpec[], fields: readonly FieldName[], row: number): ImportedRecord | undefined {
    const record: FlowRecord = {};
    for (let k = 0; k < used.length; k++) {
      const spec = specs[k]!;
      const v = values[used[k]!];
      const name = spec.name as FieldName;
      const bad = (why: string): undefined => {
        this.problem({ line: row, message: `row ${row}: column ${columnName(name)}: ${why}` });
        return undefined;
      };
      if (v === null || v === undefined || v === '-' || v === 'None' || v === '') {
        record[name] = null;
      } else if (spec.parquet === 'STRING') {
        if (typeof v === 'string') record[name] = v;
        // An account id typed as an integer lost its leading zeros; account ids are 12 digits.
        else if (typeof v === 'bigint' || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)) record[name] = name === 'account-id' ? v.toString().padStart(12, '0') : v.toString();
        else return bad(`${JSON.stringify(String(v))} (${typeof v}) is not text`);
      } else {
        const max = spec.parquet === 'INT_32' ? INT32_MAX : Number.MAX_SAFE_INTEGER;
        const text = typeof v === 'string' || typeof v === 'bigint' || typeof v === 'number' ? v.toString() : undefined;
        if (text === undefined || !/^\d{1,16}$/.test(text)) return bad(`${JSON.stringify(String(v))} is not a non-negative integer`);
        const n = Number(text);
        if (n > max) return bad(`${text} is above ${max}, the largest ${spec.parquet} value`);
        record[name] = n;
      }
    }
    try {
      return { record, message: formatRecord(record, fields), line: row };
    } catch (e) {
      if (!(e instanceof RecordFormatError)) throw e;
      this.problem({ line: row, message: `row ${row}: column ${columnName(e.field)}: ${e.reason}` });
      return undefined;
    }
  }
}

/** Reads a whole file into memory (tools and tests; imports stream through AwsFileReader). */
export interface AwsFileContents {
  kind: AwsFileKind;
  gzip: boolean;
  /** The fields of the first batch (the file's, unless header lines change them). */
  fields: readonly FieldName[];
  records: FlowRecord[];
  batches: RecordBatch[];
  formats: FileFormat[];
  problems: TextProblem[];
}

export async function readAwsLogFile(path: string, opts: { fields?: readonly FieldName[]; batchSize?: number } = {}): Promise<AwsFileContents> {
  const problems: TextProblem[] = [];
  const options: AwsReadOptions = { name: path, onProblem: (p) => problems.push(p), ...opts };
  let head: Buffer;
  try {
    const f = await open(path, 'r');
    try {
      head = Buffer.alloc(4);
      const { bytesRead } = await f.read(head, 0, 4, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await f.close();
    }
  } catch (e) {
    throw new AwsFileError(path, `cannot read the file: ${errorMessage(e)}`, e);
  }
  const isParquet = head.toString('latin1') === 'PAR1';
  const reader = new AwsFileReader(isParquet ? (async function* () {})() : createReadStream(path), options);
  const batches: RecordBatch[] = [];
  for await (const b of isParquet ? reader.parquetFile(path) : reader.batches()) batches.push(b);
  return {
    kind: reader.info.kind ?? 'text', gzip: reader.info.gzip, fields: batches[0]?.fields ?? opts.fields ?? [], records: batches.flatMap((b) => b.records.map((r) => r.record)),
    batches, formats: reader.info.formats, problems,
  };
}

/** A byte stream whose first bytes can be looked at before it is read. */
class Peekable implements AsyncIterable<Buffer> {
  private readonly it: AsyncIterator<Uint8Array>;
  private head: Buffer[] = [];
  private done = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async more(): Promise<boolean> {
    if (this.done) return false;
    const r = await this.it.next();
    if (r.done) {
      this.done = true;
      return false;
    }
    this.head.push(asBuffer(r.value));
    return true;
  }

  /** At least `n` bytes (fewer only at the end). */
  async peek(n: number): Promise<Buffer> {
    let have = this.head.reduce((s, b) => s + b.length, 0);
    while (have < n && (await this.more())) have += this.head.at(-1)!.length;
    if (this.head.length !== 1) this.head = [Buffer.concat(this.head)];
    return this.head[0]!;
  }

  /** The first byte that is not white space or a UTF-8 byte-order mark (-1 at the end or after 64 KiB of blanks). */
  async firstNonBlank(): Promise<number> {
    for (let at = 0; at < 65536; ) {
      const h = await this.peek(at + 3);
      if (at >= h.length) return -1;
      const c = h[at]!;
      if (c === 0xef && h[at + 1] === 0xbb && h[at + 2] === 0xbf) at += 3;
      else if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) at++;
      else return c;
    }
    return -1;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    for (const b of this.head.splice(0)) if (b.length > 0) yield b;
    while (await this.more()) yield this.head.pop()!;
  }
}

const asBuffer = (u: Uint8Array): Buffer => (Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength));

/** The decompressed bytes of gzip data (several members, as `cat a.gz b.gz` makes, follow each other). */
async function* gunzip(source: AsyncIterable<Buffer>, name: string): AsyncGenerator<Buffer> {
  const input = Readable.from(source, { objectMode: false });
  const z = createGunzip();
  input.on('error', (e) => z.destroy(e));
  input.pipe(z);
  let out = 0;
  try {
    for await (const chunk of z as AsyncIterable<Buffer>) {
      out += chunk.length;
      yield chunk;
    }
  } catch (e) {
    if (e instanceof VpcflowError) throw e;
    throw new AwsFileError(name, `the gzip data is corrupt after ${out} decompressed bytes: ${errorMessage(e)}`, e);
  } finally {
    input.destroy();
    z.destroy();
  }
}

interface SplitLine {
  readonly number: number;
  /** undefined: the line is longer than the limit (its bytes were not kept). */
  readonly bytes: Buffer | undefined;
}

/** Lines split at LF, each at most `max` bytes held; a final line without LF counts. */
async function* splitLines(source: AsyncIterable<Buffer>, max: number): AsyncGenerator<SplitLine> {
  let parts: Buffer[] = [];
  let held = 0;
  let overlong = false;
  let number = 0;
  for await (const chunk of source) {
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(0x0a, pos);
      const end = nl < 0 ? chunk.length : nl;
      if (!overlong) {
        if (held + (end - pos) > max) {
          overlong = true;
          parts = [];
          held = 0;
        } else if (end > pos) {
          parts.push(chunk.subarray(pos, end));
          held += end - pos;
        }
      }
      if (nl < 0) break;
      number++;
      yield { number, bytes: overlong ? undefined : parts.length === 1 ? parts[0]! : Buffer.concat(parts, held) };
      parts = [];
      held = 0;
      overlong = false;
      pos = nl + 1;
    }
  }
  if (held > 0 || overlong) {
    number++;
    yield { number, bytes: overlong ? undefined : Buffer.concat(parts, held) };
  }
}
