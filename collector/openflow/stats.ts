/**
 * Multipart (statistics) request bodies and reply-body decoders for OF1.3, 1.4 and 1.5
 * (OF1.3.5 §7.3.5, OF1.4.1 §7.3.5, OF1.5.1 §7.3.5; OVS include/openflow/openflow-1.*.h).
 * A reply body holds whole entries; a long reply arrives as several messages (REPLY_MORE), and
 * each body is decoded on its own, so no reply is ever assembled in memory.
 *
 * Numbers: every 64-bit counter is a JS number (see wire.readU64: exact below 2^53); a counter
 * the switch reports as all-ones ("not available": port, queue, flow and group counters) is
 * `undefined`. 64-bit identifiers (cookie, datapath id, tunnel id, metadata) are bigint.
 */
import { decodeActions, type Action } from './actions.js';
import { OFP14, OFP15, OFPP_ANY, OFPQ_ALL, OFPTT_ALL, type OfVersion } from './constants.js';
import { decodeInstructions, type Instruction } from './instructions.js';
import { decodeMatch, encodeMatch, matchLength, type Match, type MatchField } from './oxm.js';
import {
  formatMac,
  need,
  pad8,
  protocolError,
  readCString,
  readCounter,
  readDuration,
  readU64,
  writeU64,
} from './wire.js';

// ---------------------------------------------------------------------------------------------
// Requests

export interface FlowStatsRequest {
  /** Table to read; all tables by default. */
  readonly tableId?: number;
  readonly outPort?: number;
  readonly outGroup?: number;
  readonly cookie?: bigint;
  readonly cookieMask?: bigint;
  readonly match?: Match;
}

/** Body of OFPMP_FLOW / OFPMP_AGGREGATE requests (ofp11_flow_stats_request, same in 1.3 - 1.5). */
export function flowStatsRequestBody(req: FlowStatsRequest): Buffer {
  const match = req.match ?? [];
  const body = Buffer.alloc(32 + matchLength(match));
  body[0] = req.tableId ?? OFPTT_ALL;
  body.writeUInt32BE(req.outPort ?? OFPP_ANY, 4);
  body.writeUInt32BE(req.outGroup ?? 0xffffffff, 8);
  writeU64(body, 16, req.cookie ?? 0n);
  writeU64(body, 24, req.cookieMask ?? 0n);
  encodeMatch(body, 32, match);
  return body;
}

/** An 8-byte body of one 32-bit id plus padding (port, group, meter requests). */
export function idRequestBody(id: number): Buffer {
  const body = Buffer.alloc(8);
  body.writeUInt32BE(id, 0);
  return body;
}

export function queueStatsRequestBody(portNo = OFPP_ANY, queueId = OFPQ_ALL): Buffer {
  const body = Buffer.alloc(8);
  body.writeUInt32BE(portNo, 0);
  body.writeUInt32BE(queueId, 4);
  return body;
}

/** OF1.5 gave PORT_DESC and GROUP_DESC requests a body (port/group + pad); earlier ones are empty. */
export function descRequestBody(version: OfVersion, id: number): Buffer {
  return version >= OFP15 ? idRequestBody(id) : Buffer.alloc(0);
}

// ---------------------------------------------------------------------------------------------
// Flow stats

export interface FlowStats {
  readonly tableId: number;
  readonly priority: number;
  readonly cookie: bigint;
  readonly idleTimeout: number;
  readonly hardTimeout: number;
  /** OFPFF_* bits (1 SEND_FLOW_REM, 2 CHECK_OVERLAP, 4 RESET_COUNTS, 8 NO_PKT_COUNTS, 16 NO_BYT_COUNTS). */
  readonly flags: number;
  /** OF1.4+; 0 in OF1.3. */
  readonly importance: number;
  /** Seconds since the flow was added (OF1.5: absent when the switch omits the OXS field). */
  readonly durationSec: number | undefined;
  /** OF1.5 only (OXS idle_time): seconds since the flow last matched. */
  readonly idleAgeSec: number | undefined;
  readonly packetCount: number | undefined;
  readonly byteCount: number | undefined;
  readonly match: readonly MatchField[];
  readonly instructions: readonly Instruction[];
}

interface OxsStats {
  durationSec: number | undefined;
  idleAgeSec: number | undefined;
  packetCount: number | undefined;
  byteCount: number | undefined;
  flowCount: number | undefined;
  next: number;
}

const OXS_BASIC = 0x8002;
const OXS_EXPERIMENTER = 0xffff;

