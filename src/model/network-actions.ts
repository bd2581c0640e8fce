// What every EC2 network action shares: the current model written as an editable apply document,
// lookups that refuse malformed and unknown ids with EC2's codes, fresh ids, first-free address
// allocation (AWS reserves the first four and the last address of a subnet), tag specifications
// and parameter checks. The actions themselves (network-actions-*.ts) only edit the document; the
// caller applies it with planApply, so they are validated exactly like `vpcflow apply`.

import { canonicalIp, cidrSize, formatIp, ipProblem, isIpv4, isIpv6, nthAddress, parseCidr, CidrError } from '../net/index.ts';
import { usedAddresses } from './ec2-derived.ts';
import { ApiError } from './errors.ts';
import { ID_PREFIX, MALFORMED_CODE, NOT_FOUND_CODE, isResourceId, type IdGenerator, type ResourceKind } from './ids.ts';
import type { NetworkModel, Vpc } from './network.ts';
import { NetworkIndex } from './network-index.ts';
import { tagProblems, type Tag } from './tags.ts';
import { modelToDocument, type InstanceDocument, type InterfaceDocument, type NetworkDocument, type VpcDocument } from './to-document.ts';

export interface ActionContext {
  /** The caller's account; a network is created for it on its first CreateVpc. */
  readonly account: string;
  /** The region of a network created by this request (the request's credential scope). */
  readonly region: string;
  readonly ids: IdGenerator;
}

/** An action's edit: the whole document to apply, and what the caller reports back (ids created…). */
export interface ActionOutcome<R> {
  readonly doc: NetworkDocument;
  readonly result: R;
}

export interface TagSpecification {
  readonly ResourceType?: string;
  readonly Tags?: readonly { readonly Key?: string; readonly Value?: string }[];
}

export interface RequestTag {
  readonly Key?: string;
  readonly Value?: string;
}

/** EC2's wording for an id that names nothing: `The vpc ID 'vpc-…' does not exist`. */
const NOUN: Readonly<Record<ResourceKind, string>> = {
  vpc: 'vpc ID', subnet: 'subnet ID', instance: 'instance ID', 'network-interface': 'networkInterface ID',
  'security-group': 'security group', 'network-acl': 'networkAcl ID', 'flow-log': 'flow log ID',
};

export const notFound = (kind: ResourceKind, id: string): ApiError => new ApiError(NOT_FOUND_CODE[kind], `The ${NOUN[kind]} '${id}' does not exist`);

/** Malformed → `…Malformed`, else NotFound: the order EC2 checks in. */
export function unknownId(kind: ResourceKind, id: string): ApiError {
  if (!isResourceId(kind, id)) return new ApiError(MALFORMED_CODE[kind], `Invalid id: "${id}" (expecting "${ID_PREFIX[kind]}-..." followed by 8 or 17 hex digits)`);
  return notFound(kind, id);
}

export const missing = (param: string): ApiError => new ApiError('MissingParameter', `The request must contain the parameter ${param}`);

export function requireString(value: unknown, param: string): string {
  if (value === undefined || value === null || value === '') throw missing(param);
  if (typeof value !== 'string') throw new ApiError('InvalidParameterValue', `Value for parameter ${param} must be a string`);
  return value;
}

/**
 * A parameter's value as EC2 echoes it in an error: its text, cut short. String() of a list calls its
 * toString, which recurses (a list 50 000 deep overflowed the stack); layer 0 cannot use platform's
 * describeValue, so a value that is not text is named by its type.
 */
function paramText(value: unknown): string {
  // Cut before a high surrogate whose pair would be left behind: a lone half is no valid XML character.
  if (typeof value === 'string') return value.length > 60 ? `${value.slice(0, (value.charCodeAt(59) & 0xfc00) === 0xd800 ? 59 : 60)}…` : value;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'a structure';
  return typeof value === 'symbol' ? 'a symbol' : String(value);
}

export function optionalInteger(value: unknown, param: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new ApiError('InvalidParameterValue', `Value (${paramText(value)}) for parameter ${param} is invalid. Expected an integer from ${min} to ${max}.`);
  }
  return n;
}

export function requireBoolean(value: unknown, param: string): boolean {
  if (value === undefined || value === null) throw missing(param);
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new ApiError('InvalidParameterValue', `Value (${paramText(value)}) for parameter ${param} is invalid. Expected: 'true' or 'false'.`);
}

/** A strict CIDR block of the given version, in canonical text. */
export function readCidrParam(text: string, param: string, version: 4 | 6): string {
  try {
    const c = parseCidr(text);
    if (c.version === version) return c.text;
  } catch (e) {
    if (!(e instanceof CidrError)) throw e;
  }
  throw new ApiError('InvalidParameterValue', `Value (${text}) for parameter ${param} is invalid. This is not a valid ${version === 6 ? 'IPv6 ' : ''}CIDR block.`);
}

/** An address of the given version, in canonical text. */
export function readAddressParam(text: string, param: string, version: 4 | 6): string {
  if (ipProblem(text) !== undefined || (version === 4 ? !isIpv4(text) : !isIpv6(text))) {
    throw new ApiError('InvalidParameterValue', `Value (${text}) for parameter ${param} is invalid. This is not a valid IPv${version} address.`);
  }
  return canonicalIp(text);
}

