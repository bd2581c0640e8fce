// The S3 archive destination: AWS's object key layout for flow log files and a writer that encodes
// one flow log's 5-minute batch as gzip text or Parquet and stores it in an ObjectStore (a local
// directory or any S3-compatible service).

export {
  ArchiveLayoutError,
  FILE_PERIOD_MS,
  type FileFormat,
  type ObjectKeyInput,
  type S3Destination,
  fileHash,
  fileName,
  filePeriodStart,
  fileTimeOf,
  normalizePrefix,
  objectFolder,
  objectKey,
  parseS3DestinationArn,
} from './layout.ts';
export { ArchiveRecordError } from './rows.ts';
export {
  type ArchiveBatch,
  ArchiveDeliveryError,
  type ArchiveFlowLog,
  ArchiveWriter,
  ArchiveWriterClosedError,
  type ArchiveWriterOptions,
  DEFAULT_MAX_FILE_TEXT_BYTES,
} from './writer.ts';
