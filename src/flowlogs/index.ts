// The flow-log stage: matches closed windows' records to the flow logs that cover each interface,
// applies traffic-type filters and renders each record in its flow log's format.
export * from './route.ts';
