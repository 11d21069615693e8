import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TelemetryError, isTelemetryError } from '../../../common/errors.js';
import { OvsdbClient, reconnectDelayMs, type OvsdbClientOptions } from '../../../collector/ovsdb/client.js';
import { ZERO_UUID } from '../../../collector/ovsdb/datum.js';
import type { JsonObject } from '../../../collector/ovsdb/json.js';
import { FakeServer, type FakePeer } from './fake-server.js';
import { T1, T2, T3, TEST_SCHEMA_JSON, U1, U2 } from './test-schema.js';

// These tests use an in-process fake server to produce what a real ovsdb-server never does
// (unknown methods, malformed data, silence); test/integration/ovsdb covers the real one.

let server: FakeServer;
let client: OvsdbClient | undefined;
beforeEach(async () => {
  server = await FakeServer.start();
});
afterEach(async () => {
  await client?.close();
  client = undefined;
  await server.close();
});

function startClient(opts: Partial<OvsdbClientOptions> = {}): OvsdbClient {
  client = new OvsdbClient({ endpoint: server.endpoint, backoff: { initialMs: 5, maxMs: 20 }, requestTimeoutMs: 2000, ...opts });
  client.start();
  return client;
}

async function serveSchema(peer: FakePeer): Promise<void> {
  const request = await peer.nextRequest('get_schema');
  expect(request.params).toEqual(['Test']);
  peer.reply(request, TEST_SCHEMA_JSON);
}

function once<T extends unknown[]>(emitter: { once(event: string, fn: (...args: T) => void): unknown }, event: string): Promise<T> {
  return new Promise((resolve) => emitter.once(event, (...args: T) => resolve(args)));
}

function params(request: JsonObject): readonly unknown[] {
  return request.params as readonly unknown[];
}

