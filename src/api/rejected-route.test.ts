// POST /v1/vpcflow/Rejected on a small Hono app over a real store: REJECT records of the caller's
// scope, newest first, one per packet's record however many flow logs delivered it, explained
// against the account's network; records without a rule say why; pages never overlap.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Hono } from 'hono';
import { compileNetwork, sequentialIdGenerator, type NetworkModel } from '../model/index.ts';
import { VpcflowError } from '../platform/errors.ts';
import type { FlowRecord } from '../records/index.ts';
import { Database, appendRecords, type StoredRecord } from '../store/index.ts';
import { NO_RULE_REASON, mountRejectedRoute, type RejectedRecord } from './rejected-route.ts';

const A = '111122223333';
const B = '444455556666';
const ENI_A_WEB = 'eni-0000000000000000a';
const ENI_A_DB = 'eni-0000000000000000b';
const ENI_B = 'eni-0000000000000000f';
const ACL_A = 'acl-0000000000000000a';
const SG_A_DB = 'sg-0000000000000000b';
const FL_A_CWL = 'fl-0000000000000000a';
const FL_A_S3 = 'fl-0000000000000000b';
const FL_B = 'fl-0000000000000000f';
const T0 = 1_767_225_600;

function networkA(): NetworkModel {
  return compileNetwork({
    account: A, region: 'us-east-1',
    vpcs: [{
      id: 'vpc-0000000000000000a', cidr: '10.0.0.0/16',
      subnets: [{ id: 'subnet-0000000000000000a', name: 'web', cidr: '10.0.1.0/24' }, { id: 'subnet-0000000000000000b', name: 'db', cidr: '10.0.2.0/24' }],
      'network-interfaces': [
        { id: ENI_A_WEB, subnet: 'web', 'private-ip': '10.0.1.5', 'security-groups': ['web'] },
        { id: ENI_A_DB, subnet: 'db', 'private-ip': '10.0.2.7', 'security-groups': ['db'] },
      ],
      'security-groups': [
        { id: 'sg-0000000000000000a', name: 'web' },
        { id: SG_A_DB, name: 'db', ingress: [{ protocol: 'tcp', 'from-port': 443, 'to-port': 443, cidr: '10.0.0.0/16' }] },
      ],
      'network-acls': [{ id: ACL_A, subnets: ['db'], entries: [
        { 'rule-number': 120, egress: false, protocol: 'tcp', 'rule-action': 'deny', cidr: '0.0.0.0/0', 'from-port': 22, 'to-port': 22 },
        { 'rule-number': 200, egress: false, protocol: '-1', 'rule-action': 'allow', cidr: '0.0.0.0/0' },
        { 'rule-number': 100, egress: true, protocol: '-1', 'rule-action': 'allow', cidr: '10.0.0.0/16' },
      ] }],
    }],
  }, undefined, sequentialIdGenerator());
}

function networkB(): NetworkModel {
  return compileNetwork({
    account: B, region: 'us-east-1',
    vpcs: [{ id: 'vpc-0000000000000000f', cidr: '10.0.0.0/16', subnets: [{ id: 'subnet-0000000000000000f', cidr: '10.0.2.0/24' }], 'network-interfaces': [{ id: ENI_B, subnet: '10.0.2.0/24', 'private-ip': '10.0.2.7' }] }],
  }, undefined, sequentialIdGenerator(5));
}

let dir: string;
let db: Database;
let app: Hono;
const networks = new Map<string, NetworkModel>();

function rec(account: string, eni: string, src: string, dst: string, sport: number, dport: number, start: number, action = 'REJECT', protocol = 6): FlowRecord {
  return {
    version: 2, 'account-id': account, 'interface-id': eni, srcaddr: src, dstaddr: dst, srcport: sport, dstport: dport, protocol,
    packets: 3, bytes: 180, start, end: start + 60, action, 'log-status': 'OK',
  };
}

