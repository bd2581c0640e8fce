// End-to-end on the live path: `serve --realize` builds a real network on this host, real traffic
// crosses it (an HTTP server and a client in two subnets, a blocked port), and the flow log's records
// arrive in the log store with the kernel's verdicts; `vpcflow down` removes every namespace.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { VpcflowServer, BIN } from '../helpers/cli.ts';
import { randomTestPrefix } from '../../src/dataplane/index.ts';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const missingTools = ['ip', 'nft', 'tcpdump', 'curl', 'nc', 'python3'].filter((t) => {
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', t], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
});
const skip = !isRoot ? 'needs root (network namespaces, nftables, NFLOG): run as root to exercise the live path'
  : missingTools.length ? `needs ${missingTools.join(', ')} on PATH` : false;

const hex = randomBytes(8).toString('hex');
const ID = {
  vpc: `vpc-0${hex}`, subnetWeb: `subnet-1${hex}`, subnetClient: `subnet-2${hex}`,
  web: `i-1${hex}`, client: `i-2${hex}`, eniWeb: `eni-1${hex}`, eniClient: `eni-2${hex}`,
};
const WEB = '10.42.1.10';
const CLIENT = '10.42.2.20';
const GROUP = `/vpcflow/live-${hex}`;
const prefix = randomTestPrefix();
const started: ChildProcess[] = [];
let server: VpcflowServer | undefined;

const network = `account: "111122223333"
region: us-east-1
vpcs:
  - id: ${ID.vpc}
    cidr: 10.42.0.0/16
    subnets:
      - { id: ${ID.subnetWeb}, cidr: 10.42.1.0/24, availability-zone: us-east-1a }
      - { id: ${ID.subnetClient}, cidr: 10.42.2.0/24, availability-zone: us-east-1a }
    security-groups:
      - name: web
        description: http only
        ingress: [{ protocol: tcp, from-port: 80, to-port: 80, cidr: 10.42.0.0/16 }]
    instances:
      - id: ${ID.web}
        subnet: ${ID.subnetWeb}
        interfaces: [{ id: ${ID.eniWeb}, private-ip: ${WEB}, security-groups: [web] }]
      - id: ${ID.client}
        subnet: ${ID.subnetClient}
        interfaces: [{ id: ${ID.eniClient}, private-ip: ${CLIENT} }]
`;

function namespacesWithPrefix(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(`${prefix}-`));
}

/** Kills a process group started with `detached` (the CLI, `ip netns exec` and the program it became). */
function killGroup(c: ChildProcess): void {
  if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) return;
  try {
    process.kill(-c.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

after(async () => {
  for (const c of started) killGroup(c);
  if (server) {
    // Whatever happened above: no namespace of this run may outlive it.
    if (namespacesWithPrefix().length) await server.run(['down']);
    await server.stop();
  }
});

test('serve --realize: real traffic becomes ACCEPT and REJECT records in the log store; down removes the namespaces', { skip, timeout: 120_000 }, async () => {
  server = new VpcflowServer(['--realize', '--short-intervals', '--dataplane-prefix', prefix]);
  await server.start();
  const file = join(server.dataDir, 'network.yaml');
  writeFileSync(file, network);
  const applied = await server.run(['apply', file]);
  assert.equal(applied.code, 0, applied.stderr + server.output);
  assert.ok(namespacesWithPrefix().length >= 3, `expected VPC and instance namespaces with prefix ${prefix}: ${namespacesWithPrefix().join(' ')}`);

  const fl = await server.run(['flow-logs', 'create', '--resource-type', 'VPC', '--resource-ids', ID.vpc, '--traffic-type', 'ALL',
    '--log-destination-type', 'cloud-watch-logs', '--log-group-name', GROUP, '--max-aggregation-interval', '5']);
  assert.equal(fl.code, 0, fl.stderr);
  assert.match(fl.stdout, /fl-[0-9a-f]+/);

  const env = { ...process.env, VPCFLOW_ENDPOINT: server.endpoint };
  const exec = (instance: string, argv: string[]) => execCli(['exec', instance, '--', ...argv], env);
  const web = spawn(process.execPath, [BIN, 'exec', ID.web, '--', 'python3', '-m', 'http.server', '80', '--bind', WEB], { env, detached: true, stdio: 'ignore' });
  started.push(web);

  let fetched: { code: number; stdout: string } = { code: -1, stdout: '' };
  for (let i = 0; i < 30 && fetched.code !== 0; i++) {
    fetched = await exec(ID.client, ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '2', `http://${WEB}/`]);
    if (fetched.code !== 0) await sleep(300);
  }
  assert.equal(fetched.code, 0, `curl from the client never reached the web server: ${fetched.stdout}`);
  assert.equal(fetched.stdout, '200');
  const ssh = await exec(ID.client, ['nc', '-z', '-w1', WEB, '22']);
  assert.notEqual(ssh.code, 0, 'port 22 must be blocked by the web security group');

  // Two 5 s windows plus the second of grace and delivery.
  await sleep(8000);
  const logs = await server.run(['logs', 'filter', GROUP]);
  assert.equal(logs.code, 0, logs.stderr);
  // Default format: version account eni src dst srcport dstport protocol packets bytes start end action status
  const records = logs.stdout.trim().split('\n').filter(Boolean).map((line) => {
    const [stream, ...f] = line.split(' ');
    return { stream, eni: f[2], src: f[3], dst: f[4], srcport: f[5], dstport: f[6], protocol: f[7], action: f[12], status: f[13] };
  });
  const http = (eni: string) => records.filter((r) => r.eni === eni && r.status === 'OK' && r.protocol === '6' && ((r.dst === WEB && r.dstport === '80') || (r.src === WEB && r.srcport === '80')));
  assert.ok(http(ID.eniWeb).some((r) => r.action === 'ACCEPT'), `no ACCEPT record for port 80 on the web interface:\n${logs.stdout}\n${server.output}`);
  assert.ok(http(ID.eniClient).some((r) => r.action === 'ACCEPT'), `no ACCEPT record for port 80 on the client interface:\n${logs.stdout}`);
  const blocked = records.filter((r) => r.eni === ID.eniWeb && r.dst === WEB && r.dstport === '22');
  assert.ok(blocked.length > 0 && blocked.every((r) => r.action === 'REJECT'), `expected REJECT for port 22 on the web interface:\n${logs.stdout}`);
  assert.ok(records.some((r) => r.eni === ID.eniClient && r.dst === WEB && r.dstport === '22' && r.action === 'ACCEPT'), 'the client sent port 22 (its own group allows egress): ACCEPT on its interface');
  const rules = await server.run(['query', `select rule from flows where interface_id = '${ID.eniWeb}' and dstport = 22 and action = 'REJECT'`, '--output', 'json']);
  assert.equal(rules.code, 0, rules.stderr);
  assert.match(rules.stdout, /"sgi /, 'the deciding rule is the web interface\'s inbound security-group code');

  killGroup(web);
  const down = await server.run(['down']);
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual(namespacesWithPrefix(), []);
});

function execCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    c.once('close', (code) => resolve({ code: code ?? 1, stdout: out }));
  });
}
