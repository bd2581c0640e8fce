import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FORMAT } from '../records/index.ts';
import { ApiError } from './errors.ts';
import { validateCreateFlowLogs, type CreateFlowLogsContext, type FlowLog } from './flow-log.ts';
import { sequentialIdGenerator } from './ids.ts';

const EXISTING = new Set(['vpc-11111111', 'subnet-11111111', 'eni-11111111', 'eni-22222222']);
const NOW = Date.UTC(2024, 0, 2, 3, 4, 5, 678);

function ctx(over: Partial<CreateFlowLogsContext> = {}): CreateFlowLogsContext {
  return {
    accountId: '123456789101',
    region: 'us-east-1',
    existing: [],
    resourceExists: (_type, id) => EXISTING.has(id),
    now: () => NOW,
    idGenerator: sequentialIdGenerator(),
    ...over,
  };
}

const cwl = (over: Record<string, unknown> = {}) => ({ ResourceType: 'VPC', ResourceIds: ['vpc-11111111'], TrafficType: 'ALL', LogGroupName: 'my-flow-logs', ...over });
const s3 = (over: Record<string, unknown> = {}) => ({ ResourceType: 'VPC', ResourceIds: ['vpc-11111111'], TrafficType: 'ALL', LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::my-log-bucket/my-logs/', ...over });

function rejects(request: Record<string, unknown>, code: string, message?: string | RegExp, c: CreateFlowLogsContext = ctx()): void {
  assert.throws(
    () => validateCreateFlowLogs(request, c),
    (e: unknown) => {
      assert.ok(e instanceof ApiError, String(e));
      assert.equal(e.code, code, e.message);
      if (typeof message === 'string') assert.equal(e.message, message);
      else if (message) assert.match(e.message, message);
      return true;
    },
  );
}

test('a CloudWatch Logs flow log gets AWS\'s defaults and the log group ARN', () => {
  const { valid, unsuccessful } = validateCreateFlowLogs(cwl(), ctx());
  assert.deepEqual(unsuccessful, []);
  assert.deepEqual(valid, [
    {
      accountId: '123456789101', region: 'us-east-1', resourceType: 'VPC', trafficType: 'ALL', logDestinationType: 'cloud-watch-logs',
      logDestination: 'arn:aws:logs:us-east-1:123456789101:log-group:my-flow-logs', logGroupName: 'my-flow-logs',
      logFormat: '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}',
      fields: ['version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'action', 'log-status'],
      version: 2, maxAggregationInterval: 600, tags: [],
      flowLogId: 'fl-00000000000000001', resourceId: 'vpc-11111111', creationTime: NOW, deliverLogsStatus: 'SUCCESS', flowLogStatus: 'ACTIVE',
    } satisfies FlowLog,
  ]);
});

test('AWS\'s documented CreateFlowLogs sample is accepted (LogDestination ARN + role)', () => {
  const { valid } = validateCreateFlowLogs({
    ResourceType: 'NetworkInterface', TrafficType: 'REJECT', ResourceIds: ['eni-11111111'],
    DeliverLogsPermissionArn: 'arn:aws:iam::123456789101:role/publishFlowLogs',
    LogDestinationType: 'cloud-watch-logs', LogDestination: 'arn:aws:logs:us-east-1:123456789101:log-group:my-flow-logs',
  }, ctx());
  assert.equal(valid[0]!.logGroupName, 'my-flow-logs');
  assert.equal(valid[0]!.deliverLogsPermissionArn, 'arn:aws:iam::123456789101:role/publishFlowLogs');
  assert.equal(valid[0]!.trafficType, 'REJECT');
});

test('an S3 flow log keeps its ARN, fills destination options, and takes a custom format', () => {
  const format = '${version} ${instance-id} ${interface-id} ${type} ${pkt-srcaddr} ${pkt-dstaddr} ${protocol} ${bytes} ${start} ${end} ${action}';
  const { valid } = validateCreateFlowLogs(s3({ LogFormat: format, MaxAggregationInterval: 60, DestinationOptions: { FileFormat: 'parquet', PerHourPartition: 'true' } }), ctx());
  const fl = valid[0]!;
  assert.equal(fl.logDestination, 'arn:aws:s3:::my-log-bucket/my-logs/');
  assert.equal(fl.logGroupName, undefined);
  assert.deepEqual(fl.destinationOptions, { fileFormat: 'parquet', hiveCompatiblePartitions: false, perHourPartition: true });
  assert.equal(fl.logFormat, format);
  assert.equal(fl.version, 3);
  assert.equal(fl.maxAggregationInterval, 60);
  assert.deepEqual(validateCreateFlowLogs(s3(), ctx()).valid[0]!.destinationOptions, { fileFormat: 'plain-text', hiveCompatiblePartitions: false, perHourPartition: false });
});

test('one flow log per resource id; unknown resources go to unsuccessful with their NotFound code', () => {
  const vpc = validateCreateFlowLogs(cwl({ ResourceIds: ['vpc-11111111', 'vpc-99999999'] }), ctx());
  assert.equal(vpc.valid.length, 1);
  assert.deepEqual(vpc.unsuccessful, [{ resourceId: 'vpc-99999999', code: 'InvalidVpcID.NotFound', message: "The vpc ID 'vpc-99999999' does not exist" }]);
  const subnet = validateCreateFlowLogs(cwl({ ResourceType: 'Subnet', ResourceIds: ['subnet-99999999'] }), ctx());
  assert.equal(subnet.unsuccessful[0]!.code, 'InvalidSubnetID.NotFound');
  const eni = validateCreateFlowLogs(cwl({ ResourceType: 'NetworkInterface', ResourceIds: ['eni-11111111', 'eni-22222222', 'eni-99999999'] }), ctx());
  assert.deepEqual(eni.valid.map((f) => f.flowLogId), ['fl-00000000000000001', 'fl-00000000000000002']);
  assert.deepEqual(eni.unsuccessful.map((u) => [u.resourceId, u.code]), [['eni-99999999', 'InvalidNetworkInterfaceID.NotFound']]);
});

test('required parameters (MissingParameter)', () => {
  rejects(cwl({ ResourceType: undefined }), 'MissingParameter', 'The request must contain the parameter ResourceType');
  rejects(cwl({ ResourceIds: [] }), 'MissingParameter', 'The request must contain the parameter ResourceId');
  rejects(cwl({ ResourceIds: undefined }), 'MissingParameter');
  rejects(cwl({ TrafficType: undefined }), 'MissingParameter', 'The request must contain the parameter TrafficType');
});

test('the validation table of spec §5.2 (InvalidParameter texts)', () => {
  rejects(cwl({ MaxAggregationInterval: 300 }), 'InvalidParameter', 'Invalid Flow Log Max Aggregation Interval');
  rejects(cwl({ LogGroupName: undefined }), 'InvalidParameter', "LogDestination can't be empty if LogGroupName is not provided.");
  rejects(s3({ LogGroupName: 'x' }), 'InvalidParameter', 'LogDestination type must be cloud-watch-logs if LogGroupName is provided.');
  rejects(cwl({ LogDestination: 'arn:aws:logs:us-east-1:123456789101:log-group:x' }), 'InvalidParameter', 'Please only provide LogGroupName or only provide LogDestination.');
  rejects(cwl({ LogFormat: '${version} ${nope}' }), 'InvalidParameter', "1 validation error detected: Value '${version} ${nope}' at 'logFormat' has an invalid format");
  rejects(cwl({ DestinationOptions: { FileFormat: 'parquet' } }), 'InvalidParameter', /only supported when LogDestinationType is s3/);
  rejects(s3({ DeliverLogsPermissionArn: 'arn:aws:iam::123456789101:role/x' }), 'InvalidParameter', /not applicable for s3/);
  rejects(cwl({ DeliverLogsPermissionArn: 'role/x' }), 'InvalidParameter', /IAM role ARN/);
});

test('enumerated values are checked', () => {
  rejects(cwl({ ResourceType: 'Vpc' }), 'InvalidParameterValue', /ResourceType is invalid/);
  rejects(cwl({ ResourceType: 'TransitGateway' }), 'InvalidParameterValue', /not supported by vpcflow/);
  rejects(cwl({ TrafficType: 'all' }), 'InvalidParameterValue', /TrafficType is invalid/);
  rejects(cwl({ LogDestinationType: 'kinesis-data-firehose' }), 'InvalidParameterValue', /not supported/);
  rejects(cwl({ LogDestinationType: 'ftp' }), 'InvalidParameterValue');
  rejects(s3({ DestinationOptions: { FileFormat: 'csv' } }), 'InvalidParameterValue', /FileFormat/);
  rejects(s3({ DestinationOptions: { HiveCompatiblePartitions: 'yes' } }), 'InvalidParameterValue');
  rejects(s3({ DestinationOptions: { Compression: 'gzip' } }), 'UnknownParameter');
  rejects(cwl({ ResourceIds: 'vpc-11111111' }), 'InvalidParameterValue');
  rejects(cwl({ Bogus: 1 }), 'UnknownParameter', 'The parameter Bogus is not recognized');
});

test('destination shapes: S3 bucket rules, AWSLogs folder, log group names and ARNs', () => {
  rejects(s3({ LogDestination: 'arn:aws:s3:::my-log-bucket/AWSLogs/' }), 'InvalidParameter', /AWSLogs/);
  rejects(s3({ LogDestination: 'arn:aws:s3:::My_Bucket' }), 'InvalidParameter', /bucket name/);
  rejects(s3({ LogDestination: 'my-log-bucket' }), 'InvalidParameter', /not an S3 bucket ARN/);
  rejects(s3({ LogDestination: undefined }), 'InvalidParameter', "LogDestination can't be empty if LogGroupName is not provided.");
  rejects(cwl({ LogGroupName: 'bad name!' }), 'InvalidParameter', /log group name/);
  rejects(cwl({ LogGroupName: undefined, LogDestination: 'arn:aws:s3:::bucket' }), 'InvalidParameter', /not a log group ARN/);
  rejects(cwl({ LogGroupName: undefined, LogDestination: 'arn:aws:logs:eu-west-1:123456789101:log-group:x' }), 'InvalidParameter', /region us-east-1/);
});

test('malformed resource ids reject the whole request with the type\'s Malformed code', () => {
  rejects(cwl({ ResourceIds: ['vpc-11111111', 'subnet-11111111'] }), 'InvalidVpcID.Malformed', 'Invalid id: "subnet-11111111" (expecting "vpc-...")');
  rejects(cwl({ ResourceType: 'Subnet', ResourceIds: ['subnet-xyz'] }), 'InvalidSubnetID.Malformed');
  rejects(cwl({ ResourceType: 'NetworkInterface', ResourceIds: ['eni-1'] }), 'InvalidNetworkInterfaceId.Malformed');
});

test('at most 1000 resource ids (configurable)', () => {
  const ids = Array.from({ length: 1001 }, (_, i) => `vpc-${i.toString(16).padStart(8, '0')}`);
  rejects(cwl({ ResourceIds: ids }), 'InvalidParameterValue', /1000/);
  rejects(cwl({ ResourceIds: ids.slice(0, 3) }), 'InvalidParameterValue', /2/, ctx({ maxResourceIds: 2 }));
});

test('MaxAggregationInterval: 60 or 600; 1–59 only with allowShortIntervals', () => {
  assert.equal(validateCreateFlowLogs(cwl({ MaxAggregationInterval: '60' }), ctx()).valid[0]!.maxAggregationInterval, 60);
  rejects(cwl({ MaxAggregationInterval: 10 }), 'InvalidParameter', 'Invalid Flow Log Max Aggregation Interval');
  assert.equal(validateCreateFlowLogs(cwl({ MaxAggregationInterval: 10 }), ctx({ allowShortIntervals: true })).valid[0]!.maxAggregationInterval, 10);
  rejects(cwl({ MaxAggregationInterval: 0 }), 'InvalidParameter', undefined, ctx({ allowShortIntervals: true }));
  rejects(cwl({ MaxAggregationInterval: 61 }), 'InvalidParameter', undefined, ctx({ allowShortIntervals: true }));
  rejects(cwl({ MaxAggregationInterval: 1.5 }), 'InvalidParameter', undefined, ctx({ allowShortIntervals: true }));
});

test('FlowLogAlreadyExists: same resource and same destination; another destination is fine', () => {
  const first = validateCreateFlowLogs(s3(), ctx()).valid;
  const again = validateCreateFlowLogs(s3({ LogDestination: 'arn:aws:s3:::my-log-bucket/my-logs' }), ctx({ existing: first }));
  assert.deepEqual(again.valid, []);
  assert.deepEqual(again.unsuccessful, [{ resourceId: 'vpc-11111111', code: 'FlowLogAlreadyExists', message: 'Error. There is an existing Flow Log with the same configuration and log destination.' }]);
  const elsewhere = validateCreateFlowLogs(s3({ LogDestination: 'arn:aws:s3:::my-log-bucket/other/' }), ctx({ existing: first }));
  assert.equal(elsewhere.valid.length, 1);
  const cw = validateCreateFlowLogs(cwl(), ctx({ existing: first }));
  assert.equal(cw.valid.length, 1);
  // The same resource named twice in one request.
  const twice = validateCreateFlowLogs(cwl({ ResourceIds: ['vpc-11111111', 'vpc-11111111'] }), ctx());
  assert.equal(twice.valid.length, 1);
  assert.equal(twice.unsuccessful[0]!.code, 'FlowLogAlreadyExists');
});

test('FlowLogsLimitExceeded once a resource has the configured number of flow logs', () => {
  const existing = validateCreateFlowLogs(cwl({ LogGroupName: 'a' }), ctx()).valid;
  const second = validateCreateFlowLogs(cwl({ LogGroupName: 'b' }), ctx({ existing, maxFlowLogsPerResource: 1, idGenerator: sequentialIdGenerator(1) }));
  assert.deepEqual(second.valid, []);
  assert.equal(second.unsuccessful[0]!.code, 'FlowLogsLimitExceeded');
});

test('tags: TagSpecifications with ResourceType vpc-flow-log, EC2 tag rules', () => {
  const spec = (tags: unknown, type = 'vpc-flow-log') => cwl({ TagSpecifications: [{ ResourceType: type, Tags: tags }] });
  assert.deepEqual(validateCreateFlowLogs(spec([{ Key: 'Name', Value: 'FlowsForVpcA' }]), ctx()).valid[0]!.tags, [{ Key: 'Name', Value: 'FlowsForVpcA' }]);
  rejects(spec([{ Key: 'Name', Value: 'x' }], 'instance'), 'InvalidParameterValue', /not a valid taggable resource type/);
  rejects(spec([{ Key: 'aws:x', Value: 'x' }]), 'InvalidParameterValue', /aws:/);
  rejects(spec([{ Key: 'k'.repeat(128), Value: 'x' }]), 'InvalidParameterValue', /127/);
  rejects(spec(Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: '' }))), 'TagLimitExceeded');
  rejects(cwl({ TagSpecifications: [{ ResourceType: 'vpc-flow-log', Tags: [] }, { ResourceType: 'vpc-flow-log', Tags: [] }] }), 'InvalidParameterValue', /more than once/);
});

