import { TelemetryError } from '../../common/errors.js';
import { preview, type Json } from './json.js';
import { datumKind, findColumn, type BaseType, type ColumnSchema, type ColumnType, type TableSchema } from './schema.js';

/** A decoded RFC 7047 §5.1 <atom>: uuids become their canonical string (the schema tells a uuid column from a string one). */
export type Atom = string | number | boolean;

/**
 * A decoded column value, shaped by the column type (schema.ts `datumKind`): a scalar is an Atom,
 * an optional scalar (min 0, max 1) is Atom | null, a set is Atom[], a map is Map<Atom, Atom>.
 * Integers above 2^53 (counters only reach that after petabytes) lose precision, as in any JSON.parse.
 */
export type Datum = Atom | null | Atom[] | Map<Atom, Atom>;

/** One row: column name to value. The row's own uuid is the key it is stored under. */
export type Row = Readonly<Record<string, Datum>>;

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** RFC 7047 §5.1 <id>: the syntax of a "uuid-name" used in ["named-uuid", ...]. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isUuid(text: string): boolean {
  return UUID.test(text);
}

/** Thrown by the decoders below without location; decodeRow and its callers add table/column. */
function shapeError(why: string): TelemetryError {
  return new TelemetryError('PROTOCOL', why);
}

export function decodeAtom(json: Json, base: BaseType): Atom {
  switch (base.type) {
    case 'string':
      if (typeof json === 'string') return json;
      break;
    case 'integer':
      if (typeof json === 'number' && Number.isInteger(json)) return json;
      break;
    case 'real':
      if (typeof json === 'number') return json;
      break;
    case 'boolean':
      if (typeof json === 'boolean') return json;
      break;
    case 'uuid':
      if (Array.isArray(json) && json.length === 2 && json[0] === 'uuid' && typeof json[1] === 'string' && UUID.test(json[1])) {
        return json[1] as string;
      }
      break;
  }
  throw shapeError(`expected ${base.type === 'uuid' ? 'a ["uuid", "<uuid>"] atom' : `a ${base.type}`}, got ${preview(json)}`);
}

/**
 * Empty values shared by every row that has them (most map and set columns of a big table are
 * empty): a frozen array, and a map that refuses changes. Replica rows are never modified in
 * place, so sharing is invisible, and it saves an allocation per empty column per row.
 */
const EMPTY_SET: Atom[] = Object.freeze([]) as unknown as Atom[];

/** A plain Map (so it compares equal to any empty Map) whose mutators throw. */
function readOnlyEmptyMap(): Map<Atom, Atom> {
  const map = new Map<Atom, Atom>();
  const refuse = (): never => {
    throw new TypeError('a decoded OVSDB map is read-only');
  };
  for (const method of ['set', 'delete', 'clear']) Object.defineProperty(map, method, { value: refuse, enumerable: false });
  return Object.freeze(map);
}
const EMPTY_MAP = readOnlyEmptyMap();

/** The elements of a ["set", [...]] (RFC 7047 §5.1), or undefined when `json` is not one. */
function setElements(json: Json): readonly Json[] | undefined {
  if (!Array.isArray(json) || json[0] !== 'set') return undefined;
  const elements = json[1];
  if (json.length !== 2 || !Array.isArray(elements)) throw shapeError(`expected ["set", [...]], got ${preview(json)}`);
  return elements as readonly Json[];
}

/** A <set> is ["set", [atoms]] or, when it has exactly one element, the bare atom. */
function decodeSet(json: Json, base: BaseType): Atom[] {
  const elements = setElements(json);
  if (elements === undefined) return [decodeAtom(json, base)];
  if (elements.length === 0) return EMPTY_SET;
  const atoms = new Array<Atom>(elements.length);
  for (let i = 0; i < elements.length; i++) atoms[i] = decodeAtom(elements[i], base);
  return atoms;
}

