import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTelemetryError } from '../../../common/errors.js';
import { actionsLength, decodeActions, encodeActions, type Action } from '../../../collector/openflow/actions.js';
import { OFP13, OFP15, OFPP_IN_PORT, OFPP_NORMAL } from '../../../collector/openflow/constants.js';
import { decodeInstructions, encodeInstructions, instructionsLength, type Instruction } from '../../../collector/openflow/instructions.js';
import { hex } from './hex.js';

function decode(bytes: string): Action[] {
  const buf = hex(bytes);
  return decodeActions(buf, 0, buf.length);
}

function protocolErrorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    expect(isTelemetryError(e, 'PROTOCOL')).toBe(true);
    return e as Error;
  }
  throw new Error('expected a PROTOCOL error');
}

/** OF1.3.5 §7.2.5 actions and the Nicira actions of OVS (ofp-actions.c structs). */
describe('action decoding', () => {
  const cases: [string, string, Action][] = [
    ['output NORMAL', '0000 0010 fffffffa 0000 000000000000', { type: 'output', port: OFPP_NORMAL, maxLen: 0 }],
    ['output to controller with max_len', '0000 0010 fffffffd ffe5 000000000000', { type: 'output', port: 0xfffffffd, maxLen: 0xffe5 }],
    ['group', '0016 0008 00000001', { type: 'group', groupId: 1 }],
    ['set_queue', '0015 0008 00000003', { type: 'set_queue', queueId: 3 }],
    ['push_vlan 802.1Q', '0011 0008 8100 0000', { type: 'push_vlan', ethertype: 0x8100 }],
    ['pop_vlan', '0012 0008 00000000', { type: 'pop_vlan' }],
    ['dec_nw_ttl', '0018 0008 00000000', { type: 'dec_nw_ttl' }],
    ['OF1.5 meter', '001d 0008 00000001', { type: 'meter', meterId: 1 }],
    ['set_field vlan_vid (mod_vlan_vid:1 in OF1.3)', '0019 0010 80000c02 1001 000000000000', { type: 'set_field', field: { field: 'vlan_vid', value: 0x1001, mask: undefined } }],
    ['set_field tun_id (set_tunnel in OF1.3)', '0019 0010 80004c08 00000000000003e9', { type: 'set_field', field: { field: 'tun_id', value: 0x3e9n, mask: undefined } }],
    ['NXAST_RESUBMIT', 'ffff 0010 00002320 0001 0005 00 000000', { type: 'resubmit', port: 5, tableId: undefined, ct: false }],
    ['NXAST_RESUBMIT_TABLE resubmit(,10)', 'ffff 0010 00002320 000e fff8 0a 000000', { type: 'resubmit', port: OFPP_IN_PORT, tableId: 10, ct: false }],
    ['NXAST_RESUBMIT_TABLE_CT', 'ffff 0010 00002320 002c fff8 14 000000', { type: 'resubmit', port: OFPP_IN_PORT, tableId: 20, ct: true }],
    ['NXAST_SET_TUNNEL', 'ffff 0010 00002320 0002 0000 000003e9', { type: 'set_tunnel', tunnelId: 0x3e9n }],
    ['NXAST_SET_TUNNEL64', 'ffff 0018 00002320 0009 000000000000 00000000000003ea', { type: 'set_tunnel', tunnelId: 0x3ean }],
    [
      'NXAST_REG_LOAD load:0x3e9->NXM_NX_TUN_ID[]',
      'ffff 0018 00002320 0007 003f 00012008 00000000000003e9',
      { type: 'reg_load', field: 'tun_id', ofs: 0, nBits: 64, value: 0x3e9n },
    ],
    ['NXAST_REG_LOAD2 (set_field in an NX wrapper)', 'ffff 0018 00002320 0021 00010a04 00000007 000000000000', { type: 'set_field', field: { field: 'reg5', value: 7, mask: undefined } }],
    ['NXAST_NOTE', 'ffff 0010 00002320 0008 abcd00000000', { type: 'note', hex: '0xabcd00000000' }],
    ['NXAST_CONJUNCTION conjunction(7,1/2)', 'ffff 0010 00002320 0022 00 02 00000007', { type: 'conjunction', clause: 0, nClauses: 2, id: 7 }],
    ['unknown Nicira subtype', 'ffff 0010 00002320 0011 000000000000', { type: 'experimenter', experimenter: 0x2320, subtype: 17 }],
    ['other experimenter', 'ffff 0010 4f4e4600 0c80 000000000000', { type: 'experimenter', experimenter: 0x4f4e4600, subtype: 0xc80 }],
    ['other standard action', '000b 0008 00000000', { type: 'other', code: 11 }],
  ];
  it.each(cases)('%s', (_name, bytes, expected) => {
    expect(decode(bytes)).toEqual([expected]);
  });

  it('decodes ct(commit,zone=5,nat) with its nested actions', () => {
    const actions = decode(`ffff 0028 00002320 0023 0001 00000000 0005 ff 000000 0000
                            ffff 0010 00002320 0024 0000 0000 0000`);
    expect(actions).toEqual([
      {
        type: 'ct',
        commit: true,
        zone: 5,
        zoneField: undefined,
        recircTable: undefined,
        alg: 0,
        actions: [{ type: 'experimenter', experimenter: 0x2320, subtype: 36 }],
      },
    ]);
  });

  it('decodes ct with the zone taken from a register', () => {
    const [ct] = decode('ffff 0018 00002320 0023 0000 00010c04 001f 0a 000000 0000');
    expect(ct).toMatchObject({ type: 'ct', commit: false, zone: undefined, zoneField: 'reg6', recircTable: 10 });
  });

  it('decodes a list in order', () => {
    expect(decode('0012 0008 00000000 0019 0010 80004c08 00000000000003e9 0000 0010 00000002 0000 000000000000').map((a) => a.type)).toEqual([
      'pop_vlan',
      'set_field',
      'output',
    ]);
  });

  it.each([
    ['length not a multiple of 8', '0000 000c 00000001 00000000', /length 12/],
    ['length below 8', '0000 0004 00000000', /length 4/],
    ['length past the list', '0000 0010 00000001', /truncated/],
    ['output shorter than 16', '0000 0008 00000001', /needs 16/],
    ['set_tunnel64 shorter than 24', 'ffff 0010 00002320 0009 000000000000', /needs 24/],
    ['set_field whose OXM overruns the action', '0019 0008 80004c08', /OXM field truncated/],
    ['partial header', '0000', /action header truncated/],
  ])('rejects %s', (_name, bytes, message) => {
    expect(protocolErrorOf(() => decode(bytes)).message).toMatch(message);
  });

  it('never throws anything but PROTOCOL on arbitrary bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const buf = Buffer.from(bytes);
        try {
          decodeActions(buf, 0, buf.length);
          decodeInstructions(buf, 0, buf.length);
        } catch (e) {
          expect(isTelemetryError(e, 'PROTOCOL')).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('action and instruction encoding', () => {
  const neutronTable4: Action[] = [
    { type: 'push_vlan', ethertype: 0x8100 },
    { type: 'set_field', field: { field: 'vlan_vid', value: 0x1001 } },
    { type: 'resubmit', port: OFPP_IN_PORT, tableId: 10, ct: false },
  ];

  it('encodes the br-tun table-4 actions with the bytes OVS 3.1 uses', () => {
    const buf = Buffer.alloc(actionsLength(neutronTable4));
    encodeActions(buf, 0, neutronTable4, OFP13);
    expect(buf.toString('hex')).toBe('001100088100000000190010' + '80000c021001000000000000' + 'ffff001000002320000efff80a000000');
  });

  it('round-trips every encodable action', () => {
    const actions: Action[] = [
      ...neutronTable4,
      { type: 'output', port: 2, maxLen: 0 },
      { type: 'group', groupId: 9 },
      { type: 'set_queue', queueId: 1 },
      { type: 'pop_vlan' },
      { type: 'dec_nw_ttl' },
      { type: 'set_tunnel', tunnelId: 0x123456789an },
      { type: 'meter', meterId: 4 },
    ];
    const buf = Buffer.alloc(actionsLength(actions));
    encodeActions(buf, 0, actions, OFP15);
    const decoded = decodeActions(buf, 0, buf.length);
    expect(decoded).toEqual(actions.map((a) => (a.type === 'set_field' ? { ...a, field: { ...a.field, mask: undefined } } : a)));
  });

  it('refuses the meter action before OF1.5 and actions it cannot encode', () => {
    const buf = Buffer.alloc(64);
    expect(() => encodeActions(buf, 0, [{ type: 'meter', meterId: 1 }], OFP13)).toThrow(/meter instruction/);
    expect(() => actionsLength([{ type: 'note', hex: '0x00' }])).toThrow(/not supported/);
  });

  it('decodes each instruction type (OF1.3.5 §7.2.4)', () => {
    const buf = hex(`0001 0008 04 000000
                     0002 0018 00000000 0000000000000002 00000000000000ff
                     0003 0010 00000000 0015 0008 00000001
                     0004 0008 00000000
                     0005 0008 00000000
                     0006 0008 00000001
                     ffff 0008 00002320`);
    expect(decodeInstructions(buf, 0, buf.length)).toEqual([
      { type: 'goto_table', tableId: 4 },
      { type: 'write_metadata', metadata: 2n, mask: 0xffn },
      { type: 'write_actions', actions: [{ type: 'set_queue', queueId: 1 }] },
      { type: 'apply_actions', actions: [] },
      { type: 'clear_actions' },
      { type: 'meter', meterId: 1 },
      { type: 'other', code: 0xffff },
    ]);
  });

  it.each([
    ['write_metadata shorter than 24', '0002 0010 00000000 0000000000000002', /needs 24/],
    ['length past the list', '0001 0010 04000000', /truncated/],
    ['length not a multiple of 8', '0001 0009 04000000 00', /length 9/],
  ])('rejects an instruction list with %s', (_name, bytes, message) => {
    const buf = hex(bytes);
    expect(protocolErrorOf(() => decodeInstructions(buf, 0, buf.length)).message).toMatch(message);
  });

  it('keeps the meter instruction in OF1.3 and moves it into apply_actions in OF1.5', () => {
    const instructions: Instruction[] = [
      { type: 'meter', meterId: 1 },
      { type: 'apply_actions', actions: [{ type: 'output', port: 1, maxLen: 0 }] },
      { type: 'goto_table', tableId: 4 },
    ];
    const of13 = Buffer.alloc(instructionsLength(instructions, OFP13));
    encodeInstructions(of13, 0, instructions, OFP13);
    expect(decodeInstructions(of13, 0, of13.length)).toEqual(instructions);
    const of15 = Buffer.alloc(instructionsLength(instructions, OFP15));
    encodeInstructions(of15, 0, instructions, OFP15);
    expect(decodeInstructions(of15, 0, of15.length)).toEqual([
      { type: 'apply_actions', actions: [{ type: 'meter', meterId: 1 }, { type: 'output', port: 1, maxLen: 0 }] },
      { type: 'goto_table', tableId: 4 },
    ]);
    const onlyMeter = Buffer.alloc(instructionsLength([{ type: 'meter', meterId: 2 }], OFP15));
    encodeInstructions(onlyMeter, 0, [{ type: 'meter', meterId: 2 }], OFP15);
    expect(decodeInstructions(onlyMeter, 0, onlyMeter.length)).toEqual([{ type: 'apply_actions', actions: [{ type: 'meter', meterId: 2 }] }]);
  });
});
