import { describe, expect, it } from 'vitest';
import { isTelemetryError } from '../../../common/errors.js';
import {
  applyDiff,
  decodeDatum,
  decodeDiff,
  decodeRow,
  defaultDatum,
  defaultRow,
  encodeDatum,
  encodeRow,
  ZERO_UUID,
  type Datum,
} from '../../../collector/ovsdb/datum.js';
import type { Json } from '../../../collector/ovsdb/json.js';
import type { ColumnType, TableSchema } from '../../../collector/ovsdb/schema.js';

const U1 = '36bbd4d3-25c0-4a8d-9f2e-9b3d0f6c1a01';
const U2 = 'b78c0c13-eac0-490b-b035-d31a12cb3e1a';

const STRING: ColumnType = { key: { type: 'string' }, min: 1, max: 1 };
const INTEGER: ColumnType = { key: { type: 'integer' }, min: 1, max: 1 };
const REAL: ColumnType = { key: { type: 'real' }, min: 1, max: 1 };
const BOOLEAN: ColumnType = { key: { type: 'boolean' }, min: 1, max: 1 };
const UUID: ColumnType = { key: { type: 'uuid', refTable: 'Port', refType: 'strong' }, min: 1, max: 1 };
const OPTIONAL_INT: ColumnType = { key: { type: 'integer' }, min: 0, max: 1 };
const OPTIONAL_UUID: ColumnType = { key: { type: 'uuid' }, min: 0, max: 1 };
const UUID_SET: ColumnType = { key: { type: 'uuid' }, min: 0, max: 'unlimited' };
const INT_SET_4: ColumnType = { key: { type: 'integer' }, min: 0, max: 4 };
const STRING_MAP: ColumnType = { key: { type: 'string' }, value: { type: 'string' }, min: 0, max: 'unlimited' };
const STAT_MAP: ColumnType = { key: { type: 'string' }, value: { type: 'integer' }, min: 0, max: 'unlimited' };
const UUID_MAP: ColumnType = { key: { type: 'integer' }, value: { type: 'uuid' }, min: 0, max: 'unlimited' };

function expectProtocol(fn: () => unknown, text: string): void {
  try {
    fn();
    expect.unreachable('expected a PROTOCOL error');
  } catch (err) {
    expect(isTelemetryError(err, 'PROTOCOL')).toBe(true);
    expect((err as Error).message).toContain(text);
  }
}

