// Prints results as json (the aws CLI's default shape), text (the aws CLI's tab-separated text
// output) or table (sized to the terminal, times as ISO 8601).

export type OutputFormat = 'json' | 'text' | 'table';

export function parseOutput(v: string): OutputFormat {
  if (v === 'json' || v === 'text' || v === 'table') return v;
  throw new Error(`--output must be json, text or table, got '${v}'`);
}

/** Width tables are fitted to: the terminal's, else (piped, redirected) 120 columns. */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  return stream.isTTY && stream.columns && stream.columns > 0 ? stream.columns : 120;
}

export function printRows(rows: readonly Record<string, unknown>[], format: OutputFormat, columns?: readonly string[]): void {
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  if (format === 'json') process.stdout.write(JSON.stringify(rows, null, 4) + '\n');
  else if (format === 'text') process.stdout.write(rows.map((r) => cols.map((c) => rowCell(r[c])).join('\t') + '\n').join(''));
  else process.stdout.write(renderTable(rows, cols, terminalWidth()));
}

export function printObject(obj: unknown, format: OutputFormat): void {
  if (format === 'json') process.stdout.write(JSON.stringify(obj, null, 4) + '\n');
  else if (format === 'text') process.stdout.write(formatText(obj));
  else {
    // A table of a single object: its first list of objects as rows, like the aws CLI's main table;
    // a one-member wrapper ({"Network": {...}}) is looked through first.
    let o = obj as Record<string, unknown>;
    for (let depth = 0; depth < 4 && isObject(o) && Object.keys(o).length === 1 && isObject(Object.values(o)[0]); depth++) {
      o = Object.values(o)[0] as Record<string, unknown>;
    }
    const list = isObject(o) ? (Object.values(o).find(Array.isArray) as unknown[] | undefined) : undefined;
    if (list && list.every(isObject)) printRows(list as Record<string, unknown>[], format);
    else printRows([o], format);
  }
}

/** A value in a text row of chosen columns: empty when absent, never a tab or newline inside. */
function rowCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  return (typeof v === 'object' ? JSON.stringify(v) : String(v)).replace(/[\t\n\r]/g, ' ');
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---- table ----------------------------------------------------------------------------------

/** Columns whose epoch-millisecond numbers a table shows as ISO 8601 (CreationTime, timestamp, LastUsedAt, ...). */
const TIME_COLUMN = /(?:Time|time|Timestamp|timestamp|At)$/;
// Below 1e11 ms (1973) a number in such a column is more likely a count or seconds than a time.
// SQL results (vpcflow query) carry BIGINT columns as digit strings.
function epochMs(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{12,16}$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 1e11 && n <= 8.64e15 ? n : undefined;
}

export function tableCell(column: string, v: unknown): string {
  if (v === null || v === undefined) return '';
  const ms = TIME_COLUMN.test(column) ? epochMs(v) : undefined;
  if (ms !== undefined) return new Date(ms).toISOString();
  if (typeof v === 'object') return JSON.stringify(v);
  // One line per row: a newline or tab inside a value would break the box.
  return String(v).replace(/[\t\n\r]/g, ' ');
}

const MIN_COLUMN = 3;

/**
 * A boxed table no wider than `width`: columns too wide for it are cut to a common width (narrow
 * ones keep theirs) and their cut values end in '…'. Below MIN_COLUMN per column it cannot shrink.
 */
export function renderTable(rows: readonly Record<string, unknown>[], cols: readonly string[], width: number): string {
  const cells = rows.map((r) => cols.map((c) => tableCell(c, r[c])));
  const natural = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const widths = fitWidths(natural, Math.max(0, width - (3 * cols.length + 1)));
  const fit = (v: string, w: number) => (v.length > w ? v.slice(0, Math.max(0, w - 1)) + '…' : v.padEnd(w));
  const line = (vals: readonly string[]) => '| ' + vals.map((v, i) => fit(v, widths[i]!)).join(' | ') + ' |';
  const sep = '+' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+';
  return [sep, line(cols), sep, ...cells.map(line), sep].join('\n') + '\n';
}

