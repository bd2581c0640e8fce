// Makes the benchmark capture with real tools on a private pair of network namespaces:
// tcpdump records an iperf3 TCP stream, an iperf3 UDP stream and nmap SYN scans of every port on
// eight addresses (≈1 M short flows). Needs root, iproute2, tcpdump, iperf3 and nmap.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const NS_A = 'vpcflow-bench-a';
const NS_B = 'vpcflow-bench-b';
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const inNs = (ns: string, cmd: string, args: string[]) => run('ip', ['netns', 'exec', ns, cmd, ...args]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function cleanup(): void {
  for (const ns of [NS_A, NS_B]) {
    try {
      run('ip', ['netns', 'del', ns]);
    } catch {
      // not there
    }
  }
}

export async function makeCapture(outDir: string, opts: { scanAddresses?: number; iperfSeconds?: number } = {}): Promise<string> {
  const file = join(resolve(outDir), 'bench.pcap');
  mkdirSync(outDir, { recursive: true });
  cleanup();
  run('ip', ['netns', 'add', NS_A]);
  run('ip', ['netns', 'add', NS_B]);
  try {
    run('ip', ['link', 'add', 'vfbench-a', 'netns', NS_A, 'type', 'veth', 'peer', 'name', 'vfbench-b', 'netns', NS_B]);
    inNs(NS_A, 'ip', ['addr', 'add', '10.99.0.1/24', 'dev', 'vfbench-a']);
    const scanAddresses = opts.scanAddresses ?? 8;
    for (let i = 0; i < scanAddresses; i++) inNs(NS_B, 'ip', ['addr', 'add', `10.99.0.${i + 2}/24`, 'dev', 'vfbench-b']);
    for (const [ns, dev] of [[NS_A, 'vfbench-a'], [NS_B, 'vfbench-b']] as const) {
      inNs(ns, 'ip', ['link', 'set', 'lo', 'up']);
      inNs(ns, 'ip', ['link', 'set', dev, 'up']);
      // Wire-sized packets, as AWS counts them (no GSO/GRO super-packets in the capture).
      inNs(ns, 'ethtool', ['-K', dev, 'tso', 'off', 'gso', 'off', 'gro', 'off']);
    }
    const dump = spawn('ip', ['netns', 'exec', NS_B, 'tcpdump', '-i', 'vfbench-b', '-n', '-s', '128', '-B', '65536', '-w', file], { stdio: ['ignore', 'ignore', 'pipe'] });
    let dumpLog = '';
    dump.stderr.on('data', (d) => (dumpLog += d));
    for (let i = 0; i < 50 && !dumpLog.includes('listening'); i++) await sleep(100);
    const server = spawn('ip', ['netns', 'exec', NS_B, 'iperf3', '-s', '-B', '10.99.0.2'], { stdio: 'ignore' });
    await sleep(500);
    const secs = String(opts.iperfSeconds ?? 4);
    inNs(NS_A, 'iperf3', ['-c', '10.99.0.2', '-t', secs, '-b', '400M']);
    inNs(NS_A, 'iperf3', ['-c', '10.99.0.2', '-t', secs, '-u', '-b', '100M', '-l', '400']);
    server.kill('SIGTERM');
    for (let i = 0; i < scanAddresses; i++) {
      inNs(NS_A, 'nmap', ['-n', '-Pn', '-sS', '-p-', '--min-rate', '60000', '--max-retries', '0', '-T5', `10.99.0.${i + 2}`]);
    }
    await sleep(1000);
    dump.kill('SIGINT');
    await new Promise((r) => dump.once('exit', r));
    if (!existsSync(file)) throw new Error(`tcpdump wrote no capture: ${dumpLog}`);
    process.stderr.write(`capture: ${file} (${(statSync(file).size / 1048576).toFixed(0)} MiB) ${dumpLog.trim().split('\n').slice(-3).join('; ')}\n`);
    return file;
  } finally {
    cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await makeCapture(process.argv[2] ?? 'bench/out');
}
