/**
 * The reusable objects the sFlow decoder fills besides the records: the datagram header and
 * the current sample's header plus the flow-record details FlowRecord has no field for.
 * Everything here is reset and refilled per datagram / sample; sinks copy what they keep.
 */
import { CounterRecord } from '../../common/counters.js';
import { FlowRecord } from '../../common/model.js';
import { PacketInfo } from '../packet/fields.js';

/** sFlow v5 sample formats (enterprise 0), sflow_version_5.txt "sample_data". */
export const SAMPLE_FLOW = 1;
export const SAMPLE_COUNTERS = 2;
export const SAMPLE_FLOW_EXPANDED = 3;
export const SAMPLE_COUNTERS_EXPANDED = 4;

/** Limits applied before a count drives a loop (goflow2 refuses more than 1000 samples too). */
export const MAX_SAMPLES_PER_DATAGRAM = 1000;
export const MAX_RECORDS_PER_SAMPLE = 512;

export class DatagramHeader {
  version = 0;
  /** Agent address in canonical text. */
  agentAddress = '';
  /** 4 (IPv4) or 6 (IPv6). */
  agentAddressFamily = 0;
  subAgentId = 0;
  sequence = 0;
  uptimeMs = 0;
  /** Samples the header declares. */
  sampleCount = 0;
  flowSamples = 0;
  counterSamples = 0;
  /** Samples of formats we do not decode (e.g. discarded-packet samples), skipped by length. */
  unknownSamples = 0;
  /** Flow and counter records of formats we do not decode, skipped by length. */
  unknownRecords = 0;

  reset(): void {
    this.version = 0;
    this.agentAddress = '';
    this.agentAddressFamily = 0;
    this.subAgentId = 0;
    this.sequence = 0;
    this.uptimeMs = 0;
    this.sampleCount = 0;
    this.flowSamples = 0;
    this.counterSamples = 0;
    this.unknownSamples = 0;
    this.unknownRecords = 0;
  }
}

/** An extended IPv4/IPv6 tunnel egress/ingress structure (formats 1023-1026, sflow_tunnels.txt). */
export class TunnelHeader {
  present = false;
  length = 0;
  protocol = 0;
  srcAddr = '';
  dstAddr = '';
  srcPort = 0;
  dstPort = 0;
  tcpFlags = 0;
  tos = 0;

  reset(): void {
    this.present = false;
    this.length = 0;
    this.protocol = 0;
    this.srcAddr = '';
    this.dstAddr = '';
    this.srcPort = 0;
    this.dstPort = 0;
    this.tcpFlags = 0;
    this.tos = 0;
  }
}

/** Interface format (the top 2 bits of a compact interface, sflow_version_5.txt "interface"). */
export const IF_FORMAT_SINGLE = 0;
/** Value is the discard reason (0x40000000 | reason). */
export const IF_FORMAT_DISCARD = 1;
/** Value is the number of output ports (OVS: flooded to N ports). */
export const IF_FORMAT_MULTIPLE = 2;

export class SampleInfo {
  /** SAMPLE_FLOW, SAMPLE_COUNTERS, SAMPLE_FLOW_EXPANDED or SAMPLE_COUNTERS_EXPANDED. */
  format = 0;
  /** Sample sequence number, incremented per sample of this source: gaps are lost samples. */
  sequence = 0;
  sourceIdType = 0;
  sourceIdIndex = 0;
  samplingRate = 0;
  /** Packets that could have been sampled (the running total for loss/rate accounting). */
  samplePool = 0;
  /** Samples the agent dropped for lack of resources. */
  drops = 0;
  inputFormat = 0;
  inputValue = 0;
  outputFormat = 0;
  outputValue = 0;
  /** Record formats in wire order (the first `recordCount` entries; enterprise << 12 | format). */
  readonly recordTags = new Uint32Array(MAX_RECORDS_PER_SAMPLE);
  recordCount = 0;
  unknownRecords = 0;

