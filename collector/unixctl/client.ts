/**
 * unixctl client: the JSON-RPC 1.0 control channel of ovs-vswitchd and ovsdb-server (what
 * `ovs-appctl` speaks; lib/unixctl.c). Requests are `{"method":"dpif/show","params":[...],"id":N}`,
 * replies `{"result":"text","error":null,"id":N}` or an `error` string, objects back to back on a
 * unix socket - the framing and request matching are the OVSDB client's JSON-RPC session.
 *
 * The socket is `<rundir>/<daemon>.<pid>.ctl`, found through `<rundir>/<daemon>.pid`. A daemon
 * restart changes the pid and therefore the socket, so the client re-reads the pid file whenever
 * it has to connect: the collector keeps working across `ovs-vswitchd` restarts. OVS 3.1 has no
 * JSON output mode for these commands (`set-options --format json` came later), so callers get
 * text; the typed methods below parse it.
 */
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TelemetryError } from '../../common/errors.js';
import { silentLogger, type Logger } from '../../common/log.js';
import { openSocket } from '../ovsdb/connect.js';
import { JsonRpcConnection } from '../ovsdb/jsonrpc.js';
import { parseBondShow, type Bond } from './bond.js';
import { parseCoverageShow, type Coverage } from './coverage.js';
import { parseDpctlShow, type DpctlDatapath } from './dpctl-show.js';
import { parseDpifShow, type DpifDatapath } from './dpif-show.js';
import type { Parsed } from './lines.js';
import { parseMemoryShow } from './memory.js';
import { parsePmdStatsShow, type PmdThread } from './pmd-stats.js';
import { parseUpcallShow, type UpcallDatapath } from './upcall.js';

export interface UnixctlOptions {
  /** The daemon's run directory (OVS_RUNDIR; /var/run/openvswitch on Debian). */
  readonly rundir: string;
  /** `ovs-vswitchd` or `ovsdb-server` (any OVS daemon with a pid file works). */
  readonly daemon: string;
  /** A fixed control socket, for daemons started with `--unixctl=PATH`; skips the pid file. */
  readonly socketPath?: string;
  /** Per call, connect included. Default 5 s. */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
}

/** `<rundir>/<daemon>.<pid>.ctl`, from the pid file; CONNECTION_FAILED when either is missing. */
export async function findControlSocket(rundir: string, daemon: string): Promise<string> {
  const pidFile = join(rundir, `${daemon}.pid`);
  let text: string;
  try {
    text = await readFile(pidFile, 'utf8');
  } catch (err) {
    throw new TelemetryError('CONNECTION_FAILED', `unixctl: no pid file ${pidFile} (is ${daemon} running?)`, { cause: err });
  }
  const pid = text.trim();
  if (!/^\d+$/.test(pid)) throw new TelemetryError('CONNECTION_FAILED', `unixctl: ${pidFile} holds no pid: ${JSON.stringify(text.slice(0, 40))}`);
  const socket = join(rundir, `${daemon}.${pid}.ctl`);
  try {
    await access(socket);
  } catch (err) {
    throw new TelemetryError('CONNECTION_FAILED', `unixctl: ${daemon} pid ${pid} has no control socket ${socket}`, { cause: err });
  }
  return socket;
}

export class UnixctlClient {
  private connection: JsonRpcConnection | undefined;
  private connecting: Promise<JsonRpcConnection> | undefined;
  private readonly timeoutMs: number;
  private readonly log: Logger;

  constructor(private readonly options: UnixctlOptions) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.log = options.logger ?? silentLogger;
  }

  /**
   * Runs one command and returns its text. An `error` reply (unknown command, bad argument, no
   * such bridge/bond) rejects with RPC_ERROR; an unreachable daemon with CONNECTION_FAILED.
   */
  async call(method: string, args: readonly string[] = []): Promise<string> {
    const conn = await this.connect();
    const result = await conn.request(method, args, this.timeoutMs);
    if (typeof result !== 'string') throw new TelemetryError('PROTOCOL', `unixctl ${method}: result is not text`);
    return result;
  }

  close(): void {
    this.connection?.close();
    this.connection = undefined;
  }

  /** Datapaths with hit/missed and every bridge's ports (`dpif/show`). */
  async dpifShow(): Promise<Parsed<DpifDatapath[]>> {
    return parseDpifShow(await this.call('dpif/show'));
  }

  /** Datapaths with hit/missed/lost, flow count and datapath ports (`dpctl/show`). */
  async dpctlShow(): Promise<Parsed<DpctlDatapath[]>> {
    return parseDpctlShow(await this.call('dpctl/show'));
  }

  async coverageShow(): Promise<Parsed<Coverage>> {
    return parseCoverageShow(await this.call('coverage/show'));
  }

  async memoryShow(): Promise<Parsed<ReadonlyMap<string, number>>> {
    return parseMemoryShow(await this.call('memory/show'));
  }

  async upcallShow(): Promise<Parsed<UpcallDatapath[]>> {
    return parseUpcallShow(await this.call('upcall/show'));
  }

  /** Userspace (netdev) datapath only; RPC_ERROR elsewhere. */
  async pmdStatsShow(): Promise<Parsed<PmdThread[]>> {
    return parsePmdStatsShow(await this.call('dpif-netdev/pmd-stats-show'));
  }

  /** Every bond, or one (`bond/show [port]`); an empty list when there are none. */
  async bondShow(bond?: string): Promise<Parsed<Bond[]>> {
    return parseBondShow(await this.call('bond/show', bond === undefined ? [] : [bond]));
  }

  /** `ovs-vswitchd (Open vSwitch) 3.1.0` -> `3.1.0`. */
  async version(): Promise<string> {
    const text = await this.call('version');
    return /\) (\S+)/.exec(text)?.[1] ?? text.trim();
  }

  private async connect(): Promise<JsonRpcConnection> {
    if (this.connection !== undefined && !this.connection.closed) return this.connection;
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(): Promise<JsonRpcConnection> {
    const path = this.options.socketPath ?? (await findControlSocket(this.options.rundir, this.options.daemon));
    const socket = await openSocket({ kind: 'unix', path }, undefined, this.timeoutMs);
    const conn = new JsonRpcConnection(
      socket,
      {
        notification: () => undefined,
        closed: (reason) => {
          if (this.connection === conn) this.connection = undefined;
          this.log.debug({ daemon: this.options.daemon, reason: reason?.message }, 'unixctl connection closed');
        },
      },
      { peer: `${this.options.daemon} (${path})`, logger: this.log },
    );
    this.connection = conn;
    return conn;
  }
}
