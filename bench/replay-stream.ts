/**
 * A capture replayed as an endless, unbroken export stream: pass after pass over the same
 * datagrams, with every field a receiver checks for continuity (sequence numbers, uptime)
 * moved on by one capture's span per pass. A receiver's loss accounting then sees a live
 * exporter, not a restart every pass, and only real losses count.
 *
 * Datagrams keep their exporter: `source` says which of the capture's UDP sources (address and
 * port) sent the datagram `next()` gave last, and entries() says it of each, so a sender can
 * send it from a socket of its own.
 *
 * Each continuity field has a key (its counter: one agent's datagram sequence, one source's
 * sample sequence...) and `advance`, how far the counter moves after this datagram; a pass
 * adds, per key, (highest value + its advance) - lowest value.
 */

import type { CapturedDatagram } from './ovs-lab.js';

export interface ContinuityField {
  /** Byte offset of a big-endian u32 in the datagram. */
  readonly offset: number;
  readonly key: string;
  /** How much the next value of this counter is above this one after this datagram. */
  readonly advance: number;
}

const U32 = 2 ** 32;

/** One datagram of a replay and how its continuity fields move: what a sender needs to replay it. */
export interface ReplayEntry {
  readonly payload: Uint8Array;
  /** Which of the capture's UDP sources sends it. */
  readonly source: number;
  /** Big-endian u32 fields: pass p carries base + p * perPass (mod 2^32) at `offset`. */
  readonly patches: readonly { readonly offset: number; readonly base: number; readonly perPass: number }[];
}

export class ReplayStream {
  readonly datagramsPerPass: number;
  /** Distinct UDP sources in the capture, numbered 0 .. sources - 1 in order of appearance. */
  readonly sources: number;
  source = 0;
  private readonly sourceOf: number[];
  /** The datagrams, rewritten in place by next(). */
  private readonly datagrams: Buffer[];
  private readonly offsets: number[][];
  private readonly values: number[][];
  private readonly spans: number[][];
  private count = 0;

  constructor(capture: readonly CapturedDatagram[], fieldsOf: (datagram: Uint8Array, source: number) => ContinuityField[]) {
    const sourceIds = new Map<string, number>();
    this.sourceOf = capture.map((d) => {
      const key = `${d.srcAddr}:${d.srcPort}`;
      if (!sourceIds.has(key)) sourceIds.set(key, sourceIds.size);
      return sourceIds.get(key)!;
    });
    this.sources = sourceIds.size;
    this.datagramsPerPass = capture.length;
    this.datagrams = capture.map((d) => Buffer.from(d.payload));
    const fields = this.datagrams.map((d, i) => fieldsOf(d, this.sourceOf[i]));
    const low = new Map<string, number>();
    const high = new Map<string, number>();
    this.datagrams.forEach((d, i) => {
      for (const f of fields[i]) {
        const value = d.readUInt32BE(f.offset);
        low.set(f.key, Math.min(low.get(f.key) ?? value, value));
        high.set(f.key, Math.max(high.get(f.key) ?? 0, value + f.advance));
      }
    });
    this.offsets = fields.map((fs) => fs.map((f) => f.offset));
    this.values = this.datagrams.map((d, i) => fields[i].map((f) => d.readUInt32BE(f.offset)));
    this.spans = fields.map((fs) => fs.map((f) => high.get(f.key)! - low.get(f.key)!));
  }

  /** Passes started so far (the current one included). */
  get passes(): number {
    return Math.ceil(this.count / this.datagramsPerPass);
  }

  /** The stream as a table of pass-0 datagrams and patches (for the C sender, replay-sender.ts). */
  entries(): ReplayEntry[] {
    return this.datagrams.map((d, i) => ({
      payload: Uint8Array.from(d),
      source: this.sourceOf[i],
      patches: this.offsets[i].map((offset, f) => ({ offset, base: this.values[i][f], perPass: this.spans[i][f] % U32 })),
    }));
  }

  /** The next datagram of the stream (its buffer is rewritten in place when its turn comes again, a pass later). */
  next(): Buffer {
    const i = this.count % this.datagramsPerPass;
    const pass = Math.floor(this.count / this.datagramsPerPass);
    this.count++;
    this.source = this.sourceOf[i];
    const buf = this.datagrams[i];
    const offsets = this.offsets[i];
    const values = this.values[i];
    const spans = this.spans[i];
    for (let f = 0; f < offsets.length; f++) {
      // Big-endian, byte by byte: cheaper than writeUInt32BE's checks (this runs per datagram).
      const v = (values[f] + pass * spans[f]) % U32;
      const o = offsets[f];
      buf[o] = v >>> 24;
      buf[o + 1] = v >>> 16;
      buf[o + 2] = v >>> 8;
      buf[o + 3] = v;
    }
    return buf;
  }
}

/** sflow_version_5.txt sample formats whose first fields are sequence_number and source_id. */
const FLOW_SAMPLE = 1;
const COUNTERS_SAMPLE = 2;
const FLOW_SAMPLE_EXPANDED = 3;
const COUNTERS_SAMPLE_EXPANDED = 4;

/**
 * sFlow v5: the datagram sequence number and uptime per agent and sub-agent, and each flow or
 * counters sample's sequence number per source (sflow_version_5.txt "sample_datagram_v5").
 */
export function sflowContinuity(d: Uint8Array): ContinuityField[] {
  const b = Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  const addressLength = b.readUInt32BE(4) === 2 ? 16 : 4;
  const agent = b.subarray(8, 8 + addressLength + 4).toString('hex'); // address and sub-agent id
  let pos = 12 + addressLength;
  const fields: ContinuityField[] = [
    { offset: pos, key: `${agent} datagrams`, advance: 1 },
    // Uptime (ms) moves on by a second between passes: never back, as a restart would.
    { offset: pos + 4, key: `${agent} uptime`, advance: 1000 },
  ];
  const samples = b.readUInt32BE(pos + 8);
  pos += 12;
  for (let s = 0; s < samples; s++) {
    const tag = b.readUInt32BE(pos);
    const length = b.readUInt32BE(pos + 4);
    const body = pos + 8;
    const expanded = tag === FLOW_SAMPLE_EXPANDED || tag === COUNTERS_SAMPLE_EXPANDED;
    if (tag === FLOW_SAMPLE || tag === COUNTERS_SAMPLE || expanded) {
      const source = expanded ? b.subarray(body + 4, body + 12).toString('hex') : b.readUInt32BE(body + 4).toString(16);
      const kind = tag === FLOW_SAMPLE || tag === FLOW_SAMPLE_EXPANDED ? 'flow' : 'counters';
      fields.push({ offset: body, key: `${agent} ${kind} ${source}`, advance: 1 });
    }
    pos = body + length;
  }
  return fields;
}

/**
 * IPFIX (RFC 7011 section 3.1) as Open vSwitch numbers it: the export time, and the sequence
 * number, which counts the data records sent before the message. OVS keeps one counter per
 * exporter (a bridge's UDP socket) across its observation domains, its domain-0 exporting
 * process statistics included (ofproto-dpif-ipfix.c), so the counter's key is the exporter.
 * `records` gives the data records of each datagram, in capture order.
 */
export function ipfixContinuity(records: (datagram: Uint8Array) => number): (d: Uint8Array, source: number) => ContinuityField[] {
  return (d, source) => [
    { offset: 4, key: 'export time', advance: 1 },
    { offset: 8, key: `exporter ${source}`, advance: records(d) },
  ];
}
