// Explains a live REJECT record: the kernel rule that dropped its packet, named by the stable code
// the data plane logs with it (src/dataplane/README.md, "Log prefixes are stable codes"), read
// back against the account's network model and written as a sentence a console can show.
//
// A code names resources by id and rule number, never by position, so it keeps its meaning after
// rule changes; but the rules it names may have changed (or gone) since the packet was dropped.
// The explanation says so (`stale`) instead of describing today's rules as if they had decided.
// Stale or unknown codes are data, not errors: nothing here throws for them.

import {
  PROTOCOL_ALL, PROTOCOL_ICMP, PROTOCOL_ICMPV6, PROTOCOL_TCP, PROTOCOL_UDP,
  awsProtocolText, cidrContains, isIpv4, isIpv6, protocolKeyword,
} from '../net/index.ts';
import { isResourceId } from './ids.ts';
import { ACL_DEFAULT_RULE_NUMBER, type NetworkAclEntry, type NetworkInterface, type NetworkModel, type SecurityGroup, type SecurityGroupRule } from './network.ts';
import { NetworkIndex } from './network-index.ts';
import { aclEntryDocument, ruleDocument, type NetworkAclEntryDocument, type SecurityGroupRuleDocument } from './to-document.ts';

export type DropDirection = 'inbound' | 'outbound';

/** The packet a record stands for, as flow_records stores it (numbers may arrive as text; '-' or null when absent). */
export interface DroppedPacket {
  readonly protocol?: number | string | null;
  readonly srcaddr?: string | null;
  readonly dstaddr?: string | null;
  readonly srcport?: number | string | null;
  readonly dstport?: number | string | null;
}

interface ExplanationBase {
  /** The code as stored with the record. */
  readonly code: string;
  /** One sentence for a person. */
  readonly text: string;
  /**
   * True when the network no longer holds what the code names, or what it holds now would not
   * drop this packet the same way (rules changed since): `text` says which.
   */
  readonly stale: boolean;
}

export interface NetworkAclExplanation extends ExplanationBase {
  readonly layer: 'network-acl';
  readonly direction: DropDirection;
  /** The network ACL. */
  readonly resourceId: string;
  /** The entry's rule number; 32767 for the final `*` deny. */
  readonly ruleNumber: number;
  /** The entry as the network document writes it, when the ACL still has it. */
  readonly rule?: NetworkAclEntryDocument;
}

export interface SecurityGroupExplanation extends ExplanationBase {
  readonly layer: 'security-group';
  readonly direction: DropDirection;
  /** The interface's first security group ('' when the interface is gone), as the data plane's DropRule names it. */
  readonly resourceId: string;
  /** The interface whose groups decided. */
  readonly interfaceId: string;
  /** Every group of the interface now (allow-only groups deny by the absence of a rule: no single rule decides). */
  readonly securityGroupIds: readonly string[];
  /** Those groups' rules of this direction, as the network document writes them. */
  readonly securityGroups: readonly { readonly id: string; readonly name: string; readonly rules: readonly SecurityGroupRuleDocument[] }[];
}

export interface InvalidStateExplanation extends ExplanationBase {
  readonly layer: 'invalid-state';
  /** The connection tracker drops before any rule, on the sender's side: the record is the sender's outbound one. */
  readonly direction: 'outbound';
  readonly resourceId: '';
}

export interface UnknownCodeExplanation extends ExplanationBase {
  readonly layer: 'unknown';
}

export type DropExplanation = NetworkAclExplanation | SecurityGroupExplanation | InvalidStateExplanation | UnknownCodeExplanation;

/** No code the data plane writes comes near this (`nao acl-<17 hex> 32766 v6` is 31 bytes); longer text is not parsed. */
const MAX_CODE_LENGTH = 128;
const RULE_NUMBER = /^[1-9][0-9]{0,4}$/;
/** nft-compile's RulesetWriter makes a repeated prefix unique with ` 2`, ` 3`, …; the meaning is the same. */
const REPEAT_SUFFIX = /^[1-9][0-9]{0,5}$/;

