import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findControlSocket, UnixctlClient } from '../../../collector/unixctl/client.js';

type Handler = (method: string, params: unknown[]) => { result?: string; error?: string } | undefined;

/** A fake OVS daemon: pid file + `<daemon>.<pid>.ctl` speaking unixctl JSON-RPC, like lib/unixctl.c. */
class FakeDaemon {
  private server: net.Server | undefined;
  readonly sockets: net.Socket[] = [];
  requests: { method: string; params: unknown[] }[] = [];

  constructor(
    readonly rundir: string,
    readonly name: string,
    public handler: Handler,
  ) {}

  async start(pid: number): Promise<void> {
    writeFileSync(join(this.rundir, `${this.name}.pid`), `${pid}\n`);
    this.server = net.createServer((socket) => {
      this.sockets.push(socket);
      let buffered = '';
      socket.on('data', (chunk) => {
        buffered += chunk.toString();
        // requests from the client are single JSON objects per write in practice
        for (;;) {
          let depth = 0;
          let end = -1;
          for (let i = 0; i < buffered.length; i++) {
            if (buffered[i] === '{') depth++;
            else if (buffered[i] === '}' && --depth === 0) {
              end = i + 1;
              break;
            }
          }
          if (end < 0) return;
          const req = JSON.parse(buffered.slice(0, end)) as { method: string; params: unknown[]; id: number };
          buffered = buffered.slice(end);
          this.requests.push({ method: req.method, params: req.params });
          const answer = this.handler(req.method, req.params);
          if (answer === undefined) continue; // never answer
          const reply = JSON.stringify({ result: answer.result ?? null, error: answer.error ?? null, id: req.id });
          // send in two pieces to exercise the splitter
          socket.write(reply.slice(0, 7));
          setImmediate(() => socket.write(reply.slice(7)));
        }
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => this.server?.listen(join(this.rundir, `${this.name}.${pid}.ctl`), resolve));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets.splice(0)) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}

let rundir: string;
let daemon: FakeDaemon;
const clients: UnixctlClient[] = [];

function client(timeoutMs = 1000): UnixctlClient {
  const c = new UnixctlClient({ rundir, daemon: 'ovs-vswitchd', timeoutMs });
  clients.push(c);
  return c;
}

beforeEach(async () => {
  rundir = mkdtempSync(join(tmpdir(), 'unixctl-'));
  daemon = new FakeDaemon(rundir, 'ovs-vswitchd', (method) => {
    if (method === 'dpif/show') return { result: 'netdev@ovs-netdev: hit:3 missed:4\n  br0:\n    br0 65534/1: (tap)\n' };
    if (method === 'version') return { result: 'ovs-vswitchd (Open vSwitch) 3.1.0\n' };
    if (method === 'bond/show') return { result: '' };
    return { error: `"${method}" is not a valid command (use "list-commands" to see a list of valid commands)\n` };
  });
  await daemon.start(4242);
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await daemon.stop();
  rmSync(rundir, { recursive: true, force: true });
});

describe('findControlSocket', () => {
  it('finds <rundir>/<daemon>.<pid>.ctl through the pid file', async () => {
    expect(await findControlSocket(rundir, 'ovs-vswitchd')).toBe(join(rundir, 'ovs-vswitchd.4242.ctl'));
  });

  it('fails with CONNECTION_FAILED without a pid file, with a bad one, or without the socket', async () => {
    await expect(findControlSocket(rundir, 'ovsdb-server')).rejects.toMatchObject({ code: 'CONNECTION_FAILED', message: /no pid file/ });
    writeFileSync(join(rundir, 'ovsdb-server.pid'), 'garbage');
    await expect(findControlSocket(rundir, 'ovsdb-server')).rejects.toMatchObject({ code: 'CONNECTION_FAILED', message: /holds no pid/ });
    writeFileSync(join(rundir, 'ovsdb-server.pid'), '77\n');
    await expect(findControlSocket(rundir, 'ovsdb-server')).rejects.toMatchObject({ code: 'CONNECTION_FAILED', message: /no control socket/ });
  });
});

describe('UnixctlClient', () => {
  it('sends JSON-RPC requests with params and returns the text result', async () => {
    const c = client();
    expect(await c.call('version')).toBe('ovs-vswitchd (Open vSwitch) 3.1.0\n');
    expect(await c.version()).toBe('3.1.0');
    await c.bondShow('bond0');
    expect(daemon.requests).toEqual([
      { method: 'version', params: [] },
      { method: 'version', params: [] },
      { method: 'bond/show', params: ['bond0'] },
    ]);
    expect(daemon.sockets).toHaveLength(1); // one connection for every call
  });

  it('parses typed outputs', async () => {
    const { value } = await client().dpifShow();
    expect(value[0]).toMatchObject({ name: 'netdev@ovs-netdev', hit: 3, missed: 4 });
    expect((await client().bondShow()).value).toEqual([]);
  });

  it('rejects an error reply with RPC_ERROR carrying the daemon text', async () => {
    await expect(client().call('dpif-netdev/pmd-stats-show')).rejects.toMatchObject({
      code: 'RPC_ERROR',
      message: /is not a valid command/,
    });
  });

  it('times out when the daemon does not answer, and stays usable', async () => {
    const c = client(100);
    daemon.handler = (method) => (method === 'slow' ? undefined : { result: 'ok' });
    await expect(c.call('slow')).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(await c.call('fast')).toBe('ok');
  });

  it('finds the new control socket after the daemon restarts with a new pid', async () => {
    const c = client();
    expect((await c.dpifShow()).value[0].hit).toBe(3);
    await daemon.stop();
    await expect.poll(async () => c.call('version').then(() => 'up', (e: { code: string }) => e.code)).toBe('CONNECTION_FAILED');
    daemon.handler = () => ({ result: 'netdev@ovs-netdev: hit:9 missed:9\n' });
    await daemon.start(5353);
    expect((await c.dpifShow()).value[0].hit).toBe(9);
  });
});
