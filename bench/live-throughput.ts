// The live path's cost, measured on the real kernel (root only):
//  1. iperf3 TCP throughput between two instances in different subnets of a realized VPC, three ways:
//     the same namespaces and ruleset with nobody reading NFLOG (the kernel alone: the peer), a
//     vpcflow server realizing the network with no flow log, and with an ALL flow log (1 s windows
//     via --short-intervals, so every window's SKIPDATA shows). Ratios against the kernel alone.
//  2. The packet rate at which SKIPDATA begins, at rising rates, each step checked for SKIPDATA
//     records and reader overruns: iperf3 UDP with small datagrams (counted in the kernel) and an
//     ICMP echo flood (observed per packet through NFLOG, like drops and TCP SYN/FIN/RST).
// Run alone: node --import tsx bench/live-throughput.ts   (bench/run.ts runs it when root)
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseYaml } from 'yaml';
import { planApply } from '../src/model/index.ts';
import { down, randomTestPrefix, reconcile, instanceExecArgs, readState } from '../src/dataplane/index.ts';
import { startServer } from '../src/app/server.ts';
import { Client } from '../src/cli/client.ts';

const IDS = {
  vpc: 'vpc-0be11c0000000b001', subnetA: 'subnet-0be11c00000000a01', subnetB: 'subnet-0be11c00000000b01',
  sender: 'i-0be11c000000000a1', receiver: 'i-0be11c000000000b1', eniSender: 'eni-0be11c000000000a1', eniReceiver: 'eni-0be11c000000000b1',
} as const;
const SENDER = '10.77.1.10';
const RECEIVER = '10.77.2.10';

/** Two subnets (so both interfaces' groups and the ACLs are on the path), groups that allow the VPC. */
const NETWORK = `account: "111122223333"
region: us-east-1
vpcs:
  - id: ${IDS.vpc}
    cidr: 10.77.0.0/16
    subnets:
      - { id: ${IDS.subnetA}, cidr: 10.77.1.0/24, availability-zone: us-east-1a }
      - { id: ${IDS.subnetB}, cidr: 10.77.2.0/24, availability-zone: us-east-1a }
    security-groups:
      - name: bench
        description: all from the VPC
        ingress: [{ protocol: "-1", cidr: 10.77.0.0/16 }]
    instances:
      - { id: ${IDS.sender}, subnet: ${IDS.subnetA}, interfaces: [{ id: ${IDS.eniSender}, private-ip: ${SENDER}, security-groups: [bench] }] }
      - { id: ${IDS.receiver}, subnet: ${IDS.subnetB}, interfaces: [{ id: ${IDS.eniReceiver}, private-ip: ${RECEIVER}, security-groups: [bench] }] }
`;

export interface LiveBenchResult {
  tcp: { kernelOnlyGbps: number; noFlowLogGbps: number; allFlowLogGbps: number; skipdataRecords: number; seconds: number };
  steps: { kind: 'udp' | 'icmp'; offeredPps: number; sentPps: number; skipdata: boolean; overruns: number }[];
}

function execOut(program: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile(program, args, { encoding: 'utf8', maxBuffer: 64 << 20 }, (e, out, err) => (e ? reject(new Error(`${program} ${args.join(' ')}: ${err || e.message}`)) : resolve(out))));
}

interface Runner {
  /** argv that runs `argv` inside instance `id`. */
  inInstance(id: string, argv: string[]): Promise<string[]>;
}

async function iperfServer(r: Runner): Promise<ChildProcess> {
  const argv = await r.inInstance(IDS.receiver, ['iperf3', '-s', '-B', RECEIVER, '-p', '5201']);
  const c = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
  await sleep(500);
  return c;
}

/** Median of RUNS iperf3 runs of `seconds` each: single runs on a 2-core machine vary by ±15 %. */
async function tcpGbps(r: Runner, seconds: number): Promise<number> {
  const argv = await r.inInstance(IDS.sender, ['iperf3', '-c', RECEIVER, '-p', '5201', '-t', String(seconds), '-J', '--connect-timeout', '3000']);
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const out = JSON.parse(await execOut(argv[0]!, argv.slice(1))) as { end: { sum_received: { bits_per_second: number } } };
    runs.push(out.end.sum_received.bits_per_second / 1e9);
  }
  return runs.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
}

