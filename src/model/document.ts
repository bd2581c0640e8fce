// The network document as declared, read into typed drafts: shapes, types and single-value rules
// are checked here (every problem collected with its path); cross-references, containment and
// uniqueness are checked later by validate.ts once every resource has its id.

import { canonicalIp, ipProblem, isIpv4, isIpv6 } from '../net/index.ts';
import { DocReader, type Located, type Members } from './doc-reader.ts';
import { ID_PREFIX, MALFORMED_CODE, isResourceId, type ResourceKind } from './ids.ts';
import { isRegionName } from './regions.ts';
import { readCidr, readNetworkAclEntry, readSecurityGroupRule, type DraftSecurityGroupRule } from './rules.ts';
import type { NetworkAclEntry } from './network.ts';
import { tagProblems, type Tag } from './tags.ts';

/** What every declared resource has: where it is, its id if declared, and the id it ends up with. */
export interface DraftResource {
  readonly path: string;
  /** The id written in the document, if any (well formed). */
  readonly declaredId: string | undefined;
  /** Set by id assignment: the declared id, an existing resource's id, or a generated one. */
  id: string;
  readonly name: string | undefined;
  readonly tags: readonly Tag[];
}

export interface DraftVpc extends DraftResource {
  /** Valid IPv4 blocks with their paths, primary first. */
  readonly cidrs: readonly Located<string>[];
  readonly ipv6Cidrs: readonly Located<string>[];
  readonly subnets: readonly DraftSubnet[];
  readonly instances: readonly DraftInstance[];
  readonly networkInterfaces: readonly DraftInterface[];
  readonly securityGroups: readonly DraftSecurityGroup[];
  readonly networkAcls: readonly DraftNetworkAcl[];
  /** Ids for the default security group and network ACL when the document does not declare them (set by id assignment). */
  implicitDefaultGroupId: string;
  implicitDefaultAclId: string;
}

export interface DraftSubnet extends DraftResource {
  readonly cidr: Located<string> | undefined;
  readonly ipv6Cidr: Located<string> | undefined;
  readonly availabilityZone: Located<string> | undefined;
  readonly azId: Located<string> | undefined;
}

export interface DraftInstance extends DraftResource {
  readonly subnetRef: Located<string> | undefined;
  readonly interfaces: readonly DraftInterface[];
}

export interface DraftInterface extends DraftResource {
  readonly subnetRef: Located<string> | undefined;
  /** Canonical text of the primary private IPv4 address (undefined when missing or invalid). */
  readonly privateIp: Located<string> | undefined;
  readonly secondaryIps: readonly Located<string>[];
  readonly ipv6: readonly Located<string>[];
  readonly groupRefs: readonly Located<string>[] | undefined;
  readonly description: string | undefined;
}

export interface DraftSecurityGroup extends DraftResource {
  readonly description: string | undefined;
  readonly ingress: readonly DraftSecurityGroupRule[] | undefined;
  readonly egress: readonly DraftSecurityGroupRule[] | undefined;
}

export interface DraftNetworkAcl extends DraftResource {
  readonly isDefault: boolean;
  readonly subnetRefs: readonly Located<string>[];
  /** Undefined when not declared: a default ACL then keeps AWS's default entries, another one has none. */
  readonly entries: readonly (NetworkAclEntry & { readonly path: string })[] | undefined;
}

export interface DraftNetwork {
  readonly account: string | undefined;
  readonly region: string | undefined;
  readonly vpcs: readonly DraftVpc[];
}

const KEYS = {
  root: { account: ['AccountId', 'OwnerId'], region: [], vpcs: [] },
  vpc: {
    id: ['VpcId'], name: [], cidr: ['CidrBlock'], cidrs: ['CidrBlocks'], 'ipv6-cidr': ['Ipv6CidrBlock'], 'ipv6-cidrs': ['Ipv6CidrBlocks'],
    tags: [], subnets: [], instances: [], 'network-interfaces': [], 'security-groups': [], 'network-acls': [],
  },
  subnet: { id: ['SubnetId'], name: [], cidr: ['CidrBlock'], 'ipv6-cidr': ['Ipv6CidrBlock'], 'availability-zone': [], 'availability-zone-id': [], tags: [] },
  instance: { id: ['InstanceId'], name: [], subnet: ['SubnetId'], interfaces: ['NetworkInterfaces'], tags: [] },
  interface: {
    id: ['NetworkInterfaceId'], name: [], subnet: ['SubnetId'], 'private-ip': ['PrivateIpAddress'], 'secondary-ips': ['SecondaryPrivateIpAddresses'],
    ipv6: ['Ipv6Addresses'], 'security-groups': ['Groups', 'SecurityGroupIds'], description: [], tags: [],
  },
  group: { id: ['GroupId'], name: ['GroupName'], description: [], ingress: ['IpPermissions'], egress: ['IpPermissionsEgress'], tags: [] },
  acl: { id: ['NetworkAclId'], name: [], default: ['IsDefault'], subnets: ['SubnetIds'], entries: [], tags: [] },
} as const;

