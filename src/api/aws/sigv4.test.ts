// SigV4 verification against AWS's published test-suite values (get-vanilla, get-vanilla-query-order-key-case,
// post-vanilla, post-x-www-form-urlencoded: AKIDEXAMPLE, 20150830T123600Z, us-east-1, service "service")
// and the IAM ListUsers worked example of AWS's signing documentation (which also publishes the derived
// signing key), plus requests signed by the AWS SDK's own signer (@smithy/signature-v4) and by us.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import {
  verifySigV4, parseAuthorization, canonicalRequest, canonicalUri, canonicalQuery, signingKey, authorizationFor, authErrorFor, sha256Hex,
  SigV4Error, type IncomingSignedRequest, type KeyLookup,
} from './sigv4.ts';

const AKID = 'AKIDEXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const VECTOR_NOW = Date.UTC(2015, 7, 30, 12, 36, 0);
const lookup: KeyLookup = async (id) => (id === AKID ? { accountId: '111122223333', secret: SECRET } : undefined);
const enc = (s: string) => new TextEncoder().encode(s);

function vector(opts: { method: string; path?: string; query?: string; headers: [string, string][]; body?: string; service?: string; signed: string; signature: string }): IncomingSignedRequest {
  const service = opts.service ?? 'service';
  return {
    method: opts.method,
    path: opts.path ?? '/',
    query: opts.query ?? '',
    body: enc(opts.body ?? ''),
    headers: [
      ...opts.headers,
      ['Authorization', `AWS4-HMAC-SHA256 Credential=${AKID}/20150830/us-east-1/${service}/aws4_request, SignedHeaders=${opts.signed}, Signature=${opts.signature}`],
    ],
  };
}

const GET_VANILLA = vector({
  method: 'GET', headers: [['Host', 'example.amazonaws.com'], ['X-Amz-Date', '20150830T123600Z']],
  signed: 'host;x-amz-date', signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
});

async function refusal(req: IncomingSignedRequest, now = VECTOR_NOW, keys: KeyLookup = lookup): Promise<SigV4Error> {
  try {
    await verifySigV4(req, keys, { now });
  } catch (e) {
    assert.ok(e instanceof SigV4Error, `expected a SigV4Error, got ${String(e)}`);
    return e;
  }
  assert.fail('the request was accepted');
}

const withHeader = (req: IncomingSignedRequest, name: string, value: string | null): IncomingSignedRequest => ({
  ...req,
  headers: [...req.headers.filter(([n]) => n.toLowerCase() !== name.toLowerCase()), ...(value === null ? [] : [[name, value] as [string, string]])],
});

test('get-vanilla: canonical request hash and signature as published', async () => {
  const canonical = canonicalRequest(GET_VANILLA, ['host', 'x-amz-date'], sha256Hex(''));
  assert.equal(sha256Hex(canonical), 'bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63');
  const caller = await verifySigV4(GET_VANILLA, lookup, { now: VECTOR_NOW });
  assert.deepEqual(caller, {
    accessKeyId: AKID, accountId: '111122223333', scope: { accessKeyId: AKID, date: '20150830', region: 'us-east-1', service: 'service' },
    signedHeaders: ['host', 'x-amz-date'], signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31', signedAt: VECTOR_NOW,
  });
});

test('get-vanilla-query-order-key-case, post-vanilla and post-x-www-form-urlencoded verify', async () => {
  const queryOrder = vector({
    method: 'GET', query: 'Param2=value2&Param1=value1', headers: [['Host', 'example.amazonaws.com'], ['X-Amz-Date', '20150830T123600Z']],
    signed: 'host;x-amz-date', signature: 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
  });
  const postVanilla = vector({
    method: 'POST', headers: [['Host', 'example.amazonaws.com'], ['X-Amz-Date', '20150830T123600Z']],
    signed: 'host;x-amz-date', signature: '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
  });
  const form = vector({
    method: 'POST', body: 'Param1=value1',
    headers: [['Content-Type', 'application/x-www-form-urlencoded'], ['Host', 'example.amazonaws.com'], ['X-Amz-Date', '20150830T123600Z']],
    signed: 'content-type;host;x-amz-date', signature: 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
  });
  for (const req of [queryOrder, postVanilla, form]) assert.equal((await verifySigV4(req, lookup, { now: VECTOR_NOW })).accountId, '111122223333');
  // The same form request with one byte of the body changed no longer verifies.
  assert.equal((await refusal({ ...form, body: enc('Param1=value2') })).kind, 'bad-signature');
});

