import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { compileNetwork } from './apply.ts';
import { ValidationError, type Problem } from './errors.ts';
import { sequentialIdGenerator } from './ids.ts';
import { isReservedAddress } from './validate.ts';

const repoRoot = join(import.meta.dirname, '..', '..');

/** A small valid document; tests change one thing at a time. */
function baseDoc(): any {
  return {
    account: '111122223333',
    region: 'us-east-1',
    vpcs: [
      {
        id: 'vpc-0a1b2c3d4e5f60718',
        cidr: '10.0.0.0/16',
        'ipv6-cidr': '2600:1f18:abcd:1200::/56',
        subnets: [
          { id: 'subnet-0a1b2c3d4e5f60718', cidr: '10.0.1.0/24', 'ipv6-cidr': '2600:1f18:abcd:1201::/64', 'availability-zone': 'us-east-1a' },
          { id: 'subnet-1a1b2c3d4e5f60718', name: 'db', cidr: '10.0.2.0/24', 'availability-zone': 'us-east-1b' },
        ],
        instances: [
          { id: 'i-0a1b2c3d4e5f60718', subnet: 'subnet-0a1b2c3d4e5f60718', interfaces: [{ id: 'eni-0a1b2c3d4e5f60718', 'private-ip': '10.0.1.10' }] },
        ],
        'security-groups': [{ id: 'sg-0a1b2c3d4e5f60718', name: 'web', ingress: [{ protocol: 'tcp', 'from-port': 80, 'to-port': 80, cidr: '0.0.0.0/0' }] }],
      },
    ],
  };
}

const compile = (doc: unknown) => compileNetwork(doc, undefined, sequentialIdGenerator());

function problemsOf(doc: unknown): Problem[] {
  try {
    compile(doc);
  } catch (e) {
    if (e instanceof ValidationError) return [...e.problems];
    throw e;
  }
  assert.fail('the document was accepted');
}

/** Asserts the document is refused with (at least) this problem. */
function assertProblem(doc: unknown, path: string, code: string, messagePart?: string | RegExp): void {
  const problems = problemsOf(doc);
  const hit = problems.find((p) => p.path === path && p.code === code);
  assert.ok(hit, `expected ${code} at ${path}; got:\n${problems.map((p) => `  ${p.path} ${p.code} ${p.message}`).join('\n')}`);
  if (typeof messagePart === 'string') assert.ok(hit.message.includes(messagePart), hit.message);
  else if (messagePart) assert.match(hit.message, messagePart);
}

test('examples/network.yaml validates and keeps the ids it declares', () => {
  const text = readFileSync(join(repoRoot, 'examples', 'network.yaml'), 'utf8');
  const model = compile(parseYaml(text));
  assert.equal(model.account, '111122223333');
  const vpc = model.vpcs[0]!;
  assert.equal(vpc.id, 'vpc-0a1b2c3d4e5f60718');
  assert.deepEqual(vpc.tags, [{ Key: 'Name', Value: 'main' }]);
  assert.equal(vpc.subnets[0]!.id, 'subnet-0a1b2c3d4e5f60718');
  const eni = vpc.networkInterfaces[0]!;
  assert.equal(eni.id, 'eni-0a1b2c3d4e5f60718');
  assert.equal(eni.instanceId, 'i-0a1b2c3d4e5f60718');
  assert.deepEqual(eni.ipv6, ['2600:1f18:abcd:1201::10']);
  const web = vpc.securityGroups.find((g) => g.name === 'web')!;
  assert.equal(web.ingress[1]!.groupId, 'sg-0f1e2d3c4b5a69788');
  assert.equal(vpc.subnets[0]!.networkAclId, 'acl-0a1b2c3d4e5f60718');
});

test('a valid document becomes a normalized model with defaults materialized', () => {
  const model = compile(baseDoc());
  assert.equal(model.region, 'us-east-1');
  const vpc = model.vpcs[0]!;
  assert.deepEqual(vpc.cidrs, ['10.0.0.0/16']);
  assert.deepEqual(vpc.ipv6Cidrs, ['2600:1f18:abcd:1200::/56']);
  const [a, b] = vpc.subnets;
  assert.equal(a!.azId, 'use1-az1');
  assert.equal(b!.azId, 'use1-az2');
  assert.equal(b!.name, 'db');
  // Default security group: first, named default, self-referencing ingress, allow-all egress (IPv6 too).
  const def = vpc.securityGroups[0]!;
  assert.equal(def.isDefault, true);
  assert.equal(def.name, 'default');
  assert.match(def.id, /^sg-[0-9a-f]{17}$/);
  assert.deepEqual(def.ingress.map((r) => [r.protocol, r.groupId]), [[-1, def.id]]);
  assert.deepEqual(def.egress.map((r) => r.cidr ?? r.ipv6Cidr), ['0.0.0.0/0', '::/0']);
  // A declared group without egress gets AWS's allow-all egress, and only its declared ingress.
  const web = vpc.securityGroups[1]!;
  assert.equal(web.isDefault, false);
  assert.deepEqual(web.ingress, [{ protocol: 6, fromPort: 80, toPort: 80, cidr: '0.0.0.0/0', ipv6Cidr: null, groupId: null, description: null }]);
  assert.equal(web.egress.length, 2);
  // Default network ACL: allows all both ways (IPv4 rule 100, IPv6 rule 101), then the * denies (32767).
  const acl = vpc.networkAcls[0]!;
  assert.equal(acl.isDefault, true);
  assert.deepEqual(acl.subnetIds, ['subnet-0a1b2c3d4e5f60718', 'subnet-1a1b2c3d4e5f60718']);
  assert.deepEqual(
    acl.entries.map((e) => `${e.egress ? 'out' : 'in'} ${e.ruleNumber} ${e.ruleAction} ${e.cidr ?? e.ipv6Cidr}`),
    ['in 100 allow 0.0.0.0/0', 'in 101 allow ::/0', 'in 32767 deny 0.0.0.0/0', 'in 32767 deny ::/0',
      'out 100 allow 0.0.0.0/0', 'out 101 allow ::/0', 'out 32767 deny 0.0.0.0/0', 'out 32767 deny ::/0'],
  );
  assert.equal(vpc.subnets[0]!.networkAclId, acl.id);
  // The interface: its VPC, subnet, AZ, instance and the default group.
  const eni = vpc.networkInterfaces[0]!;
  assert.deepEqual(
    { vpcId: eni.vpcId, subnetId: eni.subnetId, instanceId: eni.instanceId, deviceIndex: eni.deviceIndex, az: eni.availabilityZone, azId: eni.azId, groups: eni.securityGroupIds },
    { vpcId: 'vpc-0a1b2c3d4e5f60718', subnetId: 'subnet-0a1b2c3d4e5f60718', instanceId: 'i-0a1b2c3d4e5f60718', deviceIndex: 0, az: 'us-east-1a', azId: 'use1-az1', groups: [def.id] },
  );
  assert.deepEqual(vpc.instances[0]!.interfaceIds, ['eni-0a1b2c3d4e5f60718']);
});

