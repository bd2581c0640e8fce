// CreateVpc, DeleteVpc, CreateSubnet, DeleteSubnet as edits of the apply document. A new VPC gets
// its default security group and network ACL written out with fresh ids, exactly as compilation
// would make them, so the document stays explicit.

import { ApiError } from './errors.ts';
import { amazonIpv6Block } from './ec2-derived.ts';
import type { NetworkModel } from './network.ts';
import { azIdOf, isZoneOfRegion } from './regions.ts';
import { allowAllEgress, defaultAclEntries, selfIngress } from './rules.ts';
import { aclEntryDocument, ruleDocument, type VpcDocument } from './to-document.ts';
import {
  NetworkEdit, readCidrParam, requireString, tagsBySpecification, type ActionContext, type ActionOutcome, type TagSpecification,
} from './network-actions.ts';

export interface CreateVpcRequest {
  readonly CidrBlock?: string;
  readonly AmazonProvidedIpv6CidrBlock?: boolean;
  readonly Ipv6CidrBlock?: string;
  readonly InstanceTenancy?: string;
  readonly TagSpecifications?: readonly TagSpecification[];
}

export function createVpc(current: NetworkModel | undefined, req: CreateVpcRequest, ctx: ActionContext): ActionOutcome<{ vpcId: string }> {
  const edit = new NetworkEdit(current, ctx);
  if (req.CidrBlock === undefined || req.CidrBlock === '') throw new ApiError('MissingParameter', "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.");
  const cidr = readCidrParam(req.CidrBlock, 'cidrBlock', 4);
  if (req.InstanceTenancy !== undefined && !['default', 'dedicated', 'host'].includes(req.InstanceTenancy)) {
    throw new ApiError('InvalidParameterValue', `Value (${req.InstanceTenancy}) for parameter instanceTenancy is invalid. Expected one of: default, dedicated, host.`);
  }
  const tags = tagsBySpecification(req.TagSpecifications, ['vpc']);
  const vpcId = edit.freshId('vpc');
  const ipv6Cidrs: string[] = [];
  if (req.Ipv6CidrBlock !== undefined && req.Ipv6CidrBlock !== '') ipv6Cidrs.push(readCidrParam(req.Ipv6CidrBlock, 'ipv6CidrBlock', 6));
  else if (req.AmazonProvidedIpv6CidrBlock === true) ipv6Cidrs.push(amazonIpv6Block(vpcId, edit.model.vpcs.flatMap((v) => v.ipv6Cidrs)));
  const hasIpv6 = ipv6Cidrs.length > 0;
  const groupId = edit.freshId('security-group');
  const vpc: VpcDocument = {
    Id: vpcId, Cidrs: [cidr], Ipv6Cidrs: ipv6Cidrs, Tags: tags.get('vpc') ?? [],
    Subnets: [], Instances: [], NetworkInterfaces: [],
    SecurityGroups: [{
      Id: groupId, Name: 'default', Description: 'default VPC security group',
      Ingress: selfIngress(groupId).map(ruleDocument), Egress: allowAllEgress(hasIpv6).map(ruleDocument), Tags: [],
    }],
    NetworkAcls: [{ Id: edit.freshId('network-acl'), Default: true, Subnets: [], Entries: defaultAclEntries(hasIpv6).map(aclEntryDocument), Tags: [] }],
  };
  edit.doc.Vpcs.push(vpc);
  return edit.outcome({ vpcId });
}

const dependencies = (noun: string, id: string): ApiError => new ApiError('DependencyViolation', `The ${noun} '${id}' has dependencies and cannot be deleted.`);

export function deleteVpc(current: NetworkModel | undefined, req: { readonly VpcId?: string }, ctx: ActionContext): ActionOutcome<{ vpcId: string }> {
  const edit = new NetworkEdit(current, ctx);
  const vpc = edit.vpc(req.VpcId);
  // The default group and ACL go with the VPC; anything else must be deleted first, as in AWS.
  if (vpc.subnets.length || vpc.instances.length || vpc.networkInterfaces.length || vpc.securityGroups.some((g) => !g.isDefault) || vpc.networkAcls.some((a) => !a.isDefault)) {
    throw dependencies('vpc', vpc.id);
  }
  edit.doc.Vpcs = edit.doc.Vpcs.filter((v) => v.Id !== vpc.id);
  return edit.outcome({ vpcId: vpc.id });
}

