import { describe, expect, it } from 'vitest';
import type { Row } from '../../../collector/ovsdb/datum.js';
import {
  getBool,
  getInt,
  getIntMap,
  getNumber,
  getSet,
  getString,
  getStringMap,
  getStringSet,
  getUuid,
} from '../../../collector/ovsdb/row.js';

const U1 = '36bbd4d3-25c0-4a8d-9f2e-9b3d0f6c1a01';

const ROW: Row = {
  name: 'tap0',
  ofport: 7,
  unset_ofport: null,
  link_speed: 1e9,
  mtu_request: [9000],
  duplex_ratio: 0.5,
  admin: true,
  port: U1,
  interfaces: [U1, 'e8f1a7b2-0000-4000-8000-000000000001'],
  trunks: [10, 20],
  external_ids: new Map([['iface-id', 'neutron-port'], ['attached-mac', 'fa:16:3e:00:00:01']]),
  statistics: new Map([['rx_bytes', 100], ['tx_bytes', 200]]),
  mixed: new Map<string | number, string | number>([['a', 'b'], [1, 2], ['c', 3]]),
};

describe('row accessors', () => {
  it('read scalars and optional scalars', () => {
    expect(getString(ROW, 'name')).toBe('tap0');
    expect(getInt(ROW, 'ofport')).toBe(7);
    expect(getInt(ROW, 'unset_ofport')).toBeNull();
    expect(getInt(ROW, 'mtu_request')).toBe(9000);
    expect(getInt(ROW, 'duplex_ratio')).toBeNull();
    expect(getNumber(ROW, 'duplex_ratio')).toBe(0.5);
    expect(getBool(ROW, 'admin')).toBe(true);
    expect(getUuid(ROW, 'port')).toBe(U1);
    expect(getUuid(ROW, 'name')).toBeNull();
  });

  it('read sets, normalising scalars and optionals', () => {
    expect(getSet(ROW, 'trunks')).toEqual([10, 20]);
    expect(getSet(ROW, 'ofport')).toEqual([7]);
    expect(getSet(ROW, 'unset_ofport')).toEqual([]);
    expect(getStringSet(ROW, 'interfaces')).toEqual([U1, 'e8f1a7b2-0000-4000-8000-000000000001']);
    expect(getStringSet(ROW, 'trunks')).toEqual([]);
  });

  it('read maps, keeping only entries of the asked types', () => {
    expect(getStringMap(ROW, 'external_ids').get('iface-id')).toBe('neutron-port');
    expect(getStringMap(ROW, 'external_ids')).toBe(ROW.external_ids); // no copy when the types fit
    expect(getIntMap(ROW, 'statistics').get('tx_bytes')).toBe(200);
    expect([...getStringMap(ROW, 'mixed')]).toEqual([['a', 'b']]);
    expect([...getIntMap(ROW, 'mixed')]).toEqual([['c', 3]]);
  });

  it('never throw: a missing column or another kind reads as null or empty', () => {
    expect(getString(ROW, 'missing')).toBeNull();
    expect(getString(ROW, 'ofport')).toBeNull();
    expect(getInt(ROW, 'name')).toBeNull();
    expect(getBool(ROW, 'external_ids')).toBeNull();
    expect(getSet(ROW, 'external_ids')).toEqual([]);
    expect(getSet(ROW, 'missing')).toEqual([]);
    expect(getStringMap(ROW, 'name').size).toBe(0);
    expect(getIntMap(ROW, 'missing').size).toBe(0);
  });
});
