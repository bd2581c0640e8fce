// End-to-end: hand-made requests to a real `vpcflow serve` process's AWS endpoint, signed with the
// AWS SDK's own SigV4 signer (@smithy/signature-v4) and then broken on purpose — missing and wrongly
// typed parameters, bad JSON, oversized bodies, unknown actions and targets, malformed, tampered,
// expired and foreign signatures. Every answer must carry the AWS error code in its service's
// shape (EC2 XML `<Response><Errors><Error>`, CloudWatch Logs JSON `__type`) with AWS's HTTP status,
// and none of them may change anything.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { EC2Client, CreateFlowLogsCommand, DescribeFlowLogsCommand } from '@aws-sdk/client-ec2';
import { CloudWatchLogsClient, CreateLogGroupCommand, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { VpcflowServer, ROOT } from '../helpers/cli.ts';
import { NodeSha256 } from '../helpers/sha256.ts';

const ACCOUNT = '111122223333'; // the account of examples/network.yaml
const VPC = 'vpc-0a1b2c3d4e5f60718';
const MAX_BODY = 1024 * 1024;
const EC2_FORM = 'application/x-www-form-urlencoded; charset=utf-8';
const LOGS_JSON = 'application/x-amz-json-1.1';

let server: VpcflowServer;
let host: string;
let port: number;
let key: { accessKeyId: string; secretAccessKey: string };
let ec2: EC2Client;
let logs: CloudWatchLogsClient;

interface RawRequest {
  headers: Record<string, string>;
  body: string | Buffer;
}

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Signs like the SDK does (host, x-amz-date, x-amz-content-sha256, and every given header). */
async function signed(
  service: string,
  headers: Record<string, string>,
  body: string | Buffer,
  opts: { credentials?: { accessKeyId: string; secretAccessKey: string }; date?: Date } = {},
): Promise<RawRequest> {
  const signer = new SignatureV4({ service, region: 'us-east-1', credentials: opts.credentials ?? key, sha256: NodeSha256 });
  const req = await signer.sign(
    { method: 'POST', protocol: 'http:', hostname: host, port, path: '/', query: {}, headers: { host: `${host}:${port}`, ...headers }, body },
    { signingDate: opts.date ?? new Date() },
  );
  return { headers: { ...req.headers }, body };
}

const ec2Form = (params: Record<string, string>): string => new URLSearchParams(params).toString();
const ec2Request = (params: Record<string, string>, opts?: Parameters<typeof signed>[3]) => signed('ec2', { 'content-type': EC2_FORM }, ec2Form(params), opts);
const logsRequest = (operation: string, body: string | Buffer, opts?: Parameters<typeof signed>[3]) =>
  signed('logs', { 'content-type': LOGS_JSON, 'x-amz-target': `Logs_20140328.${operation}` }, body, opts);

/** Sends exactly these headers and body; `chunked` leaves out Content-Length. */
function send(req: RawRequest, chunked = false): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...req.headers };
    const body = typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : req.body;
    if (!chunked) headers['content-length'] = String(body.length);
    else delete headers['content-length'];
    const r = httpRequest({ host, port, method: 'POST', path: '/', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    // The server may answer (413) and close before the whole body is written; the answer still counts.
    r.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e)));
    if (chunked) {
      for (let i = 0; i < body.length; i += 64 * 1024) r.write(body.subarray(i, i + 64 * 1024));
      r.end();
    } else {
      r.end(body);
    }
  });
}

const EC2_ERROR = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<Response><Errors><Error><Code>([^<]+)<\/Code><Message>([^<]*)<\/Message><\/Error><\/Errors><RequestID>([^<]+)<\/RequestID><\/Response>$/;

/** An EC2 Query error: XML `<Response><Errors><Error><Code>` with the request id of the header. */
function assertEc2Error(a: RawAnswer, code: string, status: number, message?: RegExp): void {
  assert.equal(a.status, status, `HTTP status for ${code}: ${a.body}`);
  assert.match(String(a.headers['content-type']), /^text\/xml/);
  const m = EC2_ERROR.exec(a.body);
  assert.ok(m, `EC2 error document expected, got: ${a.body}`);
  assert.equal(m[1], code, a.body);
  assert.equal(m[3], a.headers['x-amzn-requestid'], 'RequestID in the body is the x-amzn-RequestId header');
  if (message) assert.match(m[2]!, message);
}

