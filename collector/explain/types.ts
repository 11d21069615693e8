/**
 * `Explanation`: how one port's traffic is wired through this host's OVS, from live state. It is
 * the JSON of `ovs-telemetry explain PORT --json` and the body of the collector's
 * `/api/explain?port=X`; formatExplanation (format.ts) prints it for people. Plain data only
 * (strings, numbers, booleans, null, arrays, objects), so JSON.stringify round-trips it.
 *
 * Reading order is the packet's: `port` (the VM side), `path` (bridge by bridge, from the VM's
 * bridge through patch ports to br-tun's tunnels or a provider bridge's uplink), then the
 * tenant, the QoS in force and the live rates. What a source could not tell (a bridge's OpenFlow
 * socket unreachable, no unixctl) is said in `warnings`, never guessed.
 */
import type { InterfaceCounters } from '../../common/model.js';
import type { InterfaceRates } from '../ovs/rates.js';
import type { Trace } from './trace.js';

/** Which of the port's identities the query matched. */
export type MatchedBy = 'iface-id' | 'attached-mac' | 'mac' | 'vm-uuid' | 'name';

/** Who set a QoS row, a policing limit or a meter. */
export type Owner = 'enforcer' | 'neutron' | 'other';

/** The VM side: the OVS Interface and its Port. */
export interface ExplainedPort {
  readonly interface: string;
  readonly port: string;
  readonly bridge: string;
  /** Interface.type ('system' when empty: a tap or veth). */
  readonly type: string;
  readonly ofport: number | null;
  /** The VM's MAC (external_ids:attached-mac, else the device's mac_in_use). */
  readonly mac: string;
  readonly neutronPortId: string | null;
  readonly vmUuid: string | null;
  /** external_ids:iface-status (active / inactive) as the agent wrote it. */
  readonly ifaceStatus: string | null;
  readonly linkUp: boolean | null;
  readonly adminUp: boolean | null;
  readonly mtu: number | null;
  /** Port.tag: the host-local VLAN the integration bridge switches this port's traffic on. */
  readonly localVlan: number | null;
  /** Port.trunks (empty for an access port). */
  readonly trunks: readonly number[];
}

/**
 * What a flow does to this port's traffic, judged from its content (not its table number):
 * - `anti-spoofing`: matches the port (in_port) together with its source MAC, or ARP/ND source
 *   fields (arp_spa, arp_sha, nd_target), the way Neutron's ARP/MAC spoofing tables do;
 * - `security-group`: uses connection tracking (ct_state match or a ct action), Neutron's OVS firewall;
 * - `qos`: sends the traffic through a meter or a queue, or rewrites DSCP;
 * - `drop`: no actions;
 * - `forward`: anything else (resubmit, NORMAL, output).
 */
export type FlowRole = 'anti-spoofing' | 'security-group' | 'qos' | 'drop' | 'forward';

/** One OpenFlow flow, printed roughly as `ovs-ofctl dump-flows` would. */
export interface FlowSummary {
  readonly table: number;
  readonly priority: number;
  /** `0x…` */
  readonly cookie: string;
  /** `in_port=2,dl_src=fa:16:3e:…` ('' = matches everything). */
  readonly match: string;
  /** `resubmit(,60)`, `pop_vlan`, `set_field:0x3e9->tun_id`, `output:2`, … */
  readonly actions: readonly string[];
  readonly role: FlowRole;
  readonly packets: number | null;
  readonly bytes: number | null;
}

/** A tunnel port of a tunnel bridge. */
export interface TunnelPort {
  readonly port: string;
  readonly interface: string;
  /** vxlan, gre, geneve, … */
  readonly type: string;
  readonly ofport: number | null;
  readonly remoteIp: string | null;
  readonly localIp: string | null;
  /** options:key (or in_key/out_key): `flow` when the flow sets it (Neutron's tunnels). */
  readonly key: string | null;
  /** Whether the flow that maps this port's VLAN outputs to it (false: not used by this network). */
  readonly carriesThisNetwork: boolean;
}

/** The VM's own bridge (br-int with Neutron). */
export interface IntegrationStep {
  readonly kind: 'integration';
  readonly bridge: string;
  readonly port: string;
  readonly ofport: number | null;
  readonly localVlan: number | null;
  /** Flows of this bridge that match the port (in_port) or its MAC (dl_src / dl_dst), by table then priority. */
  readonly flows: readonly FlowSummary[];
  /** Tables with anti-spoofing / security-group flows for this port (from `flows`). */
  readonly antiSpoofingTables: readonly number[];
  readonly securityGroupTables: readonly number[];
  /** Tables the traced packet passed on this bridge, in order (ofproto/trace), or null without a trace. */
  readonly tracedTables: readonly number[] | null;
}

/** A patch port pair between two bridges (Interface type patch, options:peer). */
export interface PatchStep {
  readonly kind: 'patch';
  readonly fromBridge: string;
  readonly fromPort: string;
  readonly toBridge: string;
  readonly toPort: string;
}

