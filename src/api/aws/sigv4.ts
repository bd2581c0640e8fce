// AWS Signature Version 4 verification of incoming requests (header-based signing): rebuilds the
// canonical request and string to sign from what arrived, derives the signing key from the secret
// of the access key named in the credential scope, and compares signatures in constant time.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
/** AWS refuses requests whose date is more than 15 minutes away from its clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** A request as it arrived: path and query exactly as sent (still percent-encoded), headers in order. */
export interface IncomingSignedRequest {
  method: string;
  /** The request target's path, without the query, as sent on the wire. */
  path: string;
  /** The query string without the leading `?` ('' when none). */
  query: string;
  /** Header name/value pairs in arrival order; a name may repeat. */
  headers: readonly (readonly [string, string])[];
  body: Uint8Array;
}

export interface CredentialScope {
  accessKeyId: string;
  /** YYYYMMDD */
  date: string;
  region: string;
  service: string;
}

export interface ParsedAuthorization {
  scope: CredentialScope;
  signedHeaders: string[];
  /** 64 lower-case hex digits. */
  signature: string;
}

/** Why a request was refused; the endpoint turns this into each service's own error code. */
export type SigV4FailureKind = 'missing' | 'incomplete' | 'unknown-key' | 'bad-signature' | 'skew';

export class SigV4Error extends Error {
  override readonly name = 'SigV4Error';
  constructor(
    readonly kind: SigV4FailureKind,
    message: string,
    /** The service named in the credential scope, when the header got that far. */
    readonly service?: string,
  ) {
    super(message);
  }
}

export interface VerifiedCaller {
  accessKeyId: string;
  accountId: string;
  scope: CredentialScope;
  /** The headers the signature covers (lower-case). */
  signedHeaders: readonly string[];
  /** The request's signature (the seed of a streaming payload's chunk chain). */
  signature: string;
  /** The signing time, epoch ms. */
  signedAt: number;
  /** Present when the payload is streamed (STREAMING-AWS4-HMAC-SHA256-PAYLOAD): what its chunks are verified with. */
  chunkChain?: ChunkChain;
}

/** What chains the chunk signatures of a streaming payload to the request that carries it. */
export interface ChunkChain {
  /** The derived signing key of the request's credential scope. */
  readonly key: Buffer;
  readonly amzDate: string;
  readonly scope: Omit<CredentialScope, 'accessKeyId'>;
  /** The request's own signature: the "previous signature" of the first chunk. */
  readonly seedSignature: string;
}

export interface KeyLookup {
  (accessKeyId: string): Promise<{ accountId: string; secret: string } | undefined>;
}

export interface VerifyOptions {
  now?: number;
  maxSkewMs?: number;
  /**
   * Accept `x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: the body is not read here
   * (pass it empty) and the caller verifies it chunk by chunk with the returned `chunkChain`.
   */
  allowStreamingPayload?: boolean;
}

/** Never accepted: a captured request could be replayed with any other body. */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** S3's chunked upload: every chunk signed, chained from the request's signature (see sigv4-streaming.ts). */
export const STREAMING_PAYLOAD = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';

const SCOPE_TERMINATOR = 'aws4_request';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export const sha256Hex = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