describe('OvsdbClient monitor setup', () => {
  it('falls back from monitor_cond_since to monitor_cond to monitor when the server does not know them', async () => {
    const c = startClient();
    const replica = c.monitor('Test', { Interface: { columns: ['name', 'ofport'] } });
    const peer = await server.nextPeer();
    await serveSchema(peer);
    const since = await peer.nextRequest('monitor_cond_since');
    const [db, monitorId, requests, lastTxnId] = params(since);
    expect([db, requests, lastTxnId]).toEqual(['Test', { Interface: [{ columns: ['name', 'ofport'] }] }, ZERO_UUID]);
    peer.fail(since, 'unknown method');
    const cond = await peer.nextRequest('monitor_cond');
    expect(params(cond)).toEqual(['Test', monitorId, { Interface: [{ columns: ['name', 'ofport'] }] }]);
    peer.fail(cond, { error: 'unknown method' });
    const plain = await peer.nextRequest('monitor');
    expect(params(plain)).toEqual(['Test', monitorId, { Interface: [{ columns: ['name', 'ofport'] }] }]);
    const synced = once(replica, 'synced');
    peer.reply(plain, { Interface: { [U1]: { new: { name: 'tap1', ofport: 1 } } } });
    await synced;
    expect(replica.table('Interface').get(U1)).toEqual({ name: 'tap1', ofport: 1 });
    const changed = once(replica, 'change');
    peer.send({ method: 'update', params: [monitorId, { Interface: { [U1]: { old: { ofport: 1 }, new: { name: 'tap1', ofport: 2 } } } }], id: null });
    await changed;
    expect(replica.table('Interface').get(U1)?.ofport).toBe(2);
  });

  it('resumes with monitor_cond_since from the last transaction and applies only the delta', async () => {
    const c = startClient();
    const replica = c.monitor('Test', { Interface: { columns: ['name'] } });
    let peer = await server.nextPeer();
    await serveSchema(peer);
    let request = await peer.nextRequest('monitor_cond_since');
    const monitorId = params(request)[1];
    peer.reply(request, [false, T1, { Interface: { [U1]: { initial: { name: 'a' } }, [U2]: { initial: { name: 'b' } } } }]);
    await once(replica, 'synced');
    const changed = once(replica, 'change');
    peer.send({ method: 'update3', params: [monitorId, T2, { Interface: { [U1]: { modify: { name: 'a2' } } } }], id: null });
    await changed;

    const disconnected = once(c, 'disconnected');
    peer.socket.destroy();
    expect(await disconnected).toEqual([undefined]);
    expect(replica.synced).toBe(false);
    const events: string[] = [];
    replica.on('reset', () => events.push('reset'));
    replica.on('change', (change) => events.push(`change ${change.uuid}`));
    peer = await server.nextPeer();
    await serveSchema(peer);
    request = await peer.nextRequest('monitor_cond_since');
    expect(params(request)[3]).toBe(T2);
    const synced = once(replica, 'synced');
    peer.reply(request, [true, T3, { Interface: { [U2]: { delete: null } } }]);
    await synced;
    expect(events).toEqual([`change ${U2}`]);
    expect([...replica.table('Interface')]).toEqual([[U1, { name: 'a2' }]]);
  });

  it('applies an update3 that arrives in the same chunk as the monitor reply after the reply', async () => {
    const c = startClient();
    const replica = c.monitor('Test', { Interface: { columns: ['name'] } });
    const peer = await server.nextPeer();
    await serveSchema(peer);
    const request = await peer.nextRequest('monitor_cond_since');
    const synced = once(replica, 'synced');
    peer.send(
      { id: request.id, error: null, result: [false, T1, { Interface: { [U1]: { initial: { name: 'a' } } } }] },
      { method: 'update3', params: [params(request)[1], T2, { Interface: { [U1]: { modify: { name: 'b' } } } }], id: null },
    );
    await synced;
    await new Promise((resolve) => setImmediate(resolve));
    expect(replica.table('Interface').get(U1)).toEqual({ name: 'b' });
  });

  it('reports malformed update data as a clear error, reconnects and resyncs in full', async () => {
    const c = startClient();
    const errors: Error[] = [];
    c.on('error', (err) => errors.push(err));
    const replica = c.monitor('Test', { Interface: { columns: ['name', 'ofport'] } });
    let peer = await server.nextPeer();
    await serveSchema(peer);
    let request = await peer.nextRequest('monitor_cond_since');
    peer.reply(request, [false, T1, { Interface: { [U1]: { initial: { name: 'a' } } } }]);
    await once(replica, 'synced');
    const disconnected = once<[Error | undefined]>(c, 'disconnected');
    peer.send({ method: 'update3', params: [params(request)[1], T2, { Interface: { [U1]: { modify: { ofport: { bad: true } } } } }], id: null });
    const [reason] = await disconnected;
    expect(isTelemetryError(reason, 'PROTOCOL')).toBe(true);
    expect(reason?.message).toContain(`table Interface, row ${U1}, column ofport`);
    expect(replica.table('Interface').get(U1)).toEqual({ name: 'a', ofport: null });
    peer = await server.nextPeer();
    await serveSchema(peer);
    request = await peer.nextRequest('monitor_cond_since');
    expect(params(request)[3]).toBe(ZERO_UUID);
    const reset = once(replica, 'reset');
    peer.reply(request, [false, T3, { Interface: { [U2]: { initial: { name: 'b' } } } }]);
    await reset;
    expect([...replica.table('Interface').keys()]).toEqual([U2]);
  });

  it('reports a malformed monitor reply and a malformed schema without crashing', async () => {
    const c = startClient();
    const errors: Error[] = [];
    c.on('error', (err) => errors.push(err));
    const replica = c.monitor('Test', { Interface: {} });
    let peer = await server.nextPeer();
    peer.reply(await peer.nextRequest('get_schema'), { name: 'Test', tables: { Interface: { columns: { x: { type: 'float' } } } } });
    peer = await server.nextPeer();
    await serveSchema(peer);
    peer.reply(await peer.nextRequest('monitor_cond_since'), [false, 'zz', {}]);
    peer = await server.nextPeer();
    await serveSchema(peer);
    const synced = once(replica, 'synced');
    peer.reply(await peer.nextRequest('monitor_cond_since'), [false, T1, {}]);
    await synced;
    expect(errors.map((e) => (e as TelemetryError).code)).toEqual(['PROTOCOL', 'PROTOCOL']);
    expect(errors[0].message).toContain('malformed database schema at Interface.x.type: unknown atomic type "float"');
    expect(errors[1].message).toContain('malformed monitor_cond_since reply');
  });

  it('keeps the connection when the server refuses a monitor (unknown database)', async () => {
    const c = startClient();
    const errors: Error[] = [];
    c.on('error', (err) => errors.push(err));
    const replica = c.monitor('Nope', { T: {} });
    const peer = await server.nextPeer();
    peer.fail(await peer.nextRequest('get_schema'), { error: 'unknown database', details: 'Nope' });
    const dbs = c.listDbs();
    peer.reply(await peer.nextRequest('list_dbs'), ['Test']);
    expect(await dbs).toEqual(['Test']);
    expect(errors.map((e) => e.message)).toEqual(['get_schema failed: unknown database: Nope']);
    expect(replica.synced).toBe(false);
    expect(c.connected).toBe(true);
  });

  it('sets a monitor up again when the server cancels it', async () => {
    const c = startClient();
    const replica = c.monitor('Test', { Interface: { columns: ['name'] } });
    const peer = await server.nextPeer();
    await serveSchema(peer);
    let request = await peer.nextRequest('monitor_cond_since');
    const monitorId = params(request)[1];
    peer.reply(request, [false, T1, { Interface: { [U1]: { initial: { name: 'a' } } } }]);
    await once(replica, 'synced');
    peer.send({ method: 'monitor_canceled', params: [monitorId], id: null });
    await serveSchema(peer);
    request = await peer.nextRequest('monitor_cond_since');
    expect(replica.synced).toBe(false);
    expect(params(request)[3]).toBe(ZERO_UUID);
    const synced = once(replica, 'synced');
    peer.reply(request, [false, T2, { Interface: { [U2]: { initial: { name: 'b' } } } }]);
    await synced;
    expect([...replica.table('Interface').keys()]).toEqual([U2]);
    expect(c.connected).toBe(true);
  });

  it('drops a server that stops answering and reconnects', async () => {
    const c = startClient({ echoIntervalMs: 30 });
    await server.nextPeer();
    const [reason] = await once<[Error | undefined]>(c, 'disconnected');
    expect(isTelemetryError(reason, 'TIMEOUT')).toBe(true);
    await server.nextPeer();
    await once(c, 'connected');
  });
});

