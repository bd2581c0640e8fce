// Metric filter definitions: PutMetricFilter's validation (AWS's limits, codes and wording) and the
// compiled form that turns one log event into a metric sample (value + dimensions) or nothing.

import { VpcflowError, describeValue } from '../platform/errors.ts';
import { MAX_FILTER_PATTERN_LENGTH, isJsonEvent, parseFilterPattern, parseJsonEvent, splitDelimitedFields, type FilterPattern } from '../destinations/logstore/filter-pattern.ts';

/** An invalid metric filter request or a missing filter; `code` is the CloudWatch Logs error type. */
export class MetricFilterError extends VpcflowError {}

export const MAX_METRIC_FILTERS_PER_GROUP = 100;
export const MAX_DIMENSIONS = 3;
export const STANDARD_UNITS = [
  'Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes', 'Bits', 'Kilobits', 'Megabits', 'Gigabits',
  'Terabits', 'Percent', 'Count', 'Bytes/Second', 'Kilobytes/Second', 'Megabytes/Second', 'Gigabytes/Second', 'Terabytes/Second', 'Bits/Second',
  'Kilobits/Second', 'Megabits/Second', 'Gigabits/Second', 'Terabits/Second', 'Count/Second', 'None',
] as const;
export type StandardUnit = (typeof STANDARD_UNITS)[number];

export interface MetricTransformation {
  metricName: string;
  metricNamespace: string;
  metricValue: string;
  defaultValue?: number;
  dimensions?: Record<string, string>;
  unit?: StandardUnit;
}

export interface MetricFilterDefinition {
  logGroupName: string;
  filterName: string;
  filterPattern: string;
  metricTransformations: [MetricTransformation];
}

/** What a matching event contributes to a metric. */
export interface MetricSample {
  value: number;
  /** Dimension name → value, empty for a metric without dimensions. */
  dimensions: Record<string, string>;
}

export interface CompiledMetricFilter {
  readonly definition: MetricFilterDefinition;
  readonly pattern: FilterPattern;
  /**
   * The sample one event gives: `null` when the pattern does not match; `'unusable'` when it matches
   * but the value is not a number or a dimension field is absent (AWS publishes nothing for it).
   */
  evaluate(message: string): MetricSample | null | 'unusable';
}

const GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;
const FILTER_NAME = /^[^:*]{1,512}$/;
const METRIC_NAME = /^[^:*$]{0,255}$/;
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
// `$bytes`, `$3` (space-delimited) or `$.a.b[0]` (JSON).
const DELIMITED_REF = /^\$([A-Za-z0-9_]+)$/;
const JSON_REF = /^\$((?:\.[A-Za-z0-9_-]+|\[\d+\])+)$/;

const invalid = (message: string): MetricFilterError => new MetricFilterError('InvalidParameterException', message);
const constraint = (value: unknown, at: string, rule: string): MetricFilterError =>
  invalid(`1 validation error detected: Value '${typeof value === 'string' ? value : describeValue(value)}' at '${at}' failed to satisfy constraint: ${rule}`);
const notNull = (at: string): MetricFilterError => invalid(`1 validation error detected: Value null at '${at}' failed to satisfy constraint: Member must not be null`);
const serialization = (at: string, want: string, got: unknown): MetricFilterError =>
  new MetricFilterError('SerializationException', `'${at}' must be ${want}, got ${describeValue(got)}`);

function requireString(v: unknown, at: string): string {
  if (v === undefined || v === null) throw notNull(at);
  if (typeof v !== 'string') throw serialization(at, 'a string', v);
  return v;
}

export function validateFilterName(v: unknown, at = 'filterName'): string {
  const name = requireString(v, at);
  if (!FILTER_NAME.test(name)) throw constraint(name, at, 'Member must satisfy regular expression pattern: [^:*]* and have length 1-512');
  return name;
}

export function validateGroupName(v: unknown, at = 'logGroupName'): string {
  const name = requireString(v, at);
  if (!GROUP_NAME.test(name)) throw constraint(name, at, 'Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+ and have length 1-512');
  return name;
}

export function validateMetricName(v: unknown, at: string): string {
  const name = requireString(v, at);
  if (!METRIC_NAME.test(name)) throw constraint(name, at, 'Member must satisfy regular expression pattern: [^:*$]* and have length less than or equal to 255');
  return name;
}

/** A filter pattern as PutMetricFilter/TestMetricFilter take it: ≤1024 characters, and it must parse. */
export function compilePattern(v: unknown, at = 'filterPattern'): FilterPattern {
  const text = requireString(v, at);
  if (text.length > MAX_FILTER_PATTERN_LENGTH) throw constraint(`${text.slice(0, 40)}…`, at, `Member must have length less than or equal to ${MAX_FILTER_PATTERN_LENGTH}`);
  // FilterPatternError already carries code InvalidParameterException and the parser's position.
  return parseFilterPattern(text);
}

