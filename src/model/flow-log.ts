// Flow log resources and CreateFlowLogs validation (spec §5.2): what AWS accepts, the errors it
// answers for the whole request (thrown as ApiError) and per resource (the `unsuccessful` list).
// Deliberate differences from AWS are listed at validateCreateFlowLogs.

import { DEFAULT_FORMAT, LogFormatError, parseLogFormat, type FieldName } from '../records/index.ts';
import { logGroupArn, logGroupNameProblem, parseLogGroupArn, parseS3Arn, roleArnProblem } from './arns.ts';
import { ApiError } from './errors.ts';
import { defaultIdGenerator, isResourceId, type IdGenerator, type ResourceKind } from './ids.ts';
import { partitionOf } from './regions.ts';
import { tagProblems, type Tag } from './tags.ts';

export type FlowLogResourceType = 'VPC' | 'Subnet' | 'NetworkInterface';
export type TrafficType = 'ACCEPT' | 'REJECT' | 'ALL';
export type LogDestinationType = 'cloud-watch-logs' | 's3';
export type FileFormat = 'plain-text' | 'parquet';

export interface DestinationOptions {
  readonly fileFormat: FileFormat;
  readonly hiveCompatiblePartitions: boolean;
  readonly perHourPartition: boolean;
}

export interface TagFieldSpecification {
  readonly resourceType: 'network-interface' | 'instance' | 'auto-scaling-group';
  /** 1–2 keys: the first fills `*-tag`, the second `*-tag-2`. */
  readonly tagKeys: readonly string[];
}

export interface FlowLog {
  readonly flowLogId: string;
  readonly accountId: string;
  readonly region: string;
  readonly resourceType: FlowLogResourceType;
  readonly resourceId: string;
  readonly trafficType: TrafficType;
  readonly logDestinationType: LogDestinationType;
  /** CloudWatch Logs destinations only. */
  readonly logGroupName?: string;
  /** The destination ARN (for CloudWatch Logs built from the group name when only that was given). */
  readonly logDestination: string;
  readonly deliverLogsPermissionArn?: string;
  readonly logFormat: string;
  readonly fields: readonly FieldName[];
  readonly version: number;
  readonly maxAggregationInterval: number;
  /** S3 destinations only, defaults filled in. */
  readonly destinationOptions?: DestinationOptions;
  readonly tagFieldSpecifications?: readonly TagFieldSpecification[];
  readonly tags: readonly Tag[];
  /** Epoch milliseconds. */
  readonly creationTime: number;
  readonly deliverLogsStatus: 'SUCCESS' | 'FAILED';
  readonly deliverLogsErrorMessage?: string;
  readonly flowLogStatus: 'ACTIVE';
  /** The idempotency token of the request that created it, if any. */
  readonly clientToken?: string;
}

export interface UnsuccessfulItem {
  readonly resourceId: string;
  readonly code: string;
  readonly message: string;
}

export interface CreateFlowLogsContext {
  readonly accountId: string;
  readonly region: string;
  /** Flow logs of the account that already exist. */
  readonly existing: readonly FlowLog[];
  readonly resourceExists: (type: FlowLogResourceType, id: string) => boolean;
  readonly now: () => number;
  readonly idGenerator?: IdGenerator;
  /** Accept MaxAggregationInterval 1–59 (a vpcflow extension for tests and demos). */
  readonly allowShortIntervals?: boolean;
  /** Flow logs per monitored resource (AWS's quota; default 250). */
  readonly maxFlowLogsPerResource?: number;
  /** ResourceIds per request (default 1000). */
  readonly maxResourceIds?: number;
}

export interface CreateFlowLogsResult {
  /** New flow logs to store, one per accepted resource. */
  readonly valid: FlowLog[];
  readonly unsuccessful: UnsuccessfulItem[];
  /** A repeated request (same ClientToken, same parameters): the flow logs it created the first time. Nothing new to store. */
  readonly replayed: FlowLog[];
}

