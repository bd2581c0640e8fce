// Compiles a VPC's security groups and network ACLs into one nftables ruleset for its namespace:
// a pure function of the model and the kernel names. Every packet between two interfaces passes
// the forward hook once, in AWS's path order: security groups of the sender (outbound, stateful),
// network ACL of the sender's subnet (outbound), network ACL of the receiver's subnet (inbound),
// security groups of the receiver (inbound, stateful). ACLs are stateless and only apply across a
// subnet boundary; there is no "established → accept" shortcut in front of them. Every drop site
// logs to NFLOG with a short prefix that the returned table maps back to the deciding rule.
// Accepted packets are observed per packet only where a record needs the packet itself (TCP SYN,
// FIN or RST for tcp-flags; protocols without ports); the bulk of accepted TCP and UDP is counted
// in the kernel, per 5-tuple, in the dynamic sets `acc4`/`acc6` of a second table that a new
// ruleset never replaces (so no count is lost at a rule change); the live path reads them each second.

import { createHash } from 'node:crypto';
import { canonicalIp, isIpv4, isIpv6, parseCidr, PROTOCOL_ALL, PROTOCOL_ICMP, PROTOCOL_ICMPV6, PROTOCOL_TCP, PROTOCOL_UDP } from '../net/index.ts';
import type { NetworkAcl, NetworkAclEntry, SecurityGroup, SecurityGroupRule, Vpc } from '../model/index.ts';
import { UnsafeValueError } from './errors.ts';
import { hexOfId, type DataplaneNames, type InterfaceNames } from './names.ts';

export const TABLE_NAME = 'vpcflow';
/** The table of the kernel counter sets: created once per VPC namespace, never replaced. */
export const COUNTER_TABLE_NAME = 'vpcflow_counters';
export const ACCEPT_PREFIX = 'acc';
export const INVALID_PREFIX = 'inv';
export const DEFAULT_NFLOG_GROUP = 7;
export const DEFAULT_SNAPLEN = 128;
/**
 * NFLOG batches this many packets per netlink message (or flushes after its 1 s timer). One
 * message per packet costs a page of socket buffer each, and tcpdump's buffer is capped by the
 * host's net.core.rmem_max, so a burst of a few hundred packets would overrun it.
 */
export const DEFAULT_QUEUE_THRESHOLD = 16;
const MAX_PREFIX_BYTES = 63;
/**
 * The security groups' statefulness: packets of a connection the groups already let through pass
 * again, whatever the rules say now (AWS: a rule change does not interrupt tracked connections).
 * `established` alone would miss a flow that has had no reply yet (a one-way UDP stream, SYN
 * retransmissions): the kernel calls each of its packets `new`, but its entry is `confirmed` once
 * the first packet was accepted, and a packet dropped in this hook never confirms one.
 */
export const TRACKED_SHORTCUT: readonly string[] = ['ct state established,related return', 'ct status confirmed return'];
/** The kernel-counted 5-tuple sets (IPv4, IPv6) of accepted TCP/UDP packets without SYN, FIN or RST. */
export const ACCEPT_COUNTER_SETS = { 4: 'acc4', 6: 'acc6' } as const;
/** Flows the kernel counts per set; beyond it packets fall back to per-packet observation. */
export const ACCEPT_COUNTER_SET_SIZE = 262_144;
/** A counted flow idle this long leaves its set (the live path reads every second, so no count is lost). */
export const ACCEPT_COUNTER_TIMEOUT_SEC = 60;

export type DropLayer = 'sg-out' | 'nacl-out' | 'nacl-in' | 'sg-in' | 'invalid';
export type DropSide = 'source' | 'destination';

/** The rule behind one NFLOG prefix: where in the path the packet was dropped and by what. */
export interface DropRule {
  readonly code: string;
  readonly layer: DropLayer;
  /**
   * The deciding resource: the network ACL for ACL layers; for security-group layers the first
   * group of the interface (all its groups are in `securityGroupIds`: allow-only groups deny by
   * the absence of a rule, so no single rule decides); '' for `invalid`.
   */
  readonly resourceId: string;
  /** The network ACL entry's rule number (32767 for the final `*` deny). */
  readonly ruleNumber?: number;
  /** 'source': the sender's side dropped it (REJECT on the sender, no record on the receiver). */
  readonly side: DropSide;
  /** The interface whose security groups decided (security-group layers). */
  readonly interfaceId?: string;
  readonly securityGroupIds?: readonly string[];
  /** The ACL entry matches IPv6 (its block is an IPv6 CIDR). */
  readonly ipv6?: boolean;
}