test('the model survives a JSON round trip unchanged', () => {
  const model = compile(baseDoc());
  assert.deepEqual(JSON.parse(JSON.stringify(model)), model);
});

test('PascalCase AWS names are accepted as aliases of the kebab-case keys', () => {
  const doc = {
    AccountId: '111122223333',
    Region: 'us-east-1',
    Vpcs: [{ VpcId: 'vpc-12345678', CidrBlock: '10.1.0.0/16', Subnets: [{ SubnetId: 'subnet-12345678', CidrBlock: '10.1.0.0/24', AvailabilityZone: 'us-east-1c' }] }],
  };
  const model = compile(doc);
  assert.equal(model.vpcs[0]!.subnets[0]!.azId, 'use1-az3');
  assert.equal(model.vpcs[0]!.id, 'vpc-12345678');
});

test('addresses, CIDRs and references are written in canonical form; subnets can be named by id, name or CIDR', () => {
  const doc = baseDoc();
  doc.vpcs[0].instances[0].interfaces[0].ipv6 = ['2600:1F18:ABCD:1201:0:0:0:10'];
  doc.vpcs[0]['network-interfaces'] = [{ subnet: 'db', 'private-ip': '10.0.2.20' }, { subnet: '10.0.2.0/24', 'private-ip': '10.0.2.21' }];
  const vpc = compile(doc).vpcs[0]!;
  assert.deepEqual(vpc.networkInterfaces[0]!.ipv6, ['2600:1f18:abcd:1201::10']);
  assert.equal(vpc.networkInterfaces[1]!.subnetId, 'subnet-1a1b2c3d4e5f60718');
  assert.equal(vpc.networkInterfaces[2]!.subnetId, 'subnet-1a1b2c3d4e5f60718');
  assert.equal(vpc.networkInterfaces[1]!.instanceId, null);
  assert.equal(vpc.networkInterfaces[1]!.deviceIndex, null);
});

test('root: account must be 12 digits (quoted), region must look like a region, unknown keys are refused', () => {
  assertProblem({ ...baseDoc(), account: '1234' }, 'account', 'InvalidParameterValue', '12-digit');
  assertProblem({ ...baseDoc(), account: 111122223333 }, 'account', 'InvalidParameterValue', 'quote it');
  assertProblem({ ...baseDoc(), account: undefined }, 'account', 'MissingParameter');
  assertProblem({ ...baseDoc(), region: 'moon-base-1' }, 'region', 'InvalidParameterValue');
  assertProblem({ ...baseDoc(), regoin: 'us-east-1' }, 'regoin', 'UnknownParameter', 'region');
  assertProblem([], '', 'InvalidParameterValue', 'mapping');
});

test('unknown keys deep in the document are refused with their path', () => {
  const doc = baseDoc();
  doc.vpcs[0].subnets[1].cidr_block = '10.0.9.0/24';
  doc.vpcs[0].instances[0].interfaces[0]['private_ip'] = '10.0.1.11';
  doc.vpcs[0]['security-groups'][0].ingress[0].port = 80;
  const problems = problemsOf(doc);
  assert.deepEqual(
    problems.filter((p) => p.code === 'UnknownParameter').map((p) => p.path),
    ['vpcs[0].subnets[1].cidr_block', 'vpcs[0].instances[0].interfaces[0].private_ip', 'vpcs[0].security-groups[0].ingress[0].port'],
  );
});

test('a key given twice (kebab-case and PascalCase) is refused', () => {
  const doc = baseDoc();
  doc.vpcs[0].CidrBlock = '10.0.0.0/16';
  assertProblem(doc, 'vpcs[0].CidrBlock', 'InvalidParameterValue', 'repeats');
});

