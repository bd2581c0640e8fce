// explainDropCode against real network models compiled from documents: every code kind the data
// plane writes, codes whose resources changed or went away since, and codes that are not ours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileNetwork } from './apply.ts';
import { sequentialIdGenerator } from './ids.ts';
import { NetworkIndex } from './network-index.ts';
import type { NetworkModel } from './network.ts';
import { explainDropCode, type DropExplanation } from './rule-text.ts';

const ACL = 'acl-0000000000000000a';
const ENI_WEB = 'eni-0000000000000000a';
const ENI_DB = 'eni-0000000000000000b';
const SG_WEB = 'sg-0000000000000000a';
const SG_DB = 'sg-0000000000000000b';
const SG_OPS = 'sg-0000000000000000c';

interface Options {
  /** Entries of the db subnet's ACL replacing the defaults below. */
  entries?: unknown[];
  /** Without the db subnet's ACL (the subnet falls back to the VPC's default one). */
  noAcl?: boolean;
  /** Without the db interface. */
  noDbInterface?: boolean;
  dbIngress?: unknown[];
}

const DB_ENTRIES = [
  { 'rule-number': 100, egress: false, protocol: 'tcp', 'rule-action': 'allow', cidr: '10.0.1.0/24', 'from-port': 5432, 'to-port': 5432 },
  { 'rule-number': 105, egress: false, protocol: 'tcp', 'rule-action': 'allow', cidr: '10.0.9.0/24', 'from-port': 22, 'to-port': 22 },
  { 'rule-number': 120, egress: false, protocol: 'tcp', 'rule-action': 'deny', cidr: '0.0.0.0/0', 'from-port': 22, 'to-port': 22 },
  { 'rule-number': 130, egress: false, protocol: '-1', 'rule-action': 'deny', 'ipv6-cidr': '2600:1f18:abcd:1200::/56' },
  { 'rule-number': 140, egress: false, protocol: 'icmp', 'rule-action': 'deny', cidr: '0.0.0.0/0', 'icmp-type': 8, 'icmp-code': -1 },
  { 'rule-number': 150, egress: false, protocol: '47', 'rule-action': 'deny', cidr: '10.0.0.0/8' },
  { 'rule-number': 100, egress: true, protocol: 'tcp', 'rule-action': 'allow', cidr: '10.0.0.0/16', 'from-port': 1024, 'to-port': 65535 },
];

function network(o: Options = {}): NetworkModel {
  return compileNetwork(
    {
      account: '111122223333',
      region: 'us-east-1',
      vpcs: [
        {
          id: 'vpc-0000000000000000a',
          cidr: '10.0.0.0/16',
          'ipv6-cidr': '2600:1f18:abcd:1200::/56',
          subnets: [
            { id: 'subnet-0000000000000000a', name: 'web', cidr: '10.0.1.0/24', 'ipv6-cidr': '2600:1f18:abcd:1201::/64' },
            { id: 'subnet-0000000000000000b', name: 'db', cidr: '10.0.2.0/24', 'ipv6-cidr': '2600:1f18:abcd:1202::/64' },
          ],
          'network-interfaces': [
            { id: ENI_WEB, subnet: 'web', 'private-ip': '10.0.1.5', ipv6: ['2600:1f18:abcd:1201::5'], 'security-groups': ['web'] },
            ...(o.noDbInterface ? [] : [{ id: ENI_DB, subnet: 'db', 'private-ip': '10.0.2.7', ipv6: ['2600:1f18:abcd:1202::7'], 'security-groups': ['db', 'ops'] }]),
          ],
          'security-groups': [
            { id: SG_WEB, name: 'web', ingress: [{ protocol: 'tcp', 'from-port': 443, 'to-port': 443, cidr: '0.0.0.0/0' }], egress: [{ protocol: 'tcp', 'from-port': 443, 'to-port': 443, cidr: '0.0.0.0/0' }] },
            { id: SG_DB, name: 'db', ingress: o.dbIngress ?? [{ protocol: 'tcp', 'from-port': 5432, 'to-port': 5432, 'source-group': 'web' }] },
            { id: SG_OPS, name: 'ops', ingress: [{ protocol: 'tcp', 'from-port': 22, 'to-port': 22, cidr: '10.0.9.0/24' }] },
          ],
          'network-acls': o.noAcl ? [] : [{ id: ACL, subnets: ['db'], entries: o.entries ?? DB_ENTRIES }],
        },
      ],
    },
    undefined,
    sequentialIdGenerator(),
  );
}

