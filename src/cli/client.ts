// The CLI's HTTP client for a vpcflow server: JSON calls, streamed uploads and streamed reads,
// signed with SigV4 (service `vpcflow`) when credentials are known, with errors turned into
// CliError carrying the server's code and message. Uploads sign their payload chunk by chunk
// (S3's STREAMING-AWS4-HMAC-SHA256-PAYLOAD), so they stream without being read twice or held whole.

import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { NATIVE_SIGNING_SERVICE } from '../api/index.ts';
import { SIGV4_ALGORITHM, STREAMING_PAYLOAD, canonicalRequest, scopeText, sha256Hex, signatureOf, signingKey, type ChunkChain } from '../api/aws/sigv4.ts';
import { DEFAULT_CHUNK_BYTES, encodedLength, signChunks } from '../api/aws/sigv4-streaming.ts';

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Where the operator key of a server started with the default `--data-dir ./data` is. */
export const DEFAULT_OPERATOR_KEY_FILE = './data/keys/operator.json';

/**
 * The key requests are signed with: VPCFLOW_ACCESS_KEY_ID and VPCFLOW_SECRET_ACCESS_KEY (an
 * account's key or the operator's), else the JSON key file named by VPCFLOW_CREDENTIALS, else the
 * operator key of a default data folder if this user can read it; undefined sends unsigned requests.
 */
export function resolveCredentials(env: NodeJS.ProcessEnv = process.env): Credentials | undefined {
  const id = env.VPCFLOW_ACCESS_KEY_ID;
  const secret = env.VPCFLOW_SECRET_ACCESS_KEY;
  if (id || secret) {
    if (!id || !secret) throw new CliError('set both VPCFLOW_ACCESS_KEY_ID and VPCFLOW_SECRET_ACCESS_KEY, or neither', EXIT.usage);
    return { accessKeyId: id, secretAccessKey: secret };
  }
  const named = env.VPCFLOW_CREDENTIALS;
  const file = named || DEFAULT_OPERATOR_KEY_FILE;
  if (!named && !existsSync(file)) return undefined;
  let parsed: { AccessKeyId?: unknown; SecretAccessKey?: unknown };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as typeof parsed;
  } catch (e) {
    if (!named && (e as NodeJS.ErrnoException).code === 'EACCES') return undefined;
    throw new CliError(`${named ? 'VPCFLOW_CREDENTIALS' : 'the operator key file'} ${file}: ${e instanceof Error ? e.message : String(e)}`, EXIT.usage);
  }
  if (typeof parsed.AccessKeyId !== 'string' || typeof parsed.SecretAccessKey !== 'string') {
    throw new CliError(`${file}: expected {"AccessKeyId": "...", "SecretAccessKey": "..."}`, EXIT.usage);
  }
  return { accessKeyId: parsed.AccessKeyId, secretAccessKey: parsed.SecretAccessKey };
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const EXIT = { ok: 0, serverError: 1, usage: 2, unreachable: 3 } as const;

export class Client {
  readonly base: URL;

  constructor(endpoint: string, private readonly credentials: Credentials | undefined = resolveCredentials()) {
    try {
      this.base = new URL(endpoint);
    } catch {
      throw new CliError(`--endpoint: '${endpoint}' is not a URL (expected http://HOST:PORT)`, EXIT.usage);
    }
    if (this.base.protocol !== 'http:') throw new CliError(`--endpoint: only http:// endpoints are supported, got '${endpoint}'`, EXIT.usage);
  }

  async call<T = unknown>(path: string, body: unknown = {}): Promise<T> {
    const res = await this.send('POST', path, Buffer.from(JSON.stringify(body)), { 'content-type': 'application/json' });
    return (await readJson(res)) as T;
  }

  /**
   * Uploads a stream of exactly `size` bytes (e.g. a capture file); `onProgress` sees bytes read so
   * far. Signed, it goes aws-chunked with every chunk signed; the server ingests a chunk only once
   * its signature verified, and refuses the upload if the stream yields more or fewer bytes.
   */
  async upload<T = unknown>(path: string, body: Readable, size: number, onProgress?: (sent: number) => void): Promise<T> {
    let sent = 0;
    let sourceError: Error | undefined;
    const counted = async function* (): AsyncGenerator<Uint8Array> {
      for await (const c of body as AsyncIterable<Buffer>) {
        sent += c.length;
        onProgress?.(sent);
        yield c;
      }
    };
    const url = new URL(path, this.base);
    // Signed like the AWS SDKs sign every request: a unique invocation id, so no two uploads share a
    // signature (the server accepts an upload's signature once) even when signed in the same second.
    const base = { 'content-type': 'application/octet-stream', 'amz-sdk-invocation-id': randomUUID() };
    let headers: Record<string, string>;
    let wire: Readable;
    if (this.credentials) {
      const signed = signStreamingRequest(this.credentials, 'POST', url, base, size);
      headers = signed.headers;
      wire = Readable.from((async function* () {
        try {
          yield* signChunks(counted(), signed.chain, size, DEFAULT_CHUNK_BYTES);
        } catch (e) {
          sourceError = e instanceof Error ? e : new Error(String(e));
          throw e;
        }
      })());
    } else {
      headers = { ...base, 'content-length': String(size) };
      wire = Readable.from(counted());
    }
    try {
      const res = await this.sendSigned('POST', url, wire, headers);
      return (await readJson(res)) as T;
    } catch (e) {
      // The request died because the source did: say that, not that the server is unreachable.
      if (sourceError) throw new CliError(`upload to ${url.pathname}: ${sourceError.message}`, EXIT.usage);
      throw e;
    }
  }

