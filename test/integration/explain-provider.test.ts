/**
 * `explain` on a provider VLAN network, on a real OVS (userspace datapath, in its own netns): the
 * lab has only VXLAN networks, so this builds what neutron-openvswitch-agent builds for a VLAN
 * provider network — br-int and br-ex joined by int-br-ex / phy-br-ex, a VM port on local VLAN
 * 3, the translation flows local 3 ⇄ provider 100 on both bridges, an uplink on br-ex — checks
 * that traffic really crosses it (a ping to a host on the provider VLAN), then runs the CLI.
 * The "physical" host sits on an access port of VLAN 100 (this kernel has no 802.1Q module).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Explanation, IntegrationStep, PatchStep, ProviderStep } from '../../collector/explain/types.js';
import { cli } from '../helpers/cli.js';
import { startNetnsOvs, type NetnsOvs, type NetnsVm } from '../helpers/netns-ovs.js';

const NETWORK = '5d1e0c2a-8b1f-4c3e-9a77-0e4d1f2a3b4c';
const PROJECT = '9f8e7d6c5b4a49388271605f4e3d2c1b';
const PORT_ID = '0b6c9a1e-2f3d-4e5f-8a9b-1c2d3e4f5a6b';
const LOCAL_VLAN = 3;
const PROVIDER_VLAN = 100;
const PATCH_OFPORT = 10;

describe('explain on a provider VLAN network (real OVS, Neutron-shaped br-int / br-ex)', () => {
  let ovs: NetnsOvs;
  let vm: NetnsVm;
  let physical: NetnsVm;
  let work: string;
  let config: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'ovs-telemetry-provider-'));
    ovs = await startNetnsOvs();
    await ovs.addBridge('br-int');
    await ovs.addBridge('br-ex');
    await ovs.vsctl(
      'add-port', 'br-int', 'int-br-ex', '--', 'set', 'Interface', 'int-br-ex', 'type=patch', 'options:peer=phy-br-ex', `ofport_request=${PATCH_OFPORT}`,
      '--', 'add-port', 'br-ex', 'phy-br-ex', '--', 'set', 'Interface', 'phy-br-ex', 'type=patch', 'options:peer=int-br-ex', `ofport_request=${PATCH_OFPORT}`,
    );
    vm = await ovs.addVm('br-int', 'vm1', '10.40.0.1', 5);
    physical = await ovs.addVm('br-ex', 'phys', '10.40.0.2', 1);
    // What the agent writes on the VM's Port and Interface rows.
    await ovs.vsctl(
      'set', 'Port', vm.port, `tag=${LOCAL_VLAN}`,
      `other_config:net_uuid=${NETWORK}`, 'other_config:network_type=vlan', 'other_config:physical_network=physnet1', `other_config:segmentation_id=${PROVIDER_VLAN}`,
      '--', 'set', 'Interface', vm.port, `external_ids:iface-id=${PORT_ID}`, `external_ids:attached-mac=${vm.mac}`, 'external_ids:iface-status=active',
      'external_ids:vm-uuid=6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d',
    );
    // The provider's side: an access port of VLAN 100 (what a trunk uplink would carry tagged 100).
    await ovs.vsctl('set', 'Port', physical.port, `tag=${PROVIDER_VLAN}`);
    // The translation flows (neutron ovs agent: br_int.py provision_local_vlan, br_phys.py).
    const flows = (bridge: string, lines: string[]) => Promise.all(lines.map((l) => ovs.ofctl('add-flow', ovs.mgmt(bridge), l)));
    await ovs.ofctl('del-flows', ovs.mgmt('br-int'));
    await ovs.ofctl('del-flows', ovs.mgmt('br-ex'));
    await flows('br-int', [
      `priority=3,in_port=${PATCH_OFPORT},dl_vlan=${PROVIDER_VLAN},actions=mod_vlan_vid:${LOCAL_VLAN},NORMAL`,
      `priority=2,in_port=${PATCH_OFPORT},actions=drop`,
      'priority=0,actions=NORMAL',
    ]);
    await flows('br-ex', [
      `priority=4,in_port=${PATCH_OFPORT},dl_vlan=${LOCAL_VLAN},actions=mod_vlan_vid:${PROVIDER_VLAN},NORMAL`,
      `priority=2,in_port=${PATCH_OFPORT},actions=drop`,
      'priority=0,actions=NORMAL',
    ]);
    const mapping = join(work, 'mapping.yaml');
    writeFileSync(mapping, `networks:\n  - { id: ${NETWORK}, project_id: ${PROJECT}, name: provider-net, network_type: vlan, segmentation_id: ${PROVIDER_VLAN}, physical_network: physnet1 }\n`);
    config = join(work, 'collector.yaml');
    writeFileSync(config, `ovsdb: { endpoint: "${ovs.ovsdb.unixEndpoint}" }\ndatapath: { rundir: "${ovs.dir}" }\ntenancy: { mapping_file: "${mapping}" }\n`);
  }, 60_000);

  afterAll(async () => {
    await ovs?.stop();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('the translation flows carry traffic: the VM reaches a host on provider VLAN 100', async () => {
    const out = await ovs.exec(vm.netns, 'ping', '-c', '3', '-i', '0.2', '-W', '2', physical.ip);
    expect(out).toMatch(/3 packets transmitted, 3 received/);
  });

  it('walks the VM port → int-br-ex → br-ex with local VLAN 3 leaving as provider VLAN 100', async () => {
    const result = await cli(['explain', vm.port, '--json', '--config', config, '--interval', '0']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const e = JSON.parse(result.stdout) as Explanation;
    expect(e.port).toMatchObject({ interface: vm.port, bridge: 'br-int', neutronPortId: PORT_ID, mac: vm.mac });
    expect(e.tenant).toMatchObject({ networkId: NETWORK, projectId: PROJECT, networkName: 'provider-net', networkType: 'vlan', segmentationId: PROVIDER_VLAN, segmentationFrom: 'flows' });
    expect(e.path.map((s) => s.kind)).toEqual(['integration', 'patch', 'provider']);
    const [integration, patch, provider] = e.path as [IntegrationStep, PatchStep, ProviderStep];
    expect(integration).toMatchObject({ bridge: 'br-int', port: vm.port, ofport: 5, localVlan: LOCAL_VLAN });
    expect(patch).toMatchObject({ fromBridge: 'br-int', fromPort: 'int-br-ex', toBridge: 'br-ex', toPort: 'phy-br-ex' });
    expect(provider).toMatchObject({ bridge: 'br-ex', localVlan: LOCAL_VLAN, providerVlan: PROVIDER_VLAN, uplinks: [physical.port] });
    // Both directions' translation flows, as ovs-ofctl would print them, each with its bridge:
    // outbound on br-ex, inbound on br-int (from the patch port).
    expect(provider.flows.map((f) => [f.bridge, f.match])).toEqual([
      ['br-ex', `in_port=${PATCH_OFPORT},dl_vlan=${LOCAL_VLAN}`],
      ['br-int', `in_port=${PATCH_OFPORT},dl_vlan=${PROVIDER_VLAN}`],
    ]);
    const [outbound, inbound] = provider.flows.map((f) => f.actions.join(','));
    expect(outbound).toMatch(new RegExp(`^(set_field:${4096 + PROVIDER_VLAN}->vlan_vid|mod_vlan_vid:${PROVIDER_VLAN}),NORMAL$`));
    expect(inbound).toMatch(new RegExp(`^(set_field:${4096 + LOCAL_VLAN}->vlan_vid|mod_vlan_vid:${LOCAL_VLAN}),NORMAL$`));
  });

  it('says the same in the text format', async () => {
    const result = await cli(['explain', PORT_ID, '--config', config, '--interval', '0']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`br-ex: local VLAN ${LOCAL_VLAN} ⇄ provider VLAN ${PROVIDER_VLAN}; uplinks ${physical.port}`);
    // Each translation flow under its own bridge's heading.
    expect(result.stdout).toMatch(new RegExp(`\n {4}flows on br-ex:\n {6}table 0 prio 4 in_port=${PATCH_OFPORT},dl_vlan=${LOCAL_VLAN} → .*\n {4}flows on br-int:\n {6}table 0 prio 3 in_port=${PATCH_OFPORT},dl_vlan=${PROVIDER_VLAN} → `));
    expect(result.stdout).toContain(`vlan segment ${PROVIDER_VLAN} (from flows), physical network physnet1`);
  });
});
