// Link-layer types (the LINKTYPE_* numbers in pcap and pcapng headers) that the decoder reads.

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_PPP = 9;
/** DLT_RAW as written by some BSDs' libpcap before LINKTYPE_RAW existed. */
export const LINKTYPE_RAW_BSD_12 = 12;
/** DLT_RAW as written by OpenBSD's libpcap. */
export const LINKTYPE_RAW_BSD_14 = 14;
export const LINKTYPE_PPP_HDLC = 50;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPNET = 226;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_NFLOG = 239;
export const LINKTYPE_LINUX_SLL2 = 276;

const SUPPORTED: ReadonlySet<number> = new Set([
  LINKTYPE_NULL,
  LINKTYPE_ETHERNET,
  LINKTYPE_PPP,
  LINKTYPE_RAW_BSD_12,
  LINKTYPE_RAW_BSD_14,
  LINKTYPE_PPP_HDLC,
  LINKTYPE_RAW,
  LINKTYPE_LOOP,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_IPNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_NFLOG,
  LINKTYPE_LINUX_SLL2,
]);

export function isSupportedLinkType(linkType: number): boolean {
  return SUPPORTED.has(linkType);
}

export function supportedLinkTypes(): number[] {
  return [...SUPPORTED].sort((a, b) => a - b);
}
