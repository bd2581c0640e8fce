// Wire shapes of the EC2 network actions: request members (JSON name → Query name, e.g.
// `VpcIds` → `VpcId.N`, `IcmpTypeCode` → `Icmp.Type`) and the XML element names of each answer,
// as the EC2 API model (2016-11-15) names them. Members vpcflow does not model are accepted where
// clients commonly send them (RunInstances' KeyName, UserData, …) and otherwise left out, so that
// the endpoint answers UnknownParameter instead of silently ignoring them.

import {
  B, DRY_RUN_IN, FILTERS_IN, I, PAGING_IN, S, SCALAR, TAG_IN, TAG_OUT, TAG_SPECIFICATIONS_IN, list, member, outList, outStruct, same, sameAll, scalars, struct,
  type InStructure, type OutStructure,
} from './ec2-shapes.ts';

// ---------------------------------------------------------------------------------------------
// Outputs

const TAGS_OUT = member('tagSet', outList(TAG_OUT));
const STATE_OUT = outStruct(scalars('State', 'StatusMessage'));
const GROUP_IDENTIFIER_OUT = outStruct(scalars('GroupName', 'GroupId'));

export const VPC_OUT = outStruct({
  ...scalars('CidrBlock', 'DhcpOptionsId', 'State', 'VpcId', 'OwnerId', 'InstanceTenancy'),
  Ipv6CidrBlockAssociationSet: member('ipv6CidrBlockAssociationSet', outList(outStruct({
    ...scalars('AssociationId', 'Ipv6CidrBlock'), Ipv6CidrBlockState: member('ipv6CidrBlockState', STATE_OUT), ...scalars('NetworkBorderGroup'),
  }))),
  CidrBlockAssociationSet: member('cidrBlockAssociationSet', outList(outStruct({
    ...scalars('AssociationId', 'CidrBlock'), CidrBlockState: member('cidrBlockState', STATE_OUT),
  }))),
  IsDefault: member('isDefault', SCALAR),
  Tags: TAGS_OUT,
});

export const SUBNET_OUT = outStruct({
  ...scalars('AvailabilityZone', 'AvailabilityZoneId', 'AvailableIpAddressCount', 'CidrBlock', 'DefaultForAz', 'MapPublicIpOnLaunch', 'State', 'SubnetId', 'VpcId', 'OwnerId', 'AssignIpv6AddressOnCreation'),
  Ipv6CidrBlockAssociationSet: member('ipv6CidrBlockAssociationSet', outList(outStruct({
    ...scalars('AssociationId', 'Ipv6CidrBlock'), Ipv6CidrBlockState: member('ipv6CidrBlockState', STATE_OUT),
  }))),
  Tags: TAGS_OUT,
  ...scalars('SubnetArn', 'EnableDns64', 'Ipv6Native'),
});

const PRIVATE_IP_OUT = outStruct(scalars('Primary', 'PrivateDnsName', 'PrivateIpAddress'));
const IPV6_ADDRESS_OUT = outStruct(scalars('Ipv6Address'));

export const NETWORK_INTERFACE_OUT = outStruct({
  Attachment: member('attachment', outStruct(scalars('AttachmentId', 'DeleteOnTermination', 'DeviceIndex', 'NetworkCardIndex', 'InstanceId', 'InstanceOwnerId', 'Status'))),
  ...scalars('AvailabilityZone', 'Description'),
  Groups: member('groupSet', outList(GROUP_IDENTIFIER_OUT)),
  ...scalars('InterfaceType'),
  Ipv6Addresses: member('ipv6AddressesSet', outList(IPV6_ADDRESS_OUT)),
  ...scalars('MacAddress', 'NetworkInterfaceId', 'OwnerId', 'PrivateDnsName', 'PrivateIpAddress'),
  PrivateIpAddresses: member('privateIpAddressesSet', outList(PRIVATE_IP_OUT)),
  ...scalars('RequesterManaged', 'SourceDestCheck', 'Status', 'SubnetId'),
  TagSet: TAGS_OUT,
  ...scalars('VpcId'),
});

const INSTANCE_STATE_OUT = outStruct(scalars('Code', 'Name'));