const NAME = { maxLength: 255 } as const;

export function readDocument(doc: unknown, reader: DocReader): DraftNetwork {
  const root = reader.object(doc, '', KEYS.root);
  if (!root) return { account: undefined, region: undefined, vpcs: [] };
  const account = root.string('account', { required: true, pattern: /^[0-9]{12}$/, shapeMessage: 'account must be a 12-digit AWS account id' });
  const region = root.string('region', { required: true, pattern: /^[a-z]/, shapeMessage: 'not a region name' });
  if (region !== undefined && !isRegionName(region)) {
    reader.problem(root.pathOf('region'), 'InvalidParameterValue', `'${region}' is not an AWS region name (e.g. us-east-1)`);
  }
  const vpcs = (root.list('vpcs') ?? []).map((item) => readVpc(reader, item)).filter((v): v is DraftVpc => v !== undefined);
  return { account, region: region !== undefined && isRegionName(region) ? region : undefined, vpcs };
}

function readCommon(reader: DocReader, m: Members, kind: ResourceKind): Omit<DraftResource, 'path'> {
  const declaredId = m.string('id');
  let id: string | undefined;
  if (declaredId !== undefined) {
    if (isResourceId(kind, declaredId)) id = declaredId;
    else reader.problem(m.pathOf('id'), MALFORMED_CODE[kind], `Invalid id: "${declaredId}" (expecting "${ID_PREFIX[kind]}-" followed by 8 or 17 lowercase hex digits)`);
  }
  const name = m.string('name', NAME);
  const located = m.tags();
  const tags = located.map((t) => t.value);
  for (const p of tagProblems(tags)) {
    reader.problem(p.index === undefined ? m.pathOf('tags') : located[p.index]!.path, p.code, p.message);
  }
  return { declaredId: id, id: id ?? '', name, tags };
}

function readList<T>(reader: DocReader, m: Members, key: string, read: (reader: DocReader, item: Located<unknown>) => T | undefined): T[] {
  return (m.list(key) ?? []).map((item) => read(reader, item)).filter((x): x is T => x !== undefined);
}

function readVpc(reader: DocReader, item: Located<unknown>): DraftVpc | undefined {
  const m = reader.object(item.value, item.path, KEYS.vpc);
  if (!m) return undefined;
  const common = readCommon(reader, m, 'vpc');
  const cidrs: Located<string>[] = [];
  const ipv6Cidrs: Located<string>[] = [];
  const primary = m.string('cidr');
  if (primary !== undefined) {
    const c = readCidr(reader, primary, m.pathOf('cidr'), 4);
    if (c) cidrs.push({ value: c, path: m.pathOf('cidr') });
  }
  for (const s of m.stringList('cidrs') ?? []) {
    const c = readCidr(reader, s.value, s.path, 4);
    if (c) cidrs.push({ value: c, path: s.path });
  }
  if (!m.has('cidr') && !m.has('cidrs')) reader.problem(m.pathOf('cidr'), 'MissingParameter', "missing required key 'cidr'");
  const v6 = [...(m.has('ipv6-cidr') ? (m.stringList('ipv6-cidr') ?? []) : []), ...(m.stringList('ipv6-cidrs') ?? [])];
  for (const s of v6) {
    const c = readCidr(reader, s.value, s.path, 6);
    if (c) ipv6Cidrs.push({ value: c, path: s.path });
  }
  return {
    path: item.path, ...common, cidrs, ipv6Cidrs,
    subnets: readList(reader, m, 'subnets', readSubnet),
    instances: readList(reader, m, 'instances', readInstance),
    networkInterfaces: readList(reader, m, 'network-interfaces', (r, i) => readInterface(r, i, true)),
    securityGroups: readList(reader, m, 'security-groups', readGroup),
    networkAcls: readList(reader, m, 'network-acls', readAcl),
    implicitDefaultGroupId: '',
    implicitDefaultAclId: '',
  };
}

function located(m: Members, key: string, value: string | undefined): Located<string> | undefined {
  return value === undefined ? undefined : { value, path: m.pathOf(key) };
}

