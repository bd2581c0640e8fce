// An ObjectStore on a local directory: `BUCKET/KEY` lives at `rootDir/BUCKET/KEY`. Writes go to a
// hidden temp file beside the target, are fsynced and then renamed, so a reader sees either the
// whole object or none of it, even after a crash. No key reaches outside its bucket's folder: keys
// are validated, and a symbolic link inside a bucket is never followed.

import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readdir, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import {
  type ObjectStore,
  ObjectStoreError,
  type ObjectStoreOperation,
  type StoredObject,
  bucketNameProblem,
  parseListPrefix,
  parseObjectPath,
} from './object-store.ts';

/** Temp files carry this marker; keys containing it are refused and listings skip such files. */
export const TEMP_MARKER = '.vpcflow-tmp-';
/** Each key segment becomes a file or directory name; Linux file systems take at most 255 bytes. */
export const MAX_SEGMENT_BYTES = 255;

export interface LocalObjectStoreOptions {
  /** Create a bucket directory on first put instead of failing with NoSuchBucket (S3 behaviour). */
  readonly createMissingBuckets?: boolean;
}

export class LocalObjectStore implements ObjectStore {
  readonly rootDir: string;
  private readonly createMissingBuckets: boolean;

  constructor(rootDir: string, options: LocalObjectStoreOptions = {}) {
    this.rootDir = path.resolve(rootDir);
    this.createMissingBuckets = options.createMissingBuckets ?? false;
  }

  describe(): string {
    return `local:${this.rootDir}`;
  }

  /** Creates the bucket directory (and rootDir) if missing. */
  async createBucket(bucket: string): Promise<void> {
    const problem = bucketNameProblem(bucket);
    if (problem) throw new ObjectStoreError('put', 'InvalidBucketName', bucket, '', this.describe(), problem);
    await mkdir(path.join(this.rootDir, bucket), { recursive: true });
  }

  async bucketExists(bucket: string): Promise<boolean> {
    const problem = bucketNameProblem(bucket);
    if (problem) throw new ObjectStoreError('bucketExists', 'InvalidBucketName', bucket, '', this.describe(), problem);
    return isDirectory(path.join(this.rootDir, bucket));
  }

