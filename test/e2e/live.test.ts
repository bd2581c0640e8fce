// End-to-end on the live path: `serve --realize` builds a real network on this host, real traffic
// crosses it (an HTTP server and a client in two subnets, a blocked port), and the flow log's records
// arrive in the log store with the kernel's verdicts; `vpcflow down` removes every namespace.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { VpcflowServer } from '../helpers/cli.ts';
import {
  DEFAULT_FIELDS, killGroup, liveSkipReason, namespacesWithPrefix, pollGroups, queryRows, settledAfter, show, startInInstance, vpcflowExec, startRealizing, stopRealizing,
} from '../helpers/live.ts';
import { randomTestPrefix } from '../../src/dataplane/index.ts';

const skip = liveSkipReason(['ip', 'nft', 'tcpdump', 'curl', 'nc', 'python3']);

const hex = randomBytes(8).toString('hex');
const ID = {
  vpc: `vpc-0${hex}`, subnetWeb: `subnet-1${hex}`, subnetClient: `subnet-2${hex}`,
  web: `i-1${hex}`, client: `i-2${hex}`, eniWeb: `eni-1${hex}`, eniClient: `eni-2${hex}`,
};
const WEB = '10.42.1.10';
const CLIENT = '10.42.2.20';
const GROUP = `/vpcflow/live-${hex}`;
const prefix = randomTestPrefix();
const started: ReturnType<typeof startInInstance>[] = [];
let server: VpcflowServer | undefined;

const network = `account: "111122223333"
region: us-east-1
vpcs:
  - id: ${ID.vpc}
    cidr: 10.42.0.0/16
    subnets:
      - { id: ${ID.subnetWeb}, cidr: 10.42.1.0/24, availability-zone: us-east-1a }
      - { id: ${ID.subnetClient}, cidr: 10.42.2.0/24, availability-zone: us-east-1a }
    security-groups:
      - name: web
        description: http only
        ingress: [{ protocol: tcp, from-port: 80, to-port: 80, cidr: 10.42.0.0/16 }]
    instances:
      - id: ${ID.web}
        subnet: ${ID.subnetWeb}
        interfaces: [{ id: ${ID.eniWeb}, private-ip: ${WEB}, security-groups: [web] }]
      - id: ${ID.client}
        subnet: ${ID.subnetClient}
        interfaces: [{ id: ${ID.eniClient}, private-ip: ${CLIENT} }]
`;

after(async () => {
  for (const c of started) killGroup(c);
  // Whatever happened above: no namespace of this run may outlive it.
  if (server) await stopRealizing(server, prefix);
});