test('every problem of a document is reported, not only the first', () => {
  const doc = baseDoc();
  doc.account = 'x';
  doc.vpcs[0].subnets[1].cidr = '10.9.0.0/24';
  doc.vpcs[0].instances[0].interfaces[0]['private-ip'] = '10.0.1.1';
  doc.vpcs[0]['security-groups'][0].ingress[0].protocol = 'tcpp';
  const codes = problemsOf(doc).map((p) => `${p.path} ${p.code}`);
  assert.deepEqual(codes.sort(), [
    'account InvalidParameterValue',
    'vpcs[0].instances[0].interfaces[0].private-ip InvalidParameterValue',
    'vpcs[0].security-groups[0].ingress[0].protocol InvalidParameterValue',
    'vpcs[0].subnets[1].cidr InvalidSubnet.Range',
  ].sort());
});

test('ids: wrong prefix or length gives the resource kind\'s Malformed code; duplicates are refused', () => {
  const doc = baseDoc();
  doc.vpcs[0].id = 'vpc-0A1B2C3D4E5F60718';
  doc.vpcs[0].subnets[0].id = 'sub-0a1b2c3d4e5f60718';
  doc.vpcs[0].instances[0].id = 'i-0a1b2c3';
  doc.vpcs[0].instances[0].interfaces[0].id = 'eni-zzzzzzzz';
  doc.vpcs[0]['security-groups'][0].id = 'sg-0a1b2c3d4e5f607189';
  doc.vpcs[0]['network-acls'] = [{ id: 'acl-1' }];
  const problems = problemsOf(doc);
  const at = (path: string) => problems.find((p) => p.path === path)?.code;
  assert.equal(at('vpcs[0].id'), 'InvalidVpcID.Malformed');
  assert.equal(at('vpcs[0].subnets[0].id'), 'InvalidSubnetID.Malformed');
  assert.equal(at('vpcs[0].instances[0].id'), 'InvalidInstanceID.Malformed');
  assert.equal(at('vpcs[0].instances[0].interfaces[0].id'), 'InvalidNetworkInterfaceId.Malformed');
  assert.equal(at('vpcs[0].security-groups[0].id'), 'InvalidGroupId.Malformed');
  assert.equal(at('vpcs[0].network-acls[0].id'), 'InvalidNetworkAclId.Malformed');

  const dup = baseDoc();
  dup.vpcs[0].subnets[1].id = 'subnet-0a1b2c3d4e5f60718';
  assertProblem(dup, 'vpcs[0].subnets[1].id', 'DuplicateResourceId', 'vpcs[0].subnets[0]');
});

test('VPC IPv4 blocks: /16 to /28, not reserved ranges, no overlap between a VPC\'s blocks, at most 5', () => {
  assertProblem({ ...baseDoc(), vpcs: [{ cidr: '10.0.0.0/8' }] }, 'vpcs[0].cidr', 'InvalidVpc.Range', '/16 and /28');
  assertProblem({ ...baseDoc(), vpcs: [{ cidr: '10.0.0.0/29' }] }, 'vpcs[0].cidr', 'InvalidVpc.Range');
  assertProblem({ ...baseDoc(), vpcs: [{ cidr: '127.0.0.0/16' }] }, 'vpcs[0].cidr', 'InvalidVpc.Range', 'reserved');
  assertProblem({ ...baseDoc(), vpcs: [{ cidr: '10.0.0.1/16' }] }, 'vpcs[0].cidr', 'InvalidParameterValue', 'host bits');
  assertProblem({ ...baseDoc(), vpcs: [{ cidr: '2001:db8::/56' }] }, 'vpcs[0].cidr', 'InvalidParameterValue', 'IPv6');
  assertProblem({ ...baseDoc(), vpcs: [{ name: 'x' }] }, 'vpcs[0].cidr', 'MissingParameter');
  assertProblem({ ...baseDoc(), vpcs: [{ cidr: '10.0.0.0/16', cidrs: ['10.0.128.0/20'] }] }, 'vpcs[0].cidrs[0]', 'InvalidVpc.Range', 'conflicts');
  const many = { ...baseDoc(), vpcs: [{ cidr: '10.0.0.0/16', cidrs: ['10.1.0.0/16', '10.2.0.0/16', '10.3.0.0/16', '10.4.0.0/16', '10.5.0.0/16'] }] };
  assertProblem(many, 'vpcs[0].cidrs[4]', 'CidrLimitExceeded');
  // Secondary blocks hold subnets too.
  const model = compile({ ...baseDoc(), vpcs: [{ cidr: '10.0.0.0/16', cidrs: ['100.64.0.0/16'], subnets: [{ cidr: '100.64.1.0/24' }] }] });
  assert.deepEqual(model.vpcs[0]!.cidrs, ['10.0.0.0/16', '100.64.0.0/16']);
});

test('VPC IPv6 blocks: /44 to /60 in steps of 4', () => {
  assertProblem({ ...baseDoc(), vpcs: [{ cidr: '10.0.0.0/16', 'ipv6-cidr': '2600:1f18:abcd:1200::/64' }] }, 'vpcs[0].ipv6-cidr', 'InvalidVpc.Range', '/44 to /60');
  assertProblem({ ...baseDoc(), vpcs: [{ cidr: '10.0.0.0/16', 'ipv6-cidr': '2600:1f18:abcd:1200::/58' }] }, 'vpcs[0].ipv6-cidr', 'InvalidVpc.Range');
  assert.equal(compile({ ...baseDoc(), vpcs: [{ cidr: '10.0.0.0/16', 'ipv6-cidrs': ['2600:1f18:abc0::/44'] }] }).vpcs[0]!.ipv6Cidrs[0], '2600:1f18:abc0::/44');
});

