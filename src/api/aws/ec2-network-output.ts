// Network resources of the model as EC2 answers show them (JSON member names; the XML names are in
// ec2-network-shapes.ts). Values the model does not keep are the constant ones vpcflow's resources
// always have (state `available`, instance `running`, tenancy `default`) or derived (ec2-derived.ts).

import { awsProtocolText } from '../../net/index.ts';
import {
  aclAssociationId, attachmentId, availableIpAddressCount, instanceGroupIds, macAddressOf, privateDnsName, reservationId, securityGroupRuleId,
  subnetArn, subnetCidrAssociationId, vpcCidrAssociationId,
  type Instance, type NetworkAcl, type NetworkAclEntry, type NetworkIndex, type NetworkInterface, type SecurityGroup, type SecurityGroupRule,
  type Subnet, type Tag, type Vpc,
} from '../../model/index.ts';

type Item = Record<string, unknown>;

/** EC2 leaves out an empty tag set. */
const tags = (t: readonly Tag[]): Tag[] | undefined => (t.length ? t.map((x) => ({ Key: x.Key, Value: x.Value })) : undefined);

export function vpcItem(idx: NetworkIndex, v: Vpc): Item {
  return {
    CidrBlock: v.cidr, State: 'available', VpcId: v.id, OwnerId: idx.model.account, InstanceTenancy: 'default',
    Ipv6CidrBlockAssociationSet: v.ipv6Cidrs.length
      ? v.ipv6Cidrs.map((c) => ({ AssociationId: vpcCidrAssociationId(v.id, c), Ipv6CidrBlock: c, Ipv6CidrBlockState: { State: 'associated' }, NetworkBorderGroup: idx.model.region }))
      : undefined,
    CidrBlockAssociationSet: v.cidrs.map((c) => ({ AssociationId: vpcCidrAssociationId(v.id, c), CidrBlock: c, CidrBlockState: { State: 'associated' } })),
    IsDefault: false,
    Tags: tags(v.tags),
  };
}

export function subnetItem(idx: NetworkIndex, s: Subnet): Item {
  return {
    AvailabilityZone: s.availabilityZone, AvailabilityZoneId: s.azId, AvailableIpAddressCount: availableIpAddressCount(s, idx.interfacesOfSubnet(s.id)),
    CidrBlock: s.cidr, DefaultForAz: false, MapPublicIpOnLaunch: false, State: 'available', SubnetId: s.id, VpcId: s.vpcId, OwnerId: idx.model.account,
    AssignIpv6AddressOnCreation: false,
    Ipv6CidrBlockAssociationSet: s.ipv6Cidr !== null
      ? [{ AssociationId: subnetCidrAssociationId(s.id, s.ipv6Cidr), Ipv6CidrBlock: s.ipv6Cidr, Ipv6CidrBlockState: { State: 'associated' } }]
      : [],
    Tags: tags(s.tags),
    SubnetArn: subnetArn(idx.model, s), EnableDns64: false, Ipv6Native: false,
  };
}

function groupIdentifiers(idx: NetworkIndex, ids: readonly string[]): Item[] {
  return ids.map((id) => ({ GroupName: idx.securityGroup(id)?.name, GroupId: id }));
}

function privateAddresses(n: NetworkInterface, region: string): Item[] {
  return [n.privateIp, ...n.secondaryIps].map((a, i) => ({ Primary: i === 0, PrivateDnsName: privateDnsName(a, region), PrivateIpAddress: a }));
}

export function networkInterfaceItem(idx: NetworkIndex, n: NetworkInterface): Item {
  const { account, region } = idx.model;
  return {
    Attachment: n.instanceId !== null
      ? { AttachmentId: attachmentId(n.id, n.instanceId), DeleteOnTermination: true, DeviceIndex: n.deviceIndex, NetworkCardIndex: 0, InstanceId: n.instanceId, InstanceOwnerId: account, Status: 'attached' }
      : undefined,
    AvailabilityZone: n.availabilityZone, Description: n.description ?? '',
    Groups: groupIdentifiers(idx, n.securityGroupIds), InterfaceType: 'interface',
    Ipv6Addresses: n.ipv6.map((a) => ({ Ipv6Address: a })),
    MacAddress: macAddressOf(n.id), NetworkInterfaceId: n.id, OwnerId: account, PrivateDnsName: privateDnsName(n.privateIp, region), PrivateIpAddress: n.privateIp,
    PrivateIpAddresses: privateAddresses(n, region),
    RequesterManaged: false, SourceDestCheck: true, Status: n.instanceId !== null ? 'in-use' : 'available', SubnetId: n.subnetId,
    TagSet: tags(n.tags) ?? [], VpcId: n.vpcId,
  };
}

export const RUNNING = { Code: 16, Name: 'running' } as const;

/** Launch parameters vpcflow does not keep; RunInstances echoes them, DescribeInstances cannot. */
export interface LaunchEcho {
  readonly ImageId?: unknown;
  readonly InstanceType?: unknown;
  readonly KeyName?: unknown;
  readonly ClientToken?: unknown;
}

