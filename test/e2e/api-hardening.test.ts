// End-to-end against a real `vpcflow serve`: what fuzzing the running server found, each fixed and
// pinned here. Handler tables are not reachable by prototype names; a token without its fields is
// AWS's "The specified nextToken is invalid."; uploads sign their payload chunk by chunk (S3's
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD), so captured headers replayed with another body, a tampered
// chunk or a cut body are refused and nothing is ingested, while `vpcflow ingest` streams as before;
// AWS services vpcflow lacks answer "… is not implemented by vpcflow" in their clients' shape (the
// real aws CLI prints it); the operator lists accounts' keys with their last use and deletes keys,
// which stop working at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { VpcflowServer, ROOT, SHARED } from '../helpers/cli.ts';
import { Client, CliError, type Credentials } from '../../src/cli/client.ts';
import { authorizationFor, sha256Hex, signingKey, type ChunkChain } from '../../src/api/aws/sigv4.ts';
import { signChunks } from '../../src/api/aws/sigv4-streaming.ts';

const A = '111122223333'; // examples/network.yaml's account
// One account per upload scenario: a capture's content is ingested once per account.
const B = '222233334444'; // `vpcflow ingest` through the real CLI
const C = '333344445555'; // a captured upload replayed
const D = '444455556666'; // hand-signed uploads: tampered, cut, unsigned, single-shot
const PCAPS = join(SHARED, 'testdata/pcap/ipfixprobe');
const HTTP_PCAP = join(PCAPS, 'http.pcap'); // 66928 bytes, 192.168.0.30 talking HTTP
const DNS_PCAP = join(PCAPS, 'dns.pcap'); // 192.168.0.30 asking DNS
const AWS = '/usr/bin/aws';
const STREAMING = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
// With CI=true nothing skips: a missing capture or aws CLI fails the test instead.
const CI = process.env.CI === 'true';
const NO_PCAP = existsSync(HTTP_PCAP) && existsSync(DNS_PCAP) || CI ? false : `third-party captures missing under ${PCAPS} (../shared/testdata from the repo root): the upload tests did not run`;
const NO_AWS = existsSync(AWS) || CI ? false : `${AWS} (aws CLI v2) is not installed: the unimplemented-services test did not run`;

let server: VpcflowServer;
let operator: Client;
let keyA: Credentials;
const vpcOf = (account: string) => `vpc-0${account[0]}${'0'.repeat(14)}1`;

/** A network of one subnet with interfaces at 192.168.0.30 (the captures' host) and .31. */
const networkDoc = (account: string): string => {
  const x = account[0]!;
  return `account: "${account}"
region: us-east-1
vpcs:
  - id: ${vpcOf(account)}
    cidr: 192.168.0.0/16
    subnets:
      - { id: subnet-0${x}${'0'.repeat(14)}1, cidr: 192.168.0.0/24, availability-zone: us-east-1a }
    instances:
      - id: i-0${x}${'0'.repeat(14)}1
        subnet: subnet-0${x}${'0'.repeat(14)}1
        interfaces: [{ id: eni-0${x}${'0'.repeat(13)}30, private-ip: 192.168.0.30 }]
      - id: i-0${x}${'0'.repeat(14)}2
        subnet: subnet-0${x}${'0'.repeat(14)}1
        interfaces: [{ id: eni-0${x}${'0'.repeat(13)}31, private-ip: 192.168.0.31 }]
`;
};

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Sends exactly these headers (an object, or raw name/value pairs) and body pieces to the server. */
function send(method: string, path: string, headers: Record<string, string> | string[], pieces: Buffer[]): Promise<Answer> {
  const url = new URL(server.endpoint);
  return new Promise((resolve, reject) => {
    const r = httpRequest({ host: url.hostname, port: url.port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    // A refused upload is answered before the server read all of it; the answer counts, not the broken pipe.
    r.on('error', (e: NodeJS.ErrnoException) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e)));
    for (const p of pieces) r.write(p);
    r.end();
  });
}

