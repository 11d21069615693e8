import { describe, expect, it } from 'vitest';
import { isTelemetryError } from '../../../common/errors.js';
import { OFP13, OFP14, OFP15 } from '../../../collector/openflow/constants.js';
import {
  allocMultipartRequest,
  decodeError,
  decodeFeaturesReply,
  decodeHeader,
  decodeMultipartReply,
  encodeEcho,
  encodeEmpty,
  encodeHello,
  helloVersions,
  negotiateVersion,
} from '../../../collector/openflow/messages.js';
import { encodeFlowMod, encodeMeterMod } from '../../../collector/openflow/mods.js';
import { hex } from './hex.js';

describe('HELLO and version negotiation (OF1.3.5 §6.3.1, §7.5.1)', () => {
  it('encodes HELLO with the highest version in the header and a version bitmap', () => {
    // bitmap 0x70 = versions 4, 5, 6 (OF1.3, 1.4, 1.5); element length 8, already 64-bit aligned
    expect(encodeHello([OFP13, OFP14, OFP15], 1).toString('hex')).toBe('0600001000000001' + '0001000800000070');
    expect(encodeHello([OFP13], 7).toString('hex')).toBe('0400001000000007' + '0001000800000010');
  });

  it('reads the bitmap of a peer HELLO', () => {
    // what ovs-vswitchd 3.1 sends to a client offering OF1.3 only: header version 6, no bitmap
    expect(helloVersions(hex('0600000800000080'))).toEqual({ highest: 6, bitmap: undefined });
    // OVS offering 1.0 - 1.5 by bitmap (0x7e)
    expect(helloVersions(hex('0600001000000001 000100080000007e'))).toEqual({ highest: 6, bitmap: [1, 2, 3, 4, 5, 6] });
  });

  it('picks the highest common version', () => {
    const all = [OFP13, OFP14, OFP15] as const;
    expect(negotiateVersion(all, hex('0600001000000001 000100080000007e'))).toBe(OFP15);
    expect(negotiateVersion(all, hex('0600001000000001 0001000800000032'))).toBe(OFP14); // bitmap {1,4,5}
    expect(negotiateVersion(all, hex('0400000800000001'))).toBe(OFP13); // no bitmap: up to 1.3
    expect(negotiateVersion([OFP13], hex('0600000800000080'))).toBe(OFP13);
    expect(negotiateVersion(all, hex('0100000800000001'))).toBeUndefined(); // OF1.0 only
    expect(negotiateVersion([OFP15], hex('0600001000000001 0001000800000012'))).toBeUndefined(); // {1,4}
  });

  it('skips unknown hello elements and rejects a bad element length', () => {
    expect(helloVersions(hex('0600001800000001 0009000600000000 0001000800000040'))).toEqual({ highest: 6, bitmap: [6] });
    let err: unknown;
    try {
      helloVersions(hex('0600001000000001 0001000200000040'));
    } catch (e) {
      err = e;
    }
    expect(isTelemetryError(err, 'PROTOCOL')).toBe(true);
  });
});

