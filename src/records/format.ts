// A flow log's record format: the `${field}` list given to CreateFlowLogs, validated the way AWS
// does, plus the S3 header line (the same names without `${}`), and the record version they imply.

import {
  DEFAULT_FIELDS,
  DEFAULT_FORMAT,
  FIELDS,
  FIELD_BY_NAME,
  type FieldName,
  TRANSIT_GATEWAY_ONLY_FIELDS,
  isFieldName,
} from './fields.ts';

export interface LogFormat {
  /** The format string as given (already canonical when valid: single spaces, `${…}` tokens). */
  readonly text: string;
  readonly fields: readonly FieldName[];
  /** The value AWS writes into `${version}`: the highest version among the fields. */
  readonly version: number;
}

/**
 * A rejected LogFormat. `message` is what AWS answers (HTTP 400); `detail` says which token at
 * which 1-based character `position` is wrong and why.
 */
export class LogFormatError extends Error {
  override readonly name = 'LogFormatError';
  constructor(
    readonly format: string,
    readonly detail: string,
    readonly position: number,
    readonly token?: string,
  ) {
    super(`1 validation error detected: Value '${format}' at 'logFormat' has an invalid format`);
  }
}

/** A header line of an S3 text file that does not name a valid field list. */
export class HeaderLineError extends Error {
  override readonly name = 'HeaderLineError';
  constructor(
    readonly line: string,
    readonly detail: string,
    readonly position: number,
    readonly token?: string,
  ) {
    super(`invalid header line: ${detail}`);
  }
}

interface FieldListProblem {
  readonly position: number;
  readonly token?: string;
  readonly detail: string;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[b.length]!;
}

function closestField(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const spec of FIELDS) {
    const d = editDistance(name.toLowerCase(), spec.name);
    if (d < bestDistance) {
      bestDistance = d;
      best = spec.name;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
}

function unknownNameDetail(name: string, position: number): string {
  if (TRANSIT_GATEWAY_ONLY_FIELDS.has(name)) {
    return `'${name}' at position ${position} is a Transit Gateway flow log field; VPC flow log records do not have it`;
  }
  const hint = closestField(name);
  return `unknown field '${name}' at position ${position}` + (hint === undefined ? '' : ` (did you mean '${hint}'?)`);
}

const describeChar = (c: string): string =>
  c === '\t' ? 'a tab' : c === '\n' ? 'a line feed' : c === '\r' ? 'a carriage return' : `character U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * Scans `${a} ${b} …` (withBraces) or `a b …` (header) into field names, or returns the first
 * problem: empty list, leading/trailing/double space, other whitespace, a token that is not a
 * field reference, an unknown or Transit-Gateway-only name, or a duplicate.
 */
function scanFieldList(text: string, withBraces: boolean): FieldName[] | FieldListProblem {
  if (text.length === 0) return { position: 1, detail: 'the format is empty; at least one field is required' };
  const fields: FieldName[] = [];
  const firstAt = new Map<string, number>();
  let i = 0;
  if (text.charCodeAt(0) === 32) return { position: 1, detail: 'leading space at position 1; the first field must start the text' };
  while (i < text.length) {
    const start = i;
    let end = text.indexOf(' ', i);
    if (end < 0) end = text.length;
    const token = text.slice(start, end);
    const position = start + 1;
    // Control characters (tabs, line breaks) are never separators or part of a name.
    for (let k = 0; k < token.length; k++) {
      const c = token.charCodeAt(k);
      if (c < 0x20 || c === 0x7f) {
        return {
          position: start + k + 1,
          token,
          detail: `${describeChar(token[k]!)} at position ${start + k + 1}; fields must be separated by single spaces`,
        };
      }
    }
    let name: string;
    if (withBraces) {
      const inner = token.startsWith('${') && token.endsWith('}') ? token.slice(2, -1) : undefined;
      if (inner === undefined || inner.length === 0 || inner.includes('}') || inner.includes('${')) {
        if (token.includes('}${')) {
          return { position, token, detail: `'${token}' at position ${position} holds more than one field; separate fields with a single space` };
        }
        const bare = token.replace(/^\$?\{?/, '').replace(/\}$/, '');
        const hint = isFieldName(bare) ? ` (write '\${${bare}}')` : '';
        return {
          position,
          token,
          detail: `'${token}' at position ${position} is not a field reference; each field is written as \${field-name}${hint}`,
        };
      }
      name = inner;
    } else {
      if (token.startsWith('${')) {
        return { position, token, detail: `'${token}' at position ${position}: header lines list bare field names, without \${...}` };
      }
      name = token;
    }
    if (!isFieldName(name)) return { position, token, detail: unknownNameDetail(name, position) };
    const seen = firstAt.get(name);
    if (seen !== undefined) {
      return { position, token, detail: `field '${name}' at position ${position} is listed twice (first at position ${seen})` };
    }
    firstAt.set(name, position);
    fields.push(name);
    if (end === text.length) break;
    // `end` is a space.
    if (end + 1 === text.length) {
      return { position: end + 1, detail: `trailing space at position ${end + 1} after the last field` };
    }
    if (text.charCodeAt(end + 1) === 32) {
      return { position: end + 2, detail: `two consecutive spaces at positions ${end + 1} and ${end + 2}; fields must be separated by exactly one space` };
    }
    i = end + 1;
  }
  return fields;
}

/** The record version a field list implies: the highest field version (2 for the default format). */
export function versionOf(fields: readonly FieldName[]): number {
  let v = 2;
  for (const f of fields) {
    const spec = FIELD_BY_NAME.get(f);
    if (spec !== undefined && spec.version > v) v = spec.version;
  }
  return v;
}

/** Validates a CreateFlowLogs LogFormat. Throws LogFormatError. */
export function parseLogFormat(text: string): LogFormat {
  const r = scanFieldList(text, true);
  if (!Array.isArray(r)) {
    const p = r as FieldListProblem;
    throw new LogFormatError(text, p.detail, p.position, p.token);
  }
  return Object.freeze({ text, fields: Object.freeze(r), version: versionOf(r) });
}

/** The format for a list of fields (`${a} ${b} …`). Throws LogFormatError for an empty or repeated list. */
export function logFormatOf(fields: readonly FieldName[]): LogFormat {
  return parseLogFormat(fields.map((f) => '${' + f + '}').join(' '));
}

/** Field names of an S3 text file's header line (`version account-id …`). Throws HeaderLineError. */
export function fieldsFromHeader(line: string): readonly FieldName[] {
  const r = scanFieldList(line, false);
  if (!Array.isArray(r)) {
    const p = r as FieldListProblem;
    throw new HeaderLineError(line, p.detail.replace('the format is empty', 'the header line is empty'), p.position, p.token);
  }
  return Object.freeze(r);
}

export const DEFAULT_LOG_FORMAT: LogFormat = Object.freeze({
  text: DEFAULT_FORMAT,
  fields: DEFAULT_FIELDS,
  version: 2,
});
