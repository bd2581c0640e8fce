// Flow logs as AWS's consoles show them: every flow log of the account (#/flow-logs), the Flow
// logs tab of a VPC, subnet or interface (FlowLogsTab), deletion behind a typed confirmation, and
// the Create flow log page with AWS's fields in AWS's order. The form checks shapes (ARNs, names,
// tags) before it asks; the server judges everything else, and what it refuses is shown on the
// field it concerns.

import type { ComponentChildren } from 'preact';
import { useEffect, useId, useMemo, useState } from 'preact/hooks';
import { ApiError, call } from '../api.ts';
import { navigate, route, setParams } from '../router.ts';
import { ConfirmDelete, DataTable, Empty, ErrorBox, Field, Link, Loading, errorText, formatTime, tagValue, useAsync, type Column } from '../components/ui.tsx';
import {
  DEFAULT_LOG_FORMAT, DESTINATION_TYPE_LABEL, FIELD_NAMES, FIELD_VERSION, RESOURCE_TYPES, bucketArnProblem, destinationName, fieldsOfFormat,
  intervalLabel, logGroupNameProblem, resourcePath, roleArnProblem, toggleField,
  type FlowLogItem, type FlowLogResourceType, type Tag,
} from '../components/flow-log-fields.ts';
import './flow-logs.css';

// ---------------------------------------------------------------------------------------------
// Reading flow logs

/** The operator looking at no account in particular while several have networks. */
class NoAccountChosen extends Error {}

async function describeFlowLogs(body: Record<string, unknown>, signal: AbortSignal): Promise<FlowLogItem[]> {
  const out: FlowLogItem[] = [];
  let next: string | undefined;
  // Pages of 1000 (AWS's largest); 100 pages is far beyond any account here, and bounds the loop.
  for (let page = 0; page < 100; page++) {
    let r: { FlowLogs: FlowLogItem[]; NextToken?: string };
    try {
      r = await call<{ FlowLogs: FlowLogItem[]; NextToken?: string }>('/v1/ec2/DescribeFlowLogs', { ...body, MaxResults: 1000, ...(next ? { NextToken: next } : {}) }, { signal });
    } catch (e) {
      if (e instanceof ApiError && /several accounts have networks/.test(e.message)) throw new NoAccountChosen(e.message);
      throw e;
    }
    out.push(...r.FlowLogs);
    next = r.NextToken;
    if (!next) break;
  }
  return out;
}

function LoadError({ error }: { error: unknown }) {
  if (error instanceof NoAccountChosen) {
    return <Empty>Several accounts have networks on this server. Choose one under <strong>Account</strong> at the top of the page to see its flow logs.</Empty>;
  }
  return <ErrorBox error={error} title="The flow logs could not be listed" />;
}

/** A name in a table cell: short ones on one line (no break at their hyphens), long ones wrapped. */
export function CellText({ text }: { text: string }) {
  return <span class={text.length > 32 ? 'tag-text long' : 'tag-text'}>{text}</span>;
}

const dash = (v: string | number | undefined | null): string => (v === undefined || v === null || v === '' ? '–' : String(v));

const creationMs = (fl: FlowLogItem): number => Date.parse(fl.CreationTime);

function typeOfResource(id: string): FlowLogResourceType | undefined {
  if (id.startsWith('vpc-')) return 'VPC';
  if (id.startsWith('subnet-')) return 'Subnet';
  if (id.startsWith('eni-')) return 'NetworkInterface';
  return undefined;
}

function s3OptionsText(fl: FlowLogItem): string {
  const o = fl.DestinationOptions;
  if (!o) return '';
  return [o.FileFormat === 'parquet' ? 'Parquet' : 'Text', o.HiveCompatiblePartitions ? 'Hive-compatible prefix' : '', o.PerHourPartition ? 'hourly partitions' : 'daily partitions']
    .filter(Boolean).join(' · ');
}

// ---------------------------------------------------------------------------------------------
// The table (the Flow logs tab and the account's list)

