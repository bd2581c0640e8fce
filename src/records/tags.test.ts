import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TagValueError, decodeTagValue, encodeTagValue } from './tags.ts';

test('encodeTagValue percent-encodes so the value holds no space', () => {
  assert.equal(encodeTagValue('web-server_01.prod~x'), 'web-server_01.prod~x');
  assert.equal(encodeTagValue('my app'), 'my%20app');
  assert.equal(encodeTagValue('a/b=c+d@e:f'), 'a%2Fb%3Dc%2Bd%40e%3Af');
  assert.equal(encodeTagValue('100%'), '100%25');
  // UTF-8 bytes, upper-case hex (é = C3 A9, 😀 = F0 9F 98 80).
  assert.equal(encodeTagValue('café'), 'caf%C3%A9');
  assert.equal(encodeTagValue('😀'), '%F0%9F%98%80');
  assert.equal(encodeTagValue('tab\there'), 'tab%09here');
  // Values that could not be written or would read back as "no value".
  assert.equal(encodeTagValue(''), null);
  assert.equal(encodeTagValue('-'), '%2D');
});

test('the encoding agrees with encodeURIComponent plus RFC 3986 reserved sub-delims', () => {
  // encodeURIComponent leaves ! ' ( ) * unencoded; RFC 3986 unreserved does not include them.
  const samples = ['Team Alpha', "it's (really) *great*!", 'ключ значение', 'a\u0000b', 'x~y.z_w-v', '日本語 テキスト'];
  for (const s of samples) {
    const expected = encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
    assert.equal(encodeTagValue(s), expected, s);
    assert.ok(!encodeTagValue(s)!.includes(' '));
    assert.equal(decodeTagValue(encodeTagValue(s)!), s);
  }
});

test('decodeTagValue is strict', () => {
  assert.equal(decodeTagValue('plain'), 'plain');
  assert.equal(decodeTagValue('my%20app'), 'my app');
  assert.equal(decodeTagValue('%2d'), '-');
  assert.throws(() => decodeTagValue('bad%2'), (e: unknown) => e instanceof TagValueError && e.position === 4);
  assert.throws(() => decodeTagValue('bad%zz'), (e: unknown) => e instanceof TagValueError && /two hex digits/.test(e.reason));
  assert.throws(() => decodeTagValue('%C3'), (e: unknown) => e instanceof TagValueError && /not valid UTF-8/.test(e.reason));
});
