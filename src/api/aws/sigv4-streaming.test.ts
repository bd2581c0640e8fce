// SigV4 streaming payloads against AWS's published chunked-upload example (S3 "Example: PUT Object":
// AKIAIOSFODNN7EXAMPLE, 20130524T000000Z, 66560 bytes of 'a' in a 64 KiB and a 1 KiB chunk), then the
// verifier's refusals: every way to change, drop, reorder, cut or pad a signed body fails at the first
// bad chunk, and no byte of a chunk reaches the consumer before that chunk's signature verified.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STREAMING_PAYLOAD, verifySigV4, type ChunkChain } from './sigv4.ts';
import { StreamingPayloadError, encodedLength, signChunks, verifiedChunks } from './sigv4-streaming.ts';

// The example's seed signature and its three chunk signatures, as AWS's documentation lists them.
const SEED = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';
const CHUNK_SIGNATURES = [
  'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
  '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
  'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
];
const DECODED = 66560;

async function exampleChain(): Promise<ChunkChain> {
  const headers: [string, string][] = [
    ['Host', 's3.amazonaws.com'], ['x-amz-date', '20130524T000000Z'], ['x-amz-storage-class', 'REDUCED_REDUNDANCY'],
    ['Authorization', `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=${SEED}`],
    ['x-amz-content-sha256', STREAMING_PAYLOAD], ['Content-Encoding', 'aws-chunked'], ['x-amz-decoded-content-length', String(DECODED)], ['Content-Length', '66824'],
  ];
  const verified = await verifySigV4({ method: 'PUT', path: '/examplebucket/chunkObject.txt', query: '', headers, body: new Uint8Array() },
    async () => ({ accountId: '111122223333', secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' }), { now: Date.UTC(2013, 4, 24), allowStreamingPayload: true });
  assert.ok(verified.chunkChain);
  return verified.chunkChain;
}

async function* of(...pieces: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const p of pieces) yield p;
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Uint8Array[] = [];
  for await (const c of source) out.push(c);
  return Buffer.concat(out);
}

/** The example's body as signChunks frames it. */
async function exampleBody(chain: ChunkChain, data = Buffer.alloc(DECODED, 'a')): Promise<Buffer> {
  return collect(signChunks(of(data), chain, data.length, 64 * 1024));
}

/** What the verifier yields before it throws, and the error. */
async function refused(source: AsyncIterable<Uint8Array>, chain: ChunkChain, decodedLength = DECODED): Promise<{ yielded: number; error: StreamingPayloadError }> {
  let yielded = 0;
  try {
    for await (const c of verifiedChunks(source, { chain, decodedLength })) yielded += c.length;
  } catch (e) {
    assert.ok(e instanceof StreamingPayloadError, String(e));
    return { yielded, error: e };
  }
  assert.fail('the body was accepted');
}

/** Offsets of each frame's data and header in an encoded body. */
function frames(body: Buffer): { headerAt: number; dataAt: number; size: number }[] {
  const out: { headerAt: number; dataAt: number; size: number }[] = [];
  for (let at = 0; at < body.length;) {
    const lf = body.indexOf('\n', at);
    const size = parseInt(body.subarray(at, body.indexOf(';', at)).toString(), 16);
    out.push({ headerAt: at, dataAt: lf + 1, size });
    at = lf + 1 + size + 2;
  }
  return out;
}

test('the seed and every chunk signature are the ones of AWS\'s chunked-upload example, and the wire length its Content-Length', async () => {
  const chain = await exampleChain();
  assert.equal(chain.seedSignature, SEED);
  const body = await exampleBody(chain);
  assert.equal(body.length, 66824);
  assert.equal(encodedLength(DECODED, 64 * 1024), 66824);
  const headers = frames(body).map((f) => body.subarray(f.headerAt, f.dataAt).toString());
  assert.deepEqual(headers, [`10000;chunk-signature=${CHUNK_SIGNATURES[0]}\r\n`, `400;chunk-signature=${CHUNK_SIGNATURES[1]}\r\n`, `0;chunk-signature=${CHUNK_SIGNATURES[2]}\r\n`]);
  assert.ok(body.subarray(-2).equals(Buffer.from('\r\n')));
});

test('the verifier yields exactly the signed data, however the body is split on the wire', async () => {
  const chain = await exampleChain();
  const data = Buffer.alloc(DECODED, 'a');
  const body = await exampleBody(chain);
  assert.ok((await collect(verifiedChunks(of(body), { chain, decodedLength: DECODED }))).equals(data));
  // One byte at a time, and pieces of every size from 1 to 97 bytes cycling: header, data and CRLF split anywhere.
  const bytewise = [...body].map((b) => Uint8Array.of(b));
  assert.ok((await collect(verifiedChunks(of(...bytewise), { chain, decodedLength: DECODED }))).equals(data));
  const cut: Uint8Array[] = [];
  for (let at = 0, n = 1; at < body.length; at += n, n = (n % 97) + 1) cut.push(body.subarray(at, at + n));
  assert.ok((await collect(verifiedChunks(of(...cut), { chain, decodedLength: DECODED }))).equals(data));
});

test('a tampered chunk is refused at that chunk; the chunks before it are yielded, none of its bytes ever is', async () => {
  const chain = await exampleChain();
  const data = Buffer.alloc(3 * 1000 + 10, 'x');
  const body = await collect(signChunks(of(data), chain, data.length, 1000));
  const f = frames(body);
  const tampered = Buffer.from(body);
  tampered[f[1]!.dataAt + 500]! ^= 1;
  // The second chunk arrives a byte at a time: the consumer must see chunk 1 and then the refusal, nothing between.
  const pieces = [tampered.subarray(0, f[1]!.dataAt), ...[...tampered.subarray(f[1]!.dataAt)].map((b) => Uint8Array.of(b))];
  const r = await refused(of(...pieces), chain, data.length);
  assert.equal(r.yielded, 1000);
  assert.equal(r.error.code, 'InvalidSignatureException');
  assert.equal(r.error.httpStatus, 403);
  assert.match(r.error.message, /chunk 2 \(data bytes 1000–2000 of 3010\)/);
});

test('headers sent with another body, a dropped, repeated or reordered chunk, or a forged signature are refused', async () => {
  const chain = await exampleChain();
  const data = Buffer.concat([Buffer.alloc(1000, 'a'), Buffer.alloc(1000, 'b'), Buffer.alloc(1000, 'c')]);
  const body = await collect(signChunks(of(data), chain, data.length, 1000));
  const f = frames(body);
  const frame = (i: number) => body.subarray(f[i]!.headerAt, i + 1 < f.length ? f[i + 1]!.headerAt : body.length);
  const other = await collect(signChunks(of(Buffer.alloc(3000, 'z')), { ...chain, seedSignature: '0'.repeat(64) }, 3000, 1000));
  const cases: [string, Buffer, RegExp][] = [
    ['another body signed from another seed', other, /chunk 1 /],
    ['the second chunk dropped', Buffer.concat([frame(0), frame(2), frame(3)]), /chunk 2 /],
    ['the first chunk repeated', Buffer.concat([frame(0), frame(0), frame(1), frame(2), frame(3)]), /chunk 2 /],
    ['two chunks swapped', Buffer.concat([frame(1), frame(0), frame(2), frame(3)]), /chunk 1 /],
    ['the final chunk\'s signature replaced', Buffer.concat([frame(0), frame(1), frame(2), Buffer.from(`0;chunk-signature=${'1'.repeat(64)}\r\n\r\n`)]), /chunk 4 /],
  ];
  for (const [what, bad, where] of cases) {
    const r = await refused(of(bad), chain, 3000);
    assert.equal(r.error.code, 'InvalidSignatureException', what);
    assert.match(r.error.message, where, what);
  }
});

test('a body cut short, without its final chunk, or padded after it is refused', async () => {
  const chain = await exampleChain();
  const body = await exampleBody(chain);
  const f = frames(body);
  const noFinal = await refused(of(body.subarray(0, f[2]!.headerAt)), chain);
  assert.equal(noFinal.error.code, 'IncompleteBody');
  assert.match(noFinal.error.message, /66560 of the 66560 bytes.*without the signed final \(zero-length\) chunk/);
  const midChunk = await refused(of(body.subarray(0, f[1]!.dataAt + 10)), chain);
  assert.equal(midChunk.error.code, 'IncompleteBody');
  assert.equal(midChunk.yielded, 65536);
  const noCrlf = await refused(of(body.subarray(0, body.length - 2)), chain);
  assert.equal(noCrlf.error.code, 'IncompleteBody');
  const padded = await refused(of(body, Buffer.from('x')), chain);
  assert.equal(padded.error.code, 'InvalidChunkEncoding');
  assert.match(padded.error.message, /follow the final/);
});

test('lengths must add up to x-amz-decoded-content-length, and frames must be well-formed and bounded', async () => {
  const chain = await exampleChain();
  const body = await exampleBody(chain);
  const longer = await refused(of(body), chain, DECODED - 1);
  assert.equal(longer.error.code, 'InvalidChunkEncoding');
  assert.match(longer.error.message, /announces 1024 bytes but only 1023 remain/);
  const shorter = await refused(of(body), chain, DECODED + 1);
  assert.equal(shorter.error.code, 'IncompleteBody');
  assert.match(shorter.error.message, /final chunk \(chunk 3\) came after 66560 of the 66561 bytes/);
  for (const [bad, why] of [
    ['garbage\r\n', /expected a chunk header/],
    [`10000;chunk-signature=${'a'.repeat(64)}\n`, /expected a chunk header/],
    [`10000;chunk-signature=${'A'.repeat(64)}\r\n`, /expected a chunk header/],
    ['x'.repeat(200), /more than \d+ bytes without one/],
    [`1000000;chunk-signature=${'a'.repeat(64)}\r\n`, /at most 8388608/],
  ] as const) {
    const r = await refused(of(Buffer.from(bad)), chain, 64 * 1024 * 1024);
    assert.equal(r.error.code, 'InvalidChunkEncoding', bad);
    assert.match(r.error.message, why, bad);
  }
  const f = frames(body);
  const noCrlfAfterData = Buffer.from(body);
  noCrlfAfterData[f[0]!.dataAt + 65536] = 0x41;
  assert.match((await refused(of(noCrlfAfterData), chain)).error.message, /expected CRLF after the chunk's 65536 data bytes/);
});

test('the signer refuses a source that yields more or fewer bytes than it signed for', async () => {
  const chain = await exampleChain();
  await assert.rejects(collect(signChunks(of(Buffer.alloc(10)), chain, 11)), /ended after 10 of the 11 bytes/);
  await assert.rejects(collect(signChunks(of(Buffer.alloc(6), Buffer.alloc(6)), chain, 11)), /grew while it was read/);
  const empty = await collect(signChunks(of(), chain, 0));
  assert.equal(empty.length, encodedLength(0));
  assert.equal((await collect(verifiedChunks(of(empty), { chain, decodedLength: 0 }))).length, 0);
});

test('a source that fails mid-body (the client went away) is a cut body, and the source is cancelled when the verifier stops', async () => {
  const chain = await exampleChain();
  const body = await exampleBody(chain);
  async function* breaking(): AsyncGenerator<Uint8Array> {
    yield body.subarray(0, 66_000);
    throw new Error('aborted');
  }
  const broken = await refused(breaking(), chain);
  assert.equal(broken.error.code, 'IncompleteBody');
  assert.match(broken.error.message, /could not be read to its end \(aborted\)/);
  assert.equal(broken.yielded, 65536);
  let cancelled = false;
  async function* watched(): AsyncGenerator<Uint8Array> {
    try {
      yield Buffer.from('garbage\r\n');
      yield body;
    } finally {
      cancelled = true;
    }
  }
  await refused(watched(), chain);
  assert.equal(cancelled, true, 'the source was closed at the refusal');
});