export interface CompileOptions {
  /** NFLOG group for every log statement (per namespace; default 7). */
  readonly nflogGroup?: number;
  /** Bytes of each packet copied to NFLOG: headers are enough (default 128). */
  readonly snaplen?: number;
  /** Packets NFLOG batches before waking the reader (default 16; 1 = every packet at once). */
  readonly queueThreshold?: number;
  /**
   * Count accepted TCP/UDP packets without SYN/FIN/RST in kernel sets instead of logging each
   * (default true). Off, every accepted packet goes to NFLOG.
   */
  readonly countInKernel?: boolean;
}

export interface CompiledRuleset {
  readonly vpcId: string;
  /** The whole `nft -f -` input: creates the table, deletes it and defines it in one transaction. */
  readonly text: string;
  /** sha256 of `text`: equal digests mean nothing to apply. */
  readonly digest: string;
  readonly nflogGroup: number;
  readonly acceptPrefix: string;
  /** Every drop prefix in the ruleset and the rule it stands for. */
  readonly codes: ReadonlyMap<string, DropRule>;
  /** VPC-side link name → interface id, for the interfaces the ruleset knows. */
  readonly interfaceByLink: ReadonlyMap<string, string>;
  /** Accepted TCP/UDP without SYN/FIN/RST is counted in ACCEPT_COUNTER_SETS, not logged. */
  readonly countsInKernel: boolean;
  /**
   * `nft -f` input creating COUNTER_TABLE_NAME (sets and a forward chain after the filter), to be
   * applied only when the namespace lacks that table; undefined without kernel counting.
   */
  readonly counterTableText: string | undefined;
}

// ---- validated tokens: only these helpers put model values into the ruleset text ----

function cidrToken(text: string, version: 4 | 6, where: string): string {
  let ok = false;
  try {
    const c = parseCidr(text);
    ok = c.version === version && c.text === text;
  } catch {
    ok = false;
  }
  if (!ok) throw new UnsafeValueError(`IPv${version} CIDR`, text, where);
  return text;
}

function addressToken(text: string, where: string): string {
  let ok = false;
  try {
    ok = (isIpv4(text) || isIpv6(text)) && canonicalIp(text) === text;
  } catch {
    ok = false;
  }
  if (!ok) throw new UnsafeValueError('IP address', text, where);
  return text;
}

function intToken(value: number, min: number, max: number, what: string, where: string): string {
  if (!Number.isInteger(value) || value < min || value > max) throw new UnsafeValueError(what, String(value), where);
  return String(value);
}

const LINK = /^[a-z][a-z0-9]{1,14}$/;
function linkToken(name: string, where: string): string {
  if (!LINK.test(name)) throw new UnsafeValueError('link name', name, where);
  return name;
}

function prefixToken(code: string): string {
  if (!/^[a-z0-9 *-]+$/.test(code) || Buffer.byteLength(code) > MAX_PREFIX_BYTES) throw new UnsafeValueError('log prefix', code, 'nft-compile');
  return code;
}

// ---- matches ----

type Family = 4 | 6;

/** Protocol, ports / ICMP type and code as nft match tokens, for a packet of the given family. */
function protocolMatch(protocol: number, ports: { from: number; to: number } | null, icmp: { type: number; code: number } | null, family: Family, where: string): string[] {
  intToken(protocol, -1, 255, 'protocol number', where);
  if (protocol === PROTOCOL_ALL) return [];
  if (protocol === PROTOCOL_TCP || protocol === PROTOCOL_UDP) {
    const name = protocol === PROTOCOL_TCP ? 'tcp' : 'udp';
    if (!ports) return ['meta', 'l4proto', name];
    const from = intToken(ports.from, 0, 65535, 'port', where);
    const to = intToken(ports.to, 0, 65535, 'port', where);
    if (ports.from > ports.to) throw new UnsafeValueError('port range', `${from}-${to}`, where);
    return [name, 'dport', from === to ? from : `${from}-${to}`];
  }
  if (protocol === PROTOCOL_ICMP || protocol === PROTOCOL_ICMPV6) {
    const out = ['meta', 'l4proto', String(protocol)];
    if (!icmp || icmp.type === -1) return out;
    const type = intToken(icmp.type, 0, 255, 'ICMP type', where);
    const code = icmp.code === -1 ? undefined : intToken(icmp.code, 0, 255, 'ICMP code', where);
    const named = (protocol === PROTOCOL_ICMP && family === 4) || (protocol === PROTOCOL_ICMPV6 && family === 6);
    if (named) {
      const kw = protocol === PROTOCOL_ICMP ? 'icmp' : 'icmpv6';
      return [kw, 'type', type, ...(code === undefined ? [] : [kw, 'code', code])];
    }
    // ICMP of the other family (AWS lets a rule say so): match the transport header's first bytes.
    return [...out, '@th,0,8', type, ...(code === undefined ? [] : ['@th,8,8', code])];
  }
  return ['meta', 'l4proto', String(protocol)];
}

