import { test } from 'node:test';
import assert from 'node:assert/strict';
import { athenaColumnsDdl, columnsFor, duckdbColumnsDdl } from './parquet-schema.ts';
import { FIELDS, type FieldName } from './fields.ts';

test('column names and types for the default fields', () => {
  const cols = columnsFor(['version', 'account-id', 'packets', 'log-status']);
  assert.deepEqual(cols, [
    { field: 'version', column: 'version', parquet: 'INT_32', duckdb: 'INTEGER', athena: 'int' },
    { field: 'account-id', column: 'account_id', parquet: 'STRING', duckdb: 'VARCHAR', athena: 'string' },
    { field: 'packets', column: 'packets', parquet: 'INT_64', duckdb: 'BIGINT', athena: 'bigint' },
    { field: 'log-status', column: 'log_status', parquet: 'STRING', duckdb: 'VARCHAR', athena: 'string' },
  ]);
});

test("Athena DDL matches AWS's published v2–v5 table except protocol (AWS: bigint, Parquet INT_32 → int)", () => {
  // Column list copied from AWS's Athena DDL for VPC flow logs (spec §3.5).
  const aws =
    'version int, account_id string, interface_id string, srcaddr string, dstaddr string, ' +
    'srcport int, dstport int, protocol bigint, packets bigint, bytes bigint, start bigint, ' +
    '`end` bigint, action string, log_status string, vpc_id string, subnet_id string, ' +
    'instance_id string, tcp_flags int, type string, pkt_srcaddr string, pkt_dstaddr string, ' +
    'region string, az_id string, sublocation_type string, sublocation_id string, ' +
    'pkt_src_aws_service string, pkt_dst_aws_service string, flow_direction string, traffic_path int';
  const fields = FIELDS.filter((f) => f.version <= 5).map((f) => f.name as FieldName);
  assert.equal(athenaColumnsDdl(fields), aws.replace('protocol bigint', 'protocol int'));
});

test('DuckDB DDL quotes every identifier', () => {
  assert.equal(duckdbColumnsDdl(['start', 'end', 'tcp-flags']), '"start" BIGINT, "end" BIGINT, "tcp_flags" INTEGER');
});
