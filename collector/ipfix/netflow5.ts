/**
 * NetFlow v5 packet decoder: a 24-byte header and up to 30 fixed 48-byte flow records
 * (Cisco "NetFlow Export Datagram Format", version 5). No templates. Open vSwitch sends
 * OpenFlow port numbers as input/output and its engine type/id (vswitchd.conf.db NetFlow).
 */
import { formatIpv4 } from '../packet/format.js';
import type { NetflowContext } from './context.js';
import { NetflowDecodeError } from './errors.js';
import { finishRecord, setUptimeTimes } from './fields.js';
import { VERSION_NETFLOW_V5, type FlowSink, type MessageHeader } from './types.js';
import { u16, u32 } from './wire.js';

const HEADER_LENGTH = 24;
const RECORD_LENGTH = 48;
/** The format's maximum records per packet. */
export const MAX_V5_RECORDS = 30;

/**
 * Decode one NetFlow v5 export packet. Calls sink.flow per record with the context's reused
 * record; returns the context's header. Throws only NetflowDecodeError, before any record
 * when the header's count does not fit the packet.
 */
export function decodeNetflowV5Packet(buf: Uint8Array, ctx: NetflowContext, sink: FlowSink): MessageHeader {
  const h = ctx.header;
  h.reset();
  if (buf.length < HEADER_LENGTH) throw new NetflowDecodeError('truncated', 0, `packet of ${buf.length} bytes`);
  h.version = u16(buf, 0);
  if (h.version !== VERSION_NETFLOW_V5) throw new NetflowDecodeError('bad_version', 0, `version ${h.version}`);
  h.count = u16(buf, 2);
  h.length = buf.length;
  h.sysUptimeMs = u32(buf, 4);
  h.exportTimeSeconds = u32(buf, 8);
  h.exportTimeNanos = u32(buf, 12);
  h.sequence = u32(buf, 16);
  h.engineType = buf[20];
  h.engineId = buf[21];
  const sampling = u16(buf, 22);
  h.samplingMode = sampling >>> 14;
  h.samplingInterval = sampling & 0x3fff;
  h.exporterAddress = ctx.exporterAddress;
  h.timeReceivedNs = ctx.timeReceivedNs;
  h.tag = ctx.tag;
  if (h.count > MAX_V5_RECORDS) throw new NetflowDecodeError('too_many_records', 2, `${h.count} records (at most ${MAX_V5_RECORDS})`);
  const needed = HEADER_LENGTH + RECORD_LENGTH * h.count;
  if (needed > buf.length) throw new NetflowDecodeError('bad_length', 2, `${h.count} records need ${needed} bytes, have ${buf.length}`);
  h.trailingBytes = buf.length - needed;
  h.sets = 1;
  h.dataSets = 1;
  const rec = ctx.flow;
  const info = ctx.info;
  const scratch = ctx.scratch;
  // first / last are sysUptime milliseconds: uptime 0 is the export time minus sysUptime.
  const uptimeBase = h.exportTimeSeconds * 1000 - h.sysUptimeMs;
  for (let i = 0; i < h.count; i++) {
    const r = HEADER_LENGTH + RECORD_LENGTH * i;
    rec.reset();
    info.reset();
    scratch.reset();
    rec.type = 'NETFLOW_V5';
    rec.time_received_ns = h.timeReceivedNs;
    rec.sequence_num = h.sequence;
    rec.sampler_address = h.exporterAddress;
    rec.sampling_rate = h.samplingInterval;
    rec.src_addr = formatIpv4(buf, r);
    rec.dst_addr = formatIpv4(buf, r + 4);
    rec.in_if = u16(buf, r + 12);
    rec.out_if = u16(buf, r + 14);
    rec.packets = u32(buf, r + 16);
    rec.bytes = u32(buf, r + 20);
    setUptimeTimes(scratch, u32(buf, r + 24), u32(buf, r + 28));
    rec.src_port = u16(buf, r + 32);
    rec.dst_port = u16(buf, r + 34);
    rec.tcp_flags = buf[r + 37];
    rec.proto = buf[r + 38];
    rec.ip_tos = buf[r + 39];
    finishRecord(rec, scratch, h, uptimeBase);
    info.recordIndex = i;
    h.dataRecords++;
    sink.flow(rec, info, h);
  }
  return h;
}
