/** Fake OpenFlow switches and ovs-vswitchd for the datapath poller's unit tests. */
import { TelemetryError } from '../../../common/errors.js';
import type { MetricSink, MetricSpec } from '../../../common/metrics.js';
import type { OpenFlowStatsClient } from '../../../collector/datapath/bridge-stats.js';
import type { StatsSession } from '../../../collector/datapath/poller.js';
import type { VswitchdStatsClient } from '../../../collector/datapath/vswitchd-stats.js';
import type { FlowStats, GroupStats, MeterConfig, MeterStats, PortDesc, PortStats, QueueStats, TableStats } from '../../../collector/openflow/stats.js';
import { parseCoverageShow, parseDpctlShow, parseMemoryShow, parsePmdStatsShow, parseUpcallShow } from '../../../collector/unixctl/index.js';

export function flow(tableId: number, cookie: bigint, packets: number | undefined, bytes: number | undefined, extra: Partial<FlowStats> = {}): FlowStats {
  return {
    tableId, priority: 1, cookie, idleTimeout: 0, hardTimeout: 0, flags: 0, importance: 0, durationSec: 1, idleAgeSec: undefined,
    packetCount: packets, byteCount: bytes, match: [], instructions: [], ...extra,
  };
}

export function portDesc(portNo: number, name: string): PortDesc {
  return { portNo, name, hwAddr: '00:00:00:00:00:01', config: 0, state: 0, curr: 0, advertised: 0, supported: 0, peer: 0, currSpeedKbps: 0, maxSpeedKbps: 0 };
}

export function portStats(portNo: number, n: number): PortStats {
  return {
    portNo, durationSec: 1, rxPackets: n, txPackets: n + 1, rxBytes: n * 100, txBytes: (n + 1) * 100, rxDropped: 0, txDropped: 2,
    rxErrors: 0, txErrors: undefined, rxFrameErr: 0, rxOverErr: 0, rxCrcErr: 0, collisions: 0,
  };
}

export type Request = keyof OpenFlowStatsClient;

/** A switch's statistics; `fail` makes requests reject with the switch's error. */
export class FakeSwitch implements OpenFlowStatsClient {
  ports: PortDesc[] = [];
  portCounters: PortStats[] = [];
  tables: TableStats[] = [];
  flows: FlowStats[] = [];
  queues: QueueStats[] = [];
  groups: GroupStats[] = [];
  meters: MeterStats[] = [];
  meterConfigs: MeterConfig[] = [];
  readonly fail = new Set<Request>();
  readonly calls: Request[] = [];

  private answer<T>(what: Request, value: T): Promise<T> {
    this.calls.push(what);
    if (this.fail.has(what)) return Promise.reject(new TelemetryError('RPC_ERROR', `OpenFlow: switch rejected ${what}`));
    return Promise.resolve(value);
  }

  portDesc = () => this.answer('portDesc', this.ports);
  portStats = () => this.answer('portStats', this.portCounters);
  tableStats = () => this.answer('tableStats', this.tables);
  queueStats = () => this.answer('queueStats', this.queues);
  groupStats = () => this.answer('groupStats', this.groups);
  meterStats = () => this.answer('meterStats', this.meters);
  meterConfig = () => this.answer('meterConfig', this.meterConfigs);
  flowStats = async (_req: unknown, onEntry: (f: FlowStats) => void): Promise<number> => {
    const flows = await this.answer('flowStats', this.flows);
    for (const f of flows) onEntry(f);
    return flows.length;
  };
}

/** A reconnecting session on a FakeSwitch: `down` = the switch is unreachable. */
export class FakeSession implements StatsSession {
  down = false;
  closed = false;
  connections = 0;
  private connected = false;

  constructor(readonly target: string, readonly sw: FakeSwitch) {}

  async use<T>(fn: (client: OpenFlowStatsClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new TelemetryError('CONNECTION_CLOSED', 'session closed');
    if (this.down) {
      this.connected = false;
      throw new TelemetryError('CONNECTION_FAILED', `OpenFlow: ${this.target}: connect ENOENT`);
    }
    if (!this.connected) {
      this.connected = true;
      this.connections++;
    }
    return fn(this.sw);
  }

  close(): void {
    this.closed = true;
  }
}

/** ovs-vswitchd's unixctl commands answering with OVS 3.1 text; `down` = no daemon. */
export class FakeVswitchd implements VswitchdStatsClient {
  down = false;
  closed = false;
  readonly calls: string[] = [];
  dpctl = 'netdev@ovs-netdev:\n  lookups: hit:40 missed:7 lost:1\n  flows: 4\n  port 0: ovs-netdev (tap)\n  port 1: br-int (tap)\n';
  upcall = 'netdev@ovs-netdev:\n  flows         : (current 4) (avg 3) (max 9) (limit 10000)\n  dump duration : 2ms\n  ufid enabled : true\n\n  5: (keys 4)\n';
  coverage = 'Event coverage, avg rate over last: 5 seconds, last minute, last hour,  hash=ccdcd4d7:\n' +
    'netdev_received            0.0/sec     0.000/sec        0.0039/sec   total: 14\n' +
    'bridge_reconfigure         0.0/sec     0.000/sec        0.0003/sec   total: 3\n97 events never hit\n';
  memory = 'handlers:1 idl-cells-Open_vSwitch:210 ports:3 revalidators:1 rules:5 udpif keys:4\n';
  pmd = 'main thread:\n  packets received: 8\n  packet recirculations: 0\n  avg. datapath passes per packet: 1.00\n  emc hits: 0\n  smc hits: 0\n' +
    '  megaflow hits: 4\n  miss with success upcall: 4\n  miss with failed upcall: 0\n';

  private answer<T>(command: string, parse: () => T): Promise<T> {
    this.calls.push(command);
    if (this.down) return Promise.reject(new TelemetryError('CONNECTION_FAILED', 'unixctl: no pid file (is ovs-vswitchd running?)'));
    return Promise.resolve(parse());
  }

  dpctlShow = () => this.answer('dpctl/show', () => parseDpctlShow(this.dpctl));
  upcallShow = () => this.answer('upcall/show', () => parseUpcallShow(this.upcall));
  coverageShow = () => this.answer('coverage/show', () => parseCoverageShow(this.coverage));
  memoryShow = () => this.answer('memory/show', () => parseMemoryShow(this.memory));
  pmdStatsShow = () => this.answer('dpif-netdev/pmd-stats-show', () => parsePmdStatsShow(this.pmd));

  close(): void {
    this.closed = true;
  }
}

export interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** Collects samples with their label names, for assertions. */
export class RecordingSink implements MetricSink {
  readonly samples: Sample[] = [];

  add(spec: MetricSpec, labelValues: readonly string[], value: number): void {
    const labels: Record<string, string> = {};
    spec.labels.forEach((l, i) => (labels[l] = labelValues[i]));
    this.samples.push({ name: spec.name, labels, value });
  }

  of(name: string, labels: Record<string, string> = {}): Sample[] {
    return this.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  }

  value(name: string, labels: Record<string, string> = {}): number | undefined {
    const found = this.of(name, labels);
    if (found.length > 1) throw new Error(`${found.length} series of ${name} match ${JSON.stringify(labels)}`);
    return found[0]?.value;
  }
}

export function sinkOf(collector: { collect(sink: MetricSink): void }): RecordingSink {
  const sink = new RecordingSink();
  collector.collect(sink);
  return sink;
}