function row(record: FlowRecord, owner: string, flowLogId: string, rule: string | null, s3 = false): StoredRecord {
  return {
    record, ownerAccount: owner, flowLogId, destinationType: s3 ? 's3' : 'cloud-watch-logs', destination: s3 ? 's3://bucket/' : '/vpc/all', rule, ingestionTime: (Number(record.start) + 61) * 1000,
  };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vpcflow-rejected-'));
  db = new Database({ dataDir: dir, readers: 2 });
  await db.start();
  networks.set(A, networkA());
  networks.set(B, networkB());
  const rows: StoredRecord[] = [];
  // A's live drops, each delivered by both of A's flow logs (log store and archive): duplicates to fold.
  const live: [FlowRecord, string][] = [
    [rec(A, ENI_A_DB, '203.0.113.9', '10.0.2.7', 40001, 22, T0), `nai ${ACL_A} 120`],
    [rec(A, ENI_A_DB, '10.0.1.5', '10.0.2.7', 40002, 5432, T0 + 60), `sgi ${ENI_A_DB}`],
    [rec(A, ENI_A_WEB, '10.0.1.5', '10.0.2.7', 40003, 443, T0 + 120), 'inv'],
    [rec(A, ENI_A_DB, '10.0.2.7', '198.51.100.1', 40004, 80, T0 + 180), `nao ${ACL_A} *`],
    [rec(A, ENI_A_DB, '10.0.1.5', '10.0.2.7', 40005, 22, T0 + 240), 'nai acl-00000000000000099 7'],
  ];
  for (const [r, code] of live) rows.push(row(r, A, FL_A_CWL, code), row(r, A, FL_A_S3, code, true));
  // An ingested capture's REJECT (no rule), an ACCEPT that must not show, one outside the window.
  rows.push(row(rec(A, ENI_A_DB, '10.0.1.5', '10.0.2.7', 40010, 3306, T0 + 30), A, FL_A_CWL, null));
  rows.push(row(rec(A, ENI_A_DB, '10.0.1.5', '10.0.2.7', 40011, 443, T0 + 90, 'ACCEPT'), A, FL_A_CWL, null));
  rows.push(row(rec(A, ENI_A_DB, '10.0.1.5', '10.0.2.7', 40012, 22, T0 + 10_000), A, FL_A_CWL, `nai ${ACL_A} 120`));
  // B's drop on an interface with the same address as A's.
  rows.push(row(rec(B, ENI_B, '10.0.9.9', '10.0.2.7', 40020, 22, T0 + 100), B, FL_B, `sgi ${ENI_B}`));
  await db.transaction((tx) => appendRecords(tx, rows));

  app = new Hono();
  app.onError((err, c) => {
    if (err instanceof VpcflowError) return c.json({ __type: err.code, message: err.message }, err.httpStatus as 400);
    return c.json({ __type: 'InternalFailure', message: err.message }, 500);
  });
  // native.ts authenticates and decides the scope; here a header stands in for the account key.
  mountRejectedRoute(app, {
    db,
    network: (account) => networks.get(account),
    body: async (c) => JSON.parse((await c.req.text()) || '{}') as Record<string, unknown>,
    scope: (c) => {
      const a = c.req.header('x-account');
      return a ? { kind: 'account', accountId: a } : { kind: 'operator' };
    },
  });
});

