// What whole-or-nothing ingest costs: the same capture through ControlPlane.ingest (deliveries staged,
// then published in one transaction, plus the content digest) against the same closed windows
// delivered part by part straight to the same consumers (DeliveryStage.deliverLive, the live path's
// way, which an interrupted upload would leave half-delivered). Both on a fresh store each, same run.
// Run: npx tsx bench/ingest-delivery.ts [conversations]   (default 20 000, at most 25 000)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../src/store/index.ts';
import { LogStore } from '../src/destinations/logstore/index.ts';
import { ArchiveWriter } from '../src/destinations/archive/index.ts';
import { LocalObjectStore } from '../src/platform/object-store-local.ts';
import { MetricFilterStore } from '../src/metrics/index.ts';
import { ControlPlane } from '../src/control/index.ts';
import { CaptureStreamDecoder } from '../src/capture/index.ts';
import { FlowObserver } from '../src/flows/index.ts';
import { NetworkIndex } from '../src/model/index.ts';
import { monitoringPlan, unloggedAddresses } from '../src/control/mapping.ts';
import { demoCapture, type Conversation } from '../src/cli/demo-traffic.ts';
import { DEMO_NETWORK } from '../src/cli/demo.ts';

const T0 = 1_767_225_600;
const VPC = 'vpc-0a1b2c3d4e5f60718';

export interface IngestDeliveryResult {
  records: number;
  bytes: number;
  stagedSeconds: number;
  directSeconds: number;
}

async function open(dir: string) {
  const db = new Database({ dataDir: join(dir, 'db'), memoryLimit: '1GB' });
  await db.start();
  const logStore = new LogStore(db, 'us-east-1');
  const metrics = new MetricFilterStore(db);
  const archive = new ArchiveWriter({ store: new LocalObjectStore(join(dir, 's3'), { createMissingBuckets: true }), tempDir: join(dir, 'tmp') });
  const control = new ControlPlane({ db, logStore, metrics, archive, maxFlows: 1_000_000, allowShortIntervals: false });
  await control.start();
  await control.apply(DEMO_NETWORK, 'bench.yaml');
  await control.createFlowLogs(undefined, { ResourceType: 'VPC', ResourceIds: [VPC], TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs', LogGroupName: '/bench' });
  await control.createFlowLogs(undefined, { ResourceType: 'VPC', ResourceIds: [VPC], TrafficType: 'ALL', LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::bench/p' });
  return { db, archive, control, close: async () => { await archive.close(); await db.stop(); } };
}

/** At most 25 000 conversations: the generator's client ports count up from 40000. */
export async function runIngestDeliveryBench(conversations = 20_000): Promise<IngestDeliveryResult> {
  const list: Conversation[] = [];
  for (let i = 0; i < conversations; i++) {
    // Distinct UDP ports: one flow (two records) per conversation, spread over an hour.
    list.push({ client: '10.0.2.20', server: '10.0.1.10', protocol: 'udp', port: 1024 + i, exchanges: 1, startSec: T0 + Math.floor(i / 12) });
  }
  const capture = demoCapture(list);
  const chunks = (size = 1 << 16) => (async function* () {
    for (let i = 0; i < capture.length; i += size) yield capture.subarray(i, i + size);
  })();

  const a = mkdtempSync(join(tmpdir(), 'vpcflow-bench-staged-'));
  const staged = await open(a);
  let t = process.hrtime.bigint();
  const r = await staged.control.ingest(chunks(), { name: 'bench.pcap' });
  const stagedSeconds = Number(process.hrtime.bigint() - t) / 1e9;
  await staged.close();
  rmSync(a, { recursive: true, force: true });

  const b = mkdtempSync(join(tmpdir(), 'vpcflow-bench-direct-'));
  const direct = await open(b);
  t = process.hrtime.bigint();
  const { model, flowLogs } = direct.control.networkOf('111122223333');
  const idx = new NetworkIndex(model!);
  const plan = monitoringPlan(idx, flowLogs);
  const observer = new FlowObserver({ interfaces: plan.interfaces, intervals: plan.intervals, maxFlows: 1_000_000, unloggedAddresses: unloggedAddresses(idx) });
  const decoder = new CaptureStreamDecoder((p) => observer.observe(p), { source: 'bench.pcap' });
  const drainAll = async () => {
    for (let w = observer.drain(50_000); w.length; w = observer.drain(50_000)) await direct.control.delivery.deliverLive(w, plan);
  };
  for await (const c of chunks()) {
    decoder.push(c);
    await drainAll();
  }
  decoder.end();
  observer.finish();
  await drainAll();
  await direct.control.delivery.flushLive(true);
  const directSeconds = Number(process.hrtime.bigint() - t) / 1e9;
  await direct.close();
  rmSync(b, { recursive: true, force: true });
  return { records: r.Records, bytes: capture.length, stagedSeconds, directSeconds };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runIngestDeliveryBench(Number(process.argv[2] ?? 20_000));
  console.log(`capture ${(r.bytes / 1048576).toFixed(1)} MiB, ${r.records} records to a log group and an archive`);
  console.log(`staged + published whole (ingest): ${r.stagedSeconds.toFixed(2)} s, ${(r.records / r.stagedSeconds / 1000).toFixed(1)} k records/s`);
  console.log(`delivered part by part (peer, same run): ${r.directSeconds.toFixed(2)} s, ${(r.records / r.directSeconds / 1000).toFixed(1)} k records/s`);
  console.log(`ratio (peer time / ingest time): ${(r.directSeconds / r.stagedSeconds).toFixed(2)}`);
}
