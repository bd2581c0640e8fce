// `vpcflow down`: removes the realized network. Through the server (`/v1/vpcflow/Down`), or, with
// --data-dir / --dataplane-prefix, right here from the data plane's state file and the namespace
// prefix: what is left after a server was killed, or a run was interrupted, needs no server to go.

import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { down, type DownResult } from '../dataplane/realize.ts';
import { checkPrefix } from '../dataplane/names.ts';
import { formatArgv, type StoppedProcess } from '../dataplane/teardown.ts';
import { VpcflowError } from '../platform/errors.ts';
import { Client, CliError, EXIT } from './client.ts';
import { printObject, type OutputFormat } from './output.ts';

export interface DownCommandOptions {
  endpoint: string;
  output: OutputFormat;
  dataDir?: string;
  dataplanePrefix?: string;
  /** Seconds between SIGTERM and SIGKILL for programs still running in the namespaces. */
  gracePeriod?: number;
  /** Whether --endpoint was given on the command line (not from the environment or the default). */
  endpointGiven?: boolean;
}

/** What `down` prints, whichever side removed the network. */
export interface DownReport {
  Removed: string[];
  Stopped: { Pid: number; Command: string[]; Namespace: string; InstanceId?: string; VpcId?: string; Signal: string }[];
  Busy: { Namespace: string; Pids: number[] }[];
}

export async function runDownCommand(o: DownCommandOptions): Promise<void> {
  const local = o.dataDir !== undefined || o.dataplanePrefix !== undefined;
  if (local && o.endpointGiven) {
    throw new CliError('--endpoint asks a server to remove its network; --data-dir and --dataplane-prefix remove it here without one: give one or the other', EXIT.usage);
  }
  const report = local ? await downHere(o) : await downThroughServer(o);
  printReport(report, o.output);
  if (report.Busy.length) throw new CliError('some namespaces could not be removed while processes run in them (see above)', EXIT.serverError);
}

async function downThroughServer(o: DownCommandOptions): Promise<DownReport> {
  const res = await new Client(o.endpoint).call<Partial<DownReport>>('/v1/vpcflow/Down');
  return { Removed: res.Removed ?? [], Stopped: res.Stopped ?? [], Busy: res.Busy ?? [] };
}

async function downHere(o: DownCommandOptions): Promise<DownReport> {
  let prefix: string | undefined;
  if (o.dataplanePrefix !== undefined) {
    try {
      prefix = checkPrefix(o.dataplanePrefix);
    } catch {
      throw new CliError(`--dataplane-prefix: '${o.dataplanePrefix}' is not a namespace prefix (a lowercase letter, then 1 to 11 lowercase letters or digits)`, EXIT.usage);
    }
  }
  let statePath: string | undefined;
  if (o.dataDir !== undefined) {
    const dir = resolve(o.dataDir);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CliError(`--data-dir: ${dir} is not a folder`, EXIT.usage);
    statePath = join(dir, 'dataplane.json');
    if (!existsSync(statePath) && prefix === undefined) {
      process.stderr.write(`nothing is realized from ${dir} (no dataplane.json there)\n`);
    }
  }
  const graceMs = Math.round((o.gracePeriod ?? 5) * 1000);
  let r: DownResult;
  try {
    r = await down(statePath, { ...(prefix !== undefined ? { prefix } : {}), stop: { graceMs } });
  } catch (e) {
    if (e instanceof VpcflowError) throw new CliError(`vpcflow down: ${e.message}`, EXIT.serverError);
    throw e;
  }
  return {
    Removed: [...r.removed],
    Stopped: (r.stopped ?? []).map(stoppedEntry),
    Busy: r.busy.map((b) => ({ Namespace: b.namespace, Pids: [...b.pids] })),
  };
}

function stoppedEntry(p: StoppedProcess): DownReport['Stopped'][number] {
  return {
    Pid: p.pid, Command: [...p.argv], Namespace: p.namespace,
    ...(p.owner?.kind === 'instance' ? { InstanceId: p.owner.id } : p.owner?.kind === 'vpc' ? { VpcId: p.owner.id } : {}),
    Signal: p.signal,
  };
}

function printReport(r: DownReport, output: OutputFormat): void {
  if (output !== 'text') return printObject(r, output);
  for (const p of r.Stopped) {
    const where = p.InstanceId ? `instance ${p.InstanceId}` : p.VpcId ? `the router of ${p.VpcId}` : 'an unrecorded namespace';
    process.stdout.write(`stopped pid ${p.Pid} in ${where} (namespace ${p.Namespace}) with ${p.Signal}: ${formatArgv(p.Command)}\n`);
  }
  for (const ns of r.Removed) process.stdout.write(`- namespace ${ns}\n`);
  for (const b of r.Busy) process.stderr.write(`namespace ${b.Namespace} is gone from the list, but processes ${b.Pids.join(', ')} still run in it (even SIGKILL did not end them)\n`);
  if (!r.Removed.length && !r.Stopped.length && !r.Busy.length) process.stdout.write('nothing to remove\n');
}