test('serve --realize: real traffic becomes ACCEPT and REJECT records in the log store; down removes the namespaces', { skip, timeout: 120_000 }, async () => {
  const s = await startRealizing(prefix, network);
  server = s;
  assert.ok(namespacesWithPrefix(prefix).length >= 3, `expected VPC and instance namespaces with prefix ${prefix}: ${namespacesWithPrefix(prefix).join(' ')}`);

  const fl = await server.run(['flow-logs', 'create', '--resource-type', 'VPC', '--resource-ids', ID.vpc, '--traffic-type', 'ALL',
    '--log-destination-type', 'cloud-watch-logs', '--log-group-name', GROUP, '--max-aggregation-interval', '5']);
  assert.equal(fl.code, 0, fl.stderr);
  assert.match(fl.stdout, /fl-[0-9a-f]+/);

  const web = startInInstance(server, ID.web, ['python3', '-m', 'http.server', '80', '--bind', WEB]);
  started.push(web);

  let fetched = { code: -1, output: '' };
  for (let i = 0; i < 30 && fetched.code !== 0; i++) {
    fetched = await vpcflowExec(server, ID.client, ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '2', `http://${WEB}/`]);
    if (fetched.code !== 0) await sleep(300);
  }
  assert.equal(fetched.code, 0, `curl from the client never reached the web server: ${fetched.output}`);
  assert.equal(fetched.output, '200');
  const ssh = await vpcflowExec(server, ID.client, ['nc', '-z', '-w1', WEB, '22']);
  assert.notEqual(ssh.code, 0, 'port 22 must be blocked by the web security group');

  const isHttp = (r: Record<string, string | undefined>) => r['log-status'] === 'OK' && r['protocol'] === '6'
    && ((r['dstaddr'] === WEB && r['dstport'] === '80') || (r['srcaddr'] === WEB && r['srcport'] === '80'));
  const read = await pollGroups(server, { [GROUP]: DEFAULT_FIELDS }, (g) => {
    const records = g[GROUP] ?? [];
    return records.some((r) => r['interface-id'] === ID.eniClient && isHttp(r)) && records.some((r) => r['interface-id'] === ID.eniWeb && r['dstport'] === '22');
  }, { settledAt: settledAfter(Date.now(), 5), timeoutMs: 30_000 });
  const records = read[GROUP] ?? [];
  const http = (eni: string) => records.filter((r) => r['interface-id'] === eni && isHttp(r));
  assert.ok(http(ID.eniWeb).some((r) => r['action'] === 'ACCEPT'), `no ACCEPT record for port 80 on the web interface:\n${show(records)}\n${server.output}`);
  assert.ok(http(ID.eniClient).some((r) => r['action'] === 'ACCEPT'), `no ACCEPT record for port 80 on the client interface:\n${show(records)}`);
  const blocked = records.filter((r) => r['interface-id'] === ID.eniWeb && r['dstaddr'] === WEB && r['dstport'] === '22');
  assert.ok(blocked.length > 0 && blocked.every((r) => r['action'] === 'REJECT'), `expected REJECT for port 22 on the web interface:\n${show(records)}`);
  assert.ok(records.some((r) => r['interface-id'] === ID.eniClient && r['dstaddr'] === WEB && r['dstport'] === '22' && r['action'] === 'ACCEPT'), 'the client sent port 22 (its own group allows egress): ACCEPT on its interface');
  const rules = await queryRows(server, `select rule from flows where interface_id = '${ID.eniWeb}' and dstport = 22 and action = 'REJECT'`);
  assert.ok(rules.length > 0 && rules.every((r) => String(r['rule']).startsWith('sgi ')), `the deciding rule is the web interface's inbound security-group code: ${JSON.stringify(rules)}`);

  // vpcflow's own metrics saw the same: observations attributed to interfaces, records delivered to the group.
  // Windows keep closing while the test reads, so the count vpcflow query gives lies between two scrapes.
  const token = readFileSync(join(server.dataDir, 'data', 'keys', 'metrics.token'), 'utf8').trim();
  const scrape = async () => (await fetch(`${server!.endpoint}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  const deliveredOk = (page: string) =>
    [...page.matchAll(/^vpcflow_records_delivered_total\{destination_type="cloud-watch-logs",flow_log_id="fl-[0-9a-f]+",log_status="OK"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
  const before = await scrape();
  const attributed = Number(/^vpcflow_live_observations_total\{outcome="attributed"\} (\d+)$/m.exec(before)?.[1] ?? 0);
  assert.ok(attributed > 0, `live observations attributed to interfaces:\n${before}`);
  assert.ok(Number(/^vpcflow_live_delivery_latency_seconds_count (\d+)$/m.exec(before)?.[1] ?? 0) > 0, 'live deliveries have their latency measured');
  const okRecords = Number((await queryRows(server, `select count(*) n from flows where log_status = 'OK'`))[0]!['n']);
  const afterPage = await scrape();
  assert.ok(deliveredOk(before) > 0 && deliveredOk(before) <= okRecords && okRecords <= deliveredOk(afterPage),
    `the delivered counter (${deliveredOk(before)} then ${deliveredOk(afterPage)}) brackets the OK records vpcflow query finds (${okRecords})`);

  killGroup(web);
  const down = await server.run(['down']);
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual(namespacesWithPrefix(prefix), []);
});
