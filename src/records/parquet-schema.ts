// Column names and types for a field list, as AWS's Parquet files, Athena tables and our DuckDB
// store name them: hyphens become underscores; INT_32/INT_64/STRING map to SQL types.

import { FIELD_BY_NAME, type FieldName, type ParquetType, columnName } from './fields.ts';

export type DuckDbType = 'INTEGER' | 'BIGINT' | 'VARCHAR';
export type AthenaType = 'int' | 'bigint' | 'string';

export const DUCKDB_TYPE: Readonly<Record<ParquetType, DuckDbType>> = { INT_32: 'INTEGER', INT_64: 'BIGINT', STRING: 'VARCHAR' };
// AWS's own sample DDL types `protocol` as bigint; we follow the Parquet type (int), which reads the same data.
export const ATHENA_TYPE: Readonly<Record<ParquetType, AthenaType>> = { INT_32: 'int', INT_64: 'bigint', STRING: 'string' };

export interface ColumnSpec {
  readonly field: FieldName;
  /** Parquet / Athena column name, e.g. `log_status`. */
  readonly column: string;
  readonly parquet: ParquetType;
  readonly duckdb: DuckDbType;
  readonly athena: AthenaType;
}

/** One column per field, in the given order. */
export function columnsFor(fields: readonly FieldName[]): ColumnSpec[] {
  return fields.map((field) => {
    const spec = FIELD_BY_NAME.get(field);
    if (spec === undefined) throw new RangeError(`unknown field '${field}'`);
    return { field, column: columnName(field), parquet: spec.parquet, duckdb: DUCKDB_TYPE[spec.parquet], athena: ATHENA_TYPE[spec.parquet] };
  });
}

// Column names that are reserved words in Athena DDL; AWS's published DDL back-quotes `end`.
const ATHENA_RESERVED: ReadonlySet<string> = new Set(['end', 'date']);

/** The column list of an Athena CREATE TABLE, e.g. "version int, account_id string, …, `end` bigint, …". */
export function athenaColumnsDdl(fields: readonly FieldName[]): string {
  return columnsFor(fields)
    .map((c) => `${ATHENA_RESERVED.has(c.column) ? '`' + c.column + '`' : c.column} ${c.athena}`)
    .join(', ');
}

/** The column list of a DuckDB CREATE TABLE, identifiers always double-quoted (`end` is reserved there too). */
export function duckdbColumnsDdl(fields: readonly FieldName[]): string {
  return columnsFor(fields)
    .map((c) => `"${c.column}" ${c.duckdb}`)
    .join(', ');
}
