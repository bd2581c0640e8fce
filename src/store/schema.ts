// The embedded store's schema, as ordered migrations; each runs once, recorded in schema_migrations.

import { FIELDS, columnName } from '../records/index.ts';

const duckType = { INT_32: 'INTEGER', INT_64: 'BIGINT', STRING: 'VARCHAR' } as const;

/** Every AWS field as a column named as Athena names it (hyphens → underscores). */
export const RECORD_COLUMNS: readonly { field: string; column: string; sqlType: string; stored: boolean }[] = FIELDS.map((f) => ({
  field: f.name,
  column: columnName(f.name),
  sqlType: duckType[f.parquet],
  // Fields up to version 5 are the ones vpcflow's sources fill; later ones (ECS, reject-reason, tags,
  // next hop...) are always '-' for now, so the table leaves them out (each stored column costs an
  // appender call per record) and the `flows` view shows them as NULL in their AWS position.
  stored: f.version <= 5,
}));

const recordColumnsDdl = RECORD_COLUMNS.filter((c) => c.stored).map((c) => `"${c.column}" ${c.sqlType}`).join(',\n  ');
const flowsViewColumns = RECORD_COLUMNS.map((c) => (c.stored ? `"${c.column}"` : `NULL::${c.sqlType} AS "${c.column}"`)).join(', ');