function decodeMap(json: Json, key: BaseType, value: BaseType): Map<Atom, Atom> {
  const pairs = Array.isArray(json) && json.length === 2 && json[0] === 'map' ? json[1] : undefined;
  if (!Array.isArray(pairs)) throw shapeError(`expected ["map", [[key, value], ...]], got ${preview(json)}`);
  if (pairs.length === 0) return EMPTY_MAP;
  const map = new Map<Atom, Atom>();
  for (let i = 0; i < pairs.length; i++) {
    const pair = (pairs as readonly Json[])[i];
    if (!Array.isArray(pair) || pair.length !== 2) throw shapeError(`expected a [key, value] pair, got ${preview(pair)}`);
    map.set(decodeAtom((pair as readonly Json[])[0], key), decodeAtom((pair as readonly Json[])[1], value));
  }
  return map;
}

/** Decodes a column value (RFC 7047 §5.1 <value>) into the shape its type calls for. */
export function decodeDatum(json: Json, type: ColumnType): Datum {
  const kind = datumKind(type);
  if (kind === 'map') return decodeMap(json, type.key, type.value as BaseType);
  if (kind === 'set') {
    const atoms = decodeSet(json, type.key);
    if (type.max !== 'unlimited' && atoms.length > type.max) {
      throw shapeError(`a set of at most ${type.max} values has ${atoms.length}`);
    }
    return atoms;
  }
  const elements = setElements(json);
  if (elements === undefined) return decodeAtom(json, type.key);
  if (elements.length === 1) return decodeAtom(elements[0], type.key);
  if (elements.length > 1) throw shapeError(`expected one value, got ${elements.length}`);
  if (type.min === 0) return null;
  throw shapeError('expected one value, got an empty set');
}

/**
 * Decodes a column of an update2 "modify" row (ovsdb-server(7) §4.1.14): a new value for a
 * scalar, the elements that changed for a set (any count: a set diff may hold more elements than
 * the column does), and the key/value pairs that changed for a map. Apply it with applyDiff.
 */
export function decodeDiff(json: Json, type: ColumnType): Datum {
  const kind = datumKind(type);
  if (kind === 'map') return decodeMap(json, type.key, type.value as BaseType);
  if (kind === 'scalar') return decodeDatum(json, type);
  return decodeSet(json, type.key);
}

function asAtoms(datum: Datum): readonly Atom[] {
  if (datum === null) return [];
  if (Array.isArray(datum)) return datum;
  if (datum instanceof Map) throw shapeError('a map where a set was expected');
  return [datum];
}

/** Applies a decodeDiff result to the old value: symmetric difference for sets, per-key rules for maps. */
export function applyDiff(old: Datum, diff: Datum, type: ColumnType): Datum {
  const kind = datumKind(type);
  if (kind === 'scalar') return diff;
  if (kind === 'map') {
    if (!(old instanceof Map) || !(diff instanceof Map)) throw shapeError('a map diff for a value that is not a map');
    const result = new Map(old);
    for (const [key, value] of diff) {
      // Key only in the diff: added. Same value: removed. Different value: replaced.
      if (!result.has(key)) result.set(key, value);
      else if (result.get(key) === value) result.delete(key);
      else result.set(key, value);
    }
    return result;
  }
  if (kind === 'set') return toggleAtoms(asAtoms(old), asAtoms(diff));
  return applyOptionalDiff(old, asAtoms(diff));
}

/**
 * An optional column (min 0, max 1) is a set to the RFC, and ovsdb-server(7) describes set diffs as
 * a symmetric difference ({old, new} when the value changes); ovsdb-server 3.1 sends the new value
 * instead (["set", []] when cleared). Both read the same way: a diff holding the old value alone
 * clears the column, otherwise the value is the element that is not the old one.
 */
