// Bucket policies of the archive: the part of S3's policy language that grants log delivery (the
// bucket policy AWS documents for flow logs), parsed strictly into grants. A grant lets one account
// deliver objects whose keys start with a prefix, optionally only from one region; anything the
// parser does not understand is refused with where and why rather than half-applied.

import { VpcflowError, describeValue } from '../../platform/errors.ts';
import { normalizePrefix } from './layout.ts';

/** S3's limit on a bucket policy's size. */
export const MAX_POLICY_BYTES = 20 * 1024;
/** Grants one policy may produce (accounts × resources × regions). */
export const MAX_POLICY_GRANTS = 1000;
/** The principal AWS's flow log policy names: log delivery writes as this service. */
export const LOG_DELIVERY_SERVICE = 'delivery.logs.amazonaws.com';

export interface BucketGrant {
  readonly grantee: string;
  /** Objects whose key starts with this (the policy Resource after `BUCKET/`, without its final '*'). */
  readonly keyPrefix: string;
  /** The region the statement's aws:SourceArn allows, or null for any. */
  readonly region: string | null;
}

export class MalformedPolicyError extends VpcflowError {
  constructor(
    /** Where in the document, e.g. `Statement[1].Resource[0]`; '' for the document as a whole. */
    readonly where: string,
    why: string,
  ) {
    super('MalformedPolicy', where ? `${where}: ${why}` : why, 400);
  }
}

const ACTIONS = { 's3:putobject': 'object', 's3:getbucketacl': 'bucket', 's3:listbucket': 'bucket' } as const;
const STATEMENT_MEMBERS = new Set(['Sid', 'Effect', 'Principal', 'Action', 'Resource', 'Condition']);
const ACCOUNT = /^[0-9]{12}$/;
const SOURCE_ARN = /^arn:aws(?:-[a-z]+)*:logs:([a-z0-9-]+|\*):([0-9]{12}):\*$/;
const S3_RESOURCE = /^arn:aws(?:-[a-z]+)*:s3:::([^/]*)(?:\/([\s\S]*))?$/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function fail(where: string, why: string): never {
  throw new MalformedPolicyError(where, why);
}
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
// A policy is JSON text the caller wrote: nested deep enough, JSON.stringify of a member overflows the stack.
const show = (v: unknown): string => describeValue(v, 80);

/** A member that AWS lets be one string or a list of them. */
function strings(value: unknown, where: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) fail(where, 'must not be an empty list');
  list.forEach((v, i) => {
    if (typeof v !== 'string') fail(Array.isArray(value) ? `${where}[${i}]` : where, `must be a string, got ${show(v)}`);
  });
  return list as string[];
}

/**
 * Parses the policy of `bucket` (JSON text, at most 20 KB) into the grants it makes. Understood:
 * Version, Id, and statements with Sid, Effect Allow, Principal {"Service": "delivery.logs.amazonaws.com"},
 * Action s3:PutObject / s3:GetBucketAcl / s3:ListBucket, Resource `arn:aws:s3:::BUCKET` or
 * `arn:aws:s3:::BUCKET/KEYPREFIX*`, and Condition StringEquals aws:SourceAccount (required with
 * s3:PutObject) and s3:x-amz-acl, ArnLike/ArnEquals aws:SourceArn `arn:aws:logs:REGION:ACCOUNT:*`.
 * Throws MalformedPolicyError naming the member at fault.
 */
