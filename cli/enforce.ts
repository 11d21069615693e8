/**
 * `ovs-telemetry enforce --config FILE [--dry-run]`: wires the enforcer (a process of its own:
 * the collector only reads OVS). ML2/OVS: the Open_vSwitch database (monitored), the bridges'
 * OpenFlow sessions and the OVS backend; ML2/OVN: the northbound database and the OVN backend.
 * Then the action store, the audit log, the reconciler, and the HTTP endpoint (webhook, /metrics,
 * /healthz). Started in that order, stopped in reverse on SIGINT/SIGTERM.
 * `--dry-run` reads OVS once, prints the plan (audit lines with result dry_run) and changes nothing.
 */
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { TelemetryError } from '../common/errors.js';
import { createLogger, type Logger } from '../common/log.js';
import { OpenFlowSession } from '../collector/openflow/index.js';
import { OvsdbClient, type Replica } from '../collector/ovsdb/client.js';
import { VswitchModel } from '../collector/ovs/model.js';
import { TenancyResolver } from '../collector/tenancy/resolver.js';
import { PrometheusRegistry } from '../exporters/prometheus/registry.js';
import { parseListenAddress } from '../common/listen-address.js';
import { ActionStore } from '../enforcer/actions/store.js';
import { OvnBackend, OVN_NB_MONITOR, type LocalBinding } from '../enforcer/apply/ovn-backend.js';
import { OvsBackend } from '../enforcer/apply/ovs-backend.js';
import { changesPorts, OVS_ENFORCER_MONITOR } from '../enforcer/apply/ovs-rows.js';
import type { Backend, Change } from '../enforcer/apply/types.js';
import { AuditLog } from '../enforcer/audit/audit-log.js';
import { EnforcerMetrics } from '../enforcer/audit/metrics.js';
import { loadEnforcerConfig, type EnforcerSetup } from '../enforcer/policy/compile.js';
import type { EnforcerConfig } from '../enforcer/policy/schema.js';
import type { ThrottleRef } from '../enforcer/policy/resolve.js';
import type { Target } from '../enforcer/policy/selector.js';
import { Reconciler, type ReconcileReport } from '../enforcer/reconciler.js';
import { AlertHandler } from '../enforcer/webhook/alerts.js';
import { WebhookAuth } from '../enforcer/webhook/auth.js';
import { EnforcerServer } from '../enforcer/webhook/server.js';
import { runUntilSignal } from './collect.js';
import { ovsdbTls, resolveLocalOvs } from './local-ovs.js';

export const STATE_FILE = 'enforcer-state.json';
export const AUDIT_FILE = 'enforcer-audit.jsonl';
/**
 * OVSDB changes wake the reconciler after this long (coalescing a burst, and our own writes,
 * whose updates arrive while we apply them); alerts wake it at once.
 */
const OVSDB_DEBOUNCE_MS = 50;
/** How long to wait for OVSDB before a dry-run gives up. */
const SYNC_TIMEOUT_MS = 15_000;

export interface RunningEnforcer {
  /** Base URL of the webhook / metrics endpoint (empty in dry-run). */
  readonly url: string;
  readonly reconciler: Reconciler<Target, Change>;
  readonly actions: ActionStore;
  readonly metrics: EnforcerMetrics;
  stop(): Promise<void>;
}

interface Wiring {
  readonly backend: Backend<Target, Change>;
  /** Replicas whose changes trigger a reconcile. */
  readonly replicas: readonly Replica[];
  readonly clients: readonly OvsdbClient[];
  readonly sessions: readonly OpenFlowSession[];
  /** OVS mode polls flows and meters for drift. */
  readonly pollsOpenFlow: boolean;
}

