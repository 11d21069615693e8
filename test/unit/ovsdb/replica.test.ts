import { describe, expect, it } from 'vitest';
import { isTelemetryError } from '../../../common/errors.js';
import { silentLogger } from '../../../common/log.js';
import { ZERO_UUID } from '../../../collector/ovsdb/datum.js';
import { Replica, type RowChange } from '../../../collector/ovsdb/replica.js';
import { parseSchema } from '../../../collector/ovsdb/schema.js';
import { T1, T2, TEST_SCHEMA, TEST_SCHEMA_JSON, U1, U2, U3 } from './test-schema.js';

function newReplica(): { replica: Replica; events: string[]; changes: RowChange[] } {
  const replica = new Replica('Test', { Interface: {}, Port: { columns: ['name', 'interfaces'] } }, silentLogger);
  const events: string[] = [];
  const changes: RowChange[] = [];
  replica.on('reset', () => events.push('reset'));
  replica.on('synced', () => events.push('synced'));
  replica.on('change', (change) => {
    events.push(`change ${change.table} ${change.uuid}`);
    changes.push(change);
  });
  return { replica, events, changes };
}

const INITIAL = {
  Interface: {
    [U1]: { initial: { name: 'tap1', ofport: 1, external_ids: ['map', [['iface-id', 'p1']]], trunks: ['set', [10, 20]] } },
    [U2]: { initial: { name: 'tap2' } },
  },
  Port: { [U3]: { initial: { name: 'port1', interfaces: ['set', [['uuid', U1], ['uuid', U2]]] } } },
};

function expectProtocol(fn: () => unknown, text: string): void {
  try {
    fn();
    expect.unreachable('expected a PROTOCOL error');
  } catch (err) {
    expect(isTelemetryError(err, 'PROTOCOL')).toBe(true);
    expect((err as Error).message).toContain(text);
  }
}

