import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../store/index.ts';
import { LogStore, LogStoreError } from './log-store.ts';

const R = [
  '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK',
  '2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK',
  '2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA',
  '2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK',
  '2 123456789010 eni-1235b8ca123456789 172.31.16.139 203.0.113.12 0 0 1 4 336 1432917094 1432917142 REJECT OK',
];
const ACCT = '123456789010';
let dir: string;
let db: Database;
let store: LogStore;
let clock = 1_700_000_000_000;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vpcflow-logstore-'));
  db = new Database({ dataDir: dir, memoryLimit: '256MB' });
  await db.start();
  store = new LogStore(db, 'us-east-1', () => clock);
  await db.transaction(async (tx) => {
    const events = R.map((message, i) => ({ streamName: i % 2 ? 'eni-b-all' : 'eni-a-all', timestamp: Number(message.split(' ')[10]) * 1000, message }));
    store.announce(ACCT, '/vpc/flows', await store.appendInTransaction(tx, ACCT, '/vpc/flows', events));
  });
});

after(async () => {
  await db.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('delivery creates the group and one stream per interface, with first/last event times', async () => {
  const g = await store.describeLogGroups(ACCT, { prefix: '/vpc' });
  assert.deepEqual(g.logGroups.map((x) => [x.logGroupName, x.arn]), [['/vpc/flows', `arn:aws:logs:us-east-1:${ACCT}:log-group:/vpc/flows:*`]]);
  assert.equal(g.logGroups[0]!.storedBytes, R.reduce((n, m) => n + m.length, 0));
  const s = await store.describeLogStreams(ACCT, '/vpc/flows');
  assert.deepEqual(s.logStreams.map((x) => [x.logStreamName, x.firstEventTimestamp, x.lastEventTimestamp]), [
    ['eni-a-all', 1418530010000, 1432917094000],
    ['eni-b-all', 1418530010000, 1432917027000],
  ]);
  assert.deepEqual((await store.describeLogGroups('999988887777')).logGroups, [], 'another account sees nothing');
});

test('filter patterns select the documented records (spec §6.3)', async () => {
  const msgs = async (filterPattern: string) => (await store.filterLogEvents(ACCT, { logGroupName: '/vpc/flows', filterPattern })).events.map((e) => R.indexOf(e.message) + 1).sort();
  assert.deepEqual(await msgs('[version, accountid, interfaceid, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action = REJECT, logstatus]'), [2, 5]);
  assert.deepEqual(await msgs('[version, accountid, interfaceid, srcaddr = 172.31.*, ...]'), [1, 2, 5]);
  assert.deepEqual(await msgs('NODATA'), [3]);
  assert.deepEqual(await msgs(''), [1, 2, 3, 4, 5]);
  assert.deepEqual(await msgs('[version, account, eni, source, destination, srcport, destport="22", protocol="6", packets, bytes, windowstart, windowend, action="REJECT", flowlogstatus]'), []);
});

test('filter pagination: limit, nextToken, stream and time selection', async () => {
  const first = await store.filterLogEvents(ACCT, { logGroupName: '/vpc/flows', limit: 2 });
  assert.equal(first.events.length, 2);
  assert.ok(first.nextToken);
  const second = await store.filterLogEvents(ACCT, { logGroupName: '/vpc/flows', limit: 10, nextToken: first.nextToken });
  assert.equal(second.events.length, 3);
  assert.equal(second.nextToken, undefined);
  assert.equal(new Set([...first.events, ...second.events].map((e) => e.eventId)).size, 5);
  const onlyB = await store.filterLogEvents(ACCT, { logGroupName: '/vpc/flows', logStreamNames: ['eni-b-all'] });
  assert.deepEqual(onlyB.events.map((e) => e.logStreamName), ['eni-b-all', 'eni-b-all']);
  const late = await store.filterLogEvents(ACCT, { logGroupName: '/vpc/flows', startTime: 1432917000000 });
  assert.equal(late.events.length, 2);
});

test('get-log-events reads a stream forwards and backwards with tokens', async () => {
  const tail = await store.getLogEvents(ACCT, '/vpc/flows', 'eni-a-all', { limit: 1 });
  assert.deepEqual(tail.events.map((e) => e.message), [R[4]], 'without startFromHead the newest come first');
  const head = await store.getLogEvents(ACCT, '/vpc/flows', 'eni-a-all', { startFromHead: true, limit: 2 });
  assert.deepEqual(head.events.map((e) => e.message), [R[0], R[2]]);
  const next = await store.getLogEvents(ACCT, '/vpc/flows', 'eni-a-all', { nextToken: head.nextForwardToken });
  assert.deepEqual(next.events.map((e) => e.message), [R[4]]);
  await assert.rejects(store.getLogEvents(ACCT, '/vpc/flows', 'eni-zz-all'), (e: unknown) => e instanceof LogStoreError && e.code === 'ResourceNotFoundException');
});

test('errors carry CloudWatch codes and change nothing', async () => {
  await assert.rejects(store.filterLogEvents(ACCT, { logGroupName: '/nope' }), /The specified log group does not exist/);
  await assert.rejects(store.createLogGroup(ACCT, '/vpc/flows'), (e: unknown) => (e as LogStoreError).code === 'ResourceAlreadyExistsException');
  await assert.rejects(store.createLogGroup(ACCT, 'bad name!'), (e: unknown) => (e as LogStoreError).code === 'InvalidParameterException');
  await assert.rejects(store.putRetentionPolicy(ACCT, '/vpc/flows', 2), /retentionInDays/);
  await assert.rejects(store.filterLogEvents(ACCT, { logGroupName: '/vpc/flows', filterPattern: '[a, b' }), (e: unknown) => (e as LogStoreError).code === 'InvalidParameterException');
  assert.equal((await store.filterLogEvents(ACCT, { logGroupName: '/vpc/flows' })).events.length, 5);
});

test('DeleteRetentionPolicy makes a group keep its events forever again; an unknown group is refused', async () => {
  await store.createLogGroup(ACCT, '/tmp/forever');
  await store.putRetentionPolicy(ACCT, '/tmp/forever', 30);
  const retention = async () => (await store.describeLogGroups(ACCT, { prefix: '/tmp/forever' })).logGroups[0]!.retentionInDays;
  assert.equal(await retention(), 30);
  await store.deleteRetentionPolicy(ACCT, '/tmp/forever');
  assert.equal(await retention(), undefined);
  await assert.rejects(store.deleteRetentionPolicy(ACCT, '/tmp/none'), (e: unknown) => (e as LogStoreError).code === 'ResourceNotFoundException');
  await store.deleteLogGroup(ACCT, '/tmp/forever');
});

test('retention removes events older than the group keeps; deleting a group removes its events', async () => {
  await store.createLogGroup(ACCT, '/tmp/ret');
  await db.transaction(async (tx) => {
    await store.appendInTransaction(tx, ACCT, '/tmp/ret', [
      { streamName: 'eni-a-all', timestamp: clock - 2 * 86400000, message: 'old' },
      { streamName: 'eni-a-all', timestamp: clock - 3600000, message: 'new' },
    ]);
  });
  await store.putRetentionPolicy(ACCT, '/tmp/ret', 1);
  const storedBytes = async () => (await store.describeLogGroups(ACCT, { prefix: '/tmp/ret' })).logGroups[0]!.storedBytes;
  assert.equal(await storedBytes(), 6);
  assert.equal(await store.applyRetention(), 1);
  assert.equal(await storedBytes(), 3, 'stored bytes follow retention');
  assert.deepEqual((await store.filterLogEvents(ACCT, { logGroupName: '/tmp/ret' })).events.map((e) => e.message), ['new']);
  await store.deleteLogGroup(ACCT, '/tmp/ret');
  assert.equal((await db.all("SELECT count(*) AS n FROM log_events WHERE group_name = '/tmp/ret'"))[0]!.n, '0');
});

test('a failed delivery transaction leaves no events and no streams', async () => {
  await assert.rejects(
    db.transaction(async (tx) => {
      await store.appendInTransaction(tx, ACCT, '/vpc/partial', [{ streamName: 'eni-a-all', timestamp: clock, message: 'x' }]);
      throw new Error('destination refused');
    }),
    /destination refused/,
  );
  assert.deepEqual((await store.describeLogGroups(ACCT, { prefix: '/vpc/partial' })).logGroups, []);
  assert.equal((await db.all("SELECT count(*) AS n FROM log_events WHERE group_name = '/vpc/partial'"))[0]!.n, '0');
});
