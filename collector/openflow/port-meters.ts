/**
 * Which OpenFlow meters a bridge's flows send a port's traffic through, read from a flow dump the
 * way `explain` reads one port's flows: a metering flow that matches in_port=N or eth_src=MAC
 * meters what that port sends (egress, from the VM), one that matches eth_dst=MAC what is sent to
 * it (ingress). Neutron's meter-based packet-rate limits and the enforcer's meters have these
 * shapes. Fed flow by flow like TunnelVlanMap; the first metering flow seen per key wins.
 */
import { meterOf } from './flow-actions.js';
import type { FlowStats } from './stats.js';

export interface PortMeter {
  readonly meterId: number;
  /** The metering flow's cookie (the enforcer's flows carry its own). */
  readonly cookie: bigint;
}

export class PortMeters {
  readonly byInPort = new Map<number, PortMeter>();
  readonly byEthSrc = new Map<string, PortMeter>();
  readonly byEthDst = new Map<string, PortMeter>();

  add(flow: Pick<FlowStats, 'match' | 'instructions' | 'cookie'>): void {
    const meterId = meterOf(flow.instructions);
    if (meterId === undefined) return;
    const use: PortMeter = { meterId, cookie: flow.cookie };
    for (const f of flow.match) {
      if (f.mask !== undefined) continue;
      if (f.field === 'in_port' && typeof f.value === 'number' && !this.byInPort.has(f.value)) this.byInPort.set(f.value, use);
      else if (f.field === 'eth_src' && typeof f.value === 'string' && !this.byEthSrc.has(f.value)) this.byEthSrc.set(f.value, use);
      else if (f.field === 'eth_dst' && typeof f.value === 'string' && !this.byEthDst.has(f.value)) this.byEthDst.set(f.value, use);
    }
  }

  /** The meters on a port's traffic, egress (from it) first; a meter seen both ways is listed per direction. */
  of(ofport: number | null, mac: string): { readonly direction: 'egress' | 'ingress'; readonly meter: PortMeter }[] {
    const out: { direction: 'egress' | 'ingress'; meter: PortMeter }[] = [];
    const egress = (ofport === null ? undefined : this.byInPort.get(ofport)) ?? (mac === '' ? undefined : this.byEthSrc.get(mac));
    if (egress !== undefined) out.push({ direction: 'egress', meter: egress });
    const ingress = mac === '' ? undefined : this.byEthDst.get(mac);
    if (ingress !== undefined) out.push({ direction: 'ingress', meter: ingress });
    return out;
  }
}
