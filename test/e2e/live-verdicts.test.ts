// End-to-end on the live path: the kernel's verdicts as flow-log RECORDS. One `serve --realize`
// server, one network (web, client and db in three subnets; db's subnet has its own network ACL),
// real traffic for several scenarios, then the delivered records are checked against what AWS
// logs (spec §1.6, §1.7, §7.3, §7.5) and against a capture of the same veth counted by tshark.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { VpcflowServer } from '../helpers/cli.ts';
import {
  DEFAULT_FIELDS, ECHO_REQUEST_PY, ECHO_SERVER_PY, LinkCapture, SLOW_STREAM_PY, UDP_SINK_PY, UDP_STREAM_PY, countWithTshark, exited, killGroup, liveSkipReason, logFormatOf, pollGroups, queryRows, realizedInterface, settledAfter, show, spawnIn, runIn, totals, waitForPort, type DirectionCount, type FlowLine, startRealizing, stopRealizing,
} from '../helpers/live.ts';
import { randomTestPrefix } from '../../src/dataplane/index.ts';

const skip = liveSkipReason(['ip', 'nft', 'tcpdump', 'tshark', 'curl', 'nc', 'python3']);

const hex = randomBytes(8).toString('hex');
const ID = {
  vpc: `vpc-0${hex}`, subnetWeb: `subnet-1${hex}`, subnetClient: `subnet-2${hex}`, subnetDb: `subnet-3${hex}`,
  web: `i-1${hex}`, client: `i-2${hex}`, db: `i-3${hex}`, eniWeb: `eni-1${hex}`, eniClient: `eni-2${hex}`, eniDb: `eni-3${hex}`,
  sgWeb: `sg-1${hex}`, sgClient: `sg-2${hex}`, sgDb: `sg-3${hex}`, aclDb: `acl-3${hex}`,
};
const WEB = '10.44.1.10';
const CLIENT = '10.44.2.20';
const DB = '10.44.3.30';
/** Fixed client source ports: each scenario's flow has a 5-tuple nothing else uses. */
const PORT = { http: 40700, stream: 40800, afterChange: 40801, udpStream: 40850, db: 40900 };
const INTERVAL = 5;
const GROUP = `/vpcflow/live-verdicts-${hex}`;
const FLAGS_GROUP = `/vpcflow/live-flags-${hex}`;
const FLAGS_FIELDS = [
  'version', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes',
  'start', 'end', 'action', 'tcp-flags', 'flow-direction', 'log-status',
] as const;
const prefix = randomTestPrefix();

