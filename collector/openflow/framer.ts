/**
 * Cuts a TCP/unix byte stream into OpenFlow messages. Every message starts with the 8-byte
 * ofp_header whose `length` (bytes 2-3) covers the whole message, so a message is at most 64 KiB.
 * Messages that lie inside one chunk are delivered as views of it (no copy); a message that spans
 * chunks is copied once into a buffer of its exact size, allocated as soon as its header is
 * known, so however finely the stream is cut the work stays linear.
 */
import { HEADER_LEN } from './constants.js';
import { protocolError } from './wire.js';

export class MessageFramer {
  /** Header bytes of a message whose header is still incomplete. */
  private readonly head = Buffer.alloc(HEADER_LEN);
  private headFilled = 0;
  /** The message being assembled across chunks (header included). */
  private partial: Buffer | undefined;
  private partialFilled = 0;

  constructor(private readonly onMessage: (message: Buffer) => void) {}

  /** Bytes held for an incomplete message. */
  get buffered(): number {
    return this.partial === undefined ? this.headFilled : this.partialFilled;
  }

  /** Feeds one chunk; throws a PROTOCOL TelemetryError on a header with length < 8. */
  push(chunk: Buffer): void {
    let offset = this.buffered > 0 ? this.continuePartial(chunk) : 0;
    while (chunk.length - offset >= HEADER_LEN) {
      const length = messageLength(chunk, offset);
      if (chunk.length - offset < length) {
        this.startPartial(chunk.subarray(offset, offset + HEADER_LEN), length);
        offset += HEADER_LEN;
        offset += this.fillPartial(chunk, offset);
        return;
      }
      this.onMessage(chunk.subarray(offset, offset + length));
      offset += length;
    }
    if (offset < chunk.length) {
      chunk.copy(this.head, 0, offset);
      this.headFilled = chunk.length - offset;
    }
  }

  /** Drops any partial message (after the connection was reset). */
  reset(): void {
    this.headFilled = 0;
    this.partial = undefined;
    this.partialFilled = 0;
  }

  /** Continues the held message with bytes from `chunk`; returns the offset consumed. */
  private continuePartial(chunk: Buffer): number {
    let offset = 0;
    if (this.partial === undefined) {
      offset = Math.min(HEADER_LEN - this.headFilled, chunk.length);
      chunk.copy(this.head, this.headFilled, 0, offset);
      this.headFilled += offset;
      if (this.headFilled < HEADER_LEN) return offset;
      this.startPartial(this.head, messageLength(this.head, 0));
    }
    return offset + this.fillPartial(chunk, offset);
  }

  private startPartial(header: Buffer, length: number): void {
    this.partial = Buffer.allocUnsafe(length);
    header.copy(this.partial, 0, 0, HEADER_LEN);
    this.partialFilled = HEADER_LEN;
    this.headFilled = 0;
  }

  /** Copies what `chunk` has of the partial message; emits it when complete. Returns bytes taken. */
  private fillPartial(chunk: Buffer, offset: number): number {
    const partial = this.partial as Buffer;
    const taken = Math.min(partial.length - this.partialFilled, chunk.length - offset);
    chunk.copy(partial, this.partialFilled, offset, offset + taken);
    this.partialFilled += taken;
    if (this.partialFilled === partial.length) {
      this.reset();
      this.onMessage(partial);
    }
    return taken;
  }
}

function messageLength(buf: Buffer, offset: number): number {
  const length = buf.readUInt16BE(offset + 2);
  if (length < HEADER_LEN) throw protocolError(`message header claims length ${length} (minimum ${HEADER_LEN})`);
  return length;
}
