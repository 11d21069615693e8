/**
 * Enrichment: each attribution path (OVSDB ifindex, port names learned from counter samples,
 * VNI from ports and from the mapping file, local and provider VLAN, MAC fallback within a
 * network and host-wide) and what must never attribute (an IP address, a non-tenant port).
 */
import { describe, expect, it } from 'vitest';
import { CounterRecord } from '../../../common/counters.js';
import type { MetricSink, MetricSpec } from '../../../common/metrics.js';
import type { InterfaceState } from '../../../common/model.js';
import { FlowEnricher } from '../../../collector/flows/enrich.js';
import type { NetworkFacts } from '../../../collector/flows/tenancy-index.js';
import { iface, NET_A, NET_B, PROJECT_A, PROJECT_B, record } from './fixtures.js';

const VM1_MAC = 'fa:16:3e:00:00:01';
const VM2_MAC = 'fa:16:3e:00:00:02';
const VM3_MAC = 'fa:16:3e:00:00:03';
const VM7_MAC = 'fa:16:3e:00:00:07';
const REMOTE_MAC = 'fa:16:3e:00:00:99';

const A = { networkId: NET_A, projectId: PROJECT_A, segmentationId: 1001, networkType: 'vxlan' };
const B = { networkId: NET_B, projectId: PROJECT_B, segmentationId: 1002, networkType: 'vxlan' };

const HOST: InterfaceState[] = [
  iface('br-int', { ifindex: 4, mac: '96:bb:3e:f3:2e:4e', tenant: null }),
  iface('tap-vm1', { ifindex: 7, mac: VM1_MAC, localVlan: 1, tenant: { neutronPortId: 'port-vm1', ...A } }),
  iface('tap-vm2', { ifindex: 8, mac: VM2_MAC, localVlan: 2, tenant: { neutronPortId: 'port-vm2', ...B } }),
  iface('tap-vm3', { ifindex: 9, mac: VM3_MAC, localVlan: 1, tenant: { neutronPortId: 'port-vm3', ...A } }),
  // OVSDB has no ifindex for this one (say, a DPDK port): only the learned port name finds it.
  iface('tap-vm7', { ifindex: null, mac: VM7_MAC, localVlan: 2, tenant: { neutronPortId: 'port-vm7', ...B } }),
  iface('phy-port', { ifindex: 20, mac: 'fa:16:3e:00:00:20', tenant: { neutronPortId: 'port-phy', networkId: 'net-p', projectId: 'project-p', segmentationId: 100, networkType: 'vlan' } }),
];
const MAPPING: NetworkFacts[] = [{ id: 'net-c', projectId: 'project-c', networkType: 'vxlan', segmentationId: 1003 }];

function enricher(interfaces: readonly InterfaceState[] = HOST, networks: NetworkFacts[] = MAPPING, maxPortNames = 100): FlowEnricher {
  return new FlowEnricher({ interfaces: () => interfaces, networks: () => networks, maxPortNames });
}

function tenancy(rec: ReturnType<typeof record>) {
  return {
    in: [rec.in_neutron_port_id, rec.in_network_id, rec.in_project_id],
    out: [rec.out_neutron_port_id, rec.out_network_id, rec.out_project_id],
    accounted: [rec.network_id, rec.project_id],
  };
}

function attributions(e: FlowEnricher): Record<string, number> {
  const out: Record<string, number> = {};
  const sink: MetricSink = {
    add(spec: MetricSpec, labels: readonly string[], value: number) {
      if (spec.name === 'ovs_flow_attributions_total' && value > 0) out[labels.join(':')] = value;
    },
  };
  e.collect(sink);
  return out;
}

function portNameSample(agent: string, ifIndex: number, name: string): CounterRecord {
  const c = new CounterRecord();
  c.sampler_address = agent;
  c.has_generic = true;
  c.if_index = ifIndex;
  c.source_id = ifIndex;
  c.has_port_name = true;
  c.port_name = name;
  return c;
}