/** ofp_stats (OF1.5.1 §7.2.4): reserved(16) length(16) then OXS TLVs, padded to 8 bytes. */
function decodeOxsStats(buf: Buffer, offset: number, end: number): OxsStats {
  need(offset, 4, end, 'OXS stats header');
  const length = buf.readUInt16BE(offset + 2);
  if (length < 4) throw protocolError(`OXS stats length ${length}`);
  need(offset, pad8(length), end, 'OXS stats');
  const out: OxsStats = {
    durationSec: undefined,
    idleAgeSec: undefined,
    packetCount: undefined,
    byteCount: undefined,
    flowCount: undefined,
    next: offset + pad8(length),
  };
  const fieldsEnd = offset + length;
  let pos = offset + 4;
  while (pos < fieldsEnd) {
    need(pos, 4, fieldsEnd, 'OXS header');
    const header = buf.readUInt32BE(pos);
    const oxsClass = header >>> 16;
    const field = (header >>> 9) & 0x7f;
    const len = header & 0xff;
    need(pos + 4, len, fieldsEnd, 'OXS field');
    const value = pos + 4;
    if (oxsClass === OXS_BASIC && len === 8) {
      if (field === 0) out.durationSec = readDuration(buf, value);
      else if (field === 1) out.idleAgeSec = readDuration(buf, value);
      else if (field === 4) out.packetCount = readU64(buf, value);
      else if (field === 5) out.byteCount = readU64(buf, value);
    } else if (oxsClass === OXS_BASIC && field === 3 && len === 4) {
      out.flowCount = buf.readUInt32BE(value);
    } else if (oxsClass === OXS_EXPERIMENTER && len < 4) {
      throw protocolError(`experimenter OXS with length ${len}`);
    }
    pos = value + len;
  }
  return out;
}

/** Reads a length-prefixed entry's length at `pos` and checks it against `min` and the body end. */
function entryLength(body: Buffer, pos: number, lengthAt: number, min: number, what: string): number {
  need(pos, min, body.length, what);
  const length = body.readUInt16BE(pos + lengthAt);
  if (length < min) throw protocolError(`${what} claims length ${length} (minimum ${min})`);
  need(pos, length, body.length, what);
  return length;
}

/** Calls `onEntry` for every flow in one OFPMP_FLOW reply body; returns how many. */
export function forEachFlowStats(body: Buffer, version: OfVersion, onEntry: (flow: FlowStats) => void): number {
  let pos = 0;
  let count = 0;
  while (pos < body.length) {
    const flow = version >= OFP15 ? decodeFlowDesc15(body, pos) : decodeFlowStats13(body, pos, version);
    pos += body.readUInt16BE(pos);
    count++;
    onEntry(flow);
  }
  return count;
}

/** ofp11_flow_stats, 48 bytes + match + instructions (OF1.4 fills the padding at 20 with importance). */
function decodeFlowStats13(body: Buffer, pos: number, version: OfVersion): FlowStats {
  const length = entryLength(body, pos, 0, 56, 'flow stats entry');
  const end = pos + length;
  const { match, next } = decodeMatch(body, pos + 48, end);
  return {
    tableId: body[pos + 2],
    priority: body.readUInt16BE(pos + 12),
    cookie: body.readBigUInt64BE(pos + 24),
    idleTimeout: body.readUInt16BE(pos + 14),
    hardTimeout: body.readUInt16BE(pos + 16),
    flags: body.readUInt16BE(pos + 18),
    importance: version >= OFP14 ? body.readUInt16BE(pos + 20) : 0,
    durationSec: readDuration(body, pos + 4),
    idleAgeSec: undefined,
    packetCount: readCounter(body, pos + 32),
    byteCount: readCounter(body, pos + 40),
    match,
    instructions: decodeInstructions(body, next, end),
  };
}

/** ofp15_flow_desc, 24 bytes + match + ofp_stats (OXS) + instructions. */
function decodeFlowDesc15(body: Buffer, pos: number): FlowStats {
  const length = entryLength(body, pos, 0, 32, 'flow desc entry');
  const end = pos + length;
  const { match, next } = decodeMatch(body, pos + 24, end);
  const stats = decodeOxsStats(body, next, end);
  return {
    tableId: body[pos + 4],
    priority: body.readUInt16BE(pos + 6),
    cookie: body.readBigUInt64BE(pos + 16),
    idleTimeout: body.readUInt16BE(pos + 8),
    hardTimeout: body.readUInt16BE(pos + 10),
    flags: body.readUInt16BE(pos + 12),
    importance: body.readUInt16BE(pos + 14),
    durationSec: stats.durationSec,
    idleAgeSec: stats.idleAgeSec,
    packetCount: stats.packetCount,
    byteCount: stats.byteCount,
    match,
    instructions: decodeInstructions(body, stats.next, end),
  };
}

