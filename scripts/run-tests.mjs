#!/usr/bin/env node
// The one test command (npm test): type check, layer check, then every *.test.ts under src/ and
// test/ through node's own test runner. Files that build kernel objects (network namespaces, nftables,
// NFLOG groups) share the host's kernel state, so they run one at a time; every other file shares
// nothing (temp folders, port 0) and runs concurrently beside them. Each group's TAP goes to a file
// and is printed whole when the group ends, so the two streams never interleave.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) continue;
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** A file that realizes networks or creates namespaces itself: it needs the kernel to itself. */
const KERNEL_MARKERS = ['test-group: kernel', 'helpers/live.ts', "'--realize'", "'netns'", 'dataplane/index.ts', '../dataplane/', "'live'"];
const usesKernel = (file) => {
  if (file.startsWith(join('src', 'dataplane'))) return true;
  const text = readFileSync(file, 'utf8');
  return KERNEL_MARKERS.some((m) => text.includes(m));
};

const only = process.argv.slice(2);
const files = only.length ? only : [...find('src'), ...find('test')].sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

const step = (label, cmd, args) => {
  console.error(`# ${label}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`# ${label} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
};

if (!only.length) {
  step('type check (tsc)', process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.']);
  step('type check of the console (tsc)', process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'console']);
  step('layer check', process.execPath, ['--import', 'tsx', 'scripts/check-layers.ts']);
}

const kernel = files.filter(usesKernel);
const independent = files.filter((f) => !kernel.includes(f));
// Two cores: the independent files mostly wait on child processes and I/O, so three at a time.
const concurrency = Number(process.env.VPCFLOW_TEST_CONCURRENCY ?? 3);
const out = mkdtempSync(join(tmpdir(), 'vpcflow-tests-'));

function runGroup(name, group, perGroup) {
  if (group.length === 0) return Promise.resolve({ name, code: 0, log: null });
  const log = join(out, `${name}.tap`);
  const sink = createWriteStream(log);
  console.error(`# ${name}: ${group.length} file(s), ${perGroup} at a time`);
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', `--test-concurrency=${perGroup}`, ...group], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(sink);
  child.stderr.on('data', (d) => process.stderr.write(d));
  return new Promise((resolve) => child.once('close', (code, signal) => sink.end(() => resolve({ name, code: code ?? (signal ? 1 : 0), log }))));
}

const started = Date.now();
const results = await Promise.all([runGroup('kernel', kernel, 1), runGroup('independent', independent, concurrency)]);
let failed = false;
for (const r of results) {
  if (!r.log) continue;
  const tap = readFileSync(r.log, 'utf8');
  process.stdout.write(tap);
  const summary = tap.split('\n').filter((l) => /^# (tests|pass|fail|skipped|duration_ms) /.test(l)).join(', ');
  console.error(`# ${r.name} group: exit ${r.code}; ${summary}`);
  if (r.code !== 0) failed = true;
}
console.error(`# all tests: ${((Date.now() - started) / 1000).toFixed(0)} s`);
rmSync(out, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
