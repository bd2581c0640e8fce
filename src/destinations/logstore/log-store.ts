// The log store destination with CloudWatch Logs semantics: log groups, one stream per interface,
// events (timestamp, ingestion time, message), retention, get/filter with filter patterns, live tail.

import { EventEmitter } from 'node:events';
import type { Database, Transaction } from '../../store/index.ts';
import { VpcflowError, describeValue } from '../../platform/errors.ts';
import { parseFilterPattern } from './filter-pattern.ts';

export const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;
const GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;
const STREAM_NAME = /^[^:*]{1,512}$/;

export class LogStoreError extends VpcflowError {}

export interface LogEventInput {
  streamName: string;
  timestamp: number;
  message: string;
}

export interface StoredEvent {
  eventId: string;
  logStreamName: string;
  timestamp: number;
  ingestionTime: number;
  message: string;
}

export interface LogGroupInfo {
  logGroupName: string;
  creationTime: number;
  retentionInDays?: number;
  metricFilterCount: number;
  storedBytes: number;
  arn: string;
  logGroupArn: string;
}

export interface FilterRequest {
  logGroupName: string;
  logStreamNames?: string[];
  logStreamNamePrefix?: string;
  startTime?: number;
  endTime?: number;
  filterPattern?: string;
  limit?: number;
  nextToken?: string;
}

export type GroupDeletionHook = (tx: Transaction, accountId: string, group: string) => Promise<void>;

/** Emitted as 'events' with (accountId, groupName, StoredEvent[]) after each committed delivery. */
export class LogStore extends EventEmitter {
  /** What else goes when a group is deleted (its metric filters), inside the same transaction. */
  private readonly groupDeletionHooks: GroupDeletionHook[] = [];

  constructor(
    private readonly db: Database,
    private readonly region: string,
    private readonly now: () => number = Date.now,
  ) {
    super();
    this.setMaxListeners(0);
  }

  /** Registers work that must happen in the transaction that deletes a log group. */
  onGroupDeleted(hook: GroupDeletionHook): void {
    this.groupDeletionHooks.push(hook);
  }

  static validateGroupName(name: unknown): string {
    if (typeof name !== 'string' || !GROUP_NAME.test(name)) {
      throw new LogStoreError('InvalidParameterException', `1 validation error detected: Value '${typeof name === 'string' ? name : describeValue(name)}' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+ and have length 1-512`);
    }
    return name;
  }

  async createLogGroup(accountId: string, name: string): Promise<void> {
    LogStore.validateGroupName(name);
    await this.db.transaction(async (tx) => {
      if (await this.groupExists(tx, accountId, name)) throw new LogStoreError('ResourceAlreadyExistsException', 'The specified log group already exists');
      await tx.run('INSERT INTO log_groups (account_id, name, creation_time, retention_days, stored_bytes) VALUES ($1, $2, $3, NULL, 0)', [accountId, name, BigInt(this.now())]);
    });
  }