const INSTANCE_INTERFACE_OUT = outStruct({
  Attachment: member('attachment', outStruct(scalars('AttachmentId', 'DeleteOnTermination', 'DeviceIndex', 'Status', 'NetworkCardIndex'))),
  ...scalars('Description'),
  Groups: member('groupSet', outList(GROUP_IDENTIFIER_OUT)),
  Ipv6Addresses: member('ipv6AddressesSet', outList(IPV6_ADDRESS_OUT)),
  ...scalars('MacAddress', 'NetworkInterfaceId', 'OwnerId', 'PrivateDnsName', 'PrivateIpAddress'),
  PrivateIpAddresses: member('privateIpAddressesSet', outList(PRIVATE_IP_OUT)),
  ...scalars('SourceDestCheck', 'Status', 'SubnetId', 'VpcId', 'InterfaceType'),
});

const INSTANCE_OUT = outStruct({
  ...scalars('AmiLaunchIndex', 'ImageId', 'InstanceId', 'InstanceType', 'KeyName'),
  Monitoring: member('monitoring', outStruct(scalars('State'))),
  Placement: member('placement', outStruct(scalars('AvailabilityZone', 'GroupName', 'Tenancy'))),
  ...scalars('PrivateDnsName', 'PrivateIpAddress'),
  PublicDnsName: member('dnsName', SCALAR),
  State: member('instanceState', INSTANCE_STATE_OUT),
  StateTransitionReason: member('reason', SCALAR),
  ...scalars('SubnetId', 'VpcId', 'ClientToken'),
  NetworkInterfaces: member('networkInterfaceSet', outList(INSTANCE_INTERFACE_OUT)),
  SecurityGroups: member('groupSet', outList(GROUP_IDENTIFIER_OUT)),
  ...scalars('SourceDestCheck'),
  Tags: TAGS_OUT,
  ...scalars('Ipv6Address'),
});

const RESERVATION_MEMBERS = {
  Groups: member('groupSet', outList(GROUP_IDENTIFIER_OUT)),
  Instances: member('instancesSet', outList(INSTANCE_OUT)),
  ...scalars('OwnerId', 'ReservationId'),
};

const IP_PERMISSION_OUT = outStruct({
  ...scalars('FromPort', 'IpProtocol'),
  IpRanges: member('ipRanges', outList(outStruct(scalars('CidrIp', 'Description')))),
  Ipv6Ranges: member('ipv6Ranges', outList(outStruct(scalars('CidrIpv6', 'Description')))),
  PrefixListIds: member('prefixListIds', outList(outStruct(scalars('Description', 'PrefixListId')))),
  ...scalars('ToPort'),
  UserIdGroupPairs: member('groups', outList(outStruct(scalars('Description', 'GroupId', 'GroupName', 'UserId', 'VpcId')))),
});

const SECURITY_GROUP_OUT = outStruct({
  Description: member('groupDescription', SCALAR),
  ...scalars('GroupName'),
  IpPermissions: member('ipPermissions', outList(IP_PERMISSION_OUT)),
  ...scalars('OwnerId', 'GroupId'),
  IpPermissionsEgress: member('ipPermissionsEgress', outList(IP_PERMISSION_OUT)),
  Tags: TAGS_OUT,
  ...scalars('VpcId'),
});

const SECURITY_GROUP_RULE_OUT = outStruct({
  ...scalars('SecurityGroupRuleId', 'GroupId', 'GroupOwnerId', 'IsEgress', 'IpProtocol', 'FromPort', 'ToPort', 'CidrIpv4', 'CidrIpv6'),
  ReferencedGroupInfo: member('referencedGroupInfo', outStruct(scalars('GroupId', 'UserId', 'VpcId'))),
  ...scalars('Description'),
  Tags: TAGS_OUT,
});

export const NETWORK_ACL_OUT = outStruct({
  Associations: member('associationSet', outList(outStruct(scalars('NetworkAclAssociationId', 'NetworkAclId', 'SubnetId')))),
  Entries: member('entrySet', outList(outStruct({
    ...scalars('CidrBlock', 'Egress'),
    IcmpTypeCode: member('icmpTypeCode', outStruct(scalars('Code', 'Type'))),
    ...scalars('Ipv6CidrBlock'),
    PortRange: member('portRange', outStruct(scalars('From', 'To'))),
    ...scalars('Protocol', 'RuleAction', 'RuleNumber'),
  }))),
  IsDefault: member('default', SCALAR),
  ...scalars('NetworkAclId'),
  Tags: TAGS_OUT,
  ...scalars('VpcId', 'OwnerId'),
});

const NEXT_TOKEN_OUT = { NextToken: member('nextToken', SCALAR) };
/** What EC2 answers for actions without a result: `<return>true</return>`. */
export const RETURN_OUT = outStruct({ Return: member('return', SCALAR) });