/** Tags as EC2 takes them: a missing value is the empty string; keys and values follow tag rules. */
export function readTags(tags: readonly RequestTag[] | undefined, param: string): Tag[] {
  const out = (tags ?? []).map((t, i) => ({ Key: requireString(t?.Key, `${param}.${i + 1}.Key`), Value: t?.Value ?? '' }));
  const problem = tagProblems(out)[0];
  if (problem) throw new ApiError(problem.code, problem.message);
  return out;
}

/**
 * The tags a create action puts on each resource type it creates. `allowed` lists the resource
 * types the action creates (or accepts and ignores, as RunInstances does with `volume`).
 */
export function tagsBySpecification(specs: readonly TagSpecification[] | undefined, allowed: readonly string[]): Map<string, Tag[]> {
  const out = new Map<string, Tag[]>();
  (specs ?? []).forEach((spec, i) => {
    const type = requireString(spec?.ResourceType, `TagSpecification.${i + 1}.ResourceType`);
    if (!allowed.includes(type)) throw new ApiError('InvalidParameterValue', `'${type}' is not a valid taggable resource type for this operation.`);
    if (out.has(type)) throw new ApiError('InvalidParameterValue', `The tag specification for resource type '${type}' is given more than once`);
    out.set(type, readTags(spec.Tags, `TagSpecification.${i + 1}.Tag`));
  });
  return out;
}

/**
 * One action's view of the account: the current model (an empty network when there is none yet),
 * its index, the document being edited, and the ids and addresses already taken.
 */
export class NetworkEdit {
  readonly model: NetworkModel;
  readonly index: NetworkIndex;
  readonly doc: NetworkDocument;
  private readonly taken = new Set<string>();
  private readonly addresses: Set<string>;

  constructor(current: NetworkModel | undefined, private readonly ctx: ActionContext) {
    this.model = current ?? { account: ctx.account, region: ctx.region, vpcs: [] };
    this.index = new NetworkIndex(this.model);
    this.doc = modelToDocument(this.model);
    for (const v of this.model.vpcs) {
      for (const id of [v.id, ...v.subnets.map((s) => s.id), ...v.instances.map((i) => i.id), ...v.networkInterfaces.map((n) => n.id), ...v.securityGroups.map((g) => g.id), ...v.networkAcls.map((a) => a.id)]) this.taken.add(id);
    }
    this.addresses = usedAddresses(this.model);
  }

  outcome<R>(result: R): ActionOutcome<R> {
    return { doc: this.doc, result };
  }

  freshId(kind: ResourceKind): string {
    for (let attempt = 0; attempt < 1000; attempt++) {
      const id = this.ctx.ids(kind);
      if (!this.taken.has(id)) {
        this.taken.add(id);
        return id;
      }
    }
    throw new Error(`the id generator returned 1000 ${kind} ids that were all in use`);
  }

  vpc(id: unknown, param = 'VpcId'): Vpc {
    const text = requireString(id, param);
    const vpc = this.index.vpc(text);
    if (!vpc) throw unknownId('vpc', text);
    return vpc;
  }

  subnet(id: unknown, param = 'SubnetId') {
    const text = requireString(id, param);
    const s = this.index.subnet(text);
    if (!s) throw unknownId('subnet', text);
    return s;
  }

  securityGroup(id: unknown, param = 'GroupId') {
    const text = requireString(id, param);
    const g = this.index.securityGroup(text);
    if (!g) throw unknownId('security-group', text);
    return g;
  }

  networkAcl(id: unknown, param = 'NetworkAclId') {
    const text = requireString(id, param);
    const a = this.index.networkAcl(text);
    if (!a) throw unknownId('network-acl', text);
    return a;
  }

  instance(id: unknown, param = 'InstanceId') {
    const text = requireString(id, param);
    const i = this.index.instance(text);
    if (!i) throw unknownId('instance', text);
    return i;
  }

  networkInterface(id: unknown, param = 'NetworkInterfaceId') {
    const text = requireString(id, param);
    const n = this.index.networkInterface(text);
    if (!n) throw unknownId('network-interface', text);
    return n;
  }

  vpcDoc(vpcId: string): VpcDocument {
    const d = this.doc.Vpcs.find((v) => v.Id === vpcId);
    if (!d) throw notFound('vpc', vpcId);
    return d;
  }

  /** Every interface document of a VPC: standalone ones and those of its instances. */
  interfaceDocs(vpcId: string): InterfaceDocument[] {
    const v = this.vpcDoc(vpcId);
    return [...v.Instances.flatMap((i: InstanceDocument) => i.Interfaces), ...v.NetworkInterfaces];
  }

  /** Claims an address a request names; EC2 refuses one that an interface already holds. */
  claimAddress(address: string): void {
    if (this.addresses.has(address)) throw new ApiError('InvalidIPAddress.InUse', `Address ${address} is in use.`);
    this.addresses.add(address);
  }

  /** The lowest free address of the block that AWS does not reserve (indexes 4 … size-2). */
  nextAddress(cidr: string, subnetId: string): string {
    const size = cidrSize(cidr);
    // IPv6 subnets are huge; the scan ends at the first free address, a few past the used ones.
    for (let i = 4n; i < size - 1n; i++) {
      const a = formatIp(nthAddress(cidr, i));
      if (!this.addresses.has(a)) {
        this.addresses.add(a);
        return a;
      }
    }
    throw new ApiError('InsufficientFreeAddressesInSubnet', `There are not enough free addresses in subnet '${subnetId}' to satisfy the requested number of instances or addresses.`);
  }
}
