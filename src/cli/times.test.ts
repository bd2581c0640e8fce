import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTime, parseTimeRange } from './times.ts';
import { CliError, EXIT } from './client.ts';

const NOW = Date.UTC(2026, 4, 17, 12, 30, 15, 250); // 2026-05-17T12:30:15.250Z

const refused = (text: string, why: RegExp) =>
  assert.throws(() => parseTime('--start-time', text, NOW), (e: unknown) => {
    assert.ok(e instanceof CliError, String(e));
    assert.equal(e.exitCode, EXIT.usage);
    assert.match(e.message, /^--start-time: '.*' is not a time: /);
    assert.match(e.message, why);
    return true;
  }, text);

test('epoch milliseconds, now and durations before now', () => {
  assert.equal(parseTime('--start-time', '1767225600000', NOW), 1767225600000);
  assert.equal(parseTime('--start-time', '0', NOW), 0);
  assert.equal(parseTime('--start-time', 'now', NOW), NOW);
  assert.equal(parseTime('--start-time', '30s', NOW), NOW - 30_000);
  assert.equal(parseTime('--start-time', '10m', NOW), NOW - 600_000);
  assert.equal(parseTime('--start-time', '2h', NOW), NOW - 7_200_000);
  assert.equal(parseTime('--start-time', '1d', NOW), NOW - 86_400_000);
  assert.equal(parseTime('--start-time', '1w', NOW), NOW - 604_800_000);
  assert.equal(parseTime('--start-time', '0m', NOW), NOW);
});

test('ISO 8601: date, minutes, seconds, fractions, Z and offsets; no offset is UTC', () => {
  assert.equal(parseTime('--end-time', '2026-01-01', NOW), Date.UTC(2026, 0, 1));
  assert.equal(parseTime('--end-time', '2026-01-01T12:34', NOW), Date.UTC(2026, 0, 1, 12, 34));
  assert.equal(parseTime('--end-time', '2026-01-01T12:34:56Z', NOW), Date.UTC(2026, 0, 1, 12, 34, 56));
  assert.equal(parseTime('--end-time', '2026-01-01 12:34:56', NOW), Date.UTC(2026, 0, 1, 12, 34, 56));
  assert.equal(parseTime('--end-time', '2026-01-01T12:34:56.7Z', NOW), Date.UTC(2026, 0, 1, 12, 34, 56, 700));
  assert.equal(parseTime('--end-time', '2026-01-01T12:34:56.123456789Z', NOW), Date.UTC(2026, 0, 1, 12, 34, 56, 123));
  assert.equal(parseTime('--end-time', '2026-01-01T12:00:00+02:00', NOW), Date.UTC(2026, 0, 1, 10));
  assert.equal(parseTime('--end-time', '2026-01-01T12:00:00-0530', NOW), Date.UTC(2026, 0, 1, 17, 30));
  assert.equal(parseTime('--end-time', '2024-02-29T00:00:00Z', NOW), Date.UTC(2024, 1, 29));
  // What the CLI prints (toISOString) reads back as the same instant.
  assert.equal(parseTime('--end-time', new Date(NOW).toISOString(), NOW), NOW);
});

test('mistakes are refused with what is wrong', () => {
  refused('10x', /unknown unit 'x' \(durations take s, m, h, d or w/);
  refused('10min', /unknown unit 'min'/);
  refused('-10m', /without a sign: write 10m/);
  refused('1767225600', /looks like seconds since the epoch; times are in milliseconds \(1767225600000\)/);
  refused('15', /a bare number is ms since the epoch .*add a unit: 15m/);
  refused('99999999999999999', /beyond the largest time/);
  refused('2026-13-01', /month 13 is not 01–12/);
  refused('2026-02-29', /day 29 is not in 2026-02 \(01–28\)/);
  refused('2026-04-31T00:00Z', /day 31 is not in 2026-04 \(01–30\)/);
  refused('2026-01-01T24:00:00Z', /hour 24 is not 00–23/);
  refused('2026-01-01T12:60Z', /minute 60 is not 00–59/);
  refused('2026-01-01T12:00:61Z', /second 61 is not 00–59/);
  refused('2026-01-01T12:00:00+25:00', /offset \+25:00/);
  refused('2026-1-1', /not ISO 8601: expected YYYY-MM-DD/);
  refused('2026-01-01Z', /not ISO 8601/);
  refused('1969-12-31T23:59:59Z', /before 1970/);
  refused('100000000000000d', /before 1970/);
  refused('yesterday', /expected ms since the epoch, ISO 8601 .* 'now', or a duration before now/);
  refused('', /give ms since the epoch/);
});

test('a range is read against one instant and must not run backwards', () => {
  assert.deepEqual(parseTimeRange({ option: '--start', text: '1h' }, { option: '--end', text: 'now' }, NOW), { start: NOW - 3_600_000, end: NOW });
  assert.deepEqual(parseTimeRange({ option: '--start-time', text: undefined }, { option: '--end-time', text: '5m' }, NOW), { end: NOW - 300_000 });
  assert.throws(() => parseTimeRange({ option: '--start', text: 'now' }, { option: '--end', text: '1h' }, NOW),
    /--start \(2026-05-17T12:30:15.250Z\) is after --end \(2026-05-17T11:30:15.250Z\)/);
});
