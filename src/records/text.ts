// Flow log records as text lines: the writer (on the delivery hot path), a strict reader that says
// exactly which line, column and field is wrong, a line-by-line reader for files (S3 text with or
// without header lines, several files concatenated) and, re-exported from cloudwatch-export.ts,
// readers for CloudWatch Logs exports (CLI JSON, JSON lines, subscription data).

import { ipProblem } from '../net/ip.ts';
import { DEFAULT_FIELDS, FIELDS, FIELD_BY_NAME, type FieldName, type FlowRecord, TRANSIT_GATEWAY_ONLY_FIELDS } from './fields.ts';
import { HeaderLineError, fieldsFromHeader } from './format.ts';
import type { CloudWatchEvent } from './cloudwatch-export.ts';

export {
  type CloudWatchEvent,
  type CloudWatchExport,
  CloudWatchExportScanner,
  MAX_JSON_VALUE_CHARS,
  parseCloudWatchExport,
} from './cloudwatch-export.ts';

/** A record line that does not fit its format. `column` is the 1-based character position. */
export class RecordParseError extends Error {
  override readonly name = 'RecordParseError';
  constructor(
    readonly reason: string,
    readonly column: number,
    readonly line?: number,
    readonly field?: FieldName,
    readonly value?: string,
  ) {
    super(
      (line === undefined ? '' : `line ${line}, `) + `column ${column}` + (field === undefined ? '' : ` (${field})`) + `: ${reason}`,
    );
  }
}

/** A record value that cannot be written as one space-free token. */
export class RecordFormatError extends Error {
  override readonly name = 'RecordFormatError';
  constructor(
    readonly field: FieldName,
    readonly value: unknown,
    readonly reason: string,
  ) {
    super(`cannot write field ${field}: ${reason}`);
  }
}

/** A line that could not be used; parsing continues after it. */
export interface TextProblem {
  readonly line: number;
  readonly message: string;
}

/**
 * One record line: values joined by single spaces in `fields` order; null or absent → `-`;
 * numbers in base 10. Throws RecordFormatError for a value that would corrupt the line (a
 * non-integer or negative number, an empty string, a string with a space or line break).
 */
export function formatRecord(record: FlowRecord, fields: readonly FieldName[]): string {
  let out = '';
  for (let i = 0; i < fields.length; i++) {
    const name = fields[i]!;
    const v = record[name];
    let s: string;
    if (v === null || v === undefined) {
      s = '-';
    } else if (typeof v === 'number') {
      if (!(v >= 0 && Number.isSafeInteger(v))) throw new RecordFormatError(name, v, `${v} is not a non-negative safe integer`);
      s = '' + v;
    } else {
      if (v.length === 0 || v.indexOf(' ') >= 0 || v.indexOf('\n') >= 0) {
        throw new RecordFormatError(name, v, `${JSON.stringify(v)} is empty or contains a space or line break`);
      }
      s = v;
    }
    out = i === 0 ? s : out + ' ' + s;
  }
  return out;
}

/** The first line of an S3 text file: the field names separated by single spaces. */
export const headerLine = (fields: readonly FieldName[]): string => fields.join(' ');

// How each field's text is checked when read.
const KIND_TEXT = 0;
const KIND_ADDRESS = 1;
const KIND_INTEGER = 2;
const ADDRESS_FIELDS: ReadonlySet<string> = new Set(['srcaddr', 'dstaddr', 'pkt-srcaddr', 'pkt-dstaddr']);
// Domain limits where the value is a header field of a fixed width; otherwise the Parquet type's.
const FIELD_MAX: ReadonlyMap<string, number> = new Map([
  ['srcport', 65535],
  ['dstport', 65535],
  ['protocol', 255],
  ['tcp-flags', 255],
]);
const INT32_MAX = 2147483647;

interface FieldReader {
  readonly kind: number;
  readonly max: number;
}

