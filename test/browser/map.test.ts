// The console's map as a person uses it: the example network with a flow log made through the API,
// a generated capture ingested (conversations inside the VPC and one from outside it), then the
// map of the VPC: its subnets and their interfaces, an edge per conversation whose bytes equal the
// records of it (hand-written SQL in /v1/vpcflow/Query), the table of edges, and the interface and
// edge links opening the traffic view filtered to them. Readable at 800 px: the picture scrolls
// inside its panel, the page does not. Real server, real chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { ConsoleServer, launchBrowser, signIn, type Key } from '../helpers/browser.ts';

const ACCOUNT = '111122223333';
const VPC = 'vpc-0a1b2c3d4e5f60718';
const SUBNETS = ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'];
const ENI = { web: 'eni-0a1b2c3d4e5f60718', client: 'eni-0f1e2d3c4b5a69788', db: 'eni-0c1d2e3f4a5b6c7d8' };
const WEB = '10.0.1.10';
const CLIENT = '10.0.2.20';
const DB = '10.0.2.30';
const OUTSIDER = '198.51.100.23';
const T0 = Math.floor(Date.now() / 1000 / 60) * 60 - 5400;
const iso = (s: number) => new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const START = T0 - 60;
const END = T0 + 600;
const RANGE = `start=${encodeURIComponent(iso(START))}&end=${encodeURIComponent(iso(END))}`;

let server: ConsoleServer;
let browser: Browser;
let key: Key;
let page: Page;

before(async () => {
  server = await ConsoleServer.start();
  key = await server.createKey(ACCOUNT);
  await server.applyExample(key);
  await server.createFlowLog(key, {
    ResourceType: 'VPC', ResourceIds: [VPC], TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs', LogGroupName: '/vpc/console-map', MaxAggregationInterval: 60,
  });
  await server.ingest([
    { client: CLIENT, server: WEB, protocol: 'tcp', port: 80, exchanges: 4, startSec: T0 + 2 },
    { client: DB, server: WEB, protocol: 'tcp', port: 5432, exchanges: 2, startSec: T0 + 4 },
    { client: OUTSIDER, server: WEB, protocol: 'tcp', port: 443, exchanges: 2, startSec: T0 + 6 },
  ], key, 'map.pcap');
  browser = await launchBrowser();
  page = await signIn(browser, server, key);
});

after(async () => {
  await page?.context().close();
  await browser?.close();
  await server?.stop();
});

async function sum(sql: string): Promise<number> {
  const r = await server.client(key).call<{ Rows: Record<string, unknown>[] }>('/v1/vpcflow/Query', { Sql: sql });
  return Number(r.Rows[0]?.n ?? 0);
}

const map = (p: Page) => p.getByRole('group', { name: /^Map of vpc-/ });

