// The contract every object store (local directory or S3) fulfils, plus the path and bucket-name
// rules they share. An object is addressed by one string, `BUCKET/KEY` — the same shape as AWS's
// documented full keys (`my-flow-log-bucket/AWSLogs/...`) — so callers never juggle two arguments.

export interface StoredObject {
  /** `BUCKET/KEY`, in the same form `put` takes. */
  readonly key: string;
  readonly size: number;
}

export interface ObjectStore {
  /** Stores the whole body under `BUCKET/KEY`, replacing any existing object. */
  put(key: string, body: Uint8Array, contentType?: string): Promise<void>;
  get(key: string): Promise<Uint8Array>;
  /** Every object whose `BUCKET/KEY` starts with `prefix` (which must at least name the bucket), sorted by key. */
  list(prefix: string): Promise<StoredObject[]>;
  bucketExists(bucket: string): Promise<boolean>;
  /** Human-readable location, for logs and error messages. */
  describe(): string;
}

export type ObjectStoreOperation = 'put' | 'get' | 'list' | 'bucketExists';

/** Why an operation failed, in S3's vocabulary where one exists. */
export type ObjectStoreFailure = 'InvalidKey' | 'InvalidBucketName' | 'NoSuchBucket' | 'NoSuchKey' | 'IOError';

export class ObjectStoreError extends Error {
  override readonly name = 'ObjectStoreError';
  constructor(
    readonly operation: ObjectStoreOperation,
    readonly failure: ObjectStoreFailure,
    readonly bucket: string,
    readonly key: string,
    readonly store: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${operation} ${bucket}/${key} on ${store} failed (${failure}): ${detail}`, options);
  }
}

/** S3's key limit; the local store enforces it too so both behave alike. */
export const MAX_KEY_BYTES = 1024;

/**
 * Returns why `bucket` is not a valid S3 general-purpose bucket name, or null when it is.
 * Rules from the S3 naming documentation: 3–63 characters of [a-z0-9.-], starting and ending with a
 * letter or digit, no `..`, not an IPv4 address, and none of the reserved prefixes/suffixes.
 */
export function bucketNameProblem(bucket: string): string | null {
  if (bucket.length < 3 || bucket.length > 63) return 'must be 3 to 63 characters long';
  if (!/^[a-z0-9.-]+$/.test(bucket)) return 'may contain only lowercase letters, digits, dots and hyphens';
  if (!/^[a-z0-9]/.test(bucket) || !/[a-z0-9]$/.test(bucket)) return 'must begin and end with a letter or digit';
  if (bucket.includes('..')) return 'must not contain two adjacent dots';
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(bucket)) return 'must not be formatted as an IP address';
  for (const reserved of ['xn--', 'sthree-', 'amzn-s3-demo-']) {
    if (bucket.startsWith(reserved)) return `must not start with the reserved prefix "${reserved}"`;
  }
  for (const reserved of ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3']) {
    if (bucket.endsWith(reserved)) return `must not end with the reserved suffix "${reserved}"`;
  }
  return null;
}

/**
 * Returns why `key` is unsafe as an object key, or null. Stricter than S3 on purpose: the local store
 * maps keys to file paths, so anything that could leave the bucket directory or alias another key
 * (`..`, `.`, empty segments, absolute paths, backslashes, NUL) is refused by every store.
 */
export function objectKeyProblem(key: string): string | null {
  if (key.length === 0) return 'key is empty';
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return `key is longer than ${MAX_KEY_BYTES} bytes`;
  if (key.includes('\0')) return 'key contains a NUL character';
  if (key.includes('\\')) return 'key contains a backslash';
  if (key.startsWith('/')) return 'key starts with "/"';
  if (key.endsWith('/')) return 'key ends with "/"';
  for (const segment of key.split('/')) {
    if (segment === '') return 'key contains an empty path segment ("//")';
    if (segment === '.' || segment === '..') return `key contains a "${segment}" segment`;
  }
  return null;
}

export interface ObjectPath {
  readonly bucket: string;
  readonly key: string;
}

/** Splits `BUCKET/KEY` at the first slash; validation is left to the caller. */
export function splitObjectPath(path: string): ObjectPath {
  const slash = path.indexOf('/');
  return slash < 0 ? { bucket: path, key: '' } : { bucket: path.slice(0, slash), key: path.slice(slash + 1) };
}

/**
 * Splits and validates `BUCKET/KEY` for an object operation, throwing ObjectStoreError on bad input.
 */
export function parseObjectPath(path: string, operation: ObjectStoreOperation, store: string): ObjectPath {
  const { bucket, key } = splitObjectPath(path);
  const bucketProblem = bucketNameProblem(bucket);
  if (bucketProblem) throw new ObjectStoreError(operation, 'InvalidBucketName', bucket, key, store, bucketProblem);
  const keyProblem = objectKeyProblem(key);
  if (keyProblem) throw new ObjectStoreError(operation, 'InvalidKey', bucket, key, store, keyProblem);
  return { bucket, key };
}

/**
 * Splits and validates a listing prefix: `BUCKET`, `BUCKET/` or `BUCKET/partial/key`. The key part may
 * end with "/" or be partial, but must not contain anything `objectKeyProblem` refuses.
 */
export function parseListPrefix(prefix: string, store: string): ObjectPath {
  const { bucket, key } = splitObjectPath(prefix);
  const bucketProblem = bucketNameProblem(bucket);
  if (bucketProblem) throw new ObjectStoreError('list', 'InvalidBucketName', bucket, key, store, bucketProblem);
  if (key !== '') {
    // A trailing slash is fine in a prefix; check the rest as if it were a key.
    const keyProblem = objectKeyProblem(key.endsWith('/') ? key.slice(0, -1) : key);
    if (keyProblem) throw new ObjectStoreError('list', 'InvalidKey', bucket, key, store, keyProblem);
  }
  return { bucket, key };
}
