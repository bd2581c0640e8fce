// Owners of the archive's buckets. vpcflow writes every bucket with one credential (its local folder,
// or the one key of an S3-compatible endpoint), so it decides itself who may deliver where: the
// first account to name a bucket owns it (at most maxBucketsPerAccount buckets each); another account
// delivers there only where the owner's bucket policy grants it (bucket-policy.ts), as in S3.
// Owns the archive_buckets and archive_bucket_grants tables (schema.ts).

import type { DuckDBValue } from '@duckdb/node-api';
import type { FlowLog } from '../../model/flow-log.ts';
import { VpcflowError } from '../../platform/errors.ts';
import { bucketNameProblem } from '../../platform/object-store.ts';
import type { Database, Row } from '../../store/index.ts';
import { normalizePrefix, parseS3DestinationArn } from './layout.ts';
import { parseBucketPolicy } from './bucket-policy.ts';

/** The statements the registry runs: a store Transaction, or anything with the same two calls. */
export interface RegistryTx {
  all(sql: string, params?: DuckDBValue[]): Promise<Row[]>;
  run(sql: string, params?: DuckDBValue[]): Promise<void>;
}

export const DEFAULT_MAX_BUCKETS_PER_ACCOUNT = 100;

/** A refusal of a flow log's destination; `unsuccessfulCode` is the Code of its CreateFlowLogs Unsuccessful item. */
export abstract class BucketRefusedError extends VpcflowError {
  abstract readonly unsuccessfulCode: string;
}

/**
 * Delivery into another account's bucket without a grant. AWS's text; it names the bucket only,
 * never its owner. AWS reports it per resource with the code "400".
 */
export class BucketAccessDeniedError extends BucketRefusedError {
  readonly unsuccessfulCode = '400';
  constructor(readonly bucket: string) {
    super('AccessDenied', `Access Denied for LogDestination: ${bucket}. Please check LogDestination permission`, 403);
  }
}

export class TooManyBucketsError extends BucketRefusedError {
  readonly unsuccessfulCode = 'TooManyBuckets';
  constructor(readonly account: string, readonly limit: number, readonly bucket: string) {
    super('TooManyBuckets', `account ${account} already owns ${limit} buckets, the most one account may own here, so it cannot take bucket ${bucket}; ` +
      'deliver into a bucket it owns (vpcflow buckets list) or one whose owner grants it delivery', 400);
  }
}

/** Where one flow log writes: the account it belongs to, its region, bucket, folder and layout. */
export interface BucketTarget {
  readonly account: string;
  readonly region: string;
  readonly bucket: string;
  /** '' or a folder (`a/b` or `a/b/`). */
  readonly prefix: string;
  readonly hiveCompatiblePartitions: boolean;
}

export interface BucketInfo {
  readonly name: string;
  /** Epoch milliseconds. */
  readonly creationTime: number;
}

export interface BucketRegistryOptions {
  readonly maxBucketsPerAccount?: number;
  readonly now?: () => number;
}

/** The target of an S3 flow log, or undefined for a CloudWatch Logs one. */
export function bucketTargetOf(fl: Pick<FlowLog, 'accountId' | 'region' | 'logDestinationType' | 'logDestination' | 'destinationOptions'>): BucketTarget | undefined {
  if (fl.logDestinationType !== 's3') return undefined;
  const { bucket, prefix } = parseS3DestinationArn(fl.logDestination);
  return { account: fl.accountId, region: fl.region, bucket, prefix, hiveCompatiblePartitions: fl.destinationOptions?.hiveCompatiblePartitions ?? false };
}

/**
 * The key prefix every object of such a flow log starts with (layout.ts's folders up to the region):
 * what a grant's Resource must cover, just as S3 matches each PutObject against the policy.
 */
export function deliveryRoot(t: BucketTarget): string {
  const prefix = normalizePrefix(t.prefix);
  return t.hiveCompatiblePartitions
    ? `${prefix}AWSLogs/aws-account-id=${t.account}/aws-service=vpcflowlogs/aws-region=${t.region}/`
    : `${prefix}AWSLogs/${t.account}/vpcflowlogs/${t.region}/`;
}

const accessDenied = (): VpcflowError => new VpcflowError('AccessDenied', 'Access Denied', 403);
const noSuchBucket = (bucket: string): VpcflowError => new VpcflowError('NoSuchBucket', `The specified bucket does not exist: ${bucket}`, 404);

export class BucketRegistry {
  private readonly maxBuckets: number;
  private readonly now: () => number;

  constructor(private readonly db: Database, options: BucketRegistryOptions = {}) {
    this.maxBuckets = options.maxBucketsPerAccount ?? DEFAULT_MAX_BUCKETS_PER_ACCOUNT;
    if (!Number.isInteger(this.maxBuckets) || this.maxBuckets < 1) throw new RangeError('maxBucketsPerAccount must be a positive integer');
    this.now = options.now ?? Date.now;
  }

