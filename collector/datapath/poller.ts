/**
 * The OpenFlow and datapath poller: every `intervalMs` it reads each bridge's OpenFlow statistics
 * over `<rundir>/<bridge>.mgmt` and ovs-vswitchd's datapath, upcall, coverage, memory and PMD
 * figures over unixctl, into memory; a scrape (collect) only replays the last poll.
 *  - Bridges come from the OVSDB model at each poll: a bridge added later is polled from the next
 *    round on, a deleted one's connection is closed and its series vanish.
 *  - Each bridge and each unixctl command is a target with its own health; one unreachable bridge
 *    costs its own series and an error count, never the others'. A failed target's old numbers
 *    are not reported as current.
 *  - Connections are OpenFlowSessions and a pid-following UnixctlClient: an ovs-vswitchd restart
 *    is followed by reconnecting on the next poll, without restarting the collector.
 *  - The bridges' flow dumps also feed `segments` (VNI / provider VLAN → tenant network) and
 *    `meters()` (the OpenFlow meters on each port, for the topology page).
 */
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { describeError } from '../../common/errors.js';
import { silentLogger, type Logger } from '../../common/log.js';
import type { MetricCollector, MetricSink } from '../../common/metrics.js';
import { DATAPATH_METRICS as M } from '../../common/metrics-datapath.js';
import type { InterfaceState } from '../../common/model.js';
import { OpenFlowSession } from '../openflow/session.js';
import { SegmentTenancy, type BridgeSegments, type Segment } from '../tenancy/segments.js';
import { UnixctlClient } from '../unixctl/client.js';
import { readBridge, sameBridgeMeters, type BridgeMeters, type OpenFlowStatsClient } from './bridge-stats.js';
import { FlowGroups } from './flow-groups.js';
import { PollHealth } from './health.js';
import { SeriesBuffer } from './series.js';
import { PMD_STATS_SHOW, VSWITCHD_COMMANDS, type VswitchdCommand, type VswitchdStatsClient } from './vswitchd-stats.js';

export const DEFAULT_RUNDIR = '/var/run/openvswitch';
export const DEFAULT_INTERVAL_MS = 10_000;
export const DEFAULT_TIMEOUT_MS = 5_000;
export const DEFAULT_MAX_COOKIES_PER_BRIDGE = 50;

/** A reconnecting OpenFlow connection to one bridge (OpenFlowSession; fakes in tests). */
export interface StatsSession {
  use<T>(fn: (client: OpenFlowStatsClient) => Promise<T>): Promise<T>;
  /** Connections made so far. */
  readonly connections: number;
  close(): void;
}

export interface DatapathPollerOptions {
  /** The bridges to poll, read at every poll (VswitchModel.bridgeNames()). */
  readonly bridges: () => readonly string[];
  /** The OVSDB model's interfaces (local VLAN → network for the segment map). */
  readonly interfaces: () => readonly InterfaceState[];
  /** ovs-vswitchd's run directory: `<rundir>/<bridge>.mgmt` and `ovs-vswitchd.pid`. Default /var/run/openvswitch. */
  readonly rundir?: string;
  /** Default 10 s. */
  readonly intervalMs?: number;
  /** Per OpenFlow reply and per unixctl command. Default 5 s. */
  readonly timeoutMs?: number;
  /** Cookies with their own series per bridge; the rest go to cookie="other". Default 50. */
  readonly maxCookiesPerBridge?: number;
  /** Dump every bridge's flows (per-cookie sums and the segment map). Default true. */
  readonly flowDump?: boolean;
  /** Poll ovs-vswitchd over unixctl. Default true. */
  readonly unixctl?: boolean;
  /** Called after a poll changed the segment map (give it FlowEnricher.invalidate). */
  readonly onSegmentsChange?: () => void;
  readonly logger?: Logger;
  /** Test seam: how a bridge's connection is made (default: an OpenFlowSession on `target`). */
  readonly openflowSession?: (bridge: string, target: string) => StatsSession;
  /** Test seam: the unixctl client (default: a UnixctlClient on `<rundir>/ovs-vswitchd.pid`). */
  readonly vswitchd?: VswitchdStatsClient & { close(): void };
}

