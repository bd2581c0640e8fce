// Reads flow log files as AWS writes them (or as people export them) back into records: plain or
// gzip text with or without the header line, Parquet (through DuckDB), CloudWatch Logs JSON exports.

import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  FIELDS, columnName, parseCloudWatchExport, parseLogText, recordsFromEvents,
  type FieldName, type FlowRecord, type TextProblem,
} from '../records/index.ts';
import { VpcflowError, errorMessage } from '../platform/errors.ts';

export type AwsFileKind = 'text' | 'gzip-text' | 'parquet' | 'cloudwatch-json';

export interface AwsFileContents {
  kind: AwsFileKind;
  fields: readonly FieldName[];
  records: FlowRecord[];
  problems: TextProblem[];
}

export class AwsFileError extends VpcflowError {
  constructor(readonly path: string, why: string, cause?: unknown) {
    super('InvalidFile', `${path}: ${why}`, 400, { cause });
  }
}

const FIELD_BY_COLUMN = new Map(FIELDS.map((f) => [columnName(f.name), f]));

export async function readAwsLogFile(path: string, opts: { fields?: readonly FieldName[] } = {}): Promise<AwsFileContents> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new AwsFileError(path, `cannot read the file: ${errorMessage(e)}`, e);
  }
  if (bytes.subarray(0, 4).toString('latin1') === 'PAR1') return readParquet(path);
  let kind: AwsFileKind = 'text';
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new AwsFileError(path, `the gzip data is corrupt: ${errorMessage(e)}`, e);
    }
    kind = 'gzip-text';
  }
  const text = bytes.toString('utf8');
  const start = text.trimStart()[0];
  if (start === '{' || start === '[') {
    const exported = parseCloudWatchExport(text);
    const { records, problems } = recordsFromEvents(exported.events, opts.fields);
    return { kind: 'cloudwatch-json', fields: opts.fields ?? FIELDS.filter((f) => f.version === 2).map((f) => f.name), records, problems: [...exported.problems, ...problems] };
  }
  const parsed = parseLogText(text, opts);
  return { kind, fields: parsed.fields, records: parsed.records, problems: parsed.problems };
}

/** Parquet columns are Athena names (hyphens → underscores); '-', 'None' and null all mean AWS's '-'. */
async function readParquet(path: string): Promise<AwsFileContents> {
  const instance = await DuckDBInstance.create(':memory:', { memory_limit: '256MB', threads: '1' });
  const c = await instance.connect();
  try {
    let rows: Record<string, unknown>[];
    let columns: string[];
    try {
      const reader = await c.runAndReadAll('SELECT * FROM read_parquet($1)', [path]);
      columns = reader.columnNames();
      rows = reader.getRowObjectsJson() as Record<string, unknown>[];
    } catch (e) {
      throw new AwsFileError(path, `not a readable Parquet file: ${errorMessage(e)}`, e);
    }
    const problems: TextProblem[] = [];
    const known = columns.filter((col) => {
      if (FIELD_BY_COLUMN.has(col)) return true;
      problems.push({ line: 0, message: `column '${col}' is not a VPC flow log field; ignored` });
      return false;
    });
    const fields = known.map((col) => FIELD_BY_COLUMN.get(col)!.name);
    const records = rows.map((row, i) => {
      const r: FlowRecord = {};
      for (const col of known) {
        const spec = FIELD_BY_COLUMN.get(col)!;
        const v = row[col];
        if (v === null || v === undefined || v === '-' || v === 'None' || v === '') r[spec.name as FieldName] = null;
        else if (spec.parquet === 'STRING') r[spec.name as FieldName] = String(v);
        else {
          const n = Number(v);
          if (Number.isSafeInteger(n) && n >= 0) r[spec.name as FieldName] = n;
          else {
            problems.push({ line: i + 1, message: `row ${i + 1}: ${col} = '${String(v)}' is not a non-negative integer; read as '-'` });
            r[spec.name as FieldName] = null;
          }
        }
      }
      return r;
    });
    return { kind: 'parquet', fields, records, problems };
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}
