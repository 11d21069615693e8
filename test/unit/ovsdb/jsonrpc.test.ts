import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TelemetryError, isTelemetryError } from '../../../common/errors.js';
import type { Json } from '../../../collector/ovsdb/json.js';
import { JsonRpcConnection, OvsdbRpcError } from '../../../collector/ovsdb/jsonrpc.js';
import { FakeServer, type FakePeer } from './fake-server.js';

interface Session {
  conn: JsonRpcConnection;
  peer: FakePeer;
  notifications: [string, Json][];
  closed: Promise<TelemetryError | undefined>;
}

let server: FakeServer;
beforeEach(async () => {
  server = await FakeServer.start();
});
afterEach(async () => {
  await server.close();
});

async function open(maxMessageBytes?: number): Promise<Session> {
  const socket = connect({ path: server.path });
  await new Promise((resolve) => socket.once('connect', resolve));
  const notifications: [string, Json][] = [];
  let markClosed!: (reason: TelemetryError | undefined) => void;
  const closed = new Promise<TelemetryError | undefined>((resolve) => (markClosed = resolve));
  const conn = new JsonRpcConnection(
    socket,
    { notification: (method, params) => notifications.push([method, params]), closed: (reason) => markClosed(reason) },
    { peer: 'fake', ...(maxMessageBytes ? { maxMessageBytes } : {}) },
  );
  return { conn, peer: await server.nextPeer(), notifications, closed };
}

async function rejection(promise: Promise<unknown>): Promise<TelemetryError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(TelemetryError);
    return err as TelemetryError;
  }
  throw new Error('expected a rejection');
}

describe('JsonRpcConnection', () => {
  it('matches replies to requests by id, whatever their order', async () => {
    const { conn, peer } = await open();
    const first = conn.request('list_dbs', [], 1000);
    const second = conn.request('get_schema', ['Open_vSwitch'], 1000);
    const [a, b] = [await peer.next(), await peer.next()];
    expect(a).toMatchObject({ method: 'list_dbs', params: [] });
    expect(b).toMatchObject({ method: 'get_schema', params: ['Open_vSwitch'] });
    expect(a.id).not.toEqual(b.id);
    peer.reply(b, { name: 'Open_vSwitch' });
    peer.reply(a, ['Open_vSwitch']);
    expect(await first).toEqual(['Open_vSwitch']);
    expect(await second).toEqual({ name: 'Open_vSwitch' });
    conn.close();
  });

  it('rejects an error reply with RPC_ERROR carrying the server error', async () => {
    const { conn, peer } = await open();
    const pending = conn.request('get_schema', ['Nope'], 1000);
    peer.fail(await peer.next(), { error: 'unknown database', details: 'database Nope not found' });
    const err = await rejection(pending);
    expect(err).toBeInstanceOf(OvsdbRpcError);
    expect(err.code).toBe('RPC_ERROR');
    expect((err as OvsdbRpcError).rpcError).toEqual({ error: 'unknown database', details: 'database Nope not found' });
    expect(err.message).toBe('get_schema failed: unknown database: database Nope not found');
    conn.close();
  });

  it('times out a request, ignores its late reply and stays usable', async () => {
    const { conn, peer } = await open();
    const err = await rejection(conn.request('transact', ['Open_vSwitch'], 50));
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toContain('no reply to "transact" from fake within 50 ms');
    peer.reply(await peer.next(), []);
    const next = conn.request('list_dbs', [], 1000);
    peer.reply(await peer.next(), ['x']);
    expect(await next).toEqual(['x']);
    expect(conn.closed).toBe(false);
    conn.close();
  });

  it('answers the server\'s echo requests with their params', async () => {
    const { conn, peer } = await open();
    peer.send({ method: 'echo', params: ['ping', 1], id: 'echo' });
    expect(await peer.next()).toEqual({ result: ['ping', 1], error: null, id: 'echo' });
    conn.close();
  });

  it('delivers notifications (id null) to the handler', async () => {
    const { conn, peer, notifications } = await open();
    const pending = conn.request('echo', [], 1000);
    peer.send({ method: 'update2', params: ['m', { T: {} }], id: null });
    peer.reply(await peer.next(), []);
    await pending;
    expect(notifications).toEqual([['update2', ['m', { T: {} }]]]);
    conn.close();
  });

  it.each([
    ['bad JSON', '{"id":1,"result":nul}', 'malformed JSON in a JSON-RPC message'],
    ['a top-level array', '[1]', 'expected a JSON-RPC message (a JSON object)'],
    ['neither method nor result', '{"id":1,"foo":2}', 'neither "method" nor "result"/"error"'],
    ['a non-string method', '{"method":5,"params":[],"id":null}', 'a "method" that is not a string'],
  ])('rejects pending requests with PROTOCOL on a malformed reply: %s', async (_what, raw, message) => {
    const { conn, peer, closed } = await open();
    const pending = conn.request('list_dbs', [], 1000);
    await peer.next();
    peer.send(raw);
    const err = await rejection(pending);
    expect(err.code).toBe('PROTOCOL');
    expect(err.message).toContain(message);
    expect((await closed)?.code).toBe('PROTOCOL');
    expect(conn.closed).toBe(true);
  });

  it('rejects a reply above the size limit', async () => {
    const { conn, peer } = await open(1024);
    const pending = conn.request('get_schema', ['Open_vSwitch'], 1000);
    peer.reply(await peer.next(), 'x'.repeat(5000));
    expect((await rejection(pending)).message).toContain('exceeds the 1024-byte limit');
  });

  it('rejects pending requests with CONNECTION_CLOSED when the server closes', async () => {
    const { conn, peer, closed } = await open();
    const pending = conn.request('list_dbs', [], 1000);
    await peer.next();
    peer.socket.end();
    const err = await rejection(pending);
    expect(err.code).toBe('CONNECTION_CLOSED');
    expect(err.message).toContain('closed before the reply to "list_dbs"');
    expect(await closed).toBeUndefined();
    expect((await rejection(conn.request('list_dbs', [], 1000))).code).toBe('CONNECTION_CLOSED');
  });

  it('reports a server that closes in the middle of a message', async () => {
    const { peer, closed } = await open();
    peer.send('{"id":1,"result":["Open_');
    peer.socket.end();
    const reason = await closed;
    expect(reason?.code).toBe('PROTOCOL');
    expect(reason?.message).toContain('in the middle of a message (24 bytes unfinished)');
  });

  it('sends echoes when idle and stays up while they are answered', async () => {
    const { conn, peer } = await open();
    conn.startKeepalive(40);
    const echo = await peer.nextRequest('echo');
    peer.reply(echo, echo.params);
    await new Promise((resolve) => setTimeout(resolve, 60));
    peer.reply(await peer.nextRequest('echo'), []);
    expect(conn.closed).toBe(false);
    conn.close();
  });

  it('drops a silent server after two echo intervals with a TIMEOUT', async () => {
    const { conn, closed } = await open();
    conn.startKeepalive(40);
    const started = Date.now();
    const reason = await closed;
    expect(reason?.code).toBe('TIMEOUT');
    expect(reason?.message).toMatch(/no traffic from fake for \d+ ms/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(80);
    expect(isTelemetryError(reason)).toBe(true);
  });
});
