/**
 * IPFIX / NetFlow exporter health: per (exporter transport session, version, observation
 * domain) the messages and records received, what the sequence numbers say is missing, late
 * messages and restarts, and the sampling rate of the last records. Pure accounting: the
 * listener feeds it each decoded message header. Bounded: at most `maxExporters` triples are
 * tracked; messages of further ones are still decoded and counted in `untracked`.
 *
 * What the 32-bit sequence number counts differs per version, so the next expected one is
 * (types.ts MessageHeader):
 *   IPFIX (RFC 7011 section 3.1): data records sent before this message in this domain,
 *     so next = sequence + the message's data records (flow and options);
 *   NetFlow v9 (RFC 3954 section 5.1): export packets of this source id, next = sequence + 1;
 *   NetFlow v5: flows sent before this packet, next = sequence + count.
 * An IPFIX message with data sets of an unknown template has records we could not count:
 * the next message is not checked against it (tracking resumes from there).
 *
 * Open vSwitch keeps one sequence counter per exporter, not per domain (ofproto-dpif-ipfix.c
 * `exporter->seq_number`, incremented by its data messages and by the exporting-process
 * statistics it sends in domain 0), so each domain alone would show false gaps. The sequence is
 * therefore also followed per transport session and version; a message counts as lost records
 * only the smaller forward gap of the two (for an exporter that numbers per domain, as
 * RFC 7011 says, the domain's gap is the right one and the session's is meaningless).
 * Some exporters number records after counting the message's own: Open vSwitch NetFlow v5
 * writes each record's number into the header as it adds it (netflow.c gen_netflow_rec:
 * `flow_seq = netflow_cnt++`: the last flow's number), softflowd IPFIX adds the message's
 * records to its count before writing it (ipfix.c: `*records_sent += records` first). So a
 * record-numbered message (IPFIX, v5) is also checked against "last sequence + its own
 * records", and the smaller forward gap counts.
 */
import { METRICS, type MetricSink } from '../../common/metrics.js';
import { DecodeErrorCounts } from '../udp/decode-errors.js';
import { VERSION_IPFIX, VERSION_NETFLOW_V5, VERSION_NETFLOW_V9, type MessageHeader } from './types.js';

const HALF_RANGE = 2 ** 31;
/** A message this far behind the expected sequence number is a restart, not a late arrival. */
const REORDER_PACKETS = 1024;
/** The same for record-counting sequences (IPFIX, v5): a few messages' worth of records. */
const REORDER_RECORDS = 65_536;

export class ExporterStats {
  readonly labels: readonly string[];
  readonly flowLabels: readonly string[];
  readonly optionsLabels: readonly string[];
  readonly samplingLabels: readonly string[];
  messages = 0;
  flowRecords = 0;
  optionsRecords = 0;
  lost = 0;
  outOfOrder = 0;
  restarts = 0;
  /** The sampling rate of the last flow record (0: none stated). */
  samplingRate = 0;
  /** The next sequence number expected, -1 when unknown. */
  expected = -1;
  /** The last message's sequence number, -1 before the first. */
  lastSequence = -1;

  constructor(
    listener: string,
    exporter: string,
    readonly version: number,
    domain: number,
  ) {
    const d = String(domain);
    this.labels = [listener, exporter, d, String(version)];
    this.flowLabels = [...this.labels, 'flow'];
    this.optionsLabels = [...this.labels, 'options'];
    this.samplingLabels = [listener, exporter, d];
  }
}

export class NetflowHealth {
  /** By exporter key, then version × 2^32 + domain. */
  private readonly exporters = new Map<string, Map<number, ExporterStats>>();
  /** By exporter key: the next sequence number per version of the whole transport session. */
  private readonly sessions = new Map<string, SessionSequence>();
  private count = 0;
  private readonly errors: DecodeErrorCounts;
  untracked = 0;

  constructor(
    private readonly listener: string,
    private readonly maxExporters: number,
  ) {
    this.errors = new DecodeErrorCounts(maxExporters, [listener]);
  }

  get trackedExporters(): number {
    return this.count;
  }

  get decodeErrors(): number {
    return this.errors.total;
  }

