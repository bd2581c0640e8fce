// Turns a read document (ids assigned) into the normalized NetworkModel, checking what AWS checks
// across resources: CIDR sizes and containment, subnet overlaps, reserved and duplicate addresses,
// references within a VPC, one network ACL per subnet, unique ids and names. Every problem is
// reported; the model is only returned when there is none.

import { addressIndex, cidrContains, cidrSize, cidrsOverlap, prefixLengthOf } from '../net/index.ts';
import type { DocReader, Located } from './doc-reader.ts';
import type { DraftInterface, DraftNetwork, DraftSubnet, DraftVpc } from './document.ts';
import type { Instance, NetworkAcl, NetworkAclEntry, NetworkInterface, NetworkModel, SecurityGroup, SecurityGroupRule, Subnet, Vpc } from './network.ts';
import { azIdOf, isAzIdOfRegion, isZoneOfRegion } from './regions.ts';
import { allowAllEgress, defaultAclEntries, selfIngress, withFinalDeny } from './rules.ts';

/** AWS quotas checked by default (all adjustable in AWS; these are its defaults). */
export const LIMITS = {
  ipv4CidrsPerVpc: 5,
  ipv6CidrsPerVpc: 5,
  rulesPerSecurityGroupDirection: 60,
  securityGroupsPerInterface: 5,
  aclEntriesPerDirection: 20,
} as const;

/** IPv4 ranges AWS refuses as VPC blocks. */
const UNUSABLE_VPC_RANGES = ['0.0.0.0/8', '127.0.0.0/8', '169.254.0.0/16', '224.0.0.0/4', '240.0.0.0/4'];

const IPV6_VPC_PREFIXES = [44, 48, 52, 56, 60];
const IPV6_SUBNET_PREFIXES = [44, 48, 52, 56, 60, 64];

/** Reserved by AWS in every subnet: the network address, +1 router, +2 DNS, +3 future use, and the last address. */
export function isReservedAddress(subnetCidr: string, address: string): boolean {
  const i = addressIndex(subnetCidr, address);
  if (i === undefined) return false;
  return i <= 3n || i === cidrSize(subnetCidr) - 1n;
}

interface BuiltSubnet {
  readonly draft: DraftSubnet;
  readonly cidr: string | undefined;
  readonly ipv6Cidr: string | null;
  readonly availabilityZone: string;
  readonly azId: string;
}

/** Checks the whole document and builds the model; undefined when any problem was reported. */
export function buildModel(draft: DraftNetwork, reader: DocReader): NetworkModel | undefined {
  const region = draft.region ?? 'us-east-1';
  checkUniqueIds(draft, reader);
  const vpcNames = new Map<string, string>();
  for (const v of draft.vpcs) {
    if (v.name === undefined) continue;
    const earlier = vpcNames.get(v.name);
    if (earlier !== undefined) reader.problem(`${v.path}.name`, 'InvalidParameterValue', `VPC name '${v.name}' is also used by ${earlier}`);
    else vpcNames.set(v.name, v.path);
  }
  const subnetVpc = new Map<string, string>();
  for (const v of draft.vpcs) for (const s of v.subnets) subnetVpc.set(s.id, v.id);
  const addresses = new Map<string, string>();
  const vpcs = draft.vpcs.map((v) => new VpcBuilder(v, region, reader, addresses, subnetVpc).build());
  if (reader.problems.length > 0 || draft.account === undefined || draft.region === undefined) return undefined;
  return { account: draft.account, region: draft.region, vpcs };
}

function* draftResources(draft: DraftNetwork) {
  for (const v of draft.vpcs) {
    yield v;
    yield* v.subnets;
    for (const i of v.instances) {
      yield i;
      yield* i.interfaces;
    }
    yield* v.networkInterfaces;
    yield* v.securityGroups;
    yield* v.networkAcls;
  }
}

function checkUniqueIds(draft: DraftNetwork, reader: DocReader): void {
  const seen = new Map<string, string>();
  for (const r of draftResources(draft)) {
    if (r.declaredId === undefined) continue;
    const earlier = seen.get(r.declaredId);
    if (earlier !== undefined) reader.problem(`${r.path}.id`, 'DuplicateResourceId', `id ${r.declaredId} is already used by ${earlier}`);
    else seen.set(r.declaredId, r.path);
  }
}

