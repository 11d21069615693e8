import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../../common/model.js';
import {
  decodeFlowDatagram,
  informationElement,
  informationElementName,
  looksLikeNetflow,
  MAX_TEMPLATE_FIELDS,
  MessageHeader,
  NetflowContext,
  NetflowDecodeError,
  PEN_VMWARE,
  type RecordInfo,
} from '../../../collector/ipfix/decode.js';
import { concat, ipv4, ipv6, mac, u16, u32, u64 } from '../../helpers/sflow-encoder.js';
import {
  dataSet,
  ipfixMessage,
  optionsTemplateRecord,
  optionsTemplateSet,
  set,
  templateRecord,
  templateSet,
  text,
  uint,
  v5Packet,
  v9OptionsTemplateFlowset,
  v9OptionsTemplateRecord,
  v9Packet,
  v9TemplateFlowset,
  varField,
  type FieldSpec,
} from './encoder.js';

interface Decoded {
  rec: FlowRecord;
  info: RecordInfo;
  header: MessageHeader;
}

/** Decode datagrams in order with one context; records and options records copied out. */
function decodeAll(ctx: NetflowContext, ...datagrams: Uint8Array[]) {
  const flows: Decoded[] = [];
  const options: { info: RecordInfo; header: MessageHeader }[] = [];
  const headers: MessageHeader[] = [];
  const sink = {
    flow: (rec: FlowRecord, info: RecordInfo, header: MessageHeader) => flows.push({ rec: { ...rec } as FlowRecord, info: { ...info } as RecordInfo, header: { ...header } as MessageHeader }),
    options: (info: RecordInfo, header: MessageHeader) => options.push({ info: { ...info } as RecordInfo, header: { ...header } as MessageHeader }),
  };
  datagrams.forEach((d, i) => {
    ctx.tag = i + 1;
    headers.push({ ...decodeFlowDatagram(d, ctx, sink) } as MessageHeader);
  });
  return { flows, options, headers };
}

function newContext(address = '192.0.2.1', port = 50000, timeNs = 1_700_000_000_000_000_000n): NetflowContext {
  const ctx = new NetflowContext();
  ctx.setExporter(address, port);
  ctx.timeReceivedNs = timeNs;
  return ctx;
}

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof NetflowDecodeError) return err.reason;
    throw err;
  }
  return 'no error';
}

// The fields Open vSwitch 3.1 puts in a tunnel (br-tun) IPv4 template (ofproto-dpif-ipfix.c).
const OVS_TUNNEL_TEMPLATE: FieldSpec[] = [
  { id: 138, length: 4 }, // observationPointId
  { id: 61, length: 1 }, // flowDirection
  { id: 56, length: 6 }, // sourceMacAddress
  { id: 80, length: 6 }, // destinationMacAddress
  { id: 256, length: 2 }, // ethernetType
  { id: 10, length: 4 }, // ingressInterface
  { id: 82, length: 65535 }, // interfaceName (ingress)
  { id: 893, length: 4, enterprise: PEN_VMWARE }, // tunnelSourceIPv4Address
  { id: 894, length: 4, enterprise: PEN_VMWARE }, // tunnelDestinationIPv4Address
  { id: 895, length: 1, enterprise: PEN_VMWARE }, // tunnelProtocolIdentifier
  { id: 896, length: 2, enterprise: PEN_VMWARE }, // tunnelSourceTransportPort
  { id: 897, length: 2, enterprise: PEN_VMWARE }, // tunnelDestinationTransportPort
  { id: 891, length: 1, enterprise: PEN_VMWARE }, // tunnelType
  { id: 892, length: 65535, enterprise: PEN_VMWARE }, // tunnelKey
  { id: 14, length: 4 }, // egressInterface
  { id: 82, length: 65535 }, // interfaceName (egress)
  { id: 4, length: 1 }, // protocolIdentifier
  { id: 8, length: 4 }, // sourceIPv4Address
  { id: 12, length: 4 }, // destinationIPv4Address
  { id: 7, length: 2 }, // sourceTransportPort
  { id: 11, length: 2 }, // destinationTransportPort
  { id: 158, length: 4 }, // flowStartDeltaMicroseconds
  { id: 159, length: 4 }, // flowEndDeltaMicroseconds
  { id: 2, length: 8 }, // packetDeltaCount
  { id: 352, length: 8 }, // layer2OctetDeltaCount
  { id: 1, length: 8 }, // octetDeltaCount
  { id: 218, length: 8 }, // tcpSynTotalCount
  { id: 222, length: 8 }, // tcpAckTotalCount
  { id: 136, length: 1 }, // flowEndReason
];

