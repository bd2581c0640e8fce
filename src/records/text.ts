// Flow log records as text lines: the writer (on the delivery hot path), a strict reader that says
// exactly which line, column and field is wrong, and readers for whole files (S3 text with or
// without a header line) and for CloudWatch Logs exports (CLI JSON, JSON lines, subscription data).

import { ipProblem } from '../net/ip.ts';
import { DEFAULT_FIELDS, FIELD_BY_NAME, type FieldName, type FlowRecord, TRANSIT_GATEWAY_ONLY_FIELDS } from './fields.ts';
import { fieldsFromHeader } from './format.ts';

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
  const tokens = line.split(' ').filter((t) => t.length > 0);
  if (tokens.length === 0 || !tokens.every((t) => HEADER_TOKEN.test(t))) return false;
  return tokens.some((t) => FIELD_BY_NAME.has(t) || TRANSIT_GATEWAY_ONLY_FIELDS.has(t));
}

export interface ParsedLogText {
  /** The fields the records were read with (from the header line when there is one). */
  readonly fields: readonly FieldName[];
  readonly records: FlowRecord[];
  /** 1-based line number of each record, parallel to `records`. */
  readonly recordLines: number[];
  readonly problems: TextProblem[];
  /** Whether the first non-empty line was a header line. */
  readonly hasHeader: boolean;
}

/**
 * Parses a flow log text (one record per line, LF or CRLF, empty lines ignored). A first line made
 * of field names is taken as the header and gives the fields; otherwise `opts.fields` or the default
 * fields are used. Bad lines become `problems` and parsing continues.
 */
export function parseLogText(text: string, opts: { fields?: readonly FieldName[] } = {}): ParsedLogText {
  let fields = opts.fields ?? DEFAULT_FIELDS;
  const records: FlowRecord[] = [];
  const recordLines: number[] = [];
  const problems: TextProblem[] = [];
  let hasHeader = false;
  let headerFailed: TextProblem | undefined;
  let skipped = 0;
  let first = true;
  let lineNumber = 0;
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    let line = text.slice(pos, end);
    pos = end + 1;
    lineNumber++;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim().length === 0) continue;
    if (first) {
      first = false;
      if (looksLikeHeader(line)) {
        hasHeader = true;
        try {
          fields = fieldsFromHeader(line);
        } catch (e) {
          headerFailed = { line: lineNumber, message: (e as Error).message };
        }
        continue;
      }
    }
    if (headerFailed !== undefined) {
      skipped++;
      continue;
    }
    try {
      records.push(parseRecordLine(line, fields, lineNumber));
      recordLines.push(lineNumber);
    } catch (e) {
      if (!(e instanceof RecordParseError)) throw e;
      problems.push({ line: lineNumber, message: e.message });
    }
  }
  if (headerFailed !== undefined) {
    const tail = skipped === 0 ? '' : `; ${skipped} record line${skipped === 1 ? '' : 's'} not parsed`;
    problems.unshift({ line: headerFailed.line, message: headerFailed.message + tail });
  }
  return { fields, records, recordLines, problems, hasHeader };
}

/** One log event from a CloudWatch Logs export; `line` is where its JSON value starts in the text. */
export interface CloudWatchEvent {
  readonly message: string;
  /** Event time in ms since the epoch (for flow logs: the record's start × 1000). */
  readonly timestamp?: number;
  readonly ingestionTime?: number;
  readonly eventId?: string;
  readonly logGroup?: string;
  readonly logStream?: string;
  readonly line: number;
}

