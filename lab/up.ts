/**
 * `lab up`: builds what neutron-openvswitch-agent and os-vif would on two compute hosts, with
 * Open vSwitch's userspace datapath (datapath_type=netdev) and no kernel module:
 * - compute-1 in the root namespace (its sFlow/IPFIX/NetFlow reach 127.0.0.1), compute-2 in its
 *   own namespace; each with br-int (VM ports, Neutron's tables), br-tun (patched to br-int,
 *   VXLAN port, local VLAN ↔ VNI tables) and br-phy, which owns the tunnel endpoint IP
 *   (userspace tunnelling); the two br-phy are joined by a veth pair.
 * - VMs are namespaces with a veth pair whose host end is the OVS port named like Neutron's tap.
 * Every resource is journalled in state.json before it is created (see journal.ts).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describeError, TelemetryError } from '../common/errors.js';
import { prefixesOverlap } from './cidr.js';
import { labDown } from './down.js';
import { vxlanPortName } from './ids.js';
import { Journal } from './journal.js';
import { addNetns, addVeth, ip, linkKind, listNetns, rootRoutes } from './links.js';
import { brIntFlows, brTunFlows } from './neutron-flows.js';
import { OvsHost, type OvsProgram } from './ovs-host.js';
import { findProcessesMentioning } from './processes.js';
import { defaultLabDir, readLabState, readStateFile, type LabAgentPort, type LabResource, type LabState, type LabVm } from './state.js';
import { BRIDGES, DATAPATH_DEVICES, DEFAULT_PREFIX, netnsPrefix, planLab, UNDERLAY_CIDR, type HostPlan, type LabPlan } from './topology.js';

const PATCH_OFPORT = 1;
const TUNNEL_OFPORT = 2;
const OPENFLOW_VERSIONS = 'OpenFlow10,OpenFlow13,OpenFlow14';
/** sFlow agent address: compute-1 is in the root namespace, so `lo` gives 127.0.0.1. */
const SFLOW_AGENT = 'lo';
const SFLOW_HEADER = 128;
const IPFIX_CACHE_ACTIVE_TIMEOUT = 2;
/** With a cache size OVS aggregates IPFIX records per key; without, it exports every sample. */
const IPFIX_CACHE_MAX_FLOWS = 1024;
const IPFIX_DOMAINS = { 'br-int': { domain: 123, point: 456 }, 'br-tun': { domain: 124, point: 457 } } as const;
const NETFLOW_ACTIVE_TIMEOUT = 5;

export interface ExporterOptions {
  /** `IPv4:port` targets. */
  readonly sflowTarget: string;
  readonly ipfixTarget: string;
  readonly netflowTarget: string;
  /** Sample 1 packet in N. */
  readonly sflowSampling: number;
  readonly ipfixSampling: number;
  /** sFlow counter polling interval, seconds. */
  readonly sflowPolling: number;
}

export const DEFAULT_EXPORTERS: ExporterOptions = {
  sflowTarget: '127.0.0.1:6343',
  ipfixTarget: '127.0.0.1:4739',
  netflowTarget: '127.0.0.1:2055',
  sflowSampling: 64,
  ipfixSampling: 64,
  sflowPolling: 2,
};

export interface LabUpOptions extends Partial<ExporterOptions> {
  /** State directory; default defaultLabDir(). */
  readonly dir?: string;
  /** Prefix of every namespace and link the lab makes; default "otl". */
  readonly prefix?: string;
  /** Progress messages (one per step). */
  readonly onStep?: (message: string) => void;
}

function checkTarget(flag: string, target: string): void {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3}):(\d{1,5})$/.exec(target);
  const valid = match !== null && match.slice(1, 5).every((o) => Number(o) <= 255) && Number(match[5]) >= 1 && Number(match[5]) <= 65535;
  if (!valid) throw new TelemetryError('USAGE', `${flag} "${target}" must be IPv4:port, e.g. 127.0.0.1:6343`);
}

function checkPositive(flag: string, value: number): void {
  if (!Number.isInteger(value) || value < 1 || value > 2 ** 31 - 1) {
    throw new TelemetryError('USAGE', `${flag} must be a whole number >= 1, got ${value}`);
  }
}

