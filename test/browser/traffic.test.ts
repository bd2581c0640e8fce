// The console's traffic view as a person uses it: the example network with a flow log made through
// the API, a generated capture ingested, then the view opened from a URL with a filter. Its numbers
// are checked against SQL written by hand and run through /v1/vpcflow/Query (what `vpcflow query`
// runs): the top talkers table and the time series legend's totals. A bad filter is answered at the
// box, with the offending part marked; a reload keeps the view (it lives in the URL); clicking a
// top-N row or a sankey node narrows the filter; the SQL panel's statement gives the same numbers
// in `vpcflow query`; another account sees none of it. Real server, real chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Locator, Page } from 'playwright-core';
import { ConsoleServer, launchBrowser, signIn, type Key } from '../helpers/browser.ts';

const ACCOUNT = '111122223333';
const OTHER = '444455556666';
const VPC = 'vpc-0a1b2c3d4e5f60718';
const GROUP = '/vpc/console-traffic';
const WEB = '10.0.1.10';
const CLIENT = '10.0.2.20';
const DB = '10.0.2.30';
const OUTSIDER = '203.0.113.7';
// Two hours ago, on a minute boundary: the records fall in known one-minute windows.
const T0 = Math.floor(Date.now() / 1000 / 60) * 60 - 7200;
const START = T0 - 120;
const END = T0 + 900;
const iso = (s: number) => new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const RANGE = `start=${encodeURIComponent(iso(START))}&end=${encodeURIComponent(iso(END))}`;
const FILTER = 'dstport = 80';

let server: ConsoleServer;
let browser: Browser;
let key: Key;
let otherKey: Key;
let page: Page;

before(async () => {
  server = await ConsoleServer.start();
  key = await server.createKey(ACCOUNT);
  otherKey = await server.createKey(OTHER);
  await server.applyExample(key);
  await server.createFlowLog(key, {
    ResourceType: 'VPC', ResourceIds: [VPC], TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs', LogGroupName: GROUP, MaxAggregationInterval: 60,
  });
  const ingested = await server.ingest([
    { client: CLIENT, server: WEB, protocol: 'tcp', port: 80, exchanges: 6, startSec: T0 + 1 },
    { client: DB, server: WEB, protocol: 'tcp', port: 80, exchanges: 2, startSec: T0 + 3 },
    { client: DB, server: WEB, protocol: 'tcp', port: 5432, exchanges: 4, startSec: T0 + 5 },
    { client: OUTSIDER, server: WEB, protocol: 'tcp', port: 80, exchanges: 3, startSec: T0 + 8 },
    { client: CLIENT, server: WEB, protocol: 'udp', port: 53, startSec: T0 + 12 },
    { client: CLIENT, server: WEB, protocol: 'tcp', port: 80, exchanges: 1, startSec: T0 + 75 },
  ], key, 'traffic.pcap');
  assert.ok(ingested.Records > 0, 'the capture produced records');
  browser = await launchBrowser();
  page = await signIn(browser, server, key);
});

after(async () => {
  await page?.context().close();
  await browser?.close();
  await server?.stop();
});

const go = (p: Page, hash: string) => p.goto(`${server.consoleUrl}${hash}`);

/** Rows of /v1/vpcflow/Query (the sandboxed SQL `vpcflow query` runs) for the account. */
async function query(sql: string, k: Key = key): Promise<Record<string, unknown>[]> {
  const r = await server.client(k).call<{ Rows: Record<string, unknown>[] }>('/v1/vpcflow/Query', { Sql: sql });
  return r.Rows;
}

const n = (text: string): number => {
  const digits = text.replace(/[^0-9]/g, '');
  assert.ok(digits.length > 0, `"${text}" holds no number`);
  return Number(digits);
};

/** The top-N table's rows: key text, value and records, as the page shows them. */
async function topRows(region: Locator): Promise<{ key: string; value: number; records: number }[]> {
  const headers = (await region.locator('thead th').allTextContents()).map((t) => t.trim());
  const out: { key: string; value: number; records: number }[] = [];
  for (const row of await region.locator('tbody tr').all()) {
    const cells = (await row.locator('td').allTextContents()).map((t) => t.trim());
    out.push({ key: cells[1]!, value: n(cells[2]!), records: n(cells[headers.indexOf('Records')]!) });
  }
  return out;
}

