// `npx tsx bench/traffic-queries.ts [records]`: the console's traffic queries (store/traffic-queries.ts)
// over 10 M generated records in a fresh store, each timed (median of 3) beside DuckDB running the
// very SQL the query returns on the same store's read connections, so the ratio is what validation,
// parsing, parameter binding and shaping the answer cost on top of the SQL itself. Prints a
// markdown table (bench/RESULTS.md keeps one run).
//
// The records: one day, 2000 addresses (1600 private IPv4 in 10.0.0.0/20, 350 public IPv4, 50 IPv6)
// with zipf-like popularity, 200 interfaces over 3 accounts (each with its own IPv4 and IPv6 address
// on one side of its records), destination ports zipf-like over well-known ones with 15 % ephemeral
// (replies), 10 % REJECT, 1 % NODATA: 4.7 M distinct (srcaddr, dstaddr, dstport) and 1.2 M edges.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../src/store/database.ts';
import { TrafficQueries } from '../src/store/traffic-queries.ts';

const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z
const ACCOUNTS = ['111122223333', '444455556666', '777788889999'];

/** Fills flow_records with `n` records in one INSERT … SELECT over range(n). */
export async function generateTrafficRecords(db: Database, n: number): Promise<void> {
  // 2000 addresses: 0..1599 private IPv4 (10.0.0.0/20), 1600..1949 public IPv4, 1950..1999 IPv6.
  // Interface k (of 200, zipf-like busy) has its own address (private k·8, or an IPv6 one when its
  // peer is IPv6) on one side of each record, as AWS records it: the source for egress, the
  // destination for ingress. Its peers are zipf-like over the 2000, each interface favouring its own.
  await db.run('SELECT setseed(0.42)');
  await db.run(`
INSERT INTO flow_records BY NAME
WITH a AS (
  SELECT list(CASE
    WHEN k < 1600 THEN '10.0.' || (k // 100) || '.' || (k % 100 + 1)
    WHEN k < 1800 THEN '203.0.113.' || (k - 1600 + 1) % 256
    WHEN k < 1950 THEN '52.94.' || (k // 256) || '.' || (k % 256)
    ELSE '2001:db8:' || printf('%x', k % 16) || '::' || printf('%x', k) END ORDER BY k) AS addrs
  FROM range(2000) t(k)
), p AS (
  SELECT [443, 443, 443, 443, 443, 443, 443, 443, 80, 80, 80, 53, 53, 53, 22, 22, 3389, 5432, 6379, 8080, 123, 25, 9092, 27017] AS ports
), r AS (
  SELECT i, eni, (eni * 37 + 1 + floor(pow(random(), 2.5) * 2000)::INTEGER) % 2000 AS peer, random() AS x, random() AS y, random() AS z, random() AS w, random() AS v
  FROM (SELECT i, floor(pow(random(), 1.6) * 200)::INTEGER AS eni FROM range(${n}) t(i))
), f AS (
  SELECT *, w < 0.01 AS nodata, y < 0.5 AS ingress, addrs[peer + 1] AS peer_addr,
    CASE WHEN peer >= 1950 THEN '2001:db8:ff::' || printf('%x', eni + 1) ELSE addrs[eni * 8 + 1] END AS own_addr, ports
  FROM r, a, p
)
SELECT
  5 AS version,
  owner_account AS account_id,
  'eni-' || printf('%017x', eni) AS interface_id,
  CASE WHEN nodata THEN NULL WHEN ingress THEN peer_addr ELSE own_addr END AS srcaddr,
  CASE WHEN nodata THEN NULL WHEN ingress THEN own_addr ELSE peer_addr END AS dstaddr,
  CASE WHEN nodata THEN NULL ELSE 32768 + (x * 28000)::INTEGER END AS srcport,
  CASE WHEN nodata THEN NULL WHEN z < 0.85 THEN ports[1 + (pow(z / 0.85, 1.5) * len(ports))::INTEGER % len(ports)] ELSE 1024 + (x * 64000)::INTEGER END AS dstport,
  CASE WHEN nodata THEN NULL WHEN x < 0.85 THEN 6 WHEN x < 0.98 THEN 17 ELSE 1 END AS protocol,
  CASE WHEN nodata THEN NULL ELSE 1 + floor(pow(y, 4) * 2000)::BIGINT END AS packets,
  CASE WHEN nodata THEN NULL ELSE (1 + floor(pow(y, 4) * 2000)::BIGINT) * (40 + (z * 1460)::BIGINT) END AS bytes,
  ${T0} + (i * 86400 // ${n})::BIGINT AS start,
  ${T0} + (i * 86400 // ${n})::BIGINT + 60 AS "end",
  CASE WHEN nodata THEN NULL WHEN v < 0.10 THEN 'REJECT' ELSE 'ACCEPT' END AS action,
  CASE WHEN nodata THEN 'NODATA' ELSE 'OK' END AS log_status,
  'vpc-' || printf('%017x', eni % 3) AS vpc_id,
  'subnet-' || printf('%017x', eni % 12) AS subnet_id,
  'i-' || printf('%017x', eni) AS instance_id,
  CASE WHEN nodata OR x >= 0.85 THEN NULL ELSE [2, 18, 19, 3][1 + (v * 40)::INTEGER % 4] END AS tcp_flags,
  CASE WHEN nodata THEN NULL WHEN peer >= 1950 THEN 'IPv6' ELSE 'IPv4' END AS type,
  CASE WHEN nodata THEN NULL WHEN ingress THEN peer_addr ELSE own_addr END AS pkt_srcaddr,
  CASE WHEN nodata THEN NULL WHEN ingress THEN own_addr ELSE peer_addr END AS pkt_dstaddr,
  'us-east-1' AS region, 'use1-az1' AS az_id,
  CASE WHEN nodata THEN NULL WHEN ingress THEN 'ingress' ELSE 'egress' END AS flow_direction,
  CASE WHEN nodata OR ingress THEN NULL ELSE 1 END AS traffic_path,
  owner_account,
  'fl-' || printf('%017x', eni % 3) AS flow_log_id,
  'cloud-watch-logs' AS destination_type, '/vpc/flows' AS destination, NULL AS rule, ${(T0 + 86400) * 1000}::BIGINT AS ingestion_time
FROM (SELECT *, ['${ACCOUNTS.join("', '")}'][1 + eni % 3] AS owner_account FROM f)`);
}