interface BridgeState {
  readonly session: StatsSession;
  readonly flowGroups: FlowGroups | undefined;
  readonly health: PollHealth;
  readonly labels: readonly string[];
  series: SeriesBuffer;
  /** The last segment maps read (kept while the bridge is unreachable). */
  segments: BridgeSegments | undefined;
  /** The last port meters read (kept likewise). */
  meters: BridgeMeters | undefined;
}

interface CommandState {
  readonly health: PollHealth;
  series: SeriesBuffer;
}

export class DatapathPoller implements MetricCollector {
  readonly name = 'datapath';
  /** VNI / provider VLAN → tenant network, from the last flow dumps (see collector/tenancy/segments.ts). */
  readonly segments: SegmentTenancy;
  private readonly rundir: string;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly maxCookies: number;
  private readonly flowDump: boolean;
  private readonly log: Logger;
  private readonly vswitchd: (VswitchdStatsClient & { close(): void }) | undefined;
  private readonly bridgeStates = new Map<string, BridgeState>();
  private readonly commandStates = new Map<string, CommandState>();
  private userspaceDatapath = false;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;
  private segmentLabels: { from: readonly Segment[]; labels: (readonly string[])[] } | undefined;
  private bridgeMeters: readonly BridgeMeters[] = [];

  constructor(private readonly opts: DatapathPollerOptions) {
    this.rundir = opts.rundir ?? DEFAULT_RUNDIR;
    this.intervalMs = opts.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxCookies = opts.maxCookiesPerBridge ?? DEFAULT_MAX_COOKIES_PER_BRIDGE;
    this.flowDump = opts.flowDump ?? true;
    this.log = opts.logger ?? silentLogger;
    this.segments = new SegmentTenancy(opts.interfaces);
    this.vswitchd = (opts.unixctl ?? true)
      ? (opts.vswitchd ?? new UnixctlClient({ rundir: this.rundir, daemon: 'ovs-vswitchd', timeoutMs: this.timeoutMs, logger: this.log }))
      : undefined;
  }

