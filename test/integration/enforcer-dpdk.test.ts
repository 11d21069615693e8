/**
 * VM ingress limits on DPDK ports (vhost-user), against a real ovsdb-server and ovs-vswitchd in
 * their own netns: the enforcer writes what neutron-openvswitch-agent writes for them
 * (ovs_lib _update_ingress_bw_limit_for_dpdk_port): Port.qos → a QoS of type egress-policer with
 * other_config cir/cbs in bytes/s and bytes (max_kbps × 1000 / 8, max_burst_kbps × 1000 / 8) and no
 * queues, plus its ownership marker; VM egress stays Interface ingress policing. A Neutron-made
 * egress-policer is reported and never touched; removing the policy restores the port.
 *
 * Why only the OVSDB state is tested: this OVS is built without DPDK, so ovs-vswitchd cannot
 * open a dpdkvhostuserclient interface (OVSDB accepts the row; the Interface gets an `error`
 * and no ofport, asserted below), no packet ever crosses it, and the policer has nothing to act
 * on. Throughput under linux-htb and meters is measured on the lab (enforcer-lab.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OvsChange } from '../../enforcer/apply/ovs-backend.js';
import type { OvsPort } from '../../enforcer/apply/ovs-rows.js';
import type { Plan, PortDesire } from '../../enforcer/apply/types.js';
import { NETWORK, resolution, startOvsSandbox, waitUntil, type OvsSandbox } from './enforcer-sandbox.js';

type LimitsIn = Parameters<typeof resolution>[0];

const VHU = 'vhu0c7f1a4e-2b';
const NEUTRON_VHU = 'vhu0c7f1a4e-3c';
const portIdOf = (name: string): string => `0c7f1a4e-2b0d-4d7c-9a53-${name.slice(-2)}0000000000`;
const OWNER = { 'ovs-telemetry:owner': 'enforcer', 'ovs-telemetry:port': VHU };

describe('enforcer on DPDK ports: egress-policer QoS as Neutron sets it', () => {
  let sb: OvsSandbox;
  let neutronSnapshot: string;

  const addVhostUser = (name: string, mac: string): Promise<string> => sb.ovs.vsctl(
    'add-port', 'br-int', name, 'tag=1', `other_config:net_uuid=${NETWORK}`,
    '--', 'set', 'interface', name, 'type=dpdkvhostuserclient', `options:vhost-server-path=/tmp/${name}.sock`,
    `external_ids:iface-id=${portIdOf(name)}`, `external_ids:attached-mac=${mac}`, 'external_ids:iface-status=active');

  const planFor = async (limitsByPort: Map<string, LimitsIn>): Promise<Plan<OvsChange>> => {
    const desired: PortDesire<OvsPort>[] = sb.backend.targets().map((port) => ({ port, resolution: resolution(limitsByPort.get(port.port) ?? null) }));
    return sb.backend.plan(desired, true);
  };
  const applyAll = async (plan: Plan<OvsChange>): Promise<void> => {
    expect((await sb.backend.apply(plan.changes)).filter((o) => !o.ok)).toEqual([]);
    // The monitor's update follows the transaction reply; let the replica see it before the next plan.
    await new Promise((r) => setTimeout(r, 100));
  };
  const portQos = async (name: string): Promise<string> => String((await sb.list('port', name, ['qos']))[0].qos);
  const neutronState = async (): Promise<string> => {
    const qos = await portQos(NEUTRON_VHU);
    return JSON.stringify({ qos: await sb.list('qos', qos), iface: await sb.list('interface', NEUTRON_VHU, ['ingress_policing_rate', 'ingress_policing_burst', 'external_ids']) });
  };

  beforeAll(async () => {
    sb = await startOvsSandbox(1);
    await addVhostUser(VHU, 'fa:16:3e:00:dd:01');
    await addVhostUser(NEUTRON_VHU, 'fa:16:3e:00:dd:02');
    // Neutron's own limit on the second one: its QoS carries external_ids id = the port name.
    await sb.ovs.vsctl('set', 'port', NEUTRON_VHU, 'qos=@q', '--', '--id=@q', 'create', 'qos', 'type=egress-policer',
      'other_config:cir=625000', 'other_config:cbs=500000', `external_ids:id=${NEUTRON_VHU}`);
    await waitUntil('DPDK ports in the replica', () => sb.backend.targets().filter((p) => p.dpdk).length === 2 && sb.replica.table('QoS').size === 1);
    neutronSnapshot = await neutronState();
  });

  afterAll(async () => {
    await sb?.stop();
  });

  it('OVSDB accepts the vhost-user rows; this ovs-vswitchd (no DPDK) cannot open them', async () => {
    const [iface] = await sb.list('interface', VHU, ['type', 'ofport', 'error']);
    expect(iface.type).toBe('dpdkvhostuserclient');
    expect(iface.ofport).toBe(-1);
    expect(String(iface.error)).not.toBe('');
    const port = sb.backend.targets().find((p) => p.port === VHU);
    expect(port).toMatchObject({ dpdk: true, ofport: null, neutronPortId: portIdOf(VHU), networkId: NETWORK });
    expect(sb.backend.targets().find((p) => p.port === sb.vms[0].port)?.dpdk).toBe(false);
  });

  it('applies egress-policer (cir/cbs in bytes) on Port.qos and ingress policing, exactly as Neutron', async () => {
    const plan = await planFor(new Map<string, LimitsIn>([
      [VHU, { egress: { max_kbps: 10_000 }, ingress: { max_kbps: 20_000 } }],
      [NEUTRON_VHU, { ingress: { max_kbps: 50_000 } }],
    ]));
    expect(plan.changes.map((c) => [c.key, c.action]).sort()).toEqual([
      [`br-int/${VHU}#egress_policer`, 'apply'],
      [`br-int/${VHU}#ingress_policing`, 'apply'],
    ]);
    expect(plan.findings.map((f) => `${f.key}: ${f.reason}`)).toEqual([
      `br-int/${NEUTRON_VHU}#egress_policer: the port has a QoS the enforcer does not own (Neutron marks its own with external_ids id): not changed`,
    ]);
    const queuesBefore = (await sb.list('queue')).length;
    await applyAll(plan);

    const [qos] = await sb.list('qos', await portQos(VHU));
    // 20,000 kbit/s = 2,500,000 bytes/s; the default burst 0.8 × 20,000 = 16,000 kbit = 2,000,000 bytes.
    expect(qos).toMatchObject({ type: 'egress-policer', other_config: { cir: '2500000', cbs: '2000000' }, queues: {}, external_ids: OWNER });
    expect(Object.keys(qos.other_config as object).sort()).toEqual(['cbs', 'cir']);
    expect((await sb.list('queue')).length).toBe(queuesBefore);
    const [iface] = await sb.list('interface', VHU, ['ingress_policing_rate', 'ingress_policing_burst', 'external_ids']);
    expect(iface).toMatchObject({ ingress_policing_rate: 10_000, ingress_policing_burst: 8000, external_ids: { 'ovs-telemetry:policing-owner': 'enforcer' } });
    expect((await planFor(new Map<string, LimitsIn>([[VHU, { egress: { max_kbps: 10_000 }, ingress: { max_kbps: 20_000 } }]]))).changes).toEqual([]);
    expect(await neutronState()).toBe(neutronSnapshot);
  });

  it('updates its row in place, repairs drift and re-attaches a detached row', async () => {
    const want = new Map<string, LimitsIn>([[VHU, { egress: { max_kbps: 10_000 }, ingress: { max_kbps: 30_000, max_burst_kbps: 3000 } }]]);
    const uuid = await portQos(VHU);
    const update = await planFor(want);
    expect(update.changes.map((c) => [c.mechanism, c.action, c.before && (c.before as Record<string, unknown>).cir, c.after])).toEqual([
      ['egress_policer', 'update', '2500000', { qos_type: 'egress-policer', cir: '3750000', cbs: '375000' }],
    ]);
    await applyAll(update);
    expect(await portQos(VHU)).toBe(uuid);
    expect((await sb.list('qos', uuid))[0].other_config).toEqual({ cir: '3750000', cbs: '375000' });

    await sb.ovs.vsctl('set', 'qos', uuid, 'other_config:cir=1');
    await new Promise((r) => setTimeout(r, 100));
    const repair = await planFor(want);
    expect(repair.changes.map((c) => [c.mechanism, c.action])).toEqual([['egress_policer', 'update']]);
    await applyAll(repair);
    expect((await sb.list('qos', uuid))[0].other_config).toEqual({ cir: '3750000', cbs: '375000' });

    await sb.ovs.vsctl('clear', 'port', VHU, 'qos');
    await new Promise((r) => setTimeout(r, 100));
    await applyAll(await planFor(want));
    expect(await portQos(VHU)).toBe(uuid);
    expect((await planFor(want)).changes).toEqual([]);
    expect(await neutronState()).toBe(neutronSnapshot);
  });

  it('removing the policy restores the port: no QoS, no policing, no marker; Neutron\'s row untouched', async () => {
    const uuid = await portQos(VHU);
    const plan = await planFor(new Map());
    expect(plan.changes.map((c) => [c.mechanism, c.action]).sort()).toEqual([['egress_policer', 'remove'], ['ingress_policing', 'remove']]);
    await applyAll(plan);
    expect(await portQos(VHU)).toBe('');
    expect((await sb.list('qos')).map((q) => q._uuid)).not.toContain(uuid);
    const [iface] = await sb.list('interface', VHU, ['ingress_policing_rate', 'ingress_policing_burst', 'external_ids']);
    expect(iface).toMatchObject({ ingress_policing_rate: 0, ingress_policing_burst: 0 });
    expect(Object.keys(iface.external_ids as object)).not.toContain('ovs-telemetry:policing-owner');
    expect((await planFor(new Map())).changes).toEqual([]);
    expect(await neutronState()).toBe(neutronSnapshot);
  });
});
