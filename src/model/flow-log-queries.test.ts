import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './errors.ts';
import type { FlowLog } from './flow-log.ts';
import { checkDescribeFilters, flowLogsCovering, matchesDescribeFilters, validateDeleteFlowLogs } from './flow-log-queries.ts';

function flowLog(over: Partial<FlowLog>): FlowLog {
  return {
    flowLogId: 'fl-00000000000000001', accountId: '123456789101', region: 'us-east-1', resourceType: 'VPC', resourceId: 'vpc-11111111',
    trafficType: 'ALL', logDestinationType: 'cloud-watch-logs', logGroupName: 'FlowLogsForSubnetB',
    logDestination: 'arn:aws:logs:us-east-1:123456789101:log-group:FlowLogsForSubnetB', logFormat: '${version}', fields: ['version'], version: 2,
    maxAggregationInterval: 600, tags: [{ Key: 'Name', Value: 'FlowsForVpcB' }], creationTime: 1000, deliverLogsStatus: 'SUCCESS', flowLogStatus: 'ACTIVE',
    ...over,
  };
}

const cw = flowLog({});
const s3 = flowLog({
  flowLogId: 'fl-1234c5499532dbabc', resourceId: 'subnet-22222222', resourceType: 'Subnet', trafficType: 'REJECT', logDestinationType: 's3',
  logGroupName: undefined, logDestination: 'arn:aws:s3:::my-log-bucket/my-logs/', tags: [{ Key: 'Team', Value: 'net' }, { Key: 'Name', Value: 'FlowsForVpcA' }],
  deliverLogsStatus: 'FAILED', deliverLogsErrorMessage: 'Access error',
});
const all = [cw, s3];
const matching = (filters: unknown[]) => all.filter((f) => matchesDescribeFilters(f, filters)).map((f) => f.flowLogId);

test('every DescribeFlowLogs filter of spec §5.3', () => {
  assert.deepEqual(matching([{ Name: 'deliver-log-status', Values: ['FAILED'] }]), [s3.flowLogId]);
  assert.deepEqual(matching([{ Name: 'log-destination-type', Values: ['cloud-watch-logs'] }]), [cw.flowLogId]);
  assert.deepEqual(matching([{ Name: 'flow-log-id', Values: ['fl-1234c5499532dbabc'] }]), [s3.flowLogId]);
  assert.deepEqual(matching([{ Name: 'log-group-name', Values: ['FlowLogsForSubnetB'] }]), [cw.flowLogId]);
  assert.deepEqual(matching([{ Name: 'resource-id', Values: ['subnet-22222222', 'vpc-11111111'] }]), [cw.flowLogId, s3.flowLogId]);
  assert.deepEqual(matching([{ Name: 'traffic-type', Values: ['ALL'] }]), [cw.flowLogId]);
  assert.deepEqual(matching([{ Name: 'tag:Name', Values: ['FlowsForVpcA'] }]), [s3.flowLogId]);
  assert.deepEqual(matching([{ Name: 'tag:Team', Values: ['net'] }]), [s3.flowLogId]);
  assert.deepEqual(matching([{ Name: 'tag-key', Values: ['Team'] }]), [s3.flowLogId]);
  assert.deepEqual(matching([{ Name: 'tag-key', Values: ['Name'] }]), [cw.flowLogId, s3.flowLogId]);
});

test('filters AND together, values OR; names and values are case-sensitive', () => {
  assert.deepEqual(matching([{ Name: 'tag-key', Values: ['Name'] }, { Name: 'traffic-type', Values: ['REJECT'] }]), [s3.flowLogId]);
  assert.deepEqual(matching([{ Name: 'traffic-type', Values: ['all'] }]), []);
  assert.deepEqual(matching([]), [cw.flowLogId, s3.flowLogId]);
});

test('filter values take EC2\'s * and ? wildcards, and \\ escapes them', () => {
  assert.deepEqual(matching([{ Name: 'resource-id', Values: ['subnet-*'] }]), [s3.flowLogId]);
  assert.deepEqual(matching([{ Name: 'tag:Name', Values: ['FlowsForVpc?'] }]), [cw.flowLogId, s3.flowLogId]);
  assert.deepEqual(matching([{ Name: 'tag:Name', Values: ['Flows.*'] }]), []);
  const starred = flowLog({ tags: [{ Key: 'k', Value: 'a*b' }] });
  assert.equal(matchesDescribeFilters(starred, [{ Name: 'tag:k', Values: ['a\\*b'] }]), true);
  assert.equal(matchesDescribeFilters(flowLog({ tags: [{ Key: 'k', Value: 'axb' }] }), [{ Name: 'tag:k', Values: ['a\\*b'] }]), false);
});