/** Widths within `budget`: the largest common cap C with sum(min(w, C)) <= budget (C >= MIN_COLUMN). */
function fitWidths(natural: readonly number[], budget: number): number[] {
  const sum = natural.reduce((a, b) => a + b, 0);
  if (sum <= budget) return [...natural];
  let lo = MIN_COLUMN;
  let hi = Math.max(MIN_COLUMN, ...natural);
  const used = (cap: number) => natural.reduce((a, w) => a + Math.min(w, cap), 0);
  // Binary search over the cap: about log2(longest cell) steps.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (used(mid) <= budget) lo = mid;
    else hi = mid - 1;
  }
  // What the common cap leaves over goes, a column each, to the columns that were cut.
  let left = budget - used(lo);
  return natural.map((w) => {
    if (w <= lo) return w;
    const extra = left > 0 && w > lo ? 1 : 0;
    left -= extra;
    return lo + extra;
  });
}

// ---- text: the aws CLI's --output text ----------------------------------------------------------
// Each object's scalars on one tab-separated line (keys sorted; in a list, the union of the list's
// scalar keys so columns line up), nested values after it on lines of their own starting with their
// key in capitals; lists of scalars one per line after that key. null reads None, booleans True/False,
// a key absent from one member of a list is empty: as awscli/text.py prints them.

export function formatText(value: unknown): string {
  const out: string[] = [];
  textValue(value, undefined, undefined, out, 0);
  return out.join('');
}

const MAX_DEPTH = 64;

function textValue(item: unknown, identifier: string | undefined, scalarKeys: readonly string[] | undefined, out: string[], depth: number): void {
  if (depth > MAX_DEPTH) throw new Error('the response nests deeper than 64 levels');
  if (Array.isArray(item)) textList(item, identifier, out, depth);
  else if (isObject(item)) textDict(item, identifier, scalarKeys, out, depth);
  else out.push(textCell(item) + '\n');
}

function textList(items: readonly unknown[], identifier: string | undefined, out: string[], depth: number): void {
  if (!items.length) return;
  if (items.some(isObject)) {
    const keys = [...new Set(items.flatMap((x) => (isObject(x) ? Object.keys(x).filter((k) => !isNested(x[k])) : [])))].sort();
    for (const x of items) textValue(x, identifier, keys, out, depth + 1);
  } else if (items.some(Array.isArray)) {
    const scalars = items.filter((x) => !Array.isArray(x));
    if (scalars.length) textScalars(scalars, identifier, out);
    for (const x of items) if (Array.isArray(x)) textValue(x, identifier, undefined, out, depth + 1);
  } else textScalars(items, identifier, out);
}

function textScalars(items: readonly unknown[], identifier: string | undefined, out: string[]): void {
  if (identifier !== undefined) for (const x of items) out.push(`${identifier.toUpperCase()}\t${textCell(x)}\n`);
  else out.push(items.map(textCell).join('\t') + '\n');
}

function textDict(o: Record<string, unknown>, identifier: string | undefined, scalarKeys: readonly string[] | undefined, out: string[], depth: number): void {
  const keys = Object.keys(o).sort();
  const scalars = scalarKeys ? scalarKeys.map((k) => (Object.hasOwn(o, k) ? textCell(o[k]) : '')) : keys.filter((k) => !isNested(o[k])).map((k) => textCell(o[k]));
  const nested = scalarKeys ? keys.filter((k) => !scalarKeys.includes(k)) : keys.filter((k) => isNested(o[k]));
  if (scalars.length) out.push((identifier !== undefined ? [identifier.toUpperCase(), ...scalars] : scalars).join('\t') + '\n');
  for (const k of nested) textValue(o[k], k, undefined, out, depth + 1);
}

const isNested = (v: unknown): boolean => typeof v === 'object' && v !== null;

function textCell(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
