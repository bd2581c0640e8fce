// The web console's "Archive" page: browsing the S3-layout files the archive wrote
// (destinations/archive/), one folder level at a time, previewing a file's first records and
// downloading it.
//
// What a caller sees is what archive_objects recorded for flow logs its scope owns, never what
// the object store happens to hold: a key from a request is only ever compared with recorded keys,
// and the object store is called with the recorded key (or its folder), so no request text reaches
// a file path. An object is an account's when its flow log is (still declared in flow_logs, or,
// after the flow log was deleted, named by the account's delivered records): the rule the SQL
// sandbox uses for archive_objects (store/sql-sandbox.ts snapshotTables). A bucket's owner does not
// see files another account delivered into it under a grant; the operator sees everything.
//
// Refusals never tell an account whether another account's file exists: a bucket the caller
// neither owns nor has files in is AccessDenied whatever it holds, and a key that is not one of
// the caller's files is NoSuchKey whether or not someone else's file has it.

import { tmpdir } from 'node:os';
import type { Context, Hono } from 'hono';
import type { DuckDBValue } from '@duckdb/node-api';
import { bucketNameProblem, objectKeyProblem, MAX_KEY_BYTES, ObjectStoreError, type ObjectStore } from '../platform/object-store.ts';
import { VpcflowError, describeValue } from '../platform/errors.ts';
import { AwsFileError, AwsFileReader, type Database, type SqlScope } from '../store/index.ts';

export interface ArchiveRouteDeps {
  readonly db: Database;
  /** The store the ArchiveWriter writes into (the same instance or one on the same folder/endpoint). */
  readonly store: ObjectStore;
  /** The request's JSON object (native.ts's `json(c)`). */
  readonly body: (c: Context) => Promise<Record<string, unknown>>;
  /** Whose files the request may see: an account's own, or the operator's (every account's). */
  readonly scope: (c: Context, body: Record<string, unknown>) => SqlScope | Promise<SqlScope>;
  /** Where a Parquet file is spooled to be previewed (DuckDB reads files); default the system's temp folder. */
  readonly tempDir?: string;
}

export const ARCHIVE_MAX_ENTRIES = 1000;
export const PREVIEW_MAX_LIMIT = 200;
export const PREVIEW_DEFAULT_LIMIT = 50;
const MAX_TOKEN_LENGTH = 16_384;

const MEMBERS: Readonly<Record<string, readonly string[]>> = {
  ListArchive: ['Account', 'Bucket', 'Prefix', 'MaxEntries', 'NextToken'],
  PreviewArchiveObject: ['Account', 'Bucket', 'Key', 'Limit'],
  GetArchiveObject: ['Account', 'Bucket', 'Key'],
};

export interface ArchiveBucketEntry {
  Name: string;
  /** The caller's files in it. */
  Objects: number;
  Records: number;
  /** The caller owns the bucket (account scope only). */
  Owned?: boolean;
  /** The bucket's owner account (operator scope only; null when no account claimed it). */
  Owner?: string | null;
}

export interface ArchiveFolderEntry {
  /** The folder's full prefix inside the bucket, ending in '/'. */
  Prefix: string;
  Objects: number;
  Records: number;
}

export interface ArchiveObjectEntry {
  /** The key inside the bucket. */
  Key: string;
  /** Bytes, from the object store's listing; null when the store no longer has the file. */
  Size: number | null;
  Records: number;
  FlowLogId: string;
  /** Epoch milliseconds. */
  WrittenAt: number;
}

function bad(code: string, message: string, status = 400): VpcflowError {
  return new VpcflowError(code, message, status);
}

const accessDenied = () => bad('AccessDenied', 'Access Denied', 403);
const noSuchKey = (key: string) => bad('NoSuchKey', `The specified key does not exist: ${key}`, 404);
const noSuchBucket = (bucket: string) => bad('NoSuchBucket', `The specified bucket does not exist: ${bucket}`, 404);

