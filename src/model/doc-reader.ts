// Reads an untyped document (parsed YAML or JSON) member by member, tracking each value's path
// (`vpcs[0].subnets[1].cidr`) and collecting problems instead of stopping at the first one.
// Keys are kebab-case; the AWS API's PascalCase names are accepted as aliases.

import type { Problem } from './errors.ts';
import type { Tag } from './tags.ts';

/** Canonical (kebab-case) key → extra accepted aliases. Each key's PascalCase form is always accepted too. */
export type KeySpec = Readonly<Record<string, readonly string[]>>;

export interface Located<T> {
  readonly value: T;
  readonly path: string;
}

export const childPath = (path: string, key: string): string => (path ? `${path}.${key}` : key);
export const indexPath = (path: string, index: number): string => `${path}[${index}]`;

const pascal = (kebab: string): string => kebab.split('-').map((w) => (w ? w[0]!.toUpperCase() + w.slice(1) : w)).join('');

const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : `${typeof v} ${JSON.stringify(v)}`);

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class DocReader {
  readonly problems: Problem[] = [];

  problem(path: string, code: string, message: string): void {
    this.problems.push({ path, code, message });
  }

  /** The members of a mapping under their canonical keys; unknown keys and keys given twice are reported. */
  object(value: unknown, path: string, spec: KeySpec): Members | undefined {
    if (!isPlainObject(value)) {
      this.problem(path, 'InvalidParameterValue', `expected a mapping, got ${describe(value)}`);
      return undefined;
    }
    const canonicalOf = new Map<string, string>();
    for (const [key, aliases] of Object.entries(spec)) {
      canonicalOf.set(key, key);
      canonicalOf.set(pascal(key), key);
      for (const a of aliases) canonicalOf.set(a, key);
    }
    const members = new Map<string, Located<unknown>>();
    for (const [key, v] of Object.entries(value)) {
      // Only JS callers can pass undefined (YAML and JSON cannot): it means "not given".
      if (v === undefined) continue;
      const p = childPath(path, key);
      const canonical = canonicalOf.get(key);
      if (canonical === undefined) {
        const known = Object.keys(spec).join(', ');
        this.problem(p, 'UnknownParameter', `unknown key '${key}'; expected one of: ${known}`);
        continue;
      }
      const earlier = members.get(canonical);
      if (earlier) {
        this.problem(p, 'InvalidParameterValue', `'${key}' repeats ${earlier.path}: give it once`);
        continue;
      }
      members.set(canonical, { value: v, path: p });
    }
    return new Members(this, path, members);
  }
}

export interface StringRule {
  readonly required?: boolean;
  readonly maxLength?: number;
  /** Shape check; `shapeMessage` explains a mismatch. */
  readonly pattern?: RegExp;
  readonly shapeMessage?: string;
  readonly code?: string;
}

export interface IntegerRule {
  readonly required?: boolean;
  readonly min?: number;
  readonly max?: number;
}

/** The members of one mapping with typed getters; each getter reports a problem and returns undefined on a bad value. */
export class Members {
  constructor(
    private readonly reader: DocReader,
    readonly path: string,
    private readonly members: ReadonlyMap<string, Located<unknown>>,
  ) {}

  has(key: string): boolean {
    return this.members.has(key);
  }

  /** Path of the member as written in the document, or where it would be. */
  pathOf(key: string): string {
    return this.members.get(key)?.path ?? childPath(this.path, key);
  }

  raw(key: string): unknown {
    return this.members.get(key)?.value;
  }

  private missing(key: string, required: boolean | undefined): undefined {
    if (required) this.reader.problem(this.pathOf(key), 'MissingParameter', `missing required key '${key}'`);
    return undefined;
  }

  string(key: string, rule: StringRule = {}): string | undefined {
    const m = this.members.get(key);
    if (m === undefined || m.value === null) return this.missing(key, rule.required);
    return this.checkString(m.value, m.path, rule);
  }

