import { parseSchema } from '../../../collector/ovsdb/schema.js';

/** A small schema with one column of each shape, for replica and fake-server tests. */
export const TEST_SCHEMA_JSON = {
  name: 'Test',
  version: '1.2.3',
  tables: {
    Interface: {
      columns: {
        name: { type: 'string' },
        ofport: { type: { key: 'integer', min: 0, max: 1 } },
        external_ids: { type: { key: 'string', value: 'string', min: 0, max: 'unlimited' } },
        statistics: { type: { key: 'string', value: 'integer', min: 0, max: 'unlimited' } },
        trunks: { type: { key: { type: 'integer', minInteger: 0, maxInteger: 4095 }, min: 0, max: 4096 } },
        admin_up: { type: 'boolean' },
      },
    },
    Port: {
      columns: {
        name: { type: 'string' },
        interfaces: { type: { key: { type: 'uuid', refTable: 'Interface' }, min: 1, max: 'unlimited' } },
      },
    },
  },
};

export const TEST_SCHEMA = parseSchema(TEST_SCHEMA_JSON);

export const U1 = '11111111-1111-4111-8111-111111111111';
export const U2 = '22222222-2222-4222-8222-222222222222';
export const U3 = '33333333-3333-4333-8333-333333333333';
export const T1 = 'aaaaaaaa-0000-4000-8000-000000000001';
export const T2 = 'aaaaaaaa-0000-4000-8000-000000000002';
export const T3 = 'aaaaaaaa-0000-4000-8000-000000000003';
