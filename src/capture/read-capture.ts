// Reads a pcap or pcapng file (or either gzip-compressed) in large chunks (two buffers, so the next
// read overlaps decoding the current one) and streams it through a CaptureStreamDecoder: memory stays
// flat whatever the file size.

import { open } from 'node:fs/promises';
import type { CaptureStats } from './capture-stats.ts';
import { CaptureStreamDecoder, type CaptureDecoderOptions } from './capture-stream-decoder.ts';
import type { DecodedPacket } from './packet.ts';

export interface ReadCaptureOptions extends CaptureDecoderOptions {
  /** Bytes per read (default 4 MiB). */
  chunkSize?: number;
  /** Called after each chunk with the bytes decoded so far and the file size (0 for a pipe/FIFO). */
  onProgress?: (bytesConsumed: number, totalBytes: number) => void;
}

export const DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024;

/**
 * Decodes every packet of the capture at `path`, calling `onPacket` with the run's one reused packet
 * object. Rejects with CaptureFormatError (unreadable file header, corrupt gzip data) or the file
 * system's error; per-packet trouble, and a link type without a decoder, is counted in the stats.
 */
export async function readCapture(path: string, onPacket: (packet: DecodedPacket) => void, options: ReadCaptureOptions = {}): Promise<CaptureStats> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkSize must be a positive integer, got ${chunkSize}`);
  const decoder = new CaptureStreamDecoder(onPacket, { ...options, source: options.source ?? path });
  const file = await open(path, 'r');
  try {
    const totalBytes = (await file.stat()).size;
    const buffers = [new Uint8Array(chunkSize), new Uint8Array(chunkSize)];
    let current = 0;
    let pending = file.read(buffers[0]!, 0, chunkSize, null);
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) break;
      const filled = buffers[current]!;
      current ^= 1;
      pending = file.read(buffers[current]!, 0, chunkSize, null);
      try {
        decoder.push(filled.subarray(0, bytesRead));
      } catch (error) {
        await pending.catch(() => undefined);
        throw error;
      }
      options.onProgress?.(decoder.bytesConsumed, totalBytes);
    }
    return decoder.end();
  } finally {
    await file.close();
  }
}
