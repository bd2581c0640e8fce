// The process one user query runs in, started by SqlSandbox (sql-sandbox.ts) under an OS memory
// limit and killed at the query's deadline. It answers over the IPC channel, once per step:
//   ready → check {sql}: exactly one statement, a SELECT (or EXPLAIN of one), by DuckDB's own parser,
//           in an instance that can touch nothing → checked
//         → run {parts, archive}: a fresh instance allowed to open those files only, attached
//           READ_ONLY under views `flows` and `archive_objects`, settings locked; the statement bound against it (the binder's statement type decides
//           again), run through query() under a LIMIT with each row's size computed by DuckDB, so
//           rows past the row or byte limit are never converted → result, then exit.
// The SQL is parsed and bound here, never in the server process.

import { DuckDBInstance, JsonDuckDBValueConverter, StatementType, type DuckDBConnection, type DuckDBResult } from '@duckdb/node-api';
import type { FromWorker, SqlErrorCode, SqlResult, ToWorker } from './sql-sandbox.ts';

type RunRequest = Extract<ToWorker, { type: 'run' }>;
type Kind = 'select' | 'explain' | 'pivot';

class QueryError extends Error {
  constructor(readonly code: SqlErrorCode, message: string) {
    super(message);
  }
}

const ROW_BYTES = 'vpcflow_row_bytes';
const NOT_SELECT = 'only SELECT queries can be run: SQL reads the records and never changes them, and DuckDB does not take this for a SELECT';
const WHAT_IS_THERE = 'SQL here sees the tables flows and archive_objects only: no files, URLs, ATTACH, COPY, extensions or settings';

const inbox: ToWorker[] = [];
let wake: (() => void) | null = null;
process.on('message', (m: ToWorker) => {
  inbox.push(m);
  const w = wake;
  wake = null;
  w?.();
});
// The server went away (even killed): nobody is left to answer.
process.on('disconnect', () => process.exit(0));

async function next(): Promise<ToWorker> {
  // One message per step; the parent sends nothing else.
  while (inbox.length === 0) await new Promise<void>((r) => (wake = r));
  return inbox.shift()!;
}

function send(m: FromWorker): Promise<void> {
  return new Promise((resolve) => process.send!(m, () => resolve()));
}

function lit(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function duckMessage(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.replace(/^Failed to extract statements: /, '').slice(0, 2000);
}

function failed(e: unknown): QueryError {
  if (e instanceof QueryError) return e;
  const m = duckMessage(e);
  if (/Out of Memory Error|max_temp_directory_size|bad allocation/i.test(m)) {
    return new QueryError('QueryResourceLimit', `the query needs more memory or spill space than a query gets: ${m}`);
  }
  if (/^Permission Error/.test(m)) return new QueryError('InvalidQuery', `the query failed: ${m} (${WHAT_IS_THERE})`);
  return new QueryError('InvalidQuery', `the query failed: ${m}`);
}

async function serializesAsSelect(c: DuckDBConnection, text: string): Promise<boolean> {
  // json_serialize_sql parses without binding and serializes SELECT statements only.
  const r = await c.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR) AS j', [text]);
  const j = JSON.parse(String(r.getRowObjectsJson()[0]?.j ?? '{}')) as { error?: boolean; statements?: unknown[] };
  return j.error !== true && Array.isArray(j.statements) && j.statements.length === 1;
}

async function checkStatement(c: DuckDBConnection, sql: string): Promise<Kind> {
  let count: number;
  try {
    count = (await c.extractStatements(sql)).count;
  } catch (e) {
    throw new QueryError('InvalidQuery', `the query does not parse: ${duckMessage(e)}`);
  }
  if (count === 0) throw new QueryError('InvalidQuery', 'the SQL holds no statement');
  if (count > 1) throw new QueryError('InvalidQuery', `the SQL holds ${count} statements; one SELECT is run per request (DuckDB also splits a PIVOT without an IN list into several)`);
  if (await serializesAsSelect(c, sql)) return 'select';
  const explain = /^\s*explain\s+(?:analyze\s+)?/i.exec(sql);
  if (explain && (await serializesAsSelect(c, sql.slice(explain[0].length)))) return 'explain';
  // A PIVOT with an IN list binds as a SELECT; the statement type after binding decides.
  if (/^\s*(?:pivot|unpivot)\s/i.test(sql)) return 'pivot';
  throw new QueryError('InvalidQuery', NOT_SELECT);
}

async function openSandbox(run: RunRequest): Promise<{ instance: DuckDBInstance; c: DuckDBConnection }> {
  const instance = await DuckDBInstance.create(':memory:', {
    memory_limit: run.memoryLimit,
    threads: String(run.threads),
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    allow_community_extensions: 'false',
    temp_directory: run.spillDir,
    max_temp_directory_size: run.maxTempDirectorySize,
  });
  const c = await instance.connect();
  const files = [...new Set([...run.parts, run.archive])];
  // allowed_paths takes effect once external access is off and cannot be set at create or after;
  // READ_ONLY attach also probes each file's WAL (there is none: the store detached it).
  await c.run(`SET allowed_paths = [${files.flatMap((f) => [lit(f), lit(`${f}.wal`)]).join(', ')}]`);
  await c.run('SET enable_external_access = false');
  const alias = (f: string) => `vpcflow_${files.indexOf(f)}`;
  for (const f of files) await c.run(`ATTACH ${lit(f)} AS ${alias(f)} (READ_ONLY)`);
  // The names users write resolve to views in the in-memory catalog over the snapshot's files.
  const records = run.parts.map((f) => `SELECT * FROM ${alias(f)}.main.flow_records`).join(' UNION ALL ');
  await c.run(`CREATE VIEW memory.main.flows AS SELECT ${run.flowsColumns} FROM (${records})`);
  await c.run(`CREATE VIEW memory.main.archive_objects AS SELECT * FROM ${alias(run.archive)}.main.archive_objects`);
  await c.run('USE memory');
  await c.run('SET lock_configuration = true');
  return { instance, c };
}

