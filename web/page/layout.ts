/**
 * The topology document as graph elements with fixed positions (cytoscape's "preset" layout):
 * one column per bridge (integration bridges first, then the others in patch order), inside it
 * the bridge's infrastructure ports (patch, tunnel, internal) on top and one box per tenant
 * network holding its ports in a grid, and the tunnels' remote hosts in a last column.
 * Computed here rather than by a force-directed layout: it costs O(ports) and reads the same
 * on every refresh, with 5 ports or 500. Bridges and networks are boxes sized here and drawn
 * under their ports, not cytoscape compound nodes: with 500 ports, compound nodes (whose bounds
 * cytoscape keeps recomputing from their children) took the first drawing from ~0.4 s to over
 * 1 s (bench/topology.ts). Pure (no DOM): unit-tested in Node.
 */
import type { Throttle, Topology, TopologyNetwork, TopologyPort } from '../../collector/topology/types.js';

export interface GraphNode {
  readonly group: 'nodes';
  readonly data: {
    readonly id: string;
    /** Ports: the id of their network's box, and their bridge. */
    readonly group?: string;
    readonly bridge?: string;
    readonly label: string;
    /** bridge | network | port | remote */
    readonly role: string;
    /** Boxes (bridges, networks): their size. */
    readonly width?: number;
    readonly height?: number;
    readonly kind?: string;
    readonly color?: string;
    /** The port's interface name (what /api/explain takes). */
    readonly port?: string;
  };
  readonly position?: { readonly x: number; readonly y: number };
  readonly classes: string;
}

export interface GraphEdge {
  readonly group: 'edges';
  readonly data: { readonly id: string; readonly source: string; readonly target: string; readonly label: string };
  readonly classes: string;
}

export type GraphElement = GraphNode | GraphEdge;

/** Colour-blind-safe palette (Okabe-Ito, then Tol's muted); networks past its end reuse it. */
export const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#882255', '#44aa99', '#999933', '#332288'];

const CELL = 110;
const ROW = 60;
const GROUP_GAP = 70;
const BRIDGE_GAP = 110;

export const bridgeId = (name: string): string => `b:${name}`;
export const portId = (p: TopologyPort): string => `p:${p.id}`;
const networkNodeId = (bridge: string, network: string): string => `n:${bridge}:${network}`;
const remoteId = (ip: string): string => `r:${ip}`;

export function networkLabel(n: TopologyNetwork): string {
  const parts = [n.name ?? n.id];
  if (n.segmentationId !== null) parts.push(`${n.networkType === 'vlan' ? 'VLAN' : 'VNI'} ${n.segmentationId}`);
  if (n.localVlans.length > 0) parts.push(`local VLAN ${n.localVlans.join(',')}`);
  return parts.join(' · ');
}

/** Network id → colour, stable for a given set of networks (the document lists them sorted). */
export function networkColors(topology: Topology): Map<string, string> {
  return new Map(topology.networks.map((n, i) => [n.id, PALETTE[i % PALETTE.length]]));
}

/** Integration bridges first, then bridges reachable over patch ports, then the rest, each by name. */
function bridgeOrder(topology: Topology): string[] {
  const neighbours = new Map<string, string[]>();
  for (const p of topology.ports) {
    if (p.kind !== 'patch' || p.peerBridge === null) continue;
    const list = neighbours.get(p.bridge) ?? [];
    list.push(p.peerBridge);
    neighbours.set(p.bridge, list);
  }
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    order.push(name);
    for (const next of [...(neighbours.get(name) ?? [])].sort()) visit(next);
  };
  for (const b of topology.bridges) if (b.integration) visit(b.name);
  for (const b of topology.bridges) visit(b.name);
  return order;
}

export function formatBits(bitsPerSecond: number): string {
  const units = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s'];
  let v = bitsPerSecond;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v >= 100 || u === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

/** A limit's rate as the page shows it: bit/s, packets/s, or how it is applied when it has no rate. */
export function limitText(t: Throttle): string {
  if (t.maxBitsPerSecond !== null) return formatBits(t.maxBitsPerSecond);
  if (t.maxPacketsPerSecond !== null) return `${t.maxPacketsPerSecond} pkt/s`;
  return t.mechanism || 'no rate';
}

/** Label and state classes of a port: what a refresh updates without moving anything. */
export function portAppearance(p: TopologyPort): { label: string; classes: string } {
  const lines = [p.name];
  const classes: string[] = [p.kind];
  if (p.rates !== null) lines.push(`↓${formatBits(p.rates.rxBitsPerSecond)} ↑${formatBits(p.rates.txBitsPerSecond)}`);
  if (p.kind === 'tunnel' && p.remoteIp !== null) lines.push(`→ ${p.remoteIp}`);
  if (p.rates !== null && p.rates.rxDroppedPerSecond + p.rates.txDroppedPerSecond > 0) classes.push('dropping');
  else if (p.rxDropped + p.txDropped > 0) classes.push('dropped');
  for (const t of p.throttles) {
    classes.push('throttled');
    if (t.owner === 'enforcer') classes.push('enforced');
    lines.push(`⛔ ${t.kind} ${t.direction === 'egress' ? '↑' : '↓'}${limitText(t)}${t.owner === 'enforcer' ? ' (enforcer)' : ''}`);
  }
  if (p.linkUp === false) classes.push('down');
  return { label: lines.join('\n'), classes: [...new Set(classes)].join(' ') };
}

/** Columns for a grid of n cells, about three times wider than tall. */
const columnsFor = (n: number): number => Math.max(1, Math.ceil(Math.sqrt(n * 3)));

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

const EMPTY_BOX: Box = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };

