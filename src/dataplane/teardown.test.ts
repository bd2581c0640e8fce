// Stopping processes by identity: SIGTERM first, SIGKILL after the grace period for a program that
// ignores SIGTERM, and a pid whose start time no longer matches is never signalled. Runs real
// child processes (no namespace needed: the namespace listing is the kernel tests' part).

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, test } from 'node:test';
import { formatArgv, processArgv, processStartTime, stopProcesses, type NamespaceProcess } from './teardown.ts';

const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** A node child that reports it is ready (its handlers installed) on stdout. */
async function start(script: string): Promise<ChildProcess> {
  const c = spawn(process.execPath, ['-e', script, 'marker-arg'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(c);
  await new Promise<void>((resolve, reject) => {
    c.stdout!.once('data', () => resolve());
    c.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
  });
  return c;
}

const closed = (c: ChildProcess) => new Promise<NodeJS.Signals | null>((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve(c.signalCode) : c.once('exit', (_code, sig) => resolve(sig))));

function identity(c: ChildProcess): NamespaceProcess {
  const startTime = processStartTime(c.pid!);
  assert.ok(startTime, 'a running child has a start time');
  return { pid: c.pid!, argv: processArgv(c.pid!), namespace: 'test-ns', startTime };
}

test('a process that exits on SIGTERM is stopped with SIGTERM; one that ignores it gets SIGKILL after the grace period', async () => {
  const polite = await start("setInterval(() => {}, 1000); console.log('ready')");
  const stubborn = await start("process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); console.log('ready')");
  const r = await stopProcesses([identity(polite), identity(stubborn)], { graceMs: 300 });
  assert.deepEqual(r.survivors, []);
  assert.deepEqual(r.stopped.map((s) => [s.pid, s.signal]), [[polite.pid, 'SIGTERM'], [stubborn.pid, 'SIGKILL']]);
  assert.deepEqual(r.stopped[0]!.argv.slice(1), ['-e', "setInterval(() => {}, 1000); console.log('ready')", 'marker-arg'], 'the command line as /proc has it');
  assert.equal(await closed(polite), 'SIGTERM');
  assert.equal(await closed(stubborn), 'SIGKILL');
});

test('a pid whose start time differs (a reused pid) is neither signalled nor reported', async () => {
  const other = await start("setInterval(() => {}, 1000); console.log('ready')");
  const stale = { ...identity(other), startTime: '1' };
  const r = await stopProcesses([stale], { graceMs: 100 });
  assert.deepEqual(r, { stopped: [], survivors: [] });
  assert.equal(processStartTime(other.pid!), identity(other).startTime, 'still running');
  other.kill('SIGKILL');
  await closed(other);
  assert.equal(processStartTime(other.pid!), undefined, 'a reaped process has no start time');
});

test('formatArgv quotes what would be ambiguous and shortens long lines', () => {
  assert.equal(formatArgv(['sleep', '1000']), 'sleep 1000');
  assert.equal(formatArgv(['sh', '-c', 'echo hi']), 'sh -c "echo hi"');
  assert.equal(formatArgv(['a', '']), 'a ""');
  assert.equal(formatArgv([]), '(no command line)');
  assert.equal(formatArgv(['x'.repeat(300)]).length, 200);
});
