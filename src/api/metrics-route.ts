// GET /metrics: vpcflow's own metrics in Prometheus' text format, for a scraper holding the metrics
// token (DATA_DIR/keys/metrics.token, made at first start, readable by root only). Prometheus sends
// it as `authorization: {type: Bearer, credentials_file: …/metrics.token}`. The page names flow log
// ids of every account, so it is the operator's, like the operator key.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Context, Hono } from 'hono';
import { VpcflowError } from '../platform/errors.ts';
import type { Counter, Telemetry } from '../platform/telemetry.ts';
import { awsActionOf } from './request-labels.ts';

const TOKEN = /^[A-Za-z0-9_-]{32,128}$/;

/** Reads the metrics token, creating it (0600, folder 0700) when absent. */
export function loadOrCreateMetricsToken(path: string): string {
  if (existsSync(path)) {
    const token = readFileSync(path, 'utf8').trim();
    if (!TOKEN.test(token)) throw new VpcflowError('InternalError', `metrics token ${path}: expected 32–128 letters, digits, - or _; delete it to have a new one made`, 500);
    return token;
  }
  const token = randomBytes(32).toString('base64url');
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, token + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return token;
}

function bearer(c: Context): string | undefined {
  const h = c.req.header('authorization');
  const m = h !== undefined && h.length < 300 ? /^Bearer ([A-Za-z0-9_-]+)$/.exec(h.trim()) : null;
  return m?.[1];
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The route label of a request: its path for the API's own routes, a fixed name for the rest (bounded). */
export function routeLabel(path: string, status: number): string {
  if (path === '/') return '/';
  if (path === '/metrics') return '/metrics';
  if (path === '/console' || path.startsWith('/console/')) return '/console';
  if (path.startsWith('/v1/') && status !== 404 && path.length <= 80 && /^[A-Za-z0-9/_-]+$/.test(path)) return path;
  return 'other';
}

export function mountMetricsRoute(app: Hono, deps: { telemetry: Telemetry; token: string; requests: Counter }): void {
  // Counted after the answer is made, so the status is the one sent.
  app.use('*', async (c, next) => {
    await next();
    deps.requests.inc({ route: routeLabel(c.req.path, c.res.status), action: awsActionOf.get(c.req.raw) ?? '', method: c.req.method, status: String(c.res.status) });
  });
  app.get('/metrics', async (c) => {
    const given = bearer(c);
    if (given === undefined || !sameToken(given, deps.token)) {
      c.header('www-authenticate', 'Bearer realm="vpcflow metrics"');
      return c.text('the metrics page needs the token in DATA_DIR/keys/metrics.token as "Authorization: Bearer <token>"\n', 401);
    }
    c.header('content-type', 'text/plain; version=0.0.4; charset=utf-8');
    c.header('cache-control', 'no-store');
    return c.body(await deps.telemetry.render());
  });
}