type ParsedCode =
  | { kind: 'invalid' }
  | { kind: 'sg'; direction: DropDirection; interfaceId: string }
  | { kind: 'acl'; direction: DropDirection; aclId: string; ruleNumber: number | '*'; ipv6: boolean }
  | { kind: 'unknown'; why: string };

function parseCode(code: string): ParsedCode {
  if (code.length === 0) return { kind: 'unknown', why: 'the rule code is empty' };
  if (code.length > MAX_CODE_LENGTH) return { kind: 'unknown', why: `the rule code is ${code.length} characters long, longer than any code vpcflow writes` };
  const t = code.split(' ');
  // A trailing repeat number is allowed once, after a complete code.
  const complete = (n: number): boolean => t.length === n || (t.length === n + 1 && REPEAT_SUFFIX.test(t[n]!) && t[n] !== '1');
  const notOurs: ParsedCode = { kind: 'unknown', why: `"${code}" is not a rule code vpcflow's data plane writes` };
  switch (t[0]) {
    case 'inv':
      return complete(1) ? { kind: 'invalid' } : notOurs;
    case 'sgo':
    case 'sgi': {
      const id = t[1] ?? '';
      if (!isResourceId('network-interface', id) || !complete(2)) return notOurs;
      return { kind: 'sg', direction: t[0] === 'sgi' ? 'inbound' : 'outbound', interfaceId: id };
    }
    case 'nao':
    case 'nai': {
      const id = t[1] ?? '';
      const rule = t[2] ?? '';
      if (!isResourceId('network-acl', id)) return notOurs;
      const direction: DropDirection = t[0] === 'nai' ? 'inbound' : 'outbound';
      if (rule === '*') return complete(3) ? { kind: 'acl', direction, aclId: id, ruleNumber: '*', ipv6: false } : notOurs;
      if (!RULE_NUMBER.test(rule) || Number(rule) > ACL_DEFAULT_RULE_NUMBER) return notOurs;
      const ipv6 = t[3] === 'v6';
      if (!complete(ipv6 ? 4 : 3)) return notOurs;
      // The model keeps AWS's final `*` entry as rule 32767 (as DescribeNetworkAcls shows it), so the
      // kernel's code for it carries that number (and ` v6` for the IPv6 one).
      if (Number(rule) === ACL_DEFAULT_RULE_NUMBER) return { kind: 'acl', direction, aclId: id, ruleNumber: '*', ipv6 };
      return { kind: 'acl', direction, aclId: id, ruleNumber: Number(rule), ipv6 };
    }
    case 'acc':
      return { kind: 'unknown', why: '"acc" is the code of accepted packets, not of a drop' };
    default:
      return notOurs;
  }
}

// ---- the packet ----

interface Packet {
  protocol: number | undefined;
  src: string | undefined;
  dst: string | undefined;
  dstPort: number | undefined;
}

function intOf(v: number | string | null | undefined, max: number): number | undefined {
  if (v === null || v === undefined || v === '' || v === '-') return undefined;
  const n = typeof v === 'number' ? v : /^[0-9]{1,6}$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= max ? n : undefined;
}

const addressOf = (v: string | null | undefined): string | undefined => (typeof v === 'string' && (isIpv4(v) || isIpv6(v)) ? v : undefined);

function packetOf(r: DroppedPacket | undefined): Packet | undefined {
  if (!r) return undefined;
  return { protocol: intOf(r.protocol, 255), src: addressOf(r.srcaddr), dst: addressOf(r.dstaddr), dstPort: intOf(r.dstport, 65535) };
}

const familyOf = (address: string): 4 | 6 => (isIpv4(address) ? 4 : 6);

// ---- words ----

function protocolWords(protocol: number): string {
  if (protocol === PROTOCOL_ALL) return 'all traffic';
  const name = awsProtocolText(protocol);
  if (name !== String(protocol)) return name;
  const keyword = protocolKeyword(protocol);
  return keyword ? `protocol ${protocol} (${keyword})` : `protocol ${protocol}`;
}

