// Values EC2 shows for a resource that the model does not store, derived from what it does store
// so they stay the same from one request to the next: association and attachment ids, reservation
// ids, security group rule ids, MAC addresses, private DNS names, an Amazon-provided IPv6 block,
// and a subnet's count of free addresses.

import { cidrContains, cidrSize, cidrsOverlap, isIpv4, parseCidr } from '../net/index.ts';
import type { NetworkInterface, NetworkModel, SecurityGroupRule, Subnet } from './network.ts';

const FNV_PRIME = 0x100000001b3n;
const MASK_64 = (1n << 64n) - 1n;

/** FNV-1a over the UTF-16 units of `text`, 64 bits, from a chosen basis (different bases give independent hashes). */
function fnv1a64(text: string, basis: bigint): bigint {
  let h = basis;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * FNV_PRIME) & MASK_64;
  }
  return h;
}

/** 17 lowercase hex digits (AWS's long id form) that depend only on `parts`. */
export function stableHex(...parts: readonly string[]): string {
  const text = parts.join('\u0000');
  const a = fnv1a64(text, 0xcbf29ce484222325n).toString(16).padStart(16, '0');
  const b = fnv1a64(text, 0x84222325cbf29ce4n).toString(16).padStart(16, '0');
  return (a + b).slice(0, 17);
}

/** The id of the association between a subnet and its network ACL (`aclassoc-…`): it changes when the ACL does. */
export const aclAssociationId = (networkAclId: string, subnetId: string): string => `aclassoc-${stableHex('aclassoc', networkAclId, subnetId)}`;
export const vpcCidrAssociationId = (vpcId: string, cidr: string): string => `vpc-cidr-assoc-${stableHex('vpc-cidr', vpcId, cidr)}`;
export const subnetCidrAssociationId = (subnetId: string, cidr: string): string => `subnet-cidr-assoc-${stableHex('subnet-cidr', subnetId, cidr)}`;
export const attachmentId = (interfaceId: string, instanceId: string): string => `eni-attach-${stableHex('attach', interfaceId, instanceId)}`;
/** vpcflow keeps no reservations: each instance is shown in a reservation of its own, named after its first instance. */
export const reservationId = (instanceId: string): string => `r-${stableHex('reservation', instanceId)}`;

export function securityGroupRuleId(groupId: string, egress: boolean, r: SecurityGroupRule): string {
  return `sgr-${stableHex('sgr', groupId, String(egress), String(r.protocol), String(r.fromPort), String(r.toPort), r.cidr ?? '', r.ipv6Cidr ?? '', r.groupId ?? '')}`;
}

/** A locally administered unicast MAC (`02:…`), as AWS gives every interface its own. */
export function macAddressOf(interfaceId: string): string {
  const hex = stableHex('mac', interfaceId);
  return ['02', hex.slice(0, 2), hex.slice(2, 4), hex.slice(4, 6), hex.slice(6, 8), hex.slice(8, 10)].join(':');
}

/** `ip-10-0-1-10.ec2.internal` in us-east-1, `ip-10-0-1-10.eu-west-1.compute.internal` elsewhere. */
export function privateDnsName(address: string, region: string): string {
  if (!isIpv4(address)) return '';
  const host = `ip-${address.replaceAll('.', '-')}`;
  return region === 'us-east-1' ? `${host}.ec2.internal` : `${host}.${region}.compute.internal`;
}

/** A /56 from Amazon's 2600:1f00::/24 pool for a new VPC, clear of every block in `taken`. */
export function amazonIpv6Block(vpcId: string, taken: readonly string[]): string {
  for (let attempt = 0; ; attempt++) {
    const hex = stableHex('ipv6', vpcId, String(attempt));
    const block = parseCidr(`2600:1f${hex.slice(0, 2)}:${hex.slice(2, 6)}:${hex.slice(6, 8)}00::/56`).text;
    if (!taken.some((t) => cidrsOverlap(t, block))) return block;
  }
}

/** Every address the model's interfaces hold (primary, secondary, IPv6), across all VPCs. */
export function usedAddresses(model: NetworkModel | undefined): Set<string> {
  const out = new Set<string>();
  for (const v of model?.vpcs ?? []) for (const n of v.networkInterfaces) for (const a of [n.privateIp, ...n.secondaryIps, ...n.ipv6]) out.add(a);
  return out;
}

/** IPv4 addresses of the subnet not reserved by AWS (first four, last) and not held by an interface. */
export function availableIpAddressCount(subnet: Subnet, interfaces: readonly NetworkInterface[]): number {
  let used = 0;
  for (const n of interfaces) for (const a of [n.privateIp, ...n.secondaryIps]) if (isIpv4(a) && cidrContains(subnet.cidr, a)) used++;
  return Number(cidrSize(subnet.cidr) - 5n) - used;
}
