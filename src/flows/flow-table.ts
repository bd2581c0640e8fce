// A bounded hash table of flows for one capture window, kept in typed arrays so an active flow
// costs a fixed ~75 bytes and memory is set by configuration (maxFlows), never by traffic.

const KEY_WORDS = 10; // w0: iface<<16 | proto<<8 | flags; w1: sport<<16 | dport; w2..5 src; w6..9 dst
const EMPTY = -1;

export interface FlowKey {
  iface: number; // interface index, < 65536
  ipv6: boolean;
  egress: boolean;
  reject: boolean;
  /** The other end is an interface of the same network (traffic-path 1). */
  internal: boolean;
  protocol: number;
  srcPort: number;
  dstPort: number;
  /** Address bytes are read from here at srcOffset / dstOffset (4 or 16 bytes). */
  data: Uint8Array;
  srcOffset: number;
  dstOffset: number;
}

export class FlowTable {
  private capacity: number;
  private count = 0;
  private keys: Uint32Array;
  private packetsArr: Float64Array;
  private bytesArr: Float64Array;
  private startArr: Uint32Array;
  private endArr: Uint32Array;
  private flagsArr: Uint8Array;
  private ruleArr: Uint16Array;
  /** Each flow's key hash: probes compare it before the key, and growing needs no rehash. */
  private hashArr: Uint32Array;
  private index: Int32Array;
  private indexMask: number;
  private readonly scratch = new Uint32Array(KEY_WORDS);

