#!/usr/bin/env node
// Builds the web console: console/src (Preact + signals, TypeScript/JSX) bundled by esbuild into
// console/dist (index.html, app.js, app.css). Runs at `npm ci` (postinstall) and, when the sources
// changed since the last build, at server start; needs no network. `node console/build.mjs --check`
// exits 1 when dist is stale.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONSOLE_ROOT = dirname(fileURLToPath(import.meta.url));
export const CONSOLE_DIST = join(CONSOLE_ROOT, 'dist');
const SRC = join(CONSOLE_ROOT, 'src');
// The server's pure folders the console may import (scripts/check-layers.ts): part of the bundle too.
const SHARED = ['net', 'records'].map((f) => join(CONSOLE_ROOT, '..', 'src', f));
const STAMP = '.build-hash';

function sourceFiles(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else out.push(p);
  }
  return out;
}

/** A hash of every source file (names and bytes) and of this script: dist is current when its stamp equals it. */
export function sourceHash() {
  const h = createHash('sha256');
  const shared = SHARED.flatMap((d) => sourceFiles(d)).filter((f) => !f.endsWith('.test.ts'));
  for (const f of [...sourceFiles(SRC), ...shared, fileURLToPath(import.meta.url)]) {
    h.update(relative(CONSOLE_ROOT, f)).update('\0').update(readFileSync(f)).update('\0');
  }
  return h.digest('hex');
}

export function isCurrent() {
  const stamp = join(CONSOLE_DIST, STAMP);
  return existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === sourceHash();
}

/** Builds into a temporary folder and renames it over dist, so a server never serves half a build. */
export async function buildConsole({ quiet = false } = {}) {
  const { build } = await import('esbuild');
  const hash = sourceHash();
  const tmp = join(CONSOLE_ROOT, `.dist-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const result = await build({
    entryPoints: { app: join(SRC, 'main.tsx') },
    outdir: tmp,
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    metafile: true,
    logLevel: quiet ? 'error' : 'warning',
    loader: { '.svg': 'text' },
  });
  copyFileSync(join(SRC, 'index.html'), join(tmp, 'index.html'));
  copyFileSync(join(SRC, 'icon.svg'), join(tmp, 'icon.svg'));
  writeFileSync(join(tmp, STAMP), hash + '\n');
  // Several servers may start at once on stale sources: whoever renames first wins, the others
  // find the same build in place and drop theirs.
  const old = join(CONSOLE_ROOT, `.dist-old-${process.pid}`);
  try {
    if (existsSync(CONSOLE_DIST)) renameSync(CONSOLE_DIST, old);
    renameSync(tmp, CONSOLE_DIST);
  } catch (e) {
    if (!isCurrent()) throw e;
  } finally {
    rmSync(old, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  if (!quiet) process.stderr.write(`console built: ${relative(process.cwd(), CONSOLE_DIST) || CONSOLE_DIST} (${(bytes / 1024).toFixed(0)} KB)\n`);
  return { dir: CONSOLE_DIST, bytes };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes('--check')) process.exit(isCurrent() ? 0 : 1);
  else if (process.argv.includes('--if-stale') && isCurrent()) process.exit(0);
  else await buildConsole();
}