function wireBackend(setup: EnforcerSetup, logger: Logger): Wiring {
  const { config } = setup;
  const local = resolveLocalOvs({ ovsdbEndpoint: config.ovsdb.endpoint, mappingFile: config.tenancy.mapping_file, rundir: config.openflow.rundir });
  const ovsdb = new OvsdbClient({ endpoint: local.endpoint, tls: ovsdbTls(config.ovsdb.tls), logger });
  const replica = ovsdb.monitor('Open_vSwitch', OVS_ENFORCER_MONITOR);
  const model = new VswitchModel(replica, new TenancyResolver(local.mapping));
  // Applying limits changes QoS rows and limit columns only: the ports and their tenancy stay as built.
  replica.on('change', (change) => {
    if (changesPorts(change)) model.invalidate();
  });
  for (const event of ['reset', 'synced'] as const) replica.on(event, () => model.invalidate());
  if (config.ovn) {
    const nb = new OvsdbClient({ endpoint: config.ovn.northbound.endpoint, tls: ovsdbTls(config.ovn.northbound.tls), logger });
    const nbReplica = nb.monitor('OVN_Northbound', OVN_NB_MONITOR);
    const localPorts = (): ReadonlyMap<string, LocalBinding> | null => {
      if (!replica.synced) return null;
      return new Map(model.interfaces().map((i) => [i.tenant.neutronPortId, { interface: i.name, bridge: i.bridge }]));
    };
    const localOnly = config.ovn.local_ports_only;
    const backend = new OvnBackend({
      nb, localPorts, localPortsOnly: localOnly,
      // Bound ports are known only once the local replica is in (when they are needed at all).
      view: { table: (name) => nbReplica.table(name), get synced() { return nbReplica.synced && (!localOnly || replica.synced); } },
    });
    return { backend, replicas: localOnly ? [nbReplica, replica] : [nbReplica], clients: localOnly ? [nb, ovsdb] : [nb], sessions: [], pollsOpenFlow: false };
  }
  const sessions = new Map(config.bridges.map((b) => [b, new OpenFlowSession({ target: `unix:${join(local.rundir, `${b}.mgmt`)}`, logger })]));
  const backend = new OvsBackend({
    ovsdb, view: replica, interfaces: () => model.interfaces(), bridges: config.bridges,
    openflow: (bridge) => sessions.get(bridge) as OpenFlowSession, logger,
  });
  return { backend, replicas: [replica], clients: [ovsdb], sessions: [...sessions.values()], pollsOpenFlow: true };
}

