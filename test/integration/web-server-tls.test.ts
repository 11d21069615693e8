/**
 * common/web-server.ts with client certificates (the policies of the exporter-toolkit's
 * client_auth_type) on real TLS connections, and a web config change picked up without restart.
 */
import bcrypt from 'bcryptjs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../common/log.js';
import { createWebServer } from '../../common/web-server.js';
import { makeLoopbackPki, type LoopbackPki } from '../helpers/pki.js';

interface Client {
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly authorization?: string;
}

describe('web server: client certificate policies and live web config changes', () => {
  let dir: string;
  let pki: LoopbackPki;
  let ca: Buffer;
  let client: { cert: Buffer; key: Buffer };
  let other: { cert: Buffer; key: Buffer };
  const servers: Server[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'web-server-test-'));
    pki = await makeLoopbackPki(dir);
    ca = await readFile(pki.caCert);
    client = { cert: await readFile(pki.clientCert), key: await readFile(pki.clientKey) };
    // A certificate from another CA: presented, but not verifiable.
    const otherPki = await makeLoopbackPki(await mkdtemp(join(dir, 'other-')));
    other = { cert: await readFile(otherPki.clientCert), key: await readFile(otherPki.clientKey) };
  });

  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function serve(name: string, webConfig: string): Promise<{ port: number; file: string }> {
    const file = join(dir, `${name}.yml`);
    await writeFile(file, webConfig);
    const server = createWebServer((_req, res) => res.end('ok'), { webConfigFile: file, logger: silentLogger }) as Server;
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as AddressInfo).port, file };
  }

  const status = (port: number, c: Client = {}): Promise<number | string> =>
    new Promise((resolve) => {
      const headers: Record<string, string> = c.authorization ? { authorization: c.authorization } : {};
      const req = request({ host: '127.0.0.1', port, path: '/', ca, cert: c.cert, key: c.key, headers, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', (err) => resolve(`refused: ${err.message}`));
      req.end();
    });

  const tls = (extra: string): string => `tls_server_config:\n  cert_file: ${pki.serverCert}\n  key_file: ${pki.serverKey}\n${extra}`;

  it('RequireAndVerifyClientCert (the default with a client CA): only certificates of that CA', async () => {
    const { port } = await serve('verify', tls(`  client_ca_file: ${pki.caCert}\n`));
    expect(await status(port, client)).toBe(200);
    expect(await status(port)).toMatch(/^refused/);
    expect(await status(port, other)).toMatch(/^refused/);
  });

  it('VerifyClientCertIfGiven: none is fine, a bad one is not', async () => {
    const { port } = await serve('if-given', tls(`  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ${pki.caCert}\n`));
    expect(await status(port)).toBe(200);
    expect(await status(port, client)).toBe(200);
    expect(await status(port, other)).toMatch(/^refused/);
  });

  it('RequireAnyClientCert: any certificate, none refused', async () => {
    const { port } = await serve('any', tls('  client_auth_type: RequireAnyClientCert\n'));
    expect(await status(port, other)).toBe(200);
    expect(await status(port)).toMatch(/^refused/);
  });

  it('client_allowed_sans: a verified certificate must carry an allowed SAN', async () => {
    const { port: allowed } = await serve('sans-ok', tls(`  client_ca_file: ${pki.caCert}\n  client_allowed_sans: [prometheus.test]\n`));
    const { port: denied } = await serve('sans-no', tls(`  client_ca_file: ${pki.caCert}\n  client_allowed_sans: [grafana.test]\n`));
    expect(await status(allowed, client)).toBe(200);
    expect(await status(denied, client)).toMatch(/^refused/);
  });

  it('users added to the web config take effect on the next connection; a broken file keeps the last good one', async () => {
    const hash = (p: string): string => bcrypt.hashSync(p, 4);
    const { port, file } = await serve('users', tls(`basic_auth_users:\n  alice: '${hash('a-pass')}'\n`));
    const as = (user: string, password: string): Client => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
    expect(await status(port, as('alice', 'a-pass'))).toBe(200);
    expect(await status(port, as('bob', 'b-pass'))).toBe(401);
    await writeFile(file, tls(`basic_auth_users:\n  alice: '${hash('a-pass')}'\n  bob: '${hash('b-pass')}'\n`));
    expect(await status(port, as('bob', 'b-pass'))).toBe(200);
    await writeFile(file, tls('basic_auth_users:\n  bob: not-a-hash\n'));
    expect(await status(port, as('bob', 'b-pass'))).toBe(200);
    expect(await status(port, as('bob', 'wrong'))).toBe(401);
  });
});
