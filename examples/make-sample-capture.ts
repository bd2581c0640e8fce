// Makes examples/sample.pcap, the capture the README's tour ingests, with real tools on this host:
// two private network namespaces joined by a veth pair, holding the addresses of three interfaces
// of examples/network.yaml (10.0.1.10 the web server in subnet-0a1b2c3d4e5f60718; 10.0.2.20 and
// 10.0.2.30 clients in subnet-0f1e2d3c4b5a69788), tcpdump on the server's end of the veth, and
// real traffic between them: ping, HTTP (python3 -m http.server, curl), connections refused by a
// closed port (TCP RST), a UDP exchange and a UDP probe of a closed port (ICMP unreachable).
//
// Run as root from anywhere:  npx tsx examples/make-sample-capture.ts
// Needs iproute2, tcpdump, python3, curl, nc (OpenBSD) and ping. Everything it creates (namespaces,
// processes, temporary folders) is removed when it ends, also on an error or Ctrl-C; the capture
// is written to a temporary file and moved into place only when it is complete.

import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const OUT = resolve(import.meta.dirname, 'sample.pcap');
const SERVER = '10.0.1.10';
const CLIENT_A = '10.0.2.20';
const CLIENT_B = '10.0.2.30';
const UDP_ECHO_PORT = 5000;
const SNAPLEN = 256;
/** How long one traffic step may take before the script gives up on it. */
const STEP_TIMEOUT_MS = 20_000;

// Names unique to this run, so that two runs (or a leftover of a killed one) cannot clash;
// veth names must fit the kernel's 15 bytes.
const tag = `vfs${(process.pid % 46_656).toString(36)}`;
const NS_SERVER = `${tag}-web`;
const NS_CLIENTS = `${tag}-clients`;
const LINK_SERVER = `${tag}w`;
const LINK_CLIENTS = `${tag}c`;

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

class StepError extends Error {}

const describe = (argv: readonly string[]): string => argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');

/** Runs argv to its end; rejects unless it exits with one of `okCodes`. */
function run(argv: readonly string[], opts: { okCodes?: readonly number[]; input?: string } = {}): Promise<Result> {
  const ok = opts.okCodes ?? [0];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), STEP_TIMEOUT_MS);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new StepError(`cannot run ${describe(argv)}: ${e.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== null && ok.includes(code)) resolvePromise({ code, signal, stdout, stderr });
      else reject(new StepError(`${describe(argv)} ${signal ? `was killed by ${signal}` : `exited with ${code}`}${stderr.trim() ? `: ${stderr.trim()}` : ''}`));
    });
    if (child.stdin) {
      // A program may exit without reading its input (nc after a refusal): that is not a failure.
      child.stdin.on('error', () => {});
      child.stdin.end(opts.input);
    }
  });
}

const inNs = (ns: string, argv: readonly string[]): string[] => ['ip', 'netns', 'exec', ns, ...argv];

/** Background programs this run started, stopped at cleanup. */
const started: ChildProcess[] = [];

/** Starts argv in the background and resolves once a line of its output matches `ready`. */
function startUntil(argv: readonly string[], ready: RegExp, stream: 'stdout' | 'stderr'): Promise<ChildProcess> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(child);
    let seen = '';
    const timer = setTimeout(() => reject(new StepError(`${describe(argv)} did not get ready in ${STEP_TIMEOUT_MS} ms: ${seen.trim()}`)), STEP_TIMEOUT_MS);
    const watch = (d: Buffer) => {
      seen = (seen + d.toString()).slice(-4096);
      if (ready.test(seen)) {
        clearTimeout(timer);
        resolvePromise(child);
      }
    };
    child[stream].on('data', watch);
    // The other stream is drained (and kept for error messages) so the child never blocks on it.
    child[stream === 'stdout' ? 'stderr' : 'stdout'].on('data', (d: Buffer) => (seen = (seen + d.toString()).slice(-4096)));
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new StepError(`cannot run ${describe(argv)}: ${e.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new StepError(`${describe(argv)} ended (${signal ?? code}) before it was ready: ${seen.trim()}`));
    });
  });
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

const tempDirs: string[] = [];
let namespacesMade = false;
let cleaning: Promise<void> | undefined;

/** Removes everything this run made; safe to call more than once and from any state. */
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    await Promise.all(started.map(waitExit));
    if (namespacesMade) {
      for (const ns of [NS_SERVER, NS_CLIENTS]) {
        // A namespace that was never made (an early failure) is not an error worth reporting.
        await run(['ip', 'netns', 'del', ns], { okCodes: [0, 1] }).catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
      }
    }
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  })();
  return cleaning;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    console.error(`\n${sig}: removing the namespaces and stopping the programs started...`);
    void cleanUp().finally(() => process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const)[sig]));
  });
}

// An error no step caught (a stream failing) must not leave namespaces behind either.
process.on('uncaughtException', (e) => {
  console.error(`make-sample-capture: ${e.stack ?? e.message}`);
  void cleanUp().finally(() => process.exit(1));
});

