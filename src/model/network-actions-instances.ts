// CreateNetworkInterface, DeleteNetworkInterface, RunInstances and TerminateInstances as edits of
// the apply document. Addresses not named by the request are the first free ones of the subnet.
// vpcflow keeps no DeleteOnTermination flag: terminating an instance deletes all its interfaces.

import { ApiError } from './errors.ts';
import type { NetworkInterface, NetworkModel, Subnet } from './network.ts';
import type { Tag } from './tags.ts';
import type { InterfaceDocument } from './to-document.ts';
import {
  NetworkEdit, missing, notFound, optionalInteger, readAddressParam, requireString, tagsBySpecification, unknownId,
  type ActionContext, type ActionOutcome, type TagSpecification,
} from './network-actions.ts';
import { isResourceId } from './ids.ts';

export interface PrivateIpSpecification {
  readonly Primary?: boolean;
  readonly PrivateIpAddress?: string;
}

export interface Ipv6Specification {
  readonly Ipv6Address?: string;
}

/** The addressing and groups of one new interface, as CreateNetworkInterface and RunInstances take them. */
interface InterfaceSpec {
  readonly description?: string | undefined;
  readonly groupIds?: readonly string[] | undefined;
  readonly privateIp?: string | undefined;
  readonly privateIps?: readonly PrivateIpSpecification[] | undefined;
  readonly secondaryCount?: unknown;
  readonly ipv6?: readonly Ipv6Specification[] | undefined;
  readonly ipv6Count?: unknown;
}

/**
 * Builds the document of a new interface in `subnet`. Its named addresses must have been claimed
 * already (claimNamed, for every interface of the request first); counts are filled from free ones.
 */
function newInterface(edit: NetworkEdit, id: string, subnet: Subnet, spec: InterfaceSpec, tags: readonly Tag[]): InterfaceDocument {
  const named = namedAddresses(spec);
  const secondaryCount = optionalInteger(spec.secondaryCount, 'SecondaryPrivateIpAddressCount', 1, 49) ?? 0;
  const ipv6Count = optionalInteger(spec.ipv6Count, 'Ipv6AddressCount', 0, 50) ?? 0;
  if (ipv6Count > 0 && named.ipv6.length > 0) throw new ApiError('InvalidParameterCombination', 'Ipv6Addresses and Ipv6AddressCount may not both be given');
  if (ipv6Count > 0 && subnet.ipv6Cidr === null) throw new ApiError('InvalidParameterValue', `Subnet '${subnet.id}' has no IPv6 CIDR block, so an interface in it cannot get IPv6 addresses`);
  const vpc = edit.index.vpc(subnet.vpcId)!;
  const groups = [...new Set(spec.groupIds ?? [])];
  for (const g of groups) {
    if (!isResourceId('security-group', g)) throw unknownId('security-group', g);
    if (!vpc.securityGroups.some((sg) => sg.id === g)) throw new ApiError('InvalidGroup.NotFound', `The security group '${g}' does not exist in VPC '${vpc.id}'`);
  }
  const primary = named.primary ?? edit.nextAddress(subnet.cidr, subnet.id);
  const secondaries = [...named.secondaries];
  for (let i = 0; i < secondaryCount; i++) secondaries.push(edit.nextAddress(subnet.cidr, subnet.id));
  const ipv6 = [...named.ipv6];
  for (let i = 0; i < ipv6Count; i++) ipv6.push(edit.nextAddress(subnet.ipv6Cidr!, subnet.id));
  const defaultGroup = vpc.securityGroups.find((g) => g.isDefault)!;
  return {
    Id: id, Subnet: subnet.id, PrivateIp: primary, SecondaryIps: secondaries, Ipv6: ipv6,
    SecurityGroups: groups.length ? groups : [defaultGroup.id],
    ...(spec.description !== undefined && spec.description !== '' ? { Description: spec.description } : {}),
    Tags: [...tags],
  };
}

