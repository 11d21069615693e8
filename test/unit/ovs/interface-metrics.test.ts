import { describe, expect, it } from 'vitest';
import type { Row } from '../../../collector/ovsdb/datum.js';
import { InterfaceMetrics } from '../../../collector/ovs/metrics.js';
import { VswitchModel, type TableView } from '../../../collector/ovs/model.js';
import { TenancyMapping } from '../../../collector/tenancy/mapping-file.js';
import { TenancyResolver } from '../../../collector/tenancy/resolver.js';
import { ExpositionWriter } from '../../../exporters/prometheus/exposition.js';
import { parseExposition, seriesOf } from '../../helpers/promtool.js';

const NET = 'net-a';

function tables(): TableView {
  const t: Record<string, Map<string, Row>> = {
    Open_vSwitch: new Map([['root', { ovs_version: '3.1.0', bridges: ['b1'], external_ids: new Map([['system-id', 'host-1']]) }]]),
    Bridge: new Map([['b1', { name: 'br-int', ports: ['p1', 'p2', 'p3'] }]]),
    Port: new Map<string, Row>([
      ['p1', { name: 'tap1', interfaces: ['i1'], tag: 1, other_config: new Map([['net_uuid', NET]]) }],
      ['p2', { name: 'tap2', interfaces: ['i2'], tag: 1, other_config: new Map([['net_uuid', NET]]) }],
      ['p3', { name: 'br-int', interfaces: ['i3'], tag: null, other_config: new Map() }],
    ]),
    Interface: new Map<string, Row>([
      ['i1', { name: 'tap1', type: '', ofport: 5, mac_in_use: 'fe:16:3e:00:00:01', ifindex: 11, link_state: 'up', admin_state: 'up', mtu: 1450, link_speed: 10_000_000_000,
        statistics: new Map([['rx_bytes', 100], ['tx_bytes', 200], ['rx_packets', 1], ['tx_packets', 2], ['rx_dropped', 3]]),
        external_ids: new Map([['iface-id', 'port-1'], ['attached-mac', 'FA:16:3E:00:00:01']]) }],
      ['i2', { name: 'tap2', type: '', ofport: -1, mac_in_use: null, ifindex: null, link_state: 'down', admin_state: null, mtu: null, link_speed: null,
        statistics: new Map([['rx_bytes', 10], ['tx_bytes', 20]]), external_ids: new Map([['iface-id', 'port-2']]) }],
      ['i3', { name: 'br-int', type: 'internal', ofport: 65534, statistics: new Map([['rx_bytes', 7]]), external_ids: new Map() }],
    ]),
  };
  return { table: (name) => t[name] ?? new Map() };
}

function collect(perInterface: boolean, up = true) {
  const mapping = TenancyMapping.fromInput({ networks: [{ id: NET, project_id: 'proj-a' }] });
  const model = new VswitchModel(tables(), new TenancyResolver(mapping));
  const writer = new ExpositionWriter();
  writer.begin();
  new InterfaceMetrics(model, () => up, perInterface).collect(writer);
  return { model, series: parseExposition(writer.render().toString()) };
}

describe('VswitchModel + InterfaceMetrics', () => {
  it('joins Bridge → Port → Interface with tenancy, the VM MAC and sane nulls', () => {
    const { model } = collect(true);
    const [tap1, tap2] = model.interfaces();
    expect(tap1).toMatchObject({ name: 'tap1', bridge: 'br-int', port: 'tap1', type: 'system', ofport: 5, mac: 'fa:16:3e:00:00:01', ifindex: 11, linkUp: true, mtu: 1450, localVlan: 1 });
    expect(tap1.tenant).toMatchObject({ neutronPortId: 'port-1', networkId: NET, projectId: 'proj-a' });
    expect(tap2).toMatchObject({ ofport: null, mac: '', linkUp: false, adminUp: null, mtu: null, linkSpeedBitsPerSecond: null });
    expect(model.ovsVersion).toBe('3.1.0');
    expect(model.systemId).toBe('host-1');
  });

  it('exports per-interface series and per-network sums of tenant interfaces only', () => {
    const { series } = collect(true);
    expect(seriesOf(series, 'ovs_interface_info')).toHaveLength(3);
    expect(seriesOf(series, 'ovs_interface_receive_dropped_total', { interface: 'tap1' })[0].value).toBe(3);
    expect(seriesOf(series, 'ovs_interface_link_speed_bytes_per_second', { interface: 'tap1' })[0].value).toBe(1_250_000_000);
    expect(seriesOf(series, 'ovs_interface_mtu_bytes', { interface: 'tap2' })).toHaveLength(0);
    expect(seriesOf(series, 'ovs_network_receive_bytes_total', { network_id: NET, project_id: 'proj-a' })[0].value).toBe(110);
    expect(seriesOf(series, 'ovs_network_transmit_bytes_total', { network_id: NET })[0].value).toBe(220);
    expect(seriesOf(series, 'ovs_network_receive_bytes_total', { network_id: 'unknown' })).toHaveLength(0);
    expect(seriesOf(series, 'ovs_interfaces', { bridge: 'br-int' })[0].value).toBe(3);
  });

  it('per_interface: false keeps the per-network sums only', () => {
    const { series } = collect(false);
    expect([...series.keys()].filter((k) => k.startsWith('ovs_interface_'))).toEqual([]);
    expect(seriesOf(series, 'ovs_network_receive_bytes_total', { network_id: NET })[0].value).toBe(110);
  });

  it('reports nothing while OVSDB is down (no stale state)', () => {
    const { series } = collect(true, false);
    expect(series.size).toBe(0);
  });
});
