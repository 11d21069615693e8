import { describe, expect, it } from 'vitest';
import { counterRecordToJson, type CounterRecord } from '../../../common/counters.js';
import type { FlowRecord } from '../../../common/model.js';
import {
  decodeDatagram,
  looksLikeSflow,
  SflowContext,
  SflowDecodeError,
  type DatagramHeader,
  type SampleInfo,
  type SflowDecodeReason,
} from '../../../collector/sflow/decode.js';
import {
  concat,
  counterSample,
  datagram,
  ethernet,
  expandedFlowSample,
  extendedSwitch,
  flowSample,
  genericCounters,
  ipv4Packet,
  mac,
  opaque,
  padded,
  rawHeader,
  sampledIpBody,
  tagged,
  tcpPacket,
  u32,
  u64,
  udpPacket,
  vxlan,
  address,
} from '../../helpers/sflow-encoder.js';

interface Captured {
  header: DatagramHeader;
  flows: { rec: FlowRecord; sample: SampleInfo }[];
  counters: { rec: CounterRecord; sample: SampleInfo }[];
  skipped: string[];
}

function decode(bytes: Uint8Array): Captured {
  const ctx = new SflowContext();
  ctx.timeReceivedNs = 1_700_000_000_000_000_000n;
  const out: Captured = { header: ctx.header, flows: [], counters: [], skipped: [] };
  const copyInfo = (s: SampleInfo) => ({ ...s, tunnelEgress: { ...s.tunnelEgress }, tunnelIngress: { ...s.tunnelIngress } }) as SampleInfo;
  decodeDatagram(bytes, ctx, {
    flow: (rec, sample) => out.flows.push({ rec: { ...rec } as FlowRecord, sample: copyInfo(sample) }),
    counters: (rec, sample) => out.counters.push({ rec: { ...rec } as CounterRecord, sample: copyInfo(sample) }),
    skipped: (kind, enterprise, format) => out.skipped.push(`${kind} ${enterprise}:${format}`),
  });
  out.header = { ...ctx.header } as DatagramHeader;
  return out;
}

function reasonOf(bytes: Uint8Array): SflowDecodeReason | 'none' {
  try {
    decode(bytes);
    return 'none';
  } catch (err) {
    if (err instanceof SflowDecodeError) {
      expect(err.code).toBe('DECODE');
      return err.reason;
    }
    throw err;
  }
}

const A = 'fa:16:3e:4c:91:2a';
const B = 'fa:16:3e:2e:6f:88';
const tcpFrame = ethernet(B, A, 0x0800, ipv4Packet({ src: '10.0.0.11', dst: '10.0.0.13', proto: 6, ttl: 64 }, tcpPacket(55425, 5201, 0x18)));

describe('datagram header', () => {
  it('reads an IPv4 agent, sub-agent, sequence, uptime and sample count', () => {
    const out = decode(datagram({ agent: '127.0.0.1', subAgent: 1, sequence: 7, uptime: 4000, samples: [] }));
    expect(out.header).toMatchObject({ version: 5, agentAddress: '127.0.0.1', agentAddressFamily: 4, subAgentId: 1, sequence: 7, uptimeMs: 4000, sampleCount: 0 });
  });

  it('reads an IPv6 agent in canonical text', () => {
    const out = decode(datagram({ agent: '30:0:0:0:0:1:1:1', samples: [] }));
    expect([out.header.agentAddress, out.header.agentAddressFamily]).toEqual(['30::1:1:1', 6]);
  });

  it('looksLikeSflow accepts v5 with a plausible header only', () => {
    expect(looksLikeSflow(datagram({ samples: [] }))).toBe(true);
    expect(looksLikeSflow(datagram({ version: 4, samples: [] }))).toBe(false);
    expect(looksLikeSflow(datagram({ samples: [], sampleCount: 900 }))).toBe(false);
    expect(looksLikeSflow(concat(u32(0x00050001), new Uint8Array(60)))).toBe(false); // NetFlow v5 header
  });
});

