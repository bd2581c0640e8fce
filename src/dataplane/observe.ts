// Watches a VPC namespace's verdicts: runs `tcpdump -i nflog:N -w -` inside it, decodes the NFLOG
// stream with the capture decoder, and hands every packet on with the interfaces it came from and
// went to (NFLOG's in/out ifindex, mapped to interface ids) and the rule that decided (its prefix,
// mapped through the compiled ruleset). Lost observations are counted, never guessed away.

import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { CaptureStreamDecoder, type CaptureStats, type DecodedPacket } from '../capture/index.ts';
import { execRunner, type CommandRunner } from './exec.ts';
import { Kernel } from './kernel.ts';
import { TABLE_NAME, type CompiledRuleset, type DropRule } from './nft-compile.ts';
import type { RealizedVpc } from './realize.ts';

export type DropSideOrNone = 'none' | 'source' | 'destination';

export interface Observation {
  readonly vpcId: string;
  /** The sending interface (NFLOG in-interface), when known. */
  readonly srcInterfaceId?: string;
  /** The receiving interface (NFLOG out-interface: routing had chosen it even if the packet was dropped). */
  readonly dstInterfaceId?: string;
  /** 'none': delivered; 'source': dropped on the sender's side; 'destination': on the receiver's side. */
  readonly dropped: DropSideOrNone;
  /** The deciding rule of a dropped packet; null when accepted or when the prefix is unknown. */
  readonly rule: DropRule | null;
  /** The NFLOG prefix as logged. */
  readonly prefix: string;
}

export interface ObserverCounters {
  readonly packets: number;
  readonly accepted: number;
  readonly dropped: number;
  /** Packets whose prefix no known ruleset produced (not counted as accepted or dropped). */
  readonly unknownPrefix: number;
  /** Packets whose in- or out-interface index maps to no interface. */
  readonly unknownInterface: number;
  /** tcpdump's "packets dropped by kernel": receive-buffer overruns (each may lose several records). */
  readonly kernelDropEvents: number;
  /** Records the decoder could not use. */
  readonly decodeProblems: number;
}

export interface LossReport {
  /** Packets the ruleset's log rules counted in the kernel since the table was (re)created. */
  readonly kernelLogged: number;
  /** Packets observed since the last setRuleset() (or start). */
  readonly observed: number;
  /** kernelLogged − observed when positive: observations lost (or still in flight if traffic is running). */
  readonly lost: number;
}

export interface ObserverOptions {
  readonly vpc: RealizedVpc;
  readonly onPacket: (packet: DecodedPacket, observation: Observation) => void;
  readonly onError?: (error: Error) => void;
  /** Netlink receive buffer for tcpdump (-B), KiB; default 4096. */
  readonly bufferKiB?: number;
  readonly runner?: CommandRunner;
  /** How long to wait for tcpdump to start listening; default 10 s. */
  readonly startTimeoutMs?: number;
}

const DROPPED_BY_KERNEL = /(\d+) packets? dropped by kernel/;

export class NflogObserver {
  private readonly kernel: Kernel;
  private readonly decoder: CaptureStreamDecoder;
  private readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** Every code of every ruleset seen: codes name rules by id and number, so their meaning is stable. */
  private readonly codes = new Map<string, DropRule>();
  private readonly acceptPrefixes = new Set<string>();
  private readonly interfaceByLink = new Map<string, string>();
  private interfaceByIndex = new Map<number, string>();
  private refreshing: Promise<void> | undefined;
  private stderrTail = '';
  private readonly statsWaiters: (() => void)[] = [];
  private exited: Promise<void>;
  private counts = { packets: 0, accepted: 0, dropped: 0, unknownPrefix: 0, unknownInterface: 0, kernelDropEvents: 0 };
  private observedSinceRuleset = 0;
  private finalStats: CaptureStats | undefined;
  private stopping = false;

