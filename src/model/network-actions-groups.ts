// CreateSecurityGroup, Authorize/RevokeSecurityGroupIngress/Egress and DeleteSecurityGroup as
// edits of the apply document. EC2's IpPermissions (one protocol and port range, many peers) are
// expanded into the model's one-peer rules, compared without their descriptions as EC2 compares.

import { PROTOCOL_ICMP, PROTOCOL_ICMPV6, PROTOCOL_TCP, PROTOCOL_UDP, ProtocolError, parseProtocol } from '../net/index.ts';
import { securityGroupRuleId } from './ec2-derived.ts';
import { ApiError } from './errors.ts';
import { isResourceId } from './ids.ts';
import type { NetworkModel, SecurityGroup, SecurityGroupRule, Vpc } from './network.ts';
import { allowAllEgress } from './rules.ts';
import { ruleDocument, type SecurityGroupDocument } from './to-document.ts';
import {
  NetworkEdit, missing, readCidrParam, requireString, tagsBySpecification, unknownId, type ActionContext, type ActionOutcome, type TagSpecification,
} from './network-actions.ts';

export interface CreateSecurityGroupRequest {
  readonly GroupName?: string;
  readonly Description?: string;
  readonly VpcId?: string;
  readonly TagSpecifications?: readonly TagSpecification[];
}

const MAX_TEXT = 255;

export function createSecurityGroup(current: NetworkModel | undefined, req: CreateSecurityGroupRequest, ctx: ActionContext): ActionOutcome<{ groupId: string }> {
  const edit = new NetworkEdit(current, ctx);
  const name = requireString(req.GroupName, 'GroupName');
  const description = requireString(req.Description, 'GroupDescription');
  if (!req.VpcId) throw new ApiError('VPCIdNotSpecified', 'No default VPC for this user. Give a VpcId.');
  const vpc = edit.vpc(req.VpcId);
  if ([...name].length > MAX_TEXT) throw new ApiError('InvalidParameterValue', `Value for parameter groupName is invalid: at most ${MAX_TEXT} characters`);
  if ([...description].length > MAX_TEXT) throw new ApiError('InvalidParameterValue', `Value for parameter groupDescription is invalid: at most ${MAX_TEXT} characters`);
  if (name.toLowerCase().startsWith('sg-')) throw new ApiError('InvalidParameterValue', `Group names may not be in the format sg-*: '${name}'`);
  if (name === 'default') throw new ApiError('InvalidGroup.Reserved', "The security group 'default' is reserved: every VPC has one already");
  if (vpc.securityGroups.some((g) => g.name === name)) throw new ApiError('InvalidGroup.Duplicate', `The security group '${name}' already exists for VPC '${vpc.id}'`);
  const tags = tagsBySpecification(req.TagSpecifications, ['security-group']);
  const groupId = edit.freshId('security-group');
  edit.vpcDoc(vpc.id).SecurityGroups.push({
    Id: groupId, Name: name, Description: description, Ingress: [], Egress: allowAllEgress(vpc.ipv6Cidrs.length > 0).map(ruleDocument), Tags: tags.get('security-group') ?? [],
  });
  return edit.outcome({ groupId });
}

export interface IpRangeSpec {
  readonly CidrIp?: string;
  readonly Description?: string;
}
export interface Ipv6RangeSpec {
  readonly CidrIpv6?: string;
  readonly Description?: string;
}
export interface GroupPairSpec {
  readonly GroupId?: string;
  readonly GroupName?: string;
  readonly UserId?: string;
  readonly VpcId?: string;
  readonly Description?: string;
}
export interface IpPermission {
  readonly IpProtocol?: string;
  readonly FromPort?: number;
  readonly ToPort?: number;
  readonly IpRanges?: readonly IpRangeSpec[];
  readonly Ipv6Ranges?: readonly Ipv6RangeSpec[];
  readonly UserIdGroupPairs?: readonly GroupPairSpec[];
  readonly PrefixListIds?: readonly { readonly PrefixListId?: string }[];
}

export interface SecurityGroupRuleRequest {
  readonly GroupId?: string;
  readonly GroupName?: string;
  readonly IpPermissions?: readonly IpPermission[];
  /** The older single-permission form. */
  readonly IpProtocol?: string;
  readonly FromPort?: number;
  readonly ToPort?: number;
  readonly CidrIp?: string;
  readonly SourceSecurityGroupName?: string;
  readonly SourceSecurityGroupOwnerId?: string;
  /** Revoke only: rules by the ids DescribeSecurityGroupRules and Authorize* report. */
  readonly SecurityGroupRuleIds?: readonly string[];
  readonly TagSpecifications?: readonly TagSpecification[];
}

