/**
 * Aggregation: scaling by the sampling rate, the VM's directions, protocol names, the unknown
 * and overflow buckets, bounded series, and top talkers per network.
 */
import { describe, expect, it } from 'vitest';
import type { MetricSink, MetricSpec } from '../../../common/metrics.js';
import { FlowAggregator, SIDE_IN, SIDE_NONE, SIDE_OUT } from '../../../collector/flows/aggregate.js';
import { NET_A, NET_B, PROJECT_A, PROJECT_B, record } from './fixtures.js';

function aggregator(o: Partial<ConstructorParameters<typeof FlowAggregator>[0]> = {}): FlowAggregator {
  return new FlowAggregator({ maxNetworks: 100, topTalkers: 3, windowSeconds: 0, ...o });
}

/** Every sample the aggregator writes, as `name{v1,v2,...}` → value. */
function scrape(agg: FlowAggregator): Map<string, number> {
  const out = new Map<string, number>();
  const sink: MetricSink = { add: (spec: MetricSpec, labels: readonly string[], value: number) => void out.set(`${spec.name}{${labels.join(',')}}`, value) };
  agg.collect(sink);
  return out;
}

const local = { in_neutron_port_id: 'p1', in_network_id: NET_A, in_project_id: PROJECT_A, out_neutron_port_id: 'p3', out_network_id: NET_A, out_project_id: PROJECT_A };