test('subnets: /16 to /28, inside the VPC, no overlap (InvalidSubnet.Range / InvalidSubnet.Conflict)', () => {
  const outside = baseDoc();
  outside.vpcs[0].subnets[1].cidr = '10.1.2.0/24';
  assertProblem(outside, 'vpcs[0].subnets[1].cidr', 'InvalidSubnet.Range', 'not inside');
  const tooSmall = baseDoc();
  tooSmall.vpcs[0].subnets[1].cidr = '10.0.2.0/29';
  assertProblem(tooSmall, 'vpcs[0].subnets[1].cidr', 'InvalidSubnet.Range', '/16 and /28');
  const overlap = baseDoc();
  overlap.vpcs[0].subnets[1].cidr = '10.0.0.0/23';
  assertProblem(overlap, 'vpcs[0].subnets[1].cidr', 'InvalidSubnet.Conflict', 'vpcs[0].subnets[0]');
  const missing = baseDoc();
  delete missing.vpcs[0].subnets[1].cidr;
  assertProblem(missing, 'vpcs[0].subnets[1].cidr', 'MissingParameter');
});

test('subnet IPv6 blocks: need a VPC IPv6 block, lie inside it, /44 to /64, no overlap', () => {
  const noVpcBlock = baseDoc();
  delete noVpcBlock.vpcs[0]['ipv6-cidr'];
  assertProblem(noVpcBlock, 'vpcs[0].subnets[0].ipv6-cidr', 'InvalidSubnet.Range', 'no IPv6');
  const outside = baseDoc();
  outside.vpcs[0].subnets[0]['ipv6-cidr'] = '2600:1f18:abcd:1300::/64';
  assertProblem(outside, 'vpcs[0].subnets[0].ipv6-cidr', 'InvalidSubnet.Range', 'not inside');
  const size = baseDoc();
  size.vpcs[0].subnets[0]['ipv6-cidr'] = '2600:1f18:abcd:1201::/80';
  assertProblem(size, 'vpcs[0].subnets[0].ipv6-cidr', 'InvalidSubnet.Range', '/64');
  const clash = baseDoc();
  clash.vpcs[0].subnets[1]['ipv6-cidr'] = '2600:1f18:abcd:1201::/64';
  assertProblem(clash, 'vpcs[0].subnets[1].ipv6-cidr', 'InvalidSubnet.Conflict');
});

test('availability zones must belong to the region; az ids are computed or checked', () => {
  const wrong = baseDoc();
  wrong.vpcs[0].subnets[0]['availability-zone'] = 'us-west-2a';
  assertProblem(wrong, 'vpcs[0].subnets[0].availability-zone', 'InvalidParameterValue', 'us-east-1a');
  const badId = baseDoc();
  badId.vpcs[0].subnets[0]['availability-zone-id'] = 'usw2-az1';
  assertProblem(badId, 'vpcs[0].subnets[0].availability-zone-id', 'InvalidParameterValue');
  const explicit = baseDoc();
  explicit.vpcs[0].subnets[0]['availability-zone-id'] = 'use1-az6';
  assert.equal(compile(explicit).vpcs[0]!.subnets[0]!.azId, 'use1-az6');
  const defaulted = baseDoc();
  delete defaulted.vpcs[0].subnets[1]['availability-zone'];
  assert.equal(compile(defaulted).vpcs[0]!.subnets[1]!.availabilityZone, 'us-east-1a');
});

test('AWS reserves the first four and the last address of every subnet', () => {
  for (const [addr, reserved] of [['10.0.1.0', true], ['10.0.1.1', true], ['10.0.1.2', true], ['10.0.1.3', true], ['10.0.1.4', false], ['10.0.1.254', false], ['10.0.1.255', true]] as const) {
    assert.equal(isReservedAddress('10.0.1.0/24', addr), reserved, addr);
  }
  for (const ip of ['10.0.1.0', '10.0.1.1', '10.0.1.2', '10.0.1.3', '10.0.1.255']) {
    const doc = baseDoc();
    doc.vpcs[0].instances[0].interfaces[0]['private-ip'] = ip;
    assertProblem(doc, 'vpcs[0].instances[0].interfaces[0].private-ip', 'InvalidParameterValue', 'reserved');
  }
  const v6 = baseDoc();
  v6.vpcs[0].instances[0].interfaces[0].ipv6 = ['2600:1f18:abcd:1201::3'];
  assertProblem(v6, 'vpcs[0].instances[0].interfaces[0].ipv6[0]', 'InvalidParameterValue', 'reserved');
});