describe('OvsdbClient requests', () => {
  it('waits for the connection, and checks list_dbs replies', async () => {
    const c = startClient();
    const dbs = c.listDbs();
    const peer = await server.nextPeer();
    peer.reply(await peer.nextRequest('list_dbs'), ['Open_vSwitch', '_Server']);
    expect(await dbs).toEqual(['Open_vSwitch', '_Server']);
    const bad = c.listDbs();
    peer.reply(await peer.nextRequest('list_dbs'), { not: 'a list' });
    await expect(bad).rejects.toThrow(/list_dbs reply from unix:.* is not an array of names/);
  });

  it('turns a failed operation into RPC_ERROR naming it, and decodes results', async () => {
    const c = startClient();
    const peer = await server.nextPeer();
    const ok = c.transact('Test', [
      { op: 'insert', table: 'Interface', row: { name: 'x' }, 'uuid-name': 'new' },
      { op: 'delete', table: 'Port', where: [['name', '==', 'y']] },
      { op: 'select', table: 'Interface', where: [], columns: ['name'] },
    ]);
    const request = await peer.nextRequest('transact');
    expect(params(request)[0]).toBe('Test');
    expect(params(request)[1]).toEqual({ op: 'insert', table: 'Interface', row: { name: 'x' }, 'uuid-name': 'new' });
    peer.reply(request, [{ uuid: ['uuid', U1] }, { count: 2 }, { rows: [{ name: 'x' }] }]);
    expect(await ok).toEqual([{ uuid: U1 }, { count: 2 }, { rows: [{ name: 'x' }] }]);

    const failing = c.transact('Test', [
      { op: 'insert', table: 'Interface', row: { name: 'x' } },
      { op: 'update', table: 'Port', where: [], row: { name: 'z' } },
    ]);
    peer.reply(await peer.nextRequest('transact'), [{ uuid: ['uuid', U1] }, { error: 'constraint violation', details: 'name must be unique' }]);
    await expect(failing).rejects.toMatchObject({
      code: 'RPC_ERROR',
      message: 'transact failed at operation 1 (update Port): constraint violation: name must be unique',
      rpcError: { error: 'constraint violation', details: 'name must be unique' },
    });

    const commitFailed = c.transact('Test', [{ op: 'delete', table: 'Interface', where: [] }]);
    peer.reply(await peer.nextRequest('transact'), [{ count: 1 }, { error: 'referential integrity violation', details: 'row is referenced' }]);
    await expect(commitFailed).rejects.toThrow('transact failed at commit: referential integrity violation: row is referenced');

    const malformed = c.transact('Test', [{ op: 'comment', comment: 'x' }]);
    peer.reply(await peer.nextRequest('transact'), 'not an array');
    await expect(malformed).rejects.toThrow('transact reply is not an array of 1 results');
  });

  it('refuses requests when not started, and rejects waiters on close', async () => {
    client = new OvsdbClient({ endpoint: server.endpoint });
    await expect(client.listDbs()).rejects.toThrow('start() was not called');
    client.start();
    await server.close();
    server = await FakeServer.start(); // a fresh socket path: the client keeps retrying the old one
    const pending = client.getSchema('Test');
    await client.close();
    await expect(pending).rejects.toThrow('was closed');
  });

  it('validates its options', () => {
    expect(() => new OvsdbClient({ endpoint: 'ssl:127.0.0.1:6640' })).toThrow('needs a private key, certificate and CA certificate');
    expect(() => new OvsdbClient({ endpoint: 'ptcp:6640' })).toThrow(/passive/);
  });
});

describe('reconnectDelayMs', () => {
  it('doubles from initialMs up to maxMs, jittered between half and all of it', () => {
    const backoff = { initialMs: 200, maxMs: 8000 };
    expect([0, 1, 2, 5, 6, 40].map((a) => reconnectDelayMs(a, backoff, () => 1))).toEqual([200, 400, 800, 6400, 8000, 8000]);
    expect([0, 1, 6].map((a) => reconnectDelayMs(a, backoff, () => 0))).toEqual([100, 200, 4000]);
  });
});