const json = (a: Answer): { __type?: string; message?: string } & Record<string, unknown> => JSON.parse(a.body) as Record<string, unknown>;

/** Records delivered to the account's flow log: the events of its log group (none before the group's first delivery). */
async function recordsOf(account: string): Promise<number> {
  let n = 0;
  let nextToken: string | undefined;
  for (let page = 0; page < 100; page++) {
    let r: { events: unknown[]; nextToken?: string };
    try {
      r = await operator.call('/v1/logs/FilterLogEvents', { Account: account, logGroupName: `/hardening/${account}`, ...(nextToken ? { nextToken } : {}) });
    } catch (e) {
      if (e instanceof CliError && e.code === 'ResourceNotFoundException' && page === 0) return 0;
      throw e;
    }
    n += r.events.length;
    if (!r.nextToken) return n;
    nextToken = r.nextToken;
  }
  throw new Error(`more than 100 pages of events in /hardening/${account}`);
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Uint8Array[] = [];
  for await (const c of source) out.push(c);
  return Buffer.concat(out);
}

async function* once(data: Buffer): AsyncGenerator<Uint8Array> {
  yield data;
}

/**
 * An upload of `data` in `chunkBytes` chunks, signed by hand here (S3's chunked-upload signing, a
 * fresh seed each time) with its wire length as Content-Length, or (`withoutLength`) without one,
 * sent with Transfer-Encoding: chunked, so a body can end early without the connection breaking.
 */
async function streamingUpload(account: string, data: Buffer, chunkBytes: number, withoutLength = false): Promise<{ path: string; headers: Record<string, string>; body: Buffer }> {
  const path = `/v1/vpcflow/Ingest?name=upload.pcap&account=${account}`;
  const url = new URL(path, server.endpoint);
  const key = operatorKey();
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const scope = { date: amzDate.slice(0, 8), region: 'us-east-1', service: 'vpcflow' };
  const frames = Math.ceil(data.length / chunkBytes);
  const wireLength = data.length + (frames + 1) * (';chunk-signature='.length + 64 + 4) + [...Array(frames).keys()].reduce((n, i) => n + Math.min(chunkBytes, data.length - i * chunkBytes).toString(16).length, 1);
  const headers: Record<string, string> = {
    'content-type': 'application/octet-stream', 'amz-sdk-invocation-id': randomUUID(), 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(data.length),
    ...(withoutLength ? {} : { 'content-length': String(wireLength) }), host: url.host, 'x-amz-date': amzDate, 'x-amz-content-sha256': STREAMING,
  };
  const authorization = authorizationFor({ method: 'POST', path: url.pathname, query: url.search.slice(1), headers: Object.entries(headers), body: new Uint8Array() },
    { accessKeyId: key.accessKeyId, secret: key.secretAccessKey }, scope, amzDate, STREAMING);
  const chain: ChunkChain = { key: signingKey(key.secretAccessKey, scope), amzDate, scope, seedSignature: /Signature=([0-9a-f]{64})$/.exec(authorization)![1]! };
  const body = await collect(signChunks(once(data), chain, data.length, chunkBytes));
  if (!withoutLength) assert.equal(body.length, wireLength);
  return { path, headers: { ...headers, authorization }, body };
}

/** Offsets of each aws-chunked frame's data. */
function frameData(body: Buffer): { at: number; size: number }[] {
  const out: { at: number; size: number }[] = [];
  for (let at = 0; at < body.length;) {
    const lf = body.indexOf('\n', at);
    const size = parseInt(body.subarray(at, body.indexOf(';', at)).toString(), 16);
    out.push({ at: lf + 1, size });
    at = lf + 1 + size + 2;
  }
  return out;
}

function operatorKey(): Credentials {
  const k = JSON.parse(readFileSync(server.operatorKeyFile, 'utf8')) as { AccessKeyId: string; SecretAccessKey: string };
  return { accessKeyId: k.AccessKeyId, secretAccessKey: k.SecretAccessKey };
}