const RUNS = 5;

async function udpRun(r: Runner, pps: number, seconds: number): Promise<{ sentPps: number }> {
  const len = 64;
  const argv = await r.inInstance(IDS.sender, ['iperf3', '-c', RECEIVER, '-p', '5201', '-u', '-l', String(len), '-b', String(pps * len * 8), '-t', String(seconds), '-J', '--connect-timeout', '3000']);
  const out = JSON.parse(await execOut(argv[0]!, argv.slice(1))) as { end: { sum: { packets: number; lost_packets: number; seconds: number } } };
  const s = out.end.sum;
  return { sentPps: s.packets / s.seconds };
}

/** Echo requests paced to `pps` for `seconds` from a raw socket; prints the rate achieved. */
const ICMP_FLOOD = [
  'import socket, sys, time',
  'rate, dur, dst = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]',
  's = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)',
  'p = bytes([8, 0, 0xf7, 0xff, 0, 0, 0, 0])',
  't0 = time.time(); sent = 0',
  'while True:',
  '    el = time.time() - t0',
  '    if el >= dur: break',
  '    while sent < int(el * rate):',
  '        s.sendto(p, (dst, 0)); sent += 1',
  'print(sent / dur)',
].join('\n');

async function icmpRun(r: Runner, pps: number, seconds: number): Promise<{ sentPps: number }> {
  const argv = await r.inInstance(IDS.sender, ['python3', '-c', ICMP_FLOOD, String(pps), String(seconds), RECEIVER]);
  return { sentPps: Number((await execOut(argv[0]!, argv.slice(1))).trim()) };
}

function stop(c: ChildProcess): void {
  if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
}

