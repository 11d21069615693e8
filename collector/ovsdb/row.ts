import { isUuid, type Atom, type Datum, type Row } from './datum.js';

/*
 * Typed reads of replica rows. They never throw: a column that is missing (an older schema, or
 * not monitored) or holds another kind of value reads as null or empty, which is also how an
 * unset optional column reads.
 */

const NO_ATOMS: readonly Atom[] = Object.freeze([]);
const NO_ENTRIES: ReadonlyMap<string, never> = new Map<string, never>();

function single(row: Row, column: string): Datum | undefined {
  const datum = row[column];
  // An optional column decodes to Atom | null; tolerate a one-element set as well.
  return Array.isArray(datum) && datum.length === 1 ? datum[0] : datum;
}

export function getString(row: Row, column: string): string | null {
  const value = single(row, column);
  return typeof value === 'string' ? value : null;
}

/** The value of a uuid column (a row reference), or null when unset or not a uuid. */
export function getUuid(row: Row, column: string): string | null {
  const value = getString(row, column);
  return value !== null && isUuid(value) ? value : null;
}

export function getInt(row: Row, column: string): number | null {
  const value = single(row, column);
  return typeof value === 'number' && Number.isInteger(value) ? value : null;
}

export function getNumber(row: Row, column: string): number | null {
  const value = single(row, column);
  return typeof value === 'number' ? value : null;
}

export function getBool(row: Row, column: string): boolean | null {
  const value = single(row, column);
  return typeof value === 'boolean' ? value : null;
}

/** Every value of a set column (also works on scalar and optional columns: zero or one element). */
export function getSet(row: Row, column: string): readonly Atom[] {
  const datum = row[column];
  if (Array.isArray(datum)) return datum;
  if (datum === null || datum === undefined || datum instanceof Map) return NO_ATOMS;
  return [datum];
}

/** The string (or uuid) elements of a set column, e.g. Port.interfaces or Bridge.ports. */
export function getStringSet(row: Row, column: string): readonly string[] {
  const atoms = getSet(row, column);
  return atoms.every((atom) => typeof atom === 'string') ? (atoms as readonly string[]) : atoms.filter((a) => typeof a === 'string');
}

function isMapOf<K extends Atom, V extends Atom>(
  map: Map<Atom, Atom>,
  keyType: 'string' | 'number',
  valueType: 'string' | 'number',
): map is Map<K, V> {
  for (const [key, value] of map) {
    if (typeof key !== keyType || typeof value !== valueType) return false;
  }
  return true;
}

function getMap<V extends string | number>(row: Row, column: string, valueType: 'string' | 'number'): ReadonlyMap<string, V> {
  const datum = row[column];
  if (!(datum instanceof Map)) return NO_ENTRIES;
  if (isMapOf<string, V>(datum, 'string', valueType)) return datum;
  const filtered = new Map<string, V>();
  for (const [key, value] of datum) if (typeof key === 'string' && typeof value === valueType) filtered.set(key, value as V);
  return filtered;
}

/** A string-to-string map column such as external_ids, other_config or status. */
export function getStringMap(row: Row, column: string): ReadonlyMap<string, string> {
  return getMap<string>(row, column, 'string');
}

/** A string-to-integer map column such as Interface.statistics. */
export function getIntMap(row: Row, column: string): ReadonlyMap<string, number> {
  return getMap<number>(row, column, 'number');
}