const READERS: ReadonlyMap<string, FieldReader> = new Map(
  [...FIELD_BY_NAME.values()].map((spec) => {
    if (spec.parquet === 'STRING') return [spec.name, { kind: ADDRESS_FIELDS.has(spec.name) ? KIND_ADDRESS : KIND_TEXT, max: 0 }];
    const max = FIELD_MAX.get(spec.name) ?? (spec.parquet === 'INT_32' ? INT32_MAX : Number.MAX_SAFE_INTEGER);
    return [spec.name, { kind: KIND_INTEGER, max }];
  }),
);

/** The value of a base-10 integer token, or a string saying why it is not one within 0..max. */
function readInteger(token: string, max: number, name: string): number | string {
  let value = 0;
  for (let k = 0; k < token.length; k++) {
    const c = token.charCodeAt(k);
    if (c < 48 || c > 57) return `'${token}' is not a non-negative base-10 integer`;
    value = value * 10 + (c - 48);
  }
  if (token.length > 1 && token.charCodeAt(0) === 48) return `'${token}' has a leading zero`;
  if (value > max || token.length > 16) {
    const limit = max === Number.MAX_SAFE_INTEGER ? '2^53-1, the largest integer held exactly' : String(max);
    return `'${token}' is above ${limit} (largest ${name})`;
  }
  return value;
}

const CONTROL_CHAR = /[\x00-\x1f\x7f]/;

function countValues(line: string): number {
  let count = 0;
  for (let k = 0; k < line.length; k++) if (line.charCodeAt(k) !== 32 && (k === 0 || line.charCodeAt(k - 1) === 32)) count++;
  return count;
}

/**
 * The error for a bad value. When the line does not even have the right number of values, that is
 * the more useful diagnosis (a line of another format), so it comes first.
 */
function valueError(
  line: string,
  fields: readonly FieldName[],
  lineNumber: number | undefined,
  reason: string,
  column: number,
  field: FieldName,
  value: string,
): RecordParseError {
  const found = countValues(line);
  if (found === fields.length) return new RecordParseError(reason, column, lineNumber, field, value);
  const summary = `expected ${fields.length} values, found ${found} (first bad value: ${field} ${reason})`;
  return new RecordParseError(summary, column, lineNumber, field, value);
}

/**
 * Parses one record line written in `fields` order. Values are separated by spaces; a run of
 * several spaces counts as one separator (AWS's own documentation has such a typo), so writing
 * the result back yields the single-spaced line. `-` → null; integer fields must be base-10
 * without sign or leading zeros and within range; address fields must be IP addresses.
 * Throws RecordParseError.
 */
export function parseRecordLine(line: string, fields: readonly FieldName[], lineNumber?: number): FlowRecord {
  const record: FlowRecord = {};
  const n = line.length;
  const control = CONTROL_CHAR.exec(line);
  let pos = 0;
  while (pos < n && line.charCodeAt(pos) === 32) pos++;
  for (let i = 0; i < fields.length; i++) {
    const name = fields[i]!;
    if (pos >= n) {
      throw new RecordParseError(`expected ${fields.length} values, found ${i} (no value for '${name}')`, n + 1, lineNumber, name);
    }
    let end = line.indexOf(' ', pos);
    if (end < 0) end = n;
    const token = line.slice(pos, end);
    if (control !== null && control.index >= pos && control.index < end) {
      const ch = line.charCodeAt(control.index).toString(16).padStart(2, '0');
      const why = `control character 0x${ch} inside '${JSON.stringify(token).slice(1, -1)}'`;
      throw valueError(line, fields, lineNumber, why, control.index + 1, name, token);
    }
    if (token === '-') {
      record[name] = null;
    } else {
      const reader = READERS.get(name);
      if (reader === undefined) throw new RecordParseError(`unknown field '${name}'`, pos + 1, lineNumber);
      if (reader.kind === KIND_INTEGER) {
        const v = readInteger(token, reader.max, name);
        if (typeof v === 'string') throw valueError(line, fields, lineNumber, v, pos + 1, name, token);
        record[name] = v;
      } else {
        if (reader.kind === KIND_ADDRESS) {
          const why = ipProblem(token);
          if (why !== undefined) {
            throw valueError(line, fields, lineNumber, `'${token}' is not an IP address: ${why}`, pos + 1, name, token);
          }
        }
        record[name] = token;
      }
    }
    pos = end;
    while (pos < n && line.charCodeAt(pos) === 32) pos++;
  }
  if (pos < n) {
    const end = line.indexOf(' ', pos);
    const token = line.slice(pos, end < 0 ? n : end);
    throw new RecordParseError(
      `expected ${fields.length} values, found ${countValues(line)} (unexpected '${token}' after the last field)`,
      pos + 1,
      lineNumber,
      undefined,
      token,
    );
  }
  return record;
}

