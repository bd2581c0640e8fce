// CreateNetworkAcl, DeleteNetworkAcl, Create/DeleteNetworkAclEntry and ReplaceNetworkAclAssociation
// as edits of the apply document. Association ids are derived from the ACL and subnet (see
// ec2-derived.ts), so replacing an association yields a new id, as in EC2.

import { PROTOCOL_ICMP, PROTOCOL_ICMPV6, PROTOCOL_TCP, PROTOCOL_UDP, ProtocolError, parseProtocol } from '../net/index.ts';
import { aclAssociationId } from './ec2-derived.ts';
import { ApiError } from './errors.ts';
import { ACL_DEFAULT_RULE_NUMBER, type NetworkModel } from './network.ts';
import type { NetworkAclDocument, NetworkAclEntryDocument } from './to-document.ts';
import {
  NetworkEdit, missing, optionalInteger, readCidrParam, requireBoolean, requireString, tagsBySpecification,
  type ActionContext, type ActionOutcome, type TagSpecification,
} from './network-actions.ts';

export function createNetworkAcl(current: NetworkModel | undefined, req: { readonly VpcId?: string; readonly TagSpecifications?: readonly TagSpecification[] }, ctx: ActionContext): ActionOutcome<{ networkAclId: string }> {
  const edit = new NetworkEdit(current, ctx);
  const vpc = edit.vpc(req.VpcId);
  const tags = tagsBySpecification(req.TagSpecifications, ['network-acl']);
  const networkAclId = edit.freshId('network-acl');
  edit.vpcDoc(vpc.id).NetworkAcls.push({ Id: networkAclId, Default: false, Subnets: [], Entries: [], Tags: tags.get('network-acl') ?? [] });
  return edit.outcome({ networkAclId });
}

export function deleteNetworkAcl(current: NetworkModel | undefined, req: { readonly NetworkAclId?: string }, ctx: ActionContext): ActionOutcome<{ networkAclId: string }> {
  const edit = new NetworkEdit(current, ctx);
  const acl = edit.networkAcl(req.NetworkAclId);
  if (acl.isDefault) throw new ApiError('CannotDelete', `Cannot delete default network ACL ${acl.id}`);
  if (acl.subnetIds.length > 0) throw new ApiError('DependencyViolation', `The networkAcl '${acl.id}' has dependencies and cannot be deleted.`);
  const vpc = edit.vpcDoc(acl.vpcId);
  vpc.NetworkAcls = vpc.NetworkAcls.filter((a) => a.Id !== acl.id);
  return edit.outcome({ networkAclId: acl.id });
}

export interface CreateNetworkAclEntryRequest {
  readonly NetworkAclId?: string;
  readonly RuleNumber?: number;
  readonly Protocol?: string;
  readonly RuleAction?: string;
  readonly Egress?: boolean;
  readonly CidrBlock?: string;
  readonly Ipv6CidrBlock?: string;
  readonly PortRange?: { readonly From?: number; readonly To?: number };
  readonly IcmpTypeCode?: { readonly Type?: number; readonly Code?: number };
}

function aclDoc(edit: NetworkEdit, vpcId: string, aclId: string): NetworkAclDocument {
  return edit.vpcDoc(vpcId).NetworkAcls.find((a) => a.Id === aclId)!;
}

function ruleNumberOf(value: unknown): number {
  if (value === undefined) throw missing('RuleNumber');
  return optionalInteger(value, 'ruleNumber', 1, ACL_DEFAULT_RULE_NUMBER - 1)!;
}

