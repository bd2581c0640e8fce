// Fuzz: malformed requests against a real server, correctly signed so they reach the handlers — the
// native /v1 routes (/v1/ec2/*, /v1/logs/*, /v1/vpcflow/*, /v1/metrics/*) with the operator key, and
// the AWS endpoint (POST /: EC2 Query and CloudWatch Logs JSON 1.1) with an account's key. Bodies
// start from a valid request and get wrong types, huge strings, deep nesting, prototype names
// (constructor, __proto__, valueOf), bad NextTokens, unknown fields, duplicate keys, numbers JSON
// cannot hold. Asserted for every case: an answer below 500; an error carries its code and message in
// its protocol's shape; the server keeps serving; a refused request that would change something
// changed nothing (the network, flow logs, log groups, metric filters and access keys, before/after).
// Seeds, case counts and replay: see lib.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.ts';
import { FuzzServer, Failures, ONLY_CASE, Rng, SEED, caseCount, caseIndices, nativeErrorProblem, seedLine, type Credentials, type RawAnswer } from './lib.ts';

const SUITE = 'api';
const ACCOUNT = '111122223333';
const OTHER_ACCOUNT = '444455556666';
const VPC = 'vpc-0a1b2c3d4e5f60718';
const SUBNET = 'subnet-0a1b2c3d4e5f60718';
const ENI = 'eni-0a1b2c3d4e5f60718';
const SG = 'sg-0a1b2c3d4e5f60718';
const ACL = 'acl-0a1b2c3d4e5f60718';
const INSTANCE = 'i-0a1b2c3d4e5f60718';
const GROUP = '/fuzz/api';
const BUCKET = 'fuzz-api-bucket';
const NETWORK_YAML = readFileSync(join(ROOT, 'examples/network.yaml'), 'utf8');

const NATIVE_CASES = caseCount(110, 4);
const AWS_CASES = caseCount(90, 4);

// ---------------------------------------------------------------------------------------------
// A JSON value that can say what JSON.stringify cannot: duplicate keys, `__proto__` as an own key,
// numbers out of double range, raw text.

type J = null | boolean | number | string | J[] | { obj: [string, J][] } | { raw: string };

