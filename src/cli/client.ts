// The CLI's HTTP client for a vpcflow server: JSON calls, streamed uploads and streamed reads,
// with errors turned into CliError carrying the server's code and message.

import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

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

  constructor(endpoint: string) {
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

  private send(method: string, path: string, body: Buffer | Readable, headers: Record<string, string>, signal?: AbortSignal): Promise<IncomingMessage> {
    const url = new URL(path, this.base);
    return new Promise((resolve, reject) => {
      const req = httpRequest(url, { method, headers: body instanceof Buffer ? { ...headers, 'content-length': String(body.length) } : headers, signal }, resolve);
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (e.name === 'AbortError') return reject(e);
        reject(new CliError(`cannot reach the vpcflow server at ${this.base.origin} (${e.code ?? e.message}); start one with 'vpcflow serve' or set --endpoint / VPCFLOW_ENDPOINT`, EXIT.unreachable));
      });
      if (Buffer.isBuffer(body)) req.end(body);
      else (body as Readable).pipe(req);
    });
  }
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