/** One position of a space-delimited pattern: `...`, or a field (named or left empty). */
export type DelimitedSlot = { kind: 'ellipsis' } | { kind: 'field'; name?: string };

/**
 * The slots of a space-delimited pattern, read from its text once the parser has accepted it (so
 * slots are well formed): each slot's name is its leading identifier.
 */
export function delimitedSlots(pattern: string): DelimitedSlot[] {
  const slots: DelimitedSlot[] = [];
  const open = pattern.indexOf('[');
  const close = pattern.lastIndexOf(']');
  if (open < 0 || close < open) return slots;
  const body = pattern.slice(open + 1, close);
  let current: DelimitedSlot | undefined;
  let slotStart = true;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '"') {
      // Skip a quoted value (with \" and \\ escapes) so commas inside it do not end the slot.
      for (i++; i < body.length && body[i] !== '"'; i++) if (body[i] === '\\') i++;
      continue;
    }
    if (c === '%') {
      const end = body.indexOf('%', i + 1);
      i = end < 0 ? body.length : end;
      continue;
    }
    if (c === ',') {
      slots.push(current ?? { kind: 'field' });
      current = undefined;
      slotStart = true;
      continue;
    }
    if (slotStart && body.startsWith('...', i)) {
      current = { kind: 'ellipsis' };
      i += 2;
      slotStart = false;
      continue;
    }
    if (slotStart && /[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(body.slice(i))!;
      current = { kind: 'field', name: m[0] };
      i += m[0].length - 1;
      slotStart = false;
      continue;
    }
    if (c !== ' ' && c !== '\t') slotStart = false;
  }
  slots.push(current ?? { kind: 'field' });
  return slots;
}

/** The `$name` fields a space-delimited pattern declares. */
export function delimitedFieldNames(pattern: string): Set<string> {
  const names = new Set<string>();
  for (const s of delimitedSlots(pattern)) if (s.kind === 'field' && s.name !== undefined) names.add(s.name);
  return names;
}

/** Checks that a `$…` reference (metric value or dimension) can be filled by events the pattern matches. */
function checkFieldReference(ref: string, pattern: FilterPattern, at: string, what: string): void {
  if (pattern.kind === 'json') {
    if (!JSON_REF.test(ref)) throw invalid(`Invalid ${what} '${ref}' at '${at}': a JSON filter pattern takes a selector such as $.bytes`);
    return;
  }
  if (pattern.kind !== 'delimited') {
    throw invalid(what === 'metric value'
      ? `Invalid metric value '${ref}' at '${at}': the filter pattern extracts no fields (only space-delimited [..] and JSON {..} patterns do); use a number such as 1`
      : 'The specified filter pattern does not support dimensions');
  }
  const m = DELIMITED_REF.exec(ref);
  if (!m) throw invalid(`Invalid ${what} '${ref}' at '${at}': a space-delimited filter pattern takes $name (a field of the pattern) or $N (the field's position)`);
  const name = m[1]!;
  if (/^\d+$/.test(name)) {
    if (Number(name) < 1) throw invalid(`Invalid ${what} '${ref}' at '${at}': field positions start at $1`);
    return;
  }
  const declared = delimitedFieldNames(pattern.source);
  if (!declared.has(name)) {
    throw invalid(`Invalid ${what} '${ref}' at '${at}': '${name}' is not a field of the filter pattern (fields: ${[...declared].join(', ') || 'none'})`);
  }
}