/** A CloudWatch Logs JSON error: exactly `{"__type", "message"}`. */
function assertLogsError(a: RawAnswer, code: string, status: number, message?: RegExp): void {
  assert.equal(a.status, status, `HTTP status for ${code}: ${a.body}`);
  assert.equal(a.headers['content-type'], LOGS_JSON);
  let parsed: unknown;
  assert.doesNotThrow(() => (parsed = JSON.parse(a.body)), `JSON error body expected, got: ${a.body}`);
  const body = parsed as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['__type', 'message']);
  assert.equal(body.__type, code, a.body);
  assert.equal(typeof body.message, 'string');
  if (message) assert.match(body.message as string, message);
  assert.equal(typeof a.headers['x-amzn-requestid'], 'string');
}

/** What the account has: its flow logs and its log groups, as the SDK describes them. */
async function snapshot(): Promise<string> {
  const flowLogs = ((await ec2.send(new DescribeFlowLogsCommand({}))).FlowLogs ?? []).map((f) => ({ ...f, CreationTime: f.CreationTime?.toISOString() }));
  const groups = (await logs.send(new DescribeLogGroupsCommand({}))).logGroups ?? [];
  return JSON.stringify({ flowLogs, groups });
}

/** Runs the bad requests and checks the account looks exactly the same afterwards. */
async function changesNothing(work: () => Promise<void>): Promise<void> {
  const before = await snapshot();
  await work();
  assert.equal(await snapshot(), before, 'a refused request changed the account');
}

before(async () => {
  server = new VpcflowServer();
  await server.start();
  const url = new URL(server.endpoint);
  host = url.hostname;
  port = Number(url.port);
  const applied = await server.run(['apply', join(ROOT, 'examples/network.yaml')]);
  assert.equal(applied.code, 0, applied.stderr);
  const created = await server.run(['accounts', 'create', '--account', ACCOUNT, '--output', 'json']);
  assert.equal(created.code, 0, created.stderr);
  const k = JSON.parse(created.stdout).AccessKey as { AccessKeyId: string; SecretAccessKey: string };
  key = { accessKeyId: k.AccessKeyId, secretAccessKey: k.SecretAccessKey };
  const common = { endpoint: server.endpoint, region: 'us-east-1', credentials: key, maxAttempts: 1 };
  ec2 = new EC2Client(common);
  logs = new CloudWatchLogsClient(common);
  // Something to protect: one flow log and one log group.
  await ec2.send(new CreateFlowLogsCommand({ ResourceType: 'VPC', ResourceIds: [VPC], TrafficType: 'ALL', LogGroupName: '/bad-requests/flows' }));
  await logs.send(new CreateLogGroupCommand({ logGroupName: '/bad-requests/existing' }));
});

after(async () => {
  ec2?.destroy();
  logs?.destroy();
  await server?.stop();
});

const CREATE_FLOW_LOG = { Action: 'CreateFlowLogs', Version: '2016-11-15', ResourceType: 'VPC', 'ResourceId.1': VPC, TrafficType: 'ALL', LogGroupName: '/bad-requests/new' };

test('control: the hand-signed requests are accepted when nothing is wrong with them', async () => {
  const described = await send(await ec2Request({ Action: 'DescribeFlowLogs', Version: '2016-11-15' }));
  assert.equal(described.status, 200, described.body);
  assert.match(described.body, /<DescribeFlowLogsResponse xmlns="http:\/\/ec2\.amazonaws\.com\/doc\/2016-11-15\/"><requestId>[^<]+<\/requestId><flowLogSet><item>/);
  const groups = await send(await logsRequest('DescribeLogGroups', '{"logGroupNamePrefix":"/bad-requests/"}'));
  assert.equal(groups.status, 200, groups.body);
  // The flow log's group appears with its first delivery; only the created one exists yet.
  assert.deepEqual((JSON.parse(groups.body) as { logGroups: { logGroupName: string }[] }).logGroups.map((g) => g.logGroupName), ['/bad-requests/existing']);
});

