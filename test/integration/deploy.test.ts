/**
 * deploy/ with the real tools: promtool checks the Prometheus configs and checks and unit-tests
 * the rules; amtool checks the Alertmanager config, and a real Alertmanager delivers a bandwidth
 * alert to the enforcer webhook of the host that owns the port with that host's credentials;
 * systemd-analyze verifies the units (and rates their hardening); the example configs load;
 * and the scale-out example runs: a Prometheus agent scrapes a real collector and remote-writes
 * to a real VictoriaMetrics, where a query returns the collector's series.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig, parseConfig } from '../../common/config.js';
import { silentLogger } from '../../common/log.js';
import { startCollector, type RunningCollector } from '../../cli/collect.js';
import { loadMappingFile } from '../../collector/tenancy/mapping-file.js';
import { SCRAPE_JOBS } from '../../dashboards/panels/promql.js';
import { ALERT_RULES_FILE, alertRules, ENFORCER_ALERTS, RECORDING_RULES_FILE } from '../../dashboards/rules/index.js';
import { loadEnforcerConfig } from '../../enforcer/policy/compile.js';
import { startAlertmanager, startPrometheusAgent, startVictoriaMetrics, type Alertmanager, type Server, type VictoriaMetrics } from '../helpers/metrics-stores.js';
import { startOvsdbServer, type OvsdbServer } from '../helpers/ovsdb-server.js';

const run = promisify(execFile);
const DEPLOY = new URL('../../deploy/', import.meta.url).pathname;
const deployPath = (p: string) => join(DEPLOY, p);
const readYaml = <T>(p: string): T => parse(readFileSync(deployPath(p), 'utf8')) as T;

async function tool(cmd: string, args: string[], cwd = DEPLOY): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await run(cmd, args, { cwd });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, out: err.stdout ?? '', err: err.stderr ?? '' };
  }
}

async function waitFor<T>(what: string | (() => string), check: () => T | undefined | Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await check();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface ScrapeConfig {
  job_name: string;
  static_configs: { targets: string[] }[];
  relabel_configs: { source_labels: string[]; regex: string; target_label: string }[];
}

describe('Prometheus configs and rules (promtool)', () => {
  it('promtool check config passes on the server config (with its two rule files) and the agent config', async () => {
    const server = await tool('promtool', ['check', 'config', 'prometheus/prometheus.yml']);
    expect(server.code, server.out + server.err).toBe(0);
    expect(server.out).toContain('SUCCESS: 2 rule files found');
    expect(server.out + server.err).not.toMatch(/WARNING|FAILED/);
    const agent = await tool('promtool', ['check', 'config', '--agent', 'prometheus/agent.yml']);
    expect(agent.code, agent.out + agent.err).toBe(0);
  });

  it('promtool check rules and promtool test rules pass', async () => {
    const check = await tool('promtool', ['check', 'rules', `prometheus/rules/${RECORDING_RULES_FILE}`, `prometheus/rules/${ALERT_RULES_FILE}`]);
    expect(check.code, check.out + check.err).toBe(0);
    expect(check.out).toContain(`SUCCESS: ${alertRules().flatMap((g) => g.rules).length} rules found`);
    const test = await tool('promtool', ['test', 'rules', 'tests/ovs-telemetry.test.yml'], deployPath('prometheus'));
    expect(test.code, test.out + test.err).toBe(0);
    expect(test.out).toContain('SUCCESS');
  });

  it('the scrape jobs are the ones rules and boards select on, each setting `host` from the target', () => {
    const config = readYaml<{ rule_files: string[]; scrape_configs: ScrapeConfig[] }>('prometheus/prometheus.yml');
    expect(config.rule_files).toEqual([`rules/${RECORDING_RULES_FILE}`, `rules/${ALERT_RULES_FILE}`]);
    expect(config.scrape_configs.map((s) => s.job_name)).toEqual([SCRAPE_JOBS.collector, SCRAPE_JOBS.enforcer]);
    for (const job of config.scrape_configs) {
      expect(job.relabel_configs).toEqual([{ source_labels: ['__address__'], regex: '(.+):\\d+', target_label: 'host' }]);
      expect(job.static_configs[0].targets.every((t) => t.endsWith(job.job_name === SCRAPE_JOBS.collector ? ':9477' : ':9478'))).toBe(true);
    }
  });
});

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: { version: string; status: string; receiver: string; alerts: { status: string; labels: Record<string, string> }[] };
}

/** A stand-in for one host's enforcer webhook: records what Alertmanager posts. */
async function fakeEnforcer(): Promise<{ server: HttpServer; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(body) as Received['body'] });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alertmanager`, received };
}

interface WebhookReceiver {
  name: string;
  webhook_configs?: { url: string; send_resolved: boolean; http_config: Record<string, Record<string, string> | undefined> }[];
}

interface AlertmanagerConfig {
  route: { group_wait: string; routes: { matchers: string[]; group_wait?: string; group_interval?: string; routes?: { matchers: string[]; receiver: string }[] }[] };
  receivers: WebhookReceiver[];
}

describe('Alertmanager routes bandwidth alerts to the owning host\'s enforcer', () => {
  const am = (args: string[]) => tool('amtool', args, deployPath('alertmanager'));

  it('amtool check-config passes; the routing tree sends each host\'s bandwidth alerts to its enforcer and everything to the operators', async () => {
    const check = await am(['check-config', 'alertmanager.yml']);
    expect(check.code, check.out + check.err).toBe(0);
    expect(check.out).toContain('SUCCESS');
    const route = async (...labels: string[]) => (await am(['config', 'routes', 'test', '--config.file=alertmanager.yml', ...labels])).out.trim();
    expect(await route('alertname=OvsPortBandwidthHigh', 'host=compute-1.example.net', 'neutron_port_id=p1')).toBe('enforcer-compute-1,operators');
    expect(await route('alertname=OvsNetworkBandwidthHigh', 'host=compute-2.example.net', 'network_id=n1')).toBe('enforcer-compute-2,operators');
    expect(await route('alertname=OvsDown', 'host=compute-1.example.net')).toBe('operators');
    // The enforcer route matches exactly the alerts the enforcer acts on.
    const config = readYaml<AlertmanagerConfig>('alertmanager/alertmanager.yml');
    expect(config.route.routes[0].matchers).toEqual([`alertname=~"${ENFORCER_ALERTS.join('|')}"`]);
  });

  describe('a real Alertmanager', () => {
    let dir: string;
    let alertmanager: Alertmanager | undefined;
    const enforcers: Awaited<ReturnType<typeof fakeEnforcer>>[] = [];
    const token = 'c2VjcmV0LXRva2VuLWZvci10ZXN0cw';
    const password = 'basic-auth-password';

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'otl-alertmanager-'));
      enforcers.push(await fakeEnforcer(), await fakeEnforcer());
      writeFileSync(join(dir, 'token'), token);
      writeFileSync(join(dir, 'password'), password);
      // The shipped config, pointed at the stand-ins (plain HTTP here) and with short group waits.
      const config = readYaml<AlertmanagerConfig>('alertmanager/alertmanager.yml');
      config.route.group_wait = '1s';
      Object.assign(config.route.routes[0], { group_wait: '1s', group_interval: '1s' });
      const [c1, c2] = ['enforcer-compute-1', 'enforcer-compute-2'].map((name) => config.receivers.find((r) => r.name === name)!.webhook_configs![0]);
      c1.url = enforcers[0].url;
      c1.http_config.authorization!.credentials_file = join(dir, 'token');
      c2.url = enforcers[1].url;
      c2.http_config.basic_auth!.password_file = join(dir, 'password');
      delete c2.http_config.tls_config;
      alertmanager = await startAlertmanager(config);
    }, 60_000);

    afterAll(async () => {
      await alertmanager?.stop();
      for (const e of enforcers) await new Promise((r) => e.server.close(r));
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const portAlert = {
      alertname: 'OvsPortBandwidthHigh', severity: 'warning', direction: 'egress', host: 'compute-1.example.net',
      interface: 'tap1', neutron_port_id: 'port-1', network_id: 'net-1', project_id: 'proj-1',
    };

    it('delivers each alert to its host\'s enforcer only, with bearer or basic auth, payload v4, then the resolution', async () => {
      const networkAlert = { alertname: 'OvsNetworkBandwidthHigh', severity: 'warning', direction: 'ingress', host: 'compute-2.example.net', network_id: 'net-2', project_id: 'proj-2' };
      await alertmanager!.postAlerts([
        { labels: portAlert, annotations: { summary: 'Port tap1 sent 1Gbit/s' } },
        { labels: networkAlert },
        { labels: { alertname: 'OvsPortDropping', severity: 'warning', host: 'compute-1.example.net', interface: 'tap1' } },
      ]);
      const [first, second] = await waitFor(() => `both enforcers notified (alertmanager: ${alertmanager!.stderr()})`, () => (enforcers.every((e) => e.received.length > 0) ? enforcers.map((e) => e.received[0]) : undefined), 15_000);
      expect(first.path).toBe('/alertmanager');
      expect(first.headers.authorization).toBe(`Bearer ${token}`);
      expect(first.body).toMatchObject({ version: '4', status: 'firing', receiver: 'enforcer-compute-1' });
      expect(first.body.alerts.map((a) => a.labels)).toEqual([portAlert]);
      expect(second.headers.authorization).toBe(`Basic ${Buffer.from(`alertmanager:${password}`).toString('base64')}`);
      expect(second.body.alerts.map((a) => a.labels)).toEqual([networkAlert]);

      await alertmanager!.postAlerts([{ labels: portAlert, endsAt: new Date(Date.now() - 1000).toISOString() }]);
      const resolved = await waitFor('the resolution', () => enforcers[0].received.find((r) => r.body.status === 'resolved'), 15_000);
      expect(resolved.body.alerts).toEqual([expect.objectContaining({ status: 'resolved', labels: portAlert })]);
      // OvsPortDropping is not an enforcer alert; compute-2 never saw compute-1's alerts.
      const all = enforcers.flatMap((e) => e.received.flatMap((r) => r.body.alerts.map((a) => a.labels.alertname)));
      expect(all).not.toContain('OvsPortDropping');
      expect(enforcers[1].received.flatMap((r) => r.body.alerts.map((a) => a.labels.host))).toEqual(['compute-2.example.net']);
    }, 40_000);
  });
});

describe('systemd units', () => {
  const UNITS = ['ovs-telemetry-collector.service', 'ovs-telemetry-enforcer.service'];
  let root: string;

  beforeAll(() => {
    // A root with the system's units (the targets ours refer to), a stand-in /usr/bin/ovs-telemetry
    // (verify checks ExecStart is executable) and our units.
    root = mkdtempSync(join(tmpdir(), 'otl-systemd-'));
    mkdirSync(join(root, 'usr/lib/systemd'), { recursive: true });
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    mkdirSync(join(root, 'etc/systemd/system'), { recursive: true });
    symlinkSync('usr/lib', join(root, 'lib'));
    cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true });
    writeFileSync(join(root, 'usr/bin/ovs-telemetry'), '#!/bin/sh\n', { mode: 0o755 });
    for (const unit of UNITS) cpSync(deployPath(`systemd/${unit}`), join(root, 'etc/systemd/system', unit));
  });

  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('systemd-analyze verify passes with no warnings', async () => {
    const verify = await tool('systemd-analyze', ['verify', `--root=${root}`, ...UNITS]);
    expect(verify.code, verify.err).toBe(0);
    expect(verify.err + verify.out).toBe('');
  });

  it.each(UNITS)('%s runs the right command with no capabilities on a read-only system (exposure at most 2.5)', async (unit) => {
    const text = readFileSync(deployPath(`systemd/${unit}`), 'utf8');
    expect(text).toMatch(unit.includes('collector')
      ? /^ExecStart=\/usr\/bin\/ovs-telemetry collect --config \/etc\/ovs-telemetry\/collector\.yml$/m
      : /^ExecStart=\/usr\/bin\/ovs-telemetry enforce --config \/etc\/ovs-telemetry\/enforcer\.yml$/m);
    for (const line of ['CapabilityBoundingSet=', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'PrivateDevices=yes']) expect(text).toMatch(new RegExp(`^${line}$`, 'm'));
    const security = await tool('systemd-analyze', ['security', '--offline=yes', `--root=${root}`, unit]);
    const exposure = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(security.out)?.[1]);
    expect(exposure, security.out.slice(-500)).toBeLessThanOrEqual(2.5);
  });
});

describe('example configs', () => {
  it('the collector, tenancy and enforcer examples load with their schemas', () => {
    const collector = loadConfig(deployPath('examples/collector.yml'));
    expect(collector.tenancy.mapping_file).toBe('/etc/ovs-telemetry/tenancy.yml');
    expect(loadMappingFile(deployPath('examples/tenancy.yml')).networks.size).toBeGreaterThan(0);
    const enforcer = loadEnforcerConfig(deployPath('examples/enforcer.yml'));
    expect(enforcer.config.web.listen_address).toBe('127.0.0.1:9478');
  });

  it('the enforcer example maps the shipped bandwidth alerts by labels those alerts carry', () => {
    const rules = alertRules().flatMap((g) => g.rules);
    const { alerts } = loadEnforcerConfig(deployPath('examples/enforcer.yml'));
    expect(alerts.length).toBeGreaterThan(0);
    for (const mapping of alerts) {
      expect(ENFORCER_ALERTS).toContain(mapping.alertname);
      const matching = rules.filter((r) => r.alert === mapping.alertname && [...mapping.labels].every(([k, v]) => r.labels[k] === v));
      expect(matching.length, mapping.name).toBeGreaterThan(0);
      // The target label comes from the series the alert is built on (port or network series).
      const level = mapping.alertname === 'OvsPortBandwidthHigh' ? 'port:' : 'network:';
      expect(matching.every((r) => r.expr.startsWith(level)), mapping.name).toBe(true);
    }
  });
});

describe('scale-out: a Prometheus agent remote-writes the collector\'s series to VictoriaMetrics', () => {
  let db: OvsdbServer | undefined;
  let collector: RunningCollector | undefined;
  let victoria: VictoriaMetrics | undefined;
  let agent: Server | undefined;
  const port = 'tapdeploy0';

  beforeAll(async () => {
    db = await startOvsdbServer();
    await db.vsctl('add-br', 'br-int', '--', 'add-port', 'br-int', port, '--', 'set', 'Interface', port, 'external_ids:iface-id=deploy-port-1', 'statistics:rx_bytes=4242');
    collector = await startCollector(parseConfig({ ovsdb: { endpoint: db.unixEndpoint }, web: { listen_address: '127.0.0.1:0' }, sflow: { enabled: false }, ipfix: { enabled: false }, netflow: { enabled: false } }, 'test'), silentLogger);
    victoria = await startVictoriaMetrics();
    // The shipped agent config, pointed at this collector and this VictoriaMetrics, scraping every second.
    const config = readYaml<{ global: { scrape_interval: string }; scrape_configs: ScrapeConfig[]; remote_write: { url: string; queue_config: Record<string, unknown> }[] }>('prometheus/agent.yml');
    config.global.scrape_interval = '1s';
    config.scrape_configs[0].static_configs = [{ targets: [new URL(collector.url).host] }];
    config.remote_write[0].url = victoria.writeUrl;
    config.remote_write[0].queue_config.batch_send_deadline = '1s';
    agent = await startPrometheusAgent(config);
  }, 60_000);

  afterAll(async () => {
    await agent?.stop();
    await victoria?.stop();
    await collector?.stop();
    await db?.stop();
  });

  it('a query on VictoriaMetrics returns the collector\'s series with the agent\'s and the host labels', async () => {
    const series = await waitFor('the interface series in VictoriaMetrics', async () => {
      const result = await victoria!.query(`ovs_interface_receive_bytes_total{interface="${port}"}`);
      return result.length > 0 ? result : undefined;
    }, 30_000);
    expect(series).toHaveLength(1);
    expect(series[0].metric).toMatchObject({ job: SCRAPE_JOBS.collector, host: '127.0.0.1', agent: 'agent-rack-1', bridge: 'br-int', interface: port });
    expect(Number(series[0].value[1])).toBe(4242);
    const [up] = await victoria!.query('ovs_up');
    expect(Number(up.value[1])).toBe(1);
    const [info] = await victoria!.query(`ovs_interface_info{interface="${port}"}`);
    expect(info.metric.neutron_port_id).toBe('deploy-port-1');
  }, 40_000);
});