export function parseBucketPolicy(bucket: string, text: unknown): BucketGrant[] {
  if (typeof text !== 'string') return fail('Policy', `must be the policy document as JSON text, got ${show(text)}`);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_POLICY_BYTES) fail('Policy', `is ${bytes} bytes; a bucket policy may have at most ${MAX_POLICY_BYTES}`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return fail('Policy', `is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isObject(doc)) return fail('Policy', 'must be a JSON object with Version and Statement');
  for (const k of Object.keys(doc)) if (k !== 'Version' && k !== 'Id' && k !== 'Statement') fail(k, 'is not a policy member (Version, Id, Statement)');
  if (doc.Version !== '2012-10-17' && doc.Version !== '2008-10-17') fail('Version', `must be "2012-10-17", got ${show(doc.Version ?? null)}`);
  if (doc.Id !== undefined && typeof doc.Id !== 'string') fail('Id', 'must be a string');
  if (doc.Statement === undefined) fail('Statement', 'is missing');
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  if (statements.length === 0) fail('Statement', 'must list at least one statement');
  const grants = new Map<string, BucketGrant>();
  const sids = new Set<string>();
  statements.forEach((st, i) => {
    const where = Array.isArray(doc.Statement) ? `Statement[${i}]` : 'Statement';
    for (const g of parseStatement(bucket, st, where, sids)) {
      grants.set(`${g.grantee}\n${g.region ?? ''}\n${g.keyPrefix}`, g);
      if (grants.size > MAX_POLICY_GRANTS) fail('Statement', `grants more than ${MAX_POLICY_GRANTS} (account, resource, region) combinations`);
    }
  });
  return [...grants.values()];
}

function parseStatement(bucket: string, st: unknown, where: string, sids: Set<string>): BucketGrant[] {
  if (!isObject(st)) return fail(where, 'must be an object');
  for (const k of Object.keys(st)) {
    if (k.startsWith('Not') && STATEMENT_MEMBERS.has(k.slice(3))) fail(`${where}.${k}`, `is not supported; use ${k.slice(3)}`);
    if (!STATEMENT_MEMBERS.has(k)) fail(`${where}.${k}`, 'is not a statement member (Sid, Effect, Principal, Action, Resource, Condition)');
  }
  if (st.Sid !== undefined) {
    if (typeof st.Sid !== 'string' || !/^[A-Za-z0-9]*$/.test(st.Sid)) fail(`${where}.Sid`, 'must be a string of letters and digits');
    const sid = st.Sid as string;
    if (sid !== '' && sids.has(sid)) fail(`${where}.Sid`, `"${sid}" is used by another statement; statement ids must be unique`);
    sids.add(sid);
  }
  if (st.Effect === 'Deny') fail(`${where}.Effect`, 'Deny is not supported: a bucket is closed to other accounts unless a statement allows them');
  if (st.Effect !== 'Allow') fail(`${where}.Effect`, `must be "Allow", got ${show(st.Effect ?? null)}`);

  const principalHint = `the Principal must be {"Service": "${LOG_DELIVERY_SERVICE}"}: flow logs are delivered by the log delivery service`;
  if (!isObject(st.Principal) || Object.keys(st.Principal).some((k) => k !== 'Service') || st.Principal.Service === undefined) {
    fail(`${where}.Principal`, `${show(st.Principal ?? null)} is not supported; ${principalHint}`);
  }
  for (const service of strings((st.Principal as Record<string, unknown>).Service, `${where}.Principal.Service`)) {
    if (service !== LOG_DELIVERY_SERVICE) fail(`${where}.Principal.Service`, `${show(service)} is not supported; ${principalHint}`);
  }

  if (st.Action === undefined) fail(`${where}.Action`, 'is missing');
  const actions = strings(st.Action, `${where}.Action`).map((a, j) => {
    const kind = ACTIONS[a.toLowerCase() as keyof typeof ACTIONS];
    if (!kind) fail(Array.isArray(st.Action) ? `${where}.Action[${j}]` : `${where}.Action`, `${show(a)} is not supported; log delivery uses s3:PutObject, s3:GetBucketAcl and s3:ListBucket`);
    return kind;
  });

  if (st.Resource === undefined) fail(`${where}.Resource`, 'is missing');
  const keyPrefixes: string[] = [];
  let namesBucket = false;
  strings(st.Resource, `${where}.Resource`).forEach((r, j) => {
    const at = Array.isArray(st.Resource) ? `${where}.Resource[${j}]` : `${where}.Resource`;
    const m = S3_RESOURCE.exec(r);
    if (!m) return fail(at, `${show(r)} is not an S3 resource (arn:aws:s3:::${bucket} or arn:aws:s3:::${bucket}/prefix/*)`);
    if (m[1] !== bucket) fail(at, `${show(r)} names bucket ${show(m[1])}; the policy of bucket "${bucket}" can only name that bucket and its objects`);
    if (m[2] === undefined) {
      namesBucket = true;
      return;
    }
    const pattern = m[2];
    if (CONTROL.test(pattern)) fail(at, 'must not contain control characters');
    if (!pattern.endsWith('*') || /[*?]/.test(pattern.slice(0, -1))) {
      fail(at, `${show(r)}: object resources must end in a single '*' with no other wildcard (arn:aws:s3:::${bucket}/prefix/*): log delivery writes many objects`);
    }
    const keyPrefix = pattern.slice(0, -1);
    if (Buffer.byteLength(keyPrefix, 'utf8') > 1024) fail(at, 'is longer than an S3 key can be (1024 bytes)');
    keyPrefixes.push(keyPrefix);
  });
  // S3's own wording for a statement whose actions match none of its resources.
  if (actions.includes('object') && keyPrefixes.length === 0) fail(where, `Action does not apply to any resource(s) in statement: s3:PutObject needs an object resource such as arn:aws:s3:::${bucket}/*`);
  if (actions.includes('bucket') && !namesBucket) fail(where, `Action does not apply to any resource(s) in statement: s3:GetBucketAcl and s3:ListBucket need the bucket resource arn:aws:s3:::${bucket}`);
  if (!actions.includes('object') && keyPrefixes.length > 0) fail(`${where}.Resource`, 'names objects, but no action of the statement applies to objects (add s3:PutObject)');

  const { accounts, sourceArns } = parseCondition(st.Condition, `${where}.Condition`);
  if (!actions.includes('object')) return [];
  if (!accounts) {
    return fail(`${where}.Condition`, 'a statement allowing s3:PutObject must name the accounts it allows in Condition.StringEquals."aws:SourceAccount" (delivery is granted per account)');
  }
  for (const s of sourceArns ?? []) {
    if (!accounts.includes(s.account)) fail(`${where}.Condition.ArnLike.aws:SourceArn`, `${show(s.arn)} names account ${s.account}, which aws:SourceAccount does not list`);
  }
  const grants: BucketGrant[] = [];
  for (const grantee of accounts) {
    let regions: (string | null)[] = [null];
    if (sourceArns) {
      const own = sourceArns.filter((s) => s.account === grantee).map((s) => s.region);
      if (own.length === 0) fail(`${where}.Condition`, `aws:SourceAccount ${grantee} has no aws:SourceArn of its own (arn:aws:logs:REGION:${grantee}:*), so the statement allows it nothing`);
      regions = own.includes(null) ? [null] : [...new Set(own)];
    }
    for (const region of regions) for (const keyPrefix of keyPrefixes) grants.push({ grantee, keyPrefix, region });
  }
  return grants;
}

/**
 * AWS's documented flow log bucket policy granting `accounts` delivery into `folder` of `bucket`,
 * in both folder layouts (plain `AWSLogs/ACCOUNT/` and Hive `AWSLogs/aws-account-id=ACCOUNT/`), from any region.
 */
export function deliveryPolicy(bucket: string, accounts: readonly string[], folder = ''): string {
  const prefix = normalizePrefix(folder);
  const principal = { Service: LOG_DELIVERY_SERVICE };
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AWSLogDeliveryWrite', Effect: 'Allow', Principal: principal, Action: 's3:PutObject',
        Resource: accounts.flatMap((a) => [`arn:aws:s3:::${bucket}/${prefix}AWSLogs/${a}/*`, `arn:aws:s3:::${bucket}/${prefix}AWSLogs/aws-account-id=${a}/*`]),
        Condition: { StringEquals: { 'aws:SourceAccount': [...accounts], 's3:x-amz-acl': 'bucket-owner-full-control' } },
      },
      {
        Sid: 'AWSLogDeliveryAclCheck', Effect: 'Allow', Principal: principal, Action: ['s3:GetBucketAcl', 's3:ListBucket'],
        Resource: `arn:aws:s3:::${bucket}`, Condition: { StringEquals: { 'aws:SourceAccount': [...accounts] } },
      },
    ],
  }, null, 2);
}

