// Parses the aws CLI's "shorthand" option syntax (Name=resource-id,Values=a,b and
// Tags=[{Key=Name,Value=x}]) or JSON, so vpcflow takes the same option values as the aws CLI.

export class ShorthandError extends Error {
  constructor(
    readonly option: string,
    readonly input: string,
    readonly position: number,
    why: string,
  ) {
    super(`${option}: cannot parse '${input}' at character ${position + 1}: ${why}`);
    this.name = 'ShorthandError';
  }
}

export type ShorthandValue = string | ShorthandValue[] | { [k: string]: ShorthandValue };

export function parseShorthand(option: string, input: string): Record<string, ShorthandValue> | ShorthandValue[] {
  const trimmed = input.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed);
    } catch (e) {
      if (trimmed.startsWith('{')) throw new ShorthandError(option, input, 0, `invalid JSON (${(e as Error).message})`);
    }
  }
  let i = 0;
  const fail = (why: string): never => {
    throw new ShorthandError(option, input, i, why);
  };
  const word = (stops: string): string => {
    let out = '';
    while (i < input.length && !stops.includes(input[i]!)) {
      if (input[i] === '\\' && i + 1 < input.length) i++;
      out += input[i++];
    }
    return out;
  };
  const value = (stops: string): ShorthandValue => {
    if (input[i] === '[') {
      i++;
      const list: ShorthandValue[] = [];
      while (i < input.length && input[i] !== ']') {
        list.push(input[i] === '{' ? object() : word(',]'));
        if (input[i] === ',') i++;
      }
      if (input[i] !== ']') fail("missing ']'");
      i++;
      return list;
    }
    if (input[i] === '{') return object();
    if (input[i] === '"' || input[i] === "'") {
      const q = input[i++];
      const s = word(q!);
      if (input[i] !== q) fail('unterminated quote');
      i++;
      return s;
    }
    return word(stops);
  };
  const object = (): Record<string, ShorthandValue> => {
    i++; // '{'
    const o = members('}');
    if (input[i] !== '}') fail("missing '}'");
    i++;
    return o;
  };
  const members = (end: string): Record<string, ShorthandValue> => {
    const o: Record<string, ShorthandValue> = {};
    while (i < input.length && input[i] !== end) {
      const key = word('=,' + end).trim();
      if (!key) fail('expected Key=Value');
      if (input[i] !== '=') fail(`expected '=' after '${key}'`);
      i++;
      let v = value(',' + end);
      // Values=a,b,c: further bare items without '=' extend the list.
      while (input[i] === ',' && !/^[^=,{}[\]]*=/.test(input.slice(i + 1))) {
        i++;
        const more = value(',' + end);
        v = Array.isArray(v) ? [...v, more] : [v, more];
      }
      o[key] = v;
      if (input[i] === ',') i++;
    }
    return o;
  };
  const result = members('');
  if (i < input.length) fail('unexpected character');
  return result;
}

export const asList = (v: ShorthandValue | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)];