function exporterOptions(options: LabUpOptions): ExporterOptions {
  const d = DEFAULT_EXPORTERS;
  const resolved: ExporterOptions = {
    sflowTarget: options.sflowTarget ?? d.sflowTarget,
    ipfixTarget: options.ipfixTarget ?? d.ipfixTarget,
    netflowTarget: options.netflowTarget ?? d.netflowTarget,
    sflowSampling: options.sflowSampling ?? d.sflowSampling,
    ipfixSampling: options.ipfixSampling ?? d.ipfixSampling,
    sflowPolling: options.sflowPolling ?? d.sflowPolling,
  };
  checkTarget('--sflow-target', resolved.sflowTarget);
  checkTarget('--ipfix-target', resolved.ipfixTarget);
  checkTarget('--netflow-target', resolved.netflowTarget);
  checkPositive('--sflow-sampling', resolved.sflowSampling);
  checkPositive('--ipfix-sampling', resolved.ipfixSampling);
  checkPositive('--sflow-polling', resolved.sflowPolling);
  return resolved;
}

/** Only one userspace-datapath OVS can live in a namespace: its tap devices have fixed names. */
async function checkRootNamespaceFree(dir: string): Promise<void> {
  for (const device of DATAPATH_DEVICES) {
    if ((await linkKind(device)) !== null) {
      throw new TelemetryError(
        'LAB',
        `device ${device} already exists in the root network namespace: another lab (or another userspace-datapath ovs-vswitchd) is up on this host; ` +
          `run "ovs-telemetry lab down" with its --dir, or remove the device, before lab up in ${dir}`,
      );
    }
  }
  const clash = (await rootRoutes()).find((dst) => dst !== 'default' && prefixesOverlap(dst, UNDERLAY_CIDR));
  if (clash !== undefined) {
    throw new TelemetryError('LAB', `the root namespace already routes ${clash}, which overlaps the lab's underlay ${UNDERLAY_CIDR}`);
  }
}

/** A lab already up refuses; leftovers of a half-built one (same dir or prefix) are removed. */
async function clearPrevious(dir: string, prefix: string): Promise<void> {
  if (readLabState(dir) !== null) {
    throw new TelemetryError('LAB', `a lab is already up in ${dir}: run "ovs-telemetry lab down --dir ${dir}" first`);
  }
  const leftovers =
    readStateFile(dir) !== null ||
    (await listNetns()).some((ns) => ns.startsWith(netnsPrefix(prefix))) ||
    findProcessesMentioning(`${dir}/`).length > 0;
  if (leftovers) await labDown(dir, { prefix });
}

export async function labUp(options: LabUpOptions = {}): Promise<LabState> {
  const dir = resolve(options.dir ?? defaultLabDir());
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const exporters = exporterOptions(options);
  const step = options.onStep ?? (() => {});
  const plan = planLab(prefix, dir);

  await clearPrevious(dir, prefix);
  await checkRootNamespaceFree(dir);

  const dirExisted = existsSync(dir);
  mkdirSync(dir, { recursive: true });
  const journal = new Journal(dir, prefix);
  try {
    if (!dirExisted) await journal.create({ kind: 'dir', path: dir }, async () => {});
    const lab = await build(plan, journal, exporters, step);
    journal.finish(lab);
    return lab;
  } catch (err) {
    // A failed step (not a crash: that is lab down's job) removes what was made so far.
    step(`failed: ${describeError(err)}; removing what lab up made`);
    try {
      await labDown(dir, { prefix });
    } catch (cleanupError) {
      throw new TelemetryError('LAB', `${describeError(err)}; removing the half-built lab failed too (${describeError(cleanupError)}): run "ovs-telemetry lab down --dir ${dir}"`, { cause: err });
    }
    throw err;
  }
}