function grow(box: Box, other: Box, pad: number): void {
  box.x0 = Math.min(box.x0, other.x0 - pad);
  box.y0 = Math.min(box.y0, other.y0 - pad);
  box.x1 = Math.max(box.x1, other.x1 + pad);
  box.y1 = Math.max(box.y1, other.y1 + pad);
}

/** A group's background: a plain node drawn under its ports (see the module comment on why not a compound node). */
function boxNode(id: string, role: 'bridge' | 'network', label: string, box: Box, color?: string): GraphNode {
  return {
    group: 'nodes',
    data: { id, label, role, color, width: box.x1 - box.x0, height: box.y1 - box.y0 },
    position: { x: (box.x0 + box.x1) / 2, y: (box.y0 + box.y1) / 2 },
    classes: role,
  };
}

/** Lays out `ports` in a grid from (x, y); returns the cells' extent with room for the labels. */
function placeGrid(ports: readonly TopologyPort[], x: number, y: number, cell: number, place: (p: TopologyPort, x: number, y: number) => void): Box {
  const columns = columnsFor(ports.length);
  ports.forEach((p, i) => place(p, x + (i % columns) * cell, y + Math.floor(i / columns) * ROW));
  const rows = Math.ceil(ports.length / columns);
  return { x0: x - cell / 2, y0: y - 20, x1: x + (Math.min(columns, ports.length) - 1) * cell + cell / 2, y1: y + (rows - 1) * ROW + 40 };
}

export function layoutTopology(topology: Topology): GraphElement[] {
  const colors = networkColors(topology);
  const byBridge = new Map<string, TopologyPort[]>();
  for (const p of topology.ports) {
    const list = byBridge.get(p.bridge) ?? [];
    list.push(p);
    byBridge.set(p.bridge, list);
  }
  const bridgeBoxes: GraphNode[] = [];
  const networkBoxes: GraphNode[] = [];
  const elements: GraphElement[] = [];
  const byName = new Map<string, TopologyPort>();
  for (const p of topology.ports) byName.set(`${p.bridge}\u0000${p.name}`, p);
  let x = 0;
  const remotes = new Map<string, TopologyPort[]>();
  for (const bridge of bridgeOrder(topology)) {
    const ports = byBridge.get(bridge) ?? [];
    const infra = ports.filter((p) => p.networkId === null);
    const grouped = new Map<string, TopologyPort[]>();
    for (const p of ports) {
      if (p.networkId === null) continue;
      const list = grouped.get(p.networkId) ?? [];
      list.push(p);
      grouped.set(p.networkId, list);
    }
    const bridgeBox: Box = { ...EMPTY_BOX, x0: x - CELL / 2, y0: -40, x1: x + CELL / 2, y1: 40 };
    let y = 0;
    if (infra.length > 0) {
      const extent = placeGrid(infra, x, y, CELL * 1.6, (p, px, py) => elements.push(portNode(p, null, undefined, px, py)));
      for (const p of infra) if (p.kind === 'tunnel' && p.remoteIp !== null) remotes.set(p.remoteIp, [...(remotes.get(p.remoteIp) ?? []), p]);
      grow(bridgeBox, extent, 20);
      y = extent.y1 + GROUP_GAP;
    }
    for (const n of topology.networks) {
      const members = grouped.get(n.id);
      if (members === undefined) continue;
      const group = networkNodeId(bridge, n.id);
      const color = colors.get(n.id);
      const extent = placeGrid(members, x, y, CELL, (p, px, py) => elements.push(portNode(p, group, color, px, py)));
      networkBoxes.push(boxNode(group, 'network', networkLabel(n), extent, color));
      grow(bridgeBox, extent, 30);
      y = extent.y1 + GROUP_GAP;
    }
    bridgeBoxes.push(boxNode(bridgeId(bridge), 'bridge', bridge, bridgeBox));
    x = bridgeBox.x1 + BRIDGE_GAP + CELL / 2;
  }
  let ry = 0;
  for (const [ip, tunnels] of remotes) {
    elements.push({ group: 'nodes', data: { id: remoteId(ip), label: `remote ${ip}`, role: 'remote' }, position: { x, y: ry }, classes: 'remote' });
    ry += ROW * 1.5;
    for (const t of tunnels) {
      elements.push({ group: 'edges', data: { id: `t:${t.id}:${ip}`, source: portId(t), target: remoteId(ip), label: t.tunnelKey === null ? t.type : `${t.type} key=${t.tunnelKey}` }, classes: 'tunnel' });
    }
  }
  for (const p of topology.ports) {
    if (p.kind !== 'patch' || p.peer === null || p.peerBridge === null) continue;
    const peer = byName.get(`${p.peerBridge}\u0000${p.peer}`);
    // One edge per pair: from the side whose id sorts first.
    if (peer === undefined || peer.id < p.id) continue;
    elements.push({ group: 'edges', data: { id: `l:${p.id}`, source: portId(p), target: portId(peer), label: 'patch' }, classes: 'patch' });
  }
  // Boxes first: they are drawn under the ports and links.
  return [...bridgeBoxes, ...networkBoxes, ...elements];
}

function portNode(p: TopologyPort, group: string | null, color: string | undefined, x: number, y: number): GraphNode {
  const { label, classes } = portAppearance(p);
  return {
    group: 'nodes',
    data: { id: portId(p), group: group ?? undefined, bridge: p.bridge, label, role: 'port', kind: p.kind, color: color ?? '#888', port: p.name },
    position: { x, y },
    classes: `port ${classes}`,
  };
}
