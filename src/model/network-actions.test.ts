// The EC2 network actions as pure edits: each outcome is applied with planApply (as the control
// plane does) and checked on the resulting model and on the change list, which must contain only
// the requested change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planApply } from './apply.ts';
import type { Change } from './diff.ts';
import { ApiError, ValidationError } from './errors.ts';
import { aclAssociationId, securityGroupRuleId } from './ec2-derived.ts';
import type { FlowLog } from './flow-log.ts';
import { sequentialIdGenerator } from './ids.ts';
import type { NetworkModel } from './network.ts';
import type { ActionContext, ActionOutcome } from './network-actions.ts';
import { createSubnet, createVpc, deleteSubnet, deleteVpc } from './network-actions-vpc.ts';
import { createNetworkInterface, deleteNetworkInterface, runInstances, terminateInstances } from './network-actions-instances.ts';
import { authorizeSecurityGroupRules, createSecurityGroup, deleteSecurityGroup, revokeSecurityGroupRules } from './network-actions-groups.ts';
import { createNetworkAcl, createNetworkAclEntry, deleteNetworkAcl, deleteNetworkAclEntry, replaceNetworkAclAssociation } from './network-actions-acls.ts';
import { createTags, deleteTags, describeTags } from './network-actions-tags.ts';

const ACCOUNT = '111122223333';

function context(seed = 1): ActionContext {
  return { account: ACCOUNT, region: 'us-east-1', ids: sequentialIdGenerator(seed) };
}

/** Applies an outcome as mutateNetwork does; ids are all explicit, so planning never makes one. */
function apply<R>(current: NetworkModel | undefined, outcome: ActionOutcome<R>): { model: NetworkModel; changes: readonly Change[]; result: R } {
  const plan = planApply(current, outcome.doc, (kind) => {
    throw new Error(`planning asked for a fresh ${kind} id`);
  });
  return { ...plan, result: outcome.result };
}

function refused(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    const got = e instanceof ValidationError ? e.problems[0]?.code : e instanceof ApiError ? e.code : undefined;
    assert.equal(got, code, String(e));
    if (message) assert.match((e as Error).message, message);
    return true;
  });
}

const brief = (changes: readonly Change[]) => changes.map((c) => `${c.action} ${c.resourceType}${c.detail && c.action === 'update' ? ` (${c.detail})` : ''}`);

/** A VPC with one /28 subnet (11 usable addresses: .4 … .14) and one /24 subnet with IPv6. */
function base(ctx = context()) {
  const v = apply(undefined, createVpc(undefined, { CidrBlock: '10.0.0.0/16', AmazonProvidedIpv6CidrBlock: true, TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: 'main' }] }] }, ctx));
  const vpcId = v.result.vpcId;
  const small = apply(v.model, createSubnet(v.model, { VpcId: vpcId, CidrBlock: '10.0.0.0/28' }, ctx));
  const ipv6Block = small.model.vpcs[0]!.ipv6Cidrs[0]!.replace('::/56', '::/64');
  const big = apply(small.model, createSubnet(small.model, { VpcId: vpcId, CidrBlock: '10.0.1.0/24', Ipv6CidrBlock: ipv6Block, AvailabilityZoneId: 'use1-az1' }, ctx));
  return { model: big.model, vpcId, small: small.result.subnetId, big: big.result.subnetId, ctx };
}