test('interface addresses: inside their subnet, IPv4 primary, IPv6 only with a subnet IPv6 block', () => {
  const outside = baseDoc();
  outside.vpcs[0].instances[0].interfaces[0]['private-ip'] = '10.0.2.10';
  assertProblem(outside, 'vpcs[0].instances[0].interfaces[0].private-ip', 'InvalidParameterValue', 'does not fall within');
  const secondary = baseDoc();
  secondary.vpcs[0].instances[0].interfaces[0]['secondary-ips'] = ['10.0.1.11', '10.0.3.3'];
  assertProblem(secondary, 'vpcs[0].instances[0].interfaces[0].secondary-ips[1]', 'InvalidParameterValue', 'does not fall within');
  const notIp = baseDoc();
  notIp.vpcs[0].instances[0].interfaces[0]['private-ip'] = '10.0.1.300';
  assertProblem(notIp, 'vpcs[0].instances[0].interfaces[0].private-ip', 'InvalidParameterValue');
  const v6primary = baseDoc();
  v6primary.vpcs[0].instances[0].interfaces[0]['private-ip'] = '2600:1f18:abcd:1201::10';
  assertProblem(v6primary, 'vpcs[0].instances[0].interfaces[0].private-ip', 'InvalidParameterValue', 'not an IPv4');
  const noV6 = baseDoc();
  noV6.vpcs[0]['network-interfaces'] = [{ subnet: 'db', 'private-ip': '10.0.2.10', ipv6: ['2600:1f18:abcd:1202::10'] }];
  assertProblem(noV6, 'vpcs[0].network-interfaces[0].ipv6[0]', 'InvalidParameterValue', 'no IPv6');
  const missing = baseDoc();
  delete missing.vpcs[0].instances[0].interfaces[0]['private-ip'];
  assertProblem(missing, 'vpcs[0].instances[0].interfaces[0].private-ip', 'MissingParameter');
});

test('an address may be used once in the whole document (InvalidIPAddress.InUse)', () => {
  const doc = baseDoc();
  doc.vpcs[0]['network-interfaces'] = [{ subnet: 'subnet-0a1b2c3d4e5f60718', 'private-ip': '10.0.1.20', 'secondary-ips': ['10.0.1.10'] }];
  assertProblem(doc, 'vpcs[0].network-interfaces[0].secondary-ips[0]', 'InvalidIPAddress.InUse', 'vpcs[0].instances[0].interfaces[0].private-ip');
});

test('references: instance and interface subnets, unattached interfaces need a subnet', () => {
  const unknown = baseDoc();
  unknown.vpcs[0].instances[0].subnet = 'subnet-99999999';
  assertProblem(unknown, 'vpcs[0].instances[0].subnet', 'InvalidSubnetID.NotFound', 'vpc-0a1b2c3d4e5f60718');
  const noSubnet = baseDoc();
  delete noSubnet.vpcs[0].instances[0].subnet;
  assertProblem(noSubnet, 'vpcs[0].instances[0].subnet', 'MissingParameter');
  const standalone = baseDoc();
  standalone.vpcs[0]['network-interfaces'] = [{ 'private-ip': '10.0.1.20' }];
  assertProblem(standalone, 'vpcs[0].network-interfaces[0].subnet', 'MissingParameter');
  const noInterfaces = baseDoc();
  noInterfaces.vpcs[0].instances[0].interfaces = [];
  assertProblem(noInterfaces, 'vpcs[0].instances[0].interfaces', 'MissingParameter');
});

test('a subnet of another VPC is not found, and the message says where it lives', () => {
  const doc = baseDoc();
  doc.vpcs.push({ cidr: '10.1.0.0/16', subnets: [{ id: 'subnet-22222222', cidr: '10.1.1.0/24' }] });
  doc.vpcs[0].instances[0].subnet = 'subnet-22222222';
  doc.vpcs[0].instances[0].interfaces[0]['private-ip'] = '10.1.1.10';
  assertProblem(doc, 'vpcs[0].instances[0].subnet', 'InvalidSubnetID.NotFound', 'belongs to');
});

test('an instance\'s interfaces share its AZ; its primary interface is in its subnet; interfaces default to its subnet', () => {
  const otherAz = baseDoc();
  otherAz.vpcs[0].instances[0].interfaces.push({ subnet: 'db', 'private-ip': '10.0.2.10' });
  assertProblem(otherAz, 'vpcs[0].instances[0].interfaces[1].subnet', 'InvalidParameterCombination', 'Availability Zone');
  const primary = baseDoc();
  primary.vpcs[0].instances[0].interfaces[0].subnet = 'db';
  primary.vpcs[0].instances[0].interfaces[0]['private-ip'] = '10.0.2.10';
  assertProblem(primary, 'vpcs[0].instances[0].interfaces[0].subnet', 'InvalidParameterCombination', 'primary');
  const sameAz = baseDoc();
  sameAz.vpcs[0].subnets[1]['availability-zone'] = 'us-east-1a';
  sameAz.vpcs[0].instances[0].interfaces.push({ subnet: 'db', 'private-ip': '10.0.2.10' }, { 'private-ip': '10.0.1.12' });
  const vpc = compile(sameAz).vpcs[0]!;
  assert.deepEqual(vpc.networkInterfaces.map((n) => [n.subnetId, n.deviceIndex]), [
    ['subnet-0a1b2c3d4e5f60718', 0], ['subnet-1a1b2c3d4e5f60718', 1], ['subnet-0a1b2c3d4e5f60718', 2],
  ]);
  // Without an instance-level subnet, the primary interface's subnet is the instance's.
  const fromEni = baseDoc();
  delete fromEni.vpcs[0].instances[0].subnet;
  fromEni.vpcs[0].instances[0].interfaces[0].subnet = 'subnet-0a1b2c3d4e5f60718';
  assert.equal(compile(fromEni).vpcs[0]!.instances[0]!.subnetId, 'subnet-0a1b2c3d4e5f60718');
});

