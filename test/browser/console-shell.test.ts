// The console's frame in a real browser: sign-in with an account key and with the operator key, a
// wrong secret refused on the form, the secret kept nowhere in the page (storage, URL, cookies the
// page can read), the CSP header and no violation of it, sign-out ending the session on the server,
// and the operator switching accounts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { ConsoleServer, launchBrowser, signIn, type Key } from '../helpers/browser.ts';

const A = '111122223333';
const B = '444455556666';
let server: ConsoleServer;
let browser: Browser;
let keyA: Key;
let keyB: Key;

before(async () => {
  server = await ConsoleServer.start();
  browser = await launchBrowser();
  keyA = await server.createKey(A);
  keyB = await server.createKey(B);
  await server.applyExample(keyA);
  await server.applyExample(keyB, B);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('an account signs in, sees its account and nothing of the secret anywhere the page can read, and signs out', async () => {
  const violations: string[] = [];
  const page = await signIn(browser, server, keyA);
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await page.getByText(`Account ${A}`).waitFor();
  await page.getByRole('heading', { name: 'vpcflow', level: 1 }).waitFor();
  await page.getByRole('link', { name: /VPCs/ }).first().waitFor();
  const readable = await page.evaluate(() => JSON.stringify({ url: location.href, local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie, html: document.documentElement.outerHTML }));
  assert.ok(!readable.includes(keyA.secretAccessKey), 'the secret is in the page, its storage or its URL');
  assert.ok(!readable.includes('vpcflow_session'), 'the session cookie is readable by the page (must be HttpOnly)');
  const response = await page.request.get(server.consoleUrl);
  const csp = response.headers()['content-security-policy'] ?? '';
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.equal(response.headers()['x-frame-options'], 'DENY');
  // The cookie alone (as a cross-site form would send it, without the CSRF header) changes nothing.
  const forged = await page.request.post(`${server.url}/v1/ec2/DeleteFlowLogs`, { data: { FlowLogIds: ['fl-0123456789abcdef0'] } });
  assert.equal(forged.status(), 403);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  const afterSignOut = await page.request.post(`${server.url}/v1/console/Session`, { data: {} });
  assert.equal(afterSignOut.status(), 401, 'the session still works after sign-out');
  await page.reload();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  assert.deepEqual(violations, []);
  await page.context().close();
});

test('a wrong secret is refused on the form and signs nobody in', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.consoleUrl);
  await page.getByLabel('Access key ID').fill(keyA.accessKeyId);
  await page.getByLabel('Secret access key').fill('not-the-secret');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'the access key id or secret is not right' }).waitFor();
  assert.equal(await page.getByRole('navigation', { name: 'Console' }).count(), 0);
  await context.close();
});

test('a reloaded page keeps its session; the operator switches between accounts', async () => {
  const page = await signIn(browser, server, server.operatorKey);
  await page.getByText('Operator').first().waitFor();
  const picker = page.getByLabel('Account');
  await picker.selectOption(B);
  await page.reload();
  await page.getByRole('navigation', { name: 'Console' }).waitFor();
  assert.equal(await page.getByLabel('Account').inputValue(), B, 'the chosen account survives a reload');
  await page.getByRole('link', { name: 'Flow logs' }).first().waitFor();
  await page.context().close();
});

test('the console answers at / for a browser, and GET / stays S3 for an AWS client', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.url);
  assert.equal(new URL(page.url()).pathname, '/console/');
  const s3 = await fetch(`${server.url}/`, { headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKIAABCDEFGHIJKLMNOP/20261208/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00' } });
  assert.notEqual(s3.status, 302);
  await context.close();
});
