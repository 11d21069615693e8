/**
 * Enrichment and aggregation on the real Open vSwitch capture of ../shared/testdata/ovs-lab:
 * the sFlow datagrams of sflow.pcap through the listener's pipeline, with compute-1's OVSDB
 * (ovsdb.json through the real VswitchModel) and the lab's networks as the mapping file. Every
 * sample of every flow of truth.json must land on that flow's network and project, with the
 * sending and receiving Neutron ports where they are on this host, although two VMs on
 * different networks share 10.0.0.13; and the scaled bytes per flow and direction must equal
 * the ground truth's estimate from the same capture.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../common/log.js';
import type { FlowRecord } from '../../common/model.js';
import { FlowAggregator } from '../../collector/flows/aggregate.js';
import { FlowEnricher } from '../../collector/flows/enrich.js';
import { FlowPipeline } from '../../collector/flows/pipeline.js';
import { SflowListener } from '../../collector/sflow/listener.js';
import { loadOvsLab } from '../../bench/ovs-lab.js';

interface TruthPort {
  vm: string;
  monitored: boolean;
  neutron_port_id: string;
}

interface TruthSflow {
  samples: number;
  est_l2_bytes: number;
}

interface TruthFlow {
  id: string;
  proto: string;
  src_vm: string;
  dst_vm: string;
  src_ip: string;
  dst_ip: string;
  network_id: string;
  project_id: string;
  iperf3?: { src_port: number; dst_port: number };
  expected_from_captures?: { sflow?: Record<string, TruthSflow> };
}

const PROTO: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58 };

interface Enriched {
  src: string;
  dst: string;
  proto: number;
  srcPort: number;
  dstPort: number;
  scaledBytes: number;
  tenancy: string[];
}

describe('flow enrichment on the ovs-lab capture', () => {
  const lab = loadOvsLab();
  const records: Enriched[] = [];
  const enricher = new FlowEnricher({ interfaces: () => lab.interfaces, networks: () => lab.mapping.networks.values(), maxPortNames: 1000 });
  const aggregator = new FlowAggregator({ maxNetworks: 100, topTalkers: 5, windowSeconds: 0 });
  const pipeline = new FlowPipeline({ enricher, aggregator });
  // Keep a copy of what each enriched record says (the pipeline reuses one record).
  const keep = {
    flow(rec: FlowRecord) {
      pipeline.flow(rec);
      records.push({
        src: rec.src_addr,
        dst: rec.dst_addr,
        proto: rec.proto,
        srcPort: rec.src_port,
        dstPort: rec.dst_port,
        scaledBytes: rec.bytes * rec.sampling_rate,
        tenancy: [rec.in_neutron_port_id, rec.in_network_id, rec.in_project_id, rec.out_neutron_port_id, rec.out_network_id, rec.out_project_id, rec.network_id, rec.project_id],
      });
    },
    counters: pipeline.counters.bind(pipeline),
  };
  const listener = new SflowListener({ listenAddress: '127.0.0.1:0', receiveBufferBytes: 1 << 20, maxAgents: 16, maxSources: 1024, sink: keep, logger: silentLogger });
  for (const d of lab.datagrams) listener.handle(d, '127.0.0.1');
  const ports = new Map((lab.truth.ports as TruthPort[]).map((p) => [p.vm, p]));
  const flows = (lab.truth.traffic as { flows: TruthFlow[] }).flows.filter((f) => f.dst_vm !== undefined && Object.keys(f.expected_from_captures?.sflow ?? {}).length > 0);

  it('decodes every datagram of the capture, with no gaps', () => {
    expect(listener.decoded).toBe(lab.datagrams.length);
    expect(listener.health.decodeErrors).toBe(0);
    expect(listener.health.agent('127.0.0.1', 0)?.lostDatagrams).toBe(0);
    expect(listener.health.agent('127.0.0.1', 1)?.lostDatagrams).toBe(0);
  });

  it.each(flows.map((f) => [f.id, f] as const))('%s: every sample on its network and project, ports where local, bytes as the truth', (_id, flow) => {
    for (const direction of ['fwd', 'rev'] as const) {
      const expected = Object.entries(flow.expected_from_captures?.sflow ?? {}).filter(([k]) => k.endsWith(`:${direction}`)).map(([, v]) => v);
      const [sender, receiver] = direction === 'fwd' ? [flow.src_vm, flow.dst_vm] : [flow.dst_vm, flow.src_vm];
      const [src, dst] = direction === 'fwd' ? [flow.src_ip, flow.dst_ip] : [flow.dst_ip, flow.src_ip];
      const [srcPort, dstPort] = flow.iperf3 ? (direction === 'fwd' ? [flow.iperf3.src_port, flow.iperf3.dst_port] : [flow.iperf3.dst_port, flow.iperf3.src_port]) : [0, 0];
      const matching = records.filter((r) => r.src === src && r.dst === dst && r.proto === PROTO[flow.proto] && (!flow.iperf3 || (r.srcPort === srcPort && r.dstPort === dstPort)));
      expect(matching.length, `${direction} samples`).toBe(expected.reduce((n, e) => n + e.samples, 0));
      expect(matching.reduce((n, r) => n + r.scaledBytes, 0), `${direction} bytes`).toBe(expected.reduce((n, e) => n + e.est_l2_bytes, 0));
      const portOf = (vm: string) => (ports.get(vm)?.monitored ? ports.get(vm)!.neutron_port_id : '');
      const net = [flow.network_id, flow.project_id];
      for (const r of matching) expect(r.tenancy).toEqual([portOf(sender), ...net, portOf(receiver), ...net, ...net]);
    }
  });

  it('the heaviest talker of each network is its heaviest iperf3 flow', () => {
    const heaviest = new Map<string, TruthFlow>();
    const fwdBytes = (f: TruthFlow) => Object.entries(f.expected_from_captures?.sflow ?? {}).filter(([k]) => k.endsWith(':fwd')).reduce((n, [, v]) => n + v.est_l2_bytes, 0);
    for (const f of flows) if (!heaviest.has(f.network_id) || fwdBytes(f) > fwdBytes(heaviest.get(f.network_id)!)) heaviest.set(f.network_id, f);
    for (const [network, f] of heaviest) {
      const [top] = aggregator.topTalkers(network, f.project_id, 'sflow');
      expect(top.slice(0, 3)).toEqual([f.src_ip, f.dst_ip, f.proto]);
    }
  });
});
