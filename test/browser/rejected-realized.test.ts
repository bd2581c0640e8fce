// test-group: kernel
// The console's Rejected page over traffic the kernel really dropped: a `serve --realize` server
// realizes a VPC whose server subnet's network ACL denies tcp 22 (rule 120) and whose server's
// security group has no rule for tcp 5432; a client in the other subnet tries both; once the REJECT
// records are delivered, the page lists them newest first with the deciding rule's text (the ACL's
// rule number, the security group) linked to that rule's resource page, and the link works.
// Without root the live part skips (with CI=true as root it must run). A second part, on an
// ordinary server, imports an AWS flow log line with REJECT: such records carry no rule, and the
// page says why; another account sees nothing. Real servers, real chromium.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Browser, Page } from 'playwright-core';
import { randomTestPrefix } from '../../src/dataplane/index.ts';
import { Client, resolveCredentials } from '../../src/cli/client.ts';
import { ConsoleServer, launchBrowser, signIn, type Key } from '../helpers/browser.ts';
import { type VpcflowServer } from '../helpers/cli.ts';
import { isRoot, liveSkipReason, queryRows, runIn, startRealizing, stopRealizing, until } from '../helpers/live.ts';

const reason = liveSkipReason(['ip', 'nft', 'tcpdump', 'nc', 'python3']);
// On CI as root a missing tool is a failure, not a skip.
const skip = process.env.CI === 'true' && isRoot ? false : reason;

const ACCOUNT = '111122223333';
const hex = randomBytes(8).toString('hex');
const ID = {
  vpc: `vpc-0${hex}`, subnetServer: `subnet-1${hex}`, subnetClient: `subnet-2${hex}`,
  server: `i-1${hex}`, client: `i-2${hex}`, eniServer: `eni-1${hex}`, eniClient: `eni-2${hex}`,
  sgServer: `sg-1${hex}`, sgClient: `sg-2${hex}`, aclServer: `acl-1${hex}`,
};
const SERVER = '10.46.1.10';
const CLIENT = '10.46.2.20';
const PORT = { ssh: 40610, db: 40620 };
const INTERVAL = 5;
const GROUP = `/vpcflow/console-rejected-${hex}`;
const prefix = randomTestPrefix();

const network = `account: "${ACCOUNT}"
region: us-east-1
vpcs:
  - id: ${ID.vpc}
    cidr: 10.46.0.0/16
    subnets:
      - { id: ${ID.subnetServer}, cidr: 10.46.1.0/24, availability-zone: us-east-1a }
      - { id: ${ID.subnetClient}, cidr: 10.46.2.0/24, availability-zone: us-east-1a }
    security-groups:
      - id: ${ID.sgServer}
        name: server
        description: ssh and http only; no database port
        ingress:
          - { protocol: tcp, from-port: 22, to-port: 22, cidr: 10.46.0.0/16 }
          - { protocol: tcp, from-port: 80, to-port: 80, cidr: 10.46.0.0/16 }
      - id: ${ID.sgClient}
        name: client
        description: everything out
        ingress: []
    network-acls:
      - id: ${ID.aclServer}
        subnets: [${ID.subnetServer}]
        entries:
          - { rule-number: 120, egress: false, protocol: "6", rule-action: deny, cidr: 0.0.0.0/0, from-port: 22, to-port: 22 }
          - { rule-number: 200, egress: false, protocol: "-1", rule-action: allow, cidr: 0.0.0.0/0 }
          - { rule-number: 100, egress: true, protocol: "-1", rule-action: allow, cidr: 0.0.0.0/0 }
    instances:
      - id: ${ID.server}
        subnet: ${ID.subnetServer}
        interfaces: [{ id: ${ID.eniServer}, private-ip: ${SERVER}, security-groups: [${ID.sgServer}] }]
      - id: ${ID.client}
        subnet: ${ID.subnetClient}
        interfaces: [{ id: ${ID.eniClient}, private-ip: ${CLIENT}, security-groups: [${ID.sgClient}] }]
`;

/** Cells of each body row of the page's table of rejected records. */
async function tableRows(page: Page): Promise<string[][]> {
  const rows: string[][] = [];
  for (const r of await page.getByRole('region', { name: 'Rejected records' }).locator('tbody tr').all()) {
    rows.push((await r.locator('td').allTextContents()).map((t) => t.trim()));
  }
  return rows;
}

