/**
 * Which exporters are this host's Open vSwitch: real datagrams (NetFlow v5, IPFIX, sFlow)
 * through the real listeners and the FlowPipeline, with LocalExporters learned from OVSDB rows
 * (NetFlow engine ids, IPFIX observation domain, sFlow agent) and from flows.local_exporters.
 * A record of another exporter whose interface number equals a local port's ofport / ifindex
 * is not attributed to that port; the same record from the local OVS is.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/log.js';
import type { MetricSink, MetricSpec } from '../../../common/metrics.js';
import type { CounterRecord } from '../../../common/counters.js';
import { FlowRecord } from '../../../common/model.js';
import type { ExporterMatch } from '../../../common/config-local-exporters.js';
import { FlowAggregator } from '../../../collector/flows/aggregate.js';
import { FlowEnricher } from '../../../collector/flows/enrich.js';
import { LocalExporters, type HostFacts } from '../../../collector/flows/local-exporters.js';
import { FlowPipeline } from '../../../collector/flows/pipeline.js';
import { NetflowListener } from '../../../collector/ipfix/listener.js';
import type { MessageHeader } from '../../../collector/ipfix/types.js';
import { flowExportsOf, type FlowExports } from '../../../collector/ovs/flow-exports.js';
import type { Row } from '../../../collector/ovsdb/datum.js';
import { SflowListener } from '../../../collector/sflow/listener.js';
import { concat, counterSample, datagram, ethernet, flowSample, genericCounters, ipv4, ipv4Packet, opaque, rawHeader, tagged, udpPacket } from '../../helpers/sflow-encoder.js';
import { dataSet, ipfixMessage, templateRecord, templateSet, uint, v5Packet, type V5Record } from '../ipfix/encoder.js';
import { iface, NET_A, NET_B, PROJECT_A, PROJECT_B } from './fixtures.js';

const VM_A_MAC = 'fa:16:3e:00:00:0a';
const VM_C_MAC = 'fa:16:3e:00:00:0c';
/** tap-a: ofport 2, ifindex 7 (net A); tap-c: ofport 3, ifindex 8 (net B). */
const INTERFACES = [
  iface('tap-a', { ifindex: 7, ofport: 2, mac: VM_A_MAC, tenant: { neutronPortId: 'port-a', networkId: NET_A, projectId: PROJECT_A } }),
  iface('tap-c', { ifindex: 8, ofport: 3, mac: VM_C_MAC, tenant: { neutronPortId: 'port-c', networkId: NET_B, projectId: PROJECT_B } }),
];

/** This host: loopback and one address on eth0; a kernel datapath with ifindex 300. */
const HOST: HostFacts = {
  addresses: ['127.0.0.1', '::1', '192.0.2.5'],
  deviceAddresses: (device) => (device === 'lo' ? ['127.0.0.1', '::1'] : device === 'eth0' ? ['192.0.2.5'] : []),
  kernelDatapathIfindex: 300,
};
const OTHER_HOST = '198.51.100.7';

/** An Open_vSwitch database with the given NetFlow / IPFIX / sFlow rows on br-int. */
function ovsdb(o: { datapathType?: string; netflow?: Row; ipfix?: Row; sflow?: Row }): FlowExports {
  const t: Record<string, Map<string, Row>> = {
    Bridge: new Map([['b1', { name: 'br-int', datapath_type: o.datapathType ?? 'netdev', netflow: o.netflow ? 'nf' : null, ipfix: o.ipfix ? 'ix' : null, sflow: o.sflow ? 'sf' : null }]]),
    NetFlow: new Map(o.netflow ? [['nf', o.netflow]] : []),
    IPFIX: new Map(o.ipfix ? [['ix', o.ipfix]] : []),
    sFlow: new Map(o.sflow ? [['sf', o.sflow]] : []),
  };
  return flowExportsOf({ table: (name) => t[name] ?? new Map() });
}

interface Setup {
  readonly records: FlowRecord[];
  readonly enricher: FlowEnricher;
  readonly pipeline: FlowPipeline;
  readonly netflow: NetflowListener;
  readonly sflow: SflowListener;
}

