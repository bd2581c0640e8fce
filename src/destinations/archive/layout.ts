// Where AWS puts flow log files in S3: destination ARNs, folder layouts (plain, Hive, per-hour),
// file names and the 5-minute file period. Pure functions; spec §3.1–3.2.

import { createHash } from 'node:crypto';
import { bucketNameProblem } from '../../platform/object-store.ts';

export type FileFormat = 'plain-text' | 'parquet';

export const FILE_PERIOD_MS = 5 * 60 * 1000;

export class ArchiveLayoutError extends Error {
  override readonly name = 'ArchiveLayoutError';
  constructor(
    /** What was being interpreted, e.g. 'LogDestination', 'prefix', 'fileTime'. */
    readonly subject: string,
    readonly value: string,
    readonly reason: string,
  ) {
    super(`invalid ${subject} ${JSON.stringify(value)}: ${reason}`);
  }
}

export interface S3Destination {
  readonly bucket: string;
  /** '' or a normalised folder path ending in '/'. */
  readonly prefix: string;
}

/**
 * Parses an S3 LogDestination ARN, `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/optional/prefix/`,
 * in any AWS partition (aws, aws-cn, aws-us-gov, ...).
 */
export function parseS3DestinationArn(arn: string): S3Destination {
  const match = /^arn:(aws(?:-[a-z]+)*):s3:::(.*)$/.exec(arn);
  if (!match) throw new ArchiveLayoutError('LogDestination', arn, 'expected arn:aws:s3:::bucket[/prefix/]');
  const rest = match[2] ?? '';
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const problem = bucketNameProblem(bucket);
  if (problem) throw new ArchiveLayoutError('LogDestination', arn, `bucket name "${bucket}" ${problem}`);
  let prefix: string;
  try {
    prefix = normalizePrefix(slash < 0 ? '' : rest.slice(slash + 1));
  } catch (e) {
    if (e instanceof ArchiveLayoutError) throw new ArchiveLayoutError('LogDestination', arn, e.reason);
    throw e;
  }
  return { bucket, prefix };
}

/**
 * Normalises an optional folder prefix to '' or `a/b/`: leading, trailing and repeated slashes are
 * collapsed. Refuses `.`/`..` segments, NUL, backslashes and the reserved folder name `AWSLogs`.
 */
export function normalizePrefix(prefix: string | undefined): string {
  if (prefix === undefined) return '';
  if (prefix.includes('\0')) throw new ArchiveLayoutError('prefix', prefix, 'contains a NUL character');
  if (prefix.includes('\\')) throw new ArchiveLayoutError('prefix', prefix, 'contains a backslash');
  const segments = prefix.split('/').filter((s) => s !== '');
  for (const segment of segments) {
    if (segment === '.' || segment === '..') throw new ArchiveLayoutError('prefix', prefix, `contains a "${segment}" segment`);
    if (segment === 'AWSLogs') throw new ArchiveLayoutError('prefix', prefix, 'AWSLogs is reserved and cannot be used as a folder name');
  }
  return segments.length === 0 ? '' : segments.join('/') + '/';
}

/** The file period (epoch ms) a record belongs to: its `end` (Unix seconds) floored to 5 minutes. */
export function fileTimeOf(endSec: number): number {
  if (!Number.isFinite(endSec) || endSec < 0) throw new ArchiveLayoutError('end', String(endSec), 'must be a non-negative number of seconds');
  return Math.floor((endSec * 1000) / FILE_PERIOD_MS) * FILE_PERIOD_MS;
}

/** Floors any time (epoch ms or Date) to the start of its 5-minute file period, in epoch ms. */
export function filePeriodStart(fileTime: number | Date): number {
  const ms = fileTime instanceof Date ? fileTime.getTime() : fileTime;
  // Year 10000 would need a 5-digit year in the key; AWS's layout has room for four.
  if (!Number.isFinite(ms) || ms < 0 || ms >= Date.UTC(10000, 0, 1)) {
    throw new ArchiveLayoutError('fileTime', String(ms), 'must be epoch milliseconds between 1970 and 9999');
  }
  return Math.floor(ms / FILE_PERIOD_MS) * FILE_PERIOD_MS;
}

