// CloudWatch Logs exports read as a stream: the JSON output of `aws logs filter-log-events` or
// `get-log-events`, JSON objects with a `message` (one per line, in arrays, or concatenated as
// Firehose writes them) and subscription envelopes. Exports of a whole log group are one JSON object
// of any size, so the scanner never holds a whole top-level value when it is the usual shape: the
// elements of an object's `events` / `logEvents` array and of a top-level array are taken one by one.

import type { TextProblem } from './text.ts';

/** One log event from a CloudWatch Logs export; `line` is where its top-level JSON value starts in the text. */
export interface CloudWatchEvent {
  readonly message: string;
  /** Event time in ms since the epoch (for flow logs: the record's start × 1000). */
  readonly timestamp?: number;
  readonly ingestionTime?: number;
  readonly eventId?: string;
  readonly logGroup?: string;
  readonly logStream?: string;
  readonly line: number;
}

export interface CloudWatchExport {
  readonly events: CloudWatchEvent[];
  readonly problems: TextProblem[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (v: Json | undefined): v is { [key: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);
const optString = (v: Json | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

interface EventContext {
  logGroup?: string;
  logStream?: string;
}

function collectEvent(e: Json | undefined, where: string, line: number, context: EventContext, out: CloudWatchExport): void {
  if (!isObject(e) || typeof e.message !== 'string') {
    out.problems.push({ line, message: `${where} has no string 'message'` });
    return;
  }
  const ts = e.timestamp;
  if (ts !== undefined && (typeof ts !== 'number' || !Number.isFinite(ts))) {
    out.problems.push({ line, message: `${where} has a 'timestamp' that is not a number` });
    return;
  }
  const event: { -readonly [K in keyof CloudWatchEvent]: CloudWatchEvent[K] } = { message: e.message, line };
  if (ts !== undefined) event.timestamp = ts;
  if (typeof e.ingestionTime === 'number') event.ingestionTime = e.ingestionTime;
  const eventId = optString(e.eventId) ?? optString(e.id);
  if (eventId !== undefined) event.eventId = eventId;
  const logGroup = optString(e.logGroupName) ?? context.logGroup;
  if (logGroup !== undefined) event.logGroup = logGroup;
  const logStream = optString(e.logStreamName) ?? context.logStream;
  if (logStream !== undefined) event.logStream = logStream;
  out.events.push(event);
}

function collectTop(v: Json, where: string, line: number, out: CloudWatchExport): void {
  if (!isObject(v)) {
    out.problems.push({ line, message: `${where} is not an object` });
    return;
  }
  if (typeof v.messageType === 'string') {
    // CloudWatch Logs subscription envelope; CONTROL_MESSAGE only checks the destination is reachable.
    if (v.messageType === 'CONTROL_MESSAGE') return;
    if (!Array.isArray(v.logEvents)) {
      out.problems.push({ line, message: `${where} is a ${v.messageType} without a 'logEvents' array` });
      return;
    }
    const context = { logGroup: optString(v.logGroup), logStream: optString(v.logStream) };
    v.logEvents.forEach((e, i) => collectEvent(e, `logEvents[${i}] of ${where}`, line, context, out));
    return;
  }
  if (Array.isArray(v.events)) {
    v.events.forEach((e, i) => collectEvent(e, `events[${i}] of ${where}`, line, {}, out));
    return;
  }
  if ('message' in v) {
    collectEvent(v, where, line, { logGroup: optString(v.logGroup), logStream: optString(v.logStream) }, out);
    return;
  }
  if (isObject(v.awslogs) && typeof v.awslogs.data === 'string') {
    out.problems.push({ line, message: `${where} holds a compressed subscription payload (awslogs.data, base64 gzip); decompress it first` });
    return;
  }
  out.problems.push({ line, message: `${where} has no 'message', 'events' or 'logEvents'` });
}

/** Largest JSON text held at once: one event (CloudWatch caps them at 256 KiB) or one envelope without its events. */
export const MAX_JSON_VALUE_CHARS = 8 * 1024 * 1024;

const NOT_JSON_PREVIEW = 60;

// Where the scanner is inside the members of a top-level object (depth 1).
const M_KEY = 0;
const M_COLON = 1;
const M_VALUE = 2;
const M_AFTER = 3;

/**
 * Reads a CloudWatch Logs export pushed in pieces of text (any split, even inside a string). After
 * each `push`, `take()` returns the events and problems found so far; `end()` reports what was left
 * open. Memory: at most `maxValueChars` of JSON text besides the piece being scanned.
 */
export class CloudWatchExportScanner {
  private readonly maxValue: number;
  private out: CloudWatchExport = { events: [], problems: [] };
  private line = 1;
  private depth = 0;
  private inString = false;
  private escape = false;
  // A line at depth 0 that is not JSON: skipped to its end; its start is shown in the problem.
  private skipping = false;
  private skipPreview = '';
  private skipLine = 0;
  // The top-level value: 1 an object, 2 an array.
  private topKind = 0;
  private topLine = 0;
  private top = '';
  private topCapturing = false;
  private topTooLarge = false;
  // Members of a top-level object.
  private member = M_KEY;
  private stringStart = -1;
  private stringIsKey = false;
  private key = '';
  private context: { messageType?: string; logGroup?: string; logStream?: string } = {};
  // A streamed array: level 1 is a top-level array, level 2 an object's events/logEvents.
  private streamLevel = 0;
  private streamKey: 'events' | 'logEvents' | undefined;
  private streamDiscard = false;
  private elementIndex = 0;
  private awaitingElement = false;
  private element = '';
  private elementActive = false;
  private elementTooLarge = false;
  // Index in the current piece where the active capture (element, else top) continues.
  private captureFrom = 0;

  constructor(opts: { maxValueChars?: number } = {}) {
    this.maxValue = opts.maxValueChars ?? MAX_JSON_VALUE_CHARS;
  }

  /** The events and problems found since the last call. */
  take(): CloudWatchExport {
    const r = this.out;
    this.out = { events: [], problems: [] };
    return r;
  }

  push(text: string): void {
    this.captureFrom = 0;
    const n = text.length;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) {
        if (this.skipping) this.endSkip();
        this.line++;
        if (this.depth === 0) continue;
      }
      if (this.skipping) {
        if (this.skipPreview.length < NOT_JSON_PREVIEW) this.skipPreview += text[i];
        continue;
      }
      if (this.depth === 0) {
        if (c === 10 || c === 32 || c === 9 || c === 13 || c === 0xfeff) continue;
        this.topLine = this.line;
        if (c === 123) {
          this.topKind = 1;
          this.top = '';
          this.topCapturing = true;
          this.topTooLarge = false;
          this.captureFrom = i;
          this.member = M_KEY;
          this.context = {};
          this.depth = 1;
        } else if (c === 91) {
          this.topKind = 2;
          this.depth = 1;
          this.startStream(1, undefined, false);
        } else {
          this.skipping = true;
          this.skipLine = this.line;
          this.skipPreview = text[i]!;
        }
        continue;
      }
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (c === 92) this.escape = true;
        else if (c === 34) {
          this.inString = false;
          if (this.stringStart >= 0) this.endMemberString(text, i);
        }
        continue;
      }
      if (this.awaitingElement && this.depth === this.streamLevel && c !== 32 && c !== 9 && c !== 13 && c !== 10 && c !== 93) {
        if (c === 44) {
          this.out.problems.push({ line: this.topLine, message: `invalid JSON starting at line ${this.topLine}: an empty array element before line ${this.line}` });
          continue;
        }
        this.awaitingElement = false;
        this.elementActive = true;
        this.elementTooLarge = false;
        this.element = '';
        this.captureFrom = i;
      }
      if (c === 34) {
        this.inString = true;
        if (this.topKind === 1 && this.depth === 1 && this.topCapturing) {
          if (this.member === M_KEY || this.member === M_VALUE) {
            this.stringIsKey = this.member === M_KEY;
            this.flushTop(text, i);
            this.stringStart = this.top.length;
          }
          if (this.member === M_VALUE) this.member = M_AFTER;
        }
      } else if (c === 123 || c === 91) {
        if (this.topKind === 1 && this.depth === 1 && this.member === M_VALUE) {
          this.member = M_AFTER;
          if (c === 91 && this.topCapturing && this.streamable()) {
            // Keep '[' in the top text; its elements go one by one, and the ']' closes it as '[]'.
            this.flushTop(text, i + 1);
            this.topCapturing = false;
            this.depth++;
            this.startStream(2, this.key as 'events' | 'logEvents', this.context.messageType === 'CONTROL_MESSAGE');
            continue;
          }
        }
        this.depth++;
      } else if (c === 125 || c === 93) {
        if (this.streamLevel > 0 && this.depth === this.streamLevel) {
          if (this.elementActive) this.endElement(text, i);
          this.awaitingElement = false;
          const level = this.streamLevel;
          this.streamLevel = 0;
          this.depth--;
          if (level === 1) {
            this.topKind = 0;
          } else {
            this.topCapturing = !this.topTooLarge;
            this.captureFrom = i;
          }
          continue;
        }
        this.depth--;
        if (this.depth === 0 && this.topKind === 1) this.endTop(text, i + 1);
      } else if (this.streamLevel > 0 && this.depth === this.streamLevel && c === 44) {
        if (this.elementActive) this.endElement(text, i);
        this.awaitingElement = true;
      } else if (this.topKind === 1 && this.depth === 1) {
        if (c === 58) this.member = M_VALUE;
        else if (c === 44) this.member = M_KEY;
        else if (this.member === M_VALUE && c !== 32 && c !== 9 && c !== 13 && c !== 10) this.member = M_AFTER;
      }
    }
    // Keep what the piece added to the open capture.
    if (this.elementActive) this.flushElement(text, n);
    else if (this.topCapturing && this.depth > 0) this.flushTop(text, n);
  }

  /** Call after the last piece: reports a value or line left unfinished. */
  end(): void {
    if (this.skipping) this.endSkip();
    if (this.depth > 0 || this.inString) {
      this.out.problems.push({ line: this.topLine, message: `unterminated JSON value starting at line ${this.topLine}` });
      this.depth = 0;
      this.inString = false;
      this.topKind = 0;
      this.streamLevel = 0;
      this.elementActive = false;
      this.top = '';
      this.element = '';
    }
  }

  private endSkip(): void {
    this.skipping = false;
    this.out.problems.push({ line: this.skipLine, message: `line ${this.skipLine} is not JSON: '${this.skipPreview}'` });
  }

  /** Whether the member being read is an events array to stream (as collectTop would read it). */
  private streamable(): boolean {
    if (this.key === 'logEvents') return this.context.messageType !== undefined;
    if (this.key === 'events') return this.context.messageType === undefined;
    return false;
  }

  private startStream(level: number, key: 'events' | 'logEvents' | undefined, discard: boolean): void {
    this.streamLevel = level;
    this.streamKey = key;
    this.streamDiscard = discard;
    this.elementIndex = 0;
    this.awaitingElement = true;
    this.elementActive = false;
  }

  private flushTop(text: string, to: number): void {
    if (this.topCapturing && to > this.captureFrom) {
      this.top += text.slice(this.captureFrom, to);
      if (this.top.length > this.maxValue) {
        this.topTooLarge = true;
        this.topCapturing = false;
        this.top = '';
        this.stringStart = -1;
      }
    }
    this.captureFrom = to;
  }

  private flushElement(text: string, to: number): void {
    if (!this.elementTooLarge && to > this.captureFrom) {
      this.element += text.slice(this.captureFrom, to);
      if (this.element.length > this.maxValue) {
        this.elementTooLarge = true;
        this.element = '';
      }
    }
    this.captureFrom = to;
  }

  /** A string member of the top object just closed at `i`: a key, or a value the events need. */
  private endMemberString(text: string, i: number): void {
    this.flushTop(text, i + 1);
    if (this.stringStart < 0) return;
    const raw = this.top.slice(this.stringStart);
    this.stringStart = -1;
    let value: string;
    try {
      value = JSON.parse(raw) as string;
    } catch {
      return; // the whole value fails to parse later and is reported then
    }
    if (this.stringIsKey) {
      this.key = value;
      this.member = M_COLON;
    } else if (this.key === 'messageType' || this.key === 'logGroup' || this.key === 'logStream') {
      this.context[this.key] = value;
    }
  }

  private endElement(text: string, i: number): void {
    this.flushElement(text, i);
    this.elementActive = false;
    const index = this.elementIndex++;
    const where = this.streamLevel === 1
      ? `element ${index} of the array at line ${this.topLine}`
      : `${this.streamKey}[${index}] of the JSON object at line ${this.topLine}`;
    if (this.elementTooLarge) {
      this.out.problems.push({ line: this.topLine, message: `${where} is larger than ${this.maxValue} characters; no log event is that large` });
      return;
    }
    const body = this.element;
    this.element = '';
    if (this.streamDiscard) return;
    let v: Json;
    try {
      v = JSON.parse(body) as Json;
    } catch (e) {
      this.out.problems.push({ line: this.topLine, message: `invalid JSON in ${where}: ${(e as Error).message}` });
      return;
    }
    if (this.streamLevel === 1) collectTop(v, where, this.topLine, this.out);
    else {
      const context = this.streamKey === 'logEvents' ? { logGroup: this.context.logGroup, logStream: this.context.logStream } : {};
      collectEvent(v, where, this.topLine, context, this.out);
    }
  }

  private endTop(text: string, to: number): void {
    this.flushTop(text, to);
    this.topKind = 0;
    this.topCapturing = false;
    const body = this.top;
    this.top = '';
    if (this.topTooLarge) {
      this.out.problems.push({
        line: this.topLine,
        message: `the JSON value starting at line ${this.topLine} holds more than ${this.maxValue} characters outside an events array; split it into smaller exports`,
      });
      return;
    }
    let value: Json;
    try {
      value = JSON.parse(body) as Json;
    } catch (e) {
      this.out.problems.push({ line: this.topLine, message: `invalid JSON starting at line ${this.topLine}: ${(e as Error).message}` });
      return;
    }
    collectTop(value, `the JSON object at line ${this.topLine}`, this.topLine, this.out);
  }
}

/**
 * Reads CloudWatch Logs events from: the JSON output of `aws logs filter-log-events` or
 * `get-log-events` ({"events":[…]}); JSON objects with a `message` field, one per line, in an array,
 * or concatenated as Firehose writes them; CloudWatch subscription envelopes
 * ({"messageType":"DATA_MESSAGE",…,"logEvents":[…]}). Parse each message with parseRecordLine.
 */
export function parseCloudWatchExport(text: string): CloudWatchExport {
  const s = new CloudWatchExportScanner();
  s.push(text);
  s.end();
  return s.take();
}
