import { describe, expect, it } from 'vitest';
import { planLab } from '../../../lab/topology.js';

describe('lab topology', () => {
  const plan = planLab('otl', '/var/tmp/lab');

  it('is the same for every run and every prefix, except the namespace names', () => {
    const other = planLab('x1', '/tmp/elsewhere');
    expect(other.vms.map((v) => [v.neutron_port_id, v.mac, v.interface, v.vm_uuid])).toEqual(
      plan.vms.map((v) => [v.neutron_port_id, v.mac, v.interface, v.vm_uuid]),
    );
    expect(other.vms.map((v) => v.netns)).toEqual(plan.vms.map((v) => v.netns.replace(/^otl-/, 'x1-')));
  });

  it('has two networks of two projects sharing 10.0.0.0/24, with one IP on both', () => {
    expect(plan.networks.map((n) => [n.cidr, n.segmentation_id])).toEqual([
      ['10.0.0.0/24', 1001],
      ['10.0.0.0/24', 1002],
    ]);
    expect(new Set(plan.networks.map((n) => n.project_id)).size).toBe(2);
    const byIp = Map.groupBy(plan.vms, (v) => v.ip);
    expect([...byIp.values()].some((vms) => new Set(vms.map((v) => v.network_id)).size === 2)).toBe(true);
  });

  it('gives each network a different local VLAN per host, and VMs the VLAN of their host', () => {
    for (const n of plan.networks) expect(n.local_vlans['compute-1']).not.toBe(n.local_vlans['compute-2']);
    for (const vm of plan.vms) {
      expect(vm.vlan).toBe(plan.networks.find((n) => n.id === vm.network_id)!.local_vlans[vm.host]);
    }
  });

  it('makes unique MACs, taps, ofports per host and names that fit IFNAMSIZ', () => {
    const ports = [...plan.vms, ...plan.agentPorts];
    expect(new Set(ports.map((p) => p.mac)).size).toBe(ports.length);
    expect(new Set(ports.map((p) => p.interface)).size).toBe(ports.length);
    expect(new Set(ports.map((p) => p.netns)).size).toBe(ports.length);
    expect(new Set(ports.map((p) => `${p.host}/${p.ofport}`)).size).toBe(ports.length);
    const longest = planLab('abcdefgh', '/d');
    for (const name of [...longest.hosts.map((h) => h.underlayLink), ...ports.map((p) => p.interface)]) {
      expect(name.length).toBeLessThanOrEqual(15);
    }
  });

  it('runs compute-1 in the root namespace and compute-2 in its own', () => {
    expect(plan.hosts.map((h) => [h.name, h.netns, h.exporting])).toEqual([
      ['compute-1', null, true],
      ['compute-2', 'otl-cn2', false],
    ]);
  });

  it('rejects prefixes that would not fit or not be recognisable', () => {
    for (const bad of ['', 'OTL', 'abcdefghi', '1ab', 'a-b']) {
      expect(() => planLab(bad, '/d')).toThrow(expect.objectContaining({ code: 'USAGE' }));
    }
  });
});