test('CreateVpc creates the network with the request region, the default group and ACL, and Amazon IPv6', () => {
  const ctx: ActionContext = { ...context(), region: 'eu-west-3' };
  const { model, changes, result } = apply(undefined, createVpc(undefined, { CidrBlock: '10.0.0.0/16', AmazonProvidedIpv6CidrBlock: true }, ctx));
  assert.equal(model.account, ACCOUNT);
  assert.equal(model.region, 'eu-west-3');
  const vpc = model.vpcs[0]!;
  assert.equal(vpc.id, result.vpcId);
  assert.match(vpc.ipv6Cidrs[0]!, /^2600:1f[0-9a-f]{2}:[0-9a-f:]+::\/56$/);
  const [group] = vpc.securityGroups;
  assert.deepEqual([group!.name, group!.isDefault, group!.ingress.map((r) => r.groupId), group!.egress.map((r) => r.cidr ?? r.ipv6Cidr)], ['default', true, [group!.id], ['0.0.0.0/0', '::/0']]);
  const acl = vpc.networkAcls[0]!;
  assert.equal(acl.isDefault, true);
  // AWS's default ACL: 100 (and 101 for IPv6) allow, then the `*` denies, each direction.
  assert.deepEqual(acl.entries.map((e) => `${e.egress ? 'out' : 'in'} ${e.ruleNumber} ${e.ruleAction}`), ['in 100 allow', 'in 101 allow', 'in 32767 deny', 'in 32767 deny', 'out 100 allow', 'out 101 allow', 'out 32767 deny', 'out 32767 deny']);
  assert.deepEqual(brief(changes), ['create network', 'create vpc', 'create network-acl', 'create security-group']);
  refused(() => createVpc(undefined, {}, ctx), 'MissingParameter');
  refused(() => createVpc(undefined, { CidrBlock: '10.0.0.0/33' }, ctx), 'InvalidParameterValue', /cidrBlock/);
  refused(() => apply(undefined, createVpc(undefined, { CidrBlock: '10.0.0.0/8' }, ctx)), 'InvalidVpc.Range');
  refused(() => createVpc(undefined, { CidrBlock: '10.0.0.0/16', TagSpecifications: [{ ResourceType: 'subnet', Tags: [] }] }, ctx), 'InvalidParameterValue', /taggable/);
});

test('CreateSubnet and DeleteSubnet: zones, conflicts and ranges, unknown and malformed ids', () => {
  const { model, vpcId, small, big, ctx } = base();
  const subnets = model.vpcs[0]!.subnets;
  assert.deepEqual(subnets.map((s) => [s.id, s.availabilityZone, s.azId]), [[small, 'us-east-1a', 'use1-az1'], [big, 'us-east-1a', 'use1-az1']]);
  const c = apply(model, createSubnet(model, { VpcId: vpcId, CidrBlock: '10.0.2.0/24', AvailabilityZoneId: 'use1-az3' }, ctx));
  assert.equal(c.model.vpcs[0]!.subnets[2]!.availabilityZone, 'us-east-1c');
  // The new subnet joins the default ACL; nothing else changes.
  assert.deepEqual(brief(c.changes), ['create subnet', 'update network-acl (subnet-ids changed)']);
  refused(() => apply(model, createSubnet(model, { VpcId: vpcId, CidrBlock: '10.0.1.128/25' }, ctx)), 'InvalidSubnet.Conflict');
  refused(() => apply(model, createSubnet(model, { VpcId: vpcId, CidrBlock: '10.1.0.0/24' }, ctx)), 'InvalidSubnet.Range');
  refused(() => createSubnet(model, { VpcId: 'vpc-0123456789abcdef0', CidrBlock: '10.0.9.0/24' }, ctx), 'InvalidVpcID.NotFound', /The vpc ID 'vpc-0123456789abcdef0' does not exist/);
  refused(() => createSubnet(model, { VpcId: 'vpc-nope', CidrBlock: '10.0.9.0/24' }, ctx), 'InvalidVpcID.Malformed');
  refused(() => createSubnet(model, { VpcId: vpcId, CidrBlock: '10.0.9.0/24', AvailabilityZone: 'eu-west-1a' }, ctx), 'InvalidParameterValue');
  refused(() => createSubnet(model, { VpcId: vpcId, CidrBlock: '10.0.9.0/24', AvailabilityZone: 'us-east-1b', AvailabilityZoneId: 'use1-az1' }, ctx), 'InvalidParameterCombination');
  refused(() => createSubnet(model, { VpcId: vpcId }, ctx), 'MissingParameter');

  const d = apply(model, deleteSubnet(model, { SubnetId: small }, ctx));
  assert.deepEqual(d.model.vpcs[0]!.subnets.map((s) => s.id), [big]);
  refused(() => deleteSubnet(model, { SubnetId: 'subnet-0123456789abcdef0' }, ctx), 'InvalidSubnetID.NotFound');
  refused(() => deleteVpc(model, { VpcId: vpcId }, ctx), 'DependencyViolation');
});

