/**
 * Which flow exporters are this host's Open vSwitch. Only their interface numbers (sFlow
 * ifIndex, IPFIX ingress/egressInterface: Linux ifindexes; NetFlow v5: OpenFlow ports) name
 * this host's ports; a router, softflowd or another hypervisor's OVS numbers its own
 * interfaces, and its records are attributed by VNI, VLAN or MAC only (enrich.ts).
 *
 * What identifies a datagram of the local OVS (ovs-vswitchd.conf.db(5), OVS 3.1), learned from
 * the NetFlow / IPFIX / sFlow rows its bridges point at:
 * - NetFlow v5: the header's engine type and id, from the row or, unset, the datapath's
 *   (bridge.c bridge_configure_netflow); and a UDP source address of this host, since every
 *   OVS of one datapath type picks the same default ids.
 * - IPFIX: the message's observation domain (IPFIX.obs_domain_id, unset 0) and a UDP source
 *   address of this host. The source address alone says nothing: OVS sends from whatever the
 *   route to the target gives (loopback in the lab), and so does any other exporter here.
 * - sFlow: the agent address in the datagram: sFlow.agent when it is an address, the addresses
 *   of the device it names, or, unset, any address of this host (OVS takes the route's source).
 * - NetFlow v9: Open vSwitch does not export it, so only flows.local_exporters makes one local.
 * flows.local_exporters.exporters adds exporters (first match wins, before OVSDB's rows).
 *
 * Hot path: the answer for one exporter is kept until a datagram of another exporter comes
 * or OVSDB changes, so a run of datagrams costs three comparisons per record, no allocation.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { ExporterMatch } from '../../common/config-local-exporters.js';
import type { Logger } from '../../common/log.js';
import type { MessageHeader } from '../ipfix/types.js';
import { VERSION_IPFIX, VERSION_NETFLOW_V5, VERSION_NETFLOW_V9 } from '../ipfix/types.js';
import type { FlowExports } from '../ovs/flow-exports.js';
import { NUMBERS_IFINDEX, NUMBERS_NOT_LOCAL, NUMBERS_OFPORT, NUMBERS_OFPORT_WITH_ENGINE_ID } from './enrich.js';

/** What the host says about itself; re-read on each OVSDB change. */
export interface HostFacts {
  /** Every address of this host's interfaces (canonical text). */
  readonly addresses: readonly string[];
  /** The addresses of one device (an sFlow agent given as a device name). */
  deviceAddresses(device: string): readonly string[];
  /** The kernel datapath's ifindex (the ovs-system device), null when there is none here. */
  readonly kernelDatapathIfindex: number | null;
}

/** This host's facts from the OS: getifaddrs (os.networkInterfaces) and sysfs. */
export function osHostFacts(): HostFacts {
  const byDevice = networkInterfaces();
  let ifindex: number | null = null;
  try {
    ifindex = Number.parseInt(readFileSync('/sys/class/net/ovs-system/ifindex', 'utf8'), 10);
  } catch {
    // No kernel datapath on this host (or no sysfs): its default engine ids stay unknown.
  }
  return {
    addresses: Object.values(byDevice).flatMap((list) => (list ?? []).map((a) => a.address)),
    deviceAddresses: (device) => (byDevice[device] ?? []).map((a) => a.address),
    kernelDatapathIfindex: ifindex !== null && Number.isInteger(ifindex) ? ifindex : null,
  };
}

/**
 * OVS's NetFlow engine (type << 8 | id) when the row sets none, or null when it cannot be told.
 * Userspace datapath: the low 16 bits of OVS's hash of the datapath name "ovs-netdev", type the
 * high byte (dpif-netdev.c create_dpif_netdev): 47 / 209 with OVS's portable hash (Debian's
 * x86-64 build; measured on OVS 3.1). Builds that hash with SSE 4.2 or ARMv8 CRC32 give other
 * ids: set NetFlow engine_type/engine_id, or list the exporter in flows.local_exporters.
 * Kernel datapath: both are the datapath's ifindex (dpif-netlink.c open_dpif), truncated to 8 bits.
 */
