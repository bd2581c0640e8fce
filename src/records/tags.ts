// Tag values in version-11 fields (instance-tag, interface-tag, asg-tag, …). AWS percent-encodes
// special characters as UTF-8 so that a value never contains a space (spec §1.4 notes). Which
// characters count as special is not documented: we keep RFC 3986's unreserved set
// (A–Z a–z 0–9 - . _ ~) and encode every other byte, upper-case hex.

export class TagValueError extends Error {
  override readonly name = 'TagValueError';
  constructor(
    readonly text: string,
    readonly position: number,
    readonly reason: string,
  ) {
    super(`invalid encoded tag value '${text}' at position ${position}: ${reason}`);
  }
}

const HEX_DIGITS = '0123456789ABCDEF';
const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

const isUnreserved = (b: number): boolean =>
  (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e;

/**
 * The record text of a tag value, or null (written `-`) for an empty value, which could not be a
 * token. A value that is exactly '-' is written `%2D` so that it is not read back as "no value".
 */
export function encodeTagValue(value: string): string | null {
  if (value.length === 0) return null;
  if (value === '-') return '%2D';
  let out = '';
  for (const b of encoder.encode(value)) {
    out += isUnreserved(b) ? String.fromCharCode(b) : '%' + HEX_DIGITS[b >> 4] + HEX_DIGITS[b & 15];
  }
  return out;
}

const hexValue = (c: number): number =>
  c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;

/** The tag value from its record text. Throws TagValueError for a bad `%` escape or invalid UTF-8. */
export function decodeTagValue(text: string): string {
  if (text.indexOf('%') < 0) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 37) {
      if (c > 0x7f) {
        const cp = text.codePointAt(i)!;
        for (const b of encoder.encode(String.fromCodePoint(cp))) bytes.push(b);
        if (cp > 0xffff) i++;
      } else {
        bytes.push(c);
      }
      continue;
    }
    const hi = hexValue(text.charCodeAt(i + 1));
    const lo = hexValue(text.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) throw new TagValueError(text, i + 1, "'%' is not followed by two hex digits");
    bytes.push(hi * 16 + lo);
    i += 2;
  }
  try {
    return strictDecoder.decode(Uint8Array.from(bytes));
  } catch {
    throw new TagValueError(text, 1, 'the decoded bytes are not valid UTF-8');
  }
}
