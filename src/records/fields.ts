// Every field a VPC flow log record can carry, in AWS's documentation order, with the record
// version that introduced it and the type AWS uses when it delivers Parquet.

export type ParquetType = 'INT_32' | 'INT_64' | 'STRING';

export interface FieldSpec {
  readonly name: string;
  readonly version: number;
  readonly parquet: ParquetType;
}

const f = (name: string, version: number, parquet: ParquetType): FieldSpec => ({ name, version, parquet });

export const FIELDS = [
  f('version', 2, 'INT_32'),
  f('account-id', 2, 'STRING'),
  f('interface-id', 2, 'STRING'),
  f('srcaddr', 2, 'STRING'),
  f('dstaddr', 2, 'STRING'),
  f('srcport', 2, 'INT_32'),
  f('dstport', 2, 'INT_32'),
  f('protocol', 2, 'INT_32'),
  f('packets', 2, 'INT_64'),
  f('bytes', 2, 'INT_64'),
  f('start', 2, 'INT_64'),
  f('end', 2, 'INT_64'),
  f('action', 2, 'STRING'),
  f('log-status', 2, 'STRING'),
  f('vpc-id', 3, 'STRING'),
  f('subnet-id', 3, 'STRING'),
  f('instance-id', 3, 'STRING'),
  f('tcp-flags', 3, 'INT_32'),
  f('type', 3, 'STRING'),
  f('pkt-srcaddr', 3, 'STRING'),
  f('pkt-dstaddr', 3, 'STRING'),
  f('region', 4, 'STRING'),
  f('az-id', 4, 'STRING'),
  f('sublocation-type', 4, 'STRING'),
  f('sublocation-id', 4, 'STRING'),
  f('pkt-src-aws-service', 5, 'STRING'),
  f('pkt-dst-aws-service', 5, 'STRING'),
  f('flow-direction', 5, 'STRING'),
  f('traffic-path', 5, 'INT_32'),
  f('ecs-cluster-arn', 7, 'STRING'),
  f('ecs-cluster-name', 7, 'STRING'),
  f('ecs-container-instance-arn', 7, 'STRING'),
  f('ecs-container-instance-id', 7, 'STRING'),
  f('ecs-container-id', 7, 'STRING'),
  f('ecs-second-container-id', 7, 'STRING'),
  f('ecs-service-name', 7, 'STRING'),
  f('ecs-task-definition-arn', 7, 'STRING'),
  f('ecs-task-arn', 7, 'STRING'),
  f('ecs-task-id', 7, 'STRING'),
  f('reject-reason', 8, 'STRING'),
  f('resource-id', 9, 'STRING'),
  f('encryption-status', 10, 'INT_32'),
  f('instance-tag', 11, 'STRING'),
  f('instance-tag-2', 11, 'STRING'),
  f('interface-tag', 11, 'STRING'),
  f('interface-tag-2', 11, 'STRING'),
  f('asg-tag', 11, 'STRING'),
  f('asg-tag-2', 11, 'STRING'),
  f('interface-type', 11, 'STRING'),
  f('next-hop-interface-id', 11, 'STRING'),
  f('next-hop-subnet-id', 11, 'STRING'),
  f('next-hop-az-id', 11, 'STRING'),
  f('next-hop-vpc-id', 11, 'STRING'),
  f('next-hop-interface-type', 11, 'STRING'),
] as const satisfies readonly FieldSpec[];

export type FieldName = (typeof FIELDS)[number]['name'];

/** A field's value; null is AWS's '-' (not applicable or unknown). Integer fields hold numbers. */
export type FieldValue = string | number | null;

/** One flow log record: any subset of fields; an absent field renders as '-'. */
export type FlowRecord = { [K in FieldName]?: FieldValue };

export const FIELD_BY_NAME: ReadonlyMap<string, FieldSpec> = new Map(FIELDS.map((s) => [s.name, s]));

/** AWS's column name for a field in Athena tables and Parquet files: hyphens become underscores. */
export const columnName = (field: string): string => field.replaceAll('-', '_');

export const DEFAULT_FIELDS: readonly FieldName[] = FIELDS.filter((s) => s.version === 2).map((s) => s.name);

export const DEFAULT_FORMAT = DEFAULT_FIELDS.map((n) => '${' + n + '}').join(' ');

export const isFieldName = (name: string): name is FieldName => FIELD_BY_NAME.has(name);

/**
 * Field names that exist only in Transit Gateway flow logs (a separate AWS record set, out of
 * scope here). Known so that errors can say why such a name is refused instead of "unknown".
 */
export const TRANSIT_GATEWAY_ONLY_FIELDS: ReadonlySet<string> = new Set([
  'resource-type',
  'tgw-id',
  'tgw-attachment-id',
  'tgw-src-vpc-account-id',
  'tgw-dst-vpc-account-id',
  'tgw-src-vpc-id',
  'tgw-dst-vpc-id',
  'tgw-src-subnet-id',
  'tgw-dst-subnet-id',
  'tgw-src-eni',
  'tgw-dst-eni',
  'tgw-src-az-id',
  'tgw-dst-az-id',
  'tgw-pair-attachment-id',
  'packets-lost-no-route',
  'packets-lost-blackhole',
  'packets-lost-mtu-exceeded',
  'packets-lost-ttl-expired',
]);