/** The network; `streamPortOpen: false` is the re-applied document without the client's egress rules for tcp 8080 and udp 5000. */
const networkDocument = (streamPortOpen: boolean) => `account: "111122223333"
region: us-east-1
vpcs:
  - id: ${ID.vpc}
    cidr: 10.44.0.0/16
    subnets:
      - { id: ${ID.subnetWeb}, cidr: 10.44.1.0/24, availability-zone: us-east-1a }
      - { id: ${ID.subnetClient}, cidr: 10.44.2.0/24, availability-zone: us-east-1a }
      - { id: ${ID.subnetDb}, cidr: 10.44.3.0/24, availability-zone: us-east-1a }
    security-groups:
      - id: ${ID.sgWeb}
        name: web
        description: http and a stream port
        ingress:
          - { protocol: tcp, from-port: 80, to-port: 80, cidr: 10.44.0.0/16 }
          - { protocol: tcp, from-port: 8080, to-port: 8080, cidr: 10.44.0.0/16 }
          - { protocol: udp, from-port: 5000, to-port: 5000, cidr: 10.44.0.0/16 }
      - id: ${ID.sgClient}
        name: client
        description: outbound to the services only
        ingress: []
        egress:
          - { protocol: tcp, from-port: 80, to-port: 80, cidr: 10.44.0.0/16 }
          - { protocol: tcp, from-port: 5432, to-port: 5432, cidr: 10.44.0.0/16 }
          - { protocol: icmp, from-port: -1, to-port: -1, cidr: 10.44.0.0/16 }
${streamPortOpen ? '          - { protocol: tcp, from-port: 8080, to-port: 8080, cidr: 10.44.0.0/16 }\n          - { protocol: udp, from-port: 5000, to-port: 5000, cidr: 10.44.0.0/16 }\n' : ''}      - id: ${ID.sgDb}
        name: db
        description: postgres and ping
        ingress:
          - { protocol: tcp, from-port: 5432, to-port: 5432, cidr: 10.44.0.0/16 }
          - { protocol: icmp, from-port: -1, to-port: -1, cidr: 10.44.0.0/16 }
    network-acls:
      - id: ${ID.aclDb}
        subnets: [${ID.subnetDb}]
        entries:
          - { rule-number: 90, egress: false, protocol: "1", rule-action: deny, cidr: 10.44.0.0/16, icmp-type: -1, icmp-code: -1 }
          - { rule-number: 100, egress: false, protocol: "-1", rule-action: allow, cidr: 10.44.0.0/16 }
          - { rule-number: 100, egress: true, protocol: "6", rule-action: allow, cidr: 10.44.0.0/16, from-port: 1, to-port: 1023 }
    instances:
      - id: ${ID.web}
        subnet: ${ID.subnetWeb}
        interfaces: [{ id: ${ID.eniWeb}, private-ip: ${WEB}, security-groups: [${ID.sgWeb}] }]
      - id: ${ID.client}
        subnet: ${ID.subnetClient}
        interfaces: [{ id: ${ID.eniClient}, private-ip: ${CLIENT}, security-groups: [${ID.sgClient}] }]
      - id: ${ID.db}
        subnet: ${ID.subnetDb}
        interfaces: [{ id: ${ID.eniDb}, private-ip: ${DB}, security-groups: [${ID.sgDb}] }]
`;

const ok = (r: FlowLine) => r['log-status'] === 'OK';
const on = (records: readonly FlowLine[], eni: string) => records.filter((r) => ok(r) && r['interface-id'] === eni);
/** Records of one direction of a flow: src:sport → dst:dport. */
const direction = (records: readonly FlowLine[], src: string, sport: number | string, dst: string, dport: number | string) =>
  records.filter((r) => ok(r) && r['srcaddr'] === src && r['srcport'] === String(sport) && r['dstaddr'] === dst && r['dstport'] === String(dport));
const actions = (records: readonly FlowLine[]) => [...new Set(records.map((r) => r['action']))].sort();
const orFlags = (records: readonly FlowLine[]) => records.reduce((f, r) => f | Number(r['tcp-flags']), 0);

