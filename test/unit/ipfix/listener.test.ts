/**
 * NetflowListener: the health it keeps per exporter session and domain (sequence gaps by each
 * version's rule, OVS's per-exporter sequence across domains, restarts, late messages),
 * templates and held data, decode errors counted not thrown, a real UDP socket, and IPFIX
 * records through the FlowPipeline counted once per side.
 */
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/log.js';
import type { MetricSink, MetricSpec } from '../../../common/metrics.js';
import { FlowRecord } from '../../../common/model.js';
import { FlowAggregator } from '../../../collector/flows/aggregate.js';
import { FlowEnricher } from '../../../collector/flows/enrich.js';
import { FlowPipeline } from '../../../collector/flows/pipeline.js';
import { NetflowListener, type ExportedFlowSink } from '../../../collector/ipfix/listener.js';
import { concat, ipv4, mac } from '../../helpers/sflow-encoder.js';
import { iface, NET_A, NET_B, PROJECT_A, PROJECT_B } from '../flows/fixtures.js';
import { dataSet, ipfixMessage, optionsTemplateRecord, optionsTemplateSet, templateRecord, templateSet, uint, v5Packet, v9Packet, v9TemplateFlowset, type V5Record } from './encoder.js';

class Collecting implements ExportedFlowSink {
  readonly records: { rec: FlowRecord; direction: number }[] = [];
  exportedFlow(rec: FlowRecord, flowDirection: number): void {
    const copy = new FlowRecord();
    Object.assign(copy, rec);
    this.records.push({ rec: copy, direction: flowDirection });
  }
}

function listener(sink: ExportedFlowSink = new Collecting(), maxExporters = 16, templates = {}): NetflowListener {
  return new NetflowListener({ label: 'ipfix', listenAddress: '127.0.0.1:0', receiveBufferBytes: 1 << 20, maxExporters, templates, sink, logger: silentLogger });
}

function scrape(l: { collect(sink: MetricSink): void }): Map<string, number> {
  const out = new Map<string, number>();
  l.collect({ add: (spec: MetricSpec, labels: readonly string[], value: number) => void out.set(`${spec.name}{${labels.join(',')}}`, value) });
  return out;
}

/** OVS-like template 256: in/out interface, direction, MACs, IPv4 addresses, protocol, packet and octet deltas. */
const TEMPLATE = templateSet(templateRecord(256, [
  { id: 10, length: 4 }, { id: 14, length: 4 }, { id: 61, length: 1 }, { id: 56, length: 6 }, { id: 80, length: 6 },
  { id: 8, length: 4 }, { id: 12, length: 4 }, { id: 4, length: 1 }, { id: 2, length: 8 }, { id: 1, length: 8 },
]));

function flow(inIf: number, outIf: number, direction: number, bytes: number, srcMac = '00:00:00:00:00:01', dstMac = '00:00:00:00:00:02'): Uint8Array {
  return concat(uint(inIf, 4), uint(outIf, 4), uint(direction, 1), mac(srcMac), mac(dstMac), ipv4('10.0.0.1'), ipv4('10.0.0.2'), uint(6, 1), uint(bytes / 100, 8), uint(bytes, 8));
}

const ipfix = (sequence: number, domain: number, ...sets: Uint8Array[]) => ipfixMessage({ sequence, domain }, ...sets);

