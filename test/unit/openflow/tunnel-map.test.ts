import { describe, expect, it } from 'vitest';
import type { Action } from '../../../collector/openflow/actions.js';
import type { MatchField } from '../../../collector/openflow/oxm.js';
import { TunnelVlanMap } from '../../../collector/openflow/tunnel-map.js';

function flow(match: MatchField[], actions: Action[]): { match: MatchField[]; instructions: [{ type: 'apply_actions'; actions: Action[] }] } {
  return { match, instructions: [{ type: 'apply_actions', actions }] };
}

describe('TunnelVlanMap (br-tun local VLAN <-> VNI)', () => {
  it('reads the OF1.3+ forms OVS 3.1 reports (push_vlan + set_field, pop_vlan + set_field tun_id)', () => {
    const map = TunnelVlanMap.from([
      flow([{ field: 'tun_id', value: 0x3e9n }], [
        { type: 'push_vlan', ethertype: 0x8100 },
        { type: 'set_field', field: { field: 'vlan_vid', value: 0x1001 } },
        { type: 'resubmit', port: 0xfffffff8, tableId: 10, ct: false },
      ]),
      flow([{ field: 'vlan_vid', value: 0x1001 }], [
        { type: 'pop_vlan' },
        { type: 'set_field', field: { field: 'tun_id', value: 0x3e9n } },
        { type: 'output', port: 2, maxLen: 0 },
      ]),
    ]);
    expect(map.vniToVlan).toEqual(new Map([[1001, 1]]));
    expect(map.vlanToVni).toEqual(new Map([[1, 1001]]));
  });

  it('reads the Nicira forms (set_tunnel, reg_load to vlan_tci / tun_id, NXM vlan_tci match)', () => {
    const map = TunnelVlanMap.from([
      flow([{ field: 'tun_id', value: 0x3ean, mask: 0xffffffffffffffffn }], [{ type: 'reg_load', field: 'vlan_tci', ofs: 0, nBits: 16, value: 0x1002n }]),
      flow([{ field: 'vlan_tci', value: 0x1002, mask: 0x1fff }], [{ type: 'set_tunnel', tunnelId: 0x3ean }]),
      flow([{ field: 'vlan_vid', value: 0x1003 }, { field: 'eth_dst', value: 'fa:16:3e:00:00:01' }], [
        { type: 'reg_load', field: 'tun_id', ofs: 0, nBits: 64, value: 0x3ebn },
      ]),
    ]);
    expect(map.vniToVlan).toEqual(new Map([[1002, 2]]));
    expect(map.vlanToVni).toEqual(new Map([
      [2, 1002],
      [3, 1003],
    ]));
  });

  it('ignores masked tunnel ids, untagged matches and flows without a mapping action', () => {
    const map = TunnelVlanMap.from([
      flow([{ field: 'tun_id', value: 0x3e9n, mask: 0xffn }], [{ type: 'set_field', field: { field: 'vlan_vid', value: 0x1001 } }]),
      flow([{ field: 'vlan_vid', value: 0x0000 }], [{ type: 'set_tunnel', tunnelId: 5n }]),
      flow([{ field: 'vlan_vid', value: 0x1001 }], [{ type: 'output', port: 1, maxLen: 0 }]),
      flow([{ field: 'in_port', value: 1 }], [{ type: 'set_tunnel', tunnelId: 7n }]),
      flow([{ field: 'vlan_vid', value: 0x1004 }], [{ type: 'set_tunnel', tunnelId: 1n << 40n }]),
    ]);
    expect(map.vniToVlan.size).toBe(0);
    expect(map.vlanToVni.size).toBe(0);
  });
});