export function createNetworkAclEntry(current: NetworkModel | undefined, req: CreateNetworkAclEntryRequest, ctx: ActionContext): ActionOutcome<{ networkAclId: string }> {
  const edit = new NetworkEdit(current, ctx);
  const acl = edit.networkAcl(req.NetworkAclId);
  const ruleNumber = ruleNumberOf(req.RuleNumber);
  const egress = requireBoolean(req.Egress, 'Egress');
  const protocolText = requireString(req.Protocol, 'Protocol');
  let protocol: number;
  try {
    protocol = parseProtocol(protocolText);
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    throw new ApiError('InvalidParameterValue', `Invalid value '${protocolText}' for protocol. Unknown protocol.`);
  }
  const action = requireString(req.RuleAction, 'RuleAction');
  if (action !== 'allow' && action !== 'deny') throw new ApiError('InvalidParameterValue', `Value (${action}) for parameter ruleAction is invalid. Expected: 'allow' or 'deny'.`);
  if ((req.CidrBlock ? 1 : 0) + (req.Ipv6CidrBlock ? 1 : 0) !== 1) {
    if (req.CidrBlock && req.Ipv6CidrBlock) throw new ApiError('InvalidParameterCombination', 'Give either CidrBlock or Ipv6CidrBlock, not both');
    throw missing('CidrBlock');
  }
  if (acl.entries.some((e) => e.egress === egress && e.ruleNumber === ruleNumber)) {
    throw new ApiError('NetworkAclEntryAlreadyExists', `The network acl entry identified by ${ruleNumber} already exists.`);
  }
  const entry: NetworkAclEntryDocument = {
    RuleNumber: ruleNumber, Egress: egress, Protocol: String(protocol), RuleAction: action,
    ...(req.CidrBlock ? { Cidr: readCidrParam(req.CidrBlock, 'cidrBlock', 4) } : { Ipv6Cidr: readCidrParam(req.Ipv6CidrBlock!, 'ipv6CidrBlock', 6) }),
  };
  // As EC2 does, a port range counts only for TCP and UDP and an ICMP type/code only for ICMP.
  if (protocol === PROTOCOL_TCP || protocol === PROTOCOL_UDP) {
    if (req.PortRange?.From === undefined || req.PortRange.To === undefined) throw new ApiError('MissingParameter', 'TCP and UDP entries need PortRange.From and PortRange.To');
    entry.FromPort = req.PortRange.From;
    entry.ToPort = req.PortRange.To;
  } else if (protocol === PROTOCOL_ICMP || protocol === PROTOCOL_ICMPV6) {
    if (req.IcmpTypeCode?.Type === undefined) throw new ApiError('MissingParameter', 'ICMP entries need Icmp.Type (and Icmp.Code); -1 means all');
    entry.IcmpType = req.IcmpTypeCode.Type;
    entry.IcmpCode = req.IcmpTypeCode.Code ?? -1;
  }
  aclDoc(edit, acl.vpcId, acl.id).Entries.push(entry);
  return edit.outcome({ networkAclId: acl.id });
}

export function deleteNetworkAclEntry(current: NetworkModel | undefined, req: { readonly NetworkAclId?: string; readonly RuleNumber?: number; readonly Egress?: boolean }, ctx: ActionContext): ActionOutcome<{ networkAclId: string }> {
  const edit = new NetworkEdit(current, ctx);
  const acl = edit.networkAcl(req.NetworkAclId);
  const ruleNumber = ruleNumberOf(req.RuleNumber);
  const egress = requireBoolean(req.Egress, 'Egress');
  const doc = aclDoc(edit, acl.vpcId, acl.id);
  const kept = doc.Entries.filter((e) => !(e.Egress === egress && e.RuleNumber === ruleNumber));
  if (kept.length === doc.Entries.length) {
    throw new ApiError('InvalidNetworkAclEntry.NotFound', `The specified rule does not exist in this network ACL: no ${egress ? 'egress' : 'ingress'} entry ${ruleNumber} in ${acl.id}`);
  }
  doc.Entries = kept;
  return edit.outcome({ networkAclId: acl.id });
}

export function replaceNetworkAclAssociation(current: NetworkModel | undefined, req: { readonly AssociationId?: string; readonly NetworkAclId?: string }, ctx: ActionContext): ActionOutcome<{ newAssociationId: string; subnetId: string }> {
  const edit = new NetworkEdit(current, ctx);
  const associationId = requireString(req.AssociationId, 'AssociationId');
  const acl = edit.networkAcl(req.NetworkAclId);
  const subnet = edit.model.vpcs.flatMap((v) => v.subnets).find((s) => aclAssociationId(s.networkAclId, s.id) === associationId);
  if (!subnet) throw new ApiError('InvalidAssociationID.NotFound', `The association ID '${associationId}' does not exist`);
  if (subnet.vpcId !== acl.vpcId) throw new ApiError('InvalidParameterValue', `Network ACL ${acl.id} and association ${associationId} belong to different networks (VPCs ${acl.vpcId} and ${subnet.vpcId})`);
  const vpc = edit.vpcDoc(acl.vpcId);
  for (const a of vpc.NetworkAcls) a.Subnets = a.Subnets.filter((id) => id !== subnet.id);
  // A subnet no other ACL claims belongs to the default one.
  if (!acl.isDefault) aclDoc(edit, acl.vpcId, acl.id).Subnets.push(subnet.id);
  return edit.outcome({ newAssociationId: aclAssociationId(acl.id, subnet.id), subnetId: subnet.id });
}
