// The live `vpcflow demo`: a server that realizes a sample VPC on this host (namespaces, veth,
// nftables, NFLOG), ordinary programs talking across it (Node's own HTTP server and client, a UDP
// probe, ping when present), and the ACCEPT and REJECT records the kernel's verdicts produced,
// with the deciding rule of each rejection. Everything it built is removed before it returns.

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

export const LIVE_DEMO_IDS = {
  vpc: 'vpc-0a1b2c3d4e5f60718',
  webSubnet: 'subnet-0a1b2c3d4e5f60718',
  clientSubnet: 'subnet-0f1e2d3c4b5a69788',
  web: 'i-0a1b2c3d4e5f60718',
  client: 'i-0f1e2d3c4b5a69788',
  webEni: 'eni-0a1b2c3d4e5f60718',
  clientEni: 'eni-0f1e2d3c4b5a69788',
  webGroup: 'sg-0a1b2c3d4e5f60718',
  webAcl: 'acl-0a1b2c3d4e5f60718',
} as const;
const WEB = '10.0.1.10';
const CLIENT = '10.0.2.20';
const I = LIVE_DEMO_IDS;

/** Web subnet behind a NACL (HTTP and SSH in, ephemeral ports out; ICMP denied), web group allows HTTP only. */
export const LIVE_DEMO_NETWORK = `account: "111122223333"
region: us-east-1
vpcs:
  - id: ${I.vpc}
    name: demo
    cidr: 10.0.0.0/16
    subnets:
      - { id: ${I.webSubnet}, name: web, cidr: 10.0.1.0/24, availability-zone: us-east-1a }
      - { id: ${I.clientSubnet}, name: clients, cidr: 10.0.2.0/24, availability-zone: us-east-1b }
    security-groups:
      - id: ${I.webGroup}
        name: web
        description: HTTP from the VPC
        ingress: [{ protocol: tcp, from-port: 80, to-port: 80, cidr: 10.0.0.0/16 }]
    network-acls:
      - id: ${I.webAcl}
        subnets: [${I.webSubnet}]
        entries:
          - { rule-number: 100, egress: false, protocol: "6", rule-action: allow, cidr: 10.0.0.0/16, from-port: 80, to-port: 80 }
          - { rule-number: 110, egress: false, protocol: "6", rule-action: allow, cidr: 10.0.0.0/16, from-port: 22, to-port: 22 }
          - { rule-number: 120, egress: false, protocol: "1", rule-action: deny, cidr: 0.0.0.0/0, icmp-type: -1, icmp-code: -1 }
          - { rule-number: 100, egress: true, protocol: "6", rule-action: allow, cidr: 10.0.0.0/16, from-port: 1024, to-port: 65535 }
    instances:
      - id: ${I.web}
        name: web
        subnet: ${I.webSubnet}
        interfaces: [{ id: ${I.webEni}, private-ip: ${WEB}, security-groups: [${I.webGroup}] }]
      - id: ${I.client}
        name: client
        subnet: ${I.clientSubnet}
        interfaces: [{ id: ${I.clientEni}, private-ip: ${CLIENT} }]
`;

const LIVE_TOOLS = ['ip', 'nft', 'tcpdump', 'setpriv'] as const;

/** Why the live demo cannot run here, or undefined when it can. */
export function liveDemoUnavailable(): string | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'it needs root (network namespaces, nftables, NFLOG)';
  const missing = LIVE_TOOLS.filter((t) => !onPath(t));
  if (missing.length) return `it needs ${missing.join(', ')} (Debian: apt-get install iproute2 nftables tcpdump util-linux)`;
  return undefined;
}