function members(action: string, b: Record<string, unknown>): void {
  const known = MEMBERS[action]!;
  for (const k of Object.keys(b)) {
    if (!known.includes(k)) throw bad('UnknownParameter', `${action} has no member ${k} (it takes ${known.join(', ')})`);
  }
}

function bucketOf(b: Record<string, unknown>): string {
  const v = b.Bucket;
  if (v === undefined || v === null || v === '') throw bad('MissingParameter', 'The request must contain the parameter Bucket');
  if (typeof v !== 'string') throw bad('InvalidParameterValue', `Bucket must be a string, got ${describeValue(v)}`);
  const problem = bucketNameProblem(v);
  if (problem) throw bad('InvalidBucketName', `The specified bucket is not valid: ${describeValue(v)} ${problem}`);
  return v;
}

function keyOf(b: Record<string, unknown>): string {
  const v = b.Key;
  if (v === undefined || v === null || v === '') throw bad('MissingParameter', 'The request must contain the parameter Key');
  if (typeof v !== 'string') throw bad('InvalidParameterValue', `Key must be a string, got ${describeValue(v)}`);
  const problem = objectKeyProblem(v);
  if (problem) throw bad('InvalidParameterValue', `Key ${describeValue(v)} is not a valid object key: ${problem}`);
  return v;
}

function prefixOf(b: Record<string, unknown>): string {
  const v = b.Prefix;
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw bad('InvalidParameterValue', `Prefix must be a string, got ${describeValue(v)}`);
  if (Buffer.byteLength(v) > MAX_KEY_BYTES) throw bad('InvalidParameterValue', `Prefix is longer than ${MAX_KEY_BYTES} bytes, the longest key`);
  if (v.includes('\0')) throw bad('InvalidParameterValue', 'Prefix contains a NUL character');
  return v;
}

function intOf(b: Record<string, unknown>, key: string, min: number, max: number, fallback: number): number {
  const v = b[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw bad('InvalidParameterValue', `${key} must be an integer from ${min} to ${max}, got ${describeValue(v)}`);
  return v;
}

interface PageToken {
  /** Bucket ('' for the bucket list) and prefix the token belongs to. */
  b: string;
  p: string;
  /** The last name returned. */
  a: string;
}

function encodeToken(t: PageToken): string {
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}

function decodeToken(v: unknown, bucket: string, prefix: string): string {
  if (v === undefined || v === null) return '';
  const invalid = () => bad('InvalidParameterValue', 'NextToken is not a token ListArchive returned for this Bucket and Prefix (pass the NextToken of the previous page unchanged)');
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(v)) throw invalid();
  let t: Partial<PageToken> | null;
  try {
    t = JSON.parse(Buffer.from(v, 'base64url').toString('utf8')) as Partial<PageToken> | null;
  } catch {
    throw invalid();
  }
  if (!t || t.b !== bucket || t.p !== prefix || typeof t.a !== 'string' || t.a === '') throw invalid();
  return t.a;
}

/**
 * The SQL condition limiting archive_objects rows to the scope's (same rule as the SQL sandbox's
 * snapshots), with its parameter appended to `params`; '' for the operator.
 */
function scopeCondition(scope: SqlScope, params: DuckDBValue[], column = 'flow_log_id'): string {
  if (scope.kind === 'operator') return 'TRUE';
  params.push(scope.accountId);
  const p = `$${params.length}`;
  return `${column} IN (SELECT flow_log_id FROM flow_logs WHERE account_id = ${p} UNION SELECT flow_log_id FROM flow_records WHERE owner_account = ${p} AND destination_type = 's3')`;
}

/** A name safe in a content-disposition header on every platform. */
export function downloadName(key: string): string {
  const base = key.slice(key.lastIndexOf('/') + 1);
  const safe = base.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[.]+/, '').slice(0, 180);
  return safe === '' ? 'archive-object' : safe;
}

function contentTypeOf(key: string): string {
  if (key.endsWith('.parquet')) return 'application/vnd.apache.parquet';
  if (key.endsWith('.gz')) return 'application/gzip';
  return 'application/octet-stream';
}