describe('Replica', () => {
  it('asks only for tables and columns the schema has', () => {
    const replica = new Replica('Test', { Interface: { columns: ['name', 'mtu', 'ofport'] }, Bridge: {} }, silentLogger);
    const plan = replica.beginMonitor(TEST_SCHEMA);
    expect(plan.requests).toEqual({ Interface: [{ columns: ['name', 'ofport'] }] });
    expect(plan.lastTxnId).toBe(ZERO_UUID);
    expect(replica.schema()).toBe(TEST_SCHEMA);
  });

  it('loads the initial state: reset, a change per row, then synced; omitted columns take defaults', () => {
    const { replica, events, changes } = newReplica();
    replica.beginMonitor(TEST_SCHEMA);
    expect(replica.synced).toBe(false);
    replica.finishMonitor('update2', INITIAL, true, T1);
    expect(replica.synced).toBe(true);
    expect(events).toEqual(['reset', `change Interface ${U1}`, `change Interface ${U2}`, `change Port ${U3}`, 'synced']);
    expect(changes[0].old).toBeNull();
    expect(replica.table('Interface').get(U2)).toEqual({
      name: 'tap2',
      ofport: null,
      external_ids: new Map(),
      statistics: new Map(),
      trunks: [],
      admin_up: false,
    });
    expect(replica.table('Port').get(U3)).toEqual({ name: 'port1', interfaces: [U1, U2] });
    expect(replica.table('Bridge').size).toBe(0);
  });

  it('applies update2 insert, modify (diffs) and delete', () => {
    const { replica, changes } = newReplica();
    replica.beginMonitor(TEST_SCHEMA);
    replica.finishMonitor('update2', INITIAL, true, T1);
    changes.length = 0;
    const before = replica.table('Interface').get(U1);
    replica.update(
      'update2',
      {
        Interface: {
          [U1]: {
            modify: {
              name: 'tap1-renamed',
              ofport: ['set', [1, 5]],
              external_ids: ['map', [['iface-id', 'p1'], ['vm-uuid', 'vm1']]],
              trunks: ['set', [20, 30]],
              statistics: ['map', [['rx_bytes', 100]]],
            },
          },
          [U2]: { delete: null },
          'deadbeef-0000-4000-8000-000000000000': { delete: null },
        },
        Port: { [U3]: { modify: { interfaces: ['uuid', U2] } } },
      },
      T2,
    );
    expect(replica.table('Interface').get(U1)).toEqual({
      name: 'tap1-renamed',
      ofport: 5,
      external_ids: new Map([['vm-uuid', 'vm1']]),
      statistics: new Map([['rx_bytes', 100]]),
      trunks: [10, 30],
      admin_up: false,
    });
    expect(replica.table('Interface').has(U2)).toBe(false);
    expect(replica.table('Port').get(U3)).toEqual({ name: 'port1', interfaces: [U1] });
    // Rows are replaced, never mutated: the old row object still holds the old values.
    expect(changes[0]).toEqual({ table: 'Interface', uuid: U1, old: before, new: replica.table('Interface').get(U1) });
    expect(before?.name).toBe('tap1');
    expect(changes.map((c) => [c.uuid, c.new === null])).toEqual([
      [U1, false],
      [U2, true],
      [U3, false],
    ]);
  });

  it('applies RFC 7047 updates ({old, new}) from a plain monitor', () => {
    const { replica } = newReplica();
    replica.beginMonitor(TEST_SCHEMA);
    replica.finishMonitor('update', { Interface: { [U1]: { new: { name: 'a', ofport: ['set', []], trunks: 7 } } } }, true, ZERO_UUID);
    expect(replica.table('Interface').get(U1)).toMatchObject({ name: 'a', ofport: null, trunks: [7], statistics: new Map() });
    replica.update('update', { Interface: { [U1]: { old: { ofport: ['set', []] }, new: { name: 'a', ofport: 3 } } } }, undefined);
    expect(replica.table('Interface').get(U1)).toMatchObject({ name: 'a', ofport: 3, trunks: [7] });
    replica.update('update', { Interface: { [U2]: { new: { name: 'b' } } } }, undefined);
    expect(replica.table('Interface').get(U2)).toMatchObject({ name: 'b', ofport: null });
    replica.update('update', { Interface: { [U1]: { old: { name: 'a' } } } }, undefined);
    expect([...replica.table('Interface').keys()]).toEqual([U2]);
  });

  it('leaves its contents untouched when an update is malformed, naming table, row and column', () => {
    const { replica, changes } = newReplica();
    replica.beginMonitor(TEST_SCHEMA);
    replica.finishMonitor('update2', INITIAL, true, T1);
    changes.length = 0;
    const bad = {
      Interface: {
        [U2]: { delete: null },
        [U1]: { modify: { ofport: 'seven' } },
      },
    };
    expectProtocol(() => replica.update('update2', bad, T2), `table Interface, row ${U1}, column ofport: expected a integer, got "seven"`);
    expect(replica.table('Interface').has(U2)).toBe(true);
    expect(changes).toEqual([]);
    expectProtocol(() => replica.update('update2', { Interface: { [U3]: { modify: { name: 'x' } } } }, T2), 'for a row the replica does not have');
    expectProtocol(() => replica.update('update2', { Interface: { [U1]: { insert: {}, delete: null } } }, T2), 'expected exactly one of');
    expectProtocol(() => replica.update('update2', { Interface: { 'not-a-uuid': { delete: null } } }, T2), 'not a uuid: not-a-uuid');
    expectProtocol(() => replica.update('update2', { Bridge: {} }, T2), 'update for table Bridge, which is not monitored');
    expectProtocol(() => replica.update('update2', { Port: { [U3]: { modify: { interfaces: 5 } } } }, T2), 'column interfaces');
    expectProtocol(() => replica.update('update2', ['nope'], T2), 'malformed table updates in Test');
    expectProtocol(() => replica.update('update', INITIAL, undefined), 'an "update" notification for a monitor that was set up for "update2"');
  });

  it('queues updates that arrive before the monitor reply is applied', () => {
    const { replica, events } = newReplica();
    replica.beginMonitor(TEST_SCHEMA);
    replica.update('update2', { Interface: { [U1]: { modify: { ofport: ['set', [1, 2]] } } } }, T2);
    expect(replica.table('Interface').size).toBe(0);
    replica.finishMonitor('update2', INITIAL, true, T1);
    expect(replica.table('Interface').get(U1)?.ofport).toBe(2);
    expect(events.at(-1)).toBe(`change Interface ${U1}`);
    // ... and the position is the update's, not the reply's.
    expect(replica.beginMonitor(TEST_SCHEMA).lastTxnId).toBe(T2);
  });

  it('a full resync drops rows that are gone, keeping the same table maps', () => {
    const { replica, events } = newReplica();
    replica.beginMonitor(TEST_SCHEMA);
    replica.finishMonitor('update2', INITIAL, true, T1);
    const interfaces = replica.table('Interface');
    replica.markUnsynced();
    expect(replica.synced).toBe(false);
    expect(interfaces.size).toBe(2); // the last known rows stay readable while disconnected
    events.length = 0;
    replica.beginMonitor(TEST_SCHEMA);
    replica.finishMonitor('update2', { Interface: { [U2]: { initial: { name: 'tap2' } } } }, true, T2);
    expect(events).toEqual(['reset', `change Interface ${U2}`, 'synced']);
    expect(replica.table('Interface')).toBe(interfaces);
    expect([...interfaces.keys()]).toEqual([U2]);
    expect(replica.table('Port').size).toBe(0);
  });

  it('a delta resync (found) applies changes without a reset', () => {
    const { replica, events } = newReplica();
    replica.beginMonitor(TEST_SCHEMA);
    replica.finishMonitor('update2', INITIAL, true, T1);
    replica.markUnsynced();
    events.length = 0;
    expect(replica.beginMonitor(TEST_SCHEMA).lastTxnId).toBe(T1);
    replica.finishMonitor('update2', { Interface: { [U2]: { delete: null } } }, false, T2);
    expect(events).toEqual([`change Interface ${U2}`, 'synced']);
    expect([...replica.table('Interface').keys()]).toEqual([U1]);
  });

  it('resumes from its last transaction only when it monitors the same thing', () => {
    const { replica } = newReplica();
    replica.beginMonitor(TEST_SCHEMA);
    replica.finishMonitor('update2', INITIAL, true, T1);
    expect(replica.beginMonitor(TEST_SCHEMA).lastTxnId).toBe(T1);
    const upgraded = parseSchema({ ...TEST_SCHEMA_JSON, version: '1.3.0' });
    expect(replica.beginMonitor(upgraded).lastTxnId).toBe(ZERO_UUID);
    replica.finishMonitor('update2', INITIAL, true, T1);
    replica.markUnsynced(true);
    expect(replica.beginMonitor(upgraded).lastTxnId).toBe(ZERO_UUID);
  });
});
