// End-to-end: hostile filter patterns and request bodies against a real `vpcflow serve` process.
// A regex that makes a backtracking engine explode (16 × `\d*` then `x`, 51 characters) used to hold
// the server's only thread for tens of seconds, so every other client waited; and 50 000 nested arrays
// in a TestMetricFilter body overflowed the stack (HTTP 500). Here each hostile request is sent
// together with an ordinary one, through the vpcflow CLI (native API) and through hand-signed
// CloudWatch Logs JSON requests (the AWS endpoint); both must be answered, within the test's timeout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { VpcflowServer } from '../helpers/cli.ts';
import { demoCapture, type Conversation } from '../../src/cli/demo-traffic.ts';
import { DEMO_NETWORK } from '../../src/cli/demo.ts';
import { NodeSha256 } from '../helpers/sha256.ts';

const ACCOUNT = '111122223333'; // DEMO_NETWORK's account
const VPC = 'vpc-0a1b2c3d4e5f60718';
const GROUP = '/vpc/hostile';
const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z
const HOSTILE = `%${'\\d*'.repeat(16)}x%`;
const DEEP = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;

let server: VpcflowServer;
let host: string;
let port: number;
let key: { accessKeyId: string; secretAccessKey: string };

/**
 * One CloudWatch Logs JSON 1.1 call with exactly this body text (so it can hold what an SDK would
 * never send), signed with the account's key like the SDK signs.
 */
