// Decides, for each record of a closed capture window, which flow logs receive it (coverage,
// traffic type, aggregation interval) and renders it the way each flow log asks.

import type { FieldName, FlowRecord } from '../records/index.ts';
import { formatRecord } from '../records/index.ts';
import type { ClosedWindow, EmittedRecord, MonitoredInterface } from '../flows/index.ts';

/** What delivery needs to know about a flow log. */
export interface FlowLogTarget {
  flowLogId: string;
  accountId: string;
  region: string;
  trafficType: 'ACCEPT' | 'REJECT' | 'ALL';
  maxAggregationInterval: number;
  fields: readonly FieldName[];
  version: number;
  destination:
    | { type: 'cloud-watch-logs'; logGroupName: string }
    | { type: 's3'; bucket: string; prefix: string; fileFormat: 'plain-text' | 'parquet'; hiveCompatiblePartitions: boolean; perHourPartition: boolean };
}

export interface LogStoreDelivery {
  kind: 'cloud-watch-logs';
  target: FlowLogTarget;
  events: { streamName: string; timestamp: number; message: string }[];
  records: { record: FlowRecord; rule: string | null }[];
}

export interface ArchiveDelivery {
  kind: 's3';
  target: FlowLogTarget;
  /** Start of the 5-minute file period (Unix seconds): AWS names files after the records' end time. */
  fileTime: number;
  records: { record: FlowRecord; rule: string | null }[];
}

export type Delivery = LogStoreDelivery | ArchiveDelivery;

/** AWS names one stream per interface `{eni}-all`, whatever the traffic type (spec §4.1). */
export const streamNameFor = (interfaceId: string): string => `${interfaceId}-all`;

export const FILE_PERIOD_SEC = 300;

export function passesTrafficType(record: FlowRecord, trafficType: FlowLogTarget['trafficType']): boolean {
  if (trafficType === 'ALL') return true;
  const action = record.action;
  // NODATA and SKIPDATA carry no action; every flow log reports them.
  if (action === null || action === undefined) return true;
  return action === trafficType;
}

/**
 * Routes one closed window. `coverage[i]` lists the flow logs covering interface i of the
 * aggregator's interface list.
 */
export function routeWindow(window: ClosedWindow, interfaces: readonly MonitoredInterface[], coverage: readonly (readonly FlowLogTarget[])[]): Delivery[] {
  const byLog = new Map<string, Delivery[]>();
  const deliveriesOf = (target: FlowLogTarget): Delivery[] => {
    let d = byLog.get(target.flowLogId);
    if (!d) byLog.set(target.flowLogId, (d = []));
    return d;
  };
  for (const emitted of window.records) {
    for (const target of coverage[emitted.interfaceIndex] ?? []) {
      if (target.maxAggregationInterval !== window.intervalSec) continue;
      if (!passesTrafficType(emitted.record, target.trafficType)) continue;
      const record = target.version === 2 ? emitted.record : { ...emitted.record, version: target.version };
      const list = deliveriesOf(target);
      if (target.destination.type === 'cloud-watch-logs') {
        let d = list[0] as LogStoreDelivery | undefined;
        if (!d) list.push((d = { kind: 'cloud-watch-logs', target, events: [], records: [] }));
        d.events.push({ streamName: streamNameFor(interfaces[emitted.interfaceIndex]!.interfaceId), timestamp: Number(record.start) * 1000, message: formatRecord(record, target.fields) });
        d.records.push({ record, rule: emitted.rule });
      } else {
        const fileTime = Math.floor(Number(record.end) / FILE_PERIOD_SEC) * FILE_PERIOD_SEC;
        let d = (list as ArchiveDelivery[]).find((x) => x.fileTime === fileTime);
        if (!d) list.push((d = { kind: 's3', target, fileTime, records: [] }));
        d.records.push({ record, rule: emitted.rule });
      }
    }
  }
  return [...byLog.values()].flat();
}

export type { EmittedRecord };
