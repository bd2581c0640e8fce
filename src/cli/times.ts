// The one parser of every time option (--start-time, --end-time, --since, --start, --end): epoch
// milliseconds, ISO 8601, `now` and durations before now. One parser so every option takes the same
// forms and refuses the same mistakes with the same words.

import { CliError, EXIT } from './client.ts';

const UNIT_MS = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 } as const;
/** The largest time a JavaScript Date holds (ms since the epoch). */
const MAX_MS = 8.64e15;

/** What the options' help says they take. */
export const TIME_FORMS = "ms since the epoch, ISO 8601 (2026-01-01T12:00:00Z; no offset means UTC), 'now', or a duration before now (30s, 10m, 2h, 1d, 1w)";

// Fixed-width fields, no nested quantifiers: linear in the input.
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * A time option's value as ms since the epoch. `now` is passed in so that the start and end of one
 * command are relative to the same instant.
 */
export function parseTime(option: string, text: string, now = Date.now()): number {
  const fail = (why: string): never => {
    throw new CliError(`${option}: '${text}' is not a time: ${why}`, EXIT.usage);
  };
  if (text === 'now') return now;
  if (text === '') fail(`give ${TIME_FORMS}`);

  const ago = /^(\d+)([a-zA-Z]+)$/.exec(text);
  if (ago) {
    const unit = UNIT_MS[ago[2] as keyof typeof UNIT_MS];
    if (unit === undefined) fail(`unknown unit '${ago[2]}' (durations take s, m, h, d or w, e.g. 10m)`);
    const t = now - Number(ago[1]) * unit;
    if (!Number.isSafeInteger(t) || t < 0) fail('that duration reaches back before 1970');
    return t;
  }
  if (/^-\d+[a-zA-Z]*$/.test(text)) fail(`durations count back from now without a sign: write ${text.slice(1)}`);

  if (/^\d+$/.test(text)) {
    if (text.length > 16 || Number(text) > MAX_MS) fail('beyond the largest time (8640000000000000 ms)');
    // 9–11 digits is what seconds since the epoch look like today; as ms it would be 1970–1973.
    if (text.length >= 9 && text.length <= 11) fail(`looks like seconds since the epoch; times are in milliseconds (${text}000)`);
    if (text.length < 9 && Number(text) !== 0) fail(`a bare number is ms since the epoch (13 digits today, e.g. ${Math.floor(now / 1000) * 1000}); for a duration add a unit: ${text}m`);
    return Number(text);
  }

  if (/^\d{4}-/.test(text)) return parseIso(text, fail);
  return fail(`expected ${TIME_FORMS}`);
}

function parseIso(text: string, fail: (why: string) => never): number {
  const m = ISO.exec(text);
  if (!m) fail('not ISO 8601: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS[.sss]] with an optional Z or ±HH:MM');
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m as unknown as string[];
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12) fail(`month ${mo} is not 01–12`);
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > days) fail(`day ${d} is not in ${y}-${mo} (01–${days})`);
  if (hour > 23) fail(`hour ${h} is not 00–23`);
  if (minute > 59) fail(`minute ${mi} is not 00–59`);
  if (second > 59) fail(`second ${s} is not 00–59`);
  let offsetMinutes = 0;
  if (zone && zone !== 'Z' && zone !== 'z') {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    const oh = Number(z[2]);
    const om = Number(z[3]);
    if (oh > 23 || om > 59) fail(`offset ${zone} is not ±00:00–±23:59`);
    offsetMinutes = (z[1] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = Number((frac + '000').slice(0, 3));
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear keeps the year as written.
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, ms));
  date.setUTCFullYear(year);
  const t = date.getTime() - offsetMinutes * 60e3;
  if (t < 0) fail('before 1970-01-01T00:00:00Z');
  return t;
}

/** Start and end of one command, both relative to the same instant. */
export function parseTimeRange(start: { option: string; text?: string }, end: { option: string; text?: string }, now = Date.now()): { start?: number; end?: number } {
  const s = start.text === undefined ? undefined : parseTime(start.option, start.text, now);
  const e = end.text === undefined ? undefined : parseTime(end.option, end.text, now);
  if (s !== undefined && e !== undefined && s > e) {
    throw new CliError(`${start.option} (${new Date(s).toISOString()}) is after ${end.option} (${new Date(e).toISOString()})`, EXIT.usage);
  }
  return { ...(s !== undefined ? { start: s } : {}), ...(e !== undefined ? { end: e } : {}) };
}
