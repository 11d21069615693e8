/**
 * `explain` on the real lab (OVS 3.1 userspace datapath, br-int/br-tun as Neutron wires them,
 * VXLAN to a second host): for every VM port of compute-1, the CLI's `--json` against what
 * `ovs-vsctl` and `ovs-ofctl dump-flows` say at the same moment; QoS set with ovs-vsctl (one row
 * with the enforcer's marker) shows with its owner; an unknown port exits 2; the same through
 * /api/explain on a running collector. compute-1 runs in the root namespace: lab lock.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../common/config.js';
import { silentLogger } from '../../common/log.js';
import { OWNER_KEY, OWNER_VALUE } from '../../common/ownership.js';
import { startCollector, type RunningCollector } from '../../cli/collect.js';
import type { Explanation, PatchStep, TunnelStep } from '../../collector/explain/types.js';
import type { LabState, LabVm } from '../../lab/index.js';
import { cli } from '../helpers/cli.js';
import { startTestLab, type TestLab } from '../helpers/test-lab.js';

const run = promisify(execFile);
const PREFIX = 'oxl';

describe('explain on the lab', () => {
  let testLab: TestLab | undefined;
  let dir: string;
  let lab: LabState;
  let collector: RunningCollector;
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, OVS_TELEMETRY_LAB_DIR: dir });
  const vsctl = async (...args: string[]) => (await run('ovs-vsctl', [`--db=${lab.ovsdb}`, ...args])).stdout.trim();
  const dumpFlows = async (bridge: string) => (await run('ovs-ofctl', ['-O', 'OpenFlow13', 'dump-flows', `unix:${join(lab.rundir, `${bridge}.mgmt`)}`])).stdout;
  const localVms = (): LabVm[] => lab.vms.filter((vm) => vm.host === lab.hosts[0].name);

  async function explainCli(port: string): Promise<Explanation> {
    const result = await cli(['explain', port, '--json', '--interval', '0.5'], env());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout) as Explanation;
  }

  beforeAll(async () => {
    testLab = await startTestLab('explain', { prefix: PREFIX });
    ({ lab, dir } = testLab);
    collector = await startCollector(parseConfig({ web: { listen_address: '127.0.0.1:0' }, sflow: { enabled: false } }, 'test'), silentLogger);
  }, 240_000);

  afterAll(async () => {
    await collector?.stop();
    await testLab?.stop();
  }, 120_000);

  it('for every VM port: local VLAN, VNI, network, project, patch and tunnel ports as ovs-vsctl / ovs-ofctl say', async () => {
    const vms = localVms();
    expect(vms.length).toBeGreaterThanOrEqual(3);
    for (const vm of vms) {
      const [e, tag, brTun, tunnelPorts] = await Promise.all([
        explainCli(vm.neutron_port_id),
        vsctl('get', 'Port', vm.interface, 'tag'),
        dumpFlows('br-tun'),
        vsctl('list-ports', 'br-tun'),
      ]);
      expect(e.matchedBy).toBe('iface-id');
      expect(e.port).toMatchObject({ interface: vm.interface, bridge: 'br-int', mac: vm.mac, ofport: vm.ofport, vmUuid: vm.vm_uuid, neutronPortId: vm.neutron_port_id });
      expect(e.port.localVlan).toBe(Number(tag));
      // br-tun's outbound flow for this VLAN, as ovs-ofctl prints it: dl_vlan=N ... set_field:0xVNI->tun_id
      const line = brTun.split('\n').find((l) => l.includes(`dl_vlan=${tag} `) && l.includes('->tun_id'));
      expect(line).toBeDefined();
      const vni = Number(/set_field:(0x[0-9a-f]+)->tun_id/.exec(line!)![1]);
      expect(vni).toBe(vm.vni);
      expect(e.tenant).toMatchObject({ neutronPortId: vm.neutron_port_id, networkId: vm.network_id, projectId: vm.project_id, segmentationId: vni, segmentationFrom: 'flows', networkType: 'vxlan' });

      const patch = e.path.find((s): s is PatchStep => s.kind === 'patch');
      expect(patch).toEqual({ kind: 'patch', fromBridge: 'br-int', fromPort: 'patch-tun', toBridge: 'br-tun', toPort: await vsctl('get', 'Interface', 'patch-tun', 'options:peer') });
      const tun = e.path.find((s): s is TunnelStep => s.kind === 'tunnel');
      expect(tun).toMatchObject({ bridge: 'br-tun', localVlan: Number(tag), vni, inboundVlan: Number(tag) });
      const expected = [];
      for (const port of tunnelPorts.split('\n')) {
        if ((await vsctl('get', 'Interface', port, 'type')) !== 'vxlan') continue;
        expected.push({ port, remoteIp: JSON.parse(await vsctl('get', 'Interface', port, 'options:remote_ip')) as string });
      }
      expect(expected.length).toBeGreaterThan(0);
      expect(tun!.tunnels.map((t) => ({ port: t.port, remoteIp: t.remoteIp }))).toEqual(expected);
      expect(tun!.tunnels.every((t) => t.carriesThisNetwork)).toBe(true);
      // The anti-spoofing tables are found from the port's own flows; the trace passed its MAC check.
      const int = e.path[0];
      expect(int.kind === 'integration' && int.antiSpoofingTables.length).toBeGreaterThan(0);
      expect(e.trace?.bridges.map((b) => b.bridge)).toContain('br-tun');
      expect(e.rates?.intervalSeconds).toBeGreaterThan(0.4);
      expect(e.warnings).toEqual([]);
    }
  }, 120_000);

  it('shows QoS set with ovs-vsctl and who owns it; an unknown port exits 2', async () => {
    const vm = localVms()[0];
    await vsctl(
      'set', 'Interface', vm.interface, 'ingress_policing_rate=20000', 'ingress_policing_burst=2000', '--',
      'set', 'Port', vm.interface, 'qos=@q', '--',
      '--id=@q', 'create', 'QoS', 'type=linux-htb', 'other_config:max-rate=30000000', 'queues:0=@u', `external_ids:"${OWNER_KEY}"=${OWNER_VALUE}`, '--',
      '--id=@u', 'create', 'Queue', 'other_config:max-rate=10000000', 'external_ids:id=qos-rule-1', 'external_ids:_type=queue',
    );
    try {
      const e = await explainCli(vm.interface);
      expect(e.matchedBy).toBe('name');
      expect(e.qos.policing).toEqual({ rateKbps: 20000, burstKb: 2000, owner: 'other' });
      expect(e.qos.portQos).toMatchObject({ type: 'linux-htb', otherConfig: { 'max-rate': '30000000' }, owner: 'enforcer' });
      expect(e.qos.portQos?.queues).toMatchObject([{ queueId: 0, otherConfig: { 'max-rate': '10000000' }, owner: 'neutron' }]);
      const text = await cli(['explain', vm.mac, '--interval', '0'], env());
      expect(text.code).toBe(0);
      expect(text.stdout).toContain('policing (VM egress): 20000 kbps, burst 2000 kb (other)');
      expect(text.stdout).toContain('port QoS (VM ingress): linux-htb max-rate=30000000 (enforcer)');
    } finally {
      await vsctl('clear', 'Port', vm.interface, 'qos', '--', 'set', 'Interface', vm.interface, 'ingress_policing_rate=0', 'ingress_policing_burst=0');
    }
    const unknown = await cli(['explain', 'fa:16:3e:99:99:99'], env());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no port "fa:16:3e:99:99:99" on this host/);
    expect(unknown.stdout).toBe('');
  }, 60_000);

  it('serves the same through /api/explain on the collector (404 unknown, 400 without port), in milliseconds', async () => {
    const vm = localVms()[1];
    const fromCli = await explainCli(vm.vm_uuid);
    const timings: number[] = [];
    let body: Explanation | undefined;
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      const res = await fetch(`${collector.url}/api/explain?port=${vm.vm_uuid}`);
      timings.push(performance.now() - start);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      body = (await res.json()) as Explanation;
    }
    expect(body!.matchedBy).toBe('vm-uuid');
    for (const key of ['port', 'path', 'tenant', 'qos'] as const) {
      // Flow packet counters move between the two reads; everything else is the same wiring.
      const strip = (v: unknown) => JSON.parse(JSON.stringify(v, (k, x: unknown) => (k === 'packets' || k === 'bytes' ? undefined : x))) as unknown;
      expect(strip(body![key])).toEqual(strip(fromCli[key]));
    }
    const text = await fetch(`${collector.url}/api/explain?port=${vm.interface}&format=text`);
    expect(text.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await text.text()).toContain(`VNI ${vm.vni} (0x${vm.vni.toString(16)})`);
    const unknown = await fetch(`${collector.url}/api/explain?port=nope`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toMatch(/no port "nope"/);
    expect((await fetch(`${collector.url}/api/explain`)).status).toBe(400);
    timings.sort((a, b) => a - b);
    console.log(`explain latency on the lab via /api/explain: median ${timings[2].toFixed(1)} ms, max ${timings[4].toFixed(1)} ms`);
    expect(timings[2]).toBeLessThan(500);
  }, 60_000);
});
