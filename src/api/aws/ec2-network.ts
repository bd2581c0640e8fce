// The EC2 network actions (VPCs, subnets, interfaces, instances, security groups, network ACLs,
// tags) on the Query endpoint. Mutating actions run the model's pure action through
// ControlPlane.mutateNetwork, so they change the same model by the same path as `vpcflow apply`
// (validated alike, persisted, realized when the server realizes); Describe* read the model.

import {
  ApiError, NetworkIndex, ValidationError, compileNetwork, defaultIdGenerator,
  authorizeSecurityGroupRules, createNetworkAcl, createNetworkAclEntry, createNetworkInterface, createSecurityGroup, createSubnet, createTags, createVpc,
  deleteNetworkAcl, deleteNetworkAclEntry, deleteNetworkInterface, deleteSecurityGroup, deleteSubnet, deleteTags, deleteVpc,
  describeInstances, describeNetworkAcls, describeNetworkInterfaces, describeSecurityGroups, describeSubnets, describeTags, describeVpcs,
  replaceNetworkAclAssociation, revokeSecurityGroupRules, runInstances, terminateInstances,
  type ActionContext, type Direction, type FlowLog, type NetworkDocument, type NetworkModel,
} from '../../model/index.ts';
import { AwsProtocolError } from './errors.ts';
import {
  RUNNING, instanceItem, ipPermissions, networkAclItem, networkInterfaceItem, reservationItem, securityGroupItem, securityGroupRuleItem, subnetItem, vpcItem,
} from './ec2-network-output.ts';
import { INPUTS, OUTPUTS, REQUIRED, RETURN_OUT } from './ec2-network-shapes.ts';
import type { Ec2ActionSpec, Ec2Handler, OutStructure } from './ec2-shapes.ts';

/** The region of a network created by an unsigned request (no credential scope to take it from). */
export const DEFAULT_REGION = 'us-east-1';

type Input = Record<string, unknown>;
type Answer = Record<string, unknown>;

const dryRun = (): AwsProtocolError => new AwsProtocolError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);

/** A refused document answers with its first problem's code, as EC2 answers one error per request. */
function asEc2Error(e: unknown): unknown {
  if (e instanceof ValidationError && e.problems.length > 0) {
    const p = e.problems[0]!;
    return new ApiError(p.code, e.problems.length > 1 ? `${p.message} (and ${e.problems.length - 1} more problem(s))` : p.message);
  }
  return e;
}

interface Mutation<R> {
  readonly doc?: NetworkDocument | undefined;
  readonly flowLogs?: readonly FlowLog[];
  readonly result: R;
}

/**
 * A mutating action: runs `act` on the current model inside mutateNetwork and writes the answer
 * from the model it leaves. With DryRun the document is only compiled, then refused as EC2 does.
 */
function mutating<R>(
  act: (current: NetworkModel | undefined, input: Input, ctx: ActionContext, flowLogs: readonly FlowLog[]) => Mutation<R>,
  answer: (idx: NetworkIndex, result: R, input: Input) => Answer = () => ({ Return: true }),
): Ec2Handler {
  return async (control, caller, { DryRun, ...input }) => {
    const ctx: ActionContext = { account: caller.accountId, region: caller.region ?? DEFAULT_REGION, ids: defaultIdGenerator };
    try {
      const done = await control.mutateNetwork(caller.accountId, (current, flowLogs) => {
        const m = act(current, input, ctx, flowLogs);
        if (DryRun === true) {
          if (m.doc !== undefined) compileNetwork(m.doc, current, ctx.ids);
          throw dryRun();
        }
        return m;
      });
      return answer(new NetworkIndex(done.model ?? { account: caller.accountId, region: ctx.region, vpcs: [] }), done.result, input);
    } catch (e) {
      throw asEc2Error(e);
    }
  };
}

const PAGE = { min: 5, max: 1000 };

/** Server-side paging: NextToken is an opaque offset into the filtered list. */
function page<T>(items: readonly T[], input: Input): { items: T[]; NextToken?: string } {
  const max = input.MaxResults as number | undefined;
  if (max !== undefined && (max < PAGE.min || max > PAGE.max)) {
    throw new ApiError('InvalidParameterValue', `Value ( ${max} ) for parameter maxResults is invalid. Expecting a value between ${PAGE.min} and ${PAGE.max}.`);
  }
  let start = 0;
  if (typeof input.NextToken === 'string' && input.NextToken !== '') {
    const decoded = /^[A-Za-z0-9+/=]+$/.test(input.NextToken) ? Number(Buffer.from(input.NextToken, 'base64').toString('utf8').replace(/^o:/, '')) : NaN;
    if (!Number.isSafeInteger(decoded) || decoded < 0) throw new ApiError('InvalidParameterValue', `The token '${input.NextToken}' is invalid.`);
    start = decoded;
  }
  const rest = items.slice(start);
  if (max === undefined || rest.length <= max) return { items: rest };
  return { items: rest.slice(0, max), NextToken: Buffer.from(`o:${start + max}`).toString('base64') };
}

