/**
 * Test-only builders: sFlow v5 datagrams (XDR), packet headers, and pcap / pcapng files.
 * Small and explicit on purpose: tests state the bytes they feed the decoders.
 */

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function u32(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(i * 4, v >>> 0));
  return out;
}

export function u64(value: number | bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}

export function u16(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint16(i * 2, v));
  return out;
}

/** XDR fixed opaque: the bytes, zero-padded to 4. */
export function padded(bytes: Uint8Array): Uint8Array {
  return concat(bytes, new Uint8Array((4 - (bytes.length % 4)) % 4));
}

/** XDR variable opaque / string: length then padded bytes. */
export function opaque(bytes: Uint8Array): Uint8Array {
  return concat(u32(bytes.length), padded(bytes));
}

export function mac(text: string): Uint8Array {
  return Uint8Array.from(text.split(':').map((h) => parseInt(h, 16)));
}

export function ipv4(text: string): Uint8Array {
  return Uint8Array.from(text.split('.').map(Number));
}

export function ipv6(text: string): Uint8Array {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  return u16(...all);
}

/** sFlow address union. */
export function address(text: string): Uint8Array {
  return text.includes(':') ? concat(u32(2), ipv6(text)) : concat(u32(1), ipv4(text));
}

// ---------------------------------------------------------------- sFlow

export interface DatagramOptions {
  agent?: string;
  subAgent?: number;
  sequence?: number;
  uptime?: number;
  samples: Uint8Array[];
  /** Overrides the declared sample count. */
  sampleCount?: number;
  version?: number;
}

export function datagram(o: DatagramOptions): Uint8Array {
  return concat(
    u32(o.version ?? 5),
    address(o.agent ?? '192.0.2.1'),
    u32(o.subAgent ?? 0, o.sequence ?? 1, o.uptime ?? 1000, o.sampleCount ?? o.samples.length),
    ...o.samples,
  );
}

/** A tagged, length-prefixed structure (sample or record). */
export function tagged(tag: number, body: Uint8Array, length = body.length): Uint8Array {
  return concat(u32(tag, length), body);
}

export interface FlowSampleOptions {
  sequence?: number;
  sourceType?: number;
  sourceIndex?: number;
  rate?: number;
  pool?: number;
  drops?: number;
  input?: number;
  output?: number;
  records: Uint8Array[];
  recordCount?: number;
}

export function flowSample(o: FlowSampleOptions): Uint8Array {
  return tagged(
    1,
    concat(
      u32(
        o.sequence ?? 1,
        ((o.sourceType ?? 0) << 24) | (o.sourceIndex ?? 1),
        o.rate ?? 1,
        o.pool ?? 1,
        o.drops ?? 0,
        o.input ?? 1,
        o.output ?? 2,
        o.recordCount ?? o.records.length,
      ),
      ...o.records,
    ),
  );
}

export interface ExpandedFlowSampleOptions extends FlowSampleOptions {
  inputFormat?: number;
  outputFormat?: number;
}

export function expandedFlowSample(o: ExpandedFlowSampleOptions): Uint8Array {
  return tagged(
    3,
    concat(
      u32(
        o.sequence ?? 1,
        o.sourceType ?? 0,
        o.sourceIndex ?? 1,
        o.rate ?? 1,
        o.pool ?? 1,
        o.drops ?? 0,
        o.inputFormat ?? 0,
        o.input ?? 1,
        o.outputFormat ?? 0,
        o.output ?? 2,
        o.recordCount ?? o.records.length,
      ),
      ...o.records,
    ),
  );
}

export interface CounterSampleOptions {
  sequence?: number;
  sourceType?: number;
  sourceIndex?: number;
  records: Uint8Array[];
  expanded?: boolean;
}

export function counterSample(o: CounterSampleOptions): Uint8Array {
  const source = o.expanded
    ? u32(o.sourceType ?? 0, o.sourceIndex ?? 1)
    : u32(((o.sourceType ?? 0) << 24) | (o.sourceIndex ?? 1));
  return tagged(o.expanded ? 4 : 2, concat(u32(o.sequence ?? 1), source, u32(o.records.length), ...o.records));
}

export function rawHeader(header: Uint8Array, o: { protocol?: number; frameLength?: number; stripped?: number } = {}): Uint8Array {
  return tagged(1, concat(u32(o.protocol ?? 1, o.frameLength ?? header.length + 4, o.stripped ?? 4, header.length), padded(header)));
}

