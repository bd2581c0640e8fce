// The control plane on a real store, log store and local archive: an ingest is delivered whole or not
// at all and once per content; a network change refused or failing at any step changes nothing;
// apply needs --prune to delete, --dry-run changes nothing, deleting a resource deletes its flow logs.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../store/index.ts';
import { LogStore } from '../destinations/logstore/index.ts';
import { ArchiveWriter } from '../destinations/archive/index.ts';
import { LocalObjectStore } from '../platform/object-store-local.ts';
import { demoCapture } from '../cli/demo-traffic.ts';
import { DEMO_NETWORK } from '../cli/demo.ts';
import { AlreadyIngestedError } from '../delivery/index.ts';
import { ControlPlane, type MutationStep } from './control-plane.ts';

const VPC = 'vpc-0a1b2c3d4e5f60718';
const SUBNET_B = 'subnet-0f1e2d3c4b5a69788';
const T0 = 1_767_225_600;

let dir: string;
let db: Database;
let archive: ArchiveWriter;
let control: ControlPlane;
let fault: MutationStep | undefined;

async function open(): Promise<void> {
  db = new Database({ dataDir: join(dir, 'data') });
  await db.start();
  const logStore = new LogStore(db, 'us-east-1');
  archive = new ArchiveWriter({ store: new LocalObjectStore(join(dir, 's3'), { createMissingBuckets: true }), tempDir: join(dir, 'tmp') });
  control = new ControlPlane({
    db, logStore, archive, maxFlows: 100_000, allowShortIntervals: false,
    faultAt: (step) => {
      if (step === fault) throw new Error(`injected failure at ${step}`);
    },
  });
  await control.start();
}

async function close(): Promise<void> {
  await archive.close();
  await db.stop();
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vpcflow-cp-'));
  fault = undefined;
  await open();
});

afterEach(async () => {
  await close();
  rmSync(dir, { recursive: true, force: true });
});

const capture = () => demoCapture([
  { client: '10.0.2.20', server: '10.0.1.10', protocol: 'tcp', port: 80, exchanges: 4, startSec: T0 + 10 },
  { client: '10.0.2.20', server: '10.0.1.10', protocol: 'tcp', port: 22, unanswered: true, startSec: T0 + 20 },
  { client: '10.0.1.10', server: '10.0.2.20', protocol: 'udp', port: 5353, exchanges: 3, startSec: T0 + 400 },
]);

async function* chunks(bytes: Uint8Array, size = 97, failAfter?: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) {
    if (failAfter !== undefined && i >= failAfter) throw new Error('client went away');
    yield bytes.subarray(i, i + size);
  }
}

function archiveFiles(): string[] {
  const walk = (d: string): string[] => (existsSync(d) ? readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)])) : []);
  return walk(join(dir, 's3')).sort();
}

async function counts() {
  const n = async (sql: string) => Number((await db.all(sql))[0]!.n);
  return {
    events: await n('SELECT count(*) AS n FROM log_events'),
    records: await n('SELECT count(*) AS n FROM flow_records'),
    staged: await n('SELECT count(*) AS n FROM ingest_staging'),
    pending: await n('SELECT count(*) AS n FROM archive_pending'),
    files: archiveFiles().length,
  };
}

