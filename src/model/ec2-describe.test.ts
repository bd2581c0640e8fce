// Describe* over the example network: ids, EC2 filters (AND across filters, OR within one,
// wildcards, tag:KEY and tag-key), and refusals of unknown ids and filter names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { compileNetwork } from './apply.ts';
import { ApiError } from './errors.ts';
import { aclAssociationId } from './ec2-derived.ts';
import { describeInstances, describeNetworkAcls, describeNetworkInterfaces, describeSecurityGroups, describeSubnets, describeVpcs } from './ec2-describe.ts';
import { sequentialIdGenerator } from './ids.ts';

const model = compileNetwork(parseYaml(readFileSync(join(import.meta.dirname, '..', '..', 'examples/network.yaml'), 'utf8')), undefined, sequentialIdGenerator());
const VPC = 'vpc-0a1b2c3d4e5f60718';
const SUBNET_A = 'subnet-0a1b2c3d4e5f60718';
const SUBNET_B = 'subnet-0f1e2d3c4b5a69788';

const f = (Name: string, ...Values: string[]) => ({ Name, Values });
const ids = (items: readonly { id: string }[]) => items.map((i) => i.id);

function refused(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof ApiError && e.code === code);
}

test('VPCs and subnets by id and by filter', () => {
  assert.deepEqual(ids(describeVpcs(model, {})), [VPC]);
  assert.deepEqual(ids(describeVpcs(model, { Filters: [f('tag:Name', 'ma*')] })), [VPC]);
  assert.deepEqual(ids(describeVpcs(model, { Filters: [f('tag:Name', 'other')] })), []);
  assert.deepEqual(ids(describeVpcs(model, { Filters: [f('ipv6-cidr-block-association.ipv6-cidr-block', '2600:1f18:abcd:1200::/56'), f('state', 'available')] })), [VPC]);
  assert.deepEqual(ids(describeVpcs(undefined, {})), []);
  refused(() => describeVpcs(model, { VpcIds: ['vpc-0123456789abcdef0'] }), 'InvalidVpcID.NotFound');
  refused(() => describeVpcs(undefined, { Filters: [f('colour', 'blue')] }), 'InvalidParameterValue');

  assert.deepEqual(ids(describeSubnets(model, { Filters: [f('vpc-id', VPC)] })), [SUBNET_A, SUBNET_B]);
  assert.deepEqual(ids(describeSubnets(model, { Filters: [f('availability-zone', 'us-east-1b')] })), [SUBNET_B]);
  assert.deepEqual(ids(describeSubnets(model, { Filters: [f('cidr-block', '10.0.1.0/24', '10.0.2.0/24'), f('availability-zone-id', 'use1-az1')] })), [SUBNET_A]);
  // /24 = 256 addresses, 5 reserved; each subnet has two IPv4 addresses in use (A: a primary and a secondary; B: two primaries).
  assert.deepEqual(ids(describeSubnets(model, { Filters: [f('available-ip-address-count', '249')] })), [SUBNET_A, SUBNET_B]);
  assert.deepEqual(ids(describeSubnets(model, { Filters: [f('available-ip-address-count', '250', '251')] })), []);
  assert.deepEqual(ids(describeSubnets(model, { SubnetIds: [SUBNET_B] })), [SUBNET_B]);
  refused(() => describeSubnets(model, { SubnetIds: [SUBNET_A, 'subnet-0123456789abcdef0'] }), 'InvalidSubnetID.NotFound');
});

test('interfaces and instances by address, group, attachment and state', () => {
  assert.deepEqual(ids(describeNetworkInterfaces(model, { Filters: [f('private-ip-address', '10.0.1.11')] })), ['eni-0a1b2c3d4e5f60718']);
  assert.deepEqual(ids(describeNetworkInterfaces(model, { Filters: [f('group-name', 'db')] })), ['eni-0c1d2e3f4a5b6c7d8']);
  assert.deepEqual(ids(describeNetworkInterfaces(model, { Filters: [f('attachment.instance-id', 'i-0f1e2d3c4b5a69788')] })), ['eni-0f1e2d3c4b5a69788']);
  assert.deepEqual(describeNetworkInterfaces(model, { Filters: [f('status', 'available')] }), []);
  assert.deepEqual(ids(describeInstances(model, { Filters: [f('subnet-id', SUBNET_B), f('instance-state-name', 'running')] })), ['i-0f1e2d3c4b5a69788', 'i-0c1d2e3f4a5b6c7d8']);
  assert.deepEqual(ids(describeInstances(model, { Filters: [f('network-interface.addresses.private-ip-address', '10.0.2.3?')] })), ['i-0c1d2e3f4a5b6c7d8']);
  assert.deepEqual(ids(describeInstances(model, { Filters: [f('instance.group-id', 'sg-0a1b2c3d4e5f60718')] })), ['i-0a1b2c3d4e5f60718']);
  refused(() => describeInstances(model, { InstanceIds: ['i-bogus'] }), 'InvalidInstanceID.Malformed');
});

test('security groups by rule contents, network ACLs by association', () => {
  assert.deepEqual(describeSecurityGroups(model, { Filters: [f('ip-permission.group-id', 'sg-0f1e2d3c4b5a69788')] }).map((g) => g.name), ['web']);
  assert.deepEqual(describeSecurityGroups(model, { Filters: [f('ip-permission.protocol', 'icmp'), f('ip-permission.ipv6-cidr', '::/0')] }).map((g) => g.name), ['web']);
  assert.deepEqual(describeSecurityGroups(model, { GroupNames: ['db'] }).map((g) => g.id), ['sg-0f1e2d3c4b5a69788']);
  assert.deepEqual(describeSecurityGroups(model, { Filters: [f('group-name', 'default')] }).map((g) => g.isDefault), [true]);
  refused(() => describeSecurityGroups(model, { GroupIds: ['sg-0123456789abcdef0'] }), 'InvalidGroup.NotFound');

  assert.deepEqual(ids(describeNetworkAcls(model, { Filters: [f('association.subnet-id', SUBNET_A)] })), ['acl-0a1b2c3d4e5f60718']);
  assert.deepEqual(ids(describeNetworkAcls(model, { Filters: [f('association.association-id', aclAssociationId('acl-0a1b2c3d4e5f60718', SUBNET_A))] })), ['acl-0a1b2c3d4e5f60718']);
  assert.deepEqual(describeNetworkAcls(model, { Filters: [f('default', 'true')] }).map((a) => a.subnetIds), [[SUBNET_B]]);
  assert.deepEqual(ids(describeNetworkAcls(model, { Filters: [f('entry.port-range.from', '22'), f('entry.rule-action', 'allow')] })), ['acl-0a1b2c3d4e5f60718']);
  refused(() => describeNetworkAcls(model, { Filters: [{ Name: 'vpc-id', Values: [] }] }), 'InvalidParameterValue');
});