test('interfaces get the first free addresses of their subnet; named ones must be free', () => {
  const { model, small, big, ctx } = base();
  const a = apply(model, createNetworkInterface(model, { SubnetId: small }, ctx));
  const b = apply(a.model, createNetworkInterface(a.model, { SubnetId: small, PrivateIpAddress: '10.0.0.5', SecondaryPrivateIpAddressCount: 2 }, ctx));
  const enis = b.model.vpcs[0]!.networkInterfaces;
  // .0–.3 are AWS's; .4 is the first free; .5 is named, so the secondaries skip it.
  assert.deepEqual(enis.map((n) => [n.privateIp, n.secondaryIps]), [['10.0.0.4', []], ['10.0.0.5', ['10.0.0.6', '10.0.0.7']]]);
  assert.deepEqual(enis[0]!.securityGroupIds, [b.model.vpcs[0]!.securityGroups[0]!.id]);
  refused(() => createNetworkInterface(b.model, { SubnetId: small, PrivateIpAddress: '10.0.0.6' }, ctx), 'InvalidIPAddress.InUse');
  refused(() => apply(b.model, createNetworkInterface(b.model, { SubnetId: small, PrivateIpAddress: '10.0.0.2' }, ctx)), 'InvalidParameterValue', /reserved/);
  refused(() => apply(b.model, createNetworkInterface(b.model, { SubnetId: small, PrivateIpAddress: '10.0.1.9' }, ctx)), 'InvalidParameterValue', /does not fall within/);
  refused(() => createNetworkInterface(b.model, { SubnetId: small, Ipv6AddressCount: 1 }, ctx), 'InvalidParameterValue', /no IPv6/);
  refused(() => createNetworkInterface(b.model, { SubnetId: small, Groups: ['sg-0123456789abcdef0'] }, ctx), 'InvalidGroup.NotFound');
  const v6 = apply(b.model, createNetworkInterface(b.model, { SubnetId: big, Ipv6AddressCount: 2, Description: 'dual' }, ctx));
  const dual = v6.model.vpcs[0]!.networkInterfaces.at(-1)!;
  assert.deepEqual([dual.privateIp, dual.ipv6.length, dual.description], ['10.0.1.4', 2, 'dual']);
  assert.ok(dual.ipv6.every((x) => x.endsWith('::4') || x.endsWith('::5')), dual.ipv6.join());

  const gone = apply(v6.model, deleteNetworkInterface(v6.model, { NetworkInterfaceId: dual.id }, ctx));
  assert.deepEqual(brief(gone.changes), ['delete network-interface']);
  refused(() => deleteNetworkInterface(v6.model, { NetworkInterfaceId: 'eni-0123456789abcdef0' }, ctx), 'InvalidNetworkInterfaceID.NotFound');
});

