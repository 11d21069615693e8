/**
 * The sampled-flow pipeline behind a flow listener: enrich (tenancy) → aggregate (metrics) →
 * output (JSON lines), called synchronously per record with the decoder's reused objects.
 * Counter samples teach the enricher port names and go to the output when it wants them.
 */
import type { CounterRecord } from '../../common/counters.js';
import type { MetricCollector, MetricSink } from '../../common/metrics.js';
import type { FlowRecord } from '../../common/model.js';
import type { SflowSink } from '../sflow/types.js';
import type { FlowAggregator } from './aggregate.js';
import type { FlowEnricher } from './enrich.js';
import type { FlowRecordWriter } from './output.js';

export interface FlowPipelineParts {
  readonly enricher: FlowEnricher;
  readonly aggregator: FlowAggregator;
  readonly output?: FlowRecordWriter;
}

export class FlowPipeline implements SflowSink, MetricCollector {
  readonly name = 'flows';
  private readonly enricher: FlowEnricher;
  private readonly aggregator: FlowAggregator;
  private readonly output: FlowRecordWriter | null;

  constructor(parts: FlowPipelineParts) {
    this.enricher = parts.enricher;
    this.aggregator = parts.aggregator;
    this.output = parts.output ?? null;
  }

  flow(rec: FlowRecord): void {
    this.enricher.enrich(rec);
    this.aggregator.add(rec);
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