/** br-tun: local VLAN ↔ tunnel key (VNI), and the tunnel ports. */
export interface TunnelStep {
  readonly kind: 'tunnel';
  readonly bridge: string;
  readonly localVlan: number | null;
  /** Outbound (local VLAN → VNI, from a flow `dl_vlan=N actions=strip_vlan,set_tunnel:VNI`), or null when no flow maps it. */
  readonly vni: number | null;
  /** Inbound (VNI → local VLAN, `tun_id=VNI actions=mod_vlan_vid:N`) agrees with `vni`: null when no inbound flow was found. */
  readonly inboundVlan: number | null;
  /** The flows that map this network (both directions). */
  readonly flows: readonly FlowSummary[];
  readonly tunnels: readonly TunnelPort[];
}

/** A flow of a provider step, with the bridge it is on. */
export interface ProviderFlow extends FlowSummary {
  /** The provider bridge (outbound translation) or the integration bridge (inbound, from the patch port). */
  readonly bridge: string;
}

/** A provider (physical) bridge: local VLAN ↔ provider VLAN, and the uplink ports. */
export interface ProviderStep {
  readonly kind: 'provider';
  readonly bridge: string;
  readonly localVlan: number | null;
  /**
   * The provider VLAN the local VLAN leaves with (`dl_vlan=local actions=mod_vlan_vid:provider` on
   * this bridge) or comes in as (`dl_vlan=provider actions=mod_vlan_vid:local` on the integration
   * bridge); null when no flow translates it (a flat network, or not carried here).
   */
  readonly providerVlan: number | null;
  /** The translation flows: this bridge's first, then the integration bridge's, each bridge's by table then priority. */
  readonly flows: readonly ProviderFlow[];
  /** Ports of this bridge other than patch and internal ones (the NICs / bonds). */
  readonly uplinks: readonly string[];
}

export type PathStep = IntegrationStep | PatchStep | TunnelStep | ProviderStep;

export interface ExplainedTenant {
  readonly neutronPortId: string;
  readonly networkId: string;
  readonly projectId: string;
  readonly networkName: string | null;
  /** vxlan / gre / geneve / vlan / flat …: from tenancy, else from the path (a tunnel port's type, a VLAN translation). */
  readonly networkType: string | null;
  /** The VNI or provider VLAN found in the flows; tenancy's segmentation id when the flows say nothing. */
  readonly segmentationId: number | null;
  /** Where `segmentationId` came from. */
  readonly segmentationFrom: 'flows' | 'tenancy' | null;
  /** Tenancy's segmentation id when it disagrees with the flows (a stale mapping, or a bug in the wiring). */
  readonly tenancySegmentationId: number | null;
  readonly physicalNetwork: string | null;
}

/** Interface.ingress_policing_rate/burst: limits what the VM sends (the VM's egress). */
export interface Policing {
  readonly rateKbps: number;
  readonly burstKb: number;
  readonly owner: Owner;
}

export interface QueueInfo {
  readonly queueId: number;
  readonly uuid: string;
  /** Queue.other_config (max-rate, min-rate, burst in bit/s). */
  readonly otherConfig: Readonly<Record<string, string>>;
  readonly owner: Owner;
}

/** Port.qos: shapes what the port sends towards the VM (the VM's ingress). */
export interface PortQos {
  readonly uuid: string;
  readonly type: string;
  readonly otherConfig: Readonly<Record<string, string>>;
  readonly queues: readonly QueueInfo[];
  readonly owner: Owner;
  /** Neutron's QoS policy id (external_ids:id) when Neutron made it. */
  readonly neutronId: string | null;
}

export interface MeterInfo {
  readonly bridge: string;
  readonly meterId: number;
  /** egress = traffic from the VM (the flow matched in_port), ingress = towards it (dl_dst). */
  readonly direction: 'egress' | 'ingress';
  readonly unit: 'kbps' | 'pktps';
  /** Drop / DSCP-remark bands as OVS reports them (rate and burst in `unit`). */
  readonly bands: readonly { readonly type: string; readonly rate: number; readonly burst: number }[];
  readonly owner: Owner;
}

export interface QosInForce {
  readonly policing: Policing | null;
  readonly portQos: PortQos | null;
  readonly meters: readonly MeterInfo[];
  /** Queue numbers that flows matching the port select (set_queue), e.g. Neutron's ingress bandwidth flow. */
  readonly queueFlows: readonly FlowSummary[];
}

export interface Explanation {
  /** What was asked and how it was matched. */
  readonly query: string;
  readonly matchedBy: MatchedBy;
  readonly port: ExplainedPort;
  readonly path: readonly PathStep[];
  readonly tenant: ExplainedTenant;
  readonly qos: QosInForce;
  /** Live rates per second over the last interval, or null with `ratesNote` saying why. */
  readonly rates: InterfaceRates | null;
  readonly ratesNote: string | null;
  /** Interface.statistics totals (drops and errors since the device was created). */
  readonly counters: InterfaceCounters;
  /** ofproto/trace of a broadcast from the port (null when unixctl was unavailable). */
  readonly trace: Trace | null;
  /** What could not be read; the rest of the explanation stands. */
  readonly warnings: readonly string[];
  /** When the explanation was computed (ISO 8601). */
  readonly at: string;
}
