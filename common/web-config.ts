/**
 * The web configuration file of the Prometheus exporter-toolkit, for every HTTP endpoint we serve
 * (/metrics, the enforcer's webhook): TLS (tls_server_config), basic auth (basic_auth_users with
 * bcrypt hashes) and security headers (http_server_config.headers). Parsed strictly: unknown keys
 * are rejected, TLS 1.2 is the minimum, every error names the file and the key. Relative paths
 * are relative to the web config file, as in the toolkit. See web-server.ts for how it is served.
 */
import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import bcrypt from 'bcryptjs';
import { z } from 'zod';
import { readConfiguredFile } from './config-file.js';
import { readYamlFile, validate } from './yaml-file.js';

export const CLIENT_AUTH_TYPES = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

/** Go's TLS 1.2 cipher suite names (the toolkit's) → OpenSSL's. TLS 1.3 suites are not configurable, as in Go. */
const CIPHER_SUITES: Readonly<Record<string, string>> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
};

const CURVES: Readonly<Record<string, string>> = { CurveP256: 'P-256', CurveP384: 'P-384', CurveP521: 'P-521', X25519: 'X25519' };

/** The response headers the toolkit lets a web config set. */
const HEADERS = ['Strict-Transport-Security', 'X-Content-Type-Options', 'X-Frame-Options', 'X-XSS-Protection', 'Content-Security-Policy'] as const;

const TLS_VERSIONS = { TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;
const tlsVersion = z.enum(['TLS12', 'TLS13'], { error: 'must be TLS12 or TLS13 (TLS 1.2 is the minimum)' });

// bcrypt's modular crypt format: $2a$/$2b$/$2y$, cost 04..31, 22 characters of salt and 31 of hash.
const bcryptHash = z.string().regex(/^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/, 'must be a bcrypt hash ($2y$10$... as htpasswd -nBC 10 writes)');

const tlsServerConfig = z
  .strictObject({
    cert_file: z.string().min(1, 'missing cert_file'),
    key_file: z.string().min(1, 'missing key_file'),
    client_auth_type: z.enum(CLIENT_AUTH_TYPES).optional(),
    client_ca_file: z.string().min(1).optional(),
    client_allowed_sans: z.array(z.string().min(1)).min(1).optional(),
    min_version: tlsVersion.default('TLS12'),
    max_version: tlsVersion.optional(),
    cipher_suites: z.array(z.enum(Object.keys(CIPHER_SUITES) as [string, ...string[]])).min(1).optional(),
    prefer_server_cipher_suites: z.boolean().optional(),
    curve_preferences: z.array(z.enum(Object.keys(CURVES) as [string, ...string[]])).min(1).optional(),
  })
  .superRefine((t, ctx) => {
    const verifies = t.client_auth_type === 'VerifyClientCertIfGiven' || t.client_auth_type === 'RequireAndVerifyClientCert';
    if (verifies && t.client_ca_file === undefined) ctx.addIssue({ code: 'custom', path: ['client_ca_file'], message: `required when client_auth_type is ${t.client_auth_type}` });
    if (t.client_ca_file !== undefined && t.client_auth_type === 'NoClientCert') ctx.addIssue({ code: 'custom', path: ['client_auth_type'], message: 'NoClientCert with a client_ca_file: set a verifying client_auth_type or drop client_ca_file' });
    if (t.client_allowed_sans !== undefined && !verifies && !(t.client_ca_file !== undefined && t.client_auth_type === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['client_allowed_sans'], message: 'needs verified client certificates (client_ca_file and a verifying client_auth_type)' });
    }
    if (t.max_version === 'TLS12' && t.min_version === 'TLS13') ctx.addIssue({ code: 'custom', path: ['max_version'], message: 'is below min_version' });
  });

export const webConfigSchema = z.strictObject({
  tls_server_config: tlsServerConfig.optional(),
  http_server_config: z.strictObject({ headers: z.partialRecord(z.enum(HEADERS), z.string().min(1)).optional() }).optional(),
  basic_auth_users: z.record(z.string().min(1), bcryptHash).optional(),
});

export type WebConfigFile = z.infer<typeof webConfigSchema>;

