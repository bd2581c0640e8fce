import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROTOCOL_ALL, ProtocolError, awsProtocolText, parseProtocol, protocolKeyword } from './protocols.ts';

test('parseProtocol reads AWS names, -1/all and numbers', () => {
  assert.equal(parseProtocol('tcp'), 6);
  assert.equal(parseProtocol('UDP'), 17);
  assert.equal(parseProtocol('icmp'), 1);
  assert.equal(parseProtocol('icmpv6'), 58);
  assert.equal(parseProtocol('-1'), PROTOCOL_ALL);
  assert.equal(parseProtocol('all'), -1);
  assert.equal(parseProtocol('47'), 47);
  assert.equal(parseProtocol('0'), 0);
  assert.equal(parseProtocol('255'), 255);
});

test('parseProtocol rejects everything else with a reason', () => {
  for (const bad of ['', '256', '06', '-2', 'tcp ', 'sctp', '1.5']) {
    assert.throws(() => parseProtocol(bad), (e: unknown) => e instanceof ProtocolError && e.text === bad, bad);
  }
});

test('awsProtocolText and protocolKeyword', () => {
  assert.equal(awsProtocolText(6), 'tcp');
  assert.equal(awsProtocolText(58), 'icmpv6');
  assert.equal(awsProtocolText(-1), '-1');
  assert.equal(awsProtocolText(47), '47');
  assert.equal(protocolKeyword(58), 'IPv6-ICMP');
  assert.equal(protocolKeyword(200), undefined);
});
