/**
 * OVSDB values and operations as the enforcer writes them (RFC 7047 §5.1 notation), with the
 * ownership marker (common/ownership.ts) every row it creates carries in external_ids.
 */
import type { Json } from '../../collector/ovsdb/json.js';
import type { Condition, TransactOperation } from '../../collector/ovsdb/transact.js';
import { OvsdbRpcError } from '../../collector/ovsdb/jsonrpc.js';
import { OWNER_KEY, OWNER_VALUE, PORT_KEY } from '../../common/ownership.js';

export const uuidRef = (uuid: string): Json => ['uuid', uuid];
export const namedUuid = (name: string): Json => ['named-uuid', name];
export const emptySet: Json = ['set', []];

export function ovsMap(entries: Iterable<readonly [string | number, Json]>): Json {
  return ['map', [...entries].map(([k, v]) => [k, v] as Json)];
}

export function ownerIds(port: string): Json {
  return ovsMap([[OWNER_KEY, OWNER_VALUE], [PORT_KEY, port]]);
}

export const byUuid = (uuid: string): Condition => ['_uuid', '==', uuidRef(uuid)];
export const ownedCondition: Condition = ['external_ids', 'includes', ovsMap([[OWNER_KEY, OWNER_VALUE]])];

/** Fails the whole transaction unless the row's columns still hold what was read (timeout 0). */
export function waitFor(table: string, where: readonly Condition[], row: Readonly<Record<string, Json>>): TransactOperation {
  return { op: 'wait', table, where, columns: Object.keys(row), until: '==', rows: [row], timeout: 0 };
}

/** Sets map keys without touching the others (delete the keys, then insert the pairs). */
export function setMapKeys(table: string, uuid: string, column: string, pairs: readonly (readonly [string, string])[]): TransactOperation[] {
  return [
    { op: 'mutate', table, where: [byUuid(uuid)], mutations: [[column, 'delete', ['set', pairs.map(([k]) => k)]]] },
    { op: 'mutate', table, where: [byUuid(uuid)], mutations: [[column, 'insert', ovsMap(pairs)]] },
  ];
}

export function deleteMapKeys(table: string, uuid: string, column: string, keys: readonly string[]): TransactOperation {
  return { op: 'mutate', table, where: [byUuid(uuid)], mutations: [[column, 'delete', ['set', [...keys]]]] };
}

/** A failed `wait` (RFC 7047 §5.2.6: error "timed out"): someone changed the row since it was read. */
export function isPreconditionFailure(err: unknown): boolean {
  if (!(err instanceof OvsdbRpcError)) return false;
  const error = err.rpcError;
  return typeof error === 'object' && error !== null && !Array.isArray(error) && (error as Record<string, Json>).error === 'timed out';
}
