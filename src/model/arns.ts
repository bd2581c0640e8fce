// The ARNs a flow log names: its CloudWatch Logs group, its S3 bucket (with optional folder) and
// the IAM role for delivery. Each parser returns the parts or a reason the text is refused.

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const fail = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

const LOG_GROUP_NAME = /^[A-Za-z0-9_\-/.#]{1,512}$/;

/** CloudWatch Logs group names: 1–512 of letters, digits, `_ - / . #`. */
export function logGroupNameProblem(name: string): string | undefined {
  return LOG_GROUP_NAME.test(name) ? undefined : `log group name '${name}' must be 1 to 512 characters of letters, digits and _ - / . #`;
}

export function logGroupArn(partition: string, region: string, account: string, name: string): string {
  return `arn:${partition}:logs:${region}:${account}:log-group:${name}`;
}

export interface LogGroupArnParts {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly logGroupName: string;
}

/** `arn:aws:logs:REGION:ACCOUNT:log-group:NAME`, optionally ending in `:*` as IAM policies write it. */
export function parseLogGroupArn(arn: string): Parsed<LogGroupArnParts> {
  const m = /^arn:(aws(?:-[a-z]+)*):logs:([a-z0-9-]+):([0-9]{12}):log-group:(.+?)(?::\*)?$/.exec(arn);
  if (!m) return fail(`'${arn}' is not a log group ARN (arn:aws:logs:region:account-id:log-group:name)`);
  const problem = logGroupNameProblem(m[4]!);
  if (problem) return fail(problem);
  return { ok: true, value: { partition: m[1]!, region: m[2]!, account: m[3]!, logGroupName: m[4]! } };
}

/** Why `bucket` is not a valid general purpose S3 bucket name, or undefined. */
export function bucketNameProblem(bucket: string): string | undefined {
  if (bucket.length < 3 || bucket.length > 63) return 'must be 3 to 63 characters long';
  if (!/^[a-z0-9.-]+$/.test(bucket)) return 'may contain only lowercase letters, digits, dots and hyphens';
  if (!/^[a-z0-9]/.test(bucket) || !/[a-z0-9]$/.test(bucket)) return 'must begin and end with a letter or digit';
  if (/\.\.|\.-|-\./.test(bucket)) return 'may not contain two adjacent periods, or a period next to a hyphen';
  if (/^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/.test(bucket)) return 'may not be formatted as an IP address';
  for (const p of ['xn--', 'sthree-']) if (bucket.startsWith(p)) return `may not start with the reserved prefix ${p}`;
  for (const s of ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3']) if (bucket.endsWith(s)) return `may not end with the reserved suffix ${s}`;
  return undefined;
}

export interface S3ArnParts {
  readonly partition: string;
  readonly bucket: string;
  /** '' or `folder/sub/` (slashes normalized). */
  readonly prefix: string;
}

/** `arn:aws:s3:::bucket` or `arn:aws:s3:::bucket/folder/…`; `AWSLogs` may not be a folder name (AWS adds it itself). */
export function parseS3Arn(arn: string): Parsed<S3ArnParts> {
  const m = /^arn:(aws(?:-[a-z]+)*):s3:::([^/]*)(?:\/(.*))?$/.exec(arn);
  if (!m) return fail(`'${arn}' is not an S3 bucket ARN (arn:aws:s3:::bucket or arn:aws:s3:::bucket/folder/)`);
  const bucket = m[2]!;
  const problem = bucketNameProblem(bucket);
  if (problem) return fail(`bucket name '${bucket}' ${problem}`);
  const rawPrefix = m[3] ?? '';
  if (rawPrefix.includes('\0') || rawPrefix.includes('\\')) return fail('the folder may not contain NUL or backslash characters');
  const segments = rawPrefix.split('/').filter((s) => s !== '');
  for (const s of segments) {
    if (s === 'AWSLogs') return fail('AWSLogs is reserved and cannot be used as a folder name in LogDestination');
    if (s === '.' || s === '..') return fail(`the folder may not contain a '${s}' segment`);
  }
  const prefix = segments.length ? segments.join('/') + '/' : '';
  if (prefix.length > 512) return fail('the folder is longer than 512 characters');
  return { ok: true, value: { partition: m[1]!, bucket, prefix } };
}

/** `arn:aws:iam::ACCOUNT:role/[path/]name`. */
export function roleArnProblem(arn: string): string | undefined {
  return /^arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:role\/(?:[\x21-\x7e]{1,510}\/)?[\w+=,.@-]{1,64}$/.test(arn)
    ? undefined
    : `'${arn}' is not an IAM role ARN (arn:aws:iam::account-id:role/name)`;
}
