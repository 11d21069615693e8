/**
 * The flow pipeline behind the flow listeners: enrich (tenancy) → aggregate (metrics) →
 * output (JSON lines), called synchronously per record with the decoders' reused objects.
 * sFlow counter samples teach the enricher port names and go to the output when it wants them.
 *
 * Counted once. Each IPFIX / NetFlow record is a delta: Open vSwitch removes a flow from its
 * IPFIX cache when it exports it on active timeout (ofproto-dpif-ipfix.c
 * dpif_ipfix_cache_expire: hmap_remove after ipfix_send_data_msg) and zeroes a NetFlow flow's
 * counts after each export (netflow.c netflow_expire__), and the decoder takes the
 * *DeltaCount elements (RFC 7012 octetDeltaCount: since the previous report of the flow) over
 * the *TotalCount ones, which in OVS records are exporter-wide running totals. So a record's
 * bytes are added as they are, whatever its flowStart/flowEnd and end reason.
 * What is counted twice is a packet, not a record: OVS bridge IPFIX samples a packet where it
 * enters the bridge (flowDirection 0, ingress) and again where it leaves (1, egress), on every
 * bridge it crosses (br-int, then br-tun). An ingress record therefore counts only for the
 * sending port, when its ingressInterface is a tenant port here, and an egress record only for
 * the receiving port found by its egressInterface; records seen at other interfaces (patch,
 * tunnel) count in ovs_flow_records_not_at_port_total, their packets being counted at the VM's
 * port. OVS NetFlow v5 sees a datapath flow once, numbered by OpenFlow port, and only its
 * input port is reliable (enrich.ts): it counts for the sending port. Records without
 * flowDirection (softflowd, routers) count like sFlow samples, for both sides.
 * Sampling: OVS IPFIX counts are already multiplied by the sampling rate and state no rate
 * (sampling_rate 0), so the aggregator does not scale them again; NetFlow v5 header and
 * IPFIX/v9 options sampling intervals, where stated, are applied.
 */
import type { CounterRecord } from '../../common/counters.js';
import type { MetricCollector, MetricSink } from '../../common/metrics.js';
import type { FlowRecord } from '../../common/model.js';
import type { ExportedFlowSink } from '../ipfix/listener.js';
import type { SflowSink } from '../sflow/types.js';
import { SIDE_IN, SIDE_NONE, SIDE_OUT, SIDES_BOTH, type FlowAggregator } from './aggregate.js';
import type { FlowEnricher } from './enrich.js';
import type { FlowRecordWriter } from './output.js';

export interface FlowPipelineParts {
  readonly enricher: FlowEnricher;
  readonly aggregator: FlowAggregator;
  readonly output?: FlowRecordWriter;
}

const FLOW_INGRESS = 0;
const FLOW_EGRESS = 1;

export class FlowPipeline implements SflowSink, ExportedFlowSink, MetricCollector {
  readonly name = 'flows';
  private readonly enricher: FlowEnricher;
  private readonly aggregator: FlowAggregator;
  private readonly output: FlowRecordWriter | null;

  constructor(parts: FlowPipelineParts) {
    this.enricher = parts.enricher;
    this.aggregator = parts.aggregator;
    this.output = parts.output ?? null;
  }

  /** An sFlow flow sample. */
  flow(rec: FlowRecord): void {
    this.enricher.enrich(rec);
    this.aggregator.add(rec);
    this.output?.flow(rec);
  }

  /** An IPFIX / NetFlow record with its flowDirection (-1: none); see "Counted once" above. */
  exportedFlow(rec: FlowRecord, flowDirection: number): void {
    const v5 = rec.type === 'NETFLOW_V5';
    const e = this.enricher;
    e.enrich(rec, v5);
    let sides = SIDES_BOTH;
    if (v5 || flowDirection === FLOW_INGRESS) sides = e.inAtPort ? SIDE_IN : SIDE_NONE;
    else if (flowDirection === FLOW_EGRESS) sides = e.outAtPort ? SIDE_OUT : SIDE_NONE;
    this.aggregator.add(rec, sides);
    this.output?.flow(rec);
  }

  counters(rec: CounterRecord): void {
    this.enricher.learn(rec);
    this.output?.counters(rec);
  }

  collect(sink: MetricSink): void {
    this.aggregator.collect(sink);
    this.enricher.collect(sink);
    this.output?.collect(sink);
  }
}