export const OUTPUTS = {
  CreateVpc: outStruct({ Vpc: member('vpc', VPC_OUT) }),
  DescribeVpcs: outStruct({ Vpcs: member('vpcSet', outList(VPC_OUT)), ...NEXT_TOKEN_OUT }),
  CreateSubnet: outStruct({ Subnet: member('subnet', SUBNET_OUT) }),
  DescribeSubnets: outStruct({ Subnets: member('subnetSet', outList(SUBNET_OUT)), ...NEXT_TOKEN_OUT }),
  CreateNetworkInterface: outStruct({ NetworkInterface: member('networkInterface', NETWORK_INTERFACE_OUT), ClientToken: member('clientToken', SCALAR) }),
  DescribeNetworkInterfaces: outStruct({ NetworkInterfaces: member('networkInterfaceSet', outList(NETWORK_INTERFACE_OUT)), ...NEXT_TOKEN_OUT }),
  RunInstances: outStruct(RESERVATION_MEMBERS),
  DescribeInstances: outStruct({ Reservations: member('reservationSet', outList(outStruct(RESERVATION_MEMBERS))), ...NEXT_TOKEN_OUT }),
  TerminateInstances: outStruct({
    TerminatingInstances: member('instancesSet', outList(outStruct({
      CurrentState: member('currentState', INSTANCE_STATE_OUT), ...scalars('InstanceId'), PreviousState: member('previousState', INSTANCE_STATE_OUT),
    }))),
  }),
  CreateSecurityGroup: outStruct({ ...scalars('GroupId'), Tags: TAGS_OUT }),
  AuthorizeSecurityGroupRules: outStruct({ Return: member('return', SCALAR), SecurityGroupRules: member('securityGroupRuleSet', outList(SECURITY_GROUP_RULE_OUT)) }),
  RevokeSecurityGroupRules: outStruct({ Return: member('return', SCALAR), UnknownIpPermissions: member('unknownIpPermissionSet', outList(IP_PERMISSION_OUT)) }),
  DescribeSecurityGroups: outStruct({ SecurityGroups: member('securityGroupInfo', outList(SECURITY_GROUP_OUT)), ...NEXT_TOKEN_OUT }),
  CreateNetworkAcl: outStruct({ NetworkAcl: member('networkAcl', NETWORK_ACL_OUT), ClientToken: member('clientToken', SCALAR) }),
  ReplaceNetworkAclAssociation: outStruct({ NewAssociationId: member('newAssociationId', SCALAR) }),
  DescribeNetworkAcls: outStruct({ NetworkAcls: member('networkAclSet', outList(NETWORK_ACL_OUT)), ...NEXT_TOKEN_OUT }),
  DescribeTags: outStruct({ ...NEXT_TOKEN_OUT, Tags: member('tagSet', outList(outStruct(scalars('Key', 'ResourceId', 'ResourceType', 'Value')))) }),
} satisfies Record<string, OutStructure>;

// ---------------------------------------------------------------------------------------------
// Inputs

const ids = (json: string, query: string) => ({ [json]: { query, shape: list(S) } });
const DESCRIBE_IN = { ...DRY_RUN_IN, ...FILTERS_IN, ...PAGING_IN };
const privateIpsIn = () => ({ PrivateIpAddresses: { query: 'PrivateIpAddresses', shape: list(struct({ ...same('Primary', B), ...same('PrivateIpAddress', S) })) } });
const ipv6AddressesIn = (query: string) => ({ Ipv6Addresses: { query, shape: list(struct(same('Ipv6Address', S))) } });

const IP_PERMISSIONS_IN = {
  IpPermissions: {
    query: 'IpPermissions',
    shape: list(struct({
      ...sameAll(I, 'FromPort', 'ToPort'), ...same('IpProtocol', S),
      IpRanges: { query: 'IpRanges', shape: list(struct(sameAll(S, 'CidrIp', 'Description'))) },
      Ipv6Ranges: { query: 'Ipv6Ranges', shape: list(struct(sameAll(S, 'CidrIpv6', 'Description'))) },
      PrefixListIds: { query: 'PrefixListIds', shape: list(struct(sameAll(S, 'Description', 'PrefixListId'))) },
      UserIdGroupPairs: { query: 'Groups', shape: list(struct(sameAll(S, 'Description', 'GroupId', 'GroupName', 'PeeringStatus', 'UserId', 'VpcId', 'VpcPeeringConnectionId'))) },
    })),
  },
};
const SINGLE_PERMISSION_IN = { ...sameAll(S, 'CidrIp', 'IpProtocol', 'SourceSecurityGroupName', 'SourceSecurityGroupOwnerId'), ...sameAll(I, 'FromPort', 'ToPort') };

