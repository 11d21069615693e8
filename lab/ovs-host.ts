/**
 * One lab host's Open vSwitch: its own ovsdb-server and ovs-vswitchd (userspace datapath) with
 * OVS_RUNDIR/OVS_LOGDIR/OVS_DBDIR in the host's directory, started without systemd, and the
 * ovs-vsctl/ovs-ofctl/ovs-appctl calls that talk to them over unix sockets.
 */
import { join } from 'node:path';
import { TelemetryError } from '../common/errors.js';
import { run } from './exec.js';
import { readPidFile } from './processes.js';
import type { HostPlan } from './topology.js';

export type OvsProgram = 'ovsdb-server' | 'ovs-vswitchd';

const VSWITCH_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

/** Where a daemon writes its pid and control socket (`PROGRAM.PID.ctl`, OVS's default name). */
export function pidfileOf(rundir: string, program: OvsProgram): string {
  return join(rundir, `${program}.pid`);
}

export function controlSocketOf(rundir: string, program: OvsProgram, pid: number): string {
  return join(rundir, `${program}.${pid}.ctl`);
}

export class OvsHost {
  readonly plan: HostPlan;
  readonly dir: string;
  readonly netns: string | null;
  readonly ovsdb: string;

  constructor(plan: HostPlan) {
    this.plan = plan;
    this.dir = plan.dir;
    this.netns = plan.netns;
    this.ovsdb = `unix:${join(this.dir, 'db.sock')}`;
  }

  private get env(): NodeJS.ProcessEnv {
    return { ...process.env, OVS_RUNDIR: this.dir, OVS_LOGDIR: this.dir, OVS_DBDIR: this.dir };
  }

  pidfile(program: OvsProgram): string {
    return pidfileOf(this.dir, program);
  }

  pid(program: OvsProgram): number | null {
    return readPidFile(this.pidfile(program));
  }

  requirePid(program: OvsProgram): number {
    const pid = this.pid(program);
    if (pid === null) throw new TelemetryError('LAB', `${program} of ${this.plan.name} wrote no pid file (${this.pidfile(program)})`);
    return pid;
  }

  async createDatabase(): Promise<void> {
    await run('ovsdb-tool', ['create', join(this.dir, 'conf.db'), VSWITCH_SCHEMA], { env: this.env });
  }

  /** `--detach` returns once the daemon is ready to serve. */
  async startOvsdbServer(): Promise<void> {
    await run(
      'ovsdb-server',
      [
        join(this.dir, 'conf.db'),
        `--remote=punix:${join(this.dir, 'db.sock')}`,
        `--pidfile=${this.pidfile('ovsdb-server')}`,
        '--detach',
        `--log-file=${join(this.dir, 'ovsdb-server.log')}`,
      ],
      { netns: this.netns, env: this.env },
    );
  }

  async startVswitchd(): Promise<void> {
    await run(
      'ovs-vswitchd',
      [this.ovsdb, `--pidfile=${this.pidfile('ovs-vswitchd')}`, '--detach', `--log-file=${join(this.dir, 'ovs-vswitchd.log')}`],
      { netns: this.netns, env: this.env },
    );
  }

  /** One ovs-vsctl transaction; without --no-wait it returns once ovs-vswitchd applied it. */
  vsctl(args: readonly string[], options: { noWait?: boolean } = {}): Promise<string> {
    return run('ovs-vsctl', [`--db=${this.ovsdb}`, '--timeout=20', ...(options.noWait ? ['--no-wait'] : []), ...args], { env: this.env });
  }

  /** The OpenFlow management socket of a bridge (ovs-ofctl's `unix:RUNDIR/BRIDGE.mgmt`). */
  bridgeSocket(bridge: string): string {
    return `unix:${join(this.dir, `${bridge}.mgmt`)}`;
  }

  ofctl(command: string, bridge: string, ...args: string[]): Promise<string> {
    return run('ovs-ofctl', ['-O', 'OpenFlow13', command, this.bridgeSocket(bridge), ...args], { env: this.env });
  }

  appctl(...args: string[]): Promise<string> {
    const pid = this.pid('ovs-vswitchd');
    const target = pid === null ? 'ovs-vswitchd' : controlSocketOf(this.dir, 'ovs-vswitchd', pid);
    return run('ovs-appctl', ['--timeout=10', '-t', target, ...args], { env: this.env });
  }
}
