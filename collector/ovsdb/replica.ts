import { EventEmitter } from 'node:events';
import { TelemetryError } from '../../common/errors.js';
import type { Logger } from '../../common/log.js';
import { applyDiff, decodeDiff, decodeRow, defaultRow, isUuid, ZERO_UUID, type Datum, type Row } from './datum.js';
import { isJsonObject, preview, type Json } from './json.js';
import { findColumn, type ColumnSchema, type DatabaseSchema, type TableSchema } from './schema.js';

export interface RowChange {
  readonly table: string;
  readonly uuid: string;
  /** The row before the change; null for an insert (and for every row of a full resync). */
  readonly old: Row | null;
  /** The row after the change; null for a delete. */
  readonly new: Row | null;
}

/** Tables to monitor, each with the columns wanted (all of the schema's columns when omitted). */
export type MonitorTables = Readonly<Record<string, { readonly columns?: readonly string[] }>>;

/**
 * The two row-update encodings: "update" is RFC 7047 §4.1.6 (`{old, new}` per row), "update2" is
 * ovsdb-server(7) §4.1.14 (`{initial|insert|delete|modify}`, "modify" carrying only diffs); the
 * update3 notification of monitor_cond_since uses update2's encoding.
 */
export type UpdateFormat = 'update' | 'update2';

interface MonitoredTable {
  readonly schema: TableSchema;
  /** The monitored columns at their default values: every row starts as a copy of it. */
  readonly defaults: Row;
}

/** What a monitor request asks for, computed from the schema of the current connection. */
export interface MonitorPlan {
  /** <monitor-requests> / <monitor-cond-requests>: table name to one request with its columns. */
  readonly requests: Readonly<Record<string, readonly [{ readonly columns: readonly string[] }]>>;
  /** The transaction id to resume from with monitor_cond_since (ZERO_UUID: send everything). */
  readonly lastTxnId: string;
}

interface QueuedUpdate {
  readonly format: UpdateFormat;
  readonly updates: Json;
  readonly txnId: string | undefined;
}

const EMPTY_TABLE: ReadonlyMap<string, Row> = new Map<string, Row>();

/**
 * A live copy of some tables of one database, kept by OvsdbClient.monitor(). Rows are keyed by
 * their uuid. Emits 'reset' when its contents are about to be replaced wholesale (first sync, or a
 * resync the server could not send as a delta), 'change' for every row inserted, modified or
 * deleted, and 'synced' once the initial state of a connection is in. Listeners run inside the
 * update: one that throws makes the client treat the update as failed (reconnect, full resync).
 */
export class Replica extends EventEmitter<{ synced: []; change: [RowChange]; reset: [] }> {
  readonly db: string;
  private readonly requested: MonitorTables;
  private readonly log: Logger;
  private readonly tables = new Map<string, Map<string, Row>>();
  private monitored = new Map<string, MonitoredTable>();
  private currentSchema: DatabaseSchema | undefined;
  private isSynced = false;
  private lastTxnId = ZERO_UUID;
  /** Identifies what the replica's contents were monitored with: a delta only applies to the same thing. */
  private contentsKey = '';
  private planKey = '';
  private format: UpdateFormat = 'update2';
  /** Set between sending a monitor request and applying its reply (see beginMonitor). */
  private queue: QueuedUpdate[] | undefined;

  /** @internal Created by OvsdbClient.monitor(). */
  constructor(db: string, tables: MonitorTables, log: Logger) {
    super();
    this.db = db;
    this.requested = tables;
    this.log = log;
  }

  /** True once the current connection's initial state is applied; false while disconnected. */
  get synced(): boolean {
    return this.isSynced;
  }

  /** The rows of a monitored table by uuid (empty for a table not monitored or not in the schema). */
  table(name: string): ReadonlyMap<string, Row> {
    return this.tables.get(name) ?? EMPTY_TABLE;
  }

  /** The schema of the database as last fetched from the server. */
  schema(): DatabaseSchema | undefined {
    return this.currentSchema;
  }