async function build(plan: LabPlan, journal: Journal, exporters: ExporterOptions, step: (message: string) => void): Promise<LabState> {
  // Independent steps run concurrently; the journal is written synchronously, so each record
  // still lands before its step starts.
  const hosts = new Map<string, OvsHost>();
  await settleAll(
    plan.hosts.map(async (hostPlan) => {
      step(`starting Open vSwitch for ${hostPlan.name}${hostPlan.netns ? ` in netns ${hostPlan.netns}` : ' in the root namespace'}`);
      hosts.set(hostPlan.name, await startHost(journal, hostPlan));
    }),
  );

  step('linking the hosts’ br-phy with a veth pair');
  const [first, second] = plan.hosts as [HostPlan, HostPlan];
  await journal.create({ kind: 'link', name: first.underlayLink, netns: first.netns }, () =>
    addVeth({ name: first.underlayLink, netns: first.netns }, { name: second.underlayLink, netns: second.netns }),
  );

  await settleAll(
    [...plan.vms, ...plan.agentPorts].map(async (port) => {
      step(`creating ${port.name} (netns ${port.netns}, ${port.ip} on ${port.network_name})`);
      await createPortNamespace(journal, plan, port);
    }),
  );

  await settleAll(
    plan.hosts.map(async (hostPlan) => {
      const host = hosts.get(hostPlan.name)!;
      step(`configuring bridges, ports and flows on ${hostPlan.name}`);
      await configureBridges(host, plan);
      await configureTunnelEndpoint(host);
      if (hostPlan.exporting) {
        step(`pointing ${hostPlan.name}'s sFlow at ${exporters.sflowTarget}, IPFIX at ${exporters.ipfixTarget}, NetFlow at ${exporters.netflowTarget}`);
        await configureExporters(host, exporters);
      }
    }),
  );
  return describeLab(plan, hosts, exporters);
}

