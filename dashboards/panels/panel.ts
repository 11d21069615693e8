/**
 * Panel factories over the SDK's builders: one options object (title, description, unit,
 * queries, thresholds, links) for every visualisation, so the metric-family modules only say
 * what to show. Every panel and query points at the `datasource` variable.
 */
import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import {
  LegendDisplayMode,
  LegendPlacement,
  SortOrder,
  StackingMode,
  TooltipDisplayMode,
  BigValueColorMode,
  BigValueGraphMode,
  BigValueTextMode,
  BarGaugeDisplayMode,
  VizOrientation,
  ReduceDataOptionsBuilder,
  StackingConfigBuilder,
  VizLegendOptionsBuilder,
  VizTooltipOptionsBuilder,
  type DataSourceRef,
} from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardLinkBuilder,
  DashboardLinkType,
  MappingType,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  type DashboardLink,
  type DataTransformerConfig,
  type Panel,
  type ThresholdsConfig,
  type ValueMapping,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as BarGaugeBuilder } from '@grafana/grafana-foundation-sdk/bargauge';
import { PieChartType, PanelBuilder as PieChartBuilder, PieChartLegendOptionsBuilder, PieChartLegendValues } from '@grafana/grafana-foundation-sdk/piechart';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TableBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { datasourceRef } from './datasource.js';

/** Grafana unit ids used by the boards. */
export const UNIT = Object.freeze({
  bitsPerSecond: 'bps',
  bytes: 'bytes',
  packetsPerSecond: 'pps',
  perSecond: 'reqps',
  ratio: 'percentunit',
  seconds: 's',
  count: 'short',
  none: 'none',
});

export interface Query {
  readonly expr: string;
  readonly legend?: string;
  /** One value per series at the end of the range (rankings, pies) instead of a range query. */
  readonly instant?: boolean;
  /** Instant query in table format (tables): one row per series, labels as columns. */
  readonly table?: boolean;
}

/** A threshold step: from this value on (null = from the start), this colour. */
export type Step = readonly [number | null, string];

export interface DataLink {
  readonly title: string;
  readonly url: string;
}

export interface PanelOptions {
  readonly title: string;
  readonly description: string;
  readonly unit: string;
  readonly queries: readonly Query[];
  /** Width in grid columns (of 24) and height in rows; defaults 12 × 8. */
  readonly span?: number;
  readonly height?: number;
  readonly thresholds?: readonly Step[];
  readonly min?: number;
  readonly max?: number;
  readonly links?: readonly DataLink[];
  /** Value → text/colour (e.g. 1 = up, 0 = down). */
  readonly valueText?: Readonly<Record<string, { readonly text: string; readonly color: string }>>;
}

/** The builder methods every visualisation shares (the SDK generates one class per panel type). */
interface CommonBuilder<B> extends Builder<Panel> {
  title(title: string): B;
  description(description: string): B;
  unit(unit: string): B;
  span(w: number): B;
  height(h: number): B;
  datasource(datasource: DataSourceRef): B;
  withTarget(target: Builder<Dataquery>): B;
  thresholds(thresholds: Builder<ThresholdsConfig>): B;
  min(min: number): B;
  max(max: number): B;
  dataLinks(links: Builder<DashboardLink>[]): B;
  mappings(mappings: ValueMapping[]): B;
}

function target(query: Query, index: number): Builder<Dataquery> {
  const t = new DataqueryBuilder()
    .refId(String.fromCharCode(65 + index))
    .datasource(datasourceRef())
    .expr(query.expr)
    .legendFormat(query.legend ?? '__auto');
  if (query.table) return t.instant().format(PromQueryFormat.Table);
  return query.instant ? t.instant() : t.range();
}

function thresholdsOf(steps: readonly Step[]): Builder<ThresholdsConfig> {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps.map(([value, color]) => ({ value, color })));
}

function mappingsOf(valueText: NonNullable<PanelOptions['valueText']>): ValueMapping[] {
  const options = Object.fromEntries(Object.entries(valueText).map(([value, r], index) => [value, { ...r, index }]));
  return [{ type: MappingType.ValueToText, options }];
}