describe('the Rejected page over records the kernel rejected', { skip, timeout: 180_000 }, () => {
  let server: VpcflowServer;
  let browser: Browser;
  let page: Page;

  before(async () => {
    server = await startRealizing(prefix, network);
    const fl = await server.run(['flow-logs', 'create', '--resource-type', 'VPC', '--resource-ids', ID.vpc, '--traffic-type', 'ALL',
      '--log-destination-type', 'cloud-watch-logs', '--log-group-name', GROUP, '--max-aggregation-interval', String(INTERVAL)]);
    assert.equal(fl.code, 0, fl.stderr);
    // tcp 22: the server subnet's ACL (rule 120) drops the SYNs; tcp 5432: the ACL lets it in, the
    // server's security group has no rule for it. Nothing needs to listen: nothing gets through.
    const [ssh, db] = await Promise.all([
      runIn(server, ID.client, ['nc', '-z', '-w', '2', '-p', String(PORT.ssh), SERVER, '22']),
      runIn(server, ID.client, ['nc', '-z', '-w', '2', '-p', String(PORT.db), SERVER, '5432']),
    ]);
    assert.notEqual(ssh.code, 0, `tcp 22 must be blocked: ${ssh.output}`);
    assert.notEqual(db.code, 0, `tcp 5432 must be blocked: ${db.output}`);
    const delivered = await until(async () => {
      const rows = await queryRows(server, `select dstport, rule from flows where action = 'REJECT' and interface_id = '${ID.eniServer}' and srcaddr = '${CLIENT}'`);
      return rows.some((r) => Number(r.dstport) === 22) && rows.some((r) => Number(r.dstport) === 5432);
    }, 60_000);
    assert.ok(delivered, `the REJECT records were not delivered:\n${server.output}`);

    const operator = resolveCredentials({ VPCFLOW_CREDENTIALS: server.operatorKeyFile })!;
    const created = await new Client(server.endpoint, operator).call<{ AccessKey: { AccessKeyId: string; SecretAccessKey: string } }>('/v1/vpcflow/CreateAccessKey', { AccountId: ACCOUNT });
    browser = await launchBrowser();
    page = await signIn(browser, server.endpoint, { accessKeyId: created.AccessKey.AccessKeyId, secretAccessKey: created.AccessKey.SecretAccessKey });
  });

  after(async () => {
    await page?.context().close();
    await browser?.close();
    if (server) await stopRealizing(server, prefix);
  });

  it('lists the REJECT records with the rule that decided, linked to its resource page', async () => {
    await page.goto(`${server.endpoint}/console/#/rejected?range=1h`);
    await page.getByRole('heading', { name: 'Rejected', level: 1 }).waitFor();
    const table = page.getByRole('region', { name: 'Rejected records' });
    await table.locator('tbody tr').first().waitFor();
    const rows = await tableRows(page);
    const ssh = rows.find((c) => c[2] === `${CLIENT}:${PORT.ssh} → ${SERVER}:22`);
    const db = rows.find((c) => c[2] === `${CLIENT}:${PORT.db} → ${SERVER}:5432`);
    assert.ok(ssh && db, `both attempts are listed:\n${rows.map((r) => r.join(' | ')).join('\n')}`);
    assert.equal(ssh[1], ID.eniServer);
    assert.equal(ssh[3], 'TCP');
    assert.equal(ssh[5], `${ID.aclServer} rule 120: deny tcp 22 from 0.0.0.0/0 (inbound)`);
    assert.equal(db[5], `security group ${ID.sgServer} has no inbound rule for tcp 5432 from ${CLIENT}`);
    // Newest first.
    const times = rows.map((c) => Date.parse(c[0]!.replace(' ', 'T')));
    assert.deepEqual(times, [...times].sort((a, b) => b - a));

    assert.equal(await table.getByRole('link', { name: ID.eniServer }).first().getAttribute('href'), `#/network-interfaces/${ID.eniServer}`);
    const sgLink = table.getByRole('link', { name: `security group ${ID.sgServer} has no inbound rule for tcp 5432 from ${CLIENT}` });
    assert.equal(await sgLink.getAttribute('href'), `#/security-groups/${ID.sgServer}`);
    const aclLink = table.getByRole('link', { name: `${ID.aclServer} rule 120: deny tcp 22 from 0.0.0.0/0 (inbound)` });
    assert.equal(await aclLink.getAttribute('href'), `#/network-acls/${ID.aclServer}`);
    const traffic = table.locator('tbody tr', { hasText: `${SERVER}:22` }).getByRole('link', { name: 'Show traffic' });
    const target = new URLSearchParams((await traffic.getAttribute('href'))!.split('?')[1]);
    assert.equal(target.get('filter'), `action = REJECT and srcaddr = ${CLIENT} and dstaddr = ${SERVER}`);
    await aclLink.click();
    await page.waitForURL((u) => u.hash === `#/network-acls/${ID.aclServer}`);
    await page.getByRole('heading', { level: 1 }).waitFor();
    await page.locator('main').getByText(ID.aclServer).first().waitFor();
    await page.goBack();
    await sgLink.click();
    await page.waitForURL((u) => u.hash === `#/security-groups/${ID.sgServer}`);
    await page.locator('main').getByText(ID.sgServer).first().waitFor();
  });

  it('the interface filter narrows the list to one interface, and can be removed', async () => {
    await page.goto(`${server.endpoint}/console/#/rejected?range=1h&interface=${ID.eniClient}`);
    await page.getByText(`Only interface ${ID.eniClient}`).waitFor();
    await page.getByText('No rejected records in this range').waitFor();
    await page.getByRole('button', { name: 'Show every interface' }).click();
    await page.getByRole('region', { name: 'Rejected records' }).locator('tbody tr').first().waitFor();
    assert.ok(!page.url().includes('interface='));
  });
});

