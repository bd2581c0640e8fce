import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { accountOfDocument, planApply } from './apply.ts';
import type { Change } from './diff.ts';
import { randomIdGenerator, sequentialIdGenerator } from './ids.ts';
import type { NetworkModel } from './network.ts';

const ID_SHAPES: Record<string, RegExp> = {
  vpc: /^vpc-[0-9a-f]{17}$/,
  subnet: /^subnet-[0-9a-f]{17}$/,
  instance: /^i-[0-9a-f]{17}$/,
  'network-interface': /^eni-[0-9a-f]{17}$/,
  'security-group': /^sg-[0-9a-f]{17}$/,
  'network-acl': /^acl-[0-9a-f]{17}$/,
};

/** A document without any ids: everything is matched by natural keys. */
function anonymousDoc(): any {
  return {
    account: '111122223333',
    region: 'eu-west-1',
    vpcs: [
      {
        name: 'main',
        cidr: '10.0.0.0/16',
        subnets: [{ name: 'web', cidr: '10.0.1.0/24' }, { cidr: '10.0.2.0/24', 'availability-zone': 'eu-west-1b' }],
        instances: [
          { name: 'web-1', subnet: 'web', interfaces: [{ 'private-ip': '10.0.1.10', 'security-groups': ['web'] }] },
          { subnet: '10.0.2.0/24', interfaces: [{ 'private-ip': '10.0.2.10' }] },
        ],
        'network-interfaces': [{ subnet: 'web', 'private-ip': '10.0.1.50' }],
        'security-groups': [{ name: 'web', ingress: [{ protocol: 'tcp', 'from-port': 443, 'to-port': 443, cidr: '0.0.0.0/0' }] }],
        'network-acls': [{ subnets: ['web'], entries: [{ 'rule-number': 10, egress: false, protocol: '-1', 'rule-action': 'allow', cidr: '10.0.0.0/8' }] }],
      },
    ],
  };
}

const summary = (changes: readonly Change[]) => changes.map((c) => `${c.action} ${c.resourceType} ${c.resourceId}${c.detail ? ` (${c.detail})` : ''}`);

function allIds(model: NetworkModel): { type: string; id: string }[] {
  return model.vpcs.flatMap((v) => [
    { type: 'vpc', id: v.id },
    ...v.subnets.map((s) => ({ type: 'subnet', id: s.id })),
    ...v.instances.map((s) => ({ type: 'instance', id: s.id })),
    ...v.networkInterfaces.map((s) => ({ type: 'network-interface', id: s.id })),
    ...v.securityGroups.map((s) => ({ type: 'security-group', id: s.id })),
    ...v.networkAcls.map((s) => ({ type: 'network-acl', id: s.id })),
  ]);
}

test('a first apply creates the network and every resource, with generated ids of AWS\'s shape', () => {
  const { model, changes } = planApply(undefined, anonymousDoc(), randomIdGenerator());
  const ids = allIds(model);
  assert.equal(ids.length, 1 + 2 + 2 + 3 + 2 + 2);
  for (const { type, id } of ids) assert.match(id, ID_SHAPES[type]!, `${type} ${id}`);
  assert.equal(new Set(ids.map((i) => i.id)).size, ids.length);
  assert.deepEqual(changes.map((c) => c.action), Array(1 + ids.length).fill('create'));
  assert.equal(changes[0]!.resourceType, 'network');
  assert.deepEqual(new Set(changes.slice(1).map((c) => c.resourceId)), new Set(ids.map((i) => i.id)));
});

test('the default generator uses the platform CSPRNG and gives 17 lowercase hex digits', () => {
  const { model } = planApply(undefined, anonymousDoc());
  for (const { type, id } of allIds(model)) assert.match(id, ID_SHAPES[type]!);
});

test('applying the same document twice gives zero changes (no ids in the document)', () => {
  const first = planApply(undefined, anonymousDoc(), sequentialIdGenerator(1));
  // A different generator proves that the second apply reuses ids instead of regenerating the same ones.
  const second = planApply(first.model, anonymousDoc(), sequentialIdGenerator(2));
  assert.deepEqual(second.changes, []);
  assert.deepEqual(second.model, first.model);
});

