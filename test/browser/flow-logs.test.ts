// Flow logs through the console in a real browser against a real server: created through the
// Create flow log form at each level (VPC, subnet, interface; to CloudWatch Logs and to S3 as
// Parquet with hourly partitions) and checked with the real aws CLI; the form's errors on the
// field they concern (a reserved subfolder, a bad custom format, a bad role ARN, client-side and
// as the server refuses it); deletion behind the typed confirmation; another account seeing none
// of them; the pages readable at 800 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Locator, Page } from 'playwright-core';
import { ConsoleServer, aws, launchBrowser, signIn, type Key } from '../helpers/browser.ts';

const A = '111122223333';
const B = '444455556666';
const VPC = 'vpc-0a1b2c3d4e5f60718';
const SUBNET = 'subnet-0f1e2d3c4b5a69788';
const ENI = 'eni-0a1b2c3d4e5f60718';
const ROLE = `arn:aws:iam::${A}:role/flow-logs`;
const DEFAULT_FORMAT = '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}';

interface FlowLog {
  FlowLogId: string;
  ResourceId: string;
  TrafficType: string;
  LogDestinationType: string;
  LogDestination?: string;
  LogGroupName?: string;
  DeliverLogsPermissionArn?: string;
  LogFormat: string;
  MaxAggregationInterval: number;
  DestinationOptions?: { FileFormat: string; HiveCompatiblePartitions: boolean; PerHourPartition: boolean };
  Tags?: { Key: string; Value: string }[];
}

let server: ConsoleServer;
let browser: Browser;
let keyA: Key;
let keyB: Key;
let page: Page;
const created: Record<'vpc' | 'subnet' | 'eni', string> = { vpc: '', subnet: '', eni: '' };

before(async () => {
  server = await ConsoleServer.start();
  browser = await launchBrowser();
  [keyA, keyB] = await Promise.all([server.createKey(A), server.createKey(B)]);
  await server.applyExample(keyA);
  await server.apply(`account: "${B}"\nregion: us-east-1\nvpcs:\n  - id: vpc-0b1b2b3b4b5b6b7b8\n    cidr: 172.16.0.0/16\n    subnets:\n      - { id: subnet-0b1b2b3b4b5b6b7b8, cidr: 172.16.1.0/24, availability-zone: us-east-1a }\n`, keyB);
  page = await signIn(browser, server, keyA);
});

after(async () => {
  await page?.context().close();
  await browser?.close();
  await server?.stop();
});

async function describeFlowLogs(key: Key, resourceId?: string): Promise<FlowLog[]> {
  const r = await aws(server, key, ['ec2', 'describe-flow-logs', ...(resourceId ? ['--filter', `Name=resource-id,Values=${resourceId}`] : [])]) as { FlowLogs: FlowLog[] };
  return r.FlowLogs;
}

async function logGroupNames(key: Key): Promise<string[]> {
  const r = await aws(server, key, ['logs', 'describe-log-groups']) as { logGroups: { logGroupName: string }[] };
  return r.logGroups.map((g) => g.logGroupName);
}

/** The new flow log's id from the page the form lands on (#/…/flow-logs?created=fl-…). */
async function landedOn(p: Page, kind: string, resourceId: string): Promise<string> {
  await p.waitForURL((u) => u.hash.startsWith(`#/${kind}/${resourceId}/flow-logs?created=fl-`));
  const id = new URLSearchParams(new URL(p.url()).hash.split('?')[1]).get('created') ?? '';
  assert.match(id, /^fl-[0-9a-f]{17}$/);
  await p.getByRole('status').filter({ hasText: `Created flow log ${id}.` }).waitFor();
  await p.getByRole('region', { name: 'Flow logs', exact: true }).getByRole('row').filter({ hasText: id }).waitFor();
  return id;
}

/** The error text shown for a control (its aria-describedby), which must be marked invalid. */
async function errorOn(control: Locator): Promise<string> {
  await control.and(control.page().locator('[aria-invalid="true"]')).waitFor();
  const ids = (await control.getAttribute('aria-describedby')) ?? '';
  const texts: string[] = [];
  for (const id of ids.split(' ').filter((x) => x.endsWith('-error'))) texts.push((await control.page().locator(`[id="${id}"]`).textContent()) ?? '');
  return texts.join(' ');
}