describe('flow samples', () => {
  it('fills one FlowRecord from a compact flow sample (raw header + extended switch)', () => {
    const out = decode(
      datagram({
        agent: '127.0.0.1',
        subAgent: 1,
        sequence: 9,
        samples: [
          flowSample({
            sequence: 12,
            sourceType: 2,
            sourceIndex: 1001,
            rate: 8,
            pool: 96,
            drops: 3,
            input: 7,
            output: 0x80000003,
            records: [extendedSwitch(0, 0, 0, 0), rawHeader(tcpFrame, { frameLength: 1468, stripped: 4 })],
          }),
        ],
      }),
    );
    expect(out.flows).toHaveLength(1);
    const { rec, sample } = out.flows[0];
    expect(rec).toMatchObject({
      type: 'SFLOW_5',
      time_received_ns: 1_700_000_000_000_000_000n,
      sequence_num: 9,
      sampling_rate: 8,
      sampler_address: '127.0.0.1',
      sub_agent_id: 1,
      source_id: 1001,
      in_if: 7,
      out_if: 0x80000003,
      bytes: 1468,
      packets: 1,
      frame_length: 1468,
      etype: 0x0800,
      proto: 6,
      src_addr: '10.0.0.11',
      dst_addr: '10.0.0.13',
      src_port: 55425,
      dst_port: 5201,
      src_mac: A,
      dst_mac: B,
      tcp_flags: 0x18,
      ip_ttl: 64,
    });
    expect(sample).toMatchObject({ format: 1, sequence: 12, sourceIdType: 2, sourceIdIndex: 1001, samplePool: 96, drops: 3, outputFormat: 2, outputValue: 3, headerProtocol: 1, headerStripped: 4 });
    expect(Array.from(sample.recordTags.subarray(0, sample.recordCount))).toEqual([1001, 1]);
  });

  it('reads expanded flow samples with separate interface formats', () => {
    const out = decode(datagram({ samples: [expandedFlowSample({ sourceType: 0, sourceIndex: 369098852, input: 5, outputFormat: 1, output: 1, records: [rawHeader(tcpFrame)] })] }));
    const { rec, sample } = out.flows[0];
    expect([rec.source_id, rec.in_if, rec.out_if, sample.outputFormat, sample.outputValue]).toEqual([369098852, 5, 0x40000001, 1, 1]);
  });

  it('uses the extended switch VLAN when the header has no tag, and the header tag otherwise', () => {
    const untagged = decode(datagram({ samples: [flowSample({ records: [rawHeader(tcpFrame), extendedSwitch(5, 0, 6, 0)] })] }));
    expect(untagged.flows[0].rec.vlan_id).toBe(5);
    const tagged = ethernet(B, A, 0x0800, ipv4Packet({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17 }, udpPacket(1, 2, new Uint8Array(0))), [42]);
    expect(decode(datagram({ samples: [flowSample({ records: [rawHeader(tagged), extendedSwitch(5, 0, 6, 0)] })] })).flows[0].rec.vlan_id).toBe(42);
  });

  it('fills addresses from sampled Ethernet / IPv4 / IPv6 records when there is no header', () => {
    const eth = tagged(2, concat(u32(1390), padded(mac(A)), padded(mac(B)), u32(0x0800)));
    const ip4 = tagged(3, sampledIpBody({ length: 1344, protocol: 17, src: '50.50.50.50', dst: '51.51.51.51', srcPort: 46622, dstPort: 58631, tos: 4 }));
    const out = decode(datagram({ samples: [flowSample({ records: [eth, ip4] })] }));
    expect(out.flows[0].rec).toMatchObject({ src_mac: A, dst_mac: B, etype: 0x0800, src_addr: '50.50.50.50', proto: 17, dst_port: 58631, ip_tos: 4, bytes: 1390 });
    const ip6 = tagged(4, sampledIpBody({ length: 100, protocol: 58, src: '2001:db8::1', dst: '2001:db8::2', srcPort: 0, dstPort: 0 }));
    expect(decode(datagram({ samples: [flowSample({ records: [ip6] })] })).flows[0].rec).toMatchObject({ etype: 0x86dd, src_addr: '2001:db8::1', proto: 58, bytes: 100 });
  });

  it('reads extended router and gateway (AS path, communities)', () => {
    const router = tagged(1002, concat(address('54.54.54.54'), u32(32, 22)));
    const gateway = tagged(1003, concat(address('2001:db8::9'), u32(28976, 203476, 203476), u32(1), u32(2, 3, 8218, 29605, 203361), u32(2, 1, 2), u32(100)));
    const { sample } = decode(datagram({ samples: [flowSample({ records: [router, gateway] })] })).flows[0];
    expect(sample).toMatchObject({ hasRouter: true, nextHop: '54.54.54.54', srcMaskLen: 32, dstMaskLen: 22, hasGateway: true, bgpNextHop: '2001:db8::9' });
    expect(sample).toMatchObject({ asNumber: 28976, srcAs: 203476, srcPeerAs: 203476, dstPeerAs: 8218, dstAs: 203361, asPathLength: 3, communityCount: 2, localPref: 100 });
  });

  it('fills tunnel_id and endpoints from VNI and tunnel records (OVS br-tun ingress, br-int egress)', () => {
    const ingress = decode(
      datagram({
        samples: [
          flowSample({
            records: [
              rawHeader(tcpFrame),
              tagged(1030, u32(1002)),
              tagged(1024, sampledIpBody({ length: 128, protocol: 17, src: '172.31.255.2', dst: '172.31.255.1', srcPort: 54483, dstPort: 4789 })),
            ],
          }),
        ],
      }),
    ).flows[0];
    expect(ingress.rec).toMatchObject({ tunnel_id: 1002, tunnel_src_addr: '172.31.255.2', tunnel_dst_addr: '172.31.255.1', src_addr: '10.0.0.11' });
    expect(ingress.sample).toMatchObject({ vniIngress: 1002, vniEgress: -1 });
    expect(ingress.sample.tunnelIngress).toMatchObject({ present: true, protocol: 17, srcPort: 54483, dstPort: 4789 });
    const egress = decode(
      datagram({
        samples: [
          flowSample({
            records: [
              tagged(1029, u32(1001)),
              tagged(1025, sampledIpBody({ length: 1, protocol: 17, src: 'fd00::1', dst: 'fd00::2', srcPort: 1, dstPort: 6081 })),
              tagged(1027, u32(50)),
              tagged(1028, u32(54)),
            ],
          }),
        ],
      }),
    ).flows[0];
    expect(egress.rec).toMatchObject({ tunnel_id: 1001, tunnel_src_addr: 'fd00::1', tunnel_dst_addr: 'fd00::2' });
    expect(egress.sample).toMatchObject({ vniEgress: 1001, decapEgressOffset: 50, decapIngressOffset: 54 });
  });

  it('attributes VXLAN traffic inside the sampled header by VNI and inner addresses', () => {
    const frame = ethernet('52:54:00:00:00:02', '52:54:00:00:00:01', 0x0800, ipv4Packet({ src: '192.168.108.40', dst: '192.168.15.14', proto: 17 }, udpPacket(45833, 4789, vxlan(100, tcpFrame))));
    const { rec } = decode(datagram({ samples: [flowSample({ records: [rawHeader(frame)] })] })).flows[0];
    expect(rec).toMatchObject({ tunnel_id: 100, tunnel_src_addr: '192.168.108.40', inner_src_addr: '10.0.0.11', inner_dst_addr: '10.0.0.13', inner_proto: 6, inner_src_mac: A, inner_src_port: 55425 });
  });
});

