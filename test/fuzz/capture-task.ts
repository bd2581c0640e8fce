// One capture fuzz case, run inside a CaseWorker (lib.ts): the bytes go through CaptureStreamDecoder
// and FlowObserver as the server runs them, and every promise the two make is checked:
// - the only exception is CaptureFormatError, with its source, byte offset and reason in the message;
// - every decoded packet has the fields packet.ts promises (time in range, addresses inside `data`,
//   ports, protocol), and the stats add up as capture-stats.ts says;
// - the result does not depend on how the bytes were split into chunks (one push vs. many small ones);
// - a gzip-wrapped capture that node:zlib inflates decodes exactly like its inflated bytes;
// - flow records lie inside their window, and OK records hold exactly the packets counted.
import { gunzipSync } from 'node:zlib';
import { CaptureFormatError, CaptureStreamDecoder, MAX_PACKET_TIME_SEC, MIN_PACKET_TIME_SEC, type CaptureStats, type DecodedPacket } from '../../src/capture/index.ts';
import { FlowObserver, type ClosedWindow, type MonitoredInterface } from '../../src/flows/index.ts';

export interface CaptureCase {
  bytes: Uint8Array;
  /** Chunk sizes for the split run, used in turn. */
  chunks: number[];
  interfaces: MonitoredInterface[];
  intervals: number[];
  maxFlows: number;
  source: string;
}

export interface CaptureVerdict {
  /** The CaptureFormatError message when the capture was refused. */
  refused: string | null;
  packetsRead: number;
  packetsDecoded: number;
  problemCount: number;
  records: number;
  okPackets: number;
  windows: number;
  violations: string[];
}

const MAX_VIOLATIONS = 10;
/** node:zlib output kept for the gzip differential; larger inflations are not compared. */
const MAX_ZLIB_OUTPUT = 16 * 1024 * 1024;

interface Run {
  refused: string | null;
  /** Everything a caller can observe, for comparing two runs of the same capture. */
  fingerprint: string;
  stats: CaptureStats | null;
}