const RESOURCE_KIND: Readonly<Record<FlowLogResourceType, ResourceKind>> = { VPC: 'vpc', Subnet: 'subnet', NetworkInterface: 'network-interface' };
const NOT_FOUND: Readonly<Record<FlowLogResourceType, [code: string, noun: string]>> = {
  VPC: ['InvalidVpcID.NotFound', 'vpc'],
  Subnet: ['InvalidSubnetID.NotFound', 'subnet'],
  NetworkInterface: ['InvalidNetworkInterfaceID.NotFound', 'networkInterface'],
};
const MALFORMED: Readonly<Record<FlowLogResourceType, [code: string, prefix: string]>> = {
  VPC: ['InvalidVpcID.Malformed', 'vpc-'],
  Subnet: ['InvalidSubnetID.Malformed', 'subnet-'],
  NetworkInterface: ['InvalidNetworkInterfaceId.Malformed', 'eni-'],
};
const UNSUPPORTED_RESOURCE_TYPES = ['TransitGateway', 'TransitGatewayAttachment', 'RegionalNatGateway'];

const KNOWN_MEMBERS = new Set([
  'ClientToken', 'DeliverCrossAccountRole', 'DeliverLogsPermissionArn', 'DestinationOptions', 'DryRun', 'LogDestination', 'LogDestinationType',
  'LogFormat', 'LogGroupName', 'MaxAggregationInterval', 'ResourceIds', 'ResourceType', 'TagSpecifications', 'TagFieldSpecifications', 'TrafficType',
  // Not EC2 members: the native API names the acting account in the body.
  'Account',
]);

const invalid = (message: string): ApiError => new ApiError('InvalidParameter', message);
const invalidValue = (message: string): ApiError => new ApiError('InvalidParameterValue', message);
const missing = (name: string): ApiError => new ApiError('MissingParameter', `The request must contain the parameter ${name}`);

const absent = (v: unknown): boolean => v === undefined || v === null;

/**
 * A member's value as EC2 echoes it in an error: its text, cut short. String() of a list calls its
 * toString, which recurses (a list 50 000 deep overflowed the stack); layer 0 cannot use platform's
 * describeValue, so a value that is not text is named by its type.
 */
function valueText(value: unknown): string {
  // Cut before a high surrogate whose pair would be left behind: a lone half is no valid XML character.
  if (typeof value === 'string') return value.length > 60 ? `${value.slice(0, (value.charCodeAt(59) & 0xfc00) === 0xd800 ? 59 : 60)}…` : value;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'a structure';
  return typeof value === 'symbol' ? 'a symbol' : String(value);
}

function optionalString(request: Record<string, unknown>, name: string): string | undefined {
  const v = request[name];
  if (absent(v)) return undefined;
  if (typeof v !== 'string') throw invalidValue(`Value for parameter ${name} must be a string`);
  return v;
}

function optionalBoolean(value: unknown, name: string): boolean | undefined {
  if (absent(value)) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw invalidValue(`Value (${valueText(value)}) for parameter ${name} is invalid. Expected true or false`);
}

function stringList(value: unknown, name: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw invalidValue(`Value for parameter ${name} must be a list of strings`);
  return value as string[];
}

function parseInterval(value: unknown, allowShort: boolean): number {
  if (absent(value)) return 600;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (n === 60 || n === 600) return n;
  if (allowShort && Number.isInteger(n) && n >= 1 && n <= 59) return n;
  throw invalid('Invalid Flow Log Max Aggregation Interval');
}

function parseDestinationOptions(value: unknown): DestinationOptions {
  if (absent(value)) return { fileFormat: 'plain-text', hiveCompatiblePartitions: false, perHourPartition: false };
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidValue('DestinationOptions must be a structure');
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!['FileFormat', 'HiveCompatiblePartitions', 'PerHourPartition'].includes(k)) throw new ApiError('UnknownParameter', `The parameter DestinationOptions.${k} is not recognized`);
  }
  const format = o.FileFormat;
  if (!absent(format) && format !== 'plain-text' && format !== 'parquet') {
    throw invalidValue(`Value (${valueText(format)}) for parameter DestinationOptions.FileFormat is invalid. Valid values: plain-text, parquet`);
  }
  return {
    fileFormat: (format as FileFormat | undefined) ?? 'plain-text',
    hiveCompatiblePartitions: optionalBoolean(o.HiveCompatiblePartitions, 'DestinationOptions.HiveCompatiblePartitions') ?? false,
    perHourPartition: optionalBoolean(o.PerHourPartition, 'DestinationOptions.PerHourPartition') ?? false,
  };
}

