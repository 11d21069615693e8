/**
 * The four boards and the links between them: a tag link on every board (with the current
 * variables and time range), and data links that drill from a series into the board that
 * explains it (a network into Tenant networks, an interface into its port row).
 */
import type { DataLink } from './panel.js';

export interface BoardRef {
  readonly uid: string;
  readonly title: string;
}

export const BOARDS = Object.freeze({
  host: { uid: 'ovs-host-overview', title: 'OVS / Host overview' },
  tenants: { uid: 'ovs-tenant-networks', title: 'OVS / Tenant networks' },
  flows: { uid: 'ovs-flow-telemetry', title: 'OVS / Flow telemetry health' },
  enforcer: { uid: 'ovs-enforcer', title: 'OVS / Enforcer' },
} satisfies Record<string, BoardRef>);

/** Every board carries this tag; the boards' link bar lists the boards with it. */
export const BOARD_TAG = 'ovs-telemetry';

/** `/d/UID?var-…` keeping the data source and the time range; `params` are already `k=v` or `${var:queryparam}`. */
function boardUrl(board: BoardRef, params: readonly string[]): string {
  return `/d/${board.uid}?${[...params, '${datasource:queryparam}', '${__url_time_range}'].join('&')}`;
}

/**
 * Where a data link reads a label: a series' label (graphs, bars) or a table row's column
 * (a table turns labels into columns, and Grafana names them differently in links).
 */
export type LinkSource = 'series' | 'row';

function field(label: string, source: LinkSource): string {
  return source === 'series' ? `\${__field.labels.${label}}` : `\${__data.fields.${label}}`;
}

/** From a network (network_id/project_id labels) to that network on Tenant networks. */
export function networkLink(source: LinkSource = 'series'): DataLink {
  return {
    title: `Tenant network ${field('network_id', source)}`,
    url: boardUrl(BOARDS.tenants, ['${host:queryparam}', `var-project=${field('project_id', source)}`, `var-network=${field('network_id', source)}`]),
  };
}

/** From an interface (host/interface labels) to that port's row on Tenant networks. */
export function portLink(source: LinkSource = 'series'): DataLink {
  return {
    title: `Port ${field('interface', source)}`,
    url: boardUrl(BOARDS.tenants, [`var-host=${field('host', source)}`, `var-interface=${field('interface', source)}`]),
  };
}