test('EC2 Query: missing, unknown and wrongly typed parameters are refused with EC2 codes', async () => {
  await changesNothing(async () => {
    const without = (name: string) => Object.fromEntries(Object.entries(CREATE_FLOW_LOG).filter(([k]) => k !== name));
    assertEc2Error(await send(await ec2Request(without('ResourceType'))), 'MissingParameter', 400, /ResourceType/);
    assertEc2Error(await send(await ec2Request(without('ResourceId.1'))), 'MissingParameter', 400, /ResourceId/);
    assertEc2Error(await send(await ec2Request(without('Action'))), 'MissingAction', 400);
    assertEc2Error(await send(await ec2Request({ ...CREATE_FLOW_LOG, Action: 'LaunchTheRocket' })), 'InvalidAction', 400, /LaunchTheRocket/);
    assertEc2Error(await send(await ec2Request({ ...CREATE_FLOW_LOG, Version: '2014-01-01' })), 'InvalidParameterValue', 400, /2014-01-01/);
    assertEc2Error(await send(await ec2Request({ Action: 'DescribeFlowLogs', Version: '2016-11-15', MaxResults: 'abc' })), 'InvalidParameterValue', 400, /abc.*MaxResults/);
    assertEc2Error(await send(await ec2Request({ ...CREATE_FLOW_LOG, MaxAggregationInterval: '60s' })), 'InvalidParameterValue', 400, /MaxAggregationInterval/);
    assertEc2Error(await send(await ec2Request({ ...CREATE_FLOW_LOG, DryRun: 'perhaps' })), 'InvalidParameterValue', 400, /DryRun/);
    assertEc2Error(await send(await ec2Request({ ...CREATE_FLOW_LOG, 'DestinationOptions.HiveCompatiblePartitions': 'yes' })), 'InvalidParameterValue', 400, /HiveCompatiblePartitions/);
    assertEc2Error(await send(await ec2Request({ ...CREATE_FLOW_LOG, Colour: 'blue' })), 'UnknownParameter', 400, /Colour/);
    assertEc2Error(await send(await ec2Request({ ...CREATE_FLOW_LOG, 'ResourceId.x': VPC })), 'UnknownParameter', 400, /ResourceId\.x/);
    assertEc2Error(await send(await ec2Request({ ...CREATE_FLOW_LOG, ResourceId: VPC })), 'InvalidParameterValue', 400, /list/);
    assertEc2Error(await send(await ec2Request({ Action: 'DeleteFlowLogs', Version: '2016-11-15' })), 'InvalidParameterValue', 400);
    // The same parameter twice: a form body can carry it, EC2 refuses it.
    const twice = await signed('ec2', { 'content-type': EC2_FORM }, `${ec2Form(CREATE_FLOW_LOG)}&TrafficType=REJECT`);
    assertEc2Error(await send(twice), 'InvalidParameterValue', 400, /TrafficType/);
  });
});

test('CloudWatch Logs JSON: unknown targets, invalid JSON and wrongly typed members are refused with Logs codes', async () => {
  await changesNothing(async () => {
    assertLogsError(await send(await logsRequest('LaunchTheRocket', '{}')), 'UnknownOperationException', 400, /LaunchTheRocket/);
    assertLogsError(await send(await signed('logs', { 'content-type': LOGS_JSON, 'x-amz-target': 'Kinesis_20131202.CreateStream' }, '{}')), 'UnknownOperationException', 400);
    assertLogsError(await send(await signed('logs', { 'content-type': LOGS_JSON }, '{"logGroupName":"/bad-requests/new"}')), 'UnknownOperationException', 400, /X-Amz-Target/);
    assertLogsError(await send(await logsRequest('CreateLogGroup', '{"logGroupName": "/bad-requests/new"')), 'SerializationException', 400);
    assertLogsError(await send(await logsRequest('CreateLogGroup', '["/bad-requests/new"]')), 'SerializationException', 400);
    assertLogsError(await send(await logsRequest('CreateLogGroup', '{"logGroupName": 5}')), 'SerializationException', 400, /logGroupName/);
    assertLogsError(await send(await logsRequest('CreateLogGroup', '{}')), 'InvalidParameterException', 400, /logGroupName/);
    assertLogsError(await send(await logsRequest('DescribeLogGroups', '{"limit": "abc"}')), 'SerializationException', 400, /limit/);
    assertLogsError(await send(await logsRequest('DescribeLogGroups', '{"limit": 0}')), 'InvalidParameterException', 400, /limit/);
    assertLogsError(await send(await logsRequest('PutRetentionPolicy', '{"logGroupName": "/bad-requests/existing", "retentionInDays": "7"}')), 'SerializationException', 400, /retentionInDays/);
    assertLogsError(await send(await logsRequest('PutRetentionPolicy', '{"logGroupName": "/bad-requests/existing", "retentionInDays": 8}')), 'InvalidParameterException', 400, /retentionInDays/);
    assertLogsError(await send(await logsRequest('FilterLogEvents', '{"logGroupName": "/bad-requests/existing", "filterPattern": "[a, b"}')), 'InvalidParameterException', 400);
    assertLogsError(await send(await logsRequest('FilterLogEvents', '{"logGroupName": "/bad-requests/existing", "logStreamNames": "eni-1"}')), 'SerializationException', 400, /logStreamNames/);
    assertLogsError(await send(await logsRequest('DeleteLogGroup', '{"logGroupName": "/bad-requests/none"}')), 'ResourceNotFoundException', 400, /does not exist/);
  });
});

