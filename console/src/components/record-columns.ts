// A flow log record in CloudWatch Logs is one line of space-separated values in its flow log's
// format (`${version} ${account-id} …`). These helpers name the columns of a table of such lines:
// from the format of the flow log(s) delivering to the group, or "field 1…n" when none is known.
// Pure functions, no DOM: the events table and the live tail share them.

/** AWS's default format (record version 2), used when a flow log's LogFormat is the default. */
export const DEFAULT_FORMAT_FIELDS: readonly string[] = [
  'version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol',
  'packets', 'bytes', 'start', 'end', 'action', 'log-status',
];

/** A record has at most this many fields (AWS defines 54); longer lines are not split further. */
export const MAX_FIELDS = 128;
/** A format text longer than this is not a flow log format (AWS caps LogFormat well below it). */
const MAX_FORMAT_LENGTH = 8192;
const FIELD_TOKEN = /^\$\{([a-z0-9-]{1,64})\}$/;

/**
 * The field names of a flow log's LogFormat (`${a} ${b} …`), the default fields for an empty one,
 * or null when the text is not a format (so the caller falls back to numbered fields).
 */
export function fieldsOfFormat(format: string | undefined | null): string[] | null {
  if (format === undefined || format === null || format.trim() === '') return [...DEFAULT_FORMAT_FIELDS];
  if (format.length > MAX_FORMAT_LENGTH) return null;
  const tokens = format.trim().split(/\s+/);
  if (tokens.length > MAX_FIELDS) return null;
  const names: string[] = [];
  for (const t of tokens) {
    const m = FIELD_TOKEN.exec(t);
    if (!m) return null;
    names.push(m[1]!);
  }
  return names;
}

/**
 * A message's fields: runs of spaces (or tabs) separate them, as CloudWatch's space-delimited
 * filter patterns read them. At most MAX_FIELDS + 1 values; the last holds the rest of a longer line.
 */
export function splitMessage(message: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = message.length;
  while (i < n) {
    while (i < n && (message[i] === ' ' || message[i] === '\t')) i++;
    if (i >= n) break;
    if (out.length === MAX_FIELDS) {
      out.push(message.slice(i).trimEnd());
      break;
    }
    const start = i;
    while (i < n && message[i] !== ' ' && message[i] !== '\t') i++;
    out.push(message.slice(start, i));
  }
  return out;
}

export interface RecordColumns {
  /** Column headers, in order. */
  readonly names: readonly string[];
  /** True when the names come from a flow log's format, false for "field 1…n". */
  readonly fromFormat: boolean;
  /**
   * The cells of a message under these columns, or null when it does not fit them (a line with
   * another number of fields than the format: shown whole rather than under the wrong headers).
   */
  cells(message: string): string[] | null;
}

/**
 * Columns for a set of messages. `formats` are the field lists of the flow logs delivering to the
 * group; several flow logs with different formats can share one group, so the format that fits
 * the most of `sample` (by field count) names the columns, ties going to the first listed.
 */
export function recordColumns(formats: readonly (readonly string[])[], sample: readonly string[]): RecordColumns {
  const counts = sample.map((m) => splitMessage(m).length);
  let best: readonly string[] | null = null;
  let bestFits = 0;
  for (const f of formats) {
    const fits = counts.filter((c) => c === f.length).length;
    if (fits > bestFits) {
      best = f;
      bestFits = fits;
    }
  }
  // No message yet (a live tail that just opened): the first format still names the columns.
  if (!best && sample.length === 0 && formats.length > 0) best = formats[0]!;
  if (best) {
    const names = best;
    return {
      names, fromFormat: true,
      cells: (m) => {
        const v = splitMessage(m);
        return v.length === names.length ? v : null;
      },
    };
  }
  const width = Math.min(MAX_FIELDS + 1, Math.max(1, ...counts));
  const names = Array.from({ length: width }, (_, i) => `field ${i + 1}`);
  return {
    names, fromFormat: false,
    cells: (m) => {
      const v = splitMessage(m);
      while (v.length < width) v.push('');
      return v;
    },
  };
}

/** The CSS class of a cell: ACCEPT/REJECT coloured (styles.css's accept/reject), else none. */
export function cellClass(name: string, value: string): string | undefined {
  if (value === 'ACCEPT') return 'accept';
  if (value === 'REJECT') return 'reject';
  if (name === 'log-status' && (value === 'NODATA' || value === 'SKIPDATA')) return 'status-muted';
  return undefined;
}

/** Fields that hold Unix seconds: their cells get the time as a tooltip. */
export const TIME_FIELDS: ReadonlySet<string> = new Set(['start', 'end']);

/** Fields whose values are numbers, right-aligned in tables. */
export const NUMERIC_FIELDS: ReadonlySet<string> = new Set([
  'version', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'tcp-flags', 'traffic-path',
]);

/** The position a server's filter pattern error names (`… (at position N: …)`), or undefined. */
export function errorPosition(message: string): { position: number; detail: string } | undefined {
  const m = /\(at position (\d{1,7}): ([^]{0,2000})\)$/.exec(message);
  if (!m) return undefined;
  return { position: Number(m[1]), detail: m[2]! };
}