class Fnv {
  h = 0x811c9dc5;
  add(n: number): void {
    // Mixes a whole number (or a float's text when it is not one).
    if (Number.isInteger(n) && Math.abs(n) < 2 ** 31) {
      this.h = Math.imul(this.h ^ (n & 0xffff), 0x01000193) >>> 0;
      this.h = Math.imul(this.h ^ (n >>> 16), 0x01000193) >>> 0;
    } else this.text(String(n));
  }
  text(s: string): void {
    for (let i = 0; i < s.length; i++) this.h = Math.imul(this.h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  }
}

function checkPacket(p: DecodedPacket, lastIndex: number, v: string[]): void {
  const bad = (what: string) => v.length < MAX_VIOLATIONS && v.push(`packet ${p.packetIndex}: ${what}`);
  if (!(p.timeSec >= MIN_PACKET_TIME_SEC && p.timeSec < MAX_PACKET_TIME_SEC)) bad(`timeSec ${p.timeSec} outside [${MIN_PACKET_TIME_SEC}, ${MAX_PACKET_TIME_SEC})`);
  if (p.ipVersion !== 4 && p.ipVersion !== 6) bad(`ipVersion ${p.ipVersion}`);
  const alen = p.ipVersion === 6 ? 16 : 4;
  for (const [name, off] of [['srcOffset', p.srcOffset], ['dstOffset', p.dstOffset]] as const) {
    if (!Number.isInteger(off) || off < 0 || off + alen > p.data.length) bad(`${name} ${off} (+${alen}) outside data of ${p.data.length} bytes`);
  }
  if (!Number.isInteger(p.protocol) || p.protocol < 0 || p.protocol > 255) bad(`protocol ${p.protocol}`);
  for (const [name, port] of [['srcPort', p.srcPort], ['dstPort', p.dstPort]] as const) {
    if (!Number.isInteger(port) || port < 0 || port > 65535) bad(`${name} ${port}`);
  }
  if (!Number.isInteger(p.ipBytes) || p.ipBytes < 0) bad(`ipBytes ${p.ipBytes}`);
  if (!Number.isInteger(p.tcpFlags) || p.tcpFlags < 0 || p.tcpFlags > 0xfff) bad(`tcpFlags ${p.tcpFlags}`);
  if (p.protocol !== 6 && p.tcpFlags !== 0) bad(`tcpFlags ${p.tcpFlags} on protocol ${p.protocol}`);
  if (!(p.packetIndex > lastIndex)) bad(`packetIndex ${p.packetIndex} after ${lastIndex}`);
}

function checkStats(s: CaptureStats, decodedCalls: number, totalBytes: number, v: string[]): void {
  const bad = (what: string) => v.length < MAX_VIOLATIONS && v.push(`stats: ${what}`);
  if (s.packetsDecoded !== decodedCalls) bad(`packetsDecoded ${s.packetsDecoded} but onPacket was called ${decodedCalls} times`);
  if (s.packetsRead !== s.packetsDecoded + s.packetsSkipped + s.packetProblems) {
    bad(`packetsRead ${s.packetsRead} != decoded ${s.packetsDecoded} + skipped ${s.packetsSkipped} + problems ${s.packetProblems}`);
  }
  const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  if (sum(s.skippedByReason) !== s.packetsSkipped) bad(`skippedByReason sums to ${sum(s.skippedByReason)}, packetsSkipped is ${s.packetsSkipped}`);
  if (sum(s.problemsByReason) !== s.problemCount) bad(`problemsByReason sums to ${sum(s.problemsByReason)}, problemCount is ${s.problemCount}`);
  if (s.problemCount < s.packetProblems) bad(`problemCount ${s.problemCount} < packetProblems ${s.packetProblems}`);
  if (s.problems.length > Math.min(100, s.problemCount)) bad(`${s.problems.length} problems kept of ${s.problemCount}`);
  if (s.bytesRead !== totalBytes) bad(`bytesRead ${s.bytesRead}, ${totalBytes} pushed`);
  const size = s.compression === 'gzip' ? s.inflatedBytes : s.bytesRead;
  if (s.unparsedBytes < 0 || s.unparsedBytes > size) bad(`unparsedBytes ${s.unparsedBytes} of ${size}`);
  for (const p of s.problems) {
    if (!Number.isInteger(p.fileOffset) || p.fileOffset < 0 || p.fileOffset > size) bad(`problem offset ${p.fileOffset} outside the ${size} bytes: ${p.reason}`);
    if (!p.reason || p.reason.length < 8) bad(`problem without a reason at ${p.fileOffset}`);
  }
}

function refusalProblem(e: CaptureFormatError, source: string, size: number): string | undefined {
  if (!e.message.startsWith(`${source}: not a readable capture at byte ${e.offset}: `)) return `message does not name source and offset: ${e.message}`;
  if (!Number.isInteger(e.offset) || e.offset < 0 || e.offset > size) return `offset ${e.offset} outside the ${size} bytes: ${e.message}`;
  if (e.why.length < 8) return `no reason: ${e.message}`;
  return undefined;
}

function fingerprintStats(f: Fnv, s: CaptureStats, withSource: boolean): void {
  const { source, bytesRead, compression, inflatedBytes, unsupportedInterfaces, problems, ...rest } = s;
  f.text(JSON.stringify(rest));
  // Offsets of problems count inflated bytes for gzip; the texts name them the same way.
  f.text(JSON.stringify(problems));
  f.text(JSON.stringify(unsupportedInterfaces.map((u) => u.message)));
  if (withSource) f.text(JSON.stringify({ source, bytesRead, compression, inflatedBytes }));
}

function decode(bytes: Uint8Array, chunks: number[] | null, source: string, v: string[], observer?: FlowObserver, onWindows?: (w: ClosedWindow[]) => void, withSource = true): Run {
  const f = new Fnv();
  let calls = 0;
  let last = -1;
  const decoder = new CaptureStreamDecoder((p) => {
    calls++;
    checkPacket(p, last, v);
    last = p.packetIndex;
    f.add(p.packetIndex);
    f.add(p.timeSec);
    f.add(p.ipVersion);
    f.add(p.protocol);
    f.add(p.srcPort);
    f.add(p.dstPort);
    f.add(p.ipBytes);
    f.add(p.tcpFlags);
    f.add(p.interfaceIndex);
    f.add(p.linkType);
    f.text(p.nflogPrefix);
    const alen = p.ipVersion === 6 ? 16 : 4;
    for (let i = 0; i < alen; i++) f.add((p.data[p.srcOffset + i] ?? 0) | ((p.data[p.dstOffset + i] ?? 0) << 8));
    observer?.observe(p);
  }, { source });
  try {
    if (chunks === null) decoder.push(bytes);
    else {
      let at = 0;
      let k = 0;
      while (at < bytes.length) {
        const n = Math.max(1, chunks[k++ % chunks.length]!);
        // A copy: the caller may reuse its chunk after push(), and here it does.
        const chunk = bytes.slice(at, at + n);
        decoder.push(chunk);
        chunk.fill(0xa5);
        at += n;
        if (observer && onWindows) onWindows(observer.drain(1000));
      }
    }
    const stats = decoder.end();
    checkStats(stats, calls, bytes.length, v);
    fingerprintStats(f, stats, withSource);
    return { refused: null, fingerprint: f.h.toString(16), stats };
  } catch (e) {
    if (!(e instanceof CaptureFormatError)) throw e;
    const problem = refusalProblem(e, source, Math.max(bytes.length, decoder.stats().inflatedBytes));
    if (problem) v.push(`refusal: ${problem}`);
    return { refused: e.message, fingerprint: `refused ${e.offset} ${e.why}`, stats: null };
  }
}

export function run(c: CaptureCase): CaptureVerdict {
  const v: string[] = [];
  const bytes = new Uint8Array(c.bytes);
  const observer = new FlowObserver({ interfaces: c.interfaces, intervals: c.intervals, maxFlows: c.maxFlows });
  let records = 0;
  let okPackets = 0;
  let windows = 0;
  const onWindows = (ws: ClosedWindow[]) => {
    for (const w of ws) {
      windows++;
      const bad = (what: string) => v.length < MAX_VIOLATIONS && v.push(`window ${w.windowStart}..${w.windowEnd} (${w.intervalSec} s): ${what}`);
      if (!(w.windowEnd > w.windowStart) || (w.windowEnd - w.windowStart) % w.intervalSec !== 0 || w.windowStart % w.intervalSec !== 0) bad('not whole windows');
      if (w.windowStart < 0 || w.windowEnd > MAX_PACKET_TIME_SEC + w.intervalSec) bad('outside the packet time range');
      for (const r of w.records) {
        records++;
        const rec = r.record;
        const start = Number(rec.start);
        const end = Number(rec.end);
        if (!(start >= w.windowStart && end <= w.windowEnd && start <= end)) bad(`record ${rec['log-status']} ${start}..${end} outside its window`);
        if (r.interfaceIndex < 0 || r.interfaceIndex >= c.interfaces.length) bad(`interface index ${r.interfaceIndex}`);
        if (rec['log-status'] === 'OK') {
          const packets = Number(rec.packets);
          if (!(packets >= 1) || !(Number(rec.bytes) >= 0)) bad(`OK record with ${rec.packets} packets, ${rec.bytes} bytes`);
          okPackets += packets;
        } else if (rec['log-status'] !== 'NODATA' && rec['log-status'] !== 'SKIPDATA') bad(`log-status ${String(rec['log-status'])}`);
      }
      if (records > 5_000_000) bad('more than 5 million records from one small capture');
    }
  };
  const split = decode(bytes, c.chunks, c.source, v, observer, onWindows);
  if (split.refused === null) {
    observer.finish();
    for (;;) {
      const ws = observer.drain(1000);
      if (!ws.length) break;
      onWindows(ws);
    }
    const counted = observer.aggregators.reduce((s, a) => s + a.stats.packets - a.stats.skippedPackets, 0);
    if (counted !== okPackets) v.push(`flows: OK records hold ${okPackets} packets, the aggregators counted ${counted} (packets − skipped)`);
  }
  // The same bytes pushed whole: the same packets, stats and refusal.
  const whole = decode(bytes, null, c.source, []);
  // A corrupt gzip stream may be noticed by the inflater or, from the bytes already inflated, by the
  // framer first, depending on how much was inflated before: which refusal comes first may differ.
  const bothRefusedGzip = whole.refused !== null && split.refused !== null && bytes[0] === 0x1f && bytes[1] === 0x8b;
  if (whole.fingerprint !== split.fingerprint && !bothRefusedGzip) {
    v.push(`pushed whole vs. in chunks of ${c.chunks.slice(0, 6).join(',')}…: different results (${whole.refused ?? 'accepted'} / ${split.refused ?? 'accepted'})`);
  }
  // A gzip stream node:zlib inflates must decode as the bytes it inflates to.
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    let inflated: Uint8Array | null = null;
    try {
      inflated = gunzipSync(bytes, { maxOutputLength: MAX_ZLIB_OUTPUT });
    } catch {
      inflated = null;
    }
    if (inflated !== null && inflated.length > 0) {
      const plain = decode(inflated, null, c.source, [], undefined, undefined, false);
      const gz = decode(bytes, null, c.source, [], undefined, undefined, false);
      // node:zlib silently drops bytes after a member that do not start with 0x1f; the decoder refuses
      // them with their offset instead (src/capture/gzip.test.ts), so that difference is by design.
      const trailingGarbage = gz.refused !== null && /does not start another gzip member/.test(gz.refused);
      if (trailingGarbage) {
        // refused by design: nothing to compare
      } else if (gz.refused !== null && /corrupt gzip/.test(gz.refused)) v.push(`gzip: node:zlib inflates it to ${inflated.length} bytes, the decoder refuses it: ${gz.refused}`);
      else if ((gz.refused === null) !== (plain.refused === null)) v.push(`gzip: ${gz.refused ?? 'accepted'}, but its inflated bytes: ${plain.refused ?? 'accepted'}`);
      else if (gz.refused === null && gz.fingerprint !== plain.fingerprint) {
        v.push(`gzip: decodes differently from its inflated bytes (${gz.stats?.packetsRead} vs ${plain.stats?.packetsRead} packets, ${gz.stats?.problemCount} vs ${plain.stats?.problemCount} problems)`);
      }
    }
  }
  const s = split.stats;
  return {
    refused: split.refused,
    packetsRead: s?.packetsRead ?? 0,
    packetsDecoded: s?.packetsDecoded ?? 0,
    problemCount: s?.problemCount ?? 0,
    records,
    okPackets,
    windows,
    violations: v,
  };
}
