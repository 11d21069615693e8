/**
 * Enrichment: who sent and who receives a sampled packet (DESIGN.md "Linking to tenant
 * networks"). Each side of a FlowRecord is attributed, in order:
 *  1. its interface: (agent, ifIndex) → OVS interface, by `Interface.ifindex` from OVSDB, else
 *     by the port name OVS reported for that ifIndex in its counter samples (port_name record,
 *     sflow_openflow.txt), learned per agent in a bounded map; for records numbered by
 *     OpenFlow port (OVS NetFlow v5), the input port by `Interface.ofport` only: OVS reports
 *     the output port of a packet that left through a patch port as a port of the peer bridge
 *     (testdata/ovs-lab README: the VXLAN port's ofport on br-tun), which a port number alone
 *     cannot tell from a br-int port;
 *  2. the packet's network: from its tunnel key (VNI) or VLAN when the record has one, else
 *     the network of the port found on the other side (a bridge switches a packet within the
 *     sending port's local VLAN: both ends of a switched packet are on one network);
 *  3. the MAC of a known port (source MAC → sending side, destination MAC → receiving side),
 *     within that network when 2 found one; never an IP address (tenants reuse ranges).
 * A side with a port gets its Neutron port, network and project; a side with only 2 gets the
 * network and project (no port: the sender or receiver is on another host, or flooded).
 * The record's network_id/project_id are the sending side's, else the receiving side's, else
 * "unknown". OVS quirks (shared/testdata/ovs-lab/README.md): ifIndex is the Linux ifindex and 0
 * for tunnel and patch ports; br-tun samples tunnel arrivals with a VNI-ingress record and an
 * untagged inner header, br-int samples VM transmissions (with VNI-egress when they leave by
 * the tunnel).
 *
 * 1. applies only to records of this host's Open vSwitch (local-exporters.ts): another
 * exporter's interface numbers name its own interfaces, so its records go by 2. and 3. alone,
 * and a side neither finds is counted as method not_local rather than unknown.
 *
 * Hot path: a few Map lookups per record, string references copied, nothing allocated.
 */
import type { CounterRecord } from '../../common/counters.js';
import { UNKNOWN, type FlowRecord, type InterfaceState } from '../../common/model.js';
import { METRICS, type MetricSink } from '../../common/metrics.js';
import { TenancyIndex, type NetworkFacts, type NetworkRef } from './tenancy-index.js';

/** How a side was attributed (the `method` label of ovs_flow_attributions_total). */
export const METHODS = ['ifindex', 'port_name', 'mac', 'vni', 'vlan', 'peer_port', 'ofport', 'unknown', 'not_local'] as const;
export type AttributionMethod = (typeof METHODS)[number];
const M_IFINDEX = 0;
const M_PORT_NAME = 1;
const M_MAC = 2;
const M_VNI = 3;
const M_VLAN = 4;
/** The network of the port on the other side (see 2. above). */
const M_PEER_PORT = 5;
const M_OFPORT = 6;
const M_UNKNOWN = 7;
/** Unknown, and the exporter is not this host's OVS (its interface numbers were not used). */
const M_NOT_LOCAL = 8;

/**
 * How a record's interface fields relate to this host's ports (LocalExporters decides):
 * Linux ifindexes of this host (sFlow ifIndex, OVS IPFIX), another exporter's own numbers, or
 * OVS NetFlow v5 OpenFlow port numbers masked with the value (add_id_to_interface puts the
 * engine id in the top 7 of 16 bits: ovs-vswitchd.conf.db(5) NetFlow).
 */
export const NUMBERS_IFINDEX = -1;
export const NUMBERS_NOT_LOCAL = 0;
export const NUMBERS_OFPORT = 0xffff;
export const NUMBERS_OFPORT_WITH_ENGINE_ID = 0x1ff;

/** Interface values at or above this are not a single ifIndex (discard / multiple formats). */
const IF_FORMAT_FLAGS = 0x40000000;

