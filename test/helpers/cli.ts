// Drives the real `vpcflow` command: a server child process on a free port and CLI invocations
// against it, exactly as a user would run them.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/vpcflow.js');
export const SHARED = resolve(ROOT, '../shared');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class VpcflowServer {
  readonly dataDir: string;
  endpoint = '';
  private child: ChildProcess | null = null;
  private log = '';

  constructor(readonly extraArgs: string[] = [], dataDir?: string) {
    this.dataDir = dataDir ?? mkdtempSync(join(tmpdir(), 'vpcflow-e2e-'));
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', join(this.dataDir, 'data'), '--port', '0', ...this.extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.endpoint = await new Promise<string>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`server did not start in 30 s:\n${this.log}`)), 30_000);
      child.stderr!.on('data', (d: Buffer) => {
        this.log += d.toString();
        const m = /serving (http:\/\/[\d.]+:\d+)/.exec(this.log);
        if (m) {
          clearTimeout(timer);
          ok(m[1]!);
        }
      });
      child.once('exit', (code) => fail(new Error(`server exited with ${code} before serving:\n${this.log}`)));
    });
  }

  /** The server process's id while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get output(): string {
    return this.log;
  }

  /** The operator key file the server wrote; the CLI signs with it through VPCFLOW_CREDENTIALS. */
  get operatorKeyFile(): string {
    return join(this.dataDir, 'data', 'keys', 'operator.json');
  }

  /** Environment for a CLI run against this server: signed with the operator key. */
  get cliEnv(): Record<string, string> {
    return { VPCFLOW_CREDENTIALS: this.operatorKeyFile };
  }

  /** Runs `vpcflow ARGS --endpoint <this server>`, signed with the operator key unless `env` says otherwise. */
  run(args: string[], opts: { env?: Record<string, string>; withEndpoint?: boolean } = {}): Promise<RunResult> {
    const full = opts.withEndpoint === false ? args : [...args, '--endpoint', this.endpoint];
    return runCli(full, { ...this.cliEnv, ...opts.env });
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const c = this.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((r) => {
      c.once('exit', () => r());
      c.kill(signal);
    });
  }

  async stop(removeData = true): Promise<void> {
    await this.kill();
    if (removeData) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export function runCli(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return new Promise((ok) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      ok({ code, stdout, stderr });
    });
  });
}