/**
 * The file-name hash: 8 lowercase hex characters. AWS does not document how it derives its hash, so
 * ours is a digest of (flow log, file period, sequence, part): a retried delivery of the same batch
 * writes the same key (no duplicates), while different batches or parts of one period get different
 * names.
 */
export function fileHash(input: { flowLogId: string; fileTime: number | Date; sequence?: number; part?: number }): string {
  const period = filePeriodStart(input.fileTime);
  const text = `${input.flowLogId}\n${period}\n${input.sequence ?? 0}\n${input.part ?? 0}`;
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

export interface ObjectKeyInput {
  readonly bucket: string;
  readonly prefix?: string;
  readonly accountId: string;
  readonly region: string;
  readonly flowLogId: string;
  /** Any time inside the file's 5-minute period (epoch ms or Date); the key uses the period start. */
  readonly fileTime: number | Date;
  readonly hiveCompatiblePartitions: boolean;
  readonly perHourPartition: boolean;
  readonly fileFormat: FileFormat;
  /** 8 lowercase hex characters, usually from fileHash(). */
  readonly hash: string;
}

interface UtcParts { yyyy: string; mm: string; dd: string; hh: string; min: string }

function utcParts(ms: number): UtcParts {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return {
    yyyy: String(d.getUTCFullYear()).padStart(4, '0'),
    mm: two(d.getUTCMonth() + 1),
    dd: two(d.getUTCDate()),
    hh: two(d.getUTCHours()),
    min: two(d.getUTCMinutes()),
  };
}

/** The folder under the bucket, without the bucket: `[prefix]AWSLogs/.../dd/[HH/]`. */
export function objectFolder(input: Omit<ObjectKeyInput, 'bucket' | 'flowLogId' | 'fileFormat' | 'hash'>): string {
  checkPathPart('accountId', input.accountId);
  checkPathPart('region', input.region);
  const t = utcParts(filePeriodStart(input.fileTime));
  const prefix = normalizePrefix(input.prefix);
  if (input.hiveCompatiblePartitions) {
    return `${prefix}AWSLogs/aws-account-id=${input.accountId}/aws-service=vpcflowlogs/aws-region=${input.region}/` +
      `year=${t.yyyy}/month=${t.mm}/day=${t.dd}/` + (input.perHourPartition ? `hour=${t.hh}/` : '');
  }
  return `${prefix}AWSLogs/${input.accountId}/vpcflowlogs/${input.region}/${t.yyyy}/${t.mm}/${t.dd}/` +
    (input.perHourPartition ? `${t.hh}/` : '');
}

/** `{account}_vpcflowlogs_{region}_{flowLogId}_{YYYYMMDDTHHmmZ}_{hash}.log.gz` (or `.log.parquet`). */
export function fileName(input: Pick<ObjectKeyInput, 'accountId' | 'region' | 'flowLogId' | 'fileTime' | 'fileFormat' | 'hash'>): string {
  checkPathPart('accountId', input.accountId);
  checkPathPart('region', input.region);
  checkPathPart('flowLogId', input.flowLogId);
  if (!/^[0-9a-f]{8}$/.test(input.hash)) throw new ArchiveLayoutError('hash', input.hash, 'must be 8 lowercase hex characters');
  const t = utcParts(filePeriodStart(input.fileTime));
  const extension = input.fileFormat === 'parquet' ? 'log.parquet' : 'log.gz';
  return `${input.accountId}_vpcflowlogs_${input.region}_${input.flowLogId}_${t.yyyy}${t.mm}${t.dd}T${t.hh}${t.min}Z_${input.hash}.${extension}`;
}

/** The full object path `bucket/[prefix]AWSLogs/.../{file name}`, as AWS documents it. */
export function objectKey(input: ObjectKeyInput): string {
  const problem = bucketNameProblem(input.bucket);
  if (problem) throw new ArchiveLayoutError('bucket', input.bucket, problem);
  return `${input.bucket}/${objectFolder(input)}${fileName(input)}`;
}

/** Identifiers go into paths verbatim, so they must not carry separators or be empty. */
function checkPathPart(subject: string, value: string): void {
  if (!/^[A-Za-z0-9-]+$/.test(value)) {
    throw new ArchiveLayoutError(subject, value, 'must be non-empty and contain only letters, digits and hyphens');
  }
}