function ovsTunnelRecord(): Uint8Array {
  return concat(
    u32(457),
    new Uint8Array([0]),
    mac('fa:16:3e:e3:58:6b'),
    mac('fa:16:3e:b7:05:d3'),
    u16(0x0800),
    u32(0),
    varField(text('vxlan-ac1fff02')),
    ipv4('172.31.255.2'),
    ipv4('172.31.255.1'),
    new Uint8Array([17]),
    u16(54228, 4789),
    new Uint8Array([1]),
    varField(uint(1002, 3)),
    u32(8),
    varField(text('tap0ddb7fbe-3c')),
    new Uint8Array([6]),
    ipv4('10.0.0.15'),
    ipv4('10.0.0.13'),
    u16(5202, 43303),
    u32(3_000_000, 2_000_000),
    u64(12),
    u64(828),
    u64(660),
    u64(1),
    u64(11),
    new Uint8Array([2]),
  );
}

describe('IPFIX', () => {
  it('decodes an Open vSwitch tunnel record: VMware (6876) tunnel elements, names, delta times, counts', () => {
    const ctx = newContext('127.0.0.1', 60408, 1_795_465_261_166_512_000n);
    const msg = ipfixMessage(
      { exportTime: 1795465262, sequence: 3, domain: 124 },
      templateSet(templateRecord(282, OVS_TUNNEL_TEMPLATE)),
      dataSet(282, ovsTunnelRecord()),
    );
    const { flows, headers } = decodeAll(ctx, msg);
    expect(flows).toHaveLength(1);
    const { rec, info } = flows[0];
    expect(rec).toMatchObject({
      type: 'IPFIX',
      time_received_ns: 1_795_465_261_166_512_000n,
      sequence_num: 3,
      observation_domain_id: 124,
      sampler_address: '127.0.0.1',
      sampling_rate: 0,
      src_mac: 'fa:16:3e:e3:58:6b',
      dst_mac: 'fa:16:3e:b7:05:d3',
      etype: 0x0800,
      in_if: 0,
      out_if: 8,
      proto: 6,
      src_addr: '10.0.0.15',
      dst_addr: '10.0.0.13',
      src_port: 5202,
      dst_port: 43303,
      packets: 12,
      bytes: 660,
      tcp_flags: 0x12, // SYN and ACK counts are not zero
      tunnel_id: 1002,
      tunnel_src_addr: '172.31.255.2',
      tunnel_dst_addr: '172.31.255.1',
      // flowStart/EndDeltaMicroseconds count back from the export time (RFC 5102 158/159).
      time_flow_start_ns: 1_795_465_259_000_000_000n,
      time_flow_end_ns: 1_795_465_260_000_000_000n,
    });
    expect(info).toMatchObject({
      templateId: 282,
      observationPointId: 457,
      flowDirection: 0,
      ingressInterfaceName: 'vxlan-ac1fff02',
      egressInterfaceName: 'tap0ddb7fbe-3c',
      tunnelType: 1,
      tunnelProtocol: 17,
      tunnelSrcPort: 54228,
      tunnelDstPort: 4789,
      layer2Bytes: 828,
      flowEndReason: 2,
      held: false,
      options: false,
    });
    expect(headers[0]).toMatchObject({ version: 10, length: msg.length, sequence: 3, observationDomainId: 124, sets: 2, templateRecords: 1, dataSets: 1, dataRecords: 1, trailingBytes: 0 });
  });

  it('takes layer2OctetDeltaCount as bytes when octetDeltaCount is absent (OVS non-IP flows)', () => {
    const ctx = newContext();
    const tpl = templateRecord(256, [{ id: 2, length: 8 }, { id: 352, length: 8 }, { id: 56, length: 6 }]);
    const { flows } = decodeAll(ctx, ipfixMessage({}, templateSet(tpl), dataSet(256, concat(u64(4), u64(168), mac('fa:16:3e:e3:58:6b')))));
    expect(flows[0].rec).toMatchObject({ packets: 4, bytes: 168, etype: 0 });
    expect(flows[0].info.layer2Bytes).toBe(-1);
  });

  it('reads reduced-size integers, variable lengths of 1 and 3 octets, and skips unknown enterprise fields by length', () => {
    const ctx = newContext();
    const tpl = templateRecord(300, [
      { id: 1, length: 4 }, // octetDeltaCount in 4 octets instead of 8
      { id: 2, length: 1 },
      { id: 9999, length: 65535, enterprise: 213 }, // unknown PEN, variable
      { id: 82, length: 65535 },
      { id: 7, length: 2 },
    ]);
    const longName = 'x'.repeat(300);
    const { flows } = decodeAll(
      ctx,
      ipfixMessage(
        {},
        templateSet(tpl),
        dataSet(300, concat(u32(123456), new Uint8Array([9]), varField(new Uint8Array(20)), varField(text(longName)), u16(443))),
      ),
    );
    expect(flows[0].rec).toMatchObject({ bytes: 123456, packets: 9, src_port: 443 });
    expect(flows[0].info.ingressInterfaceName).toBe(longName);
  });

  it('places every time encoding: seconds, milliseconds, NTP micro/nanoseconds, sysUpTime with systemInitTimeMilliseconds', () => {
    const ctx = newContext();
    const ntp = 2208988800;
    const tpl = (id: number, start: number, end: number, size: number) => templateRecord(id, [{ id: start, length: size }, { id: end, length: size }]);
    const msg = ipfixMessage(
      {},
      templateSet(tpl(256, 150, 151, 4), tpl(257, 152, 153, 8), tpl(258, 154, 155, 8), tpl(259, 156, 157, 8), templateRecord(260, [{ id: 160, length: 8 }, { id: 22, length: 4 }, { id: 21, length: 4 }])),
      dataSet(256, u32(1700000001, 1700000002)),
      dataSet(257, concat(u64(1700000001500), u64(1700000002500))),
      // 0x80000000 / 2^32 = half a second; the low 11 bits of a microsecond fraction are ignored.
      dataSet(258, concat(u32(1700000001 + ntp, 0x800007ff), u32(1700000002 + ntp, 0))),
      dataSet(259, concat(u32(1700000001 + ntp, 0x40000000), u32(1700000002 + ntp, 1))),
      dataSet(260, concat(u64(1700000000000), u32(1000, 2500))),
    );
    const { flows } = decodeAll(ctx, msg);
    expect(flows.map((f) => [f.rec.time_flow_start_ns, f.rec.time_flow_end_ns])).toEqual([
      [1_700_000_001_000_000_000n, 1_700_000_002_000_000_000n],
      [1_700_000_001_500_000_000n, 1_700_000_002_500_000_000n],
      [1_700_000_001_500_000_000n, 1_700_000_002_000_000_000n],
      [1_700_000_001_250_000_000n, 1_700_000_002_000_000_000n],
      [1_700_000_001_000_000_000n, 1_700_000_002_500_000_000n],
    ]);
  });

  it('options records: exporter statistics (OVS) go to sink.options, sampler tables set the rate of later flows', () => {
    const ctx = newContext();
    const msg1 = ipfixMessage(
      { domain: 0 },
      optionsTemplateSet(optionsTemplateRecord(462, 1, [{ id: 144, length: 4 }, { id: 167, length: 8 }])),
      dataSet(462, concat(u32(2), u64(7))),
    );
    const msg2 = ipfixMessage(
      { domain: 5 },
      optionsTemplateSet(optionsTemplateRecord(257, 1, [{ id: 302, length: 4 }, { id: 304, length: 2 }, { id: 309, length: 4 }, { id: 310, length: 4 }])),
      dataSet(257, concat(u32(1), u16(3), u32(1, 256))),
      templateSet(templateRecord(342, [{ id: 302, length: 4 }, { id: 1, length: 8 }]), templateRecord(343, [{ id: 34, length: 4 }, { id: 1, length: 8 }])),
      dataSet(342, concat(u32(1), u64(1500)), concat(u32(9), u64(40))),
      dataSet(343, concat(u32(100), u64(40))),
    );
    const { flows, options, headers } = decodeAll(ctx, msg1, msg2);
    expect(options.map((o) => [o.info.templateId, o.info.exportingProcessId, o.info.notSentPackets, o.info.samplerId, o.info.samplingRate])).toEqual([
      [462, 2, 7, -1, -1],
      [257, -1, -1, 1, 256],
    ]);
    // selector 1 is random 1-out-of-256 (RFC 5475); selector 9 is unknown; the last record states its own rate.
    expect(flows.map((f) => [f.info.samplerId, f.rec.sampling_rate])).toEqual([
      [1, 256],
      [9, 0],
      [-1, 100],
    ]);
    expect(headers[1]).toMatchObject({ optionsRecords: 1, dataRecords: 3, optionsTemplateRecords: 1, templateRecords: 2 });
  });

  it('holds data that comes before its template and decodes it with its own header when the template comes', () => {
    const ctx = newContext();
    const tpl = templateRecord(400, [{ id: 8, length: 4 }, { id: 2, length: 4 }]);
    const early = ipfixMessage({ sequence: 10, domain: 7 }, dataSet(400, concat(ipv4('10.0.0.1'), u32(5)), concat(ipv4('10.0.0.2'), u32(6))));
    const other = ipfixMessage({ sequence: 10, domain: 8 }, dataSet(400, concat(ipv4('10.9.9.9'), u32(1))));
    const late = ipfixMessage({ sequence: 12, domain: 7 }, templateSet(tpl), dataSet(400, concat(ipv4('10.0.0.3'), u32(7))));
    const { flows, headers } = decodeAll(ctx, early, other, late);
    expect(headers[0]).toMatchObject({ setsWithoutTemplate: 1, heldSets: 1, dataRecords: 0 });
    expect(headers[2]).toMatchObject({ releasedRecords: 2, dataRecords: 1 });
    // Domain 8 is another template space: its data stays held.
    expect(ctx.templates.heldSets).toBe(1);
    expect(flows.map((f) => [f.rec.src_addr, f.rec.packets, f.rec.sequence_num, f.info.held, f.header.tag])).toEqual([
      ['10.0.0.1', 5, 10, true, 1],
      ['10.0.0.2', 6, 10, true, 1],
      ['10.0.0.3', 7, 12, false, 3],
    ]);
  });

  it('withdraws one template, or all of a kind (RFC 7011 section 8.1)', () => {
    const ctx = newContext();
    const fields = [{ id: 2, length: 4 }];
    decodeAll(ctx, ipfixMessage({}, templateSet(templateRecord(256, fields), templateRecord(257, fields)), optionsTemplateSet(optionsTemplateRecord(258, 1, fields))));
    expect(ctx.templates.templateCount).toBe(3);
    const one = decodeAll(ctx, ipfixMessage({}, templateSet(u16(256, 0))));
    expect(one.headers[0].templatesWithdrawn).toBe(1);
    expect(ctx.templates.templateCount).toBe(2);
    decodeAll(ctx, ipfixMessage({}, templateSet(u16(2, 0))));
    expect(ctx.templates.templateCount).toBe(1); // the options template stays
    decodeAll(ctx, ipfixMessage({}, optionsTemplateSet(u16(3, 0))));
    expect(ctx.templates.templateCount).toBe(0);
    const after = decodeAll(ctx, ipfixMessage({}, dataSet(257, u32(1))));
    expect(after.headers[0].setsWithoutTemplate).toBe(1);
  });

  it('follows a template that changes mid-stream, and keeps the compiled template on a same-bytes refresh', () => {
    const ctx = newContext();
    const a = templateRecord(256, [{ id: 2, length: 4 }]);
    const b = templateRecord(256, [{ id: 1, length: 2 }, { id: 2, length: 2 }]);
    // Same id, field count and record length as b, one element id apart: must replace b (RFC 7011 section 8.1).
    const c = templateRecord(256, [{ id: 2, length: 2 }, { id: 1, length: 2 }]);
    // The same specifier bytes as an options template: a different template.
    const d = optionsTemplateRecord(256, 1, [{ id: 2, length: 2 }, { id: 1, length: 2 }]);
    const { flows, options } = decodeAll(
      ctx,
      ipfixMessage({}, templateSet(a), dataSet(256, u32(5))),
      ipfixMessage({}, templateSet(b), dataSet(256, u16(100, 6))),
      ipfixMessage({}, templateSet(c), dataSet(256, u16(8, 200))),
      ipfixMessage({}, optionsTemplateSet(d), dataSet(256, u16(9, 300))),
      ipfixMessage({}, templateSet(a), dataSet(256, u32(7))),
    );
    expect(flows.map((f) => [f.rec.bytes, f.rec.packets])).toEqual([
      [0, 5],
      [100, 6],
      [200, 8],
      [0, 7],
    ]);
    expect(options.map((o) => o.info.options)).toEqual([true]);
    const session = ctx.templates.session('192.0.2.1:50000', 10, 0, ctx.nowMs);
    const t = session.templates.get(256);
    decodeAll(ctx, ipfixMessage({}, templateSet(a)));
    expect(session.templates.get(256)).toBe(t);
  });

  it('an unchanged refresh only stamps the template: same object, no reordering, no allocation per template', () => {
    const ctx = newContext();
    const ids = [256, 257, 258, 259];
    const options = optionsTemplateSet(optionsTemplateRecord(300, 1, [{ id: 149, length: 4 }, { id: 40, length: 8 }]));
    decodeAll(ctx, ipfixMessage({}, templateSet(...ids.map((id) => templateRecord(id, OVS_TUNNEL_TEMPLATE))), options));
    // Refreshed in another order: a refresh must not move them (eviction order is the cache's business).
    const refresh = ipfixMessage({}, options, templateSet(...ids.toReversed().map((id) => templateRecord(id, OVS_TUNNEL_TEMPLATE))));
    const session = ctx.templates.session('192.0.2.1:50000', 10, 0, ctx.nowMs);
    const before = [...session.templates.values()];
    ctx.timeReceivedNs += 5_000_000_000n;
    const h = decodeAll(ctx, refresh).headers[0];
    expect([h.templateRecords, h.optionsTemplateRecords]).toEqual([4, 1]);
    expect([...session.templates.values()]).toEqual(before);
    for (const t of before) expect([t, t.refreshedMs]).toEqual([session.templates.get(t.id), ctx.nowMs]);
    // Heap growth per 1,000 refresh messages of 5 templates, median of 15 rounds (a GC inside a
    // round does not count). Re-storing them cost ~1.8 MB; this path measured 0 once the JIT has
    // optimised it, up to ~100 KB in runs where it had not yet (loaded machine).
    const none = { flow: () => undefined };
    const grown: number[] = [];
    for (let round = -5; round < 15; round++) {
      const start = process.memoryUsage().heapUsed;
      for (let i = 0; i < 1000; i++) decodeFlowDatagram(refresh, ctx, none);
      if (round >= 0) grown.push(process.memoryUsage().heapUsed - start);
    }
    grown.sort((x, y) => x - y);
    expect(grown[7], `heap growth per 1,000 refreshes: ${grown.join(' ')}`).toBeLessThan(160 * 1024);
  });

  it('an IPv4 and IPv6 template fills the family that is not zero; repeated header elements go to inner_*', () => {
    const ctx = newContext();
    const dual = templateRecord(256, [{ id: 8, length: 4 }, { id: 27, length: 16 }, { id: 12, length: 4 }, { id: 28, length: 16 }]);
    const srv6 = templateRecord(257, [
      { id: 27, length: 16 },
      { id: 28, length: 16 },
      { id: 4, length: 1 },
      { id: 8, length: 4 },
      { id: 12, length: 4 },
      { id: 7, length: 2 },
      { id: 11, length: 2 },
      { id: 4, length: 1 },
    ]);
    const zero4 = new Uint8Array(4);
    const zero6 = new Uint8Array(16);
    const { flows } = decodeAll(
      ctx,
      ipfixMessage(
        {},
        templateSet(dual, srv6),
        dataSet(256, concat(ipv4('10.0.0.1'), zero6, ipv4('10.0.0.2'), zero6), concat(zero4, ipv6('2001:db8::1'), zero4, ipv6('2001:db8::2'))),
        dataSet(257, concat(ipv6('fcbb::1'), ipv6('fcbb::2'), new Uint8Array([4]), ipv4('192.0.41.144'), ipv4('192.0.42.154'), u16(1024, 862), new Uint8Array([17]))),
      ),
    );
    expect(flows.map((f) => [f.rec.src_addr, f.rec.dst_addr, f.rec.etype])).toEqual([
      ['10.0.0.1', '10.0.0.2', 0x0800],
      ['2001:db8::1', '2001:db8::2', 0x86dd],
      ['fcbb::1', 'fcbb::2', 0x86dd],
    ]);
    expect(flows[2].rec).toMatchObject({ proto: 4, src_port: 1024, dst_port: 862, inner_src_addr: '192.0.41.144', inner_dst_addr: '192.0.42.154', inner_proto: 17 });
  });

  it('counts fields whose length misfits their type and skips them; counts unknown sets and trailing bytes', () => {
    const ctx = newContext();
    const tpl = templateRecord(256, [{ id: 8, length: 2 }, { id: 2, length: 4 }]);
    const msg = concat(
      ipfixMessage({}, templateSet(tpl), set(77, u32(0)), dataSet(256, concat(u16(0x0a00), u32(3)), new Uint8Array(3))),
      new Uint8Array(5),
    );
    // The message length excludes the 5 bytes after it.
    const { flows, headers } = decodeAll(ctx, msg);
    expect(flows[0].rec).toMatchObject({ src_addr: '', packets: 3 });
    expect(headers[0]).toMatchObject({ ignoredFields: 1, unknownSets: 1, trailingBytes: 5 + 3 });
  });

  it('throws counted, categorised errors for broken messages', () => {
    const ctx = newContext();
    const tpl = (fields: FieldSpec[]) => templateSet(templateRecord(256, fields));
    expect(reason(() => decodeAll(ctx, concat(u16(10, 10), new Uint8Array(6))))).toBe('truncated');
    expect(reason(() => decodeAll(ctx, concat(u16(10, 16), new Uint8Array(10))))).toBe('truncated');
    expect(reason(() => decodeAll(ctx, ipfixMessage({ length: 12 })))).toBe('bad_length');
    expect(reason(() => decodeAll(ctx, ipfixMessage({ length: 40 })))).toBe('truncated');
    expect(reason(() => decodeAll(ctx, concat(u16(11, 16), new Uint8Array(12))))).toBe('bad_version');
    expect(reason(() => decodeAll(ctx, ipfixMessage({}, set(256, new Uint8Array(4), 2))))).toBe('bad_length');
    expect(reason(() => decodeAll(ctx, ipfixMessage({}, set(256, new Uint8Array(4), 40))))).toBe('bad_length');
    expect(reason(() => decodeAll(ctx, ipfixMessage({}, templateSet(templateRecord(100, [{ id: 1, length: 4 }])))))).toBe('bad_template');
    expect(reason(() => decodeAll(ctx, ipfixMessage({}, set(2, concat(u16(256, 3), u16(1, 4))))))).toBe('bad_template');
    expect(reason(() => decodeAll(ctx, ipfixMessage({}, optionsTemplateSet(optionsTemplateRecord(256, 0, [{ id: 1, length: 4 }])))))).toBe('bad_template');
    expect(reason(() => decodeAll(ctx, ipfixMessage({}, optionsTemplateSet(optionsTemplateRecord(256, 2, [{ id: 1, length: 4 }])))))).toBe('bad_template');
    expect(reason(() => decodeAll(ctx, ipfixMessage({}, tpl([{ id: 1, length: 0 }]))))).toBe('bad_template');
    expect(reason(() => decodeAll(ctx, ipfixMessage({}, set(2, u16(256, MAX_TEMPLATE_FIELDS + 1)))))).toBe('too_many_fields');
    // A variable-length value longer than its set (and not zero padding).
    expect(reason(() => decodeAll(ctx, ipfixMessage({}, tpl([{ id: 82, length: 65535 }]), dataSet(256, concat(new Uint8Array([9]), text('abc'))))))).toBe('bad_record');
  });

  it('records decoded before a fault stay delivered', () => {
    const ctx = newContext();
    const flows: number[] = [];
    const msg = ipfixMessage({}, templateSet(templateRecord(256, [{ id: 2, length: 4 }])), dataSet(256, u32(1), u32(2)), set(256, new Uint8Array(4), 99));
    expect(reason(() => decodeFlowDatagram(msg, ctx, { flow: (r) => flows.push(r.packets) }))).toBe('bad_length');
    expect(flows).toEqual([1, 2]);
  });
});

