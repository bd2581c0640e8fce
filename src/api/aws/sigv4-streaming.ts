// SigV4 streaming payloads, as S3 defines them for chunked uploads (x-amz-content-sha256:
// STREAMING-AWS4-HMAC-SHA256-PAYLOAD, aws-chunked): the body travels as frames
// `<hex size>;chunk-signature=<64 hex>\r\n<data>\r\n` ending with a zero-length frame. Each chunk's
// signature covers its data's SHA-256 and the previous chunk's signature, the first one the request's
// (seed) signature, so a chunk cannot be changed, dropped, reordered or moved to another request,
// and a body cut short lacks the signed final chunk. Neither side holds more than one chunk.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { VpcflowError, errorMessage } from '../../platform/errors.ts';
import { scopeText, type ChunkChain } from './sigv4.ts';

const CHUNK_ALGORITHM = 'AWS4-HMAC-SHA256-PAYLOAD';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const SIGNATURE_FIELD = ';chunk-signature=';
const CRLF = Buffer.from('\r\n');

/** The chunk size the vpcflow CLI sends (what AWS recommends: at least 64 KiB). */
export const DEFAULT_CHUNK_BYTES = 64 * 1024;
/** The largest chunk the server takes: a chunk is held whole until its signature is checked. */
export const MAX_CHUNK_BYTES = 8 * 1024 * 1024;
// `<up to 8 hex digits>;chunk-signature=<64 hex>\r`: anything longer is not a chunk header.
const MAX_HEADER_BYTES = 8 + SIGNATURE_FIELD.length + 64 + 1;
const HEADER = /^([0-9a-fA-F]{1,8});chunk-signature=([0-9a-f]{64})\r$/;

/** A streaming body refused: the message says which chunk and why. */
export class StreamingPayloadError extends VpcflowError {}

const sha256Hex = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** The signature of one chunk whose data hashes to `dataHash`, chained to `previous`. */
export function chunkSignature(chain: ChunkChain, previous: string, dataHash: string): string {
  const text = [CHUNK_ALGORITHM, chain.amzDate, scopeText(chain.scope), previous, EMPTY_SHA256, dataHash].join('\n');
  return createHmac('sha256', chain.key).update(text, 'utf8').digest('hex');
}

const frameBytes = (size: number): number => size.toString(16).length + SIGNATURE_FIELD.length + 64 + 2 + size + 2;

/** Bytes on the wire (Content-Length) of an aws-chunked body of `decodedLength` bytes cut into `chunkBytes` chunks. */
export function encodedLength(decodedLength: number, chunkBytes = DEFAULT_CHUNK_BYTES): number {
  const rest = decodedLength % chunkBytes;
  return Math.floor(decodedLength / chunkBytes) * frameBytes(chunkBytes) + (rest ? frameBytes(rest) : 0) + frameBytes(0);
}

/**
 * Client side: cuts `source` into chunks of `chunkBytes` (the last one shorter), signs and frames
 * each, then the final zero-length chunk. A source that yields more or fewer than `decodedLength`
 * bytes (a file that changed while being read) throws: the server would refuse the upload anyway.
 */
export async function* signChunks(source: AsyncIterable<Uint8Array>, chain: ChunkChain, decodedLength: number, chunkBytes = DEFAULT_CHUNK_BYTES): AsyncGenerator<Buffer> {
  let previous = chain.seedSignature;
  // A frame goes out as header, data, CRLF: no copy of the data (copies of 64 KiB each cost more than hashing it).
  function* frame(data: Buffer): Generator<Buffer> {
    previous = chunkSignature(chain, previous, sha256Hex(data));
    yield Buffer.from(`${data.length.toString(16)}${SIGNATURE_FIELD}${previous}\r\n`);
    if (data.length > 0) yield data;
    yield CRLF;
  }
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let total = 0;
  for await (const piece of source) {
    let rest = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    total += rest.length;
    if (total > decodedLength) throw new Error(`the source grew while it was read: more than the ${decodedLength} bytes signed for`);
    while (rest.length > 0) {
      if (pendingBytes === 0 && rest.length >= chunkBytes) {
        // Whole chunks straight from the source's buffer (a file read in 64 KiB pieces is all of them).
        yield* frame(rest.subarray(0, chunkBytes));
        rest = rest.subarray(chunkBytes);
        continue;
      }
      const take = Math.min(chunkBytes - pendingBytes, rest.length);
      pending.push(rest.subarray(0, take));
      pendingBytes += take;
      rest = rest.subarray(take);
      if (pendingBytes === chunkBytes) {
        yield* frame(Buffer.concat(pending, pendingBytes));
        pending = [];
        pendingBytes = 0;
      }
    }
  }
  if (total !== decodedLength) throw new Error(`the source ended after ${total} of the ${decodedLength} bytes signed for (did it change while it was read?)`);
  if (pendingBytes > 0) yield* frame(Buffer.concat(pending, pendingBytes));
  yield* frame(Buffer.alloc(0));
}

export interface VerifyChunksOptions {
  readonly chain: ChunkChain;
  /** x-amz-decoded-content-length: the data bytes the chunks must add up to. */
  readonly decodedLength: number;
  readonly maxChunkBytes?: number;
}

/**
 * Server side: decodes an aws-chunked body and yields each chunk's data only after the chunk's
 * signature verified, so no consumer ever sees a byte that was not signed. Throws
 * StreamingPayloadError at the first bad frame or signature, when the data would exceed the declared
 * length, when anything follows the final chunk, and when the body ends (or the connection breaks)
 * before the final chunk. Stopping early (an error, or the consumer leaving) cancels the source.
 */
