// The network actions' wire names: Query parameters as the EC2 model names them (checked against
// botocore's ec2 2016-11-15 service model) become the model's requests, and answers use EC2's XML
// element names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileNetwork, NetworkIndex, sequentialIdGenerator } from '../../model/index.ts';
import { ec2ResponseXml, parseEc2Query } from './ec2-query.ts';
import { networkAclItem, reservationItem, securityGroupItem, vpcItem } from './ec2-network-output.ts';
import { AwsProtocolError } from './errors.ts';

const parse = (body: string) => parseEc2Query(new URLSearchParams(body));

test('nested and renamed Query members of the network actions', () => {
  assert.deepEqual(parse('Action=RunInstances&ImageId=ami-1&MinCount=1&MaxCount=2&NetworkInterface.1.DeviceIndex=0&NetworkInterface.1.SubnetId=subnet-1'
    + '&NetworkInterface.1.SecurityGroupId.1=sg-1&NetworkInterface.1.PrivateIpAddresses.1.PrivateIpAddress=10.0.0.9&NetworkInterface.1.PrivateIpAddresses.1.Primary=true'
    + '&NetworkInterface.1.Ipv6Addresses.1.Ipv6Address=2001:db8::9&Ipv6Address.1.Ipv6Address=2001:db8::8&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=Name').input, {
    ImageId: 'ami-1', MinCount: 1, MaxCount: 2,
    NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: 'subnet-1', Groups: ['sg-1'], PrivateIpAddresses: [{ PrivateIpAddress: '10.0.0.9', Primary: true }], Ipv6Addresses: [{ Ipv6Address: '2001:db8::9' }] }],
    Ipv6Addresses: [{ Ipv6Address: '2001:db8::8' }],
    TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name' }] }],
  });
  assert.deepEqual(parse('Action=CreateNetworkAclEntry&NetworkAclId=acl-1&RuleNumber=10&Protocol=1&RuleAction=allow&Egress=false&CidrBlock=0.0.0.0/0&Icmp.Type=8&Icmp.Code=-1&PortRange.From=1&PortRange.To=2').input, {
    NetworkAclId: 'acl-1', RuleNumber: 10, Protocol: '1', RuleAction: 'allow', Egress: false, CidrBlock: '0.0.0.0/0', IcmpTypeCode: { Type: 8, Code: -1 }, PortRange: { From: 1, To: 2 },
  });
  assert.deepEqual(parse('Action=AuthorizeSecurityGroupIngress&GroupId=sg-1&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=22&IpPermissions.1.ToPort=22'
    + '&IpPermissions.1.Groups.1.GroupId=sg-2&IpPermissions.1.IpRanges.1.CidrIp=10.0.0.0/8&IpPermissions.1.Ipv6Ranges.1.CidrIpv6=::/0').input, {
    GroupId: 'sg-1', IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, UserIdGroupPairs: [{ GroupId: 'sg-2' }], IpRanges: [{ CidrIp: '10.0.0.0/8' }], Ipv6Ranges: [{ CidrIpv6: '::/0' }] }],
  });
  assert.deepEqual(parse('Action=CreateSecurityGroup&GroupName=web&GroupDescription=d&VpcId=vpc-1').input, { GroupName: 'web', Description: 'd', VpcId: 'vpc-1' });
  assert.deepEqual(parse('Action=DeleteTags&ResourceId.1=vpc-1&Tag.1.Key=a').input, { Resources: ['vpc-1'], Tags: [{ Key: 'a' }] });
  assert.deepEqual(parse('Action=DescribeNetworkInterfaces&Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-1&NetworkInterfaceId.1=eni-1').input, {
    Filters: [{ Name: 'vpc-id', Values: ['vpc-1'] }], NetworkInterfaceIds: ['eni-1'],
  });
  for (const [body, code] of [
    ['Action=RunInstances&MinCount=1', 'MissingParameter'],
    ['Action=RunInstances&MinCount=1&MaxCount=abc', 'InvalidParameterValue'],
    ['Action=CreateVpc&CidrBlock=10.0.0.0/16&Ipv4IpamPoolId=ipam-pool-1', 'UnknownParameter'],
    ['Action=DeleteNetworkAclEntry&NetworkAclId=acl-1&RuleNumber=1', 'MissingParameter'],
  ] as const) {
    assert.throws(() => parse(body), (e: unknown) => e instanceof AwsProtocolError && e.code === code, body);
  }
});

const model = compileNetwork({
  account: '111122223333', region: 'us-east-1',
  vpcs: [{
    id: 'vpc-0a1b2c3d4e5f60718', cidr: '10.0.0.0/16', tags: { Name: 'main' },
    subnets: [{ id: 'subnet-0a1b2c3d4e5f60718', cidr: '10.0.1.0/24' }],
    instances: [{ id: 'i-0a1b2c3d4e5f60718', subnet: 'subnet-0a1b2c3d4e5f60718', interfaces: [{ id: 'eni-0a1b2c3d4e5f60718', 'private-ip': '10.0.1.10', 'security-groups': ['web'] }] }],
    'security-groups': [{ id: 'sg-0a1b2c3d4e5f60718', name: 'web', description: 'web', ingress: [{ protocol: 'tcp', 'from-port': 22, 'to-port': 22, 'source-group': 'web' }] }],
    'network-acls': [{ id: 'acl-0a1b2c3d4e5f60718', subnets: ['subnet-0a1b2c3d4e5f60718'], entries: [{ 'rule-number': 100, egress: false, protocol: 'tcp', 'rule-action': 'allow', cidr: '0.0.0.0/0', 'from-port': 80, 'to-port': 80 }] }],
  }],
}, undefined, sequentialIdGenerator());
const idx = new NetworkIndex(model);

