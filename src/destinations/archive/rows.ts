// Renders a batch's records as text lines (the shared record writer) and derives the Parquet row
// of each line from that text, so a flow log's .log.gz and .log.parquet files always hold the same
// values. Any record that cannot be written is reported with its index before anything is stored.

import {
  type ColumnSpec,
  type FieldName,
  type FlowRecord,
  RecordFormatError,
  columnsFor,
  formatRecord,
} from '../../records/index.ts';

export class ArchiveRecordError extends Error {
  override readonly name = 'ArchiveRecordError';
  constructor(
    readonly flowLogId: string,
    readonly recordIndex: number,
    readonly field: FieldName,
    readonly value: unknown,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`flow log ${flowLogId}, record ${recordIndex}, field ${field}: ${reason}`, options);
  }
}

/** One Parquet row in column order: an integer (number, or bigint beyond 15 digits), a string, or null for '-'. */
export type ParquetRow = readonly (string | number | bigint | null)[];

const INT_MAX = { INT_32: 2n ** 31n - 1n, INT_64: 2n ** 63n - 1n } as const;
const UNSIGNED_DECIMAL = /^(0|[1-9][0-9]*)$/;

/** Resolves the flow log's fields to columns; unknown or repeated names are a configuration bug. */
export function archiveColumns(fields: readonly FieldName[]): ColumnSpec[] {
  if (fields.length === 0) throw new RangeError('a flow log format needs at least one field');
  if (new Set(fields).size !== fields.length) throw new RangeError(`repeated field in format: ${fields.join(' ')}`);
  return columnsFor(fields);
}

/** The text line of every record, in order. Throws ArchiveRecordError naming the first bad record. */
export function renderLines(flowLogId: string, records: readonly FlowRecord[], fields: readonly FieldName[]): string[] {
  return records.map((record, index) => {
    try {
      return formatRecord(record, fields);
    } catch (e) {
      if (e instanceof RecordFormatError) {
        throw new ArchiveRecordError(flowLogId, index, e.field, e.value, e.reason, { cause: e });
      }
      throw e;
    }
  });
}

/**
 * The Parquet row for one rendered line. Integer columns must hold a plain unsigned decimal that
 * fits the column's Parquet type; AWS's '-' becomes null.
 */
export function parquetRow(flowLogId: string, index: number, line: string, columns: readonly ColumnSpec[]): ParquetRow {
  const tokens = line.split(' ');
  return columns.map((column, i) => {
    const token = tokens[i] ?? '-';
    if (token === '-') return null;
    if (column.parquet === 'STRING') return token;
    if (!UNSIGNED_DECIMAL.test(token)) {
      throw new ArchiveRecordError(flowLogId, index, column.field, token, `"${token}" is not an unsigned integer (${column.parquet})`);
    }
    // Up to 15 digits is exact as a double and much cheaper than BigInt, which only longer values need.
    const value = token.length <= 15 ? Number(token) : BigInt(token);
    if (value > INT_MAX[column.parquet]) {
      throw new ArchiveRecordError(flowLogId, index, column.field, token, `${token} does not fit ${column.parquet}`);
    }
    return value;
  });
}