/** Like Promise.all, but waits for every step to finish before reporting the first failure. */
async function settleAll(steps: readonly Promise<void>[]): Promise<void> {
  const failed = (await Promise.allSettled(steps)).find((r) => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

async function startHost(journal: Journal, plan: HostPlan): Promise<OvsHost> {
  const host = new OvsHost(plan);
  mkdirSync(plan.dir, { recursive: true });
  if (plan.netns !== null) await journal.create({ kind: 'netns', name: plan.netns }, () => addNetns(plan.netns!));
  await host.createDatabase();
  await startDaemon(journal, host, 'ovsdb-server');
  await host.vsctl(
    [
      'init',
      '--',
      'set',
      'Open_vSwitch',
      '.',
      `external_ids:system-id="${plan.systemId}"`,
      `external_ids:hostname="${plan.name}"`,
      `external_ids:rundir="${plan.dir}"`,
    ],
    { noWait: true },
  );
  if (plan.netns === null) await journal.create({ kind: 'datapath-devices', names: DATAPATH_DEVICES }, async () => {});
  await startDaemon(journal, host, 'ovs-vswitchd');
  return host;
}

async function startDaemon(journal: Journal, host: OvsHost, program: OvsProgram): Promise<void> {
  const resource: LabResource = { kind: 'daemon', host: host.plan.name, program, pidfile: host.pidfile(program), rundir: host.dir };
  await journal.create(resource, () => (program === 'ovsdb-server' ? host.startOvsdbServer() : host.startVswitchd()));
  journal.update(resource, { pid: host.requirePid(program) });
}

/** The VM (or agent port) namespace and its veth pair: host end on the host, guest end inside. */
async function createPortNamespace(journal: Journal, plan: LabPlan, port: LabVm | LabAgentPort): Promise<void> {
  const hostNetns = plan.hosts.find((h) => h.name === port.host)!.netns;
  await journal.create({ kind: 'netns', name: port.netns }, () => addNetns(port.netns));
  await journal.create({ kind: 'link', name: port.interface, netns: hostNetns }, () =>
    addVeth(
      { name: port.interface, netns: hostNetns, mac: port.tap_mac, mtu: plan.tenantMtu },
      { name: port.guest_interface, netns: port.netns, mac: port.mac, mtu: plan.tenantMtu },
    ),
  );
  await ip(port.netns, 'addr', 'add', `${port.ip}/${plan.tenantPrefixLength}`, 'dev', port.guest_interface);
  if ('ipv6' in port) await ip(port.netns, 'addr', 'add', `${port.ipv6}/64`, 'dev', port.guest_interface, 'nodad');
}

const bridgeArgs = (bridge: string, ...settings: string[]) => ['--', 'add-br', bridge, '--', 'set', 'Bridge', bridge, 'datapath_type=netdev', ...settings];

/** Bridges and ports of one host in one transaction, then the agent's flows. */
async function configureBridges(host: OvsHost, plan: LabPlan): Promise<void> {
  const hostPlan = host.plan;
  const vxlanPort = vxlanPortName(hostPlan.peerTunnelIp);
  const ports = [...plan.vms, ...plan.agentPorts].filter((p) => p.host === hostPlan.name);
  const args = [
    ...bridgeArgs('br-int', 'fail_mode=secure', `protocols=${OPENFLOW_VERSIONS}`, 'other_config:mac-table-size=50000'),
    ...bridgeArgs('br-tun', 'fail_mode=secure', `protocols=${OPENFLOW_VERSIONS}`),
    ...bridgeArgs('br-phy', 'fail_mode=standalone', `other_config:hwaddr="${hostPlan.phyMac}"`),
    ...['--', 'add-port', 'br-int', 'patch-tun', '--', 'set', 'Interface', 'patch-tun', 'type=patch', 'options:peer=patch-int', `ofport_request=${PATCH_OFPORT}`],
    ...['--', 'add-port', 'br-tun', 'patch-int', '--', 'set', 'Interface', 'patch-int', 'type=patch', 'options:peer=patch-tun', `ofport_request=${PATCH_OFPORT}`],
    // Userspace tunnelling: local_ip is br-phy's address, the packets leave through br-phy.
    ...['--', 'add-port', 'br-tun', vxlanPort, '--', 'set', 'Interface', vxlanPort, 'type=vxlan'],
    `options:local_ip="${hostPlan.tunnelIp}"`,
    `options:remote_ip="${hostPlan.peerTunnelIp}"`,
    ...['options:in_key=flow', 'options:out_key=flow', 'options:df_default=true', 'options:egress_pkt_mark=0', `ofport_request=${TUNNEL_OFPORT}`],
    ...['--', 'add-port', 'br-phy', hostPlan.underlayLink],
  ];
  for (const p of ports) {
    // Port: what neutron-openvswitch-agent sets once it has wired the port.
    args.push('--', 'add-port', 'br-int', p.interface, `tag=${p.vlan}`);
    args.push(`other_config:net_uuid="${p.network_id}"`, 'other_config:network_type=vxlan', 'other_config:physical_network=None');
    args.push(`other_config:segmentation_id="${p.vni}"`, `other_config:tag="${p.vlan}"`);
    // Interface: what os-vif (VMs) or the agent's interface driver (DHCP) writes.
    args.push('--', 'set', 'Interface', p.interface, `ofport_request=${p.ofport}`);
    args.push(`external_ids:iface-id="${p.neutron_port_id}"`, `external_ids:attached-mac="${p.mac}"`, 'external_ids:iface-status=active');
    if ('vm_uuid' in p) args.push(`external_ids:vm-uuid="${p.vm_uuid}"`);
  }
  await host.vsctl(args);

  const protectedPorts = plan.vms
    .filter((vm) => vm.host === hostPlan.name)
    .map((vm) => ({ ofport: vm.ofport, mac: vm.mac, ip: vm.ip, ipv6: [vm.ipv6] }));
  const tunnelNetworks = plan.networks.map((n) => ({ vni: n.segmentation_id, localVlan: n.local_vlans[hostPlan.name]! }));
  await addFlows(host, 'br-int', brIntFlows(hostPlan.cookie, protectedPorts));
  await addFlows(host, 'br-tun', brTunFlows(hostPlan.cookie, PATCH_OFPORT, TUNNEL_OFPORT, tunnelNetworks));
}

async function addFlows(host: OvsHost, bridge: string, flows: readonly string[]): Promise<void> {
  const file = join(host.dir, `flows-${bridge}.txt`);
  writeFileSync(file, `${flows.join('\n')}\n`);
  await host.ofctl('add-flows', bridge, file);
}

/**
 * br-phy's internal port owns the tunnel IP: OVS learns the route from the kernel and listens
 * for VXLAN on that address. A static tunnel neighbour saves the first packets an ARP round.
 */
async function configureTunnelEndpoint(host: OvsHost): Promise<void> {
  const plan = host.plan;
  await ip(plan.netns, 'addr', 'add', `${plan.tunnelIp}/${plan.tunnelPrefixLength}`, 'dev', 'br-phy');
  await ip(plan.netns, 'link', 'set', 'br-phy', 'up');
  await host.appctl('tnl/arp/set', 'br-phy', plan.peerTunnelIp, plan.peerPhyMac);
}

/** One sFlow row shared by br-int and br-tun, IPFIX per bridge, NetFlow v5 on br-int. */
async function configureExporters(host: OvsHost, e: ExporterOptions): Promise<void> {
  const ipfix = (id: string, domain: number, point: number) => [
    '--',
    `--id=@${id}`,
    'create',
    'IPFIX',
    `targets="${e.ipfixTarget}"`,
    `sampling=${e.ipfixSampling}`,
    `obs_domain_id=${domain}`,
    `obs_point_id=${point}`,
    `cache_active_timeout=${IPFIX_CACHE_ACTIVE_TIMEOUT}`,
    `cache_max_flows=${IPFIX_CACHE_MAX_FLOWS}`,
    'other_config:enable-tunnel-sampling=true',
  ];
  await host.vsctl([
    ...['--', '--id=@sflow', 'create', 'sFlow', `agent=${SFLOW_AGENT}`, `targets="${e.sflowTarget}"`],
    ...[`header=${SFLOW_HEADER}`, `sampling=${e.sflowSampling}`, `polling=${e.sflowPolling}`],
    ...['--', 'set', 'Bridge', 'br-int', 'sflow=@sflow', '--', 'set', 'Bridge', 'br-tun', 'sflow=@sflow'],
    ...ipfix('ipfix_int', IPFIX_DOMAINS['br-int'].domain, IPFIX_DOMAINS['br-int'].point),
    ...['--', 'set', 'Bridge', 'br-int', 'ipfix=@ipfix_int'],
    ...ipfix('ipfix_tun', IPFIX_DOMAINS['br-tun'].domain, IPFIX_DOMAINS['br-tun'].point),
    ...['--', 'set', 'Bridge', 'br-tun', 'ipfix=@ipfix_tun'],
    ...['--', '--id=@netflow', 'create', 'NetFlow', `targets="${e.netflowTarget}"`, `active_timeout=${NETFLOW_ACTIVE_TIMEOUT}`],
    ...['--', 'set', 'Bridge', 'br-int', 'netflow=@netflow'],
  ]);
}

function describeLab(plan: LabPlan, hosts: ReadonlyMap<string, OvsHost>, e: ExporterOptions): LabState {
  const hostStates = plan.hosts.map((h) => {
    const host = hosts.get(h.name)!;
    return {
      name: h.name,
      netns: h.netns,
      rundir: h.dir,
      ovsdb: host.ovsdb,
      system_id: h.systemId,
      tunnel_ip: h.tunnelIp,
      underlay_interface: h.underlayLink,
      bridges: [...BRIDGES],
      exporting: h.exporting,
      ovsdb_server_pid: host.requirePid('ovsdb-server'),
      ovs_vswitchd_pid: host.requirePid('ovs-vswitchd'),
    };
  });
  const monitored = hostStates[0]!;
  return {
    rundir: monitored.rundir,
    ovsdb: monitored.ovsdb,
    bridges: [...BRIDGES],
    vms: [...plan.vms],
    dir: plan.dir,
    prefix: plan.prefix,
    created_at: new Date().toISOString(),
    agent_ports: [...plan.agentPorts],
    networks: [...plan.networks],
    projects: [...plan.projects],
    hosts: hostStates,
    sflow: {
      targets: [e.sflowTarget],
      bridges: ['br-int', 'br-tun'],
      sampling: e.sflowSampling,
      header: SFLOW_HEADER,
      polling: e.sflowPolling,
      agent: SFLOW_AGENT,
    },
    ipfix: {
      targets: [e.ipfixTarget],
      sampling: e.ipfixSampling,
      cache_active_timeout: IPFIX_CACHE_ACTIVE_TIMEOUT,
      cache_max_flows: IPFIX_CACHE_MAX_FLOWS,
      bridges: Object.entries(IPFIX_DOMAINS).map(([bridge, ids]) => ({ bridge, obs_domain_id: ids.domain, obs_point_id: ids.point })),
    },
    netflow: { targets: [e.netflowTarget], bridges: ['br-int'], active_timeout: NETFLOW_ACTIVE_TIMEOUT },
  };
}