async function waitForSync(backend: Backend<Target, Change>, endpoint: string): Promise<void> {
  const deadline = Date.now() + SYNC_TIMEOUT_MS;
  while (!backend.ready()) {
    if (Date.now() > deadline) throw new TelemetryError('CONNECTION_FAILED', `no synchronised view of OVS (${endpoint}) within ${SYNC_TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function closeWiring(w: Wiring): Promise<void> {
  for (const s of w.sessions) s.close();
  for (const c of w.clients) await c.close();
}

export function stateFileOf(config: EnforcerConfig): string {
  return join(config.state_dir, STATE_FILE);
}

/** Reads OVS once and prints what a run would change (audit lines, result dry_run); changes nothing. */
export async function dryRunEnforcer(setup: EnforcerSetup, out: (text: string) => void, logger: Logger): Promise<ReconcileReport> {
  const wiring = wireBackend(setup, logger);
  try {
    for (const c of wiring.clients) c.start();
    await waitForSync(wiring.backend, setup.config.ovn?.northbound.endpoint ?? setup.config.ovsdb.endpoint ?? 'default');
    const metrics = new EnforcerMetrics(new AuditLog(out));
    const reconciler = new Reconciler({
      backend: wiring.backend, policies: setup.policies, actions: new ActionStore(stateFileOf(setup.config)), floor: setup.floor,
      maxChangesPerMinute: setup.config.safety.max_changes_per_minute, dryRun: true, audit: metrics, logger,
    });
    return await reconciler.runOnce();
  } finally {
    await closeWiring(wiring);
  }
}

/** Starts the enforcer; `listen` overrides web.listen_address (tests use 127.0.0.1:0). */
export async function startEnforcer(setup: EnforcerSetup, logger: Logger, overrides: { listen?: string } = {}): Promise<RunningEnforcer> {
  const { config } = setup;
  const { host, port } = parseListenAddress(overrides.listen ?? config.web.listen_address);
  const actions = new ActionStore(stateFileOf(config));
  const wiring = wireBackend(setup, logger);
  const audit = new AuditLog(config.audit.path ?? join(config.state_dir, AUDIT_FILE));
  const metrics = new EnforcerMetrics(audit);
  const reconciler = new Reconciler({
    backend: wiring.backend, policies: setup.policies, actions, floor: setup.floor,
    maxChangesPerMinute: config.safety.max_changes_per_minute, dryRun: false, audit: metrics, logger,
  });
  const handler = new AlertHandler(setup.alerts, actions, metrics, logger);
  const reconcileAlerts = async (changed: readonly ThrottleRef[]): Promise<boolean> => {
    const report = await reconciler.reconcileScope(changed);
    return report.ready && report.failed === 0 && report.rejected === 0;
  };
  const webhook = config.webhook && setup.alerts.length > 0
    ? { auth: new WebhookAuth(config.webhook.auth, setup.source), handler, reconcile: reconcileAlerts }
    : undefined;
  const registry = new PrometheusRegistry([metrics], logger);
  const server = new EnforcerServer({
    host, port, webConfigFile: config.web.config_file, maxBodyBytes: config.web.max_body_bytes, webhook,
    metrics: async () => ({ body: await registry.render(), contentType: registry.contentType }),
    healthy: () => wiring.backend.ready(),
    logger,
  });
  let address;
  try {
    address = await server.listen();
  } catch (err) {
    audit.close();
    await closeWiring(wiring);
    throw err;
  }
  for (const replica of wiring.replicas) {
    for (const event of ['change', 'reset', 'synced'] as const) replica.on(event, () => reconciler.request(OVSDB_DEBOUNCE_MS));
  }
  // A lost connection is seen by the next run (metrics say so, nothing is planned from a stale view).
  for (const c of wiring.clients) c.on('disconnected', () => reconciler.request(0));
  for (const c of wiring.clients) c.start();
  const poll = wiring.pollsOpenFlow ? setInterval(() => reconciler.request(0), config.openflow.poll_ms) : undefined;
  metrics.record({
    who: 'reconciler', action: 'start', result: 'ok', what: { backend: wiring.backend.name, bridges: config.bridges },
    why: { config: setup.source, policies: setup.policies.length, alert_mappings: setup.alerts.length, active_alert_actions: actions.active().length },
  });
  metrics.flush();
  reconciler.request(0);
  const url = `${config.web.config_file ? 'https' : 'http'}://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info({ url, backend: wiring.backend.name, policies: setup.policies.length, alerts: setup.alerts.length, throttles: actions.active().length }, 'enforcer running');
  return {
    url,
    reconciler,
    actions,
    metrics,
    async stop() {
      clearInterval(poll);
      reconciler.stop();
      await reconciler.idle();
      await server.close();
      await actions.commit();
      await closeWiring(wiring);
      audit.close();
    },
  };
}

interface EnforceFlags {
  config: string;
  dryRun?: boolean;
  logLevel?: EnforcerConfig['log']['level'];
}

export function enforceCommand(): Command {
  return new Command('enforce')
    .description('run the enforcer: policies and Alertmanager throttles applied to OVS, kept from drifting')
    .requiredOption('-c, --config <file>', 'enforcer YAML file (policies, alert mappings, safety)')
    .option('--dry-run', 'read OVS once, print the plan (JSON lines) and change nothing')
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
    .action(async (flags: EnforceFlags) => {
      const setup = loadEnforcerConfig(flags.config);
      const logger = createLogger(flags.logLevel ?? setup.config.log.level, 'ovs-telemetry-enforcer');
      if (flags.dryRun) {
        const report = await dryRunEnforcer(setup, (text) => process.stdout.write(text), logger);
        process.stderr.write(`dry run: ${report.planned.length} change(s) planned, nothing changed\n`);
        return;
      }
      const running = await startEnforcer(setup, logger);
      await runUntilSignal(() => running.stop(), logger);
    });
}