/** Waits (bounded) until an input shows `expected`: the URL changes a moment before the page re-renders. */
async function waitForValue(input: Locator, expected: string): Promise<void> {
  let value = '';
  for (let i = 0; i < 60; i++) {
    value = await input.inputValue();
    if (value === expected) return;
    await input.page().waitForTimeout(250);
  }
  assert.equal(value, expected);
}

const topRegion = (p: Page) => p.getByRole('region', { name: 'Top talkers: source address' });
const seriesRegion = (p: Page) => p.getByRole('region', { name: 'Over time' });

async function legendTotals(p: Page): Promise<Map<string, number>> {
  const totals = new Map<string, number>();
  const items = seriesRegion(p).getByRole('list', { name: /^Series by/ }).getByRole('listitem');
  for (const item of await items.all()) {
    totals.set((await item.locator('.legend-key').textContent())!.trim(), n((await item.locator('.legend-total').textContent())!));
  }
  return totals;
}

test('the view opened from a URL with a filter: top talkers and series totals equal hand-written SQL in vpcflow query', async () => {
  await go(page, `#/traffic?${RANGE}&filter=${encodeURIComponent(FILTER)}&top=srcaddr&metric=bytes&split=action`);
  await page.getByRole('heading', { name: 'Traffic', level: 1 }).waitFor();
  assert.equal(await page.getByLabel('Filter', { exact: true }).inputValue(), FILTER);
  const top = topRegion(page);
  await top.locator('tbody tr').first().waitFor();

  const expected = await query(`SELECT srcaddr, sum(bytes) AS bytes, count(*) AS records FROM flows
    WHERE start >= ${START} AND start < ${END} AND dstport = 80 GROUP BY srcaddr ORDER BY bytes DESC, srcaddr`);
  assert.ok(expected.length >= 3, `three sources send to port 80: ${JSON.stringify(expected)}`);
  const shown = await topRows(top);
  assert.deepEqual(shown, expected.map((r) => ({ key: String(r.srcaddr), value: Number(r.bytes), records: Number(r.records) })));
  assert.ok(shown.some((r) => r.key === OUTSIDER), 'the outside sender is ranked too');

  await seriesRegion(page).getByRole('list', { name: /^Series by action/ }).waitFor();
  const byAction = await query(`SELECT action, sum(bytes) AS bytes FROM flows WHERE start >= ${START} AND start < ${END} AND dstport = 80 GROUP BY action`);
  assert.deepEqual(await legendTotals(page), new Map(byAction.map((r) => [String(r.action), Number(r.bytes)])));
  // The picture itself: labelled axes, one bar segment per non-empty (bucket, series).
  const svg = seriesRegion(page).getByRole('img');
  assert.match((await svg.getAttribute('aria-label'))!, /bytes per 1 minute by action/);
  assert.ok(await svg.locator('rect').count() >= 2, 'records in two minutes make two bars');
  assert.ok((await svg.locator('text').allTextContents()).includes('Time (UTC)'));
  // The data table fallback holds the same totals.
  await seriesRegion(page).getByText('Data table').click();
  const foot = (await seriesRegion(page).locator('tfoot td').allTextContents()).map(n);
  assert.equal(foot[foot.length - 1], byAction.reduce((s, r) => s + Number(r.bytes), 0));
});

test('the SQL panel shows the statements, and the top-N statement gives the same numbers in vpcflow query', async () => {
  await go(page, `#/traffic?${RANGE}&filter=${encodeURIComponent(FILTER)}&top=srcaddr`);
  await topRegion(page).locator('tbody tr').first().waitFor();
  await page.getByText('SQL', { exact: true }).click();
  const panel = page.locator('details.sql-panel');
  assert.match((await panel.textContent())!, /vpcflow query/);
  const topSql = (await panel.locator('.sql-part', { hasText: 'Top-N' }).locator('pre').textContent())!;
  assert.match(topSql, /FROM flows/);
  const rows = await query(topSql);
  assert.deepEqual(rows.map((r) => [String(r.srcaddr), Number(r.value), Number(r.records)]), (await topRows(topRegion(page))).map((r) => [r.key, r.value, r.records]));
});

