// Decoding throughput: reads a capture file through readCapture and prints packets/s.
//   npx tsx bench/decode-only.ts FILE [--runs N]
//   npx tsx bench/decode-only.ts --generate FILE PACKETS   (writes a synthetic Ethernet/IPv4/TCP pcap)
import { open } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { readCapture } from '../src/capture/index.ts';

async function generate(path: string, packets: number): Promise<void> {
  const frame = 14 + 20 + 20 + 6; // Ethernet + IPv4 + TCP + a few payload bytes, as a small real frame
  const record = 16 + frame;
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(1, 20);
  const file = await open(path, 'w');
  await file.write(header);
  const perChunk = 65536;
  const chunk = Buffer.alloc(perChunk * record);
  let written = 0;
  while (written < packets) {
    const n = Math.min(perChunk, packets - written);
    for (let i = 0; i < n; i++) {
      const k = written + i;
      const at = i * record;
      chunk.writeUInt32LE(1_700_000_000 + Math.floor(k / 100000), at);
      chunk.writeUInt32LE(k % 1000000, at + 4);
      chunk.writeUInt32LE(frame, at + 8);
      chunk.writeUInt32LE(frame, at + 12);
      const f = at + 16;
      chunk.fill(0, f, f + frame);
      chunk.writeUInt16BE(0x0800, f + 12);
      const ip = f + 14;
      chunk[ip] = 0x45;
      chunk.writeUInt16BE(46, ip + 2);
      chunk[ip + 8] = 64;
      chunk[ip + 9] = 6;
      chunk.writeUInt32BE(0x0a000000 + (k % 251), ip + 12);
      chunk.writeUInt32BE(0x0a010000 + (k % 13), ip + 16);
      const t = ip + 20;
      chunk.writeUInt16BE(1024 + (k % 4000), t);
      chunk.writeUInt16BE(443, t + 2);
      chunk[t + 12] = 0x50;
      chunk[t + 13] = 0x10;
    }
    await file.write(chunk.subarray(0, n * record));
    written += n;
  }
  await file.close();
  console.log(`wrote ${packets} packets (${(24 + packets * record).toLocaleString()} bytes) to ${path}`);
}

async function measure(path: string, runs: number): Promise<void> {
  const size = statSync(path).size;
  for (let run = 1; run <= runs; run++) {
    let checksum = 0;
    const started = process.hrtime.bigint();
    const stats = await readCapture(path, (p) => {
      checksum = (checksum + p.srcPort + p.dstPort + p.ipBytes + p.data[p.srcOffset]!) | 0;
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const mpps = stats.packetsRead / seconds / 1e6;
    console.log(
      `run ${run}: ${stats.packetsRead.toLocaleString()} packets (${stats.packetsDecoded.toLocaleString()} decoded, ${stats.problemCount} problems) in ${seconds.toFixed(3)} s: ` +
        `${mpps.toFixed(2)} M packets/s, ${(size / seconds / 1e6).toFixed(0)} MB/s (checksum ${checksum})`,
    );
  }
}

const args = process.argv.slice(2);
if (args[0] === '--generate') {
  const [, path, count] = args;
  if (!path || !count) throw new Error('usage: decode-only.ts --generate FILE PACKETS');
  await generate(path, Number(count));
} else {
  const path = args[0];
  if (!path) throw new Error('usage: decode-only.ts FILE [--runs N] | --generate FILE PACKETS');
  const runsAt = args.indexOf('--runs');
  await measure(path, runsAt >= 0 ? Number(args[runsAt + 1]) : 3);
}