/** Reports a name used twice among resources of one kind in one VPC (names are reference handles). */
function checkUniqueNames(items: readonly { name: string | undefined; path: string }[], reader: DocReader, what: string, code = 'InvalidParameterValue'): void {
  const seen = new Map<string, string>();
  for (const it of items) {
    if (it.name === undefined) continue;
    const earlier = seen.get(it.name);
    if (earlier !== undefined) reader.problem(`${it.path}.name`, code, `${what} name '${it.name}' is already used by ${earlier}`);
    else seen.set(it.name, it.path);
  }
}

class VpcBuilder {
  private readonly hasIpv6: boolean;
  private readonly cidrs: string[] = [];
  private readonly ipv6Cidrs: string[] = [];
  private readonly subnets: BuiltSubnet[] = [];
  private readonly groupIdByRef = new Map<string, string>();
  private defaultGroupId = '';

  constructor(
    private readonly v: DraftVpc,
    private readonly region: string,
    private readonly reader: DocReader,
    private readonly addresses: Map<string, string>,
    private readonly subnetVpc: ReadonlyMap<string, string>,
  ) {
    this.checkVpcBlocks();
    this.hasIpv6 = this.ipv6Cidrs.length > 0;
  }

  private problem(path: string, code: string, message: string): void {
    this.reader.problem(path, code, message);
  }

  build(): Vpc {
    const v = this.v;
    for (const s of v.subnets) this.subnets.push(this.buildSubnet(s));
    checkUniqueNames(v.subnets, this.reader, 'subnet');
    checkUniqueNames(v.instances, this.reader, 'instance');
    checkUniqueNames([...v.instances.flatMap((i) => i.interfaces), ...v.networkInterfaces], this.reader, 'network interface');
    checkUniqueNames(v.networkAcls, this.reader, 'network ACL');
    const securityGroups = this.buildGroups();
    const { acls, aclOfSubnet } = this.buildAcls();
    const subnets: Subnet[] = this.subnets.map((s) => ({
      id: s.draft.id, name: s.draft.name ?? null, vpcId: v.id, cidr: s.cidr ?? '', ipv6Cidr: s.ipv6Cidr,
      availabilityZone: s.availabilityZone, azId: s.azId, networkAclId: aclOfSubnet.get(s.draft.id) ?? '', tags: s.draft.tags,
    }));
    const instances: Instance[] = [];
    const interfaces: NetworkInterface[] = [];
    for (const inst of v.instances) {
      const primarySubnet = this.resolveSubnet(inst.subnetRef ?? inst.interfaces[0]?.subnetRef, `${inst.path}.subnet`);
      inst.interfaces.forEach((d, deviceIndex) => {
        const inheritsSubnet = !d.subnetRef || (deviceIndex === 0 && !inst.subnetRef);
        const own = inheritsSubnet ? primarySubnet : this.resolveSubnet(d.subnetRef, d.subnetRef!.path);
        if (own && primarySubnet) {
          if (deviceIndex === 0 && own !== primarySubnet) {
            this.problem(d.subnetRef!.path, 'InvalidParameterCombination', `the primary interface (device index 0) must be in the instance's subnet ${primarySubnet.draft.id}`);
          } else if (own.availabilityZone !== primarySubnet.availabilityZone) {
            this.problem(d.subnetRef!.path, 'InvalidParameterCombination', `interface subnet ${own.draft.id} is in ${own.availabilityZone} but the instance is in ${primarySubnet.availabilityZone}: an instance's interfaces must share its Availability Zone`);
          }
        }
        interfaces.push(this.buildInterface(d, own, inst.id, deviceIndex));
      });
      instances.push({
        id: inst.id, name: inst.name ?? null, vpcId: v.id, subnetId: primarySubnet?.draft.id ?? '',
        availabilityZone: primarySubnet?.availabilityZone ?? '', azId: primarySubnet?.azId ?? '',
        interfaceIds: inst.interfaces.map((i) => i.id), tags: inst.tags,
      });
    }
    for (const d of v.networkInterfaces) interfaces.push(this.buildInterface(d, this.resolveSubnet(d.subnetRef, `${d.path}.subnet`), null, null));
    return {
      id: v.id, name: v.name ?? null, cidr: this.cidrs[0] ?? '', cidrs: this.cidrs, ipv6Cidrs: this.ipv6Cidrs, tags: v.tags,
      subnets, instances, networkInterfaces: interfaces, securityGroups, networkAcls: acls,
    };
  }