test('security group references resolve within the VPC (InvalidGroup.NotFound), by id or name', () => {
  const doc = baseDoc();
  doc.vpcs[0].instances[0].interfaces[0]['security-groups'] = ['web', 'sg-0f0f0f0f'];
  assertProblem(doc, 'vpcs[0].instances[0].interfaces[0].security-groups[1]', 'InvalidGroup.NotFound', "'sg-0f0f0f0f'");
  const rule = baseDoc();
  rule.vpcs[0]['security-groups'][0].ingress.push({ protocol: 'tcp', 'from-port': 22, 'to-port': 22, 'source-group': 'admins' });
  assertProblem(rule, 'vpcs[0].security-groups[0].ingress[1].source-group', 'InvalidGroup.NotFound');
  const byName = baseDoc();
  byName.vpcs[0].instances[0].interfaces[0]['security-groups'] = ['web', 'default'];
  const model = compile(byName);
  const def = model.vpcs[0]!.securityGroups.find((g) => g.isDefault)!;
  assert.deepEqual(model.vpcs[0]!.networkInterfaces[0]!.securityGroupIds, ['sg-0a1b2c3d4e5f60718', def.id]);
  const other = baseDoc();
  other.vpcs.push({ cidr: '10.1.0.0/16', 'security-groups': [{ id: 'sg-33333333', name: 'elsewhere' }] });
  other.vpcs[0].instances[0].interfaces[0]['security-groups'] = ['sg-33333333'];
  assertProblem(other, 'vpcs[0].instances[0].interfaces[0].security-groups[0]', 'InvalidGroup.NotFound');
});

test('security groups: names unique per VPC, not sg-*, a name or id required, at most 5 per interface', () => {
  const dup = baseDoc();
  dup.vpcs[0]['security-groups'].push({ name: 'web' });
  assertProblem(dup, 'vpcs[0].security-groups[1].name', 'InvalidGroup.Duplicate');
  const sgName = baseDoc();
  sgName.vpcs[0]['security-groups'].push({ name: 'sg-web' });
  assertProblem(sgName, 'vpcs[0].security-groups[1].name', 'InvalidParameterValue', 'sg-*');
  const anon = baseDoc();
  anon.vpcs[0]['security-groups'].push({ description: 'x' });
  assertProblem(anon, 'vpcs[0].security-groups[1].name', 'MissingParameter');
  const many = baseDoc();
  for (const n of ['a', 'b', 'c', 'd', 'e']) many.vpcs[0]['security-groups'].push({ name: n });
  many.vpcs[0].instances[0].interfaces[0]['security-groups'] = ['web', 'a', 'b', 'c', 'd', 'e'];
  assertProblem(many, 'vpcs[0].instances[0].interfaces[0].security-groups[5]', 'SecurityGroupsPerInterfaceLimitExceeded');
});

test('a declared group named default is the default group and keeps AWS\'s default rules unless given', () => {
  const doc = baseDoc();
  doc.vpcs[0]['security-groups'].push({ name: 'default', tags: { Team: 'net' } });
  const groups = compile(doc).vpcs[0]!.securityGroups;
  assert.equal(groups.filter((g) => g.isDefault).length, 1);
  const def = groups[0]!;
  assert.deepEqual(def.tags, [{ Key: 'Team', Value: 'net' }]);
  assert.deepEqual(def.ingress.map((r) => r.groupId), [def.id]);
  const locked = baseDoc();
  locked.vpcs[0]['security-groups'].push({ name: 'default', ingress: [], egress: [] });
  const lockedDef = compile(locked).vpcs[0]!.securityGroups[0]!;
  assert.deepEqual([lockedDef.ingress, lockedDef.egress], [[], []]);
});

test('security group rules: protocols, port ranges, ICMP type/code, one peer, no duplicates', () => {
  const rule = (r: object) => {
    const doc = baseDoc();
    doc.vpcs[0]['security-groups'][0].ingress = [r];
    return doc;
  };
  const at = 'vpcs[0].security-groups[0].ingress[0]';
  assertProblem(rule({ protocol: 'tcpp', 'from-port': 1, 'to-port': 2, cidr: '0.0.0.0/0' }), `${at}.protocol`, 'InvalidParameterValue');
  assertProblem(rule({ protocol: '256', cidr: '0.0.0.0/0' }), `${at}.protocol`, 'InvalidParameterValue');
  assertProblem(rule({ 'from-port': 1, 'to-port': 2, cidr: '0.0.0.0/0' }), `${at}.protocol`, 'MissingParameter');
  assertProblem(rule({ protocol: 'tcp', 'from-port': 80, cidr: '0.0.0.0/0' }), `${at}.to-port`, 'MissingParameter');
  assertProblem(rule({ protocol: 'udp', 'from-port': 90, 'to-port': 80, cidr: '0.0.0.0/0' }), `${at}.from-port`, 'InvalidParameterValue', 'greater');
  assertProblem(rule({ protocol: 'tcp', 'from-port': 0, 'to-port': 65536, cidr: '0.0.0.0/0' }), `${at}.to-port`, 'InvalidParameterValue');
  assertProblem(rule({ protocol: 'icmp', 'from-port': -1, 'to-port': 3, cidr: '0.0.0.0/0' }), `${at}.to-port`, 'InvalidParameterValue', 'type');
  assertProblem(rule({ protocol: 'icmp', 'from-port': 256, 'to-port': 0, cidr: '0.0.0.0/0' }), `${at}.from-port`, 'InvalidParameterValue');
  assertProblem(rule({ protocol: 'tcp', 'from-port': 1, 'to-port': 2 }), at, 'MissingParameter', 'cidr');
  assertProblem(rule({ protocol: 'tcp', 'from-port': 1, 'to-port': 2, cidr: '0.0.0.0/0', 'ipv6-cidr': '::/0' }), `${at}.ipv6-cidr`, 'InvalidParameterCombination');
  assertProblem(rule({ protocol: 'tcp', 'from-port': 1, 'to-port': 2, cidr: '::/0' }), `${at}.cidr`, 'InvalidParameterValue', 'IPv6');
  assertProblem(rule({ protocol: 'tcp', 'from-port': 1, 'to-port': 2, cidr: '10.0.0.5/16' }), `${at}.cidr`, 'InvalidParameterValue', 'malformed');

  const dup = baseDoc();
  dup.vpcs[0]['security-groups'][0].ingress.push({ protocol: '6', 'from-port': '80', 'to-port': 80, cidr: '0.0.0.0/0', description: 'again' });
  assertProblem(dup, 'vpcs[0].security-groups[0].ingress[1]', 'InvalidPermission.Duplicate');

  const ok = baseDoc();
  ok.vpcs[0]['security-groups'][0].egress = [
    { protocol: 'all', 'from-port': 1, 'to-port': 2, cidr: '0.0.0.0/0' },
    { protocol: 'icmpv6', 'from-port': 128, 'to-port': 0, 'ipv6-cidr': '::/0' },
    { protocol: 'icmp', cidr: '10.0.0.0/8' },
    { protocol: 50, cidr: '10.0.0.0/8' },
  ];
  const egress = compile(ok).vpcs[0]!.securityGroups[1]!.egress;
  assert.deepEqual(egress.map((r) => [r.protocol, r.fromPort, r.toPort]), [[-1, null, null], [58, 128, 0], [1, -1, -1], [50, null, null]]);
});

