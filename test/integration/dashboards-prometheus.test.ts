/**
 * Every panel of every board against a real Prometheus: the lab (OVS 3.1 userspace datapath,
 * VM namespaces, VXLAN to a second host, sFlow to the collector) carries iperf3 traffic, the
 * collector (startCollector) serves it, and a Prometheus started here with the shipped scrape
 * config and rules scrapes it every second. Each template variable's query runs first (its
 * values must include the lab's host, project, network, port and agent), then each panel's
 * PromQL with the variables substituted: it must parse and return data, except the few panels
 * listed in NO_DATA_HERE, which must parse and return nothing (so the list stays honest).
 * The enforcer runs too (a static policy on a lab network with one port limited by "someone
 * else", and a throttle from an alert posted to its webhook as Alertmanager would), and the collector pushes OTLP to a test receiver, so
 * their panels have data. Then every recording and alert rule must evaluate cleanly.
 * compute-1 of the lab runs in the root namespace: this file takes the lab lock.
 */
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Dashboard, Panel } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Dataquery } from '@grafana/grafana-foundation-sdk/prometheus';
import { parseConfig } from '../../common/config.js';
import { silentLogger } from '../../common/log.js';
import { startCollector, type RunningCollector } from '../../cli/collect.js';
import { startEnforcer, type RunningEnforcer } from '../../cli/enforce.js';
import { compileEnforcerConfig } from '../../enforcer/policy/compile.js';
import { ENFORCER_METRICS } from '../../common/metrics-enforcer.js';
import { BOARDS, dashboards } from '../../dashboards/index.js';
import { SCRAPE_JOBS } from '../../dashboards/panels/promql.js';
import { ALERT_NAMES, ALERT_RULES_FILE, alertRules, RECORDING_RULES_FILE, recordedRate, recordingRules } from '../../dashboards/rules/index.js';
import { METRICS } from '../../common/metrics.js';
import { DATAPATH_METRICS } from '../../common/metrics-datapath.js';
import { runTraffic, type LabState } from '../../lab/index.js';
import { OtlpReceiver } from '../helpers/otlp-receiver.js';
import { freeUdpPort } from '../helpers/ovsdb-server.js';
import { startPrometheus, type Prometheus } from '../helpers/prometheus.js';
import { startTestLab, type TestLab } from '../helpers/test-lab.js';

const run = promisify(execFile);
const PREFIX = 'otg';
const DEPLOY_PROMETHEUS = new URL('../../deploy/prometheus/', import.meta.url).pathname;

/**
 * Panels whose data cannot exist in this lab, by board uid and panel title, with the reason.
 * Each must still parse, and must return nothing (a panel that starts returning data here has
 * to leave the list).
 */
const NO_DATA_HERE: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  [BOARDS.host.uid]: {
    'Datapath thread load': 'the lab\'s userspace datapath runs no PMD threads (no DPDK): its main thread reports packets but no cycle counts',
  },
  [BOARDS.flows.uid]: {
    'Series left out of /metrics': 'the cardinality guard counts only once a family passes web.max_series_per_family; the lab stays far below it',
  },
  [BOARDS.enforcer.uid]: {
    'Bandwidth alerts firing': 'no bandwidth alert fires in Prometheus: the lab\'s iperf3 flows stay far below 800 Mbit/s, and the alerts wait 2 minutes (the enforcer gets its alert straight on its webhook here)',
  },
};

const WEBHOOK_TOKEN = 'dashboards-lab-test-webhook-token';

/** What Grafana would put in for its own variables (1 s scrapes: four of them and more). */
const GRAFANA_TIME = { __rate_interval: '20s', __range: '2m', __interval: '2s' } as const;

/** A value as a PromQL regex inside a double-quoted string (Grafana escapes regex values the same way). */
const regexValue = (v: string) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&');

function substitute(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/\$(\w+)/g, (ref, name: string) => {
    if (name in GRAFANA_TIME) return GRAFANA_TIME[name as keyof typeof GRAFANA_TIME];
    if (name in values) return regexValue(values[name]);
    throw new Error(`no value for ${ref} in ${text}`);
  });
}