// ---------------------------------------------------------------------------------------------
// Aggregate, table

export interface AggregateStats {
  readonly packetCount: number | undefined;
  readonly byteCount: number | undefined;
  readonly flowCount: number | undefined;
}

export function decodeAggregate(body: Buffer, version: OfVersion): AggregateStats {
  if (version >= OFP15) {
    const s = decodeOxsStats(body, 0, body.length);
    return { packetCount: s.packetCount, byteCount: s.byteCount, flowCount: s.flowCount };
  }
  need(0, 24, body.length, 'aggregate reply');
  return { packetCount: readCounter(body, 0), byteCount: readCounter(body, 8), flowCount: body.readUInt32BE(16) };
}

export interface TableStats {
  readonly tableId: number;
  readonly activeCount: number;
  readonly lookupCount: number;
  readonly matchedCount: number;
}

/** Fixed-size entries: checks the body is a whole number of them. */
function fixedEntries(body: Buffer, size: number, what: string): number {
  if (body.length % size !== 0) throw protocolError(`${what} body of ${body.length} bytes is not a multiple of ${size}`);
  return body.length / size;
}

export function decodeTableStats(body: Buffer): TableStats[] {
  const n = fixedEntries(body, 24, 'table stats');
  const out: TableStats[] = [];
  for (let i = 0, pos = 0; i < n; i++, pos += 24) {
    out.push({
      tableId: body[pos],
      activeCount: body.readUInt32BE(pos + 4),
      lookupCount: readU64(body, pos + 8),
      matchedCount: readU64(body, pos + 16),
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Ports

export interface PortDesc {
  readonly portNo: number;
  readonly hwAddr: string;
  readonly name: string;
  /** OFPPC_* bits (1 PORT_DOWN, 4 NO_RECV, 32 NO_FWD, 64 NO_PACKET_IN). */
  readonly config: number;
  /** OFPPS_* bits (1 LINK_DOWN, 2 BLOCKED, 4 LIVE). */
  readonly state: number;
  /** OFPPF_* feature bitmaps; 0 when the switch sent no ethernet property (OF1.4+). */
  readonly curr: number;
  readonly advertised: number;
  readonly supported: number;
  readonly peer: number;
  readonly currSpeedKbps: number;
  readonly maxSpeedKbps: number;
}

const OFPPDPT_ETHERNET = 0;

export function decodePortDesc(body: Buffer, version: OfVersion): PortDesc[] {
  const out: PortDesc[] = [];
  if (version < OFP14) {
    const n = fixedEntries(body, 64, 'port desc');
    for (let i = 0, pos = 0; i < n; i++, pos += 64) {
      out.push(portDesc(body, pos, pos + 40));
    }
    return out;
  }
  let pos = 0;
  while (pos < body.length) {
    const length = entryLength(body, pos, 4, 40, 'port desc entry');
    let ethernet: number | undefined;
    forEachProperty(body, pos + 40, pos + length, (type, at, len) => {
      if (type === OFPPDPT_ETHERNET && len >= 32) ethernet = at + 8;
    });
    out.push(portDesc(body, pos, ethernet));
    pos += length;
  }
  return out;
}

/** ofp11_port (OF1.3) and ofp14_port share port_no, hw_addr at 8, name at 16, config and state at 32 and 36. */
function portDesc(body: Buffer, pos: number, features: number | undefined): PortDesc {
  const feature = (i: number): number => (features === undefined ? 0 : body.readUInt32BE(features + 4 * i));
  return {
    portNo: body.readUInt32BE(pos),
    hwAddr: formatMac(body, pos + 8),
    name: readCString(body, pos + 16, 16),
    config: body.readUInt32BE(pos + 32),
    state: body.readUInt32BE(pos + 36),
    curr: feature(0),
    advertised: feature(1),
    supported: feature(2),
    peer: feature(3),
    currSpeedKbps: feature(4),
    maxSpeedKbps: feature(5),
  };
}

/** Walks OF1.4+ TLV properties (type u16, length u16, padded to 8) in [offset, end). */
function forEachProperty(body: Buffer, offset: number, end: number, onProperty: (type: number, at: number, length: number) => void): void {
  let pos = offset;
  while (pos < end) {
    need(pos, 4, end, 'property header');
    const type = body.readUInt16BE(pos);
    const length = body.readUInt16BE(pos + 2);
    if (length < 4) throw protocolError(`property type ${type} has length ${length}`);
    need(pos, length, end, `property type ${type}`);
    onProperty(type, pos, length);
    pos += pad8(length);
  }
}

export interface PortStats {
  readonly portNo: number;
  readonly durationSec: number;
  readonly rxPackets: number | undefined;
  readonly txPackets: number | undefined;
  readonly rxBytes: number | undefined;
  readonly txBytes: number | undefined;
  readonly rxDropped: number | undefined;
  readonly txDropped: number | undefined;
  readonly rxErrors: number | undefined;
  readonly txErrors: number | undefined;
  readonly rxFrameErr: number | undefined;
  readonly rxOverErr: number | undefined;
  readonly rxCrcErr: number | undefined;
  readonly collisions: number | undefined;
}

const OFPPSPT_ETHERNET = 0;

export function decodePortStats(body: Buffer, version: OfVersion): PortStats[] {
  const out: PortStats[] = [];
  if (version < OFP14) {
    // ofp13_port_stats: port_no, pad, 12 counters, duration (112 bytes).
    const n = fixedEntries(body, 112, 'port stats');
    for (let i = 0, pos = 0; i < n; i++, pos += 112) {
      out.push(portStats(body, body.readUInt32BE(pos), readDuration(body, pos + 104), pos + 8, pos + 72));
    }
    return out;
  }
  let pos = 0;
  while (pos < body.length) {
    // ofp14_port_stats: length, pad, port_no, duration, 8 counters (80 bytes), then properties.
    const length = entryLength(body, pos, 0, 80, 'port stats entry');
    let ethernet: number | undefined;
    forEachProperty(body, pos + 80, pos + length, (type, at, len) => {
      if (type === OFPPSPT_ETHERNET && len >= 40) ethernet = at + 8;
    });
    out.push(portStats(body, body.readUInt32BE(pos + 4), readDuration(body, pos + 8), pos + 16, ethernet));
    pos += length;
  }
  return out;
}

function portStats(body: Buffer, portNo: number, durationSec: number, counters: number, ethernet: number | undefined): PortStats {
  const c = (i: number): number | undefined => readCounter(body, counters + 8 * i);
  const e = (i: number): number | undefined => (ethernet === undefined ? undefined : readCounter(body, ethernet + 8 * i));
  return {
    portNo,
    durationSec,
    rxPackets: c(0),
    txPackets: c(1),
    rxBytes: c(2),
    txBytes: c(3),
    rxDropped: c(4),
    txDropped: c(5),
    rxErrors: c(6),
    txErrors: c(7),
    rxFrameErr: e(0),
    rxOverErr: e(1),
    rxCrcErr: e(2),
    collisions: e(3),
  };
}

export interface QueueStats {
  readonly portNo: number;
  readonly queueId: number;
  readonly txBytes: number | undefined;
  readonly txPackets: number | undefined;
  readonly txErrors: number | undefined;
  readonly durationSec: number;
}

export function decodeQueueStats(body: Buffer, version: OfVersion): QueueStats[] {
  const out: QueueStats[] = [];
  if (version < OFP14) {
    const n = fixedEntries(body, 40, 'queue stats');
    for (let i = 0, pos = 0; i < n; i++, pos += 40) out.push(queueStats(body, pos));
    return out;
  }
  let pos = 0;
  while (pos < body.length) {
    const length = entryLength(body, pos, 0, 48, 'queue stats entry');
    out.push(queueStats(body, pos + 8));
    pos += length;
  }
  return out;
}

function queueStats(body: Buffer, pos: number): QueueStats {
  return {
    portNo: body.readUInt32BE(pos),
    queueId: body.readUInt32BE(pos + 4),
    txBytes: readCounter(body, pos + 8),
    txPackets: readCounter(body, pos + 16),
    txErrors: readCounter(body, pos + 24),
    durationSec: readDuration(body, pos + 32),
  };
}

// ---------------------------------------------------------------------------------------------
// Groups

export interface GroupStats {
  readonly groupId: number;
  readonly refCount: number;
  readonly packetCount: number | undefined;
  readonly byteCount: number | undefined;
  readonly durationSec: number;
  readonly buckets: readonly { readonly packetCount: number | undefined; readonly byteCount: number | undefined }[];
}

export function decodeGroupStats(body: Buffer): GroupStats[] {
  const out: GroupStats[] = [];
  let pos = 0;
  while (pos < body.length) {
    const length = entryLength(body, pos, 0, 40, 'group stats entry');
    if ((length - 40) % 16 !== 0) throw protocolError(`group stats entry length ${length} leaves a partial bucket counter`);
    const buckets: { packetCount: number | undefined; byteCount: number | undefined }[] = [];
    for (let b = pos + 40; b < pos + length; b += 16) {
      buckets.push({ packetCount: readCounter(body, b), byteCount: readCounter(body, b + 8) });
    }
    out.push({
      groupId: body.readUInt32BE(pos + 4),
      refCount: body.readUInt32BE(pos + 8),
      packetCount: readCounter(body, pos + 16),
      byteCount: readCounter(body, pos + 24),
      durationSec: readDuration(body, pos + 32),
      buckets,
    });
    pos += length;
  }
  return out;
}

export type GroupType = 'all' | 'select' | 'indirect' | 'fast_failover';
const GROUP_TYPES: readonly GroupType[] = ['all', 'select', 'indirect', 'fast_failover'];

export interface GroupBucket {
  /** OF1.5 only. */
  readonly bucketId: number | undefined;
  readonly weight: number;
  readonly watchPort: number;
  readonly watchGroup: number;
  readonly actions: readonly Action[];
}

export interface GroupDesc {
  readonly groupId: number;
  readonly type: GroupType | number;
  readonly buckets: readonly GroupBucket[];
}

const OFPGBPT15_WEIGHT = 0;
const OFPGBPT15_WATCH_PORT = 1;
const OFPGBPT15_WATCH_GROUP = 2;

export function decodeGroupDesc(body: Buffer, version: OfVersion): GroupDesc[] {
  const out: GroupDesc[] = [];
  let pos = 0;
  const headerLen = version >= OFP15 ? 16 : 8;
  while (pos < body.length) {
    const length = entryLength(body, pos, 0, headerLen, 'group desc entry');
    const typeNo = body[pos + 2];
    const bucketsEnd = version >= OFP15 ? pos + headerLen + body.readUInt16BE(pos + 8) : pos + length;
    if (bucketsEnd > pos + length) throw protocolError('group desc bucket list overruns its entry');
    const buckets = version >= OFP15 ? buckets15(body, pos + headerLen, bucketsEnd) : buckets11(body, pos + headerLen, bucketsEnd);
    out.push({ groupId: body.readUInt32BE(pos + 4), type: GROUP_TYPES[typeNo] ?? typeNo, buckets });
    pos += length;
  }
  return out;
}

/** ofp11_bucket: len, weight, watch_port, watch_group, pad, actions. */
function buckets11(body: Buffer, offset: number, end: number): GroupBucket[] {
  const out: GroupBucket[] = [];
  for (let pos = offset; pos < end; ) {
    need(pos, 16, end, 'group bucket');
    const len = body.readUInt16BE(pos);
    if (len < 16) throw protocolError(`group bucket length ${len}`);
    need(pos, len, end, 'group bucket');
    out.push({
      bucketId: undefined,
      weight: body.readUInt16BE(pos + 2),
      watchPort: body.readUInt32BE(pos + 4),
      watchGroup: body.readUInt32BE(pos + 8),
      actions: decodeActions(body, pos + 16, pos + len),
    });
    pos += len;
  }
  return out;
}

/** ofp15_bucket: len, action_array_len, bucket_id, actions, properties (weight, watch_port, watch_group). */
function buckets15(body: Buffer, offset: number, end: number): GroupBucket[] {
  const out: GroupBucket[] = [];
  for (let pos = offset; pos < end; ) {
    need(pos, 8, end, 'group bucket');
    const len = body.readUInt16BE(pos);
    const actionsLen = body.readUInt16BE(pos + 2);
    if (len < 8 || 8 + actionsLen > len) throw protocolError(`group bucket length ${len} with ${actionsLen} bytes of actions`);
    need(pos, len, end, 'group bucket');
    let weight = 0;
    let watchPort = 0xffffffff;
    let watchGroup = 0xffffffff;
    forEachProperty(body, pos + 8 + actionsLen, pos + len, (type, at, plen) => {
      if (type === OFPGBPT15_WEIGHT && plen >= 6) weight = body.readUInt16BE(at + 4);
      else if (type === OFPGBPT15_WATCH_PORT && plen >= 8) watchPort = body.readUInt32BE(at + 4);
      else if (type === OFPGBPT15_WATCH_GROUP && plen >= 8) watchGroup = body.readUInt32BE(at + 4);
    });
    out.push({
      bucketId: body.readUInt32BE(pos + 4),
      weight,
      watchPort,
      watchGroup,
      actions: decodeActions(body, pos + 8, pos + 8 + actionsLen),
    });
    pos += len;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Meters

export interface MeterStats {
  readonly meterId: number;
  readonly flowCount: number;
  readonly packetInCount: number;
  readonly byteInCount: number;
  readonly durationSec: number;
  readonly bands: readonly { readonly packetCount: number; readonly byteCount: number }[];
}

export function decodeMeterStats(body: Buffer): MeterStats[] {
  const out: MeterStats[] = [];
  let pos = 0;
  while (pos < body.length) {
    const length = entryLength(body, pos, 4, 40, 'meter stats entry');
    if ((length - 40) % 16 !== 0) throw protocolError(`meter stats entry length ${length} leaves a partial band`);
    const bands: { packetCount: number; byteCount: number }[] = [];
    for (let b = pos + 40; b < pos + length; b += 16) bands.push({ packetCount: readU64(body, b), byteCount: readU64(body, b + 8) });
    out.push({
      meterId: body.readUInt32BE(pos),
      flowCount: body.readUInt32BE(pos + 12),
      packetInCount: readU64(body, pos + 16),
      byteInCount: readU64(body, pos + 24),
      durationSec: readDuration(body, pos + 32),
      bands,
    });
    pos += length;
  }
  return out;
}

export type MeterFlag = 'kbps' | 'pktps' | 'burst' | 'stats';
export const METER_FLAG_BITS: Readonly<Record<MeterFlag, number>> = { kbps: 1, pktps: 2, burst: 4, stats: 8 };

export type MeterBand =
  | { readonly type: 'drop'; readonly rate: number; readonly burstSize: number }
  | { readonly type: 'dscp_remark'; readonly rate: number; readonly burstSize: number; readonly precLevel: number }
  | { readonly type: 'experimenter'; readonly rate: number; readonly burstSize: number; readonly experimenter: number };

export interface MeterConfig {
  readonly meterId: number;
  readonly flags: readonly MeterFlag[];
  readonly bands: readonly MeterBand[];
}

export const OFPMBT_DROP = 1;
export const OFPMBT_DSCP_REMARK = 2;
export const OFPMBT_EXPERIMENTER = 0xffff;

export function meterFlags(bits: number): MeterFlag[] {
  return (Object.keys(METER_FLAG_BITS) as MeterFlag[]).filter((f) => (bits & METER_FLAG_BITS[f]) !== 0);
}

/** Meter bands (ofp_meter_band_*: type, len, rate, burst_size, 4 type-specific bytes) in [offset, end). */
export function decodeMeterBands(body: Buffer, offset: number, end: number): MeterBand[] {
  const out: MeterBand[] = [];
  for (let pos = offset; pos < end; ) {
    need(pos, 16, end, 'meter band');
    const type = body.readUInt16BE(pos);
    const len = body.readUInt16BE(pos + 2);
    if (len < 16) throw protocolError(`meter band length ${len}`);
    need(pos, len, end, 'meter band');
    const rate = body.readUInt32BE(pos + 4);
    const burstSize = body.readUInt32BE(pos + 8);
    if (type === OFPMBT_DROP) out.push({ type: 'drop', rate, burstSize });
    else if (type === OFPMBT_DSCP_REMARK) out.push({ type: 'dscp_remark', rate, burstSize, precLevel: body[pos + 12] });
    else out.push({ type: 'experimenter', rate, burstSize, experimenter: body.readUInt32BE(pos + 12) });
    pos += len;
  }
  return out;
}

/** OFPMP_METER_CONFIG (OF1.5: METER_DESC, same layout). */
export function decodeMeterConfig(body: Buffer): MeterConfig[] {
  const out: MeterConfig[] = [];
  let pos = 0;
  while (pos < body.length) {
    const length = entryLength(body, pos, 0, 8, 'meter config entry');
    out.push({
      meterId: body.readUInt32BE(pos + 4),
      flags: meterFlags(body.readUInt16BE(pos + 2)),
      bands: decodeMeterBands(body, pos + 8, pos + length),
    });
    pos += length;
  }
  return out;
}