describe('NetFlow v9', () => {
  const template = v9TemplateFlowset(concat(u16(260, 9), u16(8, 4, 12, 4, 7, 2, 11, 2, 4, 1, 1, 4, 2, 4, 22, 4, 21, 4)));

  it('decodes template, options (sampler table with a System scope) and data; uptime times from the header', () => {
    const ctx = newContext();
    const tpl = v9TemplateFlowset(
      concat(u16(260, 10), u16(8, 4, 12, 4, 7, 2, 11, 2, 4, 1, 1, 4, 2, 4, 22, 4, 21, 4, 48, 1)),
    );
    const options = v9OptionsTemplateFlowset(v9OptionsTemplateRecord(257, [{ id: 1, length: 4 }], [{ id: 48, length: 1 }, { id: 49, length: 1 }, { id: 50, length: 4 }]));
    const optionsData = set(257, concat(ipv4('172.19.200.228'), new Uint8Array([2, 2]), u32(2000), new Uint8Array(2)));
    const data = set(260, concat(ipv4('198.38.121.178'), ipv4('91.170.143.87'), u16(443, 19624), new Uint8Array([6]), u32(1500, 1), u32(944948659, 944949000), new Uint8Array([2]), new Uint8Array(3)));
    const { flows, options: opts, headers } = decodeAll(ctx, v9Packet({ count: 4, sysUptime: 944949594, unixSecs: 1647285925, sequence: 44796855, sourceId: 3 }, options, optionsData, tpl, data));
    expect(opts.map((o) => [o.info.samplerId, o.info.samplingRate])).toEqual([[2, 2000]]);
    expect(flows).toHaveLength(1);
    expect(flows[0].rec).toMatchObject({
      type: 'NETFLOW_V9',
      sequence_num: 44796855,
      observation_domain_id: 3,
      src_addr: '198.38.121.178',
      dst_addr: '91.170.143.87',
      src_port: 443,
      dst_port: 19624,
      proto: 6,
      bytes: 1500,
      packets: 1,
      etype: 0x0800,
      sampling_rate: 2000,
      // export time - sysUptime + FIRST_SWITCHED (RFC 3954 section 8)
      time_flow_start_ns: (1647285925000n - 944949594n + 944948659n) * 1_000_000n,
      time_flow_end_ns: (1647285925000n - 944949594n + 944949000n) * 1_000_000n,
    });
    expect(headers[0]).toMatchObject({ version: 9, count: 4, sysUptimeMs: 944949594, exportTimeSeconds: 1647285925, trailingBytes: 3 + 2 });
  });

  it('zero padding after the last flowset is trailing bytes, a short non-zero one an error', () => {
    const ctx = newContext();
    const data = set(260, concat(ipv4('10.0.0.1'), ipv4('10.0.0.2'), u16(1, 2), new Uint8Array([17]), u32(10, 1, 0, 0)));
    const { headers } = decodeAll(ctx, v9Packet({}, template, data, new Uint8Array(40)));
    expect(headers[0].trailingBytes).toBe(40);
    expect(reason(() => decodeAll(ctx, v9Packet({}, set(260, new Uint8Array(0), 2), new Uint8Array([0, 1]))))).toBe('bad_length');
  });

  it('reads H3C variable-length strings (length 65535) the IPFIX way', () => {
    const ctx = newContext();
    const tpl = v9TemplateFlowset(concat(u16(3281, 2), u16(2, 4, 236, 65535)));
    const { flows } = decodeAll(ctx, v9Packet({}, tpl, set(3281, concat(u32(9), varField(text('vpn-a'))))));
    expect(flows[0].rec.packets).toBe(9);
  });

  it('throws for broken templates and packets', () => {
    const ctx = newContext();
    expect(reason(() => decodeAll(ctx, concat(u16(9, 0), new Uint8Array(15))))).toBe('truncated');
    expect(reason(() => decodeAll(ctx, v9Packet({}, v9TemplateFlowset(concat(u16(12, 1), u16(1, 4))))))).toBe('bad_template');
    expect(reason(() => decodeAll(ctx, v9Packet({}, v9TemplateFlowset(concat(u16(300, 5), u16(1, 4))))))).toBe('bad_template');
    expect(reason(() => decodeAll(ctx, v9Packet({}, v9OptionsTemplateFlowset(concat(u16(300, 0, 0))))))).toBe('bad_template');
    expect(reason(() => decodeAll(ctx, v9Packet({}, v9OptionsTemplateFlowset(concat(u16(300, 3, 4), u16(1, 4, 2, 4))))))).toBe('bad_template');
    expect(reason(() => decodeAll(ctx, v9Packet({}, v9TemplateFlowset(concat(u16(300, MAX_TEMPLATE_FIELDS + 1))))))).toBe('too_many_fields');
  });
});

