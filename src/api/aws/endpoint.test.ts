// The `POST /` endpoint in-process (Hono's fetch, no socket) with stand-in control plane, log store
// and key store: routing by credential scope, the caller's account passed down, each service's
// error format, the body limit, anonymous mode and internal failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hono } from 'hono';
import type { ControlPlane } from '../../control/index.ts';
import type { MetricFilterStore } from '../../metrics/index.ts';
import type { LogStore } from '../../destinations/logstore/index.ts';
import { mountAwsEndpoint, type AwsEndpointDeps } from './endpoint.ts';
import { authorizationFor, formatAmzDate } from './sigv4.ts';

const KEY = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const ACCOUNT = '111122223333';
const NOW = Date.UTC(2026, 2, 4, 5, 6, 7);
const HOST = '127.0.0.1:8088';

interface Recorded {
  calls: [string, string, unknown][];
  log: string[];
}

function endpoint(over: Partial<AwsEndpointDeps> = {}, controlFails = false): { app: Hono; rec: Recorded } {
  const rec: Recorded = { calls: [], log: [] };
  const control = {
    describeFlowLogs: async (account: string, req: unknown) => {
      if (controlFails) throw new Error('disk on fire at /secret/path');
      rec.calls.push(['DescribeFlowLogs', account, req]);
      return { FlowLogs: [] };
    },
  } as unknown as ControlPlane;
  const logStore = {
    describeLogGroups: async (account: string, opts: unknown) => (rec.calls.push(['DescribeLogGroups', account, opts]), { logGroups: [] }),
  } as unknown as LogStore;
  const app = new Hono();
  app.get('/v1/health', (c) => c.json({ status: 'ok' }));
  mountAwsEndpoint(app, {
    control, logStore, metrics: {} as MetricFilterStore,
    accounts: { lookup: async (id) => (id === KEY.accessKeyId ? { accountId: ACCOUNT, secret: KEY.secret } : undefined) },
    now: () => NOW, log: (l) => rec.log.push(l),
    ...over,
  });
  return { app, rec };
}

const EC2_BODY = 'Action=DescribeFlowLogs&Version=2016-11-15&Filter.1.Name=resource-id&Filter.1.Value.1=vpc-0abc';
const LOGS_BODY = '{"logGroupNamePrefix": "vpc"}';

function signed(service: string, body: string, opts: { secret?: string; accessKeyId?: string; at?: number; asForm?: boolean } = {}): Request {
  const amzDate = formatAmzDate(opts.at ?? NOW);
  const json = service === 'logs' && !opts.asForm;
  const headers: [string, string][] = [
    ['host', HOST],
    ['content-type', json ? 'application/x-amz-json-1.1' : 'application/x-www-form-urlencoded; charset=utf-8'],
    ['x-amz-date', amzDate],
    ...(json ? [['x-amz-target', 'Logs_20140328.DescribeLogGroups'] as [string, string]] : []),
  ];
  const bytes = new TextEncoder().encode(body);
  const auth = authorizationFor({ method: 'POST', path: '/', query: '', headers, body: bytes },
    { accessKeyId: opts.accessKeyId ?? KEY.accessKeyId, secret: opts.secret ?? KEY.secret }, { date: amzDate.slice(0, 8), region: 'us-east-1', service }, amzDate);
  return new Request(`http://${HOST}/`, { method: 'POST', headers: [...headers, ['authorization', auth]], body });
}

const unsigned = (contentType: string, body: string, target?: string) =>
  new Request(`http://${HOST}/`, { method: 'POST', headers: { 'content-type': contentType, ...(target ? { 'x-amz-target': target } : {}) }, body });

const xmlCode = (xml: string) => /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];

test('a signed EC2 request runs for the key\'s account and answers EC2 XML with the request id', async () => {
  const { app, rec } = endpoint();
  const res = await app.fetch(signed('ec2', EC2_BODY));
  const text = await res.text();
  assert.equal(res.status, 200, text);
  assert.match(res.headers.get('content-type')!, /^text\/xml/);
  const id = res.headers.get('x-amzn-requestid')!;
  assert.match(id, /^[0-9a-f-]{36}$/);
  assert.ok(text.includes(`<DescribeFlowLogsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${id}</requestId><flowLogSet/>`));
  assert.deepEqual(rec.calls, [['DescribeFlowLogs', ACCOUNT, { Filter: [{ Name: 'resource-id', Values: ['vpc-0abc'] }] }]]);
});

test('a signed Logs request runs for the key\'s account and answers JSON 1.1', async () => {
  const { app, rec } = endpoint();
  const res = await app.fetch(signed('logs', LOGS_BODY));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/x-amz-json-1.1');
  assert.ok(res.headers.get('x-amzn-requestid'));
  assert.deepEqual(await res.json(), { logGroups: [] });
  assert.deepEqual(rec.calls, [['DescribeLogGroups', ACCOUNT, { prefix: 'vpc', pattern: undefined, limit: undefined, nextToken: undefined }]]);
});

