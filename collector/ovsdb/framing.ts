import { TelemetryError } from '../../common/errors.js';
import { isJsonObject, type Json, type JsonObject } from './json.js';

/** Largest single JSON-RPC message accepted by default (a full Interface table with statistics of a big host fits many times). */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isJsonWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/**
 * Splits a byte stream into JSON-RPC messages. OVS writes JSON objects back to back with no
 * delimiter (RFC 7047 §4 leaves framing to JSON itself), so a message ends where its outermost
 * brace closes. The scan state (nesting depth, inside a string, after a backslash) survives
 * between chunks, so every byte is looked at once however the stream is cut; the bytes of an
 * unfinished message are kept as a list of chunks and joined once when it completes.
 */
export class JsonMessageSplitter {
  private readonly parts: Buffer[] = [];
  private partBytes = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private failure: TelemetryError | undefined;
  private readonly maxMessageBytes: number;

  constructor(maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES) {
    this.maxMessageBytes = maxMessageBytes;
  }

  /** Bytes of a message begun but not finished (non-zero when a stream ends mid-message). */
  get pendingBytes(): number {
    return this.partBytes;
  }

  /**
   * Feeds the next chunk and returns the messages it completed, in order. Throws a PROTOCOL
   * error for input that is not a sequence of JSON objects or a message above the size limit;
   * the stream cannot be resynchronised after that, so every later call throws the same error.
   */
  push(chunk: Buffer): JsonObject[] {
    if (this.failure) throw this.failure;
    try {
      return this.scan(chunk);
    } catch (err) {
      this.failure = err instanceof TelemetryError ? err : new TelemetryError('PROTOCOL', String(err), { cause: err });
      this.parts.length = 0;
      this.partBytes = 0;
      throw this.failure;
    }
  }

  private scan(chunk: Buffer): JsonObject[] {
    const messages: JsonObject[] = [];
    const n = chunk.length;
    let depth = this.depth;
    let inString = this.inString;
    let escaped = this.escaped;
    // Start of the current message within this chunk (0 when it began in an earlier chunk).
    let start = depth > 0 ? 0 : -1;
    for (let i = 0; i < n; i++) {
      const b = chunk[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (b === BACKSLASH) escaped = true;
        else if (b === QUOTE) inString = false;
        continue;
      }
      if (depth === 0) {
        if (b === OPEN_BRACE) {
          depth = 1;
          start = i;
        } else if (!isJsonWhitespace(b)) {
          throw new TelemetryError(
            'PROTOCOL',
            `expected a JSON-RPC message (a JSON object) but the stream has ${describeByte(b)}`,
          );
        }
        continue;
      }
      if (b === QUOTE) inString = true;
      else if (b === OPEN_BRACE || b === OPEN_BRACKET) depth++;
      else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) {
          messages.push(this.finish(chunk, start, i + 1));
          start = -1;
        }
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    if (depth > 0) this.keep(chunk.subarray(start));
    return messages;
  }

  private keep(part: Buffer): void {
    this.partBytes += part.length;
    this.checkSize(this.partBytes);
    this.parts.push(part);
  }

  private finish(chunk: Buffer, start: number, end: number): JsonObject {
    let bytes = chunk.subarray(start, end);
    if (this.parts.length > 0) {
      const total = this.partBytes + bytes.length;
      this.checkSize(total);
      this.parts.push(bytes);
      bytes = Buffer.concat(this.parts, total);
      this.parts.length = 0;
      this.partBytes = 0;
    } else {
      this.checkSize(bytes.length);
    }
    return parseMessage(bytes);
  }

  private checkSize(bytes: number): void {
    if (bytes > this.maxMessageBytes) {
      throw new TelemetryError(
        'PROTOCOL',
        `JSON-RPC message exceeds the ${this.maxMessageBytes}-byte limit (at least ${bytes} bytes)`,
      );
    }
  }
}

function parseMessage(bytes: Buffer): JsonObject {
  const text = bytes.toString('utf8');
  let value: Json;
  try {
    value = JSON.parse(text) as Json;
  } catch (err) {
    const head = text.length > 80 ? `${text.slice(0, 80)}…` : text;
    throw new TelemetryError('PROTOCOL', `malformed JSON in a JSON-RPC message (${(err as Error).message}): ${head}`, {
      cause: err,
    });
  }
  if (!isJsonObject(value)) throw new TelemetryError('PROTOCOL', 'a JSON-RPC message is not a JSON object');
  return value;
}

function describeByte(b: number): string {
  return b >= 0x20 && b < 0x7f ? `"${String.fromCharCode(b)}"` : `byte 0x${b.toString(16).padStart(2, '0')}`;
}
