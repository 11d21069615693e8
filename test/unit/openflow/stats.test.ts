import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTelemetryError } from '../../../common/errors.js';
import { OFP13, OFP14, OFP15, type OfVersion } from '../../../collector/openflow/constants.js';
import {
  decodeAggregate,
  decodeGroupDesc,
  decodeGroupStats,
  decodeMeterConfig,
  decodeMeterStats,
  decodePortDesc,
  decodePortStats,
  decodeQueueStats,
  decodeTableStats,
  descRequestBody,
  flowStatsRequestBody,
  forEachFlowStats,
  type FlowStats,
} from '../../../collector/openflow/stats.js';
import { hex } from './hex.js';

/**
 * Byte vectors built from the OpenFlow 1.3.5, 1.4.1 and 1.5.1 specifications' structures
 * (ofp_flow_stats, ofp15_flow_desc + ofp_stats/OXS, ofp_port_stats, ofp14_port_stats + ethernet
 * property, ...). Cross-checked against real ovs-vswitchd output in fixtures.test.ts.
 */

function flows(body: Buffer, version: OfVersion): FlowStats[] {
  const out: FlowStats[] = [];
  expect(forEachFlowStats(body, version, (f) => out.push(f))).toBe(out.length);
  return out;
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

// ofp_flow_stats (OF1.3/1.4): length 88, table 7, duration 10 s 100 ns, priority 0x1234, idle 60,
// hard 120, flags SEND_FLOW_REM, importance 7 (1.4 only), cookie, 2^32 packets, bytes n/a,
// match in_port=3, apply_actions(output:2 max_len 0xffe5).
const FLOW13 = `0058 07 00 0000000a 00000064 1234 003c 0078 0001 0007 0000
                0123456789abcdef 0000000100000000 ffffffffffffffff
                0001 000c 80000004 00000003 00000000
                0004 0018 00000000 0000 0010 00000002 ffe5 000000000000`;

// ofp15_flow_desc: length 88, table 7, priority, idle, hard, flags, importance 9, cookie, match,
// ofp_stats { duration 10 s 100 ns, packet_count 5, byte_count 1000 }, goto_table 5.
const FLOW15 = `0058 0000 07 00 1234 003c 0078 0001 0009 0123456789abcdef
                0001 000c 80000004 00000003 00000000
                0000 0028 80020008 0000000a00000064 80020808 0000000000000005 80020a08 00000000000003e8
                0001 0008 05 000000`;

describe('flow stats', () => {
  it('builds the request body (ofp11_flow_stats_request)', () => {
    expect(flowStatsRequestBody({}).toString('hex')).toBe(
      'ff000000' + 'ffffffff' + 'ffffffff' + '00000000' + '0000000000000000' + '0000000000000000' + '0001000400000000',
    );
    const filtered = flowStatsRequestBody({ tableId: 4, cookie: 0x10n, cookieMask: 0xffn, match: [{ field: 'tun_id', value: 0x3e9n }] });
    expect(filtered.toString('hex')).toBe(
      '04000000ffffffffffffffff00000000' + '0000000000000010' + '00000000000000ff' + '0001001080004c0800000000000003e9',
    );
  });

  it('decodes an OF1.3 entry', () => {
    expect(flows(hex(FLOW13), OFP13)).toEqual([
      {
        tableId: 7,
        priority: 0x1234,
        cookie: 0x0123456789abcdefn,
        idleTimeout: 60,
        hardTimeout: 120,
        flags: 1,
        importance: 0,
        durationSec: 10.0000001,
        idleAgeSec: undefined,
        packetCount: 2 ** 32,
        byteCount: undefined,
        match: [{ field: 'in_port', value: 3, mask: undefined }],
        instructions: [{ type: 'apply_actions', actions: [{ type: 'output', port: 2, maxLen: 0xffe5 }] }],
      },
    ]);
  });

  it('reads importance from the same bytes in OF1.4', () => {
    expect(flows(hex(FLOW13), OFP14)[0].importance).toBe(7);
  });

  it('decodes an OF1.5 flow desc with OXS statistics', () => {
    const [f] = flows(hex(FLOW15), OFP15);
    expect(f).toMatchObject({
      tableId: 7,
      priority: 0x1234,
      importance: 9,
      cookie: 0x0123456789abcdefn,
      durationSec: 10.0000001,
      idleAgeSec: undefined,
      packetCount: 5,
      byteCount: 1000,
      instructions: [{ type: 'goto_table', tableId: 5 }],
    });
  });

  it('leaves OXS fields the switch omitted undefined, and skips unknown ones', () => {
    // ofp_stats with only an experimenter OXS (class 0xffff, 4-byte experimenter id + 4 bytes)
    const body = hex(`0038 0000 00 00 0001 0000 0000 0000 0000 0000000000000000
                      0001 0004 00000000
                      0000 0010 ffff0008 00002320 00000001
                      0004 0008 00000000`);
    expect(flows(body, OFP15)[0]).toMatchObject({ durationSec: undefined, packetCount: undefined, byteCount: undefined, instructions: [{ type: 'apply_actions' }] });
  });

  it('decodes several entries in one body', () => {
    const body = Buffer.concat([hex(FLOW13), hex(FLOW13)]);
    expect(flows(body, OFP13)).toHaveLength(2);
  });

  it.each([
    ['entry length below the fixed part', '0030' + '00'.repeat(54), OFP13, /claims length 48/],
    ['entry length past the body', '0060' + FLOW13.replace(/\s+/g, '').slice(4), OFP13, /truncated/],
    ['a zero-length entry (would loop forever)', '0000' + '00'.repeat(86), OFP13, /claims length 0/],
    ['a body ending inside an entry header', '0058 07', OFP13, /truncated/],
    ['an OXS length past the entry', FLOW15.replace('0000 0028', '0000 0068'), OFP15, /OXS stats truncated/],
    ['instructions overrunning the entry', FLOW13.replace('0004 0018', '0004 0020'), OFP13, /instruction type 4 truncated/],
  ])('rejects %s', (_name, bytes, version, message) => {
    expect(protocolErrorOf(() => flows(hex(bytes), version as OfVersion)).message).toMatch(message);
  });
});

describe('aggregate and table stats', () => {
  it('decodes OF1.3 aggregate', () => {
    expect(decodeAggregate(hex('000000000000000e 000000000000047c 0000000c 00000000'), OFP13)).toEqual({ packetCount: 14, byteCount: 1148, flowCount: 12 });
  });

  it('decodes OF1.5 aggregate (ofp_stats with flow_count)', () => {
    const body = hex('0000 0024 80020808 000000000000000e 80020a08 000000000000047c 80020604 0000000c 00000000');
    expect(decodeAggregate(body, OFP15)).toEqual({ packetCount: 14, byteCount: 1148, flowCount: 12 });
  });

  it('rejects a short aggregate', () => {
    expect(protocolErrorOf(() => decodeAggregate(hex('00'.repeat(16)), OFP13)).message).toMatch(/aggregate reply truncated/);
  });

  it('decodes table stats (ofp13_table_stats)', () => {
    const body = hex('00 000000 00000002 0000000000000064 000000000000000a  fe 000000 00000000 0000000000000000 0000000000000000');
    expect(decodeTableStats(body)).toEqual([
      { tableId: 0, activeCount: 2, lookupCount: 100, matchedCount: 10 },
      { tableId: 254, activeCount: 0, lookupCount: 0, matchedCount: 0 },
    ]);
    expect(protocolErrorOf(() => decodeTableStats(body.subarray(0, 30))).message).toMatch(/not a multiple of 24/);
  });
});

describe('ports', () => {
  const desc13 = `00000001 00000000 5a33d4253c05 0000 766d3100000000000000000000000000
                  00000000 00000004 00000840 00000000 00000000 00000000 00989680 00000000`;
  const desc14 = `00000001 0048 0000 5a33d4253c05 0000 766d3100000000000000000000000000
                  00000000 00000004
                  0000 0020 00000000 00000840 00000000 00000000 00000000 00989680 00000000`;
  const expected = {
    portNo: 1,
    hwAddr: '5a:33:d4:25:3c:05',
    name: 'vm1',
    config: 0,
    state: 4,
    curr: 0x840,
    advertised: 0,
    supported: 0,
    peer: 0,
    currSpeedKbps: 10_000_000,
    maxSpeedKbps: 0,
  };

  it('builds the OF1.5 port desc request body, empty before', () => {
    expect(descRequestBody(OFP13, 0xffffffff).length).toBe(0);
    expect(descRequestBody(OFP15, 0xffffffff).toString('hex')).toBe('ffffffff00000000');
  });

  it('decodes OF1.3 port desc (ofp11_port)', () => {
    expect(decodePortDesc(hex(desc13), OFP13)).toEqual([expected]);
  });

  it('decodes OF1.4+ port desc (ofp14_port + ethernet property)', () => {
    expect(decodePortDesc(hex(desc14), OFP14)).toEqual([expected]);
    expect(decodePortDesc(hex(desc14), OFP15)).toEqual([expected]);
  });

  it('leaves features at 0 when an OF1.4 port has no ethernet property', () => {
    const bare = hex(desc14.replace('0048', '0028')).subarray(0, 40);
    expect(decodePortDesc(bare, OFP14)[0]).toMatchObject({ name: 'vm1', curr: 0, currSpeedKbps: 0 });
  });

  const stats13 = `00000002 00000000
                   0000000000000007 0000000000000010 000000000000023e 0000000000000514
                   0000000000000000 0000000000000001 0000000000000000 0000000000000000
                   ffffffffffffffff ffffffffffffffff ffffffffffffffff ffffffffffffffff
                   00000036 269fb200`;
  const stats14 = `0078 0000 00000002 00000036 269fb200
                   0000000000000007 0000000000000010 000000000000023e 0000000000000514
                   0000000000000000 0000000000000001 0000000000000000 0000000000000000
                   0000 0028 00000000 ffffffffffffffff ffffffffffffffff ffffffffffffffff ffffffffffffffff`;
  const expectedStats = {
    portNo: 2,
    durationSec: 54.648,
    rxPackets: 7,
    txPackets: 16,
    rxBytes: 574,
    txBytes: 1300,
    rxDropped: 0,
    txDropped: 1,
    rxErrors: 0,
    txErrors: 0,
    rxFrameErr: undefined,
    rxOverErr: undefined,
    rxCrcErr: undefined,
    collisions: undefined,
  };

  it('decodes OF1.3 port stats, all-ones counters as unavailable', () => {
    expect(decodePortStats(hex(stats13), OFP13)).toEqual([expectedStats]);
  });

  it('decodes OF1.4+ port stats with the ethernet property', () => {
    expect(decodePortStats(hex(stats14), OFP14)).toEqual([expectedStats]);
  });

  it('skips unknown OF1.4 port stats properties (OVS custom stats)', () => {
    const withCustom = hex(stats14.replace('0078 0000', '0088 0000') + ' ffff 000c 0000aa01 00000000 00000000');
    expect(decodePortStats(withCustom, OFP15)).toEqual([expectedStats]);
  });

  it.each([
    ['OF1.3 body not a multiple of 112', hex(stats13).subarray(0, 100), OFP13, /not a multiple of 112/],
    ['OF1.4 entry shorter than 80', hex('0040' + '00'.repeat(78)), OFP14, /claims length 64/],
    ['OF1.4 property length below 4', hex(stats14.replace('0000 0028 00000000', '0000 0002 00000000')), OFP14, /property type 0 has length 2/],
  ])('rejects %s', (_name, body, version, message) => {
    expect(protocolErrorOf(() => decodePortStats(body, version as OfVersion)).message).toMatch(message);
  });

  it('decodes queue stats in both layouts', () => {
    const q13 = '00000002 00000000 00000000000000c4 0000000000000002 0000000000000000 00000001 00000000';
    const expectedQueue = [{ portNo: 2, queueId: 0, txBytes: 196, txPackets: 2, txErrors: 0, durationSec: 1 }];
    expect(decodeQueueStats(hex(q13), OFP13)).toEqual(expectedQueue);
    expect(decodeQueueStats(hex(`0030 000000000000 ${q13}`), OFP14)).toEqual(expectedQueue);
    expect(protocolErrorOf(() => decodeQueueStats(hex(`0020 000000000000 ${q13}`), OFP14)).message).toMatch(/claims length 32/);
  });
});

describe('groups', () => {
  it('decodes group stats with bucket counters', () => {
    const body = hex(`0038 0000 00000001 00000002 00000000 0000000000000003 00000000000000c0 0000000a 00000000
                      0000000000000001 0000000000000040`);
    expect(decodeGroupStats(body)).toEqual([
      { groupId: 1, refCount: 2, packetCount: 3, byteCount: 192, durationSec: 10, buckets: [{ packetCount: 1, byteCount: 64 }] },
    ]);
    expect(protocolErrorOf(() => decodeGroupStats(hex(body.toString('hex').replace(/^0038/, '0030')).subarray(0, 48))).message).toMatch(/partial bucket/);
  });

  it('decodes OF1.3 group desc (ofp11_bucket)', () => {
    const body = hex('0028 01 00 00000001  0020 000a ffffffff ffffffff 00000000  0000 0010 00000001 0000 000000000000');
    expect(decodeGroupDesc(body, OFP13)).toEqual([
      {
        groupId: 1,
        type: 'select',
        buckets: [{ bucketId: undefined, weight: 10, watchPort: 0xffffffff, watchGroup: 0xffffffff, actions: [{ type: 'output', port: 1, maxLen: 0 }] }],
      },
    ]);
  });

  it('decodes OF1.5 group desc (ofp15_bucket with properties)', () => {
    const body = hex(`0030 03 00 00000002 0020 000000000000
                      0020 0010 00000000 0000 0010 00000001 0000 000000000000
                      0001 0008 00000005`);
    expect(decodeGroupDesc(body, OFP15)).toEqual([
      {
        groupId: 2,
        type: 'fast_failover',
        buckets: [{ bucketId: 0, weight: 0, watchPort: 5, watchGroup: 0xffffffff, actions: [{ type: 'output', port: 1, maxLen: 0 }] }],
      },
    ]);
  });

  it('rejects an OF1.5 bucket list longer than its entry', () => {
    const body = hex('0010 00 00 00000002 0040 000000000000');
    expect(protocolErrorOf(() => decodeGroupDesc(body, OFP15)).message).toMatch(/overruns/);
  });
});

describe('meters', () => {
  it('decodes meter stats with band counters', () => {
    const body = hex(`00000001 0038 000000000000 00000001 0000000000000064 0000000000001f40 0000002e 00000000
                      0000000000000014 0000000000000500`);
    expect(decodeMeterStats(body)).toEqual([
      { meterId: 1, flowCount: 1, packetInCount: 100, byteInCount: 8000, durationSec: 46, bands: [{ packetCount: 20, byteCount: 1280 }] },
    ]);
  });

  it('decodes meter config with drop, dscp_remark and experimenter bands', () => {
    const body = hex(`0038 000d 00000001
                      0001 0010 000003e8 00000064 00000000
                      0002 0010 00000032 00000000 01 000000
                      ffff 0010 00000001 00000002 00002320`);
    expect(decodeMeterConfig(body)).toEqual([
      {
        meterId: 1,
        flags: ['kbps', 'burst', 'stats'],
        bands: [
          { type: 'drop', rate: 1000, burstSize: 100 },
          { type: 'dscp_remark', rate: 50, burstSize: 0, precLevel: 1 },
          { type: 'experimenter', rate: 1, burstSize: 2, experimenter: 0x2320 },
        ],
      },
    ]);
  });

  it.each([
    ['a meter stats length leaving a partial band', () => decodeMeterStats(hex('00000001 0030 000000000000' + '00'.repeat(40))), /partial band/],
    ['a band shorter than 16', () => decodeMeterConfig(hex('0018 0001 00000001 0001 0008 000003e8 00000064 00000000')), /meter band length 8/],
    ['a meter config entry shorter than 8', () => decodeMeterConfig(hex('0004 0001 00000001')), /claims length 4/],
  ])('rejects %s', (_name, fn, message) => {
    expect(protocolErrorOf(fn).message).toMatch(message);
  });
});

describe('robustness', () => {
  it('no decoder throws anything but PROTOCOL on arbitrary bodies (property)', () => {
    const decoders: ((b: Buffer, v: OfVersion) => unknown)[] = [
      (b, v) => forEachFlowStats(b, v, () => undefined),
      (b, v) => decodeAggregate(b, v),
      (b) => decodeTableStats(b),
      (b, v) => decodePortDesc(b, v),
      (b, v) => decodePortStats(b, v),
      (b, v) => decodeQueueStats(b, v),
      (b) => decodeGroupStats(b),
      (b, v) => decodeGroupDesc(b, v),
      (b) => decodeMeterStats(b),
      (b) => decodeMeterConfig(b),
    ];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.constantFrom(OFP13, OFP14, OFP15), (bytes, version) => {
        for (const decode of decoders) {
          try {
            decode(Buffer.from(bytes), version);
          } catch (e) {
            expect(isTelemetryError(e, 'PROTOCOL')).toBe(true);
          }
        }
      }),
      { numRuns: 3000 },
    );
  });
});
