// The EC2 Query protocol (version 2016-11-15): form parameters with flattened lists
// (`ResourceId.1`, `Filter.1.Value.2`) → the PascalCase request objects the handlers take, and
// their results → EC2 XML (`<…Response>`, lower-camel names, `<item>` lists). Serves the flow-log
// actions declared here and the network actions of ec2-network.ts.

import type { ControlPlane } from '../../control/index.ts';
import { AwsProtocolError } from './errors.ts';
import { NETWORK_ACTIONS } from './ec2-network.ts';
import {
  B, I, S, SCALAR, TAG_OUT, list, outList, outStruct, same, scalars, struct, type Ec2ActionSpec, type Ec2Caller, type InShape, type OutShape,
} from './ec2-shapes.ts';

export const EC2_API_VERSION = '2016-11-15';
export const EC2_XML_NAMESPACE = `http://ec2.amazonaws.com/doc/${EC2_API_VERSION}/`;

// ---------------------------------------------------------------------------------------------
// The flow-log actions (the network actions are declared in ec2-network.ts). Input member names are
// the JSON (CLI) names; `query` is the wire name (the model's locationName with its first letter
// upper-cased).

const UNSUCCESSFUL_OUT = outList(outStruct({ Error: { xml: 'error', shape: outStruct(scalars('Code', 'Message')) }, ResourceId: { xml: 'resourceId', shape: SCALAR } }));

const FLOW_LOG_OUT = outStruct({
  ...scalars(
    'CreationTime', 'DeliverLogsErrorMessage', 'DeliverLogsPermissionArn', 'DeliverCrossAccountRole', 'DeliverLogsStatus', 'FlowLogId', 'FlowLogStatus',
    'LogGroupName', 'ResourceId', 'TrafficType', 'LogDestinationType', 'LogDestination', 'LogFormat', 'MaxAggregationInterval',
  ),
  Tags: { xml: 'tagSet', shape: outList(TAG_OUT) },
  DestinationOptions: { xml: 'destinationOptions', shape: outStruct(scalars('FileFormat', 'HiveCompatiblePartitions', 'PerHourPartition')) },
  TagFieldSpecifications: {
    xml: 'tagFieldSpecificationSet',
    shape: outList(outStruct({ ResourceType: { xml: 'resourceType', shape: SCALAR }, TagKeys: { xml: 'tagKeySet', shape: outList(SCALAR) } })),
  },
});

const FLOW_LOG_ACTIONS: Readonly<Record<string, Ec2ActionSpec>> = {
  CreateFlowLogs: {
    input: struct({
      ...same('DryRun', B), ...same('ClientToken', S), ...same('DeliverLogsPermissionArn', S), ...same('DeliverCrossAccountRole', S),
      ...same('LogGroupName', S), ResourceIds: { query: 'ResourceId', shape: list(S) }, ...same('ResourceType', S), ...same('TrafficType', S),
      ...same('LogDestinationType', S), ...same('LogDestination', S), ...same('LogFormat', S),
      TagSpecifications: {
        query: 'TagSpecification',
        shape: list(struct({ ...same('ResourceType', S), Tags: { query: 'Tag', shape: list(struct({ ...same('Key', S), ...same('Value', S) })) } })),
      },
      TagFieldSpecifications: {
        query: 'TagFieldSpecification',
        shape: list(struct({ ...same('ResourceType', S), TagKeys: { query: 'TagKey', shape: list(S) } })),
      },
      ...same('MaxAggregationInterval', I),
      ...same('DestinationOptions', struct({ ...same('FileFormat', S), ...same('HiveCompatiblePartitions', B), ...same('PerHourPartition', B) })),
    }),
    required: ['ResourceType', 'ResourceIds'],
    output: outStruct({
      ClientToken: { xml: 'clientToken', shape: SCALAR },
      FlowLogIds: { xml: 'flowLogIdSet', shape: outList(SCALAR) },
      Unsuccessful: { xml: 'unsuccessful', shape: UNSUCCESSFUL_OUT },
    }),
    handler: (control, caller, input) => control.createFlowLogs(caller.accountId, input),
  },
  DescribeFlowLogs: {
    input: struct({
      ...same('DryRun', B),
      Filter: { query: 'Filter', shape: list(struct({ ...same('Name', S), Values: { query: 'Value', shape: list(S) } })) },
      FlowLogIds: { query: 'FlowLogId', shape: list(S) },
      ...same('MaxResults', I), ...same('NextToken', S),
    }),
    required: [],
    output: outStruct({ FlowLogs: { xml: 'flowLogSet', shape: outList(FLOW_LOG_OUT) }, NextToken: { xml: 'nextToken', shape: SCALAR } }),
    handler: async (control, caller, { DryRun, ...input }) => {
      // The control plane has no DryRun for this read-only action; EC2 answers it like the others.
      if (DryRun === true) throw new AwsProtocolError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
      return control.describeFlowLogs(caller.accountId, input);
    },
  },
  DeleteFlowLogs: {
    input: struct({ ...same('DryRun', B), FlowLogIds: { query: 'FlowLogId', shape: list(S) } }),
    // An empty FlowLogId list is refused by the model with AWS's observed InvalidParameterValue (spec §5.4), not MissingParameter.
    required: [],
    output: outStruct({ Unsuccessful: { xml: 'unsuccessful', shape: UNSUCCESSFUL_OUT } }),
    handler: (control, caller, input) => control.deleteFlowLogs(caller.accountId, input),
  },
};

