// Remembers the transport ports of recently seen first fragments so that later fragments of the same
// datagram (which carry no transport header) can be counted under the same 5-tuple. Bounded: a
// set-associative cache in typed arrays, 4 entries per bucket, replacing the oldest entry of a bucket.

const WAYS = 4;
const KEY_WORDS = 10; // w0: version<<8 | protocol; w1: IP id; w2..5 src; w6..9 dst

export class FragmentTable {
  private readonly bucketMask: number;
  private readonly keys: Uint32Array;
  private readonly used: Uint8Array;
  private readonly ports: Uint32Array;
  private readonly finalProtocol: Uint8Array;
  private readonly nextVictim: Uint8Array;
  private readonly scratch = new Uint32Array(KEY_WORDS);
  private foundAt = -1;

  /** @param capacity upper bound on remembered datagrams (rounded up to a power of two, at least 4). */
  constructor(capacity = 4096) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`fragment table capacity must be a positive integer, got ${capacity}`);
    let buckets = 1;
    while (buckets * WAYS < capacity) buckets *= 2;
    this.bucketMask = buckets - 1;
    const entries = buckets * WAYS;
    this.keys = new Uint32Array(entries * KEY_WORDS);
    this.used = new Uint8Array(entries);
    this.ports = new Uint32Array(entries);
    this.finalProtocol = new Uint8Array(entries);
    this.nextVictim = new Uint8Array(buckets);
  }

  get capacity(): number {
    return this.used.length;
  }

  /** Records the 5-tuple of a first fragment (offset 0, more-fragments set). */
  remember(
    data: Uint8Array, ipVersion: 4 | 6, srcOffset: number, dstOffset: number, id: number, keyProtocol: number,
    protocol: number, srcPort: number, dstPort: number,
  ): void {
    const bucket = this.hashKey(data, ipVersion, srcOffset, dstOffset, id, keyProtocol);
    let slot = this.find(bucket);
    if (slot < 0) {
      const way = this.nextVictim[bucket]!;
      this.nextVictim[bucket] = (way + 1) % WAYS;
      slot = bucket * WAYS + way;
      this.keys.set(this.scratch, slot * KEY_WORDS);
      this.used[slot] = 1;
    }
    this.ports[slot] = ((srcPort & 0xffff) << 16 | (dstPort & 0xffff)) >>> 0;
    this.finalProtocol[slot] = protocol;
  }

  /** Looks up the datagram of a later fragment; true when its first fragment was remembered. */
  lookup(data: Uint8Array, ipVersion: 4 | 6, srcOffset: number, dstOffset: number, id: number, keyProtocol: number): boolean {
    const bucket = this.hashKey(data, ipVersion, srcOffset, dstOffset, id, keyProtocol);
    this.foundAt = this.find(bucket);
    return this.foundAt >= 0;
  }

  /** Fields of the entry found by the last successful lookup. */
  get foundProtocol(): number {
    return this.finalProtocol[this.foundAt]!;
  }
  get foundSrcPort(): number {
    return this.ports[this.foundAt]! >>> 16;
  }
  get foundDstPort(): number {
    return this.ports[this.foundAt]! & 0xffff;
  }

  private hashKey(data: Uint8Array, ipVersion: 4 | 6, srcOffset: number, dstOffset: number, id: number, keyProtocol: number): number {
    const s = this.scratch;
    s[0] = (ipVersion << 8) | (keyProtocol & 0xff);
    s[1] = id >>> 0;
    const words = ipVersion === 4 ? 1 : 4;
    for (let i = 0; i < 4; i++) {
      if (i < words) {
        const a = srcOffset + i * 4;
        const b = dstOffset + i * 4;
        s[2 + i] = ((data[a]! << 24) | (data[a + 1]! << 16) | (data[a + 2]! << 8) | data[a + 3]!) >>> 0;
        s[6 + i] = ((data[b]! << 24) | (data[b + 1]! << 16) | (data[b + 2]! << 8) | data[b + 3]!) >>> 0;
      } else {
        s[2 + i] = 0;
        s[6 + i] = 0;
      }
    }
    let h = 0x811c9dc5;
    for (let i = 0; i < KEY_WORDS; i++) h = Math.imul(h ^ s[i]!, 0x01000193);
    h ^= h >>> 15;
    return h & this.bucketMask;
  }

  private find(bucket: number): number {
    const s = this.scratch;
    const keys = this.keys;
    for (let way = 0; way < WAYS; way++) {
      const slot = bucket * WAYS + way;
      if (this.used[slot] === 0) continue;
      const base = slot * KEY_WORDS;
      let same = true;
      for (let i = 0; i < KEY_WORDS; i++) {
        if (keys[base + i] !== s[i]) {
          same = false;
          break;
        }
      }
      if (same) return slot;
    }
    return -1;
  }
}
