/**
 * `kill -9` of the enforcer while a throttle is active: OVS keeps the throttle (it lives in OVSDB
 * and the switch, not in the process), and after a restart the enforcer finds it intact (same
 * rows, nothing re-applied), keeps its expiry from the state file, and ends it on time. The
 * enforcer is the real `ovs-telemetry enforce`, a process of its own (test/helpers/cli.ts).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getInt } from '../../collector/ovsdb/row.js';
import { cli, startCli } from '../helpers/cli.js';
import { freeTcpPort } from '../helpers/ovsdb-server.js';
import { NETWORK, PROJECT, startOvsSandbox, waitUntil, type OvsSandbox } from './enforcer-sandbox.js';

const TOKEN = 'restart-test-token-0123456789';
const TTL_SECONDS = 10;

describe('enforcer restart after kill -9 with an active throttle', () => {
  let sb: OvsSandbox;
  let dir: string;
  let url: string;
  let child: ChildProcess | undefined;
  let stderr = '';

  const start = (): ChildProcess => {
    const { child: p } = startCli(['enforce', '--config', join(dir, 'enforcer.yml')]);
    p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    return p;
  };
  const healthy = async (): Promise<boolean> => {
    try {
      return (await fetch(`${url}/healthz`)).status === 200;
    } catch {
      return false;
    }
  };
  const vm0 = () => sb.vms[0].port;
  const ovsState = async () => {
    const [iface] = await sb.list('interface', vm0(), ['ingress_policing_rate', 'ingress_policing_burst']);
    const qos = String((await sb.list('port', vm0(), ['qos']))[0].qos);
    const queue = qos === '' ? null : (await sb.list('qos', qos))[0].queues as Record<string, string>;
    const queueRow = queue ? (await sb.list('queue', queue['0']))[0] : null;
    return { policing: iface, qos, queue: queue?.['0'] ?? null, queueConfig: queueRow?.other_config ?? null };
  };
  const audit = () => readFileSync(join(dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const stateFile = () => JSON.parse(readFileSync(join(dir, 'enforcer-state.json'), 'utf8')) as { actions: { id: string; expiresAt: number }[] };
  const gone = (p: ChildProcess) => new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));

  beforeAll(async () => {
    sb = await startOvsSandbox(2);
    dir = mkdtempSync(join(tmpdir(), 'enf-restart-'));
    const port = await freeTcpPort();
    url = `http://127.0.0.1:${port}`;
    writeFileSync(join(dir, 'tenancy.yml'), `networks:\n  - { id: ${NETWORK}, project_id: ${PROJECT} }\n`);
    writeFileSync(join(dir, 'enforcer.yml'), `
ovsdb: { endpoint: "${sb.ovs.ovsdb.unixEndpoint}" }
openflow: { rundir: "${sb.ovs.dir}" }
tenancy: { mapping_file: "${join(dir, 'tenancy.yml')}" }
state_dir: "${dir}"
audit: { path: "${join(dir, 'audit.jsonl')}" }
web: { listen_address: "127.0.0.1:${port}" }
webhook: { auth: { bearer_token: "${TOKEN}" } }
log: { level: warn }
policies:
  - name: project-default
    match: { project_id: ${PROJECT} }
    limits: { egress: { max_kbps: 10000 } }
alerts:
  - name: throttle-port
    alertname: OvsPortBandwidthHigh
    target: neutron_port_id
    limits: { egress: { max_kbps: 4000 }, ingress: { max_kbps: 6000 } }
    ttl: ${TTL_SECONDS}s
`);
  });

  afterAll(async () => {
    if (child?.pid && child.exitCode === null) {
      process.kill(-child.pid, 'SIGKILL');
      await gone(child);
    }
    await sb?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a bad file exits 2 naming the file, the key and why; --dry-run prints the plan and changes nothing', async () => {
    const bad = join(dir, 'bad.yml');
    writeFileSync(bad, 'policies:\n  - name: x\n    match: { bridge: br-int }\n    limits: { ingress: { max_kbps: 10 } }\n');
    const refused = await cli(['enforce', '--config', bad]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${bad}: key policies.0.limits.ingress.max_kbps: 10 kbps is below the safety floor of 1000 kbps`);
    const before = await ovsState();
    const dry = await cli(['enforce', '--config', join(dir, 'enforcer.yml'), '--dry-run']);
    expect(dry.code).toBe(0);
    const target = (e: Record<string, unknown>) => String((e.what as Record<string, string>).target);
    const plan = dry.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).sort((a, b) => target(a).localeCompare(target(b)));
    expect(plan.map((e) => [e.action, e.result, target(e)])).toEqual(
      sb.vms.map((v) => ['apply', 'dry_run', `br-int/${v.port}`]));
    expect(plan[0]).toMatchObject({ who: 'policy:project-default', after: { ingress_policing_rate: 10_000, ingress_policing_burst: 8000 } });
    expect(dry.stderr).toContain(`dry run: ${sb.vms.length} change(s) planned, nothing changed`);
    expect(await ovsState()).toEqual(before);
  }, 120_000);

  it('keeps the throttle and its expiry across kill -9 and restart, then ends it on time', async () => {
    child = start();
    await waitUntil(`enforcer up (${stderr})`, healthy, 20_000);
    await waitUntil('policy applied', async () => (await ovsState()).policing.ingress_policing_rate === 10_000);
    const fire = await fetch(`${url}/alertmanager`, {
      method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        version: '4', status: 'firing', receiver: 'enforcer', groupKey: 'g', externalURL: 'http://am:9093', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, truncatedAlerts: 0,
        alerts: [{ status: 'firing', labels: { alertname: 'OvsPortBandwidthHigh', neutron_port_id: sb.vms[0].portId }, annotations: {}, startsAt: '2026-11-23T10:00:00Z', endsAt: '', generatorURL: '', fingerprint: 'f00d' }],
      }),
    });
    expect(await fire.json()).toMatchObject({ reconciled: true, alerts: [{ decision: 'throttle' }] });
    const throttled = await ovsState();
    expect(throttled).toMatchObject({ policing: { ingress_policing_rate: 4000, ingress_policing_burst: 3200 }, queueConfig: { 'max-rate': '6000000', burst: '4800000' } });
    const { expiresAt } = stateFile().actions[0];

    process.kill(-child.pid!, 'SIGKILL');
    await gone(child);
    expect(await healthy()).toBe(false);
    // Nobody runs the enforcer now: the throttle is still on OVS, the state file still holds it.
    expect(await ovsState()).toEqual(throttled);
    expect(stateFile().actions).toEqual([expect.objectContaining({ id: 'throttle-port/f00d', expiresAt })]);

    const restartedAt = Date.now();
    const linesBefore = audit().length;
    child = start();
    await waitUntil(`enforcer up again (${stderr})`, healthy, 20_000);
    await waitUntil('a reconcile after the restart', async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      const ts = /^ovs_enforcer_last_reconcile_timestamp_seconds ([0-9.e+]+)$/m.exec(text);
      return ts !== null && Number(ts[1]) * 1000 >= restartedAt;
    });
    expect(Date.now()).toBeLessThan(expiresAt);
    // Same rows, same values: the restarted enforcer found the throttle in place and changed nothing.
    expect(await ovsState()).toEqual(throttled);
    const afterRestart = audit().slice(linesBefore);
    expect(afterRestart[0]).toMatchObject({ action: 'start', why: { active_alert_actions: 1 } });
    expect(afterRestart.filter((e) => ['apply', 'update', 'remove', 'repair'].includes(String(e.action)))).toEqual([]);
    expect(stateFile().actions[0].expiresAt).toBe(expiresAt);

    // The TTL ends the throttle at the original expiry: the policy alone again.
    // Watched through the sandbox's own OVSDB monitor (no ovs-vsctl process per poll, whose start-up
    // under load would blur the moment seen).
    const rate = (): number | null => {
      const row = sb.named('Interface', vm0());
      return row ? getInt(row, 'ingress_policing_rate') : null;
    };
    expect(rate()).toBe(4000);
    await waitUntil('expiry', () => rate() === 10_000, TTL_SECONDS * 1000 + 5000);
    const restoredAt = Date.now();
    expect(restoredAt).toBeGreaterThanOrEqual(expiresAt);
    expect(restoredAt - expiresAt).toBeLessThan(2000);
    // The policing and the htb QoS change in one transaction: both are back to the policy's.
    expect(await ovsState()).toMatchObject({ qos: '', queue: null, policing: { ingress_policing_burst: 8000 } });
    expect(audit().filter((e) => e.action === 'expire')).toEqual([expect.objectContaining({ who: 'alert:throttle-port', result: 'ok' })]);
    expect(stateFile().actions).toEqual([]);

    process.kill(child.pid!, 'SIGTERM');
    await gone(child);
    expect(child.exitCode).toBe(0);
  }, 120_000);
});