const HEADER_TOKEN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/**
 * Whether a line is a header (field names) rather than a record: every token is a lower-case
 * hyphenated word and at least one is a VPC or Transit Gateway field name. No record can look
 * like that: records always hold at least one value that is upper case, numeric, '-' or an id.
 */
export function looksLikeHeader(line: string): boolean {
  // Every line is asked (a header may follow records): most records start with a digit or '-'.
  let k = 0;
  while (k < line.length && line.charCodeAt(k) === 32) k++;
  const c = line.charCodeAt(k);
  if (!(c >= 97 && c <= 122)) return false;
  const tokens = line.split(' ').filter((t) => t.length > 0);
  if (tokens.length === 0 || !tokens.every((t) => HEADER_TOKEN.test(t))) return false;
  return tokens.some((t) => FIELD_BY_NAME.has(t) || TRANSIT_GATEWAY_ONLY_FIELDS.has(t));
}

/** Where the fields of a run of records came from. */
export type FieldsSource = 'header' | 'given' | 'default' | 'assumed';

/** The fields a run of lines is read with, from `line` on. */
export interface FormatChange {
  readonly line: number;
  /** undefined: an invalid header line; the lines after it are not read until the next header. */
  readonly fields: readonly FieldName[] | undefined;
  readonly source: FieldsSource;
}

/** A record line and what it was read with. `message` is the line as written (without CR or byte-order mark). */
export interface ReadRecord {
  readonly record: FlowRecord;
  readonly fields: readonly FieldName[];
  readonly message: string;
}

/**
 * The fields of a header-less text cannot be known. Thrown by LogTextReader with `assume` when the
 * values do not identify a format, or when lines read with an assumed format change their count.
 */
export class FieldsUnknownError extends Error {
  override readonly name = 'FieldsUnknownError';
  constructor(readonly line: number, readonly detail: string) {
    super(detail);
  }
}

/** A format a header-less file can be assumed to have: its value count names it, its first value is its version. */
interface AssumableFormat {
  readonly fields: readonly FieldName[];
  readonly version: number;
  readonly what: string;
}

// AWS's default format, and every "all fields up to version N" in AWS's documentation order (what
// AWS's console lists and third-party tools write): each has a distinct field count.
const ASSUMABLE: ReadonlyMap<number, AssumableFormat> = (() => {
  const m = new Map<number, AssumableFormat>();
  for (const v of [...new Set(FIELDS.map((f) => f.version))].sort((a, b) => a - b)) {
    const fields: FieldName[] = FIELDS.filter((f) => f.version <= v).map((f) => f.name);
    if (m.has(fields.length)) continue;
    m.set(fields.length, { fields, version: v, what: v === 2 ? "AWS's default format" : `all fields up to version ${v} in AWS's documentation order` });
  }
  return m;
})();

const ASSUMABLE_COUNTS = [...ASSUMABLE.keys()];
const describeCounts = (): string => `${ASSUMABLE_COUNTS[0]} values (AWS's default format) or ${ASSUMABLE_COUNTS.slice(1, -1).join(', ')} or ${ASSUMABLE_COUNTS.at(-1)} (all fields up to a version, in AWS's documentation order)`;

function firstValue(line: string): string {
  let pos = 0;
  while (pos < line.length && line.charCodeAt(pos) === 32) pos++;
  const end = line.indexOf(' ', pos);
  return line.slice(pos, end < 0 ? line.length : end);
}

/**
 * The format of a header-less record line, when its values identify one: their count is that of
 * the default format or of all fields up to a version (in AWS's order), its first value is that
 * format's version (AWS writes the highest version among a format's fields) and the line parses.
 * Otherwise throws FieldsUnknownError saying why. Another custom format of the same count cannot be
 * told apart from these by its values alone, which is why the version and every value must fit.
 */