function setup(exports: FlowExports | (() => FlowExports) | null, exporters: ExporterMatch[] = [], logger = silentLogger): Setup {
  const records: FlowRecord[] = [];
  const enricher = new FlowEnricher({ interfaces: () => INTERFACES, maxPortNames: 16 });
  const aggregator = new FlowAggregator({ maxNetworks: 16, topTalkers: 0, windowSeconds: 0 });
  const learn = exports === null ? undefined : typeof exports === 'function' ? exports : () => exports;
  const pipeline = new FlowPipeline({ enricher, aggregator, localExporters: new LocalExporters({ ovsdb: learn, exporters, host: () => HOST, logger }) });
  const keep = (rec: FlowRecord) => void records.push(Object.assign(new FlowRecord(), rec));
  // The pipeline, then a copy of each record as it left enrichment.
  const sink = {
    exportedFlow: (rec: FlowRecord, direction: number, h: MessageHeader) => (pipeline.exportedFlow(rec, direction, h), keep(rec)),
    flow: (rec: FlowRecord) => (pipeline.flow(rec), keep(rec)),
    counters: (rec: CounterRecord) => pipeline.counters(rec),
  };
  const netflow = new NetflowListener({ label: 'netflow', listenAddress: '127.0.0.1:0', receiveBufferBytes: 1 << 20, maxExporters: 16, sink, logger: silentLogger });
  const sflow = new SflowListener({ listenAddress: '127.0.0.1:0', receiveBufferBytes: 1 << 20, maxAgents: 16, maxSources: 64, sink, logger: silentLogger });
  return { records, enricher, pipeline, netflow, sflow };
}

function metrics(c: { collect(sink: MetricSink): void }): Map<string, number> {
  const out = new Map<string, number>();
  c.collect({ add: (spec: MetricSpec, labels: readonly string[], value: number) => void out.set(`${spec.name}{${labels.join(',')}}`, value) });
  return out;
}

/** A NetFlow v5 record whose input is OpenFlow port 3 (tap-c here), output 2 (tap-a). */
const V5: V5Record = { src: ipv4('10.0.0.13'), dst: ipv4('10.0.0.15'), input: 3, output: 2, packets: 10, bytes: 9000, first: 0, last: 0, srcPort: 1, dstPort: 2, tcpFlags: 0, proto: 17, tos: 0 };

/** IPFIX template 256: ingressInterface, egressInterface, octetDeltaCount, protocol. */
const TEMPLATE = templateSet(templateRecord(256, [{ id: 10, length: 4 }, { id: 14, length: 4 }, { id: 1, length: 8 }, { id: 4, length: 1 }]));
/** An IPFIX record in at ifindex 8 (tap-c), out at 7 (tap-a). */
const ipfix = (domain: number, sequence = 0) => ipfixMessage({ sequence, domain }, TEMPLATE, dataSet(256, concat(uint(8, 4), uint(7, 4), uint(500, 8), uint(17, 1))));

/** An sFlow sample from `agent`: input ifIndex 8 (tap-c), output 7 (tap-a), a frame from VM A's MAC. */
function sflowDatagram(agent: string, sequence = 1): Uint8Array {
  const frame = ethernet('fa:16:3e:00:00:99', VM_A_MAC, 0x0800, ipv4Packet({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17 }, udpPacket(1, 2, new Uint8Array(8))));
  return datagram({ agent, sequence, samples: [flowSample({ sequence, input: 8, output: 7, records: [rawHeader(frame, { frameLength: frame.length + 4 })] })] });
}

const side = (rec: FlowRecord) => [rec.in_neutron_port_id, rec.out_neutron_port_id];