describe('the Rejected page over imported records, which carry no rule', { timeout: 120_000 }, () => {
  let server: ConsoleServer;
  let browser: Browser;
  let key: Key;
  let page: Page;
  const T0 = Math.floor(Date.now() / 1000) - 1800;
  const IMPORTED = 130;

  before(async () => {
    server = await ConsoleServer.start();
    key = await server.createKey(ACCOUNT);
    await server.applyExample(key);
    const header = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
    // More REJECT records than one page (100) holds, a minute apart; one ACCEPT record among them.
    const rejects = Array.from({ length: IMPORTED }, (_, i) => `2 ${ACCOUNT} eni-0a1b2c3d4e5f60718 203.0.113.9 10.0.1.10 ${50000 + i} 3389 6 3 180 ${T0 - i * 60} ${T0 - i * 60 + 60} REJECT OK`);
    const text = [header, ...rejects, `2 ${ACCOUNT} eni-0a1b2c3d4e5f60718 10.0.2.20 10.0.1.10 40001 80 6 10 4000 ${T0} ${T0 + 60} ACCEPT OK`].join('\n') + '\n';
    const bytes = Buffer.from(text);
    await server.client(key).upload(`/v1/vpcflow/Import?name=aws.log&logGroupName=${encodeURIComponent('/imported/flows')}`, Readable.from([bytes]), bytes.length);
    browser = await launchBrowser();
    page = await signIn(browser, server, key);
  });

  after(async () => {
    await page?.context().close();
    await browser?.close();
    await server?.stop();
  });

  it('shows the REJECT records newest first, why they have no rule, and loads the next page', async () => {
    await page.goto(`${server.consoleUrl}#/rejected?range=6h`);
    await page.getByRole('region', { name: 'Rejected records' }).locator('tbody tr').first().waitFor();
    let rows = await tableRows(page);
    assert.equal(rows.length, 100, 'one page');
    assert.equal(rows[0]![2], '203.0.113.9:50000 → 10.0.1.10:3389', 'the newest first');
    assert.equal(rows[99]![2], '203.0.113.9:50099 → 10.0.1.10:3389');
    assert.match(rows[0]![5]!, /no rule was recorded.*ingested captures and imported flow logs/i);
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.getByText(`${IMPORTED} rejected records: all of this range.`).waitFor();
    rows = await tableRows(page);
    assert.deepEqual(rows.map((c) => c[2]), Array.from({ length: IMPORTED }, (_, i) => `203.0.113.9:${50000 + i} → 10.0.1.10:3389`));
    assert.equal(await page.getByRole('button', { name: 'Load more' }).count(), 0);
  });

  it('another account sees none of it, and the empty state says what to do', async () => {
    const other = await signIn(browser, server, await server.createKey('444455556666'));
    try {
      await other.goto(`${server.consoleUrl}#/rejected?range=6h`);
      const empty = other.getByRole('note');
      await empty.waitFor();
      assert.match((await empty.textContent())!, /No rejected records in this range .* Widen the range, or check that a flow log/);
    } finally {
      await other.context().close();
    }
  });
});