interface ApiResult {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType?: string; result?: { values?: unknown[]; value?: unknown }[] } | string[];
}

async function api(prom: Prometheus, path: string, params: Record<string, string>): Promise<ApiResult> {
  const res = await fetch(`${prom.url}/api/v1/${path}?${new URLSearchParams(params)}`);
  return (await res.json()) as ApiResult;
}

const panelsOf = (board: Dashboard): Panel[] => (board.panels ?? []).filter((p): p is Panel => p.type !== 'row');

describe('every panel of every board against a real Prometheus scraping the collector on the lab', () => {
  let testLab: TestLab | undefined;
  let dir: string;
  let lab: LabState;
  let collector: RunningCollector | undefined;
  let enforcer: RunningEnforcer | undefined;
  let receiver: OtlpReceiver | undefined;
  let vm: LabState['vms'][number];
  let prom: Prometheus | undefined;
  let values: Record<string, string>;

  beforeAll(async () => {
    const [sflowPort, ipfixPort, netflowPort] = [await freeUdpPort(), await freeUdpPort(), await freeUdpPort()];
    testLab = await startTestLab('dashboards', { prefix: PREFIX, sflowTarget: `127.0.0.1:${sflowPort}`, ipfixTarget: `127.0.0.1:${ipfixPort}`, netflowTarget: `127.0.0.1:${netflowPort}` });
    ({ lab, dir } = testLab);
    receiver = new OtlpReceiver();
    collector = await startCollector(parseConfig({
      web: { listen_address: '127.0.0.1:0' },
      sflow: { listen_address: `127.0.0.1:${sflowPort}` },
      ipfix: { listen_address: `127.0.0.1:${ipfixPort}` },
      netflow: { listen_address: `127.0.0.1:${netflowPort}` },
      flows: { output: { path: join(dir, 'flows.jsonl') } },
      otlp: { enabled: true, endpoint: await receiver.listenHttp(), interval_seconds: 1 },
    }, 'test'), silentLogger);
    // A VM whose network has another VM here; that neighbour's port gets a limit set by "someone
    // else" (as Neutron's own QoS would), which the enforcer reports and leaves alone.
    const local = lab.vms.filter((v) => v.host === lab.hosts[0].name);
    vm = local.find((v) => local.some((o) => o !== v && o.network_id === v.network_id))!;
    const neighbour = local.find((o) => o !== vm && o.network_id === vm.network_id)!;
    await run('ovs-vsctl', [`--db=${lab.ovsdb}`, 'set', 'Interface', neighbour.interface, 'ingress_policing_rate=100000']);
    enforcer = await startEnforcer(compileEnforcerConfig({
      state_dir: join(dir, 'enforcer'),
      web: { listen_address: '127.0.0.1:0' },
      webhook: { auth: { bearer_token: WEBHOOK_TOKEN } },
      // Limits far above the lab's traffic (and ingress policing has no effect on this kernel).
      policies: [{ name: 'lab-network', match: { network_id: vm.network_id }, limits: { egress: { max_kbps: 5_000_000 } } }],
      alerts: [{ name: 'throttle-port', alertname: ALERT_NAMES.portBandwidth, labels: { direction: 'egress' }, target: 'neutron_port_id', limits: { egress: { max_kbps: 4_000_000 } }, ttl: '1h' }],
    }, 'test'), silentLogger);
    // A meter on br-int, as the enforcer makes them, so the meter panels have a meter to show.
    await run('ovs-ofctl', ['-O', 'OpenFlow13', 'add-meter', `unix:${lab.rundir}/br-int.mgmt`, 'meter=1,kbps,band=type=drop,rate=1000000']);

    // The shipped scrape config and rules; scraping and evaluating every second.
    const config = parse(readFileSync(join(DEPLOY_PROMETHEUS, 'prometheus.yml'), 'utf8')) as {
      global: Record<string, string>; rule_files: string[]; alerting?: unknown;
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    config.global = { scrape_interval: '1s', evaluation_interval: '1s' };
    config.rule_files = [RECORDING_RULES_FILE, ALERT_RULES_FILE].map((f) => join(DEPLOY_PROMETHEUS, 'rules', f));
    delete config.alerting;
    const targets: Record<string, string> = { [SCRAPE_JOBS.collector]: new URL(collector.url).host, [SCRAPE_JOBS.enforcer]: new URL(enforcer.url).host };
    for (const job of config.scrape_configs) job.static_configs = [{ targets: [targets[job.job_name]] }];
    prom = await startPrometheus(stringify(config));
    // Prometheus hands targets to its scrapers every 5 s: the traffic waits for a first scrape.
    await waitFor(async () => (await prom!.query(`up{job="${SCRAPE_JOBS.collector}"} == 1`)).length > 0, 20_000, 'the first scrape of the collector');
    // The datapath poller's first round ran before OVSDB was in sync (no bridges yet); its next
    // one (10 s later) reads the bridges' OpenFlow statistics.
    await waitFor(async () => (await prom!.query(`${DATAPATH_METRICS.pollSuccess.name}{source="openflow"}`)).length > 0, 30_000, 'an OpenFlow poll in Prometheus');
    // One datagram that is not sFlow: the decode-error panel gets its series.
    await sendUdp(sflowPort, Buffer.from('not an sFlow datagram'));
    await sendUdp(ipfixPort, Buffer.from('not an IPFIX message'));
    // A bandwidth alert for the VM's port, as Alertmanager posts it: the enforcer throttles the port.
    await postAlert(enforcer.url, { alertname: ALERT_NAMES.portBandwidth, direction: 'egress', host: '127.0.0.1', interface: vm.interface, neutron_port_id: vm.neutron_port_id, network_id: vm.network_id, project_id: vm.project_id, severity: 'warning' });

    await runTraffic(lab, { seconds: 3 });
    // Sampled traffic and the datapath poller's second poll are in Prometheus.
    await waitFor(async () => (await prom!.query(`sum(rate(${METRICS.flowTopTalkerBytes.name}[20s])) > 0`)).length > 0, 30_000, 'sampled traffic in Prometheus');
    await waitFor(async () => (await prom!.query(METRICS.sflowDecodeErrors.name)).length > 0, 10_000, 'the decode error in Prometheus');
    await waitFor(async () => (await prom!.query(METRICS.ipfixDecodeErrors.name)).length > 0, 10_000, 'the IPFIX decode error in Prometheus');
    await waitFor(async () => (await prom!.query(`sum(rate(${METRICS.ipfixMessages.name}[20s])) > 0`)).length > 0, 30_000, 'IPFIX and NetFlow messages in Prometheus');

    await waitFor(async () => (await prom!.query(`${ENFORCER_METRICS.policiesActive.name}{source="alert"} == 1`)).length > 0, 10_000, 'the throttle in Prometheus');
    values = { host: '127.0.0.1', project: vm.project_id, network: vm.network_id, interface: vm.interface, agent: '127.0.0.1', source: 'sflow' };
  }, 300_000);

  afterAll(async () => {
    await prom?.stop();
    await enforcer?.stop();
    await collector?.stop();
    await receiver?.close();
    await testLab?.stop();
  }, 120_000);

  const boards = dashboards();

  it.each(boards.map((b) => [b.title, b] as const))('%s: every variable query returns the lab\'s values', async (_title, board) => {
    for (const variable of board.templating.list ?? []) {
      if (variable.type !== 'query') continue;
      const m = /^label_values\((.+), (\w+)\)$/.exec(String(variable.query));
      expect(m, String(variable.query)).not.toBeNull();
      const res = await api(prom!, `label/${m![2]}/values`, { 'match[]': substitute(m![1], values) });
      expect(res.status, res.error).toBe('success');
      expect(res.data, `${variable.name}: ${variable.query}`).toContain(values[variable.name]);
    }
  });

  it.each(boards.map((b) => [b.title, b] as const))('%s: every panel query parses and returns data (but the listed ones)', async (_title, board) => {
    const noData = NO_DATA_HERE[board.uid ?? ''] ?? {};
    const problems: string[] = [];
    const end = Date.now() / 1000;
    for (const panel of panelsOf(board)) {
      for (const target of (panel.targets ?? []) as Dataquery[]) {
        const expr = substitute(target.expr, values);
        const res = target.instant
          ? await api(prom!, 'query', { query: expr })
          : await api(prom!, 'query_range', { query: expr, start: String(end - 60), end: String(end), step: '2' });
        const result = res.data && !Array.isArray(res.data) ? res.data.result ?? [] : [];
        const where = `"${panel.title}" ${target.refId}: ${expr}`;
        if (res.status !== 'success') problems.push(`${where}: ${res.error}`);
        else if ((panel.title ?? '') in noData) {
          if (result.length > 0) problems.push(`${where}: returns data, remove it from NO_DATA_HERE`);
        } else if (result.length === 0) problems.push(`${where}: no data`);
      }
    }
    for (const annotation of board.annotations.list ?? []) {
      const res = await api(prom!, 'query', { query: substitute(annotation.expr ?? '', values) });
      if (res.status !== 'success') problems.push(`annotation ${annotation.name}: ${res.error}`);
    }
    const titles = new Set(panelsOf(board).map((p) => p.title));
    for (const title of Object.keys(noData)) if (!titles.has(title)) problems.push(`NO_DATA_HERE names "${title}", not a panel of ${board.uid}`);
    expect(problems).toEqual([]);
  }, 60_000);

  it('every recording and alert rule evaluates cleanly in Prometheus, and the recorded rates carry the lab\'s tenancy', async () => {
    type Rules = { groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] };
    const expected = [...recordingRules(), ...alertRules()];
    const rules = await waitFor(async () => {
      const res = await fetch(`${prom!.url}/api/v1/rules`);
      const body = (await res.json()) as { data: Rules };
      const all = body.data.groups.flatMap((g) => g.rules);
      return all.length > 0 && all.every((r) => r.health !== 'unknown') ? body.data : undefined;
    }, 10_000, 'every rule evaluated once');
    expect(rules.groups.map((g) => g.name).sort()).toEqual(expected.map((g) => g.name).sort());
    const unhealthy = rules.groups.flatMap((g) => g.rules).filter((r) => r.health !== 'ok' || r.lastError).map((r) => `${r.name}: ${r.health} ${r.lastError}`);
    expect(unhealthy).toEqual([]);
    expect(rules.groups.flatMap((g) => g.rules)).toHaveLength(expected.reduce((n, g) => n + g.rules.length, 0));
    for (const rule of alertRules().flatMap((g) => g.rules)) await prom!.query(rule.expr);

    const [port] = await prom!.query(`${recordedRate('port', METRICS.interfaceReceiveBytes)}{interface="${vm.interface}"}`);
    expect(port.metric).toMatchObject({ host: '127.0.0.1', neutron_port_id: vm.neutron_port_id, network_id: vm.network_id, project_id: vm.project_id });
    const network = await prom!.query(`${recordedRate('network', METRICS.networkReceiveBytes)}{network_id="${vm.network_id}"}`);
    expect(network.map((s) => s.metric.project_id)).toEqual([vm.project_id]);
  });
});

async function sendUdp(port: number, payload: Buffer): Promise<void> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => socket.send(payload, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  socket.close();
}

/** POSTs one firing alert to the enforcer's webhook (Alertmanager webhook payload v4). */
async function postAlert(enforcerUrl: string, labels: Record<string, string>): Promise<void> {
  const payload = {
    version: '4', status: 'firing', receiver: 'enforcer', groupKey: '{}', truncatedAlerts: 0,
    alerts: [{ status: 'firing', labels, startsAt: new Date().toISOString(), fingerprint: 'dashboards-lab-test' }],
  };
  const res = await fetch(`${enforcerUrl}/alertmanager`, { method: 'POST', headers: { authorization: `Bearer ${WEBHOOK_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(payload) });
  if (!res.ok) throw new Error(`POST /alertmanager: HTTP ${res.status} ${await res.text()}`);
}

async function waitFor<T>(check: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await check();
    if (got !== undefined && got !== false) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