  /**
   * Accounts one decoded message of `exporter` (address:port): `flows` and `options` are the
   * records the sink got from it, `samplingRate` the last flow record's.
   */
  message(exporter: string, h: MessageHeader, flows: number, options: number, samplingRate: number): ExporterStats | null {
    const e = this.statsOf(exporter, h.version, h.observationDomainId);
    if (e === null) {
      this.untracked++;
      return null;
    }
    e.messages++;
    e.flowRecords += flows;
    e.optionsRecords += options;
    if (flows > 0) e.samplingRate = samplingRate;
    const session = this.sessions.get(exporter) as SessionSequence;
    const version = h.version === VERSION_IPFIX ? 0 : h.version === VERSION_NETFLOW_V9 ? 1 : 2;
    const d = forwardDiff(e.expected, h.sequence);
    const s = forwardDiff(session.expected[version], h.sequence);
    session.expected[version] = nextSequence(h);
    // The smaller forward gap of the domain's and the session's sequence (see above).
    let diff = smallerGap(d, s);
    const own = ownRecords(h);
    if (own >= 0 && e.lastSequence >= 0) diff = smallerGap(diff, forwardDiff((e.lastSequence + own) >>> 0, h.sequence));
    e.lastSequence = h.sequence;
    if (diff > 0 && diff < HALF_RANGE) {
      e.lost += diff;
    } else if (diff >= HALF_RANGE) {
      const window = h.version === VERSION_NETFLOW_V9 ? REORDER_PACKETS : REORDER_RECORDS;
      if (2 ** 32 - diff > window) {
        e.restarts++;
      } else {
        e.outOfOrder++; // late or repeated: keep the position we had
        return e;
      }
    }
    e.expected = nextSequence(h);
    return e;
  }

  /** A datagram that failed (decode reason, or "internal"); `exporter` is its UDP source address. */
  decodeError(exporter: string, reason: string): void {
    this.errors.add(exporter, reason);
  }

  exporter(key: string, version: number, domain: number): ExporterStats | undefined {
    return this.exporters.get(key)?.get(version * 4294967296 + domain);
  }

  collect(sink: MetricSink): void {
    for (const byDomain of this.exporters.values()) {
      for (const e of byDomain.values()) {
        sink.add(METRICS.ipfixMessages, e.labels, e.messages);
        sink.add(METRICS.ipfixRecords, e.flowLabels, e.flowRecords);
        sink.add(METRICS.ipfixRecords, e.optionsLabels, e.optionsRecords);
        sink.add(e.version === VERSION_NETFLOW_V9 ? METRICS.ipfixLostMessages : METRICS.ipfixLostRecords, e.labels, e.lost);
        sink.add(METRICS.ipfixOutOfOrder, e.labels, e.outOfOrder);
        sink.add(METRICS.ipfixExporterRestarts, e.labels, e.restarts);
        if (e.flowRecords > 0) sink.add(METRICS.flowExporterSamplingRate, e.samplingLabels, e.samplingRate);
      }
    }
    this.errors.collect(sink, METRICS.ipfixDecodeErrors);
    sink.add(METRICS.ipfixExporters, [this.listener], this.count);
    sink.add(METRICS.ipfixUntracked, [this.listener], this.untracked);
  }

  private statsOf(exporter: string, version: number, domain: number): ExporterStats | null {
    let byDomain = this.exporters.get(exporter);
    const key = version * 4294967296 + domain;
    const e = byDomain?.get(key);
    if (e !== undefined) return e;
    if (this.count >= this.maxExporters) return null;
    if (byDomain === undefined) {
      byDomain = new Map();
      this.exporters.set(exporter, byDomain);
    }
    if (!this.sessions.has(exporter)) this.sessions.set(exporter, new SessionSequence());
    const created = new ExporterStats(this.listener, exporter, version, domain);
    byDomain.set(key, created);
    this.count++;
    return created;
  }
}

/** Next expected sequence numbers of one transport session: IPFIX, v9, v5 (-1 = unknown). */
class SessionSequence {
  readonly expected = new Float64Array([-1, -1, -1]);
}

/** How far `seq` is past `expected` (mod 2^32), or -1 when nothing is expected. */
function forwardDiff(expected: number, seq: number): number {
  return expected < 0 ? -1 : (seq - expected) >>> 0;
}

/** Of two gaps (-1 unknown, >= 2^31 backwards), the smaller forward one, else the first known. */
function smallerGap(a: number, b: number): number {
  return a < 0 || (b >= 0 && b < HALF_RANGE && (a >= HALF_RANGE || b < a)) ? b : a;
}

/** The records a record-numbered message (IPFIX, v5) carries; -1 for v9 or when unknown. */
function ownRecords(h: MessageHeader): number {
  if (h.version === VERSION_NETFLOW_V5) return h.count;
  if (h.version !== VERSION_IPFIX || h.setsWithoutTemplate > 0) return -1;
  return h.dataRecords + h.optionsRecords;
}

/** The sequence number the message after `h` should carry, or -1 when it cannot be known. */
function nextSequence(h: MessageHeader): number {
  if (h.version === VERSION_NETFLOW_V9) return (h.sequence + 1) >>> 0;
  const own = ownRecords(h);
  return own < 0 ? -1 : (h.sequence + own) >>> 0;
}