const hmac = (key: Uint8Array | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** The derived key: HMAC chain over "AWS4"+secret, date, region, service, "aws4_request". */
export function signingKey(secret: string, scope: Omit<CredentialScope, 'accessKeyId'>): Buffer {
  const kDate = hmac(`AWS4${secret}`, scope.date);
  const kRegion = hmac(kDate, scope.region);
  const kService = hmac(kRegion, scope.service);
  return hmac(kService, SCOPE_TERMINATOR);
}

export const scopeText = (s: Omit<CredentialScope, 'accessKeyId'>): string => `${s.date}/${s.region}/${s.service}/${SCOPE_TERMINATOR}`;

/** RFC 3986 percent-encoding as SigV4 wants it: unreserved characters kept, everything else %XX (upper-case) of its UTF-8 bytes. */
export function uriEncode(text: string, keepSlash = false): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Decodes %XX escapes byte-wise; malformed escapes stay literal (the client signed what it sent). */
function percentDecode(text: string): string {
  if (!text.includes('%')) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '%' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * The canonical URI for every service but S3: dot segments and empty segments removed, then the
 * path as sent is percent-encoded again (so `%3A` becomes `%253A`), which is what AWS's SDKs sign.
 */
export function canonicalUri(rawPath: string): string {
  const segments: string[] = [];
  for (const seg of rawPath.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') segments.pop();
    else segments.push(seg);
  }
  const trailing = rawPath.length > 1 && rawPath.endsWith('/') && segments.length > 0 ? '/' : '';
  return uriEncode(`/${segments.join('/')}${trailing}`, true);
}

/** Query parameters decoded, re-encoded strictly, sorted by name then value (code-unit order of the encoded text). */
export function canonicalQuery(rawQuery: string): string {
  const pairs: [string, string][] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    pairs.push([uriEncode(percentDecode(name)), uriEncode(percentDecode(value))]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

const normalizeHeaderValue = (v: string): string => v.trim().replace(/\s+/g, ' ');

/** Header values by lower-case name; repeated headers joined with ',' in arrival order. */
export function headerValues(headers: IncomingSignedRequest['headers']): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    const v = normalizeHeaderValue(value);
    const prior = out.get(key);
    out.set(key, prior === undefined ? v : `${prior},${v}`);
  }
  return out;
}

export function canonicalRequest(req: IncomingSignedRequest, signedHeaders: readonly string[], payloadHash: string): string {
  const values = headerValues(req.headers);
  const canonicalHeaders = signedHeaders.map((h) => `${h}:${values.get(h) ?? ''}\n`).join('');
  return [req.method.toUpperCase(), canonicalUri(req.path), canonicalQuery(req.query), canonicalHeaders, signedHeaders.join(';'), payloadHash].join('\n');
}

export function stringToSign(amzDate: string, scope: Omit<CredentialScope, 'accessKeyId'>, canonical: string): string {
  return [SIGV4_ALGORITHM, amzDate, scopeText(scope), sha256Hex(canonical)].join('\n');
}

export function signatureOf(secret: string, amzDate: string, scope: Omit<CredentialScope, 'accessKeyId'>, canonical: string): string {
  return createHmac('sha256', signingKey(secret, scope)).update(stringToSign(amzDate, scope, canonical), 'utf8').digest('hex');
}

/** Parses `AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/ec2/aws4_request, SignedHeaders=a;b, Signature=hex`. */
export function parseAuthorization(header: string): ParsedAuthorization {
  const trimmed = header.trim();
  const space = trimmed.indexOf(' ');
  const algorithm = space < 0 ? trimmed : trimmed.slice(0, space);
  if (algorithm !== SIGV4_ALGORITHM) {
    throw new SigV4Error('incomplete', `Unsupported AWS 'algorithm': '${algorithm}' (only ${SIGV4_ALGORITHM} is accepted)`);
  }
  const fields = new Map<string, string>();
  for (const part of trimmed.slice(space + 1).split(',')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq <= 0) throw new SigV4Error('incomplete', `Authorization header component '${p}' is not of the form key=value. Authorization=${header}`);
    fields.set(p.slice(0, eq), p.slice(eq + 1));
  }
  const missing = ['Credential', 'Signature', 'SignedHeaders'].filter((k) => !fields.get(k));
  if (missing.length) {
    throw new SigV4Error('incomplete', `${missing.map((k) => `Authorization header requires '${k}' parameter.`).join(' ')} Authorization=${header}`);
  }
  const credential = fields.get('Credential')!.split('/');
  if (credential.length !== 5 || credential.some((c) => c === '')) {
    throw new SigV4Error('incomplete', `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${fields.get('Credential')}'`);
  }
  const [accessKeyId, date, region, service, terminator] = credential as [string, string, string, string, string];
  if (terminator !== SCOPE_TERMINATOR) throw new SigV4Error('incomplete', `Credential should be scoped with a valid terminator: '${SCOPE_TERMINATOR}', not '${terminator}'.`, service);
  if (!/^\d{8}$/.test(date)) throw new SigV4Error('incomplete', `Credential should be scoped to a valid date (YYYYMMDD), not '${date}'.`, service);
  const signedHeaders = fields.get('SignedHeaders')!.split(';');
  if (signedHeaders.some((h) => h === '' || h !== h.toLowerCase())) {
    throw new SigV4Error('incomplete', `SignedHeaders must be lower-case header names separated by ';', got '${fields.get('SignedHeaders')}'`, service);
  }
  const signature = fields.get('Signature')!;
  if (!/^[0-9a-f]{64}$/.test(signature)) throw new SigV4Error('incomplete', 'Signature must be 64 lower-case hexadecimal digits', service);
  return { scope: { accessKeyId, date, region, service }, signedHeaders, signature };
}

/** `20150830T123600Z` → epoch ms, or undefined when it is not that shape. */
export function parseAmzDate(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  // Reject dates that Date.UTC silently rolled over (month 13, Feb 30, hour 25...).
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || back.getUTCHours() !== h || back.getUTCMinutes() !== mi) return undefined;
  return ms;
}

