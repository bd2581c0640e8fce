import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { planApply, sequentialIdGenerator, type NetworkModel, type Vpc } from '../model/index.ts';
import { UnsafeValueError } from './errors.ts';
import { planNames, randomTestPrefix } from './names.ts';
import { ACCEPT_PREFIX, INVALID_PREFIX, TRACKED_SHORTCUT, compileRuleset, describePrefix, type CompiledRuleset } from './nft-compile.ts';
import { ADDR, IDS, testNetworkDocument } from './test-fixtures.ts';

const modelOf = (doc: unknown): NetworkModel => planApply(undefined, doc, sequentialIdGenerator()).model;
const compile = (model: NetworkModel, options = {}): CompiledRuleset => compileRuleset(model.vpcs[0]!, planNames(model), options);
const base = modelOf(testNetworkDocument());
const ruleset = compile(base);
const names = planNames(base);
const link = (eni: string) => names.interfaces.get(eni)!.vpcLink;

/** The body lines of one chain, trimmed. */
function chainBody(text: string, chain: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === `chain ${chain} {`);
  assert.ok(start >= 0, `chain ${chain} exists`);
  const body: string[] = [];
  for (let i = start + 1; lines[i]!.trim() !== '}'; i++) body.push(lines[i]!.trim());
  return body;
}

/** Replaces a VPC in a model with a modified copy (for values the validator would never let through). */
function tampered(change: (vpc: Vpc) => Vpc): NetworkModel {
  return { ...base, vpcs: [change(base.vpcs[0]!)] };
}

