// Flow log records: the field table, log formats (validated as AWS validates them), the text
// codec (writer for delivery, strict readers for files and CloudWatch exports), tcp-flags, tag
// value encoding and Parquet/SQL column mapping. Pure code, no I/O.

export {
  DEFAULT_FIELDS,
  DEFAULT_FORMAT,
  FIELDS,
  FIELD_BY_NAME,
  type FieldName,
  type FieldSpec,
  type FieldValue,
  type FlowRecord,
  type ParquetType,
  TRANSIT_GATEWAY_ONLY_FIELDS,
  columnName,
  isFieldName,
} from './fields.ts';
export {
  DEFAULT_LOG_FORMAT,
  HeaderLineError,
  type LogFormat,
  LogFormatError,
  fieldsFromHeader,
  logFormatOf,
  parseLogFormat,
  versionOf,
} from './format.ts';
export {
  type CloudWatchEvent,
  type CloudWatchExport,
  type ParsedLogText,
  RecordFormatError,
  RecordParseError,
  type TextProblem,
  formatRecord,
  headerLine,
  looksLikeHeader,
  parseCloudWatchExport,
  parseLogText,
  parseRecordLine,
  recordsFromEvents,
} from './text.ts';
export {
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_RST,
  TCP_SYN,
  TCP_SYN_ACK,
  TCP_URG,
  awsTcpFlags,
  tcpFlagNames,
} from './tcp-flags.ts';
export { TagValueError, decodeTagValue, encodeTagValue } from './tags.ts';
export {
  ATHENA_TYPE,
  type AthenaType,
  type ColumnSpec,
  DUCKDB_TYPE,
  type DuckDbType,
  athenaColumnsDdl,
  columnsFor,
  duckdbColumnsDdl,
} from './parquet-schema.ts';
export * from './filter-expression.ts';