export const MIGRATIONS: readonly { id: number; sql: string }[] = [
  {
    id: 1,
    sql: `
CREATE TABLE networks (account_id VARCHAR PRIMARY KEY, model JSON NOT NULL, updated_at BIGINT NOT NULL);
CREATE TABLE flow_logs (flow_log_id VARCHAR PRIMARY KEY, account_id VARCHAR NOT NULL, body JSON NOT NULL, created_at BIGINT NOT NULL);
CREATE TABLE client_tokens (account_id VARCHAR, token VARCHAR, request_hash VARCHAR, response JSON, PRIMARY KEY (account_id, token));
CREATE TABLE log_groups (
  account_id VARCHAR NOT NULL, name VARCHAR NOT NULL, creation_time BIGINT NOT NULL, retention_days INTEGER,
  PRIMARY KEY (account_id, name));
CREATE TABLE log_streams (
  account_id VARCHAR NOT NULL, group_name VARCHAR NOT NULL, name VARCHAR NOT NULL, creation_time BIGINT NOT NULL,
  first_event BIGINT, last_event BIGINT, last_ingestion BIGINT,
  PRIMARY KEY (account_id, group_name, name));
CREATE SEQUENCE log_event_ids;
CREATE TABLE log_events (
  account_id VARCHAR NOT NULL, group_name VARCHAR NOT NULL, stream_name VARCHAR NOT NULL,
  event_id BIGINT NOT NULL, "timestamp" BIGINT NOT NULL, ingestion_time BIGINT NOT NULL, message VARCHAR NOT NULL);
CREATE TABLE flow_records (
  ${recordColumnsDdl},
  owner_account VARCHAR NOT NULL, flow_log_id VARCHAR NOT NULL, destination_type VARCHAR NOT NULL,
  destination VARCHAR NOT NULL, rule VARCHAR, ingestion_time BIGINT NOT NULL);
CREATE TABLE archive_objects (
  flow_log_id VARCHAR NOT NULL, file_time BIGINT NOT NULL, sequence INTEGER NOT NULL, object_key VARCHAR NOT NULL,
  records BIGINT NOT NULL, written_at BIGINT NOT NULL);
CREATE VIEW flows AS SELECT ${flowsViewColumns}, owner_account, flow_log_id, destination_type, destination, rule, ingestion_time FROM flow_records;
`,
  },
  {
    // Metric filters of log groups and the per-minute buckets they produce (one row per metric,
    // dimension set and minute, upserted per delivered batch); dimensions are canonical JSON of
    // [name, value] pairs sorted by name. metric_default_minutes lists the minutes in which a filter
    // with a default value saw events, so reads can add the default where nothing matched.
    id: 2,
    sql: `
CREATE TABLE metric_filters (
  account_id VARCHAR NOT NULL, group_name VARCHAR NOT NULL, filter_name VARCHAR NOT NULL, filter_pattern VARCHAR NOT NULL,
  transformation VARCHAR NOT NULL, creation_time BIGINT NOT NULL,
  PRIMARY KEY (account_id, group_name, filter_name));
CREATE TABLE metric_datapoints (
  account_id VARCHAR NOT NULL, namespace VARCHAR NOT NULL, metric_name VARCHAR NOT NULL, dimensions VARCHAR NOT NULL, minute BIGINT NOT NULL,
  sum DOUBLE NOT NULL, sample_count BIGINT NOT NULL, minimum DOUBLE NOT NULL, maximum DOUBLE NOT NULL, unit VARCHAR NOT NULL,
  PRIMARY KEY (account_id, namespace, metric_name, dimensions, minute));
CREATE TABLE metric_default_minutes (
  account_id VARCHAR NOT NULL, namespace VARCHAR NOT NULL, metric_name VARCHAR NOT NULL, minute BIGINT NOT NULL,
  default_value DOUBLE NOT NULL, unit VARCHAR NOT NULL,
  PRIMARY KEY (account_id, namespace, metric_name, minute));
`,
  },
  {
    // A log group's stored bytes kept as a running total, so DescribeLogGroups does not scan every event.
    id: 3,
    sql: `
ALTER TABLE log_groups ADD COLUMN stored_bytes BIGINT DEFAULT 0;
UPDATE log_groups g SET stored_bytes = (SELECT coalesce(sum(strlen(e.message)), 0) FROM log_events e WHERE e.account_id = g.account_id AND e.group_name = g.name);
`,
  },
  {
    // Live records bound for the archive wait for their 5-minute file here (not only in memory), so
    // a server killed before the file is written loses none of the windows it had closed.
    id: 4,
    sql: `
CREATE TABLE archive_pending (
  flow_log_id VARCHAR NOT NULL, file_time BIGINT NOT NULL, target JSON NOT NULL, records JSON NOT NULL, added_at BIGINT NOT NULL);
`,
  },
  {
    // Delivery (src/delivery/): an ingest stages its deliveries and publishes them in one transaction
    // (a capture is delivered whole or not at all); `ingests` remembers what was published, by content
    // digest, so a retry after any interruption leaves exactly one copy. Archive records carry the
    // origin that queued them ('live' or an ingest) and their count. dataplane_owner: the account whose
    // network this host realizes (`serve --realize`), adopted again after a restart.
    id: 5,
    sql: `
ALTER TABLE archive_pending ADD COLUMN origin VARCHAR DEFAULT 'live';
ALTER TABLE archive_pending ADD COLUMN record_count BIGINT DEFAULT 0;
CREATE TABLE ingest_staging (ingest_id VARCHAR NOT NULL, seq BIGINT NOT NULL, deliveries JSON NOT NULL);
CREATE TABLE ingests (
  account_id VARCHAR NOT NULL, digest VARCHAR NOT NULL, kind VARCHAR NOT NULL, name VARCHAR NOT NULL, result JSON NOT NULL,
  ingested_at BIGINT NOT NULL, PRIMARY KEY (account_id, kind, digest));
CREATE TABLE dataplane_owner (id INTEGER PRIMARY KEY, account_id VARCHAR NOT NULL);
`,
  },
  {
    // Owners of archive buckets (destinations/archive/buckets.ts) and the delivery their bucket
    // policies grant other accounts: `prefix` is the object key prefix a grant covers (its policy
    // Resource without the trailing '*'), `region` the one its aws:SourceArn names (NULL: any).
    // Buckets that flow logs already name go to the account of the earliest such flow log.
    id: 6,
    sql: `
CREATE TABLE archive_buckets (bucket VARCHAR PRIMARY KEY, owner_account VARCHAR NOT NULL, created_at BIGINT NOT NULL, policy VARCHAR);
CREATE TABLE archive_bucket_grants (bucket VARCHAR NOT NULL, grantee_account VARCHAR NOT NULL, prefix VARCHAR NOT NULL, region VARCHAR, created_at BIGINT NOT NULL);
INSERT INTO archive_buckets
  SELECT bucket, first(account_id ORDER BY created_at, flow_log_id), min(created_at), NULL FROM (
    SELECT regexp_extract(json_extract_string(body, '$.logDestination'), '^arn:[^:]*:s3:::([^/]+)', 1) AS bucket, account_id, created_at, flow_log_id
    FROM flow_logs WHERE json_extract_string(body, '$.logDestinationType') = 's3')
  WHERE bucket <> '' GROUP BY bucket;
`,
  },
];
