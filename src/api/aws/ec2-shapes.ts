// The vocabulary EC2 Query actions are declared in: input shapes (JSON member name → wire name),
// output shapes (JSON member name → XML element name), and an action's spec with its handler.
// ec2-query.ts reads requests and writes answers from these; each action family declares its own.

import type { ControlPlane } from '../../control/index.ts';

export type InShape =
  | { readonly type: 'string' | 'integer' | 'boolean' }
  | { readonly type: 'list'; readonly member: InShape }
  | { readonly type: 'structure'; readonly members: Readonly<Record<string, { readonly query: string; readonly shape: InShape }>> };

export type OutShape =
  | { readonly type: 'scalar' }
  | { readonly type: 'list'; readonly member: OutShape }
  | { readonly type: 'structure'; readonly members: Readonly<Record<string, { readonly xml: string; readonly shape: OutShape }>> };

export type InStructure = InShape & { type: 'structure' };
export type OutStructure = OutShape & { type: 'structure' };

export const S = { type: 'string' } as const;
export const I = { type: 'integer' } as const;
export const B = { type: 'boolean' } as const;
export const list = (member: InShape): InShape => ({ type: 'list', member });
export const struct = (members: Record<string, { query: string; shape: InShape }>): InStructure => ({ type: 'structure', members });
/** A member whose wire name is its JSON name. */
export const same = (name: string, shape: InShape) => ({ [name]: { query: name, shape } });
/** Members whose wire names are their JSON names. */
export const sameAll = (shape: InShape, ...names: string[]) => Object.fromEntries(names.map((n) => [n, { query: n, shape }]));

export const SCALAR: OutShape = { type: 'scalar' };
export const outList = (member: OutShape): OutShape => ({ type: 'list', member });
export const outStruct = (members: Record<string, { xml: string; shape: OutShape }>): OutStructure => ({ type: 'structure', members });
const lowerFirst = (name: string): string => name.charAt(0).toLowerCase() + name.slice(1);
/** Members whose XML name is the JSON name with a lower-case first letter. */
export const scalars = (...names: string[]) => Object.fromEntries(names.map((n) => [n, { xml: lowerFirst(n), shape: SCALAR }]));
export const member = (xml: string, shape: OutShape) => ({ xml, shape });

export const TAG_IN = struct({ ...same('Key', S), ...same('Value', S) });
export const TAG_OUT = outStruct(scalars('Key', 'Value'));
export const TAG_SPECIFICATIONS_IN = {
  TagSpecifications: { query: 'TagSpecification', shape: list(struct({ ...same('ResourceType', S), Tags: { query: 'Tag', shape: list(TAG_IN) } })) },
};
export const FILTERS_IN = { Filters: { query: 'Filter', shape: list(struct({ ...same('Name', S), Values: { query: 'Value', shape: list(S) } })) } };
export const PAGING_IN = { ...same('MaxResults', I), ...same('NextToken', S) };
export const DRY_RUN_IN = same('DryRun', B);

/** Who is calling: the account that owns the access key and the region of the credential scope (absent when unsigned). */
export interface Ec2Caller {
  readonly accountId: string;
  readonly region?: string | undefined;
}

export type Ec2Handler = (control: ControlPlane, caller: Ec2Caller, input: Record<string, unknown>) => Promise<Record<string, unknown>>;

export interface Ec2ActionSpec {
  readonly input: InStructure;
  /** JSON member names the action cannot run without (answered with MissingParameter). */
  readonly required: readonly string[];
  readonly output: OutStructure;
  readonly handler: Ec2Handler;
}