function defaultEngine(datapathType: string, host: HostFacts): number | null {
  if (datapathType === 'netdev') return (47 << 8) | 209;
  if (datapathType !== '' && datapathType !== 'system') return null;
  const ifindex = host.kernelDatapathIfindex;
  return ifindex === null ? null : ((ifindex & 0xff) << 8) | (ifindex & 0xff);
}

/** `a` is `b`, or `b` (IPv4) as the IPv4-mapped IPv6 address a dual-stack socket reports. */
function sameAddress(a: string, b: string): boolean {
  return a === b || (a.length === b.length + 7 && a.startsWith('::ffff:') && a.endsWith(b));
}

/** The identities of one OVSDB state (and the host's facts at the time). */
class OvsdbExporters {
  readonly hostAddresses = new Set<string>();
  readonly sflowAgents = new Set<string>();
  readonly ipfixDomains = new Set<number>();
  /** engine (type << 8 | id) → numbering of the interface fields. */
  readonly v5Engines = new Map<number, number>();

  constructor(exports: FlowExports, host: HostFacts) {
    for (const a of host.addresses) this.addAddress(this.hostAddresses, a);
    for (const s of exports.sflow) {
      const agents = s.agent === null ? host.addresses : isIP(s.agent) !== 0 ? [s.agent] : host.deviceAddresses(s.agent);
      for (const a of agents) this.addAddress(this.sflowAgents, a);
    }
    for (const i of exports.ipfix) this.ipfixDomains.add(i.observationDomainId);
    for (const n of exports.netflow) {
      const fallback = n.engineType === null || n.engineId === null ? defaultEngine(n.datapathType, host) : 0;
      if (fallback === null) continue;
      const engine = ((n.engineType ?? fallback >> 8) << 8) | (n.engineId ?? fallback & 0xff);
      this.v5Engines.set(engine, n.addIdToInterface ? NUMBERS_OFPORT_WITH_ENGINE_ID : NUMBERS_OFPORT);
    }
  }

  private addAddress(set: Set<string>, address: string): void {
    set.add(address);
    if (isIP(address) === 4) set.add(`::ffff:${address}`);
  }
}

const NO_EXPORTS: FlowExports = { netflow: [], ipfix: [], sflow: [] };
const KIND_SFLOW = 0;
const KIND_EXPORTED = 1;

export interface LocalExportersOptions {
  /** This host's exports (VswitchModel.flowExports: a new object after each change); absent = not learned from OVSDB. */
  readonly ovsdb?: () => FlowExports;
  /** flows.local_exporters.exporters. */
  readonly exporters: readonly ExporterMatch[];
  /** The host's addresses and datapath (default osHostFacts), read again when OVSDB changes. */
  readonly host?: () => HostFacts;
  /** Says, at most once a minute, that an exporter is not taken for the local OVS. */
  readonly logger?: Logger;
}

const NOT_LOCAL_LOG_INTERVAL_MS = 60_000;

export class LocalExporters {
  private builtFrom: FlowExports | null = null;
  private ovsdb: OvsdbExporters | null = null;
  // The last exporter's answer (see "Hot path").
  private lastKind = -1;
  private lastAddress = '';
  private lastId = -1;
  private lastNumbers = NUMBERS_NOT_LOCAL;
  private lastLoggedMs = -Infinity;

  constructor(private readonly opts: LocalExportersOptions) {}

  /** Every exporter is the local OVS: the numbering collectors assumed before this was known. */
  static everyExporter(): LocalExporters {
    return new LocalExporters({ exporters: [{ protocol: 'sflow' }, { protocol: 'ipfix' }, { protocol: 'netflow_v9' }, { protocol: 'netflow_v5', add_id_to_interface: false }] });
  }

  /** How an sFlow datagram from `agent` numbers its interfaces (enrich.ts NUMBERS_*). */
  sflow(agent: string): number {
    if (this.fresh() && this.lastKind === KIND_SFLOW && this.lastAddress === agent) return this.lastNumbers;
    this.remember(KIND_SFLOW, agent, -1);
    const matched = this.configured('sflow', agent, -1, -1);
    this.lastNumbers = matched !== NUMBERS_NOT_LOCAL ? matched : this.ovsdb?.sflowAgents.has(agent) ? NUMBERS_IFINDEX : NUMBERS_NOT_LOCAL;
    if (this.lastNumbers === NUMBERS_NOT_LOCAL) this.tell('sflow', agent, null);
    return this.lastNumbers;
  }