/** A request signed with the operator key by hand, its payload hash as given (what older CLIs sent for uploads). */
function signedByHand(path: string, body: Buffer, payloadHash: string, extra: Record<string, string> = {}): Record<string, string> {
  const key = operatorKey();
  const url = new URL(path, server.endpoint);
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const headers: Record<string, string> = {
    'content-type': 'application/octet-stream', 'content-length': String(body.length), host: url.host, 'x-amz-date': amzDate, 'x-amz-content-sha256': payloadHash, ...extra,
  };
  const authorization = authorizationFor({ method: 'POST', path: url.pathname, query: url.search.slice(1), headers: Object.entries(headers), body },
    { accessKeyId: key.accessKeyId, secret: key.secretAccessKey }, { date: amzDate.slice(0, 8), region: 'us-east-1', service: 'vpcflow' }, amzDate, payloadHash);
  return { ...headers, authorization };
}

/** A request to the AWS endpoint (POST /) signed with A's key for `service`. */
function awsRequest(service: string, headers: Record<string, string>, body: string, creds: Credentials = keyA): Record<string, string> {
  const url = new URL(server.endpoint);
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const all: Record<string, string> = { ...headers, host: url.host, 'x-amz-date': amzDate };
  const authorization = authorizationFor({ method: 'POST', path: '/', query: '', headers: Object.entries(all), body: Buffer.from(body) },
    { accessKeyId: creds.accessKeyId, secret: creds.secretAccessKey }, { date: amzDate.slice(0, 8), region: 'us-east-1', service }, amzDate);
  return { ...all, 'content-length': String(Buffer.byteLength(body)), authorization };
}

before(async () => {
  server = new VpcflowServer();
  await server.start();
  operator = new Client(server.endpoint, operatorKey());
  const applied = await server.run(['apply', join(ROOT, 'examples/network.yaml')]);
  assert.equal(applied.code, 0, applied.stderr);
  for (const account of [B, C, D]) {
    const doc = join(server.dataDir, `${account}.yaml`);
    writeFileSync(doc, networkDoc(account));
    const r = await server.run(['apply', doc]);
    assert.equal(r.code, 0, r.stderr);
    const fl = await server.run(['flow-logs', 'create', '--account', account, '--resource-type', 'VPC', '--resource-ids', vpcOf(account), '--traffic-type', 'ALL',
      '--log-destination-type', 'cloud-watch-logs', '--log-group-name', `/hardening/${account}`]);
    assert.equal(fl.code, 0, fl.stderr);
  }
  const created = await operator.call<{ AccessKey: { AccessKeyId: string; SecretAccessKey: string } }>('/v1/vpcflow/CreateAccessKey', { AccountId: A });
  keyA = { accessKeyId: created.AccessKey.AccessKeyId, secretAccessKey: created.AccessKey.SecretAccessKey };
});

after(async () => {
  await server?.stop();
});

const PROTOTYPE_NAMES = ['constructor', 'valueOf', 'toString', 'hasOwnProperty', '__proto__', 'isPrototypeOf', '__defineGetter__'];

test('prototype names are unknown actions (4xx in the route\'s AWS shape), never a handler', async () => {
  for (const name of PROTOTYPE_NAMES) {
    await assert.rejects(operator.call(`/v1/ec2/${name}`, { Account: A }),
      (e: unknown) => e instanceof CliError && e.code === 'InvalidAction' && e.message.includes(`The action ${name} is not valid for this web service`), `/v1/ec2/${name}`);
    await assert.rejects(operator.call(`/v1/logs/${name}`, { Account: A }),
      (e: unknown) => e instanceof CliError && e.code === 'UnknownOperationException' && e.message.includes(name), `/v1/logs/${name}`);
    const ec2 = await send('POST', '/', awsRequest('ec2', { 'content-type': 'application/x-www-form-urlencoded' }, `Action=${name}&Version=2016-11-15`), [Buffer.from(`Action=${name}&Version=2016-11-15`)]);
    assert.equal(ec2.status, 400, ec2.body);
    assert.match(ec2.body, new RegExp(`<Code>InvalidAction</Code><Message>The action ${name} is not valid`));
    const logs = await send('POST', '/', awsRequest('logs', { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `Logs_20140328.${name}` }, '{}'), [Buffer.from('{}')]);
    assert.equal(logs.status, 400, logs.body);
    assert.equal(json(logs).__type, 'UnknownOperationException');
  }
  // The real actions still answer.
  assert.ok(Array.isArray((await operator.call<{ FlowLogs: unknown[] }>('/v1/ec2/DescribeFlowLogs', { Account: A })).FlowLogs));
});