function applyOptionalDiff(old: Datum, diff: readonly Atom[]): Atom | null {
  if (diff.length > 2) throw shapeError(`a diff of ${diff.length} values for a column that holds at most one`);
  const fresh = diff.filter((atom) => atom !== old);
  if (fresh.length > 1) throw shapeError(`a diff (${preview(diff as Json)}) that leaves two values in a column that holds at most one`);
  return fresh.length === 1 ? fresh[0] : null;
}

/**
 * OVSDB's order of atoms: numbers and booleans by value, strings and uuids by their text (OVS
 * compares UTF-8 bytes, which orders the same except around characters beyond U+FFFF; for uuids,
 * comparing the lower-case text is comparing their bits).
 */
export function compareAtoms(a: Atom, b: Atom): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/**
 * The symmetric difference of a set and a diff, kept in OVSDB's sorted order so that a set
 * changed by diffs equals the same set fetched afresh. Linear in the set's size.
 */
function toggleAtoms(old: readonly Atom[], diff: readonly Atom[]): Atom[] {
  if (diff.length === 0) return old as Atom[];
  const present = new Set(old);
  const removed = new Set<Atom>();
  const addedSet = new Set<Atom>();
  for (const atom of diff) (present.has(atom) ? removed : addedSet).add(atom);
  const kept = removed.size === 0 ? old : old.filter((atom) => !removed.has(atom));
  if (addedSet.size === 0) return kept as Atom[];
  const added = [...addedSet].sort(compareAtoms);
  const merged: Atom[] = [];
  let i = 0;
  for (const atom of added) {
    while (i < kept.length && compareAtoms(kept[i], atom) < 0) merged.push(kept[i++]);
    merged.push(atom);
  }
  while (i < kept.length) merged.push(kept[i++]);
  return merged;
}

const ATOM_DEFAULTS: Readonly<Record<BaseType['type'], Atom>> = { integer: 0, real: 0, boolean: false, string: '', uuid: ZERO_UUID };

/** The value a column has when a row omits it (RFC 7047 §5.2.1; update2 initial/insert rows omit defaults). */
export function defaultDatum(type: ColumnType): Datum {
  const kind = datumKind(type);
  if (kind === 'map') return EMPTY_MAP;
  if (kind === 'set') return type.min === 0 ? EMPTY_SET : [ATOM_DEFAULTS[type.key.type]];
  if (kind === 'optional') return null;
  return ATOM_DEFAULTS[type.key.type];
}

function located(err: unknown, table: TableSchema, column: string, uuid: string | undefined): TelemetryError {
  const row = uuid === undefined ? '' : `, row ${uuid}`;
  const why = err instanceof Error ? err.message : String(err);
  return new TelemetryError('PROTOCOL', `malformed value in table ${table.name}${row}, column ${column}: ${why}`, { cause: err });
}

export interface DecodeRowOptions {
  /** The row's uuid, for error messages. */
  readonly uuid?: string;
  /**
   * Starts the row from these values (see defaultRow): the row then has exactly these columns, in
   * this order (one object shape for every row of a table), those the JSON omits keeping their
   * default, and a column the JSON has but `defaults` lacks is an error. Without it, the row has
   * the columns the JSON has, each checked against the table schema.
   */
  readonly defaults?: Row;
  /** decodeDatum (the default) for values, decodeDiff for the columns of an update2 "modify". */
  readonly decode?: (json: Json, type: ColumnType) => Datum;
}

/** Every given column at its default value, in order: the starting point of decodeRow. */
export function defaultRow(columns: readonly ColumnSchema[]): Row {
  const row: Record<string, Datum> = {};
  for (const column of columns) row[column.name] = defaultDatum(column.type);
  return row;
}

/** Decodes a <row> object, naming the table, row and column in any error. */
export function decodeRow(table: TableSchema, json: Json, opts: DecodeRowOptions = {}): Record<string, Datum> {
  const { uuid, defaults, decode = decodeDatum } = opts;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TelemetryError('PROTOCOL', `malformed row in table ${table.name}${uuid ? ` (${uuid})` : ''}: ${preview(json)}`);
  }
  const values = json as Readonly<Record<string, Json>>;
  const row: Record<string, Datum> = defaults ? { ...defaults } : {};
  for (const name in values) {
    const column = findColumn(table, name);
    if (!column) throw located('not in the schema', table, name, uuid);
    if (defaults && !Object.hasOwn(defaults, name)) throw located('not a monitored column', table, name, uuid);
    row[name] = decodeColumn(table, column, values[name], uuid, decode);
  }
  return row;
}