test('a flow log of a VPC, created through the form from the VPC page, is what the aws CLI describes', async () => {
  await page.goto(`${server.consoleUrl}#/vpcs/${VPC}`);
  await page.getByRole('link', { name: 'Create flow log' }).click();
  await page.getByRole('heading', { level: 1, name: 'Create flow log' }).waitFor();
  assert.equal(await page.getByLabel('Resource type').inputValue(), 'VPC');
  assert.equal(await page.getByLabel('Resource', { exact: true }).inputValue(), VPC);
  await page.getByLabel('Name - optional').fill('whole-vpc');
  await page.getByRole('group', { name: 'Maximum aggregation interval' }).getByLabel('1 minute').check();
  // No log group exists yet: the choice is a new one.
  await page.getByLabel('New log group name').fill('/vpc/console-flows');
  assert.equal(await page.getByLabel('Destination log group').inputValue(), '*new*');
  await page.getByLabel('IAM role ARN').fill(ROLE);
  await page.getByRole('button', { name: 'Create flow log' }).click();
  created.vpc = await landedOn(page, 'vpcs', VPC);
  const row = page.getByRole('region', { name: 'Flow logs', exact: true }).getByRole('row').filter({ hasText: created.vpc });
  for (const text of ['whole-vpc', 'ALL', 'CloudWatch Logs', '/vpc/console-flows', ROLE, '1 minute', DEFAULT_FORMAT, 'ACTIVE', 'SUCCESS']) {
    assert.ok((await row.textContent())?.includes(text), `the row lacks ${text}`);
  }
  const [fl] = await describeFlowLogs(keyA, VPC);
  assert.equal(fl?.FlowLogId, created.vpc);
  assert.equal(fl.TrafficType, 'ALL');
  assert.equal(fl.LogDestinationType, 'cloud-watch-logs');
  assert.equal(fl.LogGroupName, '/vpc/console-flows');
  assert.equal(fl.DeliverLogsPermissionArn, ROLE);
  assert.equal(fl.MaxAggregationInterval, 60);
  assert.equal(fl.LogFormat, DEFAULT_FORMAT);
  assert.deepEqual(fl.Tags, [{ Key: 'Name', Value: 'whole-vpc' }]);
  assert.ok((await logGroupNames(keyA)).includes('/vpc/console-flows'), 'the new log group was not created');
});

test('a subnet flow log with a custom format picked field by field goes to the existing group', async () => {
  await page.goto(`${server.consoleUrl}#/subnets/${SUBNET}`);
  await page.getByRole('navigation', { name: 'Subnet views' }).getByRole('link', { name: 'Flow logs' }).click();
  await page.getByRole('note').filter({ hasText: 'No flow logs yet — create one' }).waitFor();
  await page.getByRole('region', { name: 'Flow logs', exact: true }).getByRole('link', { name: 'Create flow log' }).click();
  await page.getByRole('heading', { level: 1, name: 'Create flow log' }).waitFor();
  assert.equal(await page.getByLabel('Resource', { exact: true }).inputValue(), SUBNET);
  await page.getByRole('group', { name: 'Filter' }).getByLabel('Reject').check();
  await page.getByLabel('Destination log group').selectOption('/vpc/console-flows');
  await page.getByLabel('Custom format').check();
  const picker = page.getByRole('group', { name: 'Log format fields' });
  // The picker lists every field in AWS's order.
  const names = (await picker.locator('label').allTextContents()).map((t) => t.trim());
  assert.equal(names.length, 54);
  assert.deepEqual(names.slice(0, 3), ['version', 'account-id', 'interface-id']);
  assert.deepEqual(names.slice(14, 18), ['vpc-id', 'subnet-id', 'instance-id', 'tcp-flags']);
  assert.equal(names.at(-1), 'next-hop-interface-type');
  await picker.getByLabel('log-status', { exact: true }).uncheck();
  await picker.getByLabel('tcp-flags', { exact: true }).check();
  await picker.getByLabel('reject-reason', { exact: true }).check();
  const format = DEFAULT_FORMAT.replace(' ${log-status}', '') + ' ${tcp-flags} ${reject-reason}';
  assert.equal(await page.getByLabel('Log format', { exact: true }).inputValue(), format);
  await page.getByRole('button', { name: 'Create flow log' }).click();
  created.subnet = await landedOn(page, 'subnets', SUBNET);
  const [fl] = await describeFlowLogs(keyA, SUBNET);
  assert.equal(fl?.FlowLogId, created.subnet);
  assert.equal(fl.TrafficType, 'REJECT');
  assert.equal(fl.LogGroupName, '/vpc/console-flows');
  assert.equal(fl.LogFormat, format);
  assert.equal(fl.MaxAggregationInterval, 600);
  assert.equal(fl.DeliverLogsPermissionArn, undefined);
});

