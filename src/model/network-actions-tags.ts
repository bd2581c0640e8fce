// CreateTags, DeleteTags and DescribeTags over every taggable resource of the model and the
// account's flow logs. A request naming one unknown resource changes nothing.

import { applyFilters, type Ec2Filter } from './ec2-filters.ts';
import { ApiError } from './errors.ts';
import type { FlowLog } from './flow-log.ts';
import { kindOfId, NOT_FOUND_CODE, type ResourceKind } from './ids.ts';
import type { NetworkModel } from './network.ts';
import { tagProblems, type Tag } from './tags.ts';
import type { NetworkDocument } from './to-document.ts';
import { NetworkEdit, missing, readTags, requireString, type ActionContext, type RequestTag } from './network-actions.ts';

/** EC2's resource type names, as DescribeTags reports them. */
export const TAGGABLE_TYPE: Readonly<Record<ResourceKind, string>> = {
  vpc: 'vpc', subnet: 'subnet', instance: 'instance', 'network-interface': 'network-interface',
  'security-group': 'security-group', 'network-acl': 'network-acl', 'flow-log': 'vpc-flow-log',
};

export interface TagsOutcome {
  /** The document to apply, or undefined when only flow logs changed (or the account has no network). */
  readonly doc: NetworkDocument | undefined;
  /** Flow logs whose tags changed, as they are now. */
  readonly flowLogs: readonly FlowLog[];
  readonly result: { readonly resourceIds: readonly string[] };
}

interface Taggable {
  Id: string;
  Tags: Tag[];
}

/** Every taggable resource of the document, by id. */
function documentResources(doc: NetworkDocument): Map<string, Taggable> {
  const out = new Map<string, Taggable>();
  for (const v of doc.Vpcs) {
    for (const r of [v, ...v.Subnets, ...v.Instances, ...v.Instances.flatMap((i) => i.Interfaces), ...v.NetworkInterfaces, ...v.SecurityGroups, ...v.NetworkAcls]) out.set(r.Id, r);
  }
  return out;
}

function retag(current: NetworkModel | undefined, flowLogs: readonly FlowLog[], resources: readonly string[] | undefined, ctx: ActionContext, change: (tags: readonly Tag[]) => Tag[]): TagsOutcome {
  const ids = [...new Set(resources ?? [])];
  if (ids.length === 0) throw missing('ResourceId');
  const edit = current ? new NetworkEdit(current, ctx) : undefined;
  const inDocument = edit ? documentResources(edit.doc) : new Map<string, Taggable>();
  const logs = new Map(flowLogs.map((f) => [f.flowLogId, f]));
  const changedLogs: FlowLog[] = [];
  let documentChanged = false;
  for (const id of ids) {
    const kind = kindOfId(id);
    if (kind === undefined) throw new ApiError('InvalidID', `The ID '${id}' is not valid`);
    const apply = (tags: readonly Tag[]): Tag[] => {
      const next = change(tags);
      const problem = tagProblems(next)[0];
      if (problem) throw new ApiError(problem.code, `${problem.message} (resource ${id})`);
      return next;
    };
    if (kind === 'flow-log') {
      const fl = logs.get(id);
      if (!fl) throw new ApiError(NOT_FOUND_CODE[kind], `The flow log ID '${id}' does not exist`);
      changedLogs.push({ ...fl, tags: apply(fl.tags ?? []) });
      continue;
    }
    const r = inDocument.get(id);
    if (!r || kindOfId(r.Id) !== kind) throw new ApiError(NOT_FOUND_CODE[kind], `The ID '${id}' does not exist`);
    r.Tags = apply(r.Tags);
    documentChanged = true;
  }
  return { doc: documentChanged ? edit!.doc : undefined, flowLogs: changedLogs, result: { resourceIds: ids } };
}

export function createTags(current: NetworkModel | undefined, flowLogs: readonly FlowLog[], req: { readonly Resources?: readonly string[]; readonly Tags?: readonly RequestTag[] }, ctx: ActionContext): TagsOutcome {
  if (!req.Tags?.length) throw missing('Tag');
  const wanted = readTags(req.Tags, 'Tag');
  return retag(current, flowLogs, req.Resources, ctx, (tags) => {
    const next = tags.map((t) => ({ ...t }));
    for (const w of wanted) {
      const same = next.find((t) => t.Key === w.Key);
      if (same) same.Value = w.Value;
      else next.push({ ...w });
    }
    return next;
  });
}

/**
 * Without tags, every tag of the resources goes. A tag given with a value is deleted only when
 * the value matches (an empty value matches only an empty value); one given without, whatever it is.
 */
export function deleteTags(current: NetworkModel | undefined, flowLogs: readonly FlowLog[], req: { readonly Resources?: readonly string[]; readonly Tags?: readonly RequestTag[] }, ctx: ActionContext): TagsOutcome {
  const doomed = (req.Tags ?? []).map((t, i) => ({ key: requireString(t?.Key, `Tag.${i + 1}.Key`), value: t.Value }));
  return retag(current, flowLogs, req.Resources, ctx, (tags) =>
    doomed.length === 0 ? [] : tags.filter((t) => !doomed.some((d) => d.key === t.Key && (d.value === undefined || d.value === t.Value))));
}

export interface TagDescription {
  readonly ResourceId: string;
  readonly ResourceType: string;
  readonly Key: string;
  readonly Value: string;
}

export function describeTags(current: NetworkModel | undefined, flowLogs: readonly FlowLog[], req: { readonly Filters?: readonly Ec2Filter[] }): TagDescription[] {
  const all: TagDescription[] = [];
  const add = (id: string, kind: ResourceKind, tags: readonly Tag[]) => {
    for (const t of tags) all.push({ ResourceId: id, ResourceType: TAGGABLE_TYPE[kind], Key: t.Key, Value: t.Value });
  };
  for (const v of current?.vpcs ?? []) {
    add(v.id, 'vpc', v.tags);
    for (const s of v.subnets) add(s.id, 'subnet', s.tags);
    for (const i of v.instances) add(i.id, 'instance', i.tags);
    for (const n of v.networkInterfaces) add(n.id, 'network-interface', n.tags);
    for (const g of v.securityGroups) add(g.id, 'security-group', g.tags);
    for (const a of v.networkAcls) add(a.id, 'network-acl', a.tags);
  }
  for (const f of flowLogs) add(f.flowLogId, 'flow-log', f.tags ?? []);
  return applyFilters(all, req.Filters, {
    key: (t) => [t.Key],
    value: (t) => [t.Value],
    'resource-id': (t) => [t.ResourceId],
    'resource-type': (t) => [t.ResourceType],
  });
}
