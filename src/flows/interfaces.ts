// What the aggregator needs to know about a monitored network interface to fill AWS's fields.

export interface MonitoredInterface {
  interfaceId: string;
  accountId: string;
  region: string;
  vpcId: string;
  subnetId: string;
  instanceId: string | null;
  azId: string | null;
  /** Primary private IPv4: AWS substitutes it for secondary and foreign addresses in srcaddr/dstaddr. */
  primaryIpv4: string | null;
  /** Every IPv4 of the interface (primary first), dotted. */
  ipv4: readonly string[];
  /** Every IPv6 of the interface, canonical text. */
  ipv6: readonly string[];
}
