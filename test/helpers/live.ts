// Shared pieces of the live-path end-to-end tests (`serve --realize`): skip reasons, the test
// run's namespaces, programs run inside realized instances through `vpcflow exec`, delivered
// records read back through `vpcflow logs filter` / `vpcflow query`, and captures on a veth.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readState, type DataplaneState, type RecordedInterface } from '../../src/dataplane/index.ts';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { BIN, VpcflowServer } from './cli.ts';

export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** The tools of `tools` not on PATH. */
export function missingTools(tools: readonly string[]): string[] {
  return tools.filter((t) => {
    try {
      execFileSync('sh', ['-c', 'command -v "$1"', 'sh', t], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
}

/** Why a live test cannot run here (not root, tools missing), or false when it can. */
export function liveSkipReason(tools: readonly string[]): string | false {
  if (!isRoot) return 'needs root (network namespaces, nftables, NFLOG): run as root to exercise the live path';
  const missing = missingTools(tools);
  return missing.length ? `needs ${missing.join(', ')} on PATH` : false;
}

/**
 * A `serve --realize --short-intervals` server whose namespaces carry this run's prefix, with
 * `network` applied when given; `dataDir` reuses an earlier server's data (a restart).
 */
export async function startRealizing(prefix: string, network?: string, dataDir?: string): Promise<VpcflowServer> {
  const server = new VpcflowServer(['--realize', '--short-intervals', '--dataplane-prefix', prefix], dataDir);
  await server.start();
  if (network !== undefined) {
    const file = join(server.dataDir, 'network.yaml');
    writeFileSync(file, network);
    const applied = await server.run(['apply', file]);
    assert.equal(applied.code, 0, applied.stderr + server.output);
  }
  return server;
}

/** Whatever a test did: `down` removes every namespace of this run (checked), then the server stops. */
export async function stopRealizing(server: VpcflowServer, prefix: string): Promise<void> {
  if (namespacesWithPrefix(prefix).length) {
    const down = await server.run(['down']);
    assert.equal(down.code, 0, down.stderr);
  }
  assert.deepEqual(namespacesWithPrefix(prefix), [], 'down removes every namespace of this run');
  await server.stop();
}

/** Namespaces of this test run (every name the data plane gives starts with `<prefix>-`). */
export function namespacesWithPrefix(prefix: string): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(`${prefix}-`));
}

/** Kills a process group started with `detached` (the CLI, `ip netns exec` and the program it became). */
export function killGroup(c: ChildProcess): void {
  if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) return;
  try {
    process.kill(-c.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export interface ExecResult {
  code: number;
  /** stdout and stderr, interleaved. */
  output: string;
}

/** Runs `vpcflow exec INSTANCE -- ARGV` against the server and resolves with its exit code and output. */
export function vpcflowExec(server: VpcflowServer, instanceId: string, argv: readonly string[], input?: string): Promise<ExecResult> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, 'exec', instanceId, '--endpoint', server.endpoint, '--', ...argv], { env: { ...process.env, ...server.cliEnv }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    c.stdout.on('data', (d: Buffer) => (output += d.toString()));
    c.stderr.on('data', (d: Buffer) => (output += d.toString()));
    c.stdin.on('error', () => undefined);
    c.stdin.end(input);
    c.once('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** Starts a long-running `vpcflow exec` in its own process group (end it with killGroup). */
export function startInInstance(server: VpcflowServer, instanceId: string, argv: readonly string[]): ChildProcess & { output: () => string } {
  const c = spawn(process.execPath, [BIN, 'exec', instanceId, '--endpoint', server.endpoint, '--', ...argv], { env: { ...process.env, ...server.cliEnv }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  c.stdout.on('data', (d: Buffer) => (output += d.toString()));
  c.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return Object.assign(c, { output: () => output });
}

/** Resolves with the exit code once the process has ended. */
export function exited(c: ChildProcess): Promise<number> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve(c.exitCode ?? 128);
  return new Promise((resolve) => c.once('close', (code) => resolve(code ?? 128)));
}

/** Polls `probe` (every 200 ms) until it returns true; false after `timeoutMs`. */
export async function until(probe: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > end) return false;
    await sleep(200);
  }
}

/**
 * Runs argv inside a realized instance directly (`ip netns exec`, the namespace read from the
 * server's state file): what `vpcflow exec` runs, without starting the CLI each time.
 */
export function runIn(server: VpcflowServer, instanceId: string, argv: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = execFile('ip', ['netns', 'exec', instanceNamespaceOf(server, instanceId), ...argv], { timeout: options.timeoutMs ?? 20_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: stdout + stderr });
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input);
  });
}

/** Starts a long-running program inside a realized instance in its own process group (end it with killGroup). */
export function spawnIn(server: VpcflowServer, instanceId: string, argv: readonly string[]): ChildProcess & { output: () => string } {
  const c = spawn('ip', ['netns', 'exec', instanceNamespaceOf(server, instanceId), ...argv], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  c.stdout.on('data', (d: Buffer) => (output += d.toString()));
  c.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return Object.assign(c, { output: () => output });
}

/** Waits until a TCP port answers inside an instance (probed from the instance itself: no traffic crosses the VPC). */
export async function waitForPort(server: VpcflowServer, instanceId: string, address: string, port: number, timeoutMs = 15_000): Promise<void> {
  const ok = await until(async () => (await runIn(server, instanceId, ['nc', '-z', '-w', '1', address, String(port)])).code === 0, timeoutMs);
  if (!ok) throw new Error(`nothing listens on ${address}:${port} in ${instanceId} after ${timeoutMs} ms`);
}

// ---- records ----

/** The default format's fields (spec §1.2), in order. */
export const DEFAULT_FIELDS = [
  'version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol',
  'packets', 'bytes', 'start', 'end', 'action', 'log-status',
] as const;

/** A `--log-format` string for these fields. */
export const logFormatOf = (fields: readonly string[]): string => fields.map((f) => `\${${f}}`).join(' ');

/** One delivered record: its log stream and its fields by AWS name. */
export type FlowLine = { readonly stream: string } & Readonly<Record<string, string>>;

/** Parses `vpcflow logs filter` text output (`<stream> <record>` per line) for records of the given fields. */
export function parseLogLines(text: string, fields: readonly string[]): FlowLine[] {
  const out: FlowLine[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const [stream = '', ...values] = line.split(' ');
    if (values.length !== fields.length) throw new Error(`record with ${values.length} fields, expected ${fields.length}: ${line}`);
    const r: Record<string, string> = { stream };
    fields.forEach((f, i) => (r[f] = values[i]!));
    out.push(r as FlowLine);
  }
  return out;
}

/** Every record of a log group (an absent group reads as none). */
export async function readRecords(server: VpcflowServer, group: string, fields: readonly string[]): Promise<FlowLine[]> {
  const res = await server.run(['logs', 'filter', group]);
  if (res.code !== 0) {
    if (/ResourceNotFound|does not exist/i.test(res.stderr)) return [];
    throw new Error(`vpcflow logs filter ${group} failed (${res.code}): ${res.stderr}`);
  }
  return parseLogLines(res.stdout, fields);
}

/**
 * Polls several log groups until `ready` holds for what they hold AND `settledAt` (ms since the
 * epoch) has passed, so that records of every window up to then are in: assertions that something
 * is absent are only meaningful after that. Returns the last read either way (the caller asserts).
 */
export async function pollGroups(
  server: VpcflowServer,
  groups: Readonly<Record<string, readonly string[]>>,
  ready: (records: Record<string, FlowLine[]>) => boolean,
  options: { settledAt: number; timeoutMs: number },
): Promise<Record<string, FlowLine[]>> {
  const end = Date.now() + options.timeoutMs;
  for (;;) {
    const read: Record<string, FlowLine[]> = {};
    for (const [group, fields] of Object.entries(groups)) read[group] = await readRecords(server, group, fields);
    if ((Date.now() >= options.settledAt && ready(read)) || Date.now() > end) return read;
    await sleep(500);
  }
}

/**
 * When records of traffic that ended at `trafficEnd` (ms) are all delivered: the window holding it
 * closes after `intervalSec`, plus the live path's grace second and its one-second delivery tick.
 */
export const settledAfter = (trafficEnd: number, intervalSec: number): number => trafficEnd + (intervalSec + 3) * 1000;

/** `vpcflow query SQL --output json`: rows of the `flows` view. */
export async function queryRows(server: VpcflowServer, sql: string): Promise<Record<string, unknown>[]> {
  const res = await server.run(['query', sql, '--output', 'json']);
  if (res.code !== 0) throw new Error(`vpcflow query failed (${res.code}): ${res.stderr}`);
  return JSON.parse(res.stdout) as Record<string, unknown>[];
}

/** Sums `packets` and `bytes` of records. */
export function totals(records: readonly FlowLine[]): { packets: number; bytes: number } {
  return records.reduce((t, r) => ({ packets: t.packets + Number(r['packets']), bytes: t.bytes + Number(r['bytes']) }), { packets: 0, bytes: 0 });
}

/** Compact text of records for assertion messages. */
export const show = (records: readonly FlowLine[]): string => records.map((r) => Object.entries(r).filter(([k]) => k !== 'stream').map(([, v]) => v).join(' ')).join('\n');

// ---- the realized network ----

/** The data plane's state file of a `serve --realize` server (VpcflowServer puts its data in `<dataDir>/data`). */
export function realizedState(server: VpcflowServer): DataplaneState {
  const state = readState(join(server.dataDir, 'data', 'dataplane.json'));
  if (!state) throw new Error(`no data plane state under ${server.dataDir}: nothing is realized`);
  return state;
}

export function instanceNamespaceOf(server: VpcflowServer, instanceId: string): string {
  const ns = realizedState(server).instances[instanceId]?.namespace;
  if (!ns) throw new Error(`instance ${instanceId} is not realized`);
  return ns;
}

export function realizedInterface(server: VpcflowServer, interfaceId: string): RecordedInterface {
  const i = realizedState(server).interfaces[interfaceId];
  if (!i) throw new Error(`interface ${interfaceId} is not realized`);
  return i;
}

/** tcpdump writing a capture file of one link inside a namespace. */
export class LinkCapture {
  private constructor(private readonly child: ChildProcess, readonly file: string) {}

  /** Starts the capture; resolves once tcpdump listens, so no later packet is missed. */
  static async start(namespace: string, link: string, file: string, filter: readonly string[]): Promise<LinkCapture> {
    const child = spawn('ip', ['netns', 'exec', namespace, 'tcpdump', '-i', link, '--immediate-mode', '-n', '-U', '-s', '256', '-w', file, ...filter], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tcpdump on ${link} did not start: ${err}`)), 10_000);
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        reject(new Error(`tcpdump on ${link} exited (${code}): ${err}`));
      });
    });
    return new LinkCapture(child, file);
  }

  /** SIGINT (tcpdump flushes and closes the file) and waits for it to exit. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGINT');
    await exited(this.child);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

export interface DirectionCount {
  packets: number;
  bytes: number;
  /** OR of the raw TCP flags bytes. */
  tcpFlags: number;
}

/**
 * Counts the IPv4 packets of a capture file by direction with tshark (an implementation
 * independent of vpcflow's decoder): packets, bytes as IP length, OR of the TCP flags.
 * Keys are `SRC>DST`.
 */
export function countWithTshark(file: string): Map<string, DirectionCount> {
  const out = execFileSync('tshark', ['-r', file, '-n', '-T', 'fields', '-E', 'separator=,', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'ip.len', '-e', 'tcp.flags'], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'],
  });
  const counts = new Map<string, DirectionCount>();
  for (const line of out.split('\n')) {
    const [src, dst, len, flags] = line.split(',');
    if (!src || !dst) continue;
    const key = `${src}>${dst}`;
    const c = counts.get(key) ?? { packets: 0, bytes: 0, tcpFlags: 0 };
    c.packets++;
    c.bytes += Number(len);
    if (flags) c.tcpFlags |= Number(flags);
    counts.set(key, c);
  }
  return counts;
}

// ---- programs for instances (they run in the instance's namespace with the host's python3) ----

/**
 * Sends one ICMP (IPv4) or ICMPv6 echo request from a raw socket (no ping binary needed) and waits
 * for the reply: exit 0 when it came. Arguments: destination address, seconds to wait.
 */
export const ECHO_REQUEST_PY = `
import os, socket, struct, sys, time
dst, wait = sys.argv[1], float(sys.argv[2])
v6 = ':' in dst
s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
def csum(b):
    if len(b) % 2: b += b'\\0'
    x = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    x = (x >> 16) + (x & 0xffff); x += x >> 16
    return ~x & 0xffff
ident = os.getpid() & 0xffff
request, reply = (128, 129) if v6 else (8, 0)
msg = struct.pack('!BBHHH', request, 0, 0, ident, 1) + b'vpcflow-live'
if not v6: msg = msg[:2] + struct.pack('!H', csum(msg)) + msg[4:]
s.sendto(msg, (dst, 0))
end = time.time() + wait
while time.time() < end:
    s.settimeout(max(0.01, end - time.time()))
    try: d = s.recv(2048)
    except socket.timeout: break
    if not v6: d = d[(d[0] & 15) * 4:]
    if d[0] == reply and struct.unpack('!H', d[4:6])[0] == ident: sys.exit(0)
sys.exit(1)
`;

/** A TCP echo server: every line received is sent back. Arguments: bind address, port. */
export const ECHO_SERVER_PY = `
import socketserver, sys
class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(line); self.wfile.flush()
class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
Server((sys.argv[1], int(sys.argv[2])), Echo).serve_forever()
`;

/**
 * A slow TCP stream from a fixed source port: one line every 0.2 s, each echoed back, until the
 * stop file exists, then three more. Exit 0 when every line came back. Arguments: source port,
 * destination address, destination port, stop file.
 */
export const SLOW_STREAM_PY = `
import os, socket, sys, time
sport, dst, dport, stop = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
s = socket.create_connection((dst, dport), timeout=5, source_address=('', sport))
f = s.makefile('rwb')
n, extra = 0, 3
while extra > 0:
    if os.path.exists(stop): extra -= 1
    n += 1
    line = b'line %d\\n' % n
    f.write(line); f.flush()
    if f.readline() != line: sys.exit(2)
    time.sleep(0.2)
print('echoed', n); sys.stdout.flush()
f.close(); s.close()
`;

/**
 * A one-way UDP stream from a fixed source port: one datagram every 0.2 s until the stop file
 * exists, then three more; prints how many it sent. Arguments: source port, destination address,
 * destination port, stop file.
 */
export const UDP_STREAM_PY = `
import os, socket, sys, time
sport, dst, dport, stop = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
s = socket.socket(socket.AF_INET6 if ':' in dst else socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('', sport))
n, extra = 0, 3
while extra > 0:
    if os.path.exists(stop): extra -= 1
    n += 1
    s.sendto(b'datagram %d\\n' % n, (dst, dport))
    time.sleep(0.2)
print('sent', n); sys.stdout.flush()
`;

/** Receives UDP datagrams and prints one line per datagram. Arguments: bind address, port. */
export const UDP_SINK_PY = `
import socket, sys
s = socket.socket(socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
while True:
    d, _ = s.recvfrom(2048)
    sys.stdout.write('got ' + d.decode(errors='replace')); sys.stdout.flush()
`;