function namedAddresses(spec: InterfaceSpec): { primary: string | undefined; secondaries: string[]; ipv6: string[] } {
  let primary = spec.privateIp ? readAddressParam(spec.privateIp, 'privateIpAddress', 4) : undefined;
  const secondaries: string[] = [];
  for (const p of spec.privateIps ?? []) {
    const a = readAddressParam(requireString(p?.PrivateIpAddress, 'PrivateIpAddresses.N.PrivateIpAddress'), 'privateIpAddress', 4);
    if (p.Primary === true) {
      if (primary !== undefined && primary !== a) throw new ApiError('InvalidParameterCombination', `Two primary private IP addresses were given: ${primary} and ${a}`);
      primary = a;
    } else if (a !== primary) {
      secondaries.push(a);
    }
  }
  const ipv6 = (spec.ipv6 ?? []).map((x) => readAddressParam(requireString(x?.Ipv6Address, 'Ipv6Addresses.N.Ipv6Address'), 'ipv6Address', 6));
  return { primary, secondaries, ipv6 };
}

/** Named addresses are claimed before any free one is handed out, so a request never hands out an address it names. */
function claimNamed(edit: NetworkEdit, spec: InterfaceSpec): void {
  const named = namedAddresses(spec);
  for (const a of [...(named.primary !== undefined ? [named.primary] : []), ...named.secondaries, ...named.ipv6]) edit.claimAddress(a);
}

/** The members CreateNetworkInterface and RunInstances' NetworkInterface.N share (EC2 names). */
interface InterfaceRequestFields {
  readonly SubnetId?: string;
  readonly Description?: string;
  readonly Groups?: readonly string[];
  readonly PrivateIpAddress?: string;
  readonly PrivateIpAddresses?: readonly PrivateIpSpecification[];
  readonly SecondaryPrivateIpAddressCount?: number;
  readonly Ipv6Addresses?: readonly Ipv6Specification[];
  readonly Ipv6AddressCount?: number;
}

export interface CreateNetworkInterfaceRequest extends InterfaceRequestFields {
  readonly InterfaceType?: string;
  readonly TagSpecifications?: readonly TagSpecification[];
}

export function createNetworkInterface(current: NetworkModel | undefined, req: CreateNetworkInterfaceRequest, ctx: ActionContext): ActionOutcome<{ networkInterfaceId: string }> {
  const edit = new NetworkEdit(current, ctx);
  const subnet = edit.subnet(req.SubnetId);
  if (req.InterfaceType !== undefined && req.InterfaceType !== 'interface') {
    throw new ApiError('InvalidParameterValue', `Value (${req.InterfaceType}) for parameter interfaceType is invalid: vpcflow models standard interfaces only`);
  }
  const tags = tagsBySpecification(req.TagSpecifications, ['network-interface']);
  const spec: InterfaceSpec = {
    description: req.Description, groupIds: req.Groups, privateIp: req.PrivateIpAddress, privateIps: req.PrivateIpAddresses,
    secondaryCount: req.SecondaryPrivateIpAddressCount, ipv6: req.Ipv6Addresses, ipv6Count: req.Ipv6AddressCount,
  };
  claimNamed(edit, spec);
  const id = edit.freshId('network-interface');
  const doc = newInterface(edit, id, subnet, spec, tags.get('network-interface') ?? []);
  edit.vpcDoc(subnet.vpcId).NetworkInterfaces.push(doc);
  return edit.outcome({ networkInterfaceId: id });
}

export function deleteNetworkInterface(current: NetworkModel | undefined, req: { readonly NetworkInterfaceId?: string }, ctx: ActionContext): ActionOutcome<{ networkInterfaceId: string }> {
  const edit = new NetworkEdit(current, ctx);
  const eni = edit.networkInterface(req.NetworkInterfaceId);
  if (eni.instanceId !== null) throw new ApiError('InvalidNetworkInterface.InUse', `The network interface '${eni.id}' is currently in use.`);
  const vpc = edit.vpcDoc(eni.vpcId);
  vpc.NetworkInterfaces = vpc.NetworkInterfaces.filter((n) => n.Id !== eni.id);
  return edit.outcome({ networkInterfaceId: eni.id });
}

export interface InstanceNetworkInterfaceSpecification extends InterfaceRequestFields {
  readonly DeviceIndex?: number;
  readonly NetworkInterfaceId?: string;
  readonly DeleteOnTermination?: boolean;
  readonly AssociatePublicIpAddress?: boolean;
}

export interface RunInstancesRequest {
  readonly ImageId?: string;
  readonly InstanceType?: string;
  readonly MinCount?: number;
  readonly MaxCount?: number;
  readonly SubnetId?: string;
  readonly PrivateIpAddress?: string;
  readonly SecurityGroupIds?: readonly string[];
  readonly SecurityGroups?: readonly string[];
  readonly Ipv6Addresses?: readonly Ipv6Specification[];
  readonly Ipv6AddressCount?: number;
  readonly NetworkInterfaces?: readonly InstanceNetworkInterfaceSpecification[];
  readonly TagSpecifications?: readonly TagSpecification[];
}