test('vpcflow ingest streams a signed upload (every chunk signed); an UNSIGNED-PAYLOAD upload is refused and ingests nothing', { skip: NO_PCAP }, async () => {
  const r = await server.run(['ingest', HTTP_PCAP, '--account', B, '--output', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const ingested = (JSON.parse(r.stdout) as { Ingested: { Bytes: number; Packets: number; Records: number }[] }).Ingested[0]!;
  assert.equal(ingested.Bytes, readFileSync(HTTP_PCAP).length);
  assert.equal(ingested.Packets, 46);
  assert.ok(ingested.Records > 0, r.stdout);
  assert.equal(await recordsOf(B), ingested.Records);

  // What the CLI used to send: signed headers over UNSIGNED-PAYLOAD, so any body passed with them.
  const dns = readFileSync(DNS_PCAP);
  const path = `/v1/vpcflow/Ingest?name=dns.pcap&account=${B}`;
  const unsigned = await send('POST', path, signedByHand(path, dns, 'UNSIGNED-PAYLOAD'), [dns]);
  assert.equal(unsigned.status, 403, unsigned.body);
  assert.equal(json(unsigned).__type, 'InvalidSignatureException');
  assert.match(json(unsigned).message!, /must sign their payload; x-amz-content-sha256: UNSIGNED-PAYLOAD is refused.*STREAMING-AWS4-HMAC-SHA256-PAYLOAD/);
  assert.equal(await recordsOf(B), ingested.Records, 'the unsigned upload ingested nothing');
});

test('an upload\'s captured headers sent again with another body are refused and nothing is ingested; the genuine body once, then no more', { skip: NO_PCAP }, async () => {
  // A proxy between the CLI and the server keeps the CLI's request (headers and body) and answers it itself.
  let captured: { url: string; rawHeaders: string[]; body: Buffer } | undefined;
  const proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      captured = { url: req.url!, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks) };
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"__type":"ServiceUnavailable","message":"held by the test"}');
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const cli = await server.run(['ingest', HTTP_PCAP, '--account', C, '--endpoint', proxyUrl], { withEndpoint: false });
  await new Promise<void>((r) => proxy.close(() => r()));
  assert.match(cli.stderr, /held by the test/);
  assert.ok(captured);
  const address = Buffer.from([192, 168, 0, 30]);
  assert.ok(captured.body.includes(address), 'the captured body carries the capture');

  // Another body of the same length: every 192.168.0.30 turned into 192.168.0.31 (an interface of the network too).
  const other = Buffer.from(captured.body);
  for (let at = other.indexOf(address); at >= 0; at = other.indexOf(address, at + 4)) other[at + 3] = 31;
  assert.ok(!other.equals(captured.body));
  const replayed = await send('POST', captured.url, captured.rawHeaders, [other]);
  assert.equal(replayed.status, 403, replayed.body);
  assert.equal(json(replayed).__type, 'InvalidSignatureException');
  assert.match(json(replayed).message!, /the signature of chunk 1 .*does not match/);
  assert.equal(await recordsOf(C), 0, 'nothing of the other body was ingested');

  // The body the headers were signed with is accepted — once: the same signed upload again is refused.
  const genuine = await send('POST', captured.url, captured.rawHeaders, [captured.body]);
  assert.equal(genuine.status, 200, genuine.body);
  const records = json(genuine).Records as number;
  assert.ok(records > 0);
  assert.equal(await recordsOf(C), records);
  const again = await send('POST', captured.url, captured.rawHeaders, [captured.body]);
  assert.equal(again.status, 403, again.body);
  assert.match(json(again).message!, /already received with the same signature/);
  assert.equal(await recordsOf(C), records);
});