async function buildNetwork(): Promise<void> {
  namespacesMade = true;
  await run(['ip', 'netns', 'add', NS_SERVER]);
  await run(['ip', 'netns', 'add', NS_CLIENTS]);
  await run(['ip', 'link', 'add', LINK_SERVER, 'netns', NS_SERVER, 'type', 'veth', 'peer', 'name', LINK_CLIENTS, 'netns', NS_CLIENTS]);
  for (const [ns, link] of [[NS_SERVER, LINK_SERVER], [NS_CLIENTS, LINK_CLIENTS]] as const) {
    // No IPv6 on this pair: its link-local chatter (router solicitations, MLD) would only be noise in the capture.
    await run(inNs(ns, ['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1']));
    await run(inNs(ns, ['sysctl', '-q', '-w', 'net.ipv6.conf.default.disable_ipv6=1']));
    await run(inNs(ns, ['ip', 'link', 'set', 'lo', 'up']));
    await run(inNs(ns, ['ip', 'link', 'set', link, 'up']));
  }
  // The two subnets of network.yaml on one wire: each side routes the other subnet straight onto the link.
  await run(inNs(NS_SERVER, ['ip', 'addr', 'add', `${SERVER}/24`, 'dev', LINK_SERVER]));
  await run(inNs(NS_SERVER, ['ip', 'route', 'add', '10.0.2.0/24', 'dev', LINK_SERVER]));
  await run(inNs(NS_CLIENTS, ['ip', 'addr', 'add', `${CLIENT_A}/24`, 'dev', LINK_CLIENTS]));
  await run(inNs(NS_CLIENTS, ['ip', 'addr', 'add', `${CLIENT_B}/24`, 'dev', LINK_CLIENTS]));
  await run(inNs(NS_CLIENTS, ['ip', 'route', 'add', '10.0.1.0/24', 'dev', LINK_CLIENTS]));
}

const UDP_ECHO = `import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("${SERVER}", ${UDP_ECHO_PORT}))
print("ready", flush=True)
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(data, peer)
`;

async function makeTraffic(): Promise<string[]> {
  const done: string[] = [];
  const client = (argv: string[], what: string, okCodes: readonly number[] = [0], input?: string) =>
    run(inNs(NS_CLIENTS, argv), { okCodes, ...(input !== undefined ? { input } : {}) }).then(() => done.push(what));

  await client(['ping', '-n', '-c', '3', '-i', '0.2', '-I', CLIENT_A, SERVER], `ping ${CLIENT_A} → ${SERVER} (3 echo requests and replies)`);
  for (const path of ['/', '/index.html', '/favicon.ico']) {
    // The served folder is empty: / answers 200 (a listing), the others 404 — HTTP either way.
    await client(['curl', '-s', '-o', '/dev/null', '--interface', CLIENT_A, `http://${SERVER}${path}`], `HTTP GET ${path} ${CLIENT_A} → ${SERVER}:80`);
  }
  // Nothing listens on 22 or 5432: the server's kernel answers each SYN with a RST (nc exits 1).
  await client(['nc', '-n', '-z', '-w', '2', '-s', CLIENT_B, SERVER, '22'], `TCP ${CLIENT_B} → ${SERVER}:22 refused (RST)`, [1]);
  await client(['nc', '-n', '-z', '-w', '2', '-s', CLIENT_B, SERVER, '5432'], `TCP ${CLIENT_B} → ${SERVER}:5432 refused (RST)`, [1]);
  await client(['nc', '-n', '-z', '-w', '2', '-s', CLIENT_A, SERVER, '22'], `TCP ${CLIENT_A} → ${SERVER}:22 refused (RST)`, [1]);
  await client(['nc', '-n', '-u', '-w', '1', '-s', CLIENT_B, SERVER, String(UDP_ECHO_PORT)], `UDP ${CLIENT_B} → ${SERVER}:${UDP_ECHO_PORT} and its echo`, [0], 'hello from 10.0.2.30\n');
  // A closed UDP port: the server answers with ICMP port unreachable (nc may or may not notice).
  await client(['nc', '-n', '-u', '-w', '1', '-s', CLIENT_A, SERVER, '5001'], `UDP ${CLIENT_A} → ${SERVER}:5001 (closed: ICMP port unreachable)`, [0, 1], 'anyone there?\n');
  return done;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new StepError('run this as root: it creates network namespaces (npx tsx examples/make-sample-capture.ts)');
  const work = mkdtempSync(join(tmpdir(), 'vpcflow-sample-'));
  tempDirs.push(work);
  const www = join(work, 'www');
  const partial = join(work, 'sample.pcap');
  await run(['mkdir', www]);

  await buildNetwork();
  await startUntil(inNs(NS_SERVER, ['python3', '-u', '-m', 'http.server', '80', '--bind', SERVER, '--directory', www]), /Serving HTTP/, 'stdout');
  await startUntil(inNs(NS_SERVER, ['python3', '-u', '-c', UDP_ECHO]), /ready/, 'stdout');
  const tcpdump = await startUntil(
    // Immediate mode hands over every packet at once (not in blocks that a stop could cut short), and
    // -U writes each one out as it comes.
    inNs(NS_SERVER, ['tcpdump', '-n', '--immediate-mode', '-i', LINK_SERVER, '-s', String(SNAPLEN), '-U', '-w', partial]),
    /listening on/, 'stderr',
  );
  let tcpdumpLog = '';
  tcpdump.stderr!.on('data', (d: Buffer) => (tcpdumpLog += d.toString()));

  const done = await makeTraffic();
  tcpdump.kill('SIGINT');
  await waitExit(tcpdump);
  const captured = /(\d+) packets? captured/.exec(tcpdumpLog)?.[1];
  if (tcpdump.exitCode !== 0 || captured === undefined) throw new StepError(`tcpdump did not finish cleanly (exit ${tcpdump.exitCode ?? tcpdump.signalCode}): ${tcpdumpLog.trim()}`);

  copyFileSync(partial, OUT);
  console.log(`wrote ${relative(process.cwd(), OUT) || OUT}: ${captured} packets, ${statSync(OUT).size} bytes (snaplen ${SNAPLEN}), on ${LINK_SERVER} (${SERVER}'s side)`);
  for (const d of done) console.log(`  ${d}`);
}

try {
  await main();
} catch (e) {
  process.exitCode = 1;
  console.error(`make-sample-capture: ${e instanceof StepError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
} finally {
  await cleanUp();
}
