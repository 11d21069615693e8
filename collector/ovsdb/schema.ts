import { TelemetryError } from '../../common/errors.js';
import { isJsonObject, preview, type Json, type JsonObject } from './json.js';

/** RFC 7047 §3.2 <atomic-type>. */
export type AtomicType = 'integer' | 'real' | 'boolean' | 'string' | 'uuid';

export interface BaseType {
  readonly type: AtomicType;
  /** For uuid columns: the table the uuid points to, and whether the reference is strong. */
  readonly refTable?: string;
  readonly refType?: 'strong' | 'weak';
  /** Allowed values, when the schema restricts them (kept as the raw JSON atoms). */
  readonly enum?: readonly Json[];
}

export interface ColumnType {
  readonly key: BaseType;
  /** Present for map columns. */
  readonly value?: BaseType;
  readonly min: number;
  readonly max: number | 'unlimited';
}

export interface ColumnSchema {
  readonly name: string;
  readonly type: ColumnType;
  readonly ephemeral: boolean;
  readonly mutable: boolean;
}

export interface TableSchema {
  readonly name: string;
  readonly columns: ReadonlyMap<string, ColumnSchema>;
  readonly isRoot: boolean;
  readonly maxRows?: number;
  readonly indexes: readonly (readonly string[])[];
}

export interface DatabaseSchema {
  readonly name: string;
  readonly version: string;
  readonly cksum?: string;
  readonly tables: ReadonlyMap<string, TableSchema>;
}

/** How a column's value is represented once decoded (see datum.ts). */
export type DatumKind = 'scalar' | 'optional' | 'set' | 'map';

export function datumKind(type: ColumnType): DatumKind {
  if (type.value) return 'map';
  if (type.max === 1) return type.min === 1 ? 'scalar' : 'optional';
  return 'set';
}

const UUID_COLUMN: ColumnType = { key: { type: 'uuid' }, min: 1, max: 1 };

/** Every table has the implicit columns `_uuid` and `_version` (RFC 7047 §3.2), absent from `columns`. */
export function findColumn(table: TableSchema, name: string): ColumnSchema | undefined {
  if (name === '_uuid' || name === '_version') return { name, type: UUID_COLUMN, ephemeral: false, mutable: false };
  return table.columns.get(name);
}

const ATOMIC_TYPES: ReadonlySet<string> = new Set(['integer', 'real', 'boolean', 'string', 'uuid']);

class SchemaParser {
  private readonly where: string[] = [];

  fail(why: string): never {
    throw new TelemetryError('PROTOCOL', `malformed database schema${this.where.length ? ` at ${this.where.join('.')}` : ''}: ${why}`);
  }

  within<T>(name: string, parse: () => T): T {
    this.where.push(name);
    const result = parse();
    this.where.pop();
    return result;
  }

  object(json: Json | undefined, what: string): JsonObject {
    if (!isJsonObject(json)) this.fail(`${what} is not an object: ${preview(json)}`);
    return json;
  }

  string(json: Json | undefined, what: string): string {
    if (typeof json !== 'string') this.fail(`${what} is not a string: ${preview(json)}`);
    return json;
  }

  database(json: Json): DatabaseSchema {
    const obj = this.object(json, 'the schema');
    const name = this.string(obj.name, '"name"');
    const tablesJson = this.object(obj.tables, '"tables"');
    const tables = new Map<string, TableSchema>();
    for (const [tableName, tableJson] of Object.entries(tablesJson)) {
      tables.set(tableName, this.within(tableName, () => this.table(tableName, tableJson)));
    }
    return {
      name,
      // ovsdb-server(7) §3.2: "version" may be omitted by older schemas.
      version: obj.version === undefined ? '' : this.string(obj.version, '"version"'),
      ...(typeof obj.cksum === 'string' ? { cksum: obj.cksum } : {}),
      tables,
    };
  }

  private table(name: string, json: Json): TableSchema {
    const obj = this.object(json, 'the table');
    const columnsJson = this.object(obj.columns, '"columns"');
    const columns = new Map<string, ColumnSchema>();
    for (const [columnName, columnJson] of Object.entries(columnsJson)) {
      // Rows are plain objects keyed by column name: a "__proto__" column would set their prototype.
      if (columnName === '__proto__') this.fail('a column named "__proto__" is not supported');
      columns.set(columnName, this.within(columnName, () => this.column(columnName, columnJson)));
    }
    const indexes: string[][] = [];
    if (Array.isArray(obj.indexes)) {
      for (const index of obj.indexes as readonly Json[]) {
        if (!Array.isArray(index)) this.fail(`an index is not an array: ${preview(index)}`);
        indexes.push((index as readonly Json[]).map((c) => this.string(c, 'an index column')));
      }
    }
    return {
      name,
      columns,
      isRoot: obj.isRoot === true,
      ...(typeof obj.maxRows === 'number' ? { maxRows: obj.maxRows } : {}),
      indexes,
    };
  }

  private column(name: string, json: Json): ColumnSchema {
    const obj = this.object(json, 'the column');
    return {
      name,
      type: this.within('type', () => this.columnType(obj.type)),
      ephemeral: obj.ephemeral === true,
      mutable: obj.mutable !== false,
    };
  }

  private columnType(json: Json | undefined): ColumnType {
    // RFC 7047 §3.2 <type>: an <atomic-type> alone, or {key, value?, min?, max?}.
    if (typeof json === 'string') return { key: this.baseType(json), min: 1, max: 1 };
    const obj = this.object(json, 'the type');
    const min = obj.min === undefined ? 1 : obj.min;
    if (min !== 0 && min !== 1) this.fail(`"min" must be 0 or 1, not ${preview(min)}`);
    const max = obj.max === undefined ? 1 : obj.max;
    if (max !== 'unlimited' && !(typeof max === 'number' && Number.isInteger(max) && max >= 1)) {
      this.fail(`"max" must be a positive integer or "unlimited", not ${preview(max)}`);
    }
    return {
      key: this.within('key', () => this.baseType(obj.key)),
      ...(obj.value === undefined ? {} : { value: this.within('value', () => this.baseType(obj.value)) }),
      min,
      max,
    };
  }

  private baseType(json: Json | undefined): BaseType {
    if (typeof json === 'string') return { type: this.atomicType(json) };
    const obj = this.object(json, 'the base type');
    const type = this.atomicType(this.string(obj.type, '"type"'));
    const refType = obj.refType === undefined ? undefined : this.string(obj.refType, '"refType"');
    if (refType !== undefined && refType !== 'strong' && refType !== 'weak') this.fail(`unknown refType "${refType}"`);
    return {
      type,
      ...(typeof obj.refTable === 'string' ? { refTable: obj.refTable, refType: refType ?? 'strong' } : {}),
      ...(obj.enum === undefined ? {} : { enum: enumValues(obj.enum) }),
    };
  }

  private atomicType(text: string): AtomicType {
    if (!ATOMIC_TYPES.has(text)) this.fail(`unknown atomic type "${text}"`);
    return text as AtomicType;
  }
}

/** An enum is a <set> of atoms (RFC 7047 §3.2): either ["set", [...]] or a single atom. */
function enumValues(json: Json): readonly Json[] {
  if (Array.isArray(json) && json[0] === 'set' && Array.isArray(json[1])) return json[1] as readonly Json[];
  return [json];
}

/** Parses a get_schema reply (RFC 7047 §3.2); throws a PROTOCOL error naming the bad part. */
export function parseSchema(json: Json): DatabaseSchema {
  return new SchemaParser().database(json);
}