  /**
   * @internal Works out the monitor request for this connection's schema: only the tables and
   * columns the schema has (one replica then works across schema versions). Updates that arrive
   * before finishMonitor are queued (the JSON-RPC layer may hand us the first update3 before the
   * promise of the monitor reply has resumed its caller).
   */
  beginMonitor(schema: DatabaseSchema): MonitorPlan {
    this.currentSchema = schema;
    this.monitored = new Map();
    const requests: Record<string, readonly [{ readonly columns: readonly string[] }]> = {};
    for (const [name, wanted] of Object.entries(this.requested)) {
      const table = schema.tables.get(name);
      if (!table) {
        this.log.warn({ db: this.db, table: name }, 'ovsdb: table not in the server schema, not monitored');
        continue;
      }
      const columns = wanted.columns ? this.knownColumns(table, wanted.columns) : [...table.columns.values()];
      this.monitored.set(name, { schema: table, defaults: defaultRow(columns) });
      requests[name] = [{ columns: columns.map((column) => column.name) }];
    }
    this.planKey = `${schema.name}|${schema.version}|${schema.cksum ?? ''}|${JSON.stringify(requests)}`;
    this.queue = [];
    return { requests, lastTxnId: this.planKey === this.contentsKey ? this.lastTxnId : ZERO_UUID };
  }

  private knownColumns(table: TableSchema, names: readonly string[]): ColumnSchema[] {
    const columns: ColumnSchema[] = [];
    for (const name of names) {
      const column = table.columns.get(name);
      if (column) columns.push(column);
      else this.log.warn({ db: this.db, table: table.name, column: name }, 'ovsdb: column not in the server schema, not monitored');
    }
    return columns;
  }

  /**
   * @internal Applies the reply to the monitor request begun with beginMonitor, then any queued
   * updates. `replace` (no usable delta) swaps the contents wholesale: 'reset', then every row.
   */
  finishMonitor(format: UpdateFormat, updates: Json, replace: boolean, lastTxnId: string): void {
    this.format = format;
    const queued = this.queue ?? [];
    this.queue = undefined;
    this.apply(format, updates, replace);
    this.contentsKey = this.planKey;
    this.lastTxnId = lastTxnId;
    this.isSynced = true;
    this.emit('synced');
    for (const update of queued) this.update(update.format, update.updates, update.txnId);
  }

  /** @internal An update/update2/update3 notification for this replica's monitor. */
  update(format: UpdateFormat, updates: Json, txnId: string | undefined): void {
    if (this.queue) {
      this.queue.push({ format, updates, txnId });
      return;
    }
    if (format !== this.format) {
      throw new TelemetryError('PROTOCOL', `an "${format}" notification for a monitor that was set up for "${this.format}"`);
    }
    this.apply(format, updates, false);
    if (txnId !== undefined) this.lastTxnId = txnId;
  }

  /**
   * @internal The connection is gone (or the replica's monitor failed): keep the rows as last seen,
   * but say they are not live. `forgetPosition` (after malformed data) makes the next sync a full one.
   */
  markUnsynced(forgetPosition = false): void {
    this.queue = undefined;
    if (forgetPosition) this.contentsKey = '';
    this.isSynced = false;
  }

