// Authentication of the native /v1 API with the same SigV4 and access keys as the AWS endpoint.
// An account's key acts for that account only; the operator key (created by the server in
// DATA_DIR/keys/operator.json, readable by root only) acts for any account and may run the
// host-level actions (exec, down, SQL over every account, new access keys). Unsigned requests pass
// only in anonymous mode, which the server announces loudly. Uploads sign their payload too: chunk
// by chunk (S3's STREAMING-AWS4-HMAC-SHA256-PAYLOAD) or whole; UNSIGNED-PAYLOAD is refused, since a
// captured request could then be sent again with another body.

import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Context } from 'hono';
import { VpcflowError, errorMessage } from '../platform/errors.ts';
import { readBounded, requestHead } from './aws/endpoint.ts';
import { AwsProtocolError } from './aws/errors.ts';
import { MAX_CLOCK_SKEW_MS, STREAMING_PAYLOAD, SigV4Error, UNSIGNED_PAYLOAD, authErrorFor, verifySigV4, type KeyLookup } from './aws/sigv4.ts';
import { StreamingPayloadError, verifiedChunks } from './aws/sigv4-streaming.ts';

export interface OperatorKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export type NativeCaller = { readonly kind: 'operator' } | { readonly kind: 'account'; readonly accountId: string };

/** The service name in the credential scope of native API requests. */
export const NATIVE_SIGNING_SERVICE = 'vpcflow';
const OPERATOR_KEY_ID = /^VFOP[A-Z2-7]{16}$/;

export class OperatorKeyError extends VpcflowError {
  constructor(readonly path: string, why: string) {
    super('InternalError', `operator key ${path}: ${why}`, 500);
  }
}

/** A fresh operator key (random id and secret). */
export function newOperatorKey(): OperatorKey {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return {
    accessKeyId: `VFOP${[...randomBytes(16)].map((b) => alphabet[b % 32]).join('')}`,
    secretAccessKey: randomBytes(30).toString('base64'),
  };
}

/** Reads the operator key, creating it (0600, folder 0700) when absent. */
export function loadOrCreateOperatorKey(path: string): OperatorKey {
  if (existsSync(path)) {
    let parsed: { AccessKeyId?: unknown; SecretAccessKey?: unknown };
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8')) as typeof parsed;
    } catch (e) {
      throw new OperatorKeyError(path, `not readable JSON (${errorMessage(e)}); delete it to have a new key made`);
    }
    if (typeof parsed.AccessKeyId !== 'string' || !OPERATOR_KEY_ID.test(parsed.AccessKeyId) || typeof parsed.SecretAccessKey !== 'string' || parsed.SecretAccessKey.length < 40) {
      throw new OperatorKeyError(path, 'expected {"AccessKeyId": "VFOP…", "SecretAccessKey": "…"}; delete it to have a new key made');
    }
    return { accessKeyId: parsed.AccessKeyId, secretAccessKey: parsed.SecretAccessKey };
  }
  const key = newOperatorKey();
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, JSON.stringify({ AccessKeyId: key.accessKeyId, SecretAccessKey: key.secretAccessKey }, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return key;
}

export interface NativeAuthOptions {
  readonly operator: OperatorKey;
  /** The account keys (the AWS endpoint's store); absent: only the operator key is known. */
  readonly lookup?: KeyLookup;
  /** Anonymous mode: unsigned requests act as the operator. */
  readonly anonymous: boolean;
  readonly maxBodyBytes: number;
  readonly now?: () => number;
  /** Told the id of every account key whose signature verified (last-used times). */
  readonly onVerified?: (accessKeyId: string) => void;
  /** Signatures of uploads already received; a replayed upload is refused. */
  readonly uploads?: UploadReplayGuard;
}

export interface NativeAuthResult {
  caller: NativeCaller;
  /** The JSON body text the signature check read (so the handler need not read the stream again). */
  bodyText: string | undefined;
  /** An upload's body, yielding only bytes whose signature verified; absent for anonymous unsigned uploads. */
  upload?: AsyncIterable<Uint8Array>;
}

/** Paths whose body is an upload (a capture, a flow log file): signed chunk by chunk or whole, never buffered whole beyond maxBodyBytes. */
const UPLOADS = new Set(['/v1/vpcflow/Ingest', '/v1/vpcflow/Import']);

/**
 * Uploads whose signature was already seen within the clock-skew window. A signed request stays
 * valid for 15 minutes; for an upload, sending it again would ingest the same capture twice.
 */
export class UploadReplayGuard {
  // signature → when its request date leaves the skew window (epoch ms); kept in arrival order.
  private readonly seen = new Map<string, number>();
  constructor(private readonly max = 100_000) {}

  /** Takes a signature, refusing one already taken; the returned function gives it back (an upload whose body did not verify was not received). */
  claim(signature: string, signedAt: number, now: number): () => void {
    for (const [sig, until] of this.seen) {
      if (until > now) break;
      this.seen.delete(sig);
    }
    if (this.seen.has(signature)) {
      throw new VpcflowError('InvalidSignatureException', 'this upload was already received with the same signature: a signed upload is accepted once (sign it again to send it again)', 403);
    }
    if (this.seen.size >= this.max) {
      throw new VpcflowError('ThrottlingException', `more than ${this.max} uploads in the last ${MAX_CLOCK_SKEW_MS / 60000} minutes; try again later`, 429);
    }
    this.seen.set(signature, Math.max(signedAt, now) + MAX_CLOCK_SKEW_MS);
    return () => {
      this.seen.delete(signature);
    };
  }
}

