// Web console sessions. The browser signs in once with an access key (an account's, or the
// operator's) and then holds only an HttpOnly, SameSite=Strict session cookie: the secret is checked
// here and never kept, so it reaches no URL, no storage and no log. Every request a session makes
// must also carry the session's CSRF token in a header that a cross-site page cannot set (no CORS is
// served), and a cross-site Origin is refused outright. Sessions live in memory: a restart, a sign-out,
// an idle hour or eight hours end them.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { VpcflowError } from '../platform/errors.ts';
import type { KeyLookup } from './aws/sigv4.ts';
import type { NativeCaller, OperatorKey } from './native-auth.ts';

export const SESSION_COOKIE = 'vpcflow_session';
export const CSRF_HEADER = 'x-vpcflow-csrf';
const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;

export interface ConsoleSession {
  readonly id: string;
  readonly csrfToken: string;
  readonly caller: NativeCaller;
  readonly accessKeyId: string;
  readonly createdAt: number;
  lastSeenAt: number;
}

export interface ConsoleSessionOptions {
  /** Longest a session lives, however active (default 8 h). */
  readonly maxAgeMs?: number;
  /** A session unused this long ends (default 1 h). */
  readonly idleMs?: number;
  /** Sessions kept at once; the oldest is ended to make room (default 1000). */
  readonly maxSessions?: number;
  /** Failed sign-ins accepted per minute before sign-in is refused for the rest of that minute (default 20). */
  readonly maxFailuresPerMinute?: number;
  readonly now?: () => number;
}

export class ConsoleSessions {
  private readonly sessions = new Map<string, ConsoleSession>();
  private failures: { minute: number; count: number } = { minute: 0, count: 0 };
  private readonly maxAgeMs: number;
  private readonly idleMs: number;
  private readonly maxSessions: number;
  private readonly maxFailures: number;
  private readonly now: () => number;

  constructor(o: ConsoleSessionOptions = {}) {
    this.maxAgeMs = o.maxAgeMs ?? 8 * 3600_000;
    this.idleMs = o.idleMs ?? 3600_000;
    this.maxSessions = o.maxSessions ?? 1000;
    this.maxFailures = o.maxFailuresPerMinute ?? 20;
    this.now = o.now ?? Date.now;
  }