  private checkVpcBlocks(): void {
    const v = this.v;
    for (const c of v.cidrs) {
      const prefix = prefixLengthOf(c.value);
      if (prefix < 16 || prefix > 28) {
        this.problem(c.path, 'InvalidVpc.Range', `The CIDR '${c.value}' is invalid: a VPC block must be between /16 and /28`);
      } else if (UNUSABLE_VPC_RANGES.some((r) => cidrsOverlap(r, c.value))) {
        this.problem(c.path, 'InvalidVpc.Range', `The CIDR '${c.value}' is invalid: it overlaps a reserved range (${UNUSABLE_VPC_RANGES.find((r) => cidrsOverlap(r, c.value))})`);
      } else if (this.cidrs.some((o) => cidrsOverlap(o, c.value))) {
        this.problem(c.path, 'InvalidVpc.Range', `The CIDR '${c.value}' conflicts with block ${this.cidrs.find((o) => cidrsOverlap(o, c.value))} of this VPC`);
      } else if (this.cidrs.length >= LIMITS.ipv4CidrsPerVpc) {
        this.problem(c.path, 'CidrLimitExceeded', `a VPC can have at most ${LIMITS.ipv4CidrsPerVpc} IPv4 CIDR blocks`);
      } else {
        this.cidrs.push(c.value);
      }
    }
    for (const c of v.ipv6Cidrs) {
      const prefix = prefixLengthOf(c.value);
      if (!IPV6_VPC_PREFIXES.includes(prefix)) {
        this.problem(c.path, 'InvalidVpc.Range', `The IPv6 CIDR '${c.value}' is invalid: a VPC IPv6 block must be /44 to /60 in steps of 4 (AWS assigns /56)`);
      } else if (this.ipv6Cidrs.some((o) => cidrsOverlap(o, c.value))) {
        this.problem(c.path, 'InvalidVpc.Range', `The IPv6 CIDR '${c.value}' conflicts with block ${this.ipv6Cidrs.find((o) => cidrsOverlap(o, c.value))} of this VPC`);
      } else if (this.ipv6Cidrs.length >= LIMITS.ipv6CidrsPerVpc) {
        this.problem(c.path, 'CidrLimitExceeded', `a VPC can have at most ${LIMITS.ipv6CidrsPerVpc} IPv6 CIDR blocks`);
      } else {
        this.ipv6Cidrs.push(c.value);
      }
    }
  }

  private buildSubnet(s: DraftSubnet): BuiltSubnet {
    let cidr: string | undefined;
    if (s.cidr) {
      const c = s.cidr.value;
      const prefix = prefixLengthOf(c);
      const clash = this.subnets.find((o) => o.cidr !== undefined && cidrsOverlap(o.cidr, c));
      if (prefix < 16 || prefix > 28) this.problem(s.cidr.path, 'InvalidSubnet.Range', `The CIDR '${c}' is invalid: a subnet block must be between /16 and /28`);
      else if (!this.cidrs.some((vc) => cidrContains(vc, c))) this.problem(s.cidr.path, 'InvalidSubnet.Range', `The CIDR '${c}' is invalid: it is not inside the VPC's blocks (${this.cidrs.join(', ') || 'none valid'})`);
      else if (clash) this.problem(s.cidr.path, 'InvalidSubnet.Conflict', `The CIDR '${c}' conflicts with another subnet: ${clash.draft.path} (${clash.cidr})`);
      else cidr = c;
    }
    let ipv6Cidr: string | null = null;
    if (s.ipv6Cidr) {
      const c = s.ipv6Cidr.value;
      const clash = this.subnets.find((o) => o.ipv6Cidr !== null && cidrsOverlap(o.ipv6Cidr, c));
      if (!this.hasIpv6) this.problem(s.ipv6Cidr.path, 'InvalidSubnet.Range', `The IPv6 CIDR '${c}' is invalid: the VPC has no IPv6 CIDR block`);
      else if (!IPV6_SUBNET_PREFIXES.includes(prefixLengthOf(c))) this.problem(s.ipv6Cidr.path, 'InvalidSubnet.Range', `The IPv6 CIDR '${c}' is invalid: a subnet IPv6 block must be /44 to /64 in steps of 4 (usually /64)`);
      else if (!this.ipv6Cidrs.some((vc) => cidrContains(vc, c))) this.problem(s.ipv6Cidr.path, 'InvalidSubnet.Range', `The IPv6 CIDR '${c}' is invalid: it is not inside the VPC's IPv6 blocks (${this.ipv6Cidrs.join(', ')})`);
      else if (clash) this.problem(s.ipv6Cidr.path, 'InvalidSubnet.Conflict', `The IPv6 CIDR '${c}' conflicts with another subnet: ${clash.draft.path} (${clash.ipv6Cidr})`);
      else ipv6Cidr = c;
    }
    let availabilityZone = `${this.region}a`;
    if (s.availabilityZone) {
      if (isZoneOfRegion(s.availabilityZone.value, this.region)) availabilityZone = s.availabilityZone.value;
      else this.problem(s.availabilityZone.path, 'InvalidParameterValue', `Value (${s.availabilityZone.value}) for parameter availabilityZone is invalid: zones of ${this.region} are named ${this.region}a, ${this.region}b, …`);
    }
    let azId = azIdOf(this.region, availabilityZone) ?? '';
    if (s.azId) {
      if (isAzIdOfRegion(s.azId.value, this.region)) azId = s.azId.value;
      else this.problem(s.azId.path, 'InvalidParameterValue', `Value (${s.azId.value}) for parameter availabilityZoneId is invalid: AZ ids of ${this.region} look like ${azIdOf(this.region, `${this.region}a`) ?? 'use1-az1'}`);
    }
    return { draft: s, cidr, ipv6Cidr, availabilityZone, azId };
  }

