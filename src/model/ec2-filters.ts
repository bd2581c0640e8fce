// EC2 Describe* filters: each resource type has its own filter names, plus `tag:KEY` and
// `tag-key` for taggable ones. Filters AND together, the values of one filter OR; values may use
// `*` and `?` wildcards (`\` escapes). An unknown filter name is refused as EC2 refuses it.

import { ApiError } from './errors.ts';
import type { Tag } from './tags.ts';

export interface Ec2Filter {
  readonly Name: string;
  readonly Values: readonly string[];
}

type FieldValue = string | number | boolean | null | undefined;

/** Filter name → the values an item shows for it (an item matches when any of them matches). */
export type FilterFields<T> = Readonly<Record<string, (item: T) => readonly FieldValue[]>>;

function wildcard(value: string): RegExp {
  let re = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && i + 1 < value.length) re += escape(value[++i]!);
    else if (c === '*') re += '[\\s\\S]*';
    else if (c === '?') re += '[\\s\\S]';
    else re += escape(c);
  }
  return new RegExp(`^${re}$`, 'u');
}

const escape = (c: string): string => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Checks names and values first (a bad filter is refused even when there is nothing to filter), then filters. */
export function applyFilters<T>(items: readonly T[], filters: readonly Ec2Filter[] | undefined, fields: FilterFields<T>, tagsOf?: (item: T) => readonly Tag[]): T[] {
  const checks = (filters ?? []).map((f) => {
    if (typeof f?.Name !== 'string' || f.Name === '') throw new ApiError('InvalidParameterValue', 'Each filter needs a Name');
    const values = f.Values ?? [];
    if (!Array.isArray(values) || values.length === 0) throw new ApiError('InvalidParameterValue', `The filter '${f.Name}' needs at least one value`);
    const patterns = values.map((v) => wildcard(String(v)));
    const tagKey = tagsOf && f.Name.startsWith('tag:') && f.Name.length > 4 ? f.Name.slice(4) : undefined;
    let valuesOf: (item: T) => readonly FieldValue[];
    if (tagKey !== undefined) valuesOf = (item) => tagsOf!(item).filter((t) => t.Key === tagKey).map((t) => t.Value);
    else if (tagsOf && f.Name === 'tag-key') valuesOf = (item) => tagsOf(item).map((t) => t.Key);
    else if (Object.hasOwn(fields, f.Name)) valuesOf = fields[f.Name]!;
    else throw new ApiError('InvalidParameterValue', `The filter '${f.Name}' is invalid`);
    return (item: T) => valuesOf(item).some((v) => v !== null && v !== undefined && patterns.some((p) => p.test(String(v))));
  });
  return items.filter((item) => checks.every((matches) => matches(item)));
}