export type Direction = 'ingress' | 'egress';

export interface RuleChangeResult {
  readonly groupId: string;
  readonly direction: Direction;
  /** Authorize: the rules added. Revoke: the rules removed. */
  readonly rules: readonly SecurityGroupRule[];
  /** Revoke: the permissions that matched no rule (EC2's UnknownIpPermissions). */
  readonly unknown: readonly SecurityGroupRule[];
}

/** The group a rule request acts on: by id, or (ingress, as EC2 allows) by a name that is unique in the account. */
function targetGroup(edit: NetworkEdit, req: SecurityGroupRuleRequest, direction: Direction): SecurityGroup {
  if (req.GroupId) return edit.securityGroup(req.GroupId);
  if (direction === 'ingress' && req.GroupName) {
    const found = edit.model.vpcs.flatMap((v) => v.securityGroups).filter((g) => g.name === req.GroupName);
    if (found.length === 1) return found[0]!;
    if (found.length === 0) throw new ApiError('InvalidGroup.NotFound', `The security group '${req.GroupName}' does not exist`);
    throw new ApiError('InvalidParameterValue', `Several VPCs have a security group named '${req.GroupName}': give its GroupId`);
  }
  throw missing('GroupId');
}

const portProtocol = (p: number): boolean => p === PROTOCOL_TCP || p === PROTOCOL_UDP;
const icmpProtocol = (p: number): boolean => p === PROTOCOL_ICMP || p === PROTOCOL_ICMPV6;

function ports(p: IpPermission, protocol: number): { fromPort: number | null; toPort: number | null } {
  if (portProtocol(protocol)) {
    if (p.FromPort === undefined || p.ToPort === undefined) throw new ApiError('InvalidParameterValue', 'Invalid value for portRange. Must specify both from and to ports with TCP/UDP.');
    for (const [v, name] of [[p.FromPort, 'fromPort'], [p.ToPort, 'toPort']] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 65535) throw new ApiError('InvalidParameterValue', `Invalid value '${v}' for ${name}. Ports are 0 to 65535.`);
    }
    if (p.FromPort > p.ToPort) throw new ApiError('InvalidParameterValue', `Invalid TCP/UDP port range: fromPort ${p.FromPort} is greater than toPort ${p.ToPort}.`);
    return { fromPort: p.FromPort, toPort: p.ToPort };
  }
  if (icmpProtocol(protocol)) {
    const type = p.FromPort ?? -1;
    const code = p.ToPort ?? -1;
    for (const [v, name] of [[type, 'ICMP type'], [code, 'ICMP code']] as const) {
      if (!Number.isInteger(v) || v < -1 || v > 255) throw new ApiError('InvalidParameterValue', `Invalid value '${v}' for ${name}: -1 (all) or 0 to 255.`);
    }
    if (type === -1 && code !== -1) throw new ApiError('InvalidParameterValue', `Invalid ICMP code ${code}: with type -1 (all types) the code must be -1.`);
    return { fromPort: type, toPort: code };
  }
  // EC2 ignores ports for every other protocol (all ports are covered).
  return { fromPort: null, toPort: null };
}

function readProtocol(text: string | undefined): number {
  const raw = requireString(text, 'IpPermissions.N.IpProtocol');
  try {
    return parseProtocol(raw);
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    throw new ApiError('InvalidParameterValue', `Invalid value '${raw}' for IP protocol. Unknown protocol.`);
  }
}

/**
 * The model rules a request names. Referenced groups must be in the group's VPC; on revoke a
 * reference that names no group cannot match a rule, so it is kept as an unmatchable rule.
 */
