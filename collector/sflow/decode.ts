/**
 * Pure sFlow v5 datagram decoder (sflow.org sflow_version_5.txt, plus sflow_tunnels.txt,
 * sflow_openflow.txt and sflow_lag.txt for what Open vSwitch sends). It owns no socket,
 * logger or metric: the caller passes a context with the reusable records and a sink, and
 * counts the thrown SflowDecodeError by its `reason`.
 *
 * Samples are handed to the sink as they are decoded, so a datagram that turns out malformed
 * half-way has delivered the samples before the fault and then throws. Every count and length
 * is checked against the bytes that remain before it drives a loop; each sample is decoded
 * inside exactly its declared length, so an unknown sample or record format is skipped by its
 * length and counted, never a reason to drop the datagram.
 */
import { formatIpv4, formatIpv6 } from '../packet/format.js';
import { decodeCounterSample } from './counter-sample.js';
import { SflowDecodeError } from './errors.js';
import { decodeFlowSample } from './flow-sample.js';
import {
  MAX_SAMPLES_PER_DATAGRAM,
  SAMPLE_COUNTERS,
  SAMPLE_COUNTERS_EXPANDED,
  SAMPLE_FLOW,
  SAMPLE_FLOW_EXPANDED,
  type DatagramHeader,
  type SflowContext,
  type SflowSink,
} from './types.js';
import { u32 } from './xdr.js';

export const SFLOW_VERSION = 5;

/**
 * Decode one sFlow datagram (a UDP payload). Calls `sink.flow` / `sink.counters` once per
 * sample with the context's reused records; returns the context's datagram header.
 * Throws only SflowDecodeError (a TelemetryError with code 'DECODE').
 */
export function decodeDatagram(buf: Uint8Array, ctx: SflowContext, sink: SflowSink): DatagramHeader {
  const h = ctx.header;
  h.reset();
  const end = buf.length;
  if (end < 8) throw new SflowDecodeError('truncated', 0, `datagram of ${end} bytes`);
  h.version = u32(buf, 0);
  if (h.version !== SFLOW_VERSION) throw new SflowDecodeError('bad_version', 0, `version ${h.version}`);
  const addressType = u32(buf, 4);
  let pos = 8;
  if (addressType === 1) {
    if (end < pos + 4 + 16) throw new SflowDecodeError('truncated', pos, 'datagram header cut');
    h.agentAddressFamily = 4;
    h.agentAddress = formatIpv4(buf, pos);
    pos += 4;
  } else if (addressType === 2) {
    if (end < pos + 16 + 16) throw new SflowDecodeError('truncated', pos, 'datagram header cut');
    h.agentAddressFamily = 6;
    h.agentAddress = agentV6(buf, pos, ctx);
    pos += 16;
  } else {
    throw new SflowDecodeError('bad_address_type', 4, `agent address type ${addressType}`);
  }
  h.subAgentId = u32(buf, pos);
  h.sequence = u32(buf, pos + 4);
  h.uptimeMs = u32(buf, pos + 8);
  h.sampleCount = u32(buf, pos + 12);
  pos += 16;
  if (h.sampleCount > MAX_SAMPLES_PER_DATAGRAM) {
    throw new SflowDecodeError('too_many_samples', pos - 4, `${h.sampleCount} samples`);
  }
  for (let i = 0; i < h.sampleCount; i++) {
    if (end - pos < 8) throw new SflowDecodeError('truncated', pos, `sample ${i + 1} of ${h.sampleCount} missing`);
    const tag = u32(buf, pos);
    const length = u32(buf, pos + 4);
    pos += 8;
    if (length > end - pos) {
      throw new SflowDecodeError('bad_length', pos - 4, `sample of ${length} bytes in ${end - pos}`);
    }
    const sampleEnd = pos + length;
    switch (tag) {
      case SAMPLE_FLOW:
      case SAMPLE_FLOW_EXPANDED:
        decodeFlowSample(buf, pos, sampleEnd, tag === SAMPLE_FLOW_EXPANDED, ctx, sink);
        break;
      case SAMPLE_COUNTERS:
      case SAMPLE_COUNTERS_EXPANDED:
        decodeCounterSample(buf, pos, sampleEnd, tag === SAMPLE_COUNTERS_EXPANDED, ctx, sink);
        break;
      default:
        h.unknownSamples++;
        sink.skipped?.('sample', tag >>> 12, tag & 0xfff, h);
    }
    pos = sampleEnd;
  }
  return h;
}

/** The IPv6 agent address text, rebuilt only when the address changes. */
function agentV6(buf: Uint8Array, off: number, ctx: SflowContext): string {
  const last = ctx.lastAgentV6;
  let same = ctx.lastAgentV6Text !== '';
  for (let i = 0; i < 16 && same; i++) same = last[i] === buf[off + i];
  if (!same) {
    last.set(buf.subarray(off, off + 16));
    ctx.lastAgentV6Text = formatIpv6(buf, off);
  }
  return ctx.lastAgentV6Text;
}

/**
 * Cheap check that a UDP payload looks like sFlow v5 (for traffic on an unexpected port):
 * version 5, a valid agent address type, and a plausible sample count.
 */
export function looksLikeSflow(buf: Uint8Array): boolean {
  if (buf.length < 28 || u32(buf, 0) !== SFLOW_VERSION) return false;
  const addressType = u32(buf, 4);
  if (addressType !== 1 && addressType !== 2) return false;
  const headerLength = addressType === 1 ? 28 : 40;
  if (buf.length < headerLength) return false;
  const samples = u32(buf, headerLength - 4);
  return samples <= MAX_SAMPLES_PER_DATAGRAM && samples * 8 <= buf.length - headerLength;
}

export { SflowContext, DatagramHeader, SampleInfo } from './types.js';
export type { SflowSink, SkippedKind } from './types.js';
export { SflowDecodeError, type SflowDecodeReason, SFLOW_DECODE_REASONS } from './errors.js';
