import { TelemetryError } from '../../common/errors.js';
import { isUuid } from './datum.js';
import { isJsonObject, preview, type Json, type JsonObject } from './json.js';
import { OvsdbRpcError, describeRpcError } from './jsonrpc.js';

/*
 * RFC 7047 §5.2 database operations, as sent in a "transact" request. Values are already in
 * OVSDB JSON: build them with encodeDatum / encodeRow (datum.ts) and the table's schema.
 */

export type ConditionFunction = '<' | '<=' | '==' | '!=' | '>=' | '>' | 'includes' | 'excludes';
export type Condition = readonly [column: string, fn: ConditionFunction, value: Json];
export type Mutator = '+=' | '-=' | '*=' | '/=' | '%=' | 'insert' | 'delete';
export type Mutation = readonly [column: string, mutator: Mutator, value: Json];
type EncodedRow = Readonly<Record<string, Json>>;

export type TransactOperation =
  | { readonly op: 'insert'; readonly table: string; readonly row: EncodedRow; readonly 'uuid-name'?: string }
  | { readonly op: 'select'; readonly table: string; readonly where: readonly Condition[]; readonly columns?: readonly string[] }
  | { readonly op: 'update'; readonly table: string; readonly where: readonly Condition[]; readonly row: EncodedRow }
  | { readonly op: 'mutate'; readonly table: string; readonly where: readonly Condition[]; readonly mutations: readonly Mutation[] }
  | { readonly op: 'delete'; readonly table: string; readonly where: readonly Condition[] }
  | {
      readonly op: 'wait';
      readonly table: string;
      readonly where: readonly Condition[];
      readonly columns: readonly string[];
      readonly until: '==' | '!=';
      readonly rows: readonly EncodedRow[];
      readonly timeout?: number;
    }
  | { readonly op: 'commit'; readonly durable: boolean }
  | { readonly op: 'abort' }
  | { readonly op: 'comment'; readonly comment: string }
  | { readonly op: 'assert'; readonly lock: string };

/** The result of one successful operation: `uuid` for insert, `count` for update/mutate/delete, `rows` for select. */
export interface TransactResult {
  readonly uuid?: string;
  readonly count?: number;
  /** Raw rows of a select; decode them with decodeRow and the table schema. */
  readonly rows?: readonly JsonObject[];
}

/**
 * Checks a transact reply (RFC 7047 §4.1.3): one result per operation, an error object in place of
 * the first failing one (later ones null), and possibly one extra trailing error when the commit
 * itself failed (e.g. a referential integrity violation). Any error becomes an RPC_ERROR naming the
 * operation; a reply of the wrong shape is a PROTOCOL error.
 */
export function checkTransactReply(ops: readonly TransactOperation[], reply: Json): TransactResult[] {
  if (!Array.isArray(reply) || reply.length < ops.length) {
    throw new TelemetryError('PROTOCOL', `transact reply is not an array of ${ops.length} results: ${preview(reply)}`);
  }
  const results: TransactResult[] = [];
  for (let i = 0; i < reply.length; i++) {
    const item = (reply as readonly Json[])[i];
    if (isJsonObject(item) && item.error !== undefined && item.error !== null) {
      const where = i < ops.length ? `operation ${i} (${describeOperation(ops[i])})` : 'commit';
      throw new OvsdbRpcError('transact', item, `transact failed at ${where}: ${describeRpcError(item)}`);
    }
    if (i >= ops.length) continue;
    if (!isJsonObject(item)) throw new TelemetryError('PROTOCOL', `transact result ${i} is not an object: ${preview(item)}`);
    results.push(decodeResult(i, item));
  }
  return results;
}

function describeOperation(op: TransactOperation): string {
  return 'table' in op ? `${op.op} ${op.table}` : op.op;
}

function decodeResult(index: number, item: JsonObject): TransactResult {
  const result: { uuid?: string; count?: number; rows?: readonly JsonObject[] } = {};
  if (item.uuid !== undefined) {
    const uuid = item.uuid;
    if (!Array.isArray(uuid) || uuid[0] !== 'uuid' || typeof uuid[1] !== 'string' || !isUuid(uuid[1])) {
      throw new TelemetryError('PROTOCOL', `transact result ${index} has a malformed uuid: ${preview(uuid)}`);
    }
    result.uuid = uuid[1];
  }
  if (item.count !== undefined) {
    if (typeof item.count !== 'number') throw new TelemetryError('PROTOCOL', `transact result ${index} has a non-numeric count`);
    result.count = item.count;
  }
  if (item.rows !== undefined) {
    if (!Array.isArray(item.rows) || !(item.rows as readonly Json[]).every((row) => isJsonObject(row))) {
      throw new TelemetryError('PROTOCOL', `transact result ${index} has malformed rows`);
    }
    result.rows = item.rows as readonly JsonObject[];
  }
  return result;
}