export interface FlowEnricherOptions {
  /** The current interfaces (VswitchModel.interfaces(): the same array until the model changes). */
  readonly interfaces: () => readonly InterfaceState[];
  /** Networks of the mapping file (VNI → network when no local port says it). */
  readonly networks?: () => Iterable<NetworkFacts>;
  /** Cap of the learned (agent, ifIndex) → port name map. */
  readonly maxPortNames: number;
}

export class FlowEnricher {
  private index: TenancyIndex | null = null;
  private indexedFrom: readonly InterfaceState[] | null = null;
  private readonly portNames = new Map<string, Map<number, string>>();
  private portNameCount = 0;
  /** Port names not learned because the map was full. */
  portNamesOverflow = 0;
  /** Attributions by side (0 in, 1 out) × method. */
  private readonly counts = new Float64Array(2 * METHODS.length);
  private readonly countLabels = ['in', 'out'].flatMap((side) => METHODS.map((m) => [side, m]));
  // Per-record scratch: which method attributed each side.
  private inMethod = M_UNKNOWN;
  private outMethod = M_UNKNOWN;

  constructor(private readonly opts: FlowEnricherOptions) {}

  /** Forget the index (call when the mapping file's networks change). */
  invalidate(): void {
    this.indexedFrom = null;
  }

  get learnedPortNames(): number {
    return this.portNameCount;
  }

  /** Learn (agent, ifIndex) → port name from a counters sample (OVS sends both per port). */
  learn(rec: CounterRecord): void {
    if (!rec.has_port_name || rec.port_name === '') return;
    const ifIndex = rec.has_generic ? rec.if_index : rec.source_id_type === 0 ? rec.source_id : 0;
    if (ifIndex <= 0) return;
    let byIndex = this.portNames.get(rec.sampler_address);
    if (byIndex?.get(ifIndex) === rec.port_name) return;
    if (byIndex === undefined || !byIndex.has(ifIndex)) {
      if (this.portNameCount >= this.opts.maxPortNames) {
        this.portNamesOverflow++;
        return;
      }
      this.portNameCount++;
    }
    if (byIndex === undefined) {
      byIndex = new Map();
      this.portNames.set(rec.sampler_address, byIndex);
    }
    byIndex.set(ifIndex, rec.port_name);
  }

  /** Whether the last record's sending side was found by its interface (not by MAC or network). */
  get inAtPort(): boolean {
    return this.inMethod === M_IFINDEX || this.inMethod === M_PORT_NAME || this.inMethod === M_OFPORT;
  }

  /** Whether the last record's receiving side was found by its interface. */
  get outAtPort(): boolean {
    return this.outMethod === M_IFINDEX || this.outMethod === M_PORT_NAME;
  }

