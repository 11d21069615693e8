/**
 * Shared by the IPFIX and NetFlow conformance suites: decode a capture with our decoder
 * (one context per capture, so templates carry across datagrams), run tshark on it, and
 * compare field by field: message headers, every template and options template record
 * (element ids, enterprise numbers, lengths, scope counts), and every data record tshark
 * decodes (each FlowRecord field tshark shows, plus flow direction, interface names,
 * observation point, sampler and exporter statistics). Captures are read in place.
 *
 * Data that came before its template is held by our decoder and decoded when the template
 * arrives; tshark decodes in one pass and cannot. To check those records too, tshark also
 * decodes a reordered copy in which each such datagram is repeated right after the datagram
 * that brought its template, and our held records are compared with that copy's sets.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { readCapture } from '../../collector/capture/reader.js';
import { extractUdp, UdpDatagram } from '../../collector/capture/udp.js';
import { decodeFlowDatagram, NetflowContext, NetflowDecodeError, type MessageHeader, type RecordInfo, type Template } from '../../collector/ipfix/decode.js';
import { PacketInfo } from '../../collector/packet/fields.js';
import type { FlowRecord } from '../../common/model.js';
import { pcapFile } from '../helpers/sflow-encoder.js';
import { child, children, field, fields, tsharkLayerFrames, type TObject } from '../helpers/tshark.js';

export interface OurRecord {
  setIndex: number;
  recordIndex: number;
  options: boolean;
  held: boolean;
  /** Frame number of the datagram the record came in (earlier than the current one when held). */
  origin: number;
  rec: Record<string, unknown>;
  info: Record<string, unknown>;
}

export interface OurFrame {
  number: number;
  data: Uint8Array;
  header: Record<string, unknown>;
  error?: string;
  /** Records delivered while decoding this datagram (its own, and released held ones). */
  records: OurRecord[];
  /** The session's templates right after this datagram. */
  templates: Map<number, Template>;
}

export interface OurCapture {
  frames: OurFrame[];
  linkType: number;
  /** UDP destination ports that carried flow datagrams (for tshark's decode-as). */
  ports: Set<number>;
  /** Frame number of a held datagram → the frame whose template released it. */
  releasedAt: Map<number, number>;
}

const SFLOW_PORT = 6343;

/** Every .pcap under `dir`, sorted. */
export function findPcaps(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const p = path.join(dir, name);
      return statSync(p).isDirectory() ? findPcaps(p) : name.endsWith('.pcap') ? [p] : [];
    })
    .sort();
}

export function decodeCaptureFile(file: string): OurCapture {
  const ctx = new NetflowContext();
  const info = new PacketInfo();
  const udp = new UdpDatagram();
  const frames: OurFrame[] = [];
  const ports = new Set<number>();
  const releasedAt = new Map<number, number>();
  let linkType = -1;
  let current: OurFrame;
  const push = (rec: FlowRecord | null, i: RecordInfo, h: MessageHeader) => {
    current.records.push({
      setIndex: i.setIndex,
      recordIndex: i.recordIndex,
      options: i.options,
      held: i.held,
      origin: h.tag,
      rec: rec ? { ...rec } : {},
      info: { ...i },
    });
    if (i.held) releasedAt.set(h.tag, current.number);
  };
  const sink = { flow: (rec: FlowRecord, i: RecordInfo, h: MessageHeader) => push(rec, i, h), options: (i: RecordInfo, h: MessageHeader) => push(null, i, h) };
  for (const frame of readCapture(readFileSync(file))) {
    linkType = frame.linkType;
    if (extractUdp(frame, info, udp) !== null || udp.dstPort === SFLOW_PORT) continue;
    ports.add(udp.dstPort);
    current = { number: frame.number, data: frame.data.slice(), header: {}, records: [], templates: new Map() };
    frames.push(current);
    ctx.setExporter(udp.srcAddr, udp.srcPort);
    ctx.timeReceivedNs = frame.timestampNs;
    ctx.tag = frame.number;
    try {
      decodeFlowDatagram(udp.payload, ctx, sink);
    } catch (err) {
      if (!(err instanceof NetflowDecodeError)) throw err;
      current.error = err.reason;
    }
    const h = ctx.header;
    current.header = { ...h };
    if (h.version === 9 || h.version === 10) {
      const session = ctx.templates.session(ctx.exporterKey, h.version, h.observationDomainId, ctx.nowMs);
      current.templates = new Map(session.templates);
    }
  }
  return { frames, linkType, ports, releasedAt };
}

