/**
 * The enforcer against a standalone ovsdb-server (no ovs-vswitchd, so OVSDB mechanisms only:
 * ingress policing and linux-htb QoS/Queue) holding 1,000 Neutron-style VM ports:
 *  - the reconcile that applies a project policy to all 1,000 ports (2,000 changes, goal < 2 s),
 *    and a steady-state reconcile with nothing to change;
 *  - webhook-to-OVSDB-commit latency: from sending an Alertmanager notification (firing, then
 *    resolved) to a second OVSDB client seeing the port's new limit (goal p99 < 50 ms), and the
 *    webhook's own response time (it answers once its reconcile is done and the state file is
 *    written and fsynced, which happens meanwhile). Each notification reconciles the one port
 *    its alert names; the OVSDB change then brings a full reconcile of all 1,000 ports, which
 *    runs between the notifications as it would in production. Measured after a warm-up.
 * The enforcer is the one `ovs-telemetry enforce` runs (startEnforcer), in this process.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { silentLogger } from '../common/log.js';
import { OvsdbClient } from '../collector/ovsdb/client.js';
import { getInt, getString } from '../collector/ovsdb/row.js';
import type { TransactOperation } from '../collector/ovsdb/transact.js';
import type { Json } from '../collector/ovsdb/json.js';
import { startEnforcer } from '../cli/enforce.js';
import { loadEnforcerConfig } from '../enforcer/policy/compile.js';
import { startOvsdbServer } from '../test/helpers/ovsdb-server.js';
import type { BenchResult } from './run.js';

const PORTS = 1000;
const ALERTS = 200;
const WARMUP = 50;
const PROJECT = 'bench-project';
const NETWORK = 'bench-network';
const TOKEN = 'bench-webhook-token-0123456789';

const percentile = (xs: readonly number[], p: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const round = (x: number, digits = 1): number => Number(x.toFixed(digits));
const portId = (i: number): string => `${i.toString(16).padStart(8, '0')}-0000-4000-8000-00000000b0b0`;

/** br-int with PORTS VM ports as os-vif and the agent leave them (iface-id, attached-mac, net_uuid). */
async function populate(client: OvsdbClient): Promise<void> {
  const ops: TransactOperation[] = [{ op: 'insert', table: 'Bridge', row: { name: 'br-int', datapath_type: 'netdev' }, 'uuid-name': 'br' }];
  const ports: Json[] = [];
  for (let i = 0; i < PORTS; i++) {
    const name = `tap${portId(i).slice(0, 11)}`;
    const mac = `fa:16:3e:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
    ops.push(
      { op: 'insert', table: 'Interface', 'uuid-name': `i${i}`, row: { name, ofport: i + 2, external_ids: ['map', [['iface-id', portId(i)], ['attached-mac', mac], ['iface-status', 'active']]] } },
      { op: 'insert', table: 'Port', 'uuid-name': `p${i}`, row: { name, interfaces: ['named-uuid', `i${i}`], tag: 1, other_config: ['map', [['net_uuid', NETWORK]]] } },
    );
    ports.push(['named-uuid', `p${i}`]);
  }
  ops.push({ op: 'mutate', table: 'Bridge', where: [['name', '==', 'br-int']], mutations: [['ports', 'insert', ['set', ports]]] });
  ops.push({ op: 'insert', table: 'Open_vSwitch', row: { bridges: ['named-uuid', 'br'], ovs_version: '3.1.0' } });
  await client.transact('Open_vSwitch', ops);
}

export async function benchEnforcer(): Promise<BenchResult> {
  const server = await startOvsdbServer();
  const dir = mkdtempSync(join(tmpdir(), 'enf-bench-'));
  const observer = new OvsdbClient({ endpoint: server.unixEndpoint, logger: silentLogger });
  const replica = observer.monitor('Open_vSwitch', { Interface: { columns: ['name', 'ingress_policing_rate'] } });
  observer.start();
  let enforcer: Awaited<ReturnType<typeof startEnforcer>> | undefined;
  try {
    await populate(observer);
    writeFileSync(join(dir, 'tenancy.yml'), `networks:\n  - { id: ${NETWORK}, project_id: ${PROJECT} }\n`);
    const file = join(dir, 'enforcer.yml');
    writeFileSync(file, `
ovsdb: { endpoint: "${server.unixEndpoint}" }
openflow: { rundir: "${server.dir}" }
tenancy: { mapping_file: "${join(dir, 'tenancy.yml')}" }
state_dir: "${dir}"
web: { listen_address: "127.0.0.1:0" }
safety: { max_changes_per_minute: 100000 }
webhook: { auth: { bearer_token: "${TOKEN}" } }
policies:
  - name: project-default
    match: { project_id: ${PROJECT} }
    limits: { egress: { max_kbps: 10000 }, ingress: { max_kbps: 20000 } }
alerts:
  - name: throttle-port
    alertname: OvsPortBandwidthHigh
    target: neutron_port_id
    limits: { egress: { max_kbps: 5000 } }
    ttl: 1h
`);
    // Start, sync, then the first reconcile, which applies the policy to every port.
    const start = performance.now();
    enforcer = await startEnforcer(loadEnforcerConfig(file), silentLogger);
    let first = await enforcer.reconciler.trigger();
    while (!first.ready || first.applied === 0) first = await enforcer.reconciler.trigger(20);
    const startToAppliedMs = performance.now() - start;
    // Runs never overlap and the next one waits for a timer: the gauge still holds this run's duration.
    let firstMs = NaN;
    enforcer.metrics.collect({ add: (spec, _labels, value) => { if (spec.name === 'ovs_enforcer_reconcile_duration_seconds') firstMs = value * 1000; } });

    const rateOf = (name: string): number | null => {
      for (const row of replica.table('Interface').values()) if (getString(row, 'name') === name) return getInt(row, 'ingress_policing_rate');
      return null;
    };
    /** Resolves with the moment the observer's replica shows the port at `rate`. */
    const waitRate = (name: string, rate: number): Promise<number> => new Promise((resolve) => {
      const onChange = (): void => {
        if (rateOf(name) !== rate) return;
        replica.off('change', onChange);
        resolve(performance.now());
      };
      replica.on('change', onChange);
    });
    const commit: number[] = [];
    const response: number[] = [];
    // The first WARMUP round trips let V8 optimise the hot paths, as in a long-running enforcer; not counted.
    for (let i = -WARMUP; i < ALERTS; i++) {
      const port = (i + PORTS) % PORTS;
      const name = `tap${portId(port).slice(0, 11)}`;
      for (const [status, rate] of [['firing', 5000], ['resolved', 10_000]] as const) {
        const body = JSON.stringify({
          version: '4', status, receiver: 'enforcer', groupKey: 'g', externalURL: '', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, truncatedAlerts: 0,
          alerts: [{ status, labels: { alertname: 'OvsPortBandwidthHigh', neutron_port_id: portId(port) }, annotations: {}, startsAt: `2026-01-01T00:${String((i + WARMUP) % 60).padStart(2, '0')}:00Z`, endsAt: '', generatorURL: '', fingerprint: `fp${i + WARMUP}` }],
        });
        const committed = waitRate(name, rate);
        const t = performance.now();
        const res = await fetch(`${enforcer.url}/alertmanager`, { method: 'POST', body, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } });
        await res.text();
        const responded = performance.now() - t;
        const seen = await committed;
        if (i < 0) continue;
        response.push(responded);
        commit.push(seen - t);
      }
    }
    // Nothing to change (after the webhook phase, warm): what every OVSDB change and OpenFlow poll costs.
    const steady: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      const report = await enforcer.reconciler.trigger();
      if (report.planned.length > 0) throw new Error(`steady state planned ${report.planned.length} changes`);
      steady.push(performance.now() - t);
    }
    const firstReport = first;
    const figures = {
      ports: PORTS,
      first_reconcile_changes: firstReport.applied,
      first_reconcile_ms: round(firstMs),
      start_to_applied_ms: round(startToAppliedMs),
      steady_reconcile_ms: round(percentile(steady, 50)),
      webhook_notifications: commit.length,
      webhook_commit_p50_ms: round(percentile(commit, 50), 2),
      webhook_commit_p99_ms: round(percentile(commit, 99), 2),
      webhook_response_p50_ms: round(percentile(response, 50), 2),
      webhook_response_p99_ms: round(percentile(response, 99), 2),
    };
    return {
      name: 'enforcer',
      figures,
      goals: [
        { goal: `reconcile of ${PORTS} ports' policies < 2 s (${figures.first_reconcile_ms} ms, ${figures.first_reconcile_changes} changes)`, met: firstMs < 2000 && firstReport.applied === 2 * PORTS },
        { goal: `webhook-to-OVSDB-commit p99 < 50 ms (${figures.webhook_commit_p99_ms} ms)`, met: figures.webhook_commit_p99_ms < 50 },
      ],
    };
  } finally {
    await enforcer?.stop();
    await observer.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
