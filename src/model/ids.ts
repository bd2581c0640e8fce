// AWS resource ids (`prefix-` + 8 or 17 lowercase hex digits): recognition, the EC2 error codes
// for malformed ids, and id generation through an injectable generator so tests stay deterministic.

export type ResourceKind = 'vpc' | 'subnet' | 'instance' | 'network-interface' | 'security-group' | 'network-acl' | 'flow-log';

export const ID_PREFIX: Readonly<Record<ResourceKind, string>> = {
  vpc: 'vpc',
  subnet: 'subnet',
  instance: 'i',
  'network-interface': 'eni',
  'security-group': 'sg',
  'network-acl': 'acl',
  'flow-log': 'fl',
};

/** EC2's codes for a malformed id (their casing differs per resource, as AWS's does). */
export const MALFORMED_CODE: Readonly<Record<ResourceKind, string>> = {
  vpc: 'InvalidVpcID.Malformed',
  subnet: 'InvalidSubnetID.Malformed',
  instance: 'InvalidInstanceID.Malformed',
  'network-interface': 'InvalidNetworkInterfaceId.Malformed',
  'security-group': 'InvalidGroupId.Malformed',
  'network-acl': 'InvalidNetworkAclId.Malformed',
  'flow-log': 'InvalidFlowLogId.Malformed',
};

/** EC2's codes for an id that is well formed but names nothing. */
export const NOT_FOUND_CODE: Readonly<Record<ResourceKind, string>> = {
  vpc: 'InvalidVpcID.NotFound',
  subnet: 'InvalidSubnetID.NotFound',
  instance: 'InvalidInstanceID.NotFound',
  'network-interface': 'InvalidNetworkInterfaceID.NotFound',
  'security-group': 'InvalidGroup.NotFound',
  'network-acl': 'InvalidNetworkAclID.NotFound',
  'flow-log': 'InvalidFlowLogId.NotFound',
};

const HEX_ID = /^[0-9a-f]{8}$|^[0-9a-f]{17}$/;

/** Whether `id` is a well-formed id of that kind: legacy 8-digit or current 17-digit form. */
export function isResourceId(kind: ResourceKind, id: string): boolean {
  const prefix = ID_PREFIX[kind] + '-';
  return id.startsWith(prefix) && HEX_ID.test(id.slice(prefix.length));
}

/** The kind an id's prefix names, or undefined (`i-…` → instance, `eni-…` → network-interface). */
export function kindOfId(id: string): ResourceKind | undefined {
  const dash = id.indexOf('-');
  if (dash < 0) return undefined;
  const prefix = id.slice(0, dash);
  for (const [kind, p] of Object.entries(ID_PREFIX) as [ResourceKind, string][]) {
    if (p === prefix && isResourceId(kind, id)) return kind;
  }
  return undefined;
}

/** Makes a fresh id of the given kind. Must return well-formed ids; callers retry on collision. */
export type IdGenerator = (kind: ResourceKind) => string;

/** Returns `count` random bytes; the default reads the platform's CSPRNG (no import needed). */
export type RandomBytes = (count: number) => Uint8Array;

const cryptoBytes: RandomBytes = (count) => globalThis.crypto.getRandomValues(new Uint8Array(count));

/** Ids as AWS makes them today: the prefix and 17 random lowercase hex digits. */
export function randomIdGenerator(random: RandomBytes = cryptoBytes): IdGenerator {
  return (kind) => {
    const bytes = random(9);
    let hex = '';
    for (const b of bytes) hex += b.toString(16).padStart(2, '0');
    return `${ID_PREFIX[kind]}-${hex.slice(0, 17)}`;
  };
}

/**
 * Deterministic ids for tests and reproducible demos: a counter per kind, written as 17 hex
 * digits after a fixed 1-digit seed (`vpc-a0000000000000001`, …).
 */
export function sequentialIdGenerator(seed = 0): IdGenerator {
  const counters = new Map<ResourceKind, number>();
  const lead = (seed & 15).toString(16);
  return (kind) => {
    const n = (counters.get(kind) ?? 0) + 1;
    counters.set(kind, n);
    return `${ID_PREFIX[kind]}-${lead}${n.toString(16).padStart(16, '0')}`;
  };
}

export const defaultIdGenerator: IdGenerator = randomIdGenerator();
