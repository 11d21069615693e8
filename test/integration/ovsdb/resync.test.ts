import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OvsdbClient, type Replica } from '../../../collector/ovsdb/client.js';
import { getString } from '../../../collector/ovsdb/row.js';
import { startOvsdbServer, type OvsdbServer } from '../../helpers/ovsdb-server.js';
import { waitFor } from './wait.js';

let server: OvsdbServer;
const clients: OvsdbClient[] = [];

beforeAll(async () => {
  server = await startOvsdbServer();
  await server.vsctl('init');
  await server.vsctl('add-br', 'br0', '--', 'add-port', 'br0', 'p1', '--', 'add-port', 'br0', 'p2', '--', 'add-port', 'br0', 'p3');
});
afterAll(async () => {
  await server?.stop();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

function follow(endpoint: string): { client: OvsdbClient; replica: Replica; events: string[] } {
  const client = new OvsdbClient({ endpoint, backoff: { initialMs: 20, maxMs: 200 } });
  clients.push(client);
  const replica = client.monitor('Open_vSwitch', { Bridge: { columns: ['name', 'ports'] }, Port: { columns: ['name', 'interfaces'] }, Interface: { columns: ['name'] } });
  const events: string[] = [];
  client.on('connected', () => events.push('connected'));
  client.on('disconnected', () => events.push('disconnected'));
  replica.on('reset', () => events.push('reset'));
  replica.on('synced', () => events.push('synced'));
  client.start();
  return { client, replica, events };
}

function names(replica: Replica, table: string): string[] {
  return [...replica.table(table).values()].map((row) => getString(row, 'name')!).sort();
}

function uuidOf(replica: Replica, table: string, name: string): string {
  return [...replica.table(table)].find(([, row]) => row.name === name)![0];
}

describe('kill -9 of ovsdb-server and a restart on the same socket', () => {
  it('reconnects, resyncs in full, and keeps no row deleted while the server was down', async () => {
    const viaUnix = follow(server.unixEndpoint);
    const viaTcp = follow(server.tcpEndpoint);
    await waitFor('the first sync', () => viaUnix.replica.synced && viaTcp.replica.synced);
    expect(names(viaUnix.replica, 'Port')).toEqual(['br0', 'p1', 'p2', 'p3']);
    const p2Port = uuidOf(viaUnix.replica, 'Port', 'p2');
    const p2Interface = uuidOf(viaUnix.replica, 'Interface', 'p2');
    const interfacesTable = viaUnix.replica.table('Interface');

    await server.kill9();
    await waitFor('both clients to notice', () => !viaUnix.client.connected && !viaTcp.client.connected);
    expect(viaUnix.replica.synced).toBe(false);
    // The last known rows stay readable while the server is away.
    expect(names(viaUnix.replica, 'Port')).toEqual(['br0', 'p1', 'p2', 'p3']);

    // While it is down: remove p2 (its interface goes with it) and add p4, straight in the file.
    await server.offlineTransact([
      'Open_vSwitch',
      { op: 'mutate', table: 'Bridge', where: [['name', '==', 'br0']], mutations: [['ports', 'delete', ['uuid', p2Port]]] },
      { op: 'insert', table: 'Interface', 'uuid-name': 'i4', row: { name: 'p4' } },
      { op: 'insert', table: 'Port', 'uuid-name': 'p4', row: { name: 'p4', interfaces: ['named-uuid', 'i4'] } },
      { op: 'mutate', table: 'Bridge', where: [['name', '==', 'br0']], mutations: [['ports', 'insert', ['named-uuid', 'p4']]] },
    ]);
    viaUnix.events.length = 0;
    viaTcp.events.length = 0;
    await server.restart();

    await waitFor('both clients to resync', () => viaUnix.replica.synced && viaTcp.replica.synced, 10_000);
    for (const { replica, events } of [viaUnix, viaTcp]) {
      // A standalone ovsdb-server keeps no transaction history, so monitor_cond_since answers
      // found=false and the replica is replaced wholesale.
      expect(events).toEqual(['connected', 'reset', 'synced']);
      expect(names(replica, 'Port')).toEqual(['br0', 'p1', 'p3', 'p4']);
      expect(names(replica, 'Interface')).toEqual(['br0', 'p1', 'p3', 'p4']);
      expect(replica.table('Port').has(p2Port)).toBe(false);
      expect(replica.table('Interface').has(p2Interface)).toBe(false);
      const bridge = [...replica.table('Bridge').values()][0];
      expect((bridge.ports as string[]).sort()).toEqual([...replica.table('Port').keys()].sort());
    }
    // Consumers holding the table map see the new contents.
    expect(interfacesTable).toBe(viaUnix.replica.table('Interface'));

    // And the new session is live.
    await server.vsctl('add-port', 'br0', 'p5');
    await waitFor('p5 after the restart', () => names(viaTcp.replica, 'Port').includes('p5') && names(viaUnix.replica, 'Port').includes('p5'));
  });

  it('keeps trying while the server is down, then connects', async () => {
    await server.kill9();
    const { client, replica } = follow(server.unixEndpoint);
    const errors: Error[] = [];
    client.on('error', (err) => errors.push(err));
    await waitFor('a few failed attempts', () => errors.length >= 2);
    expect(errors[0].message).toContain(`cannot connect to ${server.unixEndpoint}`);
    await server.restart();
    await waitFor('the sync once the server is back', () => replica.synced, 10_000);
    expect(names(replica, 'Bridge')).toEqual(['br0']);
  });
});
