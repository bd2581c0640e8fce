// The network's resources as AWS's VPC and EC2 consoles list them: one list per kind (the columns
// AWS shows, a filter box), and a detail page per resource with its Details panel, the resources
// it holds (a VPC's subnets, a subnet's interfaces and ACL, …), its rules in evaluation order, its
// flow logs and its tags. Everything comes from the EC2 Describe* actions of the native API; names
// and tags are user data and are only ever rendered as text.

import type { ComponentChildren } from 'preact';
import { ApiError, call } from '../api.ts';
import { DataTable, Details, Empty, ErrorBox, Link, Loading, Tabs, formatNumber, tagValue, useAsync, type Column } from '../components/ui.tsx';
import { CellText, FlowLogsTab } from './flow-logs.tsx';
import './resources.css';

export const RESOURCE_KINDS = ['vpcs', 'subnets', 'network-interfaces', 'instances', 'security-groups', 'network-acls'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

// ---------------------------------------------------------------------------------------------
// What the Describe* actions answer (EC2's JSON member names; only what these pages read)

interface Tag {
  Key: string;
  Value: string;
}

interface Vpc {
  VpcId: string;
  CidrBlock: string;
  State: string;
  OwnerId: string;
  IsDefault?: boolean;
  InstanceTenancy?: string;
  CidrBlockAssociationSet?: { CidrBlock: string }[];
  Ipv6CidrBlockAssociationSet?: { Ipv6CidrBlock: string }[];
  Tags?: Tag[];
}

interface Subnet {
  SubnetId: string;
  SubnetArn?: string;
  VpcId: string;
  State: string;
  CidrBlock: string;
  Ipv6CidrBlockAssociationSet?: { Ipv6CidrBlock: string }[];
  AvailableIpAddressCount: number;
  AvailabilityZone: string;
  AvailabilityZoneId?: string;
  DefaultForAz?: boolean;
  MapPublicIpOnLaunch?: boolean;
  OwnerId: string;
  Tags?: Tag[];
}

interface GroupIdentifier {
  GroupId: string;
  GroupName?: string;
}

interface NetworkInterface {
  NetworkInterfaceId: string;
  SubnetId: string;
  VpcId: string;
  AvailabilityZone: string;
  Description?: string;
  Groups?: GroupIdentifier[];
  Attachment?: { InstanceId?: string; DeviceIndex?: number; Status?: string };
  Status: string;
  PrivateIpAddress: string;
  PrivateDnsName?: string;
  PrivateIpAddresses?: { PrivateIpAddress: string; Primary: boolean; PrivateDnsName?: string }[];
  Ipv6Addresses?: { Ipv6Address: string }[];
  InterfaceType: string;
  MacAddress?: string;
  OwnerId: string;
  SourceDestCheck?: boolean;
  TagSet?: Tag[];
}

interface InstanceInterface {
  NetworkInterfaceId: string;
  SubnetId: string;
  VpcId: string;
  PrivateIpAddress: string;
  Ipv6Addresses?: { Ipv6Address: string }[];
  Groups?: GroupIdentifier[];
  Attachment?: { DeviceIndex?: number; Status?: string };
  Status?: string;
  Description?: string;
}

interface Instance {
  InstanceId: string;
  InstanceType?: string;
  State: { Name: string; Code?: number };
  Placement?: { AvailabilityZone?: string; Tenancy?: string };
  PrivateIpAddress?: string;
  PrivateDnsName?: string;
  VpcId: string;
  SubnetId: string;
  SecurityGroups?: GroupIdentifier[];
  NetworkInterfaces?: InstanceInterface[];
  Ipv6Address?: string;
  Tags?: Tag[];
  /** Not an EC2 member: the reservation's owner, copied here when the reservations are flattened. */
  OwnerId?: string;
}

interface IpPermission {
  IpProtocol: string;
  FromPort?: number;
  ToPort?: number;
  IpRanges?: { CidrIp: string; Description?: string }[];
  Ipv6Ranges?: { CidrIpv6: string; Description?: string }[];
  PrefixListIds?: { PrefixListId: string; Description?: string }[];
  UserIdGroupPairs?: { GroupId?: string; GroupName?: string; UserId?: string; Description?: string }[];
}

interface SecurityGroup {
  GroupId: string;
  GroupName: string;
  Description: string;
  VpcId: string;
  OwnerId: string;
  IpPermissions?: IpPermission[];
  IpPermissionsEgress?: IpPermission[];
  Tags?: Tag[];
}

interface AclEntry {
  RuleNumber: number;
  Egress: boolean;
  Protocol: string;
  RuleAction: string;
  CidrBlock?: string;
  Ipv6CidrBlock?: string;
  PortRange?: { From: number; To: number };
  IcmpTypeCode?: { Type: number; Code: number };
}

interface NetworkAcl {
  NetworkAclId: string;
  VpcId: string;
  IsDefault: boolean;
  OwnerId: string;
  Associations?: { SubnetId: string; NetworkAclAssociationId?: string }[];
  Entries?: AclEntry[];
  Tags?: Tag[];
}

// ---------------------------------------------------------------------------------------------
// The kinds

interface KindInfo {
  /** The list page's heading (AWS's: "Your VPCs" is just "VPCs" in its navigation). */
  title: string;
  /** One of them, in a heading. */
  singular: string;
  /** What the filter box filters ("Filter VPCs"). */
  noun: string;
  /** One of them inside a sentence. */
  inSentence: string;
}

const KIND: Readonly<Record<ResourceKind, KindInfo>> = {
  vpcs: { title: 'VPCs', singular: 'VPC', noun: 'VPCs', inSentence: 'VPC' },
  subnets: { title: 'Subnets', singular: 'Subnet', noun: 'subnets', inSentence: 'subnet' },
  'network-interfaces': { title: 'Network interfaces', singular: 'Network interface', noun: 'network interfaces', inSentence: 'network interface' },
  instances: { title: 'Instances', singular: 'Instance', noun: 'instances', inSentence: 'instance' },
  'security-groups': { title: 'Security groups', singular: 'Security group', noun: 'security groups', inSentence: 'security group' },
  'network-acls': { title: 'Network ACLs', singular: 'Network ACL', noun: 'network ACLs', inSentence: 'network ACL' },
};

/** The flow log resource type of the kinds a flow log can be attached to. */
const FLOW_LOG_TYPE: Partial<Record<ResourceKind, 'VPC' | 'Subnet' | 'NetworkInterface'>> = {
  vpcs: 'VPC', subnets: 'Subnet', 'network-interfaces': 'NetworkInterface',
};

// ---------------------------------------------------------------------------------------------
// Reading the network

/** An operator looking at no account in particular while several have networks. */
class NoAccountChosen extends Error {}

/**
 * One Describe* action's list. An account (or operator) without any network has nothing to list:
 * that answer is an empty list here, as AWS lists an empty account.
 */
async function describe<T>(action: string, member: string, body: Record<string, unknown>, signal: AbortSignal): Promise<T[]> {
  try {
    const r = await call<Record<string, unknown>>(`/v1/ec2/${action}`, body, { signal });
    return (r[member] as T[] | undefined) ?? [];
  } catch (e) {
    if (e instanceof ApiError && /no network is declared/.test(e.message)) return [];
    if (e instanceof ApiError && /several accounts have networks/.test(e.message)) throw new NoAccountChosen(e.message);
    throw e;
  }
}

const filter = (name: string, ...values: string[]) => ({ Filters: [{ Name: name, Values: values }] });

async function describeInstances(body: Record<string, unknown>, signal: AbortSignal): Promise<Instance[]> {
  const reservations = await describe<{ Instances: Instance[]; OwnerId?: string }>('DescribeInstances', 'Reservations', body, signal);
  return reservations.flatMap((r) => r.Instances.map((i) => ({ ...i, ...(r.OwnerId !== undefined ? { OwnerId: r.OwnerId } : {}) })));
}

/** The error of an id that names nothing in this account (EC2's `*.NotFound` / `*.Malformed` codes). */
const isUnknownId = (e: unknown): boolean => e instanceof ApiError && /\.(NotFound|Malformed)$/.test(e.code);

// ---------------------------------------------------------------------------------------------
// Small pieces

const nameOf = (tags: Tag[] | undefined): string => tagValue(tags);
const dash = (v: string | number | undefined | null): string => (v === undefined || v === null || v === '' ? '–' : String(v));

function IdLink({ kind, id }: { kind: ResourceKind; id: string | undefined }) {
  if (!id) return <>–</>;
  return <Link to={[kind, id]} class="mono">{id}</Link>;
}

/** A list of links (security groups of an interface), or a dash. */
function IdLinks({ kind, ids }: { kind: ResourceKind; ids: { id: string; label?: string | undefined }[] }) {
  if (ids.length === 0) return <>–</>;
  return (
    <span class="id-list">
      {ids.map((x, i) => (
        <span key={x.id}>
          {i > 0 && ', '}
          <Link to={[kind, x.id]} class="mono">{x.id}</Link>
          {x.label ? <span class="muted"> ({x.label})</span> : null}
        </span>
      ))}
    </span>
  );
}

const vpcIpv6 = (v: Vpc): string => (v.Ipv6CidrBlockAssociationSet ?? []).map((a) => a.Ipv6CidrBlock).join(', ');
const subnetIpv6 = (s: Subnet): string => (s.Ipv6CidrBlockAssociationSet ?? []).map((a) => a.Ipv6CidrBlock).join(', ');
const eniIpv6 = (n: { Ipv6Addresses?: { Ipv6Address: string }[] }): string => (n.Ipv6Addresses ?? []).map((a) => a.Ipv6Address).join(', ');
const groupsText = (g: GroupIdentifier[] | undefined): string => (g ?? []).map((x) => `${x.GroupId}${x.GroupName ? ` (${x.GroupName})` : ''}`).join(', ');
const groupLinks = (g: GroupIdentifier[] | undefined) => (g ?? []).map((x) => ({ id: x.GroupId, label: x.GroupName }));

/** AWS's wording of an ACL's associations: the subnet when there is one, else a count. */
function associatedWith(a: NetworkAcl): string {
  const n = a.Associations?.length ?? 0;
  if (n === 0) return '–';
  if (n === 1) return a.Associations![0]!.SubnetId;
  return `${n} Subnets`;
}

/** How many rules the console counts for a direction: one per peer of each permission. */
function permissionCount(perms: IpPermission[] | undefined): number {
  let n = 0;
  for (const p of perms ?? []) n += (p.IpRanges?.length ?? 0) + (p.Ipv6Ranges?.length ?? 0) + (p.PrefixListIds?.length ?? 0) + (p.UserIdGroupPairs?.length ?? 0);
  return n;
}

const aclCount = (a: NetworkAcl, egress: boolean): number => (a.Entries ?? []).filter((e) => e.Egress === egress).length;

function NotFound({ kind, id }: { kind: ResourceKind; id: string }) {
  const k = KIND[kind];
  return (
    <div class="error-box" role="alert">
      <strong>{k.singular} not found</strong>
      <div>There is no {k.inSentence} “{id}” in this account. It may have been deleted, or it belongs to another account.</div>
      <div><Link to={[kind]}>Back to {k.title}</Link></div>
    </div>
  );
}

function LoadError({ error }: { error: unknown }) {
  if (error instanceof NoAccountChosen) {
    return <Empty>Several accounts have networks on this server. Choose one under <strong>Account</strong> at the top of the page to see its resources.</Empty>;
  }
  return <ErrorBox error={error} title="The network could not be read" />;
}

function NoResources({ kind }: { kind: ResourceKind }) {
  const k = KIND[kind];
  return (
    <>
      No {k.noun} in this account yet. Declare a network with <code>vpcflow apply examples/network.yaml</code>{' '}
      (a small VPC with subnets, instances, security groups and a network ACL), or create resources with the aws CLI, for example{' '}
      <code>aws ec2 create-vpc --cidr-block 10.0.0.0/16 --endpoint-url {location.origin}</code>.
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// Rules: security group permissions and network ACL entries, in AWS's console wording

const WELL_KNOWN_PORTS: ReadonlyMap<number, string> = new Map([
  [22, 'SSH'], [23, 'Telnet'], [25, 'SMTP'], [53, 'DNS'], [80, 'HTTP'], [110, 'POP3'], [143, 'IMAP'], [389, 'LDAP'], [443, 'HTTPS'],
  [445, 'SMB'], [465, 'SMTPS'], [993, 'IMAPS'], [995, 'POP3S'], [1433, 'MSSQL'], [1521, 'Oracle-RDS'], [2049, 'NFS'],
  [3306, 'MYSQL/Aurora'], [3389, 'RDP'], [5432, 'PostgreSQL'], [5439, 'Redshift'],
]);

/** A rule's protocol as a number (-1 = all), from EC2's text (`tcp`, `-1`, `6`, `icmpv6`). */
function protocolNumber(text: string): number {
  const named: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58, all: -1 };
  const lower = text.toLowerCase();
  if (lower in named) return named[lower]!;
  const n = Number(text);
  return Number.isInteger(n) ? n : NaN;
}

const PROTOCOL_LABEL: ReadonlyMap<number, string> = new Map([[-1, 'All'], [6, 'TCP'], [17, 'UDP'], [1, 'ICMP'], [58, 'ICMPv6']]);

function protocolLabel(p: number, text: string, withNumber: boolean): string {
  const label = PROTOCOL_LABEL.get(p);
  if (label === undefined) return text;
  return withNumber && p !== -1 ? `${label} (${p})` : label;
}

/** The "Type" column: All traffic, HTTP, Custom TCP, All ICMP - IPv4, … */
function ruleType(p: number, from: number | undefined, to: number | undefined): string {
  if (p === -1) return 'All traffic';
  if (p === 6 || p === 17) {
    const proto = p === 6 ? 'TCP' : 'UDP';
    if (from === undefined || (from === 0 && to === 65535) || from === -1) return `All ${proto}`;
    if (from === to) {
      const known = WELL_KNOWN_PORTS.get(from);
      if (known === 'DNS') return `DNS (${proto})`;
      if (known !== undefined && p === 6) return known;
    }
    return `Custom ${proto}`;
  }
  if (p === 1 || p === 58) {
    const family = p === 1 ? 'IPv4' : 'IPv6';
    return from === undefined || from === -1 ? `All ICMP - ${family}` : `Custom ICMP - ${family}`;
  }
  return 'Custom protocol';
}

/** The "Port range" column: All, 80, 1024 - 65535, or an ICMP type and code. */
function portRange(p: number, from: number | undefined, to: number | undefined): string {
  if (p === -1 || from === undefined) return 'All';
  if (p === 1 || p === 58) {
    if (from === -1) return 'All';
    return to === undefined || to === -1 ? `type ${from}` : `type ${from}, code ${to}`;
  }
  if (from === -1 || (from === 0 && to === 65535)) return 'All';
  return from === to || to === undefined ? String(from) : `${from} - ${to}`;
}

interface SgRuleRow {
  key: string;
  type: string;
  protocol: string;
  ports: string;
  peer: ComponentChildren;
  peerText: string;
  description: string;
}

/** One row per peer of each permission, in the order DescribeSecurityGroups lists them. */
function sgRuleRows(perms: IpPermission[] | undefined): SgRuleRow[] {
  const rows: SgRuleRow[] = [];
  (perms ?? []).forEach((perm, i) => {
    const p = protocolNumber(perm.IpProtocol);
    const base = { type: ruleType(p, perm.FromPort, perm.ToPort), protocol: protocolLabel(p, perm.IpProtocol, false), ports: portRange(p, perm.FromPort, perm.ToPort) };
    const add = (peerText: string, peer: ComponentChildren, description: string | undefined) =>
      rows.push({ key: `${i}-${rows.length}`, ...base, peer, peerText, description: description ?? '' });
    for (const r of perm.IpRanges ?? []) add(r.CidrIp, r.CidrIp, r.Description);
    for (const r of perm.Ipv6Ranges ?? []) add(r.CidrIpv6, r.CidrIpv6, r.Description);
    for (const r of perm.PrefixListIds ?? []) add(r.PrefixListId, r.PrefixListId, r.Description);
    for (const r of perm.UserIdGroupPairs ?? []) {
      const id = r.GroupId ?? '';
      add(`${id}${r.GroupName ? ` (${r.GroupName})` : ''}`, <IdLinks kind="security-groups" ids={[{ id, label: r.GroupName }]} />, r.Description);
    }
  });
  return rows;
}

function SgRulesTable({ caption, perms, egress }: { caption: string; perms: IpPermission[] | undefined; egress: boolean }) {
  const peer = egress ? 'Destination' : 'Source';
  const columns: Column<SgRuleRow>[] = [
    { label: 'Type', text: (r) => r.type },
    { label: 'Protocol', text: (r) => r.protocol },
    { label: 'Port range', text: (r) => r.ports },
    { label: peer, text: (r) => r.peerText, render: (r) => r.peer },
    { label: 'Description', text: (r) => dash(r.description) },
  ];
  return (
    <DataTable caption={caption} noun={`${egress ? 'outbound' : 'inbound'} rules`} columns={columns} rows={sgRuleRows(perms)} rowKey={(r) => r.key}
      empty={egress ? 'No outbound rules: the interfaces of this group send nothing but replies to traffic they let in.' : 'No inbound rules: the interfaces of this group let in nothing but replies to traffic they sent.'} />
  );
}

/** Entries of one direction in evaluation order: by rule number, the `*` (32767) rules last (IPv4 before IPv6, as EC2 lists them). */
function orderedAclEntries(entries: AclEntry[] | undefined, egress: boolean): AclEntry[] {
  return (entries ?? []).filter((e) => e.Egress === egress).map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.RuleNumber - b.e.RuleNumber || a.i - b.i).map((x) => x.e);
}

function AclEntriesTable({ caption, entries, egress }: { caption: string; entries: AclEntry[] | undefined; egress: boolean }) {
  const rows = orderedAclEntries(entries, egress);
  const columns: Column<AclEntry>[] = [
    { label: 'Rule number', text: (e) => (e.RuleNumber === 32767 ? '*' : String(e.RuleNumber)) },
    { label: 'Type', text: (e) => { const p = protocolNumber(e.Protocol); return ruleType(p, e.PortRange?.From ?? e.IcmpTypeCode?.Type, e.PortRange?.To ?? e.IcmpTypeCode?.Code); } },
    { label: 'Protocol', text: (e) => protocolLabel(protocolNumber(e.Protocol), e.Protocol, true) },
    { label: 'Port range', text: (e) => { const p = protocolNumber(e.Protocol); return portRange(p, e.PortRange?.From ?? e.IcmpTypeCode?.Type, e.PortRange?.To ?? e.IcmpTypeCode?.Code); } },
    { label: egress ? 'Destination' : 'Source', text: (e) => e.CidrBlock ?? e.Ipv6CidrBlock ?? '–' },
    { label: 'Allow/Deny', text: (e) => (e.RuleAction === 'allow' ? 'Allow' : 'Deny'), render: (e) => <span class={e.RuleAction === 'allow' ? 'accept' : 'reject'}>{e.RuleAction === 'allow' ? 'Allow' : 'Deny'}</span> },
  ];
  return <DataTable caption={caption} noun={`${egress ? 'outbound' : 'inbound'} rules`} columns={columns} rows={rows} rowKey={(e) => `${e.RuleNumber}-${e.CidrBlock ?? e.Ipv6CidrBlock ?? ''}`} />;
}

function TagsTable({ tags }: { tags: Tag[] | undefined }) {
  const columns: Column<Tag>[] = [
    { label: 'Key', text: (t) => t.Key, render: (t) => <CellText text={t.Key} /> },
    { label: 'Value', text: (t) => t.Value, render: (t) => <CellText text={t.Value === '' ? '–' : t.Value} /> },
  ];
  return (
    <DataTable caption="Tags" noun="tags" columns={columns} rows={tags ?? []} rowKey={(t) => t.Key}
      empty={<>No tags. Add some with <code>aws ec2 create-tags --resources ID --tags Key=Name,Value=…</code>, or under <code>tags:</code> in the network document.</>} />
  );
}

// ---------------------------------------------------------------------------------------------
// Column sets, shared by the lists and the detail pages' tables of held resources

const nameColumn = <R,>(tags: (r: R) => Tag[] | undefined): Column<R> => ({ label: 'Name', text: (r) => dash(nameOf(tags(r))), render: (r) => <CellText text={dash(nameOf(tags(r)))} /> });

const VPC_COLUMNS: Column<Vpc>[] = [
  nameColumn((v) => v.Tags),
  { label: 'VPC ID', text: (v) => v.VpcId, render: (v) => <IdLink kind="vpcs" id={v.VpcId} /> },
  { label: 'State', text: (v) => v.State },
  { label: 'IPv4 CIDR', text: (v) => v.CidrBlock },
  { label: 'IPv6 CIDR', text: (v) => dash(vpcIpv6(v)) },
  { label: 'Owner ID', text: (v) => v.OwnerId },
];

function subnetColumns(aclOf: (subnetId: string) => string | undefined, vpcName: (vpcId: string) => string): Column<Subnet>[] {
  return [
    nameColumn((s) => s.Tags),
    { label: 'Subnet ID', text: (s) => s.SubnetId, render: (s) => <IdLink kind="subnets" id={s.SubnetId} /> },
    { label: 'State', text: (s) => s.State },
    {
      label: 'VPC', text: (s) => `${s.VpcId}${vpcName(s.VpcId) ? ` | ${vpcName(s.VpcId)}` : ''}`,
      render: (s) => <><IdLink kind="vpcs" id={s.VpcId} />{vpcName(s.VpcId) ? <span class="muted"> | <CellText text={vpcName(s.VpcId)} /></span> : null}</>,
    },
    { label: 'IPv4 CIDR', text: (s) => s.CidrBlock },
    { label: 'IPv6 CIDR', text: (s) => dash(subnetIpv6(s)) },
    { label: 'Available IPv4 addresses', text: (s) => formatNumber(s.AvailableIpAddressCount), numeric: true },
    { label: 'Availability Zone', text: (s) => s.AvailabilityZone },
    { label: 'Network ACL', text: (s) => dash(aclOf(s.SubnetId)), render: (s) => <IdLink kind="network-acls" id={aclOf(s.SubnetId)} /> },
  ];
}

const ENI_COLUMNS: Column<NetworkInterface>[] = [
  nameColumn((n) => n.TagSet),
  { label: 'Network interface ID', text: (n) => n.NetworkInterfaceId, render: (n) => <IdLink kind="network-interfaces" id={n.NetworkInterfaceId} /> },
  { label: 'Subnet ID', text: (n) => n.SubnetId, render: (n) => <IdLink kind="subnets" id={n.SubnetId} /> },
  { label: 'VPC ID', text: (n) => n.VpcId, render: (n) => <IdLink kind="vpcs" id={n.VpcId} /> },
  { label: 'Availability Zone', text: (n) => n.AvailabilityZone },
  { label: 'Security groups', text: (n) => dash(groupsText(n.Groups)), render: (n) => <IdLinks kind="security-groups" ids={groupLinks(n.Groups)} /> },
  { label: 'Description', text: (n) => dash(n.Description) },
  { label: 'Instance ID', text: (n) => dash(n.Attachment?.InstanceId), render: (n) => <IdLink kind="instances" id={n.Attachment?.InstanceId} /> },
  { label: 'Status', text: (n) => n.Status },
  { label: 'Private IPv4 address', text: (n) => n.PrivateIpAddress },
  { label: 'IPv6 addresses', text: (n) => dash(eniIpv6(n)) },
  { label: 'Interface type', text: (n) => n.InterfaceType },
];

const INSTANCE_COLUMNS: Column<Instance>[] = [
  nameColumn((i) => i.Tags),
  { label: 'Instance ID', text: (i) => i.InstanceId, render: (i) => <IdLink kind="instances" id={i.InstanceId} /> },
  { label: 'State', text: (i) => i.State.Name, render: (i) => <span class={i.State.Name === 'running' ? 'accept' : undefined}>{i.State.Name}</span> },
  { label: 'Instance type', text: (i) => dash(i.InstanceType) },
  { label: 'Availability Zone', text: (i) => dash(i.Placement?.AvailabilityZone) },
  { label: 'Private IPv4', text: (i) => dash(i.PrivateIpAddress) },
  { label: 'VPC', text: (i) => i.VpcId, render: (i) => <IdLink kind="vpcs" id={i.VpcId} /> },
  { label: 'Subnet', text: (i) => i.SubnetId, render: (i) => <IdLink kind="subnets" id={i.SubnetId} /> },
  { label: 'Security groups', text: (i) => dash(groupsText(i.SecurityGroups)), render: (i) => <IdLinks kind="security-groups" ids={groupLinks(i.SecurityGroups)} /> },
];

const SG_COLUMNS: Column<SecurityGroup>[] = [
  nameColumn((g) => g.Tags),
  { label: 'Security group ID', text: (g) => g.GroupId, render: (g) => <IdLink kind="security-groups" id={g.GroupId} /> },
  { label: 'Security group name', text: (g) => g.GroupName, render: (g) => <CellText text={g.GroupName} /> },
  { label: 'VPC ID', text: (g) => g.VpcId, render: (g) => <IdLink kind="vpcs" id={g.VpcId} /> },
  { label: 'Description', text: (g) => dash(g.Description) },
  { label: 'Owner', text: (g) => g.OwnerId },
  { label: 'Inbound rules count', text: (g) => `${permissionCount(g.IpPermissions)} Permission entr${permissionCount(g.IpPermissions) === 1 ? 'y' : 'ies'}`, numeric: true },
  { label: 'Outbound rules count', text: (g) => `${permissionCount(g.IpPermissionsEgress)} Permission entr${permissionCount(g.IpPermissionsEgress) === 1 ? 'y' : 'ies'}`, numeric: true },
];

const ACL_COLUMNS: Column<NetworkAcl>[] = [
  nameColumn((a) => a.Tags),
  { label: 'Network ACL ID', text: (a) => a.NetworkAclId, render: (a) => <IdLink kind="network-acls" id={a.NetworkAclId} /> },
  {
    label: 'Associated with', text: associatedWith,
    render: (a) => ((a.Associations?.length ?? 0) === 1 ? <IdLink kind="subnets" id={a.Associations![0]!.SubnetId} /> : associatedWith(a)),
  },
  { label: 'Default', text: (a) => (a.IsDefault ? 'Yes' : 'No') },
  { label: 'VPC ID', text: (a) => a.VpcId, render: (a) => <IdLink kind="vpcs" id={a.VpcId} /> },
  { label: 'Inbound rules count', text: (a) => `${aclCount(a, false)} Inbound rule${aclCount(a, false) === 1 ? '' : 's'}`, numeric: true },
  { label: 'Outbound rules count', text: (a) => `${aclCount(a, true)} Outbound rule${aclCount(a, true) === 1 ? '' : 's'}`, numeric: true },
  { label: 'Owner', text: (a) => a.OwnerId },
];

/** The ACL each subnet is associated with, from the ACLs' association lists. */
function aclBySubnet(acls: NetworkAcl[]): (subnetId: string) => string | undefined {
  const map = new Map<string, string>();
  for (const a of acls) for (const s of a.Associations ?? []) map.set(s.SubnetId, a.NetworkAclId);
  return (id) => map.get(id);
}

function vpcNames(vpcs: Vpc[]): (vpcId: string) => string {
  const map = new Map(vpcs.map((v) => [v.VpcId, nameOf(v.Tags)]));
  return (id) => map.get(id) ?? '';
}

// ---------------------------------------------------------------------------------------------
// Lists

type ListData =
  | { kind: 'vpcs'; rows: Vpc[] }
  | { kind: 'subnets'; rows: Subnet[]; acls: NetworkAcl[]; vpcs: Vpc[] }
  | { kind: 'network-interfaces'; rows: NetworkInterface[] }
  | { kind: 'instances'; rows: Instance[] }
  | { kind: 'security-groups'; rows: SecurityGroup[] }
  | { kind: 'network-acls'; rows: NetworkAcl[] };

async function loadList(kind: ResourceKind, signal: AbortSignal): Promise<ListData> {
  switch (kind) {
    case 'vpcs':
      return { kind, rows: await describe<Vpc>('DescribeVpcs', 'Vpcs', {}, signal) };
    case 'subnets': {
      const [rows, acls, vpcs] = await Promise.all([
        describe<Subnet>('DescribeSubnets', 'Subnets', {}, signal),
        describe<NetworkAcl>('DescribeNetworkAcls', 'NetworkAcls', {}, signal),
        describe<Vpc>('DescribeVpcs', 'Vpcs', {}, signal),
      ]);
      return { kind, rows, acls, vpcs };
    }
    case 'network-interfaces':
      return { kind, rows: await describe<NetworkInterface>('DescribeNetworkInterfaces', 'NetworkInterfaces', {}, signal) };
    case 'instances':
      return { kind, rows: await describeInstances({}, signal) };
    case 'security-groups':
      return { kind, rows: await describe<SecurityGroup>('DescribeSecurityGroups', 'SecurityGroups', {}, signal) };
    case 'network-acls':
      return { kind, rows: await describe<NetworkAcl>('DescribeNetworkAcls', 'NetworkAcls', {}, signal) };
  }
}

function ListTable({ data }: { data: ListData }) {
  const k = KIND[data.kind];
  const common = { caption: k.title, noun: k.noun, empty: <NoResources kind={data.kind} /> };
  switch (data.kind) {
    case 'vpcs':
      return <DataTable {...common} columns={VPC_COLUMNS} rows={data.rows} rowKey={(r) => r.VpcId} />;
    case 'subnets':
      return <DataTable {...common} columns={subnetColumns(aclBySubnet(data.acls), vpcNames(data.vpcs))} rows={data.rows} rowKey={(r) => r.SubnetId} />;
    case 'network-interfaces':
      return <DataTable {...common} columns={ENI_COLUMNS} rows={data.rows} rowKey={(r) => r.NetworkInterfaceId} />;
    case 'instances':
      return <DataTable {...common} columns={INSTANCE_COLUMNS} rows={data.rows} rowKey={(r) => r.InstanceId} />;
    case 'security-groups':
      return <DataTable {...common} columns={SG_COLUMNS} rows={data.rows} rowKey={(r) => r.GroupId} />;
    case 'network-acls':
      return <DataTable {...common} columns={ACL_COLUMNS} rows={data.rows} rowKey={(r) => r.NetworkAclId} />;
  }
}

const LIST_LEDE: Readonly<Record<ResourceKind, string>> = {
  vpcs: 'The virtual networks of this account. Open one to see its subnets, attach a flow log or read its tags.',
  subnets: 'Subnets of every VPC, with the network ACL each is associated with.',
  'network-interfaces': 'Every elastic network interface: flow log records are kept per interface.',
  instances: 'The instances of this account and the interfaces, subnets and security groups they use.',
  'security-groups': 'Stateful allow rules applied to network interfaces.',
  'network-acls': 'Stateless rules applied to whole subnets, evaluated in rule-number order.',
};

export function ResourceList({ kind }: { kind: ResourceKind }) {
  const value = useAsync((signal) => loadList(kind, signal), [kind]);
  return (
    <section class="resources">
      <h1 tabIndex={-1}>{KIND[kind].title}</h1>
      <p class="lede">{LIST_LEDE[kind]}</p>
      {value.error ? <LoadError error={value.error} /> : value.data === undefined || value.data.kind !== kind ? <Loading label={`Listing ${KIND[kind].noun}`} /> : <ListTable data={value.data} />}
    </section>
  );
}

// ---------------------------------------------------------------------------------------------
// Detail pages

type DetailData =
  | { kind: 'vpcs'; item: Vpc; subnets: Subnet[]; acls: NetworkAcl[] }
  | { kind: 'subnets'; item: Subnet; acl: NetworkAcl | undefined; interfaces: NetworkInterface[]; vpcName: string }
  | { kind: 'network-interfaces'; item: NetworkInterface }
  | { kind: 'instances'; item: Instance }
  | { kind: 'security-groups'; item: SecurityGroup }
  | { kind: 'network-acls'; item: NetworkAcl; subnets: Subnet[] };

/** Thrown when the id names nothing in this account. */
class UnknownResource extends Error {}

async function one<T>(p: Promise<T[]>): Promise<T> {
  let list: T[];
  try {
    list = await p;
  } catch (e) {
    if (isUnknownId(e)) throw new UnknownResource((e as Error).message);
    throw e;
  }
  if (list.length === 0) throw new UnknownResource('not found');
  return list[0]!;
}

async function loadDetail(kind: ResourceKind, id: string, signal: AbortSignal): Promise<DetailData> {
  switch (kind) {
    case 'vpcs': {
      const item = await one(describe<Vpc>('DescribeVpcs', 'Vpcs', { VpcIds: [id] }, signal));
      const [subnets, acls] = await Promise.all([
        describe<Subnet>('DescribeSubnets', 'Subnets', filter('vpc-id', id), signal),
        describe<NetworkAcl>('DescribeNetworkAcls', 'NetworkAcls', filter('vpc-id', id), signal),
      ]);
      return { kind, item, subnets, acls };
    }
    case 'subnets': {
      const item = await one(describe<Subnet>('DescribeSubnets', 'Subnets', { SubnetIds: [id] }, signal));
      const [acls, interfaces, vpcs] = await Promise.all([
        describe<NetworkAcl>('DescribeNetworkAcls', 'NetworkAcls', filter('association.subnet-id', id), signal),
        describe<NetworkInterface>('DescribeNetworkInterfaces', 'NetworkInterfaces', filter('subnet-id', id), signal),
        describe<Vpc>('DescribeVpcs', 'Vpcs', { VpcIds: [item.VpcId] }, signal),
      ]);
      return { kind, item, acl: acls[0], interfaces, vpcName: nameOf(vpcs[0]?.Tags) };
    }
    case 'network-interfaces':
      return { kind, item: await one(describe<NetworkInterface>('DescribeNetworkInterfaces', 'NetworkInterfaces', { NetworkInterfaceIds: [id] }, signal)) };
    case 'instances':
      return { kind, item: await one(describeInstances({ InstanceIds: [id] }, signal)) };
    case 'security-groups':
      return { kind, item: await one(describe<SecurityGroup>('DescribeSecurityGroups', 'SecurityGroups', { GroupIds: [id] }, signal)) };
    case 'network-acls': {
      const item = await one(describe<NetworkAcl>('DescribeNetworkAcls', 'NetworkAcls', { NetworkAclIds: [id] }, signal));
      const ids = (item.Associations ?? []).map((a) => a.SubnetId);
      const subnets = ids.length ? await describe<Subnet>('DescribeSubnets', 'Subnets', { SubnetIds: ids }, signal) : [];
      return { kind, item, subnets };
    }
  }
}

function tagsOf(d: DetailData): Tag[] | undefined {
  return d.kind === 'network-interfaces' ? d.item.TagSet : d.item.Tags;
}

interface TabSpec {
  id: string;
  label: string;
}

/** The tabs of each kind, the first at the page's own URL (`#/vpcs/ID`). */
const TABS: Readonly<Record<ResourceKind, TabSpec[]>> = {
  vpcs: [{ id: 'details', label: 'Details' }, { id: 'flow-logs', label: 'Flow logs' }, { id: 'tags', label: 'Tags' }],
  subnets: [{ id: 'details', label: 'Details' }, { id: 'network-acl', label: 'Network ACL' }, { id: 'flow-logs', label: 'Flow logs' }, { id: 'tags', label: 'Tags' }],
  'network-interfaces': [{ id: 'details', label: 'Details' }, { id: 'flow-logs', label: 'Flow logs' }, { id: 'tags', label: 'Tags' }],
  instances: [{ id: 'details', label: 'Details' }, { id: 'networking', label: 'Networking' }, { id: 'tags', label: 'Tags' }],
  'security-groups': [{ id: 'details', label: 'Details' }, { id: 'tags', label: 'Tags' }],
  'network-acls': [{ id: 'details', label: 'Details' }, { id: 'subnet-associations', label: 'Subnet associations' }, { id: 'tags', label: 'Tags' }],
};

function VpcDetails({ d }: { d: Extract<DetailData, { kind: 'vpcs' }> }) {
  const v = d.item;
  const mainAcl = d.acls.find((a) => a.IsDefault);
  return (
    <>
      <Details items={[
        ['VPC ID', <span class="mono">{v.VpcId}</span>],
        ['Name', <span class="tag-text">{dash(nameOf(v.Tags))}</span>],
        ['State', v.State],
        ['IPv4 CIDR', (v.CidrBlockAssociationSet ?? []).map((c) => c.CidrBlock).join(', ') || v.CidrBlock],
        ['IPv6 CIDR', dash(vpcIpv6(v))],
        ['Tenancy', dash(v.InstanceTenancy)],
        ['Default VPC', v.IsDefault ? 'Yes' : 'No'],
        ['Main network ACL', <IdLink kind="network-acls" id={mainAcl?.NetworkAclId} />],
        ['Owner ID', v.OwnerId],
      ]} />
      <DataTable caption="Subnets" noun="subnets" columns={subnetColumns(aclBySubnet(d.acls), () => nameOf(v.Tags))} rows={d.subnets} rowKey={(s) => s.SubnetId}
        empty={<>This VPC has no subnets yet: add them under <code>subnets:</code> in the network document and apply it again.</>} />
    </>
  );
}

function SubnetDetails({ d }: { d: Extract<DetailData, { kind: 'subnets' }> }) {
  const s = d.item;
  return (
    <>
      <Details items={[
        ['Subnet ID', <span class="mono">{s.SubnetId}</span>],
        ['Name', <span class="tag-text">{dash(nameOf(s.Tags))}</span>],
        ['Subnet ARN', <span class="mono">{dash(s.SubnetArn)}</span>],
        ['State', s.State],
        ['IPv4 CIDR', s.CidrBlock],
        ['IPv6 CIDR', dash(subnetIpv6(s))],
        ['Available IPv4 addresses', formatNumber(s.AvailableIpAddressCount)],
        ['Availability Zone', `${s.AvailabilityZone}${s.AvailabilityZoneId ? ` (${s.AvailabilityZoneId})` : ''}`],
        ['VPC', <><IdLink kind="vpcs" id={s.VpcId} />{d.vpcName ? <span class="muted tag-text"> | {d.vpcName}</span> : null}</>],
        ['Network ACL', <IdLink kind="network-acls" id={d.acl?.NetworkAclId} />],
        ['Default subnet', s.DefaultForAz ? 'Yes' : 'No'],
        ['Auto-assign public IPv4 address', s.MapPublicIpOnLaunch ? 'Yes' : 'No'],
        ['Owner', s.OwnerId],
      ]} />
      <DataTable caption="Network interfaces" noun="network interfaces" columns={ENI_COLUMNS} rows={d.interfaces} rowKey={(n) => n.NetworkInterfaceId}
        empty="No network interface is in this subnet yet." />
    </>
  );
}

function SubnetAcl({ d }: { d: Extract<DetailData, { kind: 'subnets' }> }) {
  if (!d.acl) return <Empty>This subnet is associated with no network ACL.</Empty>;
  return (
    <>
      <p>Network ACL: <IdLink kind="network-acls" id={d.acl.NetworkAclId} />{d.acl.IsDefault ? ' (the VPC’s default ACL)' : ''}</p>
      <AclEntriesTable caption="Inbound rules" entries={d.acl.Entries} egress={false} />
      <AclEntriesTable caption="Outbound rules" entries={d.acl.Entries} egress />
    </>
  );
}

function EniDetails({ n }: { n: NetworkInterface }) {
  const addresses = n.PrivateIpAddresses ?? [{ PrivateIpAddress: n.PrivateIpAddress, Primary: true, ...(n.PrivateDnsName ? { PrivateDnsName: n.PrivateDnsName } : {}) }];
  const addressColumns: Column<(typeof addresses)[number]>[] = [
    { label: 'Private IPv4 address', text: (a) => a.PrivateIpAddress },
    { label: 'Primary', text: (a) => (a.Primary ? 'Yes' : 'No') },
    { label: 'Private IPv4 DNS name', text: (a) => dash(a.PrivateDnsName) },
  ];
  const ipv6 = n.Ipv6Addresses ?? [];
  const groupColumns: Column<GroupIdentifier>[] = [
    { label: 'Security group ID', text: (g) => g.GroupId, render: (g) => <IdLink kind="security-groups" id={g.GroupId} /> },
    { label: 'Security group name', text: (g) => dash(g.GroupName), render: (g) => <CellText text={dash(g.GroupName)} /> },
  ];
  return (
    <>
      <Details items={[
        ['Network interface ID', <span class="mono">{n.NetworkInterfaceId}</span>],
        ['Name', <span class="tag-text">{dash(nameOf(n.TagSet))}</span>],
        ['Description', <span class="tag-text">{dash(n.Description)}</span>],
        ['Interface type', n.InterfaceType],
        ['Status', n.Status],
        ['Subnet ID', <IdLink kind="subnets" id={n.SubnetId} />],
        ['VPC ID', <IdLink kind="vpcs" id={n.VpcId} />],
        ['Availability Zone', n.AvailabilityZone],
        ['Instance ID', <IdLink kind="instances" id={n.Attachment?.InstanceId} />],
        ['Device index', dash(n.Attachment?.DeviceIndex)],
        ['Primary private IPv4 address', n.PrivateIpAddress],
        ['Private IPv4 DNS name', dash(n.PrivateDnsName)],
        ['IPv6 addresses', dash(eniIpv6(n))],
        ['Security groups', <IdLinks kind="security-groups" ids={groupLinks(n.Groups)} />],
        ['MAC address', <span class="mono">{dash(n.MacAddress)}</span>],
        ['Source/dest. check', n.SourceDestCheck === false ? 'false' : 'true'],
        ['Owner', n.OwnerId],
      ]} />
      <DataTable caption="Private IPv4 addresses" noun="addresses" columns={addressColumns} rows={addresses} rowKey={(a) => a.PrivateIpAddress} />
      <DataTable caption="IPv6 addresses" noun="IPv6 addresses" columns={[{ label: 'IPv6 address', text: (a: { Ipv6Address: string }) => a.Ipv6Address }]}
        rows={ipv6} rowKey={(a) => a.Ipv6Address} empty="This interface has no IPv6 address." />
      <DataTable caption="Security groups" noun="security groups" columns={groupColumns} rows={n.Groups ?? []} rowKey={(g) => g.GroupId} />
    </>
  );
}

function instanceInterfaceColumns(): Column<InstanceInterface>[] {
  return [
    { label: 'Network interface ID', text: (n) => n.NetworkInterfaceId, render: (n) => <IdLink kind="network-interfaces" id={n.NetworkInterfaceId} /> },
    { label: 'Device index', text: (n) => dash(n.Attachment?.DeviceIndex), numeric: true },
    { label: 'Subnet ID', text: (n) => n.SubnetId, render: (n) => <IdLink kind="subnets" id={n.SubnetId} /> },
    { label: 'VPC ID', text: (n) => n.VpcId, render: (n) => <IdLink kind="vpcs" id={n.VpcId} /> },
    { label: 'Private IPv4 address', text: (n) => n.PrivateIpAddress },
    { label: 'IPv6 addresses', text: (n) => dash(eniIpv6(n)) },
    { label: 'Security groups', text: (n) => dash(groupsText(n.Groups)), render: (n) => <IdLinks kind="security-groups" ids={groupLinks(n.Groups)} /> },
    { label: 'Status', text: (n) => dash(n.Status) },
  ];
}

function InstanceDetails({ i }: { i: Instance }) {
  return (
    <>
      <Details items={[
        ['Instance ID', <span class="mono">{i.InstanceId}</span>],
        ['Name', <span class="tag-text">{dash(nameOf(i.Tags))}</span>],
        ['Instance state', i.State.Name],
        ['Instance type', dash(i.InstanceType)],
        ['Private IPv4 address', dash(i.PrivateIpAddress)],
        ['Private IP DNS name', dash(i.PrivateDnsName)],
        ['IPv6 address', dash(i.Ipv6Address)],
        ['VPC ID', <IdLink kind="vpcs" id={i.VpcId} />],
        ['Subnet ID', <IdLink kind="subnets" id={i.SubnetId} />],
        ['Availability Zone', dash(i.Placement?.AvailabilityZone)],
        ['Security groups', <IdLinks kind="security-groups" ids={groupLinks(i.SecurityGroups)} />],
        ['Tenancy', dash(i.Placement?.Tenancy)],
        ['Owner', dash(i.OwnerId)],
      ]} />
      <InstanceInterfaces i={i} />
    </>
  );
}

function InstanceInterfaces({ i }: { i: Instance }) {
  return <DataTable caption="Network interfaces" noun="network interfaces" columns={instanceInterfaceColumns()} rows={i.NetworkInterfaces ?? []} rowKey={(n) => n.NetworkInterfaceId} />;
}

function SgDetails({ g }: { g: SecurityGroup }) {
  return (
    <>
      <Details items={[
        ['Security group name', <span class="tag-text">{g.GroupName}</span>],
        ['Security group ID', <span class="mono">{g.GroupId}</span>],
        ['Name', <span class="tag-text">{dash(nameOf(g.Tags))}</span>],
        ['Description', <span class="tag-text">{dash(g.Description)}</span>],
        ['VPC ID', <IdLink kind="vpcs" id={g.VpcId} />],
        ['Owner', g.OwnerId],
        ['Inbound rules count', `${permissionCount(g.IpPermissions)} Permission entries`],
        ['Outbound rules count', `${permissionCount(g.IpPermissionsEgress)} Permission entries`],
      ]} />
      <SgRulesTable caption="Inbound rules" perms={g.IpPermissions} egress={false} />
      <SgRulesTable caption="Outbound rules" perms={g.IpPermissionsEgress} egress />
    </>
  );
}

function AclDetails({ a }: { a: NetworkAcl }) {
  return (
    <>
      <Details items={[
        ['Network ACL ID', <span class="mono">{a.NetworkAclId}</span>],
        ['Name', <span class="tag-text">{dash(nameOf(a.Tags))}</span>],
        ['Associated with', (a.Associations?.length ?? 0) === 1 ? <IdLink kind="subnets" id={a.Associations![0]!.SubnetId} /> : associatedWith(a)],
        ['Default', a.IsDefault ? 'Yes' : 'No'],
        ['VPC ID', <IdLink kind="vpcs" id={a.VpcId} />],
        ['Owner', a.OwnerId],
      ]} />
      <AclEntriesTable caption="Inbound rules" entries={a.Entries} egress={false} />
      <AclEntriesTable caption="Outbound rules" entries={a.Entries} egress />
    </>
  );
}

function AclAssociations({ d }: { d: Extract<DetailData, { kind: 'network-acls' }> }) {
  const columns: Column<Subnet>[] = [
    nameColumn((s) => s.Tags),
    { label: 'Subnet ID', text: (s) => s.SubnetId, render: (s) => <IdLink kind="subnets" id={s.SubnetId} /> },
    { label: 'IPv4 CIDR', text: (s) => s.CidrBlock },
    { label: 'IPv6 CIDR', text: (s) => dash(subnetIpv6(s)) },
    { label: 'Availability Zone', text: (s) => s.AvailabilityZone },
  ];
  return (
    <DataTable caption="Subnet associations" noun="subnets" columns={columns} rows={d.subnets} rowKey={(s) => s.SubnetId}
      empty={d.item.IsDefault ? 'No subnet is associated with this default ACL: every subnet has an ACL of its own.' : 'No subnet is associated with this network ACL.'} />
  );
}

function TabContent({ d, tab }: { d: DetailData; tab: string }) {
  if (tab === 'tags') return <TagsTable tags={tagsOf(d)} />;
  if (tab === 'flow-logs') return <FlowLogsTab resourceId={idOf(d)} />;
  switch (d.kind) {
    case 'vpcs':
      return <VpcDetails d={d} />;
    case 'subnets':
      return tab === 'network-acl' ? <SubnetAcl d={d} /> : <SubnetDetails d={d} />;
    case 'network-interfaces':
      return <EniDetails n={d.item} />;
    case 'instances':
      return tab === 'networking' ? <InstanceInterfaces i={d.item} /> : <InstanceDetails i={d.item} />;
    case 'security-groups':
      return <SgDetails g={d.item} />;
    case 'network-acls':
      return tab === 'subnet-associations' ? <AclAssociations d={d} /> : <AclDetails a={d.item} />;
  }
}

function idOf(d: DetailData): string {
  switch (d.kind) {
    case 'vpcs':
      return d.item.VpcId;
    case 'subnets':
      return d.item.SubnetId;
    case 'network-interfaces':
      return d.item.NetworkInterfaceId;
    case 'instances':
      return d.item.InstanceId;
    case 'security-groups':
      return d.item.GroupId;
    case 'network-acls':
      return d.item.NetworkAclId;
  }
}

export function ResourceDetail({ kind, id, tab }: { kind: ResourceKind; id: string; tab: string }) {
  const value = useAsync((signal) => loadDetail(kind, id, signal), [kind, id]);
  const k = KIND[kind];
  const tabs = TABS[kind];
  const known = tabs.some((t) => t.id === tab);
  const data = value.data && value.data.kind === kind && idOf(value.data) === id ? value.data : undefined;
  const name = data ? nameOf(tagsOf(data)) : '';
  const flowLogType = FLOW_LOG_TYPE[kind];
  const unknown = value.error instanceof UnknownResource;
  return (
    <section class="resources">
      <nav class="breadcrumb" aria-label="Breadcrumb">
        <Link to={[kind]}>{k.title}</Link> <span aria-hidden="true">›</span> <span class="mono">{id}</span>
      </nav>
      <div class="page-head">
        <h1 tabIndex={-1} class="resource-title">
          {unknown ? `${k.singular} not found` : <>{k.singular} <span class="mono">{id}</span>{name ? <span class="tag-text"> / {name}</span> : null}</>}
        </h1>
        {flowLogType && data && tab !== 'flow-logs' && (
          <Link class="button primary" to={['flow-logs', 'create']} params={{ 'resource-type': flowLogType, 'resource-id': id }}>Create flow log</Link>
        )}
      </div>
      {unknown ? <NotFound kind={kind} id={id} /> : value.error ? <LoadError error={value.error} /> : !data ? <Loading label={`Reading ${k.inSentence} ${id}`} /> : (
        <>
          <Tabs label={`${k.singular} views`} current={known ? tab : ''} tabs={tabs.map((t) => ({ id: t.id, label: t.label, to: t.id === 'details' ? [kind, id] : [kind, id, t.id] }))} />
          {known ? <TabContent d={data} tab={tab} /> : (
            <Empty>{/^[AEIOU]/.test(k.singular) ? 'An' : 'A'} {k.inSentence} page has no “{tab}” tab. <Link to={[kind, id]}>Show its details</Link>.</Empty>
          )}
        </>
      )}
    </section>
  );
}
