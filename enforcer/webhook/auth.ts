/**
 * Who may post alerts: what Alertmanager's http_config sends, a bearer token
 * (`authorization: {credentials_file}`) or basic auth (`basic_auth`), checked against the
 * enforcer file's webhook.auth. Tokens are compared as SHA-256 digests in constant time; basic
 * auth uses the exporter-toolkit checker of common/web-config.ts (bcrypt, a dummy hash for
 * unknown users, successes cached).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readConfiguredFile } from '../../common/config-file.js';
import { BasicAuthChecker } from '../../common/web-config.js';
import type { EnforcerConfig } from '../policy/schema.js';

export type WebhookAuthConfig = NonNullable<EnforcerConfig['webhook']>['auth'];

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

export class WebhookAuth {
  private readonly token: Buffer | null;
  private readonly users: ReadonlyMap<string, string> | null;
  private readonly basic = new BasicAuthChecker();

  /** Reads the token file now: a missing file stops the start (CONFIG_INVALID naming the key). */
  constructor(config: WebhookAuthConfig, source: string) {
    const file = config.bearer_token_file;
    const token = file === undefined ? config.bearer_token : readConfiguredFile(file, 'webhook.auth.bearer_token_file', source).toString('utf8').trim();
    this.token = token === undefined || token === '' ? null : digest(token);
    this.users = config.basic_auth_users === undefined ? null : new Map(Object.entries(config.basic_auth_users));
  }

  async check(authorization: string | undefined): Promise<boolean> {
    const header = authorization ?? '';
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (bearer) return this.token !== null && timingSafeEqual(digest(bearer[1]), this.token);
    if (/^Basic\s/i.test(header) && this.users !== null) return this.basic.check(this.users, header);
    return false;
  }

  /** The WWW-Authenticate challenge for a 401. */
  challenge(): string {
    return this.users !== null ? 'Basic realm="ovs-telemetry enforcer"' : 'Bearer realm="ovs-telemetry enforcer"';
  }
}
