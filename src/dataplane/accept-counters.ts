// Reads what the kernel counted of accepted TCP/UDP traffic: the per-5-tuple counters of a VPC
// namespace's `acc4`/`acc6` sets (see nft-compile.ts), turned into deltas since the last read.
// The sets hold only packets that were not logged, so deltas and NFLOG observations add up; the
// table is never replaced by a rule change, so totals only restart when an element expires.

import { canonicalIp } from '../net/index.ts';
import { execRunner, type CommandRunner } from './exec.ts';
import { ACCEPT_COUNTER_SETS, COUNTER_TABLE_NAME } from './nft-compile.ts';

/** Packets and bytes of one flow direction counted since the previous read. */
export interface CountedFlow {
  readonly ipVersion: 4 | 6;
  readonly src: string;
  readonly dst: string;
  readonly protocol: number;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly packets: number;
  readonly bytes: number;
}

export class CounterFormatError extends Error {
  constructor(readonly namespace: string, readonly set: string, readonly why: string) {
    super(`unexpected \`nft -j list set\` output for ${set} in ${namespace}: ${why}`);
    this.name = 'CounterFormatError';
  }
}

const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = { tcp: 6, udp: 17 };

/** Every element of a listed counter set with its running totals. */
export function parseCounterSet(json: string, ipVersion: 4 | 6, where: { namespace: string; set: string }): CountedFlow[] {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (e) {
    throw new CounterFormatError(where.namespace, where.set, `not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const items = (doc as { nftables?: unknown }).nftables;
  if (!Array.isArray(items)) throw new CounterFormatError(where.namespace, where.set, 'no "nftables" list');
  const set = items.map((i) => (i as { set?: { elem?: unknown } }).set).find((x) => x !== undefined);
  if (!set) throw new CounterFormatError(where.namespace, where.set, 'no set in the listing');
  const out: CountedFlow[] = [];
  for (const e of Array.isArray(set.elem) ? set.elem : []) {
    const elem = (e as { elem?: { val?: { concat?: unknown }; counter?: { packets?: unknown; bytes?: unknown } } }).elem;
    const concat = elem?.val?.concat;
    const c = elem?.counter;
    if (!Array.isArray(concat) || concat.length !== 5 || !c || typeof c.packets !== 'number' || typeof c.bytes !== 'number') {
      throw new CounterFormatError(where.namespace, where.set, `element ${JSON.stringify(e)} is not (saddr . daddr . proto . sport . dport) with a counter`);
    }
    const [src, dst, proto, sport, dport] = concat as unknown[];
    const protocol = typeof proto === 'number' ? proto : PROTOCOL_NUMBERS[String(proto)];
    if (typeof src !== 'string' || typeof dst !== 'string' || protocol === undefined || typeof sport !== 'number' || typeof dport !== 'number') {
      throw new CounterFormatError(where.namespace, where.set, `element key ${JSON.stringify(concat)} has unexpected types`);
    }
    out.push({ ipVersion, src: canonicalIp(src), dst: canonicalIp(dst), protocol, srcPort: sport, dstPort: dport, packets: c.packets, bytes: c.bytes });
  }
  return out;
}

/** The counters of one VPC namespace, read as deltas. */
export class AcceptCounters {
  private last = new Map<string, { packets: number; bytes: number }>();
  /** Reads one at a time: two overlapping reads would report the same growth twice. */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(readonly namespace: string, private readonly runner: CommandRunner = execRunner) {}

  /**
   * Counts since the previous read. An element that left its set (idle past the timeout) and came
   * back starts from zero, so a total below the last one is all new.
   */
  read(): Promise<CountedFlow[]> {
    return this.serialized(() => this.readNow());
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.turn.then(work, work);
    this.turn = run.catch(() => undefined);
    return run;
  }

  private async readNow(): Promise<CountedFlow[]> {
    const next = new Map<string, { packets: number; bytes: number }>();
    const deltas: CountedFlow[] = [];
    for (const v of [4, 6] as const) {
      const set = ACCEPT_COUNTER_SETS[v];
      const r = await this.runner('ip', ['netns', 'exec', this.namespace, 'nft', '-j', 'list', 'set', 'inet', COUNTER_TABLE_NAME, set]);
      for (const f of parseCounterSet(r.stdout, v, { namespace: this.namespace, set })) {
        const key = `${f.src} ${f.dst} ${f.protocol} ${f.srcPort} ${f.dstPort}`;
        next.set(key, { packets: f.packets, bytes: f.bytes });
        const before = this.last.get(key);
        const grew = before !== undefined && f.packets >= before.packets;
        const packets = grew ? f.packets - before.packets : f.packets;
        const bytes = grew ? f.bytes - before.bytes : f.bytes;
        if (packets > 0) deltas.push({ ...f, packets, bytes });
      }
    }
    this.last = next;
    return deltas;
  }

  /** Forgets the totals: the sets were recreated (a new namespace) and count from zero. */
  reset(): void {
    this.last.clear();
  }
}