function text(v: J): string {
  if (v === null || typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(text).join(',')}]`;
  if ('raw' in v) return v.raw;
  return `{${v.obj.map(([k, x]) => `${JSON.stringify(k)}:${text(x)}`).join(',')}}`;
}

const obj = (o: Record<string, J>): { obj: [string, J][] } => ({ obj: Object.entries(o) });

const PROTO_NAMES = ['constructor', '__proto__', 'valueOf', 'toString', 'hasOwnProperty', 'prototype', '__defineGetter__', 'isPrototypeOf', 'toJSON', 'then'];

function hostileString(rng: Rng): string {
  return rng.weighted<() => string>([
    [3, () => rng.pick(PROTO_NAMES)],
    [2, () => rng.pick(['', ' ', '\t', '\u0000', '\ud800', '\uffff', '😀😀', 'Ā'.repeat(rng.range(1, 300)), '../../../etc/passwd', '%00', '%', '*', '[', '{', '"', '\\', "'", '${x}', 'null', 'undefined', 'NaN', '-1', '1e309', '0x1f', ' 60', '60s'])],
    [1, () => 'x'.repeat(rng.pick([256, 513, 1025, 4096, 65_536, 300_000]))],
    [2, () => rng.pick([VPC, SUBNET, ENI, SG, ACL, INSTANCE, 'fl-0123456789abcdef0', 'vpc-', 'vpc-zzzz', 'eni-0', GROUP, '/fuzz/new', 'arn:aws:s3:::fuzz-bucket/x', 'arn:aws:s3:::', 'arn:aws:logs:us-east-1:111122223333:log-group:/fuzz/api', '10.0.0.0/8', '10.0.1.0/33', '::/0', '0.0.0.0/0', 'tcp', '-1', 'ALL', 'VPC', 'ACCEPT', 'REJECT', ACCOUNT, OTHER_ACCOUNT, '000000000000'])],
    [1, () => String.fromCharCode(...Array.from({ length: rng.range(1, 40) }, () => rng.int(0x3000)))],
  ])();
}

function nextToken(rng: Rng): string {
  return rng.weighted<() => string>([
    [2, () => Buffer.from(rng.bytes(rng.range(0, 64))).toString('base64')],
    [3, () => Buffer.from(text(obj({ o: rng.pick<J>([-1, 1e300, 2 ** 53, 1.5, '1', null, [], obj({}), 0]), ...(rng.chance(0.5) ? { [rng.pick(PROTO_NAMES)]: 1 } : {}) }))).toString('base64')],
    [1, () => Buffer.from(rng.pick(['{', '[]', 'null', '"x"', '{"o":1}{"o":2}', '{"__proto__":{"o":5}}'])).toString('base64')],
    [1, () => rng.pick(['', '=', '!!!', '%%%', 'a'.repeat(100_000), '😀', 'eyJvIjoxfQ'])],
  ])();
}

function deep(rng: Rng): J {
  const depth = rng.pick([64, 1000, 5000, 20_000, 100_000]);
  return rng.chance(0.5) ? { raw: '['.repeat(depth) + ']'.repeat(depth) } : { raw: '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) };
}

function hostileValue(rng: Rng, level = 0): J {
  return rng.weighted<() => J>([
    [3, () => hostileString(rng)],
    [2, () => rng.pick<J>([null, true, false, 0, -0, -1, 1.5, 0.1, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), 1e308, { raw: '1e999' }, { raw: '-1e999' }, { raw: '1E400' }, { raw: '-0.0' }, { raw: '123456789012345678901234567890' }])],
    [1, () => (level > 2 ? [] : Array.from({ length: rng.range(0, 4) }, () => hostileValue(rng, level + 1)))],
    [1, () => (level > 2 ? obj({}) : { obj: Array.from({ length: rng.range(0, 3) }, () => [rng.chance(0.5) ? rng.pick(PROTO_NAMES) : hostileString(rng), hostileValue(rng, level + 1)] as [string, J]) })],
    [1, () => ({ obj: [['__proto__', obj({ Account: OTHER_ACCOUNT, polluted: true })]] })],
    [1, () => deep(rng)],
    [1, () => Array.from({ length: rng.pick([1000, 20_000]) }, (_, i) => `item-${i}`)],
    [1, () => nextToken(rng)],
  ])();
}

/** Applies 1–3 mutations to a valid body: wrong values, deleted and unknown members, duplicates. */
function mutateBody(template: Record<string, J>, rng: Rng, steps: string[]): J {
  if (rng.chance(0.1)) {
    const whole = rng.pick<J>([null, [], 'body', 42, true, { raw: '' }, { raw: '{' }, { raw: '{"a":1,}' }, { raw: '{"a":1} trailing' }, { raw: '\ufeff{}' }, { raw: "{'single': 1}" }, { raw: '{"a":"\\ud800"}' }, { raw: 'NaN' }, deep(rng)]);
    steps.push(`whole body ${text(whole).slice(0, 40)}`);
    return whole;
  }
  const entries: [string, J][] = Object.entries(template);
  const n = rng.range(1, 3);
  for (let k = 0; k < n; k++) {
    const op = rng.weighted([[5, 'set'], [2, 'delete'], [2, 'unknown'], [1, 'duplicate'], [1, 'token'], [1, 'account']] as const);
    if (op === 'set' && entries.length) {
      const e = rng.pick(entries);
      e[1] = hostileValue(rng);
      steps.push(`${e[0]} = ${text(e[1]).slice(0, 60)}`);
    } else if (op === 'delete' && entries.length) {
      const [key] = entries.splice(rng.int(entries.length), 1)[0]!;
      steps.push(`delete ${key}`);
    } else if (op === 'duplicate' && entries.length) {
      const e = rng.pick(entries);
      entries.push([e[0], hostileValue(rng)]);
      steps.push(`${e[0]} again = ${text(entries[entries.length - 1]![1]).slice(0, 60)}`);
    } else if (op === 'token') {
      const key = rng.pick(['NextToken', 'nextToken']);
      entries.push([key, nextToken(rng)]);
      steps.push(`${key} mutated`);
    } else if (op === 'account') {
      entries.push(['Account', rng.pick<J>([OTHER_ACCOUNT, '', '1', 'x'.repeat(5000), 123, null, ['111122223333']])]);
      steps.push('Account');
    } else {
      const key = rng.chance(0.6) ? rng.pick(PROTO_NAMES) : hostileString(rng).slice(0, 200);
      entries.push([key, hostileValue(rng)]);
      steps.push(`unknown member ${JSON.stringify(key).slice(0, 40)} = ${text(entries[entries.length - 1]![1]).slice(0, 60)}`);
    }
  }
  return { obj: entries };
}

// ---------------------------------------------------------------------------------------------
// Native routes and their valid requests

interface NativeRoute {
  path: string;
  mutating: boolean;
  template: (rng: Rng) => Record<string, J>;
}

const transformation = (): J => [obj({ metricName: 'Rejects', metricNamespace: 'Fuzz', metricValue: '1', defaultValue: 0, dimensions: obj({}), unit: 'Count' })];

const LOGS_TEMPLATES: Record<string, { mutating: boolean; template: (rng: Rng) => Record<string, J> }> = {
  CreateLogGroup: { mutating: true, template: () => ({ logGroupName: '/fuzz/new-group' }) },
  DeleteLogGroup: { mutating: true, template: () => ({ logGroupName: GROUP }) },
  PutRetentionPolicy: { mutating: true, template: () => ({ logGroupName: GROUP, retentionInDays: 7 }) },
  DeleteRetentionPolicy: { mutating: true, template: () => ({ logGroupName: GROUP }) },
  DescribeLogGroups: { mutating: false, template: () => ({ logGroupNamePrefix: '/fuzz', limit: 5 }) },
  DescribeLogStreams: { mutating: false, template: () => ({ logGroupName: GROUP, orderBy: 'LastEventTime', descending: true, limit: 5 }) },
  GetLogEvents: { mutating: false, template: () => ({ logGroupName: GROUP, logStreamName: `${ENI}-all`, startTime: 0, endTime: 2 ** 42, startFromHead: true, limit: 10 }) },
  FilterLogEvents: { mutating: false, template: (rng) => ({ logGroupName: GROUP, logStreamNames: [`${ENI}-all`], filterPattern: rng.pick(['REJECT', '[v, a, i, s, d, sp, dp, p, pk, b, st, e, action = REJECT, ls]', '{ $.x = 1 }', '%ACC.PT%']), startTime: 0, limit: 10 }) },
  PutMetricFilter: { mutating: true, template: () => ({ logGroupName: GROUP, filterName: 'fuzz-filter', filterPattern: 'REJECT', metricTransformations: transformation() }) },
  DescribeMetricFilters: { mutating: false, template: () => ({ logGroupName: GROUP, filterNamePrefix: 'f', limit: 5 }) },
  DeleteMetricFilter: { mutating: true, template: () => ({ logGroupName: GROUP, filterName: 'existing-filter' }) },
  TestMetricFilter: { mutating: false, template: () => ({ filterPattern: 'REJECT', logEventMessages: ['2 111122223333 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 1 2 REJECT OK'] }) },
};

const NATIVE_ROUTES: NativeRoute[] = [
  { path: '/v1/ec2/CreateFlowLogs', mutating: true, template: () => ({ ResourceType: 'VPC', ResourceIds: [VPC], TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs', LogGroupName: '/fuzz/new', MaxAggregationInterval: 60 }) },
  { path: '/v1/ec2/DescribeFlowLogs', mutating: false, template: () => ({ Filter: [obj({ Name: 'resource-id', Values: [VPC] })], MaxResults: 5 }) },
  { path: '/v1/ec2/DeleteFlowLogs', mutating: true, template: () => ({ FlowLogIds: ['fl-0123456789abcdef0'] }) },
  ...Object.entries(LOGS_TEMPLATES).map(([op, r]) => ({ path: `/v1/logs/${op}`, ...r })),
  { path: '/v1/vpcflow/Apply', mutating: true, template: (rng) => ({ Document: rng.chance(0.5) ? NETWORK_YAML : NETWORK_YAML.slice(0, rng.int(NETWORK_YAML.length)), SourceName: 'fuzz.yaml', DryRun: rng.chance(0.5), Prune: false }) },
  { path: '/v1/vpcflow/DescribeNetwork', mutating: false, template: () => ({ Account: ACCOUNT }) },
  { path: '/v1/vpcflow/Query', mutating: false, template: (rng) => ({ Sql: rng.pick(['select count(*) from flows', 'select * from flows limit 1', 'select 1', 'select * from archive_objects limit 1']) }) },
  { path: '/v1/vpcflow/CreateAccessKey', mutating: true, template: () => ({ AccountId: 'not-an-account' }) },
  { path: '/v1/vpcflow/ListAccounts', mutating: false, template: () => ({}) },
  { path: '/v1/vpcflow/DeleteAccessKey', mutating: true, template: () => ({ AccessKeyId: 'AKIA0000000000000000' }) },
  { path: '/v1/vpcflow/ExecArgs', mutating: false, template: () => ({ InstanceId: INSTANCE, Command: ['true'] }) },
  { path: '/v1/vpcflow/Tail', mutating: false, template: () => ({ logGroupName: GROUP, filterPattern: 'REJECT', startTime: 0 }) },
  { path: '/v1/metrics/GetMetricStatistics', mutating: false, template: () => ({ Namespace: 'Fuzz', MetricName: 'Rejects', StartTime: 0, EndTime: 3600, Period: 60, Statistics: ['Sum'], Dimensions: [obj({ Name: 'a', Value: 'b' })] }) },
  { path: '/v1/s3/ListBuckets', mutating: false, template: () => ({ Account: ACCOUNT }) },
  ...['DescribeVpcs', 'DescribeSubnets', 'DescribeNetworkInterfaces', 'DescribeInstances', 'DescribeSecurityGroups', 'DescribeNetworkAcls', 'DescribeTags'].map((a) => ({
    path: `/v1/ec2/${a}`, mutating: false, template: () => ({ Filters: [obj({ Name: 'vpc-id', Values: [VPC] })] }),
  })),
  ...['TrafficSeries', 'TrafficTop', 'TrafficSankey', 'TrafficEdges'].map((a) => ({
    path: `/v1/vpcflow/${a}`, mutating: false,
    template: (rng: Rng) => ({ StartTime: 0, EndTime: 3600 * 24, Filter: rng.pick(['action = REJECT', 'dstport in (22, 3389) and srcaddr in 10.0.0.0/16', 'not (protocol = 6)', '']), Metric: 'bytes', Dimensions: ['srcaddr', 'dstaddr'], Dimension: 'srcaddr', Limit: 5 }),
  })),
  { path: '/v1/vpcflow/Rejected', mutating: false, template: () => ({ StartTime: 0, EndTime: 3600 * 24, Limit: 10 }) },
  { path: '/v1/vpcflow/ListArchive', mutating: false, template: () => ({ Bucket: BUCKET, Prefix: 'AWSLogs/' }) },
  { path: '/v1/vpcflow/PreviewArchiveObject', mutating: false, template: () => ({ Bucket: BUCKET, Key: 'AWSLogs/x.log.gz', Limit: 5 }) },
  { path: '/v1/vpcflow/GetArchiveObject', mutating: false, template: () => ({ Bucket: BUCKET, Key: 'AWSLogs/x.log.gz' }) },
  { path: '/v1/console/SignIn', mutating: false, template: () => ({ AccessKeyId: 'AKIA0000000000000000', SecretAccessKey: 'wrong' }) },
  { path: '/v1/console/Session', mutating: false, template: () => ({}) },
  { path: '/v1/s3/GetBucketPolicy', mutating: false, template: () => ({ Bucket: BUCKET }) },
  { path: '/v1/s3/PutBucketPolicy', mutating: true, template: () => ({ Bucket: BUCKET, Policy: JSON.stringify({ Version: '2012-10-17', Statement: [] }) }) },
  { path: '/v1/s3/DeleteBucketPolicy', mutating: true, template: () => ({ Bucket: BUCKET }) },
];

/** SQL that must never run: the store is read through `flows` and `archive_objects` only. */
const HOSTILE_SQL = [
  "select * from read_csv('/etc/hostname')", "COPY (select 1) TO '/tmp/vpcflow-fuzz-copy.csv'", "ATTACH '/tmp/vpcflow-fuzz.db' AS x", 'INSTALL httpfs',
  'select 1; drop table flows', 'PRAGMA database_list', "select * from glob('/*')", 'drop view flows', "SET memory_limit='1GB'", 'select * from ingests',
];

// ---------------------------------------------------------------------------------------------
// AWS endpoint requests

const EC2_ACTIONS = [
  'CreateFlowLogs', 'DescribeFlowLogs', 'DeleteFlowLogs', 'CreateVpc', 'DescribeVpcs', 'DeleteVpc', 'CreateSubnet', 'DescribeSubnets', 'DeleteSubnet',
  'CreateNetworkInterface', 'DescribeNetworkInterfaces', 'DeleteNetworkInterface', 'RunInstances', 'DescribeInstances', 'TerminateInstances',
  'CreateSecurityGroup', 'AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress', 'RevokeSecurityGroupIngress', 'RevokeSecurityGroupEgress',
  'DescribeSecurityGroups', 'DeleteSecurityGroup', 'CreateNetworkAcl', 'DeleteNetworkAcl', 'CreateNetworkAclEntry', 'DeleteNetworkAclEntry',
  'ReplaceNetworkAclAssociation', 'DescribeNetworkAcls', 'CreateTags', 'DeleteTags', 'DescribeTags',
];
const EC2_PARAMS = [
  'DryRun', 'ResourceType', 'ResourceId.1', 'ResourceId.2', 'TrafficType', 'LogGroupName', 'LogDestinationType', 'LogDestination', 'LogFormat', 'MaxAggregationInterval',
  'FlowLogId.1', 'Filter.1.Name', 'Filter.1.Value.1', 'MaxResults', 'NextToken', 'VpcId', 'SubnetId', 'CidrBlock', 'Ipv6CidrBlock', 'AvailabilityZone', 'GroupId',
  'GroupName', 'GroupDescription', 'Description', 'IpPermissions.1.IpProtocol', 'IpPermissions.1.FromPort', 'IpPermissions.1.ToPort', 'IpPermissions.1.IpRanges.1.CidrIp',
  'IpPermissions.1.Groups.1.GroupId', 'NetworkAclId', 'RuleNumber', 'Protocol', 'RuleAction', 'Egress', 'PortRange.From', 'PortRange.To', 'Icmp.Code', 'Icmp.Type',
  'NetworkInterfaceId', 'PrivateIpAddress', 'InstanceId.1', 'ImageId', 'MinCount', 'MaxCount', 'TagSpecification.1.ResourceType', 'TagSpecification.1.Tag.1.Key',
  'TagSpecification.1.Tag.1.Value', 'Tag.1.Key', 'Tag.1.Value', 'AssociationId', 'DestinationOptions.FileFormat', 'ResourceId.100000000', 'ResourceId.0',
  'Filter.0.Name', 'Filter.-1.Name', 'Filter.1.Value.1.Extra', 'ResourceId', 'Filter', 'Filter.1', 'IpPermissions.99999.IpProtocol',
];
/** Valid parameters per action, so some requests get past the required members to the values. */
const EC2_VALID: Record<string, Record<string, string>> = {
  CreateFlowLogs: { ResourceType: 'VPC', 'ResourceId.1': VPC, TrafficType: 'ALL', LogGroupName: '/fuzz/aws-new' },
  DescribeFlowLogs: { 'Filter.1.Name': 'resource-id', 'Filter.1.Value.1': VPC },
  DeleteFlowLogs: { 'FlowLogId.1': 'fl-0123456789abcdef0' },
  CreateSubnet: { VpcId: VPC, CidrBlock: '10.0.9.0/24' },
  CreateSecurityGroup: { VpcId: VPC, GroupName: 'fuzz', GroupDescription: 'fuzz' },
  AuthorizeSecurityGroupIngress: { GroupId: SG, 'IpPermissions.1.IpProtocol': 'tcp', 'IpPermissions.1.FromPort': '1', 'IpPermissions.1.ToPort': '2', 'IpPermissions.1.IpRanges.1.CidrIp': '10.0.0.0/8' },
  CreateNetworkAclEntry: { NetworkAclId: ACL, RuleNumber: '200', Protocol: '6', RuleAction: 'allow', Egress: 'false', CidrBlock: '10.0.0.0/8', 'PortRange.From': '1', 'PortRange.To': '2' },
  DescribeInstances: { 'Filter.1.Name': 'vpc-id', 'Filter.1.Value.1': VPC },
  CreateTags: { 'ResourceId.1': VPC, 'Tag.1.Key': 'k', 'Tag.1.Value': 'v' },
  DeleteSubnet: { SubnetId: SUBNET },
};
const EC2_MUTATING = /^(Create|Delete|Run|Terminate|Authorize|Revoke|Replace)/;

function ec2Body(rng: Rng, steps: string[]): { body: string; mutating: boolean } {
  const action = rng.chance(0.1) ? rng.pick([...PROTO_NAMES, '', 'DescribeRegions', 'describeflowlogs', 'CreateFlowLogs ', 'Create%46lowLogs']) : rng.pick(EC2_ACTIONS);
  const params: [string, string][] = [];
  if (!rng.chance(0.05)) params.push(['Action', action]);
  if (!rng.chance(0.05)) params.push(['Version', rng.chance(0.9) ? '2016-11-15' : hostileString(rng).slice(0, 100)]);
  if (rng.chance(0.6)) params.push(...Object.entries(EC2_VALID[action] ?? {}));
  const n = rng.range(0, 6);
  for (let i = 0; i < n; i++) {
    const key = rng.chance(0.85) ? rng.pick(EC2_PARAMS) : rng.pick(PROTO_NAMES);
    const value = rng.chance(0.3) ? String(rng.pick([0, -1, 65_536, 2 ** 31, 2 ** 53, 1.5, 1e21])) : hostileString(rng);
    const at = params.findIndex(([k]) => k === key);
    if (at >= 0 && rng.chance(0.7)) params[at] = [key, value];
    else params.push([key, value]);
    steps.push(`${key}=${JSON.stringify(value).slice(0, 40)}`);
  }
  steps.unshift(`EC2 ${action}`);
  let body = new URLSearchParams(params).toString();
  if (rng.chance(0.08)) {
    body = rng.pick([`${body}&%zz=1`, `${body}&&&=&`, `${body}&Action`, '%', body.replaceAll('=', '%3D'), `${body}&${'a'.repeat(2000)}=1`, '\u0000'.repeat(10)]);
    steps.push('raw form text');
  }
  return { body, mutating: EC2_MUTATING.test(action) };
}

function logsRequest(rng: Rng, steps: string[]): { op: string; body: string; mutating: boolean } {
  const known = Object.keys(LOGS_TEMPLATES);
  const op = rng.chance(0.1) ? rng.pick([...PROTO_NAMES, '', 'PutLogEvents', 'createloggroup', 'DescribeLogGroups.x']) : rng.pick(known);
  // Own members only: an operation named `constructor` must not find Object.prototype's.
  const t = Object.hasOwn(LOGS_TEMPLATES, op) ? LOGS_TEMPLATES[op] : undefined;
  const body = text(mutateBody(t ? t.template(rng) : {}, rng, steps));
  steps.unshift(`Logs ${op}`);
  return { op, body, mutating: t?.mutating ?? false };
}

// ---------------------------------------------------------------------------------------------
// Answer checks

const EC2_ERROR = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<Response><Errors><Error><Code>([^<]+)<\/Code><Message>([^<]*)<\/Message><\/Error><\/Errors><RequestID>([^<]+)<\/RequestID><\/Response>$/;

function ec2Problem(a: RawAnswer): string | undefined {
  if (a.status >= 500) return `HTTP ${a.status}: ${a.body.slice(0, 400)}`;
  if (a.status < 400) return a.body.startsWith('<?xml') ? undefined : `HTTP ${a.status} without an XML document: ${a.body.slice(0, 200)}`;
  const m = EC2_ERROR.exec(a.body);
  if (!m) return `HTTP ${a.status} without an EC2 error document: ${a.body.slice(0, 300)}`;
  if (m[2]!.trim().length < 8) return `HTTP ${a.status} ${m[1]} without a message`;
  return undefined;
}

function logsProblem(a: RawAnswer): string | undefined {
  if (a.status >= 500) return `HTTP ${a.status}: ${a.body.slice(0, 400)}`;
  let b: Record<string, unknown>;
  try {
    b = JSON.parse(a.body) as Record<string, unknown>;
  } catch {
    return `HTTP ${a.status} with a body that is not JSON: ${a.body.slice(0, 200)}`;
  }
  if (a.status < 400) return undefined;
  if (typeof b.__type !== 'string' || !b.__type) return `HTTP ${a.status} without __type: ${a.body.slice(0, 200)}`;
  if (typeof b.message !== 'string' || b.message.trim().length < 8) return `HTTP ${a.status} ${b.__type} without a message: ${a.body.slice(0, 200)}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------

