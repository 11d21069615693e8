/**
 * What the lab is: two compute hosts, two projects, two VXLAN tenant networks that both use
 * 10.0.0.0/24, and the VMs on them (the layout of shared/testdata/ovs-lab). planLab() turns it
 * into concrete names, ids and addresses for one naming prefix and state directory.
 */
import { join } from 'node:path';
import { TelemetryError } from '../common/errors.js';
import { flowCookie, labProjectId, labUuid, neutronMac, neutronTapName, slaacAddress, tapMac } from './ids.js';
import type { LabAgentPort, LabNetwork, LabProject, LabVm } from './state.js';

export const DEFAULT_PREFIX = 'otl';
export const BRIDGES = ['br-int', 'br-tun', 'br-phy'] as const;
/** Tap devices ovs-vswitchd's userspace datapath creates in its namespace (fixed names). */
export const DATAPATH_DEVICES = ['ovs-netdev', ...BRIDGES];
/** Short enough that `PREFIX-ul1` fits Linux's 15-character interface names. */
const PREFIX_PATTERN = /^[a-z][a-z0-9]{0,7}$/;

/** The underlay between the hosts' br-phy; only ever routed on br-phy (see checkUnderlayFree). */
export const UNDERLAY_CIDR = '172.31.255.0/24';
const UNDERLAY_PREFIX_LENGTH = 24;
/** Tenant MTU for VXLAN over a 1500-byte underlay (Neutron: 1500 - 50). */
const TENANT_MTU = 1450;

interface HostSpec {
  readonly name: string;
  /** compute-1 runs in the root namespace so its exporters reach a collector on 127.0.0.1. */
  readonly rootNamespace: boolean;
  readonly tunnelIp: string;
  readonly phyMac: string;
  readonly exporting: boolean;
}

const HOSTS: readonly HostSpec[] = [
  { name: 'compute-1', rootNamespace: true, tunnelIp: '172.31.255.1', phyMac: '52:54:00:a1:00:01', exporting: true },
  { name: 'compute-2', rootNamespace: false, tunnelIp: '172.31.255.2', phyMac: '52:54:00:a1:00:02', exporting: false },
];

const PROJECTS = ['proj-alpha', 'proj-bravo'] as const;

interface NetworkSpec {
  readonly name: string;
  readonly project: (typeof PROJECTS)[number];
  readonly vni: number;
  readonly ipv6Prefix: string;
  /** Local VLANs differ per host, as the agent allocates them independently. */
  readonly localVlans: Readonly<Record<string, number>>;
}

const NETWORKS: readonly NetworkSpec[] = [
  { name: 'alpha-net', project: 'proj-alpha', vni: 1001, ipv6Prefix: 'fd00:a1fa', localVlans: { 'compute-1': 1, 'compute-2': 2 } },
  { name: 'bravo-net', project: 'proj-bravo', vni: 1002, ipv6Prefix: 'fd00:b7a0', localVlans: { 'compute-1': 2, 'compute-2': 1 } },
];
const TENANT_CIDR = '10.0.0.0/24';
const TENANT_PREFIX_LENGTH = 24;

interface PortSpec {
  readonly name: string;
  readonly host: string;
  readonly network: string;
  readonly ip: string;
}

/** vm2 and vm3 share 10.0.0.13 on different networks: attribution must never use the IP. */
const VMS: readonly PortSpec[] = [
  { name: 'vm1', host: 'compute-1', network: 'alpha-net', ip: '10.0.0.11' },
  { name: 'vm2', host: 'compute-1', network: 'bravo-net', ip: '10.0.0.13' },
  { name: 'vm3', host: 'compute-1', network: 'alpha-net', ip: '10.0.0.13' },
  { name: 'vm4', host: 'compute-2', network: 'alpha-net', ip: '10.0.0.14' },
  { name: 'vm5', host: 'compute-2', network: 'bravo-net', ip: '10.0.0.15' },
];

/** A DHCP agent port (veth driver: `ns-…` inside the namespace), without vm-uuid. */
const DHCP_PORTS: readonly PortSpec[] = [{ name: 'dhcp-alpha', host: 'compute-1', network: 'alpha-net', ip: '10.0.0.2' }];

