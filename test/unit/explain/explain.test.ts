import { describe, expect, it } from 'vitest';
import { explainPort, findPort, type ExplainSources, type FlowReader } from '../../../collector/explain/explain.js';
import { metersOf } from '../../../collector/explain/qos.js';
import { formatExplanation } from '../../../collector/explain/format.js';
import type { ProviderStep, TunnelStep } from '../../../collector/explain/types.js';
import type { FlowStats, Instruction, MatchField, MeterConfig } from '../../../collector/openflow/index.js';
import type { Row } from '../../../collector/ovsdb/datum.js';
import { VswitchModel, type TableView } from '../../../collector/ovs/model.js';
import { TenancyMapping } from '../../../collector/tenancy/mapping-file.js';
import { TenancyResolver } from '../../../collector/tenancy/resolver.js';
import { METER_BASE, OWNER_KEY } from '../../../common/ownership.js';

const VID = 0x1000; // OFPVID_PRESENT
const MAC_A = 'fa:16:3e:00:00:0a';
const MAC_B = 'fa:16:3e:00:00:0b';
const QOS = '11111111-1111-4111-8111-111111111111';
const QUEUE = '22222222-2222-4222-8222-222222222222';

function flow(tableId: number, priority: number, match: MatchField[], instructions: Instruction[], cookie = 0x1n): FlowStats {
  return { tableId, priority, cookie, idleTimeout: 0, hardTimeout: 0, flags: 0, importance: 0, durationSec: 1, idleAgeSec: undefined, packetCount: 3, byteCount: 300, match, instructions };
}
const apply = (...actions: NonNullable<Extract<Instruction, { type: 'apply_actions' }>['actions']>): Instruction => ({ type: 'apply_actions', actions });
const resubmit = (tableId: number) => ({ type: 'resubmit' as const, port: 0xfffffff8, tableId, ct: false });

/**
 * br-int with two VMs: tapa on local VLAN 1 (VXLAN network, VNI 0x3e9 through br-tun, which has
 * two tunnels of which the flow uses one) and tapb on local VLAN 3 (provider VLAN 100 on br-ex).
 */
const FLOWS: Record<string, FlowStats[]> = {
  'br-int': [
    flow(0, 10, [{ field: 'in_port', value: 5 }, { field: 'eth_type', value: 0x806 }], [apply(resubmit(24))]),
    flow(0, 230, [{ field: 'in_port', value: 5 }], [{ type: 'meter', meterId: METER_BASE + 10 }, apply(resubmit(0))], 0x6f74656e00000501n),
    flow(24, 2, [{ field: 'in_port', value: 5 }, { field: 'eth_type', value: 0x806 }, { field: 'arp_spa', value: '10.0.0.5' }], [apply(resubmit(25))]),
    flow(25, 2, [{ field: 'in_port', value: 5 }, { field: 'eth_src', value: MAC_A }], [apply(resubmit(71))]),
    flow(71, 70, [{ field: 'ct_state', value: 0x21, mask: 0x3f }, { field: 'eth_src', value: MAC_A }], [apply({ type: 'ct', commit: false, zone: 1, zoneField: undefined, recircTable: 72, alg: 0, actions: [] })]),
    flow(0, 3, [{ field: 'eth_dst', value: MAC_A }], [apply({ type: 'set_queue', queueId: 1 }, resubmit(60))]),
    flow(0, 1, [{ field: 'in_port', value: 9 }], [apply(resubmit(60))]),
    flow(0, 4, [{ field: 'in_port', value: 20 }, { field: 'vlan_vid', value: VID | 100 }], [apply({ type: 'set_field', field: { field: 'vlan_vid', value: VID | 3 } }, { type: 'output', port: 0xfffffffa, maxLen: 0 })]),
    flow(0, 0, [], [apply(resubmit(60))]),
  ],
  'br-tun': [
    flow(4, 1, [{ field: 'tun_id', value: 0x3e9n }], [apply({ type: 'push_vlan', ethertype: 0x8100 }, { type: 'set_field', field: { field: 'vlan_vid', value: VID | 1 } }, resubmit(10))]),
    flow(22, 1, [{ field: 'vlan_vid', value: VID | 1 }], [apply({ type: 'pop_vlan' }, { type: 'set_field', field: { field: 'tun_id', value: 0x3e9n } }, { type: 'output', port: 2, maxLen: 0 })]),
    flow(22, 1, [{ field: 'vlan_vid', value: VID | 7 }], [apply({ type: 'pop_vlan' }, { type: 'set_field', field: { field: 'tun_id', value: 0x3f0n } }, { type: 'output', port: 3, maxLen: 0 })]),
  ],
  'br-ex': [
    flow(2, 4, [{ field: 'in_port', value: 2 }, { field: 'vlan_vid', value: VID | 3 }], [apply({ type: 'set_field', field: { field: 'vlan_vid', value: VID | 100 } }, { type: 'output', port: 0xfffffffa, maxLen: 0 })]),
  ],
};

