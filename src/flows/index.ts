// The flow stage: attributes observed packets to interfaces and aggregates them into AWS flow
// records per capture window (OK, NODATA, SKIPDATA), with memory bounded by configuration.
export * from './aggregator.ts';
export * from './flow-table.ts';
export * from './interfaces.ts';
export * from './observer.ts';