function parseTagSpecifications(value: unknown): Tag[] {
  if (absent(value)) return [];
  if (!Array.isArray(value)) throw invalidValue('TagSpecifications must be a list');
  const tags: Tag[] = [];
  let seenType = false;
  for (const spec of value) {
    if (typeof spec !== 'object' || spec === null) throw invalidValue('each TagSpecification must be a structure');
    const s = spec as Record<string, unknown>;
    if (s.ResourceType !== 'vpc-flow-log') throw invalidValue(`'${valueText(s.ResourceType)}' is not a valid taggable resource type for this operation.`);
    if (seenType) throw invalidValue('The same resource type may not be specified more than once in tag specifications');
    seenType = true;
    const list = s.Tags ?? s.Tag;
    if (absent(list)) continue;
    if (!Array.isArray(list)) throw invalidValue('TagSpecification.Tags must be a list');
    for (const t of list) {
      const tag = t as Record<string, unknown> | null;
      if (!tag || typeof tag.Key !== 'string' || !(absent(tag.Value) || typeof tag.Value === 'string')) throw invalidValue('each tag needs a string Key and an optional string Value');
      tags.push({ Key: tag.Key, Value: (tag.Value as string | undefined) ?? '' });
    }
  }
  const problem = tagProblems(tags)[0];
  if (problem) throw new ApiError(problem.code, problem.message);
  return tags;
}

function parseTagFieldSpecifications(value: unknown): TagFieldSpecification[] | undefined {
  if (absent(value)) return undefined;
  if (!Array.isArray(value) || value.length < 1 || value.length > 3) throw invalidValue('TagFieldSpecifications must list 1 to 3 specifications');
  const seen = new Set<string>();
  return value.map((spec) => {
    const s = (spec ?? {}) as Record<string, unknown>;
    const type = s.ResourceType;
    if (type !== 'network-interface' && type !== 'instance' && type !== 'auto-scaling-group') {
      throw invalidValue(`Value (${valueText(type)}) for parameter TagFieldSpecification.ResourceType is invalid. Valid values: network-interface, instance, auto-scaling-group`);
    }
    if (seen.has(type)) throw invalidValue(`TagFieldSpecification.ResourceType ${type} is given more than once`);
    seen.add(type);
    const keys = stringList(s.TagKeys ?? s.TagKey, 'TagFieldSpecification.TagKeys');
    if (keys.length < 1 || keys.length > 2 || keys.some((k) => k.length < 1 || k.length > 128)) {
      throw invalidValue('TagFieldSpecification.TagKeys must list 1 or 2 keys of 1 to 128 characters');
    }
    return { resourceType: type, tagKeys: keys };
  });
}

/** Where a flow log delivers, reduced to what makes two destinations the same. */
export function destinationKey(fl: Pick<FlowLog, 'logDestinationType' | 'logDestination' | 'logGroupName'>): string {
  if (fl.logDestinationType === 'cloud-watch-logs') return `cwl:${fl.logGroupName ?? fl.logDestination}`;
  const p = parseS3Arn(fl.logDestination);
  return p.ok ? `s3:${p.value.bucket}/${p.value.prefix}` : `s3:${fl.logDestination}`;
}

/** S3's limit on an object key (UTF-8 bytes, bucket name excluded); the local archive enforces it too. */
export const S3_MAX_KEY_BYTES = 1024;
/** The local archive's marker for files being written (platform/object-store-local.ts): keys holding it are refused there. */
export const LOCAL_ARCHIVE_TEMP_MARKER = '.vpcflow-tmp-';
/** The local archive keeps each key segment as a file or directory name, which Linux file systems limit to 255 bytes. */
export const LOCAL_ARCHIVE_MAX_SEGMENT_BYTES = 255;
/** The longest flow log id: `fl-` and 17 hex digits. */
const FLOW_LOG_ID_MAX_LENGTH = 'fl-'.length + 17;