export function assumeFields(line: string, lineNumber: number, unit: 'line' | 'event' = 'line'): readonly FieldName[] {
  const count = countValues(line);
  const format = ASSUMABLE.get(count);
  if (format === undefined) {
    const tgw = /(^| )tgw-/.test(line) ? '; its tgw- values suggest a Transit Gateway flow log, a record set vpcflow does not model' : '';
    throw new FieldsUnknownError(lineNumber,
      `${unit} ${lineNumber} has ${count} value${count === 1 ? '' : 's'} and no header line names them; without one, only ${describeCounts()} can be assumed${tgw}`);
  }
  const version = firstValue(line);
  if (version !== String(format.version)) {
    throw new FieldsUnknownError(lineNumber,
      `${unit} ${lineNumber} has ${count} values, as many as ${format.what}, but its first value is '${version}', not that format's version ${format.version}: `
      + `it is another format of ${count} fields, whose order cannot be guessed`);
  }
  try {
    parseRecordLine(line, format.fields);
  } catch (e) {
    if (!(e instanceof RecordParseError)) throw e;
    throw new FieldsUnknownError(lineNumber,
      `${unit} ${lineNumber} has ${count} values and version ${format.version} like ${format.what}, but does not fit that format (column ${e.column}${e.field === undefined ? '' : `, ${e.field}`}: ${e.reason}): `
      + `it is another format of ${count} fields, whose order cannot be guessed`);
  }
  return format.fields;
}

export interface LogTextReaderOptions {
  /** The fields of lines before any header line (a flow log's format). */
  readonly fields?: readonly FieldName[];
  /**
   * Without a header line and without `fields`: read the lines only when their values identify
   * the format (assumeFields), else throw FieldsUnknownError. When false, the default fields.
   */
  readonly assume?: boolean;
  /** What the numbers passed to `line()` count, in messages: lines of a file, or events of a CloudWatch export. */
  readonly unit?: 'line' | 'event';
}

/**
 * Reads a flow log text line by line, in bounded memory: records, header lines (the first line, or
 * any later one: files concatenated as S3 objects each start with their own header, which switches
 * the fields from there on), blank lines (ignored). Bad lines become `problems` (drain them as you
 * go) and reading continues; after an invalid header line, the lines until the next header are
 * counted, not read, since they would all fail. Call `finish()` after the last line.
 */
export class LogTextReader {
  readonly problems: TextProblem[] = [];
  /** Whether the first non-empty line was a header line. */
  hasHeader = false;
  /** The fields of the run of lines being read (the default fields until a run has them). */
  fields: readonly FieldName[];
  private segmentFields: readonly FieldName[] | undefined;
  private seenLine = false;
  private headerFailed: TextProblem | undefined;
  private skipped = 0;
  private assumedAt = 0;
  private readonly assume: boolean;
  private readonly unit: 'line' | 'event';

  constructor(opts: LogTextReaderOptions = {}, private readonly onFormat?: (change: FormatChange) => void) {
    this.segmentFields = opts.fields;
    this.fields = opts.fields ?? DEFAULT_FIELDS;
    this.assume = opts.assume ?? false;
    this.unit = opts.unit ?? 'line';
  }