function parseTransformation(raw: unknown, pattern: FilterPattern): MetricTransformation {
  const at = 'metricTransformations.1.member';
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw serialization(at, 'an object', raw);
  const t = raw as Record<string, unknown>;
  const metricName = validateMetricName(t.metricName, `${at}.metricName`);
  const metricNamespace = validateMetricName(t.metricNamespace, `${at}.metricNamespace`);
  const metricValue = requireString(t.metricValue, `${at}.metricValue`);
  if (metricValue.length > 100) throw constraint(metricValue, `${at}.metricValue`, 'Member must have length less than or equal to 100');
  if (!NUMBER.test(metricValue)) {
    if (!metricValue.startsWith('$')) throw invalid(`Invalid metric value '${metricValue}' at '${at}.metricValue': use a number (e.g. 1) or a field reference ($bytes, $.latency)`);
    checkFieldReference(metricValue, pattern, `${at}.metricValue`, 'metric value');
  }
  const out: MetricTransformation = { metricName, metricNamespace, metricValue };
  if (t.defaultValue !== undefined && t.defaultValue !== null) {
    if (typeof t.defaultValue !== 'number' || !Number.isFinite(t.defaultValue)) throw serialization(`${at}.defaultValue`, 'a number', t.defaultValue);
    out.defaultValue = t.defaultValue;
  }
  if (t.unit !== undefined && t.unit !== null) {
    if (typeof t.unit !== 'string' || !(STANDARD_UNITS as readonly string[]).includes(t.unit)) {
      throw constraint(t.unit, `${at}.unit`, `Member must satisfy enum value set: [${STANDARD_UNITS.join(', ')}]`);
    }
    out.unit = t.unit as StandardUnit;
  }
  if (t.dimensions !== undefined && t.dimensions !== null) {
    if (typeof t.dimensions !== 'object' || Array.isArray(t.dimensions)) throw serialization(`${at}.dimensions`, 'a map of name to field', t.dimensions);
    const entries = Object.entries(t.dimensions as Record<string, unknown>);
    if (entries.length > 0) {
      if (entries.length > MAX_DIMENSIONS) throw invalid(`Invalid metric transformation: a metric filter can have at most ${MAX_DIMENSIONS} dimensions, got ${entries.length}`);
      if (out.defaultValue !== undefined) throw invalid('Invalid metric transformation: dimensions and default value are mutually exclusive properties');
      const dims: Record<string, string> = {};
      for (const [key, value] of entries) {
        const where = `${at}.dimensions.${key}`;
        if (key.length < 1 || key.length > 255 || key.trim() === '' || key.startsWith(':') || /[^\x20-\x7e]/.test(key)) {
          throw constraint(key, `${at}.dimensions`, 'Member must have a dimension name of 1-255 printable ASCII characters, not starting with a colon');
        }
        const ref = requireString(value, where);
        if (ref.length > 255) throw constraint(ref, where, 'Member must have length less than or equal to 255');
        if (!ref.startsWith('$')) throw invalid(`Invalid dimension value '${ref}' at '${where}': dimension values must be fields of the event ($name or $.selector)`);
        checkFieldReference(ref, pattern, where, 'dimension value');
        dims[key] = ref;
      }
      out.dimensions = dims;
    }
  }
  return out;
}

/** Validates a PutMetricFilter request body (lower-camel members, as the JSON protocol sends them). */
export function parsePutMetricFilter(body: Record<string, unknown>): MetricFilterDefinition {
  const logGroupName = validateGroupName(body.logGroupName);
  const filterName = validateFilterName(body.filterName);
  const pattern = compilePattern(body.filterPattern);
  const list = body.metricTransformations;
  if (list === undefined || list === null) throw notNull('metricTransformations');
  if (!Array.isArray(list)) throw serialization('metricTransformations', 'a list', list);
  if (list.length !== 1) {
    throw constraint(`[${list.length} items]`, 'metricTransformations', `Member must have length ${list.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 1'}`);
  }
  return { logGroupName, filterName, filterPattern: pattern.source, metricTransformations: [parseTransformation(list[0], pattern)] };
}

// ---------------------------------------------------------------------------------------------
// Evaluation

type JsonSegment = string | number;

function jsonPath(ref: string): JsonSegment[] {
  const out: JsonSegment[] = [];
  for (const m of ref.slice(1).matchAll(/\.([A-Za-z0-9_-]+)|\[(\d+)\]/g)) out.push(m[1] !== undefined ? m[1] : Number(m[2]));
  return out;
}

function resolveJson(doc: unknown, path: readonly JsonSegment[]): string | undefined {
  let cur: unknown = doc;
  for (const seg of path) {
    if (typeof seg === 'number') {
      if (!Array.isArray(cur) || seg >= cur.length) return undefined;
      cur = cur[seg];
    } else {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, seg)) return undefined;
      cur = (cur as Record<string, unknown>)[seg];
    }
  }
  if (typeof cur === 'string') return cur;
  if (typeof cur === 'number' || typeof cur === 'boolean') return String(cur);
  return undefined;
}

/** Reads one `$…` reference from an event the pattern matched (from `extract`'s record, or the JSON document). */
type FieldReader = (fields: Record<string, string>, message: string, json: { doc?: unknown }) => string | undefined;

function fieldReader(ref: string, pattern: FilterPattern): FieldReader {
  if (pattern.kind === 'json') {
    const path = jsonPath(ref);
    return (_f, message, json) => {
      // Parsed once per event for all references, with the same bounds the pattern applies.
      if (!('doc' in json)) json.doc = parseJsonEvent(message);
      return isJsonEvent(json.doc) ? resolveJson(json.doc, path) : undefined;
    };
  }
  return (fields) => fields[ref];
}