/** At most this many instances per request (AWS's limit depends on the account's vCPU quota). */
export const MAX_INSTANCES_PER_REQUEST = 100;

/** One interface of each launched instance: attach an existing one, or create one in a subnet. */
type LaunchInterface = { readonly existing: NetworkInterface } | { readonly subnet: Subnet; readonly spec: InterfaceSpec };

export function runInstances(current: NetworkModel | undefined, req: RunInstancesRequest, ctx: ActionContext): ActionOutcome<{ instanceIds: string[] }> {
  const edit = new NetworkEdit(current, ctx);
  if (req.MinCount === undefined) throw missing('MinCount');
  if (req.MaxCount === undefined) throw missing('MaxCount');
  const minCount = optionalInteger(req.MinCount, 'minCount', 1, Number.MAX_SAFE_INTEGER)!;
  const maxCount = optionalInteger(req.MaxCount, 'maxCount', 1, Number.MAX_SAFE_INTEGER)!;
  if (minCount > maxCount) throw new ApiError('InvalidParameterValue', `Value (${minCount}) for parameter minCount is invalid. It must not be greater than maxCount (${maxCount}).`);
  if (minCount > MAX_INSTANCES_PER_REQUEST) {
    throw new ApiError('InstanceLimitExceeded', `Your quota allows for ${MAX_INSTANCES_PER_REQUEST} more running instance(s) per request. You requested at least ${minCount}.`);
  }
  const tags = tagsBySpecification(req.TagSpecifications, ['instance', 'network-interface', 'volume']);
  const layout = launchLayout(edit, req);
  const primarySubnet = 'existing' in layout[0]! ? edit.index.subnet(layout[0].existing.subnetId)! : layout[0]!.subnet;
  const single = layout.some((l) => 'existing' in l || l.spec.privateIp !== undefined || (l.spec.privateIps?.length ?? 0) > 0 || (l.spec.ipv6?.length ?? 0) > 0);
  if (single && maxCount > 1) {
    throw new ApiError('InvalidParameterCombination', 'Named private or IPv6 addresses and existing network interfaces can only be used when launching one instance (MaxCount=1)');
  }
  for (const l of layout) if (!('existing' in l)) claimNamed(edit, l.spec);

  const instanceIds: string[] = [];
  const target = Math.min(maxCount, MAX_INSTANCES_PER_REQUEST);
  const vpcDoc = edit.vpcDoc(primarySubnet.vpcId);
  while (instanceIds.length < target) {
    let interfaces: InterfaceDocument[];
    try {
      interfaces = layout.map((l) => {
        if ('existing' in l) {
          const doc = vpcDoc.NetworkInterfaces.find((n) => n.Id === l.existing.id)!;
          vpcDoc.NetworkInterfaces = vpcDoc.NetworkInterfaces.filter((n) => n !== doc);
          return doc;
        }
        return newInterface(edit, edit.freshId('network-interface'), l.subnet, l.spec, tags.get('network-interface') ?? []);
      });
    } catch (e) {
      // AWS launches as many as it can, if that is at least MinCount.
      if (e instanceof ApiError && e.code === 'InsufficientFreeAddressesInSubnet' && instanceIds.length >= minCount) break;
      throw e;
    }
    const instanceId = edit.freshId('instance');
    vpcDoc.Instances.push({ Id: instanceId, Subnet: primarySubnet.id, Interfaces: interfaces, Tags: [...(tags.get('instance') ?? [])] });
    instanceIds.push(instanceId);
  }
  return edit.outcome({ instanceIds });
}

