import { test } from 'node:test';
import assert from 'node:assert/strict';
import { awsTcpFlags, tcpFlagNames } from './tcp-flags.ts';

// Raw TCP header flag bits (RFC 9293): FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20 ECE 0x40 CWR 0x80.
const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const PSH = 0x08;
const ACK = 0x10;
const URG = 0x20;
const ECE = 0x40;
const CWR = 0x80;

test('per-packet contribution follows spec §1.7', () => {
  assert.equal(awsTcpFlags(SYN), 2);
  assert.equal(awsTcpFlags(SYN | ACK), 18);
  assert.equal(awsTcpFlags(FIN), 1);
  assert.equal(awsTcpFlags(RST), 4);
  assert.equal(awsTcpFlags(ACK), 0, 'ACK alone is not reported');
  assert.equal(awsTcpFlags(PSH | ACK), 0);
  assert.equal(awsTcpFlags(URG), 0);
  assert.equal(awsTcpFlags(FIN | ACK), 1);
  assert.equal(awsTcpFlags(RST | ACK), 4);
  assert.equal(awsTcpFlags(SYN | ECE | CWR), 2, 'SYN+ECE → 2 (unsupported flag beside a supported one)');
  assert.equal(awsTcpFlags(0), 0);
});

const orOver = (packets: number[]): number => packets.reduce((acc, raw) => acc | awsTcpFlags(raw), 0);

test('ORed over a connection it gives the values in AWS examples (spec §7.5)', () => {
  // Short connection inside one interval: client → server 3 (SYN|FIN), server → client 19 (SYN-ACK|FIN).
  assert.equal(orOver([SYN, ACK, PSH | ACK, ACK, FIN | ACK, ACK]), 3);
  assert.equal(orOver([SYN | ACK, ACK, PSH | ACK, FIN | ACK]), 19);
  // Long connection: first interval 2 / 18, closing interval 1 / 1.
  assert.equal(orOver([SYN, ACK, PSH | ACK]), 2);
  assert.equal(orOver([SYN | ACK, PSH | ACK]), 18);
  assert.equal(orOver([ACK, FIN | ACK]), 1);
  // RST is ORed too (spec: 2|4 = 6).
  assert.equal(orOver([SYN, RST]), 6);
});

test('tcpFlagNames names the bits like Beats does (fin for 1)', () => {
  assert.deepEqual(tcpFlagNames(1), ['fin']);
  assert.deepEqual(tcpFlagNames(19), ['fin', 'syn', 'ack']);
  assert.deepEqual(tcpFlagNames(0), []);
});