/**
 * For a space-delimited pattern: where each `$ref` sits in an event's fields (named fields after the
 * `...` count from the end, `$N` from the start), so a matching event needs one split and a few
 * lookups instead of the full `extract` record.
 */
function delimitedPosition(ref: string, slots: readonly DelimitedSlot[]): ((n: number) => number) | undefined {
  const name = ref.slice(1);
  if (/^\d+$/.test(name)) return () => Number(name) - 1;
  const ellipsisAt = slots.findIndex((s) => s.kind === 'ellipsis');
  const fields = slots.filter((s): s is Extract<DelimitedSlot, { kind: 'field' }> => s.kind === 'field');
  const headLen = ellipsisAt < 0 ? fields.length : ellipsisAt;
  const tailLen = fields.length - headLen;
  const k = fields.findIndex((s) => s.name === name);
  if (k < 0) return undefined;
  return k < headLen ? () => k : (n) => n - tailLen + (k - headLen);
}

export function compileMetricFilter(definition: MetricFilterDefinition): CompiledMetricFilter {
  const pattern = parseFilterPattern(definition.filterPattern);
  const t = definition.metricTransformations[0];
  const constant = NUMBER.test(t.metricValue) ? Number(t.metricValue) : undefined;
  const refs = [...(constant === undefined ? [t.metricValue] : []), ...Object.values(t.dimensions ?? {})];
  const dimNames = Object.keys(t.dimensions ?? {});
  let read: (message: string) => (string | undefined)[] | null;
  if (refs.length === 0) {
    read = (m) => (pattern.matches(m) ? [] : null);
  } else if (pattern.kind === 'delimited') {
    const slots = delimitedSlots(pattern.source);
    const positions = refs.map((r) => delimitedPosition(r, slots));
    if (positions.every((p) => p !== undefined)) {
      read = (m) => {
        if (!pattern.matches(m)) return null;
        const fields = splitDelimitedFields(m);
        return positions.map((p) => fields[p!(fields.length)]);
      };
    } else {
      const readers = refs.map((r) => fieldReader(r, pattern));
      read = (m) => {
        const fields = pattern.extract(m);
        return fields === null ? null : readers.map((r) => r(fields, m, {}));
      };
    }
  } else {
    const readers = refs.map((r) => fieldReader(r, pattern));
    read = (m) => {
      const fields = pattern.extract(m);
      if (fields === null) return null;
      const json: { doc?: unknown } = {};
      return readers.map((r) => r(fields, m, json));
    };
  }
  return {
    definition,
    pattern,
    evaluate(message) {
      const values = read(message);
      if (values === null) return null;
      let value = constant;
      let next = 0;
      if (value === undefined) {
        const text = values[next++];
        if (text === undefined || !NUMBER.test(text)) return 'unusable';
        value = Number(text);
      }
      const dimensions: Record<string, string> = {};
      for (const name of dimNames) {
        const v = values[next++];
        if (v === undefined || v === '') return 'unusable';
        dimensions[name] = v;
      }
      return { value, dimensions };
    },
  };
}

export interface TestMetricFilterMatch {
  eventNumber: number;
  eventMessage: string;
  extractedValues: Record<string, string>;
}

/** TestMetricFilter: which of up to 50 messages the pattern matches, with the values it extracts. */
export function testMetricFilter(filterPattern: unknown, logEventMessages: unknown): { matches: TestMetricFilterMatch[] } {
  const pattern = compilePattern(filterPattern);
  if (logEventMessages === undefined || logEventMessages === null) throw notNull('logEventMessages');
  if (!Array.isArray(logEventMessages) || logEventMessages.some((m) => typeof m !== 'string')) throw serialization('logEventMessages', 'a list of strings', logEventMessages);
  if (logEventMessages.length < 1 || logEventMessages.length > 50) {
    throw constraint(`[${logEventMessages.length} items]`, 'logEventMessages', 'Member must have length less than or equal to 50 and greater than or equal to 1');
  }
  const matches: TestMetricFilterMatch[] = [];
  (logEventMessages as string[]).forEach((message, i) => {
    if (message.length < 1) throw constraint(message, `logEventMessages.${i + 1}.member`, 'Member must have length greater than or equal to 1');
    const extracted = pattern.extract(message);
    // Assumption: events are numbered from 1 in the order given (AWS's reference does not say).
    if (extracted !== null) matches.push({ eventNumber: i + 1, eventMessage: message, extractedValues: extracted });
  });
  return { matches };
}