  /** A subnet of this VPC by id, name or CIDR; reports InvalidSubnetID.NotFound (or MissingParameter) otherwise. */
  private resolveSubnet(ref: Located<string> | undefined, missingPath: string): BuiltSubnet | undefined {
    if (ref === undefined) {
      this.problem(missingPath, 'MissingParameter', "missing required key 'subnet'");
      return undefined;
    }
    const r = ref.value;
    const found = this.subnets.find((s) => s.draft.id === r) ?? this.subnets.find((s) => s.draft.name === r) ?? this.subnets.find((s) => s.draft.cidr?.value === r);
    if (found) return found;
    const elsewhere = this.subnetVpc.get(r);
    const where = elsewhere !== undefined ? `: it belongs to ${elsewhere}` : '';
    this.problem(ref.path, 'InvalidSubnetID.NotFound', `The subnet ID '${r}' does not exist in VPC '${this.v.id}'${where}`);
    return undefined;
  }

  private buildGroups(): SecurityGroup[] {
    const v = this.v;
    checkUniqueNames(v.securityGroups, this.reader, 'security group', 'InvalidGroup.Duplicate');
    for (const g of v.securityGroups) {
      this.groupIdByRef.set(g.id, g.id);
      if (g.name !== undefined && !this.groupIdByRef.has(g.name)) this.groupIdByRef.set(g.name, g.id);
    }
    const declaredDefault = v.securityGroups.find((g) => g.name === 'default');
    this.defaultGroupId = declaredDefault?.id ?? v.implicitDefaultGroupId;
    const out: SecurityGroup[] = [];
    if (!declaredDefault) {
      this.groupIdByRef.set(v.implicitDefaultGroupId, v.implicitDefaultGroupId);
      this.groupIdByRef.set('default', v.implicitDefaultGroupId);
      out.push({
        id: v.implicitDefaultGroupId, vpcId: v.id, name: 'default', description: 'default VPC security group', isDefault: true,
        ingress: selfIngress(v.implicitDefaultGroupId), egress: allowAllEgress(this.hasIpv6), tags: [],
      });
    }
    for (const g of v.securityGroups) {
      const isDefault = g === declaredDefault;
      const name = g.name ?? g.id;
      out.push({
        id: g.id, vpcId: v.id, name, description: g.description ?? (isDefault ? 'default VPC security group' : name), isDefault,
        ingress: g.ingress ? this.resolveRules(g.ingress, `${g.path}.ingress`) : isDefault ? selfIngress(g.id) : [],
        egress: g.egress ? this.resolveRules(g.egress, `${g.path}.egress`) : allowAllEgress(this.hasIpv6),
        tags: g.tags,
      });
    }
    // AWS lists the default group first; keeping that order makes diffs and output stable.
    return out.sort((a, b) => Number(b.isDefault) - Number(a.isDefault));
  }

