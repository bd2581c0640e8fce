// The start page: what this account has and what to do next.

import { call } from '../api.ts';
import { AsyncView, Empty, Link, useAsync } from '../components/ui.tsx';

interface Counts {
  vpcs: number;
  interfaces: number;
  flowLogs: number;
  groups: number;
}

async function counts(): Promise<Counts | { noNetwork: string }> {
  try {
    const [vpcs, enis, fls, groups] = await Promise.all([
      call<{ Vpcs: unknown[] }>('/v1/ec2/DescribeVpcs'),
      call<{ NetworkInterfaces: unknown[] }>('/v1/ec2/DescribeNetworkInterfaces'),
      call<{ FlowLogs: unknown[] }>('/v1/ec2/DescribeFlowLogs'),
      call<{ logGroups: unknown[] }>('/v1/logs/DescribeLogGroups'),
    ]);
    return { vpcs: vpcs.Vpcs.length, interfaces: enis.NetworkInterfaces.length, flowLogs: fls.FlowLogs.length, groups: groups.logGroups.length };
  } catch (e) {
    if (e instanceof Error && /no network is declared|several accounts/.test(e.message)) return { noNetwork: e.message };
    throw e;
  }
}

export function Home() {
  const value = useAsync(() => counts(), []);
  return (
    <section>
      <h1 tabIndex={-1}>vpcflow</h1>
      <p class="lede">Flow logs of the networks you run yourself, in AWS's records, API and layout.</p>
      <AsyncView value={value} label="Reading the account">
        {(c) => 'noNetwork' in c ? (
          <Empty>
            {c.noNetwork}. Declare a network with <code>vpcflow apply examples/network.yaml</code>{' '}
            (or <code>aws ec2 create-vpc --endpoint-url …</code>), then come back to create flow logs.
          </Empty>
        ) : (
          <div class="cards">
            <Link class="card" to={['vpcs']}><strong>{c.vpcs}</strong> VPCs</Link>
            <Link class="card" to={['network-interfaces']}><strong>{c.interfaces}</strong> network interfaces</Link>
            <Link class="card" to={['flow-logs']}><strong>{c.flowLogs}</strong> flow logs</Link>
            <Link class="card" to={['log-groups']}><strong>{c.groups}</strong> log groups</Link>
            {c.flowLogs === 0 && (
              <Empty>No flow logs yet — open a <Link to={['vpcs']}>VPC</Link>, a <Link to={['subnets']}>subnet</Link> or a{' '}
                <Link to={['network-interfaces']}>network interface</Link> and choose “Create flow log”.</Empty>
            )}
          </div>
        )}
      </AsyncView>
      <h2>Where to look</h2>
      <ul class="where">
        <li><Link to={['traffic']}>Traffic</Link>: bytes, packets and records over time, top talkers and a sankey, for any filter.</li>
        <li><Link to={['rejected']}>Rejected</Link>: every REJECT with the rule that decided it.</li>
        <li><Link to={['map']}>Map</Link>: subnets and interfaces, with the flows seen between them.</li>
        <li><Link to={['log-groups']}>Log groups</Link>: the records as CloudWatch Logs keeps them, with filter patterns and live tail.</li>
        <li><Link to={['archive']}>Archive</Link>: the files in S3's layout.</li>
      </ul>
    </section>
  );
}
