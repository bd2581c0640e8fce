import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isResourceId, kindOfId, randomIdGenerator, sequentialIdGenerator } from './ids.ts';

test('ids: legacy 8-digit and current 17-digit lowercase hex forms are accepted', () => {
  assert.ok(isResourceId('vpc', 'vpc-1a2b3c4d'));
  assert.ok(isResourceId('vpc', 'vpc-00112233344556677'));
  assert.ok(isResourceId('instance', 'i-01234567890123456'));
  assert.ok(isResourceId('flow-log', 'fl-1234c5499532dbabc'));
  assert.ok(isResourceId('network-interface', 'eni-aa22bb33'));
  for (const bad of ['vpc-1A2B3C4D', 'vpc-1a2b3c4', 'vpc-1a2b3c4d5', 'vpc-', 'vpc1a2b3c4d', 'subnet-1a2b3c4d', 'vpc-0011223334455667g']) {
    assert.equal(isResourceId('vpc', bad), false, bad);
  }
});

test('kindOfId reads the prefix of a well-formed id', () => {
  assert.equal(kindOfId('eni-1235b8ca123456789'), 'network-interface');
  assert.equal(kindOfId('i-1a2b3c4d'), 'instance');
  assert.equal(kindOfId('acl-0123456789abcdef0'), 'network-acl');
  assert.equal(kindOfId('eni-xyz'), undefined);
  assert.equal(kindOfId('nat-0123456789abcdef0'), undefined);
});

test('randomIdGenerator turns the random bytes into 17 hex digits after the prefix', () => {
  const bytes = Uint8Array.from([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xf0]);
  const gen = randomIdGenerator((n) => bytes.slice(0, n));
  assert.equal(gen('subnet'), 'subnet-0123456789abcdeff');
  assert.equal(gen('flow-log'), 'fl-0123456789abcdeff');
  const real = randomIdGenerator();
  const ids = new Set(Array.from({ length: 50 }, () => real('vpc')));
  assert.equal(ids.size, 50);
  for (const id of ids) assert.ok(isResourceId('vpc', id), id);
});

test('sequentialIdGenerator counts per kind and stays well formed', () => {
  const gen = sequentialIdGenerator(10);
  assert.equal(gen('vpc'), 'vpc-a0000000000000001');
  assert.equal(gen('vpc'), 'vpc-a0000000000000002');
  assert.equal(gen('security-group'), 'sg-a0000000000000001');
  assert.ok(isResourceId('security-group', gen('security-group')));
});