  /** Decodes every row first and only then changes anything, so a malformed update leaves the replica as it was. */
  private apply(format: UpdateFormat, updates: Json, replace: boolean): void {
    if (!isJsonObject(updates)) throw new TelemetryError('PROTOCOL', `malformed table updates in ${this.db}: ${preview(updates)}`);
    const changes: RowChange[] = [];
    for (const tableName in updates) {
      const table = this.monitored.get(tableName);
      if (!table) throw new TelemetryError('PROTOCOL', `update for table ${tableName}, which is not monitored in ${this.db}`);
      const rowUpdates = updates[tableName];
      if (!isJsonObject(rowUpdates)) {
        throw new TelemetryError('PROTOCOL', `malformed updates for table ${tableName}: ${preview(rowUpdates)}`);
      }
      const rows = replace ? EMPTY_TABLE : this.table(tableName);
      for (const uuid in rowUpdates) {
        if (!isUuid(uuid)) throw new TelemetryError('PROTOCOL', `update for table ${tableName} has a row key that is not a uuid: ${uuid}`);
        const old = rows.get(uuid) ?? null;
        const decode = format === 'update2' ? decodeRowUpdate2 : decodeRowUpdate;
        const change = decode(table, tableName, uuid, old, rowUpdates[uuid]);
        if (change) changes.push(change);
      }
    }
    if (replace) {
      // Cleared in place: a caller holding a table() map keeps seeing the live contents.
      for (const [name, rows] of this.tables) {
        rows.clear();
        if (!this.monitored.has(name)) this.tables.delete(name);
      }
      this.emit('reset');
    }
    for (const name of this.monitored.keys()) if (!this.tables.has(name)) this.tables.set(name, new Map());
    const announce = this.listenerCount('change') > 0;
    for (const change of changes) {
      const rows = this.tables.get(change.table) as Map<string, Row>;
      if (change.new) rows.set(change.uuid, change.new);
      else rows.delete(change.uuid);
      if (announce) this.emit('change', change);
    }
  }
}

function rowUpdateError(table: string, uuid: string, why: string, json: Json): TelemetryError {
  return new TelemetryError('PROTOCOL', `malformed row update for table ${table}, row ${uuid} (${why}): ${preview(json)}`);
}

/** RFC 7047 §4.1.6 <row-update>: "new" holds every monitored column, "old" only the changed ones. */
function decodeRowUpdate(table: MonitoredTable, name: string, uuid: string, old: Row | null, json: Json): RowChange | null {
  if (!isJsonObject(json)) throw rowUpdateError(name, uuid, 'not an object', json);
  if (json.new === undefined || json.new === null) {
    if (json.old === undefined) throw rowUpdateError(name, uuid, 'neither "old" nor "new"', json);
    return old ? { table: name, uuid, old, new: null } : null;
  }
  return { table: name, uuid, old, new: decodeRow(table.schema, json.new, { uuid, defaults: old ?? table.defaults }) };
}

/** ovsdb-server(7) §4.1.14 <row-update2>: exactly one of initial, insert, delete, modify. */
function decodeRowUpdate2(table: MonitoredTable, name: string, uuid: string, old: Row | null, json: Json): RowChange | null {
  if (!isJsonObject(json)) throw rowUpdateError(name, uuid, 'not an object', json);
  let kind: string | undefined;
  let count = 0;
  for (const key in json) {
    kind = key;
    count++;
  }
  if (count !== 1 || kind === undefined) throw rowUpdateError(name, uuid, 'expected exactly one of initial, insert, delete, modify', json);
  const body = json[kind];
  switch (kind) {
    case 'initial':
    case 'insert':
      // These rows omit columns that have their default value.
      return { table: name, uuid, old, new: decodeRow(table.schema, body, { uuid, defaults: table.defaults }) };
    case 'delete':
      return old ? { table: name, uuid, old, new: null } : null;
    case 'modify': {
      if (!old) throw rowUpdateError(name, uuid, '"modify" for a row the replica does not have', json);
      const diffs = decodeRow(table.schema, body, { uuid, decode: decodeDiff });
      const updated: Record<string, Datum> = { ...old };
      for (const column in diffs) {
        if (!Object.hasOwn(table.defaults, column)) throw rowUpdateError(name, uuid, `column ${column} is not monitored`, body);
        const type = (findColumn(table.schema, column) as ColumnSchema).type;
        try {
          updated[column] = applyDiff(old[column], diffs[column], type);
        } catch (err) {
          throw rowUpdateError(name, uuid, `column ${column}: ${(err as Error).message}`, body);
        }
      }
      return { table: name, uuid, old, new: updated };
    }
    default:
      throw rowUpdateError(name, uuid, `unknown update kind "${kind}"`, json);
  }
}
