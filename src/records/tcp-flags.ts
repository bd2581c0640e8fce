// The `tcp-flags` field: AWS reports only FIN, SYN, RST and SYN-ACK, each packet contributing its
// supported flags, ORed over the aggregation interval (spec §1.7).

export const TCP_FIN = 1;
export const TCP_SYN = 2;
export const TCP_RST = 4;
export const TCP_PSH = 8;
export const TCP_ACK = 16;
export const TCP_URG = 32;
/** SYN-ACK as AWS writes it: SYN (2) + ACK (16). */
export const TCP_SYN_ACK = 18;

/**
 * What one packet with the raw TCP flags byte `raw` contributes to `tcp-flags`: FIN 1, SYN 2,
 * RST 4, and ACK (16) only when SYN is set in the same packet (SYN-ACK = 18). ACK, PSH, URG, ECE
 * and CWR alone contribute 0. The interval's value is the OR over the flow's packets.
 */
export function awsTcpFlags(raw: number): number {
  const supported = raw & (TCP_FIN | TCP_SYN | TCP_RST);
  return (raw & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK) ? supported | TCP_ACK : supported;
}

/** Lower-case names of the flags in a `tcp-flags` value, e.g. 19 → ['fin', 'syn', 'ack']. */
export function tcpFlagNames(value: number): string[] {
  const names: string[] = [];
  if (value & TCP_FIN) names.push('fin');
  if (value & TCP_SYN) names.push('syn');
  if (value & TCP_RST) names.push('rst');
  if (value & TCP_PSH) names.push('psh');
  if (value & TCP_ACK) names.push('ack');
  if (value & TCP_URG) names.push('urg');
  return names;
}
