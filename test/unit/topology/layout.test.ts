import { describe, expect, it } from 'vitest';
import type { Topology, TopologyPort } from '../../../collector/topology/types.js';
import { formatBits, layoutTopology, portAppearance, type GraphEdge, type GraphNode } from '../../../web/page/layout.js';

function port(over: Partial<TopologyPort> & Pick<TopologyPort, 'id' | 'name' | 'bridge' | 'kind'>): TopologyPort {
  return {
    port: over.name, type: '', ofport: 1, mac: '', linkUp: true, localVlan: null, networkId: null, neutronPortId: null, projectId: null,
    vmUuid: null, peer: null, peerBridge: null, remoteIp: null, localIp: null, tunnelKey: null, rxDropped: 0, txDropped: 0, rates: null, throttles: [],
    ...over,
  };
}

function topology(vmsPerNetwork: number): Topology {
  const networks = ['net-a', 'net-b', 'net-c'].map((id, i) => ({
    id, name: `${id}-name`, projectId: `proj-${i}`, networkType: 'vxlan', segmentationId: 1001 + i, physicalNetwork: null, localVlans: [i + 1], ports: vmsPerNetwork,
  }));
  const ports: TopologyPort[] = [
    // br-tun sorts first by name but comes after the integration bridge it is patched to.
    port({ id: 'a-tun', name: 'patch-int', bridge: 'br-tun', kind: 'patch', peer: 'patch-tun', peerBridge: 'br-int' }),
    port({ id: 'z-int', name: 'patch-tun', bridge: 'br-int', kind: 'patch', peer: 'patch-int', peerBridge: 'br-tun' }),
    port({ id: 'vx1', name: 'vxlan-1', bridge: 'br-tun', kind: 'tunnel', remoteIp: '172.31.255.2', tunnelKey: 'flow' }),
    port({ id: 'vx2', name: 'vxlan-2', bridge: 'br-tun', kind: 'tunnel', remoteIp: '172.31.255.3', tunnelKey: 'flow' }),
  ];
  for (const [n, net] of networks.entries()) {
    for (let i = 0; i < vmsPerNetwork; i++) {
      ports.push(port({ id: `vm-${n}-${i}`, name: `tap${n}-${i}`, bridge: 'br-int', kind: 'vm', networkId: net.id, localVlan: n + 1 }));
    }
  }
  return {
    generatedAtMs: 0, connected: true, host: { systemId: 'h', ovsVersion: '3.1.0' },
    bridges: [{ name: 'br-a-tun', datapathType: 'netdev', integration: false }, { name: 'br-int', datapathType: 'netdev', integration: true }, { name: 'br-tun', datapathType: 'netdev', integration: false }],
    networks,
    ports,
  };
}

const nodes = (els: ReturnType<typeof layoutTopology>): GraphNode[] => els.filter((e): e is GraphNode => e.group === 'nodes');
const edges = (els: ReturnType<typeof layoutTopology>): GraphEdge[] => els.filter((e): e is GraphEdge => e.group === 'edges');

describe('layoutTopology', () => {
  it('puts VM ports in one box per network inside their bridge\'s box, coloured by network', () => {
    const els = layoutTopology(topology(3));
    const byId = new Map(nodes(els).map((n) => [n.data.id, n]));
    const inside = (inner: GraphNode, outer: GraphNode): boolean => {
      const [p, o, w, h] = [inner.position!, outer.position!, outer.data.width!, outer.data.height!];
      const [iw, ih] = [inner.data.width ?? 0, inner.data.height ?? 0];
      return p.x - iw / 2 >= o.x - w / 2 && p.x + iw / 2 <= o.x + w / 2 && p.y - ih / 2 >= o.y - h / 2 && p.y + ih / 2 <= o.y + h / 2;
    };
    const vm = byId.get('p:vm-1-2')!;
    const net = byId.get('n:br-int:net-b')!;
    expect(vm.data).toMatchObject({ group: 'n:br-int:net-b', bridge: 'br-int', port: 'tap1-2' });
    expect(net.data).toMatchObject({ label: 'net-b-name · VNI 1002 · local VLAN 2', role: 'network' });
    expect(inside(vm, net)).toBe(true);
    expect(inside(vm, byId.get('n:br-int:net-a')!)).toBe(false);
    expect(inside(net, byId.get('b:br-int')!)).toBe(true);
    expect(inside(byId.get('p:vx1')!, byId.get('b:br-tun')!)).toBe(true);
    expect(inside(byId.get('p:vx1')!, byId.get('b:br-int')!)).toBe(false);
    expect(vm.data.color).toBe(net.data.color);
    expect(byId.get('p:vm-0-0')?.data.color).not.toBe(vm.data.color);
  });

  it('draws one edge per patch pair and one per tunnel to its remote host', () => {
    const els = layoutTopology(topology(1));
    expect(edges(els).map((e) => [e.data.source, e.data.target, e.classes])).toEqual([
      ['p:vx1', 'r:172.31.255.2', 'tunnel'],
      ['p:vx2', 'r:172.31.255.3', 'tunnel'],
      ['p:a-tun', 'p:z-int', 'patch'],
    ]);
    expect(nodes(els).filter((n) => n.data.role === 'remote').map((n) => n.data.label)).toEqual(['remote 172.31.255.2', 'remote 172.31.255.3']);
  });

  it('orders bridges integration first, then along patches, and never overlaps 500 ports', () => {
    const els = layoutTopology(topology(170));
    const ports = nodes(els).filter((n) => n.data.role === 'port');
    expect(ports).toHaveLength(514);
    const positions = new Set(ports.map((n) => `${n.position?.x},${n.position?.y}`));
    expect(positions.size).toBe(ports.length);
    const x = (id: string): number => nodes(els).find((n) => n.data.id === id)?.position?.x ?? NaN;
    expect(x('p:vm-0-0')).toBeLessThan(x('p:vx1'));
    expect(x('p:vx1')).toBeLessThan(x('r:172.31.255.2'));
    expect(nodes(els).filter((n) => n.data.role === 'bridge').map((n) => n.data.id)).toEqual(['b:br-int', 'b:br-tun', 'b:br-a-tun']);
  });

  it('labels rates, drops and limits, and classes them for the style', () => {
    const rates = { rxBitsPerSecond: 1_234_000, txBitsPerSecond: 12, rxPacketsPerSecond: 1, txPacketsPerSecond: 1, rxDroppedPerSecond: 0, txDroppedPerSecond: 2, intervalSeconds: 5 };
    const p = port({ id: 'x', name: 'tapx', bridge: 'br-int', kind: 'vm', rates, throttles: [
      { kind: 'policing', owner: 'enforcer', direction: 'egress', maxBitsPerSecond: 10_000_000, maxPacketsPerSecond: null, mechanism: '' },
      { kind: 'meter', owner: 'other', direction: 'ingress', maxBitsPerSecond: null, maxPacketsPerSecond: 2000, mechanism: 'meter 3' },
    ] });
    expect(portAppearance(p)).toEqual({ label: 'tapx\n↓1.2 Mbit/s ↑12 bit/s\n⛔ policing ↑10.0 Mbit/s (enforcer)\n⛔ meter ↓2000 pkt/s', classes: 'vm dropping throttled enforced' });
    expect(portAppearance(port({ id: 'y', name: 'tapy', bridge: 'br-int', kind: 'vm', rxDropped: 3, linkUp: false })).classes).toBe('vm dropped down');
    expect(formatBits(999)).toBe('999 bit/s');
    expect(formatBits(150_000_000)).toBe('150 Mbit/s');
  });
});