export function extendedSwitch(srcVlan: number, srcPriority: number, dstVlan: number, dstPriority: number): Uint8Array {
  return tagged(1001, u32(srcVlan, srcPriority, dstVlan, dstPriority));
}

export interface SampledIp {
  length: number;
  protocol: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  tcpFlags?: number;
  tos?: number;
}

export function sampledIpBody(o: SampledIp): Uint8Array {
  const v6 = o.src.includes(':');
  return concat(
    u32(o.length, o.protocol),
    v6 ? ipv6(o.src) : ipv4(o.src),
    v6 ? ipv6(o.dst) : ipv4(o.dst),
    u32(o.srcPort, o.dstPort, o.tcpFlags ?? 0, o.tos ?? 0),
  );
}

export function genericCounters(o: Partial<Record<'ifIndex' | 'inOctets' | 'outOctets' | 'inUcast' | 'outUcast' | 'inDiscards' | 'outErrors' | 'status', number>> = {}): Uint8Array {
  return tagged(
    1,
    concat(
      u32(o.ifIndex ?? 1, 6),
      u64(10_000_000_000),
      u32(1, o.status ?? 3),
      u64(o.inOctets ?? 1000),
      u32(o.inUcast ?? 10, 2, 1, o.inDiscards ?? 0, 0, 0),
      u64(o.outOctets ?? 2000),
      u32(o.outUcast ?? 20, 3, 4, 0, o.outErrors ?? 0, 0),
    ),
  );
}

// ---------------------------------------------------------------- packets

export function ethernet(dst: string, src: string, etype: number, payload: Uint8Array, vlans: number[] = []): Uint8Array {
  const tags = vlans.map((vid, i) => concat(u16(i === 0 && vlans.length > 1 ? 0x88a8 : 0x8100, vid)));
  // Each tag is TPID + TCI; the TPID of tag i sits before it, so emit TPID(i), TCI(i).
  const parts: Uint8Array[] = [mac(dst), mac(src)];
  for (const t of tags) parts.push(t);
  parts.push(u16(etype), payload);
  return concat(...parts);
}

export interface Ipv4Options {
  src: string;
  dst: string;
  proto: number;
  tos?: number;
  ttl?: number;
  id?: number;
  fragmentOffset?: number;
  moreFragments?: boolean;
  options?: Uint8Array;
  totalLength?: number;
}

export function ipv4Packet(o: Ipv4Options, payload: Uint8Array): Uint8Array {
  const options = o.options ? padded(o.options) : new Uint8Array(0);
  const ihl = 5 + options.length / 4;
  const flags = (o.moreFragments ? 0x2000 : 0) | (o.fragmentOffset ?? 0);
  return concat(
    Uint8Array.of(0x40 | ihl, o.tos ?? 0),
    u16(o.totalLength ?? ihl * 4 + payload.length, o.id ?? 0x1234, flags),
    Uint8Array.of(o.ttl ?? 64, o.proto),
    u16(0),
    ipv4(o.src),
    ipv4(o.dst),
    options,
    payload,
  );
}

export interface Ipv6Options {
  src: string;
  dst: string;
  next: number;
  trafficClass?: number;
  hopLimit?: number;
}

export function ipv6Packet(o: Ipv6Options, payload: Uint8Array): Uint8Array {
  const tc = o.trafficClass ?? 0;
  return concat(
    Uint8Array.of(0x60 | (tc >> 4), (tc & 0x0f) << 4, 0, 0),
    u16(payload.length),
    Uint8Array.of(o.next, o.hopLimit ?? 64),
    ipv6(o.src),
    ipv6(o.dst),
    payload,
  );
}

export function udpPacket(srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  return concat(u16(srcPort, dstPort, 8 + payload.length, 0), payload);
}

export function tcpPacket(srcPort: number, dstPort: number, flags: number, payload = new Uint8Array(0)): Uint8Array {
  return concat(u16(srcPort, dstPort), u32(1, 0), Uint8Array.of(0x50, flags), u16(1024, 0, 0), payload);
}

export function vxlan(vni: number, inner: Uint8Array): Uint8Array {
  return concat(u32(0x08000000, vni << 8), inner);
}

