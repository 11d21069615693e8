/**
 * Lookup tables from what a sampled packet carries to who owns it, built from the OVSDB model's
 * interfaces (and the mapping file's networks) each time that model changes:
 * - Linux ifindex (sFlow ifIndex, OVS IPFIX ingress/egressInterface, `Interface.ifindex`),
 *   OpenFlow port number (OVS NetFlow input/output) and interface name → tenant interface;
 * - VNI → network: the `segmentation_id` of any port on a tunnelled network, or the mapping
 *   file's networks;
 * - host-local VLAN (`Port.tag`) → network; a provider network's VLAN (segmentation_id of a
 *   vlan-type network) as the fallback;
 * - MAC → port, per network and host-wide; a MAC on two networks (Neutron allows it: MACs are
 *   unique per network only) is never attributed host-wide.
 * Only tenant interfaces (a Neutron port or a network known) are indexed: anything else
 * attributes nothing, and the enricher goes on to the next method.
 */
import { isTenantInterface, UNKNOWN, type InterfaceState } from '../../common/model.js';

export interface NetworkRef {
  readonly networkId: string;
  readonly projectId: string;
}

/** A network as the mapping file describes it (collector/tenancy NetworkInfo's shape). */
export interface NetworkFacts {
  readonly id: string;
  readonly projectId?: string;
  readonly networkType?: string;
  readonly segmentationId?: number;
}

/** Network types whose segmentation id is a tunnel key (VNI / GRE key). */
const TUNNEL_TYPES = new Set(['vxlan', 'geneve', 'gre', 'stt']);

/** Placeholder for a MAC owned by ports of more than one network. */
const AMBIGUOUS: InterfaceState = Object.freeze({}) as InterfaceState;

function setOnce<K, V>(map: Map<K, V>, key: K, value: V): void {
  if (!map.has(key)) map.set(key, value);
}

export class TenancyIndex {
  private readonly byIfindex = new Map<number, InterfaceState>();
  /** OpenFlow port → tenant interface; a number tenant ports of two bridges share is AMBIGUOUS. */
  private readonly byOfport = new Map<number, InterfaceState>();
  private readonly byName = new Map<string, InterfaceState>();
  private readonly byMac = new Map<string, InterfaceState>();
  private readonly byNetworkMac = new Map<string, Map<string, InterfaceState>>();
  private readonly byVni = new Map<number, NetworkRef>();
  private readonly byLocalVlan = new Map<number, NetworkRef>();
  private readonly byProviderVlan = new Map<number, NetworkRef>();
  // The last network's MAC map: records come in runs of one network.
  private lastNetworkId = '';
  private lastNetworkMacs: ReadonlyMap<string, InterfaceState> | undefined = undefined;

  constructor(interfaces: readonly InterfaceState[], networks: Iterable<NetworkFacts> = []) {
    const refs = new Map<string, NetworkRef>();
    const refOf = (networkId: string, projectId: string): NetworkRef => {
      const key = `${networkId}\u0000${projectId}`;
      let ref = refs.get(key);
      if (ref === undefined) {
        ref = { networkId, projectId };
        refs.set(key, ref);
      }
      return ref;
    };
    for (const iface of interfaces) {
      if (!isTenantInterface(iface)) continue;
      const t = iface.tenant;
      if (iface.ifindex !== null && iface.ifindex > 0) setOnce(this.byIfindex, iface.ifindex, iface);
      if (iface.ofport !== null && iface.ofport > 0) this.byOfport.set(iface.ofport, this.byOfport.has(iface.ofport) ? AMBIGUOUS : iface);
      setOnce(this.byName, iface.name, iface);
      if (iface.mac !== '') {
        const prev = this.byMac.get(iface.mac);
        if (prev === undefined) this.byMac.set(iface.mac, iface);
        else if (prev !== AMBIGUOUS && prev.tenant.networkId !== t.networkId) this.byMac.set(iface.mac, AMBIGUOUS);
        let perNetwork = this.byNetworkMac.get(t.networkId);
        if (perNetwork === undefined) {
          perNetwork = new Map();
          this.byNetworkMac.set(t.networkId, perNetwork);
        }
        setOnce(perNetwork, iface.mac, iface);
      }
      if (t.networkId === UNKNOWN) continue;
      const ref = refOf(t.networkId, t.projectId);
      if (iface.localVlan !== null && iface.localVlan > 0) setOnce(this.byLocalVlan, iface.localVlan, ref);
      if (t.segmentationId !== undefined) {
        if (t.networkType === undefined || TUNNEL_TYPES.has(t.networkType)) setOnce(this.byVni, t.segmentationId, ref);
        else if (t.networkType === 'vlan') setOnce(this.byProviderVlan, t.segmentationId, ref);
      }
    }
    for (const n of networks) {
      if (n.segmentationId === undefined) continue;
      const ref = refOf(n.id, n.projectId ?? UNKNOWN);
      if (n.networkType === undefined || TUNNEL_TYPES.has(n.networkType)) setOnce(this.byVni, n.segmentationId, ref);
      else if (n.networkType === 'vlan') setOnce(this.byProviderVlan, n.segmentationId, ref);
    }
  }

  interfaceByIfindex(ifindex: number): InterfaceState | undefined {
    return this.byIfindex.get(ifindex);
  }

  interfaceByOfport(ofport: number): InterfaceState | undefined {
    const iface = this.byOfport.get(ofport);
    return iface === AMBIGUOUS ? undefined : iface;
  }

  interfaceByName(name: string): InterfaceState | undefined {
    return this.byName.get(name);
  }

  /** The port with this MAC: within `networkId` when given, else host-wide if unambiguous. */
  interfaceByMac(mac: string, networkId: string | undefined): InterfaceState | undefined {
    if (networkId !== undefined) {
      if (networkId !== this.lastNetworkId) {
        this.lastNetworkId = networkId;
        this.lastNetworkMacs = this.byNetworkMac.get(networkId);
      }
      return this.lastNetworkMacs?.get(mac);
    }
    const iface = this.byMac.get(mac);
    return iface === AMBIGUOUS ? undefined : iface;
  }

  networkByVni(vni: number): NetworkRef | undefined {
    return this.byVni.get(vni);
  }

  /** Host-local VLAN first, then a provider network's VLAN. */
  networkByVlan(vlan: number): NetworkRef | undefined {
    return this.byLocalVlan.get(vlan) ?? this.byProviderVlan.get(vlan);
  }
}
