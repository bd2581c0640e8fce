// The normalized network model: plain JSON-serializable data, every id assigned, every default
// materialized (default security group and network ACL, default rules), addresses and CIDRs in
// canonical text. This is what the control plane stores and what the data path reads.

import type { Tag } from './tags.ts';

export interface NetworkModel {
  /** 12-digit AWS account id. */
  readonly account: string;
  readonly region: string;
  readonly vpcs: readonly Vpc[];
}

export interface Vpc {
  readonly id: string;
  /** vpcflow's handle for references in the document; AWS knows only the Name tag. */
  readonly name: string | null;
  /** The primary IPv4 block (first of `cidrs`). */
  readonly cidr: string;
  /** Every IPv4 block, primary first. */
  readonly cidrs: readonly string[];
  readonly ipv6Cidrs: readonly string[];
  readonly tags: readonly Tag[];
  readonly subnets: readonly Subnet[];
  readonly instances: readonly Instance[];
  /** Every network interface of the VPC: attached to an instance or not. */
  readonly networkInterfaces: readonly NetworkInterface[];
  readonly securityGroups: readonly SecurityGroup[];
  readonly networkAcls: readonly NetworkAcl[];
}

export interface Subnet {
  readonly id: string;
  readonly name: string | null;
  readonly vpcId: string;
  readonly cidr: string;
  readonly ipv6Cidr: string | null;
  readonly availabilityZone: string;
  readonly azId: string;
  /** The network ACL the subnet is associated with (the VPC's default one unless declared). */
  readonly networkAclId: string;
  readonly tags: readonly Tag[];
}

export interface Instance {
  readonly id: string;
  readonly name: string | null;
  readonly vpcId: string;
  /** The subnet of the primary interface (device index 0). */
  readonly subnetId: string;
  readonly availabilityZone: string;
  readonly azId: string;
  /** Interface ids by device index. */
  readonly interfaceIds: readonly string[];
  readonly tags: readonly Tag[];
}

export interface NetworkInterface {
  readonly id: string;
  readonly name: string | null;
  readonly vpcId: string;
  readonly subnetId: string;
  readonly instanceId: string | null;
  /** Position on its instance (0 = primary), null when not attached. */
  readonly deviceIndex: number | null;
  readonly privateIp: string;
  readonly secondaryIps: readonly string[];
  readonly ipv6: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly availabilityZone: string;
  readonly azId: string;
  readonly description: string | null;
  readonly tags: readonly Tag[];
}

/**
 * One security group rule. Protocol is the IANA number, -1 for all. For TCP/UDP the ports bound a
 * range; for ICMP/ICMPv6 `fromPort` is the type and `toPort` the code (-1 = any); otherwise null.
 * Exactly one of `cidr`, `ipv6Cidr`, `groupId` is set: the peer (source for ingress, destination for egress).
 */
export interface SecurityGroupRule {
  readonly protocol: number;
  readonly fromPort: number | null;
  readonly toPort: number | null;
  readonly cidr: string | null;
  readonly ipv6Cidr: string | null;
  readonly groupId: string | null;
  readonly description: string | null;
}

export interface SecurityGroup {
  readonly id: string;
  readonly vpcId: string;
  readonly name: string;
  readonly description: string;
  /** The VPC's `default` group: interfaces without declared groups belong to it. */
  readonly isDefault: boolean;
  readonly ingress: readonly SecurityGroupRule[];
  readonly egress: readonly SecurityGroupRule[];
  readonly tags: readonly Tag[];
}

/** AWS's rule number for the final `*` rule of every network ACL direction (as DescribeNetworkAcls shows it). */
export const ACL_DEFAULT_RULE_NUMBER = 32767;

export interface NetworkAclEntry {
  /** 1–32766 for declared rules; 32767 for the final `*` deny. Lower numbers are evaluated first. */
  readonly ruleNumber: number;
  readonly egress: boolean;
  readonly protocol: number;
  readonly ruleAction: 'allow' | 'deny';
  readonly cidr: string | null;
  readonly ipv6Cidr: string | null;
  /** TCP/UDP port range; null for other protocols (all ports). */
  readonly portRange: { readonly from: number; readonly to: number } | null;
  /** ICMP/ICMPv6 type and code (-1 = any); null for other protocols. */
  readonly icmpTypeCode: { readonly type: number; readonly code: number } | null;
}

export interface NetworkAcl {
  readonly id: string;
  readonly vpcId: string;
  readonly name: string | null;
  readonly isDefault: boolean;
  readonly subnetIds: readonly string[];
  /** Every entry incl. the final `*` deny rules, sorted: ingress then egress, by rule number, IPv4 `*` before IPv6 `*`. */
  readonly entries: readonly NetworkAclEntry[];
  readonly tags: readonly Tag[];
}
