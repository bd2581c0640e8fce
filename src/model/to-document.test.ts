import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { compileNetwork, planApply } from './apply.ts';
import { sequentialIdGenerator, type IdGenerator } from './ids.ts';
import type { NetworkModel } from './network.ts';
import { modelToDocument } from './to-document.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** Compiling a document whose ids are all explicit must never ask for a fresh one. */
const noFreshIds: IdGenerator = (kind) => {
  throw new Error(`a fresh ${kind} id was requested`);
};

function assertRoundTrip(model: NetworkModel): void {
  const doc = modelToDocument(model);
  // Through JSON as the store and the HTTP API would carry it: no hidden undefined members or shared objects.
  const json = JSON.parse(JSON.stringify(doc)) as unknown;
  assert.deepEqual(compileNetwork(json, undefined, noFreshIds), model);
  const again = planApply(model, json, noFreshIds);
  assert.deepEqual(again.model, model);
  assert.deepEqual(again.changes, []);
}

/** Everything the model can express, declared the way a user would (names, references, defaults left implicit). */
const RICH = {
  account: '210987654321',
  region: 'eu-central-1',
  vpcs: [
    {
      name: 'prod',
      cidrs: ['10.10.0.0/16', '10.20.0.0/20'],
      'ipv6-cidrs': ['2600:1f18:aaaa:bb00::/56', '2600:1f18:aaaa:cc00::/56'],
      tags: [{ Key: 'Name', Value: 'prod vpc' }, { Key: 'empty', Value: '' }, { Key: 'odd', Value: 'a&b<c>"d\'' }],
      subnets: [
        { name: 'web', cidr: '10.10.1.0/24', 'ipv6-cidr': '2600:1f18:aaaa:bb01::/64', 'availability-zone': 'eu-central-1b', tags: { tier: 'web' } },
        { name: 'app', cidr: '10.10.2.0/24', 'availability-zone': 'eu-central-1b', 'availability-zone-id': 'euc1-az3' },
        { cidr: '10.20.0.0/28', 'availability-zone': 'eu-central-1c' },
      ],
      instances: [
        {
          name: 'web-1', subnet: 'web', tags: { Name: 'web-1', Owner: 'team' },
          interfaces: [
            { name: 'web-1-eth0', 'private-ip': '10.10.1.10', 'secondary-ips': ['10.10.1.11', '10.10.1.12'], ipv6: ['2600:1f18:aaaa:bb01::10'], 'security-groups': ['web', 'default'], description: 'primary' },
            { subnet: 'app', 'private-ip': '10.10.2.10', 'security-groups': ['app'], tags: { role: 'backend-leg' } },
          ],
        },
        { subnet: '10.20.0.0/28', interfaces: [{ 'private-ip': '10.20.0.4' }] },
      ],
      'network-interfaces': [
        { name: 'spare', subnet: 'web', 'private-ip': '10.10.1.200', ipv6: ['2600:1f18:aaaa:bb01::200'], description: 'spare leg' },
        { subnet: 'app', 'private-ip': '10.10.2.200', 'security-groups': ['sg-0123456789abcdef0'] },
      ],
      'security-groups': [
        {
          name: 'default', tags: { Name: 'the default' },
          ingress: [{ protocol: -1, 'source-group': 'default' }, { protocol: 'tcp', 'from-port': 22, 'to-port': 22, cidr: '192.0.2.0/24', description: 'admin' }],
          egress: [],
        },
        {
          name: 'web', description: 'web tier',
          ingress: [
            { protocol: 'tcp', 'from-port': 443, 'to-port': 443, cidr: '0.0.0.0/0' },
            { protocol: 'tcp', 'from-port': 443, 'to-port': 443, 'ipv6-cidr': '::/0' },
            { protocol: 'icmp', 'from-port': 8, 'to-port': -1, cidr: '10.0.0.0/8' },
            { protocol: 'icmpv6', 'ipv6-cidr': '2600:1f18:aaaa:bb00::/56' },
            { protocol: 47, cidr: '10.20.0.0/20' },
          ],
          egress: [{ protocol: 'udp', 'from-port': 53, 'to-port': 53, 'source-group': 'app', description: 'dns' }],
        },
        { name: 'app', ingress: [{ protocol: 'tcp', 'from-port': 8080, 'to-port': 8090, 'source-group': 'web' }] },
        { id: 'sg-0123456789abcdef0', description: 'declared by id only' },
      ],
      'network-acls': [
        {
          default: true, tags: { Name: 'default acl' },
          entries: [
            { 'rule-number': 100, egress: false, protocol: '-1', 'rule-action': 'allow', cidr: '0.0.0.0/0' },
            { 'rule-number': 101, egress: false, protocol: '-1', 'rule-action': 'allow', 'ipv6-cidr': '::/0' },
            { 'rule-number': 100, egress: true, protocol: '-1', 'rule-action': 'allow', cidr: '0.0.0.0/0' },
          ],
        },
        {
          name: 'web-acl', subnets: ['web', 'app'],
          entries: [
            { 'rule-number': 90, egress: false, protocol: 'icmp', 'rule-action': 'allow', cidr: '10.0.0.0/8', 'icmp-type': 8, 'icmp-code': -1 },
            { 'rule-number': 100, egress: false, protocol: 'tcp', 'rule-action': 'allow', cidr: '0.0.0.0/0', 'from-port': 443, 'to-port': 443 },
            { 'rule-number': 110, egress: false, protocol: '58', 'rule-action': 'allow', 'ipv6-cidr': '::/0', 'icmp-type': -1 },
            { 'rule-number': 200, egress: false, protocol: '17', 'rule-action': 'deny', cidr: '10.0.0.0/8', 'from-port': 0, 'to-port': 65535 },
            { 'rule-number': 100, egress: true, protocol: '-1', 'rule-action': 'allow', cidr: '0.0.0.0/0' },
          ],
        },
        { tags: { unused: 'yes' } },
      ],
    },
    { cidr: '10.10.0.0/16', subnets: [{ cidr: '10.10.0.0/24' }], instances: [{ subnet: '10.10.0.0/24', interfaces: [{ 'private-ip': '10.10.0.9' }] }] },
    { name: 'empty', cidr: '172.16.0.0/28' },
  ],
};

