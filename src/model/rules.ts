// Security group rules and network ACL entries: reading them from the document with AWS's rules
// for protocols, port ranges and ICMP type/code, and the rules AWS puts in default resources.

import { PROTOCOL_ALL, PROTOCOL_ICMP, PROTOCOL_ICMPV6, PROTOCOL_TCP, PROTOCOL_UDP, ProtocolError, parseCidr, parseProtocol, CidrError } from '../net/index.ts';
import type { DocReader, Located, Members } from './doc-reader.ts';
import { ACL_DEFAULT_RULE_NUMBER, type NetworkAclEntry, type SecurityGroupRule } from './network.ts';

/** A security group rule as declared: the referenced group is still a reference (id or name). */
export interface DraftSecurityGroupRule extends Omit<SecurityGroupRule, 'groupId'> {
  readonly path: string;
  readonly groupRef: Located<string> | null;
}

const SG_RULE_KEYS = {
  protocol: ['IpProtocol'],
  'from-port': [],
  'to-port': [],
  cidr: ['CidrIp', 'CidrIpv4'],
  'ipv6-cidr': ['CidrIpv6'],
  'source-group': ['destination-group', 'group', 'GroupId', 'ReferencedGroupId'],
  description: [],
} as const;

const ACL_ENTRY_KEYS = {
  'rule-number': [],
  egress: [],
  protocol: [],
  'rule-action': [],
  cidr: ['CidrBlock'],
  'ipv6-cidr': ['Ipv6CidrBlock'],
  'from-port': [],
  'to-port': [],
  'icmp-type': [],
  'icmp-code': [],
} as const;

const isPortProtocol = (p: number): boolean => p === PROTOCOL_TCP || p === PROTOCOL_UDP;
const isIcmpProtocol = (p: number): boolean => p === PROTOCOL_ICMP || p === PROTOCOL_ICMPV6;

function readProtocol(reader: DocReader, m: Members): number | undefined {
  const raw = m.raw('protocol');
  if (raw === undefined || raw === null) {
    reader.problem(m.pathOf('protocol'), 'MissingParameter', "missing required key 'protocol'");
    return undefined;
  }
  if (typeof raw !== 'string' && typeof raw !== 'number') {
    reader.problem(m.pathOf('protocol'), 'InvalidParameterValue', 'expected a protocol name or number');
    return undefined;
  }
  try {
    return parseProtocol(String(raw));
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    reader.problem(m.pathOf('protocol'), 'InvalidParameterValue', `Invalid value '${raw}' for IP protocol: ${e.reason}`);
    return undefined;
  }
}

/** A strict CIDR of the given IP version, or undefined after reporting why not. */
export function readCidr(reader: DocReader, text: string, path: string, version: 4 | 6, code = 'InvalidParameterValue'): string | undefined {
  try {
    const c = parseCidr(text);
    if (c.version !== version) {
      reader.problem(path, code, `'${text}' is an IPv${c.version} block where an IPv${version} block is expected`);
      return undefined;
    }
    return c.text;
  } catch (e) {
    if (!(e instanceof CidrError)) throw e;
    reader.problem(path, code, `CIDR block ${text} is malformed: ${e.reason}`);
    return undefined;
  }
}

interface Peer {
  cidr: string | null;
  ipv6Cidr: string | null;
  groupRef: Located<string> | null;
  ok: boolean;
}

function readPeer(reader: DocReader, m: Members, allowGroup: boolean): Peer {
  const keys = allowGroup ? ['cidr', 'ipv6-cidr', 'source-group'] : ['cidr', 'ipv6-cidr'];
  const given = keys.filter((k) => m.has(k) && m.raw(k) !== null);
  if (given.length === 0) {
    reader.problem(m.path, 'MissingParameter', `a rule needs one of: ${keys.join(', ')}`);
    return { cidr: null, ipv6Cidr: null, groupRef: null, ok: false };
  }
  if (given.length > 1) {
    reader.problem(m.pathOf(given[1]!), 'InvalidParameterCombination', `give only one of ${given.join(', ')} per rule (write one rule per peer)`);
    return { cidr: null, ipv6Cidr: null, groupRef: null, ok: false };
  }
  const key = given[0]!;
  const text = m.string(key, { required: true });
  if (text === undefined) return { cidr: null, ipv6Cidr: null, groupRef: null, ok: false };
  if (key === 'source-group') return { cidr: null, ipv6Cidr: null, groupRef: { value: text, path: m.pathOf(key) }, ok: true };
  const c = readCidr(reader, text, m.pathOf(key), key === 'cidr' ? 4 : 6);
  return { cidr: key === 'cidr' ? (c ?? null) : null, ipv6Cidr: key === 'ipv6-cidr' ? (c ?? null) : null, groupRef: null, ok: c !== undefined };
}