describe('NetFlow v5: the engine ids of the NetFlow row', () => {
  const row = { engine_type: 5, engine_id: 9, add_id_to_interface: false };

  it('from the local OVS (its engine ids, a source address of this host) in_if is the local ofport', () => {
    const s = setup(ovsdb({ netflow: row }));
    s.netflow.handle(v5Packet({ engineType: 5, engineId: 9 }, [V5]), '127.0.0.1', 1);
    expect(side(s.records[0])).toEqual(['port-c', '']);
    expect(metrics(s.pipeline).get('ovs_flow_records_by_origin_total{netflow,local_ovs}')).toBe(1);
  });

  it('from another exporter (softflowd: engine 0/0) the same in_if is not tap-c', () => {
    const s = setup(ovsdb({ netflow: row }));
    s.netflow.handle(v5Packet({ engineType: 0, engineId: 0 }, [V5]), '127.0.0.1', 1);
    expect(side(s.records[0])).toEqual(['', '']);
    const m = metrics(s.pipeline);
    expect(m.get('ovs_flow_records_by_origin_total{netflow,other}')).toBe(1);
    expect(m.get('ovs_flow_attributions_total{in,not_local}')).toBe(1);
    expect(m.get('ovs_flow_attributions_total{in,ofport}')).toBe(0);
  });

  it('says so in the log, once a minute', () => {
    const lines: { protocol: string; exporter: string; engine_type: number; engine_id: number }[] = [];
    const s = setup(ovsdb({ netflow: row }), [], pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) }));
    s.netflow.handle(v5Packet({ engineType: 0, engineId: 0 }, [V5]), '127.0.0.1', 1);
    s.netflow.handle(v5Packet({ engineType: 0, engineId: 1 }, [V5]), '127.0.0.1', 1);
    expect(lines).toMatchObject([{ protocol: 'netflow_v5', exporter: '127.0.0.1', engine_type: 0, engine_id: 0 }]);
  });

  it('from another hypervisor\'s OVS with the same engine ids: not a source address of this host', () => {
    const s = setup(ovsdb({ netflow: row }));
    s.netflow.handle(v5Packet({ engineType: 5, engineId: 9 }, [V5]), OTHER_HOST, 1);
    expect(side(s.records[0])).toEqual(['', '']);
  });

  it('unset engine ids are the datapath\'s: 47/209 on the userspace datapath, the ifindex on the kernel one', () => {
    const netdev = setup(ovsdb({ netflow: { engine_type: null, engine_id: null } }));
    netdev.netflow.handle(v5Packet({ engineType: 47, engineId: 209 }, [V5]), '127.0.0.1', 1);
    netdev.netflow.handle(v5Packet({ engineType: 44, engineId: 44, sequence: 1 }, [V5]), '127.0.0.1', 1);
    expect(netdev.records.map(side)).toEqual([['port-c', ''], ['', '']]);
    const kernel = setup(ovsdb({ datapathType: '', netflow: { engine_type: null, engine_id: 1 } }));
    kernel.netflow.handle(v5Packet({ engineType: 300 & 0xff, engineId: 1 }, [V5]), '127.0.0.1', 1);
    expect(side(kernel.records[0])).toEqual(['port-c', '']);
  });

  it('add_id_to_interface: the top 7 bits of in_if are the engine id\'s', () => {
    const s = setup(ovsdb({ netflow: { engine_type: 5, engine_id: 9, add_id_to_interface: true } }));
    s.netflow.handle(v5Packet({ engineType: 5, engineId: 9 }, [{ ...V5, input: (9 << 9) | 3 }]), '127.0.0.1', 1);
    expect(side(s.records[0])).toEqual(['port-c', '']);
  });

  it('a change of the NetFlow row is seen by the next packet', () => {
    let exports = ovsdb({ netflow: row });
    const s = setup(() => exports);
    s.netflow.handle(v5Packet({ engineType: 5, engineId: 9 }, [V5]), '127.0.0.1', 1);
    exports = ovsdb({ netflow: { engine_type: 6, engine_id: 9 } });
    s.netflow.handle(v5Packet({ engineType: 5, engineId: 9, sequence: 1 }, [V5]), '127.0.0.1', 1);
    expect(s.records.map(side)).toEqual([['port-c', ''], ['', '']]);
  });
});

