/**
 * One bridge's OpenFlow reading from a fake switch: every statistic to its series and labels,
 * what is left out (unused tables, counters the switch does not have), the segment maps from the
 * flow dump, and partial results when single requests fail.
 */
import { describe, expect, it } from 'vitest';
import { readBridge, sameBridgeMeters, type BridgeMeters } from '../../../collector/datapath/bridge-stats.js';
import { FlowGroups } from '../../../collector/datapath/flow-groups.js';
import { OFPP_LOCAL } from '../../../collector/openflow/constants.js';
import type { Instruction } from '../../../collector/openflow/instructions.js';
import { PortMeters } from '../../../collector/openflow/port-meters.js';
import type { MeterConfig } from '../../../collector/openflow/stats.js';
import { FakeSwitch, flow, portDesc, portStats, RecordingSink } from './fakes.js';

const setVlan = (vid: number): Instruction[] => [{ type: 'apply_actions', actions: [{ type: 'set_field', field: { field: 'vlan_vid', value: 0x1000 | vid } }] }];
const setTunnel = (vni: bigint): Instruction[] => [{ type: 'apply_actions', actions: [{ type: 'pop_vlan' }, { type: 'set_tunnel', tunnelId: vni }] }];

function neutronSwitch(): FakeSwitch {
  const sw = new FakeSwitch();
  sw.ports = [portDesc(1, 'patch-int'), portDesc(2, 'vxlan-ac1fff02'), portDesc(OFPP_LOCAL, 'br-tun')];
  sw.portCounters = [portStats(1, 10), portStats(2, 20), portStats(OFPP_LOCAL, 0), portStats(9, 5)];
  sw.tables = [
    { tableId: 0, activeCount: 3, lookupCount: 100, matchedCount: 90 },
    { tableId: 1, activeCount: 0, lookupCount: 0, matchedCount: 0 },
    { tableId: 4, activeCount: 2, lookupCount: 0, matchedCount: 0 },
    { tableId: 5, activeCount: 0, lookupCount: 7, matchedCount: 0 },
  ];
  sw.flows = [
    flow(0, 0xabn, 10, 1000),
    flow(0, 0xabn, 5, 500),
    flow(4, 0xabn, 3, 300, { match: [{ field: 'tun_id', value: 0x3e9n }], instructions: setVlan(1) }),
    flow(22, 0xabn, 1, 100, { match: [{ field: 'vlan_vid', value: 0x1002 }], instructions: setTunnel(0x3ean) }),
  ];
  sw.queues = [{ portNo: 2, queueId: 0, txBytes: 900, txPackets: 9, txErrors: 0, durationSec: 1 }];
  sw.groups = [{ groupId: 7, refCount: 2, packetCount: 30, byteCount: 3000, durationSec: 1, buckets: [{ packetCount: 10, byteCount: 1000 }, { packetCount: 20, byteCount: 2000 }] }];
  sw.meters = [{ meterId: 1, flowCount: 1, packetInCount: 50, byteInCount: 5000, durationSec: 1, bands: [{ packetCount: 4, byteCount: 400 }] }];
  sw.meterConfigs = [{ meterId: 1, flags: ['pktps'], bands: [{ type: 'drop', rate: 10, burstSize: 0 }] }];
  return sw;
}

async function read(sw: FakeSwitch) {
  const reading = await readBridge('br-tun', sw, new FlowGroups(50));
  const sink = new RecordingSink();
  reading.series.replay(sink);
  return { reading, sink };
}

describe('sameBridgeMeters', () => {
  const reading = (cookie: bigint, precLevel: number, flags: MeterConfig['flags'] = ['kbps']): BridgeMeters => {
    const ports = new PortMeters();
    ports.add({ match: [{ field: 'eth_dst', value: 'fa:16:3e:00:00:01' }], cookie, instructions: [{ type: 'meter', meterId: 3 }] });
    return { bridge: 'br-int', ports, configs: new Map([[3, { meterId: 3, flags, bands: [{ type: 'dscp_remark', rate: 10, burstSize: 0, precLevel }] }]]) };
  };

  it('equal content is the same; a cookie, a flag or a band field differing is not', () => {
    expect(sameBridgeMeters(reading(1n, 1), reading(1n, 1))).toBe(true);
    expect(sameBridgeMeters(reading(1n, 1), reading(2n, 1))).toBe(false);
    expect(sameBridgeMeters(reading(1n, 1), reading(1n, 2))).toBe(false);
    expect(sameBridgeMeters(reading(1n, 1), reading(1n, 1, ['kbps', 'stats']))).toBe(false);
    expect(sameBridgeMeters(reading(1n, 1), { ...reading(1n, 1), bridge: 'br-ex' })).toBe(false);
  });
});

