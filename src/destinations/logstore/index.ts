// The CloudWatch Logs-style log store destination: where flow-log records delivered to a "log group"
// are kept, searched with CloudWatch filter patterns and read back through the Logs API (metric
// filters, which consume its events, live in src/metrics/).

export {
  FilterPatternError,
  MAX_REGEX_PER_PATTERN,
  parseFilterPattern,
  splitDelimitedFields,
  type FilterPattern,
  type FilterPatternKind,
  type FilterPatternOptions,
} from './filter-pattern.ts';
export * from './log-store.ts';
