/**
 * Cuts a TCP/unix byte stream into OpenFlow messages. Every message starts with the 8-byte
 * ofp_header whose `length` (bytes 2-3) covers the whole message, so a message is at most 64 KiB
 * and the framer never holds more than one partial message plus the chunk being split.
 * Messages that lie inside one chunk are delivered as views of it (no copy); only a message
 * that spans chunks is assembled into its own buffer.
 */
import { HEADER_LEN } from './constants.js';
import { protocolError } from './wire.js';

export class MessageFramer {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly onMessage: (message: Buffer) => void) {}

  /** Bytes held for an incomplete message. */
  get buffered(): number {
    return this.pendingBytes;
  }

  /** Feeds one chunk; throws a PROTOCOL TelemetryError on a header with length < 8. */
  push(chunk: Buffer): void {
    let offset = 0;
    if (this.pendingBytes > 0) {
      offset = this.completePending(chunk);
      if (offset < 0) return;
    }
    while (chunk.length - offset >= HEADER_LEN) {
      const length = messageLength(chunk, offset);
      if (chunk.length - offset < length) break;
      this.onMessage(chunk.subarray(offset, offset + length));
      offset += length;
    }
    if (offset < chunk.length) {
      this.pending.push(chunk.subarray(offset));
      this.pendingBytes += chunk.length - offset;
    }
  }

  /** Drops any partial message (after the connection was reset). */
  reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Finishes the held partial message with bytes from `chunk`; returns the offset consumed, -1 if still short. */
  private completePending(chunk: Buffer): number {
    const total = this.pendingBytes + chunk.length;
    if (total < HEADER_LEN) {
      this.pending.push(chunk);
      this.pendingBytes = total;
      return -1;
    }
    const length = messageLength(Buffer.concat([...this.pending, chunk.subarray(0, HEADER_LEN)], HEADER_LEN), 0);
    if (total < length) {
      this.pending.push(chunk);
      this.pendingBytes = total;
      return -1;
    }
    const taken = length - this.pendingBytes;
    const message = Buffer.concat([...this.pending, chunk.subarray(0, taken)], length);
    this.reset();
    this.onMessage(message);
    return taken;
  }
}

function messageLength(buf: Buffer, offset: number): number {
  const length = buf.readUInt16BE(offset + 2);
  if (length < HEADER_LEN) throw protocolError(`message header claims length ${length} (minimum ${HEADER_LEN})`);
  return length;
}