test('IAM ListUsers worked example: signing key, canonical request hash and signature', async () => {
  assert.equal(signingKey(SECRET, { date: '20150830', region: 'us-east-1', service: 'iam' }).toString('hex'), 'c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9');
  const req = vector({
    method: 'GET', query: 'Action=ListUsers&Version=2010-05-08', service: 'iam',
    headers: [['Content-Type', 'application/x-www-form-urlencoded; charset=utf-8'], ['Host', 'iam.amazonaws.com'], ['X-Amz-Date', '20150830T123600Z']],
    signed: 'content-type;host;x-amz-date', signature: '5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
  });
  assert.equal(sha256Hex(canonicalRequest(req, ['content-type', 'host', 'x-amz-date'], sha256Hex(''))), 'f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59');
  assert.equal((await verifySigV4(req, lookup, { now: VECTOR_NOW })).scope.service, 'iam');
});

test('canonical URI is normalized and encoded a second time; query is decoded, strictly re-encoded and sorted', () => {
  assert.equal(canonicalUri('/'), '/');
  assert.equal(canonicalUri(''), '/');
  assert.equal(canonicalUri('/a/./b/../c'), '/a/c');
  assert.equal(canonicalUri('//a//b/'), '/a/b/');
  assert.equal(canonicalUri('/model/anthropic.claude-v2%3A1/converse'), '/model/anthropic.claude-v2%253A1/converse');
  assert.equal(canonicalQuery('b=2%203&a=x/y&a=1&flag'), 'a=1&a=x%2Fy&b=2%203&flag=');
  assert.equal(canonicalQuery('k=%E2%82%AC~'), 'k=%E2%82%AC~');
});

test('requests signed by the AWS SDK signer (@smithy/signature-v4) for ec2 and logs verify', async (t) => {
  let SignatureV4: typeof import('@smithy/signature-v4').SignatureV4;
  try {
    ({ SignatureV4 } = await import('@smithy/signature-v4'));
  } catch {
    t.skip('@smithy/signature-v4 (installed with @aws-sdk/client-s3) is not resolvable: the independent-signer cross-check did not run');
    return;
  }
  // The SDK's hash interface over node:crypto: a secret means it wants an HMAC.
  type SourceData = string | ArrayBuffer | ArrayBufferView;
  const bytes = (d: SourceData): Buffer =>
    typeof d === 'string' ? Buffer.from(d, 'utf8') : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d);
  class NodeSha256 {
    private readonly h: Hash | Hmac;
    constructor(secret?: SourceData) {
      this.h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
    }
    update(data: SourceData) {
      this.h.update(bytes(data));
    }
    async digest() {
      return new Uint8Array(this.h.digest());
    }
  }
  const now = Date.UTC(2026, 0, 2, 3, 4, 5);
  for (const [service, contentType, body, target] of [
    ['ec2', 'application/x-www-form-urlencoded; charset=utf-8', 'Action=DescribeFlowLogs&Version=2016-11-15&Filter.1.Name=resource-id&Filter.1.Value.1=vpc-0abc', undefined],
    ['logs', 'application/x-amz-json-1.1', '{"logGroupNamePrefix":"vpc"}', 'Logs_20140328.DescribeLogGroups'],
  ] as const) {
    const signer = new SignatureV4({ service, region: 'eu-west-1', credentials: { accessKeyId: AKID, secretAccessKey: SECRET }, sha256: NodeSha256 });
    const headers: Record<string, string> = { host: '127.0.0.1:4566', 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)) };
    if (target) headers['x-amz-target'] = target;
    const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: 4566, path: '/', query: {}, headers, body }, { signingDate: new Date(now) });
    const req: IncomingSignedRequest = { method: 'POST', path: '/', query: '', headers: Object.entries(signed.headers), body: enc(body) };
    const caller = await verifySigV4(req, lookup, { now });
    assert.equal(caller.scope.service, service);
    assert.equal(caller.scope.region, 'eu-west-1');
    assert.equal((await refusal({ ...req, body: enc(body + ' ') }, now)).kind, 'bad-signature');
  }
});