const METERS: MeterConfig[] = [{ meterId: METER_BASE + 10, flags: ['kbps', 'burst'], bands: [{ type: 'drop', rate: 5000, burstSize: 500 }] }];

const matches = (f: FlowStats, want: readonly MatchField[]) => want.every((w) => f.match.some((m) => m.field === w.field && m.value === w.value));
const reader: FlowReader = {
  flows: async (bridge, match) => (FLOWS[bridge] ?? []).filter((f) => matches(f, match)),
  meters: async () => METERS,
};

function tables(): TableView {
  const port = (name: string, ifaces: string[], extra: Row = {}): [string, Row] => [`p-${name}`, { name, interfaces: ifaces, tag: null, trunks: [], other_config: new Map(), ...extra }];
  const iface = (uuid: string, name: string, type: string, ofport: number, extra: Row = {}): [string, Row] =>
    [uuid, { name, type, ofport, mac_in_use: '', statistics: new Map([['rx_packets', 7], ['rx_dropped', 2]]), external_ids: new Map(), options: new Map(), ingress_policing_rate: 0, ingress_policing_burst: 0, ...extra }];
  const t: Record<string, Map<string, Row>> = {
    Bridge: new Map<string, Row>([
      ['b-int', { name: 'br-int', ports: ['p-tapa', 'p-tapb', 'p-patch-tun', 'p-int-br-ex'] }],
      ['b-tun', { name: 'br-tun', ports: ['p-patch-int', 'p-vxlan-a', 'p-vxlan-b'] }],
      ['b-ex', { name: 'br-ex', ports: ['p-phy-br-ex', 'p-eth1', 'p-br-ex'] }],
    ]),
    Port: new Map<string, Row>([
      port('tapa', ['i-a'], { tag: 1, qos: QOS, other_config: new Map([['net_uuid', 'net-tun'], ['network_type', 'vxlan'], ['segmentation_id', '1001'], ['physical_network', 'None']]) }),
      port('tapb', ['i-b'], { tag: 3, other_config: new Map([['net_uuid', 'net-vlan'], ['network_type', 'vlan'], ['segmentation_id', '100'], ['physical_network', 'physnet1']]) }),
      port('patch-tun', ['i-pt']), port('int-br-ex', ['i-ie']), port('patch-int', ['i-pi']), port('vxlan-a', ['i-va']), port('vxlan-b', ['i-vb']),
      port('phy-br-ex', ['i-pe']), port('eth1', ['i-eth1']), port('br-ex', ['i-brex']),
    ]),
    Interface: new Map<string, Row>([
      iface('i-a', 'tapa', '', 5, { ingress_policing_rate: 8000, ingress_policing_burst: 800, external_ids: new Map([['iface-id', 'port-a'], ['attached-mac', MAC_A], ['vm-uuid', 'vm-1'], ['ovs-telemetry:policing-owner', 'enforcer']]) }),
      iface('i-b', 'tapb', '', 6, { external_ids: new Map([['iface-id', 'port-b'], ['attached-mac', MAC_B], ['vm-uuid', 'vm-1']]) }),
      iface('i-pt', 'patch-tun', 'patch', 9, { options: new Map([['peer', 'patch-int']]) }),
      iface('i-ie', 'int-br-ex', 'patch', 20, { options: new Map([['peer', 'phy-br-ex']]) }),
      iface('i-pi', 'patch-int', 'patch', 1, { options: new Map([['peer', 'patch-tun']]) }),
      iface('i-va', 'vxlan-a', 'vxlan', 2, { options: new Map([['remote_ip', '192.0.2.2'], ['local_ip', '192.0.2.1'], ['key', 'flow']]) }),
      iface('i-vb', 'vxlan-b', 'vxlan', 3, { options: new Map([['remote_ip', '192.0.2.3'], ['local_ip', '192.0.2.1'], ['key', 'flow']]) }),
      iface('i-pe', 'phy-br-ex', 'patch', 2, { options: new Map([['peer', 'int-br-ex']]) }),
      iface('i-eth1', 'eth1', '', 1),
      iface('i-brex', 'br-ex', 'internal', 65534),
    ]),
    QoS: new Map<string, Row>([[QOS, { type: 'linux-htb', other_config: new Map([['max-rate', '10000000']]), queues: new Map([[1, QUEUE]]), external_ids: new Map([[OWNER_KEY, 'enforcer']]) }]]),
    Queue: new Map<string, Row>([[QUEUE, { other_config: new Map([['max-rate', '4000000']]), external_ids: new Map([['id', 'neutron-queue'], ['_type', 'queue']]) }]]),
  };
  return { table: (name) => t[name] ?? new Map() };
}