function flowLogColumns(showResource: boolean, selected: string, select: (id: string) => void, radioName: string): Column<FlowLogItem>[] {
  const columns: Column<FlowLogItem>[] = [
    { label: 'Name', text: (f) => dash(tagValue(f.Tags)), render: (f) => <CellText text={dash(tagValue(f.Tags))} /> },
    {
      label: 'Flow log ID', text: (f) => f.FlowLogId,
      render: (f) => (
        <label class="pick">
          <input type="radio" name={radioName} value={f.FlowLogId} checked={selected === f.FlowLogId} onChange={() => select(f.FlowLogId)} />
          <span class="mono">{f.FlowLogId}</span>
        </label>
      ),
    },
  ];
  if (showResource) {
    columns.push({
      label: 'Resource', text: (f) => f.ResourceId,
      render: (f) => {
        const path = resourcePath(f.ResourceId);
        return path ? <Link to={path} class="mono">{f.ResourceId}</Link> : <span class="mono">{f.ResourceId}</span>;
      },
    });
  }
  columns.push(
    { label: 'Filter', text: (f) => f.TrafficType },
    { label: 'Destination type', text: (f) => DESTINATION_TYPE_LABEL[f.LogDestinationType] ?? f.LogDestinationType },
    {
      label: 'Destination name', text: (f) => `${destinationName(f)} ${s3OptionsText(f)}`,
      render: (f) => f.LogDestinationType === 'cloud-watch-logs' && f.LogGroupName
        ? <Link to={['log-groups', f.LogGroupName]}>{f.LogGroupName}</Link>
        : (
          <span class="destination">
            <span class="mono">{dash(destinationName(f))}</span>
            {s3OptionsText(f) && <span class="muted options">{s3OptionsText(f)}</span>}
          </span>
        ),
    },
    { label: 'IAM role ARN', text: (f) => dash(f.DeliverLogsPermissionArn), render: (f) => <span class="mono">{dash(f.DeliverLogsPermissionArn)}</span> },
    { label: 'Max aggregation interval', text: (f) => intervalLabel(f.MaxAggregationInterval) },
    { label: 'Log line format', text: (f) => f.LogFormat, render: (f) => <LogFormatCell format={f.LogFormat} /> },
    { label: 'Status', text: (f) => f.FlowLogStatus },
    {
      label: 'Delivery status', text: (f) => `${f.DeliverLogsStatus} ${f.DeliverLogsErrorMessage ?? ''}`,
      render: (f) => (
        <span class={f.DeliverLogsStatus === 'FAILED' ? 'reject' : undefined}>
          {f.DeliverLogsStatus}{f.DeliverLogsErrorMessage ? `: ${f.DeliverLogsErrorMessage}` : ''}
        </span>
      ),
    },
    { label: 'Creation time', text: (f) => formatTime(creationMs(f)) },
  );
  return columns;
}

/** A format lists up to 54 fields: the cell names its kind and size, and opens to the full text. */
function LogFormatCell({ format }: { format: string }) {
  const n = fieldsOfFormat(format).length;
  return (
    <details class="log-format">
      <summary>{format === DEFAULT_LOG_FORMAT ? 'AWS default format' : 'Custom format'} ({n} field{n === 1 ? '' : 's'})</summary>
      <code>{format}</code>
    </details>
  );
}

function FlowLogTable({ rows, showResource, createParams, reload, caption }: {
  rows: FlowLogItem[];
  showResource: boolean;
  createParams: Record<string, string | undefined>;
  reload: () => void;
  caption: string;
}) {
  const params = route.value.params;
  const selected = params.get('selected') ?? '';
  const created = params.get('created') ?? '';
  const [confirming, setConfirming] = useState(false);
  const [deleted, setDeleted] = useState('');
  const radioName = useId();
  const chosen = rows.find((r) => r.FlowLogId === selected);
  const columns = flowLogColumns(showResource, selected, (id) => setParams({ selected: id }), radioName);
  const createdIds = created.split(',').filter((id) => rows.some((r) => r.FlowLogId === id));

  const remove = async () => {
    if (!chosen) return;
    const r = await call<{ Unsuccessful?: { Error: { Code: string; Message: string }; ResourceId: string }[] }>('/v1/ec2/DeleteFlowLogs', { FlowLogIds: [chosen.FlowLogId] });
    const failed = r.Unsuccessful?.[0];
    if (failed) throw new ApiError(failed.Error.Code, failed.Error.Message, 400);
    setDeleted(chosen.FlowLogId);
    setParams({ selected: undefined, created: undefined });
    reload();
  };

  return (
    <>
      {createdIds.length > 0 && <p class="notice" role="status">Created flow log {createdIds.join(', ')}.</p>}
      {deleted && <p class="notice" role="status">Deleted flow log {deleted}. The records it delivered stay where they are.</p>}
      <DataTable
        caption={caption}
        noun="flow logs"
        columns={columns}
        rows={rows}
        rowKey={(f) => f.FlowLogId}
        empty={<>No flow logs yet — <Link to={['flow-logs', 'create']} params={createParams}>create one</Link> to record the traffic{showResource ? ' of a VPC, subnet or network interface' : ' of this resource'}.</>}
        actions={
          <>
            <button type="button" onClick={() => setConfirming(true)} disabled={!chosen} title={chosen ? `Delete ${chosen.FlowLogId}` : 'Select a flow log first'}>Delete</button>
            <Link class="button primary" to={['flow-logs', 'create']} params={createParams}>Create flow log</Link>
          </>
        }
      />
      {confirming && chosen && (
        <ConfirmDelete
          title={`Delete flow log ${chosen.FlowLogId}?`}
          body={
            <>
              <p>The flow log of <span class="mono">{chosen.ResourceId}</span> stops recording traffic now.</p>
              <p>Delivered data stays: the records already in {chosen.LogDestinationType === 's3' ? 'the bucket' : `log group ${chosen.LogGroupName ?? ''}`} are not deleted.</p>
            </>
          }
          onConfirm={remove}
          onClose={() => setConfirming(false)}
        />
      )}
    </>
  );
}

