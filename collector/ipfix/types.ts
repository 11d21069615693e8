/**
 * The reusable objects the NetFlow / IPFIX decoders fill besides the FlowRecord: the message
 * header (with the counts a listener needs for gap and loss accounting) and the per-record
 * details FlowRecord has no field for. Reset and refilled per message / record: sinks copy
 * what they keep.
 */
import type { FlowRecord } from '../../common/model.js';

export const VERSION_NETFLOW_V5 = 5;
export const VERSION_NETFLOW_V9 = 9;
export const VERSION_IPFIX = 10;

/**
 * One NetFlow v5 / v9 packet or IPFIX message. What `sequence` counts differs per version
 * (RFC 7011 section 3.1: IPFIX counts data records; RFC 3954 section 5.1: v9 counts export
 * packets; v5 counts flows), so the next expected sequence number is:
 *   IPFIX: sequence + dataRecords + optionsRecords (per observation domain), unless heldSets > 0
 *          or setsWithoutTemplate > 0 (records we could not count yet)
 *   v9:    sequence + 1 (per source id)
 *   v5:    sequence + count
 */
export class MessageHeader {
  version = 0;
  /** IPFIX: the message length; v9 / v5: the datagram length. */
  length = 0;
  /** v9 / v5: the header's record count (v9: template, options and data records together). */
  count = 0;
  /** Export time, seconds since the epoch (v5/v9 unix_secs, IPFIX export time). */
  exportTimeSeconds = 0;
  /** v5 only: the residual nanoseconds of the export time. */
  exportTimeNanos = 0;
  /** v5 / v9: milliseconds since the exporter booted. */
  sysUptimeMs = 0;
  sequence = 0;
  /** IPFIX observation domain / v9 source id. */
  observationDomainId = 0;
  /** v5: engine type / id and the sampling mode and interval of the header. */
  engineType = 0;
  engineId = 0;
  samplingMode = 0;
  samplingInterval = 0;
  /** Who sent it (the UDP source address) and when it was received (ns since the epoch). */
  exporterAddress = '';
  timeReceivedNs = 0n;
  /** A number the caller attaches to the message (e.g. the capture frame number); kept with held data. */
  tag = 0;

  /** Sets in the message, by kind. */
  sets = 0;
  templateRecords = 0;
  optionsTemplateRecords = 0;
  /** IPFIX template withdrawals (one per withdrawn template, or one for "all"). */
  templatesWithdrawn = 0;
  dataSets = 0;
  /** Flow records delivered from this message's own data sets. */
  dataRecords = 0;
  /** Options data records (exporter statistics, sampler tables, interface tables, ...). */
  optionsRecords = 0;
  /** Data sets whose template was unknown: held until it comes (heldSets) or dropped. */
  setsWithoutTemplate = 0;
  heldSets = 0;
  /** Records decoded in this message from data held earlier, now that its template came. */
  releasedRecords = 0;
  /** Held sets this message pushed out of the full held buffer (their data is lost). */
  heldSetsDropped = 0;
  /** Sets with an id that means nothing here (IPFIX 0, 1, 4-255; v9 2-255), skipped. */
  unknownSets = 0;
  /** Fields the decoder reads whose length does not fit their element's type (e.g. a 2-byte "IPv4 address"): ignored, per record. */
  ignoredFields = 0;
  /** Bytes after the last set / record that carry nothing (padding, or past the IPFIX length). */
  trailingBytes = 0;

  reset(): void {
    this.version = 0;
    this.length = 0;
    this.count = 0;
    this.exportTimeSeconds = 0;
    this.exportTimeNanos = 0;
    this.sysUptimeMs = 0;
    this.sequence = 0;
    this.observationDomainId = 0;
    this.engineType = 0;
    this.engineId = 0;
    this.samplingMode = 0;
    this.samplingInterval = 0;
    this.exporterAddress = '';
    this.timeReceivedNs = 0n;
    this.tag = 0;
    this.sets = 0;
    this.templateRecords = 0;
    this.optionsTemplateRecords = 0;
    this.templatesWithdrawn = 0;
    this.dataSets = 0;
    this.dataRecords = 0;
    this.optionsRecords = 0;
    this.setsWithoutTemplate = 0;
    this.heldSets = 0;
    this.releasedRecords = 0;
    this.heldSetsDropped = 0;
    this.unknownSets = 0;
    this.ignoredFields = 0;
    this.trailingBytes = 0;
  }