test('a body over 1 MiB is refused with 413 in each service\'s shape, whether its length is declared or streamed', async () => {
  await changesNothing(async () => {
    const bigEc2 = `${ec2Form(CREATE_FLOW_LOG)}&TagSpecification.1.ResourceType=vpc-flow-log&TagSpecification.1.Tag.1.Key=k&TagSpecification.1.Tag.1.Value=${'v'.repeat(MAX_BODY)}`;
    const ec2Big = await signed('ec2', { 'content-type': EC2_FORM }, bigEc2);
    assertEc2Error(await send(ec2Big), 'RequestEntityTooLarge', 413);
    assertEc2Error(await send(ec2Big, true), 'RequestEntityTooLarge', 413);
    const logsBig = await logsRequest('CreateLogGroup', JSON.stringify({ logGroupName: '/bad-requests/new', tags: { k: 'v'.repeat(MAX_BODY) } }));
    assertLogsError(await send(logsBig), 'RequestEntityTooLarge', 413);
    assertLogsError(await send(logsBig, true), 'RequestEntityTooLarge', 413);
    // Exactly at the limit is still read (and then refused for what it says, not for its size).
    const atLimit = ec2Form(CREATE_FLOW_LOG) + '&Padding=';
    const exact = await signed('ec2', { 'content-type': EC2_FORM }, atLimit + 'p'.repeat(MAX_BODY - atLimit.length));
    assert.equal(Buffer.byteLength(exact.body), MAX_BODY);
    assertEc2Error(await send(exact), 'UnknownParameter', 400, /Padding/);
  });
});

/** Replaces one `Key=value` component of the Authorization header. */
const withAuthPart = (auth: string, part: 'Credential' | 'SignedHeaders' | 'Signature', value: string | null): string =>
  auth.replace(new RegExp(`(,\\s*)?${part}=[^,]*`), (_m, comma: string | undefined) => (value === null ? '' : `${comma ?? ''}${part}=${value}`)).replace(/^(AWS4-HMAC-SHA256)\s*,\s*/, '$1 ');

