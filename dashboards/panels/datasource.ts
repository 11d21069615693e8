/**
 * The Prometheus data source the dashboards query: a `datasource` template variable whose
 * default is the data source that `ovs-telemetry dashboards` provisions, so the boards work
 * as soon as Grafana loads them and can still be pointed at another Prometheus.
 */
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

/** The provisioned data source (deploy/grafana/provisioning/datasources). */
export const PROVISIONED_DATASOURCE = Object.freeze({
  uid: 'ovs-telemetry-prometheus',
  name: 'Prometheus (ovs-telemetry)',
  type: 'prometheus',
});

export const DATASOURCE_VARIABLE = 'datasource';

/** What every panel, target, variable and annotation refers to. */
export function datasourceRef(): DataSourceRef {
  return { type: PROVISIONED_DATASOURCE.type, uid: `\${${DATASOURCE_VARIABLE}}` };
}
