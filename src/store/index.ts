// The embedded store: one DuckDB file in the data folder holding the control plane (networks,
// flow logs) and the log store (groups, streams, events) plus every delivered record for SQL.
export * from './database.ts';
export * from './schema.ts';
export * from './records-table.ts';
export * from './aws-files.ts';
export * from './sql-sandbox.ts';
