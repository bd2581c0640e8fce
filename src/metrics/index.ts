// Metric filters and the metrics they publish: they consume the log events the delivery stage appends
// to a log group (src/delivery/consumers.ts), keep per-minute datapoints and answer GetMetricStatistics.

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