test('a bad filter is answered at the box: the offending part marked, its position, aria-invalid', async () => {
  await go(page, `#/traffic?${RANGE}`);
  await topRegion(page).locator('tbody tr').first().waitFor();
  const box = page.getByLabel('Filter', { exact: true });
  const bad = 'dstport = 80 and srcaddr = nowhere';
  await box.fill(bad);
  await box.press('Enter');
  const alert = page.locator('.filter-box [role="alert"]');
  await alert.waitFor();
  const text = (await alert.textContent())!;
  assert.match(text, new RegExp(`at ${bad.indexOf('nowhere')}`), text);
  assert.match(text, /srcaddr takes an IPv4 or IPv6 address/, text);
  assert.equal(await alert.locator('mark').textContent(), 'nowhere');
  assert.equal(await box.getAttribute('aria-invalid'), 'true');
  // The URL holds the filter as typed, and no chart is drawn for it.
  assert.ok(decodeURIComponent(new URL(page.url()).hash).includes('srcaddr+=+nowhere'), page.url());
  assert.equal(await topRegion(page).count(), 0);
  // Fixing it clears the error.
  await box.fill(FILTER);
  await page.getByRole('button', { name: 'Apply', exact: true }).click();
  await topRegion(page).locator('tbody tr').first().waitFor();
  assert.equal(await box.getAttribute('aria-invalid'), null);
});

test('a reload keeps the whole view: range, filter, metric, split, top-N, aggregate, limit, sankey', async () => {
  await go(page, `#/traffic?${RANGE}&filter=${encodeURIComponent(FILTER)}`);
  await topRegion(page).locator('tbody tr').first().waitFor();
  await page.getByLabel('Metric').selectOption('packets');
  await page.getByLabel('Split by').selectOption('srcaddr');
  await page.getByLabel('Limit').selectOption('20');
  await page.getByLabel('Sankey dimension 3').selectOption('protocol');
  await page.waitForURL(/metric=packets/);
  await page.waitForURL(/sankey=srcaddr%2Cdstaddr%2Cprotocol|sankey=srcaddr,dstaddr,protocol/);
  await page.reload();
  await topRegion(page).locator('tbody tr').first().waitFor();
  assert.equal(await page.getByLabel('Filter', { exact: true }).inputValue(), FILTER);
  assert.equal(await page.getByLabel('Metric').inputValue(), 'packets');
  assert.equal(await page.getByLabel('Split by').inputValue(), 'srcaddr');
  assert.equal(await page.getByLabel('Limit').inputValue(), '20');
  assert.equal(await page.getByLabel('Sankey dimension 3').inputValue(), 'protocol');
  assert.equal(await page.getByLabel('Time range').inputValue(), 'custom');
  assert.ok((await topRegion(page).locator('thead th').allTextContents()).includes('Packets'));
  const packets = await query(`SELECT srcaddr, sum(packets) AS packets FROM flows WHERE start >= ${START} AND start < ${END} AND dstport = 80 GROUP BY srcaddr ORDER BY packets DESC, srcaddr`);
  assert.deepEqual((await topRows(topRegion(page))).map((r) => [r.key, r.value]), packets.map((r) => [String(r.srcaddr), Number(r.packets)]));
  await seriesRegion(page).getByRole('list', { name: /^Series by srcaddr/ }).waitFor();
  assert.deepEqual(await legendTotals(page), new Map(packets.map((r) => [String(r.srcaddr), Number(r.packets)])));
});

