/**
 * sFlow health accounting: datagram sequence gaps (lost datagrams), late and repeated
 * datagrams, 32-bit wrap, agent restarts (uptime going back, sequence reset), per-source
 * sample gaps, the agent's own drops, and the caps on tracked agents and sources.
 */
import { describe, expect, it } from 'vitest';
import type { MetricSink, MetricSpec } from '../../../common/metrics.js';
import { SflowHealth } from '../../../collector/sflow/health.js';
import { DatagramHeader, SampleInfo, SAMPLE_COUNTERS, SAMPLE_FLOW } from '../../../collector/sflow/types.js';

function header(sequence: number, uptimeMs: number, agent = '192.0.2.1', subAgent = 0): DatagramHeader {
  const h = new DatagramHeader();
  h.agentAddress = agent;
  h.agentAddressFamily = 4;
  h.subAgentId = subAgent;
  h.sequence = sequence >>> 0;
  h.uptimeMs = uptimeMs >>> 0;
  return h;
}

function sample(format: number, sequence: number, sourceIndex: number, drops = 0): SampleInfo {
  const s = new SampleInfo();
  s.format = format;
  s.sequence = sequence >>> 0;
  s.sourceIdType = format === SAMPLE_FLOW ? 2 : 0;
  s.sourceIdIndex = sourceIndex;
  s.drops = drops;
  return s;
}

const health = (maxAgents = 10, maxSources = 100) => new SflowHealth({ maxAgents, maxSources });

describe('SflowHealth datagram sequences', () => {
  it('consecutive datagrams lose nothing; a gap of 3 is 3 lost datagrams', () => {
    const h = health();
    for (const seq of [1, 2, 3]) h.datagram(header(seq, seq * 1000));
    const a = h.datagram(header(7, 7000))!;
    expect(a).toMatchObject({ datagrams: 4, lostDatagrams: 3, outOfOrder: 0, restarts: 0 });
  });

  it('the 32-bit sequence wraps without loss', () => {
    const h = health();
    h.datagram(header(0xfffffffe, 1000));
    h.datagram(header(0xffffffff, 2000));
    const a = h.datagram(header(0, 3000))!;
    h.datagram(header(2, 4000));
    expect(a).toMatchObject({ lostDatagrams: 1, restarts: 0, outOfOrder: 0 });
  });

  it('a late or repeated datagram is out of order, not a loss or a restart', () => {
    const h = health();
    h.datagram(header(10, 10_000));
    h.datagram(header(12, 12_000));
    h.datagram(header(11, 11_000)); // late (already counted as lost when 12 came)
    const a = h.datagram(header(12, 12_000))!; // repeated
    h.datagram(header(13, 13_000));
    expect(a).toMatchObject({ datagrams: 5, lostDatagrams: 1, outOfOrder: 2, restarts: 0 });
  });

  it('an agent restart (uptime back to 0, sequence back to 1) is a restart, not a loss', () => {
    const h = health();
    for (let seq = 1; seq <= 50; seq++) h.datagram(header(seq, seq * 1000));
    const a = h.datagram(header(1, 0))!;
    h.datagram(header(2, 1000));
    expect(a).toMatchObject({ restarts: 1, lostDatagrams: 0, outOfOrder: 0 });
  });

  it('a far backward sequence jump is a restart even when uptime looks fine', () => {
    const h = health();
    h.datagram(header(100_000, 5000));
    const a = h.datagram(header(3, 6000))!;
    expect(a.restarts).toBe(1);
  });

  it('uptime wrapping after 49.7 days is not a restart', () => {
    const h = health();
    h.datagram(header(500, 0xffffff00));
    const a = h.datagram(header(501, 200))!;
    expect(a).toMatchObject({ restarts: 0, lostDatagrams: 0 });
  });

  it('sub-agents (OVS: one per bridge) have their own sequences', () => {
    const h = health();
    h.datagram(header(1, 0, '192.0.2.1', 0));
    h.datagram(header(1, 0, '192.0.2.1', 1));
    h.datagram(header(2, 0, '192.0.2.1', 0));
    h.datagram(header(2, 0, '192.0.2.1', 1));
    expect(h.agent('192.0.2.1', 0)).toMatchObject({ datagrams: 2, lostDatagrams: 0 });
    expect(h.agent('192.0.2.1', 1)).toMatchObject({ datagrams: 2, lostDatagrams: 0 });
    expect(h.trackedAgents).toBe(2);
  });

  it('runs of datagrams from one agent, then another, then the first again keep their own sequences', () => {
    const h = health();
    // The second agent's address text is built anew each time (equal, not the same string object).
    const other = () => ['198', '51', '100', '7'].join('.');
    for (const [seq, agent] of [[1, '192.0.2.1'], [2, '192.0.2.1'], [1, other()], [2, other()], [3, '192.0.2.1'], [4, other()]] as const) {
      h.datagram(header(seq, 0, agent, 0));
    }
    expect(h.agent('192.0.2.1', 0)).toMatchObject({ datagrams: 3, lostDatagrams: 0 });
    expect(h.agent('198.51.100.7', 0)).toMatchObject({ datagrams: 3, lostDatagrams: 1 });
    expect(h.trackedAgents).toBe(2);
  });
});

