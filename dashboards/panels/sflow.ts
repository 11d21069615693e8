/**
 * Flow-export health: what each sFlow agent sends, what is lost on the way (sequence gaps,
 * the agent's own drops, the socket's receive buffer), what fails to decode, and what the
 * collector caps (agents tracked, network overflow, record output).
 */
import type { Builder } from '@grafana/grafana-foundation-sdk/cog';
import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { METRICS, type MetricSpec } from '../../common/metrics.js';
import { stat, timeseries, UNIT, type Query } from './panel.js';
import { by, eq, rate, sel, type Matchers } from './promql.js';

const AGENT = ['host', 'agent', 'sub_agent'];

const perAgent = (spec: MetricSpec, scope: Matchers): string => by('sum', spec, AGENT, rate(spec, scope));

export function sflowDatagrams(agentScope: Matchers): Builder<Panel> {
  return timeseries({
    title: 'sFlow datagrams per agent',
    description: 'Datagrams received and decoded per second from each agent and sub-agent (OVS: one sub-agent per bridge).',
    unit: UNIT.perSecond,
    min: 0,
    queries: [{ expr: perAgent(METRICS.sflowDatagrams, agentScope), legend: '{{agent}}/{{sub_agent}} on {{host}}' }],
  });
}

export function sflowSamples(agentScope: Matchers): Builder<Panel> {
  const spec = METRICS.sflowSamples;
  return timeseries({
    title: 'sFlow samples by type',
    description: 'Flow and counter samples per second (other = formats the decoder skips).',
    unit: UNIT.perSecond,
    min: 0,
    queries: [{ expr: by('sum', spec, ['host', 'type'], rate(spec, agentScope)), legend: '{{type}} on {{host}}' }],
  });
}

export function sflowLossRatio(agentScope: Matchers): Builder<Panel> {
  const lost = perAgent(METRICS.sflowLostDatagrams, agentScope);
  const received = perAgent(METRICS.sflowDatagrams, agentScope);
  return timeseries({
    title: 'Datagram loss (sequence gaps)',
    description: 'Share of each agent\'s datagrams missing from its sequence numbers: lost on the way or in a receive buffer. Sampled traffic is under-estimated by about this much.',
    unit: UNIT.ratio,
    min: 0,
    thresholds: [[null, 'green'], [0.01, 'orange'], [0.05, 'red']],
    queries: [{ expr: `${lost} / (${lost} + ${received})`, legend: '{{agent}}/{{sub_agent}} on {{host}}' }],
  });
}

export function sflowLostSamples(agentScope: Matchers): Builder<Panel> {
  return timeseries({
    title: 'Lost samples',
    description: 'Samples missing from the per-source sample sequence numbers, and flow samples the agent itself dropped for lack of resources.',
    unit: UNIT.perSecond,
    min: 0,
    thresholds: [[null, 'green'], [1, 'orange']],
    queries: [
      { expr: by('sum', METRICS.sflowLostSamples, [...AGENT, 'type'], rate(METRICS.sflowLostSamples, agentScope)), legend: '{{agent}}/{{sub_agent}} {{type}} lost' },
      { expr: perAgent(METRICS.sflowAgentDroppedSamples, agentScope), legend: '{{agent}}/{{sub_agent}} dropped by the agent' },
    ],
  });
}

export function sflowSequenceAnomalies(agentScope: Matchers): Builder<Panel> {
  return timeseries({
    title: 'Out-of-order datagrams and agent restarts',
    description: 'Datagrams that arrived late or twice, and agent restarts (sequence number reset).',
    unit: UNIT.perSecond,
    min: 0,
    queries: [
      { expr: perAgent(METRICS.sflowOutOfOrder, agentScope), legend: '{{agent}}/{{sub_agent}} out of order' },
      { expr: perAgent(METRICS.sflowAgentRestarts, agentScope), legend: '{{agent}}/{{sub_agent}} restarts' },
    ],
  });
}

export function sflowDecodeErrors(agentScope: Matchers): Builder<Panel> {
  const spec = METRICS.sflowDecodeErrors;
  return timeseries({
    title: 'Decode errors',
    description: 'Datagrams that could not be decoded, by reason (agent = UDP source address). No series until the first error.',
    unit: UNIT.perSecond,
    min: 0,
    thresholds: [[null, 'green'], [0.01, 'red']],
    queries: [{ expr: by('sum', spec, ['host', 'agent', 'reason'], rate(spec, agentScope)), legend: '{{agent}} {{reason}}' }],
  });
}

