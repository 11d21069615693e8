/**
 * Strict YAML + schema validation shared by every file the product reads (config, tenancy
 * mapping, enforcer policies): unknown keys rejected, duplicate keys rejected, and every error
 * names the file, the key and the reason (TelemetryError CONFIG_INVALID, exit code 2).
 */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { TelemetryError } from './errors.js';

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function keyOf(path: readonly PropertyKey[]): string {
  return path.length ? path.map(String).join('.') : '(top level)';
}

/** Validates `input` with `schema`; the result is deep-frozen. `source` names the origin. */
export function validate<S extends z.ZodType>(schema: S, input: unknown, source: string): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const unknownKey = issue.code === 'unrecognized_keys';
    const path = unknownKey ? [...issue.path, issue.keys[0]] : issue.path;
    const reason = unknownKey ? 'unknown key' : issue.message;
    throw new TelemetryError('CONFIG_INVALID', `${source}: key ${keyOf(path)}: ${reason}`);
  }
  return deepFreeze(result.data);
}

/** Parses YAML text strictly (syntax errors and duplicate keys are errors, with the line). */
export function parseYaml(text: string, source: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const where = err.linePos ? ` line ${err.linePos[0].line}` : '';
    throw new TelemetryError('CONFIG_INVALID', `${source}:${where}: ${err.message.split('\n')[0]}`);
  }
  return doc.toJS();
}

export function readYamlFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TelemetryError('CONFIG_UNREADABLE', `${file}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  return parseYaml(text, file);
}

export function parseYamlFileWith<S extends z.ZodType>(file: string, schema: S): z.infer<S> {
  return validate(schema, readYamlFile(file), file);
}