  copyFrom(other: MessageHeader): void {
    Object.assign(this, other);
  }
}

/**
 * What a data record carried besides the FlowRecord fields (Open vSwitch tunnel endpoints and
 * names, sampler, exporter statistics of options records). Numbers not present stay -1.
 */
export class RecordInfo {
  templateId = 0;
  /** The set's position in its message (0-based) and the record's in its set. */
  setIndex = 0;
  recordIndex = 0;
  /** An options data record (RFC 7011 section 3.4.2.2 / RFC 3954 section 6.1). */
  options = false;
  /** Decoded from data held until its template came (the header passed is the original one). */
  held = false;
  /** fields.ts TOTAL_* bits: FlowRecord bytes / packets are the flow's running totals (octet/packetTotalCount). */
  runningTotals = 0;

  /** flowDirection (61): 0 ingress, 1 egress. */
  flowDirection = -1;
  observationPointId = -1;
  flowEndReason = -1;
  /** interfaceName (82) / interfaceDescription (83): Open vSwitch sends the port names. */
  ingressInterfaceName = '';
  egressInterfaceName = '';
  /** Bytes at layer 2 (layer2OctetDeltaCount, 352): Open vSwitch's count including Ethernet headers. */
  layer2Bytes = -1;
  /** tunnelType (6876/891): 1 VXLAN, 2 GRE, 7 Geneve; or the top byte of layer2SegmentId (351). */
  tunnelType = -1;
  tunnelProtocol = -1;
  tunnelSrcPort = -1;
  tunnelDstPort = -1;
  /** samplerId (48) / selectorId (302) this record refers to or (options) describes. */
  samplerId = -1;
  /** The sampling rate the record (or options record) states; FlowRecord.sampling_rate has the one applied. */
  samplingRate = -1;
  /** Exporting process reliability statistics (RFC 7011 section 4.3), as Open vSwitch sends them. */
  exportingProcessId = -1;
  notSentFlows = -1;
  notSentPackets = -1;
  notSentOctets = -1;
  exportedMessages = -1;
  exportedFlows = -1;
  exportedOctets = -1;
  /** systemInitTimeMilliseconds (160), ms since the epoch. */
  systemInitTimeMs = -1;

  reset(): void {
    this.templateId = 0;
    this.setIndex = 0;
    this.recordIndex = 0;
    this.options = false;
    this.held = false;
    this.runningTotals = 0;
    this.flowDirection = -1;
    this.observationPointId = -1;
    this.flowEndReason = -1;
    this.ingressInterfaceName = '';
    this.egressInterfaceName = '';
    this.layer2Bytes = -1;
    this.tunnelType = -1;
    this.tunnelProtocol = -1;
    this.tunnelSrcPort = -1;
    this.tunnelDstPort = -1;
    this.samplerId = -1;
    this.samplingRate = -1;
    this.exportingProcessId = -1;
    this.notSentFlows = -1;
    this.notSentPackets = -1;
    this.notSentOctets = -1;
    this.exportedMessages = -1;
    this.exportedFlows = -1;
    this.exportedOctets = -1;
    this.systemInitTimeMs = -1;
  }
}

/**
 * Where decoded records go. Called synchronously during decode with reused objects: copy what
 * you keep. Records of held data come later, with the header of the message they came in.
 */
export interface FlowSink {
  flow(rec: FlowRecord, info: RecordInfo, header: MessageHeader): void;
  /** An options data record; its sampling rate / system init time are already applied to the session. */
  options?(info: RecordInfo, header: MessageHeader): void;
}
