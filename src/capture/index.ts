// Packet capture input: streaming pcap/pcapng readers (files as stored, gzip-compressed or not, or
// chunks from a live `tcpdump -w -`) that decode each frame's link layer, IP header and transport
// ports into one reused DecodedPacket, counting skipped and malformed packets instead of throwing.
export type { DecodedPacket, DecodeProblem } from './packet.ts';
export { createDecodedPacket, MIN_PACKET_TIME_SEC, MAX_PACKET_TIME_SEC } from './packet.ts';
export type { CaptureCompression, CaptureFormat, CaptureInterface, CaptureStats } from './capture-stats.ts';
export { CaptureFormatError, UnsupportedLinkTypeError } from './errors.ts';
export { CaptureStreamDecoder, REASON_TIME_RANGE, type CaptureDecoderOptions } from './capture-stream-decoder.ts';
export { readCapture, DEFAULT_CHUNK_SIZE, type ReadCaptureOptions } from './read-capture.ts';
export { FrameDecoder, type FrameDecoderOptions, SKIP_NOT_IP, SKIP_NFLOG_NO_PAYLOAD } from './frame-decoder.ts';
export { FragmentTable } from './fragment-table.ts';
export { GzipInflater } from './gzip.ts';
export * from './link-types.ts';
