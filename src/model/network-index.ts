// Lookups over a NetworkModel built once: resources by id, interfaces by address, by VPC, subnet
// or instance, and the security groups and network ACL that apply to an interface.

import { canonicalIp, formatIp, isIp, type IpAddress } from '../net/index.ts';
import type { Instance, NetworkAcl, NetworkInterface, NetworkModel, SecurityGroup, Subnet, Vpc } from './network.ts';

/** The resource types a flow log can monitor (CreateFlowLogs' ResourceType values that vpcflow supports). */
export type MonitoredResourceType = 'VPC' | 'Subnet' | 'NetworkInterface';

const group = <T, K>(items: Iterable<T>, keyOf: (t: T) => K): Map<K, T[]> => {
  const out = new Map<K, T[]>();
  for (const it of items) {
    const k = keyOf(it);
    let list = out.get(k);
    if (!list) out.set(k, (list = []));
    list.push(it);
  }
  return out;
};

export class NetworkIndex {
  private readonly vpcs = new Map<string, Vpc>();
  private readonly subnets = new Map<string, Subnet>();
  private readonly instances = new Map<string, Instance>();
  private readonly enis = new Map<string, NetworkInterface>();
  private readonly groups = new Map<string, SecurityGroup>();
  private readonly acls = new Map<string, NetworkAcl>();
  private readonly byAddress = new Map<string, NetworkInterface>();
  private readonly bySubnet: Map<string, NetworkInterface[]>;
  private readonly byInstance: Map<string | null, NetworkInterface[]>;
  private readonly all: NetworkInterface[] = [];

  constructor(readonly model: NetworkModel) {
    for (const vpc of model.vpcs) {
      this.vpcs.set(vpc.id, vpc);
      for (const s of vpc.subnets) this.subnets.set(s.id, s);
      for (const i of vpc.instances) this.instances.set(i.id, i);
      for (const g of vpc.securityGroups) this.groups.set(g.id, g);
      for (const a of vpc.networkAcls) this.acls.set(a.id, a);
      for (const n of vpc.networkInterfaces) {
        this.enis.set(n.id, n);
        this.all.push(n);
        for (const a of [n.privateIp, ...n.secondaryIps, ...n.ipv6]) if (a) this.byAddress.set(a, n);
      }
    }
    this.bySubnet = group(this.all, (n) => n.subnetId);
    this.byInstance = group(this.all, (n) => n.instanceId);
  }

  vpc(id: string): Vpc | undefined {
    return this.vpcs.get(id);
  }
  subnet(id: string): Subnet | undefined {
    return this.subnets.get(id);
  }
  instance(id: string): Instance | undefined {
    return this.instances.get(id);
  }
  networkInterface(id: string): NetworkInterface | undefined {
    return this.enis.get(id);
  }
  securityGroup(id: string): SecurityGroup | undefined {
    return this.groups.get(id);
  }
  networkAcl(id: string): NetworkAcl | undefined {
    return this.acls.get(id);
  }

  /** Every network interface, VPC by VPC in model order. */
  interfaces(): readonly NetworkInterface[] {
    return this.all;
  }
  interfacesOfVpc(vpcId: string): readonly NetworkInterface[] {
    return this.vpcs.get(vpcId)?.networkInterfaces ?? [];
  }
  interfacesOfSubnet(subnetId: string): readonly NetworkInterface[] {
    return this.bySubnet.get(subnetId) ?? [];
  }
  interfacesOfInstance(instanceId: string): readonly NetworkInterface[] {
    return this.byInstance.get(instanceId) ?? [];
  }

  /** The interface owning an address (primary, secondary or IPv6), given as text in any accepted form or as bytes. */
  interfaceByAddress(address: string | IpAddress): NetworkInterface | undefined {
    if (typeof address !== 'string') return this.byAddress.get(formatIp(address));
    const direct = this.byAddress.get(address);
    if (direct || !isIp(address)) return direct;
    return this.byAddress.get(canonicalIp(address));
  }

  securityGroupsOf(eni: NetworkInterface): SecurityGroup[] {
    return eni.securityGroupIds.map((id) => this.groups.get(id)).filter((g): g is SecurityGroup => g !== undefined);
  }

  networkAclOfSubnet(subnetId: string): NetworkAcl | undefined {
    const s = this.subnets.get(subnetId);
    return s ? this.acls.get(s.networkAclId) : undefined;
  }

  /** Whether a flow log could monitor this resource (the existence check of CreateFlowLogs). */
  resourceExists(type: MonitoredResourceType | string, id: string): boolean {
    switch (type) {
      case 'VPC':
        return this.vpcs.has(id);
      case 'Subnet':
        return this.subnets.has(id);
      case 'NetworkInterface':
        return this.enis.has(id);
      default:
        return false;
    }
  }
}
