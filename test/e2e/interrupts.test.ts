// Interrupted runs leave no kernel object behind: `vpcflow demo --live` stopped by SIGINT or
// SIGTERM removes its namespaces (and stops what runs in them) and its temporary folder; after a
// `serve --realize` was killed (SIGKILL) or stopped (SIGTERM, which keeps the namespaces for the
// next start to adopt), `vpcflow down --data-dir --dataplane-prefix` removes the network without a
// server and stops the programs still running in its instances, naming each; `vpcflow exec` passes
// SIGTERM, SIGHUP and SIGINT on to its program and exits with 128 + signal.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, runCli, type VpcflowServer } from '../helpers/cli.ts';
import { exited, instanceNamespaceOf, killGroup, liveSkipReason, namespacesWithPrefix, startInInstance, startRealizing, until } from '../helpers/live.ts';
import { LIVE_DEMO_IDS } from '../../src/cli/demo-live.ts';
import { randomTestPrefix } from '../../src/dataplane/index.ts';

const reason = liveSkipReason(['ip', 'nft', 'tcpdump', 'setpriv']);
// On CI a host that cannot run these is a broken CI host: the tests run and fail there.
const skip = process.env.CI === 'true' ? false : reason;
const requireLive = () => {
  if (reason) assert.fail(`CI=true: ${reason}`);
};

const prefixes: string[] = [];
const servers: VpcflowServer[] = [];
const children: ChildProcess[] = [];
const tempDirs: string[] = [];

/** A fresh namespace prefix this file removes whatever happens. */
function newPrefix(): string {
  const p = randomTestPrefix();
  prefixes.push(p);
  return p;
}

after(async () => {
  for (const c of children) killGroup(c);
  for (const s of servers) await s.stop().catch(() => undefined);
  // Safety net that does not rely on the code under test: kill what runs in this run's namespaces, delete them.
  if (!reason) {
    for (const p of prefixes) {
      for (const ns of namespacesWithPrefix(p)) {
        for (const pid of pidsIn(ns)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone meanwhile
          }
        }
        execFileSync('ip', ['netns', 'delete', ns]);
      }
    }
  }
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

const signalCode = (sig: NodeJS.Signals): number => 128 + osConstants.signals[sig];

function pidsIn(ns: string): number[] {
  try {
    return execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const cmdline = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
};

/** How a process ended: its exit code, or the signal that killed it. */
function endOf(c: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve({ code: c.exitCode, signal: c.signalCode });
  return new Promise((resolve) => c.once('exit', (code, signal) => resolve({ code, signal })));
}

const alive = (pid: number): boolean => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));

/** `net:[INODE]` of a named namespace: how a process in it shows in /proc/PID/ns/net. */
const namespaceId = (ns: string): string => `net:[${statSync(`/run/netns/${ns}`).ino}]`;

/** Processes anywhere on the host still inside one of these namespaces (which keep them alive, deleted or not). */
function processesInside(ids: ReadonlySet<string>): string[] {
  const found: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (ids.has(readlinkSync(`/proc/${name}/ns/net`))) found.push(`${name}: ${cmdline(Number(name))}`);
    } catch {
      // exited meanwhile, or a kernel thread
    }
  }
  return found;
}

interface DemoRun {
  child: ChildProcess;
  tmp: string;
  output: () => string;
}