/** Every flow log of the account (#/flow-logs), with the resource each is attached to. */
export function FlowLogList() {
  const value = useAsync((signal) => describeFlowLogs({}, signal), []);
  return (
    <section class="flow-logs">
      <h1 tabIndex={-1}>Flow logs</h1>
      <p class="lede">Every flow log of this account: which traffic of which VPC, subnet or network interface it records, and where it delivers.</p>
      {value.error ? <LoadError error={value.error} /> : value.data === undefined ? <Loading label="Listing flow logs" /> : (
        <FlowLogTable caption="Flow logs" rows={value.data} showResource createParams={{}} reload={value.reload} />
      )}
    </section>
  );
}

/** The Flow logs tab of a VPC, subnet or network interface: the flow logs attached to it. */
export function FlowLogsTab({ resourceId }: { resourceId: string }) {
  const value = useAsync((signal) => describeFlowLogs({ Filter: [{ Name: 'resource-id', Values: [resourceId] }] }, signal), [resourceId]);
  const createParams = { 'resource-type': typeOfResource(resourceId), 'resource-id': resourceId };
  return (
    <div class="flow-logs">
      {value.error ? <LoadError error={value.error} /> : value.data === undefined ? <Loading label="Listing flow logs" /> : (
        <FlowLogTable caption="Flow logs" rows={value.data.filter((f) => f.ResourceId === resourceId)} showResource={false} createParams={createParams} reload={value.reload} />
      )}
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// Create flow log

type FieldKey =
  | 'resource' | 'name' | 'trafficType' | 'interval' | 'destination' | 'logGroup' | 'roleArn' | 'bucketArn' | 'subfolder'
  | 'logFormat' | 'fileFormat' | 'tags';

type Errors = Partial<Record<FieldKey, string>>;

interface TagRow {
  id: number;
  key: string;
  value: string;
}

// '*' is never in a log group name, so this choice can never be taken for one.
const NEW_GROUP = '*new*';
const MAX_TAG_ROWS = 49;

interface ResourceOption {
  id: string;
  name: string;
  detail: string;
}

/** The resources of one type the form can attach a flow log to. */
async function listResources(type: FlowLogResourceType, signal: AbortSignal): Promise<ResourceOption[]> {
  const get = async <T,>(action: string, member: string): Promise<T[]> => {
    try {
      return ((await call<Record<string, unknown>>(`/v1/ec2/${action}`, {}, { signal }))[member] as T[] | undefined) ?? [];
    } catch (e) {
      if (e instanceof ApiError && /no network is declared/.test(e.message)) return [];
      throw e;
    }
  };
  if (type === 'VPC') {
    return (await get<{ VpcId: string; CidrBlock: string; Tags?: Tag[] }>('DescribeVpcs', 'Vpcs')).map((v) => ({ id: v.VpcId, name: tagValue(v.Tags), detail: v.CidrBlock }));
  }
  if (type === 'Subnet') {
    return (await get<{ SubnetId: string; CidrBlock: string; Tags?: Tag[] }>('DescribeSubnets', 'Subnets')).map((s) => ({ id: s.SubnetId, name: tagValue(s.Tags), detail: s.CidrBlock }));
  }
  return (await get<{ NetworkInterfaceId: string; PrivateIpAddress: string; TagSet?: Tag[] }>('DescribeNetworkInterfaces', 'NetworkInterfaces'))
    .map((n) => ({ id: n.NetworkInterfaceId, name: tagValue(n.TagSet), detail: n.PrivateIpAddress }));
}

async function listLogGroups(signal: AbortSignal): Promise<string[]> {
  const names: string[] = [];
  let next: string | undefined;
  // 20 pages of 50: a select of more than 1000 groups would not be usable anyway (a new name can still be typed).
  for (let page = 0; page < 20; page++) {
    const r = await call<{ logGroups: { logGroupName: string }[]; nextToken?: string }>('/v1/logs/DescribeLogGroups', { limit: 50, ...(next ? { nextToken: next } : {}) }, { signal });
    names.push(...r.logGroups.map((g) => g.logGroupName));
    next = r.nextToken;
    if (!next) break;
  }
  return names;
}

/** A group of radio buttons with its legend and, on error, the message under it. */
function Radios<T extends string>({ legend, value, options, onChange, error, hint }: {
  legend: string;
  value: T;
  options: { value: T; label: string }[];
  onChange: (v: T) => void;
  error?: string | undefined;
  hint?: ComponentChildren;
}) {
  const id = useId();
  return (
    <fieldset class={`radios${error ? ' has-error' : ''}`} aria-describedby={error ? `${id}-error` : undefined} aria-invalid={error ? 'true' : undefined}>
      <legend>{legend}</legend>
      <div class="choices">
        {options.map((o) => (
          <label>
            <input type="radio" name={id} value={o.value} checked={value === o.value} onChange={() => onChange(o.value)} />
            {o.label}
          </label>
        ))}
      </div>
      {hint && <div class="hint">{hint}</div>}
      {error && <div class="field-error" id={`${id}-error`} role="alert">{error}</div>}
    </fieldset>
  );
}

/** Which form field a server error concerns (by code and message); undefined: the page's top. */
function fieldOfError(code: string, message: string, destinationType: string): FieldKey | undefined {
  if (/^Invalid(Vpc|Subnet|NetworkInterface)I[Dd]\.(NotFound|Malformed)$/.test(code) || /\bResourceIds?\b|ResourceType/.test(message)) return 'resource';
  if (message.startsWith('DeliverLogsPermissionArn')) return 'roleArn';
  if (/'logFormat'/.test(message) || message.startsWith('LogFormat')) return 'logFormat';
  if (destinationType === 's3' && (message.startsWith('LogDestination') || code === '400' || code === 'TooManyBuckets')) {
    // The bucket refusals of the archive (another account's bucket, too many buckets) come as Unsuccessful items.
    return /folder|AWSLogs|segment|object keys/i.test(message) ? 'subfolder' : 'bucketArn';
  }
  if (message.startsWith('LogDestination')) return 'logGroup';
  if (message.startsWith('LogGroupName') || /'logGroupName'/.test(message) || code === 'ResourceAlreadyExistsException') return 'logGroup';
  if (code === 'FlowLogAlreadyExists') return destinationType === 's3' ? 'bucketArn' : 'logGroup';
  if (/Max Aggregation Interval|MaxAggregationInterval/i.test(message)) return 'interval';
  if (/TrafficType/.test(message)) return 'trafficType';
  if (/DestinationOptions/.test(message)) return 'fileFormat';
  if (/\btag\b/i.test(message) || code === 'TagLimitExceeded') return 'tags';
  return undefined;
}

/** The text shown for a server error: for a refused format, the server's detail of what is wrong with it. */
function serverErrorText(e: ApiError): string {
  const detail = typeof e.details?.detail === 'string' ? e.details.detail : undefined;
  return detail ? `The server refused this format: ${detail}.` : e.message;
}

export function CreateFlowLog() {
  const params = route.value.params;
  const rawId = params.get('resource-id') ?? '';
  const rawType = params.get('resource-type') ?? '';
  const resourceType: FlowLogResourceType = (RESOURCE_TYPES.find((t) => t.type === rawType)?.type) ?? typeOfResource(rawId) ?? 'VPC';
  const typeProblem = rawType && !RESOURCE_TYPES.some((t) => t.type === rawType) ? `“${rawType}” is not a resource type a flow log can be attached to: choose VPC, Subnet or Network interface.` : undefined;

  const resources = useAsync((signal) => listResources(resourceType, signal), [resourceType]);
  const groups = useAsync((signal) => listLogGroups(signal), []);

  const [name, setName] = useState('');
  const [trafficType, setTrafficType] = useState<'ACCEPT' | 'REJECT' | 'ALL'>('ALL');
  const [interval, setAggInterval] = useState<'600' | '60'>('600');
  const [destinationType, setDestinationType] = useState<'cloud-watch-logs' | 's3'>('cloud-watch-logs');
  const [groupChoice, setGroupChoice] = useState('');
  const [newGroup, setNewGroup] = useState('');
  const [roleArn, setRoleArn] = useState('');
  const [bucketArn, setBucketArn] = useState('');
  const [subfolder, setSubfolder] = useState('');
  const [formatKind, setFormatKind] = useState<'default' | 'custom'>('default');
  const [logFormat, setLogFormat] = useState(DEFAULT_LOG_FORMAT);
  const [fileFormat, setFileFormat] = useState<'plain-text' | 'parquet'>('plain-text');
  const [hive, setHive] = useState<'disable' | 'enable'>('disable');
  const [partition, setPartition] = useState<'24' | '1'>('24');
  const [tags, setTags] = useState<TagRow[]>([]);
  const [nextTagId, setNextTagId] = useState(1);
  const [errors, setErrors] = useState<Errors>({});
  /** The tag row (and which of its inputs) the tags error is about, when the form found it. */
  const [tagError, setTagError] = useState<{ row: number; part: 'key' | 'value' } | undefined>(undefined);
  const [topError, setTopError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState<string>('');

  const tagsErrorId = `${useId()}-error`;
  const existingGroups = groups.data ?? [];
  // With no group yet (or none that could be listed), the only choice is a new one.
  useEffect(() => {
    if (((groups.data && groups.data.length === 0) || groups.error) && groupChoice === '') setGroupChoice(NEW_GROUP);
  }, [groups.data, groups.error]);
  const groupName = groupChoice === NEW_GROUP ? newGroup.trim() : groupChoice;

  const chosenFields = useMemo(() => new Set(fieldsOfFormat(logFormat)), [logFormat]);
  const resourceList = resources.data;
  const resourceMissing = rawId !== '' && resourceList !== undefined && !resourceList.some((r) => r.id === rawId);
  const typeInfo = RESOURCE_TYPES.find((t) => t.type === resourceType)!;

  const clearError = (k: FieldKey) => {
    setErrors((e) => (e[k] === undefined ? e : { ...e, [k]: undefined }));
    if (k === 'tags') setTagError(undefined);
  };

  const validate = (): Errors => {
    const e: Errors = {};
    setTagError(undefined);
    if (typeProblem) e.resource = typeProblem;
    else if (!rawId) e.resource = `Choose the ${typeInfo.noun} whose traffic this flow log records.`;
    else if (resourceMissing) e.resource = `There is no ${typeInfo.noun} “${rawId}” in this account.`;
    if ([...name].length > 255) e.name = 'A name (the Name tag’s value) has at most 255 characters.';
    if (destinationType === 'cloud-watch-logs') {
      const p = logGroupNameProblem(groupName);
      if (p) e.logGroup = p;
      if (roleArn.trim()) {
        const r = roleArnProblem(roleArn.trim());
        if (r) e.roleArn = r;
      }
    } else {
      const b = bucketArnProblem(bucketArn.trim());
      if (b) e.bucketArn = b;
    }
    if (formatKind === 'custom' && logFormat.trim() === '') e.logFormat = 'Choose at least one field, or use the AWS default format.';
    const seen = new Set<string>(name.trim() ? ['Name'] : []);
    for (const [i, t] of tags.entries()) {
      const key = t.key.trim();
      const where = `Tag ${i + 1}`;
      if (!key) e.tags = `${where}: a tag needs a key (or remove the row).`;
      else if (key.toLowerCase().startsWith('aws:')) e.tags = `${where}: keys starting with “aws:” are reserved by AWS.`;
      else if ([...key].length > 127) e.tags = `${where}: a key has at most 127 characters.`;
      else if ([...t.value].length > 255) e.tags = `${where}: a value has at most 255 characters.`;
      else if (seen.has(key)) e.tags = key === 'Name' && name.trim() ? `${where}: the Name tag is set by the Name field above.` : `${where}: the key “${key}” is used twice.`;
      if (e.tags) {
        setTagError({ row: t.id, part: [...t.value].length > 255 && key && [...key].length <= 127 ? 'value' : 'key' });
        break;
      }
      seen.add(key);
    }
    return e;
  };

  const buildRequest = (): Record<string, unknown> => {
    const tagList = [...(name.trim() ? [{ Key: 'Name', Value: name.trim() }] : []), ...tags.map((t) => ({ Key: t.key.trim(), Value: t.value }))];
    const folder = subfolder.trim().replace(/^\/+/, '');
    return {
      ResourceIds: [rawId],
      ResourceType: resourceType,
      TrafficType: trafficType,
      LogDestinationType: destinationType,
      ...(destinationType === 'cloud-watch-logs'
        ? { LogGroupName: groupName, ...(roleArn.trim() ? { DeliverLogsPermissionArn: roleArn.trim() } : {}) }
        : {
          LogDestination: folder ? `${bucketArn.trim()}/${folder}` : bucketArn.trim(),
          DestinationOptions: { FileFormat: fileFormat, HiveCompatiblePartitions: hive === 'enable', PerHourPartition: partition === '1' },
        }),
      ...(formatKind === 'custom' ? { LogFormat: logFormat } : {}),
      MaxAggregationInterval: Number(interval),
      ...(tagList.length ? { TagSpecifications: [{ ResourceType: 'vpc-flow-log', Tags: tagList }] } : {}),
    };
  };

  /** Puts a server error on its field (or at the top); true when it went to a field. */
  const showServerError = (e: unknown): void => {
    if (e instanceof ApiError) {
      const field = fieldOfError(e.code, e.message, destinationType);
      if (field) {
        setErrors((x) => ({ ...x, [field]: serverErrorText(e) }));
        return;
      }
    }
    setTopError(e);
  };

  /** Moves the focus to the first field marked invalid, else to the first error message shown. */
  const focusFirstError = () => {
    requestAnimationFrame(() => {
      const invalid = document.querySelector<HTMLElement>('.create-flow-log [aria-invalid="true"]');
      if (invalid) {
        (invalid.tagName === 'FIELDSET' ? invalid.querySelector<HTMLElement>('input:checked, input') ?? invalid : invalid).focus();
        return;
      }
      const message = document.querySelector<HTMLElement>('.create-flow-log .error-box, .create-flow-log .field-error');
      if (!message) return;
      if (!message.hasAttribute('tabindex')) message.setAttribute('tabindex', '-1');
      message.focus();
    });
  };

  const submit = async (ev: Event) => {
    ev.preventDefault();
    if (busy) return;
    setTopError(undefined);
    const found = validate();
    setErrors(found);
    if (Object.values(found).some(Boolean)) {
      focusFirstError();
      return;
    }
    const request = buildRequest();
    let createdGroup = false;
    try {
      // CreateFlowLogs does not create a CloudWatch Logs group (the log store makes one at the first
      // delivery): a new one is made here so it is listed at once. The request is first checked
      // with DryRun, so a refused flow log leaves no empty group behind.
      if (destinationType === 'cloud-watch-logs' && !existingGroups.includes(groupName)) {
        setBusy('Checking the flow log');
        try {
          await call('/v1/ec2/CreateFlowLogs', { ...request, DryRun: true });
        } catch (e) {
          if (!(e instanceof ApiError && e.code === 'DryRunOperation')) throw e;
        }
        setBusy(`Creating log group ${groupName}`);
        try {
          await call('/v1/logs/CreateLogGroup', { logGroupName: groupName });
          createdGroup = true;
        } catch (e) {
          if (!(e instanceof ApiError && e.code === 'ResourceAlreadyExistsException')) throw e;
        }
      }
      setBusy('Creating the flow log');
      const r = await call<{ FlowLogIds?: string[]; Unsuccessful?: { Error: { Code: string; Message: string }; ResourceId: string }[] }>('/v1/ec2/CreateFlowLogs', request);
      const ids = r.FlowLogIds ?? [];
      const failed = r.Unsuccessful ?? [];
      if (failed.length) {
        if (createdGroup && ids.length === 0) await call('/v1/logs/DeleteLogGroup', { logGroupName: groupName }).catch(() => undefined);
        for (const f of failed) showServerError(new ApiError(f.Error.Code, `${f.Error.Message}${f.ResourceId ? ` (${f.ResourceId})` : ''}`, 400));
        setBusy('');
        focusFirstError();
        return;
      }
      navigate([typeInfo.kind, rawId, 'flow-logs'], { created: ids.join(',') });
    } catch (e) {
      if (createdGroup) await call('/v1/logs/DeleteLogGroup', { logGroupName: groupName }).catch(() => undefined);
      showServerError(e);
      setBusy('');
      focusFirstError();
    }
  };

  const addTag = () => {
    setTags((t) => [...t, { id: nextTagId, key: '', value: '' }]);
    setNextTagId((n) => n + 1);
    clearError('tags');
  };

  return (
    <section class="flow-logs create-flow-log">
      <nav class="breadcrumb" aria-label="Breadcrumb">
        <Link to={['flow-logs']}>Flow logs</Link> <span aria-hidden="true">›</span> Create flow log
      </nav>
      <h1 tabIndex={-1}>Create flow log</h1>
      <p class="lede">A flow log records the IP traffic of a VPC, a subnet or a network interface and delivers the records to CloudWatch Logs or an S3 bucket.</p>
      <ErrorBox error={topError} title="The flow log was not created" />
      <form onSubmit={submit} noValidate>
        <fieldset>
          <legend>Flow log settings</legend>
          <div class="resource-choice">
            <Field label="Resource type">
              {(p) => (
                <select {...p} value={resourceType} onChange={(e) => { setParams({ 'resource-type': (e.target as HTMLSelectElement).value, 'resource-id': undefined }); clearError('resource'); }}>
                  {RESOURCE_TYPES.map((t) => <option value={t.type}>{t.label}</option>)}
                </select>
              )}
            </Field>
            <Field label="Resource" error={errors.resource ?? (resourceMissing ? `There is no ${typeInfo.noun} “${rawId}” in this account.` : typeProblem)}
              hint={resources.error ? `The resources could not be listed: ${errorText(resources.error)}` : undefined}>
              {(p) => (
                <select {...p} value={rawId} onChange={(e) => { setParams({ 'resource-type': resourceType, 'resource-id': (e.target as HTMLSelectElement).value || undefined }); clearError('resource'); }}>
                  <option value="">{resourceList ? (resourceList.length ? `Choose a ${typeInfo.noun}` : `No ${typeInfo.noun} in this account`) : 'Loading…'}</option>
                  {rawId && !resourceList?.some((r) => r.id === rawId) && <option value={rawId}>{rawId}</option>}
                  {(resourceList ?? []).map((r) => <option value={r.id}>{r.id}{r.name ? ` (${r.name})` : ''} · {r.detail}</option>)}
                </select>
              )}
            </Field>
          </div>
          <Field label="Name - optional" error={errors.name} hint="The flow log’s Name tag.">
            {(p) => <input {...p} value={name} maxLength={255} onInput={(e) => { setName((e.target as HTMLInputElement).value); clearError('name'); }} />}
          </Field>
          <Radios legend="Filter" value={trafficType} error={errors.trafficType} onChange={(v) => { setTrafficType(v); clearError('trafficType'); }}
            hint="The type of traffic to record: accepted, rejected, or all of it."
            options={[{ value: 'ACCEPT', label: 'Accept' }, { value: 'REJECT', label: 'Reject' }, { value: 'ALL', label: 'All' }]} />
          <Radios legend="Maximum aggregation interval" value={interval} error={errors.interval} onChange={(v) => { setAggInterval(v); clearError('interval'); }}
            hint="The longest time a flow is gathered before its record is written."
            options={[{ value: '600', label: '10 minutes' }, { value: '60', label: '1 minute' }]} />
          <Radios legend="Destination" value={destinationType} error={errors.destination} onChange={(v) => {
              setDestinationType(v);
              setErrors((e) => ({ ...e, destination: undefined, logGroup: undefined, roleArn: undefined, bucketArn: undefined, subfolder: undefined, fileFormat: undefined }));
            }}
            options={[{ value: 'cloud-watch-logs', label: 'Send to CloudWatch Logs' }, { value: 's3', label: 'Send to an Amazon S3 bucket' }]} />
          {destinationType === 'cloud-watch-logs' ? (
            <>
              <Field label="Destination log group" error={groupChoice === NEW_GROUP ? undefined : errors.logGroup}
                hint={groups.error ? `The existing log groups could not be listed (${errorText(groups.error)}); a new one can still be named.` : 'An existing log group, or a new one (created with the flow log).'}>
                {(p) => (
                  <select {...p} value={groupChoice} onChange={(e) => { setGroupChoice((e.target as HTMLSelectElement).value); clearError('logGroup'); }}>
                    <option value="">{groups.data || groups.error ? 'Choose a log group' : 'Loading log groups…'}</option>
                    {existingGroups.map((g) => <option value={g}>{g}</option>)}
                    <option value={NEW_GROUP}>New log group…</option>
                  </select>
                )}
              </Field>
              {groupChoice === NEW_GROUP && (
                <Field label="New log group name" error={errors.logGroup} hint="Letters, digits and _ - / . # (for example /vpc/flow-logs).">
                  {(p) => <input {...p} value={newGroup} spellcheck={false} placeholder="/vpc/flow-logs" onInput={(e) => { setNewGroup((e.target as HTMLInputElement).value); clearError('logGroup'); }} />}
                </Field>
              )}
              <Field label="IAM role ARN" error={errors.roleArn}
                hint="The role AWS would assume to publish the records (arn:aws:iam::123456789012:role/name). vpcflow has no IAM: it keeps the ARN and checks its form; leave it empty if you have none.">
                {(p) => <input {...p} value={roleArn} spellcheck={false} placeholder="arn:aws:iam::123456789012:role/flow-logs" onInput={(e) => { setRoleArn((e.target as HTMLInputElement).value); clearError('roleArn'); }} />}
              </Field>
            </>
          ) : (
            <>
              <Field label="S3 bucket ARN" error={errors.bucketArn} hint="arn:aws:s3:::bucket-name. A bucket no account owns yet becomes this account’s; another account’s bucket needs its owner’s grant.">
                {(p) => <input {...p} value={bucketArn} spellcheck={false} placeholder="arn:aws:s3:::my-flow-log-bucket" onInput={(e) => { setBucketArn((e.target as HTMLInputElement).value); clearError('bucketArn'); clearError('subfolder'); }} />}
              </Field>
              <Field label="Subfolder - optional" error={errors.subfolder} hint="A folder in the bucket for the AWSLogs/… files. AWSLogs itself is reserved.">
                {(p) => <input {...p} value={subfolder} spellcheck={false} placeholder="flow-logs" onInput={(e) => { setSubfolder((e.target as HTMLInputElement).value); clearError('subfolder'); }} />}
              </Field>
            </>
          )}
          <Radios legend="Log record format" value={formatKind} onChange={(v) => { setFormatKind(v); clearError('logFormat'); }}
            options={[{ value: 'default', label: 'AWS default format' }, { value: 'custom', label: 'Custom format' }]} />
          {formatKind === 'default' ? (
            <p class="format-preview">Format: <code>{DEFAULT_LOG_FORMAT}</code></p>
          ) : (
            <div class="custom-format">
              <fieldset class="field-picker">
                <legend>Log format fields</legend>
                <p class="hint">Fields in AWS’s order; checking one adds it at the end of the format, so records list fields in the order you pick them.</p>
                <div class="field-grid">
                  {FIELD_NAMES.map((f) => (
                    <label title={`record version ${FIELD_VERSION.get(f) ?? 2}`}>
                      <input type="checkbox" checked={chosenFields.has(f)} onChange={(e) => { setLogFormat((t) => toggleField(t, f, (e.target as HTMLInputElement).checked)); clearError('logFormat'); }} />
                      {f}
                    </label>
                  ))}
                </div>
              </fieldset>
              <Field label="Log format" error={errors.logFormat} hint="The fields as ${field-name}, separated by single spaces. You may also edit the text.">
                {(p) => <textarea {...p} rows={3} spellcheck={false} class="mono" value={logFormat} onInput={(e) => { setLogFormat((e.target as HTMLTextAreaElement).value); clearError('logFormat'); }} />}
              </Field>
            </div>
          )}
          {destinationType === 's3' && (
            <>
              <Radios legend="Log file format" value={fileFormat} error={errors.fileFormat} onChange={(v) => { setFileFormat(v); clearError('fileFormat'); }}
                hint="Parquet files are smaller and faster to query (Athena, DuckDB)."
                options={[{ value: 'plain-text', label: 'Text (default)' }, { value: 'parquet', label: 'Parquet' }]} />
              <Radios legend="Hive-compatible S3 prefix" value={hive} onChange={setHive}
                hint="Folders named key=value (aws-account-id=…/year=…), as Hive-compatible tools read partitions."
                options={[{ value: 'enable', label: 'Enable' }, { value: 'disable', label: 'Disable' }]} />
              <Radios legend="Partition logs by time" value={partition} onChange={setPartition}
                options={[{ value: '24', label: 'Every 24 hours (default)' }, { value: '1', label: 'Every 1 hour (60 minutes)' }]} />
            </>
          )}
        </fieldset>
        <fieldset class={`tags${errors.tags ? ' has-error' : ''}`}>
          <legend>Tags</legend>
          {tags.length === 0 && <p class="hint">No tags{name.trim() ? ' besides Name' : ''}.</p>}
          {tags.map((t, i) => (
            <div class="tag-row" key={t.id}>
              <TagInput label="Key" n={i + 1} value={t.key} invalid={errors.tags !== undefined && tagError?.row === t.id && tagError.part === 'key'} errorId={tagsErrorId} onInput={(v) => { setTags((all) => all.map((x) => (x.id === t.id ? { ...x, key: v } : x))); clearError('tags'); }} />
              <TagInput label="Value - optional" n={i + 1} value={t.value} invalid={errors.tags !== undefined && tagError?.row === t.id && tagError.part === 'value'} errorId={tagsErrorId} onInput={(v) => { setTags((all) => all.map((x) => (x.id === t.id ? { ...x, value: v } : x))); clearError('tags'); }} />
              <button type="button" onClick={() => { setTags((all) => all.filter((x) => x.id !== t.id)); clearError('tags'); }}>
                Remove<span class="visually-hidden"> tag {i + 1}</span>
              </button>
            </div>
          ))}
          {errors.tags && <div class="field-error" id={tagsErrorId} role="alert">{errors.tags}</div>}
          <button type="button" onClick={addTag} disabled={tags.length >= MAX_TAG_ROWS}>Add new tag</button>
          <span class="hint"> You can add {MAX_TAG_ROWS - tags.length} more.</span>
        </fieldset>
        {busy && <Loading label={busy} />}
        <div class="buttons form-buttons">
          <Link class="button" to={rawId ? [typeInfo.kind, rawId, 'flow-logs'] : ['flow-logs']}>Cancel</Link>
          <button type="submit" class="primary" disabled={busy !== ''}>{busy ? 'Creating…' : 'Create flow log'}</button>
        </div>
      </form>
    </section>
  );
}

function TagInput({ label, n, value, onInput, invalid, errorId }: { label: string; n: number; value: string; onInput: (v: string) => void; invalid: boolean; errorId: string }) {
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{label}<span class="visually-hidden"> of tag {n}</span></label>
      <input id={id} value={value} spellcheck={false} onInput={(e) => onInput((e.target as HTMLInputElement).value)}
        {...(invalid ? { 'aria-invalid': 'true' as const, 'aria-describedby': errorId } : {})} />
    </div>
  );
}