const isPortProtocol = (p: number): boolean => p === PROTOCOL_TCP || p === PROTOCOL_UDP;
const isIcmpProtocol = (p: number): boolean => p === PROTOCOL_ICMP || p === PROTOCOL_ICMPV6;
const portsWords = (from: number, to: number): string => (from === to ? String(from) : from === 0 && to === 65535 ? 'all ports' : `${from}-${to}`);

function icmpWords(type: number, code: number): string {
  if (type === -1) return '(all types)';
  return code === -1 ? `type ${type}` : `type ${type} code ${code}`;
}

/** `tcp 22`, `udp 1024-65535`, `icmp type 8`, `all traffic`, `protocol 47 (GRE)`. */
function entryTrafficWords(e: NetworkAclEntry): string {
  const p = protocolWords(e.protocol);
  if (isPortProtocol(e.protocol) && e.portRange) return `${p} ${portsWords(e.portRange.from, e.portRange.to)}`;
  if (isIcmpProtocol(e.protocol) && e.icmpTypeCode) return `${p} ${icmpWords(e.icmpTypeCode.type, e.icmpTypeCode.code)}`;
  return p;
}

/** `deny tcp 22 from 0.0.0.0/0`, as the entry reads (peer: source for inbound, destination for outbound). */
function entryWords(e: NetworkAclEntry): string {
  const peer = e.ipv6Cidr ?? e.cidr ?? '?';
  return `${e.ruleAction} ${entryTrafficWords(e)} ${e.egress ? 'to' : 'from'} ${peer}`;
}

function sgRuleWords(r: SecurityGroupRule, direction: DropDirection): string {
  const p = protocolWords(r.protocol);
  let traffic = p;
  if (isPortProtocol(r.protocol) && r.fromPort !== null && r.toPort !== null) traffic = `${p} ${portsWords(r.fromPort, r.toPort)}`;
  else if (isIcmpProtocol(r.protocol)) traffic = `${p} ${icmpWords(r.fromPort ?? -1, r.toPort ?? -1)}`;
  const peer = r.cidr ?? r.ipv6Cidr ?? (r.groupId !== null ? `members of ${r.groupId}` : '?');
  return `${traffic} ${direction === 'inbound' ? 'from' : 'to'} ${peer}`;
}

/** `tcp 5432 from 10.0.1.5` (inbound) or `udp 53 to 10.0.2.7` (outbound): the packet as the rule saw it. */
function packetWords(p: Packet | undefined, direction: DropDirection): string {
  if (!p || p.protocol === undefined) return 'this traffic';
  const proto = protocolWords(p.protocol);
  const traffic = isPortProtocol(p.protocol) && p.dstPort !== undefined ? `${proto} ${p.dstPort}` : proto;
  const peer = direction === 'inbound' ? p.src : p.dst;
  return peer === undefined ? traffic : `${traffic} ${direction === 'inbound' ? 'from' : 'to'} ${peer}`;
}

const list = (ids: readonly string[]): string => (ids.length <= 1 ? ids.join('') : `${ids.slice(0, -1).join(', ')} and ${ids[ids.length - 1]}`);

// ---- matching the packet against today's rules ----

/** Whether protocol and port fit (ICMP type and code are not in a record, so an ICMP rule is taken to fit). */
function trafficFits(ruleProtocol: number, ports: { from: number; to: number } | null, p: Packet): boolean | undefined {
  if (ruleProtocol === PROTOCOL_ALL) return true;
  if (p.protocol === undefined) return undefined;
  if (ruleProtocol !== p.protocol) return false;
  if (!isPortProtocol(ruleProtocol) || ports === null) return true;
  if (p.dstPort === undefined) return undefined;
  return p.dstPort >= ports.from && p.dstPort <= ports.to;
}