export interface WebTlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFile?: string;
  readonly clientAuth: ClientAuthType;
  readonly allowedSans?: readonly string[];
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
  readonly maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** OpenSSL cipher list (TLS 1.2 suites). */
  readonly ciphers?: string;
  readonly honorCipherOrder?: boolean;
  readonly ecdhCurve?: string;
}

/** A validated web config with absolute paths. */
export interface WebConfig {
  readonly file: string;
  readonly tls?: WebTlsConfig;
  /** user → bcrypt hash; undefined = no authentication. */
  readonly users?: ReadonlyMap<string, string>;
  readonly headers: Readonly<Record<string, string>>;
}

/** Reads and validates a web config file (TelemetryError CONFIG_INVALID/CONFIG_UNREADABLE naming file and key). */
export function loadWebConfig(file: string): WebConfig {
  const parsed = validate(webConfigSchema, readYamlFile(file), file);
  const base = dirname(resolve(file));
  const abs = (p: string): string => resolve(base, p);
  const t = parsed.tls_server_config;
  const tls: WebTlsConfig | undefined = t && {
    certFile: abs(t.cert_file),
    keyFile: abs(t.key_file),
    clientCaFile: t.client_ca_file === undefined ? undefined : abs(t.client_ca_file),
    // The toolkit's default: verify client certificates when a client CA is given.
    clientAuth: t.client_auth_type ?? (t.client_ca_file === undefined ? 'NoClientCert' : 'RequireAndVerifyClientCert'),
    allowedSans: t.client_allowed_sans,
    minVersion: TLS_VERSIONS[t.min_version],
    maxVersion: t.max_version === undefined ? undefined : TLS_VERSIONS[t.max_version],
    ciphers: t.cipher_suites?.map((s) => CIPHER_SUITES[s]).join(':'),
    honorCipherOrder: t.prefer_server_cipher_suites,
    ecdhCurve: t.curve_preferences?.map((c) => CURVES[c]).join(':'),
  };
  return {
    file,
    tls,
    users: parsed.basic_auth_users === undefined ? undefined : new Map(Object.entries(parsed.basic_auth_users)),
    headers: { ...parsed.http_server_config?.headers },
  };
}

/** The certificate, key and client CA of a TLS config, read now (errors name the web config's key). */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer;
}

export function readTlsMaterial(config: WebConfig & { tls: WebTlsConfig }): TlsMaterial {
  const t = config.tls;
  return {
    cert: readConfiguredFile(t.certFile, 'tls_server_config.cert_file', config.file),
    key: readConfiguredFile(t.keyFile, 'tls_server_config.key_file', config.file),
    ca: t.clientCaFile === undefined ? undefined : readConfiguredFile(t.clientCaFile, 'tls_server_config.client_ca_file', config.file),
  };
}

/**
 * A hash of a password nobody has, at the usual cost: an unknown user costs the same bcrypt
 * comparison as a known one, so response times do not reveal which user names exist.
 */
const DUMMY_HASH = '$2b$10$CYQEYwu.iPJEFJWl8oWaCudDbgu0IvxM44v3DAfnuwQHYgE0I.lt2';
const CACHE_SIZE = 1024;

/**
 * Checks `Authorization: Basic` credentials against bcrypt hashes. bcrypt is slow on purpose
 * (~0.2 s at cost 10 here), so successful (user, password, hash) triples are remembered, keyed
 * by a SHA-256 of the three, as the toolkit does; failures are never cached.
 */
export class BasicAuthChecker {
  private readonly good = new Set<string>();

  async check(users: ReadonlyMap<string, string>, authorization: string | undefined): Promise<boolean> {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
    const decoded = m ? Buffer.from(m[1], 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    const user = colon >= 0 ? decoded.slice(0, colon) : '';
    const password = colon >= 0 ? decoded.slice(colon + 1) : '';
    const hash = users.get(user);
    const key = createHash('sha256').update(`${user}\u0000${password}\u0000${hash ?? ''}`).digest('hex');
    if (hash !== undefined && this.good.has(key)) return true;
    // Always one bcrypt comparison, for known and unknown users alike.
    const ok = await bcrypt.compare(password, hash ?? DUMMY_HASH);
    if (!ok || hash === undefined || m === null) return false;
    if (this.good.size >= CACHE_SIZE) this.good.clear();
    this.good.add(key);
    return true;
  }
}
