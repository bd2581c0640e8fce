// test-group: kernel
// The console's live tail on the live path: `serve --realize` builds a real VPC on this host, a flow
// log to CloudWatch Logs covers it, the live tail page is opened in chromium, and only then does
// traffic cross the VPC (an HTTP server and a client in two subnets, a blocked port). Its records
// appear on the open page within seconds, with the instances' addresses, ACCEPT and REJECT
// coloured, without a reload. Cleans up with `vpcflow down` and stops the server.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { setTimeout as sleep } from 'node:timers/promises';
import type { VpcflowServer } from '../helpers/cli.ts';
import { isRoot, killGroup, liveSkipReason, namespacesWithPrefix, startInInstance, startRealizing, stopRealizing, vpcflowExec } from '../helpers/live.ts';
import { launchBrowser, signIn } from '../helpers/browser.ts';
import { randomTestPrefix } from '../../src/dataplane/index.ts';

// Not root: skipped with the reason. Root with CI=true: never skipped (a missing tool fails the test).
const reason = liveSkipReason(['ip', 'nft', 'tcpdump', 'curl', 'nc', 'python3']);
const skip = reason && !(process.env.CI === 'true' && isRoot) ? reason : false;

const hex = randomBytes(8).toString('hex');
const ACCOUNT = '111122223333';
const ID = {
  vpc: `vpc-0${hex}`, subnetWeb: `subnet-1${hex}`, subnetClient: `subnet-2${hex}`,
  web: `i-1${hex}`, client: `i-2${hex}`, eniWeb: `eni-1${hex}`, eniClient: `eni-2${hex}`,
};
const WEB = '10.43.1.10';
const CLIENT = '10.43.2.20';
const GROUP = `/vpcflow/console-tail-${hex}`;
const prefix = randomTestPrefix();
const started: ReturnType<typeof startInInstance>[] = [];
let server: VpcflowServer | undefined;
let browser: Browser | undefined;
let page: Page | undefined;

const network = `account: "${ACCOUNT}"
region: us-east-1
vpcs:
  - id: ${ID.vpc}
    cidr: 10.43.0.0/16
    subnets:
      - { id: ${ID.subnetWeb}, cidr: 10.43.1.0/24, availability-zone: us-east-1a }
      - { id: ${ID.subnetClient}, cidr: 10.43.2.0/24, availability-zone: us-east-1a }
    security-groups:
      - name: web
        description: http only
        ingress: [{ protocol: tcp, from-port: 80, to-port: 80, cidr: 10.43.0.0/16 }]
    instances:
      - id: ${ID.web}
        subnet: ${ID.subnetWeb}
        interfaces: [{ id: ${ID.eniWeb}, private-ip: ${WEB}, security-groups: [web] }]
      - id: ${ID.client}
        subnet: ${ID.subnetClient}
        interfaces: [{ id: ${ID.eniClient}, private-ip: ${CLIENT} }]
`;

after(async () => {
  for (const c of started) killGroup(c);
  await page?.context().close().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  // Whatever happened above: no namespace of this run may outlive it.
  if (server) await stopRealizing(server, prefix);
});

test('the console\'s live tail shows records of real traffic in a realized VPC as it is delivered', { skip, timeout: 180_000 }, async () => {
  const s = await startRealizing(prefix, network);
  server = s;
  assert.ok(namespacesWithPrefix(prefix).length >= 3, `expected VPC and instance namespaces with prefix ${prefix}`);
  const account = await s.run(['accounts', 'create', '--account', ACCOUNT, '--output', 'json']);
  assert.equal(account.code, 0, account.stderr);
  const key = (JSON.parse(account.stdout) as { AccessKey: { AccessKeyId: string; SecretAccessKey: string } }).AccessKey;
  const fl = await s.run(['flow-logs', 'create', '--resource-type', 'VPC', '--resource-ids', ID.vpc, '--traffic-type', 'ALL',
    '--log-destination-type', 'cloud-watch-logs', '--log-group-name', GROUP, '--max-aggregation-interval', '5']);
  assert.equal(fl.code, 0, fl.stderr);

  browser = await launchBrowser();
  page = await signIn(browser, s.endpoint, { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey });
  await page.goto(`${s.endpoint}/console/#/log-groups/${encodeURIComponent(GROUP)}/tail`);
  await page.getByRole('heading', { level: 1, name: `Live tail: ${GROUP}` }).waitFor();
  // No record was delivered yet: the page waits for the group, then follows it.
  const status = page.locator('p.tail-status[role="status"]');
  await status.waitFor();

  const web = startInInstance(s, ID.web, ['python3', '-m', 'http.server', '80', '--bind', WEB]);
  started.push(web);
  let fetched = { code: -1, output: '' };
  for (let i = 0; i < 30 && fetched.code !== 0; i++) {
    fetched = await vpcflowExec(s, ID.client, ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '2', `http://${WEB}/`]);
    if (fetched.code !== 0) await sleep(300);
  }
  assert.equal(fetched.code, 0, `curl from the client never reached the web server: ${fetched.output}`);
  const ssh = await vpcflowExec(s, ID.client, ['nc', '-z', '-w1', WEB, '22']);
  assert.notEqual(ssh.code, 0, 'port 22 is blocked by the web security group');

  // The records reach the open page: the web server's address in the tailed table, ACCEPT for
  // HTTP and REJECT for port 22 on the web interface, without a reload.
  const tailed = page.getByRole('region', { name: 'Tailed records' });
  await tailed.getByRole('cell', { name: WEB, exact: true }).first().waitFor({ timeout: 60_000 });
  await status.getByText('Live', { exact: true }).waitFor();
  await tailed.locator('td.reject', { hasText: 'REJECT' }).first().waitFor({ timeout: 60_000 });
  const headers = (await tailed.locator('thead th').allTextContents()).map((h) => h.trim());
  assert.deepEqual(headers.slice(0, 3), ['Timestamp', 'Stream', 'version']);
  const dst = headers.indexOf('dstport');
  const action = headers.indexOf('action');
  const rows: string[][] = [];
  for (const row of await tailed.locator('tbody tr').all()) rows.push((await row.locator('td').allTextContents()).map((t) => t.trim()));
  assert.ok(rows.some((r) => r.includes(CLIENT) && r.includes(WEB) && r[dst] === '80' && r[action] === 'ACCEPT'), JSON.stringify(rows.slice(0, 10)));
  assert.ok(rows.some((r) => r[1] === `${ID.eniWeb}-all` && r[dst] === '22' && r[action] === 'REJECT'), JSON.stringify(rows.slice(0, 10)));

  await page.getByRole('button', { name: 'Stop' }).click();
  await status.getByText('Stopped').waitFor();
  killGroup(web);
});
