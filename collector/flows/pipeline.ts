/**
 * The flow pipeline behind the flow listeners: enrich (tenancy) → aggregate (metrics) →
 * output (JSON lines), called synchronously per record with the decoders' reused objects.
 * sFlow counter samples of the local OVS teach the enricher port names; all go to the output
 * when it wants them.
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
 * input port is reliable (enrich.ts): it counts for the sending port. These rules are the
 * local OVS's (local-exporters.ts): records of other exporters (softflowd, routers, another
 * host's OVS), like records without flowDirection, count like sFlow samples, for both sides.
 * Sampling: OVS IPFIX counts are already multiplied by the sampling rate and state no rate
 * (sampling_rate 0), so the aggregator does not scale them again; NetFlow v5 header and
 * IPFIX/v9 options sampling intervals, where stated, are applied.
 */
import type { CounterRecord } from '../../common/counters.js';
import { METRICS, type MetricCollector, type MetricSink } from '../../common/metrics.js';
import type { FlowRecord } from '../../common/model.js';
import type { ExportedFlowSink } from '../ipfix/listener.js';
import type { MessageHeader } from '../ipfix/types.js';
import type { SflowSink } from '../sflow/types.js';
import { SIDE_IN, SIDE_NONE, SIDE_OUT, SIDES_BOTH, sourceIndex, SOURCES, type FlowAggregator } from './aggregate.js';
import { NUMBERS_IFINDEX, NUMBERS_NOT_LOCAL, type FlowEnricher } from './enrich.js';
import { LocalExporters } from './local-exporters.js';
import type { FlowRecordWriter } from './output.js';

export interface FlowPipelineParts {
  readonly enricher: FlowEnricher;
  readonly aggregator: FlowAggregator;
  readonly output?: FlowRecordWriter;
  /** Which exporters are this host's OVS (default: every exporter, as if all were). */
  readonly localExporters?: LocalExporters;
}

const FLOW_INGRESS = 0;
const FLOW_EGRESS = 1;

export class FlowPipeline implements SflowSink, ExportedFlowSink, MetricCollector {
  readonly name = 'flows';
  private readonly enricher: FlowEnricher;
  private readonly aggregator: FlowAggregator;
  private readonly output: FlowRecordWriter | null;
  private readonly local: LocalExporters;
  /** Records per source (SOURCES) × origin: local OVS, other. */
  private readonly origins = new Float64Array(SOURCES.length * 2);

  constructor(parts: FlowPipelineParts) {
    this.enricher = parts.enricher;
    this.aggregator = parts.aggregator;
    this.output = parts.output ?? null;
    this.local = parts.localExporters ?? LocalExporters.everyExporter();
  }

  /** An sFlow flow sample. */
  flow(rec: FlowRecord): void {
    const numbers = this.local.sflow(rec.sampler_address);
    this.countOrigin(rec, numbers);
    this.enricher.enrich(rec, numbers);
    this.aggregator.add(rec);
    this.output?.flow(rec);
  }

  /** An IPFIX / NetFlow record with its flowDirection (-1: none) and message; see "Counted once" above. */
  exportedFlow(rec: FlowRecord, flowDirection: number, header: MessageHeader): void {
    const numbers = this.local.exported(header);
    const local = this.countOrigin(rec, numbers);
    const e = this.enricher;
    e.enrich(rec, numbers);
    let sides = SIDES_BOTH;
    if (local) {
      // NetFlow v5 (OpenFlow port numbers) and ingress records count for the sending port only.
      if (numbers !== NUMBERS_IFINDEX || flowDirection === FLOW_INGRESS) sides = e.inAtPort ? SIDE_IN : SIDE_NONE;
      else if (flowDirection === FLOW_EGRESS) sides = e.outAtPort ? SIDE_OUT : SIDE_NONE;
    }
    this.aggregator.add(rec, sides);
    this.output?.flow(rec);
  }

  /** Counts the record under its source and origin; true when it is the local OVS's. */
  private countOrigin(rec: FlowRecord, numbers: number): boolean {
    const local = numbers !== NUMBERS_NOT_LOCAL;
    this.origins[sourceIndex(rec) * 2 + (local ? 0 : 1)]++;
    return local;
  }

  counters(rec: CounterRecord): void {
    // Port names are matched to local ports: only the local OVS's say which.
    if (this.local.sflow(rec.sampler_address) !== NUMBERS_NOT_LOCAL) this.enricher.learn(rec);
    this.output?.counters(rec);
  }

  collect(sink: MetricSink): void {
    for (let i = 0; i < SOURCES.length; i++) {
      sink.add(METRICS.flowRecordsByOrigin, [SOURCES[i], 'local_ovs'], this.origins[i * 2]);
      sink.add(METRICS.flowRecordsByOrigin, [SOURCES[i], 'other'], this.origins[i * 2 + 1]);
    }
    this.aggregator.collect(sink);
    this.enricher.collect(sink);
    this.output?.collect(sink);
  }
}