function aclEntryMatch(e: NetworkAclEntry, where: string): { family: Family; tokens: string[] } {
  const family: Family = e.ipv6Cidr !== null ? 6 : 4;
  const block = family === 6 ? cidrToken(e.ipv6Cidr!, 6, where) : cidrToken(e.cidr ?? '', 4, where);
  const peer = [family === 6 ? 'ip6' : 'ip', e.egress ? 'daddr' : 'saddr', block];
  return { family, tokens: [...peer, ...protocolMatch(e.protocol, e.portRange, e.icmpTypeCode, family, where)] };
}

function sgRuleMatches(rule: SecurityGroupRule, ingress: boolean, where: string): string[][] {
  const dir = ingress ? 'saddr' : 'daddr';
  const ports = rule.protocol === PROTOCOL_TCP || rule.protocol === PROTOCOL_UDP
    ? rule.fromPort === null || rule.toPort === null ? null : { from: rule.fromPort, to: rule.toPort }
    : null;
  const icmp = rule.protocol === PROTOCOL_ICMP || rule.protocol === PROTOCOL_ICMPV6
    ? { type: rule.fromPort ?? -1, code: rule.toPort ?? -1 }
    : null;
  if (rule.cidr !== null) return [['ip', dir, cidrToken(rule.cidr, 4, where), ...protocolMatch(rule.protocol, ports, icmp, 4, where)]];
  if (rule.ipv6Cidr !== null) return [['ip6', dir, cidrToken(rule.ipv6Cidr, 6, where), ...protocolMatch(rule.protocol, ports, icmp, 6, where)]];
  if (rule.groupId !== null) {
    const hex = hexOfId('security-group', rule.groupId);
    return [
      ['ip', dir, `@sg_${hex}_v4`, ...protocolMatch(rule.protocol, ports, icmp, 4, where)],
      ['ip6', dir, `@sg_${hex}_v6`, ...protocolMatch(rule.protocol, ports, icmp, 6, where)],
    ];
  }
  throw new UnsafeValueError('security group rule peer', 'none', where);
}

// ---- compiler ----

class RulesetWriter {
  readonly lines: string[] = [];
  readonly codes = new Map<string, DropRule>();
  constructor(private readonly log: string) {}

  drop(rule: Omit<DropRule, 'code'>, code: string): string {
    let unique = code;
    for (let n = 2; this.codes.has(unique); n++) unique = `${code} ${n}`;
    this.codes.set(prefixToken(unique), { ...rule, code: unique });
    return `counter log prefix "${unique}" ${this.log} drop`;
  }
}