  /** How an IPFIX message / NetFlow v9 or v5 packet numbers its interfaces (enrich.ts NUMBERS_*). */
  exported(h: MessageHeader): number {
    const v5 = h.version === VERSION_NETFLOW_V5;
    // The exporter key: version and domain (v5: engine) in one number, and the source address.
    const id = v5 ? (h.engineType << 8) | h.engineId : h.observationDomainId;
    const key = h.version * 0x1_0000_0000 + id;
    const address = h.exporterAddress;
    if (this.fresh() && this.lastKind === KIND_EXPORTED && this.lastId === key && this.lastAddress === address) return this.lastNumbers;
    this.remember(KIND_EXPORTED, address, key);
    const protocol = v5 ? 'netflow_v5' : h.version === VERSION_IPFIX ? 'ipfix' : h.version === VERSION_NETFLOW_V9 ? 'netflow_v9' : null;
    let numbers = protocol === null ? NUMBERS_NOT_LOCAL : this.configured(protocol, address, id, h.observationDomainId);
    const o = this.ovsdb;
    if (numbers === NUMBERS_NOT_LOCAL && o !== null && o.hostAddresses.has(address)) {
      if (v5) numbers = o.v5Engines.get(id) ?? NUMBERS_NOT_LOCAL;
      else if (protocol === 'ipfix' && o.ipfixDomains.has(id)) numbers = NUMBERS_IFINDEX;
    }
    if (numbers === NUMBERS_NOT_LOCAL) this.tell(protocol ?? `version ${h.version}`, address, v5 ? { engine_type: h.engineType, engine_id: h.engineId } : { observation_domain_id: id });
    this.lastNumbers = numbers;
    return numbers;
  }

  private tell(protocol: string, exporter: string, ids: object | null): void {
    const now = Date.now();
    if (this.opts.logger === undefined || now - this.lastLoggedMs < NOT_LOCAL_LOG_INTERVAL_MS) return;
    this.lastLoggedMs = now;
    this.opts.logger.info(
      { protocol, exporter, ...ids },
      'flow exporter is not this host\'s Open vSwitch (OVSDB rows, flows.local_exporters): its records are attributed by VNI, VLAN or MAC only (logged once a minute)',
    );
  }

  /** Whether the OVSDB-derived identities are current (rebuilt when the exports changed). */
  private fresh(): boolean {
    const learn = this.opts.ovsdb;
    const exports = learn === undefined ? NO_EXPORTS : learn();
    if (exports === this.builtFrom) return true;
    this.builtFrom = exports;
    this.ovsdb = learn === undefined ? null : new OvsdbExporters(exports, (this.opts.host ?? osHostFacts)());
    this.lastKind = -1;
    return false;
  }

  private remember(kind: number, address: string, id: number): void {
    this.lastKind = kind;
    this.lastAddress = address;
    this.lastId = id;
  }

  /** The numbering of the first configured exporter that matches, else NUMBERS_NOT_LOCAL. */
  private configured(protocol: ExporterMatch['protocol'], address: string, engine: number, domain: number): number {
    for (const m of this.opts.exporters) {
      if (m.protocol !== protocol || (m.address !== undefined && !sameAddress(address, m.address))) continue;
      switch (m.protocol) {
        case 'sflow':
          return NUMBERS_IFINDEX;
        case 'ipfix':
        case 'netflow_v9':
          if (m.observation_domain_id === undefined || m.observation_domain_id === domain) return NUMBERS_IFINDEX;
          break;
        case 'netflow_v5':
          if ((m.engine_type === undefined || m.engine_type === engine >> 8) && (m.engine_id === undefined || m.engine_id === (engine & 0xff))) {
            return m.add_id_to_interface ? NUMBERS_OFPORT_WITH_ENGINE_ID : NUMBERS_OFPORT;
          }
      }
    }
    return NUMBERS_NOT_LOCAL;
  }
}
