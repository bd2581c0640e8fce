// The CloudWatch Logs JSON 1.1 protocol: `X-Amz-Target: Logs_20140328.<Operation>` with a JSON
// body of lower-camel members, dispatched to the log store for the caller's account; errors are
// `{"__type": code, "message": …}`. Covers what the aws CLI's `logs` commands (and `logs tail
// [--follow]`, which polls FilterLogEvents) and its metric-filter commands send.

import type { LogStore } from '../../destinations/logstore/index.ts';
import type { MetricFilterStore } from '../../metrics/index.ts';
import { describeValue } from '../../platform/errors.ts';
import { AwsProtocolError } from './errors.ts';

export const LOGS_TARGET_PREFIX = 'Logs_20140328.';
export const LOGS_CONTENT_TYPE = 'application/x-amz-json-1.1';

export interface LogsRequest {
  operation: string;
  input: Record<string, unknown>;
}

type Input = Record<string, unknown>;
/** The log store and the metric filters that consume its events: what the Logs operations act on. */
export interface LogsServices {
  readonly logStore: LogStore;
  readonly metrics: MetricFilterStore;
}

type LogsHandler = (services: LogsServices, accountId: string, input: Input) => Promise<unknown>;

const invalid = (message: string): AwsProtocolError => new AwsProtocolError('InvalidParameterException', message);
const serialization = (message: string): AwsProtocolError => new AwsProtocolError('SerializationException', message);
const notNull = (key: string): AwsProtocolError => invalid(`1 validation error detected: Value null at '${key}' failed to satisfy constraint: Member must not be null`);
const absent = (v: unknown): boolean => v === undefined || v === null;

function optString(b: Input, key: string): string | undefined {
  const v = b[key];
  if (absent(v)) return undefined;
  if (typeof v !== 'string') throw serialization(`'${key}' must be a string, got ${describeValue(v)}`);
  return v;
}

function reqString(b: Input, key: string): string {
  const v = optString(b, key);
  if (v === undefined) throw notNull(key);
  return v;
}

function optInt(b: Input, key: string, min = 0): number | undefined {
  const v = b[key];
  if (absent(v)) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw serialization(`'${key}' must be an integer, got ${describeValue(v)}`);
  if (v < min) throw invalid(`1 validation error detected: Value '${v}' at '${key}' failed to satisfy constraint: Member must have value greater than or equal to ${min}`);
  return v;
}

function optBool(b: Input, key: string): boolean | undefined {
  const v = b[key];
  if (absent(v)) return undefined;
  if (typeof v !== 'boolean') throw serialization(`'${key}' must be a boolean, got ${describeValue(v)}`);
  return v;
}

function optStringList(b: Input, key: string): string[] | undefined {
  const v = b[key];
  if (absent(v)) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw serialization(`'${key}' must be a list of strings`);
  return v as string[];
}

/** Members AWS defines that would change what the call does, which the log store cannot honour. */
function refuseUnsupported(b: Input, members: Record<string, (v: unknown) => boolean>): void {
  for (const [key, acceptable] of Object.entries(members)) {
    if (!absent(b[key]) && !acceptable(b[key])) throw invalid(`The parameter ${key} (${describeValue(b[key])}) is not supported by this endpoint`);
  }
}

const ARN_GROUP = /^arn:[a-z-]+:logs:([a-z0-9-]+):(\d{12}):log-group:([^:]+)(?::\*)?$/;

/**
 * The group an operation names: `logGroupName`, or `logGroupIdentifier` (a name or an ARN). An
 * ARN of another account gets the same answer as a group that does not exist, so accounts cannot
 * probe each other.
 */
function groupOf(b: Input, accountId: string): string {
  const name = optString(b, 'logGroupName');
  const identifier = optString(b, 'logGroupIdentifier');
  if (name !== undefined && identifier !== undefined) throw invalid('LogGroup name and LogGroup ARN are mutually exclusive parameters.');
  if (name !== undefined) return name;
  if (identifier === undefined) throw invalid('Should provide either name or ARN of LogGroup.');
  if (!identifier.startsWith('arn:')) return identifier;
  const m = ARN_GROUP.exec(identifier);
  if (!m) throw invalid(`1 validation error detected: Value '${identifier}' at 'logGroupIdentifier' failed to satisfy constraint: Member must be a log group name or ARN`);
  if (m[2] !== accountId) throw new AwsProtocolError('ResourceNotFoundException', 'The specified log group does not exist.');
  return m[3]!;
}

const empty = async (work: Promise<void>): Promise<Record<string, never>> => {
  await work;
  return {};
};