/** The interfaces each instance gets, by device index, from either the instance-level or the NetworkInterface.N parameters. */
function launchLayout(edit: NetworkEdit, req: RunInstancesRequest): LaunchInterface[] {
  const specs = req.NetworkInterfaces ?? [];
  if (specs.length === 0) {
    if (!req.SubnetId) throw new ApiError('VPCIdNotSpecified', 'No default VPC for this user. Give a SubnetId or NetworkInterface.1.SubnetId.');
    const subnet = edit.subnet(req.SubnetId);
    const vpc = edit.index.vpc(subnet.vpcId)!;
    const groupIds = [...(req.SecurityGroupIds ?? [])];
    for (const name of req.SecurityGroups ?? []) {
      const g = vpc.securityGroups.find((sg) => sg.name === name);
      if (!g) throw new ApiError('InvalidGroup.NotFound', `The security group '${name}' does not exist in VPC '${vpc.id}'`);
      groupIds.push(g.id);
    }
    return [{ subnet, spec: { groupIds, privateIp: req.PrivateIpAddress, ipv6: req.Ipv6Addresses, ipv6Count: req.Ipv6AddressCount } }];
  }
  const instanceLevel = ['SubnetId', 'PrivateIpAddress', 'SecurityGroupIds', 'SecurityGroups', 'Ipv6Addresses', 'Ipv6AddressCount'] as const;
  const clash = instanceLevel.find((k) => req[k] !== undefined && !(Array.isArray(req[k]) && (req[k] as unknown[]).length === 0));
  if (clash) throw new ApiError('InvalidParameterCombination', `Network interfaces and an instance-level ${clash} may not be specified on the same request`);
  const byIndex = new Map<number, LaunchInterface>();
  specs.forEach((s, i) => {
    if (s?.DeviceIndex === undefined) throw new ApiError('InvalidParameterValue', `Each network interface requires a device index (NetworkInterface.${i + 1}.DeviceIndex).`);
    const index = optionalInteger(s.DeviceIndex, `NetworkInterface.${i + 1}.DeviceIndex`, 0, specs.length - 1)!;
    if (byIndex.has(index)) throw new ApiError('InvalidParameterValue', `Each network interface requires a unique device index: ${index} is given twice.`);
    if (s.NetworkInterfaceId !== undefined) {
      if (s.SubnetId !== undefined || s.PrivateIpAddress !== undefined || s.Groups?.length || s.PrivateIpAddresses?.length || s.Ipv6Addresses?.length) {
        throw new ApiError('InvalidParameterCombination', `NetworkInterface.${i + 1} names an existing interface and also subnet, addresses or groups for a new one`);
      }
      const eni = edit.networkInterface(s.NetworkInterfaceId, `NetworkInterface.${i + 1}.NetworkInterfaceId`);
      if (eni.instanceId !== null) throw new ApiError('InvalidNetworkInterface.InUse', `Interface: '${eni.id}' in use.`);
      byIndex.set(index, { existing: eni });
    } else {
      if (!s.SubnetId) throw new ApiError('VPCIdNotSpecified', `No default VPC for this user. Give NetworkInterface.${i + 1}.SubnetId.`);
      byIndex.set(index, {
        subnet: edit.subnet(s.SubnetId, `NetworkInterface.${i + 1}.SubnetId`),
        spec: {
          description: s.Description, groupIds: s.Groups, privateIp: s.PrivateIpAddress, privateIps: s.PrivateIpAddresses,
          secondaryCount: s.SecondaryPrivateIpAddressCount, ipv6: s.Ipv6Addresses, ipv6Count: s.Ipv6AddressCount,
        },
      });
    }
  });
  // Indexes run 0 … n-1 (checked above, and unique), so the order by index is the device order.
  const layout = [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, l]) => l);
  const vpcs = new Set(layout.map((l) => ('existing' in l ? l.existing.vpcId : l.subnet.vpcId)));
  if (vpcs.size > 1) throw new ApiError('InvalidParameterCombination', `The network interfaces of an instance must all be in one VPC; these are in ${[...vpcs].join(', ')}`);
  return layout;
}

export function terminateInstances(current: NetworkModel | undefined, req: { readonly InstanceIds?: readonly string[] }, ctx: ActionContext): ActionOutcome<{ instanceIds: string[] }> {
  const edit = new NetworkEdit(current, ctx);
  const ids = [...new Set(req.InstanceIds ?? [])];
  if (ids.length === 0) throw missing('InstanceId');
  const malformed = ids.find((id) => !isResourceId('instance', id));
  if (malformed !== undefined) throw unknownId('instance', malformed);
  const unknown = ids.filter((id) => !edit.index.instance(id));
  if (unknown.length === 1) throw notFound('instance', unknown[0]!);
  if (unknown.length > 1) throw new ApiError('InvalidInstanceID.NotFound', `The instance IDs '${unknown.join(', ')}' do not exist`);
  for (const id of ids) {
    const vpc = edit.vpcDoc(edit.index.instance(id)!.vpcId);
    vpc.Instances = vpc.Instances.filter((i) => i.Id !== id);
  }
  return edit.outcome({ instanceIds: ids });
}
