/**
 * The topology page in a real headless Chromium (Debian's, driven by playwright-core) against
 * `ovs-telemetry collect` run from source on the lab: every bridge and every VM port of this host
 * drawn, in its network's group and colour; rates that change after `lab traffic`; a limit the
 * enforcer owns marked; clicking a port shows its explain; no console errors. A screenshot goes to
 * test-artifacts/topology-lab.png (docs/topology-page.png is a copy of one), the explain text
 * beside it.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Topology } from '../../collector/topology/types.js';
import { portAppearance } from '../../web/page/layout.js';
import { runTraffic, type LabState, type TrafficReport } from '../../lab/index.js';
import { launchChromium, type HeadlessChromium } from '../helpers/chromium.js';
import { startCli } from '../helpers/cli.js';
import { freeTcpPort } from '../helpers/ovsdb-server.js';
import { startTestLab, type TestLab } from '../helpers/test-lab.js';

const run = promisify(execFile);
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts', import.meta.url));

/** What the test reads off the drawn graph (cytoscape, exposed by the page as window.topologyGraph). */
interface DrawnNode {
  readonly id: string;
  readonly role: string;
  readonly label: string;
  /** A port's network box, or null. */
  readonly group: string | null;
  readonly bridge: string | null;
  readonly port: string | null;
  readonly color: string | null;
  readonly classes: readonly string[];
  readonly x: number;
  readonly y: number;
}

function drawnNodes(page: Page): Promise<DrawnNode[]> {
  return page.evaluate(() => {
    interface Node {
      id(): string;
      data(key: string): unknown;
      classes(): string[];
      renderedPosition(): { x: number; y: number };
    }
    const graph = (globalThis as unknown as { topologyGraph: { nodes(): Node[] } }).topologyGraph;
    return graph.nodes().map((n) => ({
      id: n.id(),
      role: String(n.data('role')),
      label: String(n.data('label')),
      group: (n.data('group') as string | undefined) ?? null,
      bridge: (n.data('bridge') as string | undefined) ?? null,
      port: (n.data('port') as string | undefined) ?? null,
      color: (n.data('color') as string | undefined) ?? null,
      classes: n.classes(),
      x: n.renderedPosition().x,
      y: n.renderedPosition().y,
    }));
  });
}