  /** extended_switch (1001). */
  hasSwitch = false;
  srcVlan = 0;
  srcPriority = 0;
  dstVlan = 0;
  dstPriority = 0;

  /** Raw packet header (1): header_protocol, bytes removed before sampling, header length. */
  headerProtocol = 0;
  headerStripped = 0;
  headerLength = 0;

  /** extended_router (1002). */
  hasRouter = false;
  nextHop = '';
  srcMaskLen = 0;
  dstMaskLen = 0;

  /** extended_gateway (1003): the AS path's first AS is the next-hop AS, its last the destination AS. */
  hasGateway = false;
  bgpNextHop = '';
  asNumber = 0;
  srcAs = 0;
  srcPeerAs = 0;
  dstPeerAs = 0;
  dstAs = 0;
  asPathLength = 0;
  communityCount = 0;
  localPref = 0;

  /** extended VNI egress / ingress (1029 / 1030); -1 when absent. */
  vniEgress = -1;
  vniIngress = -1;
  /** extended decapsulate egress / ingress (1027 / 1028): inner header offset; -1 when absent. */
  decapEgressOffset = -1;
  decapIngressOffset = -1;
  readonly tunnelEgress = new TunnelHeader();
  readonly tunnelIngress = new TunnelHeader();

  reset(): void {
    this.format = 0;
    this.sequence = 0;
    this.sourceIdType = 0;
    this.sourceIdIndex = 0;
    this.samplingRate = 0;
    this.samplePool = 0;
    this.drops = 0;
    this.inputFormat = 0;
    this.inputValue = 0;
    this.outputFormat = 0;
    this.outputValue = 0;
    this.recordCount = 0;
    this.unknownRecords = 0;
    this.hasSwitch = false;
    this.srcVlan = 0;
    this.srcPriority = 0;
    this.dstVlan = 0;
    this.dstPriority = 0;
    this.headerProtocol = 0;
    this.headerStripped = 0;
    this.headerLength = 0;
    this.hasRouter = false;
    this.nextHop = '';
    this.srcMaskLen = 0;
    this.dstMaskLen = 0;
    this.hasGateway = false;
    this.bgpNextHop = '';
    this.asNumber = 0;
    this.srcAs = 0;
    this.srcPeerAs = 0;
    this.dstPeerAs = 0;
    this.dstAs = 0;
    this.asPathLength = 0;
    this.communityCount = 0;
    this.localPref = 0;
    this.vniEgress = -1;
    this.vniIngress = -1;
    this.decapEgressOffset = -1;
    this.decapIngressOffset = -1;
    this.tunnelEgress.reset();
    this.tunnelIngress.reset();
  }
}

export type SkippedKind = 'sample' | 'flow_record' | 'counter_record';

/**
 * Where decoded samples go. Called synchronously during decodeDatagram with the context's
 * reused objects: copy what you keep.
 */
export interface SflowSink {
  flow(rec: FlowRecord, sample: SampleInfo, header: DatagramHeader): void;
  counters(rec: CounterRecord, sample: SampleInfo, header: DatagramHeader): void;
  /** A sample or record of a format the decoder does not know, skipped by its length. */
  skipped?(kind: SkippedKind, enterprise: number, format: number, header: DatagramHeader): void;
}

/**
 * Everything decodeDatagram reuses, owned by the caller (one per listener / thread):
 * the records handed to the sink, the header and sample objects, and the packet parser state.
 */
export class SflowContext {
  readonly header = new DatagramHeader();
  readonly sample = new SampleInfo();
  readonly flow = new FlowRecord();
  readonly counters = new CounterRecord();
  readonly packet = new PacketInfo();
  /** Set by the caller before each datagram: when it was received (ns since the epoch). */
  timeReceivedNs = 0n;
  /** Last IPv6 agent address seen, so its text is built once, not per datagram. */
  readonly lastAgentV6 = new Uint8Array(16);
  lastAgentV6Text = '';
}
