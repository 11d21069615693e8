import { compileReset } from './compile-reset.js';

/**
 * The one small model every source produces and every exporter consumes
 * (sources → model → enrichment → exporters). Sources never import exporters and vice versa.
 */

/** Label value for what cannot be attributed: counted, never dropped. */
export const UNKNOWN = 'unknown';

/** Who owns an interface, VLAN, VNI or MAC: a Neutron port, its network and project. */
export interface TenantRef {
  readonly neutronPortId: string;
  readonly networkId: string;
  readonly projectId: string;
  /** Human-readable network name where known (OVN northbound, static mapping). */
  readonly networkName?: string;
  /** Instance (Nova VM) UUID where known. */
  readonly vmUuid?: string;
  readonly networkType?: string;
  readonly segmentationId?: number;
  readonly physicalNetwork?: string;
}

export const UNKNOWN_TENANT: TenantRef = Object.freeze({
  neutronPortId: UNKNOWN,
  networkId: UNKNOWN,
  projectId: UNKNOWN,
});

/** Interface counters as OVSDB `Interface.statistics` names them (absent keys are omitted). */
export interface InterfaceCounters {
  rx_bytes?: number;
  rx_packets?: number;
  rx_dropped?: number;
  rx_errors?: number;
  tx_bytes?: number;
  tx_packets?: number;
  tx_dropped?: number;
  tx_errors?: number;
}

/** One OVS interface as the collector knows it, with its tenancy. */
export interface InterfaceState {
  readonly uuid: string;
  readonly name: string;
  readonly bridge: string;
  readonly port: string;
  readonly type: string;
  readonly ofport: number | null;
  readonly mac: string;
  /** Linux ifindex (what sFlow agents report as ifIndex), when OVS knows it. */
  readonly ifindex: number | null;
  readonly linkUp: boolean | null;
  readonly adminUp: boolean | null;
  readonly mtu: number | null;
  readonly linkSpeedBitsPerSecond: number | null;
  readonly counters: InterfaceCounters;
  /** Host-local VLAN (`Port.tag`). */
  readonly localVlan: number | null;
  readonly tenant: TenantRef;
}

/** A tenant interface: one that Neutron or the mapping file attributes to a port or network. */
export function isTenantInterface(iface: InterfaceState): boolean {
  return iface.tenant.neutronPortId !== UNKNOWN || iface.tenant.networkId !== UNKNOWN;
}

export type FlowType = 'SFLOW_5' | 'IPFIX' | 'NETFLOW_V9' | 'NETFLOW_V5';

/**
 * One flow record (a sampled packet or an exported flow). Field names are the contract's
 * (goflow2's JSON names), so serialisation is a plain walk. Decoders fill one caller-owned
 * instance in place and hand it on: every field is assigned here so V8 keeps one shape.
 * Numbers that are not known stay 0, strings stay ''.
 */
export class FlowRecord {
  type: FlowType = 'SFLOW_5';
  /** Receive time in nanoseconds since the epoch (bigint: it exceeds 2^53). */
  time_received_ns = 0n;
  sequence_num = 0;
  sampling_rate = 0;
  sampler_address = '';
  /** sFlow sub-agent id; IPFIX/NetFlow v9 observation domain / source id. */
  sub_agent_id = 0;
  observation_domain_id = 0;
  /** sFlow data source (source_id_index), 0 where not applicable. */
  source_id = 0;
  time_flow_start_ns = 0n;
  time_flow_end_ns = 0n;
  in_if = 0;
  out_if = 0;
  bytes = 0;
  packets = 0;
  /** Frame length as seen on the wire (sFlow raw header frame_length). */
  frame_length = 0;
  etype = 0;
  proto = 0;
  src_addr = '';
  dst_addr = '';
  src_port = 0;
  dst_port = 0;
  src_mac = '';
  dst_mac = '';
  vlan_id = 0;
  /** Outer VLAN of a QinQ frame (0 when single-tagged). */
  outer_vlan_id = 0;
  ip_tos = 0;
  ip_ttl = 0;
  tcp_flags = 0;
  icmp_type = 0;
  icmp_code = 0;
  fragment_id = 0;
  fragment_offset = 0;
  /** Tunnel key: VXLAN/Geneve VNI or GRE key; 0 when not tunnelled. */
  tunnel_id = 0;
  tunnel_src_addr = '';
  tunnel_dst_addr = '';
  inner_etype = 0;
  inner_proto = 0;
  inner_src_addr = '';
  inner_dst_addr = '';
  inner_src_port = 0;
  inner_dst_port = 0;
  inner_src_mac = '';
  inner_dst_mac = '';
  /** Tenancy of the ingress and egress side, filled by enrichment. */
  in_neutron_port_id = '';
  in_network_id = '';
  in_project_id = '';
  out_neutron_port_id = '';
  out_network_id = '';
  out_project_id = '';
  /** The network/project this record is accounted to (ingress side first, then egress, tunnel). */
  network_id = '';
  project_id = '';

  /** Back to the freshly constructed state, for reuse of one instance across records. */
  reset(): void {
    resetFlowRecord(this);
  }
}

const resetFlowRecord = compileReset(new FlowRecord());

// JSON.rawJSON (V8, Node >= 21) writes a bigint as an exact JSON number; lib.es2024 lacks its type.
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

/** One record as a JSON line (bigints as exact JSON numbers, as goflow2 writes uint64s). */
export function flowRecordToJson(rec: FlowRecord): string {
  return JSON.stringify(rec, (_key, value: unknown) =>
    typeof value === 'bigint' ? rawJSON(value.toString()) : value,
  );
}