describe('NetFlow v5', () => {
  const record = {
    src: ipv4('10.0.0.11'),
    dst: ipv4('10.0.0.13'),
    input: 2,
    output: 4,
    packets: 10,
    bytes: 980,
    first: 3551,
    last: 8156,
    srcPort: 0,
    dstPort: 2048,
    tcpFlags: 0,
    proto: 1,
    tos: 0,
  };

  it('decodes header and records: uptime times, ICMP type from the port, sampling interval', () => {
    const ctx = newContext();
    const pkt = v5Packet({ sysUptime: 9002, unixSecs: 1795465263, unixNsecs: 128131588, sequence: 40, engineType: 47, engineId: 209, sampling: (1 << 14) | 100 }, [
      record,
      { ...record, proto: 6, srcPort: 41379, dstPort: 5201, tcpFlags: 0x1a, tos: 0x10 },
    ]);
    const { flows, headers } = decodeAll(ctx, pkt);
    expect(headers[0]).toMatchObject({ version: 5, count: 2, sequence: 40, engineType: 47, engineId: 209, samplingMode: 1, samplingInterval: 100, dataRecords: 2 });
    const base = (1795465263000n - 9002n) * 1_000_000n + 128131588n;
    expect(flows[0].rec).toMatchObject({
      type: 'NETFLOW_V5',
      sampler_address: '192.0.2.1',
      sequence_num: 40,
      sampling_rate: 100,
      src_addr: '10.0.0.11',
      dst_addr: '10.0.0.13',
      in_if: 2,
      out_if: 4,
      packets: 10,
      bytes: 980,
      proto: 1,
      dst_port: 2048,
      icmp_type: 8,
      icmp_code: 0,
      etype: 0x0800,
      time_flow_start_ns: base + 3551n * 1_000_000n,
      time_flow_end_ns: base + 8156n * 1_000_000n,
    });
    expect(flows[1].rec).toMatchObject({ proto: 6, src_port: 41379, dst_port: 5201, tcp_flags: 0x1a, ip_tos: 0x10, icmp_type: 0 });
  });

  it('refuses a count above 30 or one the packet cannot hold', () => {
    const ctx = newContext();
    expect(reason(() => decodeAll(ctx, v5Packet({ count: 31 }, [record])))).toBe('too_many_records');
    expect(reason(() => decodeAll(ctx, v5Packet({ count: 3 }, [record])))).toBe('bad_length');
    expect(reason(() => decodeAll(ctx, new Uint8Array([0, 5, 0, 1])))).toBe('truncated');
    expect(reason(() => decodeAll(ctx, new Uint8Array([0, 7, 0, 1])))).toBe('bad_version');
  });
});