describe('FlowEnricher', () => {
  it('both sides by OVSDB ifindex: a VM to a VM on this host', () => {
    const e = enricher();
    const rec = record({ in_if: 7, out_if: 9, src_mac: VM1_MAC, dst_mac: VM3_MAC, src_addr: '10.0.0.11', dst_addr: '10.0.0.13' });
    e.enrich(rec);
    expect(tenancy(rec)).toEqual({
      in: ['port-vm1', NET_A, PROJECT_A],
      out: ['port-vm3', NET_A, PROJECT_A],
      accounted: [NET_A, PROJECT_A],
    });
    expect(attributions(e)).toEqual({ 'in:ifindex': 1, 'out:ifindex': 1 });
  });

  it('tunnel arrival: the network by VNI, the receiving port by its MAC within that network', () => {
    const e = enricher();
    // br-tun sub-agent: input is the VXLAN port (ifIndex 0), output flooded/patch (format 2).
    const rec = record({ in_if: 0, out_if: 0x80000001, tunnel_id: 1002, src_mac: REMOTE_MAC, dst_mac: VM2_MAC });
    e.enrich(rec);
    expect(tenancy(rec)).toEqual({
      in: ['', NET_B, PROJECT_B],
      out: ['port-vm2', NET_B, PROJECT_B],
      accounted: [NET_B, PROJECT_B],
    });
    expect(attributions(e)).toEqual({ 'in:vni': 1, 'out:mac': 1 });
  });

  it('leaving by the tunnel: the sender by ifindex, the far side by VNI (network only)', () => {
    const e = enricher();
    const rec = record({ in_if: 8, out_if: 0x80000001, tunnel_id: 1002, src_mac: VM2_MAC, dst_mac: REMOTE_MAC });
    e.enrich(rec);
    expect(tenancy(rec)).toEqual({ in: ['port-vm2', NET_B, PROJECT_B], out: ['', NET_B, PROJECT_B], accounted: [NET_B, PROJECT_B] });
  });

  it('a VNI no local port has: the network from the mapping file', () => {
    const e = enricher();
    const rec = record({ in_if: 0, out_if: 0x80000002, tunnel_id: 1003, src_mac: REMOTE_MAC, dst_mac: 'ff:ff:ff:ff:ff:ff' });
    e.enrich(rec);
    expect(tenancy(rec)).toEqual({ in: ['', 'net-c', 'project-c'], out: ['', 'net-c', 'project-c'], accounted: ['net-c', 'project-c'] });
  });

  it('a tagged packet from an unknown port: the network by its host-local VLAN', () => {
    const e = enricher();
    const rec = record({ in_if: 55, out_if: 0x80000003, vlan_id: 2, src_mac: REMOTE_MAC, dst_mac: 'ff:ff:ff:ff:ff:ff' });
    e.enrich(rec);
    expect(tenancy(rec).in).toEqual(['', NET_B, PROJECT_B]);
    expect(attributions(e)).toEqual({ 'in:vlan': 1, 'out:vlan': 1 });
  });

  it('a VLAN no port is tagged with: a provider network by its segmentation id', () => {
    const e = enricher();
    const rec = record({ in_if: 0, out_if: 0, vlan_id: 100, src_mac: REMOTE_MAC, dst_mac: REMOTE_MAC });
    e.enrich(rec);
    expect(tenancy(rec).accounted).toEqual(['net-p', 'project-p']);
  });

  it('ifIndex unknown to OVSDB: the port name OVS reported for it in a counter sample', () => {
    const e = enricher();
    const rec = () => record({ sampler_address: '192.0.2.1', in_if: 31, out_if: 8, src_mac: REMOTE_MAC, dst_mac: VM2_MAC });
    const before = rec();
    e.enrich(before);
    expect(before.in_neutron_port_id).toBe('');
    e.learn(portNameSample('192.0.2.1', 31, 'tap-vm7'));
    const after = rec();
    e.enrich(after);
    expect(tenancy(after).in).toEqual(['port-vm7', NET_B, PROJECT_B]);
    // Learned per agent: another agent's ifIndex 31 is not that port.
    const other = record({ sampler_address: '192.0.2.2', in_if: 31, src_mac: REMOTE_MAC });
    e.enrich(other);
    expect(other.in_neutron_port_id).toBe('');
    expect(e.learnedPortNames).toBe(1);
  });

  it('MAC fallback: source MAC → sending side, destination MAC → receiving side', () => {
    const e = enricher();
    const rec = record({ in_if: 0x80000000 | 3, out_if: 0, src_mac: VM1_MAC, dst_mac: VM2_MAC });
    e.enrich(rec);
    expect(tenancy(rec)).toEqual({ in: ['port-vm1', NET_A, PROJECT_A], out: ['port-vm2', NET_B, PROJECT_B], accounted: [NET_A, PROJECT_A] });
    expect(attributions(e)).toEqual({ 'in:mac': 1, 'out:mac': 1 });
  });

  it('a MAC on two networks attributes only within the network the VNI names', () => {
    const twin = iface('tap-twin', { ifindex: 12, mac: VM1_MAC, tenant: { neutronPortId: 'port-twin', ...B } });
    const e = enricher([...HOST, twin]);
    const hostWide = record({ in_if: 0, out_if: 0, src_mac: REMOTE_MAC, dst_mac: VM1_MAC });
    e.enrich(hostWide);
    expect(hostWide.out_neutron_port_id).toBe('');
    const viaVni = record({ in_if: 0, out_if: 0, tunnel_id: 1002, src_mac: REMOTE_MAC, dst_mac: VM1_MAC });
    e.enrich(viaVni);
    expect(viaVni.out_neutron_port_id).toBe('port-twin');
  });

  it('never by IP address: a VM\'s IP alone attributes nothing ("unknown", never dropped)', () => {
    const e = enricher();
    const rec = record({ in_if: 0, out_if: 0, src_mac: REMOTE_MAC, dst_mac: 'fa:16:3e:77:77:77', src_addr: '10.0.0.11', dst_addr: '10.0.0.13' });
    e.enrich(rec);
    expect(tenancy(rec)).toEqual({ in: ['', '', ''], out: ['', '', ''], accounted: ['unknown', 'unknown'] });
    expect(attributions(e)).toEqual({ 'in:unknown': 1, 'out:unknown': 1 });
  });

  it('a non-tenant port (the bridge\'s LOCAL) is no port; the packet is on the receiver\'s network', () => {
    const e = enricher();
    const rec = record({ in_if: 4, out_if: 7, src_mac: '96:bb:3e:f3:2e:4e', dst_mac: VM1_MAC });
    e.enrich(rec);
    expect(tenancy(rec).in).toEqual(['', NET_A, PROJECT_A]);
    expect(tenancy(rec).out).toEqual(['port-vm1', NET_A, PROJECT_A]);
    expect(attributions(e)).toEqual({ 'in:peer_port': 1, 'out:ifindex': 1 });
  });

  it('no VNI on the way out (OVS omits it on some tunnel egress): the sender port\'s network', () => {
    const e = enricher();
    const rec = record({ in_if: 7, out_if: 0x80000001, src_mac: VM1_MAC, dst_mac: REMOTE_MAC });
    e.enrich(rec);
    expect(tenancy(rec)).toEqual({ in: ['port-vm1', NET_A, PROJECT_A], out: ['', NET_A, PROJECT_A], accounted: [NET_A, PROJECT_A] });
    expect(attributions(e)).toEqual({ 'in:ifindex': 1, 'out:peer_port': 1 });
  });

  it('the sender port\'s network confines the MAC lookup of the receiver', () => {
    const twin = iface('tap-twin', { ifindex: 12, mac: VM3_MAC, tenant: { neutronPortId: 'port-twin', ...B } });
    const e = enricher([...HOST, twin]);
    const rec = record({ in_if: 7, out_if: 0, src_mac: VM1_MAC, dst_mac: VM3_MAC });
    e.enrich(rec);
    expect(rec.out_neutron_port_id).toBe('port-vm3');
  });

  it('follows the model: a new interfaces array rebuilds the index', () => {
    let current: readonly InterfaceState[] = HOST;
    const e = new FlowEnricher({ interfaces: () => current, maxPortNames: 10 });
    const rec = () => record({ in_if: 40, src_mac: REMOTE_MAC });
    const first = rec();
    e.enrich(first);
    expect(first.in_neutron_port_id).toBe('');
    current = [...HOST, iface('tap-new', { ifindex: 40, tenant: { neutronPortId: 'port-new', ...A } })];
    const second = rec();
    e.enrich(second);
    expect(second.in_neutron_port_id).toBe('port-new');
  });

  it('the learned port-name map is capped (overflow counted)', () => {
    const e = enricher(HOST, MAPPING, 3);
    for (let i = 1; i <= 10; i++) e.learn(portNameSample('192.0.2.1', i, `tap${i}`));
    e.learn(portNameSample('192.0.2.1', 2, 'renamed'));
    expect(e.learnedPortNames).toBe(3);
    expect(e.portNamesOverflow).toBe(7);
  });
});