test('the map shows the subnets, their interfaces and an edge per ingested conversation, also as a table', async () => {
  await page.goto(`${server.consoleUrl}#/map?vpc=${VPC}&${RANGE}`);
  await page.getByRole('heading', { name: 'Map', level: 1 }).waitFor();
  await map(page).waitFor();
  assert.equal(await page.getByLabel('VPC', { exact: true }).inputValue(), VPC);
  for (const s of SUBNETS) await map(page).getByRole('link', { name: new RegExp(`^Subnet ${s}`) }).waitFor();
  for (const [id, ip] of [[ENI.web, WEB], [ENI.client, CLIENT], [ENI.db, DB]] as const) {
    const node = map(page).getByRole('link', { name: new RegExp(`^Interface ${id} ${ip.replace(/\./g, '\\.')}`) });
    await node.waitFor();
    assert.ok((await node.locator('text').allTextContents()).some((t) => t.startsWith(ip)), `${id} shows its private IP`);
  }
  // Subnets are columns: web's subnet left of the clients' one, both clients in the same column.
  const box = async (id: string) => (await map(page).locator(`[data-interface="${id}"] rect`).boundingBox())!;
  const [web, client, db] = [await box(ENI.web), await box(ENI.client), await box(ENI.db)];
  assert.ok(web.x < client.x, 'subnet-0a1b… is the first column');
  assert.equal(client.x, db.x, 'one column per subnet');
  assert.ok(db.y > client.y, 'interfaces in rows');

  // The client → web conversation, counted where it arrived (web's records of it).
  const bytes = await sum(`SELECT sum(bytes) AS n FROM flows WHERE interface_id = '${ENI.web}' AND srcaddr = '${CLIENT}' AND dstaddr = '${WEB}' AND start >= ${START} AND start < ${END}`);
  assert.ok(bytes > 0);
  const edge = map(page).getByRole('link', { name: new RegExp(`^${ENI.client} \\(${CLIENT.replace(/\./g, '\\.')}\\) → ${ENI.web} \\(${WEB.replace(/\./g, '\\.')}\\): .* accepted: show this traffic`) });
  await edge.waitFor();
  assert.equal(await edge.locator('path').getAttribute('class'), 'map-edge accept');
  const outside = map(page).getByRole('link', { name: new RegExp(`^outside the VPC → ${ENI.web} `) });
  await outside.waitFor();

  const table = page.getByRole('region', { name: 'Conversations' });
  const rows: string[][] = [];
  for (const r of await table.locator('tbody tr').all()) rows.push((await r.locator('td').allTextContents()).map((t) => t.trim()));
  const cells = rows.find((c) => c[0] === `${ENI.client} (${CLIENT})` && c[1] === `${ENI.web} (${WEB})`);
  assert.ok(cells, `a row client → web in ${JSON.stringify(rows)}`);
  assert.equal(cells[0], `${ENI.client} (${CLIENT})`);
  assert.equal(cells[1], `${ENI.web} (${WEB})`);
  assert.equal(cells[2], 'ACCEPT');
  assert.equal(Number(cells[3]!.replace(/,/g, '')), bytes);
  const fromOutside = rows.find((c) => c[0] === `outside the VPC ${OUTSIDER}`);
  assert.equal(fromOutside?.[1], `${ENI.web} (${WEB})`, JSON.stringify(rows));
  // The legend says what solid and dashed red mean.
  assert.match((await page.getByLabel('Legend').textContent())!, /accepted.*rejected/);
});

test('an edge opens the traffic view filtered to its two addresses; an interface to its id', async () => {
  await page.goto(`${server.consoleUrl}#/map?vpc=${VPC}&${RANGE}`);
  const edge = map(page).getByRole('link', { name: new RegExp(`^${ENI.client} \\(.*\\) → ${ENI.web} `) });
  await edge.waitFor();
  // A keyboard user's way in: the edge is a link in the picture.
  await edge.focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Traffic', level: 1 }).waitFor();
  const filter = page.getByLabel('Filter', { exact: true });
  assert.equal(await filter.inputValue(), `srcaddr = ${CLIENT} and dstaddr = ${WEB}`);
  assert.ok(page.url().includes(encodeURIComponent(iso(START))), 'the map\'s range goes along');
  const top = page.getByRole('region', { name: 'Top talkers: source address' });
  await top.locator('tbody tr').first().waitFor();
  assert.deepEqual((await top.locator('tbody tr td:nth-child(2)').allTextContents()).map((t) => t.trim()), [CLIENT]);

  await page.goBack();
  await map(page).getByRole('link', { name: new RegExp(`^Interface ${ENI.db} `) }).click();
  await page.getByRole('heading', { name: 'Traffic', level: 1 }).waitFor();
  assert.equal(await page.getByLabel('Filter', { exact: true }).inputValue(), `interface-id = ${ENI.db}`);
});

test('at 800 px the picture scrolls inside its panel and the page does not overflow', async () => {
  const narrow = await signIn(browser, server, key, { width: 800, height: 900 });
  try {
    await narrow.goto(`${server.consoleUrl}#/map?vpc=${VPC}&${RANGE}`);
    await map(narrow).waitFor();
    const sizes = await narrow.evaluate(() => {
      const scroller = document.querySelector('.map-scroll')!;
      return { page: document.documentElement.scrollWidth, view: document.documentElement.clientWidth, inner: scroller.scrollWidth, panel: scroller.clientWidth };
    });
    assert.ok(sizes.page <= sizes.view, `the page fits 800 px: ${JSON.stringify(sizes)}`);
    assert.ok(sizes.inner > sizes.panel, `the map scrolls in its panel: ${JSON.stringify(sizes)}`);
    // Every interface stays reachable by keyboard.
    await map(narrow).getByRole('link', { name: new RegExp(`^Interface ${ENI.web} `) }).focus();
  } finally {
    await narrow.context().close();
  }
});