  /** Polls now, then every intervalMs (start to start; a slow poll delays the next, never overlaps it). */
  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.inFlight;
    for (const state of this.bridgeStates.values()) state.session.close();
    this.bridgeStates.clear();
    this.vswitchd?.close();
  }

  /** One poll of every target (a poll already running is joined, not doubled; none after stop). */
  poll(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.inFlight ??= this.pollAll().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  collect(sink: MetricSink): void {
    for (const state of this.bridgeStates.values()) {
      state.series.replay(sink);
      state.health.collect(sink);
      sink.add(M.openflowReconnects, state.labels, Math.max(0, state.session.connections - 1));
    }
    for (const state of this.commandStates.values()) {
      state.series.replay(sink);
      state.health.collect(sink);
    }
    const segments = this.segments.segments();
    if (this.segmentLabels?.from !== segments) {
      this.segmentLabels = {
        from: segments,
        labels: segments.map((s) => [s.type, String(s.segmentationId), String(s.localVlan), s.network.networkId, s.network.projectId]),
      };
    }
    for (const labels of this.segmentLabels.labels) sink.add(M.segmentInfo, labels, 1);
  }

  /** The port meters of every bridge from the last flow dumps: the same array until a poll reads a change. */
  meters(): readonly BridgeMeters[] {
    return this.bridgeMeters;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const start = performance.now();
      void this.poll().finally(() => this.schedule(Math.max(0, this.intervalMs - (performance.now() - start))));
    }, delayMs);
    this.timer.unref();
  }

  private async pollAll(): Promise<void> {
    this.syncBridges();
    await Promise.all([...[...this.bridgeStates].map(([bridge, state]) => this.pollBridge(bridge, state)), this.pollVswitchd()]);
    if (this.stopped || !this.flowDump) return;
    const read = [...this.bridgeStates.values()].flatMap((s) => (s.segments === undefined ? [] : [s.segments]));
    if (this.segments.update(read)) this.opts.onSegmentsChange?.();
    const meters = [...this.bridgeStates.values()].flatMap((s) => (s.meters === undefined ? [] : [s.meters]));
    if (meters.length !== this.bridgeMeters.length || meters.some((m, i) => m !== this.bridgeMeters[i])) this.bridgeMeters = meters;
  }

  /** Follows the OVSDB model: new bridges get a connection, deleted ones lose theirs. */
  private syncBridges(): void {
    const wanted = new Set(this.opts.bridges());
    for (const [bridge, state] of this.bridgeStates) {
      if (wanted.has(bridge)) continue;
      state.session.close();
      this.bridgeStates.delete(bridge);
    }
    for (const bridge of wanted) {
      if (this.bridgeStates.has(bridge)) continue;
      const target = `unix:${join(this.rundir, `${bridge}.mgmt`)}`;
      this.bridgeStates.set(bridge, {
        session: this.opts.openflowSession?.(bridge, target) ?? this.openSession(target),
        flowGroups: this.flowDump ? new FlowGroups(this.maxCookies) : undefined,
        health: new PollHealth('openflow', bridge),
        labels: [bridge],
        series: new SeriesBuffer(),
        segments: undefined,
        meters: undefined,
      });
    }
  }

  private openSession(target: string): OpenFlowSession {
    // Backoff below the interval, so a switch that is back is reached on the next poll.
    const maxBackoffMs = Math.max(100, Math.floor(this.intervalMs / 2));
    return new OpenFlowSession({ target, timeoutMs: this.timeoutMs, minBackoffMs: Math.min(500, maxBackoffMs), maxBackoffMs, logger: this.log });
  }

  private async pollBridge(bridge: string, state: BridgeState): Promise<void> {
    const start = performance.now();
    let problem: string | undefined;
    try {
      const reading = await state.session.use((client) => readBridge(bridge, client, state.flowGroups));
      state.series = reading.series;
      if (reading.segments !== undefined) state.segments = reading.segments;
      // An unchanged reading keeps the previous object: the topology rebuilds only on a new one.
      if (reading.meters !== undefined && (state.meters === undefined || !sameBridgeMeters(state.meters, reading.meters))) state.meters = reading.meters;
      if (reading.failures.length > 0) problem = reading.failures.map((f) => `${f.what}: ${describeError(f.error)}`).join('; ');
    } catch (err) {
      state.series = new SeriesBuffer();
      problem = describeError(err);
    }
    this.record(state.health, problem, performance.now() - start);
  }

  private async pollVswitchd(): Promise<void> {
    const client = this.vswitchd;
    if (client === undefined) return;
    for (const command of VSWITCHD_COMMANDS) await this.runCommand(client, command);
    if (this.userspaceDatapath) await this.runCommand(client, PMD_STATS_SHOW);
    else this.commandStates.delete(PMD_STATS_SHOW.name);
  }

  private async runCommand(client: VswitchdStatsClient, command: VswitchdCommand): Promise<void> {
    let state = this.commandStates.get(command.name);
    if (state === undefined) {
      state = { health: new PollHealth('unixctl', command.name), series: new SeriesBuffer() };
      this.commandStates.set(command.name, state);
    }
    const start = performance.now();
    let problem: string | undefined;
    try {
      const reading = await command.read(client);
      state.series = reading.series;
      if (reading.userspaceDatapath !== undefined) this.userspaceDatapath = reading.userspaceDatapath;
      if (reading.skippedLines > 0) this.log.debug({ command: command.name, skippedLines: reading.skippedLines }, 'unixctl output lines not understood');
    } catch (err) {
      state.series = new SeriesBuffer();
      problem = describeError(err);
    }
    this.record(state.health, problem, performance.now() - start);
  }

  /** Records the outcome; logs when a target starts failing and when it recovers, not on every poll. */
  private record(health: PollHealth, problem: string | undefined, durationMs: number): void {
    const [source, target] = health.labels;
    const wasFailing = health.errors > 0 && !health.succeeded;
    health.record(problem === undefined, durationMs);
    if (problem !== undefined && !wasFailing) this.log.warn({ source, target, err: problem }, 'datapath poll failed; will retry');
    else if (problem === undefined && wasFailing) this.log.info({ source, target }, 'datapath poll recovered');
  }
}