interface ParsedCondition {
  accounts?: string[];
  sourceArns?: { arn: string; account: string; region: string | null }[];
}

function parseCondition(condition: unknown, where: string): ParsedCondition {
  if (condition === undefined) return {};
  if (!isObject(condition)) return fail(where, 'must be an object of condition operators');
  const out: ParsedCondition = {};
  for (const [operator, body] of Object.entries(condition)) {
    const at = `${where}.${operator}`;
    if (operator !== 'StringEquals' && operator !== 'ArnLike' && operator !== 'ArnEquals') {
      fail(at, 'is not supported; log delivery policies use StringEquals (aws:SourceAccount, s3:x-amz-acl) and ArnLike (aws:SourceArn)');
    }
    if (!isObject(body)) fail(at, 'must be an object of condition keys');
    for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
      const k = key.toLowerCase();
      const kat = `${at}.${key}`;
      if (operator === 'StringEquals' && k === 'aws:sourceaccount') {
        if (out.accounts) fail(kat, 'is given twice');
        out.accounts = [...new Set(strings(value, kat).map((a) => (ACCOUNT.test(a) ? a : fail(kat, `${show(a)} is not a 12-digit account id`))))];
      } else if (operator === 'StringEquals' && k === 's3:x-amz-acl') {
        for (const acl of strings(value, kat)) if (acl !== 'bucket-owner-full-control') fail(kat, `${show(acl)} is not supported; log delivery writes with "bucket-owner-full-control"`);
      } else if (operator !== 'StringEquals' && k === 'aws:sourcearn') {
        if (out.sourceArns) fail(kat, 'is given under more than one operator');
        out.sourceArns = strings(value, kat).map((arn) => {
          const m = SOURCE_ARN.exec(arn);
          if (!m) return fail(kat, `${show(arn)} is not a log delivery source (arn:aws:logs:REGION:ACCOUNT:*, REGION may be *)`);
          return { arn, account: m[2]!, region: m[1] === '*' ? null : m[1]! };
        });
      } else {
        fail(kat, `is not supported under ${operator}; log delivery policies use StringEquals aws:SourceAccount and s3:x-amz-acl, ArnLike aws:SourceArn`);
      }
    }
  }
  return out;
}
