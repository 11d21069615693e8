import { TelemetryError } from './errors.js';

/** Splits a listener's HOST:PORT (IPv6 as [ADDR]:PORT), as every listen_address key is written. */
export function parseListenAddress(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new TelemetryError('CONFIG_INVALID', `listen address ${JSON.stringify(text)}: must be HOST:PORT`);
  }
  return { host: m[1] ?? m[2], port };
}
