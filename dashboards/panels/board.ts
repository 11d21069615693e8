/**
 * Assembles a board with the SDK's builder: rows of panels, the variables, the link bar to the
 * other boards and an annotation of the firing OVS alerts; then numbers the panels (Grafana
 * needs ids unique within a board) and lays them out on its 24-column grid.
 */
import type { Builder } from '@grafana/grafana-foundation-sdk/cog';
import {
  AnnotationQueryBuilder,
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  RowBuilder,
  type Dashboard,
  type GridPos,
  type Panel,
  type VariableModel,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { datasourceRef } from './datasource.js';
import { BOARD_TAG, type BoardRef } from './links.js';
import { ALERT_NAME_PREFIX } from '../rules/alerts.js';
import { eq, prometheusSel } from './promql.js';
import { VAR } from './variables.js';

export interface Row {
  readonly title: string;
  readonly panels: readonly Builder<Panel>[];
}

export interface BoardSpec {
  readonly board: BoardRef;
  readonly description: string;
  readonly variables: readonly Builder<VariableModel>[];
  readonly rows: readonly Row[];
}

function alertAnnotation(): AnnotationQueryBuilder {
  return new AnnotationQueryBuilder()
    .name('OVS alerts')
    .datasource(datasourceRef())
    .enable(true)
    .iconColor('red')
    .expr(prometheusSel('alerts', { alertstate: eq('firing'), alertname: `${ALERT_NAME_PREFIX}.*`, host: VAR.host }))
    .step('60s')
    .titleFormat('{{alertname}}')
    .textFormat('{{host}} {{interface}} {{network_id}}')
    .tagKeys('alertname,host,severity');
}

export function buildBoard(spec: BoardSpec): Dashboard {
  const builder = new DashboardBuilder(spec.board.title)
    .uid(spec.board.uid)
    .description(spec.description)
    .tags([BOARD_TAG])
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .tooltip(DashboardCursorSync.Crosshair)
    .link(new DashboardLinkBuilder('OVS telemetry').type(DashboardLinkType.Dashboards).tags([BOARD_TAG]).asDropdown(true).includeVars(true).keepTime(true).icon('external link').tooltip('The other OVS telemetry boards'))
    .annotation(alertAnnotation());
  for (const variable of spec.variables) builder.withVariable(variable);
  for (const row of spec.rows) {
    builder.withRow(new RowBuilder(row.title));
    for (const panel of row.panels) builder.withPanel(panel);
  }
  const dashboard = builder.build();
  layout(dashboard.panels ?? []);
  return dashboard;
}

const GRID_WIDTH = 24;

/**
 * Numbers the panels and places them left to right in lines of 24 columns: a panel that does
 * not fit starts the next line (the SDK's grid lets it run past column 24), and the panels of
 * a line that ends short are widened in proportion to fill it.
 */
function layout(panels: NonNullable<Dashboard['panels']>): void {
  let y = 0;
  let line: { gridPos: GridPos }[] = [];
  const endLine = () => {
    const used = line.reduce((n, p) => n + p.gridPos.w, 0);
    let x = 0;
    line.forEach((p, i) => {
      const w = i === line.length - 1 ? GRID_WIDTH - x : Math.round((p.gridPos.w * GRID_WIDTH) / used);
      p.gridPos = { ...p.gridPos, x, y, w };
      x += w;
    });
    y += Math.max(0, ...line.map((p) => p.gridPos.h));
    line = [];
  };
  panels.forEach((panel, index) => {
    panel.id = index + 1;
    const gridPos = { ...(panel.gridPos ?? { w: GRID_WIDTH, h: 8 }), x: 0, y: 0 };
    const used = line.reduce((n, p) => n + p.gridPos.w, 0);
    if (panel.type === 'row') {
      endLine();
      panel.gridPos = { ...gridPos, y };
      y += gridPos.h;
      return;
    }
    if (used + gridPos.w > GRID_WIDTH) endLine();
    panel.gridPos = gridPos;
    line.push(panel as { gridPos: GridPos });
  });
  endLine();
}
