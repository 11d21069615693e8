/**
 * Samples recorded at poll time and replayed on each scrape: a poll does the reading, labelling
 * and arithmetic once, and a scrape only copies what the last poll left (never waits on OVS).
 */
import type { MetricSink, MetricSpec } from '../../common/metrics.js';

export class SeriesBuffer implements MetricSink {
  private readonly specs: MetricSpec[] = [];
  private readonly labels: (readonly string[])[] = [];
  private readonly values: number[] = [];

  get size(): number {
    return this.values.length;
  }

  add(spec: MetricSpec, labelValues: readonly string[], value: number): void {
    this.specs.push(spec);
    this.labels.push(labelValues);
    this.values.push(value);
  }

  /** Adds `value` unless it is undefined (a counter the switch does not have). */
  addKnown(spec: MetricSpec, labelValues: readonly string[], value: number | undefined): void {
    if (value !== undefined) this.add(spec, labelValues, value);
  }

  replay(sink: MetricSink): void {
    for (let i = 0; i < this.values.length; i++) sink.add(this.specs[i], this.labels[i], this.values[i]);
  }
}