test('the example network survives model → document → model unchanged', () => {
  const doc = parseYaml(readFileSync(join(ROOT, 'examples/network.yaml'), 'utf8'));
  assertRoundTrip(compileNetwork(doc, undefined, sequentialIdGenerator()));
});

test('a rich model (IPv6, multi-interface instances, group references, NACL entries, tags) survives the round trip', () => {
  const model = compileNetwork(RICH, undefined, sequentialIdGenerator(3));
  // The fixture really exercises what it claims to.
  const prod = model.vpcs[0]!;
  assert.equal(prod.instances[0]!.interfaceIds.length, 2);
  assert.equal(prod.networkInterfaces.filter((n) => n.instanceId === null).length, 2);
  assert.equal(prod.securityGroups.find((g) => g.name === 'web')!.egress[0]!.groupId, prod.securityGroups.find((g) => g.name === 'app')!.id);
  assert.equal(prod.securityGroups.find((g) => g.id === 'sg-0123456789abcdef0')!.name, 'sg-0123456789abcdef0');
  assert.deepEqual(prod.networkAcls.find((a) => a.name === 'web-acl')!.subnetIds, [prod.subnets[0]!.id, prod.subnets[1]!.id]);
  assert.deepEqual(prod.networkAcls.find((a) => a.isDefault)!.subnetIds, [prod.subnets[2]!.id]);
  assert.equal(prod.subnets[1]!.azId, 'euc1-az3');
  assertRoundTrip(model);
});

test('the document names every id and writes no default that compilation would add', () => {
  const model = compileNetwork(RICH, undefined, sequentialIdGenerator(3));
  const doc = modelToDocument(model);
  const prod = doc.Vpcs[0]!;
  assert.equal(prod.Id, model.vpcs[0]!.id);
  // Final `*` entries are left to compilation; the default ACL's associations are implied.
  assert.ok(prod.NetworkAcls.every((a) => a.Entries.every((e) => e.RuleNumber < 32767)));
  assert.deepEqual(prod.NetworkAcls.find((a) => a.Default)!.Subnets, []);
  // A group declared by id only has no name to write (its id may not serve as a name).
  assert.equal(prod.SecurityGroups.find((g) => g.Id === 'sg-0123456789abcdef0')!.Name, undefined);
  // Attached interfaces are written under their instance only.
  assert.equal(prod.NetworkInterfaces.length, 2);
  assert.deepEqual(prod.Instances[0]!.Interfaces.map((i) => i.PrivateIp), ['10.10.1.10', '10.10.2.10']);
});

test('an edited document applies as exactly that edit', () => {
  const model = compileNetwork(RICH, undefined, sequentialIdGenerator(3));
  const doc = modelToDocument(model);
  doc.Vpcs[0]!.Subnets[2]!.Tags.push({ Key: 'new', Value: 'tag' });
  const { changes } = planApply(model, doc, noFreshIds);
  assert.deepEqual(changes.map((c) => [c.action, c.resourceId, c.detail]), [['update', model.vpcs[0]!.subnets[2]!.id, 'tags changed']]);
});

test('an empty network round-trips', () => {
  const model = compileNetwork({ account: '111122223333', region: 'us-west-2', vpcs: [] }, undefined, noFreshIds);
  assertRoundTrip(model);
});