  /**
   * Lets `t.account` deliver to `t.bucket`, or throws a BucketRefusedError: an unowned bucket
   * becomes the account's (within its bucket limit), its own bucket is fine, another account's
   * needs a grant covering deliveryRoot(t). Run it in the transaction that stores the flow log, so
   * the claim and the flow log commit together; without `tx` it runs in a transaction of its own.
   * Returns how the delivery is allowed.
   */
  async claimOrCheck(tx: RegistryTx | undefined, t: BucketTarget): Promise<'claimed' | 'owner' | 'granted'> {
    if (!tx) return this.db.transaction((own) => this.claimOrCheck(own, t));
    checkBucketName(t.bucket);
    const owner = await ownerOf(tx, t.bucket);
    if (owner === undefined) {
      await this.claim(tx, t.account, t.bucket);
      return 'claimed';
    }
    if (owner === t.account) return 'owner';
    const granted = await tx.all(
      'SELECT 1 AS ok FROM archive_bucket_grants WHERE bucket = $1 AND grantee_account = $2 AND (region IS NULL OR region = $3) AND starts_with($4, prefix) LIMIT 1',
      [t.bucket, t.account, t.region, deliveryRoot(t)],
    );
    if (granted.length) return 'granted';
    throw new BucketAccessDeniedError(t.bucket);
  }

  /** claimOrCheck for a flow log; CloudWatch Logs flow logs pass untouched. */
  async checkFlowLog(tx: RegistryTx | undefined, fl: FlowLog): Promise<void> {
    const t = bucketTargetOf(fl);
    if (t) await this.claimOrCheck(tx, t);
  }

  /** Replaces the bucket's policy (its owner only; an unowned bucket becomes the caller's). */
  async putBucketPolicy(account: string, bucket: string, policy: unknown): Promise<void> {
    checkBucketName(bucket);
    const grants = parseBucketPolicy(bucket, policy);
    const text = policy as string;
    await this.db.transaction(async (tx) => {
      const owner = await ownerOf(tx, bucket);
      if (owner === undefined) await this.claim(tx, account, bucket);
      else if (owner !== account) throw accessDenied();
      await tx.run('UPDATE archive_buckets SET policy = $2 WHERE bucket = $1', [bucket, text]);
      await tx.run('DELETE FROM archive_bucket_grants WHERE bucket = $1', [bucket]);
      const at = BigInt(this.now());
      for (const g of grants) {
        await tx.run('INSERT INTO archive_bucket_grants VALUES ($1, $2, $3, $4, $5)', [bucket, g.grantee, g.keyPrefix, g.region, at]);
      }
    });
  }

  /** The policy as it was put (its owner only). */
  async getBucketPolicy(account: string, bucket: string): Promise<string> {
    checkBucketName(bucket);
    const rows = await this.db.read('SELECT owner_account, policy FROM archive_buckets WHERE bucket = $1', [bucket]);
    if (!rows.length) throw noSuchBucket(bucket);
    if (String(rows[0]!.owner_account) !== account) throw accessDenied();
    if (rows[0]!.policy === null || rows[0]!.policy === undefined) throw new VpcflowError('NoSuchBucketPolicy', 'The bucket policy does not exist', 404);
    return String(rows[0]!.policy);
  }

  /** Removes the policy and with it every grant (its owner only); flow logs of other accounts are refused from then on. */
  async deleteBucketPolicy(account: string, bucket: string): Promise<void> {
    checkBucketName(bucket);
    await this.db.transaction(async (tx) => {
      const owner = await ownerOf(tx, bucket);
      if (owner === undefined) throw noSuchBucket(bucket);
      if (owner !== account) throw accessDenied();
      await tx.run('UPDATE archive_buckets SET policy = NULL WHERE bucket = $1', [bucket]);
      await tx.run('DELETE FROM archive_bucket_grants WHERE bucket = $1', [bucket]);
    });
  }

  /** The buckets the account owns, by name. */
  async listBuckets(account: string): Promise<BucketInfo[]> {
    // Bounded by the per-account limit, except for buckets a migration gave an account beyond it.
    const rows = await this.db.read('SELECT bucket, created_at FROM archive_buckets WHERE owner_account = $1 ORDER BY bucket LIMIT 10000', [account]);
    return rows.map((r) => ({ name: String(r.bucket), creationTime: Number(r.created_at) }));
  }

  private async claim(tx: RegistryTx, account: string, bucket: string): Promise<void> {
    const owned = await tx.all('SELECT count(*)::INTEGER AS n FROM archive_buckets WHERE owner_account = $1', [account]);
    if (Number(owned[0]?.n ?? 0) >= this.maxBuckets) throw new TooManyBucketsError(account, this.maxBuckets, bucket);
    await tx.run('INSERT INTO archive_buckets VALUES ($1, $2, $3, NULL)', [bucket, account, BigInt(this.now())]);
  }
}

async function ownerOf(tx: RegistryTx, bucket: string): Promise<string | undefined> {
  const rows = await tx.all('SELECT owner_account FROM archive_buckets WHERE bucket = $1', [bucket]);
  return rows.length ? String(rows[0]!.owner_account) : undefined;
}

function checkBucketName(bucket: string): void {
  const problem = typeof bucket === 'string' ? bucketNameProblem(bucket) : 'must be a string';
  if (problem) throw new VpcflowError('InvalidBucketName', `The specified bucket is not valid: ${JSON.stringify(bucket)} ${problem}`, 400);
}
