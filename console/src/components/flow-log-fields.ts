// What the flow log pages need to know about flow logs beyond the API: the record fields in AWS's
// order (imported from the server's own table, so the picker can never list a field the server
// refuses), the shape checks the form makes before asking the server, and how a DescribeFlowLogs
// item is worded in a table. The server stays the judge: these checks only catch typos early.

import { DEFAULT_FIELDS, FIELDS } from '../../../src/records/fields.ts';

/** Every field a VPC flow log record can carry, in AWS's documentation order. */
export const FIELD_NAMES: readonly string[] = FIELDS.map((f) => f.name);
/** The record version that introduced each field (shown next to it in the picker). */
export const FIELD_VERSION: ReadonlyMap<string, number> = new Map(FIELDS.map((f) => [f.name, f.version]));
/** AWS's default format: the 14 version-2 fields. */
export const DEFAULT_FIELD_NAMES: readonly string[] = DEFAULT_FIELDS;

export const formatOf = (fields: readonly string[]): string => fields.map((f) => '${' + f + '}').join(' ');
export const DEFAULT_LOG_FORMAT = formatOf(DEFAULT_FIELD_NAMES);

/**
 * The field names a format text references, in order; tokens that are not a `${name}` are left
 * out (the server says what is wrong with them). One pass over the text.
 */
export function fieldsOfFormat(text: string): string[] {
  const out: string[] = [];
  for (const token of text.split(' ')) {
    if (token.length > 3 && token.startsWith('${') && token.endsWith('}')) out.push(token.slice(2, -1));
  }
  return out;
}

/** The format text with one field added at the end or removed (every occurrence), spacing kept single. */
export function toggleField(text: string, field: string, on: boolean): string {
  const tokens = text.split(' ').filter((t) => t !== '');
  const ref = '${' + field + '}';
  if (on) return tokens.includes(ref) ? tokens.join(' ') : [...tokens, ref].join(' ');
  return tokens.filter((t) => t !== ref).join(' ');
}

/**
 * The form's check of an IAM role ARN: `arn:aws:iam::<12 digits>:role/<name>`. Deliberately looser
 * than the server's (which also checks the characters of the path and name): what passes here and
 * is still wrong comes back from CreateFlowLogs and is shown on the same field.
 */
export function roleArnProblem(arn: string): string | undefined {
  if (/^arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:role\/\S+$/.test(arn)) return undefined;
  if (/^arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:(?!role\/)/.test(arn)) return 'This ARN is not a role: an IAM role ARN has the form arn:aws:iam::123456789012:role/name.';
  return 'Enter an IAM role ARN of the form arn:aws:iam::123456789012:role/name (12-digit account id).';
}

/** The form's check of an S3 bucket ARN (the folder goes in its own field). */
export function bucketArnProblem(arn: string): string | undefined {
  if (/^arn:aws(?:-[a-z]+)*:s3:::[^/\s]+$/.test(arn)) return undefined;
  if (/^arn:aws(?:-[a-z]+)*:s3:::[^/\s]+\//.test(arn)) return 'Give the bucket ARN without a folder (arn:aws:s3:::bucket) and put the folder in Subfolder.';
  return 'Enter an S3 bucket ARN of the form arn:aws:s3:::bucket-name.';
}

/** CloudWatch Logs group names: 1–512 of letters, digits, `_ - / . #` (the log store's rule). */
export function logGroupNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'Choose a log group, or type the name of a new one.';
  if (name.length > 512) return 'A log group name has at most 512 characters.';
  if (!/^[A-Za-z0-9_\-/.#]+$/.test(name)) return 'A log group name may contain only letters, digits and _ - / . #';
  return undefined;
}

export interface Tag {
  Key: string;
  Value: string;
}

/** A DescribeFlowLogs item, as the server answers it (AWS's member names). */
export interface FlowLogItem {
  FlowLogId: string;
  ResourceId: string;
  TrafficType: string;
  LogDestinationType: string;
  LogDestination?: string;
  LogGroupName?: string;
  DeliverLogsPermissionArn?: string;
  LogFormat: string;
  MaxAggregationInterval: number;
  FlowLogStatus: string;
  DeliverLogsStatus: string;
  DeliverLogsErrorMessage?: string;
  CreationTime: string;
  Tags?: Tag[];
  DestinationOptions?: { FileFormat: string; HiveCompatiblePartitions: boolean; PerHourPartition: boolean };
}

export const DESTINATION_TYPE_LABEL: Readonly<Record<string, string>> = {
  'cloud-watch-logs': 'CloudWatch Logs',
  s3: 'S3',
  'kinesis-data-firehose': 'Amazon Data Firehose',
};

export function intervalLabel(seconds: number): string {
  if (seconds === 60) return '1 minute';
  if (seconds === 600) return '10 minutes';
  return `${seconds} seconds`;
}

export function destinationName(fl: FlowLogItem): string {
  return fl.LogDestinationType === 'cloud-watch-logs' ? (fl.LogGroupName ?? fl.LogDestination ?? '') : (fl.LogDestination ?? '');
}

/** The console page of the resource a flow log is attached to, from its id's prefix. */
export function resourcePath(resourceId: string): string[] | undefined {
  if (resourceId.startsWith('vpc-')) return ['vpcs', resourceId];
  if (resourceId.startsWith('subnet-')) return ['subnets', resourceId];
  if (resourceId.startsWith('eni-')) return ['network-interfaces', resourceId];
  return undefined;
}

export type FlowLogResourceType = 'VPC' | 'Subnet' | 'NetworkInterface';
/** `noun`: the type inside a sentence; `kind`: the console's list of such resources. */
export const RESOURCE_TYPES: readonly { type: FlowLogResourceType; label: string; noun: string; kind: string }[] = [
  { type: 'VPC', label: 'VPC', noun: 'VPC', kind: 'vpcs' },
  { type: 'Subnet', label: 'Subnet', noun: 'subnet', kind: 'subnets' },
  { type: 'NetworkInterface', label: 'Network interface', noun: 'network interface', kind: 'network-interfaces' },
];
