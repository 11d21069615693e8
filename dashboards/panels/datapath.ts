/**
 * ovs-vswitchd and its datapath: megaflow hits, misses (upcalls) and lost upcalls, datapath
 * flows against the flow limit, revalidator dump time, the userspace datapath threads (PMD),
 * what the daemon holds in memory, busy coverage events, and the poller's own health.
 */
import type { Builder } from '@grafana/grafana-foundation-sdk/cog';
import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { DATAPATH_METRICS as D } from '../../common/metrics-datapath.js';
import { stat, table, timeseries, UNIT } from './panel.js';
import { by, eq, increase, rate, sel, type Matchers } from './promql.js';

const PER_DATAPATH = ['datapath'];

export function datapathLookups(host: Matchers): Builder<Panel> {
  return timeseries({
    title: 'Datapath lookups',
    description: 'Packets per second that matched a datapath (megaflow) flow, missed it and went up to ovs-vswitchd (upcalls), or were lost before ovs-vswitchd handled them.',
    unit: UNIT.packetsPerSecond,
    min: 0,
    queries: ([[D.datapathHits, 'hit'], [D.datapathMisses, 'missed'], [D.datapathLost, 'lost']] as const).map(([spec, what]) => ({
      expr: by('sum', spec, PER_DATAPATH, rate(spec, host)),
      legend: `{{datapath}} ${what}`,
    })),
  });
}

export function datapathHitRatio(host: Matchers): Builder<Panel> {
  const hits = by('sum', D.datapathHits, PER_DATAPATH, rate(D.datapathHits, host));
  const misses = by('sum', D.datapathMisses, PER_DATAPATH, rate(D.datapathMisses, host));
  return stat({
    title: 'Megaflow hit ratio',
    description: 'Share of datapath lookups that hit a flow; a low ratio means most packets take the slow path through ovs-vswitchd.',
    unit: UNIT.ratio,
    queries: [{ expr: `${hits} / (${hits} + ${misses})`, legend: '{{datapath}}' }],
    thresholds: [[null, 'red'], [0.8, 'orange'], [0.95, 'green']],
  });
}

export function lostUpcalls(host: Matchers): Builder<Panel> {
  return stat({
    title: 'Lost upcalls',
    description: 'Upcalls the datapath dropped in the time range because ovs-vswitchd\'s handler queues were full: first packets of new flows lost.',
    unit: UNIT.count,
    queries: [{ expr: by('sum', D.datapathLost, PER_DATAPATH, increase(D.datapathLost, host)), legend: '{{datapath}}' }],
    thresholds: [[null, 'green'], [1, 'red']],
  });
}

export function datapathFlows(host: Matchers): Builder<Panel> {
  return timeseries({
    title: 'Datapath flows and the flow limit',
    description: 'Flows in the datapath, flows ovs-vswitchd tracks, and its flow limit: near the limit it evicts flows and more packets become upcalls.',
    unit: UNIT.count,
    min: 0,
    queries: [
      { expr: sel(D.datapathFlows, host), legend: '{{datapath}} flows' },
      { expr: sel(D.upcallFlows, host), legend: '{{datapath}} tracked by ovs-vswitchd' },
      { expr: sel(D.upcallFlowLimit, host), legend: '{{datapath}} flow limit' },
    ],
  });
}

export function revalidatorDump(host: Matchers): Builder<Panel> {
  return timeseries({
    title: 'Revalidator flow dump time',
    description: 'How long the revalidators took for their last datapath flow dump; ovs-vswitchd lowers the flow limit when dumps grow slow.',
    unit: UNIT.seconds,
    min: 0,
    thresholds: [[null, 'green'], [0.5, 'orange'], [1, 'red']],
    queries: [{ expr: sel(D.upcallDumpDuration, host), legend: '{{datapath}}' }],
  });
}

export function pmdLoad(host: Matchers): Builder<Panel> {
  const cycles = (state: string) => by('sum', D.pmdCycles, ['thread', 'core_id'], rate(D.pmdCycles, { ...host, state: eq(state) }));
  return timeseries({
    title: 'Datapath thread load',
    description: 'Share of each userspace datapath thread\'s cycles spent processing packets (the rest is idle polling).',
    unit: UNIT.ratio,
    min: 0,
    max: 1,
    thresholds: [[null, 'green'], [0.7, 'orange'], [0.9, 'red']],
    queries: [{ expr: `${cycles('processing')} / (${cycles('processing')} + ${cycles('idle')})`, legend: '{{thread}} core {{core_id}}' }],
  });
}

export function pmdLookupPath(host: Matchers): Builder<Panel> {
  const spec = D.pmdLookups;
  return timeseries({
    title: 'Where packets find their flow',
    description: 'Userspace datapath passes per second by cache level: exact match (emc), signature match (smc), megaflow, or an upcall to ovs-vswitchd.',
    unit: UNIT.packetsPerSecond,
    min: 0,
    stack: true,
    queries: [{ expr: by('sum', spec, ['result'], rate(spec, host)), legend: '{{result}}' }],
  });
}

export function daemonMemory(host: Matchers): Builder<Panel> {
  return table({
    title: 'ovs-vswitchd memory',
    description: 'What ovs-vswitchd holds (memory/show): handlers, revalidators, ports, rules, datapath flow keys (udpif keys), OVSDB cells…',
    unit: UNIT.count,
    height: 8,
    queries: [{ expr: sel(D.memoryObjects, host) }],
    columns: [{ title: 'Count', unit: UNIT.count }],
    hide: ['instance', 'host'],
  });
}

export function coverageEvents(host: Matchers): Builder<Panel> {
  const spec = D.coverageEvents;
  return timeseries({
    title: 'Busiest coverage events',
    description: 'The ten ovs-vswitchd coverage counters that fire most often (coverage/show): what the daemon is busy with.',
    unit: UNIT.perSecond,
    min: 0,
    queries: [{ expr: `topk(10, ${by('sum', spec, ['event'], rate(spec, host))})`, legend: '{{event}}' }],
  });
}

export function pollerHealth(host: Matchers): Builder<Panel> {
  return timeseries({
    title: 'Poll duration per target',
    description: 'How long the last poll of each OpenFlow bridge and unixctl command took; failed polls are counted in the Pollers stat.',
    unit: UNIT.seconds,
    min: 0,
    queries: [{ expr: sel(D.pollDuration, host), legend: '{{source}} {{target}}' }],
  });
}

export function pollersOk(host: Matchers): Builder<Panel> {
  return stat({
    title: 'Pollers',
    description: 'Whether the last poll of each OpenFlow bridge and unixctl command succeeded.',
    unit: UNIT.none,
    queries: [{ expr: `min(${sel(D.pollSuccess, host)})`, legend: 'all pollers' }],
    thresholds: [[null, 'red'], [1, 'green']],
    valueText: { '0': { text: 'FAILING', color: 'red' }, '1': { text: 'OK', color: 'green' } },
  });
}