export function sflowSkipped(hostScope: Matchers): Builder<Panel> {
  const spec = METRICS.sflowSkipped;
  return timeseries({
    title: 'Skipped structures',
    description: 'Samples and records in formats the decoder does not decode, skipped by their declared length.',
    unit: UNIT.perSecond,
    min: 0,
    queries: [{ expr: by('sum', spec, ['host', 'kind'], rate(spec, hostScope)), legend: '{{kind}} on {{host}}' }],
  });
}

export function effectiveSamplingRate(hostScope: Matchers): Builder<Panel> {
  const packets = METRICS.flowSampledPackets;
  const samples = METRICS.sflowSamples;
  return stat({
    title: 'Effective sampling rate (1 in N)',
    description: 'Scaled sFlow packets per flow sample on each host: the sampling rate the agents applied, as the collector used it.',
    unit: UNIT.none,
    queries: [{
      expr: `${by('sum', packets, ['host'], rate(packets, { ...hostScope, source: eq('sflow') }))} / ${by('sum', samples, ['host'], rate(samples, { ...hostScope, type: eq('flow') }))}`,
      legend: '{{host}}',
    }],
  });
}

export function sflowTracking(hostScope: Matchers): Builder<Panel> {
  const untracked = METRICS.sflowUntracked;
  return timeseries({
    title: 'Tracking capacity',
    description: 'Agent/sub-agent pairs and learned port names the collector tracks (capped by sflow.max_agents / max_port_names), and what goes untracked once the caps are reached.',
    unit: UNIT.count,
    min: 0,
    queries: [
      { expr: sel(METRICS.sflowAgents, hostScope), legend: 'agents on {{host}}' },
      { expr: sel(METRICS.sflowPortNames, hostScope), legend: 'port names on {{host}}' },
      { expr: by('sum', untracked, ['host', 'what'], rate(untracked, hostScope)), legend: 'untracked {{what}}/s on {{host}}' },
    ],
  });
}

export function udpListener(hostScope: Matchers): Builder<Panel> {
  const drops = METRICS.udpReceiveBufferDrops;
  const queries: Query[] = [
    { expr: by('sum', drops, ['host', 'listener'], rate(drops, hostScope)), legend: '{{listener}} buffer drops/s on {{host}}' },
    { expr: sel(METRICS.udpReceiveQueue, hostScope), legend: '{{listener}} queued bytes on {{host}}' },
  ];
  return timeseries({
    title: 'UDP receive buffer',
    description: 'Datagrams the kernel dropped because the listener\'s receive buffer was full (raise sflow.receive_buffer_bytes and net.core.rmem_max), and the bytes waiting in it.',
    unit: UNIT.count,
    min: 0,
    thresholds: [[null, 'green'], [1, 'red']],
    queries,
  });
}

export function udpListenerUp(hostScope: Matchers): Builder<Panel> {
  return stat({
    title: 'Flow listeners',
    description: 'Whether each UDP flow listener is bound and receiving.',
    unit: UNIT.none,
    queries: [{ expr: sel(METRICS.udpListenerUp, hostScope), legend: '{{listener}} {{address}}' }],
    thresholds: [[null, 'red'], [1, 'green']],
    valueText: { '0': { text: 'DOWN', color: 'red' }, '1': { text: 'UP', color: 'green' } },
  });
}

export function flowOutput(hostScope: Matchers): Builder<Panel> {
  const records = [[METRICS.flowRecordsWritten, 'written'], [METRICS.flowRecordsDropped, 'dropped']] as const;
  const queries: Query[] = records.map(([spec, what]) => ({ expr: by('sum', spec, ['host', 'output'], rate(spec, hostScope)), legend: `{{output}} ${what} on {{host}}` }));
  queries.push({ expr: by('sum', METRICS.flowNetworkOverflow, ['host'], rate(METRICS.flowNetworkOverflow, hostScope)), legend: 'samples over flows.max_networks on {{host}}' });
  return timeseries({
    title: 'Flow records and overflow',
    description: 'Flow records written to and dropped by the JSON-lines output (dropped = the output could not keep up), and samples of networks beyond flows.max_networks.',
    unit: UNIT.perSecond,
    min: 0,
    queries,
  });
}