function sources(extra: Partial<ExplainSources> = {}): ExplainSources {
  const view = tables();
  const mapping = TenancyMapping.fromInput({ networks: [{ id: 'net-tun', project_id: 'proj-1', name: 'tun-net' }, { id: 'net-vlan', project_id: 'proj-2' }] });
  const model = new VswitchModel(view, new TenancyResolver(mapping));
  return { tables: view, interfaces: () => model.interfaces(), openflow: reader, now: () => new Date(0), ...extra };
}

async function explain(query: string, extra: Partial<ExplainSources> = {}) {
  const s = sources(extra);
  const match = findPort(query, s);
  if (match.kind !== 'found') throw new Error(`not found: ${JSON.stringify(match)}`);
  return explainPort(query, match.identity, match.by, s);
}

describe('findPort', () => {
  it('matches a name, an iface-id, a MAC in any case or separator, and reports ambiguity', () => {
    const s = sources();
    expect(findPort('tapa', s)).toMatchObject({ kind: 'found', by: 'name' });
    expect(findPort('PORT-B', s)).toMatchObject({ kind: 'found', by: 'iface-id', identity: { iface: { name: 'tapb' } } });
    expect(findPort('FA-16-3E-00-00-0A', s)).toMatchObject({ kind: 'found', by: 'attached-mac', identity: { iface: { name: 'tapa' } } });
    expect(findPort('vm-1', s)).toEqual({ kind: 'ambiguous', by: 'vm-uuid', candidates: ['br-int/tapa', 'br-int/tapb'] });
    expect(findPort('nothing', s)).toEqual({ kind: 'unknown' });
  });
});

