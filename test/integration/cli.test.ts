/** The CLI's contract: exit codes (0 ok, 2 bad usage or config naming file/key/reason, 1 runtime). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';

describe('ovs-telemetry CLI', () => {
  it('prints its version and exits 0', async () => {
    const res = await cli(['--version']);
    expect(res.code).toBe(0);
    expect(res.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('a bad config file: exit 2, the message names the file, the key and the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'otl-cli-'));
    const file = join(dir, 'collector.yml');
    writeFileSync(file, 'web:\n  listen_address: 127.0.0.1:9477\n  telemetry_paht: /metrics\n');
    const res = await cli(['collect', '--config', file]);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`${file}: key web.telemetry_paht: unknown key`);
  });

  it('a bad flag value is a config error too (exit 2)', async () => {
    const res = await cli(['collect', '--ovsdb', 'db.sock']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('key ovsdb.endpoint: must be unix:PATH, tcp:IP:PORT or ssl:IP:PORT');
  });

  it('an unknown command is a usage error (exit 2)', async () => {
    expect((await cli(['frobnicate'])).code).toBe(2);
  });

  it('a listen address already in use is a runtime failure (exit 1)', async () => {
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const res = await cli(['collect', '--ovsdb', 'unix:/nonexistent/db.sock', '--listen', `127.0.0.1:${port}`, '--no-sflow', '--no-ipfix', '--no-netflow', '--log-level', 'silent']);
    server.close();
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/EADDRINUSE/);
  });
});