let fs: FuzzServer;
let accountKey: Credentials;

/** Everything a request could change, as the operator sees it. */
async function snapshot(): Promise<string> {
  const [network, flowLogs, groups, filters, accounts, buckets] = await Promise.all([
    fs.call('/v1/vpcflow/DescribeNetwork', { Account: ACCOUNT }),
    fs.call('/v1/ec2/DescribeFlowLogs', { Account: ACCOUNT }),
    fs.call('/v1/logs/DescribeLogGroups', { Account: ACCOUNT }),
    fs.call('/v1/logs/DescribeMetricFilters', { Account: ACCOUNT }),
    fs.call<{ Accounts: { AccountId: string; Keys: { AccessKeyId: string }[] }[] }>('/v1/vpcflow/ListAccounts', {}),
    fs.native('/v1/s3/GetBucketPolicy', JSON.stringify({ Account: ACCOUNT, Bucket: BUCKET })).then((a) => `${a.status} ${a.body}`),
  ]);
  // Last-used times of keys change with every signed request; which keys exist is what counts.
  const keys = accounts.Accounts.map((a) => ({ AccountId: a.AccountId, Keys: a.Keys.map((k) => k.AccessKeyId) }));
  return JSON.stringify({ network, flowLogs, groups, filters, keys, buckets });
}

