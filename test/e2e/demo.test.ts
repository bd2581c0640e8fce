// `vpcflow demo`, the README's first command, run as a user runs it: live on a real network as
// root (and nothing left behind), and on a generated capture with --capture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { BIN, runCli } from '../helpers/cli.ts';
import { liveSkipReason } from '../helpers/live.ts';
import { LIVE_DEMO_IDS as I } from '../../src/cli/demo-live.ts';

const liveSkip = liveSkipReason(['ip', 'nft', 'tcpdump', 'setpriv']);

/** `$interface … $action OK` lines of the default format printed by the demo. */
function records(stdout: string): { eni: string; src: string; dst: string; dstport: string; protocol: string; action: string }[] {
  return stdout.split('\n').map((l) => l.trim().split(' ')).filter((f) => f.length === 15 && f[1] === '2' && f[14] === 'OK')
    .map((f) => ({ eni: f[3]!, src: f[4]!, dst: f[5]!, dstport: f[7]!, protocol: f[8]!, action: f[13]! }));
}

test('vpcflow demo (live): real HTTP is ACCEPT on both interfaces, SSH and UDP are REJECT with their rules, nothing is left behind', { skip: liveSkip, timeout: 120_000 }, async () => {
  const r = await runCli(['demo', '--live', '--exit']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const prefix = /namespaces (vfd[a-z0-9]+)-\*/.exec(r.stdout)?.[1];
  assert.ok(prefix, `the demo names its namespaces:\n${r.stdout}`);
  assert.match(r.stdout, /"http":\[200,200,200\]/, 'the client reached the web server three times');
  const rs = records(r.stdout);
  for (const eni of [I.webEni, I.clientEni]) {
    assert.ok(rs.some((x) => x.eni === eni && x.dstport === '80' && x.action === 'ACCEPT'), `HTTP ACCEPT on ${eni}:\n${r.stdout}`);
  }
  assert.ok(rs.some((x) => x.eni === I.webEni && x.dstport === '22' && x.action === 'REJECT'), 'SSH REJECT on the web interface');
  assert.ok(rs.some((x) => x.eni === I.clientEni && x.dstport === '22' && x.action === 'ACCEPT'), 'SSH left the client: ACCEPT on its interface');
  assert.ok(rs.some((x) => x.eni === I.webEni && x.dstport === '53' && x.protocol === '17' && x.action === 'REJECT'), 'UDP REJECT on the web interface');
  assert.match(r.stdout, new RegExp(`${I.webEni} +\\| 10\\.0\\.2\\.20 +\\| 10\\.0\\.1\\.10 +\\| 22 +\\| 6 +\\| sgi ${I.webEni}`), 'SSH was decided by the web interface\'s security groups');
  assert.match(r.stdout, new RegExp(`\\| 53 +\\| 17 +\\| nai ${I.webAcl} 32767`), 'UDP was decided by the ACL\'s final deny');
  assert.match(r.stdout, /s3\/demo-bucket\/text\/AWSLogs\/111122223333\/vpcflowlogs\/us-east-1\/\d{4}\/\d{2}\/\d{2}\/111122223333_vpcflowlogs_us-east-1_fl-[0-9a-f]{17}_\d{8}T\d{4}Z_[0-9a-f]{8}\.log\.gz/);
  assert.match(r.stdout, /\.log\.parquet/);
  const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n').filter((l) => l.startsWith(`${prefix}-`));
  assert.deepEqual(left, [], 'the demo removes every namespace it made');
});

test('vpcflow demo --capture: the generated capture is ingested into records and archive files; recorded live verdicts show REJECT', { timeout: 60_000 }, async () => {
  const r = await runCli(['demo', '--capture', '--exit']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /ingesting a generated capture/);
  const rs = records(r.stdout);
  assert.ok(rs.some((x) => x.dstport === '80' && x.action === 'ACCEPT'), r.stdout);
  assert.match(r.stdout, /\.log\.gz/);
  // Verdicts too, without root: a live run's records, imported and labelled as recorded.
  assert.match(r.stdout, /import examples\/live-demo-records\.log .*→ 20 records\n  \(RECORDED, not this machine's traffic/);
  const recorded = r.stdout.split('\n').filter((l) => l.startsWith('  eni-') && / REJECT \d+ ingress /.test(l));
  assert.ok(recorded.some((l) => / 22 6 /.test(l)) && recorded.some((l) => / 53 17 /.test(l)), r.stdout);
});

test('vpcflow demo refuses --live together with --capture', async () => {
  const r = await runCli(['demo', '--live', '--capture']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /exclude each other/);
});

test('vpcflow demo without --exit serves its console until Ctrl-C: the printed key signs in, the pages are named, SIGINT ends it cleanly', { timeout: 90_000 }, async () => {
  const child = spawn(process.execPath, [BIN, 'demo', '--capture'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      const check = () => (/Ctrl-C stops the demo/.test(out) ? resolve() : undefined);
      child.stdout!.on('data', check);
      void exited.then((code) => reject(new Error(`the demo exited (${code}) before serving its console:\n${out}`)));
    });
    const consoleUrl = /web console: (http:\/\/127\.0\.0\.1:\d+)\/console\//.exec(out)?.[1];
    const keyId = /Access key ID +(\S+)/.exec(out)?.[1];
    const secret = /Secret access key +(\S+)/.exec(out)?.[1];
    assert.ok(consoleUrl && keyId && secret, out);
    for (const page of ['flow-logs', 'tail', 'traffic', 'rejected', 'map', 'archive']) assert.match(out, new RegExp(`/console/#/\\S*${page}`), `the demo names the ${page} page`);
    const signIn = await fetch(`${consoleUrl}/v1/console/SignIn`, { method: 'POST', body: JSON.stringify({ AccessKeyId: keyId, SecretAccessKey: secret }) });
    assert.equal(signIn.status, 200, await signIn.clone().text());
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const { CsrfToken } = (await signIn.json()) as { CsrfToken: string };
    const groups = await fetch(`${consoleUrl}/v1/logs/DescribeLogGroups`, { method: 'POST', headers: { cookie, 'x-vpcflow-csrf': CsrfToken }, body: '{}' });
    assert.match(await groups.text(), /\/vpc\/demo/);
    assert.equal((await fetch(`${consoleUrl}/console/`)).status, 200);
    const dataDir = /data in (\S+)/.exec(out)?.[1];
    child.kill('SIGINT');
    assert.equal(await exited, 0, out);
    assert.match(out, /demo stopped: nothing it built is left/);
    assert.ok(dataDir && !existsSync(dataDir), `the data folder ${dataDir} is removed`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