describe('IPFIX: the observation domain of the IPFIX row', () => {
  it('the local domain is numbered by this host\'s ifindexes; another domain or host is not', () => {
    const s = setup(ovsdb({ ipfix: { obs_domain_id: 123 } }));
    s.netflow.handle(ipfix(123), '127.0.0.1', 1);
    s.netflow.handle(ipfix(0), '127.0.0.1', 2);
    s.netflow.handle(ipfix(123), OTHER_HOST, 3);
    expect(s.records.map(side)).toEqual([['port-c', 'port-a'], ['', ''], ['', '']]);
    const m = metrics(s.pipeline);
    expect(m.get('ovs_flow_records_by_origin_total{ipfix,local_ovs}')).toBe(1);
    expect(m.get('ovs_flow_records_by_origin_total{ipfix,other}')).toBe(2);
  });

  it('NetFlow v9 is never OVS\'s; flows.local_exporters can say it is local', () => {
    const s = setup(ovsdb({ ipfix: { obs_domain_id: 0 } }), [{ protocol: 'ipfix', address: OTHER_HOST, observation_domain_id: 7 }]);
    s.netflow.handle(ipfix(7), OTHER_HOST, 1);
    s.netflow.handle(ipfix(8), OTHER_HOST, 2);
    expect(s.records.map(side)).toEqual([['port-c', 'port-a'], ['', '']]);
  });
});

describe('sFlow: the agent of the sFlow row', () => {
  it('agent "lo" is loopback\'s addresses; another agent is attributed by MAC only', () => {
    const s = setup(ovsdb({ sflow: { agent: 'lo' } }));
    s.sflow.handle(sflowDatagram('127.0.0.1'), '127.0.0.1');
    s.sflow.handle(sflowDatagram(OTHER_HOST), OTHER_HOST);
    // Local: in ifIndex 8 = tap-c, out 7 = tap-a. Other: the source MAC is VM A's, out unknown.
    expect(s.records.map(side)).toEqual([['port-c', 'port-a'], ['port-a', '']]);
    const m = metrics(s.pipeline);
    expect(m.get('ovs_flow_attributions_total{in,mac}')).toBe(1);
    expect(m.get('ovs_flow_attributions_total{out,not_local}')).toBe(1);
    expect(m.get('ovs_flow_records_by_origin_total{sflow,other}')).toBe(1);
  });

  it('port names are learned from the local agent\'s counter samples only', () => {
    const s = setup(ovsdb({ sflow: { agent: 'lo' } }));
    const counters = (agent: string) => datagram({ agent, samples: [counterSample({ sourceIndex: 40, records: [genericCounters({ ifIndex: 40 }), tagged(1005, opaque(new TextEncoder().encode('tap-c')))] })] });
    s.sflow.handle(counters(OTHER_HOST), OTHER_HOST);
    expect(s.enricher.learnedPortNames).toBe(0);
    s.sflow.handle(counters('127.0.0.1'), '127.0.0.1');
    expect(s.enricher.learnedPortNames).toBe(1);
  });

  it('an agent address as such; unset, any address of this host', () => {
    const byAddress = setup(ovsdb({ sflow: { agent: OTHER_HOST } }));
    byAddress.sflow.handle(sflowDatagram(OTHER_HOST), OTHER_HOST);
    byAddress.sflow.handle(sflowDatagram('192.0.2.5'), '192.0.2.5');
    expect(byAddress.records.map(side)).toEqual([['port-c', 'port-a'], ['port-a', '']]);
    const unset = setup(ovsdb({ sflow: { agent: null } }));
    unset.sflow.handle(sflowDatagram('192.0.2.5'), '192.0.2.5');
    expect(side(unset.records[0])).toEqual(['port-c', 'port-a']);
  });
});

describe('flows.local_exporters', () => {
  it('from_ovsdb false and no exporters: nothing is local', () => {
    const s = setup(null);
    s.netflow.handle(v5Packet({ engineType: 47, engineId: 209 }, [V5]), '127.0.0.1', 1);
    s.sflow.handle(sflowDatagram('127.0.0.1'), '127.0.0.1');
    expect(s.records.map(side)).toEqual([['', ''], ['port-a', '']]);
  });

  it('a listed v5 exporter matches on every key given (an IPv4-mapped source too)', () => {
    const s = setup(null, [{ protocol: 'netflow_v5', address: '192.0.2.10', engine_id: 3, add_id_to_interface: false }]);
    s.netflow.handle(v5Packet({ engineType: 1, engineId: 3 }, [V5]), '::ffff:192.0.2.10', 1);
    s.netflow.handle(v5Packet({ engineType: 1, engineId: 4 }, [V5]), '192.0.2.10', 2);
    expect(s.records.map(side)).toEqual([['port-c', ''], ['', '']]);
  });
});