test("an interface's flow log to S3 as Parquet with hourly Hive partitions and tags", async () => {
  await page.goto(`${server.consoleUrl}#/network-interfaces/${ENI}`);
  await page.getByRole('link', { name: 'Create flow log' }).click();
  await page.getByRole('heading', { level: 1, name: 'Create flow log' }).waitFor();
  assert.equal(await page.getByLabel('Resource type').inputValue(), 'NetworkInterface');
  await page.getByLabel('Send to an Amazon S3 bucket').check();
  await page.getByLabel('S3 bucket ARN').fill('arn:aws:s3:::console-flow-archive');
  await page.getByLabel('Subfolder - optional').fill('eni-logs');
  await page.getByLabel('Parquet').check();
  await page.getByRole('group', { name: 'Hive-compatible S3 prefix' }).getByLabel('Enable').check();
  await page.getByLabel('Every 1 hour (60 minutes)').check();
  await page.getByRole('button', { name: 'Add new tag' }).click();
  await page.getByRole('button', { name: 'Add new tag' }).click();
  await page.getByLabel('Key of tag 1').fill('team');
  await page.getByLabel('Value - optional of tag 1').fill('network');
  await page.getByLabel('Key of tag 2').fill('drop-me');
  await page.getByRole('button', { name: 'Remove tag 2' }).click();
  assert.equal(await page.getByLabel('Key of tag 2').count(), 0);
  await page.getByRole('button', { name: 'Create flow log' }).click();
  created.eni = await landedOn(page, 'network-interfaces', ENI);
  await page.getByRole('row').filter({ hasText: created.eni }).getByText('Parquet · Hive-compatible prefix · hourly partitions').waitFor();
  const [fl] = await describeFlowLogs(keyA, ENI);
  assert.equal(fl?.FlowLogId, created.eni);
  assert.equal(fl.LogDestinationType, 's3');
  assert.equal(fl.LogDestination, 'arn:aws:s3:::console-flow-archive/eni-logs');
  assert.deepEqual(fl.DestinationOptions, { FileFormat: 'parquet', HiveCompatiblePartitions: true, PerHourPartition: true });
  assert.deepEqual(fl.Tags, [{ Key: 'team', Value: 'network' }]);
});