/** TCP/UDP port range from `from-port`/`to-port`: both required, 0–65535, from ≤ to. */
function readPortRange(reader: DocReader, m: Members): { from: number; to: number } | undefined {
  const from = m.integer('from-port', { min: 0, max: 65535 });
  const to = m.integer('to-port', { min: 0, max: 65535 });
  if (!m.has('from-port') || !m.has('to-port')) {
    reader.problem(m.pathOf(m.has('from-port') ? 'to-port' : 'from-port'), 'MissingParameter', 'Must specify both from and to ports with TCP/UDP');
    return undefined;
  }
  if (from === undefined || to === undefined) return undefined;
  if (from > to) {
    reader.problem(m.pathOf('from-port'), 'InvalidParameterValue', `Invalid port range: from-port ${from} is greater than to-port ${to}`);
    return undefined;
  }
  return { from, to };
}

/** ICMP type and code (-1 = any; a code needs a type). */
function readIcmp(reader: DocReader, m: Members, typeKey: string, codeKey: string): { type: number; code: number } | undefined {
  const type = m.has(typeKey) ? m.integer(typeKey, { min: -1, max: 255 }) : -1;
  const code = m.has(codeKey) ? m.integer(codeKey, { min: -1, max: 255 }) : -1;
  if (type === undefined || code === undefined) return undefined;
  if (type === -1 && code !== -1) {
    reader.problem(m.pathOf(codeKey), 'InvalidParameterValue', `ICMP code ${code} needs an ICMP type: with type -1 (all types) the code must be -1`);
    return undefined;
  }
  return { type, code };
}

/** One security group rule; undefined (after reporting) when it is unusable. */
export function readSecurityGroupRule(reader: DocReader, item: Located<unknown>): DraftSecurityGroupRule | undefined {
  const m = reader.object(item.value, item.path, SG_RULE_KEYS);
  if (!m) return undefined;
  const protocol = readProtocol(reader, m);
  const peer = readPeer(reader, m, true);
  const description = m.string('description', { maxLength: 255 }) ?? null;
  if (protocol === undefined) return undefined;
  let fromPort: number | null = null;
  let toPort: number | null = null;
  if (isPortProtocol(protocol)) {
    const range = readPortRange(reader, m);
    if (!range) return undefined;
    fromPort = range.from;
    toPort = range.to;
  } else if (isIcmpProtocol(protocol)) {
    const icmp = readIcmp(reader, m, 'from-port', 'to-port');
    if (!icmp) return undefined;
    fromPort = icmp.type;
    toPort = icmp.code;
  }
  // AWS ignores ports for every other protocol (all ports are allowed); the model says so with null.
  if (!peer.ok) return undefined;
  return { path: item.path, protocol, fromPort, toPort, cidr: peer.cidr, ipv6Cidr: peer.ipv6Cidr, groupRef: peer.groupRef, description };
}

