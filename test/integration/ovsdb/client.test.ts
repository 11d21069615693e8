import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual, promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isTelemetryError } from '../../../common/errors.js';
import { OvsdbClient, type MonitorMethod, type Replica, type RowChange } from '../../../collector/ovsdb/client.js';
import { decodeDatum, encodeDatum, encodeRow, type Datum, type Row } from '../../../collector/ovsdb/datum.js';
import type { Json } from '../../../collector/ovsdb/json.js';
import { getString, getStringMap } from '../../../collector/ovsdb/row.js';
import type { DatabaseSchema } from '../../../collector/ovsdb/schema.js';
import { startOvsdbServer, VSWITCH_SCHEMA, type OvsdbServer } from '../../helpers/ovsdb-server.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);
const TABLES = ['Bridge', 'Port', 'Interface'] as const;

const clients: OvsdbClient[] = [];
function newClient(endpoint: string, monitorMethods?: readonly MonitorMethod[]): OvsdbClient {
  const client = new OvsdbClient({ endpoint, backoff: { initialMs: 20, maxMs: 200 }, ...(monitorMethods ? { monitorMethods } : {}) });
  clients.push(client);
  client.start();
  return client;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

function synced(replica: Replica): Promise<void> {
  return replica.synced ? Promise.resolve() : new Promise((resolve) => replica.once('synced', () => resolve()));
}

/** What `ovs-vsctl list TABLE` says, decoded with our own datum decoder: the reference for the replica. */
async function vsctlTable(server: OvsdbServer, schema: DatabaseSchema, table: string): Promise<Map<string, Row>> {
  const { stdout } = await run('ovs-vsctl', [`--db=${server.unixEndpoint}`, '--format=json', '--data=json', 'list', table], { env: server.env });
  const { headings, data } = JSON.parse(stdout) as { headings: string[]; data: Json[][] };
  const columns = schema.tables.get(table)!.columns;
  const rows = new Map<string, Row>();
  for (const values of data) {
    const row: Record<string, Datum> = {};
    let uuid = '';
    headings.forEach((name, i) => {
      if (name === '_uuid') uuid = (values[i] as [string, string])[1];
      else row[name] = decodeDatum(values[i], columns.get(name)!.type);
    });
    rows.set(uuid, row);
  }
  return rows;
}

async function matchesVsctl(server: OvsdbServer, replica: Replica): Promise<boolean> {
  for (const table of TABLES) {
    const expected = await vsctlTable(server, replica.schema()!, table);
    if (!isDeepStrictEqual(new Map(replica.table(table)), expected)) return false;
  }
  return true;
}

async function waitForVsctlMatch(server: OvsdbServer, replica: Replica, step: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await matchesVsctl(server, replica))) {
    if (Date.now() > deadline) {
      const expected = await vsctlTable(server, replica.schema()!, 'Port');
      expect({ step, port: new Map(replica.table('Port')) }).toEqual({ step, port: expected });
      throw new Error(`replica does not match ovs-vsctl after: ${step}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function nameOf(change: RowChange): string | null {
  return getString(change.new ?? change.old ?? {}, 'name');
}

describe('against a real ovsdb-server', () => {
  let server: OvsdbServer;
  beforeAll(async () => {
    server = await startOvsdbServer();
    await server.vsctl('init');
  });
  afterAll(async () => {
    await server?.stop();
  });

  describe.each(['unix', 'tcp'] as const)('over %s', (kind) => {
    const endpoint = (): string => (kind === 'unix' ? server.unixEndpoint : server.tcpEndpoint);

    it('lists the databases and fetches the schema', async () => {
      const client = newClient(endpoint());
      expect(await client.listDbs()).toEqual(['Open_vSwitch', '_Server']);
      const schema = await client.getSchema('Open_vSwitch');
      const file = JSON.parse(readFileSync(VSWITCH_SCHEMA, 'utf8')) as { version: string; tables: object };
      expect(schema.name).toBe('Open_vSwitch');
      expect(schema.version).toBe(file.version);
      expect([...schema.tables.keys()].sort()).toEqual(Object.keys(file.tables).sort());
      await expect(client.getSchema('Nope')).rejects.toMatchObject({ code: 'RPC_ERROR', message: expect.stringContaining('unknown database') });
      expect(client.connected).toBe(true);
    });

    it('sees its own transact insert, update and delete through the monitor', async () => {
      const client = newClient(endpoint());
      const replica = client.monitor('Open_vSwitch', { Bridge: { columns: ['name', 'ports'] }, Port: { columns: ['name', 'interfaces', 'tag'] }, Interface: { columns: ['name', 'type', 'external_ids'] } });
      await synced(replica);
      const changes: RowChange[] = [];
      replica.on('change', (change) => changes.push(change));
      const schema = replica.schema()!;
      const table = (name: string) => schema.tables.get(name)!;
      const [inserted, , , mutated] = await client.transact('Open_vSwitch', [
        { op: 'insert', table: 'Interface', 'uuid-name': 'iface', row: encodeRow(table('Interface'), { name: `tx-${kind}`, type: 'internal', external_ids: new Map([['iface-id', 'abc']]) }) },
        { op: 'insert', table: 'Port', 'uuid-name': 'port', row: encodeRow(table('Port'), { name: `tx-${kind}`, interfaces: ['iface'], tag: 100 }) },
        { op: 'insert', table: 'Bridge', 'uuid-name': 'bridge', row: encodeRow(table('Bridge'), { name: `brtx-${kind}`, ports: ['port'] }) },
        { op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['bridges', 'insert', encodeDatum(['bridge'], table('Open_vSwitch').columns.get('bridges')!.type)]] },
      ]);
      expect(mutated).toEqual({ count: 1 });
      const ifaceUuid = inserted.uuid!;
      await waitFor('the inserted interface', () => replica.table('Interface').has(ifaceUuid));
      expect(replica.table('Interface').get(ifaceUuid)).toEqual({ name: `tx-${kind}`, type: 'internal', external_ids: new Map([['iface-id', 'abc']]) });
      const port = [...replica.table('Port').values()].find((row) => row.name === `tx-${kind}`)!;
      expect(port).toEqual({ name: `tx-${kind}`, interfaces: [ifaceUuid], tag: 100 });

      const [updated] = await client.transact('Open_vSwitch', [
        { op: 'update', table: 'Interface', where: [['_uuid', '==', ['uuid', ifaceUuid]]], row: encodeRow(table('Interface'), { external_ids: new Map([['iface-id', 'def'], ['vm-uuid', 'vm']]) }) },
      ]);
      expect(updated).toEqual({ count: 1 });
      await waitFor('the updated interface', () => getStringMap(replica.table('Interface').get(ifaceUuid)!, 'external_ids').get('iface-id') === 'def');
      expect(getStringMap(replica.table('Interface').get(ifaceUuid)!, 'external_ids').get('vm-uuid')).toBe('vm');

      // Dropping the bridge from the root row deletes it, and garbage collection its port and interface.
      const bridgeUuid = [...replica.table('Bridge')].find(([, row]) => row.name === `brtx-${kind}`)![0];
      await client.transact('Open_vSwitch', [
        { op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['bridges', 'delete', ['uuid', bridgeUuid]]] },
      ]);
      await waitFor('the deletes', () => !replica.table('Interface').has(ifaceUuid) && !replica.table('Bridge').has(bridgeUuid));
      const deleted = changes.filter((change) => change.new === null).map((change) => `${change.table} ${nameOf(change)}`);
      expect(deleted.sort()).toEqual([`Bridge brtx-${kind}`, `Interface tx-${kind}`, `Port tx-${kind}`]);
    });
  });

  it('reports a failing transaction as RPC_ERROR with the server details', async () => {
    const client = newClient(server.unixEndpoint);
    const schema = await client.getSchema('Open_vSwitch');
    const bridge = schema.tables.get('Bridge')!;
    const bridges = schema.tables.get('Open_vSwitch')!.columns.get('bridges')!.type;
    const error = await client
      .transact('Open_vSwitch', [
        { op: 'insert', table: 'Bridge', 'uuid-name': 'a', row: encodeRow(bridge, { name: 'dup' }) },
        { op: 'insert', table: 'Bridge', 'uuid-name': 'b', row: encodeRow(bridge, { name: 'dup' }) },
        { op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['bridges', 'insert', encodeDatum(['a', 'b'], bridges)]] },
      ])
      .catch((err: unknown) => err);
    expect(isTelemetryError(error, 'RPC_ERROR')).toBe(true);
    expect((error as Error).message).toMatch(/^transact failed at commit: constraint violation: Transaction causes multiple rows in "Bridge" table to have identical values \(dup\) for index on column "name"/);
    const ghost = '6b0a3a07-0000-4000-8000-000000000000';
    await expect(
      client.transact('Open_vSwitch', [{ op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['bridges', 'insert', ['uuid', ghost]]] }]),
    ).rejects.toThrow(/transact failed at commit: referential integrity violation/);
  });
});

describe.each<MonitorMethod>(['monitor_cond_since', 'monitor_cond', 'monitor'])('a replica kept with %s', (method) => {
  let server: OvsdbServer;
  beforeAll(async () => {
    server = await startOvsdbServer();
    await server.vsctl('init');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('follows ovs-vsctl changes and always equals what ovs-vsctl list shows', async () => {
    // Forcing one method (monitorMethods) exercises the fallbacks' update formats on a real server:
    // update3/update2 send diffs (sets: symmetric difference, maps: changed keys), update sends old/new.
    const client = newClient(server.unixEndpoint, [method]);
    const replica = client.monitor('Open_vSwitch', { Bridge: {}, Port: {}, Interface: {} });
    await synced(replica);
    const changes: RowChange[] = [];
    replica.on('change', (change) => changes.push(change));
    const steps: string[][] = [
      ['add-br', 'br0'],
      ['add-port', 'br0', 'p1', '--', 'set', 'Interface', 'p1', 'external_ids:iface-id=port-1', 'external_ids:attached-mac=fa:16:3e:00:00:01'],
      ['add-port', 'br0', 'p2', 'tag=5', 'trunks=1,2,3'],
      ['set', 'Port', 'p1', 'tag=5'],
      ['set', 'Port', 'p1', 'tag=6'],
      ['clear', 'Port', 'p1', 'tag'],
      ['set', 'Port', 'p2', 'trunks=1,4'],
      ['set', 'Interface', 'p1', 'external_ids:iface-id=port-1b', 'external_ids:vm-uuid=vm-1'],
      ['remove', 'Interface', 'p1', 'external_ids', 'attached-mac'],
      ['set', 'Interface', 'p2', 'ofport_request=7', 'mtu_request=9000', 'type=internal', 'options:key=flow'],
      ['del-port', 'br0', 'p2'],
      ['add-br', 'br1', '--', 'set', 'Bridge', 'br1', 'other_config:hwaddr="fa:16:3e:00:00:ff"', 'fail_mode=secure'],
      ['del-br', 'br1'],
    ];
    for (const step of steps) {
      await server.vsctl(...step);
      await waitForVsctlMatch(server, replica, step.join(' '));
    }
    const p1 = [...replica.table('Interface').values()].find((row) => row.name === 'p1')!;
    expect(getStringMap(p1, 'external_ids')).toEqual(new Map([['iface-id', 'port-1b'], ['vm-uuid', 'vm-1']]));
    expect([...replica.table('Port').values()].map((row) => row.name).sort()).toEqual(['br0', 'p1']);
    const deleted = changes.filter((change) => change.new === null).map((change) => `${change.table} ${nameOf(change)}`);
    expect(deleted.sort()).toEqual(['Bridge br1', 'Interface br1', 'Interface p2', 'Port br1', 'Port p2']);
  });
});
