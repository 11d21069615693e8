/**
 * The topology page at `/`: draws /api/topology with cytoscape, refreshes rates, drops and
 * throttles every POLL_MS without moving anything, redraws when the structure changes, and shows
 * a clicked port's details and its `explain` (/api/explain). Strings from OVSDB reach the DOM
 * only through textContent, and the canvas labels are not HTML.
 */
import cytoscape from 'cytoscape';
import type { Topology, TopologyPort } from '../../collector/topology/types.js';
import { formatBits, layoutTopology, limitText, networkColors, networkLabel, portAppearance, portId } from './layout.js';
import { GRAPH_STYLE } from './style.js';

const POLL_MS = 2000;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`page element #${id} missing`);
  return found as T;
}

const graph = element<HTMLDivElement>('graph');
const statusLine = element<HTMLParagraphElement>('status');
const legend = element<HTMLUListElement>('legend');
const details = element<HTMLDListElement>('details');
const explainBox = element<HTMLPreElement>('explain');

let cy: cytoscape.Core | null = null;
let structureKey = '';
let current: Topology | null = null;
let selected: string | null = null;

/** What forces a redraw: the set of bridges, networks, ports and tunnel endpoints. */
function structureOf(t: Topology): string {
  const parts = [
    ...t.bridges.map((b) => `b${b.name}`),
    ...t.networks.map((n) => `n${n.id}\u0001${networkLabel(n)}`),
    ...t.ports.map((p) => `p${p.id}\u0001${p.bridge}\u0001${p.networkId ?? ''}\u0001${p.peer ?? ''}\u0001${p.remoteIp ?? ''}`),
  ];
  return parts.join('\u0000');
}

function isTopology(value: unknown): value is Topology {
  if (typeof value !== 'object' || value === null) return false;
  const t = value as Partial<Topology>;
  return Array.isArray(t.bridges) && Array.isArray(t.networks) && Array.isArray(t.ports) && typeof t.host === 'object';
}

function text(tag: string, content: string, className?: string): HTMLElement {
  const el = document.createElement(tag);
  el.textContent = content;
  if (className !== undefined) el.className = className;
  return el;
}

function renderLegend(t: Topology): void {
  const colors = networkColors(t);
  legend.replaceChildren(
    ...t.networks.map((n) => {
      const li = document.createElement('li');
      const swatch = text('span', '', 'swatch');
      swatch.style.backgroundColor = colors.get(n.id) ?? '#888';
      li.append(swatch, text('span', `${networkLabel(n)} — project ${n.projectId}, ${n.ports} port${n.ports === 1 ? '' : 's'}`));
      return li;
    }),
  );
}

function renderStatus(t: Topology, note = ''): void {
  const when = new Date(t.generatedAtMs).toLocaleTimeString();
  const ovs = t.connected ? `connected to OVSDB${t.host.ovsVersion ? `, OVS ${t.host.ovsVersion}` : ''}` : 'not connected to OVSDB (last known state)';
  statusLine.textContent = `${ovs} · system-id ${t.host.systemId || '—'} · ${t.bridges.length} bridges, ${t.ports.length} ports · ${when}${note}`;
  statusLine.className = t.connected ? 'ok' : 'bad';
}

function row(name: string, value: string): HTMLElement[] {
  return [text('dt', name), text('dd', value)];
}

