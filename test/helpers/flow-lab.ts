/**
 * What the flow lab tests (sFlow, IPFIX, NetFlow) share: the iperf3 flows of a traffic run, the
 * VMs of the exporting host (compute-1), and how much a counter grew between two scrapes.
 */
import type { LabState, TrafficFlow, TrafficReport } from '../../lab/index.js';
import { seriesOf } from './promtool.js';
import type { Exposition } from './scrape.js';

/** The tenant MTU is 1450: TCP segments carry 1450 - 20 (IP) - 20 (TCP) - 12 (timestamps) bytes. */
export const TCP_MSS = 1398;

/** iperf3's payload plus `overhead` bytes per packet (TCP: per full segment; UDP: per datagram). */
export function wireBytes(f: TrafficFlow, overhead: { readonly tcp: number; readonly udp: number }): number {
  if (f.kind === 'udp') return f.bytes + (f.packets ?? 0) * overhead.udp;
  return f.bytes + Math.ceil(f.bytes / TCP_MSS) * overhead.tcp;
}

export const seriesSum = (s: Exposition, name: string, labels: Record<string, string>): number => seriesOf(s, name, labels).reduce((n, x) => n + x.value, 0);

/** Names of the VMs on the exporting host. */
export const localVms = (lab: LabState): Set<string> => new Set(lab.vms.filter((vm) => vm.host === lab.hosts[0].name).map((vm) => vm.name));

export const iperfFlows = (report: TrafficReport): TrafficFlow[] => report.flows.filter((f) => f.kind === 'tcp' || f.kind === 'udp');