function requestedRules(edit: NetworkEdit, vpc: Vpc, req: SecurityGroupRuleRequest, forRevoke: boolean): SecurityGroupRule[] {
  const legacy = req.IpProtocol !== undefined || req.CidrIp !== undefined || req.SourceSecurityGroupName !== undefined || req.FromPort !== undefined || req.ToPort !== undefined;
  if (legacy && req.IpPermissions?.length) throw new ApiError('InvalidParameterCombination', 'The parameter IpPermissions cannot be used with the parameters IpProtocol, FromPort, ToPort, CidrIp or SourceSecurityGroupName');
  const permissions: IpPermission[] = legacy
    ? [{
      IpProtocol: req.IpProtocol ?? (req.SourceSecurityGroupName !== undefined ? '-1' : undefined),
      ...(req.FromPort !== undefined ? { FromPort: req.FromPort } : {}), ...(req.ToPort !== undefined ? { ToPort: req.ToPort } : {}),
      IpRanges: req.CidrIp !== undefined ? [{ CidrIp: req.CidrIp }] : [],
      UserIdGroupPairs: req.SourceSecurityGroupName !== undefined ? [{ GroupName: req.SourceSecurityGroupName, ...(req.SourceSecurityGroupOwnerId !== undefined ? { UserId: req.SourceSecurityGroupOwnerId } : {}) }] : [],
    }]
    : [...(req.IpPermissions ?? [])];
  const out: SecurityGroupRule[] = [];
  for (const p of permissions) {
    const protocol = readProtocol(p.IpProtocol);
    const { fromPort, toPort } = ports(p, protocol);
    const base = { protocol, fromPort, toPort, cidr: null, ipv6Cidr: null, groupId: null };
    const description = (d: string | undefined): string | null => (d === undefined || d === '' ? null : d);
    if (p.PrefixListIds?.length) throw new ApiError('InvalidParameterValue', 'Prefix lists are not supported by vpcflow: give CIDR blocks or security groups');
    for (const r of p.IpRanges ?? []) out.push({ ...base, cidr: readCidrParam(requireString(r?.CidrIp, 'IpRanges.N.CidrIp'), 'cidrIp', 4), description: description(r.Description) });
    for (const r of p.Ipv6Ranges ?? []) out.push({ ...base, ipv6Cidr: readCidrParam(requireString(r?.CidrIpv6, 'Ipv6Ranges.N.CidrIpv6'), 'cidrIpv6', 6), description: description(r.Description) });
    for (const g of p.UserIdGroupPairs ?? []) out.push({ ...base, groupId: referencedGroup(edit, vpc, g, forRevoke), description: description(g.Description) });
    if (!p.IpRanges?.length && !p.Ipv6Ranges?.length && !p.UserIdGroupPairs?.length) {
      throw new ApiError('MissingParameter', 'Each permission needs at least one peer: IpRanges, Ipv6Ranges or UserIdGroupPairs (Groups)');
    }
  }
  if (out.length === 0) throw missing('IpPermissions');
  return out;
}

function referencedGroup(edit: NetworkEdit, vpc: Vpc, g: GroupPairSpec, forRevoke: boolean): string {
  if (g.UserId !== undefined && g.UserId !== edit.model.account) {
    throw new ApiError('InvalidGroup.NotFound', `You have specified a security group of account ${g.UserId}: vpcflow references groups of the same account and VPC only`);
  }
  if (g.GroupId) {
    if (!isResourceId('security-group', g.GroupId)) throw unknownId('security-group', g.GroupId);
    if (vpc.securityGroups.some((sg) => sg.id === g.GroupId) || forRevoke) return g.GroupId;
    throw new ApiError('InvalidGroup.NotFound', `The security group '${g.GroupId}' does not exist in VPC '${vpc.id}'`);
  }
  const name = requireString(g.GroupName, 'Groups.N.GroupId');
  const found = vpc.securityGroups.find((sg) => sg.name === name);
  if (found) return found.id;
  if (forRevoke) return `(no group named ${name})`;
  throw new ApiError('InvalidGroup.NotFound', `The security group '${name}' does not exist in VPC '${vpc.id}'`);
}

/** Rules are the same when all but their description is: EC2 compares them so. */
const ruleKey = (r: SecurityGroupRule): string => JSON.stringify([r.protocol, r.fromPort, r.toPort, r.cidr, r.ipv6Cidr, r.groupId]);

function describeRule(r: SecurityGroupRule): string {
  const peer = r.cidr ?? r.ipv6Cidr ?? r.groupId ?? '';
  const proto = r.protocol === -1 ? 'ALL' : String(r.protocol);
  return `peer: ${peer}, ${proto}, from port: ${r.fromPort ?? 'all'}, to port: ${r.toPort ?? 'all'}, ALLOW`;
}

function groupDoc(edit: NetworkEdit, group: SecurityGroup): SecurityGroupDocument {
  return edit.vpcDoc(group.vpcId).SecurityGroups.find((g) => g.Id === group.id)!;
}