function storeFailure(what: string, e: unknown): VpcflowError {
  // The store's own message names its folder or endpoint; a caller gets what failed, not where.
  const failure = e instanceof ObjectStoreError ? e.failure : 'IOError';
  return new VpcflowError('InternalError', `the archive's object store could not ${what} (${failure})`, 500, { cause: e });
}

export function mountArchiveRoutes(app: Hono, deps: ArchiveRouteDeps): void {
  const { db, store } = deps;
  const request = async (c: Context, action: string) => {
    const b = await deps.body(c);
    members(action, b);
    return { b, scope: await deps.scope(c, b) };
  };

  /** Whether the scope may look into the bucket: it owns it, or has files in it (the operator: it exists). */
  const browsable = async (scope: SqlScope, bucket: string): Promise<boolean> => {
    const params: DuckDBValue[] = [bucket, `${bucket}/`];
    const cond = scopeCondition(scope, params);
    // scopeCondition bound the account as $3.
    const owner = scope.kind === 'operator' ? '' : ' AND owner_account = $3';
    const rows = await db.read(
      `SELECT EXISTS (SELECT 1 FROM archive_buckets WHERE bucket = $1${owner}) OR EXISTS (SELECT 1 FROM archive_objects WHERE starts_with(object_key, $2) AND ${cond}) AS ok`,
      params,
    );
    return rows[0]?.ok === true;
  };

  /** The recorded object of the scope under `bucket/key`, or the refusal that fits. */
  const recorded = async (scope: SqlScope, bucket: string, key: string) => {
    const params: DuckDBValue[] = [`${bucket}/${key}`];
    const cond = scopeCondition(scope, params, 'o.flow_log_id');
    const rows = await db.read(
      `SELECT o.object_key, o.flow_log_id, o.records,
         (SELECT count(DISTINCT p.object_key) FROM archive_objects p WHERE p.flow_log_id = o.flow_log_id AND p.file_time = o.file_time AND p.sequence = o.sequence) AS parts
       FROM archive_objects o WHERE o.object_key = $1 AND ${cond} ORDER BY o.written_at DESC LIMIT 1`,
      params,
    );
    const row = rows[0];
    if (row) return { objectKey: String(row.object_key), records: Number(row.records), parts: Number(row.parts) };
    if (await browsable(scope, bucket)) throw noSuchKey(key);
    throw scope.kind === 'operator' ? noSuchBucket(bucket) : accessDenied();
  };

  app.post('/v1/vpcflow/ListArchive', async (c) => {
    const { b, scope } = await request(c, 'ListArchive');
    const maxEntries = intOf(b, 'MaxEntries', 1, ARCHIVE_MAX_ENTRIES, ARCHIVE_MAX_ENTRIES);
    if (b.Bucket === undefined || b.Bucket === null || b.Bucket === '') {
      if (b.Prefix !== undefined && b.Prefix !== null && b.Prefix !== '') throw bad('InvalidParameterCombination', 'Prefix needs a Bucket');
      return c.json(await listBuckets(scope, decodeToken(b.NextToken, '', ''), maxEntries));
    }
    const bucket = bucketOf(b);
    const prefix = prefixOf(b);
    const after = decodeToken(b.NextToken, bucket, prefix);
    if (!(await browsable(scope, bucket))) throw scope.kind === 'operator' ? noSuchBucket(bucket) : accessDenied();
    return c.json(await listLevel(scope, bucket, prefix, after, maxEntries));
  });

  async function listBuckets(scope: SqlScope, after: string, max: number) {
    const params: DuckDBValue[] = [];
    const cond = scopeCondition(scope, params);
    params.push(after, BigInt(max + 1));
    const a = `$${params.length - 1}`;
    const n = `$${params.length}`;
    // An account's own buckets appear even while they hold none of its files (scopeCondition bound the account as $1).
    const registry = scope.kind === 'operator' ? 'SELECT bucket AS name, owner_account FROM archive_buckets' : 'SELECT bucket AS name, owner_account FROM archive_buckets WHERE owner_account = $1';
    const rows = await db.read(
      `WITH visible AS (SELECT object_key, max(records) AS records FROM archive_objects WHERE ${cond} GROUP BY object_key),
            used AS (SELECT split_part(object_key, '/', 1) AS name, count(*) AS objects, sum(records) AS records FROM visible GROUP BY 1),
            reg AS (${registry})
       SELECT name, coalesce(used.objects, 0) AS objects, coalesce(used.records, 0) AS records, reg.owner_account
       FROM used FULL OUTER JOIN reg USING (name)
       WHERE name > ${a} ORDER BY name LIMIT ${n}`,
      params,
    );
    const page = rows.slice(0, max);
    const buckets: ArchiveBucketEntry[] = page.map((r) => ({
      Name: String(r.name), Objects: Number(r.objects), Records: Number(r.records),
      ...(scope.kind === 'operator' ? { Owner: r.owner_account === null ? null : String(r.owner_account) } : { Owned: r.owner_account !== null }),
    }));
    const last = page[page.length - 1];
    return { Buckets: buckets, ...(rows.length > max && last ? { NextToken: encodeToken({ b: '', p: '', a: String(last.name) }) } : {}) };
  }

  async function listLevel(scope: SqlScope, bucket: string, prefix: string, after: string, max: number) {
    const params: DuckDBValue[] = [`${bucket}/${prefix}`];
    const cond = scopeCondition(scope, params);
    params.push(after, BigInt(max + 1));
    const a = `$${params.length - 1}`;
    const n = `$${params.length}`;
    // Grouped in SQL so a level costs one bounded result however many files lie below it.
    // DuckDB's length/substr/strpos all count code points, so the cut falls where the prefix ends;
    // names compare as UTF-8 bytes, S3's order.
    const rows = await db.read(
      `WITH mine AS (
         SELECT object_key, max(flow_log_id) AS flow_log_id, max(records) AS records, max(written_at) AS written_at
         FROM archive_objects WHERE starts_with(object_key, $1) AND ${cond} GROUP BY object_key),
       cut AS (SELECT *, substr(object_key, length($1) + 1) AS rest FROM mine),
       entries AS (
         SELECT CASE WHEN strpos(rest, '/') > 0 THEN left(rest, strpos(rest, '/')) ELSE rest END AS name, strpos(rest, '/') > 0 AS folder,
           object_key, flow_log_id, records, written_at FROM cut)
       SELECT name, folder, count(*) AS objects, sum(records) AS records, max(flow_log_id) AS flow_log_id, max(written_at) AS written_at, max(object_key) AS object_key
       FROM entries WHERE name > ${a} GROUP BY name, folder ORDER BY name LIMIT ${n}`,
      params,
    );
    const page = rows.slice(0, max);
    const folders: ArchiveFolderEntry[] = [];
    const objects: (ArchiveObjectEntry & { objectKey: string })[] = [];
    for (const r of page) {
      if (r.folder === true) folders.push({ Prefix: prefix + String(r.name), Objects: Number(r.objects), Records: Number(r.records) });
      else {
        const objectKey = String(r.object_key);
        objects.push({ Key: objectKey.slice(bucket.length + 1), Size: null, Records: Number(r.records), FlowLogId: String(r.flow_log_id), WrittenAt: Number(r.written_at), objectKey });
      }
    }
    const sizes = await sizesOf(objects.map((o) => o.objectKey));
    const last = page[page.length - 1];
    return {
      Bucket: bucket, Prefix: prefix, Folders: folders,
      Objects: objects.map(({ objectKey, ...o }) => ({ ...o, Size: sizes.get(objectKey) ?? null })),
      ...(rows.length > max && last ? { NextToken: encodeToken({ b: bucket, p: prefix, a: String(last.name) }) } : {}),
    };
  }

  /**
   * Sizes of files of one folder. ObjectStore has no head/stat, so they come from one listing of
   * the folder the recorded keys share (the archive layout puts files only in leaf folders, so
   * that listing holds files and nothing below them).
   */
  async function sizesOf(objectKeys: readonly string[]): Promise<Map<string, number>> {
    const sizes = new Map<string, number>();
    const first = objectKeys[0];
    if (first === undefined) return sizes;
    const folder = first.slice(0, first.lastIndexOf('/') + 1);
    // Files at a bucket's root (never written by the archive) would need a listing of the whole bucket.
    if (folder.indexOf('/') === folder.length - 1) return sizes;
    let listed;
    try {
      listed = await store.list(folder);
    } catch (e) {
      if (e instanceof ObjectStoreError && e.failure === 'NoSuchBucket') return sizes;
      throw storeFailure('list the folder', e);
    }
    const wanted = new Set(objectKeys);
    for (const o of listed) if (wanted.has(o.key)) sizes.set(o.key, o.size);
    return sizes;
  }

  const fetch = async (objectKey: string, key: string): Promise<Uint8Array> => {
    try {
      return await store.get(objectKey);
    } catch (e) {
      if (e instanceof ObjectStoreError && (e.failure === 'NoSuchKey' || e.failure === 'NoSuchBucket')) {
        throw bad('NoSuchKey', `The archive recorded ${key}, but its object store no longer holds it`, 404);
      }
      throw storeFailure('read the object', e);
    }
  };

  app.post('/v1/vpcflow/PreviewArchiveObject', async (c) => {
    const { b, scope } = await request(c, 'PreviewArchiveObject');
    const bucket = bucketOf(b);
    const key = keyOf(b);
    const limit = intOf(b, 'Limit', 1, PREVIEW_MAX_LIMIT, PREVIEW_DEFAULT_LIMIT);
    const object = await recorded(scope, bucket, key);
    const bytes = await fetch(object.objectKey, key);
    let problems = 0;
    const reader = new AwsFileReader((async function* () {
      yield bytes;
    })(), { name: key, batchSize: Math.max(limit, 1000), tempDir: deps.tempDir ?? tmpdir(), onProblem: () => void problems++ });
    let header: readonly string[] | undefined;
    const records: string[][] = [];
    let total = 0;
    // A file of one part holds exactly the records its row counts; several parts share one count, so only then is the file read to its end.
    const countFromFile = object.parts !== 1;
    let complete = true;
    try {
      for await (const batch of reader.batches()) {
        header ??= batch.fields;
        for (const r of batch.records) {
          if (records.length < limit && batch.fields === header) records.push(r.message.split(' '));
        }
        total += batch.records.length;
        if (records.length >= limit && !countFromFile) {
          complete = false;
          break;
        }
      }
    } catch (e) {
      if (e instanceof AwsFileError) throw bad('UnreadableObject', `the archive file cannot be read: ${e.message}`, 500);
      throw e;
    }
    return c.json({
      Format: reader.info.kind === 'parquet' ? 'parquet' : 'text',
      Header: [...(header ?? reader.info.formats[0]?.fields ?? [])],
      Records: records,
      TotalRecords: complete ? total : Math.max(object.records, total),
      ...(problems > 0 ? { Problems: problems } : {}),
    });
  });

  app.post('/v1/vpcflow/GetArchiveObject', async (c) => {
    const { b, scope } = await request(c, 'GetArchiveObject');
    const bucket = bucketOf(b);
    const key = keyOf(b);
    const object = await recorded(scope, bucket, key);
    const bytes = await fetch(object.objectKey, key);
    // A view over the same memory: Response wants an ArrayBuffer-backed view, not a possibly shared one.
    return new Response(new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength), {
      status: 200,
      headers: {
        'content-type': contentTypeOf(object.objectKey),
        'content-length': String(bytes.byteLength),
        'content-disposition': `attachment; filename="${downloadName(object.objectKey)}"`,
        'x-content-type-options': 'nosniff',
        'cache-control': 'private, no-store',
      },
    });
  });
}