/** Every action this endpoint serves, by name. */
const ACTIONS: ReadonlyMap<string, Ec2ActionSpec> = new Map([...Object.entries(FLOW_LOG_ACTIONS), ...NETWORK_ACTIONS]);

export const EC2_ACTIONS: readonly string[] = [...ACTIONS.keys()];

// ---------------------------------------------------------------------------------------------
// Request parsing

/** Parameters that belong to the protocol or to SigV2/SigV4 query signing, not to an action. */
const PROTOCOL_PARAMS = new Set(['Action', 'Version']);

interface ParamNode {
  value?: string;
  children: Map<string, ParamNode>;
}

export interface Ec2Request {
  action: string;
  /** The action's members in the CLI's JSON shape (what the control plane takes). */
  input: Record<string, unknown>;
}

/** Parses form parameters into an action and its request object; throws AwsProtocolError with EC2's codes. */
export function parseEc2Query(params: URLSearchParams): Ec2Request {
  const actions = params.getAll('Action');
  if (actions.length === 0 || actions[0] === '') throw new AwsProtocolError('MissingAction', 'The request must contain the parameter Action');
  if (actions.length > 1) throw new AwsProtocolError('InvalidParameterValue', 'The parameter Action was given more than once');
  const action = actions[0]!;
  const spec = ACTIONS.get(action);
  if (!spec) throw new AwsProtocolError('InvalidAction', `The action ${action} is not valid for this web service.`);
  const version = params.get('Version');
  if (version !== null && version !== EC2_API_VERSION) {
    throw new AwsProtocolError('InvalidParameterValue', `This endpoint serves EC2 API version ${EC2_API_VERSION}, not '${version}'`);
  }

  const root: ParamNode = { children: new Map() };
  const seen = new Set<string>();
  for (const [key, value] of params) {
    if (PROTOCOL_PARAMS.has(key)) continue;
    if (seen.has(key)) throw new AwsProtocolError('InvalidParameterValue', `The parameter ${key} was given more than once`);
    seen.add(key);
    let node = root;
    for (const part of key.split('.')) {
      let child = node.children.get(part);
      if (!child) node.children.set(part, (child = { children: new Map() }));
      node = child;
    }
    node.value = value;
  }
  const input = readStructure(root, spec.input, '');
  for (const name of spec.required) {
    const v = input[name];
    if (v === undefined || (Array.isArray(v) && v.length === 0)) {
      throw new AwsProtocolError('MissingParameter', `The request must contain the parameter ${spec.input.members[name]!.query}`);
    }
  }
  return { action, input };
}

const joinPath = (path: string, part: string): string => (path ? `${path}.${part}` : part);

function readNode(node: ParamNode, shape: InShape, path: string): unknown {
  switch (shape.type) {
    case 'structure':
      return readStructure(node, shape, path);
    case 'list':
      return readList(node, shape.member, path);
    default:
      return readScalar(node, shape.type, path);
  }
}

function readScalar(node: ParamNode, type: 'string' | 'integer' | 'boolean', path: string): unknown {
  const [child] = node.children.keys();
  if (child !== undefined) throw new AwsProtocolError('UnknownParameter', `The parameter ${joinPath(path, child)} is not recognized`);
  const v = node.value ?? '';
  if (type === 'string') return v;
  if (type === 'integer') {
    if (!/^-?\d{1,15}$/.test(v)) throw new AwsProtocolError('InvalidParameterValue', `Value (${v}) for parameter ${path} is invalid. Expected an integer.`);
    return Number(v);
  }
  const lower = v.toLowerCase();
  if (lower !== 'true' && lower !== 'false') throw new AwsProtocolError('InvalidParameterValue', `Value (${v}) for parameter ${path} is invalid. Expected: 'true' or 'false'.`);
  return lower === 'true';
}

