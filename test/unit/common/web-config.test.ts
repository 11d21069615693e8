import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTelemetryError } from '../../../common/errors.js';
import { BasicAuthChecker, loadWebConfig } from '../../../common/web-config.js';

const DIR = join(import.meta.dirname, '../../fixtures/web-config');
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('web config (exporter-toolkit format)', () => {
  for (const name of readdirSync(DIR).filter((f) => f.endsWith('.good.yml'))) {
    it(`accepts ${name}`, () => {
      expect(() => loadWebConfig(join(DIR, name))).not.toThrow();
    });
  }

  for (const name of readdirSync(DIR).filter((f) => f.endsWith('.bad.yml'))) {
    it(`rejects ${name}, naming the file and the key`, () => {
      const file = join(DIR, name);
      const expected = /^# expect: (.*)$/m.exec(readFileSync(file, 'utf8'))?.[1];
      expect(expected).toBeDefined();
      let error: unknown;
      try {
        loadWebConfig(file);
      } catch (err) {
        error = err;
      }
      expect(isTelemetryError(error, 'CONFIG_INVALID')).toBe(true);
      expect((error as Error).message.startsWith(`${file}: ${expected}`)).toBe(true);
    });
  }

  it('maps the toolkit names to Node TLS options, paths relative to the file, TLS 1.2 by default', () => {
    const c = loadWebConfig(join(DIR, 'full.good.yml'));
    expect(c.tls).toEqual({
      certFile: join(DIR, 'certs/server.pem'),
      keyFile: join(DIR, 'certs/server-key.pem'),
      clientCaFile: '/etc/ovs-telemetry/client-ca.pem',
      clientAuth: 'RequireAndVerifyClientCert',
      allowedSans: ['prometheus.example.net'],
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
      ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384',
      honorCipherOrder: true,
      ecdhCurve: 'X25519:P-256',
    });
    expect(c.headers).toEqual({ 'Strict-Transport-Security': 'max-age=31536000', 'X-Content-Type-Options': 'nosniff' });
    expect(loadWebConfig(join(DIR, 'empty.good.yml'))).toEqual({ file: join(DIR, 'empty.good.yml'), tls: undefined, users: undefined, headers: {} });
  });
});

describe('BasicAuthChecker', () => {
  const users = loadWebConfig(join(DIR, 'basic-auth-only.good.yml')).users ?? new Map<string, string>();

  it('accepts the right password ($2y$ and $2b$ hashes), refuses wrong ones, unknown users and junk', async () => {
    const auth = new BasicAuthChecker();
    expect(await auth.check(users, basic('alice', 'secret'))).toBe(true);
    expect(await auth.check(users, basic('bob', 'hunter2'))).toBe(true);
    expect(await auth.check(users, basic('alice', 'Secret'))).toBe(false);
    expect(await auth.check(users, basic('mallory', 'secret'))).toBe(false);
    expect(await auth.check(users, undefined)).toBe(false);
    expect(await auth.check(users, 'Bearer abc')).toBe(false);
    expect(await auth.check(users, 'Basic !!!')).toBe(false);
  });

  it('an unknown user costs a bcrypt comparison like a known one (timing reveals nothing)', async () => {
    const auth = new BasicAuthChecker();
    const time = async (user: string): Promise<number> => {
      const start = performance.now();
      for (let i = 0; i < 3; i++) await auth.check(users, basic(user, `wrong-${i}`));
      return performance.now() - start;
    };
    await time('alice');
    const known = await time('alice');
    const unknown = await time('nobody');
    // Both are three cost-10 comparisons (~0.2 s each here); without the dummy hash the unknown
    // user would take microseconds.
    expect(unknown).toBeGreaterThan(known * 0.5);
    expect(unknown).toBeLessThan(known * 2);
  });
});