test('RunInstances honours MinCount/MaxCount against the free addresses, and TerminateInstances removes instances with their interfaces', () => {
  const { model, small, ctx } = base();
  // 11 usable addresses in the /28: MaxCount 20 launches 11, MinCount 12 launches none.
  refused(() => runInstances(model, { MinCount: 12, MaxCount: 20, SubnetId: small, ImageId: 'ami-12345678' }, ctx), 'InsufficientFreeAddressesInSubnet');
  const r = apply(model, runInstances(model, { MinCount: 2, MaxCount: 20, SubnetId: small, ImageId: 'ami-12345678' }, ctx));
  assert.equal(r.result.instanceIds.length, 11);
  const vpc = r.model.vpcs[0]!;
  assert.deepEqual(vpc.instances.map((i) => vpc.networkInterfaces.find((n) => n.id === i.interfaceIds[0])!.privateIp), Array.from({ length: 11 }, (_, i) => `10.0.0.${i + 4}`));
  const t = apply(r.model, terminateInstances(r.model, { InstanceIds: r.result.instanceIds.slice(0, 2) }, ctx));
  assert.deepEqual(brief(t.changes), ['delete instance', 'delete instance', 'delete network-interface', 'delete network-interface']);
  refused(() => terminateInstances(r.model, { InstanceIds: ['i-0123456789abcdef0'] }, ctx), 'InvalidInstanceID.NotFound');
  refused(() => terminateInstances(r.model, { InstanceIds: ['i-zzz'] }, ctx), 'InvalidInstanceID.Malformed');
  refused(() => runInstances(model, { MinCount: 3, MaxCount: 2, SubnetId: small }, ctx), 'InvalidParameterValue');
  refused(() => runInstances(model, { MinCount: 1, MaxCount: 1 }, ctx), 'VPCIdNotSpecified');
  refused(() => runInstances(model, { MinCount: 1, MaxCount: 2, SubnetId: small, PrivateIpAddress: '10.0.0.9' }, ctx), 'InvalidParameterCombination');
});

test('RunInstances with NetworkInterface.N: a new interface per device index and an existing one attached', () => {
  const { model, small, big, ctx } = base();
  const spare = apply(model, createNetworkInterface(model, { SubnetId: big, PrivateIpAddress: '10.0.1.50' }, ctx));
  const spareId = spare.result.networkInterfaceId;
  const web = apply(spare.model, createSecurityGroup(spare.model, { VpcId: model.vpcs[0]!.id, GroupName: 'web', Description: 'web' }, ctx));
  const r = apply(web.model, runInstances(web.model, {
    MinCount: 1, MaxCount: 1,
    NetworkInterfaces: [
      { DeviceIndex: 1, NetworkInterfaceId: spareId },
      { DeviceIndex: 0, SubnetId: small, Groups: [web.result.groupId], PrivateIpAddresses: [{ PrivateIpAddress: '10.0.0.10', Primary: true }, { PrivateIpAddress: '10.0.0.11' }] },
    ],
    TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'two-legs' }] }, { ResourceType: 'volume', Tags: [{ Key: 'ignored', Value: 'yes' }] }],
  }, ctx));
  const vpc = r.model.vpcs[0]!;
  const instance = vpc.instances[0]!;
  assert.deepEqual(instance.tags, [{ Key: 'Name', Value: 'two-legs' }]);
  assert.equal(instance.subnetId, small);
  assert.equal(instance.interfaceIds[1], spareId);
  const eth0 = vpc.networkInterfaces.find((n) => n.id === instance.interfaceIds[0])!;
  assert.deepEqual([eth0.privateIp, eth0.secondaryIps, eth0.securityGroupIds, eth0.deviceIndex], ['10.0.0.10', ['10.0.0.11'], [web.result.groupId], 0]);
  assert.deepEqual(vpc.networkInterfaces.find((n) => n.id === spareId)!.instanceId, instance.id);
  // The attached interface cannot be deleted or attached again.
  refused(() => deleteNetworkInterface(r.model, { NetworkInterfaceId: spareId }, ctx), 'InvalidNetworkInterface.InUse');
  refused(() => runInstances(r.model, { MinCount: 1, MaxCount: 1, NetworkInterfaces: [{ DeviceIndex: 0, NetworkInterfaceId: spareId }] }, ctx), 'InvalidNetworkInterface.InUse');
  refused(() => runInstances(model, { MinCount: 1, MaxCount: 1, SubnetId: small, NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: small }] }, ctx), 'InvalidParameterCombination');
  refused(() => runInstances(model, { MinCount: 1, MaxCount: 1, NetworkInterfaces: [{ DeviceIndex: 1, SubnetId: small }] }, ctx), 'InvalidParameterValue');
});

