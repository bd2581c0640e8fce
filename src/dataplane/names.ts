// Kernel object names for a network model, derived only from validated AWS ids (never from names,
// tags or descriptions): a namespace per VPC and per instance, a veth pair per attached interface
// (VPC side ≤ 15 bytes), a MAC per interface. Names already recorded for an id are kept, so a
// restart finds its objects again; clashes between truncated ids fall back to a hash of the id.

import { createHash, randomBytes } from 'node:crypto';
import { isResourceId, type NetworkModel, type ResourceKind } from '../model/index.ts';
import { UnsafeValueError } from './errors.ts';

export const DEFAULT_PREFIX = 'vf';
/** Prefixes are short lowercase words: they lead every namespace name and must never contain a dash. */
const PREFIX_PATTERN = /^[a-z][a-z0-9]{1,11}$/;
/** Linux limits interface names to 15 bytes (IFNAMSIZ 16 with the NUL). */
export const MAX_LINK_NAME = 15;
const HEX_DIGITS_KEPT = 12;
const LINK_NAME = /^[a-z][a-z0-9]{1,14}$/;
const NAMESPACE_NAME = /^[a-z][a-z0-9-]{1,62}$/;
/** Policy routing table of an instance's interface: BASE + device index (main is 254, local 255). */
export const ROUTE_TABLE_BASE = 100;
export const MAX_DEVICE_INDEX = 99;

export interface InterfaceNames {
  readonly interfaceId: string;
  readonly vpcId: string;
  readonly instanceId: string;
  readonly subnetId: string;
  readonly deviceIndex: number;
  /** The VPC side of the veth pair, in the VPC namespace (what nftables sees as iifname/oifname). */
  readonly vpcLink: string;
  /** The instance side, in the instance namespace: `eth<device index>` as an instance would see it. */
  readonly instanceLink: string;
  /** Locally administered unicast MAC derived from the interface id. */
  readonly mac: string;
  readonly routeTable: number;
}

export interface DataplaneNames {
  readonly prefix: string;
  readonly vpcNamespaces: ReadonlyMap<string, string>;
  readonly instanceNamespaces: ReadonlyMap<string, string>;
  /** Attached interfaces only: an interface without an instance has no host to live in. */
  readonly interfaces: ReadonlyMap<string, InterfaceNames>;
}

/** Names an earlier run recorded, by id; reused when still valid so objects keep their names. */
export interface RecordedNames {
  readonly vpcNamespaces?: Readonly<Record<string, string>>;
  readonly instanceNamespaces?: Readonly<Record<string, string>>;
  readonly vpcLinks?: Readonly<Record<string, string>>;
}

export interface NamingOptions {
  /** Leads every namespace name (`vf` by default; tests use `randomTestPrefix()`). */
  readonly prefix?: string;
  readonly recorded?: RecordedNames;
}

export function checkPrefix(prefix: string): string {
  if (!PREFIX_PATTERN.test(prefix)) throw new UnsafeValueError('name prefix', prefix, 'names');
  return prefix;
}

/** A prefix no other test run uses: `vft` and 5 random base-36 characters. */
export function randomTestPrefix(): string {
  let s = '';
  for (const b of randomBytes(5)) s += (b % 36).toString(36);
  return `vft${s}`;
}

/** The hex digits of a validated id; throws for anything that is not a well-formed id of that kind. */
export function hexOfId(kind: ResourceKind, id: string): string {
  if (!isResourceId(kind, id)) throw new UnsafeValueError(`${kind} id`, id, 'names');
  return id.slice(id.indexOf('-') + 1);
}

/** A lowercase base-32 digest of the id: the fallback when truncated ids clash. */
function hashOf(id: string, length: number): string {
  const digest = createHash('sha256').update(id).digest();
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let out = '';
  for (let i = 0; out.length < length; i++) out += alphabet[digest[i]! & 31];
  return out;
}

export const vpcNamespaceName = (prefix: string, vpcId: string): string => `${prefix}-${hexOfId('vpc', vpcId).slice(-HEX_DIGITS_KEPT)}`;
export const instanceNamespaceName = (prefix: string, instanceId: string): string => `${prefix}-i-${hexOfId('instance', instanceId).slice(-HEX_DIGITS_KEPT)}`;
export const vpcLinkName = (interfaceId: string): string => `eni${hexOfId('network-interface', interfaceId).slice(-HEX_DIGITS_KEPT)}`;

/** 02:…: locally administered, unicast; the low 40 bits come from the interface id's last hex digits. */
export function macOfInterface(interfaceId: string): string {
  const hex = hexOfId('network-interface', interfaceId).slice(-10).padStart(10, '0');
  return ['02', ...hex.match(/../g)!].join(':');
}

