/**
 * Pure NetFlow v5 / v9 and IPFIX decoder: a function from a UDP payload (plus the caller's
 * context with its template cache) to records handed to a sink, as goflow2's decoders are.
 * It owns no socket, logger or metric: the caller counts the thrown NetflowDecodeError by its
 * `reason` and the message header's counts (sets without template, held data, ...).
 */
import type { NetflowContext } from './context.js';
import { NetflowDecodeError } from './errors.js';
import { decodeIpfixMessage } from './ipfix.js';
import { decodeNetflowV5Packet, MAX_V5_RECORDS } from './netflow5.js';
import { decodeNetflowV9Packet } from './netflow9.js';
import { VERSION_IPFIX, VERSION_NETFLOW_V5, VERSION_NETFLOW_V9, type FlowSink, type MessageHeader } from './types.js';
import { u16 } from './wire.js';

/**
 * Decode one datagram of any of the three versions (by its first two octets). Returns the
 * context's header; throws only NetflowDecodeError.
 */
export function decodeFlowDatagram(buf: Uint8Array, ctx: NetflowContext, sink: FlowSink): MessageHeader {
  if (buf.length < 2) throw new NetflowDecodeError('truncated', 0, `datagram of ${buf.length} bytes`);
  switch (u16(buf, 0)) {
    case VERSION_IPFIX:
      return decodeIpfixMessage(buf, ctx, sink);
    case VERSION_NETFLOW_V9:
      return decodeNetflowV9Packet(buf, ctx, sink);
    case VERSION_NETFLOW_V5:
      return decodeNetflowV5Packet(buf, ctx, sink);
    default:
      ctx.header.reset();
      ctx.header.version = u16(buf, 0);
      throw new NetflowDecodeError('bad_version', 0, `version ${ctx.header.version}`);
  }
}

/**
 * Cheap check that a UDP payload looks like NetFlow v5 / v9 or IPFIX (for traffic on an
 * unexpected port): a known version with a plausible header and first set.
 */
export function looksLikeNetflow(buf: Uint8Array): boolean {
  if (buf.length < 4) return false;
  const version = u16(buf, 0);
  if (version === VERSION_NETFLOW_V5) {
    const count = u16(buf, 2);
    return count >= 1 && count <= MAX_V5_RECORDS && buf.length >= 24 + 48 * count;
  }
  const headerLength = version === VERSION_IPFIX ? 16 : version === VERSION_NETFLOW_V9 ? 20 : 0;
  if (headerLength === 0 || buf.length < headerLength + 4) return false;
  if (version === VERSION_IPFIX && (u16(buf, 2) < headerLength || u16(buf, 2) > buf.length)) return false;
  const setId = u16(buf, headerLength);
  const setLength = u16(buf, headerLength + 2);
  const templateSets = version === VERSION_IPFIX ? setId === 2 || setId === 3 : setId === 0 || setId === 1;
  return (templateSets || setId >= 256) && setLength >= 4 && setLength <= buf.length - headerLength;
}

export { NetflowContext } from './context.js';
export { TemplateCache, DEFAULT_LIMITS, ExporterSession, TemplateCacheStats, type TemplateCacheLimits } from './cache.js';
export { MessageHeader, RecordInfo, VERSION_IPFIX, VERSION_NETFLOW_V5, VERSION_NETFLOW_V9, type FlowSink } from './types.js';
export { NetflowDecodeError, NETFLOW_DECODE_REASONS, type NetflowDecodeReason } from './errors.js';
export { decodeIpfixMessage } from './ipfix.js';
export { decodeNetflowV9Packet } from './netflow9.js';
export { decodeNetflowV5Packet } from './netflow5.js';
export { Template, MAX_TEMPLATE_FIELDS, VARIABLE_LENGTH } from './template.js';
export { informationElement, informationElementName, PEN_VMWARE, type InformationElement, type IeType } from './iana.js';
