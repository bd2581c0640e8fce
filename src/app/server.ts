// The vpcflow server process: opens the store, builds the destinations and the control plane,
// serves the API, and stops everything in reverse order on SIGINT/SIGTERM.

import { serve, type ServerType } from '@hono/node-server';
import { join } from 'node:path';
import { Database } from '../store/index.ts';
import { LogStore } from '../destinations/logstore/index.ts';
import { MetricFilterStore } from '../metrics/index.ts';
import { ArchiveWriter } from '../destinations/archive/index.ts';
import { BucketRegistry } from '../destinations/archive/buckets.ts';
import { LocalObjectStore } from '../platform/object-store-local.ts';
import { S3ObjectStore } from '../platform/object-store-s3.ts';
import type { ObjectStore } from '../platform/object-store.ts';
import { ControlPlane } from '../control/index.ts';
import { createApi, loadOrCreateOperatorKey, type OperatorKey } from '../api/index.ts';
import { AccountStore, mountAwsEndpoint } from '../api/aws/index.ts';
import { CONSOLE_DIST, buildConsole, isCurrent } from '../../console/build.mjs';
import { Telemetry } from '../platform/telemetry.ts';
import { loadOrCreateMetricsToken } from '../api/metrics-route.ts';

export interface ServerOptions {
  dataDir: string;
  port: number;
  host?: string;
  memoryLimit?: string;
  maxFlows?: number;
  /** Archive buckets one account may own (default 100). */
  maxBucketsPerAccount?: number;
  allowShortIntervals?: boolean;
  s3?: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
  /** Unsigned AWS API requests act for this account (off unless set). */
  anonymousAccount?: string;
  /** Region assumed for documents that name none. */
  region?: string;
  quiet?: boolean;
  /** Realize the declared network on this host (namespaces, nftables, NFLOG) and log its traffic; needs root. */
  realize?: boolean;
  /** Name prefix of the realized namespaces (default `vf`). */
  dataplanePrefix?: string;
  /** Serve the web console at /console/ (default true); built first when its sources changed. */
  console?: boolean;
}

export interface RunningServer {
  url: string;
  port: number;
  control: ControlPlane;
  /** The key the CLI signs host-level requests with (also in DATA_DIR/keys/operator.json). */
  operator: OperatorKey;
  stop(): Promise<void>;
}