test('an unknown filter name is an InvalidParameterValue naming it, even with nothing to filter', () => {
  for (const bad of [[{ Name: 'resource-type', Values: ['VPC'] }], [{ Name: 'tag:', Values: ['x'] }]]) {
    assert.throws(() => matchesDescribeFilters(cw, bad), (e: unknown) => e instanceof ApiError && e.code === 'InvalidParameterValue' && e.message === `The filter '${bad[0]!.Name}' is invalid`);
    assert.throws(() => checkDescribeFilters(bad), ApiError);
  }
  assert.throws(() => checkDescribeFilters([{ Name: 'traffic-type', Values: [] }]), /needs a non-empty list/);
  assert.throws(() => checkDescribeFilters([{ Values: ['x'] }]), /needs a Name/);
});

test('DeleteFlowLogs: known ids are deleted, unknown ones reported with AWS\'s message', () => {
  const r = validateDeleteFlowLogs({ FlowLogIds: [cw.flowLogId, 'fl-aaaaaaaa', 'fl-bbbbbbbb'] }, all);
  assert.deepEqual(r.toDelete, [cw.flowLogId]);
  const message = 'These flow log ids in the input list are not found: [TotalCount: 2] fl-aaaaaaaa fl-bbbbbbbb';
  assert.deepEqual(r.unsuccessful, [
    { resourceId: 'fl-aaaaaaaa', code: 'InvalidFlowLogId.NotFound', message },
    { resourceId: 'fl-bbbbbbbb', code: 'InvalidFlowLogId.NotFound', message },
  ]);
  assert.deepEqual(validateDeleteFlowLogs({ FlowLogIds: [s3.flowLogId, s3.flowLogId] }, all), { toDelete: [s3.flowLogId], unsuccessful: [] });
});

test('DeleteFlowLogs: an empty list is AWS\'s observed validation error; bad shapes and too many ids are refused', () => {
  assert.throws(() => validateDeleteFlowLogs({ FlowLogIds: [] }, all), (e: unknown) => e instanceof ApiError && e.code === 'InvalidParameterValue' && e.message === "1 validation error detected: Value null at 'flowLogId' has an invalid format");
  assert.throws(() => validateDeleteFlowLogs({}, all), ApiError);
  assert.throws(() => validateDeleteFlowLogs({ FlowLogIds: 'fl-1' }, all), ApiError);
  assert.throws(() => validateDeleteFlowLogs({ FlowLogIds: ['a', 'b', 'c'] }, all, 2), /maximum/);
  assert.throws(() => validateDeleteFlowLogs({ FlowLogIds: [cw.flowLogId], DryRun: true }, all), (e: unknown) => e instanceof ApiError && e.code === 'DryRunOperation');
});

test('flowLogsCovering: VPC-level covers every ENI of the VPC, subnet-level its ENIs, ENI-level the ENI; oldest first', () => {
  const eni = { id: 'eni-11111111', subnetId: 'subnet-22222222', vpcId: 'vpc-11111111' };
  const own = flowLog({ flowLogId: 'fl-00000000000000003', resourceType: 'NetworkInterface', resourceId: 'eni-11111111', creationTime: 500 });
  const other = flowLog({ flowLogId: 'fl-00000000000000004', resourceType: 'NetworkInterface', resourceId: 'eni-22222222' });
  const otherVpc = flowLog({ flowLogId: 'fl-00000000000000005', resourceId: 'vpc-22222222' });
  assert.deepEqual(flowLogsCovering(eni, [cw, s3, own, other, otherVpc]).map((f) => f.flowLogId), [own.flowLogId, cw.flowLogId, s3.flowLogId]);
  // An interface declared after the flow log is covered just the same (coverage is computed, not recorded).
  const later = { id: 'eni-99999999', subnetId: 'subnet-33333333', vpcId: 'vpc-11111111' };
  assert.deepEqual(flowLogsCovering(later, [cw, s3]).map((f) => f.flowLogId), [cw.flowLogId]);
});
