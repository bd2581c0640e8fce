// The data plane on the real kernel (needs root): builds the test network in namespaces with a
// unique prefix, sends real traffic between instances and checks what passes, what is dropped,
// where and by which rule (as NFLOG reports it), live rule changes, restart adoption and cleanup.

import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CaptureStreamDecoder, type DecodedPacket } from '../capture/index.ts';
import { formatIpv4, formatIpv6 } from '../net/index.ts';
import { planApply, type NetworkModel } from '../model/index.ts';
import { AcceptCounters, NameConflictError, NflogObserver, down, planNames, randomTestPrefix, reconcile, type Observation, type RealizedVpc } from './index.ts';
import { ADDR, IDS, testNetworkDocument } from './test-fixtures.ts';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const skip = isRoot ? false : 'needs root (CAP_NET_ADMIN) to create network namespaces: run the tests as root';

interface Seen {
  src?: string;
  dst?: string;
  dropped: Observation['dropped'];
  prefix: string;
  layer?: string;
  resourceId?: string;
  ruleNumber?: number;
  srcAddr: string;
  dstAddr: string;
  protocol: number;
  srcPort: number;
  dstPort: number;
  tcpFlags: number;
  ipBytes: number;
}

const addressText = (p: DecodedPacket, offset: number) => (p.ipVersion === 4 ? formatIpv4(p.data, offset) : formatIpv6(p.data, offset));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs argv in a namespace; never rejects (the exit code is the result). */
function inNamespace(ns: string, argv: readonly string[], timeoutMs = 10_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', ns, ...argv], { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** One ICMP echo over a raw socket (no ping binary needed); exit 0 when the reply came. */
const PING = `
import socket, struct, sys, os, time
dst = sys.argv[1]; v6 = ':' in dst
s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
def checksum(b):
    if len(b) % 2: b += b'\\0'
    x = sum(struct.unpack('!%dH' % (len(b) // 2), b)); x = (x >> 16) + (x & 0xffff); x += x >> 16
    return ~x & 0xffff
ident = os.getpid() & 0xffff
req, rep = (128, 129) if v6 else (8, 0)
h = struct.pack('!BBHHH', req, 0, 0, ident, 1) + b'vpcflow'
if not v6: h = h[:2] + struct.pack('!H', checksum(h)) + h[4:]
s.sendto(h, (dst, 0)); end = time.time() + float(sys.argv[2])
while time.time() < end:
    s.settimeout(max(0.01, end - time.time()))
    try: d = s.recv(2000)
    except socket.timeout: break
    if not v6: d = d[(d[0] & 15) * 4:]
    if d[0] == rep and struct.unpack('!H', d[4:6])[0] == ident: sys.exit(0)
sys.exit(1)
`;

/** One TCP ACK with no connection behind it (what arrives after a connection closed). */
const STRAY_ACK = `
import socket, struct, sys
src, dst, dport = sys.argv[1], sys.argv[2], int(sys.argv[3])
def checksum(b):
    if len(b) % 2: b += b'\\0'
    x = sum(struct.unpack('!%dH' % (len(b) // 2), b)); x = (x >> 16) + (x & 0xffff); x += x >> 16
    return ~x & 0xffff
tcp = struct.pack('!HHIIBBHHH', 40000, dport, 12345, 67890, 5 << 4, 0x10, 64240, 0, 0)
pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, len(tcp))
tcp = tcp[:16] + struct.pack('!H', checksum(pseudo + tcp)) + tcp[18:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
s.sendto(tcp, (dst, 0))
`;

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('data plane on the kernel', { skip }, () => {
  const prefix = randomTestPrefix();
  const work = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const statePath = join(work, 'state.json');
  const children: ChildProcess[] = [];
  const seen: Seen[] = [];
  let model: NetworkModel;
  let vpc: RealizedVpc;
  let observer: NflogObserver | undefined;
  let ns: { web: string; client: string; db: string; vpc: string };

  const modelOf = (doc: unknown) => planApply(undefined, doc).model;
  const start = (namespace: string, argv: string[]): ChildProcess => {
    const child = spawn('ip', ['netns', 'exec', namespace, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    return child;
  };
  const stopChild = (child: ChildProcess) => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
  };
  const mark = () => seen.length;
  const since = (i: number) => seen.slice(i);

  before(async () => {
    model = modelOf(testNetworkDocument());
    const result = await reconcile(model, { statePath, prefix });
    vpc = result.vpcs[0]!;
    ns = {
      vpc: vpc.namespace,
      web: result.state.instances[IDS.web]!.namespace,
      client: result.state.instances[IDS.client]!.namespace,
      db: result.state.instances[IDS.db]!.namespace,
    };
    observer = await NflogObserver.start({
      vpc,
      onPacket: (p, o) => {
        seen.push({
          ...(o.srcInterfaceId ? { src: o.srcInterfaceId } : {}),
          ...(o.dstInterfaceId ? { dst: o.dstInterfaceId } : {}),
          dropped: o.dropped, prefix: o.prefix,
          ...(o.rule ? { layer: o.rule.layer, resourceId: o.rule.resourceId, ...(o.rule.ruleNumber !== undefined ? { ruleNumber: o.rule.ruleNumber } : {}) } : {}),
          srcAddr: addressText(p, p.srcOffset), dstAddr: addressText(p, p.dstOffset),
          protocol: p.protocol, srcPort: p.srcPort, dstPort: p.dstPort, tcpFlags: p.tcpFlags, ipBytes: p.ipBytes,
        });
      },
      onError: (e) => console.error('observer:', e.message),
    });
    writeFileSync(join(work, 'index.html'), 'vpcflow-web-ok\n');
    writeFileSync(join(work, 'big.bin'), Buffer.alloc(300_000, 7));
    start(ns.web, ['python3', '-m', 'http.server', '80', '--bind', '::', '--directory', work]);
    start(ns.db, ['nc', '-lk', '5432']);
    const end = Date.now() + 10_000;
    while ((await inNamespace(ns.web, ['nc', '-z', '127.0.0.1', '80'])).code !== 0) {
      if (Date.now() > end) throw new Error('web server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  after(async () => {
    for (const c of children) stopChild(c);
    await observer?.stop();
    await new Promise((r) => setTimeout(r, 100));
    await down(statePath);
    // Safety net: every namespace with this run's unique prefix is ours.
    const listed = await new Promise<string>((resolve) => execFile('ip', ['netns', 'list'], (_e, out) => resolve(String(out))));
    for (const line of listed.split('\n')) {
      const name = line.split(' ')[0];
      if (name && name.startsWith(`${prefix}-`)) await new Promise((r) => execFile('ip', ['netns', 'delete', name], r));
    }
    rmSync(work, { recursive: true, force: true });
  });

  test('names come from ids, fit the kernel and are recorded', () => {
    const state = JSON.parse(readFileSync(statePath, 'utf8'));
    assert.equal(state.prefix, prefix);
    assert.equal(state.vpcs[IDS.vpc].namespace, `${prefix}-2b3c4d5e6f70`);
    for (const i of vpc.interfaces) {
      assert.ok(Buffer.byteLength(i.vpcLink) <= 15, i.vpcLink);
      assert.equal(state.interfaces[i.id].vpcLink, i.vpcLink);
    }
  });

  test('allowed HTTP within a subnet passes, both directions observed as accepted', async () => {
    const m = mark();
    const r = await inNamespace(ns.client, ['curl', '--noproxy', '*', '-sS', '-m', '5', `http://${ADDR.web}/`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'vpcflow-web-ok\n');
    await waitFor('the reply observed', () => since(m).some((s) => s.srcAddr === ADDR.web && s.dstAddr === ADDR.client));
    const flow = since(m).filter((s) => s.protocol === 6 && (s.dstPort === 80 || s.srcPort === 80));
    assert.ok(flow.every((s) => s.dropped === 'none' && s.prefix === 'acc'));
    const request = flow.find((s) => s.srcAddr === ADDR.client && (s.tcpFlags & 0x12) === 0x02);
    assert.ok(request, 'the SYN was observed');
    assert.equal(request.src, IDS.eniClient);
    assert.equal(request.dst, IDS.eniWeb);
    const reply = flow.find((s) => s.srcAddr === ADDR.web);
    assert.equal(reply?.src, IDS.eniWeb);
    assert.equal(reply?.dst, IDS.eniClient);
  });

  test('HTTP over IPv6 within a subnet is routed through the VPC namespace', async () => {
    const m = mark();
    const r = await inNamespace(ns.client, ['curl', '--noproxy', '*', '-sS', '-m', '5', '-g', `http://[${ADDR.web6}]/`]);
    assert.equal(r.code, 0, r.stderr);
    const syn = await waitFor('the IPv6 SYN', () => since(m).find((s) => s.srcAddr === ADDR.client6 && s.dstPort === 80));
    assert.equal(syn.src, IDS.eniClient);
    assert.equal(syn.dst, IDS.eniWeb);
  });

  test('SSH without a security-group rule is dropped on the destination side by its security group', async () => {
    const m = mark();
    const r = await inNamespace(ns.client, ['nc', '-z', '-w', '1', ADDR.web, '22']);
    assert.notEqual(r.code, 0);
    const drop = await waitFor('the SSH drop', () => since(m).find((s) => s.dstPort === 22 && s.dropped !== 'none'));
    assert.equal(drop.dropped, 'destination');
    assert.equal(drop.layer, 'sg-in');
    assert.equal(drop.resourceId, IDS.sgWeb);
    assert.equal(drop.src, IDS.eniClient);
    assert.equal(drop.dst, IDS.eniWeb);
    assert.ok(!since(m).some((s) => s.dstPort === 22 && s.dropped === 'none'), 'no SSH packet got through');
  });

  test('ping into the database subnet is dropped by the network ACL deny rule 110', async () => {
    const allowed = await inNamespace(ns.client, ['python3', '-c', PING, ADDR.web, '2']);
    assert.equal(allowed.code, 0, `ping within the subnet works: ${allowed.stderr}`);
    const m = mark();
    const r = await inNamespace(ns.client, ['python3', '-c', PING, ADDR.db, '1']);
    assert.equal(r.code, 1, r.stderr);
    const drop = await waitFor('the ICMP drop', () => since(m).find((s) => s.protocol === 1 && s.dropped !== 'none'));
    assert.deepEqual(
      { dropped: drop.dropped, layer: drop.layer, resourceId: drop.resourceId, ruleNumber: drop.ruleNumber, src: drop.src, dst: drop.dst },
      { dropped: 'destination', layer: 'nacl-in', resourceId: IDS.aclB, ruleNumber: 110, src: IDS.eniClient, dst: IDS.eniDb },
    );
  });

  test('a reply is dropped by the network ACL that has no ephemeral-port rule, on the replying side', async () => {
    const m = mark();
    const r = await inNamespace(ns.client, ['nc', '-z', '-w', '2', ADDR.db, '5432']);
    assert.notEqual(r.code, 0, 'the connection must fail');
    const syn = await waitFor('the SYN', () => since(m).find((s) => s.dstPort === 5432 && (s.tcpFlags & 0x12) === 0x02));
    assert.equal(syn.dropped, 'none', 'the request was allowed by both ACLs and the security group');
    const reply = await waitFor('the SYN-ACK drop', () => since(m).find((s) => s.srcPort === 5432 && s.dropped !== 'none'));
    assert.deepEqual(
      { dropped: reply.dropped, layer: reply.layer, resourceId: reply.resourceId, ruleNumber: reply.ruleNumber, src: reply.src, dst: reply.dst, flags: reply.tcpFlags & 0x12 },
      { dropped: 'source', layer: 'nacl-out', resourceId: IDS.aclB, ruleNumber: 32767, src: IDS.eniDb, dst: IDS.eniClient, flags: 0x12 },
    );
  });

  test('a mid-stream TCP packet without a connection is INVALID and dropped with its own code', async () => {
    const m = mark();
    const r = await inNamespace(ns.client, ['python3', '-c', STRAY_ACK, ADDR.client, ADDR.web, '80']);
    assert.equal(r.code, 0, r.stderr);
    const drop = await waitFor('the INVALID drop', () => since(m).find((s) => s.srcPort === 40000 && s.dstPort === 80));
    assert.deepEqual({ prefix: drop.prefix, layer: drop.layer, dropped: drop.dropped, src: drop.src }, { prefix: 'inv', layer: 'invalid', dropped: 'source', src: IDS.eniClient });
  });

  test('a second interface replies through itself (source-based policy routing)', async () => {
    const m = mark();
    // db's eth1 is in the client's subnet: no ACL on the path if the reply leaves by eth1, the
    // subnet-B ACL would drop it if it left by eth0.
    const r = await inNamespace(ns.client, ['nc', '-z', '-w', '2', ADDR.db2, '5432']);
    assert.equal(r.code, 0, r.stderr);
    const reply = await waitFor('the reply', () => since(m).find((s) => s.srcAddr === ADDR.db2 && s.srcPort === 5432));
    assert.equal(reply.src, IDS.eniDb2);
    assert.equal(reply.dropped, 'none');
  });

  test('the forward hook sees wire-size packets: NFLOG observations plus kernel counts equal a capture on the veth', async () => {
    const link = vpc.interfaces.find((i) => i.id === IDS.eniWeb)!.vpcLink;
    let captured = 0;
    let capturedBytes = 0;
    let largest = 0;
    const decoder = new CaptureStreamDecoder((p) => {
      captured++;
      capturedBytes += p.ipBytes;
      largest = Math.max(largest, p.ipBytes);
    });
    const counters = new AcceptCounters(ns.vpc);
    await counters.read();
    const capture = start(ns.vpc, ['tcpdump', '-i', link, '--immediate-mode', '-w', '-', '-U', '-n', 'tcp port 80']);
    capture.stdout!.on('data', (c: Buffer) => decoder.push(c));
    await waitFor('tcpdump on the veth', () => (capture.stderr!.read()?.toString() ?? '').includes('listening') || undefined, 5000);
    const m = mark();
    const r = await inNamespace(ns.client, ['curl', '--noproxy', '*', '-sS', '-m', '10', '-o', '/dev/null', '-w', '%{size_download}', `http://${ADDR.web}/big.bin`]);
    assert.equal(r.stdout, '300000', r.stderr);
    const flow = () => since(m).filter((s) => s.protocol === 6 && (s.srcPort === 80 || s.dstPort === 80));
    await waitFor('the FIN of the server observed', () => flow().some((s) => s.srcAddr === ADDR.web && (s.tcpFlags & 1) === 1));
    await new Promise((res) => setTimeout(res, 300));
    stopChild(capture);
    await new Promise((res) => capture.once('close', res));
    decoder.end();
    const counted = (await counters.read()).filter((f) => f.protocol === 6 && (f.srcPort === 80 || f.dstPort === 80));
    const countedPackets = counted.reduce((n, f) => n + f.packets, 0);
    const countedBytes = counted.reduce((n, f) => n + f.bytes, 0);
    // NFLOG hands over batches (16 packets or after 1 s): let the last one arrive.
    await waitFor('NFLOG to catch up', () => flow().length + countedPackets >= captured, 3000).catch(() => undefined);
    assert.ok(captured > 200, `a 300 kB transfer is hundreds of wire packets, captured ${captured}`);
    assert.ok(countedPackets > 150, `the bulk of the transfer is counted in the kernel, not logged: ${countedPackets} of ${captured}`);
    assert.ok(flow().every((s) => (s.tcpFlags & 0x07) !== 0), 'only SYN, FIN and RST packets are logged per packet');
    assert.equal(flow().length + countedPackets, captured, 'every wire packet passed the forward hook once: logged or counted, never both');
    assert.equal(flow().reduce((n, s) => n + s.ipBytes, 0) + countedBytes, capturedBytes, 'bytes agree with the capture');
    assert.ok(Math.max(...flow().map((s) => s.ipBytes)) <= 1500, 'no segmentation-offload super-packets');
    assert.ok(largest <= 1500);
  });

  test('a rule change is applied atomically and acts on a live connection', async () => {
    const open = modelOf(testNetworkDocument({
      extraAclEntries: [{ 'rule-number': 110, egress: true, protocol: '6', 'rule-action': 'allow', cidr: '0.0.0.0/0', 'from-port': 1024, 'to-port': 65535 }],
    }));
    let result = await reconcile(open, { statePath });
    assert.deepEqual(result.actions.map((a) => a.split(' ').slice(0, 2).join(' ')), ['apply ruleset']);
    await observer!.setRuleset(result.vpcs[0]!.ruleset);
    const server = children.find((c) => c.spawnargs.includes('5432'))!;
    let received = '';
    server.stdout!.on('data', (c: Buffer) => (received += c.toString()));
    const client = start(ns.client, ['nc', ADDR.db, '5432']);
    client.stdin!.write('first line\n');
    await waitFor('the first line at the database', () => received.includes('first line'));

    const closed = modelOf(testNetworkDocument({
      extraAclEntries: [
        { 'rule-number': 110, egress: true, protocol: '6', 'rule-action': 'allow', cidr: '0.0.0.0/0', 'from-port': 1024, 'to-port': 65535 },
        { 'rule-number': 90, egress: false, protocol: '6', 'rule-action': 'deny', cidr: '10.0.1.0/24', 'from-port': 5432, 'to-port': 5432 },
      ],
    }));
    result = await reconcile(closed, { statePath });
    await observer!.setRuleset(result.vpcs[0]!.ruleset);
    const m = mark();
    client.stdin!.write('second line\n');
    const drop = await waitFor('the data packet drop', () => since(m).find((s) => s.dstPort === 5432 && s.dropped !== 'none'));
    assert.deepEqual({ layer: drop.layer, ruleNumber: drop.ruleNumber, side: drop.dropped }, { layer: 'nacl-in', ruleNumber: 90, side: 'destination' });
    assert.ok(!received.includes('second line'), 'the established connection gets no shortcut past the ACL');
    stopChild(client);
  });

  test('reconcile again changes nothing; a restart adopts the recorded objects', async () => {
    const result = await reconcile(model, { statePath });
    await observer!.setRuleset(result.vpcs[0]!.ruleset);
    assert.deepEqual(result.actions.filter((a) => !a.startsWith('apply ruleset')), []);
    const again = await reconcile(model, { statePath, prefix });
    assert.deepEqual(again.actions, []);
  });

  test('an interface removed from the model is removed from the kernel, nothing else is touched', async () => {
    const smaller = modelOf(testNetworkDocument({ withoutDb: true }));
    const result = await reconcile(smaller, { statePath });
    await observer!.setRuleset(result.vpcs[0]!.ruleset);
    assert.ok(result.actions.includes(`delete namespace ${ns.db} (${IDS.db})`), result.actions.join('\n'));
    assert.ok(!result.actions.some((a) => a.includes(IDS.eniWeb) || a.includes(IDS.eniClient)));
    const listed = await inNamespace(ns.vpc, ['ip', '-o', 'link']);
    assert.ok(!listed.stdout.includes('eni000000000d01'), 'the database veth is gone');
    const r = await inNamespace(ns.client, ['curl', '--noproxy', '*', '-sS', '-m', '5', `http://${ADDR.web}/`]);
    assert.equal(r.code, 0);
  });

  test('observations were not lost', async () => {
    assert.equal(await observer!.pollKernelStats(), 0, 'tcpdump reported receive-buffer overruns');
    // Records still in the pipe from tcpdump count as lost until read: give them a moment.
    let loss = await observer!.measureLoss();
    for (let i = 0; i < 40 && loss.lost > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      loss = await observer!.measureLoss();
    }
    assert.ok(loss.kernelLogged > 0, 'the kernel logged the traffic since the last ruleset');
    assert.equal(loss.lost, 0, `lost observations: ${JSON.stringify(loss)}`);
    assert.ok(loss.observed >= loss.kernelLogged);
    assert.equal(observer!.counters().unknownPrefix, 0);
  });

  test('a namespace that is not recorded is never adopted', async () => {
    const foreignState = join(work, 'other.json');
    const names = planNames(model, { prefix });
    const taken = names.vpcNamespaces.get(IDS.vpc)!;
    await assert.rejects(reconcile(model, { statePath: foreignState, prefix }), NameConflictError);
    const stillThere = await new Promise<string>((resolve) => execFile('ip', ['netns', 'list'], (_e, out) => resolve(String(out))));
    assert.ok(stillThere.includes(taken), 'the existing namespace was left alone');
    await down(foreignState);
  });

  test('down removes every namespace, link and ruleset, and may run twice', async () => {
    const links = vpc.interfaces.map((i) => i.vpcLink);
    await observer!.stop();
    observer = undefined;
    for (const c of children) stopChild(c);
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('close', r)) : undefined)));
    const result = await down(statePath);
    assert.deepEqual(result.busy, []);
    assert.ok(result.removed.includes(ns.vpc));
    const listed = await new Promise<string>((resolve) => execFile('ip', ['netns', 'list'], (_e, out) => resolve(String(out))));
    assert.ok(!listed.includes(prefix), listed);
    const rootLinks = await new Promise<string>((resolve) => execFile('ip', ['-o', 'link'], (_e, out) => resolve(String(out))));
    for (const l of links) assert.ok(!rootLinks.includes(l), l);
    assert.deepEqual(await down(statePath), { removed: [], busy: [] });
  });
});