test('answers carry EC2\'s XML element names', () => {
  const vpc = ec2ResponseXml('DescribeVpcs', { Vpcs: [vpcItem(idx, model.vpcs[0]!)] }, 'r');
  assert.match(vpc, /<DescribeVpcsResponse xmlns="http:\/\/ec2\.amazonaws\.com\/doc\/2016-11-15\/"><requestId>r<\/requestId><vpcSet><item><cidrBlock>10\.0\.0\.0\/16<\/cidrBlock><state>available<\/state><vpcId>vpc-0a1b2c3d4e5f60718<\/vpcId><ownerId>111122223333<\/ownerId>/);
  assert.match(vpc, /<cidrBlockAssociationSet><item><associationId>vpc-cidr-assoc-[0-9a-f]{17}<\/associationId><cidrBlock>10\.0\.0\.0\/16<\/cidrBlock><cidrBlockState><state>associated<\/state><\/cidrBlockState><\/item><\/cidrBlockAssociationSet><isDefault>false<\/isDefault><tagSet><item><key>Name<\/key><value>main<\/value><\/item><\/tagSet>/);

  const instances = ec2ResponseXml('DescribeInstances', { Reservations: [reservationItem(idx, model.vpcs[0]!.instances)] }, 'r');
  assert.match(instances, /<reservationSet><item><groupSet\/><instancesSet><item><amiLaunchIndex>0<\/amiLaunchIndex><instanceId>i-0a1b2c3d4e5f60718<\/instanceId>/);
  assert.match(instances, /<instanceState><code>16<\/code><name>running<\/name><\/instanceState>/);
  assert.match(instances, /<networkInterfaceSet><item><attachment><attachmentId>eni-attach-[0-9a-f]{17}<\/attachmentId><deleteOnTermination>true<\/deleteOnTermination><deviceIndex>0<\/deviceIndex>/);
  assert.match(instances, /<privateIpAddressesSet><item><primary>true<\/primary><privateDnsName>ip-10-0-1-10\.ec2\.internal<\/privateDnsName><privateIpAddress>10\.0\.1\.10<\/privateIpAddress><\/item><\/privateIpAddressesSet>/);
  assert.match(instances, /<\/instancesSet><ownerId>111122223333<\/ownerId><reservationId>r-[0-9a-f]{17}<\/reservationId><\/item><\/reservationSet>/);

  const groups = ec2ResponseXml('DescribeSecurityGroups', { SecurityGroups: [securityGroupItem(idx, model.vpcs[0]!.securityGroups[1]!)] }, 'r');
  assert.match(groups, /<securityGroupInfo><item><groupDescription>web<\/groupDescription><groupName>web<\/groupName><ipPermissions><item><fromPort>22<\/fromPort><ipProtocol>tcp<\/ipProtocol><ipRanges\/><ipv6Ranges\/><prefixListIds\/><toPort>22<\/toPort><groups><item><groupId>sg-0a1b2c3d4e5f60718<\/groupId><userId>111122223333<\/userId><\/item><\/groups><\/item><\/ipPermissions>/);
  assert.match(groups, /<ipPermissionsEgress><item><ipProtocol>-1<\/ipProtocol><ipRanges><item><cidrIp>0\.0\.0\.0\/0<\/cidrIp><\/item><\/ipRanges>/);

  const acls = ec2ResponseXml('DescribeNetworkAcls', { NetworkAcls: [networkAclItem(idx, model.vpcs[0]!.networkAcls[1]!)] }, 'r');
  assert.match(acls, /<networkAclSet><item><associationSet><item><networkAclAssociationId>aclassoc-[0-9a-f]{17}<\/networkAclAssociationId><networkAclId>acl-0a1b2c3d4e5f60718<\/networkAclId><subnetId>subnet-0a1b2c3d4e5f60718<\/subnetId><\/item><\/associationSet>/);
  assert.match(acls, /<entrySet><item><cidrBlock>0\.0\.0\.0\/0<\/cidrBlock><egress>false<\/egress><portRange><from>80<\/from><to>80<\/to><\/portRange><protocol>6<\/protocol><ruleAction>allow<\/ruleAction><ruleNumber>100<\/ruleNumber><\/item>/);
  assert.match(acls, /<default>false<\/default>/);

  assert.match(ec2ResponseXml('DeleteVpc', { Return: true }, 'r'), /<DeleteVpcResponse [^>]*><requestId>r<\/requestId><return>true<\/return><\/DeleteVpcResponse>$/);
  assert.match(ec2ResponseXml('TerminateInstances', { TerminatingInstances: [{ CurrentState: { Code: 32, Name: 'shutting-down' }, InstanceId: 'i-1', PreviousState: { Code: 16, Name: 'running' } }] }, 'r'),
    /<instancesSet><item><currentState><code>32<\/code><name>shutting-down<\/name><\/currentState><instanceId>i-1<\/instanceId><previousState><code>16<\/code><name>running<\/name><\/previousState><\/item><\/instancesSet>/);
});
