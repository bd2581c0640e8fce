// The console's only way to the server: the public /v1 API, authenticated by the session cookie
// (HttpOnly, never visible here) plus the session's CSRF token in a header. The secret key is sent
// once, to SignIn, and kept nowhere.

import { signal } from '@preact/signals';

export interface Caller {
  Kind: 'operator' | 'account';
  AccountId?: string;
}

export interface Session {
  Caller: Caller;
  AccessKeyId: string;
  CsrfToken: string;
  ExpiresAt: number;
}

/** The signed-in session; null when signed out, undefined while the page asks the server. */
export const session = signal<Session | null | undefined>(undefined);
/** The account the operator is looking at ('' = every account, where the API allows it). */
export const viewAccount = signal<string>(sessionStorage.getItem('vpcflow.account') ?? '');

export function setViewAccount(account: string): void {
  viewAccount.value = account;
  sessionStorage.setItem('vpcflow.account', account);
}

/** The account the console acts in: the key's own, or the one the operator chose. */
export function currentAccount(): string | undefined {
  const s = session.value;
  if (!s) return undefined;
  if (s.Caller.Kind === 'account') return s.Caller.AccountId;
  return viewAccount.value || undefined;
}

export class ApiError extends Error {
  constructor(readonly code: string, message: string, readonly status: number, readonly details?: Record<string, unknown>) {
    super(message);
  }
}

function endpoint(path: string, account: boolean): string {
  const a = account ? currentAccount() : undefined;
  return a && session.value?.Caller.Kind === 'operator' ? `${path}?account=${encodeURIComponent(a)}` : path;
}

async function request(path: string, body: unknown, o: { account?: boolean; signal?: AbortSignal } = {}): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const s = session.value;
  if (s) headers['x-vpcflow-csrf'] = s.CsrfToken;
  const res = await fetch(endpoint(path, o.account ?? true), {
    method: 'POST', headers, body: JSON.stringify(body ?? {}), credentials: 'same-origin', cache: 'no-store',
    ...(o.signal ? { signal: o.signal } : {}),
  });
  if (!res.ok) {
    let code = 'HttpError';
    let message = `${res.status} ${res.statusText}`;
    let details: Record<string, unknown> | undefined;
    try {
      const e = (await res.json()) as { __type?: string; message?: string; Message?: string; details?: Record<string, unknown> };
      code = e.__type ?? code;
      message = e.message ?? e.Message ?? message;
      details = e.details;
    } catch {
      // not JSON: keep the status line
    }
    if (res.status === 401 && (code === 'SessionExpired' || path !== '/v1/console/SignIn')) session.value = null;
    throw new ApiError(code, message, res.status, details);
  }
  return res;
}

/** One API call: POST path with a JSON body, the JSON answer. */
export async function call<T>(path: string, body: unknown = {}, o: { account?: boolean; signal?: AbortSignal } = {}): Promise<T> {
  return (await (await request(path, body, o)).json()) as T;
}

/** A call whose answer is a file: returns it as a Blob with its suggested name. */
export async function download(path: string, body: unknown): Promise<{ blob: Blob; filename: string }> {
  const res = await request(path, body);
  const disposition = res.headers.get('content-disposition') ?? '';
  const m = /filename="([^"]{1,200})"/.exec(disposition);
  return { blob: await res.blob(), filename: m?.[1] ?? 'download' };
}

/** A streaming call (NDJSON): onLine gets each parsed line until the stream ends or signal aborts. */
export async function stream(path: string, body: unknown, onLine: (value: unknown) => void, signal: AbortSignal, onOpen?: () => void): Promise<void> {
  const res = await request(path, body, { signal });
  onOpen?.();
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim()) onLine(JSON.parse(line));
      }
    }
  } catch (e) {
    if (!signal.aborted) throw e;
  }
}

export async function signIn(accessKeyId: string, secretAccessKey: string): Promise<void> {
  session.value = await call<Session>('/v1/console/SignIn', { AccessKeyId: accessKeyId, SecretAccessKey: secretAccessKey }, { account: false });
}

export async function signOut(): Promise<void> {
  try {
    await call('/v1/console/SignOut', {}, { account: false });
  } finally {
    session.value = null;
    sessionStorage.removeItem('vpcflow.account');
  }
}

export async function restoreSession(): Promise<void> {
  try {
    session.value = await call<Session>('/v1/console/Session', {}, { account: false });
  } catch {
    session.value = null;
  }
}
