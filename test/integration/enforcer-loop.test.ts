/**
 * The whole loop with real components: iperf3 traffic between two VM namespaces on a real OVS →
 * the collector's /metrics → Prometheus (a bandwidth rule like the shipped OvsPortBandwidthHigh,
 * with a test threshold) → Alertmanager (webhook with bearer auth, send_resolved) → the enforcer,
 * which throttles the receiving port with linux-htb; when the traffic stops the alert resolves
 * and the enforcer restores the port.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../common/config.js';
import { silentLogger } from '../../common/log.js';
import { startCollector, type RunningCollector } from '../../cli/collect.js';
import { startEnforcer, type RunningEnforcer } from '../../cli/enforce.js';
import { loadEnforcerConfig } from '../../enforcer/policy/compile.js';
import { startAlertmanager, type Alertmanager } from '../helpers/metrics-stores.js';
import { startPrometheus, type Prometheus } from '../helpers/prometheus.js';
import { NETWORK, PROJECT, startOvsSandbox, waitUntil, type OvsSandbox } from './enforcer-sandbox.js';

const TOKEN = 'loop-test-token-0123456789';
const runIn = (netns: string, cmd: readonly string[]) => promisify(execFile)('ip', ['netns', 'exec', netns, ...cmd]);
/** A command in a namespace, in its own process group (killed as a whole). */
const spawnIn = (netns: string, cmd: readonly string[]): ChildProcess => spawn('ip', ['netns', 'exec', netns, ...cmd], { detached: true, stdio: 'ignore' });
const kill = (p: ChildProcess): void => {
  try {
    if (p.pid !== undefined && p.exitCode === null) process.kill(-p.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
};
/** Test threshold: far below the shipped 800 Mbit/s, far above the throttle. */
const ALERT_BPS = 50_000_000;
const THROTTLE_KBPS = 10_000;

describe('Prometheus → Alertmanager → enforcer, on real traffic', () => {
  let sb: OvsSandbox;
  let dir: string;
  let collector: RunningCollector;
  let enforcer: RunningEnforcer;
  let prometheus: Prometheus;
  let alertmanager: Alertmanager;

  beforeAll(async () => {
    sb = await startOvsSandbox(2);
    dir = mkdtempSync(join(tmpdir(), 'enf-loop-'));
    writeFileSync(join(dir, 'tenancy.yml'), `networks:\n  - { id: ${NETWORK}, project_id: ${PROJECT} }\n`);
    writeFileSync(join(dir, 'token'), TOKEN);
    collector = await startCollector(parseConfig({
      ovsdb: { endpoint: sb.ovs.ovsdb.unixEndpoint }, tenancy: { mapping_file: join(dir, 'tenancy.yml') },
      web: { listen_address: '127.0.0.1:0' }, sflow: { enabled: false }, ipfix: { enabled: false }, netflow: { enabled: false }, datapath: { enabled: false },
    }, 'test'), silentLogger);
    writeFileSync(join(dir, 'enforcer.yml'), `
ovsdb: { endpoint: "${sb.ovs.ovsdb.unixEndpoint}" }
openflow: { rundir: "${sb.ovs.dir}" }
tenancy: { mapping_file: "${join(dir, 'tenancy.yml')}" }
state_dir: "${dir}"
web: { listen_address: "127.0.0.1:0" }
webhook: { auth: { bearer_token_file: "${join(dir, 'token')}" } }
alerts:
  - name: throttle-port-ingress
    alertname: OvsPortBandwidthHigh
    labels: { direction: ingress }
    target: neutron_port_id
    limits: { ingress: { max_kbps: ${THROTTLE_KBPS} } }
    ttl: 10m
`);
    enforcer = await startEnforcer(loadEnforcerConfig(join(dir, 'enforcer.yml')), silentLogger);
    alertmanager = await startAlertmanager({
      route: { receiver: 'enforcer', group_by: ['alertname', 'neutron_port_id', 'direction'], group_wait: '1s', group_interval: '1s', repeat_interval: '1h' },
      receivers: [{ name: 'enforcer', webhook_configs: [{ url: `${enforcer.url}/alertmanager`, send_resolved: true, http_config: { authorization: { type: 'Bearer', credentials_file: join(dir, 'token') } } }] }],
    });
    // Bytes OVS sends to the VM are the VM's ingress, as in the shipped rule; tenancy joined from ovs_interface_info.
    writeFileSync(join(dir, 'rules.yml'), `
groups:
  - name: loop
    interval: 1s
    rules:
      - alert: OvsPortBandwidthHigh
        expr: (rate(ovs_interface_transmit_bytes_total[10s]) * 8 > ${ALERT_BPS}) * on (bridge, port, interface) group_left (neutron_port_id, network_id, project_id) ovs_interface_info
        labels: { direction: ingress }
`);
    prometheus = await startPrometheus(`
global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: ["${join(dir, 'rules.yml')}"]
alerting: { alertmanagers: [{ static_configs: [{ targets: ["${alertmanager.url.replace('http://', '')}"] }] }] }
scrape_configs:
  - job_name: collector
    static_configs: [{ targets: ["${collector.url.replace('http://', '')}"] }]
`);
  }, 120_000);

  afterAll(async () => {
    await prometheus?.stop();
    await alertmanager?.stop();
    await enforcer?.stop();
    await collector?.stop();
    await sb?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a port receiving above the threshold is throttled by linux-htb; when the traffic ends it is restored', async () => {
    const [sender, receiver] = sb.vms;
    const qosOfReceiver = async () => String((await sb.list('port', receiver.port, ['qos']))[0].qos);
    // One server for the flood, one for the measurement (a killed client can leave a server busy).
    const servers = [5401, 5402].map((port) => spawnIn(receiver.netns, ['iperf3', '-s', '-p', String(port)]));
    try {
      await new Promise((r) => setTimeout(r, 300));
      // Unlimited TCP until the throttle: long enough for stats (every 5 s), rate[10s], the rule,
      // Alertmanager and the enforcer.
      const started = Date.now();
      const flood = spawnIn(sender.netns, ['iperf3', '-c', receiver.ip, '-p', '5401', '-t', '60']);
      await waitUntil('the throttle', async () => (await qosOfReceiver()) !== '', 45_000);
      const throttledAfter = Date.now() - started;
      kill(flood);
      const [qos] = await sb.list('qos', await qosOfReceiver());
      const [queue] = await sb.list('queue', (qos.queues as Record<string, string>)['0']);
      expect(queue.other_config).toEqual({ 'max-rate': String(THROTTLE_KBPS * 1000), burst: String(THROTTLE_KBPS * 800) });
      expect(enforcer.actions.active()[0]).toMatchObject({
        mapping: 'throttle-port-ingress', targetLabel: 'neutron_port_id', targetValue: receiver.portId, source: expect.stringContaining('alertmanager receiver=enforcer'),
      });
      // While throttled, the same stream gets the throttle's rate (the alert stays until rate[10s] falls).
      const { stdout } = await runIn(sender.netns, ['iperf3', '-c', receiver.ip, '-p', '5402', '-t', '4', '-O', '1', '-J']);
      const throttledBps = (JSON.parse(stdout) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received.bits_per_second;
      expect(await qosOfReceiver()).not.toBe('');
      expect(throttledBps).toBeLessThan(THROTTLE_KBPS * 1000 * 1.2);
      expect(throttledBps).toBeGreaterThan(THROTTLE_KBPS * 1000 * 0.8);
      // Traffic over: the rate falls, the alert resolves, Alertmanager says so, the port is restored.
      await waitUntil('the restore', async () => (await qosOfReceiver()) === '', 40_000);
      expect(enforcer.actions.active()).toEqual([]);
      const audit = readFileSync(join(dir, 'enforcer-audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(audit.filter((e) => ['throttle', 'restore'].includes(String(e.action))).map((e) => [e.action, e.result])).toEqual([['throttle', 'ok'], ['restore', 'ok']]);
      console.log(`loop: throttled ${throttledAfter} ms after the flood started; ${(throttledBps / 1e6).toFixed(1)} Mbit/s under the throttle; restored ${Date.now() - started} ms after the start`);
    } finally {
      servers.forEach(kill);
    }
  }, 120_000);
});