describe('NetflowListener health', () => {
  it('IPFIX: the sequence counts data records per domain; gaps are lost records, per domain', () => {
    const sink = new Collecting();
    const l = listener(sink);
    l.handle(ipfix(0, 7, TEMPLATE, dataSet(256, flow(1, 2, 0, 100), flow(1, 2, 0, 100))), '192.0.2.1', 4000);
    l.handle(ipfix(2, 7, dataSet(256, flow(1, 2, 0, 100))), '192.0.2.1', 4000);
    l.handle(ipfix(8, 7, dataSet(256, flow(1, 2, 0, 100))), '192.0.2.1', 4000); // 5 records lost (3..7)
    l.handle(ipfix(0, 8, TEMPLATE, dataSet(256, flow(1, 2, 1, 100))), '192.0.2.1', 4000);
    const s = scrape(l);
    expect(sink.records).toHaveLength(5);
    expect(sink.records.map((r) => r.direction)).toEqual([0, 0, 0, 0, 1]);
    expect(s.get('ovs_ipfix_messages_total{ipfix,192.0.2.1:4000,7,10}')).toBe(3);
    expect(s.get('ovs_ipfix_records_total{ipfix,192.0.2.1:4000,7,10,flow}')).toBe(4);
    expect(s.get('ovs_ipfix_lost_records_total{ipfix,192.0.2.1:4000,7,10}')).toBe(5);
    expect(s.get('ovs_ipfix_lost_records_total{ipfix,192.0.2.1:4000,8,10}')).toBe(0);
    expect(s.get('ovs_ipfix_templates{ipfix,192.0.2.1:4000,7,10}')).toBe(1);
    expect(s.get('ovs_ipfix_templates{ipfix,192.0.2.1:4000,8,10}')).toBe(1);
    expect(s.get('ovs_flow_exporter_sampling_rate{ipfix,192.0.2.1:4000,7}')).toBe(0);
    expect(s.get('ovs_ipfix_exporters{ipfix}')).toBe(2);
  });

  it('Open vSwitch numbers messages per exporter across domains (stats in domain 0): no false gaps', () => {
    const l = listener();
    const stats = optionsTemplateSet(optionsTemplateRecord(300, 1, [{ id: 144, length: 4 }, { id: 41, length: 8 }]));
    // As in ../shared/testdata/ovs-lab/ipfix.pcap: templates (seq 1), stats record in domain 0 (seq 1), data from seq 2.
    l.handle(ipfix(1, 123, TEMPLATE), '127.0.0.1', 60408);
    l.handle(ipfix(1, 0, stats), '127.0.0.1', 60408);
    l.handle(ipfix(1, 0, dataSet(300, concat(uint(1, 4), uint(5, 8)))), '127.0.0.1', 60408);
    for (let seq = 2; seq < 6; seq++) l.handle(ipfix(seq, 123, dataSet(256, flow(1, 2, 0, 100))), '127.0.0.1', 60408);
    l.handle(ipfix(6, 0, dataSet(300, concat(uint(1, 4), uint(9, 8)))), '127.0.0.1', 60408);
    l.handle(ipfix(7, 123, dataSet(256, flow(1, 2, 0, 100))), '127.0.0.1', 60408);
    l.handle(ipfix(10, 123, dataSet(256, flow(1, 2, 0, 100))), '127.0.0.1', 60408); // 8 and 9 lost
    const s = scrape(l);
    expect(s.get('ovs_ipfix_lost_records_total{ipfix,127.0.0.1:60408,123,10}')).toBe(2);
    expect(s.get('ovs_ipfix_lost_records_total{ipfix,127.0.0.1:60408,0,10}')).toBe(0);
    expect(s.get('ovs_ipfix_records_total{ipfix,127.0.0.1:60408,0,10,options}')).toBe(2);
    expect(s.get('ovs_ipfix_exporter_restarts_total{ipfix,127.0.0.1:60408,123,10}')).toBe(0);
  });

  it('softflowd numbers IPFIX messages after counting their own records: no false gaps, real ones counted', () => {
    const l = listener();
    l.handle(ipfix(2, 0, TEMPLATE, dataSet(256, flow(1, 2, 0, 100), flow(1, 2, 0, 100))), '192.0.2.10', 7);
    l.handle(ipfix(3, 0, dataSet(256, flow(1, 2, 0, 100))), '192.0.2.10', 7);
    l.handle(ipfix(6, 0, dataSet(256, flow(1, 2, 0, 100))), '192.0.2.10', 7); // records 4 and 5 lost
    const s = scrape(l);
    expect(s.get('ovs_ipfix_lost_records_total{ipfix,192.0.2.10:7,0,10}')).toBe(2);
    expect(s.get('ovs_ipfix_out_of_order_messages_total{ipfix,192.0.2.10:7,0,10}')).toBe(0);
  });

  it('restarts (large backward jump) and late messages are told apart', () => {
    const l = listener();
    l.handle(ipfix(100_000, 1, TEMPLATE, dataSet(256, flow(1, 2, 0, 100))), '192.0.2.9', 1);
    l.handle(ipfix(100_001, 1, dataSet(256, flow(1, 2, 0, 100))), '192.0.2.9', 1);
    l.handle(ipfix(100_000, 1, dataSet(256, flow(1, 2, 0, 100))), '192.0.2.9', 1); // a duplicate
    l.handle(ipfix(0, 1, TEMPLATE, dataSet(256, flow(1, 2, 0, 100))), '192.0.2.9', 1); // restarted
    l.handle(ipfix(1, 1, dataSet(256, flow(1, 2, 0, 100))), '192.0.2.9', 1);
    const s = scrape(l);
    expect(s.get('ovs_ipfix_out_of_order_messages_total{ipfix,192.0.2.9:1,1,10}')).toBe(1);
    expect(s.get('ovs_ipfix_exporter_restarts_total{ipfix,192.0.2.9:1,1,10}')).toBe(1);
    expect(s.get('ovs_ipfix_lost_records_total{ipfix,192.0.2.9:1,1,10}')).toBe(0);
  });

  it('NetFlow v9 counts packets per source id, v5 counts flows (also as Open vSwitch numbers them)', () => {
    const l = listener();
    const v9t = v9TemplateFlowset(templateRecord(256, [{ id: 1, length: 4 }, { id: 2, length: 4 }]));
    const v9d = dataSet(256, concat(uint(100, 4), uint(1, 4)));
    l.handle(v9Packet({ sequence: 10, sourceId: 3 }, v9t, v9d), '192.0.2.2', 9);
    l.handle(v9Packet({ sequence: 11, sourceId: 3 }, v9d), '192.0.2.2', 9);
    l.handle(v9Packet({ sequence: 14, sourceId: 3 }, v9d), '192.0.2.2', 9); // 12, 13 lost
    const r: V5Record = { src: ipv4('10.0.0.1'), dst: ipv4('10.0.0.2'), input: 2, output: 4, packets: 1, bytes: 60, first: 0, last: 0, srcPort: 1, dstPort: 2, tcpFlags: 0, proto: 6, tos: 0 };
    l.handle(v5Packet({ sequence: 0 }, [r, r, r]), '192.0.2.3', 5);
    l.handle(v5Packet({ sequence: 3 }, [r]), '192.0.2.3', 5);
    l.handle(v5Packet({ sequence: 10 }, [r]), '192.0.2.3', 5); // flows 4..9 lost
    // Open vSwitch's v5 header carries its last flow's number (netflow.c): 2 flows numbered 0-1, then 5 (2-6), then 1 (7).
    l.handle(v5Packet({ sequence: 1 }, [r, r]), '192.0.2.6', 5);
    l.handle(v5Packet({ sequence: 6 }, [r, r, r, r, r]), '192.0.2.6', 5);
    l.handle(v5Packet({ sequence: 7 }, [r]), '192.0.2.6', 5);
    l.handle(v5Packet({ sequence: 10 }, [r]), '192.0.2.6', 5); // flows 8, 9 lost
    const s = scrape(l);
    expect(s.get('ovs_ipfix_lost_records_total{ipfix,192.0.2.6:5,0,5}')).toBe(2);
    expect(s.get('ovs_ipfix_out_of_order_messages_total{ipfix,192.0.2.6:5,0,5}')).toBe(0);
    expect(s.get('ovs_ipfix_lost_messages_total{ipfix,192.0.2.2:9,3,9}')).toBe(2);
    expect(s.get('ovs_ipfix_records_total{ipfix,192.0.2.2:9,3,9,flow}')).toBe(3);
    expect(s.get('ovs_ipfix_lost_records_total{ipfix,192.0.2.3:5,0,5}')).toBe(6);
    expect(s.get('ovs_ipfix_messages_total{ipfix,192.0.2.3:5,0,5}')).toBe(3);
  });

  it('running totals (octet/packetTotalCount without deltas) reach the sink as what is new since the flow\'s last report', () => {
    const sink = new Collecting();
    const l = listener(sink);
    // NetFlow v9 IN_PERMANENT_BYTES / IN_PERMANENT_PKTS (85, 86) of a permanent flow, and IPFIX totals with flowEndReason (136).
    const v9t = v9TemplateFlowset(templateRecord(256, [{ id: 8, length: 4 }, { id: 12, length: 4 }, { id: 85, length: 8 }, { id: 86, length: 4 }]));
    const v9 = (sequence: number, src: string, bytes: number, packets: number) => v9Packet({ sequence }, dataSet(256, concat(ipv4(src), ipv4('10.0.0.9'), uint(bytes, 8), uint(packets, 4))));
    l.handle(v9Packet({ sequence: 0 }, v9t), '192.0.2.7', 9);
    l.handle(v9(1, '10.0.0.1', 1000, 10), '192.0.2.7', 9);
    l.handle(v9(2, '10.0.0.2', 500, 5), '192.0.2.7', 9); // another flow
    l.handle(v9(3, '10.0.0.1', 1600, 16), '192.0.2.7', 9);
    l.handle(v9(4, '10.0.0.1', 1600, 16), '192.0.2.7', 9); // nothing new
    l.handle(v9(5, '10.0.0.1', 300, 3), '192.0.2.7', 9); // went down: the exporter restarted
    l.handle(v9Packet({ sequence: 0 }, v9t), '192.0.2.8', 9);
    l.handle(v9(1, '10.0.0.1', 1000, 10), '192.0.2.8', 9); // the same flow from another exporter
    const t = templateSet(templateRecord(257, [{ id: 8, length: 4 }, { id: 12, length: 4 }, { id: 85, length: 8 }, { id: 2, length: 4 }, { id: 136, length: 1 }]));
    const end = (sequence: number, bytes: number, packets: number, reason: number) =>
      ipfix(sequence, 0, dataSet(257, concat(ipv4('10.0.0.3'), ipv4('10.0.0.9'), uint(bytes, 8), uint(packets, 4), uint(reason, 1))));
    l.handle(ipfix(0, 0, t), '192.0.2.9', 4739);
    l.handle(end(0, 400, 4, 2), '192.0.2.9', 4739); // active timeout: the flow goes on
    l.handle(end(1, 700, 3, 1), '192.0.2.9', 4739); // idle timeout: it ended; packets are deltas here
    l.handle(end(2, 200, 2, 2), '192.0.2.9', 4739); // a new flow of the same key
    expect(sink.records.map(({ rec }) => [rec.src_addr, rec.bytes, rec.packets])).toEqual([
      ['10.0.0.1', 1000, 10],
      ['10.0.0.2', 500, 5],
      ['10.0.0.1', 600, 6],
      ['10.0.0.1', 0, 0],
      ['10.0.0.1', 300, 3],
      ['10.0.0.1', 1000, 10],
      ['10.0.0.3', 400, 4],
      ['10.0.0.3', 300, 3],
      ['10.0.0.3', 200, 2],
    ]);
  });

  it('data before its template is held, then decoded; decode errors are counted by reason, never thrown', () => {
    const sink = new Collecting();
    const l = listener(sink);
    l.handle(ipfix(0, 1, dataSet(256, flow(1, 2, 0, 100))), '192.0.2.4', 1);
    expect(scrape(l).get('ovs_ipfix_held_sets{ipfix}')).toBe(1);
    l.handle(ipfix(1, 1, TEMPLATE), '192.0.2.4', 1);
    expect(sink.records).toHaveLength(1);
    l.handle(new Uint8Array([0, 10, 0]), '192.0.2.4', 1);
    l.handle(new Uint8Array([0, 7, 0, 0]), '192.0.2.4', 1);
    l.handle(ipfixMessage({ length: 9999 }), '192.0.2.4', 1);
    const s = scrape(l);
    expect(s.get('ovs_ipfix_sets_without_template_total{ipfix,held}')).toBe(1);
    expect(s.get('ovs_ipfix_held_sets{ipfix}')).toBe(0);
    expect(s.get('ovs_ipfix_decode_errors_total{ipfix,192.0.2.4,truncated}')).toBe(2);
    expect(s.get('ovs_ipfix_decode_errors_total{ipfix,192.0.2.4,bad_version}')).toBe(1);
    expect(l.received).toBe(5);
    expect(l.decoded).toBe(2);
  });

  it('a sink that throws is counted as "internal"; the next datagram is handled', () => {
    let calls = 0;
    const l = listener({ exportedFlow: () => { calls++; if (calls === 1) throw new Error('bug'); } });
    l.handle(ipfix(0, 1, TEMPLATE, dataSet(256, flow(1, 2, 0, 100))), '192.0.2.5', 1);
    l.handle(ipfix(1, 1, dataSet(256, flow(1, 2, 0, 100))), '192.0.2.5', 1);
    const s = scrape(l);
    expect(calls).toBe(2);
    expect(s.get('ovs_ipfix_decode_errors_total{ipfix,192.0.2.5,internal}')).toBe(1);
  });

  it('template floods and templates changing mid-stream stay within the cache bounds', () => {
    const sink = new Collecting();
    const l = listener(sink, 4, { maxTemplatesPerSession: 8, maxTemplates: 20 });
    for (let i = 0; i < 500; i++) {
      const id = 256 + (i % 100);
      // The same id redefined with another layout every round.
      const fields = i % 2 === 0 ? [{ id: 1, length: 8 }] : [{ id: 1, length: 4 }, { id: 2, length: 4 }];
      l.handle(ipfix(0, i % 10, templateSet(templateRecord(id, fields)), dataSet(id, i % 2 === 0 ? uint(50, 8) : concat(uint(70, 4), uint(1, 4)))), `198.51.100.${i % 7}`, 1);
    }
    const s = scrape(l);
    expect(l.templates.templateCount).toBeLessThanOrEqual(20);
    expect(sink.records).toHaveLength(500);
    expect(sink.records.every((r) => r.rec.bytes === 50 || r.rec.bytes === 70)).toBe(true);
    expect(s.get('ovs_ipfix_exporters{ipfix}')).toBe(4);
    expect(s.get('ovs_ipfix_untracked_messages_total{ipfix}')).toBeGreaterThan(0);
    expect(s.get('ovs_ipfix_templates_removed_total{ipfix,evicted}')).toBeGreaterThan(0);
  });
});