describe('counter samples', () => {
  it('reads generic, Ethernet, OpenFlow port and port name (what OVS sends per port)', () => {
    const ethernetCounters = tagged(2, u32(0, 0, ...new Array(11).fill(0xffffffff)));
    const ofPort = tagged(1004, concat(u64(0x96bb3ef32e4en), u32(4)));
    const name = tagged(1005, opaque(new TextEncoder().encode('tapa793ab62-f4')));
    const out = decode(datagram({ subAgent: 1, sequence: 2, uptime: 1000, samples: [counterSample({ sequence: 5, sourceIndex: 9, records: [ethernetCounters, ofPort, name, genericCounters({ ifIndex: 9, inOctets: 586, outOctets: 2 ** 40, inUcast: 7, outErrors: 3 })] })] }));
    const { rec } = out.counters[0];
    expect(rec).toMatchObject({
      type: 'SFLOW_5_COUNTERS',
      sub_agent_id: 1,
      sequence_num: 2,
      agent_uptime_ms: 1000,
      sample_sequence_num: 5,
      source_id_type: 0,
      source_id: 9,
      has_generic: true,
      if_index: 9,
      if_type: 6,
      if_speed: 10_000_000_000,
      if_admin_up: true,
      if_oper_up: true,
      if_in_octets: 586,
      if_out_octets: 2 ** 40,
      if_in_ucast_pkts: 7,
      if_out_errors: 3,
      has_ethernet: true,
      dot3_stats_symbol_errors: 0xffffffff,
      has_openflow_port: true,
      of_datapath_id: '000096bb3ef32e4e',
      of_port: 4,
      has_port_name: true,
      port_name: 'tapa793ab62-f4',
      has_vlan: false,
    });
    const json = JSON.parse(counterRecordToJson(rec)) as Record<string, unknown>;
    expect(json).toMatchObject({ type: 'SFLOW_5_COUNTERS', if_index: 9, if_in_octets: 586, port_name: 'tapa793ab62-f4' });
    expect(json).not.toHaveProperty('vlan_octets');
    expect(json).not.toHaveProperty('has_generic');
  });

  it('reads VLAN, processor and LAG counters in expanded samples', () => {
    const vlan = tagged(5, concat(u32(10), u64(25963724), u32(1, 2, 3, 4)));
    const cpu = tagged(1001, concat(u32(1450, 1370, 1330), u64(3884806144), u64(1441230848)));
    const lag = tagged(7, concat(padded(mac('00:11:22:33:44:55')), padded(mac('5c:26:0a:cb:dd:b3')), u32(47), Uint8Array.of(0x3d, 0x3d, 0x3f, 0x3f), u32(1, 2, 3, 4, 5, 6, 7, 8)));
    const { rec, sample } = decode(datagram({ samples: [counterSample({ expanded: true, sourceType: 0, sourceIndex: 70000, records: [vlan, cpu, lag] })] })).counters[0];
    expect(sample.format).toBe(4);
    expect(rec).toMatchObject({ source_id: 70000, vlan_id: 10, vlan_octets: 25963724, vlan_discards: 4, cpu_5s_percent_x100: 1450, total_memory_bytes: 3884806144, free_memory_bytes: 1441230848 });
    expect(rec).toMatchObject({ lacp_actor_system_id: '00:11:22:33:44:55', lacp_partner_system_id: '5c:26:0a:cb:dd:b3', lacp_attached_agg_id: 47, lacp_actor_oper_state: 0x3d, lacp_partner_oper_state: 0x3f, lacp_pdus_rx: 1, lacp_marker_response_pdus_tx: 8 });
  });
});

