// The CLI's HTTP client for a vpcflow server: JSON calls, streamed uploads and streamed reads,
// signed with SigV4 (service `vpcflow`) when credentials are known, with errors turned into
// CliError carrying the server's code and message.

import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { NATIVE_SIGNING_SERVICE } from '../api/index.ts';
import { UNSIGNED_PAYLOAD, authorizationFor, sha256Hex } from '../api/aws/sigv4.ts';

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

  /** Uploads a stream (e.g. a capture file); `onProgress` sees bytes sent so far. */
  async upload<T = unknown>(path: string, body: Readable, size: number, onProgress?: (sent: number) => void): Promise<T> {
    let sent = 0;
    body.on('data', (c: Buffer) => {
      sent += c.length;
      onProgress?.(sent);
    });
    const res = await this.send('POST', path, body, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
    return (await readJson(res)) as T;
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

  private signed(method: string, url: URL, body: Buffer | Readable, headers: Record<string, string>): Record<string, string> {
    if (!this.credentials) return headers;
    return signRequest(this.credentials, method, url, Buffer.isBuffer(body) ? body : undefined, headers);
  }

  private send(method: string, path: string, body: Buffer | Readable, headers: Record<string, string>, signal?: AbortSignal): Promise<IncomingMessage> {
    const url = new URL(path, this.base);
    const all = this.signed(method, url, body, body instanceof Buffer ? { ...headers, 'content-length': String(body.length) } : headers);
    return new Promise((resolve, reject) => {
      const req = httpRequest(url, { method, headers: all, signal }, resolve);
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (e.name === 'AbortError') return reject(e);
        reject(new CliError(`cannot reach the vpcflow server at ${this.base.origin} (${e.code ?? e.message}); start one with 'vpcflow serve' or set --endpoint / VPCFLOW_ENDPOINT`, EXIT.unreachable));
      });
      if (Buffer.isBuffer(body)) req.end(body);
      else (body as Readable).pipe(req);
    });
  }
}

/** SigV4 headers for a request (uploads sign UNSIGNED-PAYLOAD: their body is streamed). */
function signRequest(credentials: Credentials, method: string, url: URL, body: Buffer | undefined, headers: Record<string, string>, now = new Date()): Record<string, string> {
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const payloadHash = body === undefined ? UNSIGNED_PAYLOAD : sha256Hex(body);
  const all: Record<string, string> = { ...headers, host: url.host, 'x-amz-date': amzDate, 'x-amz-content-sha256': payloadHash };
  const authorization = authorizationFor(
    { method, path: url.pathname, query: url.search.slice(1), headers: Object.entries(all), body: body ?? new Uint8Array() },
    { accessKeyId: credentials.accessKeyId, secret: credentials.secretAccessKey },
    { date: amzDate.slice(0, 8), region: 'us-east-1', service: NATIVE_SIGNING_SERVICE },
    amzDate,
    payloadHash,
  );
  return { ...all, authorization };
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
    const details = Array.isArray(p.details) ? '\n' + (p.details as { path?: string; message?: string }[]).map((d) => `  ${d.path ?? ''}: ${d.message ?? ''}`).join('\n') : '';
    throw new CliError(`An error occurred (${p.__type ?? res.statusCode}): ${p.message ?? text}${details}`, res.statusCode! >= 500 ? EXIT.serverError : EXIT.serverError, p.__type);
  }
  return parsed;
}