test('TagFieldSpecifications are validated and kept', () => {
  const fl = validateCreateFlowLogs(cwl({ TagFieldSpecifications: [{ ResourceType: 'instance', TagKeys: ['Team', 'Env'] }] }), ctx()).valid[0]!;
  assert.deepEqual(fl.tagFieldSpecifications, [{ resourceType: 'instance', tagKeys: ['Team', 'Env'] }]);
  rejects(cwl({ TagFieldSpecifications: [{ ResourceType: 'vpc', TagKeys: ['a'] }] }), 'InvalidParameterValue');
  rejects(cwl({ TagFieldSpecifications: [{ ResourceType: 'instance', TagKeys: ['a', 'b', 'c'] }] }), 'InvalidParameterValue');
});

test('ClientToken: a repeated request returns the first result; different parameters are a mismatch', () => {
  const first = validateCreateFlowLogs(cwl({ ClientToken: 'tok-1' }), ctx());
  assert.equal(first.valid[0]!.clientToken, 'tok-1');
  const again = validateCreateFlowLogs(cwl({ ClientToken: 'tok-1' }), ctx({ existing: first.valid }));
  assert.deepEqual(again, { valid: [], unsuccessful: [], replayed: first.valid });
  rejects(cwl({ ClientToken: 'tok-1', TrafficType: 'ACCEPT' }), 'IdempotentParameterMismatch', undefined, ctx({ existing: first.valid }));
  rejects(cwl({ ClientToken: 'x'.repeat(65) }), 'InvalidParameterValue', /64/);
});

