// Measures what switching veth offloads off costs: TCP throughput (iperf3, 3 s) between two
// instances of the test network (port 80, which their security group allows) through the VPC namespace, with offloads off (as realized) and
// on again. Needs root. Run: node --import tsx bench/dataplane-offload.ts
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planApply } from '../src/model/index.ts';
import { down, randomTestPrefix, reconcile } from '../src/dataplane/index.ts';
import { ADDR, IDS, testNetworkDocument } from '../src/dataplane/test-fixtures.ts';

const run = (args: string[]) =>
  new Promise<string>((resolve, reject) => execFile('ip', args, { encoding: 'utf8' }, (e, out, err) => (e ? reject(new Error(err || e.message)) : resolve(out))));

const prefix = randomTestPrefix();
const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
const statePath = join(dir, 'state.json');
try {
  const result = await reconcile(planApply(undefined, testNetworkDocument()).model, { statePath, prefix });
  const vpc = result.vpcs[0]!;
  const web = result.state.instances[IDS.web]!.namespace;
  const client = result.state.instances[IDS.client]!.namespace;
  const server = spawn('ip', ['netns', 'exec', web, 'iperf3', '-s', '-1', '-p', '80', '-B', ADDR.web], { stdio: 'ignore' });
  const measure = async (label: string) => {
    await new Promise((r) => setTimeout(r, 300));
    const out = JSON.parse(await run(['netns', 'exec', client, 'iperf3', '-c', ADDR.web, '-p', '80', '--connect-timeout', '3000', '-t', '3', '-J']));
    console.log(`${label}: ${(out.end.sum_received.bits_per_second / 1e9).toFixed(2)} Gbit/s`);
  };
  await measure('offloads off (as realized)');
  spawn('ip', ['netns', 'exec', web, 'iperf3', '-s', '-1', '-p', '80', '-B', ADDR.web], { stdio: 'ignore' });
  for (const i of vpc.interfaces) {
    await run(['netns', 'exec', vpc.namespace, 'ethtool', '-K', i.vpcLink, 'tso', 'on', 'gso', 'on', 'gro', 'on']);
    await run(['netns', 'exec', i.instanceNamespace, 'ethtool', '-K', i.instanceLink, 'tso', 'on', 'gso', 'on', 'gro', 'on']);
  }
  await measure('offloads on');
  server.kill();
} finally {
  await down(statePath);
  rmSync(dir, { recursive: true, force: true });
}
