// How many records each committed delivery carried, per flow log and log status: what the delivery
// stage reports after a commit (vpcflow's own metrics), counted without keeping the records.

import type { Delivery } from '../flowlogs/index.ts';

/** Records delivered to one flow log with one log status, counted once their transaction committed. */
export interface DeliveredCount {
  readonly destinationType: 'cloud-watch-logs' | 's3';
  readonly flowLogId: string;
  readonly logStatus: string;
  records: number;
}

/** Adds the records of `deliveries` to `into`, keyed by destination, flow log and log status. */
export function countDeliveries(deliveries: readonly Delivery[], into: Map<string, DeliveredCount> = new Map()): Map<string, DeliveredCount> {
  for (const d of deliveries) {
    for (const r of d.records) {
      const logStatus = String(r.record['log-status'] ?? '-');
      const key = `${d.kind} ${d.target.flowLogId} ${logStatus}`;
      const c = into.get(key);
      if (c) c.records++;
      else into.set(key, { destinationType: d.kind, flowLogId: d.target.flowLogId, logStatus, records: 1 });
    }
  }
  return into;
}