function blockFits(cidr: string | null, ipv6Cidr: string | null, address: string): boolean {
  const block = familyOf(address) === 6 ? ipv6Cidr : cidr;
  if (block === null) return false;
  try {
    return cidrContains(block, address);
  } catch {
    return false;
  }
}

/**
 * The entry of one direction that decides the packet today (lowest matching rule number), or
 * undefined when the record lacks what that takes.
 */
function decidingEntry(entries: readonly NetworkAclEntry[], egress: boolean, p: Packet): NetworkAclEntry | undefined {
  const peer = egress ? p.dst : p.src;
  if (peer === undefined) return undefined;
  // Model entries are sorted by rule number (IPv4 `*` before IPv6 `*`); bounded by the model's entry limit.
  for (const e of entries) {
    if (e.egress !== egress || !blockFits(e.cidr, e.ipv6Cidr, peer)) continue;
    const fits = trafficFits(e.protocol, e.portRange, p);
    if (fits === undefined) return undefined;
    if (fits) return e;
  }
  return undefined;
}

/** The first rule of the groups that lets the packet through today, if any. */
function allowingRule(index: NetworkIndex, groups: readonly SecurityGroup[], direction: DropDirection, p: Packet): { group: SecurityGroup; rule: SecurityGroupRule } | undefined {
  const peer = direction === 'inbound' ? p.src : p.dst;
  if (peer === undefined) return undefined;
  let peerGroups: readonly string[] | undefined;
  for (const group of groups) {
    for (const rule of direction === 'inbound' ? group.ingress : group.egress) {
      if (trafficFits(rule.protocol, rule.fromPort !== null && rule.toPort !== null ? { from: rule.fromPort, to: rule.toPort } : null, p) !== true) continue;
      if (rule.groupId !== null) {
        peerGroups ??= index.interfaceByAddress(peer)?.securityGroupIds ?? [];
        if (peerGroups.includes(rule.groupId)) return { group, rule };
      } else if (blockFits(rule.cidr, rule.ipv6Cidr, peer)) {
        return { group, rule };
      }
    }
  }
  return undefined;
}

// ---- explanations ----

function explainAcl(index: NetworkIndex, code: string, c: Extract<ParsedCode, { kind: 'acl' }>, p: Packet | undefined): NetworkAclExplanation {
  const ruleNumber = c.ruleNumber === '*' ? ACL_DEFAULT_RULE_NUMBER : c.ruleNumber;
  const egress = c.direction === 'outbound';
  const base = { code, layer: 'network-acl', direction: c.direction, resourceId: c.aclId, ruleNumber } as const;
  const ruleName = `rule ${c.ruleNumber}`;
  const acl = index.networkAcl(c.aclId);
  if (!acl) {
    const what = c.ruleNumber === '*' ? 'its final rule * (no rule matched)' : `its ${ruleName}`;
    return { ...base, stale: true, text: `network ACL ${c.aclId} no longer exists; ${what} denied this packet (${c.direction})` };
  }
  // The final `*` entries exist per family; the record's address family picks one (IPv4 without a record).
  const family6 = c.ruleNumber === '*' ? (p?.src !== undefined ? familyOf(p.src) === 6 : false) : c.ipv6;
  const entry = acl.entries.find((e) => e.egress === egress && e.ruleNumber === ruleNumber && (e.ipv6Cidr !== null) === family6);
  const deciding = p ? decidingEntry(acl.entries, egress, p) : undefined;
  const now = deciding && deciding !== entry ? `; today rule ${deciding.ruleNumber === ACL_DEFAULT_RULE_NUMBER ? '*' : deciding.ruleNumber} (${entryWords(deciding)}) decides this traffic, so the ACL changed since` : '';

  if (c.ruleNumber === '*') {
    const text = `${c.aclId} rule *: deny all traffic (${c.direction}; no rule matched)`;
    return { ...base, ...(entry ? { rule: aclEntryDocument(entry) } : {}), stale: now !== '', text: text + now };
  }
  if (!entry) {
    return { ...base, stale: true, text: `${c.aclId} has no ${c.direction} ${ruleName} now; that rule denied this packet when it was recorded, and has been removed since` };
  }
  if (entry.ruleAction !== 'deny') {
    return {
      ...base, rule: aclEntryDocument(entry), stale: true,
      text: `${c.aclId} ${ruleName}: ${entryWords(entry)} (${c.direction}); it was a deny rule when this packet was dropped, and has been changed since`,
    };
  }
  return { ...base, rule: aclEntryDocument(entry), stale: now !== '', text: `${c.aclId} ${ruleName}: ${entryWords(entry)} (${c.direction})${now}` };
}