test('applying the example document twice gives zero changes', () => {
  const doc = parseYaml(readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'network.yaml'), 'utf8'));
  const first = planApply(undefined, doc);
  assert.deepEqual(planApply(first.model, doc).changes, []);
});

test('a model that went through JSON (as the control plane stores it) still re-applies with zero changes', () => {
  const first = planApply(undefined, anonymousDoc(), sequentialIdGenerator(1));
  const stored = JSON.parse(JSON.stringify(first.model)) as NetworkModel;
  assert.deepEqual(planApply(stored, anonymousDoc(), sequentialIdGenerator(3)).changes, []);
});

test('natural keys survive reordering of the document', () => {
  const first = planApply(undefined, anonymousDoc(), sequentialIdGenerator(1));
  const doc = anonymousDoc();
  const v = doc.vpcs[0];
  v.subnets.reverse();
  v.instances.reverse();
  const second = planApply(first.model, doc, sequentialIdGenerator(2));
  // Only ordering-derived facts differ; no resource is created or deleted.
  assert.ok(second.changes.every((c) => c.action === 'update'), summary(second.changes).join('\n'));
  const subnetIds = (m: NetworkModel) => new Set(m.vpcs[0]!.subnets.map((s) => s.id));
  assert.deepEqual(subnetIds(second.model), subnetIds(first.model));
});

test('changes are detected per resource: created, updated (with what changed) and deleted', () => {
  const first = planApply(undefined, anonymousDoc(), sequentialIdGenerator(1));
  const m1 = first.model.vpcs[0]!;
  const doc = anonymousDoc();
  const v = doc.vpcs[0];
  v['security-groups'][0].ingress.push({ protocol: 'tcp', 'from-port': 80, 'to-port': 80, cidr: '0.0.0.0/0' });
  v.subnets[0].tags = { Name: 'web' };
  v.instances.pop(); // drops the instance and its interface
  v.subnets.push({ cidr: '10.0.3.0/24' });
  const second = planApply(first.model, doc, sequentialIdGenerator(2));
  const web = m1.securityGroups.find((g) => g.name === 'web')!;
  const dropped = m1.instances[1]!;
  const droppedEni = dropped.interfaceIds[0]!;
  const lines = summary(second.changes);
  const created = second.model.vpcs[0]!.subnets[2]!;
  assert.deepEqual(lines.filter((l) => !l.startsWith('update network-acl')), [
    `update subnet ${m1.subnets[0]!.id} (tags changed)`,
    `create subnet ${created.id} (10.0.3.0/24 eu-west-1a)`,
    `update security-group ${web.id} (ingress changed)`,
    `delete instance ${dropped.id} (${dropped.subnetId})`,
    `delete network-interface ${droppedEni} (10.0.2.10 ${dropped.id})`,
  ]);
  // The new subnet joins the default network ACL, which is reported as its update.
  const defaultAcl = m1.networkAcls.find((a) => a.isDefault)!;
  assert.deepEqual(lines.filter((l) => l.startsWith('update network-acl')), [`update network-acl ${defaultAcl.id} (subnet-ids changed)`]);
});

test('scalar updates show the old and new value', () => {
  const first = planApply(undefined, anonymousDoc(), sequentialIdGenerator(1));
  const doc = anonymousDoc();
  doc.vpcs[0]['network-interfaces'][0].name = 'spare';
  doc.vpcs[0]['network-interfaces'][0].description = 'hot spare';
  const second = planApply(first.model, doc, sequentialIdGenerator(2));
  const eni = first.model.vpcs[0]!.networkInterfaces[2]!;
  assert.deepEqual(summary(second.changes), [`update network-interface ${eni.id} (name (none) → spare; description (none) → hot spare)`]);
});