describe('looksLikeNetflow and the element registry', () => {
  it('recognises v5, v9 and IPFIX, not sFlow or junk', () => {
    const v5 = v5Packet({}, []);
    expect(looksLikeNetflow(v5)).toBe(false); // no records: nothing to go by
    expect(looksLikeNetflow(v5Packet({}, [{ src: ipv4('1.1.1.1'), dst: ipv4('2.2.2.2'), input: 0, output: 0, packets: 1, bytes: 1, first: 0, last: 0, srcPort: 0, dstPort: 0, tcpFlags: 0, proto: 6, tos: 0 }]))).toBe(true);
    expect(looksLikeNetflow(v9Packet({}, v9TemplateFlowset(concat(u16(256, 1), u16(1, 4)))))).toBe(true);
    expect(looksLikeNetflow(ipfixMessage({}, templateSet(templateRecord(256, [{ id: 1, length: 4 }]))))).toBe(true);
    expect(looksLikeNetflow(concat(u32(5, 1), new Uint8Array(40)))).toBe(false); // sFlow v5
    expect(looksLikeNetflow(new Uint8Array(40))).toBe(false);
  });

  it('names IANA and Open vSwitch VMware elements', () => {
    expect(informationElement(1)).toMatchObject({ name: 'octetDeltaCount', type: 'unsigned64' });
    expect(informationElement(311)).toMatchObject({ name: 'samplingProbability', type: 'float64' });
    expect(informationElement(892, PEN_VMWARE)).toMatchObject({ name: 'tunnelKey', type: 'octetArray' });
    expect(informationElementName(60000)).toBe('ie60000');
    expect(informationElementName(7, 2636)).toBe('2636.7');
  });
});
