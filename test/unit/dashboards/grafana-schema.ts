/**
 * A board's JSON read back into the SDK's types: a schema of what Grafana's import takes
 * (dashboard JSON model, schemaVersion 36+) whose output type TypeScript checks against the
 * SDK's `Dashboard`, with the SDK's enums as the allowed values and each Prometheus target
 * rebuilt on the SDK's `defaultDataquery()` (the variant marker JSON cannot carry). Keys the
 * SDK's types do not have are rejected.
 */
import { z } from 'zod';
import {
  AnnotationQueryPlacement,
  DashboardCursorSync,
  DashboardLinkPlacement,
  DashboardLinkType,
  MappingType,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
  VariableType,
  type Dashboard,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { defaultDataquery, PromQueryFormat, type Dataquery } from '@grafana/grafana-foundation-sdk/prometheus';

const datasourceRef = z.strictObject({ type: z.string().optional(), uid: z.string().optional() });

const gridPos = z.strictObject({
  h: z.number().int().min(1),
  w: z.number().int().min(1).max(24),
  x: z.number().int().min(0).max(23),
  y: z.number().int().min(0),
});

const target = z
  .strictObject({
    refId: z.string().regex(/^[A-Z]$/),
    datasource: datasourceRef,
    expr: z.string().min(1),
    legendFormat: z.string(),
    instant: z.boolean().optional(),
    range: z.boolean().optional(),
    format: z.enum(PromQueryFormat).optional(),
  })
  .transform((t): Dataquery => ({ ...defaultDataquery(), ...t }));

const link = z.strictObject({
  title: z.string().min(1),
  type: z.enum(DashboardLinkType),
  icon: z.string(),
  tooltip: z.string(),
  url: z.string().optional(),
  tags: z.array(z.string()),
  asDropdown: z.boolean(),
  placement: z.literal(DashboardLinkPlacement.InControlsMenu).optional(),
  targetBlank: z.boolean(),
  includeVars: z.boolean(),
  keepTime: z.boolean(),
});

const mappingResult = z.strictObject({ text: z.string().optional(), color: z.string().optional(), index: z.number().int().optional() });
const valueMap = z.strictObject({ type: z.literal(MappingType.ValueToText), options: z.record(z.string(), mappingResult) });

const thresholds = z.strictObject({
  mode: z.enum(ThresholdsMode),
  steps: z.array(z.strictObject({ value: z.number().nullable(), color: z.string() })).min(1),
});

const fieldConfig = z.strictObject({
  defaults: z.strictObject({
    unit: z.string().min(1),
    min: z.number().optional(),
    max: z.number().optional(),
    thresholds,
    links: z.array(link).optional(),
    mappings: z.array(valueMap).optional(),
    custom: z.record(z.string(), z.unknown()).optional(),
  }),
  overrides: z.array(z.strictObject({
    matcher: z.strictObject({ id: z.string(), options: z.unknown().optional() }),
    properties: z.array(z.strictObject({ id: z.string(), value: z.unknown().optional() })),
  })),
});

export const PANEL_TYPES = ['timeseries', 'stat', 'table', 'piechart', 'bargauge'] as const;

const panel = z.strictObject({
  type: z.enum(PANEL_TYPES),
  id: z.number().int().min(1),
  title: z.string().min(1),
  description: z.string().min(1),
  transparent: z.boolean(),
  repeatDirection: z.enum(['h', 'v']).optional(),
  datasource: datasourceRef,
  gridPos,
  targets: z.array(target).min(1),
  options: z.record(z.string(), z.unknown()),
  fieldConfig,
  transformations: z.array(z.strictObject({ id: z.string(), options: z.unknown() })).optional(),
});

const row = z.strictObject({
  type: z.literal('row'),
  id: z.number().int().min(1),
  title: z.string().min(1),
  collapsed: z.literal(false),
  panels: z.array(panel).max(0),
  gridPos,
});

const variableOption = z.strictObject({ text: z.union([z.string(), z.array(z.string())]), value: z.union([z.string(), z.array(z.string())]), selected: z.boolean().optional() });

const variable = z.strictObject({
  type: z.enum(VariableType),
  name: z.string().regex(/^[a-z_]+$/),
  label: z.string().min(1),
  skipUrlSync: z.boolean(),
  multi: z.boolean(),
  allowCustomValue: z.boolean(),
  includeAll: z.boolean(),
  auto: z.boolean(),
  auto_min: z.string(),
  auto_count: z.number(),
  query: z.string().min(1),
  definition: z.string().optional(),
  datasource: datasourceRef.optional(),
  current: variableOption.optional(),
  refresh: z.enum(VariableRefresh).optional(),
  sort: z.enum(VariableSort).optional(),
  allValue: z.string().optional(),
});

const annotation = z.strictObject({
  name: z.string().min(1),
  datasource: datasourceRef,
  enable: z.boolean(),
  hide: z.boolean(),
  iconColor: z.string().min(1),
  builtIn: z.number(),
  placement: z.literal(AnnotationQueryPlacement.InControlsMenu).optional(),
  expr: z.string().min(1),
  step: z.string(),
  titleFormat: z.string(),
  textFormat: z.string(),
  tagKeys: z.string(),
});

export const dashboardSchema = z.strictObject({
  uid: z.string().regex(/^[a-zA-Z0-9_-]{1,40}$/),
  title: z.string().min(1),
  description: z.string().min(1),
  tags: z.array(z.string()),
  timezone: z.string(),
  editable: z.boolean(),
  graphTooltip: z.enum(DashboardCursorSync),
  time: z.strictObject({ from: z.string(), to: z.string() }),
  fiscalYearStartMonth: z.number().int().min(0).max(11),
  refresh: z.string(),
  // Grafana migrates older models on load; 36 is the first with datasource refs by uid.
  schemaVersion: z.number().int().min(36),
  templating: z.strictObject({ list: z.array(variable).min(1) }),
  annotations: z.strictObject({ list: z.array(annotation) }),
  links: z.array(link),
  panels: z.array(z.union([row, panel])).min(1),
});

/** Parses board JSON into the SDK's Dashboard type (throws on anything Grafana or the SDK would not take). */
export function parseDashboard(json: unknown): Dashboard {
  return dashboardSchema.parse(json);
}