test('the form shows each error on its field: AWSLogs as subfolder, a bad custom format, a bad role ARN', async () => {
  const before = (await describeFlowLogs(keyA)).length;
  await page.goto(`${server.consoleUrl}#/flow-logs/create`);
  await page.getByRole('heading', { level: 1, name: 'Create flow log' }).waitFor();
  // Without a resource in the URL it is chosen on the page.
  await page.getByRole('button', { name: 'Create flow log' }).click();
  assert.match(await errorOn(page.getByLabel('Resource', { exact: true })), /Choose the VPC whose traffic this flow log records/);
  await page.getByLabel('Resource type').selectOption('Subnet');
  await page.getByLabel('Resource', { exact: true }).selectOption('subnet-0a1b2c3d4e5f60718');
  assert.equal(new URL(page.url()).hash, '#/flow-logs/create?resource-type=Subnet&resource-id=subnet-0a1b2c3d4e5f60718');

  // A tag row repeating the Name given above is marked on its key.
  await page.getByLabel('Name - optional').fill('dup');
  await page.getByRole('button', { name: 'Add new tag' }).click();
  await page.getByLabel('Key of tag 1').fill('Name');
  await page.getByRole('button', { name: 'Create flow log' }).click();
  assert.match(await errorOn(page.getByLabel('Key of tag 1')), /Tag 1: the Name tag is set by the Name field above/);
  await page.getByRole('button', { name: 'Remove tag 1' }).click();
  await page.getByLabel('Name - optional').fill('');

  // S3 refuses AWSLogs as a folder name: the server says so, on the Subfolder field.
  await page.getByLabel('Send to an Amazon S3 bucket').check();
  await page.getByLabel('S3 bucket ARN').fill('arn:aws:s3:::console-flow-archive');
  await page.getByLabel('Subfolder - optional').fill('AWSLogs');
  await page.getByRole('button', { name: 'Create flow log' }).click();
  assert.match(await errorOn(page.getByLabel('Subfolder - optional')), /AWSLogs is reserved and cannot be used as a folder name/);
  assert.equal(await page.getByLabel('S3 bucket ARN').getAttribute('aria-invalid'), null);
  await page.getByLabel('Subfolder - optional').fill('');

  // A custom format typed by hand: the server's reason is on the Log format field.
  await page.getByLabel('Custom format').check();
  await page.getByLabel('Log format', { exact: true }).fill('${version} ${srcaddr} ${bogus-field}');
  await page.getByRole('button', { name: 'Create flow log' }).click();
  const formatError = await errorOn(page.getByLabel('Log format', { exact: true }));
  assert.match(formatError, /unknown field 'bogus-field' at position 23/);
  await page.getByLabel('AWS default format').check();

  // A role ARN of the wrong shape is stopped on the page; one the server refuses is shown there too.
  await page.getByLabel('Send to CloudWatch Logs').check();
  await page.getByLabel('Destination log group').selectOption({ label: 'New log group…' });
  await page.getByLabel('New log group name').fill('/vpc/never-made');
  await page.getByLabel('IAM role ARN').fill('arn:aws:iam::1234:role/short-account');
  await page.getByRole('button', { name: 'Create flow log' }).click();
  assert.match(await errorOn(page.getByLabel('IAM role ARN')), /12-digit account id/);
  assert.equal(await page.getByLabel('IAM role ARN').evaluate((el) => el === document.activeElement), true, 'the invalid field has no focus');
  await page.getByLabel('IAM role ARN').fill(`arn:aws:iam::${A}:role/bad*name`);
  await page.getByRole('button', { name: 'Create flow log' }).click();
  assert.match(await errorOn(page.getByLabel('IAM role ARN')), /DeliverLogsPermissionArn: 'arn:aws:iam::111122223333:role\/bad\*name' is not an IAM role ARN/);

  // Nothing was created, and the refused request left no empty log group behind.
  assert.equal((await describeFlowLogs(keyA)).length, before);
  assert.ok(!(await logGroupNames(keyA)).includes('/vpc/never-made'));

  // The same destination twice on one resource: the answer's Unsuccessful item, on the log group field.
  await page.goto(`${server.consoleUrl}#/flow-logs/create?resource-type=VPC&resource-id=${VPC}`);
  await page.reload();
  await page.getByLabel('Destination log group').selectOption('/vpc/console-flows');
  await page.getByRole('button', { name: 'Create flow log' }).click();
  assert.match(await errorOn(page.getByLabel('Destination log group')), /existing Flow Log with the same configuration and log destination/);
  // An id from the URL that names nothing is said at once.
  await page.goto(`${server.consoleUrl}#/flow-logs/create?resource-type=VPC&resource-id=vpc-0ffffffffffffffff`);
  assert.match(await errorOn(page.getByLabel('Resource', { exact: true })), /There is no VPC “vpc-0ffffffffffffffff” in this account/);
});

