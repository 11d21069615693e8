/**
 * Reads a file that a configuration key names (certificates, keys, CA bundles) at start-up, so a
 * missing or unreadable file stops the start with the config file, the key and the reason
 * (TelemetryError CONFIG_INVALID, exit code 2), not with a failure later on.
 */
import { readFileSync } from 'node:fs';
import { TelemetryError } from './errors.js';

export function readConfiguredFile(file: string, key: string, source: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new TelemetryError('CONFIG_INVALID', `${source}: key ${key}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}
