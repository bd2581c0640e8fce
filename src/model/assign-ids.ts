// Gives every declared resource its id: the one written in the document, else the id of the
// existing resource it matches by a natural key (so applying a document again changes nothing),
// else a fresh one. Natural keys: VPC by name then primary CIDR; subnet by name then CIDR;
// security group by name; network ACL by default flag, name, then associated subnets; instance
// by name then primary address; interface by name then primary private address.

import type { DraftNetwork, DraftNetworkAcl, DraftVpc } from './document.ts';
import type { IdGenerator, ResourceKind } from './ids.ts';
import type { NetworkModel, Vpc } from './network.ts';

type Test<C> = (candidate: C) => boolean;

const EMPTY_VPC: Omit<Vpc, 'id' | 'name' | 'cidr'> = { cidrs: [], ipv6Cidrs: [], tags: [], subnets: [], instances: [], networkInterfaces: [], securityGroups: [], networkAcls: [] };

export function assignIds(draft: DraftNetwork, current: NetworkModel | undefined, generate: IdGenerator): void {
  const taken = new Set<string>();
  const claimed = new Set<string>();
  for (const v of draft.vpcs) for (const r of resourcesOf(v)) if (r.declaredId !== undefined) claimed.add(r.declaredId);
  for (const id of claimed) taken.add(id);
  for (const v of current?.vpcs ?? []) for (const id of idsOf(v)) taken.add(id);

  const fresh = (kind: ResourceKind): string => {
    for (let attempt = 0; attempt < 1000; attempt++) {
      const id = generate(kind);
      if (!taken.has(id)) {
        taken.add(id);
        return id;
      }
    }
    throw new Error(`the id generator returned 1000 ids of kind ${kind} that were all in use`);
  };
  /** The first unclaimed candidate passing the earliest test that any candidate passes. */
  const pick = <C extends { id: string }>(candidates: readonly C[], tests: readonly (Test<C> | false)[]): C | undefined => {
    for (const test of tests) {
      if (!test) continue;
      const found = candidates.find((c) => !claimed.has(c.id) && test(c));
      if (found) {
        claimed.add(found.id);
        return found;
      }
    }
    return undefined;
  };
  const assign = <C extends { id: string }>(r: { declaredId: string | undefined; id: string }, kind: ResourceKind, candidates: readonly C[], tests: readonly (Test<C> | false)[]): void => {
    r.id = r.declaredId ?? pick(candidates, tests)?.id ?? fresh(kind);
  };

  const currentVpcs = current?.vpcs ?? [];
  const matchedVpc = new Map<DraftVpc, Vpc>();
  for (const v of draft.vpcs) {
    const primary = v.cidrs[0]?.value;
    const byId = v.declaredId !== undefined ? currentVpcs.find((c) => c.id === v.declaredId) : undefined;
    const match = byId ?? (v.declaredId === undefined ? pick(currentVpcs, [v.name !== undefined && ((c) => c.name === v.name), primary !== undefined && ((c) => c.cidr === primary)]) : undefined);
    v.id = v.declaredId ?? match?.id ?? fresh('vpc');
    if (match) matchedVpc.set(v, match);
  }

  for (const v of draft.vpcs) {
    const cur = matchedVpc.get(v) ?? { id: '', name: null, cidr: '', ...EMPTY_VPC };
    for (const s of v.subnets) {
      assign(s, 'subnet', cur.subnets, [s.name !== undefined && ((c) => c.name === s.name), s.cidr !== undefined && ((c) => c.cidr === s.cidr!.value)]);
    }
    for (const g of v.securityGroups) assign(g, 'security-group', cur.securityGroups, [g.name !== undefined && ((c) => c.name === g.name)]);
    v.implicitDefaultGroupId = v.securityGroups.some((g) => g.name === 'default') ? '' : (pick(cur.securityGroups, [(c) => c.isDefault])?.id ?? fresh('security-group'));

    const subnetIdOf = (ref: string): string | undefined => v.subnets.find((s) => s.id === ref || s.name === ref || s.cidr?.value === ref)?.id;
    const subnetSet = (a: DraftNetworkAcl): string => a.subnetRefs.map((r) => subnetIdOf(r.value) ?? r.value).sort().join(' ');
    const declaredDefault = v.networkAcls.find((a) => a.isDefault);
    for (const a of v.networkAcls) {
      assign(a, 'network-acl', cur.networkAcls, [
        a === declaredDefault && ((c) => c.isDefault),
        a.name !== undefined && ((c) => c.name === a.name),
        a.subnetRefs.length > 0 && ((c) => !c.isDefault && [...c.subnetIds].sort().join(' ') === subnetSet(a)),
        a !== declaredDefault && a.name === undefined && ((c) => !c.isDefault && c.name === null),
      ]);
    }
    v.implicitDefaultAclId = declaredDefault ? '' : (pick(cur.networkAcls, [(c) => c.isDefault])?.id ?? fresh('network-acl'));

    const ipOf = new Map(cur.networkInterfaces.map((n) => [n.id, n.privateIp]));
    for (const inst of v.instances) {
      const primaryIp = inst.interfaces[0]?.privateIp?.value;
      assign(inst, 'instance', cur.instances, [
        inst.name !== undefined && ((c) => c.name === inst.name),
        primaryIp !== undefined && ((c) => c.interfaceIds[0] !== undefined && ipOf.get(c.interfaceIds[0]) === primaryIp),
      ]);
    }
    for (const n of [...v.instances.flatMap((i) => i.interfaces), ...v.networkInterfaces]) {
      assign(n, 'network-interface', cur.networkInterfaces, [
        n.name !== undefined && ((c) => c.name === n.name),
        n.privateIp !== undefined && ((c) => c.privateIp === n.privateIp!.value),
      ]);
    }
  }
}

function resourcesOf(v: DraftVpc) {
  return [v, ...v.subnets, ...v.instances, ...v.instances.flatMap((i) => i.interfaces), ...v.networkInterfaces, ...v.securityGroups, ...v.networkAcls];
}

function idsOf(v: Vpc): string[] {
  return [
    v.id,
    ...v.subnets.map((s) => s.id),
    ...v.instances.map((i) => i.id),
    ...v.networkInterfaces.map((n) => n.id),
    ...v.securityGroups.map((g) => g.id),
    ...v.networkAcls.map((a) => a.id),
  ];
}
