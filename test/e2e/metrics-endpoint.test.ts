// vpcflow's own metrics at GET /metrics, from a real `vpcflow serve`: refused without the metrics
// token, Prometheus text with it; the delivered-records counter equals the records `vpcflow query`
// finds for the flow log, and the ingest request is counted with its status.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, VpcflowServer } from '../helpers/cli.ts';

let server: VpcflowServer;

before(async () => {
  server = new VpcflowServer(['--no-console']);
  await server.start();
});

after(async () => {
  await server?.stop();
});

const token = () => readFileSync(join(server.dataDir, 'data', 'keys', 'metrics.token'), 'utf8').trim();
const scrape = async (auth?: string) => fetch(`${server.endpoint}/metrics`, auth ? { headers: { authorization: auth } } : {});

/** The value of one sample line of the exposition text (undefined when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

test('GET /metrics needs the metrics token and answers in Prometheus text format', async () => {
  assert.equal((await scrape()).status, 401);
  assert.equal((await scrape('Bearer wrong-token-wrong-token-wrong-token')).status, 401);
  assert.equal((await scrape(`Basic ${Buffer.from(`x:${token()}`).toString('base64')}`)).status, 401);
  // A refusal raised inside the API (thrown, answered by its error handler) is counted with its status.
  assert.equal((await fetch(`${server.endpoint}/v1/vpcflow/Query`, { method: 'POST', body: '{}' })).status, 401);
  const r = await scrape(`Bearer ${token()}`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await r.text();
  assert.match(text, /# TYPE vpcflow_archive_pending_records gauge\nvpcflow_archive_pending_records 0\n/);
  assert.match(text, /# TYPE vpcflow_api_requests_total counter/);
  assert.equal(sample(text, 'vpcflow_api_requests_total', { route: '/metrics', status: '401' }), 3);
  assert.equal(sample(text, 'vpcflow_api_requests_total', { route: '/v1/vpcflow/Query', method: 'POST', status: '401' }), 1);
});

test('records delivered by an ingest are counted per flow log as vpcflow query finds them; the ingest request is counted', async () => {
  assert.equal((await server.run(['apply', join(ROOT, 'examples/network.yaml')])).code, 0);
  const created = await server.run(['flow-logs', 'create', '--resource-type', 'VPC', '--resource-ids', 'vpc-0a1b2c3d4e5f60718', '--traffic-type', 'ALL',
    '--log-destination-type', 'cloud-watch-logs', '--log-group-name', '/vpc/metrics', '--output', 'json']);
  assert.equal(created.code, 0, created.stderr);
  const flowLogId = (JSON.parse(created.stdout) as { FlowLogIds: string[] }).FlowLogIds[0]!;
  const ingested = await server.run(['ingest', join(ROOT, 'examples/sample.pcap')]);
  assert.equal(ingested.code, 0, ingested.stderr);
  const q = await server.run(['query', `select log_status, count(*) n from flows where flow_log_id = '${flowLogId}' group by all order by 1`, '--output', 'json']);
  assert.equal(q.code, 0, q.stderr);
  const expected = JSON.parse(q.stdout) as { log_status: string; n: number }[];
  assert.ok(expected.length > 0);
  const text = await (await scrape(`Bearer ${token()}`)).text();
  for (const row of expected) {
    assert.equal(sample(text, 'vpcflow_records_delivered_total', { destination_type: 'cloud-watch-logs', flow_log_id: flowLogId, log_status: row.log_status }), Number(row.n), `${row.log_status} records`);
  }
  assert.equal(sample(text, 'vpcflow_api_requests_total', { route: '/v1/vpcflow/Ingest', method: 'POST', status: '200' }), 1);
  assert.equal(sample(text, 'vpcflow_ingest_staging_parts'), 0);
});

test('requests to the AWS-compatible endpoint are counted by AWS action, as the real aws CLI sends them', async () => {
  const made = await server.run(['accounts', 'create', '--account', '111122223333', '--output', 'json']);
  assert.equal(made.code, 0, made.stderr);
  const key = (JSON.parse(made.stdout) as { AccessKey: { AccessKeyId: string; SecretAccessKey: string } }).AccessKey;
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: server.dataDir, AWS_ACCESS_KEY_ID: key.AccessKeyId, AWS_SECRET_ACCESS_KEY: key.SecretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: join(server.dataDir, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(server.dataDir, 'none'),
    AWS_PAGER: '', AWS_MAX_ATTEMPTS: '1',
  };
  const aws = (args: string[]) => new Promise<void>((resolve, reject) =>
    execFile('/usr/bin/aws', ['--endpoint-url', server.endpoint, ...args], { env, timeout: 60_000 }, (err, _out, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve())));
  await aws(['ec2', 'describe-vpcs']);
  await aws(['ec2', 'describe-vpcs']);
  await aws(['logs', 'describe-log-groups']);
  const text = await (await scrape(`Bearer ${token()}`)).text();
  assert.equal(sample(text, 'vpcflow_api_requests_total', { route: '/', action: 'ec2:DescribeVpcs', method: 'POST', status: '200' }), 2);
  assert.equal(sample(text, 'vpcflow_api_requests_total', { route: '/', action: 'logs:DescribeLogGroups', method: 'POST', status: '200' }), 1);
});
