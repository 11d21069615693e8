import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/log.js';
import { METRICS, type MetricCollector } from '../../../common/metrics.js';
import { PrometheusRegistry } from '../../../exporters/prometheus/registry.js';
import { parseExposition, promtoolCheckMetrics, seriesOf } from '../../helpers/promtool.js';

const interfaces: MetricCollector = {
  name: 'interfaces',
  collect(sink) {
    sink.add(METRICS.up, [], 1);
    sink.add(METRICS.interfaceInfo, ['br-int', 'tap1', 'tap1', '3', 'system', 'fa:16:3e:00:00:01', 'p1', 'n1', 'pr1'], 1);
    sink.add(METRICS.interfaceReceiveBytes, ['br-int', 'tap1', 'tap1'], 12345);
    sink.add(METRICS.interfaceReceiveBytes, ['br-int', 'tap"2\\', 'tap"2\\'], 7);
    sink.add(METRICS.networkReceiveBytes, ['n1', 'pr1'], 12352);
  },
};

const broken: MetricCollector = {
  name: 'broken',
  collect(sink) {
    sink.add(METRICS.bridges, [], 1);
    throw new Error('boom');
  },
};

describe('PrometheusRegistry', () => {
  it('renders the collectors through prom-client, promtool-clean, with per-collector health', async () => {
    const registry = new PrometheusRegistry([interfaces, broken], silentLogger);
    const text = (await registry.render()).toString();
    expect(promtoolCheckMetrics(text)).toBe('');
    const series = parseExposition(text);
    expect(seriesOf(series, 'ovs_interface_receive_bytes_total', { interface: 'tap1' })[0].value).toBe(12345);
    expect(seriesOf(series, 'ovs_interface_receive_bytes_total', { interface: 'tap"2\\' })[0].value).toBe(7);
    expect(seriesOf(series, 'ovs_telemetry_scrape_collector_success', { collector: 'interfaces' })[0].value).toBe(1);
    expect(seriesOf(series, 'ovs_telemetry_scrape_collector_success', { collector: 'broken' })[0].value).toBe(0);
    expect(text).toMatch(/# TYPE ovs_interface_receive_bytes_total counter/);
    expect(text).toMatch(/# HELP ovs_up /);
  });

  it('each scrape starts empty: series that vanished are gone', async () => {
    let present = true;
    const flapping: MetricCollector = {
      name: 'flapping',
      collect(sink) {
        if (present) sink.add(METRICS.interfaceMtu, ['br-int', 'p', 'p'], 1500);
      },
    };
    const registry = new PrometheusRegistry([flapping], silentLogger);
    expect((await registry.render()).toString()).toContain('ovs_interface_mtu_bytes{bridge="br-int",port="p",interface="p"} 1500');
    present = false;
    expect((await registry.render()).toString()).not.toContain('ovs_interface_mtu_bytes{');
  });
});
