/**
 * sFlow v5 flow_sample (1) and expanded_flow_sample (3) with their flow records
 * (sflow_version_5.txt section 5 "Flow Data", sflow_tunnels.txt for 1023-1030).
 * Fills the context's one FlowRecord and SampleInfo and hands them to the sink.
 */
import { FlowRecord } from '../../common/model.js';
import { LAYER_ETHERNET, LAYER_IPV4, LAYER_IPV6, type Layer } from '../packet/fields.js';
import { formatIpv4, formatIpv6, formatMac } from '../packet/format.js';
import { parsePacket } from '../packet/parse.js';
import { applyPacketToRecord } from '../packet/record.js';
import { SflowDecodeError } from './errors.js';
import {
  IF_FORMAT_SINGLE,
  MAX_RECORDS_PER_SAMPLE,
  SAMPLE_FLOW,
  SAMPLE_FLOW_EXPANDED,
  type SampleInfo,
  type SflowContext,
  type SflowSink,
  TunnelHeader,
} from './types.js';
import { AddressCursor, readAddress, u32 } from './xdr.js';

// Flow record formats, enterprise 0.
const RAW_HEADER = 1;
const SAMPLED_ETHERNET = 2;
const SAMPLED_IPV4 = 3;
const SAMPLED_IPV6 = 4;
const EXTENDED_SWITCH = 1001;
const EXTENDED_ROUTER = 1002;
const EXTENDED_GATEWAY = 1003;
const IPV4_TUNNEL_EGRESS = 1023;
const IPV4_TUNNEL_INGRESS = 1024;
const IPV6_TUNNEL_EGRESS = 1025;
const IPV6_TUNNEL_INGRESS = 1026;
const DECAPSULATE_EGRESS = 1027;
const DECAPSULATE_INGRESS = 1028;
const VNI_EGRESS = 1029;
const VNI_INGRESS = 1030;

// raw packet header "header_protocol" values we parse.
const HEADER_ETHERNET = 1;
const HEADER_IPV4 = 11;
const HEADER_IPV6 = 12;

const SAMPLED_IPV4_LENGTH = 32;
const SAMPLED_IPV6_LENGTH = 56;

/** Where the sample's address-bearing records sit, resolved after all records are read. */
class RecordPositions {
  header = -1;
  headerEnd = 0;
  ethernet = -1;
  ipv4 = -1;
  ipv6 = -1;

  reset(): void {
    this.header = -1;
    this.headerEnd = 0;
    this.ethernet = -1;
    this.ipv4 = -1;
    this.ipv6 = -1;
  }
}

const positions = new RecordPositions();
const address = new AddressCursor();
const scratchIp = new TunnelHeader();

/** Compact form of an interface (format in the top 2 bits), as goflow2 reports in_if/out_if. */
function interfaceField(format: number, value: number): number {
  return format === IF_FORMAT_SINGLE ? value : ((format << 30) | (value & 0x3fffffff)) >>> 0;
}