/**
 * Picks a unique name per id: a recorded valid name first, else the preferred name unless another
 * id wants it too, else a hashed one. Ids sharing a preferred name all get hashed names, so the
 * choice does not depend on model order.
 */
function assignUnique(
  ids: readonly string[],
  preferred: (id: string) => string,
  hashed: (id: string) => string,
  valid: RegExp,
  recorded: Readonly<Record<string, string>> | undefined,
  taken: Set<string>,
): Map<string, string> {
  const out = new Map<string, string>();
  const fresh: string[] = [];
  for (const id of ids) {
    const r = recorded?.[id];
    if (r !== undefined && valid.test(r) && !taken.has(r)) {
      out.set(id, r);
      taken.add(r);
    } else {
      fresh.push(id);
    }
  }
  const wanted = new Map<string, number>();
  for (const id of fresh) wanted.set(preferred(id), (wanted.get(preferred(id)) ?? 0) + 1);
  for (const id of fresh) {
    const p = preferred(id);
    let name = wanted.get(p) === 1 && !taken.has(p) ? p : hashed(id);
    if (taken.has(name)) throw new UnsafeValueError('generated name (clash after hashing)', name, `names for ${id}`);
    if (!valid.test(name)) throw new UnsafeValueError('generated name', name, `names for ${id}`);
    out.set(id, name);
    taken.add(name);
  }
  return out;
}

/** Every kernel name the model needs. Throws UnsafeValueError if any id is not well formed. */
export function planNames(model: NetworkModel, options: NamingOptions = {}): DataplaneNames {
  const prefix = checkPrefix(options.prefix ?? DEFAULT_PREFIX);
  const recorded = options.recorded ?? {};
  const namespacesTaken = new Set<string>();
  const vpcNamespaces = assignUnique(
    model.vpcs.map((v) => v.id),
    (id) => vpcNamespaceName(prefix, id),
    (id) => `${prefix}-h${hashOf(id, HEX_DIGITS_KEPT)}`,
    NAMESPACE_NAME, recorded.vpcNamespaces, namespacesTaken,
  );
  const instanceNamespaces = assignUnique(
    model.vpcs.flatMap((v) => v.instances.map((i) => i.id)),
    (id) => instanceNamespaceName(prefix, id),
    (id) => `${prefix}-i-h${hashOf(id, HEX_DIGITS_KEPT)}`,
    NAMESPACE_NAME, recorded.instanceNamespaces, namespacesTaken,
  );
  for (const name of [...vpcNamespaces.values(), ...instanceNamespaces.values()]) {
    if (!name.startsWith(`${prefix}-`)) throw new UnsafeValueError('recorded namespace name', name, `names with prefix ${prefix}`);
  }
  const interfaces = new Map<string, InterfaceNames>();
  for (const vpc of model.vpcs) {
    hexOfId('vpc', vpc.id);
    const attached = vpc.networkInterfaces.filter((n) => n.instanceId !== null && n.deviceIndex !== null);
    // VPC-side links live in the VPC namespace only, so they need to be unique per VPC.
    const links = assignUnique(
      attached.map((n) => n.id),
      vpcLinkName,
      (id) => `enh${hashOf(id, HEX_DIGITS_KEPT)}`,
      LINK_NAME, recorded.vpcLinks, new Set(),
    );
    const macs = assignUnique(
      attached.map((n) => n.id),
      macOfInterface,
      (id) => ['02', ...createHash('sha256').update(id).digest('hex').slice(0, 10).match(/../g)!].join(':'),
      /^02(:[0-9a-f]{2}){5}$/, undefined, new Set(),
    );
    for (const n of attached) {
      const deviceIndex = n.deviceIndex!;
      if (!Number.isInteger(deviceIndex) || deviceIndex < 0 || deviceIndex > MAX_DEVICE_INDEX) {
        throw new UnsafeValueError('device index', String(deviceIndex), `names for ${n.id}`);
      }
      hexOfId('instance', n.instanceId!);
      hexOfId('subnet', n.subnetId);
      interfaces.set(n.id, {
        interfaceId: n.id,
        vpcId: vpc.id,
        instanceId: n.instanceId!,
        subnetId: n.subnetId,
        deviceIndex,
        vpcLink: links.get(n.id)!,
        instanceLink: `eth${deviceIndex}`,
        mac: macs.get(n.id)!,
        routeTable: ROUTE_TABLE_BASE + deviceIndex,
      });
    }
  }
  return { prefix, vpcNamespaces, instanceNamespaces, interfaces };
}