describe('readBridge', () => {
  it('ports: named from PORT_DESC, LOCAL for the bridge port, unknown names empty, missing counters left out', async () => {
    const { sink, reading } = await read(neutronSwitch());
    expect(reading.failures).toEqual([]);
    expect(sink.value('ovs_openflow_port_receive_bytes_total', { port: 'patch-int' })).toBe(1000);
    expect(sink.of('ovs_openflow_port_transmit_packets_total', { port: 'vxlan-ac1fff02' })).toEqual([
      { name: 'ovs_openflow_port_transmit_packets_total', labels: { bridge: 'br-tun', port: 'vxlan-ac1fff02', ofport: '2' }, value: 21 },
    ]);
    expect(sink.value('ovs_openflow_port_transmit_dropped_total', { port: 'br-tun', ofport: 'LOCAL' })).toBe(2);
    expect(sink.value('ovs_openflow_port_receive_packets_total', { port: '', ofport: '9' })).toBe(5);
    expect(sink.of('ovs_openflow_port_transmit_errors_total')).toEqual([]);
  });

  it('tables: only those with a flow or a lookup', async () => {
    const { sink } = await read(neutronSwitch());
    expect(sink.of('ovs_openflow_table_active_flows').map((s) => [s.labels.table, s.value])).toEqual([['0', 3], ['4', 2], ['5', 0]]);
    expect(sink.value('ovs_openflow_table_lookups_total', { table: '0' })).toBe(100);
    expect(sink.value('ovs_openflow_table_matches_total', { table: '0' })).toBe(90);
  });

  it('flows per table and cookie, the overflow count, and the segment maps', async () => {
    const { sink, reading } = await read(neutronSwitch());
    expect(sink.value('ovs_openflow_flows', { table: '0', cookie: '0xab' })).toBe(2);
    expect(sink.value('ovs_openflow_flow_packets_total', { table: '0', cookie: '0xab' })).toBe(15);
    expect(sink.value('ovs_openflow_flow_bytes_total', { table: '4', cookie: '0xab' })).toBe(300);
    expect(sink.value('ovs_openflow_flow_cookies_overflow', { bridge: 'br-tun' })).toBe(0);
    expect(reading.flowsDumped).toBe(true);
    expect(reading.segments?.bridge).toBe('br-tun');
    expect(reading.segments?.tunnels.vniToVlan).toEqual(new Map([[1001, 1]]));
    expect(reading.segments?.tunnels.vlanToVni).toEqual(new Map([[2, 1002]]));
  });

  it('queues, groups with buckets, meters with typed bands', async () => {
    const { sink } = await read(neutronSwitch());
    expect(sink.of('ovs_openflow_queue_transmit_bytes_total')).toEqual([
      { name: 'ovs_openflow_queue_transmit_bytes_total', labels: { bridge: 'br-tun', port: 'vxlan-ac1fff02', queue: '0' }, value: 900 },
    ]);
    expect(sink.value('ovs_openflow_group_references', { group: '7' })).toBe(2);
    expect(sink.value('ovs_openflow_group_packets_total', { group: '7' })).toBe(30);
    expect(sink.of('ovs_openflow_group_bucket_bytes_total').map((s) => [s.labels.bucket, s.value])).toEqual([['0', 1000], ['1', 2000]]);
    expect(sink.value('ovs_openflow_meter_packets_total', { meter: '1' })).toBe(50);
    expect(sink.value('ovs_openflow_meter_flows', { meter: '1' })).toBe(1);
    expect(sink.of('ovs_openflow_meter_band_packets_total')).toEqual([
      { name: 'ovs_openflow_meter_band_packets_total', labels: { bridge: 'br-tun', meter: '1', band: '0', type: 'drop' }, value: 4 },
    ]);
  });

  it('a failing request costs only its own series (partial reading), and names itself', async () => {
    const sw = neutronSwitch();
    sw.fail.add('meterStats');
    sw.fail.add('portDesc');
    sw.fail.add('meterConfig');
    const { sink, reading } = await read(sw);
    expect(reading.failures.map((f) => f.what).sort()).toEqual(['meter_config', 'meters', 'port_desc']);
    expect(sink.of('ovs_openflow_meter_packets_total')).toEqual([]);
    // ports still there, without names
    expect(sink.value('ovs_openflow_port_receive_bytes_total', { ofport: '1' })).toBe(1000);
    expect(sink.value('ovs_openflow_port_receive_bytes_total', { ofport: '1', port: '' })).toBe(1000);
    expect(sink.value('ovs_openflow_flows', { table: '0', cookie: '0xab' })).toBe(2);
  });

  it('a failed flow dump: no flow series and no segments; without flow groups no dump at all', async () => {
    const sw = neutronSwitch();
    sw.fail.add('flowStats');
    const failed = await read(sw);
    expect(failed.reading.failures.map((f) => f.what)).toEqual(['flows']);
    expect(failed.sink.of('ovs_openflow_flows')).toEqual([]);
    expect(failed.reading.flowsDumped).toBe(false);
    expect(failed.reading.segments).toBeUndefined();
    expect(failed.reading.meters).toBeUndefined();
    expect(failed.sink.value('ovs_openflow_table_lookups_total', { table: '0' })).toBe(100);

    const plain = neutronSwitch();
    const noDump = await readBridge('br-tun', plain, undefined);
    expect(plain.calls).not.toContain('flowStats');
    expect(noDump.failures).toEqual([]);
    expect(noDump.flowsDumped).toBe(false);
    expect(noDump.segments).toBeUndefined();
    expect(noDump.meters).toBeUndefined();
    const sink = new RecordingSink();
    noDump.series.replay(sink);
    expect(sink.of('ovs_openflow_flows')).toEqual([]);
    expect(sink.of('ovs_openflow_port_receive_bytes_total')).toHaveLength(4);
  });
});
