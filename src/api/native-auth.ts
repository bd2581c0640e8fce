// Authentication of the native /v1 API with the same SigV4 and access keys as the AWS endpoint.
// An account's key acts for that account only; the operator key (created by the server in
// DATA_DIR/keys/operator.json, readable by root only) acts for any account and may run the
// host-level actions (exec, down, SQL over every account, new access keys). Unsigned requests pass
// only in anonymous mode, which the server announces loudly.

import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Context } from 'hono';
import { VpcflowError, errorMessage } from '../platform/errors.ts';
import { readBounded, requestHead } from './aws/endpoint.ts';
import { SigV4Error, UNSIGNED_PAYLOAD, authErrorFor, verifySigV4, type KeyLookup } from './aws/sigv4.ts';

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
}

/** Paths whose body is streamed (a capture upload): signed with UNSIGNED-PAYLOAD, never buffered here. */
const STREAMED = new Set(['/v1/vpcflow/Ingest']);

/**
 * Verifies a /v1 request and returns who calls, with the JSON body text it read (so the handler
 * need not read the stream again). Throws an error the API answers as JSON with AWS's auth codes.
 */
export async function authenticateNative(c: Context, o: NativeAuthOptions): Promise<{ caller: NativeCaller; bodyText: string | undefined }> {
  const head = requestHead(c);
  const streamed = STREAMED.has(head.path);
  const signed = c.req.header('authorization') !== undefined;
  if (!signed && o.anonymous) return { caller: { kind: 'operator' }, bodyText: undefined };
  const body = streamed ? new Uint8Array() : await readBounded(c.req.raw, o.maxBodyBytes);
  const lookup: KeyLookup = async (id) => (id === o.operator.accessKeyId ? { accountId: '', secret: o.operator.secretAccessKey } : o.lookup?.(id));
  try {
    if (streamed && c.req.header('x-amz-content-sha256') !== UNSIGNED_PAYLOAD) {
      throw new SigV4Error('incomplete', `uploads to ${head.path} are signed with x-amz-content-sha256: ${UNSIGNED_PAYLOAD}`, NATIVE_SIGNING_SERVICE);
    }
    const verified = await verifySigV4({ ...head, body }, lookup, { allowUnsignedPayload: streamed, ...(o.now ? { now: o.now() } : {}) });
    const caller: NativeCaller = verified.accessKeyId === o.operator.accessKeyId ? { kind: 'operator' } : { kind: 'account', accountId: verified.accountId };
    return { caller, bodyText: streamed ? undefined : new TextDecoder().decode(body) };
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
