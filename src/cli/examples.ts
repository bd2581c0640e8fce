// One example per command, shown at the end of its --help. Kept in one table (not beside each
// command) so that a command without one is caught by examples.test.ts, whoever added it.

import type { Command } from 'commander';

/** By command path ('' is vpcflow itself). Ids are examples/network.yaml's. */
export const EXAMPLES: Readonly<Record<string, string>> = {
  '': 'vpcflow serve --data-dir ./data &\n  vpcflow apply examples/network.yaml\n  vpcflow flow-logs create --resource-type VPC --resource-ids vpc-0a1b2c3d4e5f60718 --traffic-type ALL --log-group-name /vpc/flows',
  serve: 'vpcflow serve --data-dir ./data --port 8757',
  apply: 'vpcflow apply examples/network.yaml',
  network: 'vpcflow network --account 111122223333 --output table',
  'flow-logs': 'vpcflow flow-logs describe --output table',
  'flow-logs create': 'vpcflow flow-logs create --resource-type VPC --resource-ids vpc-0a1b2c3d4e5f60718 --traffic-type ALL --log-destination-type cloud-watch-logs --log-group-name /vpc/flows',
  'flow-logs describe': 'vpcflow flow-logs describe --filter Name=resource-id,Values=vpc-0a1b2c3d4e5f60718 --output table',
  'flow-logs delete': 'vpcflow flow-logs delete --flow-log-ids fl-0123456789abcdef0',
  ingest: 'vpcflow ingest capture.pcap --account 111122223333',
  import: 'vpcflow import 111122223333_vpcflowlogs_us-east-1_fl-0123456789abcdef0_20260101T0000Z_a1b2c3d4.log.gz --log-group-name /vpc/imported',
  logs: 'vpcflow logs tail /vpc/flows --since 1h',
  'logs groups': 'vpcflow logs groups --prefix /vpc --output table',
  'logs streams': 'vpcflow logs streams /vpc/flows --output table',
  'logs create-group': 'vpcflow logs create-group /vpc/flows',
  'logs delete-group': 'vpcflow logs delete-group /vpc/flows',
  'logs retention': 'vpcflow logs retention /vpc/flows 30',
  'logs get': 'vpcflow logs get /vpc/flows eni-0a1b2c3d4e5f60718-all --start-time 2h --end-time now --start-from-head',
  'logs filter': "vpcflow logs filter /vpc/flows --filter-pattern '[version, account, eni, src, dst, srcport, dstport=\"22\", ...]' --start-time 2026-01-01T00:00:00Z",
  'logs tail': 'vpcflow logs tail /vpc/flows --since 10m --follow',
  'logs put-metric-filter': "vpcflow logs put-metric-filter --log-group-name /vpc/flows --filter-name rejects --filter-pattern '[v, a, eni, src, dst, sp, dp, proto, packets, bytes, start, end, action=\"REJECT\", status]' --metric-name Rejects --metric-namespace VPCFlowLogs",
  'logs describe-metric-filters': 'vpcflow logs describe-metric-filters --log-group-name /vpc/flows --output table',
  'logs delete-metric-filter': 'vpcflow logs delete-metric-filter --log-group-name /vpc/flows --filter-name rejects',
  'logs test-metric-filter': "vpcflow logs test-metric-filter --filter-pattern '[v, a, eni, src, dst, sp, dp=\"22\", ...]' --log-event-messages '2 111122223333 eni-0a1b2c3d4e5f60718 10.0.2.20 10.0.1.10 40000 22 6 3 180 1767225600 1767225660 REJECT OK'",
  metrics: 'vpcflow metrics get --namespace VPCFlowLogs --metric Rejects --start 1h',
  'metrics get': 'vpcflow metrics get --namespace VPCFlowLogs --metric Rejects --start 2026-01-01T00:00:00Z --end 2026-01-02T00:00:00Z --period 3600',
  accounts: 'vpcflow accounts list',
  buckets: 'vpcflow buckets list --output table',
  'buckets list': 'vpcflow buckets list --output table',
  'buckets put-policy': 'vpcflow buckets put-policy --bucket my-bucket --grant-account 444455556666',
  'buckets get-policy': 'vpcflow buckets get-policy --bucket my-bucket',
  'buckets delete-policy': 'vpcflow buckets delete-policy --bucket my-bucket',
  'accounts create': 'vpcflow accounts create --account 111122223333',
  'accounts list': 'vpcflow accounts list --output table',
  'accounts delete-key': 'vpcflow accounts delete-key AKIAIOSFODNN7EXAMPLE',
  exec: 'vpcflow exec i-0a1b2c3d4e5f60718 -- curl -s http://10.0.1.10/',
  down: 'vpcflow down',
  query: "vpcflow query 'SELECT action, count(*) AS n FROM flows GROUP BY action'",
  demo: 'vpcflow demo --keep',
};

/** Every command of `program`, by path. */
export function commandPaths(program: Command): Map<string, Command> {
  const out = new Map<string, Command>([['', program]]);
  const walk = (cmd: Command, prefix: string, depth: number) => {
    if (depth > 8) return;
    for (const sub of cmd.commands) {
      const path = prefix ? `${prefix} ${sub.name()}` : sub.name();
      out.set(path, sub);
      walk(sub, path, depth + 1);
    }
  };
  walk(program, '', 0);
  return out;
}

export function addExamples(program: Command): void {
  for (const [path, cmd] of commandPaths(program)) {
    const example = EXAMPLES[path];
    if (example) cmd.addHelpText('after', `\nExample:\n  ${example}`);
  }
}
