// Runs the kernel tools with argument arrays (execFile, never a shell) and turns failures into
// CommandError. A runner is injectable so callers can log or fake the commands.

import { execFile } from 'node:child_process';
import { CommandError } from './errors.ts';

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Written to the program's stdin (nft -f - reads its ruleset here). */
  readonly input?: string;
}

/** Runs one program with its arguments; rejects with CommandError when it exits non-zero. */
export type CommandRunner = (program: string, args: readonly string[], options?: RunOptions) => Promise<CommandResult>;

const MAX_OUTPUT = 64 * 1024 * 1024;

export const execRunner: CommandRunner = (program, args, options = {}) =>
  new Promise((resolve, reject) => {
    const child = execFile(program, [...args], { maxBuffer: MAX_OUTPUT, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) {
        const code = typeof error.code === 'number' ? error.code : null;
        reject(new CommandError(program, args, code, stderr || error.message));
      } else {
        resolve({ stdout, stderr });
      }
    });
    // A program that exits without reading its input closes the pipe: its exit status tells what happened.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input);
  });

/** Whether a CommandError says the object is already gone (so deleting it again is fine). */
export function isMissingObject(e: unknown): boolean {
  if (!(e instanceof CommandError)) return false;
  return /Cannot find device|No such file or directory|No such process|does not exist|not found|No such device|Cannot open network namespace/i.test(e.stderr);
}

/** Whether a CommandError says the object is already there (so adding it again is fine). */
export function isExistingObject(e: unknown): boolean {
  return e instanceof CommandError && /File exists|already exists/i.test(e.stderr);
}
