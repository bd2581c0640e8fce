// The CloudWatch Logs-style log store destination: where flow-log records delivered to a "log group"
// are kept, searched with CloudWatch filter patterns, turned into metrics by metric filters, and read
// back through the Logs API.

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
export {
  MAX_DIMENSIONS,
  MAX_METRIC_FILTERS_PER_GROUP,
  MetricFilterError,
  STANDARD_UNITS,
  compileMetricFilter,
  delimitedFieldNames,
  parsePutMetricFilter,
  testMetricFilter,
  type CompiledMetricFilter,
  type MetricFilterDefinition,
  type MetricSample,
  type MetricTransformation,
  type StandardUnit,
  type TestMetricFilterMatch,
} from './metric-filter.ts';
export { aggregateBatch, canonicalDimensions, minuteOf, MINUTE_MS, type BatchMetrics, type DefaultMinute, type MetricBucket } from './metric-aggregate.ts';
export {
  MAX_DATAPOINTS,
  MetricQueryError,
  STATISTICS,
  foldDatapoints,
  parseMetricStatisticsRequest,
  parseTime,
  type Datapoint,
  type MetricStatisticsRequest,
  type MinuteRow,
  type Statistic,
} from './metric-statistics.ts';
export { MetricFilterStore, type DescribeMetricFiltersOptions, type MetricFilterDescription } from './metric-store.ts';