describe('decodeDatum', () => {
  it.each<[string, Json, ColumnType, Datum]>([
    ['string', 'br-int', STRING, 'br-int'],
    ['integer', 1500, INTEGER, 1500],
    ['negative integer', -1, INTEGER, -1],
    ['real', 0.25, REAL, 0.25],
    ['real written as an integer', 3, REAL, 3],
    ['boolean', true, BOOLEAN, true],
    ['uuid', ['uuid', U1], UUID, U1],
    ['scalar as a one-element set', ['set', ['x']], STRING, 'x'],
    ['optional scalar, set', 5, OPTIONAL_INT, 5],
    ['optional scalar, set as ["set",[x]]', ['set', [5]], OPTIONAL_INT, 5],
    ['optional scalar, unset', ['set', []], OPTIONAL_INT, null],
    ['optional uuid', ['uuid', U2], OPTIONAL_UUID, U2],
    ['empty set', ['set', []], UUID_SET, []],
    ['one-element set as a bare atom', ['uuid', U1], UUID_SET, [U1]],
    ['one-element set', ['set', [['uuid', U1]]], UUID_SET, [U1]],
    ['n-element set', ['set', [['uuid', U1], ['uuid', U2]]], UUID_SET, [U1, U2]],
    ['bounded set', ['set', [1, 2, 3, 4]], INT_SET_4, [1, 2, 3, 4]],
    ['empty map', ['map', []], STRING_MAP, new Map()],
    ['string map', ['map', [['iface-id', 'p1'], ['attached-mac', 'fa:16:3e:00:00:01']]], STRING_MAP, new Map([['iface-id', 'p1'], ['attached-mac', 'fa:16:3e:00:00:01']])],
    ['integer map', ['map', [['rx_bytes', 12345678901], ['tx_bytes', 0]]], STAT_MAP, new Map([['rx_bytes', 12345678901], ['tx_bytes', 0]])],
    ['map with uuid values', ['map', [[10, ['uuid', U1]]]], UUID_MAP, new Map([[10, U1]])],
  ])('%s', (_what, json, type, expected) => {
    expect(decodeDatum(json, type)).toEqual(expected);
  });

  it.each<[string, Json, ColumnType, string]>([
    ['a number for a string', 5, STRING, 'expected a string, got 5'],
    ['a real for an integer', 1.5, INTEGER, 'expected a integer, got 1.5'],
    ['a string for a boolean', 'true', BOOLEAN, 'expected a boolean'],
    ['a bare string for a uuid', U1, UUID, 'expected a ["uuid", "<uuid>"] atom'],
    ['a malformed uuid', ['uuid', 'not-a-uuid'], UUID, 'expected a ["uuid", "<uuid>"] atom'],
    ['a named-uuid from a server', ['named-uuid', 'row1'], UUID, 'expected a ["uuid", "<uuid>"] atom'],
    ['an empty set for a scalar', ['set', []], STRING, 'expected one value, got an empty set'],
    ['two values for an optional', ['set', [1, 2]], OPTIONAL_INT, 'expected one value, got 2'],
    ['too many set elements', ['set', [1, 2, 3, 4, 5]], INT_SET_4, 'a set of at most 4 values has 5'],
    ['a set without its array', ['set', 1], UUID_SET, 'expected ["set", [...]]'],
    ['a set for a map', ['set', []], STRING_MAP, 'expected ["map", [[key, value], ...]]'],
    ['a map pair of three', ['map', [['a', 'b', 'c']]], STRING_MAP, 'expected a [key, value] pair'],
    ['a wrong map value type', ['map', [['rx', 'many']]], STAT_MAP, 'expected a integer, got "many"'],
    ['null', null, STRING, 'expected a string, got null'],
    ['an object', { a: 1 }, STRING, 'expected a string'],
  ])('rejects %s', (_what, json, type, message) => {
    expectProtocol(() => decodeDatum(json, type), message);
  });
});

describe('defaultDatum', () => {
  it.each<[ColumnType, Datum]>([
    [STRING, ''],
    [INTEGER, 0],
    [REAL, 0],
    [BOOLEAN, false],
    [UUID, ZERO_UUID],
    [OPTIONAL_INT, null],
    [UUID_SET, []],
    [{ key: { type: 'integer' }, min: 1, max: 'unlimited' }, [0]],
    [STRING_MAP, new Map()],
  ])('%j', (type, expected) => {
    expect(defaultDatum(type)).toEqual(expected);
  });
});