export interface TrafficBenchRow {
  name: string;
  oursMs: number;
  duckMs: number;
  rows: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function runTrafficQueriesBench(records = 10_000_000, log: (s: string) => void = () => undefined): Promise<{ records: number; generateSeconds: number; rows: TrafficBenchRow[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'vpcflow-bench-traffic-'));
  // The server's defaults (512MB, 2 threads): what a console user gets.
  const db = new Database({ dataDir: dir });
  try {
    await db.start();
    log(`generating ${records} records`);
    const t0 = performance.now();
    await generateTrafficRecords(db, records);
    await db.run('CHECKPOINT');
    const generateSeconds = (performance.now() - t0) / 1000;
    const traffic = new TrafficQueries(db);
    const day = { start: T0, end: T0 + 86400 };
    const op = { kind: 'operator' } as const;
    const acct = { kind: 'account', accountId: ACCOUNTS[1]! } as const;
    const cases: [string, () => Promise<{ sql: string; n: number }>][] = [
      ['series: bytes by action, all accounts', async () => { const r = await traffic.timeSeries({ scope: op, ...day, metric: 'bytes' }); return { sql: r.sql, n: r.series.length }; }],
      ['series: packets by dstport, one account, action = REJECT and dstport in (22, 3389, 443)', async () => { const r = await traffic.timeSeries({ scope: acct, ...day, metric: 'packets', splitBy: 'dstport', filter: 'action = REJECT and dstport in (22, 3389, 443)' }); return { sql: r.sql, n: r.series.length }; }],
      ['series: records by srcaddr (top 10 + Other), srcaddr = 10.0.0.0/20 or dstaddr = 2001:db8::/32', async () => { const r = await traffic.timeSeries({ scope: op, ...day, metric: 'records', splitBy: 'srcaddr', filter: 'srcaddr = 10.0.0.0/20 or dstaddr = 2001:db8::/32' }); return { sql: r.sql, n: r.series.length }; }],
      ['top: srcaddr by bytes (sum)', async () => { const r = await traffic.topN({ scope: op, ...day, metric: 'bytes', dimension: 'srcaddr', limit: 10 }); return { sql: r.sql, n: r.rows.length }; }],
      ['top: srcaddr, dstaddr by bytes (sum)', async () => { const r = await traffic.topN({ scope: op, ...day, metric: 'bytes', dimension: ['srcaddr', 'dstaddr'], limit: 10 }); return { sql: r.sql, n: r.rows.length }; }],
      ['top: dstport by packets (max of 5-minute steps)', async () => { const r = await traffic.topN({ scope: op, ...day, metric: 'packets', dimension: 'dstport', aggregate: 'max', limit: 10 }); return { sql: r.sql, n: r.rows.length }; }],
      ['top: interface-id by bytes (last step), one account', async () => { const r = await traffic.topN({ scope: acct, ...day, metric: 'bytes', dimension: 'interface-id', aggregate: 'last', limit: 10 }); return { sql: r.sql, n: r.rows.length }; }],
      ['sankey: srcaddr → dstaddr → dstport', async () => { const r = await traffic.sankey({ scope: op, ...day, metric: 'bytes', dimensions: ['srcaddr', 'dstaddr', 'dstport'], limit: 10 }); return { sql: r.sql, n: r.links.length }; }],
      ['sankey: interface-id → srcaddr → dstport → action, IPv6 or 10.0.0.0/16', async () => { const r = await traffic.sankey({ scope: op, ...day, metric: 'records', dimensions: ['interface-id', 'srcaddr', 'dstport', 'action'], limit: 20, filter: 'srcaddr in (2001:db8::/32, 10.0.0.0/16)' }); return { sql: r.sql, n: r.links.length }; }],
      ['edges: top 1000 by bytes, all accounts', async () => { const r = await traffic.edges({ scope: op, ...day, limit: 1000 }); return { sql: r.sql, n: r.edges.length }; }],
      ['edges: one account, action = REJECT', async () => { const r = await traffic.edges({ scope: acct, ...day, limit: 1000, filter: 'action = REJECT' }); return { sql: r.sql, n: r.edges.length }; }],
    ];
    const rows: TrafficBenchRow[] = [];
    for (const [name, run] of cases) {
      log(name);
      const ours: number[] = [];
      const duck: number[] = [];
      let n = 0;
      for (let k = 0; k < 3; k++) {
        const t = performance.now();
        const r = await run();
        ours.push(performance.now() - t);
        n = r.n;
        const u = performance.now();
        await db.read(r.sql);
        duck.push(performance.now() - u);
      }
      rows.push({ name, oursMs: median(ours), duckMs: median(duck), rows: n });
    }
    return { records, generateSeconds, rows };
  } finally {
    await db.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printTrafficQueriesBench(r: Awaited<ReturnType<typeof runTrafficQueriesBench>>, line: (s: string) => void): void {
  line(`traffic queries over ${(r.records / 1e6).toFixed(1)} M records (generated in ${r.generateSeconds.toFixed(1)} s), median of 3 runs:`);
  line('');
  line('| query | vpcflow | DuckDB, same SQL | ratio | series/rows/links |');
  line('|---|---|---|---|---|');
  for (const x of r.rows) line(`| ${x.name} | ${x.oursMs.toFixed(0)} ms | ${x.duckMs.toFixed(0)} ms | ${(x.oursMs / x.duckMs).toFixed(2)} | ${x.rows} |`);
  line('');
  line(`machine: ${availableParallelism()} cores, node ${process.version}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runTrafficQueriesBench(Number(process.argv[2] ?? 10_000_000), (s) => process.stderr.write(`… ${s}\n`));
  printTrafficQueriesBench(r, (s) => process.stdout.write(`${s}\n`));
}