/** `vpcflow demo --live` with its own TMPDIR, so its temporary folder is the only `vpcflow-demo-*` there. */
function startDemo(prefix: string): DemoRun {
  const tmp = mkdtempSync(join(tmpdir(), 'vpcflow-interrupts-'));
  tempDirs.push(tmp);
  const child = spawn(process.execPath, [BIN, 'demo', '--live', '--dataplane-prefix', prefix], { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, tmp, output: () => out };
}

async function assertDemoCleanedUp(run: DemoRun, prefix: string, sig: NodeJS.Signals, namespaceIds: ReadonlySet<string>): Promise<void> {
  const code = await exited(run.child);
  const out = run.output();
  assert.equal(code, signalCode(sig), `the demo exits with 128 + ${sig}:\n${out}`);
  assert.match(out, new RegExp(`interrupted by ${sig}; nothing it built is left`));
  assert.deepEqual(namespacesWithPrefix(prefix), [], `no namespace of the demo remains:\n${out}`);
  assert.deepEqual(processesInside(namespaceIds), [], 'no process keeps one of its (deleted) namespaces alive');
  const dataDir = /data in (\S+)/.exec(out)?.[1];
  assert.ok(dataDir, `the demo names its data folder:\n${out}`);
  assert.equal(existsSync(dataDir), false, `${dataDir} is removed`);
  assert.deepEqual(readdirSync(run.tmp).filter((n) => n.startsWith('vpcflow-demo-')), [], 'its temporary folder is removed');
}

test('vpcflow demo --live stopped by SIGINT while it builds the network: no namespace, process or temporary folder remains', { skip, timeout: 120_000 }, async () => {
  requireLive();
  const prefix = newPrefix();
  const run = startDemo(prefix);
  const built = await until(() => namespacesWithPrefix(prefix).length === 3 || run.child.exitCode !== null, 60_000);
  assert.ok(built && run.child.exitCode === null, `the demo built its VPC and 2 instances:\n${run.output()}`);
  const ids = new Set(namespacesWithPrefix(prefix).map(namespaceId));
  run.child.kill('SIGINT');
  await assertDemoCleanedUp(run, prefix, 'SIGINT', ids);
});

test('vpcflow demo --live stopped by SIGTERM while its web server runs in an instance: the server is stopped, nothing remains', { skip, timeout: 120_000 }, async () => {
  requireLive();
  const prefix = newPrefix();
  const run = startDemo(prefix);
  // Printed once the web server listens, before the client's traffic (which takes more than 1.5 s: its SSH attempt times out).
  const clientLine = `$ vpcflow exec ${LIVE_DEMO_IDS.client} --`;
  const started = await until(() => run.output().includes(clientLine) || run.child.exitCode !== null, 60_000);
  assert.ok(started && run.child.exitCode === null, `the demo started its web server:\n${run.output()}`);
  const namespaces = namespacesWithPrefix(prefix);
  const ids = new Set(namespaces.map(namespaceId));
  const web = namespaces.flatMap(pidsIn).filter((pid) => cmdline(pid).includes('hello from the web instance'));
  assert.equal(web.length, 1, `the demo's web server runs in its instance: ${namespaces.flatMap(pidsIn).map(cmdline).join('\n')}`);
  run.child.kill('SIGTERM');
  await assertDemoCleanedUp(run, prefix, 'SIGTERM', ids);
  assert.equal(alive(web[0]!), false, 'the web server is gone');
});

// ---- serve --realize, exec and down ----

const hex = () => randomBytes(8).toString('hex');

function oneInstanceNetwork(): { network: string; instance: string } {
  const h = hex();
  const instance = `i-1${h}`;
  return {
    instance,
    network: `account: "111122223333"
region: us-east-1
vpcs:
  - id: vpc-0${h}
    cidr: 10.47.0.0/16
    subnets: [{ id: subnet-1${h}, cidr: 10.47.1.0/24, availability-zone: us-east-1a }]
    instances:
      - { id: ${instance}, subnet: subnet-1${h}, interfaces: [{ id: eni-1${h}, private-ip: 10.47.1.10 }] }
`,
  };
}

/** Starts `vpcflow exec INSTANCE -- sleep 1000` (in its own process group) and waits for the sleep inside; returns both. */
async function sleepInInstance(server: VpcflowServer, instance: string): Promise<{ cli: ChildProcess & { output: () => string }; sleepPid: number }> {
  const cli = startInInstance(server, instance, ['sleep', '1000']);
  children.push(cli);
  const ns = instanceNamespaceOf(server, instance);
  let sleepPid: number | undefined;
  const ok = await until(() => {
    sleepPid = pidsIn(ns).find((p) => cmdline(p) === 'sleep 1000');
    return sleepPid !== undefined || cli.exitCode !== null;
  }, 20_000);
  assert.ok(ok && sleepPid !== undefined, `sleep 1000 runs in ${instance}:\n${cli.output()}`);
  return { cli, sleepPid };
}

for (const how of ['SIGKILL', 'SIGTERM'] as const) {
  test(`serve --realize ended by ${how}, then \`vpcflow down --data-dir --dataplane-prefix\` without a server: the program in the instance is stopped and named, every namespace is gone`, { skip, timeout: 120_000 }, async () => {
    requireLive();
    const prefix = newPrefix();
    const { network, instance } = oneInstanceNetwork();
    const server = await startRealizing(prefix, network);
    servers.push(server);
    const { cli, sleepPid } = await sleepInInstance(server, instance);
    const vpcNamespace = Object.values(JSON.parse(readFileSync(join(server.dataDir, 'data', 'dataplane.json'), 'utf8')).vpcs as Record<string, { namespace: string }>)[0]!.namespace;
    assert.ok(pidsIn(vpcNamespace).length > 0, 'the server reads NFLOG inside the VPC namespace');
    await server.kill(how);
    // Ended already: its stop() would wait for an exit that happened; only its folder is left to remove.
    servers.splice(servers.indexOf(server), 1);
    tempDirs.push(server.dataDir);
    if (how === 'SIGTERM') {
      // A stopped server keeps its namespaces (the next start adopts them) but not its readers.
      assert.equal(namespacesWithPrefix(prefix).length, 2, 'the namespaces stay for the next start');
      assert.ok(await until(() => pidsIn(vpcNamespace).length === 0, 10_000), `no reader outlives the server: ${pidsIn(vpcNamespace).map(cmdline).join(', ')}`);
    }
    assert.ok(alive(sleepPid), 'the program in the instance outlived the server');

    const down = await runCli(['down', '--data-dir', join(server.dataDir, 'data'), '--dataplane-prefix', prefix, '--grace-period', '10']);
    assert.equal(down.code, 0, down.stderr + down.stdout);
    assert.match(down.stdout, new RegExp(`stopped pid ${sleepPid} in instance ${instance} \\(namespace ${prefix}-[a-z0-9-]+\\) with SIGTERM: sleep 1000`), down.stdout);
    assert.equal(alive(sleepPid), false, 'the sleep is gone');
    assert.deepEqual(namespacesWithPrefix(prefix), [], 'every namespace is removed');
    assert.equal(existsSync(join(server.dataDir, 'data', 'dataplane.json')), false, 'the state file goes with them');
    assert.equal(await exited(cli), signalCode('SIGTERM'), 'vpcflow exec reports its program\'s end by SIGTERM');

    const again = await runCli(['down', '--data-dir', join(server.dataDir, 'data'), '--dataplane-prefix', prefix]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /nothing to remove/);
  });
}

test('vpcflow exec passes SIGTERM, SIGHUP and SIGINT on to its program and exits with 128 + signal; the program is gone', { skip, timeout: 120_000 }, async () => {
  requireLive();
  const prefix = newPrefix();
  const { network, instance } = oneInstanceNetwork();
  const server = await startRealizing(prefix, network);
  servers.push(server);
  for (const sig of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) {
    const { cli, sleepPid } = await sleepInInstance(server, instance);
    // Only the CLI gets the signal: it runs in a process group of its own, as under a service manager.
    cli.kill(sig);
    // 'exit', not 'close': a program that outlived the CLI would hold its output pipes open.
    const end = await endOf(cli);
    assert.deepEqual(end, { code: signalCode(sig), signal: null }, `${sig}: vpcflow exec exits (not killed) with 128 + ${osConstants.signals[sig]}\n${cli.output()}`);
    assert.ok(await until(() => !alive(sleepPid), 5000), `${sig}: the sleep inside the instance is gone`);
  }
  const down = await server.run(['down']);
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual(namespacesWithPrefix(prefix), []);
});

test('vpcflow down refuses a bad --dataplane-prefix and --endpoint together with --data-dir', async () => {
  const bad = await runCli(['down', '--dataplane-prefix', 'Bad-Prefix']);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--dataplane-prefix: 'Bad-Prefix' is not a namespace prefix/);
  const both = await runCli(['down', '--data-dir', tmpdir(), '--endpoint', 'http://127.0.0.1:1']);
  assert.equal(both.code, 2, both.stderr);
  assert.match(both.stderr, /give one or the other/);
  const missing = await runCli(['down', '--data-dir', join(tmpdir(), `vpcflow-no-such-${hex()}`)]);
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /is not a folder/);
});