const signUploadHint = `sign uploads with x-amz-content-sha256: ${STREAMING_PAYLOAD} (aws-chunked, every chunk signed, as the vpcflow CLI does) or with the hex SHA-256 of the whole body`;

/**
 * Verifies a /v1 request and returns who calls, with the JSON body text it read, or for an upload
 * a body that yields only verified bytes. Throws an error the API answers as JSON with AWS's auth codes.
 */
export async function authenticateNative(c: Context, o: NativeAuthOptions): Promise<NativeAuthResult> {
  const head = requestHead(c);
  const isUpload = UPLOADS.has(head.path);
  const signed = c.req.header('authorization') !== undefined;
  if (!signed && o.anonymous) return { caller: { kind: 'operator' }, bodyText: undefined };
  const lookup: KeyLookup = async (id) => (id === o.operator.accessKeyId ? { accountId: '', secret: o.operator.secretAccessKey } : o.lookup?.(id));
  const now = o.now?.() ?? Date.now();
  try {
    const declared = c.req.header('x-amz-content-sha256');
    const streaming = isUpload && declared === STREAMING_PAYLOAD;
    if (signed && isUpload && !streaming && (declared === UNSIGNED_PAYLOAD || declared?.startsWith('STREAMING-'))) {
      throw new SigV4Error('bad-signature', `uploads to ${head.path} must sign their payload; x-amz-content-sha256: ${declared} is refused (a captured request could be sent again with another body): ${signUploadHint}`, NATIVE_SIGNING_SERVICE);
    }
    const body = streaming ? new Uint8Array() : await readBody(c.req.raw, o.maxBodyBytes, isUpload);
    const verified = await verifySigV4({ ...head, body }, lookup, { now, allowStreamingPayload: streaming });
    if (verified.scope.service !== NATIVE_SIGNING_SERVICE) {
      throw new SigV4Error('incomplete', `Credential should be scoped to correct service: '${NATIVE_SIGNING_SERVICE}' (the native /v1 API), not '${verified.scope.service}'.`, verified.scope.service);
    }
    const caller: NativeCaller = verified.accessKeyId === o.operator.accessKeyId ? { kind: 'operator' } : { kind: 'account', accountId: verified.accountId };
    if (caller.kind === 'account') o.onVerified?.(verified.accessKeyId);
    if (!isUpload) return { caller, bodyText: new TextDecoder().decode(body) };
    if (!streaming) {
      o.uploads?.claim(verified.signature, verified.signedAt, now);
      return { caller, bodyText: undefined, upload: (async function* () { yield body; })() };
    }
    const decodedLength = decodedContentLength(c, verified.signedHeaders);
    const release = o.uploads?.claim(verified.signature, verified.signedAt, now);
    const source = (c.req.raw.body ?? (async function* () {})()) as AsyncIterable<Uint8Array>;
    return { caller, bodyText: undefined, upload: releasedOnRefusal(verifiedChunks(source, { chain: verified.chunkChain!, decodedLength }), release) };
  } catch (e) {
    if (!(e instanceof SigV4Error)) throw e;
    const shape = authErrorFor(e, 'logs');
    const hint = e.kind === 'missing'
      ? ' — sign requests with an access key: the vpcflow CLI reads VPCFLOW_ACCESS_KEY_ID/VPCFLOW_SECRET_ACCESS_KEY, or the operator key file named by VPCFLOW_CREDENTIALS (default ./data/keys/operator.json)'
      : '';
    // 403 for a key or signature that does not verify, 400 for a malformed one, 401 for none.
    const status = e.kind === 'missing' ? 401 : e.kind === 'incomplete' ? 400 : 403;
    throw new VpcflowError(shape.code, `${shape.message}${hint}`, status);
  }
}

/** A body that did not verify was not the signed upload: its signature may still come with the right body. */
async function* releasedOnRefusal(body: AsyncIterable<Uint8Array>, release: (() => void) | undefined): AsyncGenerator<Uint8Array> {
  try {
    yield* body;
  } catch (e) {
    if (e instanceof StreamingPayloadError) release?.();
    throw e;
  }
}

/** The body, bounded; for a single-shot upload the refusal says how to send a larger one. */
async function readBody(req: Request, max: number, isUpload: boolean): Promise<Uint8Array> {
  try {
    return await readBounded(req, max);
  } catch (e) {
    if (isUpload && e instanceof AwsProtocolError && e.code === 'RequestEntityTooLarge') {
      throw new AwsProtocolError('RequestEntityTooLarge', `an upload signed whole (x-amz-content-sha256: its SHA-256) may hold at most ${max} bytes; ${signUploadHint}`, 413);
    }
    throw e;
  }
}

/** x-amz-decoded-content-length of a streaming upload: required, signed, a byte count. */
function decodedContentLength(c: Context, signedHeaders: readonly string[]): number {
  const text = c.req.header('x-amz-decoded-content-length');
  if (text === undefined) throw new SigV4Error('incomplete', `x-amz-decoded-content-length (the upload's size in bytes) is required with x-amz-content-sha256: ${STREAMING_PAYLOAD}`, NATIVE_SIGNING_SERVICE);
  if (!signedHeaders.includes('x-amz-decoded-content-length')) throw new SigV4Error('incomplete', "'x-amz-decoded-content-length' must be a 'SignedHeader' in the AWS Authorization.", NATIVE_SIGNING_SERVICE);
  if (!/^\d{1,15}$/.test(text.trim())) throw new SigV4Error('incomplete', `x-amz-decoded-content-length must be a number of bytes, got '${text}'`, NATIVE_SIGNING_SERVICE);
  return Number(text.trim());
}