  private constructor(private readonly options: ObserverOptions) {
    this.kernel = new Kernel(options.runner ?? execRunner);
    const group = options.vpc.ruleset.nflogGroup;
    this.learn(options.vpc.ruleset);
    this.decoder = new CaptureStreamDecoder((p) => this.handle(p), { source: `tcpdump nflog:${group} in ${options.vpc.namespace}` });
    // setpriv makes the kernel kill tcpdump when this process dies (even by SIGKILL): a stale reader
    // would keep the NFLOG group bound in the namespace, and a restarted server could not listen.
    // `-Z root` keeps tcpdump from switching users, which would clear that death signal; with `-w`
    // it writes records without dissecting them.
    const args = [
      'netns', 'exec', options.vpc.namespace, 'setpriv', '--pdeathsig', 'KILL', '--',
      'tcpdump', '-Z', 'root', '-i', `nflog:${group}`, '-w', '-', '-U', '-B', String(options.bufferKiB ?? 4096),
    ];
    this.child = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (chunk: Buffer) => {
      try {
        this.decoder.push(chunk);
      } catch (e) {
        this.fail(e);
      }
    });
    this.exited = new Promise((resolve) => this.child.on('close', () => resolve()));
  }

  /** The reader's process id (tcpdump, exec'd by `ip netns exec` and setpriv). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** True once the reader has exited without stop() being asked: every later packet goes unobserved. */
  get failed(): boolean {
    return !this.stopping && (this.child.exitCode !== null || this.child.signalCode !== null);
  }

  /** Starts tcpdump in the VPC namespace; resolves once it is listening (so no later packet is missed). */
  static async start(options: ObserverOptions): Promise<NflogObserver> {
    const o = new NflogObserver(options);
    await o.refreshInterfaces();
    await o.listening(options.startTimeoutMs ?? 10_000);
    return o;
  }

  private listening(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tcpdump did not start listening within ${timeoutMs} ms: ${this.stderrTail.trim()}`)), timeoutMs);
      let ready = false;
      this.child.stderr.setEncoding('utf8');
      this.child.stderr.on('data', (text: string) => {
        this.stderrTail = (this.stderrTail + text).slice(-4096);
        for (const line of text.split('\n')) {
          const m = DROPPED_BY_KERNEL.exec(line);
          if (m) {
            this.counts.kernelDropEvents = Number(m[1]);
            for (const w of this.statsWaiters.splice(0)) w();
          }
          if (!ready && line.includes('listening on')) {
            ready = true;
            clearTimeout(timer);
            resolve();
          }
        }
      });
      this.child.once('close', (code) => {
        clearTimeout(timer);
        if (!ready) reject(new Error(`tcpdump exited (${code}) before listening: ${this.stderrTail.trim()}`));
      });
      this.child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  private fail(e: unknown): void {
    const error = e instanceof Error ? e : new Error(String(e));
    if (this.options.onError) this.options.onError(error);
  }

  /** Maps the VPC namespace's link indexes to interface ids again (after interfaces were rebuilt). */
  async refreshInterfaces(): Promise<void> {
    const links = await this.kernel.links(this.options.vpc.namespace);
    const map = new Map<number, string>();
    for (const l of links) {
      const id = this.interfaceByLink.get(l.ifname);
      if (id !== undefined) map.set(l.ifindex, id);
    }
    this.interfaceByIndex = map;
  }

  private learn(ruleset: CompiledRuleset): void {
    for (const [code, rule] of ruleset.codes) this.codes.set(code, rule);
    this.acceptPrefixes.add(ruleset.acceptPrefix);
    for (const [link, id] of ruleset.interfaceByLink) this.interfaceByLink.set(link, id);
  }

  /**
   * Tells the observer about a newly applied ruleset (after reconcile). Prefixes of earlier ones
   * stay known, so records still queued under them (NFLOG batches for up to 1 s) are attributed.
   */
  setRuleset(ruleset: CompiledRuleset): Promise<void> {
    this.learn(ruleset);
    this.observedSinceRuleset = 0;
    return this.refreshInterfaces();
  }

  private interfaceOf(index: number): string | undefined {
    if (index === 0) return undefined;
    const id = this.interfaceByIndex.get(index);
    if (id === undefined && !this.refreshing) {
      this.refreshing = this.refreshInterfaces().catch((e) => this.fail(e)).finally(() => (this.refreshing = undefined));
    }
    return id;
  }

  private handle(p: DecodedPacket): void {
    this.counts.packets++;
    this.observedSinceRuleset++;
    const accepted = this.acceptPrefixes.has(p.nflogPrefix);
    const drop = accepted ? undefined : this.codes.get(p.nflogPrefix);
    const src = this.interfaceOf(p.inIfIndex);
    const dst = this.interfaceOf(p.outIfIndex);
    if ((p.inIfIndex !== 0 && src === undefined) || (p.outIfIndex !== 0 && dst === undefined)) this.counts.unknownInterface++;
    let dropped: DropSideOrNone = 'none';
    let rule: DropRule | null = null;
    if (accepted) this.counts.accepted++;
    else if (drop) {
      this.counts.dropped++;
      rule = drop;
      dropped = drop.side;
    } else {
      this.counts.unknownPrefix++;
    }
    const observation: Observation = {
      vpcId: this.options.vpc.vpcId,
      ...(src !== undefined ? { srcInterfaceId: src } : {}),
      ...(dst !== undefined ? { dstInterfaceId: dst } : {}),
      dropped,
      rule,
      prefix: p.nflogPrefix,
    };
    try {
      this.options.onPacket(p, observation);
    } catch (e) {
      this.fail(e);
    }
  }

  counters(): ObserverCounters {
    const stats = this.finalStats ?? this.decoder.stats();
    return { ...this.counts, decodeProblems: stats.packetProblems };
  }

  /** Asks tcpdump for its counters (SIGUSR1) and waits for them; updates kernelDropEvents. */
  async pollKernelStats(timeoutMs = 2000): Promise<number> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.counts.kernelDropEvents;
    const got = new Promise<void>((resolve) => {
      this.statsWaiters.push(resolve);
      setTimeout(resolve, timeoutMs);
    });
    this.child.kill('SIGUSR1');
    await got;
    return this.counts.kernelDropEvents;
  }

  /** Compares the kernel's counters of the log rules with what was observed (see LossReport). */
  async measureLoss(): Promise<LossReport> {
    const { stdout } = await this.kernel.run('ip', ['netns', 'exec', this.options.vpc.namespace, 'nft', '-j', 'list', 'table', 'inet', TABLE_NAME]);
    const kernelLogged = countLoggedPackets(stdout);
    const observed = this.observedSinceRuleset;
    return { kernelLogged, observed, lost: Math.max(0, kernelLogged - observed) };
  }

  /** Stops tcpdump (SIGINT: it flushes what it has) and returns the final counters. */
  async stop(): Promise<ObserverCounters> {
    this.stopping = true;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGINT');
    await this.exited;
    try {
      this.finalStats = this.decoder.end();
    } catch (e) {
      this.fail(e);
    }
    return this.counters();
  }
}

/** Sum of the packet counters of every rule that logs, from `nft -j list table`. */
export function countLoggedPackets(json: string): number {
  const doc = JSON.parse(json) as { nftables?: { rule?: { expr?: Record<string, unknown>[] } }[] };
  let total = 0;
  for (const item of doc.nftables ?? []) {
    const expr = item.rule?.expr;
    if (!expr || !expr.some((e) => 'log' in e)) continue;
    for (const e of expr) {
      const c = e['counter'] as { packets?: unknown } | undefined;
      if (c && typeof c.packets === 'number') total += c.packets;
    }
  }
  return total;
}
