/**
 * The whole enforcer (as `ovs-telemetry enforce` wires it) on a real OVS: static policies
 * applied at start; drift (`ovs-vsctl set/clear/destroy`, `ovs-ofctl del-meter/del-flows` on what
 * it owns) repaired within 2 s and counted; the webhook's refusals change nothing; alerts throttle
 * and resolution or TTL restore; dry-run changes nothing; the audit log explains every decision;
 * the port Neutron limits itself stays exactly as it was through every test.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../common/log.js';
import { getInt, getSet } from '../../collector/ovsdb/row.js';
import { dryRunEnforcer, startEnforcer, type RunningEnforcer } from '../../cli/enforce.js';
import { meterIdOf, COOKIE_PREFIX } from '../../enforcer/apply/ovs-openflow.js';
import { OVS_MAX_RATE } from '../../enforcer/apply/ovs-ovsdb.js';
import { compileEnforcerConfig, loadEnforcerConfig } from '../../enforcer/policy/compile.js';
import { parse as parseYaml } from 'yaml';
import { NETWORK, PROJECT, startOvsSandbox, waitUntil, type OvsSandbox } from './enforcer-sandbox.js';

const TOKEN = 'webhook-token-for-tests-0123';
const DRIFT_LIMIT_MS = 2000;

describe('enforcer: reconcile, drift, webhook', () => {
  let sb: OvsSandbox;
  let dir: string;
  let configFile: string;
  let enforcer: RunningEnforcer;
  let foreignSnapshot: string;
  const vm = (i: number) => sb.vms[i];

  const policing = async (i: number) => (await sb.list('interface', vm(i).port, ['ingress_policing_rate', 'ingress_policing_burst']))[0];
  const portQos = async (i: number) => String((await sb.list('port', vm(i).port, ['qos']))[0].qos);
  // What timed checks look at: the sandbox's own monitor (no ovs-vsctl start-up in the figure).
  const liveRate = (i: number): number | null => {
    const row = sb.named('Interface', vm(i).port);
    return row ? getInt(row, 'ingress_policing_rate') : null;
  };
  const liveQos = (i: number): string => {
    const row = sb.named('Port', vm(i).port);
    return row ? String(getSet(row, 'qos')[0] ?? '') : '';
  };
  const foreign = async () => JSON.stringify({
    port: await sb.list('port', vm(2).port, ['qos', 'other_config', 'external_ids']),
    iface: await sb.list('interface', vm(2).port, ['ingress_policing_rate', 'ingress_policing_burst', 'external_ids']),
    qos: (await sb.list('qos')).filter((q) => !(q.external_ids as Record<string, string>)['ovs-telemetry:owner']),
    queues: (await sb.list('queue')).filter((q) => !(q.external_ids as Record<string, string>)['ovs-telemetry:owner']),
    flows: (await sb.dumpFlows()).split('\n').filter((l) => l.includes('cookie=0x1234')),
  });
  /** Everything that could change on OVS: rows, flows and meters. */
  const everything = async () => JSON.stringify({
    qos: await sb.list('qos'), queue: await sb.list('queue'),
    iface: await sb.list('interface', undefined, ['name', 'ingress_policing_rate', 'ingress_policing_burst', 'external_ids']),
    ports: await sb.list('port', undefined, ['name', 'qos']), flows: await sb.dumpFlows(), meters: await sb.dumpMeters(),
  });
  const metric = async (name: string, labels = ''): Promise<number> => {
    const text = await (await fetch(`${enforcer.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels}`) && /\s[0-9.e+-]+$/.test(l));
    return line === undefined ? 0 : Number(line.split(' ').at(-1));
  };
  const audit = (): Record<string, unknown>[] => readFileSync(join(dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  /** Time from `act` until `check` passes; fails beyond the limit. */
  const repairTime = async (act: () => Promise<unknown>, check: () => Promise<boolean>): Promise<number> => {
    await act();
    const start = Date.now();
    await waitUntil('repair', check, DRIFT_LIMIT_MS);
    return Date.now() - start;
  };
  const post = (body: unknown, auth: string | null = `Bearer ${TOKEN}`) => fetch(`${enforcer.url}/alertmanager`, {
    method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
  });
  const alertBody = (status: 'firing' | 'resolved', alertname: string, labels: Record<string, string>, fingerprint: string) => ({
    version: '4', groupKey: 'g', truncatedAlerts: 0, status, receiver: 'enforcer-compute-1', groupLabels: {}, commonLabels: {}, commonAnnotations: {},
    externalURL: 'http://am:9093',
    alerts: [{ status, labels: { alertname, ...labels }, annotations: { summary: `${alertname} on the port` }, startsAt: '2026-11-23T10:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint }],
  });

  beforeAll(async () => {
    sb = await startOvsSandbox(3);
    dir = mkdtempSync(join(tmpdir(), 'enf-reconcile-'));
    // vm2 is limited by Neutron itself; a flow someone else owns sits on br-int too.
    const port = vm(2).port;
    await sb.ovs.vsctl('set', 'port', port, 'qos=@q', '--', '--id=@q', 'create', 'qos', 'type=linux-htb', `other-config:max-rate=${OVS_MAX_RATE}`,
      `external_ids:id=${port}`, 'external_ids:_type=bandwidth_limit', 'queues:0=@u', '--', '--id=@u', 'create', 'queue',
      'other-config:max-rate=5000000', 'other-config:burst=4000000', `external_ids:port=${port}`, 'external_ids:type=bandwidth_limit',
      '--', 'set', 'interface', port, 'ingress_policing_rate=3000', 'ingress_policing_burst=2400');
    await sb.ovs.ofctl('add-flow', sb.ovs.mgmt('br-int').slice('unix:'.length), 'cookie=0x1234,table=0,priority=100,in_port=99,actions=drop');
    foreignSnapshot = await foreign();
    writeFileSync(join(dir, 'tenancy.yml'), `networks:\n  - { id: ${NETWORK}, project_id: ${PROJECT} }\n`);
    configFile = join(dir, 'enforcer.yml');
    writeFileSync(configFile, `
ovsdb: { endpoint: "${sb.ovs.ovsdb.unixEndpoint}" }
openflow: { rundir: "${sb.ovs.dir}", poll_ms: 300 }
tenancy: { mapping_file: "${join(dir, 'tenancy.yml')}" }
state_dir: "${dir}"
audit: { path: "${join(dir, 'audit.jsonl')}" }
web: { listen_address: "127.0.0.1:0" }
webhook: { auth: { bearer_token: "${TOKEN}" } }
policies:
  - name: project-default
    match: { project_id: ${PROJECT} }
    limits:
      egress: { max_kbps: 10000 }
      ingress: { max_kbps: 20000 }
  - name: vm1-meters
    match: { neutron_port_id: ${vm(1).portId} }
    limits:
      ingress: { max_kbps: 30000, mechanism: meter }
      packet_rate: { egress: { max_kpps: 2 } }
      dscp_mark: 26
alerts:
  - name: throttle-port
    alertname: OvsPortBandwidthHigh
    target: neutron_port_id
    limits: { egress: { max_kbps: 5000 } }
    ttl: 1h
  - name: short-throttle
    alertname: OvsPortBriefly
    target: interface
    limits: { ingress: { max_kbps: 8000 } }
    ttl: 2s
`);
    enforcer = await startEnforcer(loadEnforcerConfig(configFile), silentLogger);
    await waitUntil('static policies applied', async () => (await policing(0)).ingress_policing_rate === 10_000 && (await sb.dumpMeters()).includes(`meter=${meterIdOf(3, 'egress')}`), 10_000);
  });

  afterAll(async () => {
    await enforcer?.stop();
    await sb?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('applies the static policies at start, the most specific winning, and reports the Neutron port', async () => {
    expect(await policing(0)).toEqual({ ingress_policing_rate: 10_000, ingress_policing_burst: 8000 });
    const [qos] = await sb.list('qos', await portQos(0));
    expect(qos).toMatchObject({ type: 'linux-htb', external_ids: { 'ovs-telemetry:owner': 'enforcer' } });
    // vm1's port policy wins over the project policy: meters and DSCP, no policing or htb.
    expect(await policing(1)).toEqual({ ingress_policing_rate: 0, ingress_policing_burst: 0 });
    expect(await portQos(1)).toBe('');
    expect(await sb.dumpFlows()).toContain('set_field:26->ip_dscp');
    const entries = audit();
    expect(entries[0]).toMatchObject({ who: 'reconciler', action: 'start', result: 'ok' });
    const vm1 = entries.find((e) => (e.what as Record<string, unknown>).target === `br-int/${vm(1).port}` && e.action === 'apply');
    expect(vm1).toMatchObject({ who: 'policy:vm1-meters', result: 'ok' });
    expect((vm1?.why as Record<string, string>).explanation).toBe('policy vm1-meters (neutron_port_id) wins over project-default (project_id): neutron_port_id is more specific than project_id (order: neutron_port_id > interface > network_id > project_id > bridge)');
    expect(entries.filter((e) => e.action === 'skip').map((e) => (e.what as Record<string, string>).mechanism).sort()).toEqual(['htb', 'ingress_policing']);
    expect(await metric('ovs_enforcer_ports_skipped', '{mechanism="htb"}')).toBe(1);
    expect(await metric('ovs_enforcer_policies_active', '{source="static"}')).toBe(2);
    expect(await metric('ovs_enforcer_up')).toBe(1);
    expect(await metric('ovs_enforcer_last_reconcile_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 5);
  });

  it(`repairs drift within ${DRIFT_LIMIT_MS / 1000} s and counts it: cleared limit, cleared/destroyed QoS, deleted meter and flows`, async () => {
    const before = await metric('ovs_enforcer_reconcile_drift_total');
    const br = sb.ovs.mgmt('br-int').slice('unix:'.length);
    const times: Record<string, number> = {};
    times.policing = await repairTime(() => sb.ovs.vsctl('set', 'interface', vm(0).port, 'ingress_policing_rate=0', 'ingress_policing_burst=0'),
      async () => liveRate(0) === 10_000);
    expect(await policing(0)).toEqual({ ingress_policing_rate: 10_000, ingress_policing_burst: 8000 });
    const qos = await portQos(0);
    times.clearQos = await repairTime(() => sb.ovs.vsctl('clear', 'port', vm(0).port, 'qos'), async () => liveQos(0) === qos);
    times.destroyQos = await repairTime(() => sb.ovs.vsctl('clear', 'port', vm(0).port, 'qos', '--', 'destroy', 'qos', qos),
      async () => { const q = liveQos(0); return q !== '' && q !== qos; });
    expect(await portQos(0)).toBe(liveQos(0));
    const meter = meterIdOf(3, 'egress');
    times.meter = await repairTime(() => sb.ovs.ofctl('-O', 'OpenFlow13', 'del-meter', br, `meter=${meter}`),
      async () => (await sb.dumpMeters()).includes(`meter=${meter}`) && (await sb.dumpFlows()).includes(`meter:${meter},set_field:26->ip_dscp`));
    const cookie = `0x${(COOKIE_PREFIX | (3n << 8n) | 4n).toString(16)}`;
    times.flow = await repairTime(() => sb.ovs.ofctl('del-flows', br, `cookie=${cookie}/-1`), async () => (await sb.dumpFlows()).includes(`cookie=${cookie}`));
    for (const [what, ms] of Object.entries(times)) expect(ms, what).toBeLessThan(DRIFT_LIMIT_MS);
    await waitUntil('drift counted', async () => (await metric('ovs_enforcer_reconcile_drift_total')) - before >= 5, 2000);
    const repairs = audit().filter((e) => e.action === 'repair');
    expect(repairs.length).toBeGreaterThanOrEqual(5);
    expect(repairs[0]).toMatchObject({ result: 'ok', before: null, after: { ingress_policing_rate: 10_000, ingress_policing_burst: 8000 }, why: { drift: 'changed or removed by someone else' } });
    expect(await foreign()).toBe(foreignSnapshot);
    console.log(`drift repaired in (ms): ${JSON.stringify(times)}`);
  });

  it('webhook refusals and unknown alerts change nothing on OVS', async () => {
    await enforcer.reconciler.idle();
    const snapshot = await everything();
    const hot = alertBody('firing', 'OvsPortBandwidthHigh', { neutron_port_id: vm(0).portId }, 'fp-refused');
    expect((await post(hot, null)).status).toBe(401);
    expect((await post(hot, 'Bearer wrong-token-wrong-token')).status).toBe(401);
    expect((await post('{"version": "4", "alerts": [')).status).toBe(400);
    expect((await post({ ...hot, version: '3' })).status).toBe(400);
    const unknown = await post(alertBody('firing', 'SomethingElse', { neutron_port_id: vm(0).portId }, 'fp-unknown'));
    expect(unknown.status).toBe(200);
    expect(await unknown.json()).toMatchObject({ alerts: [{ decision: 'ignored', reason: 'no mapping for alertname "SomethingElse"' }] });
    await new Promise((r) => setTimeout(r, 700));
    await enforcer.reconciler.idle();
    expect(await everything()).toBe(snapshot);
    expect(enforcer.actions.active()).toEqual([]);
    expect(audit().at(-1)).toMatchObject({ who: 'webhook', action: 'ignore', why: { alertname: 'SomethingElse' } });
  });

  it('a firing alert throttles (twice = once), its resolution restores the policy', async () => {
    const hot = alertBody('firing', 'OvsPortBandwidthHigh', { neutron_port_id: vm(0).portId }, 'fp-hot');
    const first = await post(hot);
    expect(await first.json()).toMatchObject({ reconciled: true, alerts: [{ decision: 'throttle', mapping: 'throttle-port' }] });
    // Answered after the reconcile: OVS already holds the throttle.
    expect(await policing(0)).toEqual({ ingress_policing_rate: 5000, ingress_policing_burst: 4000 });
    expect(await (await post(hot)).json()).toMatchObject({ alerts: [{ decision: 'duplicate' }] });
    expect(enforcer.actions.active()).toHaveLength(1);
    expect(await metric('ovs_enforcer_policies_active', '{source="alert"}')).toBe(1);
    const throttled = audit().filter((e) => e.who === 'alert:throttle-port' && e.action === 'update');
    expect(throttled).toHaveLength(1);
    expect(throttled[0]).toMatchObject({ before: { ingress_policing_rate: 10_000 }, after: { ingress_policing_rate: 5000 } });
    const resolved = await post(alertBody('resolved', 'OvsPortBandwidthHigh', { neutron_port_id: vm(0).portId }, 'fp-hot'));
    expect(await resolved.json()).toMatchObject({ reconciled: true, alerts: [{ decision: 'restore' }] });
    expect(await policing(0)).toEqual({ ingress_policing_rate: 10_000, ingress_policing_burst: 8000 });
    expect(enforcer.actions.active()).toEqual([]);
  });

  it('the TTL ends a throttle on its own and restores the previous state', async () => {
    const queueOf = async () => {
      const [qos] = await sb.list('qos', await portQos(0));
      return (await sb.list('queue', (qos.queues as Record<string, string>)['0']))[0].other_config as Record<string, string>;
    };
    expect(await queueOf()).toEqual({ 'max-rate': '20000000', burst: '16000000' });
    const res = await post(alertBody('firing', 'OvsPortBriefly', { interface: vm(0).port }, 'fp-brief'));
    expect((await res.json() as { alerts: { decision: string }[] }).alerts[0].decision).toBe('throttle');
    expect(await queueOf()).toEqual({ 'max-rate': '8000000', burst: '6400000' });
    const expiresAt = enforcer.actions.active()[0].expiresAt;
    const throttledQos = liveQos(0);
    // The throttle's queue is updated in place: its row in the monitor shows the restore first.
    const liveMaxRate = (): string | undefined => {
      const queues = sb.replica.table('QoS').get(throttledQos)?.queues;
      const queue = queues instanceof Map ? sb.replica.table('Queue').get(String(queues.get(0))) : undefined;
      const config = queue?.other_config;
      return config instanceof Map ? String(config.get('max-rate')) : undefined;
    };
    expect(liveMaxRate()).toBe('8000000');
    await waitUntil('TTL restore', () => liveMaxRate() === '20000000', 5000);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    expect(Date.now() - expiresAt).toBeLessThan(1500);
    expect(await queueOf()).toEqual({ 'max-rate': '20000000', burst: '16000000' });
    expect(audit().filter((e) => e.action === 'expire')).toHaveLength(1);
    expect(await metric('ovs_enforcer_actions_total', '{action="expire",result="ok"}')).toBe(1);
  });

  it('dry-run prints the plan and changes nothing', async () => {
    await enforcer.reconciler.idle();
    const snapshot = await everything();
    const doc = parseYaml(readFileSync(configFile, 'utf8')) as { policies: { limits: { egress?: { max_kbps: number } } }[] };
    doc.policies[0].limits.egress = { max_kbps: 15_000 };
    const lines: string[] = [];
    const report = await dryRunEnforcer(compileEnforcerConfig(doc, 'dry-run test'), (t) => lines.push(t), silentLogger);
    const printed = lines.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(report.planned.map((c) => [c.key, c.action])).toEqual([[`br-int/${vm(0).port}#ingress_policing`, 'update']]);
    // The plan, plus what it would leave alone (the Neutron port), as the audit log says it.
    expect(printed.map((e) => [e.action, e.result])).toEqual([['skip', 'reported'], ['skip', 'reported'], ['update', 'dry_run']]);
    expect(printed[2]).toMatchObject({ action: 'update', result: 'dry_run', before: { ingress_policing_rate: 10_000 }, after: { ingress_policing_rate: 15_000, ingress_policing_burst: 12_000 } });
    expect(await everything()).toBe(snapshot);
  });

  it('OVSDB down: not healthy, alerts stored and answered reconciled=false; back up: the throttle goes on', async () => {
    await sb.ovs.ovsdb.kill9();
    await waitUntil('down seen', async () => (await metric('ovs_enforcer_up')) === 0, 5000);
    expect((await fetch(`${enforcer.url}/healthz`)).status).toBe(503);
    const hot = alertBody('firing', 'OvsPortBandwidthHigh', { neutron_port_id: vm(0).portId }, 'fp-while-down');
    expect(await (await post(hot)).json()).toMatchObject({ reconciled: false, alerts: [{ decision: 'throttle' }] });
    expect(enforcer.actions.active()).toHaveLength(1);
    await sb.ovs.ovsdb.restart();
    await waitUntil('throttle applied after the restart', async () => (await policing(0)).ingress_policing_rate === 5000, 15_000);
    expect(await metric('ovs_enforcer_up')).toBe(1);
    await post(alertBody('resolved', 'OvsPortBandwidthHigh', { neutron_port_id: vm(0).portId }, 'fp-while-down'));
    expect(await policing(0)).toEqual({ ingress_policing_rate: 10_000, ingress_policing_burst: 8000 });
  });

  it('the Neutron port, its rows and the foreign flow are exactly as before every test', async () => {
    expect(await foreign()).toBe(foreignSnapshot);
    expect(audit().every((e) => typeof e.time === 'string' && typeof e.who === 'string' && 'what' in e && 'why' in e)).toBe(true);
  });
});