export function geneve(vni: number, protocol: number, inner: Uint8Array, options = new Uint8Array(0)): Uint8Array {
  return concat(Uint8Array.of(options.length / 4, 0), u16(protocol), u32(vni << 8), options, inner);
}

export function gre(protocol: number, inner: Uint8Array, key?: number): Uint8Array {
  return key === undefined ? concat(u16(0, protocol), inner) : concat(u16(0x2000, protocol), u32(key), inner);
}

// ---------------------------------------------------------------- captures

/** An Ethernet/IPv4/UDP frame carrying `payload` (192.0.2.1 → 192.0.2.2 by default). */
export function udpFrame(payload: Uint8Array, dstPort = 6343, srcPort = 50000, src = '192.0.2.1', dst = '192.0.2.2'): Uint8Array {
  return ethernet('00:00:5e:00:53:02', '00:00:5e:00:53:01', 0x0800, ipv4Packet({ src, dst, proto: 17 }, udpPacket(srcPort, dstPort, payload)));
}

export interface PcapFrame {
  data: Uint8Array;
  seconds?: number;
  fraction?: number;
}

/** A libpcap file (little-endian, microsecond or nanosecond timestamps). */
export function pcapFile(frames: PcapFrame[], linkType = 1, nanos = false): Uint8Array {
  const header = new Uint8Array(24);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, nanos ? 0xa1b23c4d : 0xa1b2c3d4, true);
  hv.setUint16(4, 2, true);
  hv.setUint16(6, 4, true);
  hv.setUint32(16, 262144, true);
  hv.setUint32(20, linkType, true);
  const records = frames.map((f, i) => {
    const r = new Uint8Array(16);
    const v = new DataView(r.buffer);
    v.setUint32(0, f.seconds ?? 1700000000 + i, true);
    v.setUint32(4, f.fraction ?? 0, true);
    v.setUint32(8, f.data.length, true);
    v.setUint32(12, f.data.length, true);
    return concat(r, f.data);
  });
  return concat(header, ...records);
}

function pcapngBlock(type: number, body: Uint8Array, le: boolean): Uint8Array {
  const body4 = padded(body);
  const out = new Uint8Array(12 + body4.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, type, le);
  v.setUint32(4, out.length, le);
  out.set(body4, 8);
  v.setUint32(out.length - 4, out.length, le);
  return out;
}

export interface PcapngInterfaceOptions {
  linkType: number;
  /** if_tsresol byte (default: none = microseconds). */
  tsresol?: number;
}

/** A pcapng file: one section, the interfaces, then enhanced packet blocks (interface, ts units). */
export function pcapngFile(
  interfaces: PcapngInterfaceOptions[],
  packets: { iface: number; ts: bigint; data: Uint8Array }[],
  le = true,
): Uint8Array {
  const shb = new Uint8Array(16);
  const sv = new DataView(shb.buffer);
  sv.setUint32(0, 0x1a2b3c4d, le);
  sv.setUint16(4, 1, le);
  sv.setBigInt64(8, -1n, le);
  const blocks = [pcapngBlock(0x0a0d0d0a, shb, le)];
  for (const iface of interfaces) {
    const options = iface.tsresol === undefined ? new Uint8Array(0) : new Uint8Array(12);
    if (iface.tsresol !== undefined) {
      const ov = new DataView(options.buffer);
      ov.setUint16(0, 9, le);
      ov.setUint16(2, 1, le);
      ov.setUint8(4, iface.tsresol);
      // bytes 8..11: opt_endofopt (zeros)
    }
    const idb = new Uint8Array(8);
    const iv = new DataView(idb.buffer);
    iv.setUint16(0, iface.linkType, le);
    iv.setUint32(4, 262144, le);
    blocks.push(pcapngBlock(1, concat(idb, options), le));
  }
  for (const p of packets) {
    const epb = new Uint8Array(20);
    const ev = new DataView(epb.buffer);
    ev.setUint32(0, p.iface, le);
    ev.setUint32(4, Number(p.ts >> 32n), le);
    ev.setUint32(8, Number(p.ts & 0xffffffffn), le);
    ev.setUint32(12, p.data.length, le);
    ev.setUint32(16, p.data.length, le);
    blocks.push(pcapngBlock(6, concat(epb, p.data), le));
  }
  return concat(...blocks);
}
