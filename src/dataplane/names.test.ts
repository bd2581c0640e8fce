import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { planApply, sequentialIdGenerator, type NetworkModel } from '../model/index.ts';
import { StateFileError, UnsafeValueError } from './errors.ts';
import { checkPrefix, macOfInterface, planNames, randomTestPrefix } from './names.ts';
import { countLoggedPackets } from './observe.ts';
import { emptyState, readState, recordedNames, writeState } from './state.ts';
import { IDS, testNetworkDocument } from './test-fixtures.ts';

const model = planApply(undefined, testNetworkDocument(), sequentialIdGenerator()).model;

/** The model with its VPC's ids replaced (ids the validator would accept, chosen to clash when truncated). */
function withVpcIds(ids: string[]): NetworkModel {
  return { ...model, vpcs: ids.map((id) => ({ ...model.vpcs[0]!, id, networkInterfaces: [], instances: [] })) };
}

describe('planNames', () => {
  test('namespaces and links come from the ids', () => {
    const n = planNames(model, { prefix: 'vftabc' });
    assert.equal(n.vpcNamespaces.get(IDS.vpc), 'vftabc-2b3c4d5e6f70');
    assert.equal(n.instanceNamespaces.get(IDS.db), 'vftabc-i-000000000d01');
    const db2 = n.interfaces.get(IDS.eniDb2)!;
    assert.deepEqual(
      { vpcLink: db2.vpcLink, instanceLink: db2.instanceLink, mac: db2.mac, routeTable: db2.routeTable, deviceIndex: db2.deviceIndex },
      { vpcLink: 'eni000000000d02', instanceLink: 'eth1', mac: '02:00:00:00:0d:02', routeTable: 101, deviceIndex: 1 },
    );
    for (const i of n.interfaces.values()) assert.ok(Buffer.byteLength(i.vpcLink) <= 15);
    assert.equal(planNames(model).vpcNamespaces.get(IDS.vpc), 'vf-2b3c4d5e6f70');
  });

  test('ids that clash once truncated both get hashed names, whatever their order', () => {
    const a = 'vpc-0aaaa2b3c4d5e6f70';
    const b = 'vpc-0bbbb2b3c4d5e6f70';
    const n1 = planNames(withVpcIds([a, b]), { prefix: 'vft' + 'x1' });
    const n2 = planNames(withVpcIds([b, a]), { prefix: 'vft' + 'x1' });
    assert.notEqual(n1.vpcNamespaces.get(a), n1.vpcNamespaces.get(b));
    assert.match(n1.vpcNamespaces.get(a)!, /^vftx1-h[a-z2-7]{12}$/);
    assert.equal(n1.vpcNamespaces.get(a), n2.vpcNamespaces.get(a));
    assert.equal(n1.vpcNamespaces.get(b), n2.vpcNamespaces.get(b));
  });

  test('recorded names are kept, so a restart finds its objects', () => {
    const n = planNames(model, { prefix: 'vftabc', recorded: { vpcNamespaces: { [IDS.vpc]: 'vftabc-older' }, vpcLinks: { [IDS.eniWeb]: 'enhabcdef' } } });
    assert.equal(n.vpcNamespaces.get(IDS.vpc), 'vftabc-older');
    assert.equal(n.interfaces.get(IDS.eniWeb)!.vpcLink, 'enhabcdef');
    const invalid = planNames(model, { prefix: 'vftabc', recorded: { vpcLinks: { [IDS.eniWeb]: 'far-too-long-for-linux' } } });
    assert.equal(invalid.interfaces.get(IDS.eniWeb)!.vpcLink, 'eni0000000000e1');
  });

  test('prefixes and ids that are not well formed are refused', () => {
    for (const p of ['', 'a', 'has-dash', 'UPPER', 'x'.repeat(13), 'vf;rm']) assert.throws(() => checkPrefix(p), UnsafeValueError, p);
    assert.throws(() => planNames(withVpcIds(['vpc-0a1b; ip link del']), {}), UnsafeValueError);
    assert.throws(() => macOfInterface('eni-zz'), UnsafeValueError);
    const p = randomTestPrefix();
    assert.equal(checkPrefix(p), p);
    assert.notEqual(randomTestPrefix(), p);
  });
});

describe('state file', () => {
  test('round-trips and refuses what is not a data-plane state', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vf-state-'));
    try {
      const path = join(dir, 'sub', 'state.json');
      assert.equal(readState(path), undefined);
      const s = emptyState('vftabc');
      s.vpcs[IDS.vpc] = { id: IDS.vpc, namespace: 'vftabc-2b3c4d5e6f70', status: 'ready' };
      writeState(path, s);
      assert.deepEqual(readState(path), s);
      assert.deepEqual(recordedNames(s).vpcNamespaces, { [IDS.vpc]: 'vftabc-2b3c4d5e6f70' });
      writeFileSync(path, '{"version": 1}');
      assert.throws(() => readState(path), StateFileError);
      writeFileSync(path, 'not json');
      assert.throws(() => readState(path), StateFileError);
      writeFileSync(path, JSON.stringify({ ...s, prefix: 'bad prefix' }));
      assert.throws(() => readState(path), StateFileError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('countLoggedPackets', () => {
  test('sums the counters of logging rules only (JSON as nft 1.0.6 prints it)', () => {
    const json = JSON.stringify({ nftables: [
      { metainfo: { version: '1.0.6', json_schema_version: 1 } },
      { table: { family: 'inet', name: 'vpcflow', handle: 1 } },
      { rule: { family: 'inet', table: 'vpcflow', chain: 'forward', handle: 2, expr: [{ counter: { packets: 5, bytes: 300 } }, { log: { prefix: 'acc', group: 7 } }, { accept: null }] } },
      { rule: { family: 'inet', table: 'vpcflow', chain: 'x', handle: 3, expr: [{ counter: { packets: 2, bytes: 120 } }, { log: { prefix: 'inv', group: 7 } }, { drop: null }] } },
      { rule: { family: 'inet', table: 'vpcflow', chain: 'x', handle: 4, expr: [{ counter: { packets: 9, bytes: 1 } }, { accept: null }] } },
    ] });
    assert.equal(countLoggedPackets(json), 7);
  });
});