test('a streamed upload with a tampered chunk, a cut body or reordered chunks is refused at that chunk and ingests nothing; intact, it is ingested', { skip: NO_PCAP }, async () => {
  const data = readFileSync(HTTP_PCAP);
  const CHUNK = 16 * 1024; // 5 chunks of capture, then the final one

  const tampered = await streamingUpload(D, data, CHUNK);
  const frames = frameData(tampered.body);
  assert.equal(frames.length, 6);
  tampered.body[frames[2]!.at + 100]! ^= 0xff;
  // Sent in pieces, as a slow client would: chunk 3 is refused whatever came before.
  const pieces = [tampered.body.subarray(0, frames[2]!.at), tampered.body.subarray(frames[2]!.at)];
  const t = await send('POST', tampered.path, tampered.headers, pieces);
  assert.equal(t.status, 403, t.body);
  assert.equal(json(t).__type, 'InvalidSignatureException');
  assert.match(json(t).message!, /the signature of chunk 3 \(data bytes 32768–49152 of 66928\) does not match .* refused at that chunk/);

  // The body ends cleanly (chunked transfer encoding) after every data chunk but before the final one.
  const cut = await streamingUpload(D, data, CHUNK, true);
  const cutFrames = frameData(cut.body);
  const withoutFinal = cut.body.subarray(0, cutFrames[5]!.at - `0;chunk-signature=${'0'.repeat(64)}\r\n`.length);
  const c = await send('POST', cut.path, cut.headers, [withoutFinal]);
  assert.equal(c.status, 400, c.body);
  assert.equal(json(c).__type, 'IncompleteBody');
  assert.match(json(c).message!, /after 66928 of the 66928 bytes .*without the signed final \(zero-length\) chunk/);

  const swapped = await streamingUpload(D, data, CHUNK);
  const sf = frameData(swapped.body);
  const frame = (i: number) => swapped.body.subarray(i === 0 ? 0 : sf[i - 1]!.at + sf[i - 1]!.size + 2, sf[i]!.at + sf[i]!.size + 2);
  const reordered = Buffer.concat([frame(0), frame(2), frame(1), frame(3), frame(4), frame(5)]);
  const s = await send('POST', swapped.path, swapped.headers, [reordered]);
  assert.equal(s.status, 403, s.body);
  assert.match(json(s).message!, /chunk 2 /);
  assert.equal(await recordsOf(D), 0, 'no refused upload ingested anything');

  const intact = await streamingUpload(D, data, CHUNK);
  const ok = await send('POST', intact.path, intact.headers, [intact.body]);
  assert.equal(ok.status, 200, ok.body);
  assert.equal(json(ok).Bytes, data.length);
  assert.ok((json(ok).Records as number) > 0);
  assert.equal(await recordsOf(D), json(ok).Records);
});

