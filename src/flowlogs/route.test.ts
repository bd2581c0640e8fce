import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routeWindow, type FlowLogTarget, type LogStoreDelivery, type ArchiveDelivery } from './route.ts';
import type { ClosedWindow, MonitoredInterface } from '../flows/index.ts';
import { DEFAULT_FIELDS, parseLogFormat } from '../records/index.ts';

const eni = (id: string): MonitoredInterface => ({
  interfaceId: id, accountId: '111122223333', region: 'us-east-1', vpcId: 'vpc-01', subnetId: 'subnet-01', instanceId: null, azId: null,
  primaryIpv4: '10.0.1.10', ipv4: ['10.0.1.10'], ipv6: [],
});

const window: ClosedWindow = {
  intervalSec: 60, windowStart: 1418530000, windowEnd: 1418530060,
  records: [
    { interfaceIndex: 0, rule: null, record: { version: 2, 'account-id': '123456789010', 'interface-id': 'eni-1235b8ca123456789', srcaddr: '172.31.16.139', dstaddr: '172.31.16.21', srcport: 20641, dstport: 22, protocol: 6, packets: 20, bytes: 4249, start: 1418530010, end: 1418530070, action: 'ACCEPT', 'log-status': 'OK', 'vpc-id': 'vpc-01' } },
    { interfaceIndex: 0, rule: 'sg-01 inbound', record: { version: 2, 'account-id': '123456789010', 'interface-id': 'eni-1235b8ca123456789', srcaddr: '172.31.9.69', dstaddr: '172.31.9.12', srcport: 49761, dstport: 3389, protocol: 6, packets: 20, bytes: 4249, start: 1418530010, end: 1418530070, action: 'REJECT', 'log-status': 'OK' } },
    { interfaceIndex: 1, rule: null, record: { version: 2, 'account-id': '123456789010', 'interface-id': 'eni-11111111aaaaaaaaa', start: 1418530000, end: 1418530060, 'log-status': 'NODATA' } },
  ],
};

const cwl = (id: string, trafficType: FlowLogTarget['trafficType'], interval = 60): FlowLogTarget => ({
  flowLogId: id, accountId: '123456789010', region: 'us-east-1', trafficType, maxAggregationInterval: interval,
  fields: DEFAULT_FIELDS, version: 2, destination: { type: 'cloud-watch-logs', logGroupName: '/vpc/x' },
});

test('log store deliveries carry AWS text lines, stream {eni}-all and timestamp = start × 1000', () => {
  const fl = cwl('fl-01', 'ALL');
  const [d] = routeWindow(window, [eni('eni-1235b8ca123456789'), eni('eni-11111111aaaaaaaaa')], [[fl], [fl]]) as LogStoreDelivery[];
  assert.deepEqual(d!.events.map((e) => [e.streamName, e.timestamp, e.message]), [
    ['eni-1235b8ca123456789-all', 1418530010000, '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK'],
    ['eni-1235b8ca123456789-all', 1418530010000, '2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK'],
    ['eni-11111111aaaaaaaaa-all', 1418530000000, '2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1418530000 1418530060 - NODATA'],
  ]);
  assert.deepEqual(d!.records.map((r) => r.rule), [null, 'sg-01 inbound', null]);
});

test('traffic type filters keep NODATA; other intervals and uncovered interfaces get nothing', () => {
  const rejects = cwl('fl-r', 'REJECT');
  const accepts = cwl('fl-a', 'ACCEPT');
  const slow = cwl('fl-600', 'ALL', 600);
  const out = routeWindow(window, [eni('a'), eni('b')], [[rejects, accepts, slow], [rejects]]) as LogStoreDelivery[];
  const byId = new Map(out.map((d) => [d.target.flowLogId, d.records.map((r) => r.record.action ?? r.record['log-status'])]));
  assert.deepEqual(Object.fromEntries(byId), { 'fl-r': ['REJECT', 'NODATA'], 'fl-a': ['ACCEPT'] });
});

test('custom formats set the record version from their fields; archive deliveries group by 5-minute file period of end', () => {
  const format = parseLogFormat('${version} ${vpc-id} ${srcaddr} ${flow-direction}');
  const s3: FlowLogTarget = {
    flowLogId: 'fl-s3', accountId: '123456789010', region: 'us-east-1', trafficType: 'ALL', maxAggregationInterval: 60,
    fields: format.fields, version: format.version,
    destination: { type: 's3', bucket: 'b', prefix: '', fileFormat: 'plain-text', hiveCompatiblePartitions: false, perHourPartition: false },
  };
  const out = routeWindow(window, [eni('a'), eni('b')], [[s3], [s3]]) as ArchiveDelivery[];
  // ends 1418530070 and 1418530060 both fall in the period starting 1418529900 (16:25:00Z)
  assert.deepEqual(out.map((d) => [d.fileTime, d.records.length]), [[1418529900, 3]]);
  const later = { ...window, records: [{ ...window.records[0]!, record: { ...window.records[0]!.record, end: 1418530200 } }] };
  assert.deepEqual((routeWindow(later, [eni('a')], [[s3]]) as ArchiveDelivery[]).map((d) => d.fileTime), [1418530200]);
  assert.equal(out[0]!.records[0]!.record.version, 5);
});