describe('live verdicts as flow-log records', { skip, timeout: 150_000 }, () => {
  let server: VpcflowServer;
  const started: ReturnType<typeof spawnIn>[] = [];
  const captures: LinkCapture[] = [];
  let records: FlowLine[] = [];
  let flagRecords: FlowLine[] = [];
  const captured: { web: { in: DirectionCount; out: DirectionCount }; client: { in: DirectionCount; out: DirectionCount } } = {} as never;
  const outcome = { http: '', ping: -1, db: -1, stream: -1, streamOutput: '', udpStream: -1, udpSent: '', udpReceived: '', afterChange: -1, changedAt: 0 };

  before(async () => {
    server = await startRealizing(prefix, networkDocument(true));
    for (const [group, format] of [[GROUP, undefined], [FLAGS_GROUP, logFormatOf(FLAGS_FIELDS)]] as const) {
      const fl = await server.run(['flow-logs', 'create', '--resource-type', 'VPC', '--resource-ids', ID.vpc, '--traffic-type', 'ALL',
        '--log-destination-type', 'cloud-watch-logs', '--log-group-name', group, '--max-aggregation-interval', String(INTERVAL),
        ...(format ? ['--log-format', format] : [])]);
      assert.equal(fl.code, 0, fl.stderr);
    }

    const site = join(server.dataDir, 'site');
    mkdirSync(site);
    writeFileSync(join(site, 'blob.bin'), Buffer.alloc(40_000, 0x61));
    started.push(spawnIn(server, ID.web, ['python3', '-m', 'http.server', '80', '--bind', WEB, '--directory', site]));
    started.push(spawnIn(server, ID.web, ['python3', '-c', ECHO_SERVER_PY, WEB, '8080']));
    started.push(spawnIn(server, ID.db, ['nc', '-lk', DB, '5432']));
    const udpSink = spawnIn(server, ID.web, ['python3', '-c', UDP_SINK_PY, WEB, '5000']);
    started.push(udpSink);
    await Promise.all([waitForPort(server, ID.web, WEB, 80), waitForPort(server, ID.web, WEB, 8080), waitForPort(server, ID.db, DB, 5432)]);

    // 2c starts first: a slow stream that runs across the rule change below.
    const stopFile = join(server.dataDir, 'stop-stream');
    const stream = spawnIn(server, ID.client, ['python3', '-c', SLOW_STREAM_PY, String(PORT.stream), WEB, '8080', stopFile]);
    started.push(stream);
    const udpStream = spawnIn(server, ID.client, ['python3', '-c', UDP_STREAM_PY, String(PORT.udpStream), WEB, '5000', stopFile]);
    started.push(udpStream);

    // 1. HTTP between subnets, captured on both veths (VPC side) while it runs.
    const webLink = realizedInterface(server, ID.eniWeb);
    const clientLink = realizedInterface(server, ID.eniClient);
    const filter = ['tcp', 'port', String(PORT.http)];
    const capWeb = await LinkCapture.start(webLink.vpcNamespace, webLink.vpcLink, join(server.dataDir, 'web.pcap'), filter);
    captures.push(capWeb);
    const capClient = await LinkCapture.start(clientLink.vpcNamespace, clientLink.vpcLink, join(server.dataDir, 'client.pcap'), filter);
    captures.push(capClient);
    // 2a (ping into the db subnet: its network ACL denies ICMP inbound, rule 90) and 2b (TCP to
    // db:5432: allowed in, but db's ACL has no outbound rule for ephemeral ports) run meanwhile.
    const [http, ping, db] = await Promise.all([
      runIn(server, ID.client, ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', '--local-port', String(PORT.http), `http://${WEB}/blob.bin`]),
      runIn(server, ID.client, ['python3', '-c', ECHO_REQUEST_PY, DB, '1']),
      runIn(server, ID.client, ['nc', '-z', '-w', '2', '-p', String(PORT.db), DB, '5432']),
    ]);
    outcome.http = http.output;
    outcome.ping = ping.code;
    outcome.db = db.code;
    // The last ACK follows the FINs within a round trip; a short pause lets both captures see it.
    await sleep(300);
    await capWeb.stop();
    await capClient.stop();
    const none: DirectionCount = { packets: 0, bytes: 0, tcpFlags: 0 };
    const web = countWithTshark(capWeb.file);
    const client = countWithTshark(capClient.file);
    captured.web = { in: web.get(`${CLIENT}>${WEB}`) ?? none, out: web.get(`${WEB}>${CLIENT}`) ?? none };
    captured.client = { in: client.get(`${WEB}>${CLIENT}`) ?? none, out: client.get(`${CLIENT}>${WEB}`) ?? none };

    // 2c. The client's egress rule for 8080 goes away while the stream runs.
    const file = join(server.dataDir, 'network.yaml');
    writeFileSync(file, networkDocument(false));
    const reapplied = await server.run(['apply', file]);
    assert.equal(reapplied.code, 0, reapplied.stderr + server.output);
    outcome.changedAt = Date.now();
    outcome.afterChange = (await runIn(server, ID.client, ['nc', '-z', '-w', '1', '-p', String(PORT.afterChange), WEB, '8080'])).code;
    await sleep(1000);
    writeFileSync(stopFile, '');
    outcome.stream = await exited(stream);
    outcome.streamOutput = stream.output();
    outcome.udpStream = await exited(udpStream);
    outcome.udpSent = udpStream.output();
    await sleep(300);
    outcome.udpReceived = udpSink.output();

    const trafficEnd = Date.now();
    const read = await pollGroups(server, { [GROUP]: DEFAULT_FIELDS, [FLAGS_GROUP]: FLAGS_FIELDS }, (g) => {
      const r = g[GROUP] ?? [];
      const f = g[FLAGS_GROUP] ?? [];
      return direction(r, CLIENT, PORT.afterChange, WEB, 8080).length > 0 && direction(r, DB, 5432, CLIENT, PORT.db).length > 0
        && direction(f, WEB, 80, CLIENT, PORT.http).length >= 2 && direction(f, CLIENT, PORT.stream, WEB, 8080).some((x) => Number(x['end']) * 1000 >= outcome.changedAt);
    }, { settledAt: settledAfter(trafficEnd, INTERVAL), timeoutMs: 40_000 });
    records = read[GROUP] ?? [];
    flagRecords = read[FLAGS_GROUP] ?? [];
  });

  after(async () => {
    for (const c of captures) c.kill();
    for (const c of started) killGroup(c);
    if (server) await stopRealizing(server, prefix);
  });

  it('1. allowed HTTP between subnets: ACCEPT on both interfaces, packets and bytes as a capture on each veth counts them', () => {
    assert.equal(outcome.http, '200');
    const req = direction(flagRecords, CLIENT, PORT.http, WEB, 80);
    const rep = direction(flagRecords, WEB, 80, CLIENT, PORT.http);
    const detail = `\n${show([...req, ...rep])}\ncaptured ${JSON.stringify(captured)}`;
    for (const eni of [ID.eniWeb, ID.eniClient]) {
      assert.deepEqual(actions(req.filter((r) => r['interface-id'] === eni)), ['ACCEPT'], `requests on ${eni}${detail}`);
      assert.deepEqual(actions(rep.filter((r) => r['interface-id'] === eni)), ['ACCEPT'], `replies on ${eni}${detail}`);
    }
    assert.ok(captured.web.in.packets >= 3 && captured.web.out.packets > 20, `a 40 kB download is many packets each way${detail}`);
    // Web interface: ingress = packets to web, egress = packets from web.
    const pick = (c: DirectionCount) => ({ packets: c.packets, bytes: c.bytes });
    assert.deepEqual(totals(req.filter((r) => r['interface-id'] === ID.eniWeb)), pick(captured.web.in), `web ingress${detail}`);
    assert.deepEqual(totals(rep.filter((r) => r['interface-id'] === ID.eniWeb)), pick(captured.web.out), `web egress${detail}`);
    assert.deepEqual(totals(req.filter((r) => r['interface-id'] === ID.eniClient)), pick(captured.client.out), `client egress${detail}`);
    assert.deepEqual(totals(rep.filter((r) => r['interface-id'] === ID.eniClient)), pick(captured.client.in), `client ingress${detail}`);
  });

  it('1. tcp-flags and flow-direction on a custom format: SYN|FIN (3) from the client, SYN-ACK|FIN (19) from the server', () => {
    const req = direction(flagRecords, CLIENT, PORT.http, WEB, 80);
    const rep = direction(flagRecords, WEB, 80, CLIENT, PORT.http);
    const detail = `\n${show([...req, ...rep])}`;
    // The capture saw the handshake and both FINs (so the flags are not an artefact of a lost packet).
    assert.equal(captured.web.in.tcpFlags & 0x03, 0x03, 'the client sent SYN and FIN');
    assert.equal(captured.web.out.tcpFlags & 0x13, 0x13, 'the server sent SYN-ACK and FIN');
    for (const eni of [ID.eniWeb, ID.eniClient]) {
      // §1.7: flags are ORed per flow and window; over all windows of the connection that is 3 and 19,
      // whether or not it straddled a window boundary. ACK alone never shows (only with SYN, as 18).
      assert.equal(orFlags(req.filter((r) => r['interface-id'] === eni)), 3, `client → server flags on ${eni}${detail}`);
      assert.equal(orFlags(rep.filter((r) => r['interface-id'] === eni)), 19, `server → client flags on ${eni}${detail}`);
      for (const r of req.filter((x) => x['interface-id'] === eni)) assert.ok([1, 2, 3, 0].includes(Number(r['tcp-flags'])), `no ACK/PSH bits: ${show([r])}`);
    }
    const dirOf = (rs: FlowLine[], eni: string) => [...new Set(rs.filter((r) => r['interface-id'] === eni).map((r) => r['flow-direction']))];
    assert.deepEqual(dirOf(req, ID.eniWeb), ['ingress']);
    assert.deepEqual(dirOf(rep, ID.eniWeb), ['egress']);
    assert.deepEqual(dirOf(req, ID.eniClient), ['egress']);
    assert.deepEqual(dirOf(rep, ID.eniClient), ['ingress']);
  });

  it('2a. ping blocked by the db subnet\'s ACL: ACCEPT leaving the client, REJECT at db, no reply; rule nai … 90', async () => {
    assert.notEqual(outcome.ping, 0, 'the echo request must go unanswered');
    const icmp = (eni: string) => on(records, eni).filter((r) => r['protocol'] === '1');
    const detail = `\n${show(records.filter((r) => r['protocol'] === '1'))}`;
    const out = icmp(ID.eniClient).filter((r) => r['srcaddr'] === CLIENT && r['dstaddr'] === DB);
    const into = icmp(ID.eniDb).filter((r) => r['srcaddr'] === CLIENT && r['dstaddr'] === DB);
    assert.deepEqual(actions(out), ['ACCEPT'], `the client's side let the request out${detail}`);
    assert.deepEqual(actions(into), ['REJECT'], `db's subnet ACL rejected it inbound${detail}`);
    for (const r of [...out, ...into]) assert.deepEqual([r['srcport'], r['dstport']], ['0', '0'], 'ICMP records carry ports 0 0 (§7.3)');
    assert.deepEqual(records.filter((r) => r['protocol'] === '1' && r['srcaddr'] === DB), [], `no echo reply anywhere${detail}`);
    const rules = await queryRows(server, `select distinct rule from flows where interface_id = '${ID.eniDb}' and protocol = 1 and action = 'REJECT'`);
    assert.deepEqual(rules.map((r) => r['rule']), [`nai ${ID.aclDb} 90`]);
  });

  it('2b. reply dropped by an ACL without an ephemeral-port rule: request ACCEPT on both, reply REJECT on db only; rule nao … *', async () => {
    assert.notEqual(outcome.db, 0, 'the connection cannot complete');
    const req = direction(records, CLIENT, PORT.db, DB, 5432);
    const rep = direction(records, DB, 5432, CLIENT, PORT.db);
    const detail = `\n${show([...req, ...rep])}`;
    // As AWS's §7.3 example: the request is ACCEPT (egress on the sender, ingress on the receiver);
    // the reply is REJECT on the interface that sent it and never reaches the client.
    assert.deepEqual(actions(req.filter((r) => r['interface-id'] === ID.eniClient)), ['ACCEPT'], detail);
    assert.deepEqual(actions(req.filter((r) => r['interface-id'] === ID.eniDb)), ['ACCEPT'], detail);
    assert.deepEqual(actions(rep.filter((r) => r['interface-id'] === ID.eniDb)), ['REJECT'], detail);
    assert.deepEqual(rep.filter((r) => r['interface-id'] === ID.eniClient), [], `no record of the reply on the client${detail}`);
    const rules = await queryRows(server, `select distinct rule from flows where interface_id = '${ID.eniDb}' and srcport = 5432 and dstport = ${PORT.db} and action = 'REJECT'`);
    // The final deny of the outbound entries (rule number 32767, AWS's `*`) decided.
    assert.equal(rules.length, 1, JSON.stringify(rules));
    assert.match(String(rules[0]!['rule']), new RegExp(`^nao ${ID.aclDb} (32767|\\*)$`));
  });

  it('2c. egress rule removed mid-stream: the tracked stream keeps going (ACCEPT), a new connection is REJECT on the client only; rule sgo …', async () => {
    // AWS: changing a security group rule does not interrupt connections it tracks; only new
    // ones are judged by the new rules (EC2 guide, security group connection tracking).
    assert.equal(outcome.stream, 0, `the stream kept being echoed after the change: ${outcome.streamOutput}`);
    assert.notEqual(outcome.afterChange, 0, 'a new connection to 8080 is refused by the client\'s own group');
    const stream = [...direction(records, CLIENT, PORT.stream, WEB, 8080), ...direction(records, WEB, 8080, CLIENT, PORT.stream)];
    const detail = `\n${show(stream)}\nchanged at ${outcome.changedAt / 1000}`;
    assert.deepEqual(actions(stream), ['ACCEPT'], detail);
    for (const eni of [ID.eniClient, ID.eniWeb]) {
      assert.ok(stream.some((r) => r['interface-id'] === eni && Number(r['end']) * 1000 >= outcome.changedAt - 1000 && r['srcaddr'] === CLIENT),
        `stream packets after the change are recorded on ${eni}${detail}`);
    }
    const fresh = direction(records, CLIENT, PORT.afterChange, WEB, 8080);
    assert.deepEqual(actions(fresh.filter((r) => r['interface-id'] === ID.eniClient)), ['REJECT'], show(fresh));
    assert.deepEqual(fresh.filter((r) => r['interface-id'] === ID.eniWeb), [], 'the rejected SYN never reached web');
    assert.deepEqual(direction(records, WEB, 8080, CLIENT, PORT.afterChange), [], 'nothing came back');
    const rules = await queryRows(server, `select distinct rule from flows where interface_id = '${ID.eniClient}' and srcport = ${PORT.afterChange} and action = 'REJECT'`);
    assert.deepEqual(rules.map((r) => r['rule']), [`sgo ${ID.eniClient}`]);
  });

  it('2c. egress rule removed during a one-way UDP stream: tracked from its first datagram, it keeps going (ACCEPT)', () => {
    // No reply ever comes back, yet AWS tracks the flow (UDP flows have an idle timeout) and a
    // rule change does not interrupt it: every datagram arrives and every record is ACCEPT.
    assert.equal(outcome.udpStream, 0, outcome.udpSent);
    const sent = Number(/sent (\d+)/.exec(outcome.udpSent)?.[1]);
    assert.ok(sent >= 8, outcome.udpSent);
    assert.equal(outcome.udpReceived.split('\n').filter((l) => l.startsWith('got ')).length, sent, `every datagram arrived: ${outcome.udpReceived}`);
    const datagrams = direction(records, CLIENT, PORT.udpStream, WEB, 5000);
    const detail = `\n${show(datagrams)}\nchanged at ${outcome.changedAt / 1000}`;
    assert.deepEqual(actions(datagrams), ['ACCEPT'], detail);
    for (const eni of [ID.eniClient, ID.eniWeb]) {
      assert.ok(datagrams.some((r) => r['interface-id'] === eni && Number(r['end']) * 1000 >= outcome.changedAt - 1000), `datagrams after the change on ${eni}${detail}`);
    }
  });

  it('2c. every datagram of the one-way UDP stream is counted on both interfaces, also across the re-apply', () => {
    const sent = Number(/sent (\d+)/.exec(outcome.udpSent)?.[1]);
    const datagrams = direction(records, CLIENT, PORT.udpStream, WEB, 5000);
    for (const eni of [ID.eniClient, ID.eniWeb]) {
      assert.equal(totals(datagrams.filter((r) => r['interface-id'] === eni)).packets, sent, `every datagram is counted on ${eni}\n${show(datagrams)}`);
    }
  });
});
