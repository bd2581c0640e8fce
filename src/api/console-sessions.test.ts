import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hono } from 'hono';
import { CSRF_HEADER, ConsoleSessions, SESSION_COOKIE, authenticateSession, mountConsoleSessionRoutes } from './console-sessions.ts';
import { newOperatorKey } from './native-auth.ts';

const operator = newOperatorKey();
const accountKey = { id: 'AKIAABCDEFGHIJKLMNOP', secret: 'account-secret-0123456789', accountId: '111122223333' };
const lookup = async (id: string) => (id === accountKey.id ? { accountId: accountKey.accountId, secret: accountKey.secret } : undefined);

test('the operator and an account sign in with their secrets; a wrong secret and an unknown key get the same refusal', async () => {
  const s = new ConsoleSessions();
  const op = await s.signIn(operator.accessKeyId, operator.secretAccessKey, operator, lookup);
  assert.deepEqual(op.caller, { kind: 'operator' });
  const acct = await s.signIn(accountKey.id, accountKey.secret, operator, lookup);
  assert.deepEqual(acct.caller, { kind: 'account', accountId: accountKey.accountId });
  assert.notEqual(op.id, acct.id);
  assert.notEqual(op.csrfToken, op.id);
  const wrong = await s.signIn(accountKey.id, 'not-the-secret', operator, lookup).catch((e: Error) => e);
  const unknown = await s.signIn('AKIAZZZZZZZZZZZZZZZZ', accountKey.secret, operator, lookup).catch((e: Error) => e);
  assert.ok(wrong instanceof Error && unknown instanceof Error);
  assert.equal(wrong.message, unknown.message);
  assert.equal((wrong as Error & { code: string }).code, 'AccessDenied');
  await assert.rejects(s.signIn('lower-case', 'x', operator, lookup), /AccessKeyId must be an access key id/);
  await assert.rejects(s.signIn(accountKey.id, 'x'.repeat(300), operator, lookup), /SecretAccessKey must be/);
});

test('sessions end when idle, when too old, when ended, when their key is deleted, and the oldest gives way at the cap', async () => {
  let now = 1_000_000;
  const s = new ConsoleSessions({ idleMs: 1000, maxAgeMs: 5000, maxSessions: 2, now: () => now });
  const a = await s.signIn(accountKey.id, accountKey.secret, operator, lookup);
  now += 900;
  assert.ok(s.touch(a.id));
  now += 900; // idle clock restarted by the touch
  assert.ok(s.touch(a.id));
  now += 1001;
  assert.equal(s.touch(a.id), undefined, 'idle for longer than idleMs');
  const b = await s.signIn(accountKey.id, accountKey.secret, operator, lookup);
  for (let i = 0; i < 6; i++) {
    now += 900;
    if (i < 4) assert.ok(s.touch(b.id), `touch ${i}`);
  }
  assert.equal(s.touch(b.id), undefined, 'older than maxAgeMs however active');
  const c = await s.signIn(accountKey.id, accountKey.secret, operator, lookup);
  const d = await s.signIn(operator.accessKeyId, operator.secretAccessKey, operator, lookup);
  const e = await s.signIn(operator.accessKeyId, operator.secretAccessKey, operator, lookup);
  assert.equal(s.touch(c.id), undefined, 'the oldest session was ended to make room');
  assert.ok(s.touch(d.id) && s.touch(e.id));
  s.end(d.id);
  assert.equal(s.touch(d.id), undefined);
  const f = await s.signIn(accountKey.id, accountKey.secret, operator, lookup);
  s.endKey(accountKey.id);
  assert.equal(s.touch(f.id), undefined);
  assert.ok(s.touch(e.id), 'other keys keep their sessions');
});

test('failed sign-ins are throttled per minute, and a good key is refused too while throttled', async () => {
  let now = 60_000 * 100;
  const s = new ConsoleSessions({ maxFailuresPerMinute: 3, now: () => now });
  for (let i = 0; i < 3; i++) await assert.rejects(s.signIn(accountKey.id, 'wrong', operator, lookup), /not right/);
  await assert.rejects(s.signIn(accountKey.id, accountKey.secret, operator, lookup), /failed sign-ins/);
  now += 60_000;
  assert.ok(await s.signIn(accountKey.id, accountKey.secret, operator, lookup));
});

test('a cookie request needs the CSRF header and a same-site Origin; sign-in sets an HttpOnly SameSite=Strict cookie', async () => {
  const sessions = new ConsoleSessions();
  const app = new Hono();
  app.onError((err, c) => c.json({ __type: (err as Error & { code?: string }).code, message: err.message }, ((err as Error & { httpStatus?: number }).httpStatus ?? 500) as 400));
  mountConsoleSessionRoutes(app, { sessions, operator, lookup, body: async (c) => (await c.req.json()) as Record<string, unknown> });
  app.post('/v1/thing', (c) => {
    const s = authenticateSession(c, sessions);
    return c.json({ caller: s?.caller ?? null });
  });
  const signIn = await app.request('http://127.0.0.1:1/v1/console/SignIn', { method: 'POST', body: JSON.stringify({ AccessKeyId: accountKey.id, SecretAccessKey: accountKey.secret }) });
  assert.equal(signIn.status, 200);
  const cookie = signIn.headers.get('set-cookie')!;
  assert.match(cookie, new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict; Max-Age=28800$`));
  const body = (await signIn.json()) as { CsrfToken: string; Caller: unknown };
  assert.deepEqual(body.Caller, { Kind: 'account', AccountId: accountKey.accountId });
  assert.ok(!JSON.stringify(body).includes(accountKey.secret), 'the secret is never sent back');
  const jar = cookie.split(';')[0]!;
  const call = (headers: Record<string, string>) => app.request('http://127.0.0.1:1/v1/thing', { method: 'POST', headers: { cookie: jar, host: '127.0.0.1:1', ...headers } });
  assert.equal((await call({})).status, 403, 'no CSRF header');
  assert.equal((await call({ [CSRF_HEADER]: 'x'.repeat(43) })).status, 403, 'a wrong CSRF token');
  assert.equal((await call({ [CSRF_HEADER]: body.CsrfToken, origin: 'http://evil.example' })).status, 403, 'another site');
  const ok = await call({ [CSRF_HEADER]: body.CsrfToken, origin: 'http://127.0.0.1:1' });
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { caller: { kind: 'account', accountId: accountKey.accountId } });
  const out = await app.request('http://127.0.0.1:1/v1/console/SignOut', { method: 'POST', headers: { cookie: jar } });
  assert.match(out.headers.get('set-cookie')!, /Max-Age=0/);
  const after = await call({ [CSRF_HEADER]: body.CsrfToken });
  assert.equal(after.status, 401, 'the ended session authenticates nothing');
  const crossSiteSignIn = await app.request('http://127.0.0.1:1/v1/console/SignIn', { method: 'POST', headers: { origin: 'http://evil.example', host: '127.0.0.1:1' }, body: JSON.stringify({ AccessKeyId: accountKey.id, SecretAccessKey: accountKey.secret }) });
  assert.equal(crossSiteSignIn.status, 403);
});