describe('explainPort', () => {
  it('walks a tunnel network: port flows by role, patch, the VNI flow and the tunnel it uses', async () => {
    const e = await explain('port-a');
    expect(e.path.map((s) => s.kind)).toEqual(['integration', 'patch', 'tunnel']);
    const [int, patch, tun] = e.path as [Extract<typeof e.path[number], { kind: 'integration' }>, unknown, TunnelStep];
    expect(int).toMatchObject({ bridge: 'br-int', ofport: 5, localVlan: 1, antiSpoofingTables: [24, 25], securityGroupTables: [71], tracedTables: null });
    // The catch-all table-0 flow matches neither the port nor its MAC: not listed.
    expect(int.flows.map((f) => `${f.table}/${f.priority}/${f.role}`)).toEqual(['0/230/qos', '0/10/forward', '0/3/qos', '24/2/anti-spoofing', '25/2/anti-spoofing', '71/70/security-group']);
    expect(int.flows.find((f) => f.table === 25)?.match).toBe(`in_port=5,eth_src=${MAC_A}`);
    expect(patch).toEqual({ kind: 'patch', fromBridge: 'br-int', fromPort: 'patch-tun', toBridge: 'br-tun', toPort: 'patch-int' });
    expect(tun).toMatchObject({ bridge: 'br-tun', localVlan: 1, vni: 0x3e9, inboundVlan: 1 });
    expect(tun.flows.map((f) => f.match)).toEqual(['tun_id=0x3e9', 'dl_vlan=1']);
    expect(tun.flows[1].actions).toEqual(['strip_vlan', 'set_field:0x3e9->tun_id', 'output:2']);
    expect(tun.tunnels.map((t) => [t.port, t.remoteIp, t.carriesThisNetwork])).toEqual([['vxlan-a', '192.0.2.2', true], ['vxlan-b', '192.0.2.3', false]]);
    expect(e.tenant).toEqual({
      neutronPortId: 'port-a', networkId: 'net-tun', projectId: 'proj-1', networkName: 'tun-net', networkType: 'vxlan',
      segmentationId: 1001, segmentationFrom: 'flows', tenancySegmentationId: null, physicalNetwork: null,
    });
    expect(e.counters).toEqual({ rx_packets: 7, rx_dropped: 2 });
    expect(e.warnings).toEqual(['ofproto/trace: not available (no ovs-vswitchd control socket)']);
  });

  it('reports the QoS in force and who owns each part', async () => {
    const { qos } = await explain('tapa');
    expect(qos.policing).toEqual({ rateKbps: 8000, burstKb: 800, owner: 'enforcer' });
    expect(qos.portQos).toMatchObject({ type: 'linux-htb', otherConfig: { 'max-rate': '10000000' }, owner: 'enforcer', neutronId: null });
    expect(qos.portQos?.queues).toEqual([{ queueId: 1, uuid: QUEUE, otherConfig: { 'max-rate': '4000000' }, owner: 'neutron' }]);
    expect(qos.meters).toEqual([{ bridge: 'br-int', meterId: METER_BASE + 10, direction: 'egress', unit: 'kbps', bands: [{ type: 'drop', rate: 5000, burst: 500 }], owner: 'enforcer' }]);
    expect(qos.queueFlows.map((f) => f.actions)).toEqual([['set_queue:1', 'resubmit(,60)']]);
  });

  it('calls a meter the enforcer\'s by its bridge record or its cookie, not by its id range alone', () => {
    const foreign = flow(0, 230, [{ field: 'in_port', value: 5 }], [{ type: 'meter', meterId: METER_BASE + 10 }, apply(resubmit(0))], 0x1234n);
    const owners = (recorded: number[]) => metersOf('br-int', [{ flow: foreign, direction: 'egress' }], METERS, new Set(recorded)).map((m) => m.owner);
    expect(owners([])).toEqual(['other']);
    expect(owners([METER_BASE + 10])).toEqual(['enforcer']);
  });

  it('walks a provider VLAN network through the provider bridge, both translation directions', async () => {
    const e = await explain(MAC_B);
    expect(e.path.map((s) => s.kind)).toEqual(['integration', 'patch', 'provider']);
    const provider = e.path[2] as ProviderStep;
    expect(provider).toMatchObject({ bridge: 'br-ex', localVlan: 3, providerVlan: 100, uplinks: ['eth1'] });
    // Outbound on the provider bridge, inbound on the integration bridge (from its patch port).
    expect(provider.flows.map((f) => `${f.bridge}: ${f.match} -> ${f.actions.join(',')}`)).toEqual([
      'br-ex: in_port=2,dl_vlan=3 -> mod_vlan_vid:100,NORMAL',
      'br-int: in_port=20,dl_vlan=100 -> mod_vlan_vid:3,NORMAL',
    ]);
    const text = formatExplanation(e);
    const step = text.slice(text.indexOf('3. br-ex: local VLAN 3 ⇄ provider VLAN 100; uplinks eth1'), text.indexOf('QoS in force:'));
    expect(step.split('\n').map((l) => l.replace(/\s+\(.*$/, ''))).toEqual([
      '3. br-ex: local VLAN 3 ⇄ provider VLAN 100; uplinks eth1',
      '    flows on br-ex:',
      '      table 2 prio 4 in_port=2,dl_vlan=3 → mod_vlan_vid:100,NORMAL',
      '    flows on br-int:',
      '      table 0 prio 4 in_port=20,dl_vlan=100 → mod_vlan_vid:3,NORMAL',
      '',
      '',
    ]);
    expect(e.tenant).toMatchObject({ networkType: 'vlan', segmentationId: 100, segmentationFrom: 'flows', physicalNetwork: 'physnet1' });
    expect(e.qos).toEqual({ policing: null, portQos: null, meters: [], queueFlows: [] });
  });

  it('says what it could not read and keeps the rest; a trace gives the traced tables', async () => {
    const broken: FlowReader = { flows: async () => { throw new Error('connection refused'); }, meters: async () => [] };
    const trace = async (bridge: string, flowText: string) => {
      expect([bridge, flowText]).toEqual(['br-int', `in_port=5,dl_src=${MAC_A},dl_dst=ff:ff:ff:ff:ff:ff`]);
      return 'Flow: x\n\nbridge("br-int")\n----\n 0. in_port=5, priority 9\n    resubmit(,25)\n25. in_port=5, priority 2\n    drop\n\nDatapath actions: drop\n';
    };
    const e = await explain('tapa', { openflow: broken, trace });
    expect(e.warnings.some((w) => w.startsWith('OpenFlow br-int: ') && w.includes('connection refused'))).toBe(true);
    expect(e.path[0]).toMatchObject({ kind: 'integration', flows: [], tracedTables: [0, 25] });
    // No flow maps VLAN 1 anywhere: every peer bridge is listed, unmapped, and it says so.
    expect(e.path.filter((s) => s.kind !== 'patch').map((s) => s.kind)).toEqual(['integration', 'provider', 'tunnel']);
    expect(e.warnings.some((w) => w.includes('maps local VLAN 1'))).toBe(true);
    expect(e.tenant).toMatchObject({ segmentationId: 1001, segmentationFrom: 'tenancy' });
    expect(e.trace?.datapathActions).toBe('drop');
    expect(JSON.parse(JSON.stringify(e))).toEqual(e);
  });

  it('formats the text form with the path, QoS and rates', async () => {
    const e = await explain('tapa', { rates: () => ({ rates: { intervalSeconds: 1, perSecond: { rx_bytes: 1250, rx_packets: 10, rx_dropped: 1 } }, note: null }) });
    const text = formatExplanation(e);
    expect(text).toContain('br-tun: local VLAN 1 → VNI 1001 (0x3e9)');
    expect(text).toContain('→ vxlan vxlan-a (ofport 2) 192.0.2.1 → 192.0.2.2 key=flow');
    expect(text).toContain('vxlan-b (ofport 3) 192.0.2.1 → 192.0.2.3 key=flow (not used by this network)');
    expect(text).toContain('policing (VM egress): 8000 kbps, burst 800 kb (enforcer)');
    expect(text).toContain(`meter ${METER_BASE + 10} on br-int (egress, enforcer): drop 5000 kbps burst 500`);
    expect(text).toContain('rx 10000 bit/s 10.0 pkt/s, dropped 1.0 /s');
  });
});