const NET = network();
const tcp = (srcaddr: string, dstaddr: string, dstport: number) => ({ protocol: 6, srcaddr, dstaddr, srcport: 40000, dstport });

function expectKind<K extends DropExplanation['layer']>(e: DropExplanation, layer: K): Extract<DropExplanation, { layer: K }> {
  assert.equal(e.layer, layer, JSON.stringify(e));
  return e as Extract<DropExplanation, { layer: K }>;
}

test('an ACL deny rule: its number, the entry as written and the sentence', () => {
  const e = expectKind(explainDropCode(NET, `nai ${ACL} 120`, tcp('203.0.113.9', '10.0.2.7', 22)), 'network-acl');
  assert.equal(e.text, `${ACL} rule 120: deny tcp 22 from 0.0.0.0/0 (inbound)`);
  assert.equal(e.direction, 'inbound');
  assert.equal(e.resourceId, ACL);
  assert.equal(e.ruleNumber, 120);
  assert.equal(e.stale, false);
  assert.deepEqual(e.rule, { RuleNumber: 120, Egress: false, Protocol: '6', RuleAction: 'deny', Cidr: '0.0.0.0/0', FromPort: 22, ToPort: 22 });
});

test('an ACL IPv6 rule, an ICMP rule and a rule of a protocol without a name', () => {
  const v6 = expectKind(explainDropCode(NET, `nai ${ACL} 130 v6`, { protocol: 17, srcaddr: '2600:1f18:abcd:1201::5', dstaddr: '2600:1f18:abcd:1202::7', srcport: 5000, dstport: 53 }), 'network-acl');
  assert.equal(v6.text, `${ACL} rule 130: deny all traffic from 2600:1f18:abcd:1200::/56 (inbound)`);
  assert.equal(v6.stale, false);
  assert.equal(v6.rule?.Ipv6Cidr, '2600:1f18:abcd:1200::/56');

  const icmp = expectKind(explainDropCode(NET, `nai ${ACL} 140`, { protocol: 1, srcaddr: '198.51.100.1', dstaddr: '10.0.2.7', srcport: 0, dstport: 0 }), 'network-acl');
  assert.equal(icmp.text, `${ACL} rule 140: deny icmp type 8 from 0.0.0.0/0 (inbound)`);
  assert.equal(icmp.stale, false);

  const gre = expectKind(explainDropCode(NET, `nai ${ACL} 150`, { protocol: 47, srcaddr: '10.0.1.5', dstaddr: '10.0.2.7', srcport: 0, dstport: 0 }), 'network-acl');
  assert.equal(gre.text, `${ACL} rule 150: deny protocol 47 (GRE) from 10.0.0.0/8 (inbound)`);
});