  /**
   * Fill the record's tenancy fields (in_/out_ port, network, project; network_id, project_id).
   * `numbers`: how its interface fields are numbered (NUMBERS_*); with OpenFlow ports (see 1.
   * above) only in_if is used.
   */
  enrich(rec: FlowRecord, numbers = NUMBERS_IFINDEX): void {
    const index = this.currentIndex();
    const agent = rec.sampler_address;
    let inPort: InterfaceState | undefined;
    let outPort: InterfaceState | undefined;
    if (numbers === NUMBERS_IFINDEX) {
      inPort = this.portOf(index, agent, rec.in_if, true);
      outPort = this.portOf(index, agent, rec.out_if, false);
    } else {
      // OpenFlow ports; NUMBERS_NOT_LOCAL masks every number to 0, which is no port.
      const ofport = rec.in_if & numbers;
      inPort = ofport > 0 ? index.interfaceByOfport(ofport) : undefined;
      this.inMethod = inPort === undefined ? M_UNKNOWN : M_OFPORT;
      this.outMethod = M_UNKNOWN;
    }
    const unknown = numbers === NUMBERS_NOT_LOCAL ? M_NOT_LOCAL : M_UNKNOWN;
    let net: NetworkRef | undefined;
    let netMethod = M_UNKNOWN;
    if (rec.tunnel_id !== 0) {
      net = index.networkByVni(rec.tunnel_id);
      netMethod = M_VNI;
    } else if (rec.vlan_id !== 0) {
      net = index.networkByVlan(rec.vlan_id);
      netMethod = M_VLAN;
    }
    if (net === undefined) {
      const peer = inPort ?? outPort;
      if (peer !== undefined && peer.tenant.networkId !== UNKNOWN) {
        net = peer.tenant;
        netMethod = M_PEER_PORT;
      }
    }
    const macNetwork = net?.networkId;
    if (inPort === undefined && rec.src_mac !== '') {
      inPort = index.interfaceByMac(rec.src_mac, macNetwork);
      if (inPort !== undefined) this.inMethod = M_MAC;
    }
    if (outPort === undefined && rec.dst_mac !== '') {
      outPort = index.interfaceByMac(rec.dst_mac, macNetwork);
      if (outPort !== undefined) this.outMethod = M_MAC;
    }
    if (inPort !== undefined) {
      const t = inPort.tenant;
      rec.in_neutron_port_id = t.neutronPortId;
      rec.in_network_id = t.networkId;
      rec.in_project_id = t.projectId;
    } else {
      rec.in_neutron_port_id = '';
      this.inMethod = net === undefined ? unknown : netMethod;
      rec.in_network_id = net === undefined ? '' : net.networkId;
      rec.in_project_id = net === undefined ? '' : net.projectId;
    }
    if (outPort !== undefined) {
      const t = outPort.tenant;
      rec.out_neutron_port_id = t.neutronPortId;
      rec.out_network_id = t.networkId;
      rec.out_project_id = t.projectId;
    } else {
      rec.out_neutron_port_id = '';
      this.outMethod = net === undefined ? unknown : netMethod;
      rec.out_network_id = net === undefined ? '' : net.networkId;
      rec.out_project_id = net === undefined ? '' : net.projectId;
    }
    if (rec.in_network_id !== '') {
      rec.network_id = rec.in_network_id;
      rec.project_id = rec.in_project_id;
    } else if (rec.out_network_id !== '') {
      rec.network_id = rec.out_network_id;
      rec.project_id = rec.out_project_id;
    } else {
      rec.network_id = UNKNOWN;
      rec.project_id = UNKNOWN;
    }
    this.counts[this.inMethod]++;
    this.counts[METHODS.length + this.outMethod]++;
  }

  collect(sink: MetricSink): void {
    for (let i = 0; i < this.counts.length; i++) sink.add(METRICS.flowAttributions, this.countLabels[i], this.counts[i]);
    sink.add(METRICS.sflowPortNames, [], this.portNameCount);
  }

  /** The interface behind a single-format ifIndex; sets the side's method when found. */
  private portOf(index: TenancyIndex, agent: string, ifIndex: number, inSide: boolean): InterfaceState | undefined {
    if (inSide) this.inMethod = M_UNKNOWN;
    else this.outMethod = M_UNKNOWN;
    if (ifIndex <= 0 || ifIndex >= IF_FORMAT_FLAGS) return undefined;
    let iface = index.interfaceByIfindex(ifIndex);
    let method = M_IFINDEX;
    if (iface === undefined) {
      const name = this.portNames.get(agent)?.get(ifIndex);
      if (name === undefined) return undefined;
      iface = index.interfaceByName(name);
      method = M_PORT_NAME;
    }
    if (iface !== undefined) {
      if (inSide) this.inMethod = method;
      else this.outMethod = method;
    }
    return iface;
  }

  private currentIndex(): TenancyIndex {
    const interfaces = this.opts.interfaces();
    if (this.index === null || interfaces !== this.indexedFrom) {
      this.index = new TenancyIndex(interfaces, this.opts.networks?.() ?? []);
      this.indexedFrom = interfaces;
    }
    return this.index;
  }
}