export function decodeFlowSample(
  buf: Uint8Array,
  pos: number,
  end: number,
  expanded: boolean,
  ctx: SflowContext,
  sink: SflowSink,
): void {
  const s = ctx.sample;
  const h = ctx.header;
  s.reset();
  s.format = expanded ? SAMPLE_FLOW_EXPANDED : SAMPLE_FLOW;
  const fixed = expanded ? 44 : 32;
  if (end - pos < fixed) throw new SflowDecodeError('bad_length', pos, `flow sample shorter than ${fixed} bytes`);
  s.sequence = u32(buf, pos);
  if (expanded) {
    s.sourceIdType = u32(buf, pos + 4);
    s.sourceIdIndex = u32(buf, pos + 8);
    pos += 12;
  } else {
    const source = u32(buf, pos + 4);
    s.sourceIdType = source >>> 24;
    s.sourceIdIndex = source & 0xffffff;
    pos += 8;
  }
  s.samplingRate = u32(buf, pos);
  s.samplePool = u32(buf, pos + 4);
  s.drops = u32(buf, pos + 8);
  if (expanded) {
    s.inputFormat = u32(buf, pos + 12);
    s.inputValue = u32(buf, pos + 16);
    s.outputFormat = u32(buf, pos + 20);
    s.outputValue = u32(buf, pos + 24);
    pos += 28;
  } else {
    const input = u32(buf, pos + 12);
    const output = u32(buf, pos + 16);
    s.inputFormat = input >>> 30;
    s.inputValue = input & 0x3fffffff;
    s.outputFormat = output >>> 30;
    s.outputValue = output & 0x3fffffff;
    pos += 20;
  }
  const count = u32(buf, pos);
  pos += 4;
  if (count > MAX_RECORDS_PER_SAMPLE || count * 8 > end - pos) {
    throw new SflowDecodeError('too_many_records', pos - 4, `${count} flow records in ${end - pos} bytes`);
  }

  const rec = ctx.flow;
  rec.reset();
  rec.type = 'SFLOW_5';
  rec.time_received_ns = ctx.timeReceivedNs;
  rec.sequence_num = h.sequence;
  rec.sampler_address = h.agentAddress;
  rec.sub_agent_id = h.subAgentId;
  rec.sampling_rate = s.samplingRate;
  rec.source_id = s.sourceIdIndex;
  rec.in_if = interfaceField(s.inputFormat, s.inputValue);
  rec.out_if = interfaceField(s.outputFormat, s.outputValue);
  rec.packets = 1;

  positions.reset();
  for (let i = 0; i < count; i++) {
    if (end - pos < 8) throw new SflowDecodeError('bad_length', pos, 'flow record header cut');
    const tag = u32(buf, pos);
    const length = u32(buf, pos + 4);
    pos += 8;
    if (length > end - pos) throw new SflowDecodeError('bad_length', pos - 4, `flow record of ${length} bytes in ${end - pos}`);
    s.recordTags[s.recordCount++] = tag;
    if (!decodeFlowRecord(buf, pos, pos + length, tag, s)) {
      s.unknownRecords++;
      h.unknownRecords++;
      sink.skipped?.('flow_record', tag >>> 12, tag & 0xfff, h);
    }
    pos += length;
  }
  fillAddresses(buf, s, rec, ctx);
  h.flowSamples++;
  sink.flow(rec, s, h);
}

