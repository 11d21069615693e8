import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isTelemetryError } from '../../../common/errors.js';
import type { Json } from '../../../collector/ovsdb/json.js';
import { datumKind, findColumn, parseSchema } from '../../../collector/ovsdb/schema.js';

const vswitch = JSON.parse(readFileSync('/usr/share/openvswitch/vswitch.ovsschema', 'utf8')) as Json;
const ovnNb = JSON.parse(readFileSync('/usr/share/ovn/ovn-nb.ovsschema', 'utf8')) as Json;

describe('parseSchema', () => {
  it('parses the Open_vSwitch schema with every column type form', () => {
    const schema = parseSchema(vswitch);
    expect(schema.name).toBe('Open_vSwitch');
    expect(schema.version).toMatch(/^\d+\.\d+\.\d+$/);
    const iface = schema.tables.get('Interface');
    expect(iface).toBeDefined();
    const column = (name: string) => iface!.columns.get(name)!.type;
    // "name": {"type": "string", "mutable": false}
    expect(column('name')).toEqual({ key: { type: 'string' }, min: 1, max: 1 });
    expect(iface!.columns.get('name')!.mutable).toBe(false);
    expect(datumKind(column('name'))).toBe('scalar');
    expect(datumKind(column('ofport'))).toBe('optional');
    expect(column('statistics')).toEqual({ key: { type: 'string' }, value: { type: 'integer' }, min: 0, max: 'unlimited' });
    expect(datumKind(column('statistics'))).toBe('map');
    expect(iface!.columns.get('statistics')!.ephemeral).toBe(true);
    // an enum: admin_state is "up" or "down"
    expect(column('admin_state').key.enum).toEqual(['up', 'down']);
    const port = schema.tables.get('Port')!;
    expect(port.columns.get('interfaces')!.type).toEqual({
      key: { type: 'uuid', refTable: 'Interface', refType: 'strong' },
      min: 1,
      max: 'unlimited',
    });
    expect(datumKind(port.columns.get('trunks')!.type)).toBe('set');
    expect(port.columns.get('trunks')!.type.max).toBe(4096);
    expect(schema.tables.get('Open_vSwitch')!.isRoot).toBe(true);
    expect(schema.tables.get('Open_vSwitch')!.maxRows).toBe(1);
    expect(schema.tables.get('Bridge')!.indexes).toEqual([['name']]);
  });

  it('parses the OVN northbound schema', () => {
    const schema = parseSchema(ovnNb);
    expect(schema.name).toBe('OVN_Northbound');
    const lsp = schema.tables.get('Logical_Switch_Port')!;
    expect(datumKind(lsp.columns.get('external_ids')!.type)).toBe('map');
  });

  it('knows the implicit _uuid and _version columns', () => {
    const iface = parseSchema(vswitch).tables.get('Interface')!;
    expect(iface.columns.has('_uuid')).toBe(false);
    expect(findColumn(iface, '_uuid')?.type).toEqual({ key: { type: 'uuid' }, min: 1, max: 1 });
    expect(findColumn(iface, '_version')?.type.key.type).toBe('uuid');
    expect(findColumn(iface, 'nope')).toBeUndefined();
  });

  it.each([
    ['not an object', [1], 'the schema is not an object'],
    ['no tables', { name: 'X' }, '"tables" is not an object'],
    ['no columns', { name: 'X', tables: { T: {} } }, 'at T: "columns" is not an object'],
    ['unknown atomic type', { name: 'X', tables: { T: { columns: { c: { type: 'float' } } } } }, 'at T.c.type: unknown atomic type "float"'],
    ['bad min', { name: 'X', tables: { T: { columns: { c: { type: { key: 'string', min: 2 } } } } } }, '"min" must be 0 or 1'],
    ['bad max', { name: 'X', tables: { T: { columns: { c: { type: { key: 'string', max: 0 } } } } } }, '"max" must be a positive integer'],
    ['bad refType', { name: 'X', tables: { T: { columns: { c: { type: { key: { type: 'uuid', refTable: 'T', refType: 'soft' } } } } } } }, 'unknown refType "soft"'],
    ['a __proto__ column', JSON.parse('{"name":"X","tables":{"T":{"columns":{"__proto__":{"type":"string"}}}}}'), '"__proto__" is not supported'],
  ])('rejects %s with a PROTOCOL error naming the place', (_what, json, message) => {
    try {
      parseSchema(json as Json);
      expect.unreachable();
    } catch (err) {
      expect(isTelemetryError(err, 'PROTOCOL')).toBe(true);
      expect((err as Error).message).toContain(message);
    }
  });
});
