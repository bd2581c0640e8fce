// Appends delivered flow records to the typed flow_records table that `vpcflow query` reads.
// The table is append-only: the SQL sandbox (sql-sandbox.ts) extends its snapshots by the rows past
// their max(rowid), and copies whole again only when it finds rows before that changed.

import { FIELD_BY_NAME, type FieldName, type FlowRecord } from '../records/index.ts';
import { RECORD_COLUMNS } from './schema.ts';
import type { Transaction } from './database.ts';

export interface StoredRecord {
  record: FlowRecord;
  ownerAccount: string;
  flowLogId: string;
  destinationType: 'cloud-watch-logs' | 's3';
  destination: string;
  rule: string | null;
  ingestionTime: number;
}

const STORED = RECORD_COLUMNS.filter((c) => c.stored).map((c) => FIELD_BY_NAME.get(c.field)!);

export async function appendRecords(tx: Transaction, rows: readonly StoredRecord[]): Promise<void> {
  if (rows.length === 0) return;
  const a = await tx.connection.createAppender('flow_records');
  try {
    for (const r of rows) {
      for (const f of STORED) {
        const v = r.record[f.name as FieldName];
        if (v === null || v === undefined) a.appendNull();
        else if (f.parquet === 'STRING') a.appendVarchar(String(v));
        else if (typeof v !== 'number') a.appendNull();
        else if (f.parquet === 'INT_64') a.appendBigInt(BigInt(v));
        else a.appendInteger(v);
      }
      a.appendVarchar(r.ownerAccount);
      a.appendVarchar(r.flowLogId);
      a.appendVarchar(r.destinationType);
      a.appendVarchar(r.destination);
      if (r.rule === null) a.appendNull();
      else a.appendVarchar(r.rule);
      a.appendBigInt(BigInt(r.ingestionTime));
      a.endRow();
    }
    a.flushSync();
  } finally {
    a.closeSync();
  }
}