  /** One line without its LF (or one event's message). Returns its record, or undefined (header, blank or bad line). */
  line(text: string, lineNumber: number): ReadRecord | undefined {
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a byte-order mark: an editor's, never a value
    if (text.charCodeAt(text.length - 1) === 13) text = text.slice(0, -1);
    if (text.trim().length === 0) return undefined;
    const first = !this.seenLine;
    this.seenLine = true;
    if (looksLikeHeader(text)) {
      this.closeSegment();
      if (first) this.hasHeader = true;
      this.assumedAt = 0;
      try {
        this.segmentFields = this.fields = fieldsFromHeader(text);
        this.onFormat?.({ line: lineNumber, fields: this.fields, source: 'header' });
      } catch (e) {
        if (!(e instanceof HeaderLineError)) throw e;
        this.headerFailed = { line: lineNumber, message: e.message };
        this.skipped = 0;
        this.onFormat?.({ line: lineNumber, fields: undefined, source: 'header' });
      }
      return undefined;
    }
    if (this.headerFailed !== undefined) {
      this.skipped++;
      return undefined;
    }
    if (this.segmentFields === undefined) {
      const source: FieldsSource = this.assume ? 'assumed' : 'default';
      this.segmentFields = this.fields = this.assume ? assumeFields(text, lineNumber, this.unit) : DEFAULT_FIELDS;
      if (this.assume) this.assumedAt = lineNumber;
      this.onFormat?.({ line: lineNumber, fields: this.fields, source });
    } else if (first) {
      this.onFormat?.({ line: lineNumber, fields: this.fields, source: 'given' });
    }
    if (this.assumedAt > 0) {
      const count = countValues(text);
      if (count !== this.fields.length) {
        throw new FieldsUnknownError(lineNumber,
          `${this.unit} ${lineNumber} has ${count} value${count === 1 ? '' : 's'}, but ${this.unit} ${this.assumedAt} had ${this.fields.length} and, without a header line, the file was read as ${ASSUMABLE.get(this.fields.length)!.what}: `
          + 'a file mixing formats without header lines cannot be read by guessing');
      }
    }
    const asLine = this.unit === 'line';
    try {
      return { record: parseRecordLine(text, this.fields, asLine ? lineNumber : undefined), fields: this.fields, message: text };
    } catch (e) {
      if (!(e instanceof RecordParseError)) throw e;
      this.problems.push({ line: lineNumber, message: asLine ? e.message : `event ${lineNumber}: ${e.message}` });
      return undefined;
    }
  }

  finish(): void {
    this.closeSegment();
  }

  private closeSegment(): void {
    if (this.headerFailed === undefined) return;
    const tail = this.skipped === 0 ? '' : `; ${this.skipped} record line${this.skipped === 1 ? '' : 's'} not parsed`;
    this.problems.push({ line: this.headerFailed.line, message: this.headerFailed.message + tail });
    this.headerFailed = undefined;
  }
}

export interface ParsedLogText {
  /** The fields the last records were read with (from the header line when there is one). */
  readonly fields: readonly FieldName[];
  readonly records: FlowRecord[];
  /** 1-based line number of each record, parallel to `records`. */
  readonly recordLines: number[];
  readonly problems: TextProblem[];
  /** Whether the first non-empty line was a header line. */
  readonly hasHeader: boolean;
}

/**
 * Parses a flow log text (one record per line, LF or CRLF, empty lines ignored) with LogTextReader:
 * a line made of field names is a header and gives the fields of the lines after it; before any,
 * `opts.fields` or the default fields are used. Bad lines become `problems` and parsing continues.
 */
export function parseLogText(text: string, opts: { fields?: readonly FieldName[] } = {}): ParsedLogText {
  const reader = new LogTextReader(opts.fields === undefined ? {} : { fields: opts.fields });
  const records: FlowRecord[] = [];
  const recordLines: number[] = [];
  let lineNumber = 0;
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    lineNumber++;
    const r = reader.line(text.slice(pos, end), lineNumber);
    pos = end + 1;
    if (r !== undefined) {
      records.push(r.record);
      recordLines.push(lineNumber);
    }
  }
  reader.finish();
  return { fields: reader.fields, records, recordLines, problems: reader.problems, hasHeader: reader.hasHeader };
}

/** Parses the messages of CloudWatch events as records; each problem names the event's line. */
export function recordsFromEvents(
  events: readonly CloudWatchEvent[],
  fields: readonly FieldName[] = DEFAULT_FIELDS,
): { records: FlowRecord[]; problems: TextProblem[] } {
  const records: FlowRecord[] = [];
  const problems: TextProblem[] = [];
  for (const e of events) {
    try {
      records.push(parseRecordLine(e.message, fields, e.line));
    } catch (err) {
      if (!(err instanceof RecordParseError)) throw err;
      problems.push({ line: e.line, message: err.message });
    }
  }
  return { records, problems };
}
