/**
 * The OVS backend against a real ovsdb-server and ovs-vswitchd (userspace datapath, own netns):
 * the rows and flows it writes are the ones neutron-openvswitch-agent writes, it changes only
 * what it owns (a Neutron QoS and someone else's policing stay exactly as they were), it is
 * idempotent, it refuses to overwrite a row changed since it was read, and it cleans up.
 * Ingress policing cannot take effect here (this kernel lacks cls_basic: ovs-vswitchd logs
 * "adding cls_basic policing action failed"), so its OVSDB state is what is tested; throughput
 * under linux-htb and meters is measured on the lab (enforcer-lab.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OvsChange } from '../../enforcer/apply/ovs-backend.js';
import { OVS_MAX_RATE } from '../../enforcer/apply/ovs-ovsdb.js';
import { COOKIE_PREFIX, meterIdOf } from '../../enforcer/apply/ovs-openflow.js';
import type { OvsPort } from '../../enforcer/apply/ovs-rows.js';
import type { Plan, PortDesire } from '../../enforcer/apply/types.js';
import { NETWORK, PROJECT, resolution, startOvsSandbox, waitUntil, type OvsSandbox } from './enforcer-sandbox.js';

type LimitsIn = Parameters<typeof resolution>[0];

describe('enforcer OVS mechanisms', () => {
  let sb: OvsSandbox;
  let ports: OvsPort[];
  let foreignSnapshot: string;
  const byName = (name: string): OvsPort => ports.find((p) => p.port === name) as OvsPort;
  const VM1: LimitsIn = { ingress: { max_kbps: 30_000, max_burst_kbps: 3000, mechanism: 'meter' }, packet_rate: { egress: { max_kpps: 2, max_burst_kpps: 0.2 } }, dscp_mark: 26 };

  /** Everything on the foreign port: its Neutron QoS, queue, policing and external_ids. */
  const foreign = async (): Promise<string> => {
    const port = sb.vms[2].port;
    const [p] = await sb.list('port', port, ['qos']);
    return JSON.stringify({
      port: p,
      iface: await sb.list('interface', port, ['ingress_policing_rate', 'ingress_policing_burst', 'external_ids']),
      qos: await sb.list('qos', String(p.qos)),
      queues: (await sb.list('queue')).filter((q) => (q.external_ids as Record<string, string>).type === 'bandwidth_limit'),
    });
  };

  const planFor = async (limitsByPort: Map<string, LimitsIn>): Promise<Plan<OvsChange>> => {
    ports = [...sb.backend.targets()];
    const desired: PortDesire<OvsPort>[] = ports.map((port) => ({ port, resolution: resolution(limitsByPort.get(port.port) ?? null) }));
    return sb.backend.plan(desired, true);
  };

  const settle = async (): Promise<void> => {
    // The monitor's update follows the transaction reply; wait until a fresh plan sees it.
    await new Promise((r) => setTimeout(r, 100));
  };

  beforeAll(async () => {
    sb = await startOvsSandbox(3);
    // vm2 is limited by Neutron itself (ovs_lib _update_ingress_bw_limit_for_port / egress policing).
    const port = sb.vms[2].port;
    await sb.ovs.vsctl('set', 'port', port, 'qos=@q', '--', '--id=@q', 'create', 'qos', 'type=linux-htb', `other-config:max-rate=${OVS_MAX_RATE}`,
      `external_ids:id=${port}`, 'external_ids:_type=bandwidth_limit', 'queues:0=@u', '--', '--id=@u', 'create', 'queue',
      'other-config:max-rate=5000000', 'other-config:burst=4000000', `external_ids:port=${port}`, 'external_ids:type=bandwidth_limit', 'external_ids:queue-num=0',
      '--', 'set', 'interface', port, 'ingress_policing_rate=3000', 'ingress_policing_burst=2400');
    await waitUntil('foreign QoS in the replica', () => sb.replica.table('QoS').size === 1);
    foreignSnapshot = await foreign();
  });

  afterAll(async () => {
    await sb?.stop();
  });

  it('targets are the VM ports with their Neutron port, network and project', () => {
    ports = [...sb.backend.targets()];
    expect(ports.map((p) => p.port).sort()).toEqual(sb.vms.map((v) => v.port).sort());
    const vm0 = byName(sb.vms[0].port);
    expect(vm0).toMatchObject({ bridge: 'br-int', interface: sb.vms[0].port, neutronPortId: sb.vms[0].portId, networkId: NETWORK, projectId: PROJECT, ofport: 2, mac: sb.vms[0].mac });
  });

  it('applies policing, linux-htb, meters and DSCP exactly as Neutron lays them out', async () => {
    const [vm0, vm1, vm2] = sb.vms;
    const plan = await planFor(new Map<string, LimitsIn>([
      [vm0.port, { egress: { max_kbps: 10_000 }, ingress: { max_kbps: 20_000 } }],
      [vm1.port, VM1],
      [vm2.port, { egress: { max_kbps: 50_000 }, ingress: { max_kbps: 50_000 } }],
    ]));
    expect(plan.changes.map((c) => c.key).sort()).toEqual([
      `br-int/${vm0.port}#htb`, `br-int/${vm0.port}#ingress_policing`,
      `br-int/${vm1.port}#dscp`, `br-int/${vm1.port}#egress_meter`, `br-int/${vm1.port}#ingress_meter`,
    ].sort());
    // The port Neutron limits is reported, once per mechanism, and left alone.
    expect(plan.findings.map((f) => `${f.key}: ${f.reason}`).sort()).toEqual([
      `br-int/${vm2.port}#htb: the port has a QoS the enforcer does not own (Neutron marks its own with external_ids id): not changed`,
      `br-int/${vm2.port}#ingress_policing: ingress policing set by someone else (no enforcer marker): not changed`,
    ]);
    const outcomes = await sb.backend.apply(plan.changes);
    expect(outcomes.filter((o) => !o.ok)).toEqual([]);
    await settle();

    // Egress: ingress_policing_rate/burst in kbps, burst 0.8 x rate by default (this kernel
    // lacks cls_basic, so the policer cannot take effect here: its OVSDB state is the test).
    const [iface] = await sb.list('interface', vm0.port, ['ingress_policing_rate', 'ingress_policing_burst', 'external_ids']);
    expect(iface.ingress_policing_rate).toBe(10_000);
    expect(iface.ingress_policing_burst).toBe(8000);
    expect((iface.external_ids as Record<string, string>)['ovs-telemetry:policing-owner']).toBe('enforcer');
    expect((iface.external_ids as Record<string, string>)['iface-id']).toBe(vm0.portId);
    // Ingress: Port.qos → linux-htb QoS (max-rate 2^35-1) → queue 0 with max-rate/burst in bit/s.
    const [port0] = await sb.list('port', vm0.port, ['qos']);
    const [qos] = await sb.list('qos', String(port0.qos));
    expect(qos).toMatchObject({ type: 'linux-htb', other_config: { 'max-rate': OVS_MAX_RATE }, external_ids: { 'ovs-telemetry:owner': 'enforcer', 'ovs-telemetry:port': vm0.port } });
    const queueUuid = (qos.queues as Record<string, string>)['0'];
    const [queue] = await sb.list('queue', queueUuid);
    expect(queue).toMatchObject({ other_config: { 'max-rate': '20000000', burst: '16000000' }, external_ids: { 'ovs-telemetry:owner': 'enforcer' } });

    const meters = await sb.dumpMeters();
    expect(meters).toContain(`meter=${meterIdOf(3, 'egress')} pktps burst stats bands=\ntype=drop rate=2000 burst_size=200`);
    expect(meters).toContain(`meter=${meterIdOf(3, 'ingress')} kbps burst stats bands=\ntype=drop rate=30000 burst_size=3000`);
    const flows = await sb.dumpFlows();
    const cookie = (kind: number) => `cookie=0x${(COOKIE_PREFIX | (3n << 8n) | BigInt(kind)).toString(16)}`;
    expect(flows).toContain(`${cookie(1)}, priority=230,reg13=0,in_port=3 actions=meter:${meterIdOf(3, 'egress')},set_field:0x1->reg13,resubmit(,0)`);
    expect(flows).toContain(`${cookie(2)}, priority=231,ip,reg13=0,in_port=3 actions=meter:${meterIdOf(3, 'egress')},set_field:26->ip_dscp,set_field:0x1->reg13,resubmit(,0)`);
    expect(flows).toContain(`${cookie(3)}, priority=231,ipv6,reg13=0,in_port=3 actions=meter:${meterIdOf(3, 'egress')},set_field:26->ip_dscp,set_field:0x1->reg13,resubmit(,0)`);
    expect(flows).toContain(`${cookie(4)}, priority=230,reg14=0,dl_dst=${vm1.mac} actions=meter:${meterIdOf(3, 'ingress')},set_field:0x1->reg14,resubmit(,0)`);
    expect(await foreign()).toBe(foreignSnapshot);
  });

  it('a second plan finds everything in place (the flows read back compare equal)', async () => {
    const [vm0, vm1] = sb.vms;
    const plan = await planFor(new Map<string, LimitsIn>([
      [vm0.port, { egress: { max_kbps: 10_000 }, ingress: { max_kbps: 20_000 } }],
      [vm1.port, VM1],
    ]));
    expect(plan.changes).toEqual([]);
    expect([...plan.inSync.keys()].sort()).toEqual([
      `br-int/${vm0.port}#htb`, `br-int/${vm0.port}#ingress_policing`,
      `br-int/${vm1.port}#dscp`, `br-int/${vm1.port}#egress_meter`, `br-int/${vm1.port}#ingress_meter`,
    ].sort());
  });

  it('new values update the owned rows in place, guarded by what was read', async () => {
    const [vm0, vm1] = sb.vms;
    const [before] = await sb.list('port', vm0.port, ['qos']);
    const plan = await planFor(new Map<string, LimitsIn>([[vm0.port, { egress: { max_kbps: 12_000, max_burst_kbps: 1000 }, ingress: { max_kbps: 25_000 } }], [vm1.port, VM1]]));
    expect(plan.changes.every((c) => c.target?.key === `br-int/${vm0.port}`)).toBe(true);
    const keep = plan.changes.filter((c) => c.target?.key === `br-int/${vm0.port}`);
    expect(keep.map((c) => [c.mechanism, c.action])).toEqual([['ingress_policing', 'update'], ['htb', 'update']]);
    expect(keep[1].before).toMatchObject({ 'max-rate': '20000000' });
    expect(keep[1].after).toMatchObject({ 'max-rate': '25000000', burst: '20000000' });
    // Someone changes the queue between our read and our write: the wait fails, nothing is overwritten.
    const [qos] = await sb.list('qos', String(before.qos));
    const queue = (qos.queues as Record<string, string>)['0'];
    await sb.ovs.vsctl('set', 'queue', queue, 'other_config:max-rate=21000000');
    const [conflicted, policing] = [await sb.backend.apply([keep[1]]), await sb.backend.apply([keep[0]])];
    expect(conflicted).toEqual([expect.objectContaining({ ok: false, conflict: true })]);
    expect(policing).toEqual([expect.objectContaining({ ok: true })]);
    expect((await sb.list('queue', queue))[0].other_config).toMatchObject({ 'max-rate': '21000000' });
    await settle();
    // A fresh plan, from what is there now, goes through; the rows keep their uuids.
    const again = await planFor(new Map<string, LimitsIn>([[vm0.port, { egress: { max_kbps: 12_000, max_burst_kbps: 1000 }, ingress: { max_kbps: 25_000 } }], [vm1.port, VM1]]));
    const htb = again.changes.filter((c) => c.mechanism === 'htb');
    expect(htb).toHaveLength(1);
    expect((await sb.backend.apply(htb))[0].ok).toBe(true);
    expect((await sb.list('queue', queue))[0].other_config).toEqual({ 'max-rate': '25000000', burst: '20000000' });
    expect((await sb.list('port', vm0.port, ['qos']))[0].qos).toBe(before.qos);
    const [iface] = await sb.list('interface', vm0.port, ['ingress_policing_rate', 'ingress_policing_burst']);
    expect(iface).toEqual({ ingress_policing_rate: 12_000, ingress_policing_burst: 1000 });
    expect(await foreign()).toBe(foreignSnapshot);
  });

  it('a cleared Port.qos gets its own QoS back; a destroyed one is rebuilt and its queue collected', async () => {
    const [vm0, vm1] = sb.vms;
    const want = new Map<string, LimitsIn>([[vm0.port, { egress: { max_kbps: 12_000, max_burst_kbps: 1000 }, ingress: { max_kbps: 25_000 } }], [vm1.port, VM1]]);
    const [before] = await sb.list('port', vm0.port, ['qos']);
    await sb.ovs.vsctl('clear', 'port', vm0.port, 'qos');
    await settle();
    const reattach = (await planFor(want)).changes;
    expect(reattach.map((c) => [c.mechanism, c.action])).toEqual([['htb', 'update']]);
    expect((await sb.backend.apply(reattach))[0].ok).toBe(true);
    expect((await sb.list('port', vm0.port, ['qos']))[0].qos).toBe(before.qos);

    const [qos] = await sb.list('qos', String(before.qos));
    const oldQueue = (qos.queues as Record<string, string>)['0'];
    await sb.ovs.vsctl('clear', 'port', vm0.port, 'qos', '--', 'destroy', 'qos', String(before.qos));
    await settle();
    const rebuild = await planFor(want);
    expect(rebuild.changes.map((c) => [c.mechanism, c.action])).toEqual([['htb', 'apply'], ['garbage', 'remove']]);
    expect(rebuild.changes[1].before).toEqual({ rows: [`Queue ${oldQueue}`] });
    expect((await sb.backend.apply(rebuild.changes)).every((o) => o.ok)).toBe(true);
    await settle();
    expect((await sb.list('queue')).map((q) => q._uuid)).not.toContain(oldQueue);
    expect((await planFor(want)).changes).toEqual([]);
  });

  it('removing the policies removes every row, marker, flow and meter it made, and nothing else', async () => {
    const plan = await planFor(new Map());
    expect(plan.changes.map((c) => `${c.mechanism}:${c.action}`).sort()).toEqual([
      'dscp:remove', 'egress_meter:remove', 'htb:remove', 'ingress_meter:remove', 'ingress_policing:remove',
    ]);
    expect((await sb.backend.apply(plan.changes)).every((o) => o.ok)).toBe(true);
    await settle();
    const [iface] = await sb.list('interface', sb.vms[0].port, ['ingress_policing_rate', 'ingress_policing_burst', 'external_ids']);
    expect(iface.ingress_policing_rate).toBe(0);
    expect(iface.ingress_policing_burst).toBe(0);
    expect(Object.keys(iface.external_ids as object)).not.toContain('ovs-telemetry:policing-owner');
    expect((await sb.list('qos')).filter((q) => (q.external_ids as Record<string, string>)['ovs-telemetry:owner'])).toEqual([]);
    expect((await sb.list('queue')).filter((q) => (q.external_ids as Record<string, string>)['ovs-telemetry:owner'])).toEqual([]);
    expect(await sb.dumpFlows()).not.toContain('cookie=0x6f74656e');
    expect(await sb.dumpMeters()).not.toContain('meter=');
    expect(await foreign()).toBe(foreignSnapshot);
    expect((await planFor(new Map())).changes).toEqual([]);
  });

  it('owned flows and meters nothing wants any more are collected; meters it did not create are never touched', async () => {
    const br = sb.ovs.mgmt('br-int').slice('unix:'.length);
    const bridgeIds = async () => (await sb.list('bridge', 'br-int', ['external_ids']))[0].external_ids as Record<string, string>;
    // Removing every limit left no meter record behind.
    expect(Object.keys(await bridgeIds())).not.toContain('ovs-telemetry:meters');
    // Ours (recorded on the bridge), one in our id range nobody recorded, and one outside it.
    const recorded = meterIdOf(40, 'egress');
    const squatter = meterIdOf(2, 'egress');
    for (const id of [recorded, squatter, 7]) await sb.ovs.ofctl('-O', 'OpenFlow13', 'add-meter', br, `meter=${id},pktps,bands=type=drop,rate=100`);
    await sb.ovs.vsctl('set', 'bridge', 'br-int', `external_ids:ovs-telemetry\\:meters=${recorded}`);
    await sb.ovs.ofctl('add-flow', br, `cookie=0x${(COOKIE_PREFIX | 0x2801n).toString(16)},priority=230,in_port=40,actions=drop`);
    await sb.ovs.ofctl('add-flow', br, 'cookie=0x1234,priority=5,in_port=41,actions=drop');
    await settle();
    const plan = await planFor(new Map());
    expect(plan.changes.map((c) => c.before)).toEqual([{ bridge: 'br-int', flows: [`0x${(COOKIE_PREFIX | 0x2801n).toString(16)}`], meters: [recorded] }]);
    expect((await sb.backend.apply(plan.changes))[0].ok).toBe(true);
    await settle();
    const meters = await sb.dumpMeters();
    expect(meters).not.toContain(`meter=${recorded} `);
    expect(meters).toContain(`meter=${squatter} `);
    expect(meters).toContain('meter=7 ');
    expect(await sb.dumpFlows()).toContain('cookie=0x1234');
    expect(await sb.dumpFlows()).not.toContain('cookie=0x6f74656e');
    expect(Object.keys(await bridgeIds())).not.toContain('ovs-telemetry:meters');

    // vm0 (ofport 2) now wants an egress meter whose id someone else holds: reported, not taken over.
    const vm0 = sb.vms[0].port;
    const blocked = await planFor(new Map<string, LimitsIn>([[vm0, { packet_rate: { egress: { max_kpps: 5 } } }]]));
    expect(blocked.changes).toEqual([]);
    expect(blocked.findings).toEqual([expect.objectContaining({ key: `br-int/${vm0}#egress_meter`, reason: `meter ${squatter} exists and was not created by the enforcer: not changed, its flows not added` })]);
    await sb.ovs.ofctl('-O', 'OpenFlow13', 'del-meter', br, `meter=${squatter}`);
    // Once the id is free it is the enforcer's: recorded before the meter is added.
    const freed = await planFor(new Map<string, LimitsIn>([[vm0, { packet_rate: { egress: { max_kpps: 5 } } }]]));
    expect(freed.changes.map((c) => [c.mechanism, c.action])).toEqual([['egress_meter', 'apply']]);
    expect((await sb.backend.apply(freed.changes))[0].ok).toBe(true);
    await settle();
    expect(await bridgeIds()).toMatchObject({ 'ovs-telemetry:meters': String(squatter) });
    expect(await sb.dumpMeters()).toContain(`meter=${squatter} pktps burst stats bands=\ntype=drop rate=5000`);
    const cleared = await planFor(new Map());
    expect((await sb.backend.apply(cleared.changes)).every((o) => o.ok)).toBe(true);
    await settle();
    expect(await sb.dumpMeters()).not.toContain(`meter=${squatter} `);
    expect(Object.keys(await bridgeIds())).not.toContain('ovs-telemetry:meters');
  });
});