function explainGroups(index: NetworkIndex, code: string, c: Extract<ParsedCode, { kind: 'sg' }>, p: Packet | undefined): SecurityGroupExplanation {
  const eni: NetworkInterface | undefined = index.networkInterface(c.interfaceId);
  const traffic = packetWords(p, c.direction);
  if (!eni) {
    return {
      code, layer: 'security-group', direction: c.direction, resourceId: '', interfaceId: c.interfaceId, securityGroupIds: [], securityGroups: [], stale: true,
      text: `network interface ${c.interfaceId} no longer exists; its security groups had no ${c.direction} rule for ${traffic}`,
    };
  }
  const ids = eni.securityGroupIds;
  const groups = index.securityGroupsOf(eni);
  const groupsWord = ids.length === 1 ? `security group ${ids[0]}` : `security groups ${list(ids)}`;
  let text = `${groupsWord} ${ids.length === 1 ? 'has' : 'have'} no ${c.direction} rule for ${traffic}`;
  let stale = false;
  const missing = ids.filter((id) => !groups.some((g) => g.id === id));
  if (missing.length) {
    stale = true;
    text += `; ${list(missing)} ${missing.length === 1 ? 'no longer exists' : 'no longer exist'}`;
  }
  const allowed = p ? allowingRule(index, groups, c.direction, p) : undefined;
  if (allowed) {
    stale = true;
    text = `${groupsWord} had no ${c.direction} rule for ${traffic} when this packet was dropped; today ${allowed.group.id} allows it (${sgRuleWords(allowed.rule, c.direction)})`;
  }
  return {
    code, layer: 'security-group', direction: c.direction, resourceId: ids[0] ?? '', interfaceId: eni.id, securityGroupIds: [...ids],
    securityGroups: groups.map((g) => ({ id: g.id, name: g.name, rules: (c.direction === 'inbound' ? g.ingress : g.egress).map(ruleDocument) })),
    stale, text,
  };
}

function explainInvalid(code: string, p: Packet | undefined): InvalidStateExplanation {
  const tcp = p?.protocol === undefined || p.protocol === PROTOCOL_TCP;
  const text = tcp
    ? 'connection state invalid (a TCP packet without a tracked connection)'
    : 'connection state invalid (a packet the connection tracker could not relate to a connection)';
  return { code, layer: 'invalid-state', direction: 'outbound', resourceId: '', stale: false, text };
}

/**
 * Explains the code of the kernel rule that dropped a packet (flow_records.rule of a live REJECT
 * record) against the account's network as it is now. `record` (the record's 5-tuple) lets the
 * text name the traffic and tells whether today's rules still drop it. Never throws for a code:
 * one it cannot read, or whose resources are gone, gets an explanation that says so.
 */
export function explainDropCode(network: NetworkModel | NetworkIndex, code: string, record?: DroppedPacket): DropExplanation {
  const index = network instanceof NetworkIndex ? network : new NetworkIndex(network);
  const parsed = parseCode(typeof code === 'string' ? code : '');
  const p = packetOf(record);
  switch (parsed.kind) {
    case 'invalid':
      return explainInvalid(code, p);
    case 'sg':
      return explainGroups(index, code, parsed, p);
    case 'acl':
      return explainAcl(index, code, parsed, p);
    case 'unknown':
      return { code, layer: 'unknown', stale: true, text: `unknown rule: ${parsed.why}` };
  }
}