test('a security group allows at most 60 rules per direction', () => {
  const doc = baseDoc();
  doc.vpcs[0]['security-groups'][0].ingress = Array.from({ length: 61 }, (_, i) => ({ protocol: 'tcp', 'from-port': i, 'to-port': i, cidr: '0.0.0.0/0' }));
  assertProblem(doc, 'vpcs[0].security-groups[0].ingress', 'RulesPerSecurityGroupLimitExceeded');
});

test('network ACLs: entries validated, rule numbers unique per direction, final * deny added', () => {
  const acl = (entries: object[], extra: object = {}) => {
    const doc = baseDoc();
    doc.vpcs[0]['network-acls'] = [{ id: 'acl-0a1b2c3d4e5f60718', subnets: ['subnet-0a1b2c3d4e5f60718'], entries, ...extra }];
    return doc;
  };
  const at = 'vpcs[0].network-acls[0].entries[0]';
  const e = { 'rule-number': 100, egress: false, protocol: '6', 'rule-action': 'allow', cidr: '0.0.0.0/0', 'from-port': 80, 'to-port': 80 };
  assertProblem(acl([{ ...e, 'rule-number': 0 }]), `${at}.rule-number`, 'InvalidParameterValue');
  assertProblem(acl([{ ...e, 'rule-number': 32767 }]), `${at}.rule-number`, 'InvalidParameterValue');
  assertProblem(acl([{ ...e, 'rule-action': 'Allow' }]), `${at}.rule-action`, 'InvalidParameterValue');
  assertProblem(acl([{ ...e, egress: undefined }]), `${at}.egress`, 'MissingParameter');
  assertProblem(acl([{ ...e, 'from-port': undefined }]), `${at}.from-port`, 'MissingParameter');
  assertProblem(acl([{ ...e, protocol: '1', 'from-port': undefined, 'to-port': undefined }]), `${at}.icmp-type`, 'MissingParameter');
  assertProblem(acl([{ ...e, protocol: '1' }]), `${at}.from-port`, 'InvalidParameterCombination');
  assertProblem(acl([{ ...e, 'icmp-type': 8 }]), `${at}.icmp-type`, 'InvalidParameterCombination');
  assertProblem(acl([{ ...e, 'ipv6-cidr': '::/0' }]), `${at}.ipv6-cidr`, 'InvalidParameterCombination');
  assertProblem(acl([e, { ...e, 'from-port': 443, 'to-port': 443 }]), 'vpcs[0].network-acls[0].entries[1].rule-number', 'NetworkAclEntryAlreadyExists', '100');
  const twenty = Array.from({ length: 21 }, (_, i) => ({ ...e, 'rule-number': i + 1 }));
  assertProblem(acl(twenty), 'vpcs[0].network-acls[0].entries', 'NetworkAclEntryLimitExceeded');

  const model = compile(acl([e, { ...e, egress: true }, { ...e, 'rule-number': 90, protocol: 'icmp', 'from-port': undefined, 'to-port': undefined, 'icmp-type': 8, 'icmp-code': -1, 'rule-action': 'deny' }]));
  const declared = model.vpcs[0]!.networkAcls.find((a) => !a.isDefault)!;
  assert.deepEqual(declared.entries.map((x) => `${x.egress ? 'out' : 'in'} ${x.ruleNumber} ${x.ruleAction} ${x.protocol}`), [
    'in 90 deny 1', 'in 100 allow 6', 'in 32767 deny -1', 'in 32767 deny -1', 'out 100 allow 6', 'out 32767 deny -1', 'out 32767 deny -1',
  ]);
  assert.deepEqual(declared.entries[0]!.icmpTypeCode, { type: 8, code: -1 });
  assert.deepEqual(declared.entries[1]!.portRange, { from: 80, to: 80 });
  // The subnet moves to the declared ACL; the other stays with the default one.
  const subnets = model.vpcs[0]!.subnets;
  assert.equal(subnets[0]!.networkAclId, declared.id);
  const def = model.vpcs[0]!.networkAcls.find((a) => a.isDefault)!;
  assert.equal(subnets[1]!.networkAclId, def.id);
  assert.deepEqual(def.subnetIds, ['subnet-1a1b2c3d4e5f60718']);
  // A non-default ACL without entries denies everything.
  const bare = compile(acl([], { entries: undefined })).vpcs[0]!.networkAcls.find((a) => !a.isDefault)!;
  assert.ok(bare.entries.every((x) => x.ruleAction === 'deny'));
});