function decodeColumn(
  table: TableSchema,
  column: ColumnSchema,
  value: Json,
  uuid: string | undefined,
  decode: (json: Json, type: ColumnType) => Datum,
): Datum {
  try {
    return decode(value, column.type);
  } catch (err) {
    throw located(err, table, column.name, uuid);
  }
}

// ---- Encoding, for transact (RFC 7047 §5.1 as written by a client) ----

/**
 * Encodes an atom for a column of base type `base`. In a uuid column a string in UUID syntax is a
 * row reference ["uuid", …]; any other identifier is a ["named-uuid", …] naming a row inserted in
 * the same transaction (the "uuid-name" of its insert operation).
 */
export function encodeAtom(atom: Atom, base: BaseType): Json {
  switch (base.type) {
    case 'uuid':
      if (typeof atom === 'string') {
        if (UUID.test(atom)) return ['uuid', atom];
        if (IDENTIFIER.test(atom)) return ['named-uuid', atom];
      }
      break;
    case 'integer':
      if (typeof atom === 'number' && Number.isInteger(atom)) return atom;
      break;
    case 'real':
      if (typeof atom === 'number' && Number.isFinite(atom)) return atom;
      break;
    case 'boolean':
      if (typeof atom === 'boolean') return atom;
      break;
    case 'string':
      if (typeof atom === 'string') return atom;
      break;
  }
  const expected = base.type === 'uuid' ? 'a uuid or a uuid-name (identifier)' : `a ${base.type}`;
  throw shapeError(`cannot encode ${preview(atom)} as ${expected}`);
}

/** Encodes a value for a column of type `type`: the inverse of decodeDatum. */
export function encodeDatum(datum: Datum, type: ColumnType): Json {
  const kind = datumKind(type);
  if (kind === 'map') {
    if (!(datum instanceof Map)) throw shapeError(`cannot encode ${preview(describeDatum(datum))} as a map`);
    const pairs: Json[] = [];
    for (const [key, value] of datum) pairs.push([encodeAtom(key, type.key), encodeAtom(value, type.value as BaseType)]);
    return ['map', pairs];
  }
  if (kind === 'scalar') {
    if (datum === null || Array.isArray(datum) || datum instanceof Map) {
      throw shapeError(`cannot encode ${preview(describeDatum(datum))} as a single value`);
    }
    return encodeAtom(datum, type.key);
  }
  const atoms = asAtoms(datum);
  // An optional value that is set is written as the bare atom (RFC 7047 §5.1 allows it for one element).
  if (kind === 'optional' && atoms.length === 1) return encodeAtom(atoms[0], type.key);
  if (type.max !== 'unlimited' && atoms.length > type.max) {
    throw shapeError(`cannot encode ${atoms.length} values into a column that holds at most ${type.max}`);
  }
  return ['set', atoms.map((atom) => encodeAtom(atom, type.key))];
}

function describeDatum(datum: Datum): Json {
  return datum instanceof Map ? ['map', [...datum]] : datum;
}

/** Encodes a row for insert/update, checking every column against the table schema. */
export function encodeRow(table: TableSchema, row: Readonly<Record<string, Datum>>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const name of Object.keys(row)) {
    const column = findColumn(table, name);
    if (!column) throw new TelemetryError('PROTOCOL', `cannot encode column ${name}: table ${table.name} has no such column`);
    try {
      out[name] = encodeDatum(row[name], column.type);
    } catch (err) {
      throw located(err, table, name, undefined);
    }
  }
  return out;
}
