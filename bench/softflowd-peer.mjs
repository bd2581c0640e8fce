// Runs softflowd over a capture file (the benchmark's peer) with a UDP collector on loopback and
// prints {"seconds":..,"flows":..,"datagrams":..}. A plain Node script on purpose: softflowd -r
// stops by signalling itself, which went missing when it was spawned from the main bench process.
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const capture = process.argv[2];
const sock = createSocket('udp4');
await new Promise((r) => sock.bind(0, '127.0.0.1', r));
let datagrams = 0;
sock.on('message', () => datagrams++);
// softflowd 1.1.0 -r hangs at end of file unless its pid/control paths are very short (seen: /tmp/x.ctl
// works, /tmp/sf1234.ctl hangs), so the benchmark uses fixed short names and runs one softflowd at a time.
const base = join(tmpdir(), `x`);
const t0 = process.hrtime.bigint();
const child = spawn('softflowd', ['-r', capture, '-n', `127.0.0.1:${sock.address().port}`, '-v', '9', '-m', '4000000', '-d', '-p', `${base}.pid`, '-c', `${base}.ctl`], { stdio: ['ignore', 'pipe', 'pipe'] });
let output = '';
child.stdout.on('data', (d) => (output += d));
child.stderr.on('data', (d) => (output += d));
const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
await new Promise((r) => child.once('exit', r));
clearTimeout(timer);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
await new Promise((r) => setTimeout(r, 200));
sock.close();
for (const f of [`${base}.pid`, `${base}.ctl`]) rmSync(f, { force: true });
const flows = /Flows exported: (\d+)/.exec(output)?.[1];
if (!flows) {
  process.stderr.write(`softflowd did not finish:\n${output.slice(-800)}\n`);
  process.exit(1);
}
process.stdout.write(JSON.stringify({ seconds, flows: Number(flows), datagrams }) + '\n');