export async function startServer(opts: ServerOptions, installSignalHandlers = true): Promise<RunningServer> {
  const log = (line: string) => {
    if (!opts.quiet) process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  };
  const db = new Database({ dataDir: opts.dataDir, memoryLimit: opts.memoryLimit });
  await db.start();
  const region = opts.region ?? 'us-east-1';
  const logStore = new LogStore(db, region);
  // Metric filters consume the log store's events (a delivery consumer) and go with their group.
  const metrics = new MetricFilterStore(db);
  logStore.onGroupDeleted((tx, account, group) => metrics.removeGroupInTransaction(tx, account, group));
  const objects: ObjectStore = opts.s3
    ? new S3ObjectStore({ endpoint: opts.s3.endpoint, region: opts.s3.region, credentials: { accessKeyId: opts.s3.accessKeyId, secretAccessKey: opts.s3.secretAccessKey }, forcePathStyle: true })
    : new LocalObjectStore(join(opts.dataDir, 's3'), { createMissingBuckets: true });
  const archive = new ArchiveWriter({ store: objects, tempDir: join(opts.dataDir, 'tmp') });
  const buckets = new BucketRegistry(db, opts.maxBucketsPerAccount !== undefined ? { maxBucketsPerAccount: opts.maxBucketsPerAccount } : {});
  // vpcflow's own metrics (docs/metrics.md), served at GET /metrics to the holder of DATA_DIR/keys/metrics.token.
  const telemetry = new Telemetry();
  const delivered = telemetry.counter('vpcflow_records_delivered_total', 'Flow log records delivered (committed), by destination type, flow log and log status',
    ['destination_type', 'flow_log_id', 'log_status']);
  const requests = telemetry.counter('vpcflow_api_requests_total', 'HTTP requests answered, by route, AWS action (on the AWS-compatible endpoint), method and status', ['route', 'action', 'method', 'status']);
  telemetry.gauge('vpcflow_archive_pending_records', 'Records waiting in archive_pending for their 5-minute archive file', [],
    async () => [{ value: Number((await db.read('SELECT coalesce(sum(record_count), 0) AS n FROM archive_pending'))[0]?.n ?? 0) }]);
  telemetry.gauge('vpcflow_ingest_staging_parts', 'Parts of ingests staged and not yet published', [],
    async () => [{ value: Number((await db.read('SELECT count(*) AS n FROM ingest_staging'))[0]?.n ?? 0) }]);
  const latency = telemetry.histogram('vpcflow_live_delivery_latency_seconds', 'Seconds from the end of a live window to the commit of its records (serve --realize)',
    [0.5, 1, 2, 3, 5, 10, 30, 60, 120, 600]);
  const control: ControlPlane = new ControlPlane({ db, logStore, metrics, archive, buckets,
    onLiveLatency: (seconds) => latency.observe(seconds),
    onDelivered: (counts) => {
      for (const c of counts) delivered.inc({ destination_type: c.destinationType, flow_log_id: c.flowLogId, log_status: c.logStatus }, c.records);
    }, maxFlows: opts.maxFlows ?? 1_000_000, allowShortIntervals: opts.allowShortIntervals ?? false, log,
    ...(opts.realize ? { realize: { dataDir: opts.dataDir, ...(opts.dataplanePrefix !== undefined ? { prefix: opts.dataplanePrefix } : {}) } } : {}),
  });
  await control.start();
  telemetry.counterFrom('vpcflow_live_observations_total', 'Packet observations on the live path (serve --realize) by outcome; a flow counted in the kernel is one observation', ['outcome'], () => {
    const t = control.liveObservations();
    return t ? [
      { labels: { outcome: 'attributed' }, value: t.attributed }, { labels: { outcome: 'not_monitored' }, value: t.notMonitored },
      { labels: { outcome: 'unlogged' }, value: t.unlogged }, { labels: { outcome: 'out_of_range' }, value: t.outOfRange },
    ] : [];
  });
  telemetry.counterFrom('vpcflow_live_losses_total', 'Times the live path found observations lost (an NFLOG reader overran or died, kernel counters unreadable); each made SKIPDATA records', [],
    () => {
      const t = control.liveObservations();
      return t ? [{ value: t.lossEvents }] : [];
    });
  const accounts = new AccountStore(db, { masterKeyFile: join(opts.dataDir, 'keys', 'master.key'), log });
  await accounts.start();
  // The operator key signs the CLI's host-level requests; only root on this host can read it.
  const operatorKeyFile = join(opts.dataDir, 'keys', 'operator.json');
  const operator = loadOrCreateOperatorKey(operatorKeyFile);
  const consoleDir = opts.console === false ? undefined : await ensureConsoleBuilt(log);
  const metricsToken = loadOrCreateMetricsToken(join(opts.dataDir, 'keys', 'metrics.token'));
  const api = createApi({ control, logStore, metrics, accounts, buckets, log, operator, anonymous: opts.anonymousAccount !== undefined,
    db, archiveStore: objects, tempDir: join(opts.dataDir, 'tmp'), telemetry: { registry: telemetry, token: metricsToken, requests }, ...(consoleDir !== undefined ? { consoleDir } : {}) });
  // The AWS-compatible endpoint (EC2 Query + CloudWatch Logs JSON, SigV4) on POST /.
  mountAwsEndpoint(api, { control, logStore, metrics, accounts, log, anonymousAccount: opts.anonymousAccount });
  if (opts.anonymousAccount) log(`WARNING: anonymous mode is ON: unsigned AWS API requests act as account ${opts.anonymousAccount}, unsigned native /v1 requests as the operator`);

  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: api.fetch, port: opts.port, hostname: opts.host ?? '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const url = `http://${opts.host ?? '127.0.0.1'}:${port}`;
  log(`vpcflow serving ${url} (data: ${opts.dataDir}; archive: ${objects.describe()}; operator key: ${operatorKeyFile})`);
  if (consoleDir !== undefined) log(`web console: ${url}/console/ (sign in with an access key)`);
  const retention = setInterval(() => void logStore.applyRetention().catch((e) => log(`retention failed: ${e}`)), 3600_000);
  retention.unref();

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      clearInterval(retention);
      await new Promise<void>((r) => {
        server.close(() => r());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await control.stop();
      await archive.close();
      await accounts.settled();
      await db.stop();
      log('vpcflow stopped');
    })());
  if (installSignalHandlers) {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void stop().then(() => process.exit(0)));
  }
  return { url, port, control, operator, stop };
}

/** The console's built folder, building it first when its sources changed since the last build (npm ci builds it too). */
async function ensureConsoleBuilt(log: (line: string) => void): Promise<string | undefined> {
  try {
    if (!isCurrent()) {
      log('building the web console (its sources changed since the last build)…');
      await buildConsole({ quiet: true });
    }
    return CONSOLE_DIST;
  } catch (e) {
    log(`web console not served: its build failed: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}
