import { describe, expect, it } from 'vitest';
import { COOKIE_PREFIX, METERS_KEY, OWNER_KEY, OWNER_VALUE, POLICING_OWNER_KEY } from '../../../common/ownership.js';
import type { Row } from '../../../collector/ovsdb/datum.js';
import { VswitchModel, type TableView } from '../../../collector/ovs/model.js';
import { TenancyMapping } from '../../../collector/tenancy/mapping-file.js';
import { TenancyResolver } from '../../../collector/tenancy/resolver.js';
import type { Segment } from '../../../collector/tenancy/segments.js';
import { TopologyBuilder } from '../../../collector/topology/build.js';
import type { InterfaceRates } from '../../../collector/ovs/rates.js';
import type { BridgeMeters } from '../../../collector/datapath/bridge-stats.js';
import { PortMeters } from '../../../collector/openflow/port-meters.js';
import type { FlowStats, MeterConfig } from '../../../collector/openflow/index.js';
import { DatapathPoller } from '../../../collector/datapath/poller.js';
import { FakeSession, FakeSwitch, flow as flowStats } from '../datapath/fakes.js';

const NET_A = 'net-a';
const NET_B = 'net-b';

/** br-int with two VMs, a DHCP port and a patch to br-tun, which has a VXLAN port; limits on both VMs. */
function tables(): { view: TableView; t: Record<string, Map<string, Row>> } {
  const ids = (...kv: [string, string][]) => new Map(kv);
  const t: Record<string, Map<string, Row>> = {
    Open_vSwitch: new Map([['root', { ovs_version: '3.1.0', bridges: ['b1', 'b2'], external_ids: ids(['system-id', 'host-1']) }]]),
    Bridge: new Map<string, Row>([
      ['b1', { name: 'br-int', ports: ['p1', 'p2', 'p3', 'p4'], datapath_type: 'netdev' }],
      ['b2', { name: 'br-tun', ports: ['p5', 'p6'], datapath_type: 'netdev' }],
    ]),
    Port: new Map<string, Row>([
      ['p1', { name: 'tapvm1', interfaces: ['i1'], tag: 1, other_config: ids(['net_uuid', NET_A], ['segmentation_id', '1001'], ['network_type', 'vxlan']), qos: ['9a0b1c2d-0000-4000-8000-000000000001'] }],
      ['p2', { name: 'tapvm2', interfaces: ['i2'], tag: 2, other_config: ids(['net_uuid', NET_B]), qos: ['9a0b1c2d-0000-4000-8000-000000000002'] }],
      ['p3', { name: 'tapdhcp', interfaces: ['i3'], tag: 1, other_config: ids(['net_uuid', NET_A]), qos: [] }],
      ['p4', { name: 'patch-tun', interfaces: ['i4'], tag: null, other_config: new Map(), qos: [] }],
      ['p5', { name: 'patch-int', interfaces: ['i5'], tag: null, other_config: new Map(), qos: [] }],
      ['p6', { name: 'vxlan-ac1fff02', interfaces: ['i6'], tag: null, other_config: new Map(), qos: [] }],
    ]),
    Interface: new Map<string, Row>([
      ['i1', { name: 'tapvm1', type: '', ofport: 5, statistics: new Map([['rx_dropped', 4], ['tx_dropped', 1]]),
        external_ids: ids(['iface-id', 'port-1'], ['attached-mac', 'fa:16:3e:00:00:01'], ['vm-uuid', 'vm-1'], [POLICING_OWNER_KEY, OWNER_VALUE]),
        ingress_policing_rate: 10_000, ingress_policing_burst: 8000, options: new Map(), link_state: 'up' }],
      ['i2', { name: 'tapvm2', type: '', ofport: 6, statistics: new Map(), external_ids: ids(['iface-id', 'port-2'], ['vm-uuid', 'vm-2']),
        ingress_policing_rate: 0, options: new Map(), link_state: 'down' }],
      ['i3', { name: 'tapdhcp', type: 'internal', ofport: 7, statistics: new Map(), external_ids: ids(['iface-id', 'port-dhcp']), ingress_policing_rate: 500, options: new Map() }],
      ['i4', { name: 'patch-tun', type: 'patch', ofport: 1, statistics: new Map(), external_ids: new Map(), options: ids(['peer', 'patch-int']) }],
      ['i5', { name: 'patch-int', type: 'patch', ofport: 1, statistics: new Map(), external_ids: new Map(), options: ids(['peer', 'patch-tun']) }],
      ['i6', { name: 'vxlan-ac1fff02', type: 'vxlan', ofport: 2, statistics: new Map(), external_ids: new Map(),
        options: ids(['remote_ip', '172.31.255.2'], ['local_ip', '172.31.255.1'], ['key', 'flow']) }],
    ]),
    QoS: new Map<string, Row>([
      ['9a0b1c2d-0000-4000-8000-000000000001', { type: 'linux-htb', other_config: ids(['max-rate', '20000000']), queues: new Map([[0, 'u1']]), external_ids: ids([OWNER_KEY, OWNER_VALUE]) }],
      ['9a0b1c2d-0000-4000-8000-000000000002', { type: 'linux-htb', other_config: new Map(), queues: new Map([[0, 'u2']]), external_ids: ids(['id', 'neutron-qos'], ['_type', 'egress']) }],
    ]),
    Queue: new Map<string, Row>([
      ['u1', { other_config: ids(['max-rate', '15000000']), external_ids: new Map() }],
      ['u2', { other_config: ids(['max-rate', '5000000']), external_ids: new Map() }],
    ]),
  };
  return { view: { table: (name) => t[name] ?? new Map() }, t };
}