describe('unknown formats are skipped by length and counted', () => {
  it('skips unknown samples and records without dropping the datagram', () => {
    const dropSample = tagged(5, new Uint8Array(24));
    const enterpriseSample = tagged((4413 << 12) | 1, new Uint8Array(8));
    const flow = flowSample({ records: [tagged(1036, new Uint8Array(12)), rawHeader(tcpFrame), tagged((9 << 12) | 3, new Uint8Array(4))] });
    const counters = counterSample({ records: [tagged(2207, new Uint8Array(24)), genericCounters({ ifIndex: 3 })] });
    const out = decode(datagram({ samples: [dropSample, flow, enterpriseSample, counters] }));
    expect(out.flows[0].rec.src_addr).toBe('10.0.0.11');
    expect(out.counters[0].rec).toMatchObject({ if_index: 3, unknown_records: 1 });
    expect(out.header).toMatchObject({ flowSamples: 1, counterSamples: 1, unknownSamples: 2, unknownRecords: 3 });
    expect(out.skipped).toEqual(['sample 0:5', 'flow_record 0:1036', 'flow_record 9:3', 'sample 4413:1', 'counter_record 0:2207']);
  });

  it('tolerates padding after the last record of a sample', () => {
    const sample = flowSample({ records: [rawHeader(tcpFrame)] });
    const body = concat(sample.subarray(8), new Uint8Array(8));
    const out = decode(datagram({ samples: [tagged(1, body), counterSample({ records: [genericCounters()] })] }));
    expect([out.flows.length, out.counters.length]).toEqual([1, 1]);
  });
});

