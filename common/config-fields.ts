/**
 * Zod fields shared by the config files (the collector's, the enforcer's) and their sections:
 * OVSDB endpoints and their TLS files, listen addresses, and the URL and TLS of the exporters
 * that connect out (OTLP, InfluxDB).
 */
import { z } from 'zod';
import { readConfiguredFile } from './config-file.js';

/** An OVSDB connection method as ovs-vsctl --db takes it (ovsdb-server(5) "Active database connection methods"). */
export const ovsdbEndpoint = z
  .string()
  .regex(/^(unix:.+|tcp:.+:\d+|ssl:.+:\d+)$/, 'must be unix:PATH, tcp:IP:PORT or ssl:IP:PORT');

/** The three files of an ssl: OVSDB connection (ovs-vsctl's --private-key, --certificate, --ca-cert). */
export const ovsdbTlsFiles = z.strictObject({
  private_key: z.string().min(1),
  certificate: z.string().min(1),
  ca_cert: z.string().min(1),
});

export const listenAddress = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'must be HOST:PORT (IPv6 as [ADDR]:PORT)');

export const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

/** TLS towards a receiver: its CA, an optional client certificate, and the escape hatch. */
export const clientTlsSchema = z
  .strictObject({
    /** CA bundle for the receiver's certificate (default: the system's CAs). */
    ca_file: z.string().min(1).optional(),
    /** Client certificate and key (mutual TLS): both or neither. */
    cert_file: z.string().min(1).optional(),
    key_file: z.string().min(1).optional(),
    insecure_skip_verify: z.boolean().default(false),
  })
  .refine((t) => (t.cert_file === undefined) === (t.key_file === undefined), { error: 'cert_file and key_file go together', path: ['cert_file'] });

/** The files of a `tls:` key, read at start-up. */
export interface ClientTls {
  /** CA bundle that signs the receiver's certificate (default: the system's). */
  readonly ca?: Buffer;
  /** Client certificate and key for mutual TLS. */
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** Accept any server certificate (tests, never production). */
  readonly insecureSkipVerify?: boolean;
}

/** Reads the files a `tls:` key names; errors name `source` (the config file) and `key.tls.*`. */
export function readClientTls(tls: z.infer<typeof clientTlsSchema> | undefined, key: string, source: string): ClientTls | undefined {
  if (tls === undefined) return undefined;
  const read = (file: string | undefined, name: string): Buffer | undefined =>
    file === undefined ? undefined : readConfiguredFile(file, `${key}.tls.${name}`, source);
  return { ca: read(tls.ca_file, 'ca_file'), cert: read(tls.cert_file, 'cert_file'), key: read(tls.key_file, 'key_file'), insecureSkipVerify: tls.insecure_skip_verify };
}
