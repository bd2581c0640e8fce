// Stopping the programs that still run inside namespaces about to be deleted. A namespace lives on
// (with its veth pairs and routes) as long as one process is in it, so deleting it under a running
// program leaves kernel objects behind that no name refers to any more. Each process is identified
// by its pid AND its start time, so a pid the kernel reused for an unrelated program is never signalled.

import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kernel } from './kernel.ts';

/** What a namespace was made for, as the state file records it (undefined: not recorded there). */
export interface NamespaceOwner {
  readonly kind: 'instance' | 'vpc';
  readonly id: string;
}

export interface NamespaceProcess {
  readonly pid: number;
  /** Its command line from /proc/PID/cmdline (empty for a kernel thread or when unreadable). */
  readonly argv: readonly string[];
  readonly namespace: string;
  readonly owner?: NamespaceOwner;
  /** Field 22 of /proc/PID/stat: with the pid, the process's identity. */
  readonly startTime: string;
}

export interface StoppedProcess extends Omit<NamespaceProcess, 'startTime'> {
  /** The signal that ended it: SIGKILL when it outlived the grace period after SIGTERM. */
  readonly signal: 'SIGTERM' | 'SIGKILL';
}

export interface StopOptions {
  /** How long processes get after SIGTERM before SIGKILL (default 5 s). */
  readonly graceMs?: number;
  /** How long to wait for SIGKILLed processes to be gone (default 2 s). */
  readonly killWaitMs?: number;
}

export const DEFAULT_STOP_GRACE_MS = 5000;
const DEFAULT_KILL_WAIT_MS = 2000;
const POLL_MS = 50;
/** Programs may start others while being stopped; this many listings per namespace, then give up. */
const MAX_ROUNDS = 3;

/** Start time of a live process, undefined when it is gone or a zombie (which holds no namespace). */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself contain ") ".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  if (state === 'Z' || state === 'X' || state === 'x') return undefined;
  return fields[19];
}

/** A process's command line, NUL-separated in /proc; empty when unreadable. */
export function processArgv(pid: number): string[] {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
  } catch {
    return [];
  }
}

/** Every process running in the given namespaces (not this process itself). */
export async function processesIn(kernel: Kernel, namespaces: readonly { namespace: string; owner?: NamespaceOwner }[]): Promise<NamespaceProcess[]> {
  const out: NamespaceProcess[] = [];
  for (const { namespace, owner } of namespaces) {
    for (const pid of await kernel.pids(namespace)) {
      if (pid === process.pid) continue;
      const startTime = processStartTime(pid);
      if (startTime === undefined) continue;
      out.push({ pid, argv: processArgv(pid), namespace, startTime, ...(owner ? { owner } : {}) });
    }
  }
  return out;
}

const isRunning = (p: NamespaceProcess): boolean => processStartTime(p.pid) === p.startTime;

function signal(p: NamespaceProcess, sig: NodeJS.Signals): void {
  if (!isRunning(p)) return;
  try {
    process.kill(p.pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

/** Waits until none of `procs` runs, or `ms` passed; returns those still running. */
async function waitGone(procs: readonly NamespaceProcess[], ms: number): Promise<NamespaceProcess[]> {
  const deadline = Date.now() + ms;
  let left = procs.filter(isRunning);
  while (left.length && Date.now() < deadline) {
    await sleep(POLL_MS);
    left = left.filter(isRunning);
  }
  return left;
}

/**
 * SIGTERM to every process, SIGKILL to those still running after the grace period. Returns
 * which ended how, and those that survived even SIGKILL (e.g. stuck in the kernel).
 */
export async function stopProcesses(procs: readonly NamespaceProcess[], options: StopOptions = {}): Promise<{ stopped: StoppedProcess[]; survivors: NamespaceProcess[] }> {
  const running = procs.filter(isRunning);
  for (const p of running) signal(p, 'SIGTERM');
  const stubborn = new Set(await waitGone(running, options.graceMs ?? DEFAULT_STOP_GRACE_MS));
  for (const p of stubborn) signal(p, 'SIGKILL');
  const survivors = await waitGone([...stubborn], options.killWaitMs ?? DEFAULT_KILL_WAIT_MS);
  const stopped = running
    .filter((p) => !survivors.includes(p))
    .map((p): StoppedProcess => {
      const { startTime: _, ...rest } = p;
      return { ...rest, signal: stubborn.has(p) ? 'SIGKILL' : 'SIGTERM' };
    });
  return { stopped, survivors };
}

/**
 * Stops everything running in the given namespaces. Programs started meanwhile (a shell restarting
 * its job, say) are found by listing again; later rounds go straight to SIGKILL.
 */
export async function stopProcessesIn(
  kernel: Kernel,
  namespaces: readonly { namespace: string; owner?: NamespaceOwner }[],
  options: StopOptions = {},
): Promise<{ stopped: StoppedProcess[]; survivors: NamespaceProcess[] }> {
  const stopped: StoppedProcess[] = [];
  let survivors: NamespaceProcess[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const found = (await processesIn(kernel, namespaces)).filter((p) => !survivors.some((s) => s.pid === p.pid && s.startTime === p.startTime));
    if (!found.length) break;
    const r = await stopProcesses(found, round === 0 ? options : { ...options, graceMs: 0 });
    stopped.push(...r.stopped);
    survivors = [...survivors, ...r.survivors];
  }
  return { stopped, survivors };
}

/** `sleep 1000`, with arguments quoted where a space or control character would make them ambiguous. */
export function formatArgv(argv: readonly string[], max = 200): string {
  if (!argv.length) return '(no command line)';
  const text = argv.map((a) => (a === '' || /[\s"'\\\p{Cc}]/u.test(a) ? JSON.stringify(a) : a)).join(' ');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