  /** Opens a streaming response of newline-delimited JSON objects. */
  async stream(path: string, body: unknown, onItem: (item: unknown) => void, signal?: AbortSignal): Promise<void> {
    const res = await this.send('POST', path, Buffer.from(JSON.stringify(body)), { 'content-type': 'application/json' }, signal);
    if ((res.statusCode ?? 500) >= 400) {
      await readJson(res);
      return;
    }
    let buf = '';
    for await (const chunk of res) {
      buf += chunk.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) onItem(JSON.parse(line));
      }
    }
  }

  private send(method: string, path: string, body: Buffer, headers: Record<string, string>, signal?: AbortSignal): Promise<IncomingMessage> {
    const url = new URL(path, this.base);
    const all = { ...headers, 'content-length': String(body.length) };
    return this.sendSigned(method, url, body, this.credentials ? signRequest(this.credentials, method, url, sha256Hex(body), all).headers : all, signal);
  }

  private sendSigned(method: string, url: URL, body: Buffer | Readable, headers: Record<string, string>, signal?: AbortSignal): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      let answered = false;
      const req = httpRequest(url, { method, headers, signal }, (res) => {
        answered = true;
        resolve(res);
      });
      req.on('error', (e: NodeJS.ErrnoException) => {
        // A server refusing an upload answers before reading all of it, then closes: the answer counts, not the broken pipe.
        if (answered) return;
        if (e.name === 'AbortError') return reject(e);
        reject(new CliError(`cannot reach the vpcflow server at ${this.base.origin} (${e.code ?? e.message}); start one with 'vpcflow serve' or set --endpoint / VPCFLOW_ENDPOINT`, EXIT.unreachable));
      });
      if (Buffer.isBuffer(body)) {
        req.end(body);
        return;
      }
      body.on('error', (e) => req.destroy(e));
      body.pipe(req);
    });
  }
}

const amzDateOf = (now: Date): string => now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

/** SigV4 headers for a request whose payload hashes to `payloadHash` (or is STREAMING_PAYLOAD), and the signature. */
function signRequest(credentials: Credentials, method: string, url: URL, payloadHash: string, headers: Record<string, string>, now = new Date()): { headers: Record<string, string>; chain: ChunkChain } {
  const amzDate = amzDateOf(now);
  const scope = { date: amzDate.slice(0, 8), region: 'us-east-1', service: NATIVE_SIGNING_SERVICE };
  const all: Record<string, string> = { ...headers, host: url.host, 'x-amz-date': amzDate, 'x-amz-content-sha256': payloadHash };
  const signedHeaders = Object.keys(all).map((n) => n.toLowerCase()).sort();
  const canonical = canonicalRequest({ method, path: url.pathname, query: url.search.slice(1), headers: Object.entries(all), body: new Uint8Array() }, signedHeaders, payloadHash);
  const signature = signatureOf(credentials.secretAccessKey, amzDate, scope, canonical);
  const authorization = `${SIGV4_ALGORITHM} Credential=${credentials.accessKeyId}/${scopeText(scope)}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
  return { headers: { ...all, authorization }, chain: { key: signingKey(credentials.secretAccessKey, scope), amzDate, scope, seedSignature: signature } };
}

/**
 * The headers of a streaming upload of `size` bytes: aws-chunked with its wire length, the decoded
 * length signed, and the chain its chunks are signed with (seeded by this request's signature).
 */
export function signStreamingRequest(credentials: Credentials, method: string, url: URL, headers: Record<string, string>, size: number, now = new Date(), chunkBytes = DEFAULT_CHUNK_BYTES): { headers: Record<string, string>; chain: ChunkChain } {
  return signRequest(credentials, method, url, STREAMING_PAYLOAD, {
    ...headers,
    'content-encoding': 'aws-chunked',
    'content-length': String(encodedLength(size, chunkBytes)),
    'x-amz-decoded-content-length': String(size),
  }, now);
}

async function readJson(res: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    throw new CliError(`the server answered ${res.statusCode} with a body that is not JSON: ${text.slice(0, 200)}`, EXIT.serverError);
  }
  if ((res.statusCode ?? 500) >= 400) {
    const p = parsed as { __type?: string; message?: string; details?: unknown };
    // InvalidNetworkDocument's message already lists its problems (the first 20, then "… and N more")
    // and `details` repeats them for programs: add only the problems the message does not show.
    const shown = p.message ?? '';
    const extra = Array.isArray(p.details)
      ? (p.details as { path?: string; code?: string; message?: string }[]).filter((d) => !shown.includes(`${d.path || '(document)'}: ${d.code ? `${d.code}: ` : ''}${d.message ?? ''}`))
      : [];
    const details = extra.length ? '\n' + extra.map((d) => `  ${d.path ?? ''}: ${d.message ?? ''}`).join('\n') : '';
    throw new CliError(`An error occurred (${p.__type ?? res.statusCode}): ${p.message ?? text}${details}`, res.statusCode! >= 500 ? EXIT.serverError : EXIT.serverError, p.__type);
  }
  return parsed;
}