export const INPUTS = {
  CreateVpc: struct({
    ...DRY_RUN_IN, ...TAG_SPECIFICATIONS_IN, ...sameAll(S, 'CidrBlock', 'Ipv6CidrBlock', 'Ipv6Pool', 'InstanceTenancy', 'Ipv6CidrBlockNetworkBorderGroup'),
    ...same('AmazonProvidedIpv6CidrBlock', B),
  }),
  DescribeVpcs: struct({ ...DESCRIBE_IN, ...ids('VpcIds', 'VpcId') }),
  DeleteVpc: struct({ ...DRY_RUN_IN, ...same('VpcId', S) }),
  CreateSubnet: struct({ ...DRY_RUN_IN, ...TAG_SPECIFICATIONS_IN, ...sameAll(S, 'AvailabilityZone', 'AvailabilityZoneId', 'CidrBlock', 'Ipv6CidrBlock', 'VpcId'), ...same('Ipv6Native', B) }),
  DescribeSubnets: struct({ ...DESCRIBE_IN, ...ids('SubnetIds', 'SubnetId') }),
  DeleteSubnet: struct({ ...DRY_RUN_IN, ...same('SubnetId', S) }),
  CreateNetworkInterface: struct({
    ...DRY_RUN_IN, ...TAG_SPECIFICATIONS_IN, ...sameAll(S, 'Description', 'PrivateIpAddress', 'InterfaceType', 'SubnetId', 'ClientToken'),
    ...ids('Groups', 'SecurityGroupId'), ...sameAll(I, 'Ipv6AddressCount', 'SecondaryPrivateIpAddressCount'),
    ...ipv6AddressesIn('Ipv6Addresses'), ...privateIpsIn(),
  }),
  DescribeNetworkInterfaces: struct({ ...DESCRIBE_IN, ...ids('NetworkInterfaceIds', 'NetworkInterfaceId') }),
  DeleteNetworkInterface: struct({ ...DRY_RUN_IN, ...same('NetworkInterfaceId', S) }),
  RunInstances: struct({
    ...DRY_RUN_IN, ...TAG_SPECIFICATIONS_IN,
    ...sameAll(S, 'ImageId', 'InstanceType', 'KernelId', 'KeyName', 'RamdiskId', 'SubnetId', 'UserData', 'AdditionalInfo', 'ClientToken', 'InstanceInitiatedShutdownBehavior', 'PrivateIpAddress'),
    ...sameAll(I, 'MinCount', 'MaxCount', 'Ipv6AddressCount'),
    ...sameAll(B, 'DisableApiTermination', 'EbsOptimized', 'DisableApiStop'),
    ...ipv6AddressesIn('Ipv6Address'),
    ...ids('SecurityGroupIds', 'SecurityGroupId'), ...ids('SecurityGroups', 'SecurityGroup'),
    ...same('Monitoring', struct(same('Enabled', B))),
    ...same('Placement', struct({ ...sameAll(S, 'AvailabilityZone', 'GroupName', 'Tenancy'), ...same('PartitionNumber', I) })),
    ...same('IamInstanceProfile', struct(sameAll(S, 'Arn', 'Name'))),
    NetworkInterfaces: {
      query: 'NetworkInterface',
      shape: list(struct({
        ...sameAll(B, 'AssociatePublicIpAddress', 'DeleteOnTermination'),
        ...sameAll(S, 'Description', 'NetworkInterfaceId', 'PrivateIpAddress', 'SubnetId', 'InterfaceType'),
        ...sameAll(I, 'DeviceIndex', 'Ipv6AddressCount', 'SecondaryPrivateIpAddressCount', 'NetworkCardIndex'),
        ...ids('Groups', 'SecurityGroupId'), ...ipv6AddressesIn('Ipv6Addresses'), ...privateIpsIn(),
      })),
    },
  }),
  DescribeInstances: struct({ ...DESCRIBE_IN, ...ids('InstanceIds', 'InstanceId') }),
  TerminateInstances: struct({ ...DRY_RUN_IN, ...ids('InstanceIds', 'InstanceId') }),
  CreateSecurityGroup: struct({ ...DRY_RUN_IN, ...TAG_SPECIFICATIONS_IN, Description: { query: 'GroupDescription', shape: S }, ...sameAll(S, 'GroupName', 'VpcId') }),
  AuthorizeSecurityGroupIngress: struct({ ...DRY_RUN_IN, ...TAG_SPECIFICATIONS_IN, ...sameAll(S, 'GroupId', 'GroupName'), ...IP_PERMISSIONS_IN, ...SINGLE_PERMISSION_IN }),
  AuthorizeSecurityGroupEgress: struct({ ...DRY_RUN_IN, ...TAG_SPECIFICATIONS_IN, ...same('GroupId', S), ...IP_PERMISSIONS_IN, ...SINGLE_PERMISSION_IN }),
  RevokeSecurityGroupIngress: struct({ ...DRY_RUN_IN, ...sameAll(S, 'GroupId', 'GroupName'), ...IP_PERMISSIONS_IN, ...SINGLE_PERMISSION_IN, ...ids('SecurityGroupRuleIds', 'SecurityGroupRuleId') }),
  RevokeSecurityGroupEgress: struct({ ...DRY_RUN_IN, ...same('GroupId', S), ...IP_PERMISSIONS_IN, ...SINGLE_PERMISSION_IN, ...ids('SecurityGroupRuleIds', 'SecurityGroupRuleId') }),
  DescribeSecurityGroups: struct({ ...DESCRIBE_IN, ...ids('GroupIds', 'GroupId'), ...ids('GroupNames', 'GroupName') }),
  DeleteSecurityGroup: struct({ ...DRY_RUN_IN, ...sameAll(S, 'GroupId', 'GroupName') }),
  CreateNetworkAcl: struct({ ...DRY_RUN_IN, ...TAG_SPECIFICATIONS_IN, ...sameAll(S, 'VpcId', 'ClientToken') }),
  DeleteNetworkAcl: struct({ ...DRY_RUN_IN, ...same('NetworkAclId', S) }),
  CreateNetworkAclEntry: struct({
    ...DRY_RUN_IN, ...sameAll(S, 'CidrBlock', 'Ipv6CidrBlock', 'NetworkAclId', 'Protocol', 'RuleAction'), ...same('Egress', B), ...same('RuleNumber', I),
    IcmpTypeCode: { query: 'Icmp', shape: struct(sameAll(I, 'Code', 'Type')) },
    ...same('PortRange', struct(sameAll(I, 'From', 'To'))),
  }),
  DeleteNetworkAclEntry: struct({ ...DRY_RUN_IN, ...same('NetworkAclId', S), ...same('Egress', B), ...same('RuleNumber', I) }),
  ReplaceNetworkAclAssociation: struct({ ...DRY_RUN_IN, ...sameAll(S, 'AssociationId', 'NetworkAclId') }),
  DescribeNetworkAcls: struct({ ...DESCRIBE_IN, ...ids('NetworkAclIds', 'NetworkAclId') }),
  CreateTags: struct({ ...DRY_RUN_IN, ...ids('Resources', 'ResourceId'), Tags: { query: 'Tag', shape: list(TAG_IN) } }),
  DeleteTags: struct({ ...DRY_RUN_IN, ...ids('Resources', 'ResourceId'), Tags: { query: 'Tag', shape: list(TAG_IN) } }),
  DescribeTags: struct(DESCRIBE_IN),
} satisfies Record<string, InStructure>;

