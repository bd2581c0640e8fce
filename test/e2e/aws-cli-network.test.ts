// End-to-end: the real aws CLI v2 (/usr/bin/aws) builds, inspects and tears down a network through
// vpcflow's EC2 endpoint (served in-process, not realized): VPC, subnets, security groups with a
// group reference, a network ACL with entries and a replaced association, instances, an extra
// interface, tags, every Describe with filters, flow logs on all three levels; a second account
// that cannot touch any of it; and malformed requests that change nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/app/server.ts';
import { Client } from '../../src/cli/client.ts';
import { authorizationFor, type NewAccessKey } from '../../src/api/aws/index.ts';
import { formatAmzDate } from '../../src/api/aws/sigv4.ts';

const AWS = '/usr/bin/aws';
const SKIP = existsSync(AWS) ? false : `${AWS} (aws CLI v2, Debian package awscli) is not installed: the EC2 network end-to-end test did not run`;
const A = '111122223333';
const B = '444455556666';
/** Account A works in eu-west-1: its network is created in the region of its credential scope. */
const REGION_A = 'eu-west-1';

let dir: string;
let server: RunningServer | undefined;
let endpoint: string;
type Key = Pick<NewAccessKey, 'accountId' | 'accessKeyId' | 'secretAccessKey'>;
let keyA: Key;
let keyB: Key;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function aws(key: Key, args: string[], region = key === keyA ? REGION_A : 'us-east-1'): Promise<Run> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, HOME: dir, AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey, AWS_DEFAULT_REGION: region,
    AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: join(dir, 'no-config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'), AWS_PAGER: '', AWS_MAX_ATTEMPTS: '1',
  };
  return new Promise((resolve) => {
    execFile(AWS, ['--endpoint-url', endpoint, '--output', 'json', 'ec2', ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function ok(key: Key, args: string[]): Promise<Json> {
  const r = await aws(key, args);
  assert.equal(r.code, 0, `aws ec2 ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout.trim() ? JSON.parse(r.stdout) : {};
}

/** The CLI prints `An error occurred (Code) when calling the Op operation: message` and exits 254. */
async function fails(key: Key, args: string[], code: string, message?: RegExp): Promise<void> {
  const r = await aws(key, args);
  assert.equal(r.code, 254, `aws ec2 ${args.join(' ')}: expected a service error, got exit ${r.code}\n${r.stdout}${r.stderr}`);
  assert.match(r.stderr, new RegExp(`An error occurred \\(${code.replace(/\./g, '\\.')}\\)`), `aws ec2 ${args.join(' ')}:\n${r.stderr}`);
  if (message) assert.match(r.stderr, message);
}

/** A form POST signed as the CLI signs it, for requests the CLI itself would refuse to send. */
async function rawEc2(key: Key, body: string): Promise<{ status: number; text: string }> {
  const url = new URL(endpoint);
  const amzDate = formatAmzDate(Date.now());
  const headers: [string, string][] = [['host', url.host], ['content-type', 'application/x-www-form-urlencoded; charset=utf-8'], ['x-amz-date', amzDate]];
  const auth = authorizationFor({ method: 'POST', path: '/', query: '', headers, body: new TextEncoder().encode(body) },
    { accessKeyId: key.accessKeyId, secret: key.secretAccessKey }, { date: amzDate.slice(0, 8), region: REGION_A, service: 'ec2' }, amzDate);
  const res = await fetch(`${endpoint}/`, { method: 'POST', headers: [...headers.filter(([n]) => n !== 'host'), ['authorization', auth]], body });
  return { status: res.status, text: await res.text() };
}

/** Everything account A can see, for comparing before and after requests that must change nothing. */
async function snapshotA(): Promise<Json> {
  return {
    vpcs: (await ok(keyA, ['describe-vpcs'])).Vpcs,
    subnets: (await ok(keyA, ['describe-subnets'])).Subnets,
    interfaces: (await ok(keyA, ['describe-network-interfaces'])).NetworkInterfaces,
    reservations: (await ok(keyA, ['describe-instances'])).Reservations,
    groups: (await ok(keyA, ['describe-security-groups'])).SecurityGroups,
    acls: (await ok(keyA, ['describe-network-acls'])).NetworkAcls,
    tags: (await ok(keyA, ['describe-tags'])).Tags,
    flowLogs: (await ok(keyA, ['describe-flow-logs'])).FlowLogs,
  };
}

const ids: Record<string, string> = {};

before(async () => {
  if (SKIP) return;
  dir = mkdtempSync(join(tmpdir(), 'vpcflow-aws-cli-network-'));
  // The real server wiring, in this process; keys made through the native API with the operator key.
  server = await startServer({ dataDir: join(dir, 'data'), port: 0, quiet: true }, false);
  endpoint = server.url;
  const native = new Client(server.url, server.operator);
  const key = async (accountId: string): Promise<Key> => {
    const { AccessKey } = await native.call<{ AccessKey: { AccountId: string; AccessKeyId: string; SecretAccessKey: string } }>('/v1/vpcflow/CreateAccessKey', { AccountId: accountId });
    return { accountId: AccessKey.AccountId, accessKeyId: AccessKey.AccessKeyId, secretAccessKey: AccessKey.SecretAccessKey };
  };
  keyA = await key(A);
  keyB = await key(B);
});

after(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a VPC with two subnets, in the region of the credential scope', { skip: SKIP }, async () => {
  const { Vpc } = await ok(keyA, ['create-vpc', '--cidr-block', '10.0.0.0/16', '--amazon-provided-ipv6-cidr-block', '--tag-specifications', 'ResourceType=vpc,Tags=[{Key=Name,Value=main}]']);
  assert.match(Vpc.VpcId, /^vpc-[0-9a-f]{17}$/);
  assert.deepEqual([Vpc.CidrBlock, Vpc.State, Vpc.OwnerId, Vpc.IsDefault, Vpc.Tags], ['10.0.0.0/16', 'available', A, false, [{ Key: 'Name', Value: 'main' }]]);
  assert.deepEqual(Vpc.CidrBlockAssociationSet.map((c: Json) => [c.CidrBlock, c.CidrBlockState.State]), [['10.0.0.0/16', 'associated']]);
  const v6: string = Vpc.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock;
  assert.match(v6, /^2600:1f[0-9a-f]{2}:.*::\/56$/);
  ids.vpc = Vpc.VpcId;
  ids.v6Subnet = v6.replace('::/56', '::/64');

  const one = (await ok(keyA, ['create-subnet', '--vpc-id', ids.vpc!, '--cidr-block', '10.0.1.0/24', '--ipv6-cidr-block', ids.v6Subnet!, '--availability-zone', 'eu-west-1a',
    '--tag-specifications', 'ResourceType=subnet,Tags=[{Key=tier,Value=web}]'])).Subnet;
  assert.deepEqual([one.VpcId, one.CidrBlock, one.AvailabilityZone, one.AvailabilityZoneId, one.AvailableIpAddressCount, one.State, one.OwnerId],
    [ids.vpc, '10.0.1.0/24', 'eu-west-1a', 'euw1-az1', 251, 'available', A]);
  assert.equal(one.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock, ids.v6Subnet);
  assert.equal(one.SubnetArn, `arn:aws:ec2:${REGION_A}:${A}:subnet/${one.SubnetId}`);
  ids.subnet1 = one.SubnetId;
  const two = (await ok(keyA, ['create-subnet', '--vpc-id', ids.vpc!, '--cidr-block', '10.0.2.0/24', '--availability-zone-id', 'euw1-az2'])).Subnet;
  assert.equal(two.AvailabilityZone, 'eu-west-1b');
  ids.subnet2 = two.SubnetId;
  await fails(keyA, ['create-subnet', '--vpc-id', ids.vpc!, '--cidr-block', '10.0.1.128/25'], 'InvalidSubnet.Conflict');
  await fails(keyA, ['create-subnet', '--vpc-id', ids.vpc!, '--cidr-block', '10.9.0.0/24'], 'InvalidSubnet.Range');
});

test('security groups with CIDR, IPv6 and group-reference rules', { skip: SKIP }, async () => {
  ids.web = (await ok(keyA, ['create-security-group', '--group-name', 'web', '--description', 'web servers', '--vpc-id', ids.vpc!])).GroupId;
  const db = await ok(keyA, ['create-security-group', '--group-name', 'db', '--description', 'databases', '--vpc-id', ids.vpc!,
    '--tag-specifications', 'ResourceType=security-group,Tags=[{Key=data,Value=yes}]']);
  ids.db = db.GroupId;
  assert.deepEqual(db.Tags, [{ Key: 'data', Value: 'yes' }]);
  await fails(keyA, ['create-security-group', '--group-name', 'web', '--description', 'again', '--vpc-id', ids.vpc!], 'InvalidGroup.Duplicate');

  const added = await ok(keyA, ['authorize-security-group-ingress', '--group-id', ids.web!, '--ip-permissions',
    JSON.stringify([{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'https' }] }, { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, Ipv6Ranges: [{ CidrIpv6: '::/0' }] }])]);
  assert.equal(added.Return, true);
  assert.deepEqual(added.SecurityGroupRules.map((r: Json) => [r.GroupId, r.IsEgress, r.IpProtocol, r.FromPort, r.CidrIpv4 ?? r.CidrIpv6, r.Description]),
    [[ids.web, false, 'tcp', 443, '0.0.0.0/0', 'https'], [ids.web, false, 'tcp', 80, '::/0', undefined]]);
  assert.match(added.SecurityGroupRules[0].SecurityGroupRuleId, /^sgr-[0-9a-f]{17}$/);
  // The CLI's own shorthand: --protocol/--port/--source-group.
  await ok(keyA, ['authorize-security-group-ingress', '--group-id', ids.db!, '--protocol', 'tcp', '--port', '5432', '--source-group', ids.web!]);
  await ok(keyA, ['authorize-security-group-egress', '--group-id', ids.db!, '--ip-permissions', 'IpProtocol=udp,FromPort=53,ToPort=53,IpRanges=[{CidrIp=10.0.0.2/32}]']);
  await fails(keyA, ['authorize-security-group-ingress', '--group-id', ids.db!, '--protocol', 'tcp', '--port', '5432', '--source-group', ids.web!], 'InvalidPermission.Duplicate');
  await fails(keyA, ['revoke-security-group-ingress', '--group-id', ids.db!, '--protocol', 'tcp', '--port', '5433', '--cidr', '10.0.0.0/16'], 'InvalidPermission.NotFound');
  // Revoke what is there: the default allow-all egress of web.
  assert.equal((await ok(keyA, ['revoke-security-group-egress', '--group-id', ids.web!, '--ip-permissions', 'IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]'])).Return, true);
});

test('a network ACL with entries, and a subnet association moved to it', { skip: SKIP }, async () => {
  const { NetworkAcl } = await ok(keyA, ['create-network-acl', '--vpc-id', ids.vpc!]);
  ids.acl = NetworkAcl.NetworkAclId;
  assert.deepEqual([NetworkAcl.IsDefault, NetworkAcl.VpcId, NetworkAcl.Associations], [false, ids.vpc, []]);
  // The VPC has IPv6: each direction ends with an IPv4 and an IPv6 deny-all.
  assert.deepEqual(NetworkAcl.Entries.map((e: Json) => [e.RuleNumber, e.Egress, e.RuleAction, e.CidrBlock ?? e.Ipv6CidrBlock]).sort(),
    [[32767, false, 'deny', '0.0.0.0/0'], [32767, false, 'deny', '::/0'], [32767, true, 'deny', '0.0.0.0/0'], [32767, true, 'deny', '::/0']].sort());
  const entry = (...args: string[]) => ['create-network-acl-entry', '--network-acl-id', ids.acl!, ...args];
  await ok(keyA, entry('--ingress', '--rule-number', '100', '--protocol', 'tcp', '--port-range', 'From=443,To=443', '--cidr-block', '0.0.0.0/0', '--rule-action', 'allow'));
  await ok(keyA, entry('--ingress', '--rule-number', '90', '--protocol', '1', '--icmp-type-code', 'Type=8,Code=-1', '--cidr-block', '10.0.0.0/8', '--rule-action', 'deny'));
  await ok(keyA, entry('--egress', '--rule-number', '100', '--protocol', '-1', '--cidr-block', '0.0.0.0/0', '--rule-action', 'allow'));
  await fails(keyA, entry('--ingress', '--rule-number', '100', '--protocol', '-1', '--cidr-block', '0.0.0.0/0', '--rule-action', 'deny'), 'NetworkAclEntryAlreadyExists');
  await ok(keyA, ['delete-network-acl-entry', '--network-acl-id', ids.acl!, '--ingress', '--rule-number', '90']);
  await fails(keyA, ['delete-network-acl-entry', '--network-acl-id', ids.acl!, '--ingress', '--rule-number', '90'], 'InvalidNetworkAclEntry.NotFound');

  const [current] = (await ok(keyA, ['describe-network-acls', '--filters', `Name=association.subnet-id,Values=${ids.subnet1}`])).NetworkAcls;
  assert.equal(current.IsDefault, true);
  const association = current.Associations.find((a: Json) => a.SubnetId === ids.subnet1).NetworkAclAssociationId;
  assert.match(association, /^aclassoc-[0-9a-f]{17}$/);
  const { NewAssociationId } = await ok(keyA, ['replace-network-acl-association', '--association-id', association, '--network-acl-id', ids.acl!]);
  assert.notEqual(NewAssociationId, association);
  const [mine] = (await ok(keyA, ['describe-network-acls', '--network-acl-ids', ids.acl!])).NetworkAcls;
  assert.deepEqual(mine.Associations, [{ NetworkAclAssociationId: NewAssociationId, NetworkAclId: ids.acl, SubnetId: ids.subnet1 }]);
  assert.deepEqual(mine.Entries.filter((e: Json) => e.RuleNumber < 32767).map((e: Json) => [e.Egress, e.RuleNumber, e.Protocol, e.PortRange]).sort(),
    [[false, 100, '6', { From: 443, To: 443 }], [true, 100, '-1', undefined]]);
  await fails(keyA, ['replace-network-acl-association', '--association-id', association, '--network-acl-id', ids.acl!], 'InvalidAssociationID.NotFound');
});

test('instances and an extra interface get the first free addresses; tags', { skip: SKIP }, async () => {
  const run = await ok(keyA, ['run-instances', '--image-id', 'ami-0123456789abcdef0', '--instance-type', 't3.micro', '--count', '2', '--subnet-id', ids.subnet1!,
    '--security-group-ids', ids.web!, '--tag-specifications', 'ResourceType=instance,Tags=[{Key=Name,Value=web}]']);
  assert.match(run.ReservationId, /^r-[0-9a-f]{17}$/);
  assert.equal(run.OwnerId, A);
  assert.deepEqual(run.Instances.map((i: Json) => [i.PrivateIpAddress, i.State.Name, i.State.Code, i.SubnetId, i.VpcId, i.ImageId, i.InstanceType, i.Placement.AvailabilityZone]), [
    ['10.0.1.4', 'running', 16, ids.subnet1, ids.vpc, 'ami-0123456789abcdef0', 't3.micro', 'eu-west-1a'],
    ['10.0.1.5', 'running', 16, ids.subnet1, ids.vpc, 'ami-0123456789abcdef0', 't3.micro', 'eu-west-1a'],
  ]);
  assert.deepEqual(run.Instances[0].SecurityGroups, [{ GroupName: 'web', GroupId: ids.web }]);
  assert.deepEqual(run.Instances[0].Tags, [{ Key: 'Name', Value: 'web' }]);
  assert.equal(run.Instances[0].PrivateDnsName, 'ip-10-0-1-4.eu-west-1.compute.internal');
  ids.web1 = run.Instances[0].InstanceId;
  ids.web2 = run.Instances[1].InstanceId;
  ids.web1Eni = run.Instances[0].NetworkInterfaces[0].NetworkInterfaceId;

  const db = (await ok(keyA, ['run-instances', '--image-id', 'ami-0123456789abcdef0', '--network-interfaces',
    JSON.stringify([{ DeviceIndex: 0, SubnetId: ids.subnet2, Groups: [ids.db], PrivateIpAddress: '10.0.2.10' }, { DeviceIndex: 1, SubnetId: ids.subnet2, SecondaryPrivateIpAddressCount: 1 }])])).Instances[0];
  ids.db1 = db.InstanceId;
  assert.deepEqual(db.NetworkInterfaces.map((n: Json) => [n.Attachment.DeviceIndex, n.PrivateIpAddress, n.PrivateIpAddresses.map((p: Json) => [p.PrivateIpAddress, p.Primary]), n.Groups.map((g: Json) => g.GroupName)]).sort(), [
    [0, '10.0.2.10', [['10.0.2.10', true]], ['db']], [1, '10.0.2.4', [['10.0.2.4', true], ['10.0.2.5', false]], ['default']],
  ]);

  const { NetworkInterface: eni } = await ok(keyA, ['create-network-interface', '--subnet-id', ids.subnet1!, '--description', 'extra', '--groups', ids.web!, '--ipv6-address-count', '1']);
  assert.deepEqual([eni.PrivateIpAddress, eni.Description, eni.Status, eni.Attachment, eni.VpcId, eni.AvailabilityZone, eni.InterfaceType], ['10.0.1.6', 'extra', 'available', undefined, ids.vpc, 'eu-west-1a', 'interface']);
  assert.equal(eni.Ipv6Addresses.length, 1);
  assert.match(eni.MacAddress, /^02(:[0-9a-f]{2}){5}$/);
  ids.extra = eni.NetworkInterfaceId;
  await fails(keyA, ['create-network-interface', '--subnet-id', ids.subnet1!, '--private-ip-address', '10.0.1.5'], 'InvalidIPAddress.InUse');

  await ok(keyA, ['create-tags', '--resources', ids.extra!, ids.web1!, '--tags', 'Key=role,Value=extra', 'Key=owner,Value=']);
  await ok(keyA, ['create-tags', '--resources', ids.web1!, '--tags', 'Key=role,Value=frontend']);
  await ok(keyA, ['delete-tags', '--resources', ids.extra!, '--tags', 'Key=owner']);
  const tags = (await ok(keyA, ['describe-tags', '--filters', 'Name=key,Values=role,owner'])).Tags;
  assert.deepEqual(tags.map((t: Json) => [t.ResourceId, t.ResourceType, t.Key, t.Value]).sort(), [
    [ids.extra!, 'network-interface', 'role', 'extra'], [ids.web1!, 'instance', 'owner', ''], [ids.web1!, 'instance', 'role', 'frontend'],
  ].sort());
});

test('every Describe, by id and with filters', { skip: SKIP }, async () => {
  assert.deepEqual((await ok(keyA, ['describe-vpcs', '--filters', 'Name=tag:Name,Values=ma*', 'Name=cidr,Values=10.0.0.0/16'])).Vpcs.map((v: Json) => v.VpcId), [ids.vpc]);
  assert.deepEqual((await ok(keyA, ['describe-vpcs', '--vpc-ids', ids.vpc!])).Vpcs.length, 1);
  assert.deepEqual((await ok(keyA, ['describe-subnets', '--filters', `Name=vpc-id,Values=${ids.vpc}`, 'Name=availability-zone,Values=eu-west-1b'])).Subnets.map((s: Json) => s.SubnetId), [ids.subnet2]);
  const s1 = (await ok(keyA, ['describe-subnets', '--subnet-ids', ids.subnet1!])).Subnets[0];
  // 251 usable, minus the two instances and the extra interface.
  assert.equal(s1.AvailableIpAddressCount, 248);
  assert.deepEqual((await ok(keyA, ['describe-network-interfaces', '--filters', 'Name=private-ip-address,Values=10.0.2.*', 'Name=attachment.device-index,Values=0']))
    .NetworkInterfaces.map((n: Json) => [n.PrivateIpAddress, n.Attachment.InstanceId, n.Status]), [['10.0.2.10', ids.db1, 'in-use']]);
  assert.deepEqual((await ok(keyA, ['describe-network-interfaces', '--network-interface-ids', ids.extra!])).NetworkInterfaces[0].TagSet, [{ Key: 'role', Value: 'extra' }]);
  const running = (await ok(keyA, ['describe-instances', '--filters', 'Name=instance-state-name,Values=running', `Name=subnet-id,Values=${ids.subnet1}`])).Reservations;
  assert.deepEqual(running.flatMap((r: Json) => r.Instances.map((i: Json) => i.InstanceId)).sort(), [ids.web1, ids.web2].sort());
  assert.deepEqual((await ok(keyA, ['describe-instances', '--instance-ids', ids.db1!])).Reservations[0].Instances[0].NetworkInterfaces.length, 2);
  assert.deepEqual((await ok(keyA, ['describe-instances', '--filters', 'Name=tag:role,Values=front*'])).Reservations.map((r: Json) => r.Instances[0].InstanceId), [ids.web1]);
  // --page-size makes the CLI follow NextToken to the end.
  assert.equal((await ok(keyA, ['describe-instances', '--page-size', '5'])).Reservations.length, 3);

  const [db] = (await ok(keyA, ['describe-security-groups', '--filters', 'Name=group-name,Values=db'])).SecurityGroups;
  assert.deepEqual([db.GroupId, db.Description, db.VpcId, db.OwnerId], [ids.db, 'databases', ids.vpc, A]);
  assert.deepEqual(db.IpPermissions, [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [{ GroupId: ids.web, UserId: A }] }]);
  // Rules with the same protocol and ports are one permission, as EC2 shows them: the IPv4 and IPv6 allow-all together.
  assert.deepEqual(db.IpPermissionsEgress.map((p: Json) => [p.IpProtocol, p.FromPort, p.IpRanges, p.Ipv6Ranges]),
    [['-1', undefined, [{ CidrIp: '0.0.0.0/0' }], [{ CidrIpv6: '::/0' }]], ['udp', 53, [{ CidrIp: '10.0.0.2/32' }], []]]);
  const [web] = (await ok(keyA, ['describe-security-groups', '--group-ids', ids.web!])).SecurityGroups;
  assert.deepEqual(web.IpPermissionsEgress.map((p: Json) => p.Ipv6Ranges), [[{ CidrIpv6: '::/0' }]]);
  assert.deepEqual((await ok(keyA, ['describe-security-groups', '--filters', `Name=ip-permission.group-id,Values=${ids.web}`])).SecurityGroups.map((g: Json) => g.GroupName), ['db']);
  assert.deepEqual((await ok(keyA, ['describe-network-acls', '--filters', 'Name=default,Values=true'])).NetworkAcls[0].Associations.map((a: Json) => a.SubnetId), [ids.subnet2]);
  await fails(keyA, ['describe-subnets', '--filters', 'Name=colour,Values=blue'], 'InvalidParameterValue', /colour/);
  await fails(keyA, ['describe-instances', '--instance-ids', 'i-0123456789abcdef0'], 'InvalidInstanceID.NotFound');
});

test('flow logs on the VPC, a subnet and an interface', { skip: SKIP }, async () => {
  for (const [type, id] of [['VPC', ids.vpc], ['Subnet', ids.subnet1], ['NetworkInterface', ids.extra]] as const) {
    const r = await ok(keyA, ['create-flow-logs', '--resource-type', type, '--resource-ids', id!, '--traffic-type', 'ALL', '--log-group-name', `/flows/${type}`]);
    assert.deepEqual(r.Unsuccessful, [], JSON.stringify(r));
    ids[`fl${type}`] = r.FlowLogIds[0];
  }
  await ok(keyA, ['create-tags', '--resources', ids.flVPC!, '--tags', 'Key=scope,Value=vpc']);
  const tagged = (await ok(keyA, ['describe-tags', '--filters', 'Name=resource-type,Values=vpc-flow-log'])).Tags;
  assert.deepEqual(tagged, [{ Key: 'scope', ResourceId: ids.flVPC, ResourceType: 'vpc-flow-log', Value: 'vpc' }]);
  assert.deepEqual((await ok(keyA, ['describe-flow-logs', '--flow-log-ids', ids.flVPC!])).FlowLogs[0].Tags, [{ Key: 'scope', Value: 'vpc' }]);
});

test('account B gets NotFound for every action on account A\'s resources, and A\'s network does not change', { skip: SKIP }, async () => {
  const before = await snapshotA();
  const assoc = before.acls.find((a: Json) => a.NetworkAclId === ids.acl).Associations[0].NetworkAclAssociationId;
  const attempts: [string[], string][] = [
    [['describe-vpcs', '--vpc-ids', ids.vpc!], 'InvalidVpcID.NotFound'],
    [['describe-subnets', '--subnet-ids', ids.subnet1!], 'InvalidSubnetID.NotFound'],
    [['describe-network-interfaces', '--network-interface-ids', ids.extra!], 'InvalidNetworkInterfaceID.NotFound'],
    [['describe-instances', '--instance-ids', ids.web1!], 'InvalidInstanceID.NotFound'],
    [['describe-security-groups', '--group-ids', ids.web!], 'InvalidGroup.NotFound'],
    [['describe-network-acls', '--network-acl-ids', ids.acl!], 'InvalidNetworkAclID.NotFound'],
    [['delete-vpc', '--vpc-id', ids.vpc!], 'InvalidVpcID.NotFound'],
    [['create-subnet', '--vpc-id', ids.vpc!, '--cidr-block', '10.0.3.0/24'], 'InvalidVpcID.NotFound'],
    [['delete-subnet', '--subnet-id', ids.subnet2!], 'InvalidSubnetID.NotFound'],
    [['create-network-interface', '--subnet-id', ids.subnet1!], 'InvalidSubnetID.NotFound'],
    [['delete-network-interface', '--network-interface-id', ids.extra!], 'InvalidNetworkInterfaceID.NotFound'],
    [['run-instances', '--image-id', 'ami-0123456789abcdef0', '--subnet-id', ids.subnet1!], 'InvalidSubnetID.NotFound'],
    [['run-instances', '--image-id', 'ami-0123456789abcdef0', '--network-interfaces', `DeviceIndex=0,NetworkInterfaceId=${ids.extra}`], 'InvalidNetworkInterfaceID.NotFound'],
    [['terminate-instances', '--instance-ids', ids.web1!], 'InvalidInstanceID.NotFound'],
    [['create-security-group', '--group-name', 'steal', '--description', 'x', '--vpc-id', ids.vpc!], 'InvalidVpcID.NotFound'],
    [['authorize-security-group-ingress', '--group-id', ids.web!, '--protocol', 'tcp', '--port', '22', '--cidr', '0.0.0.0/0'], 'InvalidGroup.NotFound'],
    [['authorize-security-group-egress', '--group-id', ids.web!, '--ip-permissions', 'IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]'], 'InvalidGroup.NotFound'],
    [['revoke-security-group-ingress', '--group-id', ids.web!, '--protocol', 'tcp', '--port', '443', '--cidr', '0.0.0.0/0'], 'InvalidGroup.NotFound'],
    [['revoke-security-group-egress', '--group-id', ids.db!, '--ip-permissions', 'IpProtocol=udp,FromPort=53,ToPort=53,IpRanges=[{CidrIp=10.0.0.2/32}]'], 'InvalidGroup.NotFound'],
    [['delete-security-group', '--group-id', ids.db!], 'InvalidGroup.NotFound'],
    [['create-network-acl', '--vpc-id', ids.vpc!], 'InvalidVpcID.NotFound'],
    [['create-network-acl-entry', '--network-acl-id', ids.acl!, '--ingress', '--rule-number', '1', '--protocol', '-1', '--cidr-block', '0.0.0.0/0', '--rule-action', 'deny'], 'InvalidNetworkAclID.NotFound'],
    [['delete-network-acl-entry', '--network-acl-id', ids.acl!, '--ingress', '--rule-number', '100'], 'InvalidNetworkAclID.NotFound'],
    [['replace-network-acl-association', '--association-id', assoc, '--network-acl-id', ids.acl!], 'InvalidNetworkAclID.NotFound'],
    [['delete-network-acl', '--network-acl-id', ids.acl!], 'InvalidNetworkAclID.NotFound'],
    [['create-tags', '--resources', ids.vpc!, '--tags', 'Key=owned,Value=by-b'], 'InvalidVpcID.NotFound'],
    [['create-tags', '--resources', ids.flVPC!, '--tags', 'Key=owned,Value=by-b'], 'InvalidFlowLogId.NotFound'],
    [['delete-tags', '--resources', ids.web1!, '--tags', 'Key=role'], 'InvalidInstanceID.NotFound'],
  ];
  for (const [args, code] of attempts) await fails(keyB, args, code);
  // B sees nothing of A's.
  for (const [cmd, member] of [['describe-vpcs', 'Vpcs'], ['describe-subnets', 'Subnets'], ['describe-network-interfaces', 'NetworkInterfaces'], ['describe-instances', 'Reservations'],
    ['describe-security-groups', 'SecurityGroups'], ['describe-network-acls', 'NetworkAcls'], ['describe-tags', 'Tags']] as const) {
    assert.deepEqual((await ok(keyB, [cmd]))[member], [], cmd);
  }
  // B's own VPC (in B's region) cannot reference A's groups either.
  const bVpc = (await ok(keyB, ['create-vpc', '--cidr-block', '10.0.0.0/16'])).Vpc.VpcId;
  const bGroup = (await ok(keyB, ['create-security-group', '--group-name', 'b', '--description', 'b', '--vpc-id', bVpc])).GroupId;
  await fails(keyB, ['authorize-security-group-ingress', '--group-id', bGroup, '--protocol', 'tcp', '--port', '22', '--source-group', ids.web!], 'InvalidGroup.NotFound');
  assert.deepEqual((await ok(keyB, ['describe-subnets', '--filters', `Name=vpc-id,Values=${ids.vpc}`])).Subnets, []);
  assert.deepEqual(await snapshotA(), before);
});

test('malformed and refused requests answer EC2 errors and change nothing', { skip: SKIP }, async () => {
  const before = await snapshotA();
  await fails(keyA, ['create-vpc'], 'MissingParameter');
  await fails(keyA, ['create-vpc', '--cidr-block', '10.0.0.0/33'], 'InvalidParameterValue', /cidrBlock/);
  await fails(keyA, ['create-vpc', '--cidr-block', '10.1.0.0/16', '--dry-run'], 'DryRunOperation');
  await fails(keyA, ['run-instances', '--image-id', 'ami-0123456789abcdef0'], 'VPCIdNotSpecified');
  await fails(keyA, ['run-instances', '--image-id', 'ami-0123456789abcdef0', '--subnet-id', ids.subnet1!, '--count', '3:2'], 'InvalidParameterValue');
  await fails(keyA, ['create-subnet', '--vpc-id', 'vpc-nothex', '--cidr-block', '10.0.3.0/24'], 'InvalidVpcID.Malformed');
  await fails(keyA, ['create-tags', '--resources', 'nonsense-id', '--tags', 'Key=a,Value=b'], 'InvalidID');
  await fails(keyA, ['delete-vpc', '--vpc-id', ids.vpc!], 'DependencyViolation');
  await fails(keyA, ['delete-subnet', '--subnet-id', ids.subnet1!], 'DependencyViolation');
  await fails(keyA, ['delete-security-group', '--group-id', ids.web!], 'DependencyViolation');
  await fails(keyA, ['delete-network-interface', '--network-interface-id', ids.web1Eni!], 'InvalidNetworkInterface.InUse');
  await fails(keyA, ['delete-network-acl', '--network-acl-id', ids.acl!], 'DependencyViolation');
  const defaultGroup = before.groups.find((g: Json) => g.GroupName === 'default');
  await fails(keyA, ['delete-security-group', '--group-id', defaultGroup.GroupId], 'CannotDelete');

  // Requests the CLI would not send: a value of the wrong type, a missing member, an unknown action.
  const wrongType = await rawEc2(keyA, `Action=RunInstances&Version=2016-11-15&ImageId=ami-1&MinCount=1&MaxCount=abc&SubnetId=${ids.subnet1}`);
  assert.equal(wrongType.status, 400);
  assert.match(wrongType.text, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<Response><Errors><Error><Code>InvalidParameterValue<\/Code><Message>[^<]*MaxCount[^<]*<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>$/);
  const missing = await rawEc2(keyA, 'Action=CreateSubnet&Version=2016-11-15&CidrBlock=10.0.3.0%2F24');
  assert.match(missing.text, /<Code>MissingParameter<\/Code><Message>The request must contain the parameter VpcId<\/Message>/);
  const unknown = await rawEc2(keyA, 'Action=CreateVpnGateway&Version=2016-11-15&Type=ipsec.1');
  assert.match(unknown.text, /<Code>InvalidAction<\/Code>/);
  const badRule = await rawEc2(keyA, `Action=CreateNetworkAclEntry&Version=2016-11-15&NetworkAclId=${ids.acl}&RuleNumber=5&Protocol=-1&RuleAction=allow&Egress=maybe&CidrBlock=0.0.0.0%2F0`);
  assert.match(badRule.text, /<Code>InvalidParameterValue<\/Code><Message>[^<]*Egress/);
  assert.deepEqual(await snapshotA(), before);
});

test('everything deleted again; deleting a VPC, subnet or interface deletes its flow logs', { skip: SKIP }, async () => {
  const attached = (await ok(keyA, ['describe-flow-logs'])).FlowLogs;
  assert.deepEqual(attached.map((f: Json) => f.ResourceId).sort(), [ids.vpc, ids.subnet1, ids.extra].sort());
  const terminated = await ok(keyA, ['terminate-instances', '--instance-ids', ids.web1!, ids.web2!, ids.db1!]);
  assert.deepEqual(terminated.TerminatingInstances.map((t: Json) => [t.PreviousState.Name, t.CurrentState.Name]), [['running', 'shutting-down'], ['running', 'shutting-down'], ['running', 'shutting-down']]);
  assert.deepEqual((await ok(keyA, ['describe-instances'])).Reservations, []);
  await ok(keyA, ['delete-network-interface', '--network-interface-id', ids.extra!]);
  assert.deepEqual((await ok(keyA, ['describe-network-interfaces'])).NetworkInterfaces, []);
  const afterEni = (await ok(keyA, ['describe-flow-logs'])).FlowLogs;
  assert.deepEqual(afterEni.map((f: Json) => f.ResourceId).sort(), [ids.vpc, ids.subnet1].sort(), 'the interface\'s flow log went with it');
  await ok(keyA, ['delete-security-group', '--group-id', ids.db!]);
  await ok(keyA, ['delete-security-group', '--group-name', 'web']);
  await ok(keyA, ['delete-subnet', '--subnet-id', ids.subnet1!]);
  await ok(keyA, ['delete-subnet', '--subnet-id', ids.subnet2!]);
  await ok(keyA, ['delete-network-acl', '--network-acl-id', ids.acl!]);
  await ok(keyA, ['delete-vpc', '--vpc-id', ids.vpc!]);
  assert.deepEqual((await ok(keyA, ['describe-vpcs'])).Vpcs, []);
  assert.deepEqual((await ok(keyA, ['describe-tags', '--filters', 'Name=resource-type,Values=vpc,subnet,instance,network-interface,security-group,network-acl'])).Tags, []);
  assert.deepEqual((await ok(keyA, ['describe-flow-logs'])).FlowLogs, []);
  // A new VPC starts from the same (now empty) network of the account.
  const again = (await ok(keyA, ['create-vpc', '--cidr-block', '10.0.0.0/16'])).Vpc;
  assert.equal(again.OwnerId, A);
  await ok(keyA, ['delete-vpc', '--vpc-id', again.VpcId]);
});