function onPath(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', tool], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Namespaces named `<prefix>-…` on this host. */
export function liveNamespacesWithPrefix(prefix: string): string[] {
  const text = execFileSync('ip', ['-j', 'netns', 'list'], { encoding: 'utf8' }).trim();
  if (text === '') return [];
  return (JSON.parse(text) as { name?: unknown }[])
    .map((n) => n.name)
    .filter((n): n is string => typeof n === 'string' && n.startsWith(`${prefix}-`));
}

/** A namespace prefix no running `serve --realize` (default `vf`) or test uses. */
export function demoPrefix(): string {
  let s = '';
  for (const b of randomBytes(5)) s += (b % 36).toString(36);
  return `vfd${s}`;
}

const HTTP_SERVER = `require('http').createServer((q, s) => s.end('hello from the web instance\\n')).listen(80, '${WEB}', () => console.log('listening'))`;
/** Three HTTP GETs, then an SSH connection attempt that the web group drops (times out). */
const HTTP_CLIENT = `
const http = require('http'), net = require('net');
const get = () => new Promise((ok) => http.get('http://${WEB}/', (r) => { r.resume(); r.on('end', () => ok(r.statusCode)); }).on('error', (e) => ok(e.code)));
const ssh = () => new Promise((ok) => { const s = net.connect({ host: '${WEB}', port: 22, timeout: 1500 }); s.on('connect', () => { s.destroy(); ok('connected'); }); s.on('timeout', () => { s.destroy(); ok('timed out'); }); s.on('error', (e) => ok(e.code)); });
const udp = () => new Promise((ok) => { const s = require('dgram').createSocket('udp4'); s.send('where is dns?', 53, '${WEB}', () => { s.close(); ok('sent'); }); });
(async () => { const r = { http: [await get(), await get(), await get()], ssh: await ssh(), udp: await udp() }; console.log(JSON.stringify(r)); })();
`;

export interface LiveDemoOptions {
  api: { call<T>(path: string, body?: unknown): Promise<T> };
  out: (line?: string) => void;
  /** Waits for the flow log's windows to be delivered. */
  intervalSec: number;
  /** Aborts the traffic (its programs are stopped) and the wait for delivery. */
  signal?: AbortSignal;
}

/** Runs traffic on the realized demo network (already applied, flow logs created) and prints what was recorded. */
export async function runLiveTraffic(o: LiveDemoOptions): Promise<void> {
  const { api, out, signal } = o;
  const argvIn = async (instance: string, command: string[]): Promise<string[]> => (await api.call<{ Argv: string[] }>('/v1/vpcflow/ExecArgs', { InstanceId: instance, Command: command })).Argv;
  const serverArgv = await argvIn(I.web, [process.execPath, '-e', HTTP_SERVER]);
  signal?.throwIfAborted();
  out(`$ vpcflow exec ${I.web} -- node -e "<http server on ${WEB}:80>" &`);
  const web = spawn(serverArgv[0]!, serverArgv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error('the demo web server did not start within 10 s')), 10_000);
      const onAbort = () => fail(signal!.reason);
      function fail(e: unknown) {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        reject(e);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      web.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('listening')) {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }
      });
      web.once('error', (e) => fail(e));
      web.once('exit', (code) => fail(new Error(`the demo web server exited with ${code}`)));
    });
    out(`$ vpcflow exec ${I.client} -- node -e "<3× GET http://${WEB}/, connect ${WEB}:22, UDP to ${WEB}:53>"`);
    const result = await run(await argvIn(I.client, [process.execPath, '-e', HTTP_CLIENT]), signal);
    out(`  ${result.stdout.trim()}   (HTTP allowed; SSH dropped by the web security group; UDP dropped by the web subnet's ACL)`);
    if (onPath('ping')) {
      out(`$ vpcflow exec ${I.client} -- ping -c 2 -W 1 ${WEB}`);
      const ping = await run(await argvIn(I.client, ['ping', '-c', '2', '-W', '1', WEB]), signal);
      out(`  exit ${ping.code}   (ICMP denied by rule 120 of ${I.webAcl})`);
    }
  } finally {
    await stopChild(web);
  }
  const waitSec = o.intervalSec + 3;
  out(`\nwaiting ${waitSec} s for the ${o.intervalSec}-second windows to close and be delivered...`);
  await sleep(waitSec * 1000, undefined, signal ? { signal } : {}).catch((e: unknown) => {
    throw signal?.aborted ? signal.reason : e;
  });
}

/** Runs argv to its end; an abort stops the program and rejects with the abort's reason. */
function run(argv: string[], signal?: AbortSignal): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const c = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    const onAbort = () => {
      void stopChild(c);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    let stdout = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
    c.once('error', (e) => {
      signal?.removeEventListener('abort', onAbort);
      reject(e);
    });
    c.once('close', (code) => {
      signal?.removeEventListener('abort', onAbort);
      resolve({ code: code ?? 1, stdout });
    });
  });
}

/** SIGTERM, and SIGKILL when it is still there after 2 s; resolves once it exited. */
async function stopChild(c: ChildProcess): Promise<void> {
  if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
  c.kill('SIGTERM');
  const timer = setTimeout(() => c.kill('SIGKILL'), 2000);
  await gone;
  clearTimeout(timer);
}
