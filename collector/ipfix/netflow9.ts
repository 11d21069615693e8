/**
 * NetFlow v9 packet decoder (RFC 3954): packet header, template flowsets (0), options
 * template flowsets (1), data flowsets (>= 256). Field types are the IPFIX element ids
 * (section 8); options scope fields carry scope types (section 6.1), not elements. No
 * variable-length fields and no withdrawal in v9.
 */
import type { ExporterSession } from './cache.js';
import type { NetflowContext } from './context.js';
import { NetflowDecodeError } from './errors.js';
import { decodeDataSet, holdDataSet, refreshTemplate, storeTemplate } from './sets.js';
import { MAX_TEMPLATE_FIELDS } from './template.js';
import { allZero, u16, u32 } from './wire.js';
import { VERSION_NETFLOW_V9, type FlowSink, type MessageHeader } from './types.js';

const HEADER_LENGTH = 20;
const FLOWSET_TEMPLATE = 0;
const FLOWSET_OPTIONS_TEMPLATE = 1;
const FIRST_DATA_FLOWSET = 256;

/**
 * Decode one NetFlow v9 export packet (a UDP payload). Calls the sink per record; returns the
 * context's header. Throws only NetflowDecodeError.
 */
export function decodeNetflowV9Packet(buf: Uint8Array, ctx: NetflowContext, sink: FlowSink): MessageHeader {
  const h = ctx.header;
  h.reset();
  if (buf.length < HEADER_LENGTH) throw new NetflowDecodeError('truncated', 0, `packet of ${buf.length} bytes`);
  h.version = u16(buf, 0);
  if (h.version !== VERSION_NETFLOW_V9) throw new NetflowDecodeError('bad_version', 0, `version ${h.version}`);
  h.count = u16(buf, 2);
  h.length = buf.length;
  h.sysUptimeMs = u32(buf, 4);
  h.exportTimeSeconds = u32(buf, 8);
  h.sequence = u32(buf, 12);
  h.observationDomainId = u32(buf, 16);
  h.exporterAddress = ctx.exporterAddress;
  h.timeReceivedNs = ctx.timeReceivedNs;
  h.tag = ctx.tag;
  const end = buf.length;
  const session = ctx.templates.session(ctx.exporterKey, VERSION_NETFLOW_V9, h.observationDomainId, ctx.nowMs);
  let pos = HEADER_LENGTH;
  let setIndex = 0;
  while (pos < end) {
    // Exporters pad datagrams with zeros after the last flowset (seen from Palo Alto).
    if (end - pos < 4 || (u16(buf, pos + 2) === 0 && allZero(buf, pos, end))) {
      h.trailingBytes += end - pos;
      break;
    }
    const setId = u16(buf, pos);
    const setLength = u16(buf, pos + 2);
    if (setLength < 4 || setLength > end - pos) {
      throw new NetflowDecodeError('bad_length', pos + 2, `flowset ${setId} of ${setLength} bytes in ${end - pos}`);
    }
    const body = pos + 4;
    const setEnd = pos + setLength;
    h.sets++;
    if (setId === FLOWSET_TEMPLATE) {
      decodeTemplateFlowset(buf, body, setEnd, ctx, session, sink);
    } else if (setId === FLOWSET_OPTIONS_TEMPLATE) {
      decodeOptionsTemplateFlowset(buf, body, setEnd, ctx, session, sink);
    } else if (setId >= FIRST_DATA_FLOWSET) {
      h.dataSets++;
      const t = ctx.templates.get(session, setId, ctx.nowMs);
      if (t) decodeDataSet(ctx, session, t, buf, body, setEnd, h, setIndex, sink, false);
      else holdDataSet(ctx, session, setId, buf, body, setEnd, setIndex);
    } else {
      h.unknownSets++;
    }
    pos = setEnd;
    setIndex++;
  }
  return h;
}

/** A (options) template record whose `count` four-octet specifiers start at `buf[specStart]`: refreshed, or parsed and stored when new or changed. */
function defineTemplate(
  ctx: NetflowContext,
  session: ExporterSession,
  id: number,
  options: boolean,
  count: number,
  scopeCount: number,
  buf: Uint8Array,
  specStart: number,
  sink: FlowSink,
): void {
  const specEnd = specStart + 4 * count;
  if (refreshTemplate(ctx, session, id, options, count, scopeCount, buf, specStart, specEnd) >= 0) return;
  const ids = new Uint16Array(count);
  const lengths = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    ids[i] = u16(buf, specStart + 4 * i);
    lengths[i] = u16(buf, specStart + 4 * i + 2);
  }
  storeTemplate(ctx, session, { version: VERSION_NETFLOW_V9, id, options, scopeCount, ids, enterprises: new Uint32Array(count), lengths }, buf, specStart, specEnd, sink);
}

/** Template records (RFC 3954 section 5.2) until the flowset ends. */
function decodeTemplateFlowset(buf: Uint8Array, start: number, end: number, ctx: NetflowContext, session: ExporterSession, sink: FlowSink): void {
  const h = ctx.header;
  let p = start;
  while (end - p >= 4) {
    const id = u16(buf, p);
    const count = u16(buf, p + 2);
    if (id === 0 && count === 0) break; // padding
    if (id < FIRST_DATA_FLOWSET) throw new NetflowDecodeError('bad_template', p, `template id ${id} is reserved`);
    if (count > MAX_TEMPLATE_FIELDS) throw new NetflowDecodeError('too_many_fields', p + 2, `template ${id} with ${count} fields`);
    const specStart = p + 4;
    const specEnd = specStart + 4 * count;
    if (specEnd > end) throw new NetflowDecodeError('bad_template', p, `template ${id} with ${count} fields past its flowset`);
    defineTemplate(ctx, session, id, false, count, 0, buf, specStart, sink);
    h.templateRecords++;
    p = specEnd;
  }
  h.trailingBytes += end - p;
}

/** Options template records (RFC 3954 section 6.1): scope and option lengths are in bytes. */
function decodeOptionsTemplateFlowset(buf: Uint8Array, start: number, end: number, ctx: NetflowContext, session: ExporterSession, sink: FlowSink): void {
  const h = ctx.header;
  let p = start;
  while (end - p >= 6) {
    const id = u16(buf, p);
    const scopeLength = u16(buf, p + 2);
    const optionLength = u16(buf, p + 4);
    if (id === 0 && scopeLength === 0 && optionLength === 0) break; // padding
    if (id < FIRST_DATA_FLOWSET) throw new NetflowDecodeError('bad_template', p, `options template id ${id} is reserved`);
    if (scopeLength % 4 !== 0 || optionLength % 4 !== 0 || scopeLength === 0) {
      throw new NetflowDecodeError('bad_template', p + 2, `options template ${id}: scope ${scopeLength} / option ${optionLength} bytes`);
    }
    const scopeCount = scopeLength / 4;
    const count = scopeCount + optionLength / 4;
    if (count > MAX_TEMPLATE_FIELDS) throw new NetflowDecodeError('too_many_fields', p + 2, `options template ${id} with ${count} fields`);
    const specStart = p + 6;
    const specEnd = specStart + 4 * count;
    if (specEnd > end) throw new NetflowDecodeError('bad_template', p, `options template ${id} past its flowset`);
    defineTemplate(ctx, session, id, true, count, scopeCount, buf, specStart, sink);
    h.optionsTemplateRecords++;
    p = specEnd;
  }
  h.trailingBytes += end - p;
}