function renderDetails(p: TopologyPort): void {
  const rows: HTMLElement[] = [
    ...row('Interface', `${p.name} (${p.type}) on ${p.bridge}, ofport ${p.ofport ?? '—'}`),
    ...row('MAC', p.mac || '—'),
  ];
  if (p.localVlan !== null) rows.push(...row('Local VLAN', String(p.localVlan)));
  if (p.networkId !== null) rows.push(...row('Network', p.networkId), ...row('Project', p.projectId ?? '—'));
  if (p.neutronPortId !== null) rows.push(...row('Neutron port', p.neutronPortId));
  if (p.vmUuid !== null) rows.push(...row('VM', p.vmUuid));
  if (p.peer !== null) rows.push(...row('Patch peer', `${p.peer}${p.peerBridge === null ? '' : ` on ${p.peerBridge}`}`));
  if (p.remoteIp !== null) rows.push(...row('Tunnel', `${p.localIp ?? '?'} → ${p.remoteIp}, key ${p.tunnelKey ?? '—'}`));
  if (p.rates !== null) {
    const r = p.rates;
    rows.push(
      ...row('Receive', `${formatBits(r.rxBitsPerSecond)}, ${r.rxPacketsPerSecond.toFixed(0)} pkt/s, ${r.rxDroppedPerSecond.toFixed(0)} drops/s`),
      ...row('Transmit', `${formatBits(r.txBitsPerSecond)}, ${r.txPacketsPerSecond.toFixed(0)} pkt/s, ${r.txDroppedPerSecond.toFixed(0)} drops/s`),
    );
  }
  rows.push(...row('Dropped (total)', `rx ${p.rxDropped}, tx ${p.txDropped}`));
  for (const t of p.throttles) {
    const how = t.mechanism !== '' && limitText(t) !== t.mechanism ? ` ${t.mechanism}` : '';
    rows.push(...row(`Limit (${t.kind}, ${t.direction})`, `${limitText(t)}${how}, set by ${t.owner}`));
  }
  details.replaceChildren(...rows);
}

async function showExplain(p: TopologyPort): Promise<void> {
  explainBox.textContent = `explaining ${p.name}…`;
  try {
    const res = await fetch(`/api/explain?port=${encodeURIComponent(p.name)}&format=text`);
    const body = await res.text();
    if (selected !== p.id) return;
    explainBox.textContent = res.ok ? body : `explain: HTTP ${res.status} ${body}`;
  } catch (err) {
    if (selected === p.id) explainBox.textContent = `explain failed: ${String(err)}`;
  }
}

function select(id: string): void {
  const p = current?.ports.find((q) => q.id === id);
  if (p === undefined) return;
  selected = id;
  renderDetails(p);
  void showExplain(p);
}

function draw(t: Topology): void {
  const elements = layoutTopology(t);
  if (cy === null) {
    cy = cytoscape({
      container: graph,
      elements: elements as cytoscape.ElementDefinition[],
      layout: { name: 'preset' },
      style: GRAPH_STYLE,
      minZoom: 0.05,
      maxZoom: 3,
      // Boxes are drawn under their ports, not attached to them: dragging would only tear the picture apart.
      autoungrabify: true,
    });
    // For the browser test and for poking at the graph from the console.
    (window as Window & { topologyGraph?: cytoscape.Core }).topologyGraph = cy;
    cy.on('tap', 'node.port', (event) => select(String(event.target.data('id')).slice(2)));
    // The test and the bench read these: first drawing done, and how long it took.
    requestAnimationFrame(() => {
      document.documentElement.dataset.renderMs = performance.now().toFixed(0);
      document.documentElement.dataset.state = 'ready';
    });
  } else {
    cy.elements().remove();
    cy.add(elements as cytoscape.ElementDefinition[]);
  }
  cy.fit(undefined, 30);
}

function refresh(t: Topology): void {
  const graphRef = cy;
  if (graphRef === null) return;
  graphRef.batch(() => {
    for (const p of t.ports) {
      const node = graphRef.getElementById(portId(p));
      const { label, classes } = portAppearance(p);
      if (node.data('label') !== label) node.data('label', label);
      node.classes(`port ${classes}`);
    }
  });
}

async function poll(): Promise<void> {
  try {
    const res = await fetch('/api/topology', { cache: 'no-store' });
    const body: unknown = res.ok ? await res.json() : null;
    if (!isTopology(body)) throw new Error(`HTTP ${res.status}`);
    current = body;
    const key = structureOf(body);
    if (key !== structureKey) {
      structureKey = key;
      draw(body);
      renderLegend(body);
    } else {
      refresh(body);
    }
    renderStatus(body);
    const p = selected === null ? undefined : body.ports.find((q) => q.id === selected);
    if (p !== undefined) renderDetails(p);
    document.documentElement.dataset.updates = String(Number(document.documentElement.dataset.updates ?? '0') + 1);
  } catch (err) {
    if (current !== null) renderStatus(current, ` · refresh failed: ${String(err)}`);
    else statusLine.textContent = `cannot load /api/topology: ${String(err)}`;
  } finally {
    setTimeout(() => void poll(), POLL_MS);
  }
}

void poll();
