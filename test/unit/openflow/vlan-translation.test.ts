import { describe, expect, it } from 'vitest';
import type { Action } from '../../../collector/openflow/actions.js';
import type { MatchField } from '../../../collector/openflow/oxm.js';
import { VlanTranslations } from '../../../collector/openflow/vlan-translation.js';

function flow(match: MatchField[], actions: Action[]) {
  return { match, instructions: [{ type: 'apply_actions' as const, actions }] };
}

const setVid = (vid: number): Action => ({ type: 'set_field', field: { field: 'vlan_vid', value: 0x1000 | vid } });

describe('VlanTranslations (provider VLAN <-> local VLAN flows)', () => {
  it('records matched VLAN -> rewritten VLAN in the OF1.3 and Nicira forms', () => {
    const map = new VlanTranslations();
    // br-int inbound: in_port=int-br-ex,dl_vlan=100 actions=mod_vlan_vid:1
    map.add(flow([{ field: 'in_port', value: 3 }, { field: 'vlan_vid', value: 0x1064 }], [setVid(1), { type: 'resubmit', port: 0xfffffff8, tableId: 60, ct: false }]));
    // NXM vlan_tci match with reg_load
    map.add(flow([{ field: 'vlan_tci', value: 0x1065, mask: 0x1fff }], [{ type: 'reg_load', field: 'vlan_tci', ofs: 0, nBits: 16, value: 0x1002n }]));
    expect(map.pairs).toEqual(new Map([[100, 1], [101, 2]]));
  });

  it('ignores untagged and masked matches, same-VLAN rewrites, strip_vlan, and later flows for the same VLAN', () => {
    const map = new VlanTranslations();
    map.add(flow([{ field: 'vlan_tci', value: 0x0000, mask: 0x1fff }], [setVid(5)]));
    map.add(flow([{ field: 'vlan_vid', value: 0x1000, mask: 0x1000 }], [setVid(6)]));
    map.add(flow([{ field: 'vlan_vid', value: 0x1007 }], [setVid(7)]));
    map.add(flow([{ field: 'vlan_vid', value: 0x1008 }], [{ type: 'pop_vlan' }]));
    map.add(flow([{ field: 'vlan_vid', value: 0x1009 }], [setVid(10)]));
    map.add(flow([{ field: 'vlan_vid', value: 0x1009 }], [setVid(11)]));
    expect(map.pairs).toEqual(new Map([[9, 10]]));
  });
});
