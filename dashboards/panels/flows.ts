/**
 * Sampled-flow panels (sFlow samples and IPFIX/NetFlow records, scaled by the sampling rate): top talkers, protocol mix,
 * sampled traffic by direction, and how samples were attributed to networks. Estimates, not
 * exact counts: the exact per-network bytes are on the network panels.
 */
import type { Builder } from '@grafana/grafana-foundation-sdk/cog';
import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { METRICS } from '../../common/metrics.js';
import { networkLink } from './links.js';
import { bars, pie, timeseries, UNIT } from './panel.js';
import { by, rate, type Matchers } from './promql.js';

export function topTalkers(scope: Matchers): Builder<Panel> {
  const spec = METRICS.flowTopTalkerBytes;
  return bars({
    title: 'Top talkers',
    description: 'The heaviest source → destination pairs of the selected networks over the time range, from the selected flow source (sampled, scaled by the sampling rate; bounded top-N per network).',
    unit: UNIT.bitsPerSecond,
    span: 12,
    height: 10,
    queries: [{ expr: `topk(10, ${by('sum', spec, ['project_id', 'network_id', 'src', 'dst', 'proto'], rate(spec, scope, '$__range'))}) * 8`, legend: '{{src}} → {{dst}} {{proto}} ({{network_id}})', instant: true }],
    links: [networkLink()],
  });
}

export function protocolMix(scope: Matchers): Builder<Panel> {
  const spec = METRICS.flowSampledBytes;
  return pie({
    title: 'Protocol mix',
    description: 'Sampled traffic of the selected networks by protocol, averaged over the time range.',
    unit: UNIT.bitsPerSecond,
    span: 6,
    height: 10,
    queries: [{ expr: `${by('sum', spec, ['proto'], rate(spec, scope, '$__range'))} * 8`, legend: '{{proto}}', instant: true }],
  });
}

export function sampledByDirection(scope: Matchers): Builder<Panel> {
  const spec = METRICS.flowSampledBytes;
  return timeseries({
    title: 'Sampled traffic by direction',
    description: 'Sampled bits per second per network and direction (egress = sent by a VM of the network on this host, ingress = delivered to one; unknown = not attributable).',
    unit: UNIT.bitsPerSecond,
    span: 6,
    height: 10,
    min: 0,
    queries: [{ expr: `${by('sum', spec, ['project_id', 'network_id', 'direction'], rate(spec, scope))} * 8`, legend: '{{network_id}} {{direction}}' }],
    links: [networkLink()],
  });
}

export function attributions(scope: Matchers): Builder<Panel> {
  const spec = METRICS.flowAttributions;
  return timeseries({
    title: 'Sample attribution',
    description: 'How each side of a sampled packet was tied to a port (ifindex, port name, MAC, VNI, VLAN, peer port) — or not (unknown). A growing unknown share means missing tenancy.',
    unit: UNIT.perSecond,
    min: 0,
    stack: true,
    queries: [{ expr: by('sum', spec, ['side', 'method'], rate(spec, scope)), legend: '{{side}} by {{method}}' }],
  });
}
