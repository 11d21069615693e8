import { describe, expect, it } from 'vitest';
import { brIntFlows, brTunFlows, ndTargets } from '../../../lab/neutron-flows.js';

describe('Neutron flow tables', () => {
  it('br-tun maps VNI to local VLAN (table 4) and back (table 22)', () => {
    const flows = brTunFlows('0x1', 1, 2, [
      { vni: 1001, localVlan: 1 },
      { vni: 1002, localVlan: 2 },
    ]);
    expect(flows).toContain('cookie=0x1,table=4,priority=1,tun_id=0x3e9,actions=mod_vlan_vid:1,resubmit(,10)');
    expect(flows).toContain('cookie=0x1,table=22,priority=1,dl_vlan=2,actions=strip_vlan,set_tunnel:0x3ea,output:2');
    expect(flows.filter((f) => f.includes('table=0,'))).toEqual([
      'cookie=0x1,table=0,priority=1,in_port=1,actions=resubmit(,2)',
      'cookie=0x1,table=0,priority=1,in_port=2,actions=resubmit(,4)',
      'cookie=0x1,table=0,priority=0,actions=drop',
    ]);
    expect(flows.find((f) => f.includes('table=10,'))).toMatch(/learn\(table=20,.*\),output:1$/);
  });

  it('br-int protects each VM port against ARP, ND and MAC spoofing, then switches NORMAL', () => {
    const flows = brIntFlows('0x2', [{ ofport: 3, mac: 'fa:16:3e:4c:91:2a', ip: '10.0.0.11', ipv6: ['fd00:a1fa::f816:3eff:fe4c:912a'] }]);
    expect(flows).toContain('cookie=0x2,table=24,priority=2,arp,in_port=3,arp_spa=10.0.0.11,actions=resubmit(,25)');
    expect(flows).toContain('cookie=0x2,table=25,priority=2,in_port=3,dl_src=fa:16:3e:4c:91:2a,actions=resubmit(,60)');
    expect(flows.filter((f) => f.includes('nd_target='))).toHaveLength(2);
    expect(flows.at(-1)).toBe('cookie=0x2,table=60,priority=3,actions=NORMAL');
  });

  it('lists the link-local address among the ND targets', () => {
    expect(ndTargets('fa:16:3e:4c:91:2a', [])).toEqual(['fe80::f816:3eff:fe4c:912a']);
  });
});
