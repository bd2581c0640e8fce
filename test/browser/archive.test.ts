// The console's archive browser as a person uses it: two flow logs of the example network to an S3
// bucket (gzip text, and Parquet under a folder of its own), a generated capture ingested, then the
// bucket list, the folder tree walked down AWS's key layout to the files (size, records, written
// time), a file's records previewed (text and Parquet), a file downloaded and checked to be gzip
// text whose first line is the header; another account sees none of it. Real server, real chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Locator, Page } from 'playwright-core';
import { ConsoleServer, launchBrowser, signIn, type Key } from '../helpers/browser.ts';

const ACCOUNT = '111122223333';
const OTHER = '444455556666';
const VPC = 'vpc-0a1b2c3d4e5f60718';
const BUCKET = 'console-archive-test';
const HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
// A fixed day, so the folder names are known: 2026-01-02 10:00 UTC.
const T0 = Date.UTC(2026, 0, 2, 10, 0, 0) / 1000;

let server: ConsoleServer;
let browser: Browser;
let key: Key;
let otherKey: Key;
let page: Page;

interface Level { Folders: { Prefix: string }[]; Objects: { Key: string; Records: number }[] }

/** Every object key under a prefix, walking ListArchive's folders (bounded depth). */
async function allKeys(k: Key, prefix = '', depth = 0): Promise<string[]> {
  if (depth > 12) return [];
  const level = await server.client(k).call<Level>('/v1/vpcflow/ListArchive', { Bucket: BUCKET, ...(prefix ? { Prefix: prefix } : {}) });
  const below = await Promise.all(level.Folders.map((f) => allKeys(k, f.Prefix, depth + 1)));
  return [...level.Objects.map((o) => o.Key), ...below.flat()];
}

before(async () => {
  server = await ConsoleServer.start();
  key = await server.createKey(ACCOUNT);
  otherKey = await server.createKey(OTHER);
  await server.applyExample(key);
  const api = server.client(key);
  for (const [destination, options] of [[`arn:aws:s3:::${BUCKET}`, { FileFormat: 'plain-text' }], [`arn:aws:s3:::${BUCKET}/parquet/`, { FileFormat: 'parquet' }]] as const) {
    const created = await api.call<{ Unsuccessful: unknown[] }>('/v1/ec2/CreateFlowLogs', {
      ResourceType: 'VPC', ResourceIds: [VPC], TrafficType: 'ALL', LogDestinationType: 's3', LogDestination: destination, MaxAggregationInterval: 60, DestinationOptions: options,
    });
    assert.deepEqual(created.Unsuccessful, []);
  }
  await server.ingest([
    { client: '10.0.2.20', server: '10.0.1.10', protocol: 'tcp', port: 80, startSec: T0 },
    { client: '10.0.2.30', server: '10.0.1.10', protocol: 'tcp', port: 5432, startSec: T0 + 20 },
    { client: '10.0.2.20', server: '10.0.1.10', protocol: 'udp', port: 53, startSec: T0 + 40 },
  ], key, 'archive.pcap');
  // Files are written after the ingest commits (the archive queue's flush): wait for both formats.
  for (let i = 0; i < 100; i++) {
    const keys = await allKeys(key);
    if (keys.some((k) => k.endsWith('.log.gz')) && keys.some((k) => k.endsWith('.parquet'))) break;
    await sleep(200);
  }
  browser = await launchBrowser();
  page = await signIn(browser, server, key);
});

after(async () => {
  for (const c of browser?.contexts() ?? []) await c.close();
  await browser?.close();
  await server?.stop();
});

async function rowsOf(region: Locator): Promise<string[][]> {
  const rows: string[][] = [];
  for (const row of await region.locator('tbody tr').all()) rows.push((await row.locator('td').allTextContents()).map((t) => t.trim()));
  return rows;
}

const DAY_PATH = ['AWSLogs/', `${ACCOUNT}/`, 'vpcflowlogs/', 'us-east-1/', '2026/', '01/', '02/'];

/** Opens folders by their links, checking the breadcrumbs follow. */
async function walk(folders: string[]): Promise<Locator> {
  const contents = page.getByRole('region', { name: 'Folder contents' });
  for (const f of folders) {
    await contents.getByRole('link', { name: f, exact: true }).click();
    await page.getByRole('navigation', { name: 'Archive location' }).getByText(f.replace(/\/$/, ''), { exact: true }).waitFor();
  }
  return contents;
}