async function withFlowLogs(): Promise<void> {
  await control.apply(DEMO_NETWORK, 'network.yaml');
  const cwl = await control.createFlowLogs(undefined, { ResourceType: 'VPC', ResourceIds: [VPC], TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs', LogGroupName: '/vpc/all' });
  assert.equal(cwl.Unsuccessful.length, 0, JSON.stringify(cwl));
  const s3 = await control.createFlowLogs(undefined, { ResourceType: 'VPC', ResourceIds: [VPC], TrafficType: 'ALL', LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::bucket/p' });
  assert.equal(s3.Unsuccessful.length, 0, JSON.stringify(s3));
}

test('an ingest interrupted mid-upload delivers nothing; the retry delivers one copy; a repeat is refused', async () => {
  await withFlowLogs();
  const bytes = capture();
  await assert.rejects(control.ingest(chunks(bytes, 97, Math.floor(bytes.length * 0.8)), { name: 'c.pcap' }), /client went away/);
  assert.deepEqual(await counts(), { events: 0, records: 0, staged: 0, pending: 0, files: 0 });

  const r = await control.ingest(chunks(bytes), { name: 'c.pcap' });
  assert.ok(r.Records > 0 && r.Attributed > 0, JSON.stringify(r));
  const once = await counts();
  assert.ok(once.events > 0 && once.files > 0, JSON.stringify(once));
  assert.equal(once.staged, 0);
  assert.equal(once.pending, 0);
  // Every record reached both flow logs: log store rows + archive rows in flow_records.
  assert.equal(once.records, r.Records);

  await assert.rejects(control.ingest(chunks(bytes, 4096), { name: 'again.pcap' }), (e) => e instanceof AlreadyIngestedError && /already ingested/.test(e.message));
  assert.deepEqual(await counts(), once);

  const forced = await control.ingest(chunks(bytes), { name: 'c.pcap', force: true });
  assert.equal(forced.Records, r.Records);
  assert.equal((await counts()).events, once.events * 2);
});

test('a capture that breaks mid-file (bad framing) delivers nothing of its good first part', async () => {
  await withFlowLogs();
  const bytes = capture();
  // A pcap record header claiming a huge length after the first packets: the file cannot be framed further.
  const broken = new Uint8Array(bytes);
  const view = new DataView(broken.buffer);
  const firstLen = view.getUint32(24 + 8, true);
  const second = 24 + 16 + firstLen;
  view.setUint32(second + 8, 0x7fffffff, true);
  view.setUint32(second + 12, 0x7fffffff, true);
  const outcome = await control.ingest(chunks(broken), { name: 'broken.pcap' }).then((r) => r, (e: Error) => e);
  const after = await counts();
  assert.equal(after.staged, 0);
  assert.equal(after.pending, 0);
  if (outcome instanceof Error) {
    // Refused: nothing of the good first part reached any destination.
    assert.deepEqual(after, { events: 0, records: 0, staged: 0, pending: 0, files: 0 }, outcome.message);
  } else {
    // Delivered with the unframeable rest counted as a problem: everything it reports is stored, once.
    assert.ok(outcome.Problems > 0, JSON.stringify(outcome));
    assert.equal(after.records, outcome.Records);
  }
});

test('staged deliveries of an ingest a crash interrupted are discarded at the next start', async () => {
  await withFlowLogs();
  await db.transaction((tx) => tx.run("INSERT INTO ingest_staging VALUES ('ingest-dead', 0, '[]')"));
  await close();
  await open();
  assert.equal((await counts()).staged, 0);
});

test('a failure at each step of a network change leaves store, flow logs and model as they were', async () => {
  await withFlowLogs();
  const snapshot = async () => JSON.stringify({
    networks: await db.all('SELECT account_id, model FROM networks ORDER BY 1'),
    flowLogs: await db.all('SELECT flow_log_id, body FROM flow_logs ORDER BY 1'),
    memory: control.networkOf('111122223333'),
  });
  const before = await snapshot();
  for (const step of ['persist'] as MutationStep[]) {
    fault = step;
    await assert.rejects(control.apply(DEMO_NETWORK.replace('10.0.0.0/16', '10.0.0.0/16\n    tags: { Name: changed }'), 'n.yaml', { prune: true }), /injected failure/);
    assert.equal(await snapshot(), before, `after a failure at ${step}`);
    await assert.rejects(control.mutateNetwork('111122223333', () => ({ doc: {}, result: null })), (e: Error) => e.message.length > 0);
    assert.equal(await snapshot(), before);
  }
  fault = undefined;
});

test('apply refuses to delete unmentioned resources without --prune; --dry-run changes nothing; deletions take their flow logs', async () => {
  await control.apply(DEMO_NETWORK, 'network.yaml');
  const sub = await control.createFlowLogs(undefined, { ResourceType: 'Subnet', ResourceIds: [SUBNET_B], TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs', LogGroupName: '/vpc/b' });
  assert.equal(sub.FlowLogIds.length, 1);
  const model = control.networkOf('111122223333').model!;
  const vpc = model.vpcs[0]!;
  // The same network without subnet B and what lives in it.
  const doc = {
    account: model.account, region: model.region,
    vpcs: [{
      id: vpc.id, cidr: vpc.cidrs[0],
      subnets: vpc.subnets.filter((s) => s.id !== SUBNET_B).map((s) => ({ id: s.id, cidr: s.cidr, 'availability-zone': s.availabilityZone })),
    }],
  };
  const text = JSON.stringify(doc);
  await assert.rejects(control.apply(text, 'old.json'), (e: Error & { code?: string }) => e.code === 'PruneRequired' && e.message.includes(SUBNET_B) && /--prune/.test(e.message));
  assert.equal(control.networkOf('111122223333').model!.vpcs[0]!.subnets.length, vpc.subnets.length);

  const dry = await control.apply(text, 'old.json', { dryRun: true });
  assert.equal('DryRun' in dry && dry.DryRun, true);
  assert.ok(dry.Changes.some((c) => c.Action === 'delete' && c.ResourceId === SUBNET_B));
  assert.deepEqual(dry.DeletedFlowLogs, sub.FlowLogIds);
  assert.equal(control.networkOf('111122223333').flowLogs.length, 1);

  const pruned = await control.apply(text, 'old.json', { prune: true });
  assert.deepEqual(pruned.DeletedFlowLogs, sub.FlowLogIds);
  assert.equal(control.networkOf('111122223333').flowLogs.length, 0);
  assert.equal(Number((await db.all('SELECT count(*) AS n FROM flow_logs'))[0]!.n), 0);
  // And it stays so after a restart.
  await close();
  await open();
  assert.equal(control.networkOf('111122223333').flowLogs.length, 0);
  assert.equal(control.networkOf('111122223333').model!.vpcs[0]!.subnets.some((s) => s.id === SUBNET_B), false);
});

test('describe-flow-logs without any network answers an empty list', async () => {
  assert.deepEqual(await control.describeFlowLogs(undefined, {}), { FlowLogs: [] });
});

test('a YAML error names line and column once, without a dangling position', async () => {
  await assert.rejects(control.apply('account: "1"\nvpcs: [\n  - a: b\n  c', 'bad.yaml'), (e: Error) => {
    assert.match(e.message, /^bad\.yaml: not valid YAML or JSON at line \d+, column \d+: /);
    assert.doesNotMatch(e.message, /:\s*$/);
    assert.equal(e.message.match(/line \d+/g)?.length, 1, e.message);
    return true;
  });
});

test('a deeply nested document is refused before any parser sees it, and the process lives on', async () => {
  for (const text of ['{"a":'.repeat(1000) + '1' + '}'.repeat(1000), '['.repeat(1000) + ']'.repeat(1000), '- '.repeat(1000) + 'x']) {
    await assert.rejects(control.apply(text, 'deep.json'), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'DocumentTooDeep');
      assert.match(e.message, /^deep\.json: refused at line \d+, column \d+: .*(64|256)/);
      return true;
    });
  }
  await control.apply(DEMO_NETWORK, 'network.yaml');
  assert.ok(control.networkOf('111122223333').model);
});

test('a capture that matches no monitored interface warns, naming the addresses it saw most', async () => {
  await withFlowLogs();
  const foreign = demoCapture([
    { client: '192.0.2.7', server: '198.51.100.9', protocol: 'tcp', port: 443, exchanges: 3, startSec: T0 },
    { client: '192.0.2.8', server: '198.51.100.9', protocol: 'udp', port: 53, exchanges: 1, startSec: T0 + 1 },
  ]);
  const r = await control.ingest(chunks(foreign), { name: 'foreign.pcap' });
  assert.equal(r.Attributed, 0);
  assert.equal(r.Warnings.length, 1, JSON.stringify(r.Warnings));
  assert.match(r.Warnings[0]!, /no packet of foreign\.pcap matched .* the addresses seen most were 198\.51\.100\.9 \(\d+\), 192\.0\.2\.7 \(\d+\), 192\.0\.2\.8 \(\d+\)/);
  const matched = await control.ingest(chunks(capture()), { name: 'c.pcap' });
  assert.deepEqual(matched.Warnings, []);
});