test('the final * rule of each direction', () => {
  const out = expectKind(explainDropCode(NET, `nao ${ACL} *`, { protocol: 17, srcaddr: '10.0.2.7', dstaddr: '10.0.1.5', srcport: 5353, dstport: 53 }), 'network-acl');
  assert.equal(out.text, `${ACL} rule *: deny all traffic (outbound; no rule matched)`);
  assert.equal(out.ruleNumber, 32767);
  assert.equal(out.direction, 'outbound');
  assert.equal(out.stale, false);
  assert.equal(out.rule?.RuleAction, 'deny');
  assert.equal(out.rule?.Cidr, '0.0.0.0/0');

  // An IPv6 packet: the IPv6 `*` entry is the one shown.
  const in6 = expectKind(explainDropCode(NET, `nai ${ACL} *`, { protocol: 6, srcaddr: '2001:db8::1', dstaddr: '2600:1f18:abcd:1202::7', srcport: 1, dstport: 80 }), 'network-acl');
  assert.equal(in6.text, `${ACL} rule *: deny all traffic (inbound; no rule matched)`);
  assert.equal(in6.rule?.Ipv6Cidr, '::/0');
  assert.equal(in6.stale, false);

  // The kernel names the final entry by its number when the model holds it as rule 32767 (what a live run logs).
  const numbered = expectKind(explainDropCode(NET, `nai ${ACL} 32767`, { protocol: 17, srcaddr: '10.0.2.7', dstaddr: '10.0.1.5', srcport: 5353, dstport: 53 }), 'network-acl');
  assert.equal(numbered.text, `${ACL} rule *: deny all traffic (inbound; no rule matched)`);
  assert.equal(numbered.stale, false);
  const numbered6 = expectKind(explainDropCode(NET, `nai ${ACL} 32767 v6`, { protocol: 6, srcaddr: '2001:db8::1', dstaddr: '2600:1f18:abcd:1202::7', srcport: 1, dstport: 80 }), 'network-acl');
  assert.equal(numbered6.rule?.Ipv6Cidr, '::/0');
  assert.equal(explainDropCode(NET, `nai ${ACL} 32768`).layer, 'unknown');
});

test('security groups: one group, several groups (all named), both directions', () => {
  const web = expectKind(explainDropCode(NET, `sgo ${ENI_WEB}`, { protocol: 17, srcaddr: '10.0.1.5', dstaddr: '8.8.8.8', srcport: 5353, dstport: 53 }), 'security-group');
  assert.equal(web.text, `security group ${SG_WEB} has no outbound rule for udp 53 to 8.8.8.8`);
  assert.equal(web.direction, 'outbound');
  assert.equal(web.resourceId, SG_WEB);
  assert.equal(web.interfaceId, ENI_WEB);
  assert.deepEqual(web.securityGroups, [{ id: SG_WEB, name: 'web', rules: [{ Protocol: '6', FromPort: 443, ToPort: 443, Cidr: '0.0.0.0/0' }] }]);
  assert.equal(web.stale, false);

  const db = expectKind(explainDropCode(NET, `sgi ${ENI_DB}`, tcp('10.0.3.9', '10.0.2.7', 5432)), 'security-group');
  assert.equal(db.text, `security groups ${SG_DB} and ${SG_OPS} have no inbound rule for tcp 5432 from 10.0.3.9`);
  assert.deepEqual(db.securityGroupIds, [SG_DB, SG_OPS]);
  assert.equal(db.resourceId, SG_DB);
  assert.deepEqual(db.securityGroups.map((g) => g.name), ['db', 'ops']);
  assert.equal(db.stale, false);

  // Without the record the sentence still holds, with the traffic unnamed.
  assert.equal(explainDropCode(NET, `sgi ${ENI_DB}`).text, `security groups ${SG_DB} and ${SG_OPS} have no inbound rule for this traffic`);
});