describe('fixed messages', () => {
  it('encodes ECHO, FEATURES_REQUEST and BARRIER_REQUEST', () => {
    expect(encodeEcho(OFP13, 2, 5, Buffer.from('hi')).toString('hex')).toBe('0402000a000000056869');
    expect(encodeEmpty(OFP14, 5, 0x10).toString('hex')).toBe('0505000800000010');
    expect(encodeEmpty(OFP15, 20, 0x11).toString('hex')).toBe('0614000800000011');
  });

  it('decodes FEATURES_REPLY (OF1.3.5 §7.3.1)', () => {
    const msg = hex('04060020 00000002 0000523e97a25b4b 00000000 fe 00 0000 0000004f 00000000');
    expect(decodeFeaturesReply(msg)).toEqual({
      datapathId: 0x0000523e97a25b4bn,
      nBuffers: 0,
      nTables: 254,
      auxiliaryId: 0,
      capabilities: 0x4f,
    });
    expect(() => decodeFeaturesReply(msg.subarray(0, 31))).toThrow(/FEATURES_REPLY truncated/);
  });

  it('decodes ERROR with its type name', () => {
    expect(decodeError(hex('0401 0014 00000100 0005 0002 040e00380000 0100'))).toEqual({
      type: 5,
      code: 2,
      typeName: 'FLOW_MOD_FAILED',
      dataHex: '040e003800000100',
    });
    expect(decodeError(hex('0401 000c 00000001 00c8 0001')).typeName).toBe('type 200');
  });

  it('frames multipart requests and replies (OF1.3.5 §7.3.5)', () => {
    const req = allocMultipartRequest(OFP13, 9, 8, 0x20);
    expect(req.toString('hex')).toBe('04120018000000200009000000000000' + '0000000000000000');
    expect(decodeMultipartReply(hex('0413 0018 00000020 0009 0001 00000000 0102030405060708'))).toMatchObject({ mpType: 9, more: true });
    const last = decodeMultipartReply(hex('0413 0010 00000020 0009 0000 00000000'));
    expect(last.more).toBe(false);
    expect(last.body.length).toBe(0);
    expect(() => decodeMultipartReply(hex('0413 000c 00000020 0009 0000'))).toThrow(/MULTIPART_REPLY truncated/);
  });

  it('decodes a header', () => {
    expect(decodeHeader(hex('0613 1234 deadbeef'))).toEqual({ version: 6, type: 19, length: 0x1234, xid: 0xdeadbeef });
  });
});

describe('FLOW_MOD and METER_MOD (OF1.3.5 §7.3.4)', () => {
  it('encodes a flow add with match and instructions', () => {
    const msg = encodeFlowMod(
      {
        command: 'add',
        tableId: 0,
        priority: 100,
        cookie: 0xabn,
        match: [{ field: 'in_port', value: 3 }],
        instructions: [{ type: 'meter', meterId: 7 }, { type: 'goto_table', tableId: 1 }],
      },
      OFP13,
      0x42,
    );
    expect(msg.toString('hex')).toBe(
      [
        '040e0050 00000042',
        '00000000000000ab 0000000000000000', // cookie, cookie_mask
        '00 00 0000 0000 0064', // table 0, ADD, idle, hard, priority 100
        'ffffffff ffffffff ffffffff 0000 0000', // buffer none, out_port any, out_group any, flags, pad
        '0001000c 80000004 00000003 00000000', // match in_port=3
        '0006 0008 00000007', // meter 7
        '0001 0008 01 000000', // goto_table 1
      ]
        .join('')
        .replace(/\s+/g, ''),
    );
  });

  it('defaults a delete to all tables and encodes importance from OF1.4 on', () => {
    const del = encodeFlowMod({ command: 'delete', cookie: 5n, cookieMask: 0xffn }, OFP13, 1);
    expect(del[24]).toBe(0xff);
    expect(del[25]).toBe(3);
    const withImportance = encodeFlowMod({ command: 'add', importance: 9 }, OFP14, 1);
    expect(withImportance.readUInt16BE(46)).toBe(9);
    expect(() => encodeFlowMod({ command: 'add', importance: 9 }, OFP13, 1)).toThrow(/importance/);
  });

  it('encodes a meter add: kbps, burst, one drop band', () => {
    const msg = encodeMeterMod({ command: 'add', meterId: 1, flags: ['kbps', 'burst'], bands: [{ type: 'drop', rate: 1000, burstSize: 100 }] }, OFP13, 3);
    expect(msg.toString('hex')).toBe('041d002000000003' + '0000 0005 00000001'.replace(/\s/g, '') + '0001 0010 000003e8 00000064 00000000'.replace(/\s/g, ''));
  });

  it('encodes meter modify with a dscp_remark band, and delete with no band', () => {
    const mod = encodeMeterMod({ command: 'modify', meterId: 2, flags: ['pktps'], bands: [{ type: 'dscp_remark', rate: 50, burstSize: 0, precLevel: 1 }] }, OFP15, 4);
    expect(mod.toString('hex')).toBe('061d002000000004' + '000100020000000200020010000000320000000001000000');
    expect(encodeMeterMod({ command: 'delete', meterId: 2 }, OFP13, 5).toString('hex')).toBe('041d001000000005' + '0002000000000002');
  });
});
