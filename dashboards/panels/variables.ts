/**
 * Template variables: the data source, then host → project → network → interface, each
 * query narrowed by the ones before it. Multi-value variables expand to a regex, so queries
 * match them with `=~` (see promql.ts) and "All" is `.*`.
 */
import {
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
  type VariableModel,
} from '@grafana/grafana-foundation-sdk/dashboard';
import type { Builder } from '@grafana/grafana-foundation-sdk/cog';
import { METRICS } from '../../common/metrics.js';
import { DATASOURCE_VARIABLE, datasourceRef, PROVISIONED_DATASOURCE } from './datasource.js';
import { labelValues, type Matchers } from './promql.js';

/** Variable references as they appear in queries. */
export const VAR = Object.freeze({
  host: '$host',
  project: '$project',
  network: '$network',
  interface: '$interface',
  agent: '$agent',
  source: '$source',
});

export function datasourceVariable(): Builder<VariableModel> {
  return new DatasourceVariableBuilder(DATASOURCE_VARIABLE)
    .label('Data source')
    .type(PROVISIONED_DATASOURCE.type)
    .current({ text: PROVISIONED_DATASOURCE.name, value: PROVISIONED_DATASOURCE.uid, selected: true });
}

interface Choice {
  readonly multi: boolean;
  /**
   * "All" as `.*` (any value, also ones the list does not show) instead of Grafana's default,
   * the listed values: right for hosts and projects, not for the interfaces of some networks.
   */
  readonly allMatchesAny?: boolean;
}

function queryVariable(name: string, label: string, query: string, choice: Choice): Builder<VariableModel> {
  const v = new QueryVariableBuilder(name)
    .label(label)
    .datasource(datasourceRef())
    .query(query)
    .definition(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.NaturalAsc)
    .multi(choice.multi)
    .includeAll(choice.multi);
  if (!choice.multi) return v;
  v.current({ text: 'All', value: '$__all', selected: true });
  return choice.allMatchesAny ? v.allValue('.*') : v;
}

/** Hosts are the `host` target label (one collector per hypervisor). */
export function hostVariable(multi: boolean): Builder<VariableModel> {
  return queryVariable('host', 'Host', labelValues(METRICS.up, 'host'), { multi, allMatchesAny: true });
}

export function projectVariable(): Builder<VariableModel> {
  return queryVariable('project', 'Project', labelValues(METRICS.networkInterfaces, 'project_id', { host: VAR.host }), { multi: true, allMatchesAny: true });
}

export function networkVariable(): Builder<VariableModel> {
  return queryVariable('network', 'Network', labelValues(METRICS.networkInterfaces, 'network_id', { host: VAR.host, project_id: VAR.project }), { multi: true, allMatchesAny: true });
}

/** Interfaces of the selected networks, or of the host when the board has no network variable. */
export function interfaceVariable(withinNetworks: boolean): Builder<VariableModel> {
  const matchers: Matchers = withinNetworks ? { host: VAR.host, network_id: VAR.network } : { host: VAR.host };
  return queryVariable('interface', 'Interface', labelValues(METRICS.interfaceInfo, 'interface', matchers), { multi: true });
}

/** sFlow agents (exporter addresses) seen by the selected hosts' collectors. */
export function agentVariable(): Builder<VariableModel> {
  return queryVariable('agent', 'sFlow agent', labelValues(METRICS.sflowDatagrams, 'agent', { host: VAR.host }), { multi: true, allMatchesAny: true });
}

/**
 * The flow source whose sampled traffic the flow panels show (sflow, ipfix, netflow): one at a
 * time, as a host exporting several reports the same packets once per source.
 */
export function flowSourceVariable(): Builder<VariableModel> {
  return queryVariable('source', 'Flow source', labelValues(METRICS.flowSampledBytes, 'source', { host: VAR.host }), { multi: false });
}