/** A read-only action over the caller's current model (and flow logs, for DescribeTags). */
function describing(read: (idx: NetworkIndex, input: Input, flowLogs: readonly FlowLog[], model: NetworkModel | undefined) => Answer): Ec2Handler {
  return async (control, caller, { DryRun, ...input }) => {
    const { model, flowLogs } = control.networkOf(caller.accountId);
    const idx = new NetworkIndex(model ?? { account: caller.accountId, region: caller.region ?? DEFAULT_REGION, vpcs: [] });
    const answer = read(idx, input, flowLogs, model);
    if (DryRun === true) throw dryRun();
    return answer;
  };
}

const as = <T>(input: Input): T => input as T;

function ruleHandlers(direction: Direction, verb: 'authorize' | 'revoke'): Ec2Handler {
  if (verb === 'authorize') {
    return mutating(
      (cur, input, ctx) => authorizeSecurityGroupRules(cur, as(input), direction, ctx),
      (idx, r) => ({ Return: true, SecurityGroupRules: r.rules.map((rule) => securityGroupRuleItem(idx, r.groupId, direction === 'egress', rule)) }),
    );
  }
  return mutating(
    (cur, input, ctx) => revokeSecurityGroupRules(cur, as(input), direction, ctx),
    (idx, r) => ({ Return: true, UnknownIpPermissions: r.unknown.length ? ipPermissions(idx, r.unknown) : undefined }),
  );
}

const HANDLERS: Record<keyof typeof INPUTS, Ec2Handler> = {
  CreateVpc: mutating((cur, input, ctx) => createVpc(cur, as(input), ctx), (idx, r) => ({ Vpc: vpcItem(idx, idx.vpc(r.vpcId)!) })),
  DescribeVpcs: describing((idx, input, _f, model) => {
    const p = page(describeVpcs(model, as(input)), input);
    return { Vpcs: p.items.map((v) => vpcItem(idx, v)), NextToken: p.NextToken };
  }),
  DeleteVpc: mutating((cur, input, ctx) => deleteVpc(cur, as(input), ctx)),
  CreateSubnet: mutating((cur, input, ctx) => createSubnet(cur, as(input), ctx), (idx, r) => ({ Subnet: subnetItem(idx, idx.subnet(r.subnetId)!) })),
  DescribeSubnets: describing((idx, input, _f, model) => {
    const p = page(describeSubnets(model, as(input)), input);
    return { Subnets: p.items.map((s) => subnetItem(idx, s)), NextToken: p.NextToken };
  }),
  DeleteSubnet: mutating((cur, input, ctx) => deleteSubnet(cur, as(input), ctx)),
  CreateNetworkInterface: mutating(
    (cur, input, ctx) => createNetworkInterface(cur, as(input), ctx),
    (idx, r, input) => ({ NetworkInterface: networkInterfaceItem(idx, idx.networkInterface(r.networkInterfaceId)!), ClientToken: input.ClientToken }),
  ),
  DescribeNetworkInterfaces: describing((idx, input, _f, model) => {
    const p = page(describeNetworkInterfaces(model, as(input)), input);
    return { NetworkInterfaces: p.items.map((n) => networkInterfaceItem(idx, n)), NextToken: p.NextToken };
  }),
  DeleteNetworkInterface: mutating((cur, input, ctx) => deleteNetworkInterface(cur, as(input), ctx)),
  RunInstances: mutating(
    (cur, input, ctx) => runInstances(cur, as(input), ctx),
    (idx, r, input) => reservationItem(idx, r.instanceIds.map((id) => idx.instance(id)!), input),
  ),
  DescribeInstances: describing((idx, input, _f, model) => {
    const p = page(describeInstances(model, as(input)), input);
    return { Reservations: p.items.map((i) => reservationItem(idx, [i])), NextToken: p.NextToken };
  }),
  TerminateInstances: mutating(
    (cur, input, ctx) => terminateInstances(cur, as(input), ctx),
    (_idx, r) => ({ TerminatingInstances: r.instanceIds.map((id) => ({ CurrentState: { Code: 32, Name: 'shutting-down' }, InstanceId: id, PreviousState: RUNNING })) }),
  ),
  CreateSecurityGroup: mutating(
    (cur, input, ctx) => createSecurityGroup(cur, as(input), ctx),
    (idx, r) => {
      const tags = idx.securityGroup(r.groupId)!.tags;
      return { GroupId: r.groupId, Tags: tags.length ? tags : undefined };
    },
  ),
  AuthorizeSecurityGroupIngress: ruleHandlers('ingress', 'authorize'),
  AuthorizeSecurityGroupEgress: ruleHandlers('egress', 'authorize'),
  RevokeSecurityGroupIngress: ruleHandlers('ingress', 'revoke'),
  RevokeSecurityGroupEgress: ruleHandlers('egress', 'revoke'),
  DescribeSecurityGroups: describing((idx, input, _f, model) => {
    const p = page(describeSecurityGroups(model, as(input)), input);
    return { SecurityGroups: p.items.map((g) => securityGroupItem(idx, g)), NextToken: p.NextToken };
  }),
  DeleteSecurityGroup: mutating((cur, input, ctx) => deleteSecurityGroup(cur, as(input), ctx)),
  CreateNetworkAcl: mutating(
    (cur, input, ctx) => createNetworkAcl(cur, as(input), ctx),
    (idx, r, input) => ({ NetworkAcl: networkAclItem(idx, idx.networkAcl(r.networkAclId)!), ClientToken: input.ClientToken }),
  ),
  DeleteNetworkAcl: mutating((cur, input, ctx) => deleteNetworkAcl(cur, as(input), ctx)),
  CreateNetworkAclEntry: mutating((cur, input, ctx) => createNetworkAclEntry(cur, as(input), ctx)),
  DeleteNetworkAclEntry: mutating((cur, input, ctx) => deleteNetworkAclEntry(cur, as(input), ctx)),
  ReplaceNetworkAclAssociation: mutating((cur, input, ctx) => replaceNetworkAclAssociation(cur, as(input), ctx), (_idx, r) => ({ NewAssociationId: r.newAssociationId })),
  DescribeNetworkAcls: describing((idx, input, _f, model) => {
    const p = page(describeNetworkAcls(model, as(input)), input);
    return { NetworkAcls: p.items.map((a) => networkAclItem(idx, a)), NextToken: p.NextToken };
  }),
  CreateTags: mutating((cur, input, ctx, flowLogs) => createTags(cur, flowLogs, as(input), ctx)),
  DeleteTags: mutating((cur, input, ctx, flowLogs) => deleteTags(cur, flowLogs, as(input), ctx)),
  DescribeTags: describing((_idx, input, flowLogs, model) => {
    const p = page(describeTags(model, flowLogs, as(input)), input);
    return { Tags: p.items, NextToken: p.NextToken };
  }),
};

