/**
 * Live sources for explainPort on this host: OpenFlow over `<rundir>/<bridge>.mgmt` (one
 * connection per bridge, for one explanation, then closed), ofproto/trace over ovs-vswitchd's
 * control socket, and rates sampled from OpenFlow port stats for a caller with no history (the CLI).
 */
import { join } from 'node:path';
import { describeError } from '../../common/errors.js';
import type { InterfaceState } from '../../common/model.js';
import { OpenFlowClient, type FlowStats, type Match, type MeterConfig, type PortStats } from '../openflow/index.js';
import { InterfaceRateTracker } from '../ovs/rates.js';
import { UnixctlClient } from '../unixctl/index.js';
import type { RequestSources } from './api.js';
import type { ExplainSources, FlowReader, RatesReading } from './explain.js';

export class RundirFlowReader implements FlowReader {
  private readonly clients = new Map<string, Promise<OpenFlowClient>>();

  constructor(private readonly rundir: string, private readonly timeoutMs = 5000) {}

  async flows(bridge: string, match: Match): Promise<FlowStats[]> {
    return (await this.client(bridge)).flowStatsAll({ match });
  }

  async meters(bridge: string): Promise<MeterConfig[]> {
    return (await this.client(bridge)).meterConfig();
  }

  async portStats(bridge: string, ofport: number): Promise<PortStats | undefined> {
    return (await (await this.client(bridge)).portStats(ofport)).find((p) => p.portNo === ofport);
  }

  close(): void {
    for (const pending of this.clients.values()) void pending.then((c) => c.close(), () => undefined);
    this.clients.clear();
  }

  private client(bridge: string): Promise<OpenFlowClient> {
    let pending = this.clients.get(bridge);
    if (pending === undefined) {
      const client = new OpenFlowClient({ target: `unix:${join(this.rundir, `${bridge}.mgmt`)}`, timeoutMs: this.timeoutMs, echoIntervalMs: 0 });
      pending = client.connect().then(() => client);
      // A failed connect is not cached: the next read tries again.
      pending.catch(() => this.clients.delete(bridge));
      this.clients.set(bridge, pending);
    }
    return pending;
  }
}

/** `ofproto/trace BRIDGE FLOW` through ovs-vswitchd's unixctl socket in `rundir`. */
export function unixctlTracer(rundir: string, timeoutMs = 5000): { trace: (bridge: string, flow: string) => Promise<string>; close(): void } {
  const client = new UnixctlClient({ rundir, daemon: 'ovs-vswitchd', timeoutMs });
  return { trace: (bridge, flow) => client.call('ofproto/trace', [bridge, flow]), close: () => client.close() };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function countersOfPort(p: PortStats): Record<string, number> {
  const out: Record<string, number> = {};
  const put = (k: string, v: number | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  put('rx_bytes', p.rxBytes);
  put('rx_packets', p.rxPackets);
  put('rx_dropped', p.rxDropped);
  put('rx_errors', p.rxErrors);
  put('tx_bytes', p.txBytes);
  put('tx_packets', p.txPackets);
  put('tx_dropped', p.txDropped);
  put('tx_errors', p.txErrors);
  return out;
}

/**
 * Rates for a caller without history: two OpenFlow port-stats samples `intervalMs` apart (the
 * datapath's own counters, fresher than OVSDB's, which ovs-vswitchd refreshes every 5 s).
 */
export function sampledRates(reader: RundirFlowReader, intervalMs: number): (iface: InterfaceState) => Promise<RatesReading> {
  return async (iface) => {
    if (iface.ofport === null) return { rates: null, note: 'the interface has no OpenFlow port number' };
    const tracker = new InterfaceRateTracker();
    try {
      for (let i = 0; i < 2; i++) {
        if (i > 0) await sleep(intervalMs);
        const stats = await reader.portStats(iface.bridge, iface.ofport);
        if (stats === undefined) return { rates: null, note: `OpenFlow reports no port ${iface.ofport} on ${iface.bridge}` };
        tracker.observe(iface.uuid, countersOfPort(stats));
      }
    } catch (err) {
      return { rates: null, note: `rates unavailable: ${describeError(err)}` };
    }
    return { rates: tracker.rates(iface.uuid) ?? null, note: null };
  };
}

/**
 * Sources for one explanation on this host: the caller's OVSDB view plus OpenFlow and
 * ofproto/trace through `rundir`; `rates` gets the OpenFlow reader (the CLI samples it).
 */
export function openRundirSources(
  rundir: string,
  base: Pick<ExplainSources, 'tables' | 'interfaces'>,
  rates: (reader: RundirFlowReader) => ExplainSources['rates'],
): RequestSources {
  const reader = new RundirFlowReader(rundir);
  const tracer = unixctlTracer(rundir);
  return {
    sources: { ...base, openflow: reader, trace: tracer.trace, rates: rates(reader) },
    close() {
      reader.close();
      tracer.close();
    },
  };
}
