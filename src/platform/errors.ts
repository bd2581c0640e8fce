// The project's base error: every error says which stage failed, and carries an AWS-style code
// where one exists so the API can answer with it unchanged.

export class VpcflowError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus = 400,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

const DESCRIBE_DEPTH = 3;
const DESCRIBE_MEMBERS = 5;

/**
 * A short JSON-like rendering of a caller's value for an error message, at most `max` characters
 * (JSON text for small values; `…` where it is cut, `…N more` for members left out). Request bodies are any JSON a client sends: JSON.stringify, String() and template
 * literals recurse through arrays, so a value 50 000 lists deep overflowed the stack and the caller
 * got a 500 instead of the error meant for them. This looks at DESCRIBE_DEPTH levels and
 * DESCRIBE_MEMBERS members of each and cuts long text before it is escaped, so its cost does not
 * depend on the value's size.
 */
export function describeValue(v: unknown, max = 60): string {
  return cut(preview(v, 0, max), max);
}

function preview(v: unknown, depth: number, max: number): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(cut(v, max));
    case 'number':
    case 'boolean':
      return String(v);
    case 'bigint':
      return `${v}n`;
    case 'undefined':
      return 'undefined';
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
  }
  if (v === null) return 'null';
  const list = Array.isArray(v);
  if (depth >= DESCRIBE_DEPTH) return list ? '[…]' : '{…}';
  const shown: string[] = [];
  let more: number;
  if (list) {
    for (let i = 0; i < Math.min(v.length, DESCRIBE_MEMBERS); i++) shown.push(preview(v[i], depth + 1, max));
    more = v.length - shown.length;
  } else {
    const keys = Object.keys(v as object);
    for (const k of keys.slice(0, DESCRIBE_MEMBERS)) shown.push(`${preview(k, DESCRIBE_DEPTH, 40)}:${preview((v as Record<string, unknown>)[k], depth + 1, max)}`);
    more = keys.length - shown.length;
  }
  if (more > 0) shown.push(`…${more} more`);
  return list ? `[${shown.join(',')}]` : `{${shown.join(',')}}`;
}

/** `s` cut to `n` characters with an ellipsis, never between the two halves of a surrogate pair. */
function cut(s: string, n: number): string {
  if (s.length <= n) return s;
  let end = Math.max(0, n - 1);
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${s.slice(0, end)}…`;
}
