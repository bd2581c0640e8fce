// Prints results as json (the aws CLI's default shape), text (tab-separated) or table.

export type OutputFormat = 'json' | 'text' | 'table';

export function parseOutput(v: string): OutputFormat {
  if (v === 'json' || v === 'text' || v === 'table') return v;
  throw new Error(`--output must be json, text or table, got '${v}'`);
}

export function printRows(rows: readonly Record<string, unknown>[], format: OutputFormat, columns?: readonly string[]): void {
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  if (format === 'json') {
    process.stdout.write(JSON.stringify(rows, null, 4) + '\n');
  } else if (format === 'text') {
    for (const r of rows) process.stdout.write(cols.map((c) => cell(r[c])).join('\t') + '\n');
  } else {
    const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
    const line = (vals: string[]) => '| ' + vals.map((v, i) => v.padEnd(widths[i]!)).join(' | ') + ' |';
    const sep = '+' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+';
    process.stdout.write([sep, line([...cols]), sep, ...rows.map((r) => line(cols.map((c) => cell(r[c])))), sep].join('\n') + '\n');
  }
}

export function printObject(obj: unknown, format: OutputFormat): void {
  if (format === 'json') {
    process.stdout.write(JSON.stringify(obj, null, 4) + '\n');
    return;
  }
  // text/table of a single object: show its first array member as rows, like the aws CLI does.
  const o = obj as Record<string, unknown>;
  const list = Object.values(o).find(Array.isArray) as Record<string, unknown>[] | undefined;
  if (list && list.every((x) => typeof x === 'object' && x !== null)) printRows(list, format);
  else printRows([o], format);
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
