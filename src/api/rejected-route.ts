// The web console's "Rejected" page: POST /v1/vpcflow/Rejected lists the scope's REJECT records,
// newest first, each with the kernel rule that dropped it explained against the account's network
// (model/rule-text.ts). Live records carry that rule's code in flow_records.rule; ingested captures
// and imported logs have none, and say so.
//
// One packet's record reaches flow_records once per flow log covering its interface (log store and
// archive alike), so rows are folded into one per (account, interface, 5-tuple, window). Pages are
// keyset-paged on that key, so records delivered while a client pages never shift a page.

import type { Context, Hono } from 'hono';
import type { DuckDBValue } from '@duckdb/node-api';
import { explainDropCode, type DropExplanation } from '../model/rule-text.ts';
import { NetworkIndex, isResourceId, type NetworkModel } from '../model/index.ts';
import { VpcflowError, describeValue } from '../platform/errors.ts';
import type { Database, Row, SqlScope } from '../store/index.ts';

export interface RejectedRouteDeps {
  readonly db: Database;
  /** The account's network as the control plane holds it now (ControlPlane.networkOf(account).model). */
  readonly network: (accountId: string) => NetworkModel | undefined;
  /** The request's JSON object (native.ts's `json(c)`). */
  readonly body: (c: Context) => Promise<Record<string, unknown>>;
  /** Whose records the request may see: an account's own, or the operator's (every account). */
  readonly scope: (c: Context, body: Record<string, unknown>) => SqlScope | Promise<SqlScope>;
}

export const REJECTED_MAX_LIMIT = 500;
export const REJECTED_DEFAULT_LIMIT = 100;
/** A page of rejected records is interrupted past this (QueryTimeout): narrow the range. */
export const REJECTED_QUERY_TIMEOUT_MS = 30_000;
const MEMBERS = ['Account', 'StartTime', 'EndTime', 'Limit', 'NextToken', 'InterfaceId'] as const;
/** Record times are unsigned 32-bit seconds in AWS's format. */
const MAX_TIME = 0xffff_ffff;
const MAX_TOKEN_LENGTH = 2048;

export interface RejectedRecord {
  version: number | null;
  accountId: string | null;
  interfaceId: string | null;
  srcaddr: string | null;
  dstaddr: string | null;
  srcport: number | null;
  dstport: number | null;
  protocol: number | null;
  packets: number | null;
  bytes: number | null;
  start: number;
  end: number | null;
  action: string;
  logStatus: string | null;
  /** One flow log that delivered it (the lowest id); FlowLogIds names all of them. */
  flowLogId: string;
  FlowLogIds: string[];
  /** The code of the kernel rule that dropped the packet; null when none was recorded. */
  Rule: string | null;
  Explanation: DropExplanation | null;
  /** Why there is no explanation (only when Explanation is null). */
  Reason?: string;
}

export const NO_RULE_REASON = 'no rule was recorded for this record: the kernel rule that dropped a packet is known only for live traffic ' +
  '(vpcflow serve --realize); records of ingested captures and imported flow logs do not carry one';

/**
 * The fold key, in page order (all descending). Nullable columns are coalesced so that the key
 * compares as a row value: a NULL would make the keyset comparison unknown and lose rows.
 */
const KEY = [
  { expr: 'start', kind: 'bigint' },
  { expr: 'coalesce("end", -1)', kind: 'bigint' },
  { expr: 'owner_account', kind: 'text' },
  { expr: "coalesce(interface_id, '')", kind: 'text' },
  { expr: "coalesce(srcaddr, '')", kind: 'text' },
  { expr: "coalesce(dstaddr, '')", kind: 'text' },
  { expr: 'coalesce(srcport, -1)', kind: 'int' },
  { expr: 'coalesce(dstport, -1)', kind: 'int' },
  { expr: 'coalesce(protocol, -1)', kind: 'int' },
] as const;
type KeyValue = number | string;

function bad(code: string, message: string): VpcflowError {
  return new VpcflowError(code, message);
}

function members(b: Record<string, unknown>): void {
  for (const k of Object.keys(b)) {
    if (!(MEMBERS as readonly string[]).includes(k)) throw bad('UnknownParameter', `Rejected has no member ${k} (it takes ${MEMBERS.join(', ')})`);
  }
}

function time(b: Record<string, unknown>, key: 'StartTime' | 'EndTime'): number {
  const v = b[key];
  if (v === undefined || v === null) throw bad('MissingParameter', `The request must contain the parameter ${key} (epoch seconds)`);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_TIME) throw bad('InvalidParameterValue', `${key} must be epoch seconds (an integer from 0 to ${MAX_TIME}), got ${describeValue(v)}`);
  return v;
}

function limitOf(b: Record<string, unknown>): number {
  const v = b.Limit;
  if (v === undefined || v === null) return REJECTED_DEFAULT_LIMIT;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > REJECTED_MAX_LIMIT) throw bad('InvalidParameterValue', `Limit must be an integer from 1 to ${REJECTED_MAX_LIMIT}, got ${describeValue(v)}`);
  return v;
}

function interfaceOf(b: Record<string, unknown>): string | undefined {
  const v = b.InterfaceId;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !isResourceId('network-interface', v)) throw bad('InvalidParameterValue', `InterfaceId must be a network interface id (eni-…), got ${describeValue(v)}`);
  return v;
}