export const formatAmzDate = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

/** The request's signing time: X-Amz-Date if present, else an HTTP Date header converted to ISO 8601 basic form. */
function requestDate(values: Map<string, string>, service: string): { amzDate: string; ms: number; header: string } {
  const amz = values.get('x-amz-date');
  if (amz !== undefined) {
    const ms = parseAmzDate(amz);
    if (ms === undefined) throw new SigV4Error('incomplete', `Date must be in ISO-8601 'basic format'. Got '${amz}'. See http://en.wikipedia.org/wiki/ISO_8601`, service);
    return { amzDate: amz, ms, header: 'x-amz-date' };
  }
  const http = values.get('date');
  if (http !== undefined) {
    const ms = Date.parse(http);
    if (Number.isNaN(ms)) throw new SigV4Error('incomplete', `The Date header '${http}' is not a valid HTTP date`, service);
    return { amzDate: formatAmzDate(ms), ms, header: 'date' };
  }
  throw new SigV4Error('incomplete', "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.", service);
}

function checkSkew(amzDate: string, requestMs: number, now: number, maxSkew: number, service: string): void {
  const limit = `${maxSkew / 60000} min.`;
  if (requestMs < now - maxSkew) {
    throw new SigV4Error('skew', `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(now - maxSkew)} (${formatAmzDate(now)} - ${limit})`, service);
  }
  if (requestMs > now + maxSkew) {
    throw new SigV4Error('skew', `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(now + maxSkew)} (${formatAmzDate(now)} + ${limit})`, service);
  }
}

/** The request's Authorization header, or a SigV4Error saying why there is none to verify. */
function authorizationHeader(req: IncomingSignedRequest, values: Map<string, string>): string {
  const auth = values.get('authorization');
  if (auth !== undefined && auth !== '') return auth;
  if (/(^|&)X-Amz-Algorithm=/i.test(req.query)) {
    throw new SigV4Error('incomplete', 'query-string (presigned URL) authentication is not supported by this endpoint; sign with the Authorization header');
  }
  throw new SigV4Error('missing', 'Missing Authentication Token');
}

/**
 * Verifies a header-signed request. Checks, in order: the Authorization header's shape, the
 * request date (present, well-formed, the credential scope's day, within the allowed skew), the
 * signed headers (host and the date header must be signed and present), the access key, the
 * payload hash header if any, and finally the signature itself.
 */