describe('update2 diffs (ovsdb-server(7) §4.1.14)', () => {
  it('a scalar diff is the new value', () => {
    expect(applyDiff('old', decodeDiff('new', STRING), STRING)).toBe('new');
  });

  it('an optional scalar: the new value (ovsdb-server 3.1) or the symmetric difference (ovsdb-server(7))', () => {
    expect(applyDiff(5, decodeDiff(6, OPTIONAL_INT), OPTIONAL_INT)).toBe(6);
    expect(applyDiff(6, decodeDiff(['set', []], OPTIONAL_INT), OPTIONAL_INT)).toBeNull();
    expect(applyDiff(null, decodeDiff(7, OPTIONAL_INT), OPTIONAL_INT)).toBe(7);
    expect(decodeDiff(['set', [5, 6]], OPTIONAL_INT)).toEqual([5, 6]);
    expect(applyDiff(5, [5, 6], OPTIONAL_INT)).toBe(6);
    expect(applyDiff(7, [7], OPTIONAL_INT)).toBeNull();
  });

  it('a set diff adds what is new and removes what was there', () => {
    expect(applyDiff([U1], decodeDiff(['set', [['uuid', U1], ['uuid', U2]]], UUID_SET), UUID_SET)).toEqual([U2]);
    expect(applyDiff([], decodeDiff(['uuid', U1], UUID_SET), UUID_SET)).toEqual([U1]);
    expect(applyDiff([1, 2, 3], [2, 4], INT_SET_4)).toEqual([1, 3, 4]);
  });

  it('a map diff adds new keys, removes keys sent with their old value, replaces changed values', () => {
    const old = new Map<string, string>([['keep', '1'], ['drop', '2'], ['change', '3']]);
    const diff = decodeDiff(['map', [['drop', '2'], ['change', '30'], ['add', '4']]], STRING_MAP);
    expect(applyDiff(old, diff, STRING_MAP)).toEqual(new Map([['keep', '1'], ['change', '30'], ['add', '4']]));
    expect(old.get('drop')).toBe('2'); // the old value is not modified in place
  });

  it('rejects a diff that leaves two values in an optional column', () => {
    expectProtocol(() => applyDiff(5, [6, 7], OPTIONAL_INT), 'leaves two values in a column that holds at most one');
    expectProtocol(() => applyDiff(5, [5, 6, 7], OPTIONAL_INT), 'a diff of 3 values');
  });

  it('keeps sets in OVSDB order, so a set changed by diffs equals the same set fetched afresh', () => {
    expect(applyDiff(['b', 'd'], ['a', 'c', 'e', 'd'], { key: { type: 'string' }, min: 0, max: 'unlimited' })).toEqual(['a', 'b', 'c', 'e']);
    expect(applyDiff([1, 10], [2, -1], INT_SET_4)).toEqual([-1, 1, 2, 10]);
  });
});

const TABLE: TableSchema = {
  name: 'Interface',
  isRoot: false,
  indexes: [],
  columns: new Map([
    ['name', { name: 'name', type: STRING, ephemeral: false, mutable: false }],
    ['ofport', { name: 'ofport', type: OPTIONAL_INT, ephemeral: false, mutable: true }],
    ['statistics', { name: 'statistics', type: STAT_MAP, ephemeral: true, mutable: true }],
    ['port', { name: 'port', type: OPTIONAL_UUID, ephemeral: false, mutable: true }],
  ]),
};

describe('decodeRow', () => {
  it('decodes each column by its schema type', () => {
    expect(decodeRow(TABLE, { name: 'tap0', ofport: 3, statistics: ['map', [['rx_bytes', 10]]] })).toEqual({
      name: 'tap0',
      ofport: 3,
      statistics: new Map([['rx_bytes', 10]]),
    });
  });

  it('from a default row, keeps omitted columns at their defaults in a fixed order', () => {
    const defaults = defaultRow([...TABLE.columns.values()]);
    expect(defaults).toEqual({ name: '', ofport: null, statistics: new Map(), port: null });
    const row = decodeRow(TABLE, { statistics: ['map', []], name: 'tap0' }, { defaults });
    expect(row).toEqual({ name: 'tap0', ofport: null, statistics: new Map(), port: null });
    expect(Object.keys(row)).toEqual(['name', 'ofport', 'statistics', 'port']);
    expect(defaults.name).toBe('');
  });

  it('shares read-only empty values instead of allocating one per row', () => {
    const a = decodeDatum(['map', []], STRING_MAP) as Map<string, string>;
    expect(decodeDatum(['map', []], STAT_MAP)).toBe(a);
    expect(() => a.set('k', 'v')).toThrow('read-only');
    expect(a.size).toBe(0);
    const empty = decodeDatum(['set', []], UUID_SET) as string[];
    expect(() => empty.push(U1)).toThrow();
    // Changing such a value goes through applyDiff, which builds a new one.
    expect(applyDiff(a, new Map([['k', 'v']]), STRING_MAP)).toEqual(new Map([['k', 'v']]));
  });

  it('accepts the implicit _uuid column of select results', () => {
    expect(decodeRow(TABLE, { _uuid: ['uuid', U1] })).toEqual({ _uuid: U1 });
  });

  it('names table, row and column in a malformed value', () => {
    expectProtocol(
      () => decodeRow(TABLE, { name: 7 }, { uuid: U1 }),
      `malformed value in table Interface, row ${U1}, column name: expected a string, got 7`,
    );
  });

  it('rejects a column the schema does not have, or one not monitored', () => {
    expectProtocol(() => decodeRow(TABLE, { bogus: 1 }), 'column bogus: not in the schema');
    const onlyName = defaultRow([TABLE.columns.get('name')!]);
    expectProtocol(() => decodeRow(TABLE, { name: 'x', ofport: 1 }, { defaults: onlyName }), 'column ofport: not a monitored column');
  });

  it('rejects a row that is not an object', () => {
    expectProtocol(() => decodeRow(TABLE, ['name', 'x'], { uuid: U1 }), `malformed row in table Interface (${U1})`);
  });
});

