// `vpcflow exec INSTANCE -- COMMAND…`: asks the server for the `ip netns exec` argv and runs it
// here (as root on the server's host). The program runs as this process's child, so a signal meant
// for `vpcflow exec` (a service manager's SIGTERM, a closed terminal's SIGHUP, `kill -INT`) is
// passed on to it: otherwise the CLI would die and leave the program running in the namespace.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { Client, CliError, EXIT } from './client.ts';

export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type Forwarded = (typeof FORWARDED_SIGNALS)[number];

/** 128 + the signal's number: what a shell reports for a program a signal ended. */
export const exitCodeOfSignal = (signal: NodeJS.Signals): number => 128 + (osConstants.signals[signal] ?? 0);

export async function runExecCommand(instanceId: string, command: readonly string[], o: { endpoint: string }): Promise<void> {
  // Caught from the start: a signal arriving before the program runs means it never runs.
  const signals = new SignalRelay();
  try {
    const { Argv: argv } = await new Client(o.endpoint).call<{ Argv: string[] }>('/v1/vpcflow/ExecArgs', { InstanceId: instanceId, Command: command });
    if (signals.early) throw new CliError(`vpcflow exec: ${signals.early} before the command started in ${instanceId}; it did not run`, exitCodeOfSignal(signals.early));
    const [program, ...args] = argv;
    if (!program) throw new CliError('the server returned no command to run', EXIT.serverError);
    const code = await signals.run(program, args);
    if (code !== 0) throw new CliError('', code);
  } finally {
    signals.dispose();
  }
}

/**
 * Whether this process is in the foreground process group of its terminal: then a SIGINT most
 * likely came from the terminal's Ctrl-C, which the kernel sent to the child (same group) too.
 */
function inTerminalForeground(): boolean {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 5 (pgrp) and 8 (tpgid: -1 without a terminal) of proc(5), here counted from field 3.
    return f[5] !== '-1' && f[2] === f[5];
  } catch {
    return false;
  }
}

/** Holds SIGINT/SIGTERM/SIGHUP from construction to dispose(): remembered until a child runs, then passed on to it. */
export class SignalRelay {
  /** The first signal that came before any child ran. */
  early: Forwarded | undefined;
  private child: ChildProcess | undefined;
  private readonly handlers = FORWARDED_SIGNALS.map((sig) => [sig, () => this.relay(sig)] as const);

  constructor() {
    for (const [sig, h] of this.handlers) process.on(sig, h);
  }

  private relay(sig: Forwarded): void {
    const c = this.child;
    if (!c) {
      this.early ??= sig;
      return;
    }
    // Ctrl-C reached the program already: a second SIGINT would read as "force quit" to many.
    if (sig === 'SIGINT' && inTerminalForeground()) return;
    if (c.exitCode === null && c.signalCode === null) c.kill(sig);
  }

  /** Runs a program with this terminal and resolves with its exit code (128 + signal when a signal ended it). */
  run(program: string, args: readonly string[]): Promise<number> {
    return new Promise((resolve, reject) => {
      const child = spawn(program, [...args], { stdio: 'inherit' });
      this.child = child;
      child.once('error', (e: NodeJS.ErrnoException) => reject(new CliError(`cannot run ${program}: ${e.message}`, EXIT.serverError)));
      child.once('close', (code, signal) => resolve(code ?? (signal ? exitCodeOfSignal(signal) : EXIT.serverError)));
    });
  }

  dispose(): void {
    for (const [sig, h] of this.handlers) process.off(sig, h);
  }
}
