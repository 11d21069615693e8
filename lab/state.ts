/**
 * The lab's state file (`DIR/state.json`): a journal of everything `lab up` creates, written
 * before each creation step so `lab down` can undo a half-built lab, plus the description of
 * the lab once it is up (what `lab status --json` prints, the contract in DESIGN.md "Lab").
 * The TypeScript types are derived from the zod schemas so the two never disagree.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { isProcessAlive } from './processes.js';

export const DEFAULT_LAB_DIR = '/var/tmp/ovs-telemetry-lab';
export const LAB_DIR_ENV = 'OVS_TELEMETRY_LAB_DIR';
export const STATE_FILE = 'state.json';

/** The lab's state directory: `$OVS_TELEMETRY_LAB_DIR`, else /var/tmp/ovs-telemetry-lab. */
export function defaultLabDir(): string {
  const fromEnv = process.env[LAB_DIR_ENV];
  return resolve(fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_LAB_DIR);
}

const vmSchema = z.object({
  name: z.string(),
  host: z.string(),
  netns: z.string(),
  /** The OVS port/interface on br-int (Neutron's tap name). */
  interface: z.string(),
  /** The VM's own end of the veth pair, inside its netns. */
  guest_interface: z.string(),
  mac: z.string(),
  /** MAC of the host end (as libvirt gives a tap: fe:16:3e:…). */
  tap_mac: z.string(),
  ip: z.string(),
  ipv6: z.string(),
  neutron_port_id: z.string(),
  vm_uuid: z.string(),
  network_id: z.string(),
  network_name: z.string(),
  project_id: z.string(),
  project_name: z.string(),
  /** Host-local VLAN (`Port.tag`) on this VM's host. */
  vlan: z.number().int(),
  vni: z.number().int(),
  ofport: z.number().int(),
});

/** A port neutron-openvswitch-agent's agents create themselves (DHCP): no vm-uuid. */
const agentPortSchema = vmSchema
  .omit({ vm_uuid: true, ipv6: true })
  .extend({ device_owner: z.string() });

const networkSchema = z.object({
  id: z.string(),
  name: z.string(),
  project_id: z.string(),
  network_type: z.literal('vxlan'),
  segmentation_id: z.number().int(),
  cidr: z.string(),
  ipv6_cidr: z.string(),
  mtu: z.number().int(),
  /** Local VLAN of this network on each host, by host name. */
  local_vlans: z.record(z.string(), z.number().int()),
});

const projectSchema = z.object({ id: z.string(), name: z.string() });

const hostSchema = z.object({
  name: z.string(),
  /** null: the root network namespace. */
  netns: z.string().nullable(),
  /** OVS_RUNDIR of this host: pid files, db.sock, BRIDGE.mgmt, ovs-vswitchd.PID.ctl. */
  rundir: z.string(),
  ovsdb: z.string(),
  system_id: z.string(),
  tunnel_ip: z.string(),
  underlay_interface: z.string(),
  bridges: z.array(z.string()),
  /** Whether this host's bridges export sFlow/IPFIX/NetFlow. */
  exporting: z.boolean(),
  ovsdb_server_pid: z.number().int(),
  ovs_vswitchd_pid: z.number().int(),
});

const sflowSchema = z.object({
  targets: z.array(z.string()),
  bridges: z.array(z.string()),
  sampling: z.number().int(),
  header: z.number().int(),
  polling: z.number().int(),
  agent: z.string(),
});

const ipfixSchema = z.object({
  targets: z.array(z.string()),
  sampling: z.number().int(),
  cache_active_timeout: z.number().int(),
  cache_max_flows: z.number().int(),
  /** Observation domain and point ids by bridge. */
  bridges: z.array(z.object({ bridge: z.string(), obs_domain_id: z.number().int(), obs_point_id: z.number().int() })),
});

const netflowSchema = z.object({
  targets: z.array(z.string()),
  bridges: z.array(z.string()),
  active_timeout: z.number().int(),
});

export const labStateSchema = z.object({
  /** compute-1's OVS_RUNDIR. */
  rundir: z.string(),
  /** compute-1's OVSDB endpoint (the monitored host). */
  ovsdb: z.string(),
  /** compute-1's bridges. */
  bridges: z.array(z.string()),
  vms: z.array(vmSchema),
  dir: z.string(),
  prefix: z.string(),
  created_at: z.string(),
  agent_ports: z.array(agentPortSchema),
  networks: z.array(networkSchema),
  projects: z.array(projectSchema),
  hosts: z.array(hostSchema),
  sflow: sflowSchema,
  ipfix: ipfixSchema,
  netflow: netflowSchema,
});

export type LabState = z.infer<typeof labStateSchema>;
export type LabVm = z.infer<typeof vmSchema>;
export type LabAgentPort = z.infer<typeof agentPortSchema>;
export type LabNetwork = z.infer<typeof networkSchema>;
export type LabProject = z.infer<typeof projectSchema>;
export type LabHost = z.infer<typeof hostSchema>;

/** One thing `lab up` creates; recorded before it is created. */
const resourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('dir'), path: z.string() }),
  z.object({ kind: z.literal('netns'), name: z.string() }),
  /** A link we add (`netns` null = root namespace); deleting either veth end removes both. */
  z.object({ kind: z.literal('link'), name: z.string(), netns: z.string().nullable() }),
  /** An OVS daemon; its pid is in `pidfile` once it runs, and in `pid` once lab up saw it start. */
  z.object({
    kind: z.literal('daemon'),
    host: z.string(),
    program: z.enum(['ovsdb-server', 'ovs-vswitchd']),
    pidfile: z.string(),
    rundir: z.string(),
    pid: z.number().int().optional(),
  }),
  /**
   * Tap devices the userspace datapath makes in the root namespace (`ovs-netdev`, one per
   * bridge). OVS makes them persistent (TUNSETPERSIST), so they outlive a killed ovs-vswitchd.
   */
  z.object({ kind: z.literal('datapath-devices'), names: z.array(z.string()) }),
]);

export type LabResource = z.infer<typeof resourceSchema>;

const stateFileSchema = z.object({
  format: z.literal(1),
  status: z.enum(['building', 'up']),
  dir: z.string(),
  prefix: z.string(),
  resources: z.array(resourceSchema),
  lab: labStateSchema.nullable(),
});

export type LabStateFile = z.infer<typeof stateFileSchema>;

export function stateFilePath(dir: string): string {
  return join(dir, STATE_FILE);
}

/** The state file as written, or null when it is missing or unreadable. */
export function readStateFile(dir: string): LabStateFile | null {
  const file = stateFilePath(dir);
  if (!existsSync(file)) return null;
  try {
    const parsed = stateFileSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Written to a temporary file and renamed, so a crash never leaves half a file. */
export function writeStateFile(state: LabStateFile): void {
  mkdirSync(state.dir, { recursive: true });
  const file = stateFilePath(state.dir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(tmp, file);
}

/**
 * The lab that is up in `dir` (default: defaultLabDir()), or null when there is none, it is
 * still being built, or compute-1's OVS daemons are no longer running.
 */
export function readLabState(dir: string = defaultLabDir()): LabState | null {
  const file = readStateFile(resolve(dir));
  if (file === null || file.status !== 'up' || file.lab === null) return null;
  const monitored = file.lab.hosts[0];
  if (monitored === undefined) return null;
  if (!isProcessAlive(monitored.ovsdb_server_pid) || !isProcessAlive(monitored.ovs_vswitchd_pid)) return null;
  return file.lab;
}
