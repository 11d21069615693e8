import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonMessageSplitter } from '../../../collector/ovsdb/framing.js';
import type { JsonObject } from '../../../collector/ovsdb/json.js';

/**
 * An in-process stand-in for ovsdb-server on a unix socket, for the error cases a real server
 * never produces (malformed replies, silence, unknown methods). Tests drive it message by message.
 */
export class FakePeer {
  readonly socket: Socket;
  readonly received: JsonObject[] = [];
  private readonly waiting: ((message: JsonObject) => void)[] = [];
  private readonly unread: JsonObject[] = [];

  constructor(socket: Socket) {
    this.socket = socket;
    const splitter = new JsonMessageSplitter();
    socket.on('data', (chunk: Buffer) => {
      for (const message of splitter.push(chunk)) {
        this.received.push(message);
        const waiter = this.waiting.shift();
        if (waiter) waiter(message);
        else this.unread.push(message);
      }
    });
    socket.on('error', () => {});
  }

  /** The next message the client sends (in order, each returned once). */
  next(): Promise<JsonObject> {
    const message = this.unread.shift();
    if (message) return Promise.resolve(message);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** The next request with this method, answering echoes on the way. */
  async nextRequest(method: string): Promise<JsonObject> {
    for (;;) {
      const message = await this.next();
      if (message.method === method) return message;
      if (message.method === 'echo') this.send({ id: message.id, result: message.params, error: null });
    }
  }

  send(...messages: (object | string)[]): void {
    this.socket.write(messages.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(''));
  }

  reply(request: JsonObject, result: unknown): void {
    this.send({ id: request.id, result, error: null });
  }

  fail(request: JsonObject, error: unknown): void {
    this.send({ id: request.id, result: null, error });
  }
}

export class FakeServer {
  readonly path: string;
  readonly endpoint: string;
  readonly peers: FakePeer[] = [];
  private readonly dir: string;
  private readonly server: Server;
  private readonly waiting: ((peer: FakePeer) => void)[] = [];
  private handed = 0;

  private constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'fake-ovsdb-'));
    this.path = join(this.dir, 'db.sock');
    this.endpoint = `unix:${this.path}`;
    this.server = createServer((socket) => {
      const peer = new FakePeer(socket);
      this.peers.push(peer);
      const waiter = this.waiting.shift();
      if (waiter) {
        this.handed++;
        waiter(peer);
      }
    });
  }

  static async start(): Promise<FakeServer> {
    const fake = new FakeServer();
    await new Promise<void>((resolve) => fake.server.listen(fake.path, resolve));
    return fake;
  }

  /** The next client connection (each returned once, in order). */
  nextPeer(): Promise<FakePeer> {
    if (this.handed < this.peers.length) return Promise.resolve(this.peers[this.handed++]);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async close(): Promise<void> {
    for (const peer of this.peers) peer.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
