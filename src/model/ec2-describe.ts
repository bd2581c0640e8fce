// The EC2 Describe* actions over a network model: resources by id (every id must name one) and
// by EC2's filters, in model order. They return model objects; the API writes them out.

import { awsProtocolText } from '../net/index.ts';
import {
  aclAssociationId, attachmentId, availableIpAddressCount, macAddressOf, privateDnsName, reservationId, subnetCidrAssociationId, vpcCidrAssociationId,
} from './ec2-derived.ts';
import { applyFilters, type Ec2Filter, type FilterFields } from './ec2-filters.ts';
import { ApiError } from './errors.ts';
import { isResourceId, NOT_FOUND_CODE, type ResourceKind } from './ids.ts';
import type { Instance, NetworkAcl, NetworkInterface, NetworkModel, SecurityGroup, SecurityGroupRule, Subnet, Vpc } from './network.ts';
import { NetworkIndex } from './network-index.ts';
import { unknownId } from './network-actions.ts';

const EMPTY: NetworkModel = { account: '', region: '', vpcs: [] };

/** The resources named by `ids` (all must exist: EC2 refuses the request otherwise), or all of them. */
function byIds<T extends { id: string }>(all: readonly T[], ids: readonly string[] | undefined, kind: ResourceKind): T[] {
  if (!ids?.length) return [...all];
  const malformed = ids.find((id) => !isResourceId(kind, id));
  if (malformed !== undefined) throw unknownId(kind, malformed);
  const missing = ids.filter((id) => !all.some((r) => r.id === id));
  if (missing.length === 1) throw unknownId(kind, missing[0]!);
  if (missing.length > 1) throw new ApiError(NOT_FOUND_CODE[kind], `The IDs '${missing.join(', ')}' do not exist`);
  const wanted = new Set(ids);
  return all.filter((r) => wanted.has(r.id));
}

const tagsOf = (r: { tags: Vpc['tags'] }) => r.tags;

export function describeVpcs(model: NetworkModel | undefined, req: { readonly VpcIds?: readonly string[]; readonly Filters?: readonly Ec2Filter[] }): Vpc[] {
  const m = model ?? EMPTY;
  const fields: FilterFields<Vpc> = {
    'vpc-id': (v) => [v.id],
    cidr: (v) => [v.cidr],
    'cidr-block-association.cidr-block': (v) => v.cidrs,
    'cidr-block-association.association-id': (v) => v.cidrs.map((c) => vpcCidrAssociationId(v.id, c)),
    'cidr-block-association.state': (v) => v.cidrs.map(() => 'associated'),
    'ipv6-cidr-block-association.ipv6-cidr-block': (v) => v.ipv6Cidrs,
    'ipv6-cidr-block-association.association-id': (v) => v.ipv6Cidrs.map((c) => vpcCidrAssociationId(v.id, c)),
    'ipv6-cidr-block-association.state': (v) => v.ipv6Cidrs.map(() => 'associated'),
    'is-default': () => [false],
    'owner-id': () => [m.account],
    state: () => ['available'],
  };
  return applyFilters(byIds(m.vpcs, req.VpcIds, 'vpc'), req.Filters, fields, tagsOf);
}

export function describeSubnets(model: NetworkModel | undefined, req: { readonly SubnetIds?: readonly string[]; readonly Filters?: readonly Ec2Filter[] }): Subnet[] {
  const m = model ?? EMPTY;
  const idx = new NetworkIndex(m);
  const zone = (s: Subnet) => [s.availabilityZone];
  const zoneId = (s: Subnet) => [s.azId];
  const cidr = (s: Subnet) => [s.cidr];
  const isDefault = () => [false];
  const fields: FilterFields<Subnet> = {
    'subnet-id': (s) => [s.id],
    'subnet-arn': (s) => [subnetArn(m, s)],
    'vpc-id': (s) => [s.vpcId],
    cidr, 'cidr-block': cidr, cidrBlock: cidr,
    'availability-zone': zone, availabilityZone: zone,
    'availability-zone-id': zoneId, availabilityZoneId: zoneId,
    'available-ip-address-count': (s) => [availableIpAddressCount(s, idx.interfacesOfSubnet(s.id))],
    'default-for-az': isDefault, defaultForAz: isDefault,
    'ipv6-cidr-block-association.ipv6-cidr-block': (s) => [s.ipv6Cidr],
    'ipv6-cidr-block-association.association-id': (s) => (s.ipv6Cidr ? [subnetCidrAssociationId(s.id, s.ipv6Cidr)] : []),
    'ipv6-cidr-block-association.state': (s) => (s.ipv6Cidr ? ['associated'] : []),
    'map-public-ip-on-launch': () => [false],
    'owner-id': () => [m.account],
    state: () => ['available'],
  };
  return applyFilters(byIds(allOf(m, (v) => v.subnets), req.SubnetIds, 'subnet'), req.Filters, fields, tagsOf);
}