/** Output shapes by action; the Authorize and Revoke actions share one per verb. */
const OUTPUT_OF: Record<keyof typeof INPUTS, OutStructure> = {
  CreateVpc: OUTPUTS.CreateVpc, DescribeVpcs: OUTPUTS.DescribeVpcs, DeleteVpc: RETURN_OUT,
  CreateSubnet: OUTPUTS.CreateSubnet, DescribeSubnets: OUTPUTS.DescribeSubnets, DeleteSubnet: RETURN_OUT,
  CreateNetworkInterface: OUTPUTS.CreateNetworkInterface, DescribeNetworkInterfaces: OUTPUTS.DescribeNetworkInterfaces, DeleteNetworkInterface: RETURN_OUT,
  RunInstances: OUTPUTS.RunInstances, DescribeInstances: OUTPUTS.DescribeInstances, TerminateInstances: OUTPUTS.TerminateInstances,
  CreateSecurityGroup: OUTPUTS.CreateSecurityGroup,
  AuthorizeSecurityGroupIngress: OUTPUTS.AuthorizeSecurityGroupRules, AuthorizeSecurityGroupEgress: OUTPUTS.AuthorizeSecurityGroupRules,
  RevokeSecurityGroupIngress: OUTPUTS.RevokeSecurityGroupRules, RevokeSecurityGroupEgress: OUTPUTS.RevokeSecurityGroupRules,
  DescribeSecurityGroups: OUTPUTS.DescribeSecurityGroups, DeleteSecurityGroup: RETURN_OUT,
  CreateNetworkAcl: OUTPUTS.CreateNetworkAcl, DeleteNetworkAcl: RETURN_OUT, CreateNetworkAclEntry: RETURN_OUT, DeleteNetworkAclEntry: RETURN_OUT,
  ReplaceNetworkAclAssociation: OUTPUTS.ReplaceNetworkAclAssociation, DescribeNetworkAcls: OUTPUTS.DescribeNetworkAcls,
  CreateTags: RETURN_OUT, DeleteTags: RETURN_OUT, DescribeTags: OUTPUTS.DescribeTags,
};

/** A Map: actions are looked up by a name the caller sends, which must never find an inherited member. */
export const NETWORK_ACTIONS: ReadonlyMap<string, Ec2ActionSpec> = new Map(
  (Object.keys(INPUTS) as (keyof typeof INPUTS)[]).map((name) => [name, { input: INPUTS[name], required: REQUIRED[name] ?? [], output: OUTPUT_OF[name], handler: HANDLERS[name] }]),
);

