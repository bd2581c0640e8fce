// IP protocol numbers and the names AWS uses for them: flow log records carry the IANA number;
// security group and network ACL rules accept "tcp", "udp", "icmp", "icmpv6" or a number, and
// "-1" for all protocols.

export const PROTOCOL_ICMP = 1;
export const PROTOCOL_TCP = 6;
export const PROTOCOL_UDP = 17;
export const PROTOCOL_ICMPV6 = 58;
/** AWS's value for "all protocols" in rules (`IpProtocol=-1`). */
export const PROTOCOL_ALL = -1;

/** The names AWS's EC2 API accepts and returns in rules. */
const AWS_NAMES: ReadonlyMap<string, number> = new Map([
  ['tcp', PROTOCOL_TCP],
  ['udp', PROTOCOL_UDP],
  ['icmp', PROTOCOL_ICMP],
  ['icmpv6', PROTOCOL_ICMPV6],
]);

/** IANA keywords for common protocols, for display only. */
const IANA_KEYWORDS: ReadonlyMap<number, string> = new Map([
  [1, 'ICMP'],
  [2, 'IGMP'],
  [4, 'IPv4'],
  [6, 'TCP'],
  [17, 'UDP'],
  [41, 'IPv6'],
  [47, 'GRE'],
  [50, 'ESP'],
  [51, 'AH'],
  [58, 'IPv6-ICMP'],
  [89, 'OSPF'],
  [103, 'PIM'],
  [112, 'VRRP'],
  [132, 'SCTP'],
]);

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly text: string,
    readonly reason: string,
  ) {
    super(`invalid protocol '${text}': ${reason}`);
  }
}

/**
 * Parses a protocol as written in AWS rules: a name (tcp, udp, icmp, icmpv6; any case), `-1` or
 * `all` (→ -1), or a decimal number 0..255 without leading zeros.
 */
export function parseProtocol(text: string): number {
  const lower = text.toLowerCase();
  const named = AWS_NAMES.get(lower);
  if (named !== undefined) return named;
  if (lower === '-1' || lower === 'all') return PROTOCOL_ALL;
  if (!/^(0|[1-9][0-9]{0,2})$/.test(text)) {
    throw new ProtocolError(text, "expected tcp, udp, icmp, icmpv6, -1 (all) or a number 0..255");
  }
  const n = Number(text);
  if (n > 255) throw new ProtocolError(text, `protocol number ${n} is above 255`);
  return n;
}

/** How the EC2 API writes a rule's protocol: the AWS name when there is one, else the number. */
export function awsProtocolText(protocol: number): string {
  for (const [name, n] of AWS_NAMES) if (n === protocol) return name;
  return String(protocol);
}

/** IANA keyword for display (`TCP`, `IPv6-ICMP`, …), or undefined when not in the table. */
export const protocolKeyword = (protocol: number): string | undefined => IANA_KEYWORDS.get(protocol);

