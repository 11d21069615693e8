import { describe, expect, it } from 'vitest';
import { METRICS } from '../../../common/metrics.js';
import { buildBoard } from '../../../dashboards/panels/board.js';
import { BOARDS } from '../../../dashboards/panels/links.js';
import { stat, timeseries, UNIT } from '../../../dashboards/panels/panel.js';
import { by, eq, increase, labelValues, rate, sel, stem } from '../../../dashboards/panels/promql.js';

describe('PromQL from the catalogue', () => {
  it('selects with regex matchers by default and exact ones on request, escaping quotes', () => {
    expect(sel(METRICS.up)).toBe('ovs_up');
    expect(sel(METRICS.interfaceInfo, { host: '$host', network_id: eq('a"b\\c'), type: { op: '!=', value: 'patch' } }))
      .toBe('ovs_interface_info{host=~"$host",network_id="a\\"b\\\\c",type!="patch"}');
  });

  it('rejects a label the metric does not have (a rename breaks the generator, not the panel)', () => {
    expect(() => sel(METRICS.networkReceiveBytes, { interface: 'x' })).toThrow(/ovs_network_receive_bytes_total has no label "interface"/);
    expect(() => by('sum', METRICS.up, ['bridge'], 'x')).toThrow(/no label "bridge"/);
    expect(() => labelValues(METRICS.up, 'network_id')).toThrow(/no label "network_id"/);
    // Target labels exist on every series.
    expect(sel(METRICS.up, { job: eq('ovs-telemetry'), instance: 'x', host: 'h' })).toBe('ovs_up{job="ovs-telemetry",instance=~"x",host=~"h"}');
  });

  it('takes rate() and increase() of counters only', () => {
    expect(rate(METRICS.interfaceReceiveBytes, { host: '$host' })).toBe('rate(ovs_interface_receive_bytes_total{host=~"$host"}[$__rate_interval])');
    expect(increase(METRICS.ovsdbReconnects, {}, '1h')).toBe('increase(ovs_telemetry_ovsdb_reconnects_total[1h])');
    expect(() => rate(METRICS.up)).toThrow(/rate\(\) of ovs_up, a gauge/);
    expect(() => increase(METRICS.interfaceMtu)).toThrow(/a gauge/);
  });

  it('names recording rules after the metric without _total', () => {
    expect(stem(METRICS.networkReceiveBytes)).toBe('ovs_network_receive_bytes');
    expect(stem(METRICS.up)).toBe('ovs_up');
  });
});

describe('board layout', () => {
  const q = [{ expr: 'ovs_up' }];
  it('numbers panels and widens a line that ends short so it fills the 24 columns', () => {
    const board = buildBoard({
      board: BOARDS.host,
      description: 'test',
      variables: [],
      rows: [
        { title: 'A', panels: [stat({ title: 's1', description: 'd', unit: UNIT.none, queries: q }), stat({ title: 's2', description: 'd', unit: UNIT.none, queries: q }), timeseries({ title: 't1', description: 'd', unit: UNIT.none, queries: q, span: 18 })] },
        { title: 'B', panels: [timeseries({ title: 't2', description: 'd', unit: UNIT.none, queries: q })] },
      ],
    });
    const layout = (board.panels ?? []).map((p) => [p.id, p.title, p.gridPos]);
    expect(layout).toEqual([
      [1, 'A', { x: 0, y: 0, w: 24, h: 1 }],
      [2, 's1', { x: 0, y: 1, w: 12, h: 4 }],
      [3, 's2', { x: 12, y: 1, w: 12, h: 4 }],
      [4, 't1', { x: 0, y: 5, w: 24, h: 8 }],
      [5, 'B', { x: 0, y: 13, w: 24, h: 1 }],
      [6, 't2', { x: 0, y: 14, w: 24, h: 8 }],
    ]);
  });
});
