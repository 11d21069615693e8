import { describe, expect, it } from 'vitest';
import { broadcastFrom, parseTrace } from '../../../collector/explain/trace.js';

// ofproto/trace of a broadcast from a lab VM port (OVS 3.1, userspace datapath), trimmed.
const TRACE = `Flow: in_port=2,vlan_tci=0x0000,dl_src=fa:16:3e:fb:75:2e,dl_dst=ff:ff:ff:ff:ff:ff,dl_type=0x0000

bridge("br-int")
----------------
 0. in_port=2, priority 9, cookie 0x1a412ebed3169be2
    resubmit(,25)
25. in_port=2,dl_src=fa:16:3e:fb:75:2e, priority 2, cookie 0x1a412ebed3169be2
    resubmit(,60)
60. priority 3, cookie 0x1a412ebed3169be2
    NORMAL
     -> no learned MAC for destination, flooding

bridge("br-tun")
----------------
 0. in_port=1, priority 1, cookie 0x1a412ebed3169be2
    resubmit(,2)
22. dl_vlan=1, priority 1, cookie 0x1a412ebed3169be2
    pop_vlan
    set_field:0x3e9->tun_id
    output:2
     -> output to native tunnel
     -> tunneling to 172.31.255.2 via br-phy

bridge("br-phy")
----------------
 0. priority 0
    NORMAL
     -> forwarding to learned port

Final flow: unchanged
Megaflow: pkt_mark=0,recirc_id=0,eth,in_port=2,dl_src=fa:16:3e:fb:75:2e,dl_dst=ff:ff:ff:ff:ff:ff,dl_type=0x0000
Datapath actions: 3,push_vlan(vid=1,pcp=0),5,pop_vlan,2
`;

describe('parseTrace', () => {
  it('reads bridges, the flows hit in order (tables 10+ start at column 0), actions and notes', () => {
    const { value, skippedLines } = parseTrace(TRACE);
    expect(skippedLines).toBe(0);
    expect(value.flow).toBe('in_port=2,vlan_tci=0x0000,dl_src=fa:16:3e:fb:75:2e,dl_dst=ff:ff:ff:ff:ff:ff,dl_type=0x0000');
    expect(value.bridges.map((b) => b.bridge)).toEqual(['br-int', 'br-tun', 'br-phy']);
    expect(value.bridges[0].flows.map((f) => f.table)).toEqual([0, 25, 60]);
    expect(value.bridges[0].flows[1]).toEqual({
      table: 25, match: 'in_port=2,dl_src=fa:16:3e:fb:75:2e', priority: 2, cookie: '0x1a412ebed3169be2', actions: ['resubmit(,60)'], notes: [],
    });
    expect(value.bridges[0].flows[2].notes).toEqual(['no learned MAC for destination, flooding']);
    const tun = value.bridges[1].flows[1];
    expect(tun.actions).toEqual(['pop_vlan', 'set_field:0x3e9->tun_id', 'output:2']);
    expect(tun.notes).toContain('tunneling to 172.31.255.2 via br-phy');
    expect(value.bridges[2].flows[0]).toMatchObject({ table: 0, match: '', priority: 0, cookie: '' });
    expect(value.datapathActions).toBe('3,push_vlan(vid=1,pcp=0),5,pop_vlan,2');
    expect(value.megaflow).toMatch(/^pkt_mark=0,/);
  });

  it('counts lines it does not understand instead of failing', () => {
    const { value, skippedLines } = parseTrace('garbage\n    orphan action\nbridge("b")\n-\n 3. priority 1\n    drop\n');
    expect(skippedLines).toBe(2);
    expect(value.bridges).toEqual([{ bridge: 'b', flows: [{ table: 3, match: '', priority: 1, cookie: '', actions: ['drop'], notes: [] }] }]);
  });

  it('traces a broadcast from the port', () => {
    expect(broadcastFrom(5, 'fa:16:3e:00:00:01')).toBe('in_port=5,dl_src=fa:16:3e:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff');
  });
});