before(async () => {
  fs = new FuzzServer();
  await fs.start();
  await fs.call('/v1/vpcflow/Apply', { Document: NETWORK_YAML, SourceName: 'network.yaml' });
  const created = await fs.call<{ AccessKey: { AccessKeyId: string; SecretAccessKey: string } }>('/v1/vpcflow/CreateAccessKey', { AccountId: ACCOUNT });
  accountKey = { accessKeyId: created.AccessKey.AccessKeyId, secretAccessKey: created.AccessKey.SecretAccessKey };
  // Something to protect: a flow log, a log group with a metric filter.
  await fs.call('/v1/ec2/CreateFlowLogs', { ResourceType: 'VPC', ResourceIds: [VPC], TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs', LogGroupName: GROUP });
  await fs.call('/v1/logs/CreateLogGroup', { logGroupName: GROUP });
  await fs.call('/v1/logs/PutMetricFilter', { logGroupName: GROUP, filterName: 'existing-filter', filterPattern: 'REJECT', metricTransformations: [{ metricName: 'R', metricNamespace: 'Fuzz', metricValue: '1' }] });
});

after(async () => {
  await fs?.stop();
});

/**
 * Runs the cases of one protocol: each request's answer checked, the server's health after it, and
 * for a refused request that would change something, the snapshot before and after.
 */
async function fuzzRequests(
  t: { diagnostic: (s: string) => void },
  part: string,
  n: number,
  make: (rng: Rng, steps: string[]) => Promise<{ answer: RawAnswer; problem: string | undefined; mutating: boolean; input: string }>,
): Promise<void> {
  const failures = new Failures(SUITE, part);
  let state = await snapshot();
  const tally = { ok: 0, refused: 0 };
  for (const i of caseIndices(n)) {
    const rng = new Rng(SEED, part, i);
    const steps: string[] = [];
    let r;
    try {
      r = await make(rng, steps);
    } catch (e) {
      failures.add(i, `${steps.join(', ')}: no answer: ${(e as Error).message}`, JSON.stringify(steps), 'txt');
      break;
    }
    if (r.answer.status < 400) tally.ok++;
    else tally.refused++;
    if (r.problem) failures.add(i, `${steps.join(', ')}: ${r.problem}`, r.input, 'txt');
    if (r.mutating) {
      const now = await snapshot();
      if (r.answer.status >= 400 && now !== state) failures.add(i, `${steps.join(', ')}: refused (HTTP ${r.answer.status}: ${r.answer.body.slice(0, 200)}) but the account changed`, r.input, 'txt');
      state = now;
    }
    if (!(await fs.healthy())) {
      failures.add(i, `${steps.join(', ')}: /v1/health stopped answering`, r.input, 'txt');
      break;
    }
  }
  t.diagnostic(`${part}: ${tally.ok} answered 2xx, ${tally.refused} refused`);
  failures.assertNone();
}

/** A list nested this deep is 100 kB of JSON: JSON.parse reads it, a recursive walk over it overflows the stack. */
const CORPUS_DEPTH = 50_000;

test('corpus: a value nested 50 000 deep in each member of each route (native and CloudWatch Logs JSON) is refused below 500', { timeout: 10 * 60_000 }, async (t) => {
  if (ONLY_CASE !== undefined) return;
  const failures = new Failures(SUITE, 'corpus');
  const deepValue: J = { raw: '['.repeat(CORPUS_DEPTH) + ']'.repeat(CORPUS_DEPTH) };
  const rng = new Rng(SEED, 'corpus', 0);
  let sent = 0;
  const state = await snapshot();
  for (const route of NATIVE_ROUTES) {
    for (const member of Object.keys(route.template(rng))) {
      const body = text(obj({ ...route.template(rng), [member]: deepValue }));
      const a = await fs.native(route.path, body);
      sent++;
      const problem = nativeErrorProblem(a);
      if (problem) failures.add(`${route.path.slice(4).replaceAll('/', '-')}-${member}`, `POST ${route.path} with ${member} nested ${CORPUS_DEPTH} deep: ${problem}`, body, 'json');
    }
  }
  for (const [op, r] of Object.entries(LOGS_TEMPLATES)) {
    for (const member of Object.keys(r.template(rng))) {
      const body = text(obj({ ...r.template(rng), [member]: deepValue }));
      const a = await fs.signed('logs', '/', {}, { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `Logs_20140328.${op}` }, Buffer.from(body, 'utf8'), accountKey);
      sent++;
      const problem = logsProblem(a);
      if (problem) failures.add(`aws-logs-${op}-${member}`, `CloudWatch Logs ${op} with ${member} nested ${CORPUS_DEPTH} deep: ${problem}`, body, 'json');
    }
  }
  assert.ok(await fs.healthy(), 'the server stopped serving');
  if ((await snapshot()) !== state) failures.add('corpus', 'refused requests changed the account', '', 'txt');
  t.diagnostic(`corpus: ${sent} requests`);
  failures.assertNone();
});

test('native /v1 routes: malformed bodies signed with the operator key are answered below 500 with a code and a message, and a refusal changes nothing', { timeout: 20 * 60_000 }, async (t) => {
  t.diagnostic(seedLine(SUITE, { native: NATIVE_CASES, aws: AWS_CASES }));
  await fuzzRequests(t, 'native', NATIVE_CASES, async (rng, steps) => {
    const kind = rng.weighted([[12, 'route'], [1, 'unknown'], [1, 'sql']] as const);
    let path: string;
    let body: string;
    let mutating = false;
    let mustRefuse = false;
    if (kind === 'unknown') {
      path = rng.pick(['/v1/ec2/', '/v1/logs/', '/v1/vpcflow/', '/v1/nope', '/v1/ec2/%00', ...PROTO_NAMES.map((p) => `/v1/${rng.pick(['ec2', 'logs', 'vpcflow'])}/${p}`)]);
      body = text(mutateBody({}, rng, steps));
    } else if (kind === 'sql') {
      path = '/v1/vpcflow/Query';
      body = JSON.stringify({ Sql: rng.pick(HOSTILE_SQL) });
      mustRefuse = true;
    } else {
      const route = rng.pick(NATIVE_ROUTES);
      path = route.path;
      mutating = route.mutating;
      const b = mutateBody(route.template(rng), rng, steps);
      // Tail with follow:true streams until the client leaves: keep the fuzzed ones finite.
      if (path.endsWith('/Tail') && typeof b === 'object' && b !== null && 'obj' in b) b.obj = b.obj.filter(([k]) => k !== 'follow');
      body = text(b);
    }
    steps.unshift(`POST ${path}`);
    // A query string must be well-formed UTF-16 to be signed at all (SigV4 percent-encodes it): drop lone surrogates.
    const query: Record<string, string> = rng.chance(0.1) ? { account: Array.from(hostileString(rng)).filter((ch) => !(ch.length === 1 && ch >= '\ud800' && ch <= '\udfff')).slice(0, 100).join('') } : {};
    const answer = await fs.native(path, body, undefined, query);
    let problem = nativeErrorProblem(answer);
    if (!problem && answer.status < 400 && !path.endsWith('/Tail')) {
      try {
        JSON.parse(answer.body);
      } catch {
        problem = `HTTP ${answer.status} with a body that is not JSON: ${answer.body.slice(0, 200)}`;
      }
    }
    if (!problem && mustRefuse && answer.status < 400) problem = `SQL outside the sandbox ran: ${answer.body.slice(0, 200)}`;
    return { answer, problem, mutating, input: `POST ${path}${Object.keys(query).length ? `?${new URLSearchParams(query)}` : ''}\n\n${body}` };
  });
});

test('AWS endpoint (EC2 Query, CloudWatch Logs JSON): malformed requests signed with an account key are answered below 500 in their protocol\'s error shape, and a refusal changes nothing', { timeout: 20 * 60_000 }, async (t) => {
  await fuzzRequests(t, 'aws', AWS_CASES, async (rng, steps) => {
    if (rng.chance(0.5)) {
      const { body, mutating } = ec2Body(rng, steps);
      const answer = await fs.signed('ec2', '/', {}, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, Buffer.from(body, 'utf8'), accountKey);
      return { answer, problem: ec2Problem(answer), mutating, input: body };
    }
    const { op, body, mutating } = logsRequest(rng, steps);
    const answer = await fs.signed('logs', '/', {}, { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `Logs_20140328.${op}` }, Buffer.from(body, 'utf8'), accountKey);
    return { answer, problem: logsProblem(answer), mutating, input: `X-Amz-Target: Logs_20140328.${op}\n\n${body}` };
  });
});

test('after the fuzzed requests: still serving, no internal error logged, RSS bounded', async (t) => {
  assert.ok(await fs.healthy());
  const rss = fs.rssKb();
  t.diagnostic(`server RSS ${(rss / 1024).toFixed(0)} MiB`);
  assert.deepEqual(fs.internalErrors(), [], 'the server logged internal errors');
  assert.ok(rss < 1024 * 1024, `server RSS ${rss} kB`);
});
