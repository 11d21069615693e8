/**
 * What NetFlow v9 and IPFIX share once a set is found: storing a (re)defined template and
 * decoding data held for it, decoding a data set record by record, and holding a data set
 * whose template has not come yet.
 */
import type { FlowType } from '../../common/model.js';
import type { ExporterSession } from './cache.js';
import type { NetflowContext } from './context.js';
import { NetflowDecodeError } from './errors.js';
import { compileActions, finishRecord, readRecord, statedSamplingRate } from './fields.js';
import { Template } from './template.js';
import { allZero } from './wire.js';
import { VERSION_IPFIX, VERSION_NETFLOW_V9, type FlowSink, type MessageHeader } from './types.js';

export interface TemplateSpec {
  version: number;
  id: number;
  options: boolean;
  scopeCount: number;
  ids: Uint16Array;
  enterprises: Uint32Array;
  lengths: Uint16Array;
}

/**
 * The fast path of a template record (RFC 7011 section 8: exporters re-send their templates
 * unchanged, OVS every few seconds): when the session holds template `id` built from exactly
 * the specifier bytes starting at `buf[specStart]`, only its refresh time is stamped, with no
 * parse, allocation or reordering. Returns where the record's specifiers end, or -1 when the
 * template is new or changed (then the caller parses it and calls storeTemplate).
 */
export function refreshTemplate(
  ctx: NetflowContext,
  session: ExporterSession,
  id: number,
  options: boolean,
  fieldCount: number,
  scopeCount: number,
  buf: Uint8Array,
  specStart: number,
  end: number,
): number {
  const t = session.templates.get(id);
  if (t === undefined || !t.sameRecord(options, fieldCount, scopeCount, buf, specStart, end)) return -1;
  ctx.templates.refresh(t, ctx.nowMs);
  return specStart + t.specifiers.length;
}

/**
 * Store a new or changed template parsed into `spec` from the specifiers `buf[specStart,
 * specEnd)` (it replaces any of the same id: RFC 7011 section 8.1), then decode any data held for it.
 */
export function storeTemplate(ctx: NetflowContext, session: ExporterSession, spec: TemplateSpec, buf: Uint8Array, specStart: number, specEnd: number, sink: FlowSink): void {
  const now = ctx.nowMs;
  const cache = ctx.templates;
  const { actions, ignored, runningTotals } = compileActions(spec.version, spec.ids, spec.enterprises, spec.lengths, spec.scopeCount);
  const t = new Template({ ...spec, actions, ignoredFields: ignored, runningTotals, specifiers: buf.slice(specStart, specEnd) });
  if (t.minRecordLength === 0) throw new NetflowDecodeError('bad_template', specStart, `template ${spec.id} describes records of zero length`);
  cache.set(session, t, now);
  for (const held of cache.takeHeld(session, spec.id, now)) {
    try {
      decodeDataSet(ctx, session, t, held.data, 0, held.data.length, held.header, held.setIndex, sink, true);
    } catch (err) {
      // Broken held data must not fail the message that brought the template: count it lost.
      if (!(err instanceof NetflowDecodeError)) throw err;
      ctx.header.heldSetsDropped++;
    }
  }
}

/** A data set whose template is unknown: hold a copy for when the template comes. */
export function holdDataSet(ctx: NetflowContext, session: ExporterSession, id: number, buf: Uint8Array, start: number, end: number, setIndex: number): void {
  const h = ctx.header;
  h.setsWithoutTemplate++;
  const dropped = ctx.templates.hold(session, id, setIndex, buf.subarray(start, end), h, ctx.nowMs);
  if (dropped < 0) {
    h.heldSetsDropped++;
  } else {
    h.heldSets++;
    h.heldSetsDropped += dropped;
  }
}

const FLOW_TYPES: Record<number, FlowType> = { [VERSION_NETFLOW_V9]: 'NETFLOW_V9', [VERSION_IPFIX]: 'IPFIX' };

/**
 * Decode the records of a data set `buf[start, end)` with template `t`. `header` is the
 * message the data came in (an earlier one for held data); counts go to ctx.header. Options
 * records update the session's sampler table / system init time and go to sink.options;
 * flow records to sink.flow. Returns the number of records.
 */
export function decodeDataSet(
  ctx: NetflowContext,
  session: ExporterSession,
  t: Template,
  buf: Uint8Array,
  start: number,
  end: number,
  header: MessageHeader,
  setIndex: number,
  sink: FlowSink,
  held: boolean,
): number {
  const rec = ctx.flow;
  const info = ctx.info;
  const scratch = ctx.scratch;
  const counts = ctx.header;
  const type = FLOW_TYPES[t.version];
  const min = t.minRecordLength;
  // v9: uptime 0 is export time - sysUptime; IPFIX: systemInitTimeMilliseconds (record or options).
  const uptimeBase = t.version === VERSION_NETFLOW_V9 ? header.exportTimeSeconds * 1000 - header.sysUptimeMs : session.systemInitTimeMs;
  let off = start;
  let n = 0;
  while (end - off >= min) {
    rec.reset();
    info.reset();
    scratch.reset();
    const next = readRecord(t.ids, t.lengths, t.actions, t.hasVariableLength, buf, off, end, rec, info, scratch);
    if (next < 0) {
      if (allZero(buf, off, end)) break; // padding that happens to be as long as a record
      throw new NetflowDecodeError('bad_record', off, `record ${n + 1} of template ${t.id} runs past its set`);
    }
    info.templateId = t.id;
    info.setIndex = setIndex;
    info.recordIndex = n;
    info.options = t.options;
    info.held = held;
    info.runningTotals = t.runningTotals;
    counts.ignoredFields += t.ignoredFields;
    const stated = statedSamplingRate(scratch);
    if (stated > 0) info.samplingRate = stated;
    if (t.options) {
      if (stated > 0) ctx.templates.setSamplingRate(session, info.samplerId >= 0 ? info.samplerId : 0, stated);
      if (info.systemInitTimeMs >= 0) session.systemInitTimeMs = info.systemInitTimeMs;
      if (held) counts.releasedRecords++;
      else counts.optionsRecords++;
      sink.options?.(info, header);
    } else {
      rec.type = type;
      rec.time_received_ns = header.timeReceivedNs;
      rec.sequence_num = header.sequence;
      rec.observation_domain_id = header.observationDomainId;
      rec.sampler_address = header.exporterAddress;
      rec.sampling_rate = stated > 0 ? stated : (session.samplingRates.get(info.samplerId >= 0 ? info.samplerId : 0) ?? 0);
      finishRecord(rec, scratch, header, info.systemInitTimeMs >= 0 ? info.systemInitTimeMs : uptimeBase);
      if (held) counts.releasedRecords++;
      else counts.dataRecords++;
      sink.flow(rec, info, header);
    }
    off = next;
    n++;
  }
  counts.trailingBytes += end - off;
  return n;
}