  constructor(
    private readonly maxFlows: number,
    initialCapacity = 1024,
  ) {
    if (!Number.isInteger(maxFlows) || maxFlows < 1) throw new RangeError(`maxFlows must be a positive integer, got ${maxFlows}`);
    this.capacity = Math.min(maxFlows, initialCapacity);
    this.keys = new Uint32Array(this.capacity * KEY_WORDS);
    this.packetsArr = new Float64Array(this.capacity);
    this.bytesArr = new Float64Array(this.capacity);
    this.startArr = new Uint32Array(this.capacity);
    this.endArr = new Uint32Array(this.capacity);
    this.flagsArr = new Uint8Array(this.capacity);
    this.ruleArr = new Uint16Array(this.capacity);
    this.hashArr = new Uint32Array(this.capacity);
    // The index is sized for maxFlows once: growing then copies the flow arrays but never rehashes.
    const slots = indexSizeFor(maxFlows);
    this.index = new Int32Array(slots).fill(EMPTY);
    this.indexMask = slots - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Bytes held by the table's arrays right now (for the memory-per-flow measurement). */
  get allocatedBytes(): number {
    return (
      this.keys.byteLength + this.packetsArr.byteLength + this.bytesArr.byteLength + this.startArr.byteLength +
      this.endArr.byteLength + this.flagsArr.byteLength + this.ruleArr.byteLength + this.hashArr.byteLength + this.index.byteLength
    );
  }

  get allocatedFlows(): number {
    return this.capacity;
  }

  /**
   * Adds one packet to its flow. Returns false when the flow is new and the table is at its bound:
   * the caller counts that as a lost observation (SKIPDATA).
   */
  /** Counts `packets` packets totalling `ipBytes` IP bytes on flow `k` (one packet, unless counted in the kernel). */
  add(k: FlowKey, timeSec: number, ipBytes: number, awsFlags: number, rule: number, packets = 1): boolean {
    const s = this.scratch;
    s[0] = (((k.iface & 0xffff) << 16) | ((k.protocol & 0xff) << 8) | (k.internal ? 8 : 0) | (k.ipv6 ? 4 : 0) | (k.egress ? 2 : 0) | (k.reject ? 1 : 0)) >>> 0;
    s[1] = ((k.srcPort & 0xffff) << 16) | (k.dstPort & 0xffff);
    const d = k.data;
    if (k.ipv6) {
      for (let i = 0; i < 4; i++) {
        const a = k.srcOffset + i * 4;
        const b = k.dstOffset + i * 4;
        s[2 + i] = ((d[a]! << 24) | (d[a + 1]! << 16) | (d[a + 2]! << 8) | d[a + 3]!) >>> 0;
        s[6 + i] = ((d[b]! << 24) | (d[b + 1]! << 16) | (d[b + 2]! << 8) | d[b + 3]!) >>> 0;
      }
    } else {
      const a = k.srcOffset;
      const b = k.dstOffset;
      s[2] = ((d[a]! << 24) | (d[a + 1]! << 16) | (d[a + 2]! << 8) | d[a + 3]!) >>> 0;
      s[6] = ((d[b]! << 24) | (d[b + 1]! << 16) | (d[b + 2]! << 8) | d[b + 3]!) >>> 0;
      s[3] = s[4] = s[5] = s[7] = s[8] = s[9] = 0;
    }
    let h = 0x811c9dc5;
    for (let i = 0; i < KEY_WORDS; i++) h = Math.imul(h ^ s[i]!, 0x01000193);
    h = (h ^ (h >>> 15)) >>> 0;
    let slot = h & this.indexMask;
    const keys = this.keys;
    const hashes = this.hashArr;
    for (;;) {
      const at = this.index[slot]!;
      if (at === EMPTY) break;
      const base = at * KEY_WORDS;
      if (
        hashes[at] === h && keys[base] === s[0] && keys[base + 1] === s[1] && keys[base + 2] === s[2] && keys[base + 6] === s[6] &&
        keys[base + 3] === s[3] && keys[base + 4] === s[4] && keys[base + 5] === s[5] &&
        keys[base + 7] === s[7] && keys[base + 8] === s[8] && keys[base + 9] === s[9]
      ) {
        this.packetsArr[at]! += packets;
        this.bytesArr[at]! += ipBytes;
        const t = Math.floor(timeSec);
        if (t < this.startArr[at]!) this.startArr[at] = t;
        if (t > this.endArr[at]!) this.endArr[at] = t;
        this.flagsArr[at]! |= awsFlags;
        if (rule !== 0) this.ruleArr[at] = rule;
        return true;
      }
      slot = (slot + 1) & this.indexMask;
    }
    if (this.count === this.capacity) {
      if (this.capacity >= this.maxFlows) return false;
      this.grow();
      return this.add(k, timeSec, ipBytes, awsFlags, rule, packets);
    }
    const at = this.count++;
    const base = at * KEY_WORDS;
    for (let i = 0; i < KEY_WORDS; i++) keys[base + i] = s[i]!;
    hashes[at] = h;
    this.index[slot] = at;
    this.packetsArr[at] = packets;
    this.bytesArr[at] = ipBytes;
    const t = Math.floor(timeSec);
    this.startArr[at] = t;
    this.endArr[at] = t;
    this.flagsArr[at] = awsFlags;
    this.ruleArr[at] = rule;
    return true;
  }

  /** Calls `visit` for each flow in insertion order (flows `from` up to `to`, exclusive, when given). */
  forEach(visit: (f: FlowView) => void, from = 0, to = this.count): void {
    const v = new FlowView(this);
    for (let i = from; i < Math.min(to, this.count); i++) {
      v.at = i;
      visit(v);
    }
  }

  clear(): void {
    // Only the slots in use are reset, so clearing a big, sparsely used index stays cheap.
    if (this.count * 4 > this.index.length) this.index.fill(EMPTY);
    else for (let i = 0; i < this.count; i++) {
      let slot = this.hashArr[i]! & this.indexMask;
      while (this.index[slot] !== i) slot = (slot + 1) & this.indexMask;
      this.index[slot] = EMPTY;
    }
    this.count = 0;
  }

  /** @internal accessors for FlowView */
  key(i: number, word: number): number {
    return this.keys[i * KEY_WORDS + word]!;
  }
  packets(i: number): number {
    return this.packetsArr[i]!;
  }
  bytes(i: number): number {
    return this.bytesArr[i]!;
  }
  start(i: number): number {
    return this.startArr[i]!;
  }
  end(i: number): number {
    return this.endArr[i]!;
  }
  flags(i: number): number {
    return this.flagsArr[i]!;
  }
  rule(i: number): number {
    return this.ruleArr[i]!;
  }

  private grow(): void {
    // Grow by half, not double: a full table then wastes at most a third of its slots.
    const cap = Math.min(this.maxFlows, Math.ceil(this.capacity * 1.5));
    const grown = <T extends Uint32Array | Float64Array | Uint8Array | Uint16Array>(a: T, n: number): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.keys = grown(this.keys, cap * KEY_WORDS);
    this.packetsArr = grown(this.packetsArr, cap);
    this.bytesArr = grown(this.bytesArr, cap);
    this.startArr = grown(this.startArr, cap);
    this.endArr = grown(this.endArr, cap);
    this.flagsArr = grown(this.flagsArr, cap);
    this.ruleArr = grown(this.ruleArr, cap);
    this.hashArr = grown(this.hashArr, cap);
    this.capacity = cap;
  }
}

/** A cursor over one flow of a table (valid only inside forEach). */
export class FlowView {
  at = 0;
  constructor(private readonly t: FlowTable) {}
  get iface(): number {
    return this.t.key(this.at, 0) >>> 16;
  }
  get protocol(): number {
    return (this.t.key(this.at, 0) >>> 8) & 0xff;
  }
  get ipv6(): boolean {
    return (this.t.key(this.at, 0) & 4) !== 0;
  }
  get egress(): boolean {
    return (this.t.key(this.at, 0) & 2) !== 0;
  }
  get reject(): boolean {
    return (this.t.key(this.at, 0) & 1) !== 0;
  }
  get internal(): boolean {
    return (this.t.key(this.at, 0) & 8) !== 0;
  }
  get srcPort(): number {
    return this.t.key(this.at, 1) >>> 16;
  }
  get dstPort(): number {
    return this.t.key(this.at, 1) & 0xffff;
  }
  /** Address words (big-endian 32-bit); IPv4 uses word 0 only. */
  srcWord(i: number): number {
    return this.t.key(this.at, 2 + i);
  }
  dstWord(i: number): number {
    return this.t.key(this.at, 6 + i);
  }
  get packets(): number {
    return this.t.packets(this.at);
  }
  get bytes(): number {
    return this.t.bytes(this.at);
  }
  get start(): number {
    return this.t.start(this.at);
  }
  get end(): number {
    return this.t.end(this.at);
  }
  get tcpFlags(): number {
    return this.t.flags(this.at);
  }
  get rule(): number {
    return this.t.rule(this.at);
  }
}

/** Index slots: a power of two with the load factor kept at or below 3/4. */
function indexSizeFor(capacity: number): number {
  let n = 16;
  while (n * 3 < capacity * 4) n *= 2;
  return n;
}