test('network ACLs: subnets in the same VPC, one ACL per subnet, one default per VPC', () => {
  const doc = baseDoc();
  doc.vpcs[0]['network-acls'] = [
    { name: 'a', subnets: ['subnet-0a1b2c3d4e5f60718'] },
    { name: 'b', subnets: ['subnet-0a1b2c3d4e5f60718', 'subnet-77777777'] },
  ];
  const problems = problemsOf(doc);
  assert.ok(problems.some((p) => p.path === 'vpcs[0].network-acls[1].subnets[0]' && p.code === 'InvalidParameterValue' && p.message.includes('already associated')));
  assert.ok(problems.some((p) => p.path === 'vpcs[0].network-acls[1].subnets[1]' && p.code === 'InvalidSubnetID.NotFound'));
  const defaults = baseDoc();
  defaults.vpcs[0]['network-acls'] = [{ name: 'a', default: true }, { name: 'b', default: true }];
  assertProblem(defaults, 'vpcs[0].network-acls[1].default', 'InvalidParameterValue', 'one default');
  // A declared default ACL without entries keeps AWS's default entries and collects the unassociated subnets.
  const declared = baseDoc();
  declared.vpcs[0]['network-acls'] = [{ id: 'acl-12345678', default: true, tags: { Name: 'main' } }];
  const acls = compile(declared).vpcs[0]!.networkAcls;
  assert.equal(acls.length, 1);
  assert.equal(acls[0]!.id, 'acl-12345678');
  assert.equal(acls[0]!.subnetIds.length, 2);
  assert.ok(acls[0]!.entries.some((x) => x.ruleNumber === 100 && x.ruleAction === 'allow'));
});

test('tags: at most 50, key 1–127 characters not aws:, value up to 255, keys unique', () => {
  const tagged = (tags: unknown) => {
    const doc = baseDoc();
    doc.vpcs[0].tags = tags;
    return doc;
  };
  assertProblem(tagged({ 'aws:name': 'x' }), 'vpcs[0].tags.aws:name', 'InvalidParameterValue', 'aws:');
  assertProblem(tagged({ ['k'.repeat(128)]: 'x' }), `vpcs[0].tags.${'k'.repeat(128)}`, 'InvalidParameterValue', '127');
  assertProblem(tagged({ Name: 'v'.repeat(256) }), 'vpcs[0].tags.Name', 'InvalidParameterValue', '255');
  assertProblem(tagged({ Count: 3 }), 'vpcs[0].tags.Count', 'InvalidParameterValue', 'string');
  assertProblem(tagged(Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']))), 'vpcs[0].tags', 'TagLimitExceeded');
  assertProblem(tagged([{ Key: 'a', Value: '1' }, { Key: 'a', Value: '2' }]), 'vpcs[0].tags[1]', 'InvalidParameterValue', 'Duplicate');
  assert.deepEqual(compile(tagged([{ Key: 'a', Value: '1' }, { key: 'b' }])).vpcs[0]!.tags, [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '' }]);
  // Unicode characters count once each (AWS counts characters, not UTF-16 units).
  assert.doesNotThrow(() => compile(tagged({ Name: '😀'.repeat(255) })));
});

test('names are unique handles within a VPC and VPC names within the document', () => {
  const doc = baseDoc();
  doc.vpcs[0].subnets[0].name = 'db';
  assertProblem(doc, 'vpcs[0].subnets[1].name', 'InvalidParameterValue', 'vpcs[0].subnets[0]');
  const vpcs = baseDoc();
  vpcs.vpcs[0].name = 'main';
  vpcs.vpcs.push({ name: 'main', cidr: '10.1.0.0/16' });
  assertProblem(vpcs, 'vpcs[1].name', 'InvalidParameterValue');
});

test('two VPCs may overlap (AWS allows it) as long as no address is used twice', () => {
  const doc = baseDoc();
  doc.vpcs.push({ cidr: '10.0.0.0/16', subnets: [{ cidr: '10.0.1.0/24' }], 'network-interfaces': [{ subnet: '10.0.1.0/24', 'private-ip': '10.0.1.20' }] });
  assert.equal(compile(doc).vpcs.length, 2);
  doc.vpcs[1]['network-interfaces'][0]['private-ip'] = '10.0.1.10';
  assertProblem(doc, 'vpcs[1].network-interfaces[0].private-ip', 'InvalidIPAddress.InUse');
});

test('ValidationError carries the problems for the API (code, details) and a readable message', () => {
  try {
    compile({ account: 'x', region: 'us-east-1' });
    assert.fail('accepted');
  } catch (e) {
    assert.ok(e instanceof ValidationError);
    assert.equal(e.code, 'InvalidNetworkDocument');
    assert.equal(e.httpStatus, 400);
    assert.deepEqual(e.details, e.problems);
    assert.match(e.message, /1 problem:\n {2}account: InvalidParameterValue/);
  }
});