async function waitForNodes(page: Page, ok: (nodes: DrawnNode[]) => boolean, timeoutMs: number): Promise<DrawnNode[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const nodes = await drawnNodes(page);
    if (ok(nodes)) return nodes;
    if (Date.now() > deadline) throw new Error(`the page did not show what was expected within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** "tapx\n↓1.2 Mbit/s ↑0 bit/s…" → received bit/s (what OVS got from the VM), null without rates. */
function receivedRate(label: string): number | null {
  const m = /↓([\d.]+) (bit|kbit|Mbit|Gbit|Tbit)\/s/.exec(label);
  if (m === null) return null;
  return Number(m[1]) * { bit: 1, kbit: 1e3, Mbit: 1e6, Gbit: 1e9, Tbit: 1e12 }[m[2] as 'bit'];
}

describe('topology page in Chromium on the lab', () => {
  let testLab: TestLab | undefined;
  let lab: LabState;
  let collector: ChildProcess | undefined;
  let url: string;
  let chromium: HeadlessChromium | undefined;
  let page: Page;
  let errors: string[];
  const vsctl = (...args: string[]) => run('ovs-vsctl', [`--db=${lab.ovsdb}`, ...args]);
  const localVms = () => lab.vms.filter((vm) => vm.host === lab.hosts[0].name);
  const topology = async (): Promise<Topology> => (await (await fetch(`${url}/api/topology`)).json()) as Topology;

  beforeAll(async () => {
    testLab = await startTestLab('topology', { prefix: 'otp' });
    lab = testLab.lab;
    // The CLI from source, as a user runs it: no config, so it finds the lab (and its tenancy).
    const port = await freeTcpPort();
    url = `http://127.0.0.1:${port}`;
    collector = startCli(['collect', '--listen', `127.0.0.1:${port}`, '--no-sflow', '--no-ipfix', '--no-netflow', '--log-level', 'warn']).child;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const doc = await topology().catch(() => null);
      if (doc?.connected && localVms().every((vm) => doc.ports.some((p) => p.name === vm.interface))) break;
      if (Date.now() > deadline) throw new Error('the collector did not show the lab within 60 s');
      await new Promise((r) => setTimeout(r, 250));
    }
    chromium = await launchChromium();
    ({ page, errors } = await chromium.newPage({ width: 1600, height: 1000 }));
    await page.goto(`${url}/`);
    await page.waitForSelector('html[data-state="ready"]', { timeout: 60_000 });
  }, 300_000);

  afterAll(async () => {
    await chromium?.close();
    if (collector?.pid !== undefined) {
      try {
        process.kill(-collector.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await testLab?.stop();
  }, 120_000);

  it('draws the lab\'s bridges and every VM port inside its network\'s group, in its colour', async () => {
    const host = lab.hosts[0];
    const nodes = await waitForNodes(page, (ns) => localVms().every((vm) => ns.some((n) => n.port === vm.interface)), 10_000);
    expect(nodes.filter((n) => n.role === 'bridge').map((n) => n.label).sort()).toEqual([...host.bridges].sort());
    const colorOf = new Map<string, string>();
    for (const vm of localVms()) {
      const node = nodes.find((n) => n.port === vm.interface)!;
      expect(node.group).toBe(`n:br-int:${vm.network_id}`);
      expect(node.bridge).toBe('br-int');
      expect(node.classes).toContain('vm');
      const group = nodes.find((n) => n.id === node.group)!;
      expect(group.label).toContain(vm.network_name);
      expect(group.label).toContain(`VNI ${vm.vni}`);
      expect(group.label).toContain(`local VLAN ${vm.vlan}`);
      expect(node.color).toBe(group.color);
      colorOf.set(vm.network_id, node.color!);
    }
    // Two networks, two colours (they share 10.0.0.0/24: the page never groups by address).
    expect(new Set(colorOf.values()).size).toBe(new Set(localVms().map((vm) => vm.network_id)).size);
    // The tunnel to compute-2 and its remote end, the patch between br-int and br-tun.
    const remote = lab.hosts[1].tunnel_ip;
    expect(nodes.some((n) => n.role === 'remote' && n.label === `remote ${remote}`)).toBe(true);
    expect(nodes.filter((n) => n.classes.includes('patch') && (n.bridge === 'br-int' || n.bridge === 'br-tun')).length).toBeGreaterThanOrEqual(2);
    const legend = await page.textContent('#legend');
    for (const network of lab.networks) expect(legend).toContain(network.name);
  });

  it('rates on the page change after lab traffic and match /api/topology', async () => {
    const vms = new Map(localVms().map((vm) => [vm.name, vm]));
    const updates = async () => Number(await page.getAttribute('html', 'data-updates'));
    const updatesBefore = await updates();
    const report: TrafficReport = await runTraffic(lab, { seconds: 3 });
    const senders = [...new Set(report.flows.filter((f) => (f.kind === 'tcp' || f.kind === 'udp') && vms.has(f.src_vm) && f.bytes > 0).map((f) => vms.get(f.src_vm)!.interface))];
    expect(senders.length).toBeGreaterThan(0);
    // ovs-vswitchd writes statistics every 5 s; the page polls every 2 s.
    await waitForNodes(page, (ns) => senders.every((s) => (receivedRate(ns.find((n) => n.port === s)?.label ?? '') ?? 0) > 0), 20_000);
    // The page shows what /api/topology says (the same label from the same figures); a refresh
    // can fall between the two reads, so compare a few times.
    let same = false;
    for (let i = 0; i < 10 && !same; i++) {
      const doc = await topology();
      const nodes = await drawnNodes(page);
      same = senders.every((s) => {
        const port = doc.ports.find((p) => p.name === s)!;
        return port.rates !== null && port.rates.rxPacketsPerSecond > 0 && nodes.find((n) => n.port === s)?.label === portAppearance(port).label;
      });
      if (!same) await new Promise((r) => setTimeout(r, 700));
    }
    expect(same).toBe(true);
    // It refreshed by itself meanwhile (every 2 s).
    await expect.poll(updates, { timeout: 10_000 }).toBeGreaterThan(updatesBefore + 1);
  }, 120_000);

  it('marks a limit the enforcer owns', async () => {
    const vm = localVms()[0];
    await vsctl('set', 'Interface', vm.interface, 'ingress_policing_rate=10000', `external_ids:"ovs-telemetry:policing-owner"=enforcer`);
    try {
      const nodes = await waitForNodes(page, (ns) => ns.find((n) => n.port === vm.interface)?.classes.includes('enforced') === true, 10_000);
      const node = nodes.find((n) => n.port === vm.interface)!;
      expect(node.classes).toContain('throttled');
      expect(node.label).toContain('⛔ policing ↑10.0 Mbit/s (enforcer)');
    } finally {
      await vsctl('set', 'Interface', vm.interface, 'ingress_policing_rate=0', '--', 'remove', 'Interface', vm.interface, 'external_ids', '"ovs-telemetry:policing-owner"');
    }
    await waitForNodes(page, (ns) => ns.find((n) => n.port === vm.interface)?.classes.includes('throttled') === false, 10_000);
  });

  it('marks an OpenFlow meter on a port\'s flows, from the datapath poller\'s flow dump', async () => {
    const vm = localVms()[1];
    const ofport = (await vsctl('get', 'Interface', vm.interface, 'ofport')).stdout.trim();
    const mgmt = `unix:${join(lab.rundir, 'br-int.mgmt')}`;
    const ofctl = (...args: string[]) => run('ovs-ofctl', ['-O', 'OpenFlow13', ...args]);
    // Someone else's meter (not the enforcer's) in a table Neutron's pipeline never reaches.
    await ofctl('add-meter', mgmt, 'meter=4000,pktps,band=type=drop,rate=2000');
    await ofctl('add-flow', mgmt, `table=200,priority=1,in_port=${ofport},actions=meter:4000`);
    try {
      // The poller dumps flows every 10 s.
      const nodes = await waitForNodes(page, (ns) => ns.find((n) => n.port === vm.interface)?.label.includes('⛔ meter') === true, 30_000);
      const node = nodes.find((n) => n.port === vm.interface)!;
      expect(node.label).toContain('⛔ meter ↑2000 pkt/s');
      expect(node.classes).toContain('throttled');
      expect(node.classes).not.toContain('enforced');
      const port = (await topology()).ports.find((p) => p.name === vm.interface)!;
      expect(port.throttles).toContainEqual({ kind: 'meter', owner: 'other', direction: 'egress', maxBitsPerSecond: null, maxPacketsPerSecond: 2000, mechanism: 'meter 4000' });
    } finally {
      await ofctl('del-flows', mgmt, 'table=200');
      await ofctl('del-meter', mgmt, 'meter=4000');
    }
    await waitForNodes(page, (ns) => ns.find((n) => n.port === vm.interface)?.label.includes('⛔ meter') === false, 30_000);
  }, 90_000);

  it('clicking a VM port shows its details and its path through OVS (explain)', async () => {
    const vm = localVms()[0];
    const node = (await drawnNodes(page)).find((n) => n.port === vm.interface)!;
    const box = (await page.locator('#graph').boundingBox())!;
    await page.mouse.click(box.x + node.x, box.y + node.y);
    await expect.poll(() => page.textContent('#details'), { timeout: 10_000 }).toContain(vm.neutron_port_id);
    await expect.poll(() => page.textContent('#explain'), { timeout: 30_000 }).toMatch(/VNI \d+/);
    const explain = (await page.textContent('#explain'))!;
    expect(explain).toContain(vm.interface);
    expect(explain).toContain(`local VLAN ${vm.vlan}`);
    expect(explain).toContain(`VNI ${vm.vni}`);
    expect(explain).toContain(lab.hosts[1].tunnel_ip);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'topology-lab.png') });
    writeFileSync(join(ARTIFACTS, 'topology-explain.txt'), explain);
  }, 60_000);

  it('logged no console errors', () => {
    expect(errors).toEqual([]);
  });
});