test('the bucket list and the folder tree lead down AWS\'s key layout to the files', async () => {
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Archive' }).click();
  await page.getByRole('heading', { level: 1, name: 'Archive' }).waitFor();
  const buckets = page.getByRole('region', { name: 'Buckets' });
  await buckets.getByRole('link', { name: BUCKET }).waitFor();
  const row = (await rowsOf(buckets)).find((r) => r[0] === BUCKET)!;
  assert.equal(row[3], 'you');
  assert.ok(Number(row[1]) >= 2, `at least a text and a Parquet file: ${row.join(' | ')}`);

  await buckets.getByRole('link', { name: BUCKET }).click();
  await page.waitForURL(new RegExp(`bucket=${BUCKET}`));
  const contents = page.getByRole('region', { name: 'Folder contents' });
  await contents.getByRole('link', { name: 'AWSLogs/', exact: true }).waitFor();
  await contents.getByRole('link', { name: 'parquet/', exact: true }).waitFor();
  await walk(DAY_PATH);
  await page.waitForURL(/prefix=AWSLogs%2F111122223333%2Fvpcflowlogs%2Fus-east-1%2F2026%2F01%2F02%2F/);
  await contents.getByRole('button', { name: 'Preview' }).first().waitFor();
  const files = await rowsOf(contents);
  assert.ok(files.length > 0);
  for (const f of files) {
    assert.match(f[0]!, new RegExp(`^${ACCOUNT}_vpcflowlogs_us-east-1_fl-[0-9a-f]+_20260102T10\\d\\dZ_[0-9a-f]{8}\\.log\\.gz$`));
    assert.match(f[1]!, /^\d+(\.\d)? (B|KB)$/, `size: ${f[1]}`);
    assert.ok(Number(f[2]) > 0, `records: ${f[2]}`);
    assert.match(f[3]!, /^fl-[0-9a-f]+$/);
    assert.match(f[4]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  }

  // The breadcrumbs go back up.
  await page.getByRole('navigation', { name: 'Archive location' }).getByRole('link', { name: BUCKET }).click();
  await contents.getByRole('link', { name: 'AWSLogs/', exact: true }).waitFor();
  await page.getByRole('navigation', { name: 'Archive location' }).getByRole('link', { name: 'Buckets' }).click();
  await buckets.getByRole('link', { name: BUCKET }).waitFor();
});

test('a text file previews its records under its header and downloads as gzip text with the header first', async () => {
  await page.goto(`${server.consoleUrl}#/archive?bucket=${BUCKET}`);
  const contents = await walk(DAY_PATH);
  const first = contents.getByRole('row').filter({ has: page.getByRole('button', { name: 'Preview' }) }).first();
  const name = ((await first.locator('td').first().textContent()) ?? '').trim();
  const records = Number(((await first.locator('td').nth(2).textContent()) ?? '').trim());
  await first.getByRole('button', { name: 'Preview' }).click();
  await page.waitForURL(/preview=/);
  const preview = page.getByRole('region', { name: 'File preview' });
  await preview.locator('tbody tr').first().waitFor();
  assert.deepEqual((await preview.locator('thead th').allTextContents()).join(' '), HEADER);
  const rows = await rowsOf(preview);
  assert.equal(rows.length, Math.min(records, 50));
  // NODATA records (a silent interface's window) carry '-' for the addresses.
  assert.ok(rows.every((r) => r[1] === ACCOUNT && /^(10\.0\.\d+\.\d+|-)$/.test(r[3]!)) && rows.some((r) => r[3] !== '-'), JSON.stringify(rows.slice(0, 3)));
  await preview.getByText(`Gzip text · showing ${rows.length} of ${records} records`).waitFor();

  const [download] = await Promise.all([page.waitForEvent('download'), first.getByRole('button', { name: 'Download' }).click()]);
  assert.equal(download.suggestedFilename(), name);
  const saved = join(server.dataDir, 'downloaded.log.gz');
  await download.saveAs(saved);
  const bytes = readFileSync(saved);
  assert.deepEqual([...bytes.subarray(0, 2)], [0x1f, 0x8b], 'a gzip file');
  const lines = gunzipSync(bytes).toString('utf8').split('\n').filter(Boolean);
  assert.equal(lines[0], HEADER);
  assert.equal(lines.length - 1, records, 'the file holds the records the listing counts');
});

test('a Parquet file previews as records too', async () => {
  await page.goto(`${server.consoleUrl}#/archive?bucket=${BUCKET}`);
  const contents = await walk(['parquet/', ...DAY_PATH]);
  const first = contents.getByRole('row').filter({ has: page.getByRole('button', { name: 'Preview' }) }).first();
  assert.match(((await first.locator('td').first().textContent()) ?? '').trim(), /\.parquet$/);
  await first.getByRole('button', { name: 'Preview' }).click();
  const preview = page.getByRole('region', { name: 'File preview' });
  await preview.locator('tbody tr').first().waitFor();
  await preview.getByText(/^Parquet · showing \d+ of \d+ records/).waitFor();
  const headers = (await preview.locator('thead th').allTextContents()).map((h) => h.trim());
  assert.equal(headers.length, 14, headers.join(' '));
  const rows = await rowsOf(preview);
  assert.ok(rows.length > 0 && rows.every((r) => r.length === 14 && r.includes(ACCOUNT)), JSON.stringify(rows.slice(0, 2)));
  assert.ok(rows.some((r) => r.includes('ACCEPT')));
});

test('another account sees no bucket and no file of the first', async () => {
  const other = await signIn(browser, server, otherKey);
  await other.goto(`${server.consoleUrl}#/archive`);
  await other.getByText('No archive buckets yet').waitFor();
  await other.goto(`${server.consoleUrl}#/archive?bucket=${BUCKET}&prefix=AWSLogs%2F`);
  await other.getByRole('alert').getByText(/AccessDenied/).waitFor();
  assert.equal(await other.getByRole('region', { name: 'Folder contents' }).count(), 0);
  const keys = await allKeys(key);
  const textKey = keys.find((k) => k.endsWith('.log.gz'))!;
  await other.goto(`${server.consoleUrl}#/archive?bucket=${BUCKET}&preview=${encodeURIComponent(textKey)}`);
  await other.getByRole('alert').first().waitFor();
  assert.equal(await other.getByRole('region', { name: 'File preview' }).locator('tbody tr').count(), 0);
  await assert.rejects(server.client(otherKey).call('/v1/vpcflow/GetArchiveObject', { Bucket: BUCKET, Key: textKey }), /AccessDenied/);
  await other.context().close();
});