test('bad credentials get each service\'s own error, and nothing runs', async () => {
  const { app, rec } = endpoint();
  const wrongEc2 = await app.fetch(signed('ec2', EC2_BODY, { secret: 'x'.repeat(40) }));
  assert.equal(wrongEc2.status, 401);
  const xml = await wrongEc2.text();
  assert.equal(xmlCode(xml), 'AuthFailure');
  assert.match(xml, /<RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>$/);
  const unknownEc2 = await app.fetch(signed('ec2', EC2_BODY, { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA' }));
  assert.equal(xmlCode(await unknownEc2.text()), 'AuthFailure');

  const wrongLogs = await app.fetch(signed('logs', LOGS_BODY, { secret: 'x'.repeat(40) }));
  assert.equal(wrongLogs.status, 400);
  assert.equal(((await wrongLogs.json()) as { __type: string }).__type, 'InvalidSignatureException');
  const unknownLogs = await app.fetch(signed('logs', LOGS_BODY, { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA' }));
  assert.deepEqual(await unknownLogs.json(), { __type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' });

  const stale = await app.fetch(signed('ec2', EC2_BODY, { at: NOW - 20 * 60_000 }));
  assert.equal(xmlCode(await stale.text()), 'RequestExpired');
  const staleLogs = await app.fetch(signed('logs', LOGS_BODY, { at: NOW + 20 * 60_000 }));
  assert.match(((await staleLogs.json()) as { message: string }).message, /^Signature not yet current/);

  const noAuthEc2 = await app.fetch(unsigned('application/x-www-form-urlencoded', EC2_BODY));
  assert.equal(xmlCode(await noAuthEc2.text()), 'MissingAuthenticationToken');
  const noAuthLogs = await app.fetch(unsigned('application/x-amz-json-1.1', LOGS_BODY, 'Logs_20140328.DescribeLogGroups'));
  assert.equal(((await noAuthLogs.json()) as { __type: string }).__type, 'MissingAuthenticationTokenException');

  const badHeader = await app.fetch(new Request(`http://${HOST}/`, { method: 'POST', headers: { authorization: 'AWS4-HMAC-SHA256 Credential=x', 'content-type': 'application/x-www-form-urlencoded' }, body: EC2_BODY }));
  assert.equal(xmlCode(await badHeader.text()), 'IncompleteSignature');

  // Scoped to a service this endpoint does not serve: that service's "not implemented", in S3's shape for s3.
  const s3Scope = await app.fetch(signed('s3', EC2_BODY));
  assert.equal(s3Scope.status, 501);
  assert.match(await s3Scope.text(), /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<Error><Code>NotImplemented<\/Code><Message>Amazon S3 \(s3\) is not implemented by vpcflow/);
  assert.deepEqual(rec.calls, []);
});

test('the service comes from the credential scope: a logs-scoped form post is answered by Logs, not run as EC2', async () => {
  const { app, rec } = endpoint();
  const res = await app.fetch(signed('logs', EC2_BODY, { asForm: true }));
  assert.equal(res.headers.get('content-type'), 'application/x-amz-json-1.1');
  assert.equal(((await res.json()) as { __type: string }).__type, 'UnknownOperationException');
  // The same form post scoped to ec2 runs as EC2.
  const ec2 = await app.fetch(signed('ec2', EC2_BODY));
  assert.equal(ec2.status, 200);
  assert.deepEqual(rec.calls.map(([op]) => op), ['DescribeFlowLogs']);
});

test('a body over the limit is refused before it is read in full, in the protocol of the request', async () => {
  const { app, rec } = endpoint({ maxBodyBytes: 64 });
  const big = `${EC2_BODY}&FlowLogId.1=${'f'.repeat(100)}`;
  const res = await app.fetch(signed('ec2', big));
  assert.equal(res.status, 413);
  assert.equal(xmlCode(await res.text()), 'RequestEntityTooLarge');
  const logs = await app.fetch(signed('logs', JSON.stringify({ logGroupNamePrefix: 'v'.repeat(100) })));
  assert.equal(logs.status, 413);
  assert.equal(((await logs.json()) as { __type: string }).__type, 'RequestEntityTooLarge');
  // Without a Content-Length (a stream), the limit still holds.
  const stream = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(new TextEncoder().encode(big)); c.close(); } });
  const streamed = await app.fetch(new Request(`http://${HOST}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: stream, duplex: 'half' } as RequestInit));
  assert.equal(streamed.status, 413);
  assert.deepEqual(rec.calls, []);
});

test('anonymous mode: unsigned and unknown-key requests act for the configured account; a known key is still verified', async () => {
  const { app, rec } = endpoint({ anonymousAccount: '999988887777' });
  assert.equal((await app.fetch(unsigned('application/x-www-form-urlencoded', EC2_BODY))).status, 200);
  assert.equal((await app.fetch(signed('logs', LOGS_BODY, { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secret: 'anything' }))).status, 200);
  assert.equal((await app.fetch(signed('ec2', EC2_BODY))).status, 200);
  assert.equal((await app.fetch(signed('ec2', EC2_BODY, { secret: 'x'.repeat(40) }))).status, 401);
  assert.deepEqual(rec.calls.map(([op, account]) => [op, account]), [['DescribeFlowLogs', '999988887777'], ['DescribeLogGroups', '999988887777'], ['DescribeFlowLogs', ACCOUNT]]);
});

test('an internal failure is logged and answered without its details; other routes are untouched', async () => {
  const { app, rec } = endpoint({}, true);
  const res = await app.fetch(signed('ec2', EC2_BODY));
  assert.equal(res.status, 500);
  const text = await res.text();
  assert.equal(xmlCode(text), 'InternalError');
  assert.ok(!text.includes('/secret/path'));
  assert.equal(rec.log.length, 1);
  assert.match(rec.log[0]!, /disk on fire/);
  assert.equal((await app.fetch(new Request(`http://${HOST}/v1/health`))).status, 200);
});