const utf8 = new TextEncoder();
const utf8Bytes = (text: string): number => utf8.encode(text).length;

/**
 * The bytes the archive layout (destinations/archive/layout.ts) puts after the folder in the
 * longest object key this flow log can write: its AWSLogs/… folder (account, region, options) and
 * the file name with the longest flow log id, a four-digit year and its format's extension.
 * Every other part of the key has a fixed width, so folder bytes + this is the longest key.
 */
export function archiveKeyOverheadBytes(accountId: string, region: string, options: DestinationOptions): number {
  const yyyy = '0000';
  const nn = '00';
  const folder = options.hiveCompatiblePartitions
    ? `AWSLogs/aws-account-id=${accountId}/aws-service=vpcflowlogs/aws-region=${region}/year=${yyyy}/month=${nn}/day=${nn}/` + (options.perHourPartition ? `hour=${nn}/` : '')
    : `AWSLogs/${accountId}/vpcflowlogs/${region}/${yyyy}/${nn}/${nn}/` + (options.perHourPartition ? `${nn}/` : '');
  const extension = options.fileFormat === 'parquet' ? 'log.parquet' : 'log.gz';
  const file = `${accountId}_vpcflowlogs_${region}_${'f'.repeat(FLOW_LOG_ID_MAX_LENGTH)}_${yyyy}${nn}${nn}T${nn}${nn}Z_${'0'.repeat(8)}.${extension}`;
  return utf8Bytes(folder + file);
}

const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** Bucket name prefixes S3 reserves beyond those parseS3Arn knows (platform/object-store.ts refuses them on write). */
const RESERVED_BUCKET_PREFIXES = ['amzn-s3-demo-'];

const shown = (text: string): string => JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);

/** Characters no S3 key (nor a readable error message) should carry; checked on the whole ARN, before it is parsed. */
function textProblem(arn: string): string | undefined {
  const control = CONTROL_CHARACTER.exec(arn);
  if (control) return `the ARN may not contain control or line break characters (U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} at character ${control.index + 1})`;
  const surrogate = LONE_SURROGATE.exec(arn);
  if (surrogate) return `the ARN is not valid Unicode text (an unpaired surrogate at character ${surrogate.index + 1})`;
  return undefined;
}

/**
 * Why an S3 destination parseS3Arn accepted could still never be written, or undefined: the archive
 * would only find out at the first delivery (a FAILED flow log), so creation refuses it instead.
 * parseS3Arn collapses repeated slashes; here the folder as written may have no empty segment
 * (one trailing '/' is AWS's documented form), no segment too long for the local archive's file
 * names, not the local archive's temp-file marker, and must leave the longest key within S3's 1024 bytes.
 */