export interface CreateSubnetRequest {
  readonly VpcId?: string;
  readonly CidrBlock?: string;
  readonly Ipv6CidrBlock?: string;
  readonly AvailabilityZone?: string;
  readonly AvailabilityZoneId?: string;
  readonly Ipv6Native?: boolean;
  readonly TagSpecifications?: readonly TagSpecification[];
}

/** The zone named by a zone id of the region (`use1-az3` → `us-east-1c`, the mapping regions.ts fixes). */
function zoneOfAzId(region: string, azId: string): string | undefined {
  for (let c = 97; c <= 122; c++) {
    const zone = `${region}${String.fromCharCode(c)}`;
    if (azIdOf(region, zone) === azId) return zone;
  }
  return undefined;
}

export function createSubnet(current: NetworkModel | undefined, req: CreateSubnetRequest, ctx: ActionContext): ActionOutcome<{ subnetId: string }> {
  const edit = new NetworkEdit(current, ctx);
  const vpc = edit.vpc(req.VpcId);
  if (req.Ipv6Native === true) throw new ApiError('InvalidParameterValue', 'IPv6-only subnets are not supported: give the subnet an IPv4 CidrBlock');
  const cidr = readCidrParam(requireString(req.CidrBlock, 'CidrBlock'), 'cidrBlock', 4);
  const ipv6 = req.Ipv6CidrBlock ? readCidrParam(req.Ipv6CidrBlock, 'ipv6CidrBlock', 6) : undefined;
  const region = edit.model.region;
  let zone = req.AvailabilityZone || undefined;
  if (zone !== undefined && !isZoneOfRegion(zone, region)) {
    throw new ApiError('InvalidParameterValue', `Value (${zone}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${region}a, ${region}b, ….`);
  }
  const azId = req.AvailabilityZoneId || undefined;
  if (azId !== undefined) {
    const named = zoneOfAzId(region, azId);
    if (named === undefined) throw new ApiError('InvalidParameterValue', `Value (${azId}) for parameter availabilityZoneId is invalid: not a zone id of ${region}`);
    if (zone !== undefined && zone !== named) throw new ApiError('InvalidParameterCombination', `Availability Zone ${zone} is not the zone with id ${azId} (${named})`);
    zone = named;
  }
  zone ??= `${region}a`;
  const tags = tagsBySpecification(req.TagSpecifications, ['subnet']);
  const subnetId = edit.freshId('subnet');
  edit.vpcDoc(vpc.id).Subnets.push({
    Id: subnetId, Cidr: cidr, ...(ipv6 !== undefined ? { Ipv6Cidr: ipv6 } : {}),
    AvailabilityZone: zone, AvailabilityZoneId: azIdOf(region, zone) ?? '', Tags: tags.get('subnet') ?? [],
  });
  return edit.outcome({ subnetId });
}

export function deleteSubnet(current: NetworkModel | undefined, req: { readonly SubnetId?: string }, ctx: ActionContext): ActionOutcome<{ subnetId: string }> {
  const edit = new NetworkEdit(current, ctx);
  const subnet = edit.subnet(req.SubnetId);
  if (edit.index.interfacesOfSubnet(subnet.id).length > 0 || edit.model.vpcs.some((v) => v.instances.some((i) => i.subnetId === subnet.id))) {
    throw dependencies('subnet', subnet.id);
  }
  const vpc = edit.vpcDoc(subnet.vpcId);
  vpc.Subnets = vpc.Subnets.filter((s) => s.Id !== subnet.id);
  // Its association goes with it; the ACL stays.
  for (const acl of vpc.NetworkAcls) acl.Subnets = acl.Subnets.filter((id) => id !== subnet.id);
  return edit.outcome({ subnetId: subnet.id });
}
