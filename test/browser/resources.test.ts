// The console's resource pages in a real browser against a real server: the example network in
// every list (with AWS's columns) and the filter box narrowing them, links between resources,
// a security group's rules and a network ACL's entries in evaluation order, names that look like
// markup shown as text, unknown ids answered with "not found", another account seeing only its
// own network (and an empty account told what to do), and the lists readable at 800 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ConsoleServer, aws, launchBrowser, signIn, type Key } from '../helpers/browser.ts';
import { ROOT } from '../helpers/cli.ts';

const A = '111122223333';
const B = '444455556666';
const C = '777788889999';
const VPC = 'vpc-0a1b2c3d4e5f60718';
const SUBNET_A = 'subnet-0a1b2c3d4e5f60718';
const SUBNET_B = 'subnet-0f1e2d3c4b5a69788';
const WEB_SG = 'sg-0a1b2c3d4e5f60718';
const DB_SG = 'sg-0f1e2d3c4b5a69788';
const ACL = 'acl-0a1b2c3d4e5f60718';
const XSS = '<img src=x onerror=alert(1)>';

// The example network, with one more inbound ACL entry declared last but numbered first: the
// page must list entries by rule number, not in the order they were written.
const NETWORK_A = readFileSync(join(ROOT, 'examples/network.yaml'), 'utf8').replace(
  '          - { rule-number: 100, egress: true,',
  '          - { rule-number: 90, egress: false, protocol: "17", rule-action: deny, cidr: 10.0.9.0/24, from-port: 53, to-port: 53 }\n          - { rule-number: 100, egress: true,',
);
const NETWORK_B = `account: "${B}"
region: us-east-1
vpcs:
  - id: vpc-0b1b2b3b4b5b6b7b8
    cidr: 172.16.0.0/16
    tags: { Name: other-account }
    subnets:
      - { id: subnet-0b1b2b3b4b5b6b7b8, cidr: 172.16.1.0/24, availability-zone: us-east-1a }
`;

let server: ConsoleServer;
let browser: Browser;
let keyA: Key;
let keyB: Key;
let keyC: Key;
let page: Page;

before(async () => {
  server = await ConsoleServer.start();
  browser = await launchBrowser();
  [keyA, keyB, keyC] = await Promise.all([server.createKey(A), server.createKey(B), server.createKey(C)]);
  assert.ok(NETWORK_A.includes('rule-number: 90'), 'the example network changed: the extra ACL entry was not inserted');
  await server.apply(NETWORK_A, keyA);
  await server.apply(NETWORK_B, keyB);
  page = await signIn(browser, server, keyA);
});

after(async () => {
  await page?.context().close();
  await browser?.close();
  await server?.stop();
});

/** The cell texts of a table's body rows; the table is found by its caption (its region's name). */
async function rowsOf(p: Page, caption: string): Promise<string[][]> {
  const region = p.getByRole('region', { name: caption, exact: true });
  await region.locator('tbody tr').first().waitFor();
  return region.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())));
}

async function headersOf(p: Page, caption: string): Promise<string[]> {
  const region = p.getByRole('region', { name: caption, exact: true });
  await region.locator('thead th').first().waitFor();
  return region.locator('thead th').allTextContents();
}

async function openList(p: Page, label: string): Promise<void> {
  await p.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: label, exact: true }).click();
  await p.getByRole('heading', { level: 1, name: label }).waitFor();
}

