/**
 * OVS and collector health: is OVSDB reachable, do the collector's scrapers succeed and how
 * long they take, what runs (versions), how big the switch is.
 */
import type { Builder } from '@grafana/grafana-foundation-sdk/cog';
import type { Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import { METRICS } from '../../common/metrics.js';
import { stat, timeseries, UNIT } from './panel.js';
import { by, increase, sel, type Matchers } from './promql.js';

const UP_DOWN = { '0': { text: 'DOWN', color: 'red' }, '1': { text: 'UP', color: 'green' } };

export function ovsUp(scope: Matchers): Builder<Panel> {
  return stat({
    title: 'OVS up',
    description: 'Whether the collector reaches OVSDB and has its state in sync (ovs_up).',
    unit: UNIT.none,
    queries: [{ expr: sel(METRICS.up, scope), legend: '{{host}}' }],
    thresholds: [[null, 'red'], [1, 'green']],
    valueText: UP_DOWN,
  });
}

export function collectorsHealthy(scope: Matchers): Builder<Panel> {
  return stat({
    title: 'Collector scrapers',
    description: 'Whether each of the collector\'s scrapers succeeded on the last scrape; a failed one leaves its metrics out and the others still report.',
    unit: UNIT.none,
    queries: [{ expr: sel(METRICS.scrapeCollectorSuccess, scope), legend: '{{collector}}' }],
    thresholds: [[null, 'red'], [1, 'green']],
    valueText: UP_DOWN,
  });
}

export function versions(scope: Matchers): Builder<Panel> {
  return stat({
    title: 'Versions',
    description: 'ovs-telemetry, Node.js and Open vSwitch versions on the host.',
    unit: UNIT.none,
    queries: [{ expr: sel(METRICS.buildInfo, scope), legend: 'ovs-telemetry {{version}} · OVS {{ovs_version}} · Node.js {{nodejs_version}}' }],
    showName: true,
  });
}

export function bridgesAndInterfaces(scope: Matchers): Builder<Panel> {
  return stat({
    title: 'Interfaces per bridge',
    description: 'Interfaces on each bridge (from OVSDB).',
    unit: UNIT.count,
    queries: [{ expr: sel(METRICS.interfaces, scope), legend: '{{bridge}}' }],
  });
}

export function scrapeDuration(scope: Matchers): Builder<Panel> {
  return timeseries({
    title: 'Scrape duration per scraper',
    description: 'Time each scraper took on the last scrape. Scrapers read memory only, so this stays in milliseconds even with thousands of ports.',
    unit: UNIT.seconds,
    queries: [{ expr: sel(METRICS.scrapeCollectorDuration, scope), legend: '{{collector}}' }],
    min: 0,
  });
}

export function ovsdbReconnects(scope: Matchers): Builder<Panel> {
  return stat({
    title: 'OVSDB reconnects',
    description: 'Connections to OVSDB re-established in the time range (each one is a full resync).',
    unit: UNIT.count,
    queries: [{ expr: by('sum', METRICS.ovsdbReconnects, ['database'], increase(METRICS.ovsdbReconnects, scope)), legend: '{{database}}' }],
    thresholds: [[null, 'green'], [1, 'orange'], [5, 'red']],
  });
}