test('DryRun answers DryRunOperation after validation and creates nothing', () => {
  rejects(cwl({ DryRun: true }), 'DryRunOperation', 'Request would have succeeded, but DryRun flag is set.');
  rejects(cwl({ DryRun: true, TrafficType: 'bad' }), 'InvalidParameterValue');
});

test('the default format is AWS\'s v2 format, as records/ defines it', () => {
  assert.equal(validateCreateFlowLogs(cwl(), ctx()).valid[0]!.logFormat, DEFAULT_FORMAT);
});

test('the native API\'s Account member is tolerated', () => {
  assert.equal(validateCreateFlowLogs(cwl({ Account: '123456789101' }), ctx()).valid.length, 1);
});

test('S3 folders that could never be written are refused at creation (InvalidParameter, LogDestination: …)', () => {
  const folder = (f: string, message: RegExp) => rejects(s3({ LogDestination: `arn:aws:s3:::my-log-bucket/${f}` }), 'InvalidParameter', message);
  folder('a//b/', /^LogDestination: the folder "a\/\/b\/" has an empty segment .* at segment 2/);
  folder('/a/', /^LogDestination: .*empty segment .* at segment 1/);
  folder('/', /empty segment/);
  folder('a/b//', /empty segment .* at segment 3/);
  // Characters are counted in the whole ARN: 'arn:aws:s3:::my-log-bucket/' is 27 long.
  folder('logs\n/', /^LogDestination: the ARN may not contain control or line break characters \(U\+000A at character 32\)$/);
  folder('a\x7fb', /U\+007F at character 29/);
  folder('a\u0085b', /U\+0085/);
  folder('a\u2028b', /U\+2028/);
  folder('a\ud800b/', /^LogDestination: the ARN is not valid Unicode text \(an unpaired surrogate at character 29\)$/);
  folder('a\udc00', /unpaired surrogate at character 29/);
  folder(`ok/${'é'.repeat(128)}/`, /^LogDestination: folder segment 2 \("é+…"\) is 256 bytes; the local archive keeps each segment as a directory name, at most 255 bytes$/);
  folder('x/.vpcflow-tmp-1/', /may not contain '\.vpcflow-tmp-', which vpcflow's local archive reserves/);
  // AWS reserves AWSLogs as a folder name anywhere in the folder; '.' and '..' would alias other folders.
  folder('AWSLogs', /AWSLogs is reserved/);
  folder('a/AWSLogs/b/', /AWSLogs is reserved/);
  folder('a/../b/', /'\.\.' segment/);
  folder('./b/', /'\.' segment/);
  rejects(s3({ LogDestination: 'arn:aws:s3:::amzn-s3-demo-bucket/x/' }), 'InvalidParameter', /^LogDestination: bucket name 'amzn-s3-demo-bucket' may not start with the reserved prefix amzn-s3-demo-$/);
  // AWS's documented forms stay accepted: one trailing slash, none, or no folder at all.
  for (const d of ['arn:aws:s3:::my-log-bucket/my-logs/', 'arn:aws:s3:::my-log-bucket/my-logs', 'arn:aws:s3:::my-log-bucket', 'arn:aws:s3:::my-log-bucket/', 'arn:aws:s3:::my-log-bucket/a.b/c..d/AWSLogsArchive/日本/']) {
    assert.equal(validateCreateFlowLogs(s3({ LogDestination: d }), ctx()).valid.length, 1, d);
  }
});

test('an S3 folder is refused when the longest object key it leads to would pass S3\'s 1024 bytes', () => {
  // Longest keys after the folder, from AWS's documented layout with a 17-digit flow log id, account
  // 123456789101 and us-east-1: `AWSLogs/ACCOUNT/vpcflowlogs/REGION/YYYY/MM/DD/` (54 bytes) +
  // `ACCOUNT_vpcflowlogs_REGION_fl-…_YYYYMMDDTHHmmZ_hash.log.gz` (86) = 140; Hive folders, the
  // hour and Parquet's longer extension add 53 + 8 + 5 = 206.
  // A folder of exactly `bytes` UTF-8 bytes (its final '/' included) in segments of 241 bytes: 3-byte
  // characters pass the 512-character folder limit, short segments the local archive's 255-byte names.
  const withFolder = (bytes: number) => {
    let folder = '';
    while (bytes - new TextEncoder().encode(folder).length > 241) folder += `${'日'.repeat(80)}/`;
    const rest = bytes - new TextEncoder().encode(folder).length - 1;
    return `arn:aws:s3:::my-log-bucket/${folder}${'日'.repeat(Math.floor(rest / 3))}${'a'.repeat(rest % 3)}/`;
  };
  assert.equal(new TextEncoder().encode(withFolder(884).slice('arn:aws:s3:::my-log-bucket/'.length)).length, 884);
  assert.equal(validateCreateFlowLogs(s3({ LogDestination: withFolder(1024 - 140) }), ctx()).valid.length, 1);
  rejects(s3({ LogDestination: withFolder(1024 - 140 + 1) }), 'InvalidParameter',
    /^LogDestination: the folder "日+…" is 885 bytes \(UTF-8\); with the 140 bytes .* at most 884 bytes of folder fit$/);
  const everything = { FileFormat: 'parquet', HiveCompatiblePartitions: true, PerHourPartition: true };
  assert.equal(validateCreateFlowLogs(s3({ LogDestination: withFolder(1024 - 206), DestinationOptions: everything }), ctx()).valid.length, 1);
  rejects(s3({ LogDestination: withFolder(1024 - 206 + 1), DestinationOptions: everything }), 'InvalidParameter', /with the 206 bytes .* at most 818 bytes/);
  // The region is in the key twice with Hive folders: a longer one leaves less room.
  rejects(s3({ LogDestination: withFolder(1024 - 206), DestinationOptions: everything }), 'InvalidParameter', /with the 216 bytes/, ctx({ region: 'ap-southeast-2' }));
});
