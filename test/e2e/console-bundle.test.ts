// The built console: the first screen (index.html, app.js, app.css) stays under 250 KB gzipped, and
// nothing in it reaches outside the server (no remote script, style, font or image: the console must
// work with no network), and the build is current for its sources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CONSOLE_DIST, buildConsole, isCurrent } from '../../console/build.mjs';

const FIRST_SCREEN_BUDGET = 250 * 1024;
/** URLs that are names, not addresses (XML namespaces). */
const NAMESPACES = new Set(['http://www.w3.org/2000/svg', 'http://www.w3.org/1999/xlink', 'http://www.w3.org/1999/xhtml', 'http://www.w3.org/XML/1998/namespace', 'http://www.w3.org/2000/xmlns/', 'http://www.w3.org/1998/Math/MathML']);

test('the first screen of the console is at most 250 KB gzipped and fetches nothing from another host', async () => {
  if (!isCurrent()) await buildConsole({ quiet: true });
  const files = readdirSync(CONSOLE_DIST).filter((n) => !n.startsWith('.'));
  for (const needed of ['index.html', 'app.js', 'app.css']) assert.ok(files.includes(needed), `${needed} is built`);
  const firstScreen = ['index.html', 'app.js', 'app.css'].map((n) => gzipSync(readFileSync(join(CONSOLE_DIST, n)), { level: 9 }).length).reduce((a, b) => a + b, 0);
  assert.ok(firstScreen <= FIRST_SCREEN_BUDGET, `first screen is ${(firstScreen / 1024).toFixed(1)} KB gzipped, over ${FIRST_SCREEN_BUDGET / 1024} KB`);
  for (const name of files) {
    const text = readFileSync(join(CONSOLE_DIST, name), 'utf8');
    const remote = [...text.matchAll(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s"'`)<>]*/gi)].map((m) => m[0]).filter((u) => /^https?:/i.test(u) || u.startsWith('//'))
      .filter((u) => !NAMESPACES.has(u.replace(/[,;]+$/, '')));
    assert.deepEqual(remote, [], `${name} names remote addresses`);
  }
  const html = readFileSync(join(CONSOLE_DIST, 'index.html'), 'utf8');
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline script (the CSP forbids it)');
  assert.doesNotMatch(html, /\sstyle=/i, 'no inline style attribute');
});
