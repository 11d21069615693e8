/**
 * The boards as Grafana imports them: JSON that round-trips through the SDK's types, unique
 * uids and panel ids, a grid that fits, every data source reference resolvable through the
 * provisioned data source, every variable a query or link uses defined, links that land on
 * boards that exist, metric names that exist in the catalogue; and deploy/grafana/ current.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Dashboard, DashboardLink, Panel, RowPanel, VariableModel } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Dataquery } from '@grafana/grafana-foundation-sdk/prometheus';
import type { MetricSpec } from '../../../common/metrics.js';
import { BOARD_TAG, BOARDS, dashboards, DATASOURCE_FILE, datasourceProvisioning, grafanaFiles, PROVIDER_FILE, dashboardProvider } from '../../../dashboards/index.js';
import { DATASOURCE_VARIABLE, PROVISIONED_DATASOURCE } from '../../../dashboards/panels/datasource.js';
import { TARGET_LABELS } from '../../../dashboards/panels/promql.js';
import { catalogue, metricNamesIn } from './catalogue.js';
import { parseDashboard } from './grafana-schema.js';

/** Variables Grafana itself defines for queries. */
const GRAFANA_QUERY_VARIABLES = new Set(['__rate_interval', '__range', '__interval']);
const DEPLOY_GRAFANA = new URL('../../../deploy/grafana/', import.meta.url).pathname;
const DEPLOY_DASHBOARDS_PATH = '/var/lib/grafana/dashboards/ovs-telemetry';

type AnyPanel = Panel | RowPanel;
const isRow = (p: AnyPanel): p is RowPanel => p.type === 'row';
const panelsOf = (board: Dashboard): Panel[] => (board.panels ?? []).filter((p): p is Panel => !isRow(p));
const variablesOf = (board: Dashboard): VariableModel[] => board.templating.list ?? [];
const targetsOf = (panel: Panel): Dataquery[] => (panel.targets ?? []) as Dataquery[];
const exprsOf = (panel: Panel): string[] => targetsOf(panel).map((t) => t.expr);
const linksOf = (panel: Panel): DashboardLink[] => panel.fieldConfig?.defaults.links ?? [];

