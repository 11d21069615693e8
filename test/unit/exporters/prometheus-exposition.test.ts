import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/log.js';
import { METRICS, type MetricCollector } from '../../../common/metrics.js';
import { ExpositionWriter } from '../../../exporters/prometheus/exposition.js';
import { PrometheusRegistry } from '../../../exporters/prometheus/registry.js';
import { acceptsGzip, negotiateFormat } from '../../../exporters/prometheus/server.js';
import { parseExposition, promtoolCheckMetrics, seriesOf } from '../../helpers/promtool.js';

const PROMETHEUS_ACCEPT = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

describe('OpenMetrics exposition', () => {
  it('counter families without _total, samples with it; *_info gauges as info; HELP escapes quotes; ends with # EOF', () => {
    const w = new ExpositionWriter();
    w.begin();
    w.add(METRICS.interfaceReceiveBytes, ['br-int', 'tap1', 'tap1'], 42);
    w.add(METRICS.interfaceInfo, ['br-int', 'tap1', 'tap1', '3', 'system', 'fa:16:3e:00:00:01', 'p', 'n', 'pr'], 1);
    w.add({ ...METRICS.up, help: 'Say "up".' }, [], 1);
    const om = w.render('openmetrics').toString();
    expect(om).toBe([
      '# HELP ovs_interface_receive_bytes Bytes received by the interface.',
      '# TYPE ovs_interface_receive_bytes counter',
      'ovs_interface_receive_bytes_total{bridge="br-int",port="tap1",interface="tap1"} 42',
      `# HELP ovs_interface ${METRICS.interfaceInfo.help}`,
      '# TYPE ovs_interface info',
      'ovs_interface_info{bridge="br-int",port="tap1",interface="tap1",ofport="3",type="system",mac="fa:16:3e:00:00:01",neutron_port_id="p",network_id="n",project_id="pr"} 1',
      '# HELP ovs_up Say \\"up\\".',
      '# TYPE ovs_up gauge',
      'ovs_up 1',
      '# EOF',
      '',
    ].join('\n'));
    const text = w.render('text').toString();
    expect(text).toContain('# TYPE ovs_interface_receive_bytes_total counter\novs_interface_receive_bytes_total{');
    expect(text).toContain('# HELP ovs_up Say "up".');
    expect(text).not.toContain('# EOF');
  });

  it('the registry ends OpenMetrics once, after the process metrics (also OpenMetrics)', async () => {
    const registry = new PrometheusRegistry([{ name: 'c', collect: (s) => s.add(METRICS.up, [], 1) }], silentLogger);
    const om = (await registry.render('openmetrics')).toString();
    expect(om.endsWith('\n# EOF\n')).toBe(true);
    expect(om.match(/# EOF/g)).toHaveLength(1);
    expect(om).toContain('# TYPE process_cpu_user_seconds counter\nprocess_cpu_user_seconds_total ');
    expect(registry.contentTypeOf('openmetrics')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(promtoolCheckMetrics((await registry.render('text')).toString())).toBe('');
  });

  it('negotiates like Prometheus asks (OpenMetrics preferred), text otherwise; gzip when accepted', () => {
    expect(negotiateFormat(PROMETHEUS_ACCEPT)).toBe('openmetrics');
    expect(negotiateFormat('text/plain;version=0.0.4;q=0.9,application/openmetrics-text;q=0.5')).toBe('text');
    expect(negotiateFormat('application/openmetrics-text;q=0')).toBe('text');
    expect(negotiateFormat(undefined)).toBe('text');
    expect(negotiateFormat('*/*')).toBe('text');
    expect(acceptsGzip('gzip')).toBe(true);
    expect(acceptsGzip('deflate, gzip;q=0.5')).toBe(true);
    expect(acceptsGzip('gzip;q=0, identity')).toBe(false);
    expect(acceptsGzip(undefined)).toBe(false);
  });
});

describe('cardinality guard', () => {
  it('caps each family at max_series_per_family, counts the overflow, logs once per family', async () => {
    let n = 10;
    const flood: MetricCollector = {
      name: 'flood',
      collect(sink) {
        for (let i = 0; i < n; i++) {
          sink.add(METRICS.interfaceReceiveBytes, ['br-int', `tap${i}`, `tap${i}`], i);
          sink.add(METRICS.interfaceMtu, ['br-int', `tap${i}`, `tap${i}`], 1500);
        }
        sink.add(METRICS.up, [], 1);
      },
    };
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (obj: { family: string }) => warnings.push(obj.family) } as unknown as typeof silentLogger;
    const registry = new PrometheusRegistry([flood], logger, { maxSeriesPerFamily: 4 });
    for (const size of [10, 20]) {
      n = size;
      const text = (await registry.render()).toString();
      expect(promtoolCheckMetrics(text)).toBe('');
      const series = parseExposition(text);
      expect(seriesOf(series, 'ovs_interface_receive_bytes_total')).toHaveLength(4);
      expect(seriesOf(series, 'ovs_interface_mtu_bytes')).toHaveLength(4);
      expect(seriesOf(series, 'ovs_up')).toHaveLength(1);
    }
    const series = parseExposition((await registry.render()).toString());
    // 6 + 16 + 16 series left out of each family over the three scrapes.
    expect(seriesOf(series, 'ovs_telemetry_exposition_series_overflow_total', { family: 'ovs_interface_receive_bytes_total' })[0].value).toBe(38);
    expect(warnings.sort()).toEqual(['ovs_interface_mtu_bytes', 'ovs_interface_receive_bytes_total']);
  });
});