/** One flow record in `[pos, end)`; false when its format is not one we decode. */
function decodeFlowRecord(buf: Uint8Array, pos: number, end: number, tag: number, s: SampleInfo): boolean {
  const length = end - pos;
  switch (tag) {
    case RAW_HEADER: {
      if (length < 16) throw new SflowDecodeError('bad_record', pos, 'raw packet header cut');
      const headerLength = u32(buf, pos + 12);
      if (headerLength > length - 16) {
        throw new SflowDecodeError('bad_record', pos + 12, `sampled header of ${headerLength} bytes in ${length - 16}`);
      }
      s.headerProtocol = u32(buf, pos);
      positions.header = pos + 16;
      positions.headerEnd = pos + 16 + headerLength;
      // frame_length goes to the record in fillAddresses; keep it via the header position.
      s.headerStripped = u32(buf, pos + 8);
      s.headerLength = headerLength;
      return true;
    }
    case SAMPLED_ETHERNET:
      if (length < 24) throw new SflowDecodeError('bad_record', pos, 'sampled Ethernet cut');
      positions.ethernet = pos;
      return true;
    case SAMPLED_IPV4:
      if (length < SAMPLED_IPV4_LENGTH) throw new SflowDecodeError('bad_record', pos, 'sampled IPv4 cut');
      positions.ipv4 = pos;
      return true;
    case SAMPLED_IPV6:
      if (length < SAMPLED_IPV6_LENGTH) throw new SflowDecodeError('bad_record', pos, 'sampled IPv6 cut');
      positions.ipv6 = pos;
      return true;
    case EXTENDED_SWITCH:
      if (length < 16) throw new SflowDecodeError('bad_record', pos, 'extended switch cut');
      s.hasSwitch = true;
      s.srcVlan = u32(buf, pos);
      s.srcPriority = u32(buf, pos + 4);
      s.dstVlan = u32(buf, pos + 8);
      s.dstPriority = u32(buf, pos + 12);
      return true;
    case EXTENDED_ROUTER:
      readAddress(buf, pos, end, address);
      if (end - address.next < 8) throw new SflowDecodeError('bad_record', address.next, 'extended router cut');
      s.hasRouter = true;
      s.nextHop = address.text;
      s.srcMaskLen = u32(buf, address.next);
      s.dstMaskLen = u32(buf, address.next + 4);
      return true;
    case EXTENDED_GATEWAY:
      decodeGateway(buf, pos, end, s);
      return true;
    case IPV4_TUNNEL_EGRESS:
    case IPV4_TUNNEL_INGRESS:
      if (length < SAMPLED_IPV4_LENGTH) throw new SflowDecodeError('bad_record', pos, 'IPv4 tunnel structure cut');
      readSampledIp(buf, pos, false, tag === IPV4_TUNNEL_EGRESS ? s.tunnelEgress : s.tunnelIngress);
      return true;
    case IPV6_TUNNEL_EGRESS:
    case IPV6_TUNNEL_INGRESS:
      if (length < SAMPLED_IPV6_LENGTH) throw new SflowDecodeError('bad_record', pos, 'IPv6 tunnel structure cut');
      readSampledIp(buf, pos, true, tag === IPV6_TUNNEL_EGRESS ? s.tunnelEgress : s.tunnelIngress);
      return true;
    case DECAPSULATE_EGRESS:
    case DECAPSULATE_INGRESS:
    case VNI_EGRESS:
    case VNI_INGRESS: {
      if (length < 4) throw new SflowDecodeError('bad_record', pos, `record ${tag} cut`);
      const value = u32(buf, pos);
      if (tag === DECAPSULATE_EGRESS) s.decapEgressOffset = value;
      else if (tag === DECAPSULATE_INGRESS) s.decapIngressOffset = value;
      else if (tag === VNI_EGRESS) s.vniEgress = value;
      else s.vniIngress = value;
      return true;
    }
    default:
      return false;
  }
}

/** sampled_ipv4 / sampled_ipv6 layout (also the tunnel structures 1023-1026). */
function readSampledIp(buf: Uint8Array, pos: number, v6: boolean, out: TunnelHeader): void {
  out.present = true;
  out.length = u32(buf, pos);
  out.protocol = u32(buf, pos + 4);
  if (v6) {
    out.srcAddr = formatIpv6(buf, pos + 8);
    out.dstAddr = formatIpv6(buf, pos + 24);
    pos += 40;
  } else {
    out.srcAddr = formatIpv4(buf, pos + 8);
    out.dstAddr = formatIpv4(buf, pos + 12);
    pos += 16;
  }
  out.srcPort = u32(buf, pos);
  out.dstPort = u32(buf, pos + 4);
  out.tcpFlags = u32(buf, pos + 8);
  out.tos = u32(buf, pos + 12);
}

const MAX_AS_PATH_SEGMENTS = 64;