test('security groups: create, authorize with CIDR, IPv6 and group peers, duplicates, revoke, delete', () => {
  const { model, vpcId, small, ctx } = base();
  const web = apply(model, createSecurityGroup(model, { VpcId: vpcId, GroupName: 'web', Description: 'web servers' }, ctx));
  const db = apply(web.model, createSecurityGroup(web.model, { VpcId: vpcId, GroupName: 'db', Description: 'databases' }, ctx));
  const [webId, dbId] = [web.result.groupId, db.result.groupId];
  refused(() => createSecurityGroup(db.model, { VpcId: vpcId, GroupName: 'web', Description: 'again' }, ctx), 'InvalidGroup.Duplicate');
  refused(() => createSecurityGroup(db.model, { VpcId: vpcId, GroupName: 'default', Description: 'x' }, ctx), 'InvalidGroup.Reserved');
  refused(() => createSecurityGroup(db.model, { GroupName: 'x', Description: 'x' }, ctx), 'VPCIdNotSpecified');

  const ingress = apply(db.model, authorizeSecurityGroupRules(db.model, {
    GroupId: dbId,
    IpPermissions: [
      { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: webId, Description: 'from web' }], IpRanges: [{ CidrIp: '10.0.0.0/16' }] },
      { IpProtocol: '-1', Ipv6Ranges: [{ CidrIpv6: '::/0' }] },
    ],
  }, 'ingress', ctx));
  assert.deepEqual(brief(ingress.changes), ['update security-group (ingress changed)']);
  const group = ingress.model.vpcs[0]!.securityGroups.find((g) => g.id === dbId)!;
  assert.deepEqual(group.ingress.map((r) => [r.protocol, r.fromPort, r.toPort, r.cidr ?? r.ipv6Cidr ?? r.groupId, r.description]), [
    [6, 5432, 5432, '10.0.0.0/16', null], [6, 5432, 5432, webId, 'from web'], [-1, null, null, '::/0', null],
  ]);
  refused(() => authorizeSecurityGroupRules(ingress.model, { GroupId: dbId, IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIp: '10.0.0.0/16' }, 'ingress', ctx), 'InvalidPermission.Duplicate');
  refused(() => authorizeSecurityGroupRules(ingress.model, { GroupId: dbId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 1, ToPort: 2, UserIdGroupPairs: [{ GroupId: 'sg-0123456789abcdef0' }] }] }, 'ingress', ctx), 'InvalidGroup.NotFound');
  refused(() => authorizeSecurityGroupRules(ingress.model, { GroupId: dbId, IpPermissions: [{ IpProtocol: 'tcp', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }, 'ingress', ctx), 'InvalidParameterValue', /ports/);
  refused(() => authorizeSecurityGroupRules(ingress.model, { GroupId: dbId, IpPermissions: [{ IpProtocol: 'bogus', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }, 'ingress', ctx), 'InvalidParameterValue', /protocol/);

  // Revoking one known and one unknown permission removes the known one and reports the other.
  const revoke = revokeSecurityGroupRules(ingress.model, { GroupId: dbId, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.0.0.0/16' }, { CidrIp: '192.0.2.0/24' }] }] }, 'ingress', ctx);
  assert.deepEqual(revoke.result.unknown.map((r) => r.cidr), ['192.0.2.0/24']);
  const revoked = apply(ingress.model, revoke);
  assert.equal(revoked.model.vpcs[0]!.securityGroups.find((g) => g.id === dbId)!.ingress.length, 2);
  refused(() => revokeSecurityGroupRules(revoked.model, { GroupId: dbId, IpProtocol: 'udp', FromPort: 1, ToPort: 1, CidrIp: '10.0.0.0/16' }, 'ingress', ctx), 'InvalidPermission.NotFound');
  // By the rule id Authorize reported.
  const v6Rule = group.ingress[2]!;
  const byId = apply(revoked.model, revokeSecurityGroupRules(revoked.model, { GroupId: dbId, SecurityGroupRuleIds: [securityGroupRuleId(dbId, false, v6Rule)] }, 'ingress', ctx));
  assert.equal(byId.model.vpcs[0]!.securityGroups.find((g) => g.id === dbId)!.ingress.length, 1);
  // Egress: the default allow-all can be revoked.
  const egress = apply(byId.model, revokeSecurityGroupRules(byId.model, { GroupId: webId, IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }, 'egress', ctx));
  assert.deepEqual(egress.model.vpcs[0]!.securityGroups.find((g) => g.id === webId)!.egress.map((r) => r.ipv6Cidr), ['::/0']);

  // web is referenced by db's rule; db is used by an interface; default cannot go.
  refused(() => deleteSecurityGroup(egress.model, { GroupId: webId }, ctx), 'DependencyViolation');
  const used = apply(egress.model, createNetworkInterface(egress.model, { SubnetId: small, Groups: [dbId] }, ctx));
  refused(() => deleteSecurityGroup(used.model, { GroupId: dbId }, ctx), 'DependencyViolation');
  refused(() => deleteSecurityGroup(used.model, { GroupId: used.model.vpcs[0]!.securityGroups[0]!.id }, ctx), 'CannotDelete');
  const freed = apply(used.model, deleteNetworkInterface(used.model, { NetworkInterfaceId: used.result.networkInterfaceId }, ctx));
  const noDb = apply(freed.model, deleteSecurityGroup(freed.model, { GroupId: dbId }, ctx));
  const noWeb = apply(noDb.model, deleteSecurityGroup(noDb.model, { GroupName: 'web' }, ctx));
  assert.deepEqual(noWeb.model.vpcs[0]!.securityGroups.map((g) => g.name), ['default']);
});

test('network ACLs: entries, association replacement, deletion rules', () => {
  const { model, vpcId, small, ctx } = base();
  const acl = apply(model, createNetworkAcl(model, { VpcId: vpcId, TagSpecifications: [{ ResourceType: 'network-acl', Tags: [{ Key: 'Name', Value: 'strict' }] }] }, ctx));
  const aclId = acl.result.networkAclId;
  const e1 = apply(acl.model, createNetworkAclEntry(acl.model, { NetworkAclId: aclId, RuleNumber: 100, Protocol: 'tcp', RuleAction: 'allow', Egress: false, CidrBlock: '0.0.0.0/0', PortRange: { From: 443, To: 443 } }, ctx));
  const e2 = apply(e1.model, createNetworkAclEntry(e1.model, { NetworkAclId: aclId, RuleNumber: 90, Protocol: '1', RuleAction: 'deny', Egress: false, CidrBlock: '10.9.0.0/16', IcmpTypeCode: { Type: 8, Code: -1 } }, ctx));
  const entries = e2.model.vpcs[0]!.networkAcls.find((a) => a.id === aclId)!.entries;
  assert.deepEqual(entries.map((e) => [e.egress, e.ruleNumber, e.protocol, e.ruleAction, e.portRange, e.icmpTypeCode]), [
    [false, 90, 1, 'deny', null, { type: 8, code: -1 }], [false, 100, 6, 'allow', { from: 443, to: 443 }, null],
    // The VPC has IPv6, so each direction ends with an IPv4 and an IPv6 `*` deny.
    [false, 32767, -1, 'deny', null, null], [false, 32767, -1, 'deny', null, null], [true, 32767, -1, 'deny', null, null], [true, 32767, -1, 'deny', null, null],
  ]);
  refused(() => createNetworkAclEntry(e2.model, { NetworkAclId: aclId, RuleNumber: 100, Protocol: '-1', RuleAction: 'deny', Egress: false, CidrBlock: '0.0.0.0/0' }, ctx), 'NetworkAclEntryAlreadyExists');
  refused(() => createNetworkAclEntry(e2.model, { NetworkAclId: aclId, RuleNumber: 32767, Protocol: '-1', RuleAction: 'deny', Egress: false, CidrBlock: '0.0.0.0/0' }, ctx), 'InvalidParameterValue');
  refused(() => createNetworkAclEntry(e2.model, { NetworkAclId: aclId, RuleNumber: 5, Protocol: '-1', RuleAction: 'maybe', Egress: false, CidrBlock: '0.0.0.0/0' }, ctx), 'InvalidParameterValue');
  refused(() => createNetworkAclEntry(e2.model, { NetworkAclId: 'acl-0123456789abcdef0', RuleNumber: 5, Protocol: '-1', RuleAction: 'deny', Egress: false, CidrBlock: '0.0.0.0/0' }, ctx), 'InvalidNetworkAclID.NotFound');
  refused(() => deleteNetworkAclEntry(e2.model, { NetworkAclId: aclId, RuleNumber: 100, Egress: true }, ctx), 'InvalidNetworkAclEntry.NotFound');
  const d = apply(e2.model, deleteNetworkAclEntry(e2.model, { NetworkAclId: aclId, RuleNumber: 90, Egress: false }, ctx));
  assert.deepEqual(brief(d.changes), ['update network-acl (entries changed)']);

  // The subnet's association with the default ACL moves to the new one, under a new id, and back.
  const defaultAcl = d.model.vpcs[0]!.networkAcls.find((a) => a.isDefault)!;
  const moved = apply(d.model, replaceNetworkAclAssociation(d.model, { AssociationId: aclAssociationId(defaultAcl.id, small), NetworkAclId: aclId }, ctx));
  assert.equal(moved.result.newAssociationId, aclAssociationId(aclId, small));
  assert.equal(moved.model.vpcs[0]!.subnets.find((s) => s.id === small)!.networkAclId, aclId);
  refused(() => replaceNetworkAclAssociation(moved.model, { AssociationId: aclAssociationId(defaultAcl.id, small), NetworkAclId: aclId }, ctx), 'InvalidAssociationID.NotFound');
  refused(() => deleteNetworkAcl(moved.model, { NetworkAclId: aclId }, ctx), 'DependencyViolation');
  refused(() => deleteNetworkAcl(moved.model, { NetworkAclId: defaultAcl.id }, ctx), 'CannotDelete');
  const back = apply(moved.model, replaceNetworkAclAssociation(moved.model, { AssociationId: moved.result.newAssociationId, NetworkAclId: defaultAcl.id }, ctx));
  assert.equal(back.model.vpcs[0]!.subnets.find((s) => s.id === small)!.networkAclId, defaultAcl.id);
  const gone = apply(back.model, deleteNetworkAcl(back.model, { NetworkAclId: aclId }, ctx));
  assert.deepEqual(brief(gone.changes), ['delete network-acl']);
});

test('DeleteVpc needs the VPC empty but for its default group and ACL', () => {
  const { model, vpcId, small, big, ctx } = base();
  refused(() => deleteVpc(model, { VpcId: vpcId }, ctx), 'DependencyViolation', /has dependencies/);
  const a = apply(model, deleteSubnet(model, { SubnetId: small }, ctx));
  const b = apply(a.model, deleteSubnet(a.model, { SubnetId: big }, ctx));
  const c = apply(b.model, deleteVpc(b.model, { VpcId: vpcId }, ctx));
  assert.deepEqual(c.model.vpcs, []);
  assert.deepEqual(brief(c.changes).sort(), ['delete network-acl', 'delete security-group', 'delete vpc']);
});

test('tags: create, overwrite, delete by key or by key and value, on network resources and flow logs', () => {
  const { model, vpcId, small, ctx } = base();
  const flowLog = { flowLogId: 'fl-0123456789abcdef0', accountId: ACCOUNT, tags: [{ Key: 'team', Value: 'net' }] } as unknown as FlowLog;
  const t1 = createTags(model, [flowLog], { Resources: [vpcId, small, flowLog.flowLogId], Tags: [{ Key: 'Name', Value: 'x' }, { Key: 'env' }] }, ctx);
  assert.deepEqual(t1.flowLogs.map((f) => f.tags), [[{ Key: 'team', Value: 'net' }, { Key: 'Name', Value: 'x' }, { Key: 'env', Value: '' }]]);
  const a = apply(model, { doc: t1.doc!, result: t1.result });
  // Name existed on the VPC: its value is replaced, not added twice.
  assert.deepEqual(a.model.vpcs[0]!.tags, [{ Key: 'Name', Value: 'x' }, { Key: 'env', Value: '' }]);
  assert.deepEqual(brief(a.changes), ['update vpc (tags changed)', 'update subnet (tags changed)']);
  const logs = [t1.flowLogs[0]!];
  assert.deepEqual(describeTags(a.model, logs, { Filters: [{ Name: 'key', Values: ['env'] }] }).map((t) => [t.ResourceType, t.ResourceId]), [['vpc', vpcId], ['subnet', small], ['vpc-flow-log', flowLog.flowLogId]]);
  assert.deepEqual(describeTags(a.model, logs, { Filters: [{ Name: 'resource-type', Values: ['vpc-flow-log'] }, { Name: 'value', Values: ['n?t'] }] }).map((t) => t.Key), ['team']);
  refused(() => describeTags(a.model, logs, { Filters: [{ Name: 'colour', Values: ['x'] }] }), 'InvalidParameterValue', /colour/);

  // A value given must match; a key alone deletes whatever the value.
  const d = deleteTags(a.model, logs, { Resources: [vpcId, flowLog.flowLogId], Tags: [{ Key: 'Name', Value: 'other' }, { Key: 'env' }, { Key: 'team', Value: 'net' }] }, ctx);
  const b = apply(a.model, { doc: d.doc!, result: d.result });
  assert.deepEqual(b.model.vpcs[0]!.tags, [{ Key: 'Name', Value: 'x' }]);
  assert.deepEqual(d.flowLogs[0]!.tags, [{ Key: 'Name', Value: 'x' }]);
  const all = deleteTags(b.model, [], { Resources: [vpcId] }, ctx);
  assert.deepEqual(apply(b.model, { doc: all.doc!, result: all.result }).model.vpcs[0]!.tags, []);
  // Flow logs only: the network document is not touched.
  assert.equal(createTags(model, [flowLog], { Resources: [flowLog.flowLogId], Tags: [{ Key: 'k', Value: 'v' }] }, ctx).doc, undefined);

  refused(() => createTags(model, [], { Resources: ['nonsense'], Tags: [{ Key: 'k' }] }, ctx), 'InvalidID');
  refused(() => createTags(model, [], { Resources: [vpcId, 'subnet-0123456789abcdef0'], Tags: [{ Key: 'k' }] }, ctx), 'InvalidSubnetID.NotFound');
  refused(() => createTags(model, [], { Resources: ['fl-0123456789abcdef1'], Tags: [{ Key: 'k' }] }, ctx), 'InvalidFlowLogId.NotFound');
  refused(() => createTags(model, [], { Resources: [vpcId], Tags: [{ Key: 'aws:reserved', Value: 'x' }] }, ctx), 'InvalidParameterValue');
  refused(() => createTags(undefined, [], { Resources: [vpcId], Tags: [{ Key: 'k' }] }, ctx), 'InvalidVpcID.NotFound');
});