export const subnetArn = (m: Pick<NetworkModel, 'account' | 'region'>, s: Subnet): string => `arn:aws:ec2:${m.region}:${m.account}:subnet/${s.id}`;

const allOf = <T>(m: NetworkModel, pick: (v: Vpc) => readonly T[]): T[] => m.vpcs.flatMap(pick);

function groupNames(idx: NetworkIndex, ids: readonly string[]): string[] {
  return ids.map((id) => idx.securityGroup(id)?.name ?? '');
}

export function describeNetworkInterfaces(model: NetworkModel | undefined, req: { readonly NetworkInterfaceIds?: readonly string[]; readonly Filters?: readonly Ec2Filter[] }): NetworkInterface[] {
  const m = model ?? EMPTY;
  const idx = new NetworkIndex(m);
  const fields: FilterFields<NetworkInterface> = {
    'network-interface-id': (n) => [n.id],
    'subnet-id': (n) => [n.subnetId],
    'vpc-id': (n) => [n.vpcId],
    'availability-zone': (n) => [n.availabilityZone],
    description: (n) => [n.description ?? ''],
    'private-ip-address': (n) => [n.privateIp, ...n.secondaryIps],
    'addresses.private-ip-address': (n) => [n.privateIp, ...n.secondaryIps],
    'private-dns-name': (n) => [privateDnsName(n.privateIp, m.region)],
    'ipv6-addresses.ipv6-address': (n) => n.ipv6,
    'group-id': (n) => n.securityGroupIds,
    'group-name': (n) => groupNames(idx, n.securityGroupIds),
    'attachment.instance-id': (n) => [n.instanceId],
    'attachment.instance-owner-id': (n) => (n.instanceId ? [m.account] : []),
    'attachment.device-index': (n) => [n.deviceIndex],
    'attachment.status': (n) => (n.instanceId ? ['attached'] : []),
    'attachment.attachment-id': (n) => (n.instanceId ? [attachmentId(n.id, n.instanceId)] : []),
    'attachment.delete-on-termination': (n) => (n.instanceId ? [true] : []),
    'mac-address': (n) => [macAddressOf(n.id)],
    'owner-id': () => [m.account],
    'requester-managed': () => [false],
    'source-dest-check': () => [true],
    status: (n) => [n.instanceId ? 'in-use' : 'available'],
    'interface-type': () => ['interface'],
  };
  return applyFilters(byIds(allOf(m, (v) => v.networkInterfaces), req.NetworkInterfaceIds, 'network-interface'), req.Filters, fields, tagsOf);
}

/** The security groups of an instance: those of its interfaces, primary first, each once. */
export function instanceGroupIds(idx: NetworkIndex, i: Instance): string[] {
  return [...new Set(i.interfaceIds.flatMap((id) => idx.networkInterface(id)?.securityGroupIds ?? []))];
}

export function describeInstances(model: NetworkModel | undefined, req: { readonly InstanceIds?: readonly string[]; readonly Filters?: readonly Ec2Filter[] }): Instance[] {
  const m = model ?? EMPTY;
  const idx = new NetworkIndex(m);
  const enis = (i: Instance) => idx.interfacesOfInstance(i.id);
  const primary = (i: Instance) => idx.networkInterface(i.interfaceIds[0] ?? '');
  const groupIds = (i: Instance) => instanceGroupIds(idx, i);
  const fields: FilterFields<Instance> = {
    'instance-id': (i) => [i.id],
    'instance-state-name': () => ['running'],
    'instance-state-code': () => [16],
    'subnet-id': (i) => [i.subnetId],
    'vpc-id': (i) => [i.vpcId],
    'availability-zone': (i) => [i.availabilityZone],
    'private-ip-address': (i) => [primary(i)?.privateIp],
    'private-dns-name': (i) => [privateDnsName(primary(i)?.privateIp ?? '', m.region)],
    'ipv6-address': (i) => enis(i).flatMap((n) => n.ipv6),
    'reservation-id': (i) => [reservationId(i.id)],
    'owner-id': () => [m.account],
    tenancy: () => ['default'],
    'instance.group-id': groupIds,
    'instance.group-name': (i) => groupNames(idx, groupIds(i)),
    'group-id': groupIds,
    'group-name': (i) => groupNames(idx, groupIds(i)),
    'network-interface.network-interface-id': (i) => i.interfaceIds,
    'network-interface.subnet-id': (i) => enis(i).map((n) => n.subnetId),
    'network-interface.vpc-id': (i) => enis(i).map((n) => n.vpcId),
    'network-interface.description': (i) => enis(i).map((n) => n.description),
    'network-interface.group-id': (i) => enis(i).flatMap((n) => n.securityGroupIds),
    'network-interface.addresses.private-ip-address': (i) => enis(i).flatMap((n) => [n.privateIp, ...n.secondaryIps]),
    'network-interface.private-ip-address': (i) => enis(i).flatMap((n) => [n.privateIp, ...n.secondaryIps]),
    'network-interface.ipv6-addresses.ipv6-address': (i) => enis(i).flatMap((n) => n.ipv6),
    'network-interface.attachment.device-index': (i) => enis(i).map((n) => n.deviceIndex),
    'network-interface.mac-address': (i) => i.interfaceIds.map(macAddressOf),
  };
  return applyFilters(byIds(allOf(m, (v) => v.instances), req.InstanceIds, 'instance'), req.Filters, fields, tagsOf);
}

