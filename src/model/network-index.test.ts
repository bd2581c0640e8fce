import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIp } from '../net/index.ts';
import { compileNetwork } from './apply.ts';
import { sequentialIdGenerator } from './ids.ts';
import { NetworkIndex } from './network-index.ts';

const model = compileNetwork(
  {
    account: '111122223333',
    region: 'us-east-1',
    vpcs: [
      {
        id: 'vpc-11111111',
        cidr: '10.0.0.0/16',
        'ipv6-cidr': '2600:1f18:abcd:1200::/56',
        subnets: [
          { id: 'subnet-11111111', cidr: '10.0.1.0/24', 'ipv6-cidr': '2600:1f18:abcd:1201::/64' },
          { id: 'subnet-22222222', cidr: '10.0.2.0/24' },
        ],
        instances: [
          {
            id: 'i-11111111', subnet: 'subnet-11111111',
            interfaces: [
              { id: 'eni-11111111', 'private-ip': '10.0.1.10', 'secondary-ips': ['10.0.1.11'], ipv6: ['2600:1f18:abcd:1201::10'], 'security-groups': ['web'] },
              { id: 'eni-22222222', subnet: 'subnet-22222222', 'private-ip': '10.0.2.10' },
            ],
          },
        ],
        'network-interfaces': [{ id: 'eni-33333333', subnet: 'subnet-22222222', 'private-ip': '10.0.2.20' }],
        'security-groups': [{ id: 'sg-11111111', name: 'web' }],
        'network-acls': [{ id: 'acl-11111111', subnets: ['subnet-22222222'] }],
      },
      { id: 'vpc-22222222', cidr: '10.1.0.0/16', subnets: [{ id: 'subnet-33333333', cidr: '10.1.0.0/24' }], 'network-interfaces': [{ id: 'eni-44444444', subnet: 'subnet-33333333', 'private-ip': '10.1.0.9' }] },
    ],
  },
  undefined,
  sequentialIdGenerator(),
);
const idx = new NetworkIndex(model);

test('interfaceByAddress finds primary, secondary and IPv6 addresses in any spelling', () => {
  assert.equal(idx.interfaceByAddress('10.0.1.10')?.id, 'eni-11111111');
  assert.equal(idx.interfaceByAddress('10.0.1.11')?.id, 'eni-11111111');
  assert.equal(idx.interfaceByAddress('2600:1F18:ABCD:1201:0::10')?.id, 'eni-11111111');
  assert.equal(idx.interfaceByAddress(parseIp('10.0.2.20'))?.id, 'eni-33333333');
  assert.equal(idx.interfaceByAddress('10.1.0.9')?.id, 'eni-44444444');
  assert.equal(idx.interfaceByAddress('10.0.1.12'), undefined);
  assert.equal(idx.interfaceByAddress('not an address'), undefined);
});

test('interfaces by VPC, subnet and instance', () => {
  assert.deepEqual(idx.interfaces().map((n) => n.id), ['eni-11111111', 'eni-22222222', 'eni-33333333', 'eni-44444444']);
  assert.deepEqual(idx.interfacesOfVpc('vpc-11111111').map((n) => n.id), ['eni-11111111', 'eni-22222222', 'eni-33333333']);
  assert.deepEqual(idx.interfacesOfSubnet('subnet-22222222').map((n) => n.id), ['eni-22222222', 'eni-33333333']);
  assert.deepEqual(idx.interfacesOfInstance('i-11111111').map((n) => n.id), ['eni-11111111', 'eni-22222222']);
  assert.deepEqual(idx.interfacesOfVpc('vpc-99999999'), []);
});

test('resources by id, groups of an interface, ACL of a subnet', () => {
  assert.equal(idx.vpc('vpc-22222222')?.cidr, '10.1.0.0/16');
  assert.equal(idx.subnet('subnet-11111111')?.vpcId, 'vpc-11111111');
  assert.equal(idx.instance('i-11111111')?.interfaceIds.length, 2);
  assert.equal(idx.networkInterface('eni-22222222')?.deviceIndex, 1);
  assert.deepEqual(idx.securityGroupsOf(idx.networkInterface('eni-11111111')!).map((g) => g.name), ['web']);
  assert.deepEqual(idx.securityGroupsOf(idx.networkInterface('eni-22222222')!).map((g) => g.name), ['default']);
  assert.equal(idx.networkAclOfSubnet('subnet-22222222')?.id, 'acl-11111111');
  assert.equal(idx.networkAclOfSubnet('subnet-11111111')?.isDefault, true);
  assert.equal(idx.networkAcl('acl-11111111')?.subnetIds[0], 'subnet-22222222');
  assert.equal(idx.securityGroup('sg-11111111')?.name, 'web');
});

test('resourceExists answers for the three flow-log resource types only', () => {
  assert.equal(idx.resourceExists('VPC', 'vpc-11111111'), true);
  assert.equal(idx.resourceExists('VPC', 'subnet-11111111'), false);
  assert.equal(idx.resourceExists('Subnet', 'subnet-33333333'), true);
  assert.equal(idx.resourceExists('NetworkInterface', 'eni-44444444'), true);
  assert.equal(idx.resourceExists('NetworkInterface', 'eni-55555555'), false);
  assert.equal(idx.resourceExists('TransitGateway', 'tgw-11111111'), false);
});