  async deleteLogGroup(accountId: string, name: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.requireGroup(tx, accountId, name);
      for (const table of ['log_events', 'log_streams']) await tx.run(`DELETE FROM ${table} WHERE account_id = $1 AND group_name = $2`, [accountId, name]);
      for (const hook of this.groupDeletionHooks) await hook(tx, accountId, name);
      await tx.run('DELETE FROM log_groups WHERE account_id = $1 AND name = $2', [accountId, name]);
    });
  }

  async putRetentionPolicy(accountId: string, name: string, days: number): Promise<void> {
    if (!(RETENTION_DAYS as readonly number[]).includes(days)) {
      throw new LogStoreError('InvalidParameterException', `1 validation error detected: Value '${days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`);
    }
    await this.db.transaction(async (tx) => {
      await this.requireGroup(tx, accountId, name);
      await tx.run('UPDATE log_groups SET retention_days = $3 WHERE account_id = $1 AND name = $2', [accountId, name, days]);
    });
  }

  /** The group keeps its events forever again (CloudWatch's DeleteRetentionPolicy). */
  async deleteRetentionPolicy(accountId: string, name: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.requireGroup(tx, accountId, name);
      await tx.run('UPDATE log_groups SET retention_days = NULL WHERE account_id = $1 AND name = $2', [accountId, name]);
    });
  }

  async describeLogGroups(accountId: string, opts: { prefix?: string; pattern?: string; limit?: number; nextToken?: string } = {}): Promise<{ logGroups: LogGroupInfo[]; nextToken?: string }> {
    if (opts.prefix !== undefined && opts.pattern !== undefined) {
      throw new LogStoreError('InvalidParameterException', 'LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.');
    }
    const limit = checkLimit(opts.limit, 50);
    const after = opts.nextToken ? tokenString(opts.nextToken, 'name') : '';
    const rows = await this.db.read(
      `SELECT g.name, g.creation_time, g.retention_days,
              g.stored_bytes AS stored,
              (SELECT count(*) FROM metric_filters f WHERE f.account_id = g.account_id AND f.group_name = g.name) AS filters
       FROM log_groups g WHERE g.account_id = $1 AND g.name > $2
         AND ($3 = '' OR starts_with(g.name, $3)) AND ($4 = '' OR contains(g.name, $4))
       ORDER BY g.name LIMIT $5`,
      [accountId, after, opts.prefix ?? '', opts.pattern ?? '', limit + 1],
    );
    const page = rows.slice(0, limit);
    const logGroups = page.map((r) => {
      const name = String(r.name);
      const arnBase = `arn:aws:logs:${this.region}:${accountId}:log-group:${name}`;
      const info: LogGroupInfo = { logGroupName: name, creationTime: Number(r.creation_time), metricFilterCount: Number(r.filters), storedBytes: Number(r.stored), arn: `${arnBase}:*`, logGroupArn: arnBase };
      if (r.retention_days !== null) info.retentionInDays = Number(r.retention_days);
      return info;
    });
    return rows.length > limit ? { logGroups, nextToken: encodeToken({ name: page[page.length - 1]!.name }) } : { logGroups };
  }

  async describeLogStreams(accountId: string, group: string, opts: { prefix?: string; orderBy?: string; descending?: boolean; limit?: number; nextToken?: string } = {}) {
    const orderBy = opts.orderBy ?? 'LogStreamName';
    if (orderBy !== 'LogStreamName' && orderBy !== 'LastEventTime') {
      throw new LogStoreError('InvalidParameterException', `1 validation error detected: Value '${orderBy}' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]`);
    }
    if (orderBy === 'LastEventTime' && opts.prefix) {
      throw new LogStoreError('InvalidParameterException', 'Cannot order by LastEventTime with a logStreamNamePrefix.');
    }
    const limit = checkLimit(opts.limit, 50);
    const offset = opts.nextToken ? tokenOffset(opts.nextToken) : 0;
    return this.db.readTransaction(async (tx) => {
      await this.requireGroup(tx, accountId, group);
      const dir = opts.descending ? 'DESC' : 'ASC';
      const order = orderBy === 'LastEventTime' ? `last_event ${dir} NULLS FIRST, name ${dir}` : `name ${dir}`;
      const rows = await tx.all(
        `SELECT name, creation_time, first_event, last_event, last_ingestion FROM log_streams
         WHERE account_id = $1 AND group_name = $2 AND starts_with(name, $3) ORDER BY ${order} LIMIT $4 OFFSET $5`,
        [accountId, group, opts.prefix ?? '', limit + 1, offset],
      );
      const logStreams = rows.slice(0, limit).map((r) => ({
        logStreamName: String(r.name),
        creationTime: Number(r.creation_time),
        ...(r.first_event !== null ? { firstEventTimestamp: Number(r.first_event), lastEventTimestamp: Number(r.last_event), lastIngestionTime: Number(r.last_ingestion) } : {}),
        uploadSequenceToken: '1',
        arn: `arn:aws:logs:${this.region}:${accountId}:log-group:${group}:log-stream:${String(r.name)}`,
        storedBytes: 0,
      }));
      return rows.length > limit ? { logStreams, nextToken: encodeToken({ offset: offset + limit }) } : { logStreams };
    });
  }

  /**
   * Appends events inside the caller's transaction, creating the group and streams when missing
   * (AWS creates them once traffic is recorded). Call `announce` after the commit.
   */
  async appendInTransaction(tx: Transaction, accountId: string, group: string, events: readonly LogEventInput[]): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    LogStore.validateGroupName(group);
    const ingestion = this.now();
    if (!(await this.groupExists(tx, accountId, group))) {
      await tx.run('INSERT INTO log_groups (account_id, name, creation_time, retention_days, stored_bytes) VALUES ($1, $2, $3, NULL, 0)', [accountId, group, BigInt(ingestion)]);
    }
    const sorted = [...events].sort((a, b) => a.timestamp - b.timestamp);
    const streams = new Map<string, { first: number; last: number }>();
    for (const e of sorted) {
      if (!STREAM_NAME.test(e.streamName)) throw new LogStoreError('InvalidParameterException', `invalid log stream name '${e.streamName}'`);
      const s = streams.get(e.streamName);
      if (!s) streams.set(e.streamName, { first: e.timestamp, last: e.timestamp });
      else s.last = e.timestamp;
    }
    for (const [name, span] of streams) {
      await tx.run(
        `INSERT INTO log_streams VALUES ($1, $2, $3, $4, $5, $6, $4)
         ON CONFLICT DO UPDATE SET first_event = least(coalesce(log_streams.first_event, excluded.first_event), excluded.first_event),
           last_event = greatest(coalesce(log_streams.last_event, excluded.last_event), excluded.last_event), last_ingestion = excluded.last_ingestion`,
        [accountId, group, name, BigInt(ingestion), BigInt(span.first), BigInt(span.last)],
      );
    }
    const first = await tx.all(`SELECT nextval('log_event_ids') AS id FROM range(${sorted.length})`);
    const ids = first.map((r) => BigInt(r.id as string | number));
    const a = await tx.connection.createAppender('log_events');
    const stored: StoredEvent[] = [];
    try {
      sorted.forEach((e, i) => {
        a.appendVarchar(accountId);
        a.appendVarchar(group);
        a.appendVarchar(e.streamName);
        a.appendBigInt(ids[i]!);
        a.appendBigInt(BigInt(e.timestamp));
        a.appendBigInt(BigInt(ingestion));
        a.appendVarchar(e.message);
        a.endRow();
        stored.push({ eventId: eventIdText(ids[i]!, e.timestamp), logStreamName: e.streamName, timestamp: e.timestamp, ingestionTime: ingestion, message: e.message });
      });
      a.flushSync();
    } finally {
      a.closeSync();
    }
    let bytes = 0;
    for (const e of sorted) bytes += Buffer.byteLength(e.message);
    await tx.run('UPDATE log_groups SET stored_bytes = stored_bytes + $3 WHERE account_id = $1 AND name = $2', [accountId, group, BigInt(bytes)]);
    return stored;
  }

  announce(accountId: string, group: string, events: StoredEvent[]): void {
    if (events.length) this.emit('events', accountId, group, events);
  }

  async getLogEvents(accountId: string, group: string, stream: string, opts: { startTime?: number; endTime?: number; startFromHead?: boolean; limit?: number; nextToken?: string } = {}) {
    const limit = checkLimit(opts.limit, 10000, 10000);
    return this.db.readTransaction(async (tx) => {
      await this.requireGroup(tx, accountId, group);
      const exists = await tx.all('SELECT 1 FROM log_streams WHERE account_id = $1 AND group_name = $2 AND name = $3', [accountId, group, stream]);
      if (!exists.length) throw new LogStoreError('ResourceNotFoundException', 'The specified log stream does not exist.', 400);
      // Tokens are "f/<last id>" (forward: events after it) or "b/<first id>" (backward: events before it).
      let forward = opts.startFromHead ?? false;
      let bound: bigint | null = null;
      if (opts.nextToken) {
        const m = /^([fb])\/(\d{1,19})$/.exec(opts.nextToken);
        if (!m || BigInt(m[2]!) > INT64_MAX) throw invalidToken();
        forward = m[1] === 'f';
        bound = BigInt(m[2]!);
      }
      const cond = bound === null ? '' : forward ? `AND event_id > ${bound}` : `AND event_id < ${bound}`;
      const rows = await tx.all(
        `SELECT * FROM (SELECT event_id, "timestamp", ingestion_time, message FROM log_events
           WHERE account_id = $1 AND group_name = $2 AND stream_name = $3 AND "timestamp" >= $4 AND "timestamp" < $5 ${cond}
           ORDER BY "timestamp" ${forward ? 'ASC' : 'DESC'}, event_id ${forward ? 'ASC' : 'DESC'} LIMIT $6) ORDER BY "timestamp", event_id`,
        [accountId, group, stream, BigInt(opts.startTime ?? 0), BigInt(opts.endTime ?? Number.MAX_SAFE_INTEGER), limit],
      );
      const events = rows.map((r) => ({ timestamp: Number(r.timestamp), message: String(r.message), ingestionTime: Number(r.ingestion_time) }));
      const firstId = rows.length ? String(rows[0]!.event_id) : bound !== null ? String(bound) : '0';
      const lastId = rows.length ? String(rows[rows.length - 1]!.event_id) : bound !== null ? String(bound) : '0';
      return { events, nextForwardToken: `f/${lastId}`, nextBackwardToken: `b/${firstId}` };
    });
  }

  async filterLogEvents(accountId: string, req: FilterRequest): Promise<{ events: (StoredEvent & { eventId: string })[]; nextToken?: string; searchedLogStreams: [] }> {
    if (req.logStreamNames && req.logStreamNamePrefix !== undefined) {
      throw new LogStoreError('InvalidParameterException', 'logStreamNames and logStreamNamePrefix are mutually exclusive');
    }
    if (req.logStreamNames && (req.logStreamNames.length < 1 || req.logStreamNames.length > 100)) {
      throw new LogStoreError('InvalidParameterException', '1 validation error detected: Value at \'logStreamNames\' failed to satisfy constraint: Member must have length between 1 and 100');
    }
    const pattern = parseFilterPattern(req.filterPattern ?? '');
    const limit = checkLimit(req.limit, 10000, 10000);
    const after = req.nextToken ? tokenEventId(req.nextToken) : -1n;
    return this.db.readTransaction(async (tx) => {
      await this.requireGroup(tx, accountId, req.logGroupName);
      const params: (string | bigint)[] = [accountId, req.logGroupName, BigInt(req.startTime ?? 0), BigInt(req.endTime ?? Number.MAX_SAFE_INTEGER), after];
      let streamCond = '';
      if (req.logStreamNames) {
        streamCond = `AND stream_name IN (${req.logStreamNames.map((_, i) => `$${params.length + i + 1}`).join(', ')})`;
        params.push(...req.logStreamNames);
      } else if (req.logStreamNamePrefix) {
        streamCond = `AND starts_with(stream_name, $${params.length + 1})`;
        params.push(req.logStreamNamePrefix);
      }
      // Scan in event-id order in pages, testing the pattern in JS; stop once the page is full.
      const events: StoredEvent[] = [];
      let cursor = after;
      // Rows fetched per step: exactly the page when every event matches, else growing from a few
      // pages' worth, so a small page never reads (and converts) thousands of messages it drops.
      const matchAll = (req.filterPattern ?? '').trim() === '';
      let scanPage = matchAll ? limit : Math.min(20000, Math.max(4 * limit, 1000));
      for (;;) {
        params[4] = cursor;
        const rows = await tx.all(
          `SELECT event_id, stream_name, "timestamp", ingestion_time, message FROM log_events
           WHERE account_id = $1 AND group_name = $2 AND "timestamp" >= $3 AND "timestamp" <= $4 AND event_id > $5 ${streamCond}
           ORDER BY event_id LIMIT ${scanPage}`,
          params,
        );
        for (const r of rows) {
          cursor = BigInt(r.event_id as string);
          const message = String(r.message);
          if (!pattern.matches(message)) continue;
          const ts = Number(r.timestamp);
          events.push({ eventId: eventIdText(cursor, ts), logStreamName: String(r.stream_name), timestamp: ts, ingestionTime: Number(r.ingestion_time), message });
          if (events.length === limit) break;
        }
        if (events.length === limit || rows.length < scanPage) break;
        scanPage = Math.min(20000, scanPage * 4);
      }
      const more = events.length === limit;
      return more ? { events, nextToken: encodeToken({ after: String(cursor) }), searchedLogStreams: [] } : { events, searchedLogStreams: [] };
    });
  }

  /** Deletes events older than each group's retention. Returns how many were removed. */
  async applyRetention(): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.all(
        `DELETE FROM log_events e USING log_groups g
         WHERE e.account_id = g.account_id AND e.group_name = g.name AND g.retention_days IS NOT NULL
           AND e."timestamp" < $1 - g.retention_days * 86400000 RETURNING 1`,
        [BigInt(this.now())],
      );
      if (rows.length) {
        await tx.run(`UPDATE log_groups g SET stored_bytes = (SELECT coalesce(sum(strlen(e.message)), 0) FROM log_events e WHERE e.account_id = g.account_id AND e.group_name = g.name)
                      WHERE g.retention_days IS NOT NULL`);
      }
      return rows.length;
    });
  }

  private async groupExists(tx: Transaction, accountId: string, name: string): Promise<boolean> {
    return (await tx.all('SELECT 1 FROM log_groups WHERE account_id = $1 AND name = $2', [accountId, name])).length > 0;
  }

  private async requireGroup(tx: Transaction, accountId: string, name: string): Promise<void> {
    if (!(await this.groupExists(tx, accountId, name))) throw new LogStoreError('ResourceNotFoundException', 'The specified log group does not exist.');
  }
}

