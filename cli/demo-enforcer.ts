/**
 * The demo's enforcer: `ovs-telemetry enforce` on the lab with one alert mapping (the shipped
 * OvsPortBandwidthHigh alert, direction ingress → 10 Mbit/s towards the VM for 10 minutes), its
 * webhook token in a file only root reads, and ready-made Alertmanager notifications (webhook
 * payload version 4) that fire and resolve the alert for one VM port, so the throttle can be
 * tried with curl before any Prometheus or Alertmanager is set up.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Logger } from '../common/log.js';
import type { LabVm } from '../lab/index.js';
import { loadEnforcerConfig } from '../enforcer/policy/compile.js';
import { startEnforcer, type RunningEnforcer } from './enforce.js';

/** The throttle the demo's alert applies (kbit/s, the VM's ingress). */
export const DEMO_THROTTLE_KBPS = 10_000;

export interface DemoEnforcer {
  readonly enforcer: RunningEnforcer;
  /** Where its files are: enforcer.yml, token, alert-firing.json, alert-resolved.json. */
  readonly dir: string;
  /** The VM whose port the ready-made alert names. */
  readonly target: LabVm;
}

function notification(status: 'firing' | 'resolved', vm: LabVm, startsAt: string): object {
  const labels = { alertname: 'OvsPortBandwidthHigh', direction: 'ingress', neutron_port_id: vm.neutron_port_id, network_id: vm.network_id, project_id: vm.project_id };
  return {
    version: '4',
    status,
    receiver: 'enforcer',
    groupKey: `{}:{alertname="OvsPortBandwidthHigh",neutron_port_id="${vm.neutron_port_id}"}`,
    groupLabels: { alertname: labels.alertname, neutron_port_id: vm.neutron_port_id },
    commonLabels: labels,
    commonAnnotations: { summary: `demo: ${vm.name} receives too much` },
    alerts: [{
      status,
      labels,
      annotations: { summary: `demo: ${vm.name} receives too much` },
      startsAt,
      endsAt: status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z',
      fingerprint: `demo-${vm.neutron_port_id.slice(0, 8)}`,
    }],
  };
}

/** Writes the demo's enforcer files under `labDir`/demo and starts the enforcer on `listen`. */
export async function startDemoEnforcer(labDir: string, target: LabVm, listen: string, logger: Logger): Promise<DemoEnforcer> {
  const dir = join(labDir, 'demo');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'token'), randomBytes(24).toString('base64url'), { mode: 0o600 });
  // No ovsdb/openflow/tenancy keys: like `collect`, the enforcer takes the lab's OVSDB, run
  // directory and tenancy when a lab is up (the demo points OVS_TELEMETRY_LAB_DIR at it).
  writeFileSync(join(dir, 'enforcer.yml'), stringify({
    bridges: ['br-int'],
    state_dir: dir,
    web: { listen_address: listen },
    webhook: { auth: { bearer_token_file: join(dir, 'token') } },
    alerts: [{
      name: 'demo-throttle-port-ingress',
      alertname: 'OvsPortBandwidthHigh',
      labels: { direction: 'ingress' },
      target: 'neutron_port_id',
      limits: { ingress: { max_kbps: DEMO_THROTTLE_KBPS } },
      ttl: '10m',
    }],
    log: { level: 'warn' },
  }));
  const startsAt = new Date().toISOString();
  writeFileSync(join(dir, 'alert-firing.json'), `${JSON.stringify(notification('firing', target, startsAt), null, 2)}\n`);
  writeFileSync(join(dir, 'alert-resolved.json'), `${JSON.stringify(notification('resolved', target, startsAt), null, 2)}\n`);
  const enforcer = await startEnforcer(loadEnforcerConfig(join(dir, 'enforcer.yml')), logger);
  return { enforcer, dir, target };
}