async function runQuery(sql: string, kind: Kind, run: RunRequest): Promise<Omit<Extract<FromWorker, { type: 'result' }>, 'type'>> {
  let c: DuckDBConnection;
  try {
    ({ c } = await openSandbox(run));
  } catch (e) {
    throw new QueryError('InternalError', `cannot open the snapshot of the records: ${duckMessage(e)}`);
  }
  let prepared;
  try {
    prepared = await c.prepare(sql);
  } catch (e) {
    throw failed(e);
  }
  if (prepared.statementType === StatementType.EXPLAIN && kind === 'explain') {
    return readRows(await prepared.stream().catch((e) => Promise.reject(failed(e))), run, null);
  }
  if (prepared.statementType !== StatementType.SELECT || kind === 'explain') throw new QueryError('InvalidQuery', NOT_SELECT);
  const userColumns = prepared.columnCount;
  prepared.destroySync();
  // The statement goes in as a string for DuckDB's query() table function (which parses it again and
  // takes exactly one SELECT), so no SQL text is pasted together. The LIMIT stops DuckDB one row past
  // the row limit; the size column lets rows over the byte budget be left before their values are
  // turned into JS (one 10 MB value repeated on the 2 048 rows of a chunk is 20 GB of strings).
  const wrapped = `SELECT *, strlen(CAST(vpcflow_result AS VARCHAR)) AS ${ROW_BYTES} FROM query(${lit(sql)}) AS vpcflow_result LIMIT ${run.maxRows + 1}`;
  let limited;
  try {
    limited = await c.prepare(wrapped);
  } catch (e) {
    throw new QueryError('InvalidQuery', `this SELECT cannot run through query(), which is how the row and size limits apply: ${duckMessage(e)}`);
  }
  if (limited.columnCount !== userColumns + 1 || limited.columnName(userColumns) !== ROW_BYTES) {
    throw new QueryError('InvalidQuery', 'the statement does not keep its columns when run through query(); write it as a plain SELECT');
  }
  let result: DuckDBResult;
  try {
    result = await limited.stream();
  } catch (e) {
    throw failed(e);
  }
  return readRows(result, run, userColumns);
}

async function readRows(result: DuckDBResult, run: RunRequest, sizeColumn: number | null): Promise<{ columns: string[]; rows: Record<string, unknown>[]; truncated: SqlResult['truncated'] }> {
  const names = result.deduplicatedColumnNames();
  const columns = sizeColumn === null ? names : names.slice(0, sizeColumn);
  const rows: Record<string, unknown>[] = [];
  let bytes = 0;
  let truncated: SqlResult['truncated'] = null;
  try {
    chunks: for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const sizes = sizeColumn === null ? null : chunk.getColumnVector(sizeColumn);
      for (let i = 0; i < chunk.rowCount; i++) {
        if (rows.length >= run.maxRows) {
          truncated = { by: 'rows', limit: run.maxRows };
          break chunks;
        }
        if (sizes && bytes + Number(sizes.getItem(i) ?? 0) > run.maxResultBytes) {
          truncated = { by: 'bytes', limit: run.maxResultBytes };
          break chunks;
        }
        const values = chunk.convertRowValues(i, JsonDuckDBValueConverter);
        const row: Record<string, unknown> = {};
        columns.forEach((name, k) => (row[name] = values[k]));
        const size = JSON.stringify(row).length;
        if (bytes + size > run.maxResultBytes) {
          truncated = { by: 'bytes', limit: run.maxResultBytes };
          break chunks;
        }
        bytes += size;
        rows.push(row);
      }
    }
  } catch (e) {
    throw failed(e);
  }
  return { columns, rows, truncated };
}

async function main(): Promise<void> {
  if (!process.send) {
    process.stderr.write('sql-worker: started without an IPC channel; it is run by the SQL sandbox only\n');
    process.exit(2);
  }
  // Parsing needs no data and gets none: this instance can open no file and change no setting.
  const parser = await DuckDBInstance.create(':memory:', {
    enable_external_access: 'false', autoinstall_known_extensions: 'false', autoload_known_extensions: 'false',
    allow_community_extensions: 'false', lock_configuration: 'true', threads: '1', memory_limit: '64MB',
  });
  const pc = await parser.connect();
  await send({ type: 'ready' });
  const check = await next();
  if (check.type !== 'check') throw new Error(`expected check, got ${check.type}`);
  let kind: Kind;
  try {
    kind = await checkStatement(pc, check.sql);
  } catch (e) {
    const q = failed(e);
    await send({ type: 'error', code: q.code, message: q.message });
    process.exit(0);
  }
  pc.closeSync();
  parser.closeSync();
  await send({ type: 'checked' });
  const run = await next();
  if (run.type !== 'run') throw new Error(`expected run, got ${run.type}`);
  try {
    await send({ type: 'result', ...(await runQuery(check.sql, kind, run)) });
  } catch (e) {
    const q = failed(e);
    await send({ type: 'error', code: q.code, message: q.message });
  }
  process.exit(0);
}

main().catch((e) => {
  process.stderr.write(`sql-worker: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