export async function verifySigV4(req: IncomingSignedRequest, lookup: KeyLookup, opts: VerifyOptions = {}): Promise<VerifiedCaller> {
  const values = headerValues(req.headers);
  const auth = parseAuthorization(authorizationHeader(req, values));
  const { scope, signedHeaders, signature } = auth;
  const date = requestDate(values, scope.service);
  if (date.amzDate.slice(0, 8) !== scope.date) {
    throw new SigV4Error('bad-signature', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scope.date}' != '${date.amzDate.slice(0, 8)}', from '${date.amzDate}'.`, scope.service);
  }
  if (!signedHeaders.includes('host')) throw new SigV4Error('incomplete', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.", scope.service);
  if (!signedHeaders.includes(date.header)) throw new SigV4Error('incomplete', `'${date.header}' must be a 'SignedHeader' in the AWS Authorization.`, scope.service);
  const absent = signedHeaders.filter((h) => !values.has(h));
  if (absent.length) throw new SigV4Error('incomplete', `signed header${absent.length > 1 ? 's' : ''} ${absent.map((h) => `'${h}'`).join(', ')} missing from the request`, scope.service);
  checkSkew(date.amzDate, date.ms, opts.now ?? Date.now(), opts.maxSkewMs ?? MAX_CLOCK_SKEW_MS, scope.service);

  const key = await lookup(scope.accessKeyId);
  if (!key) throw new SigV4Error('unknown-key', `The access key id ${scope.accessKeyId} does not exist`, scope.service);

  const declared = values.get('x-amz-content-sha256');
  const streaming = declared === STREAMING_PAYLOAD && opts.allowStreamingPayload === true;
  if (declared !== undefined && !streaming && (declared === UNSIGNED_PAYLOAD || declared.startsWith('STREAMING-'))) {
    throw new SigV4Error('bad-signature', declared === UNSIGNED_PAYLOAD
      ? 'Unsigned payloads are not accepted by this endpoint; sign the request body'
      : `x-amz-content-sha256: ${declared} is not accepted for this request; sign the request body (its hex SHA-256)`, scope.service);
  }
  const payloadHash = streaming ? STREAMING_PAYLOAD : req.body.length === 0 ? EMPTY_SHA256 : sha256Hex(req.body);
  if (declared !== undefined && declared !== payloadHash) {
    throw new SigV4Error('bad-signature', "The provided 'x-amz-content-sha256' header does not match what was computed.", scope.service);
  }
  const derived = signingKey(key.secret, scope);
  const expected = createHmac('sha256', derived).update(stringToSign(date.amzDate, scope, canonicalRequest(req, signedHeaders, payloadHash)), 'utf8').digest('hex');
  if (!timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(signature, 'hex'))) {
    throw new SigV4Error('bad-signature', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.', scope.service);
  }
  const verified: VerifiedCaller = { accessKeyId: scope.accessKeyId, accountId: key.accountId, scope, signedHeaders, signature, signedAt: date.ms };
  if (streaming) verified.chunkChain = { key: derived, amzDate: date.amzDate, scope: { date: scope.date, region: scope.region, service: scope.service }, seedSignature: signature };
  return verified;
}

/** Signs a request the way AWS SDKs do (for tests and tools): returns the Authorization header value. */
export function authorizationFor(
  req: Omit<IncomingSignedRequest, 'headers'> & { headers: readonly (readonly [string, string])[] },
  credentials: { accessKeyId: string; secret: string },
  scope: Omit<CredentialScope, 'accessKeyId'>,
  amzDate: string,
  payloadHash?: string,
): string {
  const signed = [...new Set(req.headers.map(([n]) => n.toLowerCase()))].filter((n) => n !== 'authorization').sort();
  const canonical = canonicalRequest(req, signed, payloadHash ?? (req.body.length === 0 ? EMPTY_SHA256 : sha256Hex(req.body)));
  const sig = signatureOf(credentials.secret, amzDate, scope, canonical);
  return `${SIGV4_ALGORITHM} Credential=${credentials.accessKeyId}/${scopeText(scope)}, SignedHeaders=${signed.join(';')}, Signature=${sig}`;
}

/** The error each service answers for a refused signature (EC2 Query and CloudWatch Logs JSON differ). */
export interface AuthErrorShape {
  code: string;
  message: string;
  httpStatus: number;
}

export function authErrorFor(error: SigV4Error, service: 'ec2' | 'logs'): AuthErrorShape {
  if (service === 'ec2') {
    switch (error.kind) {
      case 'missing':
        return { code: 'MissingAuthenticationToken', message: 'The request must contain either a valid (registered) AWS access key ID or X.509 certificate.', httpStatus: 401 };
      case 'incomplete':
        return { code: 'IncompleteSignature', message: error.message, httpStatus: 400 };
      case 'skew':
        return { code: 'RequestExpired', message: `Request has expired. ${error.message}`, httpStatus: 400 };
      case 'unknown-key':
      case 'bad-signature':
        return { code: 'AuthFailure', message: 'AWS was not able to validate the provided access credentials', httpStatus: 401 };
    }
  }
  switch (error.kind) {
    case 'missing':
      return { code: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token', httpStatus: 400 };
    case 'incomplete':
      return { code: 'IncompleteSignatureException', message: error.message, httpStatus: 400 };
    case 'unknown-key':
      return { code: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.', httpStatus: 400 };
    case 'skew':
    case 'bad-signature':
      return { code: 'InvalidSignatureException', message: error.message, httpStatus: 400 };
  }
}