test('clicking a top-N row narrows the filter; so does a sankey node', async () => {
  await go(page, `#/traffic?${RANGE}&filter=${encodeURIComponent(FILTER)}&top=srcaddr`);
  await topRegion(page).locator('tbody tr').first().waitFor();
  await topRegion(page).getByRole('button', { name: `Add srcaddr = ${CLIENT} to the filter` }).click();
  const narrowed = `${FILTER} and srcaddr = ${CLIENT}`;
  await page.waitForURL((u) => decodeURIComponent(u.hash.replace(/\+/g, ' ')).includes(narrowed));
  const box = page.getByLabel('Filter', { exact: true });
  await waitForValue(box, narrowed);
  await topRegion(page).locator('tbody tr', { hasText: DB }).waitFor({ state: 'detached' });
  assert.deepEqual((await topRows(topRegion(page))).map((r) => r.key), [CLIENT]);

  // Sankey nodes are labelled with SVG text and pick like rows.
  const sankey = page.getByRole('region', { name: /^Sankey: srcaddr → dstaddr → dstport/ });
  const node = sankey.getByRole('button', { name: `Add dstaddr = ${WEB} to the filter` });
  await node.waitFor();
  assert.match((await node.locator('text').textContent())!, new RegExp(WEB.replace(/\./g, '\\.')));
  await node.focus();
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => decodeURIComponent(u.hash.replace(/\+/g, ' ')).includes(`${narrowed} and dstaddr = ${WEB}`));
  await waitForValue(box, `${narrowed} and dstaddr = ${WEB}`);
});

test('another account sees none of it: the empty state says what to do', async () => {
  const other = await signIn(browser, server, otherKey);
  try {
    await go(other, `#/traffic?${RANGE}`);
    await other.getByText('No records in this range').waitFor();
    assert.match((await other.getByRole('note').textContent())!, /widen it or check that flow logs exist/);
    await go(other, `#/traffic?${RANGE}&filter=${encodeURIComponent(FILTER)}`);
    await other.getByText('No records match this filter in this range').waitFor();
    assert.equal(await other.getByRole('region', { name: 'Top talkers: source address' }).count(), 0);
    const rows = await query(`SELECT count(*) AS n FROM flows`, otherKey);
    assert.equal(Number(rows[0]!.n), 0);
  } finally {
    await other.context().close();
  }
});

test('auto-refresh shows records delivered after the page opened, without a reload', async () => {
  await go(page, `#/traffic?range=24h&filter=${encodeURIComponent('dstport = 8080')}&top=srcaddr`);
  await page.getByText('No records match this filter in this range').waitFor();
  await page.getByLabel('Auto-refresh').selectOption('10s');
  await page.waitForURL(/refresh=10s/);
  const now = Math.floor(Date.now() / 1000);
  await server.ingest([{ client: DB, server: WEB, protocol: 'tcp', port: 8080, exchanges: 2, startSec: now - 90 }], key, 'later.pcap');
  // The next refresh (at most 10 s away) brings the new conversation in.
  await topRegion(page).getByRole('button', { name: `Add srcaddr = ${DB} to the filter` }).waitFor({ timeout: 30_000 });
  await page.getByLabel('Auto-refresh').selectOption('');
});

test('an absolute range typed into Start and End goes into the URL and bounds the numbers', async () => {
  await go(page, `#/traffic?range=24h&filter=${encodeURIComponent(FILTER)}&top=srcaddr`);
  await page.getByLabel('Time range').selectOption('custom');
  // The first minute of the traffic only: the records starting at T0 + 75 s fall outside.
  const local = (s: number) => new Date(s * 1000).toISOString().slice(0, 19);
  await page.getByLabel('Start (UTC)').fill(local(T0));
  await page.getByLabel('End (UTC)').fill(local(T0 + 60));
  await page.getByRole('button', { name: 'Apply range' }).click();
  await page.waitForURL((u) => u.hash.includes('start=') && u.hash.includes('end='));
  const expected = await query(`SELECT srcaddr, sum(bytes) AS bytes, count(*) AS records FROM flows
    WHERE start >= ${T0} AND start < ${T0 + 60} AND dstport = 80 GROUP BY srcaddr ORDER BY bytes DESC, srcaddr`);
  assert.ok(expected.length > 0, 'records in the first minute');
  const want = expected.map((r) => ({ key: String(r.srcaddr), value: Number(r.bytes), records: Number(r.records) }));
  // The table of the new range replaces the old one once its answer arrives: poll (bounded) for it.
  let shown: Awaited<ReturnType<typeof topRows>> = [];
  for (let i = 0; i < 60; i++) {
    shown = await topRows(topRegion(page)).catch(() => []);
    if (JSON.stringify(shown) === JSON.stringify(want)) break;
    await page.waitForTimeout(500);
  }
  assert.deepEqual(shown, want);
  assert.match(await page.locator('.range-label').textContent() ?? '', new RegExp(`${local(T0).replace('T', ' ')}Z`));
});