function decodeGateway(buf: Uint8Array, pos: number, end: number, s: SampleInfo): void {
  readAddress(buf, pos, end, address);
  pos = address.next;
  if (end - pos < 16) throw new SflowDecodeError('bad_record', pos, 'extended gateway cut');
  s.hasGateway = true;
  s.bgpNextHop = address.text;
  s.asNumber = u32(buf, pos);
  s.srcAs = u32(buf, pos + 4);
  s.srcPeerAs = u32(buf, pos + 8);
  const segments = u32(buf, pos + 12);
  pos += 16;
  if (segments > MAX_AS_PATH_SEGMENTS || segments * 8 > end - pos) {
    throw new SflowDecodeError('bad_record', pos - 4, `${segments} AS path segments`);
  }
  for (let i = 0; i < segments; i++) {
    if (end - pos < 8) throw new SflowDecodeError('bad_record', pos, 'AS path segment cut');
    const asCount = u32(buf, pos + 4);
    pos += 8;
    if (asCount * 4 > end - pos) throw new SflowDecodeError('bad_record', pos - 4, `${asCount} ASes in a path segment`);
    if (asCount > 0) {
      if (s.asPathLength === 0) s.dstPeerAs = u32(buf, pos);
      s.dstAs = u32(buf, pos + (asCount - 1) * 4);
    }
    s.asPathLength += asCount;
    pos += asCount * 4;
  }
  if (end - pos < 4) throw new SflowDecodeError('bad_record', pos, 'communities cut');
  const communities = u32(buf, pos);
  pos += 4;
  if (communities * 4 > end - pos) throw new SflowDecodeError('bad_record', pos - 4, `${communities} communities`);
  s.communityCount = communities;
  pos += communities * 4;
  if (end - pos < 4) throw new SflowDecodeError('bad_record', pos, 'local preference cut');
  s.localPref = u32(buf, pos);
}

/**
 * Fill the address fields: the raw header wins (it is the packet itself); the sampled
 * Ethernet / IPv4 / IPv6 records fill what no header gave. Tunnel records then add the VNI
 * and the outer endpoints.
 */
function fillAddresses(buf: Uint8Array, s: SampleInfo, rec: FlowRecord, ctx: SflowContext): void {
  if (positions.header >= 0) {
    const layer = headerLayer(s.headerProtocol);
    // frame_length sits 12 bytes before the header bytes.
    rec.frame_length = u32(buf, positions.header - 12);
    rec.bytes = rec.frame_length;
    if (layer !== 0) {
      parsePacket(buf, positions.header, positions.headerEnd, layer, ctx.packet);
      applyPacketToRecord(ctx.packet, rec);
    }
  }
  if (positions.ethernet >= 0 && rec.src_mac === '') {
    const p = positions.ethernet;
    if (rec.bytes === 0) rec.bytes = u32(buf, p);
    rec.src_mac = formatMac(buf, p + 4);
    rec.dst_mac = formatMac(buf, p + 12);
    if (rec.etype === 0) rec.etype = u32(buf, p + 20);
  }
  const ip = positions.ipv4 >= 0 ? positions.ipv4 : positions.ipv6;
  if (ip >= 0 && rec.src_addr === '') {
    const v6 = positions.ipv4 < 0;
    const t = scratchIp;
    readSampledIp(buf, ip, v6, t);
    if (rec.bytes === 0) rec.bytes = t.length;
    rec.etype = v6 ? 0x86dd : 0x0800;
    rec.proto = t.protocol;
    rec.src_addr = t.srcAddr;
    rec.dst_addr = t.dstAddr;
    rec.src_port = t.srcPort;
    rec.dst_port = t.dstPort;
    rec.tcp_flags = t.tcpFlags;
    rec.ip_tos = t.tos;
  }
  if (s.vniIngress >= 0) rec.tunnel_id = s.vniIngress;
  else if (s.vniEgress >= 0) rec.tunnel_id = s.vniEgress;
  const tunnel = s.tunnelIngress.present ? s.tunnelIngress : s.tunnelEgress.present ? s.tunnelEgress : null;
  if (tunnel) {
    rec.tunnel_src_addr = tunnel.srcAddr;
    rec.tunnel_dst_addr = tunnel.dstAddr;
  }
  if (!s.hasSwitch || rec.vlan_id !== 0) return;
  // No 802.1Q tag in the header: the switch's view of the VLAN (OVS: the port's local VLAN).
  rec.vlan_id = s.srcVlan;
}

function headerLayer(protocol: number): Layer {
  if (protocol === HEADER_ETHERNET) return LAYER_ETHERNET;
  if (protocol === HEADER_IPV4) return LAYER_IPV4;
  if (protocol === HEADER_IPV6) return LAYER_IPV6;
  return 0;
}