describe('encodeDatum (transact values)', () => {
  it.each<[string, Datum, ColumnType, Json]>([
    ['string', 'br0', STRING, 'br0'],
    ['integer', 42, INTEGER, 42],
    ['real', 0.5, REAL, 0.5],
    ['boolean', false, BOOLEAN, false],
    ['uuid', U1, UUID, ['uuid', U1]],
    ['named-uuid', 'new_port', UUID, ['named-uuid', 'new_port']],
    ['optional, unset', null, OPTIONAL_INT, ['set', []]],
    ['optional, set', 3, OPTIONAL_INT, 3],
    ['empty set', [], UUID_SET, ['set', []]],
    ['one-element set', [U1], UUID_SET, ['set', [['uuid', U1]]]],
    ['set mixing uuid and named-uuid', [U1, 'iface0'], UUID_SET, ['set', [['uuid', U1], ['named-uuid', 'iface0']]]],
    ['a single atom for a set column', 2, INT_SET_4, ['set', [2]]],
    ['map', new Map([['k', 'v']]), STRING_MAP, ['map', [['k', 'v']]]],
    ['map with uuid values', new Map<number, string>([[1, U2]]), UUID_MAP, ['map', [[1, ['uuid', U2]]]]],
  ])('%s', (_what, datum, type, expected) => {
    expect(encodeDatum(datum, type)).toEqual(expected);
    // What the server would send back decodes to the same value (a named-uuid only lives inside a transaction).
    if (!JSON.stringify(expected).includes('named-uuid')) {
      expect(decodeDatum(expected, type)).toEqual(Array.isArray(datum) || type.max === 1 || datum instanceof Map ? datum : [datum]);
    }
  });

  it.each<[string, Datum, ColumnType, string]>([
    ['a string for an integer', '5', INTEGER, 'cannot encode "5" as a integer'],
    ['a fraction for an integer', 1.5, INTEGER, 'cannot encode 1.5 as a integer'],
    ['NaN for a real', Number.NaN, REAL, 'cannot encode null as a real'],
    ['neither uuid nor identifier', 'not a uuid!', UUID, 'as a uuid or a uuid-name'],
    ['null for a scalar', null, STRING, 'as a single value'],
    ['a set for a map', ['a'], STRING_MAP, 'as a map'],
    ['too many elements', [1, 2, 3, 4, 5], INT_SET_4, '5 values into a column that holds at most 4'],
  ])('rejects %s', (_what, datum, type, message) => {
    expectProtocol(() => encodeDatum(datum, type), message);
  });

  it('encodeRow checks every column against the table', () => {
    expect(encodeRow(TABLE, { name: 'tap1', ofport: null, port: 'p' })).toEqual({ name: 'tap1', ofport: ['set', []], port: ['named-uuid', 'p'] });
    expectProtocol(() => encodeRow(TABLE, { nope: 1 }), 'table Interface has no such column');
    expectProtocol(() => encodeRow(TABLE, { ofport: 'x' }), 'table Interface, column ofport: cannot encode "x"');
  });
});
