/**
 * Tenant networks by segment, read from the switch's flows rather than from configuration:
 *  - tunnels: br-tun maps VNI ↔ host-local VLAN (TunnelVlanMap);
 *  - provider VLANs: br-int maps provider VLAN → local VLAN, the physical bridge local → provider
 *    (VlanTranslations);
 *  - local VLAN → network: `Port.tag` + `Port.other_config:net_uuid` of the integration bridge's
 *    ports, as the OVSDB model joins them (InterfaceState.localVlan and tenant).
 * A flow record that carries a VNI or a provider VLAN gets its network through here even when no
 * port on this host says the network's segmentation id (and without a mapping file).
 * The flow enricher queries it through SegmentLookup, or takes networkFacts() as extra networks.
 */
import { UNKNOWN, type InterfaceState } from '../../common/model.js';
import type { TunnelVlanMap } from '../openflow/tunnel-map.js';
import type { VlanTranslations } from '../openflow/vlan-translation.js';

export interface SegmentNetwork {
  readonly networkId: string;
  readonly projectId: string;
}

/** What flow enrichment asks: the network behind a tunnel key or a provider VLAN. */
export interface SegmentLookup {
  networkByVni(vni: number): SegmentNetwork | undefined;
  networkByProviderVlan(vlan: number): SegmentNetwork | undefined;
}

/** What one bridge's flows said. */
export interface BridgeSegments {
  readonly bridge: string;
  readonly tunnels: TunnelVlanMap;
  readonly vlans: VlanTranslations;
}

export type SegmentType = 'tunnel' | 'vlan';

export interface Segment {
  readonly type: SegmentType;
  /** VNI / tunnel key, or provider VLAN id. */
  readonly segmentationId: number;
  readonly localVlan: number;
  readonly network: SegmentNetwork;
}

/** A network as collector/flows' TenancyIndex takes it (NetworkFacts): undefined type = tunnel. */
export interface SegmentNetworkFacts {
  readonly id: string;
  readonly projectId: string;
  readonly networkType: 'vlan' | undefined;
  readonly segmentationId: number;
}

interface Resolved {
  readonly from: readonly InterfaceState[];
  readonly byVni: ReadonlyMap<number, SegmentNetwork>;
  readonly byProviderVlan: ReadonlyMap<number, SegmentNetwork>;
  readonly segments: readonly Segment[];
  readonly facts: readonly SegmentNetworkFacts[];
}

function setOnce<K, V>(map: Map<K, V>, key: K, value: V): void {
  if (!map.has(key)) map.set(key, value);
}

/** Bridges with tagged tenant ports: their local VLANs are the ones the other tables refer to. */
function integrationBridges(interfaces: readonly InterfaceState[]): Set<string> {
  const out = new Set<string>();
  for (const iface of interfaces) if (iface.localVlan !== null && iface.localVlan > 0) out.add(iface.bridge);
  return out;
}

function sameMap(a: ReadonlyMap<number, number>, b: ReadonlyMap<number, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

export class SegmentTenancy implements SegmentLookup {
  /** VNI -> local VLAN. */
  private vniVlans = new Map<number, number>();
  /** Provider VLAN -> local VLAN. */
  private providerVlans = new Map<number, number>();
  private resolved: Resolved | null = null;

  constructor(private readonly interfaces: () => readonly InterfaceState[]) {}

  /**
   * Replaces the segments with what the bridges' flows say now; returns whether anything changed
   * (the enricher's index must then be rebuilt: FlowEnricher.invalidate()).
   */
  update(bridges: readonly BridgeSegments[]): boolean {
    const integration = integrationBridges(this.interfaces());
    const vniVlans = new Map<number, number>();
    const providerVlans = new Map<number, number>();
    for (const b of bridges) {
      for (const [vni, vlan] of b.tunnels.vniToVlan) setOnce(vniVlans, vni, vlan);
    }
    // The outbound direction fills in VNIs with no inbound flow (yet).
    for (const b of bridges) {
      for (const [vlan, vni] of b.tunnels.vlanToVni) setOnce(vniVlans, vni, vlan);
    }
    for (const b of bridges) {
      const inbound = integration.has(b.bridge);
      for (const [from, to] of b.vlans.pairs) {
        if (inbound) setOnce(providerVlans, from, to);
        else setOnce(providerVlans, to, from);
      }
    }
    const changed = !sameMap(vniVlans, this.vniVlans) || !sameMap(providerVlans, this.providerVlans);
    if (changed) {
      this.vniVlans = vniVlans;
      this.providerVlans = providerVlans;
      this.resolved = null;
    }
    return changed;
  }

  networkByVni(vni: number): SegmentNetwork | undefined {
    return this.current().byVni.get(vni);
  }

  networkByProviderVlan(vlan: number): SegmentNetwork | undefined {
    return this.current().byProviderVlan.get(vlan);
  }

  /** Every segment whose local VLAN belongs to a known network. */
  segments(): readonly Segment[] {
    return this.current().segments;
  }

  /** The segments as networks for FlowEnricher's `networks` option (TenancyIndex NetworkFacts). */
  networkFacts(): readonly SegmentNetworkFacts[] {
    return this.current().facts;
  }

  /** Resolved against the current interfaces; rebuilt when the model's list changes. */
  private current(): Resolved {
    const interfaces = this.interfaces();
    if (this.resolved !== null && this.resolved.from === interfaces) return this.resolved;
    const byLocalVlan = new Map<number, SegmentNetwork>();
    for (const iface of interfaces) {
      const t = iface.tenant;
      if (iface.localVlan === null || iface.localVlan <= 0 || t.networkId === UNKNOWN) continue;
      setOnce(byLocalVlan, iface.localVlan, { networkId: t.networkId, projectId: t.projectId });
    }
    const byVni = new Map<number, SegmentNetwork>();
    const byProviderVlan = new Map<number, SegmentNetwork>();
    const segments: Segment[] = [];
    const facts: SegmentNetworkFacts[] = [];
    const add = (type: SegmentType, target: Map<number, SegmentNetwork>, segmentationId: number, localVlan: number): void => {
      const network = byLocalVlan.get(localVlan);
      if (network === undefined) return;
      target.set(segmentationId, network);
      segments.push({ type, segmentationId, localVlan, network });
      facts.push({ id: network.networkId, projectId: network.projectId, networkType: type === 'vlan' ? 'vlan' : undefined, segmentationId });
    };
    for (const [vni, vlan] of this.vniVlans) add('tunnel', byVni, vni, vlan);
    for (const [provider, vlan] of this.providerVlans) add('vlan', byProviderVlan, provider, vlan);
    this.resolved = { from: interfaces, byVni, byProviderVlan, segments, facts };
    return this.resolved;
  }
}