export async function* verifiedChunks(source: AsyncIterable<Uint8Array>, o: VerifyChunksOptions): AsyncGenerator<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  let ended = false;
  const pieces = async function* (): AsyncGenerator<Uint8Array> {
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await it.next();
      } catch (e) {
        ended = true;
        // A client gone mid-upload is a cut body, not a server fault.
        throw new StreamingPayloadError('IncompleteBody', `the body could not be read to its end (${errorMessage(e)}); a truncated upload is refused`);
      }
      if (next.done) {
        ended = true;
        return;
      }
      yield next.value;
    }
  };
  try {
    yield* decodeVerified(pieces(), o);
  } finally {
    if (!ended) await it.return?.();
  }
}

async function* decodeVerified(source: AsyncIterable<Uint8Array>, o: VerifyChunksOptions): AsyncGenerator<Uint8Array> {
  const maxChunk = o.maxChunkBytes ?? MAX_CHUNK_BYTES;
  let previous = o.chain.seedSignature;
  let state: 'header' | 'data' | 'data-crlf' | 'final-crlf' | 'done' = 'header';
  let chunk = 0; // 1-based number of the chunk being read
  let wire = 0; // bytes of the body consumed so far
  let decoded = 0; // data bytes verified and yielded
  let header: number[] = [];
  let size = 0;
  let claimed = '';
  // The chunk's data as views of the source's pieces, which a stream hands over and never reuses;
  // hashed as they arrive, yielded only once the chunk verified.
  let parts: Uint8Array[] = [];
  let filled = 0;
  let hash = createHash('sha256');
  let crlfSeen = 0;
  const where = (): string => `chunk ${chunk} (data bytes ${decoded}–${decoded + size} of ${o.decodedLength})`;
  const framing = (why: string): StreamingPayloadError =>
    new StreamingPayloadError('InvalidChunkEncoding', `the aws-chunked body is malformed at byte ${wire} (${where()}): ${why}; the upload was refused there`);
  const verify = (): void => {
    const expected = chunkSignature(o.chain, previous, hash.digest('hex'));
    if (!timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(claimed, 'hex'))) {
      throw new StreamingPayloadError('InvalidSignatureException',
        `the signature of ${where()} does not match what was computed from its data and the previous chunk's signature; the upload was refused at that chunk (was the body changed, or these headers sent with another body?)`, 403);
    }
    previous = claimed;
  };

  for await (const piece of source) {
    let i = 0;
    while (i < piece.length) {
      switch (state) {
        case 'header': {
          const lf = piece.indexOf(0x0a, i);
          const end = lf < 0 ? piece.length : lf;
          if (header.length + (end - i) > MAX_HEADER_BYTES) throw framing(`expected a chunk header '<hex size>;chunk-signature=<64 hex digits>' followed by CRLF, got more than ${MAX_HEADER_BYTES} bytes without one`);
          for (let k = i; k < end; k++) header.push(piece[k]!);
          wire += end - i;
          i = end;
          if (lf < 0) break;
          i++;
          wire++;
          chunk++;
          const line = Buffer.from(header).toString('latin1');
          header = [];
          const m = HEADER.exec(line);
          if (!m) throw framing(`expected a chunk header '<hex size>;chunk-signature=<64 hex digits>' followed by CRLF, got ${JSON.stringify(line.slice(0, 100))}`);
          size = parseInt(m[1]!, 16);
          claimed = m[2]!;
          if (size > maxChunk) throw framing(`the chunk announces ${size} bytes; chunks may hold at most ${maxChunk}`);
          if (decoded + size > o.decodedLength) throw framing(`the chunk announces ${size} bytes but only ${o.decodedLength - decoded} remain of the ${o.decodedLength} declared in x-amz-decoded-content-length`);
          parts = [];
          filled = 0;
          hash = createHash('sha256');
          if (size === 0) {
            verify();
            if (decoded !== o.decodedLength) {
              throw new StreamingPayloadError('IncompleteBody', `the final chunk (chunk ${chunk}) came after ${decoded} of the ${o.decodedLength} bytes declared in x-amz-decoded-content-length; the upload was refused`);
            }
            state = 'final-crlf';
            crlfSeen = 0;
          } else {
            state = 'data';
          }
          break;
        }
        case 'data': {
          const take = Math.min(size - filled, piece.length - i);
          const part = piece.subarray(i, i + take);
          hash.update(part);
          parts.push(part);
          filled += take;
          i += take;
          wire += take;
          if (filled === size) {
            state = 'data-crlf';
            crlfSeen = 0;
          }
          break;
        }
        case 'data-crlf':
        case 'final-crlf': {
          if (piece[i] !== CRLF[crlfSeen]) throw framing(`expected CRLF after the chunk's ${size} data bytes`);
          i++;
          wire++;
          if (++crlfSeen < 2) break;
          if (state === 'final-crlf') {
            state = 'done';
            break;
          }
          verify();
          decoded += size;
          state = 'header';
          const verified = parts;
          parts = [];
          for (const part of verified) yield part;
          break;
        }
        case 'done':
          throw new StreamingPayloadError('InvalidChunkEncoding', `${piece.length - i} or more bytes follow the final (zero-length) chunk at byte ${wire}; the upload was refused`);
      }
    }
  }
  if (state !== 'done') {
    throw new StreamingPayloadError('IncompleteBody',
      `the body ended at byte ${wire}, after ${decoded} of the ${o.decodedLength} bytes declared in x-amz-decoded-content-length, without the signed final (zero-length) chunk; a truncated upload is refused`);
  }
}