// A Map: an operation named by the caller must never find an inherited member (`constructor`, `toString`).
const OPERATIONS: ReadonlyMap<string, LogsHandler> = new Map(Object.entries({
  CreateLogGroup: (services, account, b) => {
    refuseUnsupported(b, { kmsKeyId: () => false, tags: (v) => typeof v === 'object' && Object.keys(v as object).length === 0, logGroupClass: (v) => v === 'STANDARD', deletionProtectionEnabled: (v) => v === false });
    return empty(services.logStore.createLogGroup(account, reqString(b, 'logGroupName')));
  },
  DeleteLogGroup: (services, account, b) => empty(services.logStore.deleteLogGroup(account, reqString(b, 'logGroupName'))),
  PutRetentionPolicy: (services, account, b) => {
    const days = optInt(b, 'retentionInDays', Number.MIN_SAFE_INTEGER);
    if (days === undefined) throw notNull('retentionInDays');
    return empty(services.logStore.putRetentionPolicy(account, reqString(b, 'logGroupName'), days));
  },
  DeleteRetentionPolicy: (services, account, b) => empty(services.logStore.deleteRetentionPolicy(account, reqString(b, 'logGroupName'))),
  DescribeLogGroups: (services, account, b) => {
    refuseUnsupported(b, { accountIdentifiers: () => false, logGroupIdentifiers: () => false, logGroupClass: (v) => v === 'STANDARD' });
    return services.logStore.describeLogGroups(account, {
      prefix: optString(b, 'logGroupNamePrefix'), pattern: optString(b, 'logGroupNamePattern'), limit: optInt(b, 'limit', 1), nextToken: optString(b, 'nextToken'),
    });
  },
  DescribeLogStreams: (services, account, b) =>
    services.logStore.describeLogStreams(account, groupOf(b, account), {
      prefix: optString(b, 'logStreamNamePrefix'), orderBy: optString(b, 'orderBy'), descending: optBool(b, 'descending'), limit: optInt(b, 'limit', 1), nextToken: optString(b, 'nextToken'),
    }),
  GetLogEvents: (services, account, b) =>
    services.logStore.getLogEvents(account, groupOf(b, account), reqString(b, 'logStreamName'), {
      startTime: optInt(b, 'startTime'), endTime: optInt(b, 'endTime'), startFromHead: optBool(b, 'startFromHead'), limit: optInt(b, 'limit', 1), nextToken: optString(b, 'nextToken'),
    }),
  // `interleaved` (always sent by `aws logs tail`) is deprecated and ignored by AWS too; `unmask` has nothing to unmask here.
  FilterLogEvents: (services, account, b) => {
    optBool(b, 'interleaved');
    optBool(b, 'unmask');
    return services.logStore.filterLogEvents(account, {
      logGroupName: groupOf(b, account), logStreamNames: optStringList(b, 'logStreamNames'), logStreamNamePrefix: optString(b, 'logStreamNamePrefix'),
      startTime: optInt(b, 'startTime'), endTime: optInt(b, 'endTime'), filterPattern: optString(b, 'filterPattern'), limit: optInt(b, 'limit', 1), nextToken: optString(b, 'nextToken'),
    });
  },
  // Newer members change what a filter reads (transformed logs, system-field dimensions); refused rather than ignored.
  PutMetricFilter: (services, account, b) => {
    refuseUnsupported(b, { applyOnTransformedLogs: (v) => v === false, fieldSelectionCriteria: () => false, emitSystemFieldDimensions: (v) => Array.isArray(v) && v.length === 0 });
    return empty(services.metrics.putMetricFilter(account, b));
  },
  DescribeMetricFilters: (services, account, b) =>
    services.metrics.describeMetricFilters(account, {
      logGroupName: optString(b, 'logGroupName'), filterNamePrefix: optString(b, 'filterNamePrefix'), metricName: optString(b, 'metricName'),
      metricNamespace: optString(b, 'metricNamespace'), limit: optInt(b, 'limit', 1), nextToken: optString(b, 'nextToken'),
    }),
  DeleteMetricFilter: (services, account, b) => empty(services.metrics.deleteMetricFilter(account, reqString(b, 'logGroupName'), reqString(b, 'filterName'))),
  TestMetricFilter: async (services, _account, b) => services.metrics.testMetricFilter(b.filterPattern, b.logEventMessages),
} satisfies Record<string, LogsHandler>));

export const LOGS_OPERATIONS: readonly string[] = [...OPERATIONS.keys()];

/** Reads the operation from X-Amz-Target and the JSON body; throws AwsProtocolError with CloudWatch Logs' codes. */
export function parseLogsRequest(target: string | undefined, body: string): LogsRequest {
  if (!target) throw new AwsProtocolError('UnknownOperationException', `The request has no X-Amz-Target header (expected ${LOGS_TARGET_PREFIX}<Operation>)`);
  if (!target.startsWith(LOGS_TARGET_PREFIX)) throw new AwsProtocolError('UnknownOperationException', `Unknown X-Amz-Target '${target}' (expected ${LOGS_TARGET_PREFIX}<Operation>)`);
  const operation = target.slice(LOGS_TARGET_PREFIX.length);
  if (!OPERATIONS.has(operation)) throw new AwsProtocolError('UnknownOperationException', `The operation ${operation} is not supported by this endpoint (supported: ${LOGS_OPERATIONS.join(', ')})`);
  if (!body.trim()) return { operation, input: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (e) {
    throw serialization(`The request body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw serialization('The request body must be a JSON object');
  return { operation, input: parsed as Input };
}

export async function runLogsOperation(services: LogsServices, accountId: string, request: LogsRequest): Promise<unknown> {
  const handler = OPERATIONS.get(request.operation);
  if (!handler) throw new AwsProtocolError('UnknownOperationException', `The operation ${request.operation} is not supported by this endpoint`);
  return handler(services, accountId, request.input);
}

export const logsErrorBody = (code: string, message: string): string => JSON.stringify({ __type: code, message });
