/**
 * IPFIX message decoder (RFC 7011): message header, template sets (2), options template sets
 * (3), data sets (>= 256); enterprise-specific and variable-length fields; template
 * withdrawal. Sets are walked inside the message length; each is decoded inside exactly its
 * declared length, so an unknown set is skipped by its length and counted.
 */
import type { ExporterSession } from './cache.js';
import type { NetflowContext } from './context.js';
import { NetflowDecodeError } from './errors.js';
import { decodeDataSet, holdDataSet, refreshTemplate, storeTemplate } from './sets.js';
import { MAX_TEMPLATE_FIELDS } from './template.js';
import { u16, u32 } from './wire.js';
import { VERSION_IPFIX, type FlowSink, type MessageHeader } from './types.js';

const HEADER_LENGTH = 16;
const SET_TEMPLATE = 2;
const SET_OPTIONS_TEMPLATE = 3;
const FIRST_DATA_SET = 256;

/**
 * Decode one IPFIX message (a UDP payload). Calls the sink per record; returns the context's
 * header. Throws only NetflowDecodeError.
 */
export function decodeIpfixMessage(buf: Uint8Array, ctx: NetflowContext, sink: FlowSink): MessageHeader {
  const h = ctx.header;
  h.reset();
  if (buf.length < HEADER_LENGTH) throw new NetflowDecodeError('truncated', 0, `message of ${buf.length} bytes`);
  h.version = u16(buf, 0);
  if (h.version !== VERSION_IPFIX) throw new NetflowDecodeError('bad_version', 0, `version ${h.version}`);
  h.length = u16(buf, 2);
  h.exportTimeSeconds = u32(buf, 4);
  h.sequence = u32(buf, 8);
  h.observationDomainId = u32(buf, 12);
  h.exporterAddress = ctx.exporterAddress;
  h.timeReceivedNs = ctx.timeReceivedNs;
  h.tag = ctx.tag;
  if (h.length < HEADER_LENGTH) throw new NetflowDecodeError('bad_length', 2, `message length ${h.length}`);
  if (h.length > buf.length) throw new NetflowDecodeError('truncated', 2, `message length ${h.length} in ${buf.length} bytes`);
  // One message per datagram (RFC 7011 section 10.3.3): bytes past its length are not ours.
  h.trailingBytes = buf.length - h.length;
  const end = h.length;
  const session = ctx.templates.session(ctx.exporterKey, VERSION_IPFIX, h.observationDomainId, ctx.nowMs);
  let pos = HEADER_LENGTH;
  let setIndex = 0;
  while (pos < end) {
    if (end - pos < 4) throw new NetflowDecodeError('bad_length', pos, `${end - pos} bytes after the last set`);
    const setId = u16(buf, pos);
    const setLength = u16(buf, pos + 2);
    if (setLength < 4 || setLength > end - pos) {
      throw new NetflowDecodeError('bad_length', pos + 2, `set ${setId} of ${setLength} bytes in ${end - pos}`);
    }
    const body = pos + 4;
    const setEnd = pos + setLength;
    h.sets++;
    if (setId === SET_TEMPLATE || setId === SET_OPTIONS_TEMPLATE) {
      decodeTemplateSet(buf, body, setEnd, setId === SET_OPTIONS_TEMPLATE, ctx, session, sink);
    } else if (setId >= FIRST_DATA_SET) {
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

/** Template or options template records (RFC 7011 sections 3.4.1, 3.4.2) until the set ends. */
function decodeTemplateSet(
  buf: Uint8Array,
  start: number,
  end: number,
  options: boolean,
  ctx: NetflowContext,
  session: ExporterSession,
  sink: FlowSink,
): void {
  const h = ctx.header;
  const setId = options ? SET_OPTIONS_TEMPLATE : SET_TEMPLATE;
  let p = start;
  while (end - p >= 4) {
    const id = u16(buf, p);
    const count = u16(buf, p + 2);
    if (id === 0 && count === 0) break; // padding (RFC 7011 section 3.3.1)
    if (count === 0) {
      // Template withdrawal (section 8.1): the set id as template id withdraws them all.
      if (id === setId) ctx.templates.withdrawAll(session, options);
      else if (id >= FIRST_DATA_SET) ctx.templates.withdraw(session, id);
      else throw new NetflowDecodeError('bad_template', p, `withdrawal of reserved template id ${id}`);
      h.templatesWithdrawn++;
      p += 4;
      continue;
    }
    if (id < FIRST_DATA_SET) throw new NetflowDecodeError('bad_template', p, `template id ${id} is reserved`);
    if (count > MAX_TEMPLATE_FIELDS) throw new NetflowDecodeError('too_many_fields', p + 2, `template ${id} with ${count} fields`);
    const recordHeader = options ? 6 : 4;
    if (end - p < recordHeader) throw new NetflowDecodeError('bad_template', p, `template ${id} header cut`);
    const scopeCount = options ? u16(buf, p + 4) : 0;
    if (options && (scopeCount === 0 || scopeCount > count)) {
      throw new NetflowDecodeError('bad_template', p + 4, `options template ${id} with ${scopeCount} scope fields of ${count}`);
    }
    const specStart = p + recordHeader;
    const specEnd = refreshTemplate(ctx, session, id, options, count, scopeCount, buf, specStart, end);
    p = specEnd >= 0 ? specEnd : storeIpfixTemplate(buf, specStart, end, id, count, options, scopeCount, ctx, session, sink);
    if (options) h.optionsTemplateRecords++;
    else h.templateRecords++;
  }
  h.trailingBytes += end - p;
}

/** A new or changed template record: its specifiers parsed and stored; returns where they end. */
function storeIpfixTemplate(
  buf: Uint8Array,
  specStart: number,
  end: number,
  id: number,
  count: number,
  options: boolean,
  scopeCount: number,
  ctx: NetflowContext,
  session: ExporterSession,
  sink: FlowSink,
): number {
  const ids = new Uint16Array(count);
  const enterprises = new Uint32Array(count);
  const lengths = new Uint16Array(count);
  let q = specStart;
  for (let i = 0; i < count; i++) {
    if (end - q < 4) throw new NetflowDecodeError('bad_template', q, `template ${id} field ${i + 1} of ${count} past its set`);
    const raw = u16(buf, q);
    ids[i] = raw & 0x7fff;
    lengths[i] = u16(buf, q + 2);
    q += 4;
    if (raw & 0x8000) {
      if (end - q < 4) throw new NetflowDecodeError('bad_template', q, `template ${id} enterprise number past its set`);
      enterprises[i] = u32(buf, q);
      q += 4;
    }
  }
  storeTemplate(ctx, session, { version: VERSION_IPFIX, id, options, scopeCount, ids, enterprises, lengths }, buf, specStart, q, sink);
  return q;
}
