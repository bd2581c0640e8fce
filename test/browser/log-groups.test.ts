// The console's log store pages as a person uses them: a flow log to CloudWatch Logs over the
// example network, a generated capture ingested, then the log group list (prefix search, paging),
// the group (retention edited), its streams, the events split into columns named from the flow
// log's format, a filter pattern narrowing them and a bad one answered at the box, a time range,
// and a live tail that shows a second capture's records without a reload (and holds them while
// paused). Real server, real chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Locator, Page } from 'playwright-core';
import { ConsoleServer, launchBrowser, signIn, type Key } from '../helpers/browser.ts';

const ACCOUNT = '111122223333';
const VPC = 'vpc-0a1b2c3d4e5f60718';
const GROUP = '/vpc/console-flows';
const CUSTOM_GROUP = '/vpc/console-custom';
const CUSTOM_FIELDS = ['interface-id', 'srcaddr', 'dstaddr', 'dstport', 'protocol', 'action', 'log-status'];
const WEB = '10.0.1.10';
const CLIENT = '10.0.2.20';
const DB = '10.0.2.30';
// An hour ago: outside the live tail's first minute and outside "Last 5 minutes".
const T0 = Math.floor(Date.now() / 1000) - 3600;

let server: ConsoleServer;
let browser: Browser;
let key: Key;
let page: Page;

before(async () => {
  server = await ConsoleServer.start();
  key = await server.createKey(ACCOUNT);
  await server.applyExample(key);
  await server.createFlowLog(key, {
    ResourceType: 'VPC', ResourceIds: [VPC], TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs', LogGroupName: GROUP, MaxAggregationInterval: 60,
  });
  await server.createFlowLog(key, {
    ResourceType: 'VPC', ResourceIds: [VPC], TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs', LogGroupName: CUSTOM_GROUP, MaxAggregationInterval: 60,
    LogFormat: CUSTOM_FIELDS.map((f) => `\${${f}}`).join(' '),
  });
  const ingested = await server.ingest([
    { client: CLIENT, server: WEB, protocol: 'tcp', port: 80, startSec: T0 },
    { client: DB, server: WEB, protocol: 'tcp', port: 5432, startSec: T0 + 5 },
    { client: CLIENT, server: WEB, protocol: 'tcp', port: 22, unanswered: true, startSec: T0 + 10 },
    { client: CLIENT, server: WEB, protocol: 'udp', port: 53, startSec: T0 + 15 },
  ], key, 'first.pcap');
  assert.ok(ingested.Records > 0, 'the capture produced records');
  browser = await launchBrowser();
  page = await signIn(browser, server, key);
});

after(async () => {
  await page?.context().close();
  await browser?.close();
  await server?.stop();
});

const go = async (hash: string) => {
  await page.goto(`${server.consoleUrl}${hash}`);
};

/** Header texts and row cell texts of a table inside a region. */
async function tableOf(region: Locator): Promise<{ headers: string[]; rows: string[][] }> {
  const headers = (await region.locator('thead th').allTextContents()).map((t) => t.trim());
  const rows: string[][] = [];
  for (const row of await region.locator('tbody tr').all()) rows.push((await row.locator('td').allTextContents()).map((t) => t.trim()));
  return { headers, rows };
}

const column = (t: { headers: string[]; rows: string[][] }, name: string): string[] => {
  const i = t.headers.indexOf(name);
  assert.ok(i >= 0, `no column ${name} in ${t.headers.join(', ')}`);
  return t.rows.map((r) => r[i] ?? '');
};

test('the log group list shows the flow log groups, searches by prefix and pages with Load more', async () => {
  await go('#/log-groups');
  await page.getByRole('heading', { level: 1, name: 'Log groups' }).waitFor();
  const list = page.getByRole('region', { name: 'Log groups' });
  await list.getByRole('link', { name: GROUP, exact: true }).waitFor();
  const t = await tableOf(list);
  assert.deepEqual(t.headers, ['Log group', 'Retention', 'Metric filters', 'Stored bytes', 'Creation time']);
  const row = t.rows.find((r) => r[0] === GROUP)!;
  assert.equal(row[1], 'Never expire');
  assert.notEqual(row[3], '0 B', 'the group stores the records');

  // More groups than one page (50): the prefix search is the server's, "Load more" fetches the rest.
  const api = server.client(key);
  for (let i = 0; i < 55; i++) await api.call('/v1/logs/CreateLogGroup', { logGroupName: `/bulk/g-${String(i).padStart(2, '0')}` });
  await page.getByLabel('Log group name prefix').fill('/bulk/');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/prefix=%2Fbulk%2F/);
  await list.getByRole('link', { name: '/bulk/g-49' }).waitFor();
  assert.equal(await list.locator('tbody tr').count(), 50);
  assert.equal(await list.getByRole('link', { name: GROUP }).count(), 0, 'the prefix excludes the flow log group');
  await page.getByRole('button', { name: 'Load more' }).click();
  await list.getByRole('link', { name: '/bulk/g-54' }).waitFor();
  assert.equal(await list.locator('tbody tr').count(), 55);
  assert.equal(await page.getByRole('button', { name: 'Load more' }).count(), 0, 'no more pages');

  await page.getByLabel('Log group name prefix').fill('/nothing-here/');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByText('No log group name starts with “/nothing-here/”.').waitFor();
});

