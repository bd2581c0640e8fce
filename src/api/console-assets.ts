// Serves the web console's built files (console/dist) under /console/, with a strict
// Content-Security-Policy: scripts, styles, images and connections from this origin only, no inline
// script, no framing. The console is a client of the public /v1 API like any other; nothing here
// reads the store.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Context, Hono } from 'hono';

export const CONSOLE_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
  "connect-src 'self'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json', '.woff2': 'font/woff2',
  '.map': 'application/json',
};
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Security headers of every console response. */
export function consoleHeaders(c: Context): void {
  c.header('content-security-policy', CONSOLE_CSP);
  c.header('x-content-type-options', 'nosniff');
  c.header('referrer-policy', 'no-referrer');
  c.header('x-frame-options', 'DENY');
  c.header('cross-origin-opener-policy', 'same-origin');
}

/**
 * Mounts GET / (to the console) and GET /console/*. Only files found in distDir at start (one flat
 * folder, names checked) are served: a request path never reaches the file system.
 */
export function mountConsoleAssets(app: Hono, distDir: string, log?: (line: string) => void): void {
  const files = new Map<string, { body: Buffer; type: string }>();
  try {
    for (const name of readdirSync(distDir)) {
      const path = join(distDir, name);
      if (!SAFE_NAME.test(name) || !statSync(path).isFile()) continue;
      const type = TYPES[extname(name)];
      if (type) files.set(name, { body: readFileSync(path), type });
    }
  } catch {
    log?.(`console: ${distDir} is not readable; the web console is not served (run npm ci or npm run build:console)`);
  }
  const index = files.get('index.html');
  const send = (c: Context, f: { body: Buffer; type: string }) => {
    consoleHeaders(c);
    c.header('content-type', f.type);
    c.header('cache-control', 'no-cache');
    return c.body(new Uint8Array(f.body));
  };
  // GET / is also S3's ListBuckets: only a browser asking for a page (unsigned, accepting HTML) is sent to the console.
  app.get('/', async (c, next) => {
    const fromBrowser = c.req.header('authorization') === undefined && (c.req.header('accept') ?? '').includes('text/html');
    if (fromBrowser) return c.redirect('/console/', 302);
    await next();
  });
  app.get('/console', (c) => c.redirect('/console/', 302));
  app.get('/console/', (c) => {
    if (!index) return c.text('the web console is not built: run `npm ci` (or `npm run build:console`) and restart the server', 503);
    return send(c, index);
  });
  app.get('/console/:name', (c) => {
    const f = files.get(c.req.param('name'));
    if (!f) {
      consoleHeaders(c);
      return c.text('not found', 404);
    }
    return send(c, f);
  });
}