export interface HostPlan {
  readonly name: string;
  readonly netns: string | null;
  readonly dir: string;
  readonly systemId: string;
  readonly tunnelIp: string;
  readonly tunnelPrefixLength: number;
  readonly peerTunnelIp: string;
  readonly peerPhyMac: string;
  readonly phyMac: string;
  readonly underlayLink: string;
  readonly exporting: boolean;
  readonly cookie: string;
}

export interface LabPlan {
  readonly prefix: string;
  readonly dir: string;
  readonly hosts: readonly HostPlan[];
  readonly projects: readonly LabProject[];
  readonly networks: readonly LabNetwork[];
  readonly vms: readonly LabVm[];
  readonly agentPorts: readonly LabAgentPort[];
  readonly tenantPrefixLength: number;
  readonly tenantMtu: number;
}

export function checkPrefix(prefix: string): void {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new TelemetryError('USAGE', `--prefix "${prefix}" must be 1-8 lower-case letters or digits, starting with a letter`);
  }
}

/** Every network namespace of the lab starts with this. */
export function netnsPrefix(prefix: string): string {
  return `${prefix}-`;
}

export function planLab(prefix: string, dir: string): LabPlan {
  checkPrefix(prefix);
  const projects = PROJECTS.map((name) => ({ id: labProjectId(name), name }));
  const projectId = (name: string) => projects.find((p) => p.name === name)!.id;
  const networks: LabNetwork[] = NETWORKS.map((n) => ({
    id: labUuid('network', n.name),
    name: n.name,
    project_id: projectId(n.project),
    network_type: 'vxlan',
    segmentation_id: n.vni,
    cidr: TENANT_CIDR,
    ipv6_cidr: `${n.ipv6Prefix}::/64`,
    mtu: TENANT_MTU,
    local_vlans: { ...n.localVlans },
  }));
  const hosts: HostPlan[] = HOSTS.map((h, i) => {
    const peer = HOSTS[(i + 1) % HOSTS.length]!;
    return {
      name: h.name,
      netns: h.rootNamespace ? null : `${prefix}-cn${i + 1}`,
      dir: join(dir, h.name),
      systemId: labUuid('system', h.name),
      tunnelIp: h.tunnelIp,
      tunnelPrefixLength: UNDERLAY_PREFIX_LENGTH,
      peerTunnelIp: peer.tunnelIp,
      peerPhyMac: peer.phyMac,
      phyMac: h.phyMac,
      underlayLink: `${prefix}-ul${i + 1}`,
      exporting: h.exporting,
      cookie: flowCookie(h.name),
    };
  });

  // br-int ofports: patch-tun is 1, then the host's ports in order (set with ofport_request).
  const nextOfport = new Map(hosts.map((h) => [h.name, 2]));
  const portBase = (spec: PortSpec, netnsName: string) => {
    const network = networks.find((n) => n.name === spec.network)!;
    const portId = labUuid('port', spec.name);
    const mac = neutronMac(spec.name);
    const ofport = nextOfport.get(spec.host)!;
    nextOfport.set(spec.host, ofport + 1);
    return {
      name: spec.name,
      host: spec.host,
      netns: `${prefix}-${netnsName}`,
      interface: neutronTapName(portId),
      mac,
      tap_mac: tapMac(mac),
      ip: spec.ip,
      neutron_port_id: portId,
      network_id: network.id,
      network_name: network.name,
      project_id: network.project_id,
      project_name: projects.find((p) => p.id === network.project_id)!.name,
      vlan: network.local_vlans[spec.host]!,
      vni: network.segmentation_id,
      ofport,
    };
  };
  const vms: LabVm[] = VMS.map((spec) => {
    const base = portBase(spec, spec.name);
    const ipv6Prefix = NETWORKS.find((n) => n.name === spec.network)!.ipv6Prefix;
    return { ...base, guest_interface: 'eth0', ipv6: slaacAddress(ipv6Prefix, base.mac), vm_uuid: labUuid('instance', spec.name) };
  });
  const agentPorts: LabAgentPort[] = DHCP_PORTS.map((spec) => {
    const base = portBase(spec, spec.name);
    return { ...base, guest_interface: `ns-${base.neutron_port_id.slice(0, 11)}`, device_owner: 'network:dhcp' };
  });
  return { prefix, dir, hosts, projects, networks, vms, agentPorts, tenantPrefixLength: TENANT_PREFIX_LENGTH, tenantMtu: TENANT_MTU };
}