test('a group shows its details and streams; a stream shows events split into the format\'s columns', async () => {
  // The 55 groups under /bulk/ fill the first page: the prefix finds the flow log's.
  await go('#/log-groups?prefix=%2Fvpc%2F');
  await page.getByRole('link', { name: GROUP, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: GROUP }).waitFor();
  await page.getByText(`arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${GROUP}`).waitFor();
  const streams = page.getByRole('region', { name: 'Log streams' });
  await streams.locator('tbody tr').first().waitFor();
  const st = await tableOf(streams);
  assert.deepEqual(st.headers, ['Log stream', 'First event', 'Last event', 'Last ingestion']);
  const names = st.rows.map((r) => r[0]);
  assert.ok(names.includes('eni-0a1b2c3d4e5f60718-all'), `web server's stream listed: ${names.join(', ')}`);
  assert.ok(names.every((n) => /^eni-[0-9a-f]+-all$/.test(n ?? '')), names.join(', '));

  await streams.getByRole('link', { name: 'eni-0a1b2c3d4e5f60718-all' }).click();
  await page.getByRole('heading', { level: 1, name: 'eni-0a1b2c3d4e5f60718-all' }).waitFor();
  const events = page.getByRole('region', { name: 'Events' });
  await events.locator('tbody tr').first().waitFor();
  const t = await tableOf(events);
  assert.deepEqual(t.headers, ['Timestamp', 'version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'action', 'log-status']);
  const src = column(t, 'srcaddr').filter((a) => a !== '-'); // NODATA records have none
  assert.ok(src.length > 0 && src.every((a) => /^10\.0\.\d+\.\d+$/.test(a)), `srcaddr holds the network's addresses: ${src.join(' ')}`);
  assert.ok(column(t, 'interface-id').every((v) => v === 'eni-0a1b2c3d4e5f60718'));
  const actions = column(t, 'action');
  assert.ok(actions.includes('ACCEPT'), actions.join(' '));
  // ACCEPT / REJECT are coloured by class.
  const accept = events.locator('td.accept').first();
  assert.equal(await accept.textContent(), 'ACCEPT');
  if (actions.includes('REJECT')) assert.equal(await events.locator('td.reject').first().textContent(), 'REJECT');

  // The raw toggle shows each message whole, and goes in the URL.
  await page.getByLabel('Show raw messages').check();
  await page.waitForURL(/raw=1/);
  const raw = await tableOf(events);
  assert.deepEqual(raw.headers, ['Timestamp', 'Message']);
  assert.match(raw.rows[0]![1]!, /^2 111122223333 eni-0a1b2c3d4e5f60718 /);
  await page.getByLabel('Show raw messages').uncheck();
});

test('a custom LogFormat names the columns of its group', async () => {
  await go(`#/log-groups/${encodeURIComponent(CUSTOM_GROUP)}/search`);
  const events = page.getByRole('region', { name: 'Search log group' }).getByRole('region', { name: 'Events of every stream' });
  await events.locator('tbody tr').first().waitFor();
  const t = await tableOf(events);
  assert.deepEqual(t.headers, ['Timestamp', 'Stream', ...CUSTOM_FIELDS]);
  // NODATA records (an interface silent for a window, depending on where the windows fall) have '-' addresses.
  const addresses = column(t, 'srcaddr').filter((a) => a !== '-');
  assert.ok(addresses.length > 0 && addresses.every((a) => /^10\.0\.\d+\.\d+$/.test(a)), `source addresses: ${column(t, 'srcaddr').join(', ')}`);
  assert.ok(column(t, 'dstport').includes('80'), `destination ports: ${column(t, 'dstport').join(', ')}`);
});

test('a filter pattern narrows the group search, a bad one is answered at the box, and the range limits it', async () => {
  await go(`#/log-groups/${encodeURIComponent(GROUP)}`);
  await page.getByRole('link', { name: 'Search log group' }).click();
  const events = page.getByRole('region', { name: 'Events of every stream' });
  await events.locator('tbody tr').first().waitFor();
  const all = await tableOf(events);
  assert.ok(column(all, 'srcaddr').includes(CLIENT) && column(all, 'srcaddr').includes(DB));

  const box = page.getByRole('textbox', { name: 'Filter pattern' });
  await box.fill(`[version, accountid, interfaceid, srcaddr = ${DB}, ..., action, logstatus]`);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.waitForURL(/pattern=/);
  await events.locator('tbody tr').first().waitFor();
  // Wait for the narrowed table: every srcaddr is the database client.
  await page.waitForFunction(() => {
    const region = document.querySelector('section[aria-label="Events of every stream"]');
    const heads = [...(region?.querySelectorAll('thead th') ?? [])].map((h) => h.textContent);
    const i = heads.indexOf('srcaddr');
    const rows = [...(region?.querySelectorAll('tbody tr') ?? [])];
    return i >= 0 && rows.length > 0 && rows.every((r) => r.children[i]?.textContent === '10.0.2.30');
  });
  const narrowed = await tableOf(events);
  assert.ok(narrowed.rows.length > 0 && narrowed.rows.length < all.rows.length, `${narrowed.rows.length} of ${all.rows.length}`);

  // A pattern the server's parser refuses: its message at the box, the box invalid, the place shown.
  await box.fill('[version, accountid');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  const error = page.locator('.field-error');
  await error.waitFor();
  assert.match((await error.textContent()) ?? '', /Invalid filter pattern \(at position 19: unexpected end of pattern/);
  assert.equal(await box.getAttribute('aria-invalid'), 'true');
  await page.locator('.pattern-where').getByText(/^At character 20: /).waitFor();
  assert.equal(await page.locator('.pattern-where mark').textContent(), '␣', 'the end of the pattern is marked');
  assert.equal(await events.count(), 0, 'no stale table under a refused pattern');

  // A plain term (ingested captures carry no kernel verdicts, so every record is ACCEPT: the port
  // is what tells them apart), restored from the URL on reload.
  await box.fill('5432');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.waitForURL(/pattern=5432/);
  await page.reload();
  assert.equal(await box.inputValue(), '5432');
  await events.locator('tbody tr').first().waitFor();
  const term = await tableOf(events);
  const dst = column(term, 'dstport');
  const srcPorts = column(term, 'srcport');
  assert.ok(term.rows.length > 0 && term.rows.length < all.rows.length);
  assert.ok(term.rows.every((_, i) => dst[i] === '5432' || srcPorts[i] === '5432'), `${srcPorts.join(' ')} / ${dst.join(' ')}`);

  // The records are an hour old: the last 5 minutes hold none of them, the last day all.
  await page.getByRole('button', { name: 'Clear pattern' }).click();
  await page.getByRole('button', { name: 'Last 5 minutes' }).click();
  await page.waitForURL(/start=-5m/);
  await page.getByText('No events match this filter pattern and time range.').waitFor();
  await page.getByRole('button', { name: 'Last day' }).click();
  await events.locator('tbody tr').first().waitFor();
  assert.equal((await tableOf(events)).rows.length, all.rows.length);
});

test('retention edited to 30 days shows on the group, in the list and through DescribeLogGroups, and back to Never expire', async () => {
  await go(`#/log-groups/${encodeURIComponent(GROUP)}`);
  const select = page.getByLabel('Retention', { exact: true });
  await select.waitFor();
  assert.equal(await select.inputValue(), 'never');
  const options = await select.locator('option').allTextContents();
  assert.equal(options.length, 23);
  assert.equal(options[0], 'Never expire');
  await select.selectOption('30');
  await page.getByRole('button', { name: 'Save retention' }).click();
  await page.getByText('Retention set to 30 days.').waitFor();
  await page.locator('.detail', { hasText: 'Retention' }).getByText('30 days').waitFor();

  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Log groups' }).click();
  await page.getByLabel('Log group name prefix').fill('/vpc/');
  await page.getByRole('button', { name: 'Search' }).click();
  const row = page.getByRole('region', { name: 'Log groups' }).getByRole('row', { name: new RegExp(GROUP.replaceAll('/', '\\/')) });
  await row.getByRole('cell', { name: '30 days' }).waitFor();
  const described = await server.client(key).call<{ logGroups: { logGroupName: string; retentionInDays?: number }[] }>('/v1/logs/DescribeLogGroups', { logGroupNamePrefix: GROUP, limit: 1 });
  assert.equal(described.logGroups[0]?.logGroupName, GROUP);
  assert.equal(described.logGroups[0]?.retentionInDays, 30);

  // And back to keeping events forever (DeleteRetentionPolicy).
  await go(`#/log-groups/${encodeURIComponent(GROUP)}`);
  await page.getByLabel('Retention', { exact: true }).selectOption('never');
  await page.getByRole('button', { name: 'Save retention' }).click();
  await page.getByText('Retention set to Never expire.').waitFor();
  const forever = await server.client(key).call<{ logGroups: { retentionInDays?: number }[] }>('/v1/logs/DescribeLogGroups', { logGroupNamePrefix: GROUP, limit: 1 });
  assert.equal(forever.logGroups[0]?.retentionInDays, undefined);
});

test('live tail shows a capture ingested while it is open, without reload; pause holds new records', async () => {
  await go(`#/log-groups/${encodeURIComponent(GROUP)}`);
  await page.getByRole('link', { name: 'Live tail' }).click();
  await page.getByRole('heading', { level: 1, name: `Live tail: ${GROUP}` }).waitFor();
  const status = page.getByRole('status').filter({ hasText: /Live|Connecting|Error|Stopped|Waiting/ });
  await status.getByText('Live', { exact: true }).waitFor();
  // The first capture is an hour old: nothing of the last minute.
  await page.getByText('No records in the last minute yet').waitFor();
  const now = Math.floor(Date.now() / 1000);
  await server.ingest([{ client: DB, server: WEB, protocol: 'tcp', port: 80, exchanges: 2, startSec: now }], key, 'second.pcap');
  const tailed = page.getByRole('region', { name: 'Tailed records' });
  await tailed.getByRole('cell', { name: DB, exact: true }).first().waitFor();
  const t = await tableOf(tailed);
  assert.deepEqual(t.headers.slice(0, 3), ['Timestamp', 'Stream', 'version']);
  assert.ok(column(t, 'dstport').includes('80') || column(t, 'srcport').includes('80'));
  const shown = t.rows.length;

  // Paused: the records still arrive (counted), the table stays; Resume shows them.
  await page.getByRole('button', { name: 'Pause' }).click();
  await server.ingest([{ client: CLIENT, server: WEB, protocol: 'udp', port: 53, exchanges: 1, startSec: now + 1 }], key, 'third.pcap');
  await status.getByText(/Live, paused: [1-9]\d* new/).waitFor();
  assert.equal(await tailed.locator('tbody tr').count(), shown, 'paused: nothing new rendered');
  await page.getByRole('button', { name: /^Resume \(\d+ new\)$/ }).click();
  await tailed.getByRole('cell', { name: '53', exact: true }).first().waitFor();
  assert.ok(await tailed.locator('tbody tr').count() > shown);

  await page.getByRole('button', { name: 'Clear' }).click();
  await page.getByText('Cleared: new records appear here').waitFor();
  await page.getByRole('button', { name: 'Stop' }).click();
  await status.getByText('Stopped').waitFor();
  await page.getByRole('button', { name: 'Start' }).click();
  await status.getByText('Live', { exact: true }).waitFor();
  // The restarted stream replays the last minute first, then follows: once a new capture's records
  // show, the replay is through, and none of what was already taken in came back.
  await server.ingest([{ client: CLIENT, server: WEB, protocol: 'tcp', port: 8080, exchanges: 1, startSec: now + 2 }], key, 'fourth.pcap');
  await tailed.getByRole('cell', { name: '8080', exact: true }).first().waitFor();
  assert.equal(await tailed.getByRole('cell', { name: DB, exact: true }).count(), 0, 'no replayed record shown twice');
  assert.equal(await tailed.getByRole('cell', { name: '53', exact: true }).count(), 0, 'no replayed record shown twice');

  // A bad pattern: the server's error at the box; the tail does not run.
  await page.getByRole('textbox', { name: 'Filter pattern' }).fill('[version, accountid');
  await page.getByRole('button', { name: 'Apply pattern' }).click();
  await page.locator('.field-error').getByText(/Invalid filter pattern \(at position 19/).waitFor();
  await status.getByText(/^Error: /).waitFor();
});