/** tshark's cflow layer per frame number: of the capture, or of the reordered copy for held data. */
export interface TsharkView {
  byNumber: Map<number, TObject | undefined>;
  /** Origin frame number → tshark's decode of its repeat after the template came. */
  repeats: Map<number, TObject | undefined>;
}

export function tsharkView(file: string, ours: OurCapture, tmpDir: string): TsharkView {
  const decodeAs = [...ours.ports].filter((p) => p !== 2055).flatMap((p) => ['-d', `udp.port==${p},cflow`]);
  if (ours.releasedAt.size === 0) {
    const frames = tsharkLayerFrames(file, 'cflow', decodeAs);
    return { byNumber: new Map(frames.map((f) => [f.number, f.layer])), repeats: new Map() };
  }
  // Reordered copy: every frame once, each held datagram again after the one that released it.
  const order: { number: number; repeat: boolean }[] = [];
  const byFrame = new Map(ours.frames.map((f) => [f.number, f]));
  for (const f of ours.frames) {
    order.push({ number: f.number, repeat: false });
    for (const [origin, at] of ours.releasedAt) if (at === f.number) order.push({ number: origin, repeat: true });
  }
  const copy = path.join(tmpDir, `${path.basename(file)}.reordered.pcap`);
  writeFileSync(copy, pcapFile(order.map((o) => ({ data: (byFrame.get(o.number) as OurFrame).data })), ours.linkType));
  const decoded = tsharkLayerFrames(copy, 'cflow', decodeAs);
  const byNumber = new Map<number, TObject | undefined>();
  const repeats = new Map<number, TObject | undefined>();
  order.forEach((o, i) => (o.repeat ? repeats : byNumber).set(o.number, decoded[i]?.layer));
  return { byNumber, repeats };
}

// ------------------------------------------------------------------ comparison

export class Comparison {
  readonly mismatches: string[] = [];
  fields = 0;

  eq(where: string, name: string, ours: unknown, theirs: string | undefined, transform?: (t: string) => unknown): void {
    if (theirs === undefined) return;
    const expected = transform ? transform(theirs) : typeof ours === 'number' ? Number(theirs) : typeof ours === 'bigint' ? BigInt(theirs) : theirs;
    this.fields++;
    if (ours !== expected) this.mismatches.push(`${where} ${name}: ours ${String(ours)} tshark ${String(expected)}`);
  }