export interface CloudWatchExport {
  readonly events: CloudWatchEvent[];
  readonly problems: TextProblem[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (v: Json | undefined): v is { [key: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);
const optString = (v: Json | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

function collectEvent(
  e: Json | undefined,
  where: string,
  line: number,
  context: { logGroup?: string; logStream?: string },
  out: CloudWatchExport,
): void {
  if (!isObject(e) || typeof e.message !== 'string') {
    out.problems.push({ line, message: `${where} has no string 'message'` });
    return;
  }
  const ts = e.timestamp;
  if (ts !== undefined && (typeof ts !== 'number' || !Number.isFinite(ts))) {
    out.problems.push({ line, message: `${where} has a 'timestamp' that is not a number` });
    return;
  }
  const event: { -readonly [K in keyof CloudWatchEvent]: CloudWatchEvent[K] } = { message: e.message, line };
  if (ts !== undefined) event.timestamp = ts;
  if (typeof e.ingestionTime === 'number') event.ingestionTime = e.ingestionTime;
  const eventId = optString(e.eventId) ?? optString(e.id);
  if (eventId !== undefined) event.eventId = eventId;
  const logGroup = optString(e.logGroupName) ?? context.logGroup;
  if (logGroup !== undefined) event.logGroup = logGroup;
  const logStream = optString(e.logStreamName) ?? context.logStream;
  if (logStream !== undefined) event.logStream = logStream;
  out.events.push(event);
}

function collectValue(v: Json, line: number, out: CloudWatchExport): void {
  if (Array.isArray(v)) {
    v.forEach((item, i) => collectTop(item, `element ${i} of the array at line ${line}`, line, out));
    return;
  }
  collectTop(v, `the JSON object at line ${line}`, line, out);
}

function collectTop(v: Json, where: string, line: number, out: CloudWatchExport): void {
  if (!isObject(v)) {
    out.problems.push({ line, message: `${where} is not an object` });
    return;
  }
  if (typeof v.messageType === 'string') {
    // CloudWatch Logs subscription envelope; CONTROL_MESSAGE only checks the destination is reachable.
    if (v.messageType === 'CONTROL_MESSAGE') return;
    if (!Array.isArray(v.logEvents)) {
      out.problems.push({ line, message: `${where} is a ${v.messageType} without a 'logEvents' array` });
      return;
    }
    const context = { logGroup: optString(v.logGroup), logStream: optString(v.logStream) };
    v.logEvents.forEach((e, i) => collectEvent(e, `logEvents[${i}] of ${where}`, line, context, out));
    return;
  }
  if (Array.isArray(v.events)) {
    v.events.forEach((e, i) => collectEvent(e, `events[${i}] of ${where}`, line, {}, out));
    return;
  }
  if ('message' in v) {
    collectEvent(v, where, line, { logGroup: optString(v.logGroup), logStream: optString(v.logStream) }, out);
    return;
  }
  if (isObject(v.awslogs) && typeof v.awslogs.data === 'string') {
    out.problems.push({ line, message: `${where} holds a compressed subscription payload (awslogs.data, base64 gzip); decompress it first` });
    return;
  }
  out.problems.push({ line, message: `${where} has no 'message', 'events' or 'logEvents'` });
}

/**
 * Reads CloudWatch Logs events from: the JSON output of `aws logs filter-log-events` or
 * `get-log-events` ({"events":[…]}); JSON objects with a `message` field, one per line, in an array,
 * or concatenated as Firehose writes them; CloudWatch subscription envelopes
 * ({"messageType":"DATA_MESSAGE",…,"logEvents":[…]}). Parse each message with parseRecordLine.
 */
export function parseCloudWatchExport(text: string): CloudWatchExport {
  const out: CloudWatchExport = { events: [], problems: [] };
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      i++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 0xfeff) {
      i++;
      continue;
    }
    const startLine = line;
    if (c !== 123 && c !== 91) {
      let end = text.indexOf('\n', i);
      if (end < 0) end = n;
      const shown = text.slice(i, Math.min(end, i + 60));
      out.problems.push({ line: startLine, message: `line ${startLine} is not JSON: '${shown}'` });
      i = end;
      continue;
    }
    // Find the end of this JSON value: match brackets outside strings.
    let depth = 0;
    let inString = false;
    let j = i;
    for (; j < n; j++) {
      const d = text.charCodeAt(j);
      if (d === 10) line++;
      if (inString) {
        if (d === 92) j++;
        else if (d === 34) inString = false;
      } else if (d === 34) inString = true;
      else if (d === 123 || d === 91) depth++;
      else if (d === 125 || d === 93) {
        depth--;
        if (depth === 0) break;
      }
    }
    if (j >= n) {
      out.problems.push({ line: startLine, message: `unterminated JSON value starting at line ${startLine}` });
      break;
    }
    let value: Json;
    try {
      value = JSON.parse(text.slice(i, j + 1)) as Json;
    } catch (e) {
      out.problems.push({ line: startLine, message: `invalid JSON starting at line ${startLine}: ${(e as Error).message}` });
      i = j + 1;
      continue;
    }
    collectValue(value, startLine, out);
    i = j + 1;
  }
  return out;
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
