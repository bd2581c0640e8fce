// End-to-end on the live path: which flow log gets which records, and the protocols. One
// `serve --realize` server, one dual-stack network (a1 and a2 in subnet A, b1 in subnet B), five
// flow logs (VPC, subnet A, interface b1, VPC ACCEPT-only, VPC REJECT-only) each to its own log
// group, and UDP, ICMP, ICMPv6, IPv6 TCP and a rejected TCP connection through the kernel.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { VpcflowServer } from '../helpers/cli.ts';
import {
  DEFAULT_FIELDS, ECHO_REQUEST_PY, killGroup, liveSkipReason, pollGroups, queryRows, runIn, settledAfter, show, spawnIn, waitForPort, type FlowLine, startRealizing, stopRealizing,
} from '../helpers/live.ts';
import { randomTestPrefix } from '../../src/dataplane/index.ts';

const skip = liveSkipReason(['ip', 'nft', 'tcpdump', 'curl', 'nc', 'python3']);

const hex = randomBytes(8).toString('hex');
const ID = {
  vpc: `vpc-0${hex}`, subnetA: `subnet-1${hex}`, subnetB: `subnet-2${hex}`,
  a1: `i-1${hex}`, a2: `i-2${hex}`, b1: `i-3${hex}`, eniA1: `eni-1${hex}`, eniA2: `eni-2${hex}`, eniB1: `eni-3${hex}`,
  sgOpen: `sg-1${hex}`, sgB: `sg-2${hex}`,
};
const A1 = { v4: '10.45.1.11', v6: '2600:1f18:45:4501::11' };
const A2 = { v4: '10.45.1.12', v6: '2600:1f18:45:4501::12' };
const B1 = { v4: '10.45.2.21', v6: '2600:1f18:45:4502::21' };
const PORT = { udp: 41000, tcp6: 41100, ssh: 41200 };
const INTERVAL = 5;
const G = {
  vpc: `/vpcflow/scope-vpc-${hex}`, subnet: `/vpcflow/scope-subnet-${hex}`, eni: `/vpcflow/scope-eni-${hex}`,
  accept: `/vpcflow/scope-accept-${hex}`, reject: `/vpcflow/scope-reject-${hex}`,
};
const prefix = randomTestPrefix();

const network = `account: "111122223333"
region: us-east-1
vpcs:
  - id: ${ID.vpc}
    cidr: 10.45.0.0/16
    ipv6-cidr: 2600:1f18:45:4500::/56
    subnets:
      - { id: ${ID.subnetA}, cidr: 10.45.1.0/24, ipv6-cidr: 2600:1f18:45:4501::/64, availability-zone: us-east-1a }
      - { id: ${ID.subnetB}, cidr: 10.45.2.0/24, ipv6-cidr: 2600:1f18:45:4502::/64, availability-zone: us-east-1b }
    security-groups:
      - id: ${ID.sgOpen}
        name: open
        description: everything from inside the VPC
        ingress:
          - { protocol: "-1", cidr: 10.45.0.0/16 }
          - { protocol: "-1", ipv6-cidr: 2600:1f18:45:4500::/56 }
      - id: ${ID.sgB}
        name: b
        description: udp 9999, echo and http over IPv6
        ingress:
          - { protocol: udp, from-port: 9999, to-port: 9999, cidr: 10.45.0.0/16 }
          - { protocol: icmp, from-port: -1, to-port: -1, cidr: 10.45.0.0/16 }
          - { protocol: icmpv6, from-port: -1, to-port: -1, ipv6-cidr: 2600:1f18:45:4500::/56 }
          - { protocol: tcp, from-port: 8080, to-port: 8080, ipv6-cidr: 2600:1f18:45:4500::/56 }
    instances:
      - id: ${ID.a1}
        subnet: ${ID.subnetA}
        interfaces: [{ id: ${ID.eniA1}, private-ip: ${A1.v4}, ipv6: [${A1.v6}], security-groups: [${ID.sgOpen}] }]
      - id: ${ID.a2}
        subnet: ${ID.subnetA}
        interfaces: [{ id: ${ID.eniA2}, private-ip: ${A2.v4}, ipv6: [${A2.v6}], security-groups: [${ID.sgOpen}] }]
      - id: ${ID.b1}
        subnet: ${ID.subnetB}
        interfaces: [{ id: ${ID.eniB1}, private-ip: ${B1.v4}, ipv6: [${B1.v6}], security-groups: [${ID.sgB}] }]
`;