/** Compiles one VPC. Throws UnsafeValueError if any value in the model is not a validated one. */
export function compileRuleset(vpc: Vpc, names: DataplaneNames, options: CompileOptions = {}): CompiledRuleset {
  hexOfId('vpc', vpc.id);
  const group = Number(intToken(options.nflogGroup ?? DEFAULT_NFLOG_GROUP, 0, 65535, 'NFLOG group', 'nft-compile'));
  const snaplen = Number(intToken(options.snaplen ?? DEFAULT_SNAPLEN, 40, 65535, 'snaplen', 'nft-compile'));
  const threshold = ` queue-threshold ${intToken(options.queueThreshold ?? DEFAULT_QUEUE_THRESHOLD, 1, 65535, 'queue threshold', 'nft-compile')}`;
  const log = `group ${group} snaplen ${snaplen}${threshold}`;
  const w = new RulesetWriter(log);
  const out: string[] = [];
  const chain = (name: string, body: string[], hook?: string) => {
    out.push(`\tchain ${name} {`);
    if (hook) out.push(`\t\t${hook}`);
    for (const l of body) out.push(`\t\t${l}`);
    out.push('\t}');
  };

  const groupsById = new Map<string, SecurityGroup>(vpc.securityGroups.map((g) => [g.id, g]));
  const aclById = new Map<string, NetworkAcl>(vpc.networkAcls.map((a) => [a.id, a]));
  const subnetAcl = new Map<string, string>(vpc.subnets.map((s) => [s.id, s.networkAclId]));
  const realized: { names: InterfaceNames; groups: string[] }[] = [];
  for (const n of vpc.networkInterfaces) {
    const nm = names.interfaces.get(n.id);
    if (!nm || nm.vpcId !== vpc.id) continue;
    hexOfId('network-interface', n.id);
    linkToken(nm.vpcLink, n.id);
    realized.push({ names: nm, groups: n.securityGroupIds.map((g) => (hexOfId('security-group', g), g)) });
  }

  // Address sets of every group some rule references (members: all addresses of its interfaces).
  const referenced = new Set<string>();
  for (const g of vpc.securityGroups) for (const r of [...g.ingress, ...g.egress]) if (r.groupId !== null) referenced.add(r.groupId);
  for (const gid of [...referenced].sort()) {
    const hex = hexOfId('security-group', gid);
    const v4: string[] = [];
    const v6: string[] = [];
    for (const n of vpc.networkInterfaces) {
      if (!n.securityGroupIds.includes(gid)) continue;
      for (const a of [n.privateIp, ...n.secondaryIps]) v4.push(addressToken(a, n.id));
      for (const a of n.ipv6) v6.push(addressToken(a, n.id));
    }
    for (const [family, list] of [['v4', v4], ['v6', v6]] as const) {
      const type = family === 'v4' ? 'ipv4_addr' : 'ipv6_addr';
      const elements = list.length ? ` elements = { ${[...new Set(list)].join(', ')} }` : '';
      out.push(`\tset sg_${hex}_${family} {`, `\t\ttype ${type}${elements.length ? ';' : ''}${elements}`, '\t}');
    }
  }

  // Network ACL chains: entries in rule-number order, first match decides; a final catch-all drop.
  const aclsInUse = new Set(realized.map((r) => subnetAcl.get(r.names.subnetId)).filter((a): a is string => a !== undefined));
  for (const aclId of [...aclsInUse].sort()) {
    const acl = aclById.get(aclId);
    const hex = hexOfId('network-acl', aclId);
    for (const egress of [true, false]) {
      const layer: DropLayer = egress ? 'nacl-out' : 'nacl-in';
      const side: DropSide = egress ? 'source' : 'destination';
      const tag = egress ? 'nao' : 'nai';
      const body: string[] = [];
      const entries = (acl?.entries ?? []).filter((e) => e.egress === egress);
      for (const e of entries) {
        const where = `${aclId} rule ${e.ruleNumber}`;
        intToken(e.ruleNumber, 1, 32767, 'rule number', where);
        const m = aclEntryMatch(e, where);
        const v6 = m.family === 6;
        const verdict = e.ruleAction === 'allow'
          ? 'return'
          : w.drop({ layer, resourceId: aclId, ruleNumber: e.ruleNumber, side, ...(v6 ? { ipv6: true } : {}) }, `${tag} ${aclId} ${e.ruleNumber}${v6 ? ' v6' : ''}`);
        body.push([...m.tokens, verdict].join(' '));
      }
      body.push(w.drop({ layer, resourceId: aclId, ruleNumber: 32767, side }, `${tag} ${aclId} *`));
      chain(`nacl_${hex}_${egress ? 'out' : 'in'}`, body);
    }
  }

  // Security group chains per interface: stateful (tracked connections pass), allow-only.
  for (const r of realized) {
    const link = r.names.vpcLink;
    const id = r.names.interfaceId;
    for (const ingress of [false, true]) {
      const body = [...TRACKED_SHORTCUT];
      for (const gid of r.groups) {
        const g = groupsById.get(gid);
        if (!g) continue;
        for (const rule of ingress ? g.ingress : g.egress) {
          for (const m of sgRuleMatches(rule, ingress, `${gid} ${ingress ? 'ingress' : 'egress'}`)) body.push([...m, 'return'].join(' '));
        }
      }
      const layer: DropLayer = ingress ? 'sg-in' : 'sg-out';
      body.push(w.drop(
        { layer, resourceId: r.groups[0] ?? '', side: ingress ? 'destination' : 'source', interfaceId: id, securityGroupIds: r.groups },
        `${ingress ? 'sgi' : 'sgo'} ${id}`,
      ));
      chain(`sg_${ingress ? 'in' : 'out'}_${link}`, body);
    }
  }

  // Per-interface entry chains: path order, and ACLs only when the peer is in another subnet.
  const linksOfSubnet = (subnetId: string) => realized.filter((r) => r.names.subnetId === subnetId).map((r) => `"${r.names.vpcLink}"`).join(', ');
  for (const r of realized) {
    const link = r.names.vpcLink;
    const aclHex = hexOfId('network-acl', subnetAcl.get(r.names.subnetId) ?? '');
    const sameSubnet = `{ ${linksOfSubnet(r.names.subnetId)} }`;
    chain(`from_${link}`, [`jump sg_out_${link}`, `oifname != ${sameSubnet} jump nacl_${aclHex}_out`]);
    chain(`to_${link}`, [`iifname != ${sameSubnet} jump nacl_${aclHex}_in`, `jump sg_in_${link}`]);
  }

  const forward: string[] = [`ct state invalid ${w.drop({ layer: 'invalid', resourceId: '', side: 'source' }, INVALID_PREFIX)}`];
  if (realized.length) {
    forward.push(`iifname vmap { ${realized.map((r) => `"${r.names.vpcLink}" : jump from_${r.names.vpcLink}`).join(', ')} }`);
    forward.push(`oifname vmap { ${realized.map((r) => `"${r.names.vpcLink}" : jump to_${r.names.vpcLink}`).join(', ')} }`);
  }
  const countInKernel = options.countInKernel ?? true;
  if (countInKernel) {
    // Each accepted packet is observed once: logged here (flags a record needs), or accepted
    // unlogged and counted by the counter table's chain, which runs after this one.
    forward.push(`tcp flags & (fin | syn | rst) != 0 counter log prefix "${ACCEPT_PREFIX}" ${log} accept`);
    forward.push('meta l4proto { tcp, udp } accept');
  }
  forward.push(`counter log prefix "${ACCEPT_PREFIX}" ${log} accept`);
  chain('forward', forward, 'type filter hook forward priority filter; policy accept;');

  const text = [`table inet ${TABLE_NAME} {}`, `delete table inet ${TABLE_NAME}`, `table inet ${TABLE_NAME} {`, ...out, '}', ''].join('\n');
  return {
    vpcId: vpc.id,
    text,
    digest: createHash('sha256').update(text).digest('hex'),
    nflogGroup: group,
    acceptPrefix: ACCEPT_PREFIX,
    countsInKernel: countInKernel,
    counterTableText: countInKernel ? counterTable(log) : undefined,
    codes: w.codes,
    interfaceByLink: new Map(realized.map((r) => [r.names.vpcLink, r.names.interfaceId])),
  };
}