test('every list shows the example network with AWS columns, and the filter box narrows it', async () => {
  await openList(page, 'VPCs');
  assert.deepEqual(await headersOf(page, 'VPCs'), ['Name', 'VPC ID', 'State', 'IPv4 CIDR', 'IPv6 CIDR', 'Owner ID']);
  assert.deepEqual(await rowsOf(page, 'VPCs'), [['main', VPC, 'available', '10.0.0.0/16', '2600:1f18:abcd:1200::/56', A]]);

  await openList(page, 'Subnets');
  assert.deepEqual(await headersOf(page, 'Subnets'), ['Name', 'Subnet ID', 'State', 'VPC', 'IPv4 CIDR', 'IPv6 CIDR', 'Available IPv4 addresses', 'Availability Zone', 'Network ACL']);
  const subnets = await rowsOf(page, 'Subnets');
  assert.deepEqual(subnets.map((r) => r[1]), [SUBNET_A, SUBNET_B]);
  assert.deepEqual(subnets[0], ['–', SUBNET_A, 'available', `${VPC} | main`, '10.0.1.0/24', '2600:1f18:abcd:1201::/64', '249', 'us-east-1a', ACL]);
  await page.getByLabel('Filter subnets').fill('us-east-1b');
  await page.getByText('(1 of 2)').waitFor();
  assert.deepEqual((await rowsOf(page, 'Subnets')).map((r) => r[1]), [SUBNET_B]);

  await openList(page, 'Network interfaces');
  assert.deepEqual(await headersOf(page, 'Network interfaces'), [
    'Name', 'Network interface ID', 'Subnet ID', 'VPC ID', 'Availability Zone', 'Security groups', 'Description', 'Instance ID', 'Status',
    'Private IPv4 address', 'IPv6 addresses', 'Interface type',
  ]);
  const enis = await rowsOf(page, 'Network interfaces');
  assert.equal(enis.length, 3);
  assert.deepEqual(enis[0], ['–', 'eni-0a1b2c3d4e5f60718', SUBNET_A, VPC, 'us-east-1a', `${WEB_SG} (web)`, '–', 'i-0a1b2c3d4e5f60718', 'in-use', '10.0.1.10', '2600:1f18:abcd:1201::10', 'interface']);
  // Several words: every one must match (the db group's member only).
  await page.getByLabel('Filter network interfaces').fill('(db) us-east-1b');
  await page.getByText('(1 of 3)').waitFor();
  assert.deepEqual((await rowsOf(page, 'Network interfaces')).map((r) => r[1]), ['eni-0c1d2e3f4a5b6c7d8']);

  await openList(page, 'Instances');
  assert.deepEqual(await headersOf(page, 'Instances'), ['Name', 'Instance ID', 'State', 'Instance type', 'Availability Zone', 'Private IPv4', 'VPC', 'Subnet', 'Security groups']);
  const instances = await rowsOf(page, 'Instances');
  assert.deepEqual(instances.map((r) => r[1]), ['i-0a1b2c3d4e5f60718', 'i-0f1e2d3c4b5a69788', 'i-0c1d2e3f4a5b6c7d8']);
  assert.deepEqual(instances[2]!.slice(2), ['running', '–', 'us-east-1b', '10.0.2.30', VPC, SUBNET_B, `${DB_SG} (db)`]);

  await openList(page, 'Security groups');
  assert.deepEqual(await headersOf(page, 'Security groups'), ['Name', 'Security group ID', 'Security group name', 'VPC ID', 'Description', 'Owner', 'Inbound rules count', 'Outbound rules count']);
  const groups = await rowsOf(page, 'Security groups');
  assert.deepEqual(groups.map((r) => r[2]).sort(), ['db', 'default', 'web']);
  assert.deepEqual(groups.find((r) => r[1] === WEB_SG), ['–', WEB_SG, 'web', VPC, 'web servers', A, '3 Permission entries', '2 Permission entries']);
  await page.getByLabel('Filter security groups').fill('database');
  await page.getByText('(1 of 3)').waitFor();
  assert.deepEqual((await rowsOf(page, 'Security groups')).map((r) => r[1]), [DB_SG]);
  await page.getByLabel('Filter security groups').fill('no-such-group');
  await page.getByText('No security groups match “no-such-group”.').waitFor();

  await openList(page, 'Network ACLs');
  assert.deepEqual(await headersOf(page, 'Network ACLs'), ['Name', 'Network ACL ID', 'Associated with', 'Default', 'VPC ID', 'Inbound rules count', 'Outbound rules count', 'Owner']);
  const acls = await rowsOf(page, 'Network ACLs');
  assert.deepEqual(acls.find((r) => r[1] === ACL), ['–', ACL, SUBNET_A, 'No', VPC, '5 Inbound rules', '3 Outbound rules', A]);
  assert.equal(acls.find((r) => r[1] !== ACL)?.[3], 'Yes');

  // Ids link to their pages: the subnet's VPC, then the VPC's own subnets.
  await openList(page, 'Subnets');
  await page.getByRole('region', { name: 'Subnets' }).getByRole('row').filter({ hasText: SUBNET_B }).getByRole('link', { name: VPC }).click();
  await page.getByRole('heading', { level: 1, name: `VPC ${VPC} / main` }).waitFor();
  assert.equal(new URL(page.url()).hash, `#/${'vpcs'}/${VPC}`);
  assert.deepEqual((await rowsOf(page, 'Subnets')).map((r) => r[1]), [SUBNET_A, SUBNET_B]);
  await page.getByRole('link', { name: 'Create flow log' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Create flow log' }).getAttribute('href'), `#/flow-logs/create?resource-type=VPC&resource-id=${VPC}`);
  await page.getByRole('navigation', { name: 'VPC views' }).getByRole('link', { name: 'Tags' }).click();
  assert.deepEqual(await rowsOf(page, 'Tags'), [['Name', 'main']]);
  assert.equal(new URL(page.url()).hash, `#/vpcs/${VPC}/tags`);
});

test("a security group's rules and a network ACL's entries are listed in order, with the ACL's subnets", async () => {
  await page.goto(`${server.consoleUrl}#/security-groups/${WEB_SG}`);
  await page.getByRole('heading', { level: 1, name: `Security group ${WEB_SG}` }).waitFor();
  assert.deepEqual(await headersOf(page, 'Inbound rules'), ['Type', 'Protocol', 'Port range', 'Source', 'Description']);
  assert.deepEqual(await rowsOf(page, 'Inbound rules'), [
    ['HTTP', 'TCP', '80', '10.0.0.0/16', '–'],
    ['PostgreSQL', 'TCP', '5432', DB_SG, '–'],
    ['All ICMP - IPv4', 'ICMP', 'All', '::/0', '–'],
  ]);
  assert.deepEqual(await headersOf(page, 'Outbound rules'), ['Type', 'Protocol', 'Port range', 'Destination', 'Description']);
  assert.deepEqual(await rowsOf(page, 'Outbound rules'), [['All traffic', 'All', 'All', '0.0.0.0/0', '–'], ['All traffic', 'All', 'All', '::/0', '–']]);
  // The peer group is a link to its own page.
  await page.getByRole('region', { name: 'Inbound rules' }).getByRole('link', { name: DB_SG }).click();
  await page.getByRole('heading', { level: 1, name: `Security group ${DB_SG}` }).waitFor();
  await page.getByText('No inbound rules: the interfaces of this group let in nothing').waitFor();

  await page.goto(`${server.consoleUrl}#/network-acls/${ACL}`);
  await page.getByRole('heading', { level: 1, name: `Network ACL ${ACL}` }).waitFor();
  assert.deepEqual(await headersOf(page, 'Inbound rules'), ['Rule number', 'Type', 'Protocol', 'Port range', 'Source', 'Allow/Deny']);
  assert.deepEqual(await rowsOf(page, 'Inbound rules'), [
    ['90', 'DNS (UDP)', 'UDP (17)', '53', '10.0.9.0/24', 'Deny'],
    ['100', 'HTTP', 'TCP (6)', '80', '0.0.0.0/0', 'Allow'],
    ['110', 'SSH', 'TCP (6)', '22', '10.0.0.0/16', 'Allow'],
    ['*', 'All traffic', 'All', 'All', '0.0.0.0/0', 'Deny'],
    ['*', 'All traffic', 'All', 'All', '::/0', 'Deny'],
  ]);
  assert.deepEqual(await rowsOf(page, 'Outbound rules'), [
    ['100', 'All traffic', 'All', 'All', '0.0.0.0/0', 'Allow'],
    ['*', 'All traffic', 'All', 'All', '0.0.0.0/0', 'Deny'],
    ['*', 'All traffic', 'All', 'All', '::/0', 'Deny'],
  ]);
  await page.getByRole('link', { name: 'Subnet associations' }).click();
  assert.deepEqual(await rowsOf(page, 'Subnet associations'), [['–', SUBNET_A, '10.0.1.0/24', '2600:1f18:abcd:1201::/64', 'us-east-1a']]);

  // The subnet shows its interfaces and its ACL's entries; the interface its addresses and groups.
  await page.goto(`${server.consoleUrl}#/subnets/${SUBNET_A}`);
  assert.deepEqual((await rowsOf(page, 'Network interfaces')).map((r) => r[1]), ['eni-0a1b2c3d4e5f60718']);
  await page.getByRole('link', { name: 'Network ACL', exact: true }).click();
  assert.equal((await rowsOf(page, 'Inbound rules'))[0]![0], '90');
  await page.goto(`${server.consoleUrl}#/network-interfaces/eni-0a1b2c3d4e5f60718`);
  assert.deepEqual(await rowsOf(page, 'Private IPv4 addresses'), [['10.0.1.10', 'Yes', 'ip-10-0-1-10.ec2.internal'], ['10.0.1.11', 'No', 'ip-10-0-1-11.ec2.internal']]);
  assert.deepEqual(await rowsOf(page, 'IPv6 addresses'), [['2600:1f18:abcd:1201::10']]);
  assert.deepEqual(await rowsOf(page, 'Security groups'), [[WEB_SG, 'web']]);
  await page.getByRole('link', { name: 'i-0a1b2c3d4e5f60718' }).click();
  await page.getByRole('heading', { level: 1, name: 'Instance i-0a1b2c3d4e5f60718' }).waitFor();
  assert.deepEqual((await rowsOf(page, 'Network interfaces')).map((r) => r.slice(0, 5)), [['eni-0a1b2c3d4e5f60718', '0', SUBNET_A, VPC, '10.0.1.10']]);
});

test('a VPC named like markup is shown as that text: no element, no script', async () => {
  const dialogs: string[] = [];
  const onDialog = (d: { message(): string; dismiss(): Promise<void> }) => {
    dialogs.push(d.message());
    void d.dismiss();
  };
  page.on('dialog', onDialog);
  try {
    const made = await aws(server, keyA, ['ec2', 'create-vpc', '--cidr-block', '10.20.0.0/16',
      '--tag-specifications', JSON.stringify([{ ResourceType: 'vpc', Tags: [{ Key: 'Name', Value: XSS }, { Key: XSS, Value: XSS }] }])]) as { Vpc: { VpcId: string } };
    const id = made.Vpc.VpcId;
    await openList(page, 'VPCs');
    const row = (await rowsOf(page, 'VPCs')).find((r) => r[1] === id);
    assert.deepEqual(row?.slice(0, 2), [XSS, id]);
    await page.getByRole('link', { name: id }).click();
    await page.getByRole('heading', { level: 1, name: `VPC ${id} / ${XSS}` }).waitFor();
    await page.getByRole('link', { name: 'Tags' }).click();
    assert.deepEqual((await rowsOf(page, 'Tags')).sort(), [[XSS, XSS], ['Name', XSS]].sort());
    assert.equal(await page.locator('img').count(), 0, 'the tag became an element');
    assert.deepEqual(dialogs, []);
    // Cleaned up: the next tests see the example network only.
    await aws(server, keyA, ['ec2', 'delete-vpc', '--vpc-id', id]);
  } finally {
    page.off('dialog', onDialog);
  }
});

test('an unknown or malformed id says "not found" and links back to its list', async () => {
  for (const [kind, id, title, back] of [
    ['vpcs', 'vpc-0ffffffffffffffff', 'VPC not found', 'Back to VPCs'],
    ['security-groups', 'sg-nothex', 'Security group not found', 'Back to Security groups'],
    ['network-acls', 'acl-0ffffffffffffffff', 'Network ACL not found', 'Back to Network ACLs'],
  ] as const) {
    await page.goto(`${server.consoleUrl}#/${kind}/${id}`);
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
    await page.getByRole('alert').filter({ hasText: `“${id}”` }).waitFor();
    await page.getByRole('link', { name: back }).click();
    await page.getByRole('region', { name: back.replace('Back to ', ''), exact: true }).waitFor();
  }
  await page.goto(`${server.consoleUrl}#/vpcs/${VPC}/no-such-tab`);
  await page.getByText('A VPC page has no “no-such-tab” tab.').waitFor();
});

test("another account's key sees only its own network; an account without one is told what to do", async () => {
  const other = await signIn(browser, server, keyB);
  try {
    await openList(other, 'VPCs');
    assert.deepEqual((await rowsOf(other, 'VPCs')).map((r) => r.slice(0, 2)), [['other-account', 'vpc-0b1b2b3b4b5b6b7b8']]);
    await openList(other, 'Subnets');
    assert.deepEqual((await rowsOf(other, 'Subnets')).map((r) => r[1]), ['subnet-0b1b2b3b4b5b6b7b8']);
    await openList(other, 'Network interfaces');
    await other.getByRole('note').filter({ hasText: 'vpcflow apply examples/network.yaml' }).waitFor();
    await openList(other, 'Security groups');
    const groups = await rowsOf(other, 'Security groups');
    assert.deepEqual(groups.map((r) => r[2]), ['default']);
    assert.ok(groups.every((r) => r[5] === B));
    for (const [kind, id, title] of [['vpcs', VPC, 'VPC not found'], ['security-groups', WEB_SG, 'Security group not found'], ['instances', 'i-0a1b2c3d4e5f60718', 'Instance not found']] as const) {
      await other.goto(`${server.consoleUrl}#/${kind}/${id}`);
      await other.getByRole('heading', { level: 1, name: title }).waitFor();
    }
    const html = await other.content();
    assert.ok(!html.includes(A), "the other account's id appears in the page");
  } finally {
    await other.context().close();
  }
  const empty = await signIn(browser, server, keyC);
  try {
    await openList(empty, 'VPCs');
    await empty.getByRole('note').filter({ hasText: 'No VPCs in this account yet. Declare a network with vpcflow apply examples/network.yaml' }).waitFor();
    await empty.getByRole('note').filter({ hasText: 'aws ec2 create-vpc' }).waitFor();
  } finally {
    await empty.context().close();
  }
});

test('at 800 px every list and a detail page still show their table without the page overflowing', async () => {
  const narrow = await signIn(browser, server, keyA, { width: 800, height: 900 });
  try {
    for (const [label, caption] of [
      ['VPCs', 'VPCs'], ['Subnets', 'Subnets'], ['Network interfaces', 'Network interfaces'], ['Instances', 'Instances'],
      ['Security groups', 'Security groups'], ['Network ACLs', 'Network ACLs'],
    ] as const) {
      await openList(narrow, label);
      await checkFits(narrow, caption);
    }
    await narrow.goto(`${server.consoleUrl}#/network-interfaces/eni-0a1b2c3d4e5f60718`);
    await checkFits(narrow, 'Private IPv4 addresses');
  } finally {
    await narrow.context().close();
  }
});

async function checkFits(p: Page, caption: string): Promise<void> {
  const region = p.getByRole('region', { name: caption, exact: true });
  await region.locator('tbody tr').first().waitFor();
  const m = await p.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth, body: document.body.scrollWidth }));
  assert.ok(m.scroll <= m.client && m.body <= m.client, `${caption}: the page is ${m.scroll}px wide in a ${m.client}px window`);
  const box = await region.locator('table').boundingBox();
  assert.ok(box && box.width > 0 && box.x >= 0 && box.x < m.client, `${caption}: the table is not in view`);
  const panel = await region.boundingBox();
  assert.ok(panel && panel.x + panel.width <= m.client + 1, `${caption}: the table's panel runs past the window`);
}
