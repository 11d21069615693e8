/**
 * A scripted OpenFlow switch on a unix socket, for client tests: it sends its HELLO on accept,
 * frames what the client sends, and lets the test answer (or misbehave) message by message.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageFramer } from '../../../collector/openflow/framer.js';
import { hex } from './hex.js';

/** OVS-like HELLO: header version 6, bitmap offering OF1.0 - OF1.5. */
export const HELLO_OF10_15 = hex('0600001000000001 000100080000007e');

export class FakeConnection {
  private readonly queue: Buffer[] = [];
  private waiter: (() => void) | undefined;
  closed = false;

  constructor(readonly socket: net.Socket) {
    const framer = new MessageFramer((m) => {
      this.queue.push(Buffer.from(m));
      this.waiter?.();
    });
    socket.on('data', (chunk) => framer.push(chunk));
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on('error', () => undefined);
  }

  /** The next message the client sent (waits for it). */
  async next(): Promise<Buffer> {
    while (this.queue.length === 0) {
      if (this.closed) throw new Error('fake switch: client closed the connection');
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    return this.queue.shift() as Buffer;
  }

  /** The next message of this type, skipping others (e.g. keepalive echoes). */
  async nextOfType(type: number): Promise<Buffer> {
    for (;;) {
      const m = await this.next();
      if (m[1] === type) return m;
    }
  }

  send(...messages: Buffer[]): void {
    this.socket.write(Buffer.concat(messages));
  }

  /** Writes `data` in pieces of `size` bytes, one write per piece, a tick apart. */
  async sendInPieces(data: Buffer, size: number): Promise<void> {
    for (let i = 0; i < data.length; i += size) {
      this.socket.write(data.subarray(i, i + size));
      await new Promise((r) => setImmediate(r));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

export class FakeSwitch {
  readonly connections: FakeConnection[] = [];
  private readonly server: net.Server;
  private readonly dir: string;
  private waiter: (() => void) | undefined;
  hello: Buffer = HELLO_OF10_15;

  private constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'of-fake-'));
    this.server = net.createServer((socket) => {
      const conn = new FakeConnection(socket);
      this.connections.push(conn);
      socket.write(this.hello);
      this.waiter?.();
    });
  }

  get path(): string {
    return join(this.dir, 'br0.mgmt');
  }

  get target(): string {
    return `unix:${this.path}`;
  }

  static async start(): Promise<FakeSwitch> {
    const sw = new FakeSwitch();
    await sw.listen();
    return sw;
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.path, resolve));
  }

  /** Stops accepting (the socket file goes away) and drops every connection. */
  async stopListening(): Promise<void> {
    for (const c of this.connections) c.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The n-th connection (0-based), waiting for it. */
  async connection(n = 0): Promise<FakeConnection> {
    while (this.connections.length <= n) await new Promise<void>((resolve) => (this.waiter = resolve));
    return this.connections[n];
  }

  async stop(): Promise<void> {
    if (this.server.listening) await this.stopListening();
    else for (const c of this.connections) c.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A reply to `request`: same version and xid, the given type and body. */
export function reply(request: Buffer, type: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const m = Buffer.alloc(8 + body.length);
  m[0] = request[0];
  m[1] = type;
  m.writeUInt16BE(m.length, 2);
  m.writeUInt32BE(request.readUInt32BE(4), 4);
  body.copy(m, 8);
  return m;
}

/** A multipart reply part to `request` (same multipart type), `more` set on all but the last. */
export function multipartReply(request: Buffer, body: Buffer, more = false): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(request.readUInt16BE(8), 0);
  head.writeUInt16BE(more ? 1 : 0, 2);
  return reply(request, 19, Buffer.concat([head, body]));
}