/** One network ACL entry; undefined (after reporting) when it is unusable. */
export function readNetworkAclEntry(reader: DocReader, item: Located<unknown>): (NetworkAclEntry & { path: string }) | undefined {
  const m = reader.object(item.value, item.path, ACL_ENTRY_KEYS);
  if (!m) return undefined;
  const ruleNumber = m.integer('rule-number', { required: true, min: 1, max: ACL_DEFAULT_RULE_NUMBER - 1 });
  const egress = m.boolean('egress', true);
  const protocol = readProtocol(reader, m);
  const action = m.string('rule-action', { required: true, pattern: /^(allow|deny)$/, shapeMessage: 'rule-action must be allow or deny' });
  const peer = readPeer(reader, m, false);
  let portRange: NetworkAclEntry['portRange'] = null;
  let icmpTypeCode: NetworkAclEntry['icmpTypeCode'] = null;
  let ok = ruleNumber !== undefined && egress !== undefined && protocol !== undefined && action !== undefined && peer.ok;
  if (protocol !== undefined) {
    const hasIcmpKeys = m.has('icmp-type') || m.has('icmp-code');
    if (hasIcmpKeys && !isIcmpProtocol(protocol)) {
      reader.problem(m.pathOf(m.has('icmp-type') ? 'icmp-type' : 'icmp-code'), 'InvalidParameterCombination', 'icmp-type and icmp-code apply only to protocol icmp (1) or icmpv6 (58)');
      ok = false;
    }
    if (isPortProtocol(protocol)) {
      const range = readPortRange(reader, m);
      if (range) portRange = range;
      else ok = false;
    } else if (isIcmpProtocol(protocol)) {
      if (m.has('from-port') || m.has('to-port')) {
        reader.problem(m.pathOf(m.has('from-port') ? 'from-port' : 'to-port'), 'InvalidParameterCombination', 'ICMP entries take icmp-type and icmp-code, not ports');
        ok = false;
      } else if (!m.has('icmp-type')) {
        reader.problem(m.pathOf('icmp-type'), 'MissingParameter', 'ICMP entries need icmp-type (and icmp-code); -1 means all');
        ok = false;
      } else {
        const icmp = readIcmp(reader, m, 'icmp-type', 'icmp-code');
        if (icmp) icmpTypeCode = icmp;
        else ok = false;
      }
    }
  }
  if (!ok) return undefined;
  return { path: item.path, ruleNumber: ruleNumber!, egress: egress!, protocol: protocol!, ruleAction: action as 'allow' | 'deny', cidr: peer.cidr, ipv6Cidr: peer.ipv6Cidr, portRange, icmpTypeCode };
}

const rule = (over: Partial<SecurityGroupRule>): SecurityGroupRule => ({
  protocol: PROTOCOL_ALL, fromPort: null, toPort: null, cidr: null, ipv6Cidr: null, groupId: null, description: null, ...over,
});

/** The outbound rules AWS gives a new security group: everything to anywhere (IPv6 too when the VPC has IPv6). */
export function allowAllEgress(vpcHasIpv6: boolean): SecurityGroupRule[] {
  return vpcHasIpv6 ? [rule({ cidr: '0.0.0.0/0' }), rule({ ipv6Cidr: '::/0' })] : [rule({ cidr: '0.0.0.0/0' })];
}

/** The inbound rule of a VPC's default security group: everything from members of the group itself. */
export const selfIngress = (groupId: string): SecurityGroupRule[] => [rule({ groupId })];

const entry = (ruleNumber: number, egress: boolean, ruleAction: 'allow' | 'deny', v6: boolean): NetworkAclEntry => ({
  ruleNumber, egress, protocol: PROTOCOL_ALL, ruleAction, cidr: v6 ? null : '0.0.0.0/0', ipv6Cidr: v6 ? '::/0' : null, portRange: null, icmpTypeCode: null,
});

/** The entries of AWS's default network ACL: rule 100 (and 101 for IPv6) allows everything, both directions. */
export function defaultAclEntries(vpcHasIpv6: boolean): NetworkAclEntry[] {
  const out: NetworkAclEntry[] = [];
  for (const egress of [false, true]) {
    out.push(entry(100, egress, 'allow', false));
    if (vpcHasIpv6) out.push(entry(101, egress, 'allow', true));
  }
  return out;
}

/** Adds the final `*` deny of each direction (IPv6 too when the VPC has IPv6) and sorts as the model requires. */
export function withFinalDeny(entries: readonly NetworkAclEntry[], vpcHasIpv6: boolean): NetworkAclEntry[] {
  const out = [...entries];
  for (const egress of [false, true]) {
    out.push(entry(ACL_DEFAULT_RULE_NUMBER, egress, 'deny', false));
    if (vpcHasIpv6) out.push(entry(ACL_DEFAULT_RULE_NUMBER, egress, 'deny', true));
  }
  return out.sort((a, b) => Number(a.egress) - Number(b.egress) || a.ruleNumber - b.ruleNumber || Number(a.ipv6Cidr !== null) - Number(b.ipv6Cidr !== null));
}
