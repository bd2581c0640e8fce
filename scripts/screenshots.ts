// Screenshots of every console screen from a real run: starts `vpcflow demo` (live as root with the
// kernel tools, else on its generated capture; `--capture` forces that), signs in with the key the demo
// prints, opens each page in Debian's chromium and writes docs/screenshots/<page>.png, then stops the
// demo with Ctrl-C as a user would. Run: `npx tsx scripts/screenshots.ts [--capture]`.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { launchBrowser } from '../test/helpers/browser.ts';

const root = resolve(import.meta.dirname, '..');
const outDir = join(root, 'docs', 'screenshots');
const capture = process.argv.includes('--capture');

interface Shot {
  name: string;
  hash: string;
  /** Text that shows the page has its data. */
  waitFor: string | RegExp;
  width?: number;
  /** The whole page, not only the first 800 pixels (the traffic view's charts are below its controls). */
  fullPage?: boolean;
}

const VPC = 'vpc-0a1b2c3d4e5f60718';
const SHOTS: Shot[] = [
  { name: 'sign-in', hash: '', waitFor: 'Sign in to vpcflow' },
  { name: 'home', hash: '#/', waitFor: /network interfaces/ },
  { name: 'vpcs', hash: '#/vpcs', waitFor: VPC },
  { name: 'vpc-flow-logs', hash: `#/vpcs/${VPC}/flow-logs`, waitFor: /fl-[0-9a-f]{17}/ },
  { name: 'create-flow-log', hash: `#/flow-logs/create?resource-type=Subnet&resource-id=subnet-0a1b2c3d4e5f60718`, waitFor: 'Create flow log' },
  { name: 'security-group', hash: '#/security-groups', waitFor: /sg-[0-9a-f]+/ },
  { name: 'network-acl', hash: '#/network-acls', waitFor: /acl-[0-9a-f]+/ },
  { name: 'log-group', hash: `#/log-groups/${encodeURIComponent('/vpc/demo')}`, waitFor: /eni-[0-9a-f]+-all/ },
  { name: 'live-tail', hash: `#/log-groups/${encodeURIComponent('/vpc/demo')}/tail`, waitFor: /ACCEPT/ },
  { name: 'traffic', hash: '#/traffic?range=1h', waitFor: /10\.0\.\d+\.\d+/, fullPage: true },
  { name: 'rejected', hash: '#/rejected?range=1h', waitFor: /REJECT|rule|no rejected/i },
  { name: 'map', hash: `#/map?vpc=${VPC}&range=1h`, waitFor: /eni-[0-9a-f]+/ },
  { name: 'archive', hash: '#/archive', waitFor: /demo-bucket/ },
  { name: 'traffic-800px', hash: '#/traffic?range=1h', waitFor: /10\.0\.\d+\.\d+/, width: 800 },
];

const demo = spawn(process.execPath, [join(root, 'bin/vpcflow.js'), 'demo', ...(capture ? ['--capture'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
demo.stdout.on('data', (d: Buffer) => (out += d.toString()));
demo.stderr.on('data', (d: Buffer) => (out += d.toString()));
const ended = new Promise<number | null>((r) => demo.once('exit', (code) => r(code)));

try {
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`the demo did not serve its console within 120 s:\n${out}`)), 120_000);
    demo.stdout.on('data', () => {
      if (out.includes('Ctrl-C stops the demo')) {
        clearTimeout(timer);
        ok();
      }
    });
    void ended.then((code) => fail(new Error(`the demo exited (${code}):\n${out}`)));
  });
  const url = /web console: (\S+)\/console\//.exec(out)![1]!;
  const keyId = /Access key ID +(\S+)/.exec(out)![1]!;
  const secret = /Secret access key +(\S+)/.exec(out)![1]!;
  mkdirSync(outDir, { recursive: true });
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    for (const shot of SHOTS) {
      await page.setViewportSize({ width: shot.width ?? 1280, height: 800 });
      if (shot.name === 'sign-in') {
        await page.goto(`${url}/console/`);
      } else {
        if (shot.name === 'home') {
          await page.getByLabel('Access key ID').fill(keyId);
          await page.getByLabel('Secret access key').fill(secret);
          await page.getByRole('button', { name: 'Sign in' }).click();
          await page.getByRole('navigation', { name: 'Console' }).waitFor();
        }
        await page.goto(`${url}/console/${shot.hash}`);
      }
      await page.getByText(shot.waitFor).filter({ visible: true }).first().waitFor({ timeout: 60_000 });
      await page.waitForTimeout(500); // charts settle after their data arrives
      const file = join(outDir, `${shot.name}.png`);
      await page.screenshot({ path: file, fullPage: shot.fullPage ?? false });
      process.stderr.write(`wrote ${file}\n`);
    }
  } finally {
    await browser.close();
  }
} finally {
  demo.kill('SIGINT');
  const code = await ended;
  if (code !== 0) process.stderr.write(`the demo ended with ${code}:\n${out}\n`);
}
