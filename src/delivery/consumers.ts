// Consumers the server registers on the delivery stage beside the built-in log store and archive.

import type { Transaction } from '../store/index.ts';
import type { StoredEvent } from '../destinations/logstore/index.ts';
import type { MetricFilterStore } from '../metrics/index.ts';
import type { LogEventConsumer } from './delivery-stage.ts';

/** Metric filters turn every log event delivered to their group into per-minute datapoints. */
export function metricFilterConsumer(filters: MetricFilterStore): LogEventConsumer {
  return {
    name: 'metric filters',
    async consumeLogEvents(tx: Transaction, accountId: string, group: string, events: readonly StoredEvent[]) {
      if (events.length > 0) await filters.evaluateInTransaction(tx, accountId, group, events);
    },
  };
}
