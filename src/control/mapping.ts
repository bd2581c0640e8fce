// Translations between the model's resources and what the data path and the API need:
// flow logs → delivery targets and DescribeFlowLogs items, interfaces → aggregator metadata.

import { parseS3DestinationArn } from '../destinations/archive/index.ts';
import type { FlowLogTarget } from '../flowlogs/index.ts';
import type { MonitoredInterface } from '../flows/index.ts';
import { parseLogFormat } from '../records/index.ts';
import { parseCidr, nthAddress, formatIp } from '../net/index.ts';
import { flowLogsCovering, type FlowLog, type NetworkIndex, type NetworkInterface } from '../model/index.ts';

export function toTarget(fl: FlowLog): FlowLogTarget {
  const format = parseLogFormat(fl.logFormat);
  let destination: FlowLogTarget['destination'];
  if (fl.logDestinationType === 's3') {
    const { bucket, prefix } = parseS3DestinationArn(fl.logDestination!);
    const o = fl.destinationOptions;
    destination = {
      type: 's3', bucket, prefix,
      fileFormat: o?.fileFormat ?? 'plain-text',
      hiveCompatiblePartitions: o?.hiveCompatiblePartitions ?? false,
      perHourPartition: o?.perHourPartition ?? false,
    };
  } else {
    destination = { type: 'cloud-watch-logs', logGroupName: fl.logGroupName! };
  }
  return {
    flowLogId: fl.flowLogId, accountId: fl.accountId, region: fl.region, trafficType: fl.trafficType,
    maxAggregationInterval: fl.maxAggregationInterval, fields: format.fields, version: format.version, destination,
  };
}

export function monitoredInterface(idx: NetworkIndex, eni: NetworkInterface): MonitoredInterface {
  return {
    interfaceId: eni.id,
    accountId: idx.model.account,
    region: idx.model.region,
    vpcId: eni.vpcId,
    subnetId: eni.subnetId,
    instanceId: eni.instanceId,
    azId: eni.azId ?? null,
    primaryIpv4: eni.privateIp ?? null,
    ipv4: [eni.privateIp, ...(eni.secondaryIps ?? [])].filter((a): a is string => !!a),
    ipv6: eni.ipv6 ?? [],
  };
}

/** Addresses whose traffic AWS never logs (spec §2.3): each subnet's router and DNS, metadata, time sync, DNS. */
export function unloggedAddresses(idx: NetworkIndex): string[] {
  const out = ['169.254.169.254', '169.254.169.123', '169.254.169.253', 'fd00:ec2::254', 'fd00:ec2::123', 'fd00:ec2::253'];
  for (const vpc of idx.model.vpcs) {
    for (const subnet of vpc.subnets) {
      const c = parseCidr(subnet.cidr);
      out.push(formatIp(nthAddress(c, 1)), formatIp(nthAddress(c, 2)));
    }
  }
  return out;
}

/** One DescribeFlowLogs item in the aws CLI's JSON shape. */
export function describeFlowLogItem(fl: FlowLog): Record<string, unknown> {
  const item: Record<string, unknown> = {
    CreationTime: new Date(fl.creationTime).toISOString(),
    DeliverLogsStatus: fl.deliverLogsStatus,
    FlowLogId: fl.flowLogId,
    FlowLogStatus: fl.flowLogStatus,
    ResourceId: fl.resourceId,
    TrafficType: fl.trafficType,
    LogDestinationType: fl.logDestinationType,
    LogDestination: fl.logDestination,
    LogFormat: fl.logFormat,
    Tags: fl.tags ?? [],
    MaxAggregationInterval: fl.maxAggregationInterval,
  };
  if (fl.logGroupName) item.LogGroupName = fl.logGroupName;
  if (fl.deliverLogsErrorMessage) item.DeliverLogsErrorMessage = fl.deliverLogsErrorMessage;
  if (fl.deliverLogsPermissionArn) item.DeliverLogsPermissionArn = fl.deliverLogsPermissionArn;
  if (fl.logDestinationType === 's3') {
    item.DestinationOptions = {
      FileFormat: fl.destinationOptions?.fileFormat ?? 'plain-text',
      HiveCompatiblePartitions: fl.destinationOptions?.hiveCompatiblePartitions ?? false,
      PerHourPartition: fl.destinationOptions?.perHourPartition ?? false,
    };
  }
  return item;
}

/** What an observer needs to attribute packets: the interfaces covered by flow logs and, per interface, its flow logs. */
export interface MonitoringPlan {
  readonly interfaces: MonitoredInterface[];
  readonly coverage: FlowLogTarget[][];
  readonly intervals: number[];
}

export function monitoringPlan(idx: NetworkIndex, flowLogs: readonly FlowLog[]): MonitoringPlan {
  const interfaces: MonitoredInterface[] = [];
  const coverage: FlowLogTarget[][] = [];
  for (const eni of idx.interfaces()) {
    const covering = flowLogsCovering(eni, flowLogs);
    if (covering.length === 0) continue;
    interfaces.push(monitoredInterface(idx, eni));
    coverage.push(covering.map(toTarget));
  }
  return { interfaces, coverage, intervals: [...new Set(coverage.flat().map((t) => t.maxAggregationInterval))] };
}