function encodeToken(key: readonly KeyValue[]): string {
  return Buffer.from(JSON.stringify({ r: key })).toString('base64url');
}

function decodeToken(v: unknown): KeyValue[] | undefined {
  if (v === undefined || v === null) return undefined;
  const invalid = () => bad('InvalidParameterValue', 'NextToken is not a token this action returned (pass the NextToken of the previous page unchanged)');
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(v)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(v, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const r = (parsed as { r?: unknown } | null)?.r;
  if (!Array.isArray(r) || r.length !== KEY.length) throw invalid();
  r.forEach((x, i) => {
    const ok = KEY[i]!.kind === 'text' ? typeof x === 'string' && x.length <= 256 : typeof x === 'number' && Number.isSafeInteger(x) && x >= -1;
    if (!ok) throw invalid();
  });
  return r as KeyValue[];
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export function mountRejectedRoute(app: Hono, deps: RejectedRouteDeps): void {
  app.post('/v1/vpcflow/Rejected', async (c) => {
    const b = await deps.body(c);
    members(b);
    const startTime = time(b, 'StartTime');
    const endTime = time(b, 'EndTime');
    if (startTime > endTime) throw bad('InvalidParameterValue', `StartTime (${startTime}) is after EndTime (${endTime})`);
    const limit = limitOf(b);
    const interfaceId = interfaceOf(b);
    const after = decodeToken(b.NextToken);
    const scope = await deps.scope(c, b);

    // Trusted SQL: every value is a bound parameter; the only text spliced in is KEY, a constant.
    const params: DuckDBValue[] = [BigInt(startTime), BigInt(endTime)];
    const where = ["action = 'REJECT'", 'start >= $1', 'start <= $2'];
    const param = (v: DuckDBValue) => `$${params.push(v)}`;
    if (scope.kind === 'account') where.push(`owner_account = ${param(scope.accountId)}`);
    if (interfaceId !== undefined) where.push(`interface_id = ${param(interfaceId)}`);
    if (after) where.push(`(${KEY.map((k) => k.expr).join(', ')}) < (${after.map((v, i) => param(KEY[i]!.kind === 'bigint' ? BigInt(v) : v)).join(', ')})`);
    const keys = KEY.map((k, i) => `${k.expr} AS k${i}`).join(', ');
    const rows = await deps.db.read(
      `SELECT ${keys},
         arg_min(version, flow_log_id) AS version, arg_min(account_id, flow_log_id) AS account_id,
         arg_min(packets, flow_log_id) AS packets, arg_min(bytes, flow_log_id) AS bytes, arg_min(log_status, flow_log_id) AS log_status,
         max(rule) AS rule, min(flow_log_id) AS flow_log_id, list(DISTINCT flow_log_id ORDER BY flow_log_id) AS flow_log_ids
       FROM flow_records WHERE ${where.join(' AND ')}
       GROUP BY ${KEY.map((_, i) => `k${i}`).join(', ')}
       ORDER BY ${KEY.map((_, i) => `k${i} DESC`).join(', ')}
       LIMIT ${param(BigInt(limit + 1))}`,
      params,
      { timeoutMs: REJECTED_QUERY_TIMEOUT_MS },
    );
    const page = rows.slice(0, limit);
    const indexes = new Map<string, NetworkIndex>();
    const indexOf = (account: string): NetworkIndex => {
      let idx = indexes.get(account);
      if (!idx) indexes.set(account, (idx = new NetworkIndex(deps.network(account) ?? { account, region: '', vpcs: [] })));
      return idx;
    };
    const records = page.map((r) => recordOf(r, indexOf));
    const last = page[page.length - 1];
    const next = rows.length > limit && last ? encodeToken(KEY.map((k, i) => (k.kind === 'text' ? String(last[`k${i}`]) : Number(last[`k${i}`])))) : undefined;
    return c.json({ Records: records, ...(next ? { NextToken: next } : {}) });
  });
}

function recordOf(r: Row, indexOf: (account: string) => NetworkIndex): RejectedRecord {
  const orNull = <T>(v: T, none: T): T | null => (v === none ? null : v);
  const rule = str(r.rule);
  const out: RejectedRecord = {
    version: num(r.version),
    accountId: str(r.account_id),
    interfaceId: orNull(String(r.k3), ''),
    srcaddr: orNull(String(r.k4), ''),
    dstaddr: orNull(String(r.k5), ''),
    srcport: orNull(Number(r.k6), -1),
    dstport: orNull(Number(r.k7), -1),
    protocol: orNull(Number(r.k8), -1),
    packets: num(r.packets),
    bytes: num(r.bytes),
    start: Number(r.k0),
    end: orNull(Number(r.k1), -1),
    action: 'REJECT',
    logStatus: str(r.log_status),
    flowLogId: String(r.flow_log_id),
    FlowLogIds: Array.isArray(r.flow_log_ids) ? r.flow_log_ids.map(String) : [String(r.flow_log_id)],
    Rule: rule,
    Explanation: null,
  };
  if (rule === null) return { ...out, Reason: NO_RULE_REASON };
  return { ...out, Explanation: explainDropCode(indexOf(String(r.k2)), rule, out) };
}
