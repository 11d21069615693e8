/**
 * Running totals to deltas, for the listener. A record whose bytes or packets come from
 * octetTotalCount / packetTotalCount (its template has no delta element for them; NetFlow v9
 * IN_PERMANENT_BYTES / IN_PERMANENT_PKTS of permanent flows) states everything its flow carried
 * since it began (RFC 7012 section 5.10), again at every export: added as they are, a long flow
 * would be counted once per export. So the last totals of each flow are kept and the record is
 * given the difference. A flow is its exporter, observation domain, template, the record's key
 * fields and its start time; its first report counts whole, and so does a total that went down
 * (the exporter restarted). A flow that ended (flowEndReason other than active timeout, RFC
 * 7012 section 5.11.3) is forgotten; the least recently reported goes first past the bound.
 * The decoder itself leaves the totals as exported (decode output matches tshark's).
 */
import type { FlowRecord } from '../../common/model.js';
import { TOTAL_BYTES, TOTAL_PACKETS } from './fields.js';
import type { RecordInfo } from './types.js';

/** Flows followed at once by default (a key string and two numbers each). */
export const MAX_RUNNING_FLOWS = 16_384;
const ACTIVE_TIMEOUT = 2;

class LastTotals {
  constructor(
    public bytes: number,
    public packets: number,
  ) {}
}

export class RunningTotals {
  private readonly flows = new Map<string, LastTotals>();

  constructor(private readonly maxFlows = MAX_RUNNING_FLOWS) {}

  get size(): number {
    return this.flows.size;
  }

  /** Replaces the record's running totals (info.runningTotals says which) by what is new since its flow's last report. */
  toDeltas(exporter: string, rec: FlowRecord, info: RecordInfo): void {
    const key =
      `${exporter}|${rec.observation_domain_id}|${info.templateId}|${rec.src_addr}|${rec.dst_addr}|${rec.proto}|${rec.src_port}|${rec.dst_port}|` +
      `${rec.in_if}|${rec.out_if}|${rec.vlan_id}|${rec.src_mac}|${rec.dst_mac}|${rec.tunnel_id}|${rec.time_flow_start_ns}`;
    const last = this.flows.get(key);
    const bytes = rec.bytes;
    const packets = rec.packets;
    if (last !== undefined) {
      this.flows.delete(key);
      if (info.runningTotals & TOTAL_BYTES && bytes >= last.bytes) rec.bytes = bytes - last.bytes;
      if (info.runningTotals & TOTAL_PACKETS && packets >= last.packets) rec.packets = packets - last.packets;
    }
    if (info.flowEndReason > 0 && info.flowEndReason !== ACTIVE_TIMEOUT) return;
    this.flows.set(key, new LastTotals(bytes, packets));
    if (this.flows.size > this.maxFlows) this.flows.delete(this.flows.keys().next().value as string);
  }
}