export function authorizeSecurityGroupRules(current: NetworkModel | undefined, req: SecurityGroupRuleRequest, direction: Direction, ctx: ActionContext): ActionOutcome<RuleChangeResult> {
  const edit = new NetworkEdit(current, ctx);
  const group = targetGroup(edit, req, direction);
  const vpc = edit.index.vpc(group.vpcId)!;
  const rules = requestedRules(edit, vpc, req, false);
  tagsBySpecification(req.TagSpecifications, ['security-group-rule']);
  const existing = new Set((direction === 'ingress' ? group.ingress : group.egress).map(ruleKey));
  const seen = new Set<string>();
  for (const r of rules) {
    const key = ruleKey(r);
    if (existing.has(key)) throw new ApiError('InvalidPermission.Duplicate', `the specified rule "${describeRule(r)}" already exists`);
    if (seen.has(key)) throw new ApiError('InvalidParameterValue', `The same permission must not appear multiple times: ${describeRule(r)}`);
    seen.add(key);
  }
  const doc = groupDoc(edit, group);
  (direction === 'ingress' ? doc.Ingress : doc.Egress).push(...rules.map(ruleDocument));
  return edit.outcome({ groupId: group.id, direction, rules, unknown: [] });
}

export function revokeSecurityGroupRules(current: NetworkModel | undefined, req: SecurityGroupRuleRequest, direction: Direction, ctx: ActionContext): ActionOutcome<RuleChangeResult> {
  const edit = new NetworkEdit(current, ctx);
  const group = targetGroup(edit, req, direction);
  const vpc = edit.index.vpc(group.vpcId)!;
  const present = direction === 'ingress' ? group.ingress : group.egress;
  let removed: SecurityGroupRule[];
  let unknown: SecurityGroupRule[] = [];
  if (req.SecurityGroupRuleIds?.length) {
    if (req.IpPermissions?.length || req.IpProtocol !== undefined || req.CidrIp !== undefined) {
      throw new ApiError('InvalidParameterCombination', 'SecurityGroupRuleIds cannot be combined with IpPermissions or the single-permission parameters');
    }
    removed = [];
    for (const id of req.SecurityGroupRuleIds) {
      const r = present.find((p) => securityGroupRuleId(group.id, direction === 'egress', p) === id);
      if (!r) throw new ApiError('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${id}' does not exist in security group '${group.id}' (${direction})`);
      if (!removed.includes(r)) removed.push(r);
    }
  } else {
    const wanted = requestedRules(edit, vpc, req, true);
    const keys = new Map(present.map((r) => [ruleKey(r), r]));
    removed = wanted.map((w) => keys.get(ruleKey(w))).filter((r): r is SecurityGroupRule => r !== undefined);
    unknown = wanted.filter((w) => !keys.has(ruleKey(w)));
    if (removed.length === 0) throw new ApiError('InvalidPermission.NotFound', 'The specified rule does not exist in this security group.');
  }
  const gone = new Set(removed.map(ruleKey));
  const doc = groupDoc(edit, group);
  const kept = present.filter((r) => !gone.has(ruleKey(r))).map(ruleDocument);
  if (direction === 'ingress') doc.Ingress = kept;
  else doc.Egress = kept;
  return edit.outcome({ groupId: group.id, direction, rules: removed, unknown });
}

export function deleteSecurityGroup(current: NetworkModel | undefined, req: { readonly GroupId?: string; readonly GroupName?: string }, ctx: ActionContext): ActionOutcome<{ groupId: string }> {
  const edit = new NetworkEdit(current, ctx);
  const group = targetGroup(edit, req, 'ingress');
  if (group.isDefault) throw new ApiError('CannotDelete', `the specified group: "${group.id}" name: "default" cannot be deleted by a user`);
  const vpc = edit.index.vpc(group.vpcId)!;
  const usedBy = vpc.networkInterfaces.find((n) => n.securityGroupIds.includes(group.id));
  if (usedBy) throw new ApiError('DependencyViolation', `resource ${group.id} has a dependent object (network interface ${usedBy.id})`);
  const referencing = vpc.securityGroups.find((g) => g.id !== group.id && [...g.ingress, ...g.egress].some((r) => r.groupId === group.id));
  if (referencing) throw new ApiError('DependencyViolation', `resource ${group.id} has a dependent object (a rule of security group ${referencing.id})`);
  const doc = edit.vpcDoc(vpc.id);
  doc.SecurityGroups = doc.SecurityGroups.filter((g) => g.Id !== group.id);
  return edit.outcome({ groupId: group.id });
}