  checkString(value: unknown, path: string, rule: StringRule = {}): string | undefined {
    if (typeof value !== 'string') {
      const hint = typeof value === 'number' ? ' (quote it)' : '';
      this.reader.problem(path, 'InvalidParameterValue', `expected a string, got ${describe(value)}${hint}`);
      return undefined;
    }
    if (rule.maxLength !== undefined && [...value].length > rule.maxLength) {
      this.reader.problem(path, rule.code ?? 'InvalidParameterValue', `must be at most ${rule.maxLength} characters long`);
      return undefined;
    }
    if (rule.pattern && !rule.pattern.test(value)) {
      this.reader.problem(path, rule.code ?? 'InvalidParameterValue', rule.shapeMessage ?? `'${value}' has the wrong shape`);
      return undefined;
    }
    return value;
  }

  /** An integer given as a number or as decimal text (the EC2 Query protocol sends text). */
  integer(key: string, rule: IntegerRule = {}): number | undefined {
    const m = this.members.get(key);
    if (m === undefined || m.value === null) return this.missing(key, rule.required);
    let n: number;
    if (typeof m.value === 'number') n = m.value;
    else if (typeof m.value === 'string' && /^-?[0-9]+$/.test(m.value)) n = Number(m.value);
    else n = NaN;
    if (!Number.isSafeInteger(n)) {
      this.reader.problem(m.path, 'InvalidParameterValue', `expected an integer, got ${describe(m.value)}`);
      return undefined;
    }
    if ((rule.min !== undefined && n < rule.min) || (rule.max !== undefined && n > rule.max)) {
      this.reader.problem(m.path, 'InvalidParameterValue', `${n} is outside ${rule.min ?? '…'}..${rule.max ?? '…'}`);
      return undefined;
    }
    return n;
  }

  boolean(key: string, required = false): boolean | undefined {
    const m = this.members.get(key);
    if (m === undefined || m.value === null) return this.missing(key, required);
    if (typeof m.value === 'boolean') return m.value;
    if (m.value === 'true' || m.value === 'false') return m.value === 'true';
    this.reader.problem(m.path, 'InvalidParameterValue', `expected true or false, got ${describe(m.value)}`);
    return undefined;
  }

  /** The elements of a list member with their paths; absent or null → undefined. */
  list(key: string, required = false): Located<unknown>[] | undefined {
    const m = this.members.get(key);
    if (m === undefined || m.value === null) return this.missing(key, required);
    if (!Array.isArray(m.value)) {
      this.reader.problem(m.path, 'InvalidParameterValue', `expected a list, got ${describe(m.value)}`);
      return undefined;
    }
    return m.value.map((value, i) => ({ value, path: indexPath(m.path, i) }));
  }

  /** A list of strings; bad elements are reported and left out. A single string counts as a list of one. */
  stringList(key: string, rule: StringRule = {}): Located<string>[] | undefined {
    const m = this.members.get(key);
    if (m !== undefined && typeof m.value === 'string') {
      const s = this.checkString(m.value, m.path, rule);
      return s === undefined ? [] : [{ value: s, path: m.path }];
    }
    const items = this.list(key, rule.required);
    if (items === undefined) return undefined;
    const out: Located<string>[] = [];
    for (const item of items) {
      const s = this.checkString(item.value, item.path, rule);
      if (s !== undefined) out.push({ value: s, path: item.path });
    }
    return out;
  }

  /** Tags as a mapping `{Name: web}` or as AWS's list `[{Key: Name, Value: web}]`, in the order given. */
  tags(key = 'tags'): Located<Tag>[] {
    const m = this.members.get(key);
    if (m === undefined || m.value === null) return [];
    const out: Located<Tag>[] = [];
    if (Array.isArray(m.value)) {
      m.value.forEach((item, i) => {
        const p = indexPath(m.path, i);
        const t = this.reader.object(item, p, { key: [], value: [] });
        if (!t) return;
        const k = t.string('key', { required: true });
        const v = t.string('value') ?? (t.has('value') && t.raw('value') !== null ? undefined : '');
        if (k !== undefined && v !== undefined) out.push({ value: { Key: k, Value: v }, path: p });
      });
      return out;
    }
    if (!isPlainObject(m.value)) {
      this.reader.problem(m.path, 'InvalidParameterValue', `expected a mapping of tag keys to values, got ${describe(m.value)}`);
      return [];
    }
    for (const [k, v] of Object.entries(m.value)) {
      const p = childPath(m.path, k);
      const value = v === null ? '' : this.checkString(v, p);
      if (value !== undefined) out.push({ value: { Key: k, Value: value }, path: p });
    }
    return out;
  }
}