describe('compileRuleset', () => {
  test('is one transaction that replaces the table', () => {
    const lines = ruleset.text.split('\n');
    assert.deepEqual(lines.slice(0, 3), ['table inet vpcflow {}', 'delete table inet vpcflow', 'table inet vpcflow {']);
    assert.equal(ruleset.text.match(/^table /gm)?.length, 2);
  });

  test('forward hook: invalid first, then the sender side, then the receiver side, then the accept log', () => {
    const body = chainBody(ruleset.text, 'forward');
    assert.match(body[0]!, /^type filter hook forward priority filter; policy accept;$/);
    assert.match(body[1]!, /^ct state invalid counter log prefix "inv" .* drop$/);
    assert.match(body[2]!, /^iifname vmap \{ .*jump from_/);
    assert.match(body[3]!, /^oifname vmap \{ .*jump to_/);
    assert.match(body[4]!, /^tcp flags & \(fin \| syn \| rst\) != 0 counter log prefix "acc" group 7 snaplen 128 queue-threshold 16 accept$/);
    assert.equal(body[5], 'meta l4proto { tcp, udp } accept', 'accepted bulk TCP/UDP is left to the counter table');
    assert.match(body[6]!, /^counter log prefix "acc" group 7 snaplen 128 queue-threshold 16 accept$/);
    assert.equal(body.length, 7);
    assert.doesNotMatch(ruleset.text, /set acc4/, 'the counter sets live in their own table, which a new ruleset never replaces');
  });

  test('the counter table counts what the filter accepted unlogged, after it, and logs when a set is full', () => {
    const text = ruleset.counterTableText!;
    assert.match(text, /^table inet vpcflow_counters \{\n\tset acc4 \{\n\t\ttype ipv4_addr \. ipv4_addr \. inet_proto \. inet_service \. inet_service\n\t\tflags dynamic,timeout\n\t\ttimeout 60s\n\t\tsize 262144\n\t\tcounter\n\t\}/);
    assert.match(text, /\tset acc6 \{\n\t\ttype ipv6_addr \. ipv6_addr/);
    assert.doesNotMatch(text, /delete table/, 'never replaced');
    assert.deepEqual(chainBody(text, 'count'), [
      'type filter hook forward priority filter + 10; policy accept;',
      'tcp flags & (fin | syn | rst) != 0 return',
      'meta nfproto ipv4 meta l4proto { tcp, udp } update @acc4 { ip saddr . ip daddr . meta l4proto . th sport . th dport } return',
      'meta nfproto ipv6 meta l4proto { tcp, udp } update @acc6 { ip6 saddr . ip6 daddr . meta l4proto . th sport . th dport } return',
      'meta l4proto { tcp, udp } counter log prefix "acc" group 7 snaplen 128 queue-threshold 16',
    ]);
    assert.equal(ruleset.countsInKernel, true);
  });

  test('without kernel counting every accepted packet is logged', () => {
    const plain = compile(base, { countInKernel: false });
    const body = chainBody(plain.text, 'forward');
    assert.match(body[4]!, /^counter log prefix "acc" group 7 snaplen 128 queue-threshold 16 accept$/);
    assert.equal(body.length, 5);
    assert.equal(plain.counterTableText, undefined);
    assert.equal(plain.countsInKernel, false);
  });

  test('path order: security groups of the sender before its subnet ACL; the receiver subnet ACL before its groups', () => {
    const db = link(IDS.eniDb);
    const aclHex = IDS.aclB.slice(4);
    assert.deepEqual(chainBody(ruleset.text, `from_${db}`), [`jump sg_out_${db}`, `oifname != { "${db}" } jump nacl_${aclHex}_out`]);
    assert.deepEqual(chainBody(ruleset.text, `to_${db}`), [`iifname != { "${db}" } jump nacl_${aclHex}_in`, `jump sg_in_${db}`]);
  });

  test('network ACLs apply only across a subnet boundary: the exemption lists exactly the subnet\'s interfaces', () => {
    const web = link(IDS.eniWeb);
    const sameSubnet = [IDS.eniWeb, IDS.eniClient, IDS.eniDb2].map((e) => `"${link(e)}"`).sort();
    const body = chainBody(ruleset.text, `from_${web}`);
    const m = /^oifname != \{ (.*) \} jump nacl_/.exec(body[1]!);
    assert.ok(m);
    assert.deepEqual(m[1]!.split(', ').sort(), sameSubnet);
  });

  test('no connection-state shortcut outside the security-group chains', () => {
    const lines = ruleset.text.split('\n').map((l) => l.trim());
    const established = lines.filter((l) => l.includes('established'));
    assert.equal(established.length, 2 * 4, 'one per security-group chain (4 interfaces × in/out)');
    for (const chain of ['forward', `nacl_${IDS.aclB.slice(4)}_in`, `nacl_${IDS.aclB.slice(4)}_out`]) {
      assert.ok(!chainBody(ruleset.text, chain).some((l) => l.includes('established') || l.includes('ct state') && !l.includes('invalid')), chain);
    }
    assert.equal(chainBody(ruleset.text, `sg_in_${link(IDS.eniWeb)}`)[0], 'ct state established,related return');
  });

  test('a flow the groups let through before keeps passing them also without a reply yet (one-way UDP)', () => {
    // Every security-group chain, in and out, starts with both shortcuts, before any rule.
    for (const eni of [IDS.eniWeb, IDS.eniClient]) {
      for (const dir of ['in', 'out']) {
        assert.deepEqual(chainBody(ruleset.text, `sg_${dir}_${link(eni)}`).slice(0, 2), ['ct state established,related return', 'ct status confirmed return'], `${dir} ${eni}`);
      }
    }
    const lines = ruleset.text.split('\n').map((l) => l.trim());
    assert.equal(lines.filter((l) => l.includes('confirmed')).length, 2 * 4, 'only in the security-group chains: the ACLs stay stateless');
  });

  test('network ACL entries in rule-number order, allow returns, deny logs its own code, then a final catch-all', () => {
    const doc = testNetworkDocument({
      extraAclEntries: [
        { 'rule-number': 90, egress: false, protocol: '6', 'rule-action': 'deny', cidr: '10.0.1.0/24', 'from-port': 5432, 'to-port': 5432 },
        { 'rule-number': 120, egress: false, protocol: '17', 'rule-action': 'allow', 'ipv6-cidr': '::/0', 'from-port': 53, 'to-port': 53 },
      ],
    });
    const r = compile(modelOf(doc));
    const acl = IDS.aclB;
    assert.deepEqual(chainBody(r.text, `nacl_${acl.slice(4)}_in`), [
      `ip saddr 10.0.1.0/24 tcp dport 5432 counter log prefix "nai ${acl} 90" group 7 snaplen 128 queue-threshold 16 drop`,
      'ip saddr 0.0.0.0/0 tcp dport 5432 return',
      `ip saddr 0.0.0.0/0 meta l4proto 1 counter log prefix "nai ${acl} 110" group 7 snaplen 128 queue-threshold 16 drop`,
      'ip6 saddr ::/0 udp dport 53 return',
      `ip saddr 0.0.0.0/0 counter log prefix "nai ${acl} 32767" group 7 snaplen 128 queue-threshold 16 drop`,
      `ip6 saddr ::/0 counter log prefix "nai ${acl} 32767 v6" group 7 snaplen 128 queue-threshold 16 drop`,
      `counter log prefix "nai ${acl} *" group 7 snaplen 128 queue-threshold 16 drop`,
    ]);
    assert.deepEqual(r.codes.get(`nai ${acl} 90`), { code: `nai ${acl} 90`, layer: 'nacl-in', resourceId: acl, ruleNumber: 90, side: 'destination' });
    assert.deepEqual(r.codes.get(`nai ${acl} 32767 v6`)?.ipv6, true);
    // Egress entries match the destination.
    assert.deepEqual(chainBody(r.text, `nacl_${acl.slice(4)}_out`)[0], 'ip daddr 0.0.0.0/0 tcp dport 80 return');
  });

  test('every drop logs a known code first, every code is used once, and prefixes fit NFLOG', () => {
    const lines = ruleset.text.split('\n').map((l) => l.trim());
    const drops = lines.filter((l) => / drop$/.test(l));
    assert.equal(drops.length, ruleset.codes.size);
    for (const l of drops) {
      const m = / log prefix "([^"]+)" group 7 snaplen 128 queue-threshold 16 drop$/.exec(l);
      assert.ok(m, l);
      assert.ok(ruleset.codes.has(m[1]!), m[1]);
      assert.ok(Buffer.byteLength(m[1]!) <= 63);
    }
    assert.deepEqual(describePrefix(ruleset, ACCEPT_PREFIX), { verdict: 'accept' });
    assert.equal(describePrefix(ruleset, INVALID_PREFIX).verdict, 'drop');
    assert.equal(describePrefix(ruleset, 'nonsense').verdict, 'unknown');
  });

  test('security-group codes name the interface, its groups and the side', () => {
    const inbound = ruleset.codes.get(`sgi ${IDS.eniDb}`);
    assert.deepEqual(inbound, {
      code: `sgi ${IDS.eniDb}`, layer: 'sg-in', resourceId: IDS.sgDb, side: 'destination', interfaceId: IDS.eniDb, securityGroupIds: [IDS.sgDb],
    });
    assert.equal(ruleset.codes.get(`sgo ${IDS.eniDb}`)?.side, 'source');
    assert.equal(ruleset.codes.get(INVALID_PREFIX)?.layer, 'invalid');
  });

  test('a referenced group becomes address sets of its members, also for IPv6', () => {
    const hex = IDS.sgClient.slice(3);
    const lines = ruleset.text.split('\n').map((l) => l.trim());
    const v4 = lines[lines.indexOf(`set sg_${hex}_v4 {`) + 1];
    const v6 = lines[lines.indexOf(`set sg_${hex}_v6 {`) + 1];
    assert.equal(v4, `type ipv4_addr; elements = { ${ADDR.client} }`);
    assert.equal(v6, `type ipv6_addr; elements = { ${ADDR.client6} }`);
    const db = chainBody(ruleset.text, `sg_in_${link(IDS.eniDb)}`);
    assert.ok(db.includes(`ip saddr @sg_${hex}_v4 tcp dport 5432 return`));
    assert.ok(db.includes(`ip6 saddr @sg_${hex}_v6 tcp dport 5432 return`));
  });

  test('several groups on one interface: the rules of all of them allow', () => {
    const doc = testNetworkDocument() as { vpcs: { instances: { interfaces: { 'security-groups': string[] }[] }[] }[] };
    doc.vpcs[0]!.instances[0]!.interfaces[0]!['security-groups'] = [IDS.sgWeb, IDS.sgDb];
    const r = compile(modelOf(doc));
    const body = chainBody(r.text, `sg_in_${link(IDS.eniWeb)}`);
    assert.ok(body.includes('ip saddr 10.0.0.0/16 tcp dport 80 return'));
    assert.ok(body.some((l) => l.includes('tcp dport 5432 return')));
    assert.deepEqual(r.codes.get(`sgi ${IDS.eniWeb}`)?.securityGroupIds, [IDS.sgWeb, IDS.sgDb]);
  });

  test('a group without declared outbound rules allows all outbound traffic', () => {
    const rules = TRACKED_SHORTCUT.length;
    assert.deepEqual(chainBody(ruleset.text, `sg_out_${link(IDS.eniClient)}`).slice(rules, rules + 2), ['ip daddr 0.0.0.0/0 return', 'ip6 daddr ::/0 return']);
    assert.match(chainBody(ruleset.text, `sg_in_${link(IDS.eniClient)}`)[rules]!, /log prefix "sgi /, 'no inbound rule: everything new is dropped');
  });

  test('ICMP type and code: named matches in their family, raw header bytes in the other', () => {
    const doc = testNetworkDocument() as { vpcs: { 'security-groups': { ingress?: unknown[] }[] }[] };
    doc.vpcs[0]!['security-groups'][0]!.ingress = [
      { protocol: 'icmp', 'from-port': 8, 'to-port': 0, cidr: '10.0.0.0/16' },
      { protocol: 'icmpv6', 'from-port': 128, 'to-port': -1, 'ipv6-cidr': '::/0' },
      { protocol: 'icmpv6', 'from-port': 128, 'to-port': 0, cidr: '10.0.0.0/8' },
      { protocol: '47', 'from-port': 0, 'to-port': 0, cidr: '10.0.0.0/8' },
    ];
    const body = chainBody(compile(modelOf(doc)).text, `sg_in_${link(IDS.eniWeb)}`).slice(TRACKED_SHORTCUT.length);
    assert.deepEqual(body.slice(0, 4), [
      'ip saddr 10.0.0.0/16 icmp type 8 icmp code 0 return',
      'ip6 saddr ::/0 icmpv6 type 128 return',
      'ip saddr 10.0.0.0/8 meta l4proto 58 @th,0,8 128 @th,8,8 0 return',
      'ip saddr 10.0.0.0/8 meta l4proto 47 return',
    ]);
  });

  test('names, tags and descriptions never reach the ruleset', () => {
    const nasty = 'x"; flush ruleset; }\n table ip evil { chain c { type filter hook input priority 0; drop; } } # \' $(reboot) `id` \\';
    const decorated = modelOf(testNetworkDocument({ decoration: nasty }));
    assert.ok(JSON.stringify(decorated).includes('flush ruleset'), 'the decoration is in the model');
    const r = compile(decorated);
    assert.equal(r.text, ruleset.text);
    assert.ok(!r.text.includes('evil') && !r.text.includes('flush'));
    assert.deepEqual([...r.codes.keys()], [...ruleset.codes.keys()]);
  });

  test('values that were not validated are refused, not written', () => {
    const vpc = base.vpcs[0]!;
    const withGroupId = (id: string) => tampered((v) => ({
      ...v, securityGroups: v.securityGroups.map((g) => (g.id === IDS.sgWeb ? { ...g, ingress: [{ ...g.ingress[0]!, cidr: null, groupId: id }] } : g)),
    }));
    assert.throws(() => compile(withGroupId('sg-1; flush ruleset')), UnsafeValueError);
    const withCidr = tampered((v) => ({ ...v, securityGroups: v.securityGroups.map((g) => (g.id === IDS.sgWeb ? { ...g, ingress: [{ ...g.ingress[0]!, cidr: '10.0.0.0/16 } ; drop' }] } : g)) }));
    assert.throws(() => compile(withCidr), UnsafeValueError);
    const withPort = tampered((v) => ({ ...v, securityGroups: v.securityGroups.map((g) => (g.id === IDS.sgWeb ? { ...g, ingress: [{ ...g.ingress[0]!, toPort: 70000 }] } : g)) }));
    assert.throws(() => compile(withPort), UnsafeValueError);
    const withAddress = tampered((v) => ({ ...v, networkInterfaces: v.networkInterfaces.map((n) => (n.id === IDS.eniClient ? { ...n, privateIp: '10.0.1.20 }' } : n)) }));
    assert.throws(() => compile(withAddress), UnsafeValueError);
    const withAclCidr = tampered((v) => ({ ...v, networkAcls: v.networkAcls.map((a) => ({ ...a, entries: a.entries.map((e) => ({ ...e, cidr: e.cidr === null ? null : '0.0.0.0/0"' })) })) }));
    assert.throws(() => compile(withAclCidr), UnsafeValueError);
    assert.throws(() => compileRuleset(vpc, names, { nflogGroup: 70000 }), UnsafeValueError);
  });

  test('the same model gives the same ruleset and digest; a rule change gives another', () => {
    assert.equal(compile(modelOf(testNetworkDocument())).digest, ruleset.digest);
    const changed = compile(modelOf(testNetworkDocument({ extraAclEntries: [{ 'rule-number': 5, egress: true, protocol: '-1', 'rule-action': 'allow', cidr: '10.0.0.0/8' }] })));
    assert.notEqual(changed.digest, ruleset.digest);
  });

  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  test('the kernel accepts the generated syntax (nft -c in a scratch namespace)', { skip: isRoot ? false : 'needs root to create a network namespace' }, async () => {
    const doc = testNetworkDocument({
      extraAclEntries: [
        { 'rule-number': 1, egress: true, protocol: '1', 'rule-action': 'deny', cidr: '10.9.0.0/16', 'icmp-type': 3, 'icmp-code': 4 },
        { 'rule-number': 2, egress: true, protocol: '58', 'rule-action': 'allow', 'ipv6-cidr': '2600::/16', 'icmp-type': 128, 'icmp-code': -1 },
        { 'rule-number': 3, egress: false, protocol: '47', 'rule-action': 'allow', cidr: '10.0.0.0/8' },
      ],
    });
    const compiled = compile(modelOf(doc));
    const text = compiled.text + compiled.counterTableText!;
    const ns = `${randomTestPrefix()}-nftc`;
    const run = (args: string[], input?: string) => new Promise<string>((resolve, reject) => {
      const child = execFile('ip', args, (e, _out, err) => (e ? reject(new Error(String(err) || e.message)) : resolve('')));
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(input);
    });
    await run(['netns', 'add', ns]);
    try {
      await run(['netns', 'exec', ns, 'nft', '-c', '-f', '-'], text);
    } finally {
      await run(['netns', 'delete', ns]);
    }
  });
});