/** Members each action needs (EC2's required members; answered with MissingParameter). */
export const REQUIRED: Readonly<Partial<Record<keyof typeof INPUTS, readonly string[]>>> = {
  DeleteVpc: ['VpcId'],
  CreateSubnet: ['VpcId'],
  DeleteSubnet: ['SubnetId'],
  CreateNetworkInterface: ['SubnetId'],
  DeleteNetworkInterface: ['NetworkInterfaceId'],
  RunInstances: ['MaxCount', 'MinCount'],
  TerminateInstances: ['InstanceIds'],
  CreateSecurityGroup: ['Description', 'GroupName'],
  AuthorizeSecurityGroupEgress: ['GroupId'],
  RevokeSecurityGroupEgress: ['GroupId'],
  CreateNetworkAcl: ['VpcId'],
  DeleteNetworkAcl: ['NetworkAclId'],
  CreateNetworkAclEntry: ['Egress', 'NetworkAclId', 'Protocol', 'RuleAction', 'RuleNumber'],
  DeleteNetworkAclEntry: ['Egress', 'NetworkAclId', 'RuleNumber'],
  ReplaceNetworkAclAssociation: ['AssociationId', 'NetworkAclId'],
  CreateTags: ['Resources', 'Tags'],
  DeleteTags: ['Resources'],
};