test('declared ids win over natural keys, and an id that is new creates a resource', () => {
  const first = planApply(undefined, anonymousDoc(), sequentialIdGenerator(1));
  const doc = anonymousDoc();
  doc.vpcs[0].subnets[1].id = 'subnet-0123456789abcdef0';
  const second = planApply(first.model, doc, sequentialIdGenerator(2));
  const old = first.model.vpcs[0]!.subnets[1]!;
  const lines = summary(second.changes);
  assert.ok(lines.includes('create subnet subnet-0123456789abcdef0 (10.0.2.0/24 eu-west-1b)'), lines.join('\n'));
  assert.ok(lines.includes(`delete subnet ${old.id} (10.0.2.0/24 eu-west-1b)`), lines.join('\n'));
});

test('ids recorded from a first apply can be written into the document: still zero changes', () => {
  const first = planApply(undefined, anonymousDoc(), sequentialIdGenerator(1));
  const doc = anonymousDoc();
  const m = first.model.vpcs[0]!;
  doc.vpcs[0].id = m.id;
  doc.vpcs[0].subnets.forEach((s: any, i: number) => (s.id = m.subnets[i]!.id));
  doc.vpcs[0].instances.forEach((inst: any, i: number) => (inst.id = m.instances[i]!.id));
  assert.deepEqual(planApply(first.model, doc, sequentialIdGenerator(2)).changes, []);
});

test('a changed CIDR without an id is a new subnet (delete + create), and instance matching falls back to the primary address', () => {
  const first = planApply(undefined, anonymousDoc(), sequentialIdGenerator(1));
  const doc = anonymousDoc();
  const v = doc.vpcs[0];
  v.subnets[1].cidr = '10.0.4.0/24';
  v.instances[1].subnet = '10.0.4.0/24';
  v.instances[1].interfaces[0]['private-ip'] = '10.0.4.10';
  v.instances[0].name = undefined; // matched by its primary address 10.0.1.10 instead
  const second = planApply(first.model, doc, sequentialIdGenerator(2));
  const m1 = first.model.vpcs[0]!;
  const m2 = second.model.vpcs[0]!;
  assert.equal(m2.instances[0]!.id, m1.instances[0]!.id);
  assert.notEqual(m2.subnets[1]!.id, m1.subnets[1]!.id);
  const actions = summary(second.changes).map((l) => l.split(' ').slice(0, 2).join(' '));
  assert.ok(actions.includes('create subnet') && actions.includes('delete subnet'));
});

test('a refused document throws before any change is planned', () => {
  const first = planApply(undefined, anonymousDoc(), sequentialIdGenerator(1));
  const doc = anonymousDoc();
  doc.vpcs[0].subnets[0].cidr = '10.1.0.0/24';
  assert.throws(() => planApply(first.model, doc), { name: 'ValidationError' });
});

test('a region change is reported on the network', () => {
  const first = planApply(undefined, anonymousDoc(), sequentialIdGenerator(1));
  const doc = anonymousDoc();
  doc.region = 'eu-west-2';
  doc.vpcs[0].subnets[1]['availability-zone'] = 'eu-west-2b';
  const lines = summary(planApply(first.model, doc, sequentialIdGenerator(2)).changes);
  assert.equal(lines[0], 'update network 111122223333 (region eu-west-1 → eu-west-2)');
});

test('generated ids never collide with declared or existing ones', () => {
  const doc = anonymousDoc();
  // The sequential generator's first vpc id, declared by the user for another VPC.
  const firstGenerated = sequentialIdGenerator(0)('vpc');
  doc.vpcs.push({ id: firstGenerated, cidr: '10.9.0.0/16' });
  const { model } = planApply(undefined, doc, sequentialIdGenerator(0));
  assert.notEqual(model.vpcs[0]!.id, firstGenerated);
  assert.equal(model.vpcs[1]!.id, firstGenerated);
});

test('accountOfDocument reads the account under any accepted key, without validating', () => {
  assert.equal(accountOfDocument({ account: '111122223333', vpcs: 'garbage' }), '111122223333');
  assert.equal(accountOfDocument({ AccountId: '111122223333' }), '111122223333');
  assert.equal(accountOfDocument({ account: 111122223333 }), undefined);
  assert.equal(accountOfDocument([]), undefined);
  assert.equal(accountOfDocument(null), undefined);
});
