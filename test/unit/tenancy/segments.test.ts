/**
 * Segment tenancy from flows: br-tun's VNI <-> local VLAN and provider VLAN translations, joined
 * with the br-int ports' local VLAN and network; and how flow enrichment uses it (FlowEnricher's
 * networks option), for VNIs and provider VLANs that no local port and no mapping file names.
 */
import { describe, expect, it } from 'vitest';
import type { InterfaceState } from '../../../common/model.js';
import { FlowEnricher } from '../../../collector/flows/enrich.js';
import { TunnelVlanMap } from '../../../collector/openflow/tunnel-map.js';
import { VlanTranslations } from '../../../collector/openflow/vlan-translation.js';
import { SegmentTenancy, type BridgeSegments } from '../../../collector/tenancy/segments.js';
import { iface, record } from '../flows/fixtures.js';

const A = { networkId: 'net-a', projectId: 'proj-a' };
const B = { networkId: 'net-b', projectId: 'proj-b' };

/** br-int ports: net-a on local VLAN 1, net-b on local VLAN 2; no segmentation ids in OVSDB. */
const PORTS: InterfaceState[] = [
  iface('tap-a', { localVlan: 1, tenant: { neutronPortId: 'port-a', ...A } }),
  iface('tap-b', { localVlan: 2, tenant: { neutronPortId: 'port-b', ...B } }),
  iface('patch-tun', { tenant: null }),
];

function bridge(name: string, o: { vniToVlan?: [number, number][]; vlanToVni?: [number, number][]; vlans?: [number, number][] }): BridgeSegments {
  const tunnels = new TunnelVlanMap();
  for (const [vni, vlan] of o.vniToVlan ?? []) tunnels.vniToVlan.set(vni, vlan);
  for (const [vlan, vni] of o.vlanToVni ?? []) tunnels.vlanToVni.set(vlan, vni);
  const vlans = new VlanTranslations();
  for (const [from, to] of o.vlans ?? []) vlans.pairs.set(from, to);
  return { bridge: name, tunnels, vlans };
}

const NEUTRON = [
  bridge('br-int', { vlans: [[100, 1]] }),
  bridge('br-tun', { vniToVlan: [[1001, 1]], vlanToVni: [[1, 1001], [2, 1002]] }),
  bridge('br-ex', { vlans: [[2, 200]] }),
];

describe('SegmentTenancy', () => {
  it('VNI -> network through br-tun and the br-int ports (outbound flows fill in missing inbound ones)', () => {
    const s = new SegmentTenancy(() => PORTS);
    expect(s.update(NEUTRON)).toBe(true);
    expect(s.networkByVni(1001)).toEqual(A);
    expect(s.networkByVni(1002)).toEqual(B);
    expect(s.networkByVni(1003)).toBeUndefined();
  });

  it('provider VLANs: br-int rewrites provider -> local, the physical bridge local -> provider', () => {
    const s = new SegmentTenancy(() => PORTS);
    s.update(NEUTRON);
    expect(s.networkByProviderVlan(100)).toEqual(A);
    expect(s.networkByProviderVlan(200)).toEqual(B);
    expect(s.networkByProviderVlan(1)).toBeUndefined();
    expect(s.segments().map((x) => [x.type, x.segmentationId, x.localVlan, x.network.networkId])).toEqual([
      ['tunnel', 1001, 1, 'net-a'],
      ['tunnel', 1002, 2, 'net-b'],
      ['vlan', 100, 1, 'net-a'],
      ['vlan', 200, 2, 'net-b'],
    ]);
  });

  it('a local VLAN no port claims maps nothing; ports added later are picked up', () => {
    let ports: InterfaceState[] = PORTS.slice(0, 1);
    const s = new SegmentTenancy(() => ports);
    s.update(NEUTRON);
    expect(s.networkByVni(1002)).toBeUndefined();
    ports = PORTS;
    expect(s.networkByVni(1002)).toEqual(B);
  });

  it('update() says whether the maps changed', () => {
    const s = new SegmentTenancy(() => PORTS);
    expect(s.update(NEUTRON)).toBe(true);
    expect(s.update(NEUTRON)).toBe(false);
    expect(s.update([bridge('br-tun', { vniToVlan: [[1001, 2]] })])).toBe(true);
    expect(s.networkByVni(1001)).toEqual(B);
    expect(s.update([])).toBe(true);
    expect(s.segments()).toEqual([]);
  });

  it('plugged into flow enrichment: records with a VNI or a provider VLAN get their network', () => {
    const segments = new SegmentTenancy(() => PORTS);
    const enricher = new FlowEnricher({ interfaces: () => PORTS, networks: () => segments.networkFacts(), maxPortNames: 10 });
    const tunnelled = record({ tunnel_id: 1002, in_if: 0, out_if: 0 });
    enricher.enrich(tunnelled);
    expect(tunnelled.network_id).toBe('unknown');

    // What DatapathPoller does after a poll whose flows changed the map (onSegmentsChange).
    if (segments.update(NEUTRON)) enricher.invalidate();
    enricher.enrich(tunnelled);
    expect([tunnelled.network_id, tunnelled.project_id]).toEqual(['net-b', 'proj-b']);
    const provider = record({ vlan_id: 200, in_if: 0, out_if: 0 });
    enricher.enrich(provider);
    expect([provider.network_id, provider.project_id]).toEqual(['net-b', 'proj-b']);
  });
});