/** What a log prefix says: accepted, dropped by a known rule, or unknown (not from this ruleset). */
export function describePrefix(ruleset: Pick<CompiledRuleset, 'codes' | 'acceptPrefix'>, prefix: string): { verdict: 'accept' } | { verdict: 'drop'; rule: DropRule } | { verdict: 'unknown' } {
  if (prefix === ruleset.acceptPrefix) return { verdict: 'accept' };
  const rule = ruleset.codes.get(prefix);
  return rule ? { verdict: 'drop', rule } : { verdict: 'unknown' };
}

/**
 * The counter table: accepted TCP/UDP without SYN/FIN/RST (what the filter chain accepted unlogged)
 * goes into a per-5-tuple set element with a counter; when a set is full the packet is logged
 * instead, so it is still observed. Dropped packets never reach this chain.
 */
function counterTable(log: string): string {
  const lines = [`table inet ${COUNTER_TABLE_NAME} {`];
  for (const [family, name] of [['ipv4_addr', ACCEPT_COUNTER_SETS[4]], ['ipv6_addr', ACCEPT_COUNTER_SETS[6]]] as const) {
    lines.push(`\tset ${name} {`, `\t\ttype ${family} . ${family} . inet_proto . inet_service . inet_service`,
      '\t\tflags dynamic,timeout', `\t\ttimeout ${ACCEPT_COUNTER_TIMEOUT_SEC}s`, `\t\tsize ${ACCEPT_COUNTER_SET_SIZE}`, '\t\tcounter', '\t}');
  }
  lines.push(
    '\tchain count {',
    '\t\ttype filter hook forward priority filter + 10; policy accept;',
    '\t\ttcp flags & (fin | syn | rst) != 0 return',
    `\t\tmeta nfproto ipv4 meta l4proto { tcp, udp } update @${ACCEPT_COUNTER_SETS[4]} { ip saddr . ip daddr . meta l4proto . th sport . th dport } return`,
    `\t\tmeta nfproto ipv6 meta l4proto { tcp, udp } update @${ACCEPT_COUNTER_SETS[6]} { ip6 saddr . ip6 daddr . meta l4proto . th sport . th dport } return`,
    `\t\tmeta l4proto { tcp, udp } counter log prefix "${ACCEPT_PREFIX}" ${log}`,
    '\t}',
    '}',
    '',
  );
  return lines.join('\n');
}