function linkOf(link: DataLink): Builder<DashboardLink> {
  return new DashboardLinkBuilder(link.title).type(DashboardLinkType.Link).url(link.url).targetBlank(false);
}

function applyCommon<B extends CommonBuilder<B>>(builder: B, o: PanelOptions): B {
  let b = builder
    .title(o.title)
    .description(o.description)
    .unit(o.unit)
    .span(o.span ?? 12)
    .height(o.height ?? 8)
    .datasource(datasourceRef())
    .thresholds(thresholdsOf(o.thresholds ?? [[null, 'green']]));
  o.queries.forEach((q, i) => {
    b = b.withTarget(target(q, i));
  });
  if (o.min !== undefined) b = b.min(o.min);
  if (o.max !== undefined) b = b.max(o.max);
  if (o.links) b = b.dataLinks(o.links.map(linkOf));
  if (o.valueText) b = b.mappings(mappingsOf(o.valueText));
  return b;
}

export function timeseries(o: PanelOptions & { readonly stack?: boolean }): Builder<Panel> {
  return applyCommon(new TimeseriesBuilder(), o)
    .fillOpacity(o.stack ? 30 : 10)
    .stacking(new StackingConfigBuilder().mode(o.stack ? StackingMode.Normal : StackingMode.None))
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.Table).placement(LegendPlacement.Bottom).calcs(['mean', 'max', 'lastNotNull']))
    .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending));
}

export function stat(o: PanelOptions & { readonly showName?: boolean }): Builder<Panel> {
  return applyCommon(new StatBuilder(), { span: 4, height: 4, ...o })
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .colorMode(BigValueColorMode.Background)
    .graphMode(BigValueGraphMode.None)
    .textMode(o.showName ? BigValueTextMode.Name : BigValueTextMode.Auto);
}

/** A table's value column per query (same order as the queries): its title, unit and value texts. */
export interface Column {
  readonly title: string;
  readonly unit?: string;
  readonly valueText?: PanelOptions['valueText'];
}

/**
 * Instant queries as one table: labels become columns and `merge` joins the queries' values
 * on the labels they share (give the queries the same label sets); `columns` names the values.
 */
export function table(o: PanelOptions & { readonly columns: readonly Column[]; readonly hide?: readonly string[] }): Builder<Panel> {
  if (o.columns.length !== o.queries.length) throw new Error(`table "${o.title}": ${o.queries.length} queries but ${o.columns.length} columns`);
  // Grafana names a lone query's value "Value", else "Value #<refId>".
  const valueName = (i: number) => (o.queries.length === 1 ? 'Value' : `Value #${String.fromCharCode(65 + i)}`);
  const transformations: DataTransformerConfig[] = [];
  if (o.queries.length > 1) transformations.push({ id: 'merge', options: {} });
  const excludeByName = Object.fromEntries(['Time', 'job', '__name__', ...(o.hide ?? [])].map((c) => [c, true]));
  const renameByName = Object.fromEntries(o.columns.map((c, i) => [valueName(i), c.title]));
  transformations.push({ id: 'organize', options: { excludeByName, renameByName } });
  let b = applyCommon(new TableBuilder(), { ...o, valueText: undefined, queries: o.queries.map((q) => ({ ...q, table: true })) })
    .transformations(transformations);
  for (const c of o.columns) {
    const properties = [];
    if (c.unit !== undefined) properties.push({ id: 'unit', value: c.unit });
    if (c.valueText !== undefined) properties.push({ id: 'mappings', value: mappingsOf(c.valueText) });
    if (properties.length > 0) b = b.overrideByName(c.title, properties);
  }
  return b;
}

export function pie(o: PanelOptions): Builder<Panel> {
  return applyCommon(new PieChartBuilder(), o)
    .pieType(PieChartType.Donut)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .legend(new PieChartLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.Table).placement(LegendPlacement.Right).values([PieChartLegendValues.Percent, PieChartLegendValues.Value]));
}

/** Ranked bars (top talkers and the like): the last value of each series. */
export function bars(o: PanelOptions): Builder<Panel> {
  return applyCommon(new BarGaugeBuilder(), o)
    .displayMode(BarGaugeDisplayMode.Gradient)
    .orientation(VizOrientation.Horizontal)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
}