test('self-signed requests with repeated headers, a query and a body verify; tampering does not', async () => {
  const now = Date.UTC(2026, 4, 6, 7, 8, 9);
  const base = {
    method: 'POST', path: '/', query: 'z=1&a=%20b', body: enc('Action=DescribeFlowLogs&Version=2016-11-15'),
    headers: [['Host', 'localhost:9999'], ['X-Amz-Date', '20260506T070809Z'], ['X-Custom', ' one  two '], ['x-custom', 'three']] as [string, string][],
  };
  const auth = authorizationFor(base, { accessKeyId: AKID, secret: SECRET }, { date: '20260506', region: 'us-east-1', service: 'ec2' }, '20260506T070809Z');
  const req = { ...base, headers: [...base.headers, ['Authorization', auth] as [string, string]] };
  assert.equal((await verifySigV4(req, lookup, { now })).scope.service, 'ec2');
  // Runs of whitespace inside a header value are not significant; the words and every repetition are.
  const respaced = { ...req, headers: req.headers.map(([n, v]) => [n, n === 'X-Custom' ? 'one      two' : v] as [string, string]) };
  assert.equal((await verifySigV4(respaced, lookup, { now })).accountId, '111122223333');
  assert.equal((await refusal(withHeader(req, 'x-custom', 'one two'), now)).kind, 'bad-signature');
  assert.equal((await refusal({ ...req, query: 'z=2&a=%20b' }, now)).kind, 'bad-signature');
  assert.equal((await refusal({ ...req, method: 'PUT' }, now)).kind, 'bad-signature');
});

test('clock skew beyond 15 minutes either way is refused with AWS wording; 15 minutes exactly is accepted', async () => {
  const minute = 60_000;
  assert.ok(await verifySigV4(GET_VANILLA, lookup, { now: VECTOR_NOW + 15 * minute }));
  assert.ok(await verifySigV4(GET_VANILLA, lookup, { now: VECTOR_NOW - 15 * minute }));
  const late = await refusal(GET_VANILLA, VECTOR_NOW + 16 * minute);
  assert.equal(late.kind, 'skew');
  assert.equal(late.message, 'Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z (20150830T125200Z - 15 min.)');
  const early = await refusal(GET_VANILLA, VECTOR_NOW - 16 * minute);
  assert.equal(early.kind, 'skew');
  assert.match(early.message, /^Signature not yet current: 20150830T123600Z is still later than 20150830T123500Z \(20150830T122000Z \+ 15 min\.\)$/);
});