describe('SflowHealth sample sequences', () => {
  it('counts lost samples per source and type, and the agent\'s own drops', () => {
    const h = health();
    const a = h.datagram(header(1, 0));
    h.sample(a, sample(SAMPLE_FLOW, 1, 1000, 0));
    h.sample(a, sample(SAMPLE_COUNTERS, 1, 7));
    h.sample(a, sample(SAMPLE_COUNTERS, 1, 8));
    h.sample(a, sample(SAMPLE_FLOW, 2, 1000, 0));
    h.sample(a, sample(SAMPLE_FLOW, 6, 1000, 5)); // 3 lost in transit, 5 dropped by the agent
    h.sample(a, sample(SAMPLE_COUNTERS, 3, 7)); // 1 lost
    h.sample(a, sample(SAMPLE_COUNTERS, 2, 8));
    h.sample(a, sample(SAMPLE_FLOW, 5, 1000, 5)); // late: nothing
    expect(a).toMatchObject({ flowSamples: 4, counterSamples: 4, lostFlowSamples: 3, lostCounterSamples: 1, agentDroppedSamples: 5 });
    expect(h.trackedSources).toBe(3);
  });

  it('a restart forgets the agent\'s sources (their sequences restart too)', () => {
    const h = health();
    let a = h.datagram(header(40, 40_000));
    h.sample(a, sample(SAMPLE_FLOW, 900, 1000));
    a = h.datagram(header(1, 0));
    h.sample(a, sample(SAMPLE_FLOW, 1, 1000));
    h.sample(a, sample(SAMPLE_FLOW, 2, 1000));
    expect(a).toMatchObject({ restarts: 1, lostFlowSamples: 0 });
    expect(h.trackedSources).toBe(1);
  });
});

describe('SflowHealth bounds', () => {
  it('agents beyond max_agents are counted untracked; sources beyond max_sources too', () => {
    const h = health(3, 5);
    for (let i = 0; i < 20; i++) {
      const a = h.datagram(header(1, 0, `192.0.2.${i}`));
      for (let src = 0; src < 4; src++) h.sample(a, sample(SAMPLE_COUNTERS, 1, src));
    }
    expect(h.trackedAgents).toBe(3);
    expect(h.trackedSources).toBe(5);
    expect(h.untrackedDatagrams).toBe(17);
    expect(h.untrackedSamples).toBe(17 * 4 + 3 * 4 - 5);
  });

  it('decode errors by exporter and reason; exporters beyond the cap share "other"', () => {
    const h = health(2);
    h.decodeError('192.0.2.1', 'truncated');
    h.decodeError('192.0.2.1', 'truncated');
    h.decodeError('192.0.2.2', 'bad_version');
    for (let i = 3; i < 50; i++) h.decodeError(`192.0.2.${i}`, 'bad_version');
    const series = new Map<string, number>();
    const sink: MetricSink = { add: (spec: MetricSpec, labels: readonly string[], v: number) => void (spec.name === 'ovs_sflow_decode_errors_total' && series.set(labels.join(' '), v)) };
    h.collect(sink);
    expect(Object.fromEntries(series)).toEqual({ '192.0.2.1 truncated': 2, '192.0.2.2 bad_version': 1, 'other bad_version': 47 });
    expect(h.decodeErrors).toBe(50);
  });
});
