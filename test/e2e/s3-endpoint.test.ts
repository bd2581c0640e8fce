// End-to-end: `vpcflow serve --s3-endpoint` delivers archive files to a real S3-compatible server
// (s3rver, started here) under exactly the keys AWS would write; a missing bucket fails the delivery.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { S3Client, ListObjectsV2Command, GetObjectCommand } from '@aws-sdk/client-s3';
import { gunzipSync } from 'node:zlib';
import { VpcflowServer } from '../helpers/cli.ts';
import { demoCapture } from '../../src/cli/demo-traffic.ts';
import { DEMO_NETWORK } from '../../src/cli/demo.ts';

const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as new (o: object) => { run(): Promise<{ port: number }>; close(): Promise<void> };
let s3: InstanceType<typeof S3rver>;
let s3dir: string;
let endpoint: string;
let server: VpcflowServer;

before(async () => {
  s3dir = mkdtempSync(join(tmpdir(), 'vpcflow-s3rver-'));
  s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3dir, configureBuckets: [{ name: 'flowlogs' }] });
  const { port } = await s3.run();
  endpoint = `http://127.0.0.1:${port}`;
  server = new VpcflowServer(['--s3-endpoint', endpoint, '--s3-access-key-id', 'S3RVER', '--s3-secret-access-key', 'S3RVER']);
  await server.start();
});

after(async () => {
  await server?.stop();
  await s3?.close();
  rmSync(s3dir, { recursive: true, force: true });
});

test('archive files land in the S3-compatible endpoint under AWS keys; a missing bucket is a FAILED delivery', async () => {
  writeFileSync(join(server.dataDir, 'net.yaml'), DEMO_NETWORK);
  assert.equal((await server.run(['apply', join(server.dataDir, 'net.yaml')])).code, 0);
  const ok = await server.run(['flow-logs', 'create', '--resource-type', 'VPC', '--resource-ids', 'vpc-0a1b2c3d4e5f60718', '--traffic-type', 'ALL',
    '--log-destination-type', 's3', '--log-destination', 'arn:aws:s3:::flowlogs/vpc/', '--max-aggregation-interval', '60']);
  assert.equal(ok.code, 0, ok.stderr);
  const flowLogId = JSON.parse(ok.stdout).FlowLogIds[0] as string;
  const missing = await server.run(['flow-logs', 'create', '--resource-type', 'VPC', '--resource-ids', 'vpc-0a1b2c3d4e5f60718', '--traffic-type', 'ALL',
    '--log-destination-type', 's3', '--log-destination', 'arn:aws:s3:::no-such-bucket', '--max-aggregation-interval', '60']);
  const missingId = JSON.parse(missing.stdout).FlowLogIds[0] as string;

  const pcap = join(server.dataDir, 'c.pcap');
  writeFileSync(pcap, demoCapture([{ client: '10.0.2.20', server: '10.0.1.10', protocol: 'tcp', port: 80, exchanges: 2, startSec: 1_767_225_610 }]));
  const ingest = await server.run(['ingest', pcap]);
  assert.notEqual(ingest.code, 0, 'the missing bucket makes the ingest report a failed delivery');
  assert.match(ingest.stderr, new RegExp(`${missingId}.*no-such-bucket`));

  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  const listed = await client.send(new ListObjectsV2Command({ Bucket: 'flowlogs', Prefix: 'vpc/AWSLogs/' }));
  const keys = (listed.Contents ?? []).map((o) => o.Key!);
  assert.equal(keys.length, 1, keys.join('\n'));
  assert.match(keys[0]!, new RegExp(`^vpc/AWSLogs/111122223333/vpcflowlogs/us-east-1/2026/01/01/111122223333_vpcflowlogs_us-east-1_${flowLogId}_20260101T0000Z_[0-9a-f]{8}\\.log\\.gz$`));
  const body = await client.send(new GetObjectCommand({ Bucket: 'flowlogs', Key: keys[0]! }));
  const text = gunzipSync(Buffer.from(await body.Body!.transformToByteArray())).toString();
  const lines = text.trim().split('\n');
  assert.equal(lines[0], 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status');
  assert.equal(lines.length, 1 + 4, 'two directions on two interfaces');
  client.destroy();

  const described = JSON.parse((await server.run(['flow-logs', 'describe', '--flow-log-ids', flowLogId, missingId])).stdout).FlowLogs as { FlowLogId: string; DeliverLogsStatus: string }[];
  assert.deepEqual(Object.fromEntries(described.map((f) => [f.FlowLogId, f.DeliverLogsStatus])), { [flowLogId]: 'SUCCESS', [missingId]: 'FAILED' });
});