describe('errors carry a stable reason', () => {
  const good = datagram({ samples: [flowSample({ records: [rawHeader(tcpFrame)] })] });

  it.each<[string, Uint8Array, SflowDecodeReason]>([
    ['shorter than a header', Uint8Array.of(0, 0, 0, 5), 'truncated'],
    ['header cut', good.subarray(0, 20), 'truncated'],
    ['NetFlow v5 on the sFlow port', concat(u32(0x00050001), new Uint8Array(44)), 'bad_version'],
    ['agent address type 3', concat(u32(5, 3), new Uint8Array(40)), 'bad_address_type'],
    ['1001 samples', datagram({ samples: [], sampleCount: 1001 }), 'too_many_samples'],
    ['a missing sample', datagram({ samples: [], sampleCount: 2 }), 'truncated'],
    ['a sample longer than the datagram', good.subarray(0, good.length - 4), 'bad_length'],
    ['a sample shorter than its fixed fields', datagram({ samples: [tagged(1, new Uint8Array(16))] }), 'bad_length'],
    ['a record count the sample cannot hold', datagram({ samples: [flowSample({ records: [], recordCount: 0x7fffffff })] }), 'too_many_records'],
    ['a record longer than its sample', datagram({ samples: [flowSample({ records: [tagged(1001, new Uint8Array(16), 64)] })] }), 'bad_length'],
    ['a raw header longer than its record', datagram({ samples: [flowSample({ records: [tagged(1, u32(1, 100, 4, 4000))] })] }), 'bad_record'],
    ['a router record with address type 9', datagram({ samples: [flowSample({ records: [tagged(1002, u32(9, 0, 0, 0))] })] }), 'bad_address_type'],
    ['a port name longer than 255', datagram({ samples: [counterSample({ records: [tagged(1005, concat(u32(300), new Uint8Array(300)))] })] }), 'bad_record'],
  ])('%s', (_what, bytes, reason) => {
    expect(reasonOf(bytes)).toBe(reason);
  });

  it('delivers the samples before a malformed one, then throws', () => {
    const bytes = datagram({ samples: [counterSample({ records: [genericCounters({ ifIndex: 4 })] }), tagged(1, new Uint8Array(4))] });
    const seen: number[] = [];
    const ctx = new SflowContext();
    expect(() => decodeDatagram(bytes, ctx, { flow: () => seen.push(-1), counters: (r) => seen.push(r.if_index) })).toThrow(SflowDecodeError);
    expect(seen).toEqual([4]);
  });
});