function readList(node: ParamNode, member: InShape, path: string): unknown[] {
  if (node.value !== undefined && node.value !== '') {
    throw new AwsProtocolError('InvalidParameterValue', `The parameter ${path} is a list: give it as ${path}.1, ${path}.2, …`);
  }
  const indexed: [number, ParamNode][] = [];
  for (const [key, child] of node.children) {
    if (!/^[1-9]\d{0,5}$/.test(key)) throw new AwsProtocolError('UnknownParameter', `The parameter ${joinPath(path, key)} is not recognized`);
    indexed.push([Number(key), child]);
  }
  // EC2 orders list members by their index, which need not be contiguous.
  return indexed.sort((a, b) => a[0] - b[0]).map(([i, child]) => readNode(child, member, `${path}.${i}`));
}

function readStructure(node: ParamNode, shape: InShape & { type: 'structure' }, path: string): Record<string, unknown> {
  if (path && node.value !== undefined && node.value !== '') {
    throw new AwsProtocolError('InvalidParameterValue', `The parameter ${path} is a structure: give its members as ${path}.<Member>`);
  }
  const byQuery = new Map(Object.entries(shape.members).map(([json, m]) => [m.query, { json, shape: m.shape }]));
  const out: Record<string, unknown> = {};
  for (const [key, child] of node.children) {
    const member = byQuery.get(key);
    if (!member) throw new AwsProtocolError('UnknownParameter', `The parameter ${joinPath(path, key)} is not recognized`);
    out[member.json] = readNode(child, member.shape, joinPath(path, key));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Running an action

/** Runs a parsed request for the caller (an account id alone stands for a caller without a credential scope region). */
export function runEc2Action(control: ControlPlane, caller: Ec2Caller | string, request: Ec2Request): Promise<Record<string, unknown>> {
  const spec = ACTIONS.get(request.action);
  if (!spec) throw new AwsProtocolError('InvalidAction', `The action ${request.action} is not valid for this web service.`);
  return spec.handler(control, typeof caller === 'string' ? { accountId: caller } : caller, request.input);
}

// ---------------------------------------------------------------------------------------------
// Response serialization

const XML_PROLOG = '<?xml version="1.0" encoding="UTF-8"?>\n';

/**
 * Escapes text for XML content. Characters XML 1.0 cannot carry at all (most C0 controls, lone
 * surrogates, U+FFFE/U+FFFF) become U+FFFD; CR is kept as a character reference so parsers do not
 * normalize it away.
 */
export function xmlEscape(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/[&<>"'\r]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#xD;' })[c]!);
}

function scalarText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v);
}

function writeElement(name: string, value: unknown, shape: OutShape): string {
  if (value === undefined || value === null) return '';
  const content = writeContent(value, shape);
  return content === '' ? `<${name}/>` : `<${name}>${content}</${name}>`;
}

function writeContent(value: unknown, shape: OutShape): string {
  switch (shape.type) {
    case 'scalar':
      return xmlEscape(scalarText(value));
    case 'list':
      return (Array.isArray(value) ? value : [value]).map((v) => writeElement('item', v, shape.member)).join('');
    case 'structure':
      return writeMembers(value as Record<string, unknown>, shape);
  }
}

/** Members in the shape's order; members the shape does not know are left out (clients could not read them). */
function writeMembers(value: Record<string, unknown>, shape: OutShape & { type: 'structure' }): string {
  return Object.entries(shape.members).map(([json, m]) => writeElement(m.xml, value[json], m.shape)).join('');
}

/** `<{Action}Response xmlns=…><requestId>…</requestId>…</{Action}Response>` */
export function ec2ResponseXml(action: string, result: Record<string, unknown>, requestId: string): string {
  const spec = ACTIONS.get(action);
  if (!spec) throw new AwsProtocolError('InvalidAction', `The action ${action} is not valid for this web service.`);
  return `${XML_PROLOG}<${action}Response xmlns="${EC2_XML_NAMESPACE}"><requestId>${xmlEscape(requestId)}</requestId>${writeMembers(result, spec.output)}</${action}Response>`;
}

/** EC2's error document: note `RequestID` here against `requestId` in successes. */
export function ec2ErrorXml(code: string, message: string, requestId: string): string {
  return `${XML_PROLOG}<Response><Errors><Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message></Error></Errors><RequestID>${xmlEscape(requestId)}</RequestID></Response>`;
}

export const EC2_CONTENT_TYPE = 'text/xml;charset=UTF-8';
