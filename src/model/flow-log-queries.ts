// DescribeFlowLogs filters (spec §5.3), DeleteFlowLogs validation (§5.4) and which flow logs
// cover a network interface (VPC-level ones cover every interface of the VPC, also later ones).

import { ApiError } from './errors.ts';
import type { FlowLog } from './flow-log.ts';
import type { NetworkInterface } from './network.ts';

export interface DescribeFilter {
  readonly Name: string;
  readonly Values: readonly string[];
}

const FILTERS: Readonly<Record<string, (fl: FlowLog) => readonly (string | undefined)[]>> = {
  'deliver-log-status': (fl) => [fl.deliverLogsStatus],
  'log-destination-type': (fl) => [fl.logDestinationType],
  'flow-log-id': (fl) => [fl.flowLogId],
  'log-group-name': (fl) => [fl.logGroupName],
  'resource-id': (fl) => [fl.resourceId],
  'traffic-type': (fl) => [fl.trafficType],
  'tag-key': (fl) => fl.tags.map((t) => t.Key),
};

/** EC2 filter values may use `*` (any run) and `?` (one character); `\` escapes them. */
function wildcardPattern(value: string): RegExp {
  let re = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && i + 1 < value.length) re += escapeRegExp(value[++i]!);
    else if (c === '*') re += '[\\s\\S]*';
    else if (c === '?') re += '[\\s\\S]';
    else re += escapeRegExp(c);
  }
  return new RegExp(`^${re}$`, 'u');
}

const escapeRegExp = (c: string): string => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function readFilter(raw: unknown): DescribeFilter {
  const f = raw as { Name?: unknown; Values?: unknown; Value?: unknown } | null;
  if (!f || typeof f !== 'object' || typeof f.Name !== 'string') throw new ApiError('InvalidParameterValue', 'each filter needs a Name');
  const values = f.Values ?? f.Value;
  if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== 'string')) {
    throw new ApiError('InvalidParameterValue', `The filter '${f.Name}' needs a non-empty list of string Values`);
  }
  if (!(f.Name in FILTERS) && !(f.Name.startsWith('tag:') && f.Name.length > 4)) {
    throw new ApiError('InvalidParameterValue', `The filter '${f.Name}' is invalid`);
  }
  return { Name: f.Name, Values: values as string[] };
}

/** Throws InvalidParameterValue for an unknown filter name or missing values (also when there is nothing to filter). */
export function checkDescribeFilters(filters: readonly unknown[]): DescribeFilter[] {
  return filters.map(readFilter);
}

/** Whether a flow log passes every filter (filters AND, values within one filter OR; names and values case-sensitive). */
export function matchesDescribeFilters(flowLog: FlowLog, filters: readonly unknown[]): boolean {
  for (const filter of checkDescribeFilters(filters)) {
    const patterns = filter.Values.map(wildcardPattern);
    const candidates = filter.Name.startsWith('tag:')
      ? flowLog.tags.filter((t) => t.Key === filter.Name.slice(4)).map((t) => t.Value)
      : FILTERS[filter.Name]!(flowLog);
    if (!candidates.some((c) => c !== undefined && patterns.some((p) => p.test(c)))) return false;
  }
  return true;
}

export interface DeleteFlowLogsResult {
  readonly toDelete: string[];
  readonly unsuccessful: { readonly resourceId: string; readonly code: string; readonly message: string }[];
}

/**
 * Validates DeleteFlowLogs: ids of existing flow logs are deleted; each unknown id gets an
 * `unsuccessful` item whose message lists all unknown ids, as AWS words it.
 */
export function validateDeleteFlowLogs(request: Record<string, unknown>, flowLogs: readonly FlowLog[], maxIds = 1000): DeleteFlowLogsResult {
  const raw = request.FlowLogIds ?? request.FlowLogId;
  if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) {
    throw new ApiError('InvalidParameterValue', "1 validation error detected: Value null at 'flowLogId' has an invalid format");
  }
  if (!Array.isArray(raw) || raw.some((v) => typeof v !== 'string')) throw new ApiError('InvalidParameterValue', 'FlowLogIds must be a list of strings');
  if (raw.length > maxIds) throw new ApiError('InvalidParameterValue', `The maximum number of flow log IDs per request is ${maxIds}; ${raw.length} were given`);
  const ids = [...new Set(raw as string[])];
  const known = new Set(flowLogs.map((f) => f.flowLogId));
  const unknown = ids.filter((id) => !known.has(id));
  if (request.DryRun === true || request.DryRun === 'true') throw new ApiError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
  const message = `These flow log ids in the input list are not found: [TotalCount: ${unknown.length}] ${unknown.join(' ')}`;
  return {
    toDelete: ids.filter((id) => known.has(id)),
    unsuccessful: unknown.map((resourceId) => ({ resourceId, code: 'InvalidFlowLogId.NotFound', message })),
  };
}

/** The flow logs that record an interface's traffic: those on its VPC, its subnet or itself, oldest first. */
export function flowLogsCovering(eni: Pick<NetworkInterface, 'id' | 'subnetId' | 'vpcId'>, flowLogs: readonly FlowLog[]): FlowLog[] {
  return flowLogs
    .filter((f) => (f.resourceType === 'VPC' && f.resourceId === eni.vpcId) || (f.resourceType === 'Subnet' && f.resourceId === eni.subnetId) || (f.resourceType === 'NetworkInterface' && f.resourceId === eni.id))
    .sort((a, b) => a.creationTime - b.creationTime || (a.flowLogId < b.flowLogId ? -1 : a.flowLogId > b.flowLogId ? 1 : 0));
}