test('every flow log of the account is listed with its resource; one is deleted behind the typed confirmation', async () => {
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Flow logs', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Flow logs' }).waitFor();
  const region = page.getByRole('region', { name: 'Flow logs', exact: true });
  await region.getByRole('row').filter({ hasText: created.eni }).waitFor();
  const headers = await region.locator('thead th').allTextContents();
  assert.deepEqual(headers, ['Name', 'Flow log ID', 'Resource', 'Filter', 'Destination type', 'Destination name', 'IAM role ARN', 'Max aggregation interval', 'Log line format', 'Status', 'Delivery status', 'Creation time']);
  const ids = await region.locator('tbody tr td:nth-child(2)').allTextContents();
  assert.deepEqual(ids.map((t) => t.trim()).sort(), [created.vpc, created.subnet, created.eni].sort());
  await region.getByRole('row').filter({ hasText: created.subnet }).getByRole('link', { name: SUBNET }).waitFor();
  await region.getByLabel('Filter flow logs').fill('REJECT');
  await region.getByText('(1 of 3)').waitFor();
  assert.deepEqual((await region.locator('tbody tr td:nth-child(2)').allTextContents()).map((t) => t.trim()), [created.subnet]);
  await region.getByLabel('Filter flow logs').fill('');

  const remove = region.getByRole('button', { name: 'Delete' });
  assert.equal(await remove.isDisabled(), true, 'Delete is enabled with nothing selected');
  await page.getByRole('radio', { name: created.vpc }).check();
  await remove.click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('Delivered data stays').waitFor();
  const confirm = dialog.getByRole('button', { name: 'Delete' });
  await dialog.getByLabel('To confirm, type delete in the field').fill('delet');
  assert.equal(await confirm.isDisabled(), true);
  await dialog.getByLabel('To confirm, type delete in the field').fill('delete');
  await confirm.click();
  await page.getByRole('status').filter({ hasText: `Deleted flow log ${created.vpc}.` }).waitFor();
  await region.getByRole('row').filter({ hasText: created.vpc }).waitFor({ state: 'detached' });
  const left = (await describeFlowLogs(keyA)).map((f) => f.FlowLogId).sort();
  assert.deepEqual(left, [created.subnet, created.eni].sort());
  // The delivered data's log group stays.
  assert.ok((await logGroupNames(keyA)).includes('/vpc/console-flows'));
});

test("another account's key sees none of these flow logs, only its own", async () => {
  const theirs = await aws(server, keyB, ['ec2', 'create-flow-logs', '--resource-type', 'VPC', '--resource-ids', 'vpc-0b1b2b3b4b5b6b7b8',
    '--traffic-type', 'ACCEPT', '--log-group-name', 'b-flows']) as { FlowLogIds: string[] };
  const other = await signIn(browser, server, keyB);
  try {
    await other.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Flow logs', exact: true }).click();
    const region = other.getByRole('region', { name: 'Flow logs', exact: true });
    await region.getByRole('row').filter({ hasText: theirs.FlowLogIds[0]! }).waitFor();
    assert.equal(await region.locator('tbody tr').count(), 1);
    const html = await other.content();
    for (const id of [created.subnet, created.eni, '/vpc/console-flows', 'console-flow-archive']) assert.ok(!html.includes(id), `account B sees ${id}`);
    await other.goto(`${server.consoleUrl}#/subnets/${SUBNET}/flow-logs`);
    await other.getByRole('heading', { level: 1, name: 'Subnet not found' }).waitFor();
    // Its form lists its own resources only.
    await other.goto(`${server.consoleUrl}#/flow-logs/create`);
    await other.getByLabel('Resource', { exact: true }).locator('option[value="vpc-0b1b2b3b4b5b6b7b8"]').waitFor({ state: 'attached' });
    const options = await other.getByLabel('Resource', { exact: true }).locator('option').allTextContents();
    assert.deepEqual(options.slice(1).map((o) => o.split(' ')[0]), ['vpc-0b1b2b3b4b5b6b7b8']);
  } finally {
    await other.context().close();
  }
});

test('at 800 px the flow log list, a Flow logs tab and the form fit the window', async () => {
  const narrow = await signIn(browser, server, keyA, { width: 800, height: 900 });
  try {
    for (const hash of ['#/flow-logs', `#/subnets/${SUBNET}/flow-logs`, `#/flow-logs/create?resource-type=NetworkInterface&resource-id=${ENI}`]) {
      await narrow.goto(`${server.consoleUrl}${hash}`);
      if (hash.includes('create')) {
        await narrow.getByLabel('Send to an Amazon S3 bucket').check();
        await narrow.getByLabel('Custom format').check();
        await narrow.getByRole('group', { name: 'Log format fields' }).waitFor();
      } else {
        await narrow.getByRole('region', { name: 'Flow logs', exact: true }).locator('tbody tr').first().waitFor();
        const box = await narrow.getByRole('region', { name: 'Flow logs', exact: true }).locator('table').boundingBox();
        assert.ok(box && box.width > 0 && box.x >= 0 && box.x < 800, `${hash}: the table is not in view`);
      }
      const m = await narrow.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
      assert.ok(m.scroll <= m.client, `${hash}: the page is ${m.scroll}px wide in a ${m.client}px window`);
    }
  } finally {
    await narrow.context().close();
  }
});