function builder(extra: { segments?: () => readonly Segment[]; meters?: () => readonly BridgeMeters[]; rates?: (uuid: string) => InterfaceRates | undefined } = {}) {
  const mapping = TenancyMapping.fromInput({ networks: [{ id: NET_A, project_id: 'proj-a', name: 'alpha-net' }, { id: NET_B, project_id: 'proj-b' }] });
  const { view, t } = tables();
  const model = new VswitchModel(view, new TenancyResolver(mapping));
  return { model, t, topology: new TopologyBuilder({ model, connected: () => true, now: () => 42, ...extra }) };
}

describe('TopologyBuilder', () => {
  it('lists bridges, networks and every port with its kind, tenancy, peer and tunnel endpoint', () => {
    const doc = builder().topology.build();
    expect(doc).toMatchObject({ generatedAtMs: 42, connected: true, host: { systemId: 'host-1', ovsVersion: '3.1.0' } });
    expect(doc.bridges).toEqual([
      { name: 'br-int', datapathType: 'netdev', integration: true },
      { name: 'br-tun', datapathType: 'netdev', integration: false },
    ]);
    expect(doc.networks).toEqual([
      { id: NET_A, name: 'alpha-net', projectId: 'proj-a', networkType: 'vxlan', segmentationId: 1001, physicalNetwork: null, localVlans: [1], ports: 2 },
      { id: NET_B, name: null, projectId: 'proj-b', networkType: null, segmentationId: null, physicalNetwork: null, localVlans: [2], ports: 1 },
    ]);
    const byName = new Map(doc.ports.map((p) => [p.name, p]));
    expect(doc.ports.map((p) => p.name)).toEqual(['patch-tun', 'tapdhcp', 'tapvm1', 'tapvm2', 'patch-int', 'vxlan-ac1fff02']);
    expect(byName.get('tapvm1')).toMatchObject({ kind: 'vm', bridge: 'br-int', localVlan: 1, networkId: NET_A, projectId: 'proj-a', neutronPortId: 'port-1', vmUuid: 'vm-1', rxDropped: 4, txDropped: 1, linkUp: true, rates: null });
    expect(byName.get('tapdhcp')).toMatchObject({ kind: 'agent', vmUuid: null, networkId: NET_A });
    expect(byName.get('tapvm2')).toMatchObject({ kind: 'vm', linkUp: false, projectId: 'proj-b' });
    expect(byName.get('patch-tun')).toMatchObject({ kind: 'patch', peer: 'patch-int', peerBridge: 'br-tun', networkId: null, neutronPortId: null });
    expect(byName.get('vxlan-ac1fff02')).toMatchObject({ kind: 'tunnel', remoteIp: '172.31.255.2', localIp: '172.31.255.1', tunnelKey: 'flow', peer: null });
  });

  it('marks limits with their owner: enforcer marker, Neutron ids, anyone else', () => {
    const byName = new Map(builder().topology.build().ports.map((p) => [p.name, p.throttles]));
    expect(byName.get('tapvm1')).toEqual([
      { kind: 'policing', owner: 'enforcer', direction: 'egress', maxBitsPerSecond: 10_000_000, maxPacketsPerSecond: null, mechanism: '' },
      // The QoS's own max-rate or its queues', whichever is lower.
      { kind: 'qos', owner: 'enforcer', direction: 'ingress', maxBitsPerSecond: 15_000_000, maxPacketsPerSecond: null, mechanism: 'linux-htb' },
    ]);
    expect(byName.get('tapvm2')).toEqual([{ kind: 'qos', owner: 'neutron', direction: 'ingress', maxBitsPerSecond: 5_000_000, maxPacketsPerSecond: null, mechanism: 'linux-htb' }]);
    expect(byName.get('tapdhcp')).toEqual([{ kind: 'policing', owner: 'other', direction: 'egress', maxBitsPerSecond: 500_000, maxPacketsPerSecond: null, mechanism: '' }]);
    expect(byName.get('patch-tun')).toEqual([]);
  });

  it('marks the OpenFlow meters on a port by direction, rate unit and owner, and follows new dumps', () => {
    const flow = (match: FlowStats['match'], meterId: number, cookie = 0n) => ({ match, cookie, instructions: [{ type: 'meter' as const, meterId }, { type: 'goto_table' as const, tableId: 60 }] });
    const read = (flows: ReturnType<typeof flow>[], configs: MeterConfig[]): BridgeMeters[] => {
      const ports = new PortMeters();
      for (const f of flows) ports.add(f);
      return [{ bridge: 'br-int', ports, configs: new Map(configs.map((c) => [c.meterId, c])) }];
    };
    let meters = read(
      [
        flow([{ field: 'in_port', value: 5 }], 7), // tapvm1 sends: meter 7, recorded on br-int as the enforcer's
        flow([{ field: 'eth_dst', value: 'fa:16:3e:00:00:01' }], 8, COOKIE_PREFIX | 5n), // towards tapvm1: an enforcer-cookie flow
        flow([{ field: 'in_port', value: 6 }], 9), // tapvm2 sends: someone else's meter
        flow([{ field: 'in_port', value: 7, mask: 0xff }], 10), // wildcarded: not a port's
      ],
      [
        { meterId: 7, flags: ['kbps', 'burst'], bands: [{ type: 'drop', rate: 30_000, burstSize: 3000 }, { type: 'drop', rate: 20_000, burstSize: 2000 }] },
        { meterId: 8, flags: ['pktps'], bands: [{ type: 'drop', rate: 2000, burstSize: 0 }] },
        { meterId: 9, flags: ['kbps'], bands: [{ type: 'dscp_remark', rate: 1000, burstSize: 0, precLevel: 1 }] },
      ],
    );
    const { model, t, topology } = builder({ meters: () => meters });
    t.Bridge.set('b1', { ...(t.Bridge.get('b1') as Row), external_ids: new Map([[METERS_KEY, '7']]) });
    model.invalidate();
    const byName = new Map(topology.build().ports.map((p) => [p.name, p.throttles.filter((x) => x.kind === 'meter')]));
    expect(byName.get('tapvm1')).toEqual([
      { kind: 'meter', owner: 'enforcer', direction: 'egress', maxBitsPerSecond: 20_000_000, maxPacketsPerSecond: null, mechanism: 'meter 7' },
      { kind: 'meter', owner: 'enforcer', direction: 'ingress', maxBitsPerSecond: null, maxPacketsPerSecond: 2000, mechanism: 'meter 8' },
    ]);
    // No drop band: a meter that only remarks limits nothing.
    expect(byName.get('tapvm2')).toEqual([{ kind: 'meter', owner: 'other', direction: 'egress', maxBitsPerSecond: null, maxPacketsPerSecond: null, mechanism: 'meter 9' }]);
    expect(byName.get('tapdhcp')).toEqual([]);
    meters = read([], []);
    expect(topology.build().ports.find((p) => p.name === 'tapvm1')?.throttles.map((x) => x.kind)).toEqual(['policing', 'qos']);
  });

  it('keeps its structure across datapath polls that read no meter change, and rebuilds when a meter is added', async () => {
    const sw = new FakeSwitch();
    const metering = (inPort: number, packets: number) =>
      flowStats(0, 0x5n, packets, packets * 100, { match: [{ field: 'in_port', value: inPort }], instructions: [{ type: 'meter', meterId: 7 }, { type: 'goto_table', tableId: 60 }] });
    sw.flows = [metering(5, 1)];
    sw.meterConfigs = [{ meterId: 7, flags: ['pktps'], bands: [{ type: 'drop', rate: 100, burstSize: 0 }] }];
    const poller = new DatapathPoller({
      bridges: () => ['br-int'],
      interfaces: () => [],
      unixctl: false,
      openflowSession: (_bridge, target) => new FakeSession(target, sw),
    });
    try {
      const { topology } = builder({ meters: () => poller.meters() });
      await poller.poll();
      const first = topology.build();
      sw.flows = [metering(5, 99)];
      await poller.poll();
      const second = topology.build();
      expect(second.ports).toBe(first.ports);
      expect(second.networks).toBe(first.networks);
      sw.flows = [metering(5, 100), metering(6, 1)];
      await poller.poll();
      const third = topology.build();
      expect(third.ports).not.toBe(first.ports);
      expect(third.ports.find((p) => p.name === 'tapvm2')?.throttles.filter((x) => x.kind === 'meter')).toEqual([
        { kind: 'meter', owner: 'other', direction: 'egress', maxBitsPerSecond: null, maxPacketsPerSecond: 100, mechanism: 'meter 7' },
      ]);
    } finally {
      await poller.stop();
    }
  });

  it('takes the segmentation id from the live segments when no port says it', () => {
    const segments: Segment[] = [{ type: 'tunnel', segmentationId: 1002, localVlan: 2, network: { networkId: NET_B, projectId: 'proj-b' } }];
    const doc = builder({ segments: () => segments }).topology.build();
    expect(doc.networks.find((n) => n.id === NET_B)).toMatchObject({ segmentationId: 1002, networkType: null });
  });

  it('lays rates over the cached structure, which is rebuilt only when the model changes', () => {
    let rx = 125;
    const rates = (uuid: string): InterfaceRates | undefined =>
      uuid === 'i1' ? { intervalSeconds: 5, perSecond: { rx_bytes: rx, tx_bytes: 10, rx_packets: 1, tx_dropped: 2 } } : undefined;
    const { model, t, topology } = builder({ rates });
    const first = topology.build();
    rx = 250;
    const second = topology.build();
    expect(first.ports.find((p) => p.name === 'tapvm1')?.rates).toEqual({
      rxBitsPerSecond: 1000, txBitsPerSecond: 80, rxPacketsPerSecond: 1, txPacketsPerSecond: 0, rxDroppedPerSecond: 0, txDroppedPerSecond: 2, intervalSeconds: 5,
    });
    expect(second.ports.find((p) => p.name === 'tapvm1')?.rates?.rxBitsPerSecond).toBe(2000);
    expect(second.networks).toBe(first.networks);
    expect(second.ports.find((p) => p.name === 'tapvm2')).toBe(first.ports.find((p) => p.name === 'tapvm2'));
    t.Bridge.set('b2', { name: 'br-tun', ports: ['p5'], datapath_type: 'netdev' });
    model.invalidate();
    const third = topology.build();
    expect(third.ports.map((p) => p.name)).not.toContain('vxlan-ac1fff02');
    expect(third.networks).not.toBe(first.networks);
  });

  it('survives rows with missing or odd columns', () => {
    const { model, t, topology } = builder();
    t.Interface.set('i6', { name: 'vxlan-ac1fff02', type: 'vxlan' });
    t.QoS.set('9a0b1c2d-0000-4000-8000-000000000001', { type: 'linux-htb', other_config: new Map([['max-rate', 'fast']]), queues: new Map([[0, 'missing']]) });
    t.Port.set('p2', { name: 'tapvm2', interfaces: ['i2'], qos: ['9a0b1c2d-0000-4000-8000-00000000dead'] });
    model.invalidate();
    const byName = new Map(topology.build().ports.map((p) => [p.name, p]));
    expect(byName.get('vxlan-ac1fff02')).toMatchObject({ remoteIp: null, localIp: null, tunnelKey: null });
    expect(byName.get('tapvm1')?.throttles[1]).toEqual({ kind: 'qos', owner: 'other', direction: 'ingress', maxBitsPerSecond: null, maxPacketsPerSecond: null, mechanism: 'linux-htb' });
    expect(byName.get('tapvm2')?.throttles).toEqual([]);
  });
});