describe('FlowAggregator', () => {
  it('scales by the sampling rate; a packet between two local ports is egress and ingress of their network', () => {
    const agg = aggregator();
    agg.add(record({ ...local, bytes: 1468, sampling_rate: 16 }));
    expect(agg.bytes(NET_A, PROJECT_A, 'egress', 'tcp')).toBe(1468 * 16);
    expect(agg.bytes(NET_A, PROJECT_A, 'ingress', 'tcp')).toBe(1468 * 16);
    const s = scrape(agg);
    expect(s.get(`ovs_flow_sampled_packets_total{${NET_A},${PROJECT_A},egress,tcp,sflow}`)).toBe(16);
  });

  it('sender local only → egress; receiver local only → ingress; across networks each its own', () => {
    const agg = aggregator();
    agg.add(record({ in_neutron_port_id: 'p2', in_network_id: NET_B, in_project_id: PROJECT_B, out_network_id: NET_B, out_project_id: PROJECT_B, proto: 17, bytes: 1046, sampling_rate: 8 }));
    agg.add(record({ in_network_id: NET_B, in_project_id: PROJECT_B, out_neutron_port_id: 'p2', out_network_id: NET_B, out_project_id: PROJECT_B, proto: 17, bytes: 100, sampling_rate: 8 }));
    agg.add(record({ in_neutron_port_id: 'p1', in_network_id: NET_A, in_project_id: PROJECT_A, out_neutron_port_id: 'p2', out_network_id: NET_B, out_project_id: PROJECT_B, proto: 1, bytes: 98 }));
    expect(agg.bytes(NET_B, PROJECT_B, 'egress', 'udp')).toBe(1046 * 8);
    expect(agg.bytes(NET_B, PROJECT_B, 'ingress', 'udp')).toBe(800);
    expect(agg.bytes(NET_A, PROJECT_A, 'egress', 'icmp')).toBe(98);
    expect(agg.bytes(NET_B, PROJECT_B, 'ingress', 'icmp')).toBe(98);
  });

  it('no local port: once, ingress when the arriving side names the network, else egress', () => {
    const agg = aggregator();
    agg.add(record({ in_network_id: NET_A, in_project_id: PROJECT_A, out_network_id: NET_A, out_project_id: PROJECT_A, etype: 0x0806, proto: 0, bytes: 64 }));
    agg.add(record({ out_network_id: NET_A, out_project_id: PROJECT_A, etype: 0x86dd, proto: 58, bytes: 90 }));
    expect(agg.bytes(NET_A, PROJECT_A, 'ingress', 'arp')).toBe(64);
    expect(agg.bytes(NET_A, PROJECT_A, 'egress', 'arp')).toBe(0);
    expect(agg.bytes(NET_A, PROJECT_A, 'egress', 'icmpv6')).toBe(90);
  });

  it('what cannot be attributed is counted as unknown, never dropped', () => {
    const agg = aggregator();
    agg.add(record({ network_id: 'unknown', project_id: 'unknown', etype: 0x88cc, proto: 0, bytes: 60, sampling_rate: 4 }));
    expect(agg.bytes('unknown', 'unknown', 'unknown', 'other')).toBe(240);
  });

  it('protocol names: tcp, udp, icmp, icmpv6, arp, other; the inner packet of a tunnelled header', () => {
    const agg = aggregator();
    const cases: [number, number, string][] = [[0x0800, 6, 'tcp'], [0x86dd, 17, 'udp'], [0x0800, 1, 'icmp'], [0x86dd, 58, 'icmpv6'], [0x0806, 0, 'arp'], [0x0800, 47, 'other'], [0x8847, 0, 'other']];
    for (const [etype, proto] of cases) agg.add(record({ ...local, etype, proto, bytes: 10 }));
    agg.add(record({ ...local, etype: 0x0800, proto: 17, inner_etype: 0x0800, inner_proto: 1, bytes: 10 }));
    const s = scrape(agg);
    const protos = [...s.keys()].filter((k) => k.startsWith('ovs_flow_sampled_bytes_total') && k.includes(',egress,')).map((k) => k.split(',')[3]);
    expect(protos.sort()).toEqual(['arp', 'icmp', 'icmpv6', 'other', 'tcp', 'udp']);
    expect(agg.bytes(NET_A, PROJECT_A, 'egress', 'icmp')).toBe(20);
    expect(agg.bytes(NET_A, PROJECT_A, 'egress', 'other')).toBe(20);
  });

  it('source label: sflow, ipfix, netflow series apart; one side only for exporters that observe per interface', () => {
    const agg = aggregator();
    agg.add(record({ ...local, bytes: 100, sampling_rate: 2 }));
    agg.add(record({ ...local, type: 'IPFIX', bytes: 300 }), SIDE_IN);
    agg.add(record({ ...local, type: 'IPFIX', bytes: 500 }), SIDE_OUT);
    agg.add(record({ ...local, type: 'NETFLOW_V5', bytes: 7 }), SIDE_IN);
    agg.add(record({ ...local, type: 'NETFLOW_V9', bytes: 11 }), SIDE_NONE);
    expect(agg.bytes(NET_A, PROJECT_A, 'egress', 'tcp', 'sflow')).toBe(200);
    expect(agg.bytes(NET_A, PROJECT_A, 'ingress', 'tcp', 'sflow')).toBe(200);
    expect(agg.bytes(NET_A, PROJECT_A, 'egress', 'tcp', 'ipfix')).toBe(300);
    expect(agg.bytes(NET_A, PROJECT_A, 'ingress', 'tcp', 'ipfix')).toBe(500);
    expect(agg.bytes(NET_A, PROJECT_A, 'egress', 'tcp', 'netflow')).toBe(7);
    expect(agg.bytes(NET_A, PROJECT_A, 'ingress', 'tcp', 'netflow')).toBe(0);
    const s = scrape(agg);
    expect(s.get(`ovs_flow_sampled_bytes_total{${NET_A},${PROJECT_A},ingress,tcp,ipfix}`)).toBe(500);
    expect(s.get('ovs_flow_records_not_at_port_total{netflow}')).toBe(1);
    expect(s.get('ovs_flow_records_not_at_port_total{ipfix}')).toBe(0);
  });

  it('networks are capped: the rest count as overflow; series stay bounded', () => {
    const agg = aggregator({ maxNetworks: 5, topTalkers: 2 });
    for (let n = 0; n < 50; n++) {
      for (const proto of [6, 17, 1, 58, 2]) {
        agg.add(record({ in_neutron_port_id: 'p', in_network_id: `net-${n}`, in_project_id: 'p', proto, src_addr: `10.0.${n}.1`, dst_addr: `10.0.${proto}.2` }));
      }
    }
    const s = scrape(agg);
    const networks = new Set([...s.keys()].filter((k) => k.startsWith('ovs_flow_sampled_bytes_total')).map((k) => k.split('{')[1].split(',')[0]));
    expect(networks.size).toBe(6);
    expect(networks.has('overflow')).toBe(true);
    expect(s.get('ovs_flow_network_overflow_samples_total{}')).toBe(45 * 5);
    expect(agg.bytes('overflow', 'overflow', 'egress', 'tcp')).toBe(45 * 100);
    // 6 slots × (3 directions × 6 protocols) × 2 metrics, + 2 talkers per slot, + 1.
    expect(s.size).toBeLessThanOrEqual(6 * 18 * 2 + 6 * 2 + 1);
  });

  it('top talkers: the heaviest src/dst/proto per network, with scaled bytes', () => {
    const agg = aggregator({ topTalkers: 2 });
    const talk = (src: string, dst: string, bytes: number, times: number, proto = 6) => {
      for (let i = 0; i < times; i++) agg.add(record({ ...local, src_addr: src, dst_addr: dst, proto, bytes, sampling_rate: 10 }));
    };
    talk('10.0.0.11', '10.0.0.13', 1468, 50);
    talk('10.0.0.13', '10.0.0.11', 70, 50);
    talk('10.0.0.13', '10.0.0.14', 1046, 30, 17);
    for (let i = 0; i < 200; i++) talk(`10.0.1.${i}`, '10.0.0.13', 60, 1);
    const top = agg.topTalkers(NET_A, PROJECT_A, 'sflow');
    expect(top.map(([src, dst, proto]) => `${src}>${dst}/${proto}`)).toEqual(['10.0.0.11>10.0.0.13/tcp', '10.0.0.13>10.0.0.14/udp']);
    expect(top[0][3]).toBe(1468 * 10 * 50);
    const s = scrape(agg);
    expect(s.get(`ovs_flow_top_talker_bytes_total{${NET_A},${PROJECT_A},10.0.0.11,10.0.0.13,tcp,sflow}`)).toBe(734_000);
    expect([...s.keys()].filter((k) => k.startsWith('ovs_flow_top_talker')).length).toBe(2);
  });

  it('top talkers are ranked per source: sFlow and IPFIX of the same packets are not added up', () => {
    const agg = aggregator({ topTalkers: 1 });
    for (let i = 0; i < 10; i++) {
      agg.add(record({ ...local, src_addr: '10.0.0.11', dst_addr: '10.0.0.13', bytes: 1468, sampling_rate: 16 }));
      agg.add(record({ ...local, type: 'IPFIX', src_addr: '10.0.0.11', dst_addr: '10.0.0.13', bytes: 1468 * 16 }), SIDE_IN);
    }
    expect(agg.topTalkers(NET_A, PROJECT_A, 'sflow')).toEqual([['10.0.0.11', '10.0.0.13', 'tcp', 234_880]]);
    expect(agg.topTalkers(NET_A, PROJECT_A, 'ipfix')).toEqual([['10.0.0.11', '10.0.0.13', 'tcp', 234_880]]);
    expect(agg.topTalkers(NET_A, PROJECT_A, 'netflow')).toEqual([]);
    const s = scrape(agg);
    expect(s.get(`ovs_flow_top_talker_bytes_total{${NET_A},${PROJECT_A},10.0.0.11,10.0.0.13,tcp,sflow}`)).toBe(234_880);
    expect(s.get(`ovs_flow_top_talker_bytes_total{${NET_A},${PROJECT_A},10.0.0.11,10.0.0.13,tcp,ipfix}`)).toBe(234_880);
  });

  it('non-IP talkers are named by MAC; a new window forgets old talkers', () => {
    const agg = aggregator();
    agg.add(record({ ...local, etype: 0x88cc, proto: 0, src_mac: 'fa:16:3e:00:00:01', dst_mac: '01:80:c2:00:00:0e', bytes: 60 }));
    expect(agg.topTalkers(NET_A, PROJECT_A, 'sflow')).toEqual([['fa:16:3e:00:00:01', '01:80:c2:00:00:0e', 'other', 60]]);
    agg.restartTalkers();
    expect(agg.topTalkers(NET_A, PROJECT_A, 'sflow')).toEqual([]);
    // The sampled-bytes counters are not windowed.
    expect(agg.bytes(NET_A, PROJECT_A, 'egress', 'other')).toBe(60);
  });
});