  fail(where: string, what: string): void {
    this.mismatches.push(`${where} ${what}`);
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** tshark's absolute time text ("Nov 23, 2026 20:20:58.175000000 UTC") as ns since the epoch. */
export function tsharkTimeNs(text: string): bigint {
  const m = /^(\w{3}) +(\d+), (\d{4}) (\d\d):(\d\d):(\d\d)\.(\d{9}) UTC$/.exec(text);
  if (!m) throw new Error(`unexpected tshark time ${text}`);
  const ms = Date.UTC(Number(m[3]), MONTHS.indexOf(m[1]), Number(m[2]), Number(m[4]), Number(m[5]), Number(m[6]));
  return BigInt(ms) * 1_000_000n + BigInt(m[7]);
}

/** tshark seconds with 9 decimals ("944948.659000000") as whole milliseconds. */
const secondsToMs = (t: string) => Math.round(Number(t) * 1000);

/** The first of `keys` tshark shows in `obj` (our decoder takes the same precedence). */
function firstOf(obj: TObject, keys: string[]): string | undefined {
  for (const k of keys) {
    const v = field(obj, k);
    if (v !== undefined) return v;
  }
  return undefined;
}

const lower = (t: string) => t.toLowerCase();

/** Record fields and the tshark fields that show them, in our decoder's order of precedence. */
const RECORD_FIELDS: [keyof FlowRecord, string[], ((t: string) => unknown)?][] = [
  ['bytes', ['cflow.octets', 'cflow.layer2_octet_delta_count', 'cflow.permanent_octets', 'cflow.post_octets']],
  ['packets', ['cflow.packets', 'cflow.permanent_packets', 'cflow.post_packets']],
  ['src_port', ['cflow.srcport']],
  ['dst_port', ['cflow.dstport']],
  ['proto', ['cflow.protocol']],
  ['ip_tos', ['cflow.tos']],
  ['tcp_flags', ['cflow.tcpflags']],
  ['in_if', ['cflow.inputint', 'cflow.ingress_physical_interface']],
  ['out_if', ['cflow.outputint', 'cflow.egress_physical_interface']],
  ['src_mac', ['cflow.srcmac', 'cflow.post_srcmac'], lower],
  ['dst_mac', ['cflow.dstmac', 'cflow.post_dstmac'], lower],
  ['vlan_id', ['cflow.vlanid', 'cflow.dot1q_vlan_id']],
  ['etype', ['cflow.ethernet_type']],
  ['ip_ttl', ['cflow.ip_ttl']],
  ['fragment_id', ['cflow.frag_ident']],
  ['icmp_type', ['cflow.icmp_ipv4_type', 'cflow.icmp_ipv6_type']],
  ['icmp_code', ['cflow.icmp_ipv4_code', 'cflow.icmp_ipv6_code']],
  ['sampling_rate', ['cflow.sampling_interval']],
];

const INFO_FIELDS: [keyof RecordInfo, string[]][] = [
  ['flowDirection', ['cflow.direction']],
  ['observationPointId', ['cflow.observation_point_id']],
  ['flowEndReason', ['cflow.flow_end_reason']],
  ['samplerId', ['cflow.sampler_id', 'cflow.selector_id']],
  ['exportingProcessId', ['cflow.flow_exporter']],
  ['notSentPackets', ['cflow.notsent_packets']],
];

/**
 * The address tshark shows first in wire order, skipping zero ones while a later one is not
 * zero: templates with both IPv4 and IPv6 fields fill one family per record, and SRv6
 * templates repeat the header fields for the inner packet (ours: inner_src_addr).
 */
function address(flow: TObject, keys: string[]): string | undefined {
  const values = flow.entries.filter(([k, v]) => keys.includes(k) && typeof v === 'string').map(([, v]) => v as string);
  return values.find((v) => v !== '0.0.0.0' && v !== '::') ?? values[0];
}

/** Element ids of the template's fields (for the time rules below). */
function hasElement(t: Template | undefined, ...ids: number[]): boolean {
  return t !== undefined && ids.some((id) => t.ids.some((x, i) => x === id && t.enterprises[i] === 0));
}

function compareRecord(c: Comparison, where: string, flow: TObject, ours: OurRecord, header: TObject, template: Template | undefined): void {
  const { rec, info } = ours;
  for (const [name, keys] of INFO_FIELDS) c.eq(where, name, info[name], firstOf(flow, keys));
  if (ours.options) {
    c.eq(where, 'samplingRate', info.samplingRate, firstOf(flow, ['cflow.sampling_interval', 'cflow.sampler_random_interval']));
    return;
  }
  for (const [name, keys, transform] of RECORD_FIELDS) c.eq(where, name, rec[name], firstOf(flow, keys), transform);
  c.eq(where, 'src_addr', rec.src_addr, address(flow, ['cflow.srcaddr', 'cflow.srcaddrv6']));
  c.eq(where, 'dst_addr', rec.dst_addr, address(flow, ['cflow.dstaddr', 'cflow.dstaddrv6']));
  const typeCode = field(flow, 'cflow.icmp_type_code_ipv4');
  if (typeCode !== undefined) c.eq(where, 'icmp_type*256+code', Number(rec.icmp_type) * 256 + Number(rec.icmp_code), typeCode);
  const segment = field(flow, 'cflow.layer2_segment_id');
  if (segment !== undefined) c.eq(where, 'tunnel_id', rec.tunnel_id, segment, (t) => Number(BigInt(t) & 0xffffffffn));
  if (field(flow, 'cflow.octets') !== undefined) c.eq(where, 'layer2Bytes', info.layer2Bytes, field(flow, 'cflow.layer2_octet_delta_count'));
  // tshark leaves out empty names, so compare the names that are there, in order.
  const names = fields(flow, 'cflow.if_name');
  if (names.length > 0) {
    const ourNames = [info.ingressInterfaceName, info.egressInterfaceName].filter((n) => n !== '').join(',');
    c.eq(where, 'interface_names', ourNames, names.join(','));
  }
  // Times: absolute ones as tshark prints them (dateTimeMicroseconds at µs: RFC 7011 6.1.9
  // says the 11 low fraction bits are ignored, tshark keeps them); uptime-relative ones
  // (v5 / v9) placed with the header. IPFIX sysUpTime fields are not compared: tshark prints
  // them without systemInitTimeMilliseconds, which our decoder applies (unit tests cover it).
  const timeTree = child(flow, 'cflow.timedelta_tree') ?? flow;
  const micro = hasElement(template, 154, 155);
  const abs = (t: string) => (micro ? tsharkTimeNs(t) - (tsharkTimeNs(t) % 1000n) : tsharkTimeNs(t));
  const ipfixUptime = field(header, 'cflow.version') === '10' && hasElement(template, 21, 22);
  // tshark 4.0 pairs sysUpTime start/end by position: when the end element comes first it
  // prints the start as the epoch and the end as a difference. Nothing to compare then.
  const misPaired = field(timeTree, 'cflow.abstimestart')?.startsWith('Jan  1, 1970 00:00:00.000000000') === true && hasElement(template, 21, 22);
  if (misPaired) return;
  if (!ipfixUptime) {
    c.eq(where, 'time_flow_start_ns', rec.time_flow_start_ns, field(timeTree, 'cflow.abstimestart'), abs);
    c.eq(where, 'time_flow_end_ns', rec.time_flow_end_ns, field(timeTree, 'cflow.abstimeend'), abs);
  }
  const unixSecs = field(child(header, 'cflow.timestamp_tree') ?? header, 'cflow.unix_secs');
  const uptime = field(header, 'cflow.sysuptime');
  if (unixSecs !== undefined && uptime !== undefined) {
    const nanos = BigInt(field(child(header, 'cflow.timestamp_tree') ?? header, 'cflow.unix_nsecs') ?? '0');
    const base = Number(unixSecs) * 1000 - secondsToMs(uptime);
    const place = (t: string) => BigInt(base + secondsToMs(t)) * 1_000_000n + nanos;
    c.eq(where, 'time_flow_start_ns', rec.time_flow_start_ns, field(timeTree, 'cflow.timestart'), place);
    c.eq(where, 'time_flow_end_ns', rec.time_flow_end_ns, field(timeTree, 'cflow.timeend'), place);
  }
  c.eq(where, 'sequence_num', rec.sequence_num, field(header, 'cflow.sequence'));
  c.eq(where, 'observation_domain_id', rec.observation_domain_id, field(header, 'cflow.od_id') ?? field(header, 'cflow.source_id'));
  c.eq(where, 'type', rec.type, field(header, 'cflow.version'), (v) => ({ '5': 'NETFLOW_V5', '9': 'NETFLOW_V9', '10': 'IPFIX' })[v]);
}

/** tshark's sets (v9 FlowSets, IPFIX Sets) of a message, in wire order. */
function tsharkSets(cflow: TObject): TObject[] {
  return children(cflow)
    .filter(([k]) => /^(Flow)?Set \d+ \[id=\d+\]/.test(k))
    .map(([, v]) => v);
}

function tsharkFlows(set: TObject): TObject[] {
  return children(set)
    .filter(([k]) => /^Flow \d+$/.test(k))
    .map(([, v]) => v);
}

function compareTemplate(c: Comparison, where: string, t: TObject, ours: Template | undefined, version: number): void {
  const id = field(t, 'cflow.template_id');
  if (!ours) return c.fail(where, `template ${id} missing in our cache`);
  const specs = children(t).filter(([k]) => k.startsWith('Field ('));
  c.eq(where, 'field_count', ours.fieldCount, String(specs.length));
  c.eq(where, 'scope_count', ours.scopeCount, String(specs.filter(([k]) => k.includes('[Scope]')).length));
  specs.forEach(([, f], i) => {
    const w = `${where} field ${i + 1}`;
    const type = field(f, 'cflow.template_ipfix_field_type') ?? field(f, 'cflow.template_ipfix_field_type_enterprise') ?? field(f, 'cflow.template_field_type') ?? field(f, 'cflow.scope_field_type');
    c.eq(w, 'id', ours.ids[i], type);
    c.eq(w, 'length', ours.lengths[i], field(f, 'cflow.template_field_length'));
    if (version === 10) c.eq(w, 'enterprise', ours.enterprises[i], field(f, 'cflow.template_ipfix_field_pen') ?? '0');
  });
}

/** Compare one datagram; returns the records compared. */
export function compareFrame(c: Comparison, ours: OurFrame, cflow: TObject | undefined, repeats: TsharkView['repeats']): number {
  const where = `frame ${ours.number}`;
  if (!cflow) {
    if (!ours.error) c.fail(where, 'tshark found no NetFlow/IPFIX but we decoded it');
    return 0;
  }
  const h = ours.header;
  const version = Number(field(cflow, 'cflow.version'));
  c.eq(where, 'version', h.version, String(version));
  if (version !== 5 && version !== 9 && version !== 10) return 0;
  c.eq(where, 'sequence', h.sequence, field(cflow, 'cflow.sequence'));
  const stamp = child(cflow, 'cflow.timestamp_tree') ?? cflow;
  c.eq(where, 'export_time', h.exportTimeSeconds, field(stamp, 'cflow.exporttime') ?? field(stamp, 'cflow.unix_secs'));
  if (version === 10) {
    c.eq(where, 'length', h.length, field(cflow, 'cflow.len'));
    c.eq(where, 'observation_domain', h.observationDomainId, field(cflow, 'cflow.od_id'));
  } else {
    c.eq(where, 'count', h.count, field(cflow, 'cflow.count'));
    c.eq(where, 'sys_uptime_ms', h.sysUptimeMs, field(cflow, 'cflow.sysuptime'), secondsToMs);
  }
  if (version === 9) c.eq(where, 'source_id', h.observationDomainId, field(cflow, 'cflow.source_id'));
  let compared = 0;
  const own = ours.records.filter((r) => !r.held);
  if (version === 5) {
    c.eq(where, 'engine_type', h.engineType, field(cflow, 'cflow.engine_type'));
    c.eq(where, 'engine_id', h.engineId, field(cflow, 'cflow.engine_id'));
    c.eq(where, 'sampling_interval', h.samplingInterval, field(cflow, 'cflow.samplerate'));
    const pdus = children(cflow).filter(([k]) => /^pdu \d+\/\d+$/.test(k));
    if (!ours.error) c.eq(where, 'records', own.length, String(pdus.length));
    own.forEach((r, i) => {
      const pdu = pdus[i]?.[1];
      if (!pdu) return c.fail(where, `record ${i + 1} missing in tshark`);
      compareRecord(c, `${where} record ${i + 1}`, pdu, r, cflow, undefined);
      compared++;
    });
    return compared;
  }
  const sets = tsharkSets(cflow);
  // Templates: compare the last definition of each id in the datagram (the one our cache keeps).
  const defined = sets.flatMap((set, s) =>
    children(set)
      .filter(([k]) => /^(Options )?Template \(Id = /.test(k))
      .map(([, t]) => ({ s, t, id: Number(field(t, 'cflow.template_id')) })),
  );
  if (!ours.error) {
    defined.forEach(({ s, t, id }, i) => {
      if (defined.slice(i + 1).some((d) => d.id === id)) return;
      compareTemplate(c, `${where} set ${s + 1} template ${id}`, t, ours.templates.get(id), version);
    });
  }
  sets.forEach((set, s) => {
    const w = `${where} set ${s + 1}`;
    const setId = Number(field(set, 'cflow.flowset_id'));
    if (setId < 256) return;
    const theirs = tsharkFlows(set);
    const mine = own.filter((r) => r.setIndex === s);
    if (theirs.length === 0) return; // no template (held, or never came): checked through repeats
    if (!ours.error || mine.length > 0) c.eq(w, 'records', mine.length, String(theirs.length));
    mine.forEach((r) => {
      const flow = theirs[r.recordIndex];
      if (!flow) return;
      compareRecord(c, `${w} record ${r.recordIndex + 1}`, flow, r, cflow, ours.templates.get(Number(r.info.templateId)));
      compared++;
    });
  });
  // Held records released by this datagram: compare with tshark's decode of their repeat.
  for (const r of ours.records.filter((x) => x.held)) {
    const repeat = repeats.get(r.origin);
    const set = repeat ? tsharkSets(repeat)[r.setIndex] : undefined;
    const flow = set ? tsharkFlows(set)[r.recordIndex] : undefined;
    if (!flow || !repeat) {
      c.fail(where, `held record ${r.origin}/${r.setIndex}/${r.recordIndex} not decoded by tshark in the repeat`);
      continue;
    }
    compareRecord(c, `${where} held from frame ${r.origin} set ${r.setIndex + 1} record ${r.recordIndex + 1}`, flow, r, repeat, ours.templates.get(Number(r.info.templateId)));
    compared++;
  }
  return compared;
}

/**
 * Registers, inside the caller's describe block, one test per capture comparing our decode with
 * tshark's field by field (broken-on-purpose captures must give exactly `expectedErrors`), and a
 * summary line after the suite. Returns the memoised decode and the totals (further checks of
 * the suite add their compared fields to them).
 */
export function tsharkConformanceTests(
  label: string,
  testdata: string,
  files: readonly string[],
  expectedErrors: Readonly<Record<string, Readonly<Record<number, string>>>>,
): { decode: (file: string) => OurCapture; totals: { fields: number } } {
  const tmp = mkdtempSync(path.join(tmpdir(), `${label.toLowerCase().replace(/\W+/g, '-')}-conformance-`));
  const totals = { files: 0, datagrams: 0, records: 0, held: 0, fields: 0 };
  afterAll(() => {
    rmSync(tmp, { recursive: true, force: true });
    console.log(
      `${label} conformance: ${totals.files} captures, ${totals.datagrams} datagrams, ${totals.records} records ` +
        `(${totals.held} decoded after their template came), ${totals.fields} fields compared with tshark`,
    );
  });
  const decoded = new Map<string, OurCapture>();
  const decode = (file: string): OurCapture => {
    let d = decoded.get(file);
    if (!d) decoded.set(file, (d = decodeCaptureFile(file)));
    return d;
  };

  it.each(files.map((f) => [path.relative(testdata, f), f]))('%s matches tshark field by field', (_name, file) => {
    const ours = decode(file);
    const view = tsharkView(file, ours, tmp);
    const c = new Comparison();
    let records = 0;
    for (const f of ours.frames) records += compareFrame(c, f, view.byNumber.get(f.number), view.repeats);
    const errors = Object.fromEntries(ours.frames.filter((f) => f.error).map((f) => [f.number, f.error]));
    expect(errors).toEqual(expectedErrors[path.basename(file)] ?? {});
    expect(c.mismatches).toEqual([]);
    expect(c.fields).toBeGreaterThan(0);
    totals.files++;
    totals.datagrams += ours.frames.length;
    totals.records += records;
    totals.held += ours.frames.reduce((n, f) => n + f.records.filter((r) => r.held).length, 0);
    totals.fields += c.fields;
  });
  return { decode, totals };
}