test('connection state invalid, for TCP and for other protocols', () => {
  const e = expectKind(explainDropCode(NET, 'inv', tcp('10.0.1.5', '10.0.2.7', 5432)), 'invalid-state');
  assert.equal(e.text, 'connection state invalid (a TCP packet without a tracked connection)');
  assert.equal(e.direction, 'outbound');
  assert.equal(e.resourceId, '');
  assert.equal(e.stale, false);
  assert.match(explainDropCode(NET, 'inv', { protocol: 1, srcaddr: '10.0.1.5', dstaddr: '10.0.2.7' }).text, /^connection state invalid \(a packet the connection tracker could not relate/);
});

test('a rule changed since the drop: the explanation says today\'s rules differ', () => {
  // Rule 105 allows SSH from 10.0.9.0/24 before rule 120 is reached: a packet rule 120 dropped came from elsewhere, or 105 is new.
  const shadowed = expectKind(explainDropCode(NET, `nai ${ACL} 120`, tcp('10.0.9.4', '10.0.2.7', 22)), 'network-acl');
  assert.equal(shadowed.stale, true);
  assert.equal(shadowed.text, `${ACL} rule 120: deny tcp 22 from 0.0.0.0/0 (inbound); today rule 105 (allow tcp 22 from 10.0.9.0/24) decides this traffic, so the ACL changed since`);

  const allowNow = network({ entries: DB_ENTRIES.map((e) => (e['rule-number'] === 120 && !e.egress ? { ...e, 'rule-action': 'allow' } : e)) });
  const changed = expectKind(explainDropCode(allowNow, `nai ${ACL} 120`, tcp('203.0.113.9', '10.0.2.7', 22)), 'network-acl');
  assert.equal(changed.stale, true);
  assert.equal(changed.text, `${ACL} rule 120: allow tcp 22 from 0.0.0.0/0 (inbound); it was a deny rule when this packet was dropped, and has been changed since`);

  const removed = network({ entries: DB_ENTRIES.filter((e) => e['rule-number'] !== 120) });
  const gone = expectKind(explainDropCode(removed, `nai ${ACL} 120`, tcp('203.0.113.9', '10.0.2.7', 22)), 'network-acl');
  assert.equal(gone.stale, true);
  assert.equal(gone.rule, undefined);
  assert.match(gone.text, /has no inbound rule 120 now; .* removed since/);

  // The final * deny, while an allow rule now matches the packet.
  const opened = network({ entries: [...DB_ENTRIES, { 'rule-number': 200, egress: true, protocol: 'udp', 'rule-action': 'allow', cidr: '10.0.1.0/24', 'from-port': 53, 'to-port': 53 }] });
  const star = expectKind(explainDropCode(opened, `nao ${ACL} *`, { protocol: 17, srcaddr: '10.0.2.7', dstaddr: '10.0.1.5', srcport: 5353, dstport: 53 }), 'network-acl');
  assert.equal(star.stale, true);
  assert.match(star.text, /^acl-0000000000000000a rule \*: deny all traffic \(outbound; no rule matched\); today rule 200 \(allow udp 53 to 10\.0\.1\.0\/24\) decides/);

  // A group that allows the packet now (a member of `web` reaching 5432 on db).
  const sg = expectKind(explainDropCode(NET, `sgi ${ENI_DB}`, tcp('10.0.1.5', '10.0.2.7', 5432)), 'security-group');
  assert.equal(sg.stale, true);
  assert.equal(sg.text, `security groups ${SG_DB} and ${SG_OPS} had no inbound rule for tcp 5432 from 10.0.1.5 when this packet was dropped; today ${SG_DB} allows it (tcp 5432 from members of ${SG_WEB})`);
  const cidrAllowed = explainDropCode(network({ dbIngress: [{ protocol: '-1', cidr: '10.0.3.0/24' }] }), `sgi ${ENI_DB}`, tcp('10.0.3.9', '10.0.2.7', 5432));
  assert.equal(cidrAllowed.stale, true);
  assert.match(cidrAllowed.text, /today sg-0000000000000000b allows it \(all traffic from 10\.0\.3\.0\/24\)$/);
});

test('resources gone since: the ACL, the interface', () => {
  const noAcl = network({ noAcl: true });
  const acl = expectKind(explainDropCode(noAcl, `nao ${ACL} 100`, tcp('10.0.2.7', '10.0.1.5', 80)), 'network-acl');
  assert.equal(acl.stale, true);
  assert.equal(acl.text, `network ACL ${ACL} no longer exists; its rule 100 denied this packet (outbound)`);
  assert.equal(explainDropCode(noAcl, `nai ${ACL} *`).text, `network ACL ${ACL} no longer exists; its final rule * (no rule matched) denied this packet (inbound)`);

  const noEni = network({ noDbInterface: true });
  const sg = expectKind(explainDropCode(noEni, `sgi ${ENI_DB}`, tcp('10.0.3.9', '10.0.2.7', 5432)), 'security-group');
  assert.equal(sg.stale, true);
  assert.equal(sg.resourceId, '');
  assert.equal(sg.text, `network interface ${ENI_DB} no longer exists; its security groups had no inbound rule for tcp 5432 from 10.0.3.9`);

  // An account without any network: everything the code names is gone.
  const empty: NetworkModel = { account: '111122223333', region: 'us-east-1', vpcs: [] };
  assert.equal(explainDropCode(empty, `sgo ${ENI_WEB}`).stale, true);
  assert.equal(explainDropCode(empty, 'inv').stale, false);
});

test('codes that are not ours are explained as unknown, never thrown', () => {
  const bad = [
    '', 'acc', 'xyz', 'sgo', 'sgo eni-1', `sgo ${ENI_WEB} extra`, `sgo ${ENI_WEB} 1`, 'nao acl-zz 100', `nao ${ACL}`, `nao ${ACL} 0`, `nao ${ACL} 32768`,
    `nao ${ACL} 0100`, `nao ${ACL} 100 v4`, `nao ${ACL} * v6`, `nai ${ACL} 100 v6 x`, 'inv inv', 'x'.repeat(100_000), `sgi  ${ENI_DB}`, 'SGO eni-0000000000000000a',
  ];
  for (const code of bad) {
    const e = explainDropCode(NET, code, tcp('10.0.1.5', '10.0.2.7', 5432));
    assert.equal(e.layer, 'unknown', `${code.slice(0, 40)} → ${e.text}`);
    assert.equal(e.stale, true);
    assert.match(e.text, /^unknown rule: /);
    assert.ok(e.text.length < 300);
  }
  assert.match(explainDropCode(NET, 'acc').text, /accepted packets/);
  // A repeated prefix (nft-compile makes it unique with " 2") means the same rule.
  assert.equal(explainDropCode(NET, `sgo ${ENI_WEB} 2`).layer, 'security-group');
  assert.equal(explainDropCode(NET, `nai ${ACL} 120 3`, tcp('203.0.113.9', '10.0.2.7', 22)).text, `${ACL} rule 120: deny tcp 22 from 0.0.0.0/0 (inbound)`);
  assert.equal(explainDropCode(NET, 'inv 2').layer, 'invalid-state');
  // Record values as text, missing ones, garbage: explained without them.
  const loose = explainDropCode(NET, `nai ${ACL} 120`, { protocol: '6', srcaddr: '203.0.113.9', dstaddr: '-', srcport: null, dstport: '22' });
  assert.equal(loose.stale, false);
  const junk = explainDropCode(NET, `sgi ${ENI_DB}`, { protocol: 'tcp', srcaddr: 'nowhere', dstaddr: null, dstport: 99999 });
  assert.equal(junk.text, `security groups ${SG_DB} and ${SG_OPS} have no inbound rule for this traffic`);
  assert.equal(explainDropCode(NET, 42 as unknown as string).layer, 'unknown');
});

test('an index built once serves many explanations alike', () => {
  const idx = new NetworkIndex(NET);
  const codes = [`nai ${ACL} 120`, `nao ${ACL} *`, `sgi ${ENI_DB}`, `sgo ${ENI_WEB}`, 'inv', 'zzz'];
  for (const code of codes) assert.deepEqual(explainDropCode(idx, code, tcp('203.0.113.9', '10.0.2.7', 22)), explainDropCode(NET, code, tcp('203.0.113.9', '10.0.2.7', 22)));
});