export function instanceItem(idx: NetworkIndex, i: Instance, launchIndex: number, echo: LaunchEcho = {}): Item {
  const region = idx.model.region;
  const enis = i.interfaceIds.map((id) => idx.networkInterface(id)).filter((n): n is NetworkInterface => n !== undefined);
  const primary = enis[0];
  return {
    AmiLaunchIndex: launchIndex, ImageId: echo.ImageId, InstanceId: i.id, InstanceType: echo.InstanceType, KeyName: echo.KeyName,
    Monitoring: { State: 'disabled' },
    Placement: { AvailabilityZone: i.availabilityZone, GroupName: '', Tenancy: 'default' },
    PrivateDnsName: primary ? privateDnsName(primary.privateIp, region) : '', PrivateIpAddress: primary?.privateIp,
    PublicDnsName: '', State: RUNNING, StateTransitionReason: '', SubnetId: i.subnetId, VpcId: i.vpcId, ClientToken: echo.ClientToken,
    NetworkInterfaces: enis.map((n) => ({
      Attachment: { AttachmentId: attachmentId(n.id, i.id), DeleteOnTermination: true, DeviceIndex: n.deviceIndex, Status: 'attached', NetworkCardIndex: 0 },
      Description: n.description ?? '', Groups: groupIdentifiers(idx, n.securityGroupIds), Ipv6Addresses: n.ipv6.map((a) => ({ Ipv6Address: a })),
      MacAddress: macAddressOf(n.id), NetworkInterfaceId: n.id, OwnerId: idx.model.account, PrivateDnsName: privateDnsName(n.privateIp, region),
      PrivateIpAddress: n.privateIp, PrivateIpAddresses: privateAddresses(n, region), SourceDestCheck: true, Status: 'in-use', SubnetId: n.subnetId,
      VpcId: n.vpcId, InterfaceType: 'interface',
    })),
    SecurityGroups: groupIdentifiers(idx, instanceGroupIds(idx, i)),
    SourceDestCheck: true,
    Tags: tags(i.tags),
    Ipv6Address: primary?.ipv6[0],
  };
}

/** vpcflow keeps no reservations: DescribeInstances shows each instance in a reservation of its own. */
export function reservationItem(idx: NetworkIndex, instances: readonly Instance[], echo: LaunchEcho = {}): Item {
  return {
    Groups: [], Instances: instances.map((i, n) => instanceItem(idx, i, n, echo)), OwnerId: idx.model.account, ReservationId: reservationId(instances[0]?.id ?? ''),
  };
}

/** EC2 groups rules with the same protocol and ports into one permission listing all their peers. */
export function ipPermissions(idx: NetworkIndex, rules: readonly SecurityGroupRule[]): Item[] {
  const out: { key: string; item: { IpRanges: Item[]; Ipv6Ranges: Item[]; UserIdGroupPairs: Item[] } & Item }[] = [];
  for (const r of rules) {
    const key = `${r.protocol}/${r.fromPort}/${r.toPort}`;
    let p = out.find((x) => x.key === key);
    if (!p) {
      p = {
        key,
        item: {
          IpProtocol: awsProtocolText(r.protocol), ...(r.fromPort !== null ? { FromPort: r.fromPort, ToPort: r.toPort } : {}),
          IpRanges: [], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [],
        },
      };
      out.push(p);
    }
    const description = r.description !== null ? { Description: r.description } : {};
    if (r.cidr !== null) p.item.IpRanges.push({ CidrIp: r.cidr, ...description });
    if (r.ipv6Cidr !== null) p.item.Ipv6Ranges.push({ CidrIpv6: r.ipv6Cidr, ...description });
    if (r.groupId !== null) p.item.UserIdGroupPairs.push({ GroupId: r.groupId, UserId: idx.model.account, ...description });
  }
  return out.map((p) => p.item);
}

export function securityGroupItem(idx: NetworkIndex, g: SecurityGroup): Item {
  return {
    Description: g.description, GroupName: g.name, IpPermissions: ipPermissions(idx, g.ingress), OwnerId: idx.model.account, GroupId: g.id,
    IpPermissionsEgress: ipPermissions(idx, g.egress), Tags: tags(g.tags), VpcId: g.vpcId,
  };
}

export function securityGroupRuleItem(idx: NetworkIndex, groupId: string, egress: boolean, r: SecurityGroupRule): Item {
  return {
    SecurityGroupRuleId: securityGroupRuleId(groupId, egress, r), GroupId: groupId, GroupOwnerId: idx.model.account, IsEgress: egress,
    IpProtocol: awsProtocolText(r.protocol), FromPort: r.fromPort ?? -1, ToPort: r.toPort ?? -1,
    CidrIpv4: r.cidr ?? undefined, CidrIpv6: r.ipv6Cidr ?? undefined,
    ReferencedGroupInfo: r.groupId !== null ? { GroupId: r.groupId, UserId: idx.model.account } : undefined,
    Description: r.description ?? undefined,
  };
}

function entryItem(e: NetworkAclEntry): Item {
  return {
    CidrBlock: e.cidr ?? undefined, Egress: e.egress,
    IcmpTypeCode: e.icmpTypeCode ? { Code: e.icmpTypeCode.code, Type: e.icmpTypeCode.type } : undefined,
    Ipv6CidrBlock: e.ipv6Cidr ?? undefined,
    PortRange: e.portRange ? { From: e.portRange.from, To: e.portRange.to } : undefined,
    Protocol: String(e.protocol), RuleAction: e.ruleAction, RuleNumber: e.ruleNumber,
  };
}

export function networkAclItem(idx: NetworkIndex, a: NetworkAcl): Item {
  return {
    Associations: a.subnetIds.map((s) => ({ NetworkAclAssociationId: aclAssociationId(a.id, s), NetworkAclId: a.id, SubnetId: s })),
    Entries: a.entries.map(entryItem), IsDefault: a.isDefault, NetworkAclId: a.id, Tags: tags(a.tags), VpcId: a.vpcId, OwnerId: idx.model.account,
  };
}