async function logs(operation: string, body: string): Promise<{ status: number; body: string }> {
  const signer = new SignatureV4({ service: 'logs', region: 'us-east-1', credentials: key, sha256: NodeSha256 });
  const headers = { host: `${host}:${port}`, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `Logs_20140328.${operation}` };
  const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: host, port, path: '/', query: {}, headers, body });
  const payload = Buffer.from(body, 'utf8');
  return new Promise((resolve, reject) => {
    const r = httpRequest({ host, port, method: 'POST', path: '/', headers: { ...signed.headers, 'content-length': String(payload.length) }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(payload);
  });
}

async function cli(args: string[]): Promise<string> {
  const r = await server.run(args);
  assert.equal(r.code, 0, `vpcflow ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

before(async () => {
  server = new VpcflowServer();
  await server.start();
  const url = new URL(server.endpoint);
  host = url.hostname;
  port = Number(url.port);
  const work = server.dataDir;
  writeFileSync(join(work, 'network.yaml'), DEMO_NETWORK);
  await cli(['apply', join(work, 'network.yaml')]);
  const created = JSON.parse(await cli(['accounts', 'create', '--account', ACCOUNT, '--output', 'json']));
  key = { accessKeyId: created.AccessKey.AccessKeyId, secretAccessKey: created.AccessKey.SecretAccessKey };
  await cli(['flow-logs', 'create', '--resource-type', 'VPC', '--resource-ids', VPC, '--traffic-type', 'ALL', '--log-group-name', GROUP, '--max-aggregation-interval', '60']);
  // Many flows, so there are many records with long digit runs (account id, window times) to scan.
  const conversations: Conversation[] = Array.from({ length: 30 }, (_, i) => ({
    client: i % 2 ? '10.0.2.20' : '10.0.1.10', server: i % 2 ? '10.0.1.10' : '10.0.2.20', protocol: i % 3 ? 'tcp' : 'udp', port: 1000 + i, exchanges: 2, startSec: T0 + 5 + i * 7,
  }));
  const pcap = join(work, 'capture.pcap');
  writeFileSync(pcap, demoCapture(conversations));
  await cli(['ingest', pcap]);
});

after(async () => {
  await server?.stop();
});

test('vpcflow logs filter: the hostile regex answers while a second request is served', { timeout: 60_000 }, async () => {
  const plain = '[version, account, eni, src, dst, srcport, dstport, protocol, packets, bytes, start, end, action = ACCEPT, logstatus = OK]';
  const [hostile, slowMatch, ordinary, streams] = await Promise.all([
    server.run(['logs', 'filter', GROUP, '--filter-pattern', HOSTILE]),
    // The same explosive prefix, ending in text the records do have: every ACCEPT record matches.
    server.run(['logs', 'filter', GROUP, '--filter-pattern', `%${'\\d*'.repeat(16)} ACCEPT OK$%`]),
    server.run(['logs', 'filter', GROUP, '--filter-pattern', plain]),
    server.run(['logs', 'streams', GROUP, '--output', 'json']),
  ]);
  for (const r of [hostile, slowMatch, ordinary, streams]) assert.equal(r.code, 0, r.stderr);
  assert.equal(hostile.stdout, '', 'no flow record holds an x');
  const accepted = ordinary.stdout.trim().split('\n');
  assert.ok(accepted.length >= 30, `expected the capture's ACCEPT records, got:\n${ordinary.stdout}`);
  assert.deepEqual(slowMatch.stdout.trim().split('\n'), accepted);
  assert.equal(JSON.parse(streams.stdout).logStreams.length, 2);
});

test('FilterLogEvents and TestMetricFilter (AWS endpoint) with the hostile regex answer alongside DescribeLogGroups', { timeout: 60_000 }, async () => {
  const [filtered, tested, described] = await Promise.all([
    logs('FilterLogEvents', JSON.stringify({ logGroupName: GROUP, filterPattern: HOSTILE })),
    logs('TestMetricFilter', JSON.stringify({ filterPattern: HOSTILE, logEventMessages: ['1'.repeat(60), `${'1'.repeat(60)}x`, `${'1'.repeat(200_000)}`] })),
    logs('DescribeLogGroups', JSON.stringify({ logGroupNamePrefix: GROUP })),
  ]);
  assert.equal(filtered.status, 200, filtered.body);
  assert.deepEqual(JSON.parse(filtered.body).events, []);
  assert.equal(tested.status, 200, tested.body);
  assert.deepEqual(JSON.parse(tested.body).matches.map((m: { eventNumber: number }) => m.eventNumber), [2]);
  assert.equal(described.status, 200, described.body);
  assert.deepEqual(JSON.parse(described.body).logGroups.map((g: { logGroupName: string }) => g.logGroupName), [GROUP]);
});

test('TestMetricFilter with 50 000 nested arrays answers 200 or 400, never 500', { timeout: 60_000 }, async () => {
  // Nested arrays where strings belong: AWS's SerializationException, with a short message.
  for (const body of [`{"filterPattern":"{ $.a[0] = 1 }","logEventMessages":${DEEP}}`, `{"filterPattern":"{ $.a[0] = 1 }","logEventMessages":[${DEEP}]}`, `{"filterPattern":${DEEP},"logEventMessages":["x"]}`]) {
    const r = await logs('TestMetricFilter', body);
    assert.equal(r.status, 400, r.body.slice(0, 500));
    const answer = JSON.parse(r.body) as { __type: string; message: string };
    assert.equal(answer.__type, 'SerializationException', r.body.slice(0, 500));
    assert.ok(answer.message.length < 300, answer.message.slice(0, 300));
  }
  // The nesting inside a message: not JSON to the pattern, so no match; the shallow message matches.
  const inMessage = await logs('TestMetricFilter', JSON.stringify({ filterPattern: '{ $.a[0] = 1 }', logEventMessages: [DEEP, `{"a":[1],"b":${DEEP}}`, '{"a":[1]}'] }));
  assert.equal(inMessage.status, 200, inMessage.body.slice(0, 500));
  assert.deepEqual(JSON.parse(inMessage.body).matches.map((m: { eventNumber: number }) => m.eventNumber), [3]);
  // The same through the native API (vpcflow CLI).
  const native = JSON.parse(await cli(['logs', 'test-metric-filter', '--filter-pattern', '{ $.a[0] = 1 }', '--log-event-messages', DEEP, '{"a":[1]}', '--output', 'json']));
  assert.deepEqual(native.matches.map((m: { eventNumber: number }) => m.eventNumber), [2]);
});