describe('NetflowListener on UDP', () => {
  it('binds, decodes what arrives, reports its socket', async () => {
    const sink = new Collecting();
    const l = listener(sink);
    const bound = await l.start();
    const client = createSocket('udp4');
    try {
      await new Promise<void>((resolve, reject) => client.send(ipfix(0, 1, TEMPLATE, dataSet(256, flow(1, 2, 0, 100))), bound.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
      for (let i = 0; i < 50 && sink.records.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(sink.records).toHaveLength(1);
      expect(sink.records[0].rec.sampler_address).toBe('127.0.0.1');
      const s = scrape(l);
      expect(s.get('ovs_telemetry_udp_listener_up{ipfix,127.0.0.1:0}')).toBe(1);
      expect(s.get('ovs_telemetry_udp_receive_buffer_bytes{ipfix}')).toBeGreaterThan(0);
    } finally {
      client.close();
      await l.stop();
    }
    expect(scrape(l).get('ovs_telemetry_udp_listener_up{ipfix,127.0.0.1:0}')).toBe(0);
  });
});

describe('IPFIX records through the FlowPipeline', () => {
  const interfaces = [
    iface('tap-a', { ifindex: 7, ofport: 2, mac: 'fa:16:3e:00:00:0a', tenant: { neutronPortId: 'port-a', networkId: NET_A, projectId: PROJECT_A } }),
    iface('tap-b', { ifindex: 9, ofport: 4, mac: 'fa:16:3e:00:00:0b', tenant: { neutronPortId: 'port-b', networkId: NET_A, projectId: PROJECT_A } }),
    iface('tap-c', { ifindex: 8, ofport: 3, mac: 'fa:16:3e:00:00:0c', tenant: { neutronPortId: 'port-c', networkId: NET_B, projectId: PROJECT_B } }),
  ];
  const setup = () => {
    const enricher = new FlowEnricher({ interfaces: () => interfaces, maxPortNames: 16 });
    const aggregator = new FlowAggregator({ maxNetworks: 16, topTalkers: 0, windowSeconds: 0 });
    const l = listener(new FlowPipeline({ enricher, aggregator }));
    return { l, aggregator };
  };

  it('a packet sampled on ingress and on egress counts once for the sender and once for the receiver', () => {
    const { l, aggregator } = setup();
    const a = 'fa:16:3e:00:00:0a';
    const b = 'fa:16:3e:00:00:0b';
    // As OVS exports them: ingress record (out unknown), egress record (both), and br-tun's ingress from the patch port.
    l.handle(ipfix(0, 123, TEMPLATE, dataSet(256, flow(7, 0, 0, 1000, a, b))), '127.0.0.1', 1);
    l.handle(ipfix(1, 123, dataSet(256, flow(7, 9, 1, 1000, a, b))), '127.0.0.1', 1);
    l.handle(ipfix(0, 124, TEMPLATE, dataSet(256, flow(0, 0, 0, 1000, a, b))), '127.0.0.1', 2);
    expect(aggregator.bytes(NET_A, PROJECT_A, 'egress', 'tcp', 'ipfix')).toBe(1000);
    expect(aggregator.bytes(NET_A, PROJECT_A, 'ingress', 'tcp', 'ipfix')).toBe(1000);
    expect(aggregator.notAtPort[1]).toBe(1);
  });

  it('records without flowDirection count for both sides; NetFlow v5 by input OpenFlow port only', () => {
    const { l, aggregator } = setup();
    const t = templateSet(templateRecord(257, [{ id: 10, length: 4 }, { id: 14, length: 4 }, { id: 1, length: 8 }, { id: 2, length: 8 }, { id: 60, length: 1 }, { id: 4, length: 1 }]));
    l.handle(ipfix(0, 1, t, dataSet(257, concat(uint(7, 4), uint(9, 4), uint(500, 8), uint(5, 8), uint(4, 1), uint(17, 1)))), '127.0.0.1', 3);
    expect(aggregator.bytes(NET_A, PROJECT_A, 'egress', 'udp', 'ipfix')).toBe(500);
    expect(aggregator.bytes(NET_A, PROJECT_A, 'ingress', 'udp', 'ipfix')).toBe(500);
    // OVS NetFlow: input = ofport 3 (tap-c); output 2 may be br-tun's VXLAN port, never attributed.
    const r: V5Record = { src: ipv4('10.0.0.13'), dst: ipv4('10.0.0.15'), input: 3, output: 2, packets: 10, bytes: 9000, first: 0, last: 0, srcPort: 1, dstPort: 2, tcpFlags: 0, proto: 17, tos: 0 };
    l.handle(v5Packet({ sequence: 0 }, [r]), '127.0.0.1', 4);
    expect(aggregator.bytes(NET_B, PROJECT_B, 'egress', 'udp', 'netflow')).toBe(9000);
    expect(aggregator.bytes(NET_A, PROJECT_A, 'ingress', 'udp', 'netflow')).toBe(0);
  });
});