test('a small upload may be signed whole (x-amz-content-sha256 = its SHA-256); another body with those headers is refused', { skip: NO_PCAP }, async () => {
  const dns = readFileSync(DNS_PCAP);
  const path = `/v1/vpcflow/Ingest?name=dns.pcap&account=${D}`;
  const headers = signedByHand(path, dns, sha256Hex(dns), { 'amz-sdk-invocation-id': randomUUID() });
  const other = Buffer.from(dns);
  other[other.length - 1]! ^= 1;
  const before = await recordsOf(D);
  const refused = await send('POST', path, headers, [other]);
  assert.equal(refused.status, 403, refused.body);
  assert.match(json(refused).message!, /x-amz-content-sha256' header does not match what was computed/);
  assert.equal(await recordsOf(D), before);
  const accepted = await send('POST', path, headers, [dns]);
  assert.equal(accepted.status, 200, accepted.body);
  assert.ok((json(accepted).Records as number) > 0);
});

test('a nextToken without its fields, of the wrong type or not a token at all is 400 "The specified nextToken is invalid."', { skip: NO_PCAP }, async () => {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const bad = [b64({}), b64([]), b64(null), b64(1), b64({ after: 'x', offset: 'x', name: 5 }), b64({ after: '99999999999999999999', offset: -1 }), 'not a token!', '%%%'];
  const group = `/hardening/${B}`; // has a stream since B's ingest
  const streams = await operator.call<{ logStreams: { logStreamName: string }[] }>('/v1/logs/DescribeLogStreams', { Account: B, logGroupName: group });
  const stream = streams.logStreams[0]!.logStreamName;
  const calls: [string, Record<string, unknown>][] = [
    ['FilterLogEvents', { logGroupName: group }],
    ['DescribeLogStreams', { logGroupName: group }],
    ['DescribeLogGroups', {}],
  ];
  for (const token of bad) {
    for (const [op, body] of calls) {
      await assert.rejects(operator.call(`/v1/logs/${op}`, { Account: B, ...body, nextToken: token }),
        (e: unknown) => e instanceof CliError && e.code === 'InvalidParameterException' && /The specified nextToken is invalid\.$/.test(e.message), `${op} ${token}`);
    }
  }
  for (const token of ['f/99999999999999999999', 'f/', 'x/1', b64({})]) {
    await assert.rejects(operator.call('/v1/logs/GetLogEvents', { Account: B, logGroupName: group, logStreamName: stream, nextToken: token }),
      (e: unknown) => e instanceof CliError && e.code === 'InvalidParameterException', `GetLogEvents ${token}`);
  }
  // The same through the AWS endpoint, as the SDKs' paginators would send it.
  const body = JSON.stringify({ logGroupName: '/any', nextToken: b64({}) });
  const viaAws = await send('POST', '/', awsRequest('logs', { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Logs_20140328.FilterLogEvents' }, body), [Buffer.from(body)]);
  assert.equal(viaAws.status, 400, viaAws.body);
  assert.deepEqual(json(viaAws), { __type: 'InvalidParameterException', message: 'The specified nextToken is invalid.' });
  // Tokens the store handed out still page.
  const first = await operator.call<{ events: unknown[]; nextToken?: string }>('/v1/logs/FilterLogEvents', { Account: B, logGroupName: group, limit: 1 });
  assert.equal(first.events.length, 1);
  assert.ok(first.nextToken);
  assert.equal((await operator.call<{ events: unknown[] }>('/v1/logs/FilterLogEvents', { Account: B, logGroupName: group, limit: 1, nextToken: first.nextToken })).events.length, 1);
});

function aws(args: string[]): Promise<{ code: number; stderr: string }> {
  const env = {
    PATH: process.env.PATH, HOME: server.dataDir, AWS_ACCESS_KEY_ID: keyA.accessKeyId, AWS_SECRET_ACCESS_KEY: keyA.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: join(server.dataDir, 'no-config'), AWS_SHARED_CREDENTIALS_FILE: join(server.dataDir, 'no-credentials'), AWS_PAGER: '',
  };
  return new Promise((resolve) => {
    execFile(AWS, ['--endpoint-url', server.endpoint, ...args], { env, timeout: 60_000 }, (err, _stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0, stderr });
    });
  });
}

test('AWS services vpcflow lacks are "not implemented by vpcflow" in their clients\' shape, as the real aws CLI prints it', { skip: NO_AWS }, async () => {
  for (const [args, operation, service] of [
    [['sts', 'get-caller-identity'], 'GetCallerIdentity', /AWS STS \(sts\) is not implemented by vpcflow/],
    [['cloudwatch', 'list-metrics'], 'ListMetrics', /CloudWatch metrics \(monitoring\) is not implemented by vpcflow.*vpcflow metrics get/],
    [['s3', 'ls'], 'ListBuckets', /Amazon S3 \(s3\) is not implemented by vpcflow/],
    [['dynamodb', 'list-tables'], 'ListTables', /DynamoDB \(dynamodb\) is not implemented by vpcflow/],
    [['lambda', 'list-functions'], 'ListFunctions', /AWS Lambda \(lambda\) is not implemented by vpcflow/],
  ] as const) {
    const r = await aws([...args]);
    assert.equal(r.code, 254, `aws ${args.join(' ')}: ${r.stderr}`);
    // The CLI's default retries stay unused: no "(reached max retries: …)" in the line.
    assert.match(r.stderr, new RegExp(`An error occurred \\(NotImplemented\\) when calling the ${operation} operation: `), r.stderr);
    assert.match(r.stderr, service, r.stderr);
  }

  // The shapes themselves: Query XML for sts, JSON for a JSON target, S3's XML (501) for s3.
  const form = 'Action=GetCallerIdentity&Version=2011-06-15';
  const sts = await send('POST', '/', awsRequest('sts', { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, form), [Buffer.from(form)]);
  assert.equal(sts.status, 400);
  assert.match(String(sts.headers['content-type']), /^text\/xml/);
  assert.match(sts.body, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<ErrorResponse><Error><Type>Sender<\/Type><Code>NotImplemented<\/Code><Message>AWS STS \(sts\) is not implemented by vpcflow[^<]*<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/);
  const ddb = await send('POST', '/', { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables', 'content-length': '2' }, [Buffer.from('{}')]);
  assert.equal(ddb.status, 400);
  assert.equal(ddb.headers['x-amzn-errortype'], 'NotImplemented');
  assert.match(json(ddb).message!, /the service 'DynamoDB_20120810' \(named by the request's X-Amz-Target\) is not implemented by vpcflow/);
  const s3 = await send('GET', '/some-bucket?list-type=2', awsRequest('s3', {}, ''), []);
  assert.equal(s3.status, 501);
  assert.match(s3.body, /<Error><Code>NotImplemented<\/Code><Message>Amazon S3 \(s3\) is not implemented by vpcflow[^<]*<\/Message><Resource>\/some-bucket<\/Resource>/);
  // What names no service is still a plain 404, and the native API's own errors are unchanged.
  assert.equal((await send('GET', '/favicon.ico', {}, [])).status, 404);
  await assert.rejects(operator.call('/v1/vpcflow/NoSuchThing', {}), (e: unknown) => e instanceof CliError && e.code === 'UnknownOperationException');
});

test('the operator lists accounts with their keys and last use, and deletes a key, which stops authenticating at once', async () => {
  const createdFrom = Date.now();
  const made = await operator.call<{ AccessKey: { AccessKeyId: string; SecretAccessKey: string } }>('/v1/vpcflow/CreateAccessKey', { AccountId: A });
  const spare: Credentials = { accessKeyId: made.AccessKey.AccessKeyId, secretAccessKey: made.AccessKey.SecretAccessKey };
  type Listing = { Accounts: { AccountId: string; Keys: { AccessKeyId: string; CreatedAt: number; LastUsedAt: number | null }[] }[] };
  const keysOf = (l: Listing) => new Map(l.Accounts.flatMap((a) => a.Keys.map((k) => [k.AccessKeyId, { ...k, AccountId: a.AccountId }] as const)));

  const listed = await operator.call<Listing>('/v1/vpcflow/ListAccounts', {});
  assert.deepEqual(Object.keys(listed), ['Accounts']);
  const a = listed.Accounts.find((x) => x.AccountId === A);
  assert.ok(a, JSON.stringify(listed));
  assert.deepEqual(Object.keys(a.Keys[0]!).sort(), ['AccessKeyId', 'CreatedAt', 'LastUsedAt']);
  const sparePrior = keysOf(listed).get(spare.accessKeyId)!;
  assert.equal(sparePrior.LastUsedAt, null, 'a key never used has no last use');
  assert.ok(Number.isInteger(sparePrior.CreatedAt) && sparePrior.CreatedAt >= createdFrom && sparePrior.CreatedAt <= Date.now(), JSON.stringify(sparePrior));
  assert.equal(sparePrior.AccountId, A);
  assert.ok(!JSON.stringify(listed).includes(spare.secretAccessKey), 'secrets are never listed');

  // Used on the native API, then on the AWS endpoint: its last use is known, and not before it was created.
  const asSpare = new Client(server.endpoint, spare);
  await asSpare.call('/v1/ec2/DescribeFlowLogs', {});
  const afterUse = keysOf(await operator.call<Listing>('/v1/vpcflow/ListAccounts', {})).get(spare.accessKeyId)!;
  assert.ok(afterUse.LastUsedAt !== null && afterUse.LastUsedAt >= sparePrior.CreatedAt, JSON.stringify(afterUse));
  const form = 'Action=DescribeFlowLogs&Version=2016-11-15';
  assert.equal((await send('POST', '/', awsRequest('ec2', { 'content-type': 'application/x-www-form-urlencoded' }, form, spare), [Buffer.from(form)])).status, 200);
  assert.ok(keysOf(await operator.call<Listing>('/v1/vpcflow/ListAccounts', {})).get(spare.accessKeyId)!.LastUsedAt! >= afterUse.LastUsedAt!);

  // Account keys may not list or delete keys.
  await assert.rejects(asSpare.call('/v1/vpcflow/ListAccounts', {}), (e: unknown) => e instanceof CliError && e.code === 'AccessDenied');
  await assert.rejects(asSpare.call('/v1/vpcflow/DeleteAccessKey', { AccessKeyId: keyA.accessKeyId }), (e: unknown) => e instanceof CliError && e.code === 'AccessDenied');

  // Deleted: refused at once by both APIs, though the key was just in use (and cached).
  assert.deepEqual(await operator.call('/v1/vpcflow/DeleteAccessKey', { AccessKeyId: spare.accessKeyId }), { AccessKeyId: spare.accessKeyId, Deleted: true });
  await assert.rejects(asSpare.call('/v1/ec2/DescribeFlowLogs', {}), (e: unknown) => e instanceof CliError && e.code === 'UnrecognizedClientException');
  const refused = await send('POST', '/', awsRequest('ec2', { 'content-type': 'application/x-www-form-urlencoded' }, form, spare), [Buffer.from(form)]);
  assert.equal(refused.status, 401);
  assert.match(refused.body, /<Code>AuthFailure<\/Code>/);
  assert.ok(!keysOf(await operator.call<Listing>('/v1/vpcflow/ListAccounts', {})).has(spare.accessKeyId));
  // A key that is not (or no longer) there, the operator's own key, and a missing id.
  const again = Buffer.from(JSON.stringify({ AccessKeyId: spare.accessKeyId }));
  const gone = await send('POST', '/v1/vpcflow/DeleteAccessKey', signedByHand('/v1/vpcflow/DeleteAccessKey', again, sha256Hex(again), { 'content-type': 'application/json' }), [again]);
  assert.equal(gone.status, 404, gone.body);
  assert.deepEqual(json(gone), { __type: 'NoSuchEntity', message: `The Access Key with id ${spare.accessKeyId} cannot be found.` });
  await assert.rejects(operator.call('/v1/vpcflow/DeleteAccessKey', { AccessKeyId: operatorKey().accessKeyId }), (e: unknown) => e instanceof CliError && e.code === 'InvalidParameterValue' && /operator key/.test(e.message));
  await assert.rejects(operator.call('/v1/vpcflow/DeleteAccessKey', {}), (e: unknown) => e instanceof CliError && e.code === 'MissingParameter');
  // The other key of the account is untouched.
  assert.ok(Array.isArray((await new Client(server.endpoint, keyA).call<{ FlowLogs: unknown[] }>('/v1/ec2/DescribeFlowLogs', {})).FlowLogs));
});
