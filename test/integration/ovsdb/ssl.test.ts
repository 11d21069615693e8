import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isTelemetryError } from '../../../common/errors.js';
import { OvsdbClient } from '../../../collector/ovsdb/client.js';
import type { TlsFiles } from '../../../collector/ovsdb/endpoint.js';
import { getString } from '../../../collector/ovsdb/row.js';
import { freeTcpPort, makeTestPki, startOvsdbServer, type OvsdbServer, type TestPki } from '../../helpers/ovsdb-server.js';
import { waitFor } from './wait.js';

let dir: string;
let pki: TestPki;
let otherPki: TestPki;
let server: OvsdbServer;
let sslEndpoint: string;
const clients: OvsdbClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ovsdb-ssl-test-'));
  pki = await makeTestPki(dir);
  otherPki = await makeTestPki(await mkdtemp(join(dir, 'other-')));
  const port = await freeTcpPort();
  sslEndpoint = `ssl:127.0.0.1:${port}`;
  server = await startOvsdbServer({
    extraRemotes: [`pssl:${port}:127.0.0.1`],
    ssl: { privateKey: pki.server.privateKey, certificate: pki.server.certificate, caCert: pki.caCert },
  });
  await server.vsctl('init');
});
afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

function sslClient(tls: TlsFiles): OvsdbClient {
  const client = new OvsdbClient({ endpoint: sslEndpoint, tls, backoff: { initialMs: 20, maxMs: 200 } });
  clients.push(client);
  return client;
}

describe('ssl: endpoints', () => {
  it('connects with a client certificate signed by the CA the server trusts, and monitors', async () => {
    const client = sslClient({ privateKey: pki.client.privateKey, certificate: pki.client.certificate, caCert: pki.caCert });
    const replica = client.monitor('Open_vSwitch', { Bridge: { columns: ['name'] } });
    client.start();
    expect(await client.listDbs()).toEqual(['Open_vSwitch', '_Server']);
    await waitFor('the sync', () => replica.synced);
    await server.vsctl('add-br', 'br-ssl');
    await waitFor('br-ssl', () => [...replica.table('Bridge').values()].some((row) => getString(row, 'name') === 'br-ssl'));
  });

  it('refuses a server whose certificate is not signed by the CA it is given', async () => {
    const client = sslClient({ privateKey: pki.client.privateKey, certificate: pki.client.certificate, caCert: otherPki.caCert });
    const errors: Error[] = [];
    client.on('error', (err) => errors.push(err));
    client.start();
    await waitFor('a refused connection', () => errors.length > 0);
    expect(isTelemetryError(errors[0], 'CONNECTION_FAILED')).toBe(true);
    expect(errors[0].message).toMatch(new RegExp(`cannot connect to ${sslEndpoint}: .*certificate`, 'i'));
    expect(client.connected).toBe(false);
  });

  it('names the PEM file it cannot read', async () => {
    const missing = join(dir, 'missing-key.pem');
    const client = sslClient({ privateKey: missing, certificate: pki.client.certificate, caCert: pki.caCert });
    const errors: Error[] = [];
    client.on('error', (err) => errors.push(err));
    client.start();
    await waitFor('the error', () => errors.length > 0);
    expect(isTelemetryError(errors[0], 'CONFIG_UNREADABLE')).toBe(true);
    expect(errors[0].message).toContain(`cannot read the OVSDB SSL private key ${missing}`);
  });
});
