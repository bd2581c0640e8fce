// What changed between two network models, resource by resource (matched by id), in the words
// the CLI prints: "+ vpc-… created", "~ sg-… ingress changed", "- eni-… deleted".

import type { NetworkModel, Vpc } from './network.ts';
import type { Tag } from './tags.ts';

export type ChangeAction = 'create' | 'update' | 'delete';
export type ChangeResourceType = 'network' | 'vpc' | 'subnet' | 'instance' | 'network-interface' | 'security-group' | 'network-acl';

export interface Change {
  readonly action: ChangeAction;
  readonly resourceType: ChangeResourceType;
  readonly resourceId: string;
  /** For create: a short description; for update: what changed (`cidr 10.0.1.0/24 → 10.0.2.0/24; tags changed`). */
  readonly detail?: string;
}

interface Flat {
  readonly type: ChangeResourceType;
  readonly id: string;
  readonly record: object;
  readonly summary: string;
}

const nameTag = (tags: readonly Tag[]): string | undefined => tags.find((t) => t.Key === 'Name')?.Value;

const kebab = (camel: string): string => camel.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

function flatten(model: NetworkModel): Flat[] {
  const out: Flat[] = [];
  for (const vpc of model.vpcs) {
    const { subnets, instances, networkInterfaces, securityGroups, networkAcls, ...record } = vpc satisfies Vpc;
    out.push({ type: 'vpc', id: vpc.id, record, summary: [vpc.name ?? nameTag(vpc.tags), vpc.cidrs.join(' '), ...vpc.ipv6Cidrs].filter(Boolean).join(' ') });
    for (const s of subnets) out.push({ type: 'subnet', id: s.id, record: s, summary: [s.name ?? nameTag(s.tags), s.cidr, s.ipv6Cidr, s.availabilityZone].filter(Boolean).join(' ') });
    for (const a of networkAcls) out.push({ type: 'network-acl', id: a.id, record: a, summary: a.isDefault ? 'default network ACL' : (a.name ?? `${a.subnetIds.length} subnet(s)`) });
    for (const g of securityGroups) out.push({ type: 'security-group', id: g.id, record: g, summary: g.isDefault ? 'default security group' : g.name });
    for (const i of instances) out.push({ type: 'instance', id: i.id, record: i, summary: [i.name ?? nameTag(i.tags), i.subnetId].filter(Boolean).join(' ') });
    for (const n of networkInterfaces) out.push({ type: 'network-interface', id: n.id, record: n, summary: [n.privateIp, n.instanceId ?? 'unattached'].join(' ') });
  }
  return out;
}

const isShortScalar = (v: unknown): boolean => v === null || typeof v === 'number' || typeof v === 'boolean' || (typeof v === 'string' && v.length <= 60);

function describeUpdate(beforeRecord: object, afterRecord: object): string | undefined {
  const before = beforeRecord as Readonly<Record<string, unknown>>;
  const after = afterRecord as Readonly<Record<string, unknown>>;
  const parts: string[] = [];
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = before[key];
    const b = after[key];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    const name = kebab(key);
    parts.push(isShortScalar(a) && isShortScalar(b) ? `${name} ${a ?? '(none)'} → ${b ?? '(none)'}` : `${name} changed`);
  }
  return parts.length ? parts.join('; ') : undefined;
}

/** Changes that turn `before` into `after`: creates and updates in `after`'s order, then deletes in `before`'s. */
export function diffModels(before: NetworkModel | undefined, after: NetworkModel): Change[] {
  const changes: Change[] = [];
  if (!before) {
    changes.push({ action: 'create', resourceType: 'network', resourceId: after.account, detail: `account ${after.account} in ${after.region}` });
  } else if (before.account !== after.account || before.region !== after.region) {
    const detail = describeUpdate({ account: before.account, region: before.region }, { account: after.account, region: after.region });
    changes.push({ action: 'update', resourceType: 'network', resourceId: after.account, ...(detail ? { detail } : {}) });
  }
  const old = new Map((before ? flatten(before) : []).map((f) => [`${f.type}/${f.id}`, f]));
  const seen = new Set<string>();
  for (const f of flatten(after)) {
    const key = `${f.type}/${f.id}`;
    seen.add(key);
    const prior = old.get(key);
    if (!prior) {
      changes.push({ action: 'create', resourceType: f.type, resourceId: f.id, ...(f.summary ? { detail: f.summary } : {}) });
      continue;
    }
    const detail = describeUpdate(prior.record, f.record);
    if (detail) changes.push({ action: 'update', resourceType: f.type, resourceId: f.id, detail });
  }
  for (const [key, f] of old) {
    if (!seen.has(key)) changes.push({ action: 'delete', resourceType: f.type, resourceId: f.id, ...(f.summary ? { detail: f.summary } : {}) });
  }
  return changes;
}