function s3DestinationProblem(arn: string, parsed: { bucket: string; prefix: string }, accountId: string, region: string, options: DestinationOptions): string | undefined {
  for (const p of RESERVED_BUCKET_PREFIXES) if (parsed.bucket.startsWith(p)) return `bucket name '${parsed.bucket}' may not start with the reserved prefix ${p}`;
  const slash = arn.indexOf('/', arn.indexOf(':::') + 3);
  const folder = slash < 0 ? '' : arn.slice(slash + 1);
  if (folder !== '') {
    const body = folder.endsWith('/') ? folder.slice(0, -1) : folder;
    const empty = body.split('/').findIndex((s) => s === '');
    if (empty >= 0) return `the folder ${shown(folder)} has an empty segment ('//', or a '/' right after the bucket name) at segment ${empty + 1}; S3 keys would get a double slash`;
  }
  const segments = parsed.prefix === '' ? [] : parsed.prefix.slice(0, -1).split('/');
  const long = segments.findIndex((seg) => utf8Bytes(seg) > LOCAL_ARCHIVE_MAX_SEGMENT_BYTES);
  if (long >= 0) {
    return `folder segment ${long + 1} (${shown(segments[long]!)}) is ${utf8Bytes(segments[long]!)} bytes; the local archive keeps each segment as a directory name, at most ${LOCAL_ARCHIVE_MAX_SEGMENT_BYTES} bytes`;
  }
  if (folder.includes(LOCAL_ARCHIVE_TEMP_MARKER)) return `the folder may not contain '${LOCAL_ARCHIVE_TEMP_MARKER}', which vpcflow's local archive reserves for files being written`;
  const overhead = archiveKeyOverheadBytes(accountId, region, options);
  const folderBytes = utf8Bytes(parsed.prefix);
  if (folderBytes + overhead > S3_MAX_KEY_BYTES) {
    return `the folder ${shown(parsed.prefix)} is ${folderBytes} bytes (UTF-8); with the ${overhead} bytes of AWSLogs/… folders and file name the archive adds for these destination options, ` +
      `object keys would exceed S3's ${S3_MAX_KEY_BYTES}-byte limit: at most ${S3_MAX_KEY_BYTES - overhead} bytes of folder fit`;
  }
  return undefined;
}

interface Destination {
  type: LogDestinationType;
  logDestination: string;
  logGroupName?: string;
  permissionArn?: string;
  options?: DestinationOptions;
}

function parseDestination(request: Record<string, unknown>, ctx: CreateFlowLogsContext): Destination {
  const type = optionalString(request, 'LogDestinationType') ?? 'cloud-watch-logs';
  if (type === 'kinesis-data-firehose') throw invalidValue('LogDestinationType kinesis-data-firehose is not supported by vpcflow; use cloud-watch-logs or s3');
  if (type !== 'cloud-watch-logs' && type !== 's3') throw invalidValue(`Value (${type}) for parameter LogDestinationType is invalid. Valid values: cloud-watch-logs, s3, kinesis-data-firehose`);
  const groupName = optionalString(request, 'LogGroupName');
  const destination = optionalString(request, 'LogDestination');
  const permissionArn = optionalString(request, 'DeliverLogsPermissionArn');
  if (!absent(request.DeliverCrossAccountRole)) throw invalidValue('DeliverCrossAccountRole is only used with kinesis-data-firehose, which vpcflow does not support');
  if (groupName !== undefined && type !== 'cloud-watch-logs') throw invalid('LogDestination type must be cloud-watch-logs if LogGroupName is provided.');
  if (groupName === undefined && destination === undefined) throw invalid("LogDestination can't be empty if LogGroupName is not provided.");
  if (permissionArn !== undefined) {
    if (type === 's3') throw invalid('DeliverLogsPermissionArn is not applicable for s3 delivery.');
    const problem = roleArnProblem(permissionArn);
    if (problem) throw invalid(`DeliverLogsPermissionArn: ${problem}`);
  }
  if (type === 's3') {
    const text = textProblem(destination!);
    if (text) throw invalid(`LogDestination: ${text}`);
    const parsed = parseS3Arn(destination!);
    if (!parsed.ok) throw invalid(`LogDestination: ${parsed.reason}`);
    const options = parseDestinationOptions(request.DestinationOptions);
    const problem = s3DestinationProblem(destination!, parsed.value, ctx.accountId, ctx.region, options);
    if (problem) throw invalid(`LogDestination: ${problem}`);
    return { type, logDestination: destination!, options };
  }
  if (!absent(request.DestinationOptions)) throw invalid('DestinationOptions is only supported when LogDestinationType is s3.');
  if (groupName !== undefined && destination !== undefined) throw invalid('Please only provide LogGroupName or only provide LogDestination.');
  let name = groupName;
  if (destination !== undefined) {
    const parsed = parseLogGroupArn(destination);
    if (!parsed.ok) throw invalid(`LogDestination: ${parsed.reason}`);
    if (parsed.value.account !== ctx.accountId || parsed.value.region !== ctx.region) {
      throw invalid(`LogDestination: the log group must be in account ${ctx.accountId}, region ${ctx.region} (cross-account and cross-region delivery are not supported)`);
    }
    name = parsed.value.logGroupName;
  }
  const problem = logGroupNameProblem(name!);
  if (problem) throw invalid(`LogGroupName: ${problem}`);
  return {
    type, logGroupName: name!, logDestination: logGroupArn(partitionOf(ctx.region), ctx.region, ctx.accountId, name!),
    ...(permissionArn !== undefined ? { permissionArn } : {}),
  };
}