test('unknown key, wrong secret, missing and malformed Authorization headers', async () => {
  assert.equal((await refusal(GET_VANILLA, VECTOR_NOW, async () => undefined)).kind, 'unknown-key');
  assert.equal((await refusal(GET_VANILLA, VECTOR_NOW, async () => ({ accountId: '1', secret: SECRET.replace('K', 'k') }))).kind, 'bad-signature');
  assert.equal((await refusal(withHeader(GET_VANILLA, 'Authorization', null))).kind, 'missing');
  const presigned = await refusal({ ...withHeader(GET_VANILLA, 'Authorization', null), query: 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00' });
  assert.equal(presigned.kind, 'incomplete');
  const noSignature = await refusal(withHeader(GET_VANILLA, 'Authorization', `AWS4-HMAC-SHA256 Credential=${AKID}/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date`));
  assert.equal(noSignature.kind, 'incomplete');
  assert.match(noSignature.message, /requires 'Signature' parameter/);
  for (const bad of [
    'AWS4-HMAC-SHA512 Credential=a/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature=' + '0'.repeat(64),
    `AWS4-HMAC-SHA256 Credential=${AKID}/20150830/us-east-1/service, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
    `AWS4-HMAC-SHA256 Credential=${AKID}/2015-08-30/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
    `AWS4-HMAC-SHA256 Credential=${AKID}/20150830/us-east-1/service/aws4_request, SignedHeaders=Host;x-amz-date, Signature=${'0'.repeat(64)}`,
    `AWS4-HMAC-SHA256 Credential=${AKID}/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=xyz`,
    'Basic dXNlcjpwYXNz',
  ]) {
    assert.equal((await refusal(withHeader(GET_VANILLA, 'Authorization', bad))).kind, 'incomplete', bad);
  }
  assert.deepEqual(parseAuthorization(`AWS4-HMAC-SHA256 Credential=${AKID}/20150830/us-east-1/logs/aws4_request,SignedHeaders=host;x-amz-date,Signature=${'a'.repeat(64)}`).scope.service, 'logs');
});

test('the date, the host and the payload hash are bound to the signature', async () => {
  // Scope day differs from X-Amz-Date's day.
  const otherDay = await refusal(withHeader(GET_VANILLA, 'X-Amz-Date', '20150831T000000Z'), Date.UTC(2015, 7, 31));
  assert.equal(otherDay.kind, 'bad-signature');
  assert.match(otherDay.message, /Date in Credential scope does not match/);
  assert.equal((await refusal(withHeader(GET_VANILLA, 'X-Amz-Date', '2015-08-30T12:36:00Z'))).kind, 'incomplete');
  assert.equal((await refusal(withHeader(GET_VANILLA, 'X-Amz-Date', null))).kind, 'incomplete');
  // Host present but not signed.
  const unsignedHost = withHeader(GET_VANILLA, 'Authorization', `AWS4-HMAC-SHA256 Credential=${AKID}/20150830/us-east-1/service/aws4_request, SignedHeaders=x-amz-date, Signature=${'0'.repeat(64)}`);
  assert.match((await refusal(unsignedHost)).message, /'Host' or ':authority' must be a 'SignedHeader'/);
  // A signed header that did not arrive.
  const missingSigned = withHeader(GET_VANILLA, 'Authorization', `AWS4-HMAC-SHA256 Credential=${AKID}/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-extra, Signature=${'0'.repeat(64)}`);
  assert.equal((await refusal(missingSigned)).kind, 'incomplete');
  assert.equal((await refusal(withHeader(GET_VANILLA, 'X-Amz-Content-Sha256', sha256Hex('not the body')))).kind, 'bad-signature');
  assert.equal((await refusal(withHeader(GET_VANILLA, 'X-Amz-Content-Sha256', 'UNSIGNED-PAYLOAD'))).kind, 'bad-signature');
  assert.equal((await refusal(withHeader(GET_VANILLA, 'Host', 'evil.example.com'))).kind, 'bad-signature');
});

test('each service answers a refused signature with its own code', () => {
  const e = (kind: SigV4Error['kind']) => new SigV4Error(kind, 'detail');
  assert.deepEqual(['missing', 'incomplete', 'unknown-key', 'bad-signature', 'skew'].map((k) => authErrorFor(e(k as SigV4Error['kind']), 'ec2').code),
    ['MissingAuthenticationToken', 'IncompleteSignature', 'AuthFailure', 'AuthFailure', 'RequestExpired']);
  assert.deepEqual(['missing', 'incomplete', 'unknown-key', 'bad-signature', 'skew'].map((k) => authErrorFor(e(k as SigV4Error['kind']), 'logs').code),
    ['MissingAuthenticationTokenException', 'IncompleteSignatureException', 'UnrecognizedClientException', 'InvalidSignatureException', 'InvalidSignatureException']);
  assert.equal(authErrorFor(e('bad-signature'), 'ec2').message, 'AWS was not able to validate the provided access credentials');
  assert.equal(authErrorFor(e('unknown-key'), 'logs').message, 'The security token included in the request is invalid.');
});