  /** Checks an access key's secret and opens a session for its holder. */
  async signIn(accessKeyId: unknown, secret: unknown, operator: OperatorKey, lookup: KeyLookup | undefined): Promise<ConsoleSession> {
    const now = this.now();
    const minute = Math.floor(now / 60_000);
    if (this.failures.minute !== minute) this.failures = { minute, count: 0 };
    if (this.failures.count >= this.maxFailures) {
      throw new VpcflowError('ThrottlingException', `more than ${this.maxFailures} failed sign-ins in this minute; wait a minute and try again`, 429);
    }
    if (typeof accessKeyId !== 'string' || !ACCESS_KEY_ID.test(accessKeyId)) {
      throw new VpcflowError('InvalidParameterValue', 'AccessKeyId must be an access key id (16–128 capital letters and digits, e.g. AKIA… or VFOP…)', 400);
    }
    if (typeof secret !== 'string' || secret.length === 0 || secret.length > 256) {
      throw new VpcflowError('InvalidParameterValue', 'SecretAccessKey must be the key\'s secret (1–256 characters)', 400);
    }
    let caller: NativeCaller | undefined;
    if (accessKeyId === operator.accessKeyId) {
      if (sameSecret(secret, operator.secretAccessKey)) caller = { kind: 'operator' };
    } else {
      const known = await lookup?.(accessKeyId);
      if (known && sameSecret(secret, known.secret)) caller = { kind: 'account', accountId: known.accountId };
    }
    if (!caller) {
      this.failures.count++;
      // One message for an unknown key and a wrong secret: the answer must not tell which key ids exist.
      throw new VpcflowError('AccessDenied', 'the access key id or secret is not right', 403);
    }
    this.expire(now);
    while (this.sessions.size >= this.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const session: ConsoleSession = {
      id: randomBytes(32).toString('base64url'), csrfToken: randomBytes(32).toString('base64url'),
      caller, accessKeyId, createdAt: now, lastSeenAt: now,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session of this id (its idle clock restarts), or undefined. */
  touch(id: string | undefined): ConsoleSession | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    const now = this.now();
    if (this.expired(s, now)) {
      this.sessions.delete(id);
      return undefined;
    }
    s.lastSeenAt = now;
    return s;
  }

  end(id: string): void {
    this.sessions.delete(id);
  }

  /** Ends every session of an access key (the key was deleted). */
  endKey(accessKeyId: string): void {
    for (const [id, s] of this.sessions) if (s.accessKeyId === accessKeyId) this.sessions.delete(id);
  }

  expiresAt(s: ConsoleSession): number {
    return Math.min(s.createdAt + this.maxAgeMs, s.lastSeenAt + this.idleMs);
  }

  get maxAgeSeconds(): number {
    return Math.floor(this.maxAgeMs / 1000);
  }

  private expired(s: ConsoleSession, now: number): boolean {
    return now >= this.expiresAt(s);
  }

  private expire(now: number): void {
    for (const [id, s] of this.sessions) if (this.expired(s, now)) this.sessions.delete(id);
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The session cookie's value, if the request has one. */
export function sessionCookie(c: Context): string | undefined {
  const header = c.req.header('cookie');
  if (!header || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The session a cookie-authenticated request acts in, after the CSRF checks; undefined when the
 * request has no session cookie (it must then be signed). Throws for an ended session or a request
 * that fails the checks.
 */
export function authenticateSession(c: Context, sessions: ConsoleSessions): ConsoleSession | undefined {
  const id = sessionCookie(c);
  if (id === undefined) return undefined;
  const origin = c.req.header('origin');
  if (origin !== undefined && origin !== requestOrigin(c)) {
    throw new VpcflowError('AccessDenied', `a console request from another site (${origin.slice(0, 100)}) is refused`, 403);
  }
  const s = sessions.touch(id);
  if (!s) throw new VpcflowError('SessionExpired', 'the console session has ended (signed out, idle for an hour, older than 8 hours, or the server restarted): sign in again', 401);
  const token = c.req.header(CSRF_HEADER);
  if (token === undefined || !sameSecret(token, s.csrfToken)) {
    throw new VpcflowError('AccessDenied', `a console request must carry the session's ${CSRF_HEADER} header`, 403);
  }
  return s;
}

function requestOrigin(c: Context): string {
  const url = new URL(c.req.url);
  return `${url.protocol}//${c.req.header('host') ?? url.host}`;
}

function cookieFor(value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

export interface ConsoleSessionRouteDeps {
  sessions: ConsoleSessions;
  operator: OperatorKey;
  lookup?: KeyLookup;
  body: (c: Context) => Promise<Record<string, unknown>>;
  log?: (line: string) => void;
}

function describeSession(sessions: ConsoleSessions, s: ConsoleSession) {
  return {
    Caller: s.caller.kind === 'operator' ? { Kind: 'operator' } : { Kind: 'account', AccountId: s.caller.accountId },
    AccessKeyId: s.accessKeyId,
    CsrfToken: s.csrfToken,
    ExpiresAt: sessions.expiresAt(s),
  };
}

/**
 * POST /v1/console/SignIn {AccessKeyId, SecretAccessKey} → the session (cookie set);
 * POST /v1/console/Session → the current session (for a reloaded page); POST /v1/console/SignOut.
 * SignIn is the one /v1 path that needs no signature or session; the others go through the API's auth.
 */
export function mountConsoleSessionRoutes(app: Hono, deps: ConsoleSessionRouteDeps): void {
  app.post('/v1/console/SignIn', async (c) => {
    const origin = c.req.header('origin');
    if (origin !== undefined && origin !== requestOrigin(c)) {
      throw new VpcflowError('AccessDenied', `a sign-in from another site (${origin.slice(0, 100)}) is refused`, 403);
    }
    const b = await deps.body(c);
    const s = await deps.sessions.signIn(b.AccessKeyId, b.SecretAccessKey, deps.operator, deps.lookup);
    deps.log?.(`console: ${s.caller.kind === 'operator' ? 'operator' : `account ${s.caller.accountId}`} signed in with ${s.accessKeyId}`);
    c.header('set-cookie', cookieFor(s.id, deps.sessions.maxAgeSeconds, new URL(c.req.url).protocol === 'https:'));
    c.header('cache-control', 'no-store');
    return c.json(describeSession(deps.sessions, s));
  });
  app.post('/v1/console/Session', (c) => {
    const id = sessionCookie(c);
    const s = deps.sessions.touch(id);
    if (!s) throw new VpcflowError('SessionExpired', 'no console session: sign in', 401);
    c.header('cache-control', 'no-store');
    return c.json(describeSession(deps.sessions, s));
  });
  app.post('/v1/console/SignOut', (c) => {
    const id = sessionCookie(c);
    if (id) deps.sessions.end(id);
    c.header('set-cookie', cookieFor('', 0, new URL(c.req.url).protocol === 'https:'));
    return c.json({ SignedOut: true });
  });
}
