// The inverse of compileNetwork: a model written back as an apply document with every id, default
// and association explicit, so that compiling the document (against the model or against nothing)
// yields the very same model. EC2 actions edit this document and apply it like `vpcflow apply`.
// Keys use the document's PascalCase aliases, so TypeScript code can edit them as plain fields.

import type { Instance, NetworkAcl, NetworkAclEntry, NetworkInterface, NetworkModel, SecurityGroup, SecurityGroupRule, Subnet, Vpc } from './network.ts';
import { ACL_DEFAULT_RULE_NUMBER } from './network.ts';
import type { Tag } from './tags.ts';

export interface NetworkDocument {
  Account: string;
  Region: string;
  Vpcs: VpcDocument[];
}

export interface VpcDocument {
  Id: string;
  Name?: string;
  Cidrs: string[];
  Ipv6Cidrs: string[];
  Tags: Tag[];
  Subnets: SubnetDocument[];
  Instances: InstanceDocument[];
  NetworkInterfaces: InterfaceDocument[];
  SecurityGroups: SecurityGroupDocument[];
  NetworkAcls: NetworkAclDocument[];
}

export interface SubnetDocument {
  Id: string;
  Name?: string;
  Cidr: string;
  Ipv6Cidr?: string;
  AvailabilityZone: string;
  AvailabilityZoneId: string;
  Tags: Tag[];
}

export interface InstanceDocument {
  Id: string;
  Name?: string;
  Subnet: string;
  /** By device index. */
  Interfaces: InterfaceDocument[];
  Tags: Tag[];
}

export interface InterfaceDocument {
  Id: string;
  Name?: string;
  Subnet: string;
  PrivateIp: string;
  SecondaryIps: string[];
  Ipv6: string[];
  SecurityGroups: string[];
  Description?: string;
  Tags: Tag[];
}

export interface SecurityGroupRuleDocument {
  Protocol: string;
  FromPort?: number;
  ToPort?: number;
  Cidr?: string;
  Ipv6Cidr?: string;
  SourceGroup?: string;
  Description?: string;
}

export interface SecurityGroupDocument {
  Id: string;
  /** Absent when the group was declared by id only (its name is then its id, which a name may not look like). */
  Name?: string;
  Description: string;
  Ingress: SecurityGroupRuleDocument[];
  Egress: SecurityGroupRuleDocument[];
  Tags: Tag[];
}

export interface NetworkAclEntryDocument {
  RuleNumber: number;
  Egress: boolean;
  Protocol: string;
  RuleAction: 'allow' | 'deny';
  Cidr?: string;
  Ipv6Cidr?: string;
  FromPort?: number;
  ToPort?: number;
  IcmpType?: number;
  IcmpCode?: number;
}

export interface NetworkAclDocument {
  Id: string;
  Name?: string;
  Default: boolean;
  /** Explicit associations; the default ACL's are implied (every subnet no other ACL claims). */
  Subnets: string[];
  /** Declared entries, without the final `*` rules (compilation adds them). */
  Entries: NetworkAclEntryDocument[];
  Tags: Tag[];
}

const tagsOf = (tags: readonly Tag[]): Tag[] => tags.map((t) => ({ Key: t.Key, Value: t.Value }));
const named = (name: string | null): { Name?: string } => (name === null ? {} : { Name: name });

export function modelToDocument(model: NetworkModel): NetworkDocument {
  return { Account: model.account, Region: model.region, Vpcs: model.vpcs.map(vpcDocument) };
}

function vpcDocument(v: Vpc): VpcDocument {
  const attached = new Set(v.instances.flatMap((i) => i.interfaceIds));
  const byId = new Map(v.networkInterfaces.map((n) => [n.id, n]));
  return {
    Id: v.id, ...named(v.name), Cidrs: [...v.cidrs], Ipv6Cidrs: [...v.ipv6Cidrs], Tags: tagsOf(v.tags),
    Subnets: v.subnets.map(subnetDocument),
    Instances: v.instances.map((i) => instanceDocument(i, byId)),
    NetworkInterfaces: v.networkInterfaces.filter((n) => !attached.has(n.id)).map(interfaceDocument),
    SecurityGroups: v.securityGroups.map(groupDocument),
    NetworkAcls: v.networkAcls.map(aclDocument),
  };
}

function subnetDocument(s: Subnet): SubnetDocument {
  return {
    Id: s.id, ...named(s.name), Cidr: s.cidr, ...(s.ipv6Cidr !== null ? { Ipv6Cidr: s.ipv6Cidr } : {}),
    AvailabilityZone: s.availabilityZone, AvailabilityZoneId: s.azId, Tags: tagsOf(s.tags),
  };
}

function instanceDocument(i: Instance, interfaces: ReadonlyMap<string, NetworkInterface>): InstanceDocument {
  const own = i.interfaceIds.map((id) => interfaces.get(id)).filter((n): n is NetworkInterface => n !== undefined);
  return { Id: i.id, ...named(i.name), Subnet: i.subnetId, Interfaces: own.map(interfaceDocument), Tags: tagsOf(i.tags) };
}

export function interfaceDocument(n: NetworkInterface): InterfaceDocument {
  return {
    Id: n.id, ...named(n.name), Subnet: n.subnetId, PrivateIp: n.privateIp, SecondaryIps: [...n.secondaryIps], Ipv6: [...n.ipv6],
    SecurityGroups: [...n.securityGroupIds], ...(n.description !== null ? { Description: n.description } : {}), Tags: tagsOf(n.tags),
  };
}

export function ruleDocument(r: SecurityGroupRule): SecurityGroupRuleDocument {
  return {
    Protocol: String(r.protocol),
    ...(r.fromPort !== null ? { FromPort: r.fromPort } : {}),
    ...(r.toPort !== null ? { ToPort: r.toPort } : {}),
    ...(r.cidr !== null ? { Cidr: r.cidr } : {}),
    ...(r.ipv6Cidr !== null ? { Ipv6Cidr: r.ipv6Cidr } : {}),
    ...(r.groupId !== null ? { SourceGroup: r.groupId } : {}),
    ...(r.description !== null ? { Description: r.description } : {}),
  };
}

function groupDocument(g: SecurityGroup): SecurityGroupDocument {
  return {
    Id: g.id, ...(g.name !== g.id ? { Name: g.name } : {}), Description: g.description,
    Ingress: g.ingress.map(ruleDocument), Egress: g.egress.map(ruleDocument), Tags: tagsOf(g.tags),
  };
}

export function aclEntryDocument(e: NetworkAclEntry): NetworkAclEntryDocument {
  return {
    RuleNumber: e.ruleNumber, Egress: e.egress, Protocol: String(e.protocol), RuleAction: e.ruleAction,
    ...(e.cidr !== null ? { Cidr: e.cidr } : {}),
    ...(e.ipv6Cidr !== null ? { Ipv6Cidr: e.ipv6Cidr } : {}),
    ...(e.portRange !== null ? { FromPort: e.portRange.from, ToPort: e.portRange.to } : {}),
    ...(e.icmpTypeCode !== null ? { IcmpType: e.icmpTypeCode.type, IcmpCode: e.icmpTypeCode.code } : {}),
  };
}

function aclDocument(a: NetworkAcl): NetworkAclDocument {
  return {
    Id: a.id, ...named(a.name), Default: a.isDefault, Subnets: a.isDefault ? [] : [...a.subnetIds],
    Entries: a.entries.filter((e) => e.ruleNumber !== ACL_DEFAULT_RULE_NUMBER).map(aclEntryDocument),
    Tags: tagsOf(a.tags),
  };
}