/** Per-rule filter values of one direction of a group (`ip-permission.*` or `egress.ip-permission.*`). */
function permissionFields(prefix: string, rulesOf: (g: SecurityGroup) => readonly SecurityGroupRule[], idx: NetworkIndex): FilterFields<SecurityGroup> {
  return {
    [`${prefix}.cidr`]: (g) => rulesOf(g).map((r) => r.cidr),
    [`${prefix}.ipv6-cidr`]: (g) => rulesOf(g).map((r) => r.ipv6Cidr),
    [`${prefix}.group-id`]: (g) => rulesOf(g).map((r) => r.groupId),
    [`${prefix}.group-name`]: (g) => rulesOf(g).map((r) => (r.groupId ? idx.securityGroup(r.groupId)?.name : undefined)),
    [`${prefix}.protocol`]: (g) => rulesOf(g).map((r) => awsProtocolText(r.protocol)),
    [`${prefix}.from-port`]: (g) => rulesOf(g).map((r) => r.fromPort),
    [`${prefix}.to-port`]: (g) => rulesOf(g).map((r) => r.toPort),
    [`${prefix}.user-id`]: (g) => rulesOf(g).map((r) => (r.groupId ? idx.model.account : undefined)),
  };
}

export function describeSecurityGroups(
  model: NetworkModel | undefined,
  req: { readonly GroupIds?: readonly string[]; readonly GroupNames?: readonly string[]; readonly Filters?: readonly Ec2Filter[] },
): SecurityGroup[] {
  const m = model ?? EMPTY;
  const idx = new NetworkIndex(m);
  let groups = byIds(allOf(m, (v) => v.securityGroups), req.GroupIds, 'security-group');
  if (req.GroupNames?.length) {
    const unknown = req.GroupNames.find((n) => !groups.some((g) => g.name === n));
    if (unknown !== undefined) throw new ApiError('InvalidGroup.NotFound', `The security group '${unknown}' does not exist`);
    groups = groups.filter((g) => req.GroupNames!.includes(g.name));
  }
  const fields: FilterFields<SecurityGroup> = {
    'group-id': (g) => [g.id],
    'group-name': (g) => [g.name],
    description: (g) => [g.description],
    'vpc-id': (g) => [g.vpcId],
    'owner-id': () => [m.account],
    ...permissionFields('ip-permission', (g) => g.ingress, idx),
    ...permissionFields('egress.ip-permission', (g) => g.egress, idx),
  };
  return applyFilters(groups, req.Filters, fields, tagsOf);
}

export function describeNetworkAcls(model: NetworkModel | undefined, req: { readonly NetworkAclIds?: readonly string[]; readonly Filters?: readonly Ec2Filter[] }): NetworkAcl[] {
  const m = model ?? EMPTY;
  const entries = (a: NetworkAcl) => a.entries;
  const fields: FilterFields<NetworkAcl> = {
    'network-acl-id': (a) => [a.id],
    'vpc-id': (a) => [a.vpcId],
    default: (a) => [a.isDefault],
    'owner-id': () => [m.account],
    'association.association-id': (a) => a.subnetIds.map((s) => aclAssociationId(a.id, s)),
    'association.network-acl-id': (a) => (a.subnetIds.length ? [a.id] : []),
    'association.subnet-id': (a) => a.subnetIds,
    'entry.cidr': (a) => entries(a).map((e) => e.cidr),
    'entry.ipv6-cidr': (a) => entries(a).map((e) => e.ipv6Cidr),
    'entry.egress': (a) => entries(a).map((e) => e.egress),
    'entry.protocol': (a) => entries(a).map((e) => String(e.protocol)),
    'entry.rule-action': (a) => entries(a).map((e) => e.ruleAction),
    'entry.rule-number': (a) => entries(a).map((e) => e.ruleNumber),
    'entry.port-range.from': (a) => entries(a).map((e) => e.portRange?.from),
    'entry.port-range.to': (a) => entries(a).map((e) => e.portRange?.to),
    'entry.icmp.type': (a) => entries(a).map((e) => e.icmpTypeCode?.type),
    'entry.icmp.code': (a) => entries(a).map((e) => e.icmpTypeCode?.code),
  };
  return applyFilters(byIds(allOf(m, (v) => v.networkAcls), req.NetworkAclIds, 'network-acl'), req.Filters, fields, tagsOf);
}
