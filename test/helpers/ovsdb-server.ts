import { createSocket } from 'node:dgram';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, unlink } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const VSWITCH_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

export interface OvsdbServerOptions {
  /** Schema file for the database (default: Open vSwitch's vswitch.ovsschema). */
  schema?: string;
  /** More --remote= arguments, e.g. `pssl:${port}:127.0.0.1` (pick the port with freeTcpPort()). */
  extraRemotes?: string[];
  /** Key, certificate and CA for pssl: remotes (see makeTestPki). */
  ssl?: { privateKey: string; certificate: string; caCert: string };
}

export interface OvsdbServer {
  /** The temp dir holding the database, sockets, pid file and log; also OVS_RUNDIR/OVS_LOGDIR/OVS_DBDIR. */
  readonly dir: string;
  readonly dbPath: string;
  readonly unixEndpoint: string;
  readonly tcpEndpoint: string;
  readonly tcpPort: number;
  /** The unixctl socket, for `ovs-appctl -t`. */
  readonly ctlPath: string;
  /** Environment for ovs-vsctl / ovs-appctl / ovsdb-client run against this server. */
  readonly env: NodeJS.ProcessEnv;
  /** The current process id (changes on restart). */
  readonly pid: number;
  /** Stops the server (SIGTERM, then SIGKILL) and removes the temp dir. Safe to call twice. */
  stop(): Promise<void>;
  /** Kills the server with SIGKILL and waits until it is gone; files stay for restart(). */
  kill9(): Promise<void>;
  /** Starts the server again on the same database, sockets and port (kill9 first if it runs). */
  restart(): Promise<void>;
  /** Runs ovs-vsctl against this server (with --no-wait: no ovs-vswitchd here) and returns stdout. */
  vsctl(...args: string[]): Promise<string>;
  /**
   * Runs an RFC 7047 transaction ([db, ...operations]) directly on the database file with
   * `ovsdb-tool transact`, for changes made while the server is down (after kill9()).
   */
  offlineTransact(transaction: readonly unknown[]): Promise<unknown>;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/** A UDP port on 127.0.0.1 that was free a moment ago. */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/**
 * Kills the server (whatever pid its pid file holds) and removes its dir once this test process is
 * gone without having called stop(): vitest ends its workers without running 'exit' handlers, so a
 * crashed or timed-out test file would otherwise leave ovsdb-server running. Its own process group,
 * so whatever ends the worker does not end the watchdog too.
 */
function startWatchdog(pidPath: string, dir: string): ChildProcess {
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -9 "$(cat '${pidPath}' 2>/dev/null)" 2>/dev/null; rm -rf '${dir}'`;
  const watchdog = spawn('sh', ['-c', script], { stdio: 'ignore', detached: true });
  watchdog.unref();
  return watchdog;
}

async function isGone(pid: number): Promise<boolean> {
  try {
    // ovsdb-server --detach is re-parented; where PID 1 does not reap, a dead one lingers as a zombie.
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

async function killAndWait(pid: number, signal: NodeJS.Signals, waitMs: number): Promise<boolean> {
  try {
    process.kill(pid, signal);
  } catch {
    return true;
  }
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    if (await isGone(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return isGone(pid);
}

async function waitForSocket(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ path });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`ovsdb-server did not open ${path} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Starts a real ovsdb-server (Debian's openvswitch-common) on a fresh database in a temp dir. */
export async function startOvsdbServer(opts: OvsdbServerOptions = {}): Promise<OvsdbServer> {
  const dir = await mkdtemp(join(tmpdir(), 'ovsdb-test-'));
  const env = { ...process.env, OVS_RUNDIR: dir, OVS_LOGDIR: dir, OVS_DBDIR: dir };
  const dbPath = join(dir, 'db.db');
  const socketPath = join(dir, 'db.sock');
  const ctlPath = join(dir, 'ovsdb-server.ctl');
  const pidPath = join(dir, 'ovsdb-server.pid');
  const tcpPort = await freeTcpPort();
  await run('ovsdb-tool', ['create', dbPath, opts.schema ?? VSWITCH_SCHEMA], { env });
  const args = [
    dbPath,
    `--remote=punix:${socketPath}`,
    `--remote=ptcp:${tcpPort}:127.0.0.1`,
    ...(opts.extraRemotes ?? []).map((remote) => `--remote=${remote}`),
    ...(opts.ssl
      ? [`--private-key=${opts.ssl.privateKey}`, `--certificate=${opts.ssl.certificate}`, `--ca-cert=${opts.ssl.caCert}`]
      : []),
    `--pidfile=${pidPath}`,
    `--unixctl=${ctlPath}`,
    `--log-file=${join(dir, 'ovsdb-server.log')}`,
    '--detach',
    '--no-chdir',
  ];
  let pid = 0;
  let stopped = false;
  const watchdog = startWatchdog(pidPath, dir);

  const launch = async (): Promise<void> => {
    await run('ovsdb-server', args, { env });
    pid = Number((await readFile(pidPath, 'utf8')).trim());
    await waitForSocket(socketPath, 5000);
  };
  const kill9 = async (): Promise<void> => {
    if (pid === 0) return;
    await killAndWait(pid, 'SIGKILL', 5000);
    // A stale pid could be reused by another process before the watchdog looks at the file.
    await unlink(pidPath).catch(() => undefined);
    pid = 0;
  };

  try {
    await launch();
  } catch (err) {
    await kill9();
    watchdog.kill();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    dir,
    dbPath,
    unixEndpoint: `unix:${socketPath}`,
    tcpEndpoint: `tcp:127.0.0.1:${tcpPort}`,
    tcpPort,
    ctlPath,
    env,
    get pid() {
      return pid;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (pid !== 0 && !(await killAndWait(pid, 'SIGTERM', 3000))) await killAndWait(pid, 'SIGKILL', 3000);
      pid = 0;
      watchdog.kill();
      await rm(dir, { recursive: true, force: true });
    },
    kill9,
    async restart() {
      await kill9();
      await launch();
    },
    async vsctl(...vsctlArgs: string[]) {
      const { stdout } = await run('ovs-vsctl', [`--db=unix:${socketPath}`, '--no-wait', ...vsctlArgs], {
        env,
        maxBuffer: 512 * 1024 * 1024,
      });
      return stdout;
    },
    async offlineTransact(transaction: readonly unknown[]) {
      const { stdout } = await run('ovsdb-tool', ['transact', dbPath, JSON.stringify(transaction)], { env });
      return JSON.parse(stdout) as unknown;
    },
  };
}

export interface TestPki {
  caCert: string;
  server: { privateKey: string; certificate: string };
  client: { privateKey: string; certificate: string };
}

/** A throwaway CA with a server and a client certificate signed by it (openssl, in `dir`). */
export async function makeTestPki(dir: string): Promise<TestPki> {
  const path = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): Promise<unknown> => run('openssl', args, { cwd: dir });
  await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=ovs-telemetry test CA',
    '-keyout', path('ca-key.pem'), '-out', path('ca-cert.pem'));
  for (const who of ['server', 'client']) {
    await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=ovs-telemetry test ${who}`,
      '-keyout', path(`${who}-key.pem`), '-out', path(`${who}-req.pem`));
    await openssl('x509', '-req', '-in', path(`${who}-req.pem`), '-CA', path('ca-cert.pem'), '-CAkey', path('ca-key.pem'),
      '-CAcreateserial', '-days', '2', '-out', path(`${who}-cert.pem`));
  }
  return {
    caCert: path('ca-cert.pem'),
    server: { privateKey: path('server-key.pem'), certificate: path('server-cert.pem') },
    client: { privateKey: path('client-key.pem'), certificate: path('client-cert.pem') },
  };
}
