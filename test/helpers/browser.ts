// Browser tests of the web console: a real vpcflow server in this process (temp data folder, port 0),
// Debian's chromium driven by playwright-core, and the user's steps as a person would take them
// (elements found by role and label). Without chromium the tests fail rather than skip.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { execFile } from 'node:child_process';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServer, type RunningServer, type ServerOptions } from '../../src/app/server.ts';
import { Client } from '../../src/cli/client.ts';
import { demoCapture, type Conversation } from '../../src/cli/demo-traffic.ts';

export const CHROMIUM = '/usr/bin/chromium';
/** examples/network.yaml: account 111122223333, one VPC, a web server 10.0.1.10, clients 10.0.2.20 and 10.0.2.30. */
export const EXAMPLE_NETWORK = readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'network.yaml'), 'utf8');
export const EXAMPLE_ACCOUNT = '111122223333';
export const AWS_CLI = '/usr/bin/aws';

export interface Key {
  accessKeyId: string;
  secretAccessKey: string;
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); .ci/run installs it`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export class ConsoleServer {
  private constructor(readonly server: RunningServer, readonly dataDir: string) {}

  static async start(options: Partial<ServerOptions> = {}): Promise<ConsoleServer> {
    const dataDir = mkdtempSync(join(tmpdir(), 'vpcflow-console-'));
    const server = await startServer({ dataDir: join(dataDir, 'data'), port: 0, quiet: true, ...options }, false);
    return new ConsoleServer(server, dataDir);
  }

  get url(): string {
    return this.server.url;
  }

  get consoleUrl(): string {
    return `${this.server.url}/console/`;
  }

  get operatorKey(): Key {
    return { accessKeyId: this.server.operator.accessKeyId, secretAccessKey: this.server.operator.secretAccessKey };
  }

  /** A client of the native API signed with a key (the operator's by default). */
  client(key: Key = this.operatorKey): Client {
    return new Client(this.url, key);
  }

  async createKey(accountId: string): Promise<Key> {
    const r = await this.client().call<{ AccessKey: { AccessKeyId: string; SecretAccessKey: string } }>('/v1/vpcflow/CreateAccessKey', { AccountId: accountId });
    return { accessKeyId: r.AccessKey.AccessKeyId, secretAccessKey: r.AccessKey.SecretAccessKey };
  }

  async apply(document: string, key: Key): Promise<unknown> {
    return this.client(key).call('/v1/vpcflow/Apply', { Document: document, SourceName: 'test.yaml' });
  }

  /** Applies examples/network.yaml, as another account when one is named (its ids are the same). */
  async applyExample(key: Key, account = EXAMPLE_ACCOUNT): Promise<unknown> {
    return this.apply(EXAMPLE_NETWORK.replaceAll(EXAMPLE_ACCOUNT, account), key);
  }

  /** Creates flow logs through the API (AWS's CreateFlowLogs members); any Unsuccessful item throws. */
  async createFlowLog(key: Key, request: Record<string, unknown>): Promise<string[]> {
    const r = await this.client(key).call<{ FlowLogIds: string[]; Unsuccessful?: unknown[] }>('/v1/ec2/CreateFlowLogs', request);
    if (r.Unsuccessful?.length) throw new Error(`CreateFlowLogs refused: ${JSON.stringify(r.Unsuccessful)}`);
    return r.FlowLogIds;
  }

  /** Ingests a generated capture of these conversations (times in epoch seconds) as the key's account. */
  async ingest(conversations: Conversation[], key: Key, name = 'console-test.pcap'): Promise<{ Records: number }> {
    const bytes = demoCapture(conversations);
    return this.client(key).upload(`/v1/vpcflow/Ingest?name=${encodeURIComponent(name)}`, Readable.from([Buffer.from(bytes)]), bytes.length);
  }

  async stop(): Promise<void> {
    await this.server.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * Opens the console and signs in with a key through the sign-in form. `server` is a ConsoleServer or
 * any server's base URL (e.g. a realizing VpcflowServer's endpoint).
 */
export async function signIn(browser: Browser, server: ConsoleServer | string, key: Key, viewport = { width: 1280, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await page.goto(typeof server === 'string' ? `${server}/console/` : server.consoleUrl);
  await page.getByLabel('Access key ID').fill(key.accessKeyId);
  await page.getByLabel('Secret access key').fill(key.secretAccessKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Console' }).waitFor();
  return page;
}

/** Runs the real aws CLI against the server with a key; resolves with its parsed JSON output. */
export function aws(server: ConsoleServer, key: Key, args: string[]): Promise<unknown> {
  if (!existsSync(AWS_CLI)) throw new Error(`${AWS_CLI} is missing: install Debian's awscli; .ci/run installs it`);
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: server.dataDir,
    AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: join(server.dataDir, 'no-config'), AWS_SHARED_CREDENTIALS_FILE: join(server.dataDir, 'no-credentials'),
    AWS_PAGER: '', AWS_MAX_ATTEMPTS: '1',
  };
  return new Promise((resolve, reject) => {
    execFile(AWS_CLI, ['--endpoint-url', server.url, '--output', 'json', ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`aws ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(stdout.trim() ? JSON.parse(stdout) : {});
    });
  });
}