  /** Local files keep no metadata, so the content type is accepted and dropped. */
  async put(objectPath: string, body: Uint8Array, _contentType?: string): Promise<void> {
    const { bucket, key } = this.parse(objectPath, 'put');
    const bucketDir = path.join(this.rootDir, bucket);
    const target = this.resolveInside(bucketDir, key, 'put', bucket);
    const fail = (failure: 'NoSuchBucket' | 'IOError', detail: string, cause?: unknown) =>
      new ObjectStoreError('put', failure, bucket, key, this.describe(), detail, { cause });

    if (!(await isDirectory(bucketDir))) {
      if (!this.createMissingBuckets) throw fail('NoSuchBucket', `bucket directory ${bucketDir} does not exist`);
      await mkdir(bucketDir, { recursive: true }).catch((e: unknown) => {
        throw fail('IOError', `cannot create bucket directory: ${errorText(e)}`, e);
      });
    }

    const dir = path.dirname(target);
    await this.makeFoldersInside(bucketDir, key, bucket);

    const temp = path.join(dir, `${TEMP_MARKER}${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      const handle = await open(temp, 'wx', 0o644);
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
    } catch (e) {
      await unlink(temp).catch(() => undefined);
      throw fail('IOError', errorText(e), e);
    }
    await syncDirectory(dir);
  }

  async get(objectPath: string): Promise<Uint8Array> {
    const { bucket, key } = this.parse(objectPath, 'get');
    const bucketDir = path.join(this.rootDir, bucket);
    const target = this.resolveInside(bucketDir, key, 'get', bucket);
    try {
      await this.checkRealPathInside(bucketDir, target, 'get', bucket, key);
      return new Uint8Array(await readFile(target));
    } catch (e) {
      const code = errorCode(e);
      if (e instanceof ObjectStoreError) throw e;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') {
        const bucketMissing = !(await isDirectory(bucketDir));
        throw new ObjectStoreError('get', bucketMissing ? 'NoSuchBucket' : 'NoSuchKey', bucket, key, this.describe(),
          bucketMissing ? 'bucket does not exist' : 'no such object', { cause: e });
      }
      throw new ObjectStoreError('get', 'IOError', bucket, key, this.describe(), errorText(e), { cause: e });
    }
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const { bucket, key: keyPrefix } = parseListPrefix(prefix, this.describe());
    const bucketDir = path.join(this.rootDir, bucket);
    if (!(await isDirectory(bucketDir))) {
      throw new ObjectStoreError('list', 'NoSuchBucket', bucket, keyPrefix, this.describe(), 'bucket does not exist');
    }
    // Only the directory named by the prefix's complete segments can hold matches; start there.
    const lastSlash = keyPrefix.lastIndexOf('/');
    const startRel = lastSlash < 0 ? '' : keyPrefix.slice(0, lastSlash);
    const found: StoredObject[] = [];
    try {
      // walk() never follows links it meets; only the start folder's path could run through one.
      if (startRel) await this.checkRealPathInside(bucketDir, path.join(bucketDir, ...startRel.split('/')), 'list', bucket, keyPrefix);
      await walk(bucketDir, startRel, async (relKey, size) => {
        if (relKey.startsWith(keyPrefix)) found.push({ key: `${bucket}/${relKey}`, size });
      });
    } catch (e) {
      if (e instanceof ObjectStoreError) throw e;
      if (errorCode(e) === 'ENOENT' || errorCode(e) === 'ENOTDIR') return [];
      throw new ObjectStoreError('list', 'IOError', bucket, keyPrefix, this.describe(), errorText(e), { cause: e });
    }
    // S3 orders keys by their UTF-8 bytes.
    return found.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  }

  private parse(objectPath: string, operation: ObjectStoreOperation) {
    const parsed = parseObjectPath(objectPath, operation, this.describe());
    if (parsed.key.includes(TEMP_MARKER)) {
      throw new ObjectStoreError(operation, 'InvalidKey', parsed.bucket, parsed.key, this.describe(),
        `key contains the reserved temp-file marker "${TEMP_MARKER}"`);
    }
    const segments = parsed.key.split('/');
    const long = segments.findIndex((s) => Buffer.byteLength(s, 'utf8') > MAX_SEGMENT_BYTES);
    if (long >= 0) {
      throw new ObjectStoreError(operation, 'InvalidKey', parsed.bucket, parsed.key, this.describe(),
        `key segment ${long + 1} is ${Buffer.byteLength(segments[long]!, 'utf8')} bytes; a local file name holds at most ${MAX_SEGMENT_BYTES}`);
    }
    return parsed;
  }

  /**
   * Creates the key's folders one at a time below the bucket folder, refusing to pass through a
   * symbolic link (which could point anywhere): nothing is created outside the bucket.
   */
  private async makeFoldersInside(bucketDir: string, key: string, bucket: string): Promise<void> {
    const fail = (failure: 'InvalidKey' | 'IOError', detail: string, cause?: unknown) =>
      new ObjectStoreError('put', failure, bucket, key, this.describe(), detail, { cause });
    let current = bucketDir;
    // Bounded by the key: at most 512 segments in 1024 bytes.
    for (const segment of key.split('/').slice(0, -1)) {
      current = path.join(current, segment);
      let info;
      try {
        info = await lstat(current);
      } catch (e) {
        if (errorCode(e) !== 'ENOENT') throw fail('IOError', `cannot inspect ${current}: ${errorText(e)}`, e);
        try {
          await mkdir(current);
          continue;
        } catch (made) {
          if (errorCode(made) !== 'EEXIST') throw fail('IOError', `cannot create directory ${current}: ${errorText(made)}`, made);
          info = await lstat(current).catch((again: unknown) => {
            throw fail('IOError', `cannot inspect ${current}: ${errorText(again)}`, again);
          });
        }
      }
      if (info.isSymbolicLink()) throw fail('InvalidKey', `key passes through the symbolic link ${current}, which could lead outside the bucket`);
      if (!info.isDirectory()) throw fail('IOError', `cannot create directory ${path.dirname(path.join(bucketDir, ...key.split('/')))}: ${current} is not a directory`);
    }
  }

  /** After the bucket folder (which may itself be a link the operator made), the real path must stay inside it. */
  private async checkRealPathInside(bucketDir: string, target: string, operation: ObjectStoreOperation, bucket: string, key: string): Promise<void> {
    const [realBucket, realTarget] = await Promise.all([realpath(bucketDir), realpath(target)]);
    if (!realTarget.startsWith(realBucket + path.sep)) {
      throw new ObjectStoreError(operation, 'InvalidKey', bucket, key, this.describe(), 'key resolves through a symbolic link to outside the bucket');
    }
  }

  /** Belt and braces after key validation: the resolved path must stay under the bucket directory. */
  private resolveInside(bucketDir: string, key: string, operation: ObjectStoreOperation, bucket: string): string {
    const target = path.resolve(bucketDir, ...key.split('/'));
    if (!target.startsWith(bucketDir + path.sep)) {
      throw new ObjectStoreError(operation, 'InvalidKey', bucket, key, this.describe(), 'key resolves outside the bucket');
    }
    return target;
  }
}

async function walk(
  bucketDir: string,
  relDir: string,
  visit: (relKey: string, size: number) => Promise<void>,
): Promise<void> {
  let entries;
  try {
    entries = await readdir(path.join(bucketDir, ...(relDir ? relDir.split('/') : [])), { withFileTypes: true });
  } catch (e) {
    if (errorCode(e) === 'ENOENT' || errorCode(e) === 'ENOTDIR') return;
    throw e;
  }
  for (const entry of entries) {
    if (entry.name.startsWith(TEMP_MARKER)) continue;
    const relKey = relDir ? `${relDir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      await walk(bucketDir, relKey, visit);
    } else if (entry.isFile()) {
      const info = await stat(path.join(bucketDir, ...relKey.split('/')));
      await visit(relKey, info.size);
    }
  }
}

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

/** Makes the rename itself durable; some filesystems refuse to fsync a directory, which is harmless. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort
  }
}

function errorCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