const ok = (r: FlowLine) => r['log-status'] === 'OK';
const interfacesOf = (records: readonly FlowLine[]) => [...new Set(records.filter(ok).map((r) => r['interface-id']))].sort();
const text = (r: FlowLine) => DEFAULT_FIELDS.map((f) => r[f]).join(' ');
const okTexts = (records: readonly FlowLine[], keep: (r: FlowLine) => boolean = () => true) => records.filter((r) => ok(r) && keep(r)).map(text).sort();
/** Records of one direction of a flow on one interface. */
const flow = (records: readonly FlowLine[], eni: string, protocol: number, src: string, dst: string, sport?: number, dport?: number) =>
  records.filter((r) => ok(r) && r['interface-id'] === eni && r['protocol'] === String(protocol) && r['srcaddr'] === src && r['dstaddr'] === dst
    && (sport === undefined || r['srcport'] === String(sport)) && (dport === undefined || r['dstport'] === String(dport)));

describe('live flow-log scopes, traffic-type filters and protocols', { skip, timeout: 150_000 }, () => {
  let server: VpcflowServer;
  const started: ReturnType<typeof spawnIn>[] = [];
  let read: Record<string, FlowLine[]> = {};
  const outcome = { udpReceived: '', echo4: -1, echo6: -1, echoA2: -1, http6: '', ssh: -1 };

  before(async () => {
    server = await startRealizing(prefix, network);
    const flowLogs: [string, string, string, string][] = [
      [G.vpc, 'VPC', ID.vpc, 'ALL'],
      [G.subnet, 'Subnet', ID.subnetA, 'ALL'],
      [G.eni, 'NetworkInterface', ID.eniB1, 'ALL'],
      [G.accept, 'VPC', ID.vpc, 'ACCEPT'],
      [G.reject, 'VPC', ID.vpc, 'REJECT'],
    ];
    for (const [group, type, id, traffic] of flowLogs) {
      const fl = await server.run(['flow-logs', 'create', '--resource-type', type, '--resource-ids', id, '--traffic-type', traffic,
        '--log-destination-type', 'cloud-watch-logs', '--log-group-name', group, '--max-aggregation-interval', String(INTERVAL)]);
      assert.equal(fl.code, 0, `${type} ${traffic}: ${fl.stderr}`);
    }

    const udpListener = spawnIn(server, ID.b1, ['nc', '-u', '-l', '9999']);
    started.push(udpListener);
    started.push(spawnIn(server, ID.b1, ['python3', '-m', 'http.server', '8080', '--bind', '::', '--directory', server.dataDir]));
    await waitForPort(server, ID.b1, B1.v6, 8080);

    const [udp, echo4, echo6, echoA2, http6, ssh] = await Promise.all([
      runIn(server, ID.a1, ['nc', '-u', '-w', '1', '-p', String(PORT.udp), B1.v4, '9999'], { input: 'hello\n' }),
      runIn(server, ID.a1, ['python3', '-c', ECHO_REQUEST_PY, B1.v4, '2']),
      runIn(server, ID.a1, ['python3', '-c', ECHO_REQUEST_PY, B1.v6, '2']),
      runIn(server, ID.a2, ['python3', '-c', ECHO_REQUEST_PY, A1.v4, '2']),
      runIn(server, ID.a1, ['curl', '-g', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', '--local-port', String(PORT.tcp6), `http://[${B1.v6}]:8080/`]),
      runIn(server, ID.a1, ['nc', '-z', '-w', '1', '-p', String(PORT.ssh), B1.v4, '22']),
    ]);
    assert.equal(udp.code, 0, udp.output);
    outcome.udpReceived = udpListener.output();
    outcome.echo4 = echo4.code;
    outcome.echo6 = echo6.code;
    outcome.echoA2 = echoA2.code;
    outcome.http6 = http6.output;
    outcome.ssh = ssh.code;

    const trafficEnd = Date.now();
    const groups = Object.fromEntries(Object.values(G).map((g) => [g, DEFAULT_FIELDS]));
    read = await pollGroups(server, groups, (g) => {
      const vpc = g[G.vpc] ?? [];
      return flow(vpc, ID.eniB1, 6, A1.v4, B1.v4, PORT.ssh, 22).length > 0 && flow(vpc, ID.eniA1, 6, B1.v6, A1.v6, 8080, PORT.tcp6).length > 0
        && (g[G.reject] ?? []).some(ok) && (g[G.eni] ?? []).some(ok) && (g[G.subnet] ?? []).some((r) => ok(r) && r['interface-id'] === ID.eniA2);
    }, { settledAt: settledAfter(trafficEnd, INTERVAL), timeoutMs: 40_000 });
  });

  after(async () => {
    for (const c of started) killGroup(c);
    if (server) await stopRealizing(server, prefix);
  });

  const records = (group: string) => read[group] ?? [];

  it('3. VPC scope: records of every interface of the VPC', () => {
    assert.deepEqual(interfacesOf(records(G.vpc)), [ID.eniA1, ID.eniA2, ID.eniB1].sort(), show(records(G.vpc)));
  });

  it('3. subnet scope: exactly the interfaces of subnet A, the same records as the VPC flow log has for them', () => {
    const inSubnet = new Set([ID.eniA1, ID.eniA2]);
    assert.deepEqual(interfacesOf(records(G.subnet)), [...inSubnet].sort());
    assert.deepEqual(records(G.subnet).filter((r) => !inSubnet.has(r['interface-id']!)), [], 'no line at all (not even NODATA) for b1');
    assert.deepEqual(okTexts(records(G.subnet)), okTexts(records(G.vpc), (r) => inSubnet.has(r['interface-id']!)));
  });

  it('3. interface scope: exactly b1, the same records as the VPC flow log has for it', () => {
    assert.deepEqual(interfacesOf(records(G.eni)), [ID.eniB1]);
    assert.deepEqual(records(G.eni).filter((r) => r['interface-id'] !== ID.eniB1), []);
    assert.deepEqual(okTexts(records(G.eni)), okTexts(records(G.vpc), (r) => r['interface-id'] === ID.eniB1));
  });

  it('3. ACCEPT-only and REJECT-only: each exactly the VPC flow log\'s records of that action', () => {
    const acc = records(G.accept);
    const rej = records(G.reject);
    assert.deepEqual(acc.filter((r) => ok(r) && r['action'] !== 'ACCEPT'), [], 'only ACCEPT records (NODATA/SKIPDATA carry no action)');
    assert.deepEqual(rej.filter((r) => ok(r) && r['action'] !== 'REJECT'), [], 'only REJECT records');
    assert.deepEqual(okTexts(acc), okTexts(records(G.vpc), (r) => r['action'] === 'ACCEPT'));
    assert.deepEqual(okTexts(rej), okTexts(records(G.vpc), (r) => r['action'] === 'REJECT'));
    // The rejected connection: ACCEPT leaving a1 (its group allows all egress), REJECT at b1 (no rule for 22).
    assert.notEqual(outcome.ssh, 0);
    assert.equal(flow(acc, ID.eniA1, 6, A1.v4, B1.v4, PORT.ssh, 22).length > 0, true, show(acc));
    assert.equal(flow(rej, ID.eniB1, 6, A1.v4, B1.v4, PORT.ssh, 22).length > 0, true, show(rej));
    assert.deepEqual(interfacesOf(rej), [ID.eniB1], 'only b1 rejected anything');
    assert.deepEqual(interfacesOf(acc), [ID.eniA1, ID.eniA2, ID.eniB1].sort());
  });

  it('4. UDP: protocol 17, ports and addresses on both interfaces, one 34-byte datagram', () => {
    assert.match(outcome.udpReceived, /hello/);
    for (const eni of [ID.eniA1, ID.eniB1]) {
      const r = flow(records(G.vpc), eni, 17, A1.v4, B1.v4, PORT.udp, 9999);
      // IPv4 header 20 + UDP header 8 + "hello\n" 6.
      assert.deepEqual(r.map((x) => [x['action'], x['packets'], x['bytes']]), [['ACCEPT', '1', '34']], `${eni}\n${show(records(G.vpc))}`);
    }
  });

  it('4. ICMP echo: protocol 1, ports 0 0, request and reply on both interfaces, also within a subnet', () => {
    assert.equal(outcome.echo4, 0);
    assert.equal(outcome.echoA2, 0);
    const vpc = records(G.vpc);
    // IPv4 header 20 + ICMP header 8 + 12 bytes of payload, one packet each way.
    const one = [['ACCEPT', '0', '0', '1', '40']];
    const summary = (r: FlowLine[]) => r.map((x) => [x['action'], x['srcport'], x['dstport'], x['packets'], x['bytes']]);
    for (const [a, b] of [[ID.eniA1, ID.eniB1], [ID.eniA2, ID.eniA1]] as const) {
      const [src, dst] = a === ID.eniA1 ? [A1.v4, B1.v4] : [A2.v4, A1.v4];
      for (const eni of [a, b]) {
        assert.deepEqual(summary(flow(vpc, eni, 1, src, dst)), one, `request on ${eni}\n${show(vpc)}`);
        assert.deepEqual(summary(flow(vpc, eni, 1, dst, src)), one, `reply on ${eni}\n${show(vpc)}`);
      }
    }
  });

  it('4. ICMPv6 echo: protocol 58 with IPv6 addresses, request and reply on both interfaces', () => {
    assert.equal(outcome.echo6, 0);
    const vpc = records(G.vpc);
    // IPv6 header 40 + ICMPv6 header 8 + 12 bytes of payload.
    const one = [['ACCEPT', '0', '0', '1', '60']];
    const summary = (r: FlowLine[]) => r.map((x) => [x['action'], x['srcport'], x['dstport'], x['packets'], x['bytes']]);
    for (const eni of [ID.eniA1, ID.eniB1]) {
      assert.deepEqual(summary(flow(vpc, eni, 58, A1.v6, B1.v6)), one, `request on ${eni}\n${show(vpc)}`);
      assert.deepEqual(summary(flow(vpc, eni, 58, B1.v6, A1.v6)), one, `reply on ${eni}\n${show(vpc)}`);
    }
    assert.deepEqual(vpc.filter((r) => r['protocol'] === '58' && !(r['srcaddr'] === A1.v6 || r['srcaddr'] === B1.v6)), [], 'no neighbour discovery with the VPC router is logged');
  });

  it('4. TCP over IPv6: protocol 6 with IPv6 addresses, ACCEPT both ways on both interfaces', async () => {
    assert.equal(outcome.http6, '200');
    const vpc = records(G.vpc);
    for (const eni of [ID.eniA1, ID.eniB1]) {
      assert.deepEqual([...new Set(flow(vpc, eni, 6, A1.v6, B1.v6, PORT.tcp6, 8080).map((r) => r['action']))], ['ACCEPT'], `${eni}\n${show(vpc)}`);
      assert.deepEqual([...new Set(flow(vpc, eni, 6, B1.v6, A1.v6, 8080, PORT.tcp6).map((r) => r['action']))], ['ACCEPT'], `${eni}\n${show(vpc)}`);
    }
    const rows = await queryRows(server, `select distinct type from flows where interface_id = '${ID.eniB1}' and srcaddr = '${A1.v6}' and dstport = 8080`);
    assert.deepEqual(rows.map((r) => r['type']), ['IPv6']);
  });
});