  private resolveRules(rules: NonNullable<DraftVpc['securityGroups'][number]['ingress']>, listPath: string): SecurityGroupRule[] {
    const out: SecurityGroupRule[] = [];
    const seen = new Map<string, string>();
    if (rules.length > LIMITS.rulesPerSecurityGroupDirection) {
      this.problem(listPath, 'RulesPerSecurityGroupLimitExceeded', `at most ${LIMITS.rulesPerSecurityGroupDirection} rules per direction; ${rules.length} given`);
    }
    for (const r of rules) {
      let groupId: string | null = null;
      if (r.groupRef) {
        const id = this.groupIdByRef.get(r.groupRef.value);
        if (id === undefined) {
          this.problem(r.groupRef.path, 'InvalidGroup.NotFound', `The security group '${r.groupRef.value}' does not exist in VPC '${this.v.id}'`);
          continue;
        }
        groupId = id;
      }
      const rule: SecurityGroupRule = { protocol: r.protocol, fromPort: r.fromPort, toPort: r.toPort, cidr: r.cidr, ipv6Cidr: r.ipv6Cidr, groupId, description: r.description };
      const key = JSON.stringify([rule.protocol, rule.fromPort, rule.toPort, rule.cidr, rule.ipv6Cidr, rule.groupId]);
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        this.problem(r.path, 'InvalidPermission.Duplicate', `the same rule is already declared at ${earlier}`);
        continue;
      }
      seen.set(key, r.path);
      out.push(rule);
    }
    return out;
  }

  private buildAcls(): { acls: NetworkAcl[]; aclOfSubnet: Map<string, string> } {
    const v = this.v;
    const defaults = v.networkAcls.filter((a) => a.isDefault);
    for (const extra of defaults.slice(1)) {
      this.problem(`${extra.path}.default`, 'InvalidParameterValue', `a VPC has one default network ACL; ${defaults[0]!.path} is already the default`);
    }
    const declaredDefault = defaults[0];
    const defaultAclId = declaredDefault?.id ?? v.implicitDefaultAclId;
    const aclOfSubnet = new Map<string, string>();
    const claimedBy = new Map<string, string>();
    const acls: NetworkAcl[] = [];
    if (!declaredDefault) {
      acls.push({ id: defaultAclId, vpcId: v.id, name: null, isDefault: true, subnetIds: [], entries: withFinalDeny(defaultAclEntries(this.hasIpv6), this.hasIpv6), tags: [] });
    }
    for (const a of v.networkAcls) {
      const subnetIds: string[] = [];
      for (const ref of a.subnetRefs) {
        const s = this.resolveSubnet(ref, ref.path);
        if (!s) continue;
        const earlier = claimedBy.get(s.draft.id);
        if (earlier !== undefined) {
          this.problem(ref.path, 'InvalidParameterValue', `subnet ${s.draft.id} is already associated with the network ACL at ${earlier}: a subnet has exactly one network ACL`);
          continue;
        }
        claimedBy.set(s.draft.id, a.path);
        aclOfSubnet.set(s.draft.id, a.id);
        subnetIds.push(s.draft.id);
      }
      const entries = a.entries ?? (a.isDefault ? defaultAclEntries(this.hasIpv6) : []);
      this.checkAclEntries(a.entries ?? [], `${a.path}.entries`);
      acls.push({
        id: a.id, vpcId: v.id, name: a.name ?? null, isDefault: a === declaredDefault, subnetIds,
        entries: withFinalDeny(entries.map(stripPath), this.hasIpv6), tags: a.tags,
      });
    }
    const unassociated = this.subnets.map((s) => s.draft.id).filter((id) => !aclOfSubnet.has(id));
    for (const id of unassociated) aclOfSubnet.set(id, defaultAclId);
    const defaultAcl = acls.findIndex((a) => a.isDefault);
    if (defaultAcl >= 0) {
      const d = acls[defaultAcl]!;
      acls[defaultAcl] = { ...d, subnetIds: this.subnets.map((s) => s.draft.id).filter((id) => aclOfSubnet.get(id) === d.id) };
    }
    return { acls: acls.sort((a, b) => Number(b.isDefault) - Number(a.isDefault)), aclOfSubnet };
  }

  private checkAclEntries(entries: readonly (NetworkAclEntry & { path: string })[], listPath: string): void {
    const seen = new Map<string, string>();
    for (const egress of [false, true]) {
      const n = entries.filter((e) => e.egress === egress).length;
      if (n > LIMITS.aclEntriesPerDirection) {
        this.problem(listPath, 'NetworkAclEntryLimitExceeded', `at most ${LIMITS.aclEntriesPerDirection} ${egress ? 'outbound' : 'inbound'} entries per network ACL; ${n} given`);
      }
    }
    for (const e of entries) {
      const key = `${e.egress}/${e.ruleNumber}`;
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        this.problem(`${e.path}.rule-number`, 'NetworkAclEntryAlreadyExists', `The network acl entry identified by ${e.ruleNumber} already exists (${e.egress ? 'egress' : 'ingress'}, ${earlier})`);
      } else {
        seen.set(key, e.path);
      }
    }
  }

  private buildInterface(d: DraftInterface, subnet: BuiltSubnet | undefined, instanceId: string | null, deviceIndex: number | null): NetworkInterface {
    if (subnet) {
      if (d.privateIp) this.checkAddress(d.privateIp, subnet.cidr, 'subnet');
      for (const a of d.secondaryIps) this.checkAddress(a, subnet.cidr, 'subnet');
      for (const a of d.ipv6) {
        if (subnet.ipv6Cidr === null) {
          this.problem(a.path, 'InvalidParameterValue', `subnet ${subnet.draft.id} has no IPv6 CIDR block, so interface ${d.id} cannot have IPv6 addresses`);
        } else {
          this.checkAddress(a, subnet.ipv6Cidr, "subnet's IPv6");
        }
      }
    } else {
      for (const a of [...(d.privateIp ? [d.privateIp] : []), ...d.secondaryIps, ...d.ipv6]) this.claimAddress(a);
    }
    return {
      id: d.id, name: d.name ?? null, vpcId: this.v.id, subnetId: subnet?.draft.id ?? '', instanceId, deviceIndex,
      privateIp: d.privateIp?.value ?? '', secondaryIps: d.secondaryIps.map((a) => a.value), ipv6: d.ipv6.map((a) => a.value),
      securityGroupIds: this.resolveInterfaceGroups(d), availabilityZone: subnet?.availabilityZone ?? '', azId: subnet?.azId ?? '',
      description: d.description ?? null, tags: d.tags,
    };
  }

  private checkAddress(a: Located<string>, cidr: string | undefined, what: string): void {
    if (cidr !== undefined) {
      if (!cidrContains(cidr, a.value)) {
        this.problem(a.path, 'InvalidParameterValue', `Address ${a.value} does not fall within the ${what} address range ${cidr}`);
      } else if (isReservedAddress(cidr, a.value)) {
        this.problem(a.path, 'InvalidParameterValue', `Address ${a.value} is in the ${what} reserved address range (the first four and the last address of ${cidr} are reserved by AWS)`);
      }
    }
    this.claimAddress(a);
  }

  /** Duplicate addresses are refused across the whole document, so that traffic maps to one interface. */
  private claimAddress(a: Located<string>): void {
    const earlier = this.addresses.get(a.value);
    if (earlier !== undefined) this.problem(a.path, 'InvalidIPAddress.InUse', `The address ${a.value} is already in use by ${earlier}`);
    else this.addresses.set(a.value, a.path);
  }

  private resolveInterfaceGroups(d: DraftInterface): string[] {
    if (!d.groupRefs || d.groupRefs.length === 0) return [this.defaultGroupId];
    const ids: string[] = [];
    for (const ref of d.groupRefs) {
      const id = this.groupIdByRef.get(ref.value);
      if (id === undefined) this.problem(ref.path, 'InvalidGroup.NotFound', `The security group '${ref.value}' does not exist in VPC '${this.v.id}'`);
      else if (ids.includes(id)) this.problem(ref.path, 'InvalidParameterValue', `security group ${ref.value} is listed twice`);
      else ids.push(id);
    }
    if (d.groupRefs.length > LIMITS.securityGroupsPerInterface) {
      this.problem(d.groupRefs[LIMITS.securityGroupsPerInterface]!.path, 'SecurityGroupsPerInterfaceLimitExceeded', `an interface can have at most ${LIMITS.securityGroupsPerInterface} security groups`);
    }
    return ids;
  }
}

function stripPath(e: NetworkAclEntry & { path?: string }): NetworkAclEntry {
  const { path: _path, ...entry } = e;
  return entry;
}
