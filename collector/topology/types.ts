/**
 * The host's OVS as `/api/topology` serves it: a JSON document the topology page draws. Plain
 * data only (no Node imports): the page (web/page/) type-checks against this file too.
 * Every string may come from OVSDB and is untrusted: whoever renders it must escape it.
 */

export interface Topology {
  /** When this document was made (ms since the epoch). */
  readonly generatedAtMs: number;
  /** Whether the collector is connected to OVSDB (false: the last known state, or nothing). */
  readonly connected: boolean;
  readonly host: { readonly systemId: string; readonly ovsVersion: string };
  readonly bridges: readonly TopologyBridge[];
  readonly networks: readonly TopologyNetwork[];
  readonly ports: readonly TopologyPort[];
}

export interface TopologyBridge {
  readonly name: string;
  readonly datapathType: string;
  /** Holds tenant ports with a local VLAN tag (br-int). */
  readonly integration: boolean;
}

/** A tenant network with ports on this host. */
export interface TopologyNetwork {
  readonly id: string;
  /** Human-readable name where known (mapping file, OVN northbound), else null. */
  readonly name: string | null;
  readonly projectId: string;
  readonly networkType: string | null;
  /** VNI or provider VLAN: from the port's other_config, the mapping file or the live br-tun/provider flows. */
  readonly segmentationId: number | null;
  readonly physicalNetwork: string | null;
  /** Host-local VLANs of the network's ports (normally one). */
  readonly localVlans: readonly number[];
  /** Tenant ports on this host. */
  readonly ports: number;
}

/**
 * vm: a tenant port with an instance (vm-uuid); agent: a tenant port without one (DHCP, router);
 * patch / tunnel: by interface type; internal: a bridge's own port; other: anything else (NICs).
 */
export type PortKind = 'vm' | 'agent' | 'patch' | 'tunnel' | 'internal' | 'other';

/** Per-second rates over the rate tracker's last interval. */
export interface PortRates {
  readonly rxBitsPerSecond: number;
  readonly txBitsPerSecond: number;
  readonly rxPacketsPerSecond: number;
  readonly txPacketsPerSecond: number;
  readonly rxDroppedPerSecond: number;
  readonly txDroppedPerSecond: number;
  readonly intervalSeconds: number;
}

/** Who set a limit: the enforcer (its ownership marker), Neutron (external_ids id/_type) or someone else. */
export type ThrottleOwner = 'enforcer' | 'neutron' | 'other';

export interface Throttle {
  /** policing: Interface.ingress_policing_rate; qos: the Port's QoS row; meter: an OpenFlow meter on the port's flows. */
  readonly kind: 'policing' | 'qos' | 'meter';
  readonly owner: ThrottleOwner;
  /** Whose traffic, as Neutron names it: egress is what the VM sends (policing), ingress what it receives (QoS). */
  readonly direction: 'egress' | 'ingress';
  /** The limit in bit/s (policing's kbps × 1000; the QoS's or its queues' smallest max-rate; a kbps meter's lowest drop band × 1000), null if none. */
  readonly maxBitsPerSecond: number | null;
  /** A pktps meter's lowest drop band, else null. */
  readonly maxPacketsPerSecond: number | null;
  /** How OVS applies it: the QoS type (linux-htb, egress-policer, …), `meter N`, or '' for policing. */
  readonly mechanism: string;
}

export interface TopologyPort {
  /** The Interface row's uuid: stable while the interface exists. */
  readonly id: string;
  readonly name: string;
  readonly bridge: string;
  readonly port: string;
  readonly type: string;
  readonly kind: PortKind;
  readonly ofport: number | null;
  readonly mac: string;
  readonly linkUp: boolean | null;
  readonly localVlan: number | null;
  /** Tenancy; null where not known. */
  readonly networkId: string | null;
  readonly neutronPortId: string | null;
  readonly projectId: string | null;
  readonly vmUuid: string | null;
  /** Patch ports: the peer interface's name and bridge (bridge null if the peer is not on this host's OVSDB). */
  readonly peer: string | null;
  readonly peerBridge: string | null;
  /** Tunnel ports: options remote_ip / local_ip / key as OVSDB holds them ('flow' = set by the flow table). */
  readonly remoteIp: string | null;
  readonly localIp: string | null;
  readonly tunnelKey: string | null;
  /** Cumulative rx_dropped / tx_dropped (Interface.statistics). */
  readonly rxDropped: number;
  readonly txDropped: number;
  /** null until the rate tracker has two samples. */
  readonly rates: PortRates | null;
  readonly throttles: readonly Throttle[];
}