export async function runLiveBench(opts: { seconds?: number; log?: (s: string) => void } = {}): Promise<LiveBenchResult> {
  const seconds = opts.seconds ?? 5;
  const log = opts.log ?? ((s: string) => process.stderr.write(`[live-bench] ${s}\n`));
  const model = planApply(undefined, parseYaml(NETWORK)).model;

  // 1. The kernel alone: the same namespaces and ruleset, nobody bound to the NFLOG group.
  const prefix = randomTestPrefix();
  const dir = mkdtempSync(join(tmpdir(), 'vpcflow-live-bench-'));
  let kernelOnlyGbps: number;
  try {
    const statePath = join(dir, 'kernel-only.json');
    await reconcile(model, { statePath, prefix });
    const runner: Runner = { inInstance: async (id, argv) => ['ip', ...instanceExecArgs(readState(statePath)!, id, argv)!] };
    const server = await iperfServer(runner);
    try {
      log(`TCP, kernel alone (${seconds} s)`);
      kernelOnlyGbps = await tcpGbps(runner, seconds);
    } finally {
      stop(server);
      await down(statePath);
    }
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  // 2–3. A vpcflow server realizing the same network.
  const server = await startServer({ dataDir: join(dir, 'data'), port: 0, quiet: true, realize: true, dataplanePrefix: randomTestPrefix(), allowShortIntervals: true }, false);
  const api = new Client(server.url, server.operator);
  const runner: Runner = { inInstance: async (id, argv) => (await api.call<{ Argv: string[] }>('/v1/vpcflow/ExecArgs', { InstanceId: id, Command: argv })).Argv };
  const count = async (sql: string): Promise<number> => Number((await api.call<{ Rows: { n: unknown }[] }>('/v1/vpcflow/Query', { Sql: sql })).Rows[0]?.n ?? 0);
  try {
    await api.call('/v1/vpcflow/Apply', { Document: NETWORK, SourceName: 'bench-network.yaml' });
    let iperf = await iperfServer(runner);
    log(`TCP, vpcflow realizing, no flow log (${seconds} s)`);
    const noFlowLogGbps = await tcpGbps(runner, seconds);
    await api.call('/v1/ec2/CreateFlowLogs', { ResourceType: 'VPC', ResourceIds: [IDS.vpc], TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs', LogGroupName: '/bench/live', MaxAggregationInterval: 1 });
    await sleep(1500);
    const t0 = Math.floor(Date.now() / 1000);
    log(`TCP, vpcflow realizing, ALL flow log with 1 s windows (${seconds} s)`);
    const allFlowLogGbps = await tcpGbps(runner, seconds);
    await sleep(3000);
    const skipdataRecords = await count(`select count(*) n from flows where log_status = 'SKIPDATA' and start >= ${t0}`);
    const okRecords = await count(`select count(*) n from flows where log_status = 'OK' and start >= ${t0} and protocol = 6`);
    if (okRecords === 0) throw new Error('the ALL flow log delivered no TCP records: the measurement would be meaningless');

    const steps: LiveBenchResult['steps'] = [];
    for (const kind of ['udp', 'icmp'] as const) {
      for (const pps of [25_000, 50_000, 100_000, 200_000, 400_000]) {
        if (kind === 'udp') {
          stop(iperf);
          iperf = await iperfServer(runner);
        }
        const from = Math.floor(Date.now() / 1000);
        const overrunsBefore = server.control.liveLossEvents();
        log(`${kind === 'udp' ? 'UDP 64-byte datagrams' : 'ICMP echo requests'} offered at ${pps} packets/s (5 s)`);
        const r = kind === 'udp' ? await udpRun(runner, pps, 5) : await icmpRun(runner, pps, 5);
        await sleep(3000);
        const skipped = await count(`select count(*) n from flows where log_status = 'SKIPDATA' and start >= ${from}`);
        steps.push({ kind, offeredPps: pps, sentPps: r.sentPps, skipdata: skipped > 0, overruns: server.control.liveLossEvents() - overrunsBefore });
        // Past the sender's own limit a higher rate only repeats the last step.
        if (r.sentPps < pps * 0.8) break;
      }
    }
    stop(iperf);
    return { tcp: { kernelOnlyGbps, noFlowLogGbps, allFlowLogGbps, skipdataRecords, seconds }, steps };
  } finally {
    await api.call('/v1/vpcflow/Down').catch(() => undefined);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printLiveBench(r: LiveBenchResult, line: (s: string) => void): void {
  const t = r.tcp;
  line(`live TCP (iperf3, median of ${RUNS} runs of ${t.seconds} s, two subnets): kernel alone ${t.kernelOnlyGbps.toFixed(2)} Gbit/s; vpcflow no flow log ${t.noFlowLogGbps.toFixed(2)} Gbit/s (ratio ${(t.noFlowLogGbps / t.kernelOnlyGbps).toFixed(2)}); ALL flow log ${t.allFlowLogGbps.toFixed(2)} Gbit/s (ratio ${(t.allFlowLogGbps / t.kernelOnlyGbps).toFixed(2)} vs kernel alone, ${(t.allFlowLogGbps / t.noFlowLogGbps).toFixed(2)} vs no flow log); SKIPDATA records ${t.skipdataRecords}`);
  for (const kind of ['udp', 'icmp'] as const) {
    const steps = r.steps.filter((u) => u.kind === kind);
    const label = kind === 'udp' ? 'UDP 64 B (kernel-counted)' : 'ICMP echo (per-packet NFLOG)';
    for (const u of steps) line(`live ${label} offered ${fmtK(u.offeredPps)} pps: sent ${fmtK(u.sentPps)} pps; loss events ${u.overruns}; SKIPDATA ${u.skipdata ? 'yes' : 'no'}`);
    const onset = steps.find((u) => u.skipdata);
    line(onset ? `${label}: SKIPDATA begins at about ${fmtK(onset.sentPps)} packets/s sent` : `${label}: no SKIPDATA up to ${fmtK(Math.max(...steps.map((u) => u.sentPps)))} packets/s sent`);
  }
}

function fmtK(n: number): string {
  return `${(n / 1000).toFixed(0)}k`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runLiveBench();
  printLiveBench(r, (s) => process.stdout.write(s + '\n'));
}