/** The parameters two requests with one ClientToken must share to be the same request. */
function sameParameters(fl: FlowLog, probe: Omit<FlowLog, 'flowLogId' | 'resourceId' | 'creationTime' | 'deliverLogsStatus' | 'flowLogStatus' | 'deliverLogsErrorMessage'>): boolean {
  const pick = (f: typeof probe) => JSON.stringify([f.resourceType, f.trafficType, f.logDestinationType, f.logDestination, f.logGroupName, f.deliverLogsPermissionArn,
    f.logFormat, f.maxAggregationInterval, f.destinationOptions, f.tagFieldSpecifications, f.tags]);
  return pick(fl) === pick(probe);
}

/**
 * Validates a CreateFlowLogs request (EC2 API member names, JSON values) and returns the flow logs
 * to create plus the resources refused one by one. Request-wide problems throw ApiError.
 *
 * Deliberate differences from AWS: DeliverLogsPermissionArn is optional for CloudWatch Logs (there
 * is no IAM here; its shape is still checked); kinesis-data-firehose and transit gateway resource
 * types are refused; CloudWatch log groups must be in the request's own account and region;
 * MaxAggregationInterval 1–59 is accepted when `allowShortIntervals` is set.
 */
export function validateCreateFlowLogs(request: Record<string, unknown>, ctx: CreateFlowLogsContext): CreateFlowLogsResult {
  for (const k of Object.keys(request)) if (!KNOWN_MEMBERS.has(k)) throw new ApiError('UnknownParameter', `The parameter ${k} is not recognized`);
  const resourceType = optionalString(request, 'ResourceType');
  if (resourceType === undefined) throw missing('ResourceType');
  if (UNSUPPORTED_RESOURCE_TYPES.includes(resourceType)) throw invalidValue(`ResourceType ${resourceType} is not supported by vpcflow; use VPC, Subnet or NetworkInterface`);
  if (!(resourceType in RESOURCE_KIND)) throw invalidValue(`Value (${resourceType}) for parameter ResourceType is invalid. Valid values: VPC, Subnet, NetworkInterface, TransitGateway, TransitGatewayAttachment, RegionalNatGateway`);
  const type = resourceType as FlowLogResourceType;
  if (absent(request.ResourceIds) || (Array.isArray(request.ResourceIds) && request.ResourceIds.length === 0)) throw missing('ResourceId');
  const resourceIds = stringList(request.ResourceIds, 'ResourceIds');
  const maxIds = ctx.maxResourceIds ?? 1000;
  if (resourceIds.length > maxIds) throw invalidValue(`The maximum number of resource IDs per request is ${maxIds}; ${resourceIds.length} were given`);
  const trafficType = optionalString(request, 'TrafficType');
  if (trafficType === undefined) throw missing('TrafficType');
  if (trafficType !== 'ACCEPT' && trafficType !== 'REJECT' && trafficType !== 'ALL') throw invalidValue(`Value (${trafficType}) for parameter TrafficType is invalid. Valid values: ACCEPT, REJECT, ALL`);
  const destination = parseDestination(request, ctx);
  const formatText = optionalString(request, 'LogFormat') ?? DEFAULT_FORMAT;
  let format;
  try {
    format = parseLogFormat(formatText);
  } catch (e) {
    if (e instanceof LogFormatError) throw new ApiError('InvalidParameter', e.message, 400, { detail: e.detail, position: e.position, ...(e.token ? { token: e.token } : {}) });
    throw e;
  }
  const maxAggregationInterval = parseInterval(request.MaxAggregationInterval, ctx.allowShortIntervals === true);
  const tags = parseTagSpecifications(request.TagSpecifications);
  const tagFieldSpecifications = parseTagFieldSpecifications(request.TagFieldSpecifications);
  const clientToken = optionalString(request, 'ClientToken');
  if (clientToken !== undefined && (clientToken.length > 64 || !/^[\x20-\x7e]*$/.test(clientToken))) throw invalidValue('ClientToken must be at most 64 ASCII characters');
  const [malformedCode, prefix] = MALFORMED[type];
  for (const id of resourceIds) {
    if (!isResourceId(RESOURCE_KIND[type], id)) throw new ApiError(malformedCode, `Invalid id: "${id}" (expecting "${prefix}...")`);
  }

  const template = {
    accountId: ctx.accountId, region: ctx.region, resourceType: type, trafficType: trafficType as TrafficType,
    logDestinationType: destination.type, logDestination: destination.logDestination,
    ...(destination.logGroupName !== undefined ? { logGroupName: destination.logGroupName } : {}),
    ...(destination.permissionArn !== undefined ? { deliverLogsPermissionArn: destination.permissionArn } : {}),
    logFormat: format.text, fields: format.fields, version: format.version, maxAggregationInterval,
    ...(destination.options ? { destinationOptions: destination.options } : {}),
    ...(tagFieldSpecifications ? { tagFieldSpecifications } : {}),
    tags,
    ...(clientToken !== undefined ? { clientToken } : {}),
  };

  if (clientToken !== undefined) {
    const earlier = ctx.existing.filter((f) => f.clientToken === clientToken);
    if (earlier.length > 0) {
      const sameIds = new Set(resourceIds);
      if (earlier.every((f) => sameParameters(f, template) && sameIds.has(f.resourceId))) {
        if (request.DryRun === true || request.DryRun === 'true') throw dryRun();
        return { valid: [], unsuccessful: [], replayed: earlier };
      }
      throw new ApiError('IdempotentParameterMismatch', `The client token ${clientToken} was already used with different parameters`);
    }
  }
  if (optionalBoolean(request.DryRun, 'DryRun')) throw dryRun();

  const generate = ctx.idGenerator ?? defaultIdGenerator;
  const taken = new Set(ctx.existing.map((f) => f.flowLogId));
  const limit = ctx.maxFlowLogsPerResource ?? 250;
  const key = destinationKey(template);
  const now = ctx.now();
  const valid: FlowLog[] = [];
  const unsuccessful: UnsuccessfulItem[] = [];
  const [notFoundCode, noun] = NOT_FOUND[type];
  for (const resourceId of resourceIds) {
    if (!ctx.resourceExists(type, resourceId)) {
      unsuccessful.push({ resourceId, code: notFoundCode, message: `The ${noun} ID '${resourceId}' does not exist` });
      continue;
    }
    const onResource = [...ctx.existing, ...valid].filter((f) => f.resourceId === resourceId);
    if (onResource.some((f) => destinationKey(f) === key)) {
      unsuccessful.push({ resourceId, code: 'FlowLogAlreadyExists', message: 'Error. There is an existing Flow Log with the same configuration and log destination.' });
      continue;
    }
    if (onResource.length >= limit) {
      unsuccessful.push({ resourceId, code: 'FlowLogsLimitExceeded', message: `The maximum number of flow logs (${limit}) for resource ${resourceId} has been reached` });
      continue;
    }
    let flowLogId = generate('flow-log');
    for (let i = 0; taken.has(flowLogId); i++) {
      if (i > 1000) throw new Error('the id generator keeps returning flow log ids that are in use');
      flowLogId = generate('flow-log');
    }
    taken.add(flowLogId);
    valid.push({ ...template, flowLogId, resourceId, creationTime: now, deliverLogsStatus: 'SUCCESS', flowLogStatus: 'ACTIVE' });
  }
  return { valid, unsuccessful, replayed: [] };
}

const dryRun = (): ApiError => new ApiError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