after(async () => {
  await db?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function call(account: string | undefined, body: Record<string, unknown>): Promise<{ status: number; body: { Records?: RejectedRecord[]; NextToken?: string; __type?: string; message?: string } }> {
  const r = await app.request('/v1/vpcflow/Rejected', { method: 'POST', headers: { 'content-type': 'application/json', ...(account ? { 'x-account': account } : {}) }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() as never };
}

const WINDOW = { StartTime: T0, EndTime: T0 + 3600 };

test('an account sees its REJECT records once each, newest first, each explained', async () => {
  const r = await call(A, WINDOW);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const records = r.body.Records!;
  assert.deepEqual(records.map((x) => x.srcport), [40005, 40004, 40003, 40002, 40010, 40001]);
  assert.equal(r.body.NextToken, undefined);

  const ssh = records.find((x) => x.srcport === 40001)!;
  assert.deepEqual({ ...ssh, Explanation: undefined }, {
    version: 2, accountId: A, interfaceId: ENI_A_DB, srcaddr: '203.0.113.9', dstaddr: '10.0.2.7', srcport: 40001, dstport: 22, protocol: 6,
    packets: 3, bytes: 180, start: T0, end: T0 + 60, action: 'REJECT', logStatus: 'OK', flowLogId: FL_A_CWL, FlowLogIds: [FL_A_CWL, FL_A_S3],
    Rule: `nai ${ACL_A} 120`, Explanation: undefined,
  });
  assert.equal(ssh.Explanation?.layer, 'network-acl');
  assert.equal(ssh.Explanation?.text, `${ACL_A} rule 120: deny tcp 22 from 0.0.0.0/0 (inbound)`);

  const byPort = new Map(records.map((x) => [x.srcport, x]));
  assert.equal(byPort.get(40002)!.Explanation?.text, `security group ${SG_A_DB} has no inbound rule for tcp 5432 from 10.0.1.5`);
  assert.equal(byPort.get(40003)!.Explanation?.text, 'connection state invalid (a TCP packet without a tracked connection)');
  assert.equal(byPort.get(40004)!.Explanation?.text, `${ACL_A} rule *: deny all traffic (outbound; no rule matched)`);
  // A code naming an ACL the network no longer has is explained as such, not an error.
  const stale = byPort.get(40005)!.Explanation!;
  assert.equal(stale.stale, true);
  assert.match(stale.text, /^network ACL acl-00000000000000099 no longer exists/);

  const captured = byPort.get(40010)!;
  assert.equal(captured.Rule, null);
  assert.equal(captured.Explanation, null);
  assert.equal(captured.Reason, NO_RULE_REASON);
  assert.ok(records.every((x) => x.action === 'REJECT'));
  assert.ok(records.every((x) => (x.Explanation === null) === ('Reason' in x)));
});

test('isolation: B never sees A\'s records, A never B\'s; the operator sees both accounts', async () => {
  const b = await call(B, WINDOW);
  assert.deepEqual(b.body.Records!.map((x) => [x.accountId, x.interfaceId, x.srcport]), [[B, ENI_B, 40020]]);
  // B's record is explained against B's network, not A's (which has an interface at the same address).
  assert.equal(b.body.Records![0]!.Explanation?.text, 'security group sg-50000000000000001 has no inbound rule for tcp 22 from 10.0.9.9');
  const bOnA = await call(B, { ...WINDOW, InterfaceId: ENI_A_DB });
  assert.deepEqual(bOnA.body.Records, []);
  assert.ok(!(await call(A, WINDOW)).body.Records!.some((x) => x.accountId === B));

  const all = await call(undefined, WINDOW);
  assert.deepEqual(all.body.Records!.map((x) => x.srcport), [40005, 40004, 40003, 40020, 40002, 40010, 40001]);
});

test('the window, the interface filter and pages that never overlap', async () => {
  assert.deepEqual((await call(A, { StartTime: T0 + 60, EndTime: T0 + 180 })).body.Records!.map((x) => x.srcport), [40004, 40003, 40002]);
  assert.deepEqual((await call(A, { StartTime: T0 + 9000, EndTime: T0 + 20_000 })).body.Records!.map((x) => x.srcport), [40012]);
  assert.deepEqual((await call(A, { ...WINDOW, InterfaceId: ENI_A_WEB })).body.Records!.map((x) => x.srcport), [40003]);

  const seen: number[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const r = await call(undefined, { ...WINDOW, Limit: 2, ...(token ? { NextToken: token } : {}) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.body.Records!.length <= 2);
    seen.push(...r.body.Records!.map((x) => x.srcport!));
    token = r.body.NextToken;
    pages++;
  } while (token && pages < 10);
  assert.deepEqual(seen, [40005, 40004, 40003, 40020, 40002, 40010, 40001]);
  assert.equal(pages, 4);

  // Records delivered after the first page do not shift the next one.
  const first = await call(A, { ...WINDOW, Limit: 3 });
  await db.transaction((tx) => appendRecords(tx, [row(rec(A, ENI_A_DB, '10.0.1.5', '10.0.2.7', 40030, 22, T0 + 3000), A, FL_A_CWL, `nai ${ACL_A} 120`)]));
  const second = await call(A, { ...WINDOW, Limit: 3, NextToken: first.body.NextToken });
  assert.deepEqual(first.body.Records!.map((x) => x.srcport), [40005, 40004, 40003]);
  assert.deepEqual(second.body.Records!.map((x) => x.srcport), [40002, 40010, 40001]);
  assert.equal(second.body.NextToken, undefined);
});

test('bad requests get precise errors', async () => {
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ EndTime: T0 }, 'MissingParameter', /StartTime/],
    [{ StartTime: T0 }, 'MissingParameter', /EndTime/],
    [{ StartTime: 'yesterday', EndTime: T0 }, 'InvalidParameterValue', /StartTime must be epoch seconds/],
    [{ StartTime: T0 + 1, EndTime: T0 }, 'InvalidParameterValue', /is after EndTime/],
    [{ ...WINDOW, Limit: 501 }, 'InvalidParameterValue', /Limit must be an integer from 1 to 500/],
    [{ ...WINDOW, Limit: 0 }, 'InvalidParameterValue', /Limit/],
    [{ ...WINDOW, InterfaceId: 'eni-../../x' }, 'InvalidParameterValue', /InterfaceId must be a network interface id/],
    [{ ...WINDOW, NextToken: 'not a token!' }, 'InvalidParameterValue', /NextToken/],
    [{ ...WINDOW, NextToken: Buffer.from(JSON.stringify({ r: [1, 2] })).toString('base64url') }, 'InvalidParameterValue', /NextToken/],
    [{ ...WINDOW, NextToken: Buffer.from(JSON.stringify({ r: ['x', 1, 'a', 'b', 'c', 'd', 1, 1, 1] })).toString('base64url') }, 'InvalidParameterValue', /NextToken/],
    [{ ...WINDOW, Sql: 'SELECT 1' }, 'UnknownParameter', /Rejected has no member Sql/],
  ];
  for (const [body, type, message] of cases) {
    const r = await call(A, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.body.__type, type, JSON.stringify(r.body));
    assert.match(r.body.message!, message);
  }
});