/** `$name` and `${name}` / `${name:format}` references (not Grafana's `${__field…}` link fields). */
function variableRefs(text: string): string[] {
  return [...text.matchAll(/\$(?:\{([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-z]+)?\}|([a-zA-Z_][a-zA-Z0-9_]*))/g)].map((m) => m[1] ?? m[2]);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('dashboards', () => {
  const boards = dashboards();
  const specs: Map<string, MetricSpec> = catalogue();

  it('there are the four boards, with unique uids and titles, all tagged for the link bar', () => {
    expect(boards.map((b) => b.uid)).toEqual(Object.values(BOARDS).map((b) => b.uid));
    expect(new Set(boards.map((b) => b.uid)).size).toBe(boards.length);
    expect(new Set(boards.map((b) => b.title)).size).toBe(boards.length);
    for (const board of boards) {
      expect(board.tags).toContain(BOARD_TAG);
      expect(board.links).toEqual([expect.objectContaining({ type: 'dashboards', tags: [BOARD_TAG], includeVars: true, keepTime: true })]);
    }
  });

  it.each(boards.map((b) => [b.uid, b] as const))('%s round-trips through the SDK types unchanged', (_uid, board) => {
    const json: unknown = JSON.parse(JSON.stringify(board));
    const typed: Dashboard = parseDashboard(json);
    expect(JSON.parse(JSON.stringify(typed))).toEqual(json);
    expect(typed.schemaVersion).toBe(board.schemaVersion);
  });

  it.each(boards.map((b) => [b.uid, b] as const))('%s: unique panel ids, refIds per panel, and a grid without overlaps', (_uid, board) => {
    const all = board.panels ?? [];
    expect(new Set(all.map((p) => p.id)).size).toBe(all.length);
    const boxes = all.map((p) => p.gridPos!);
    boxes.forEach((a, i) => {
      expect(a.x + a.w).toBeLessThanOrEqual(24);
      boxes.slice(i + 1).forEach((b) => {
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect(overlap, `${JSON.stringify(a)} overlaps ${JSON.stringify(b)}`).toBe(false);
      });
    });
    for (const panel of panelsOf(board)) {
      const refIds = targetsOf(panel).map((t) => t.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
    }
  });

  it('every data source reference resolves to the provisioned Prometheus through the datasource variable', () => {
    const provisioned = (parse(datasourceProvisioning({ dashboardsPath: '/x' })) as { datasources: { uid: string; type: string; name: string }[] }).datasources;
    expect(provisioned).toEqual([expect.objectContaining({ uid: PROVISIONED_DATASOURCE.uid, type: PROVISIONED_DATASOURCE.type, name: PROVISIONED_DATASOURCE.name })]);
    const viaVariable = { type: PROVISIONED_DATASOURCE.type, uid: `\${${DATASOURCE_VARIABLE}}` };
    for (const board of boards) {
      const dsVariable = variablesOf(board).find((v) => v.name === DATASOURCE_VARIABLE);
      expect(dsVariable).toMatchObject({ type: 'datasource', query: provisioned[0].type, current: { value: provisioned[0].uid } });
      const refs = [
        ...panelsOf(board).flatMap((p) => [p.datasource, ...targetsOf(p).map((t) => t.datasource)]),
        ...variablesOf(board).filter((v) => v.type === 'query').map((v) => v.datasource),
        ...(board.annotations.list ?? []).map((a) => a.datasource),
      ];
      expect(refs.length).toBeGreaterThan(0);
      for (const ref of refs) expect(ref).toEqual(viaVariable);
    }
  });

  it('every variable a query, variable or annotation uses is defined before it is used', () => {
    for (const board of boards) {
      const defined = new Set<string>();
      for (const v of variablesOf(board)) {
        for (const ref of variableRefs(String(v.query ?? ''))) expect(defined, `${board.uid}: ${v.name} uses $${ref}`).toContain(ref);
        defined.add(v.name);
      }
      const exprs = [...panelsOf(board).flatMap(exprsOf), ...(board.annotations.list ?? []).map((a) => a.expr ?? '')];
      for (const expr of exprs) {
        for (const ref of variableRefs(expr)) expect(defined.has(ref) || GRAFANA_QUERY_VARIABLES.has(ref), `${board.uid}: $${ref} in ${expr}`).toBe(true);
      }
    }
  });

  it('data links land on existing boards and set only variables those boards have', () => {
    const byUid = new Map(boards.map((b) => [b.uid, b]));
    let links = 0;
    for (const board of boards) {
      for (const link of panelsOf(board).flatMap(linksOf)) {
        links++;
        const m = /^\/d\/([^?]+)\?(.*)$/.exec(link.url ?? '');
        expect(m, link.url).not.toBeNull();
        const target = byUid.get(m![1]);
        expect(target, link.url).toBeDefined();
        const targetVariables = new Set(variablesOf(target!).map((v) => v.name));
        for (const param of m![2].split('&')) {
          const set = /^var-([a-z_]+)=/.exec(param)?.[1] ?? /^\$\{([a-z_]+):queryparam\}$/.exec(param)?.[1];
          if (set !== undefined) expect(targetVariables, `${board.uid} → ${link.url}`).toContain(set);
          else expect(param).toBe('${__url_time_range}');
        }
      }
    }
    expect(links).toBeGreaterThan(5);
  });

  it('every metric a panel or annotation selects is in the catalogue, with the labels the query matches on', () => {
    let checked = 0;
    for (const board of boards) {
      const exprs = [...panelsOf(board).flatMap(exprsOf), ...(board.annotations.list ?? []).map((a) => a.expr ?? '')];
      for (const expr of exprs) {
        const { metrics, recorded, matchers } = metricNamesIn(expr);
        expect(recorded, 'boards read raw metrics, not recording rules').toEqual([]);
        for (const name of metrics) {
          expect(specs.has(name), `${board.uid}: ${name} in ${expr}`).toBe(true);
          checked++;
        }
        for (const [name, label] of matchers) expect([...specs.get(name)!.labels, ...TARGET_LABELS], `${name}{${label}} in ${expr}`).toContain(label);
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('every panel says what it shows and in which unit', () => {
    for (const panel of boards.flatMap(panelsOf)) {
      expect(panel.description?.length, panel.title).toBeGreaterThan(20);
      expect(panel.fieldConfig?.defaults.unit, panel.title).toBeTruthy();
    }
  });

  it('the dashboard provider reads the boards from the given path', () => {
    const provider = parse(dashboardProvider({ dashboardsPath: DEPLOY_DASHBOARDS_PATH })) as { providers: { type: string; options: { path: string } }[] };
    expect(provider.providers).toEqual([expect.objectContaining({ type: 'file', options: expect.objectContaining({ path: DEPLOY_DASHBOARDS_PATH }) })]);
  });

  it('deploy/grafana holds exactly what `ovs-telemetry dashboards` writes (regenerate: see deploy/README.md)', () => {
    const files = grafanaFiles({ dashboardsPath: DEPLOY_DASHBOARDS_PATH });
    expect([...files.keys()]).toEqual(expect.arrayContaining([DATASOURCE_FILE, PROVIDER_FILE]));
    const committed = filesUnder(DEPLOY_GRAFANA).map((f) => relative(DEPLOY_GRAFANA, f)).sort();
    expect(committed).toEqual([...files.keys()].sort());
    for (const [path, content] of files) expect(readFileSync(join(DEPLOY_GRAFANA, path), 'utf8'), path).toBe(content);
  });
});