function readSubnet(reader: DocReader, item: Located<unknown>): DraftSubnet | undefined {
  const m = reader.object(item.value, item.path, KEYS.subnet);
  if (!m) return undefined;
  const common = readCommon(reader, m, 'subnet');
  const cidrText = m.string('cidr', { required: true });
  const cidr = cidrText === undefined ? undefined : readCidr(reader, cidrText, m.pathOf('cidr'), 4);
  const v6Text = m.string('ipv6-cidr');
  const ipv6Cidr = v6Text === undefined ? undefined : readCidr(reader, v6Text, m.pathOf('ipv6-cidr'), 6);
  return {
    path: item.path, ...common,
    cidr: located(m, 'cidr', cidr),
    ipv6Cidr: located(m, 'ipv6-cidr', ipv6Cidr),
    availabilityZone: located(m, 'availability-zone', m.string('availability-zone')),
    azId: located(m, 'availability-zone-id', m.string('availability-zone-id')),
  };
}

function readInstance(reader: DocReader, item: Located<unknown>): DraftInstance | undefined {
  const m = reader.object(item.value, item.path, KEYS.instance);
  if (!m) return undefined;
  const common = readCommon(reader, m, 'instance');
  const subnetRef = located(m, 'subnet', m.string('subnet'));
  const list = m.list('interfaces', true);
  if (list !== undefined && list.length === 0) reader.problem(m.pathOf('interfaces'), 'MissingParameter', 'an instance needs at least one network interface');
  const interfaces = (list ?? []).map((i) => readInterface(reader, i, false)).filter((x): x is DraftInterface => x !== undefined);
  return { path: item.path, ...common, subnetRef, interfaces };
}

function readAddress(reader: DocReader, text: string, path: string, version: 4 | 6): string | undefined {
  const problem = ipProblem(text);
  if (problem !== undefined) {
    reader.problem(path, 'InvalidParameterValue', `Invalid IP address '${text}': ${problem}`);
    return undefined;
  }
  if (version === 4 ? !isIpv4(text) : !isIpv6(text)) {
    reader.problem(path, 'InvalidParameterValue', `'${text}' is not an IPv${version} address`);
    return undefined;
  }
  return canonicalIp(text);
}

function readInterface(reader: DocReader, item: Located<unknown>, standalone: boolean): DraftInterface | undefined {
  const m = reader.object(item.value, item.path, KEYS.interface);
  if (!m) return undefined;
  const common = readCommon(reader, m, 'network-interface');
  const subnetRef = located(m, 'subnet', m.string('subnet', { required: standalone }));
  const ipText = m.string('private-ip', { required: true });
  const privateIp = ipText === undefined ? undefined : located(m, 'private-ip', readAddress(reader, ipText, m.pathOf('private-ip'), 4));
  const addresses = (key: string, version: 4 | 6): Located<string>[] =>
    (m.stringList(key) ?? []).flatMap((s) => {
      const a = readAddress(reader, s.value, s.path, version);
      return a === undefined ? [] : [{ value: a, path: s.path }];
    });
  return {
    path: item.path, ...common, subnetRef, privateIp,
    secondaryIps: addresses('secondary-ips', 4),
    ipv6: addresses('ipv6', 6),
    groupRefs: m.stringList('security-groups'),
    description: m.string('description', NAME),
  };
}

function readGroup(reader: DocReader, item: Located<unknown>): DraftSecurityGroup | undefined {
  const m = reader.object(item.value, item.path, KEYS.group);
  if (!m) return undefined;
  const common = readCommon(reader, m, 'security-group');
  if (common.name === undefined && !m.has('id')) {
    reader.problem(m.pathOf('name'), 'MissingParameter', 'a security group needs a name or an id');
  }
  if (common.name !== undefined && common.name.toLowerCase().startsWith('sg-')) {
    reader.problem(m.pathOf('name'), 'InvalidParameterValue', `Group names may not be in the format sg-*: '${common.name}'`);
  }
  const rules = (key: string) => (m.has(key) && m.raw(key) !== null ? readList(reader, m, key, readSecurityGroupRule) : undefined);
  return { path: item.path, ...common, description: m.string('description', NAME), ingress: rules('ingress'), egress: rules('egress') };
}

function readAcl(reader: DocReader, item: Located<unknown>): DraftNetworkAcl | undefined {
  const m = reader.object(item.value, item.path, KEYS.acl);
  if (!m) return undefined;
  const common = readCommon(reader, m, 'network-acl');
  return {
    path: item.path, ...common,
    isDefault: m.boolean('default') ?? false,
    subnetRefs: m.stringList('subnets') ?? [],
    entries: m.has('entries') && m.raw('entries') !== null ? readList(reader, m, 'entries', readNetworkAclEntry) : undefined,
  };
}