function checkLimit(limit: number | undefined, dflt: number, max = dflt): number {
  if (limit === undefined) return dflt;
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new LogStoreError('InvalidParameterException', `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and ${max}`);
  }
  return limit;
}

function encodeToken(v: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

const INT64_MAX = 2n ** 63n - 1n;
// Tokens this store hands out are a few dozen characters; anything much longer is not one of them.
const MAX_TOKEN_CHARS = 4096;

/** AWS's answer to a token it did not issue (or one missing its fields). */
const invalidToken = (): LogStoreError => new LogStoreError('InvalidParameterException', 'The specified nextToken is invalid.');

/** A field of the JSON object inside a token (own members only); a token that is not such an object is refused as AWS refuses it. */
function tokenField(t: string, field: string): unknown {
  if (t.length > MAX_TOKEN_CHARS || !/^[A-Za-z0-9_-]+$/.test(t)) throw invalidToken();
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(t, 'base64url').toString('utf8'));
  } catch {
    throw invalidToken();
  }
  if (!v || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, field)) throw invalidToken();
  return (v as Record<string, unknown>)[field];
}

/** A token field that must be a string (DescribeLogGroups: the last group name of the page). */
function tokenString(t: string, field: string): string {
  const v = tokenField(t, field);
  if (typeof v !== 'string') throw invalidToken();
  return v;
}

/** DescribeLogStreams: the offset of the next page. */
function tokenOffset(t: string): number {
  const v = tokenField(t, 'offset');
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalidToken();
  return v;
}

/** FilterLogEvents: the id of the last event returned, a decimal BIGINT. */
function tokenEventId(t: string): bigint {
  const v = tokenField(t, 'after');
  if (typeof v !== 'string' || !/^\d{1,19}$/.test(v) || BigInt(v) > INT64_MAX) throw invalidToken();
  return BigInt(v);
}

/** CloudWatch event ids are 56-digit decimal strings; ours embed the timestamp and the sequence. */
function eventIdText(id: bigint, timestamp: number): string {
  return String(timestamp).padStart(20, '0') + String(id).padStart(36, '0');
}
