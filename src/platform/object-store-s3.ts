// An ObjectStore backed by any S3-compatible endpoint through @aws-sdk/client-s3. Bodies are sent as
// Buffers with an explicit length and checksums only when required: streamed or aws-chunked bodies
// are stored corrupted by some S3 emulators (see toolbox §3).

import {
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import {
  type ObjectStore,
  ObjectStoreError,
  type ObjectStoreFailure,
  type ObjectStoreOperation,
  type StoredObject,
  bucketNameProblem,
  parseListPrefix,
  parseObjectPath,
} from './object-store.ts';

export interface S3ObjectStoreOptions {
  /** e.g. `http://127.0.0.1:4569`; omit to use AWS's regional endpoint. */
  readonly endpoint?: string;
  readonly region: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  /** Path-style URLs (`endpoint/bucket/key`); needed by most local S3 servers. */
  readonly forcePathStyle?: boolean;
  /** Total tries per request, including the first (SDK default 3). */
  readonly maxAttempts?: number;
  /** Keys per ListObjectsV2 page (S3's default and maximum is 1000). */
  readonly listPageSize?: number;
}

export class S3ObjectStore implements ObjectStore {
  private readonly client: S3Client;
  private readonly label: string;
  private readonly listPageSize: number | undefined;

  constructor(options: S3ObjectStoreOptions) {
    this.listPageSize = options.listPageSize;
    this.client = new S3Client({
      region: options.region,
      ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
      ...(options.credentials !== undefined && { credentials: options.credentials }),
      forcePathStyle: options.forcePathStyle ?? false,
      ...(options.maxAttempts !== undefined && { maxAttempts: options.maxAttempts }),
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    this.label = `s3:${options.endpoint ?? `aws/${options.region}`}`;
  }

  describe(): string {
    return this.label;
  }

  /** Releases the HTTP connections; the store is unusable afterwards. */
  close(): void {
    this.client.destroy();
  }

  async bucketExists(bucket: string): Promise<boolean> {
    const problem = bucketNameProblem(bucket);
    if (problem) throw new ObjectStoreError('bucketExists', 'InvalidBucketName', bucket, '', this.label, problem);
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: bucket }));
      return true;
    } catch (e) {
      // HeadBucket has no body, so a missing bucket shows up only as a 404 status.
      if (httpStatus(e) === 404 || s3ErrorName(e) === 'NotFound' || s3ErrorName(e) === 'NoSuchBucket') return false;
      throw this.wrap('bucketExists', bucket, '', e);
    }
  }

  async put(objectPath: string, body: Uint8Array, contentType?: string): Promise<void> {
    const { bucket, key } = parseObjectPath(objectPath, 'put', this.label);
    const buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    try {
      await this.client.send(new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: buffer,
        ContentLength: buffer.byteLength,
        ...(contentType !== undefined && { ContentType: contentType }),
      }));
    } catch (e) {
      throw this.wrap('put', bucket, key, e);
    }
  }

  async get(objectPath: string): Promise<Uint8Array> {
    const { bucket, key } = parseObjectPath(objectPath, 'get', this.label);
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!response.Body) throw new Error('response has no body');
      return await response.Body.transformToByteArray();
    } catch (e) {
      throw this.wrap('get', bucket, key, e);
    }
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const { bucket, key: keyPrefix } = parseListPrefix(prefix, this.label);
    const found: StoredObject[] = [];
    let continuationToken: string | undefined;
    try {
      do {
        const page = await this.client.send(new ListObjectsV2Command({
          Bucket: bucket,
          ...(keyPrefix !== '' && { Prefix: keyPrefix }),
          ...(this.listPageSize !== undefined && { MaxKeys: this.listPageSize }),
          ...(continuationToken !== undefined && { ContinuationToken: continuationToken }),
        }));
        for (const item of page.Contents ?? []) {
          if (item.Key !== undefined) found.push({ key: `${bucket}/${item.Key}`, size: item.Size ?? 0 });
        }
        continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (continuationToken !== undefined);
    } catch (e) {
      throw this.wrap('list', bucket, keyPrefix, e);
    }
    return found;
  }

  private wrap(operation: ObjectStoreOperation, bucket: string, key: string, e: unknown): ObjectStoreError {
    const name = s3ErrorName(e);
    const failure: ObjectStoreFailure =
      name === 'NoSuchBucket' || name === 'NoSuchKey' ? name : 'IOError';
    const detail = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return new ObjectStoreError(operation, failure, bucket, key, this.label, detail, { cause: e });
  }
}

function s3ErrorName(e: unknown): string | undefined {
  return e instanceof S3ServiceException ? e.name : undefined;
}

function httpStatus(e: unknown): number | undefined {
  return e instanceof S3ServiceException ? e.$metadata.httpStatusCode : undefined;
}