test('malformed, tampered, expired, foreign and missing signatures are refused by each service, changing nothing', async () => {
  const createLogGroup = () => logsRequest('CreateLogGroup', '{"logGroupName":"/bad-requests/new"}');
  const createFlowLog = () => ec2Request(CREATE_FLOW_LOG);
  const mutate = async (make: () => Promise<RawRequest>, change: (r: RawRequest) => void): Promise<RawRequest> => {
    const r = await make();
    change(r);
    return r;
  };
  const tamper = (sig: string) => sig.slice(0, -1) + (sig.endsWith('0') ? '1' : '0');
  const sigOf = (auth: string) => /Signature=([0-9a-f]{64})/.exec(auth)![1]!;

  await changesNothing(async () => {
    // No Authorization header at all.
    for (const make of [createFlowLog, createLogGroup]) {
      const r = await mutate(make, (x) => delete x.headers.authorization);
      if (make === createFlowLog) assertEc2Error(await send(r), 'MissingAuthenticationToken', 401);
      else assertLogsError(await send(r), 'MissingAuthenticationTokenException', 400);
    }
    // Authorization header without its Credential component.
    assertEc2Error(await send(await mutate(createFlowLog, (x) => (x.headers.authorization = withAuthPart(x.headers.authorization!, 'Credential', null)))), 'IncompleteSignature', 400, /Credential/);
    assertLogsError(await send(await mutate(createLogGroup, (x) => (x.headers.authorization = withAuthPart(x.headers.authorization!, 'Credential', null)))), 'IncompleteSignatureException', 400, /Credential/);
    // A credential scope with four elements, an unsupported algorithm, a short signature.
    assertEc2Error(await send(await mutate(createFlowLog, (x) => (x.headers.authorization = x.headers.authorization!.replace('/us-east-1/', '/')))), 'IncompleteSignature', 400);
    assertLogsError(await send(await mutate(createLogGroup, (x) => (x.headers.authorization = x.headers.authorization!.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA1')))), 'IncompleteSignatureException', 400, /algorithm/);
    assertLogsError(await send(await mutate(createLogGroup, (x) => (x.headers.authorization = withAuthPart(x.headers.authorization!, 'Signature', 'abc')))), 'IncompleteSignatureException', 400, /Signature/);
    // A date that is not ISO 8601 basic format.
    assertEc2Error(await send(await mutate(createFlowLog, (x) => (x.headers['x-amz-date'] = new Date().toISOString()))), 'IncompleteSignature', 400, /ISO-8601/);
    assertLogsError(await send(await mutate(createLogGroup, (x) => (x.headers['x-amz-date'] = '20261324T250000Z'))), 'IncompleteSignatureException', 400, /ISO-8601/);
    // Signed correctly, but for S3: S3's own "not implemented" (its XML, 501), whatever the body looks like.
    for (const r of [await signed('s3', { 'content-type': EC2_FORM }, ec2Form(CREATE_FLOW_LOG)), await signed('s3', { 'content-type': LOGS_JSON, 'x-amz-target': 'Logs_20140328.CreateLogGroup' }, '{"logGroupName":"/bad-requests/new"}')]) {
      const a = await send(r);
      assert.equal(a.status, 501, a.body);
      assert.match(a.body, /<Error><Code>NotImplemented<\/Code><Message>Amazon S3 \(s3\) is not implemented by vpcflow/);
    }
    // One hex digit of the signature changed; the body changed after signing; a signed header changed.
    const tampered = (x: RawRequest) => (x.headers.authorization = withAuthPart(x.headers.authorization!, 'Signature', tamper(sigOf(x.headers.authorization!))));
    assertEc2Error(await send(await mutate(createFlowLog, tampered)), 'AuthFailure', 401);
    assertLogsError(await send(await mutate(createLogGroup, tampered)), 'InvalidSignatureException', 400, /signature we calculated does not match/);
    assertEc2Error(await send(await mutate(createFlowLog, (x) => (x.body = String(x.body).replace('TrafficType=ALL', 'TrafficType=REJECT')))), 'AuthFailure', 401);
    assertLogsError(await send(await mutate(createLogGroup, (x) => (x.body = String(x.body).replace('/new', '/wen')))), 'InvalidSignatureException', 400);
    assertLogsError(await send(await mutate(createLogGroup, (x) => (x.headers['x-amz-target'] = 'Logs_20140328.DeleteLogGroup'))), 'InvalidSignatureException', 400);
    // Signed 20 minutes ago or 20 minutes ahead: outside AWS's 15-minute window.
    for (const skew of [-20, 20]) {
      const date = new Date(Date.now() + skew * 60_000);
      assertEc2Error(await send(await ec2Request(CREATE_FLOW_LOG, { date })), 'RequestExpired', 400, skew < 0 ? /expired/ : /not yet current/);
      assertLogsError(await send(await logsRequest('CreateLogGroup', '{"logGroupName":"/bad-requests/new"}', { date })), 'InvalidSignatureException', 400, skew < 0 ? /Signature expired/ : /not yet current/);
    }
    // An access key the server never issued, and the right key with the wrong secret.
    const stranger = { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: key.secretAccessKey };
    assertEc2Error(await send(await ec2Request(CREATE_FLOW_LOG, { credentials: stranger })), 'AuthFailure', 401, /not able to validate/);
    assertLogsError(await send(await logsRequest('CreateLogGroup', '{"logGroupName":"/bad-requests/new"}', { credentials: stranger })), 'UnrecognizedClientException', 400, /security token/);
    const wrongSecret = { accessKeyId: key.accessKeyId, secretAccessKey: 'x'.repeat(40) };
    assertEc2Error(await send(await ec2Request(CREATE_FLOW_LOG, { credentials: wrongSecret })), 'AuthFailure', 401);
    assertLogsError(await send(await logsRequest('CreateLogGroup', '{"logGroupName":"/bad-requests/new"}', { credentials: wrongSecret })), 'InvalidSignatureException', 400);
  });
});
