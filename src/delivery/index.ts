// The delivery stage: closed windows in, routed and rendered records out to every registered consumer
// (log store, archive, metric filters; alarms and findings next), one transaction per delivery.
export * from './delivery-stage.ts';
export * from './archive-queue.ts';
export * from './ingest-session.ts';
export * from './consumers.ts';
export * from './delivered-counts.ts';
