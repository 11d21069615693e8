import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isTelemetryError } from '../../../common/errors.js';
import { silentLogger } from '../../../common/log.js';
import { ActionStore } from '../../../enforcer/actions/store.js';
import { AuditLog, type AuditEntry } from '../../../enforcer/audit/audit-log.js';
import { compileEnforcerConfig } from '../../../enforcer/policy/compile.js';
import { AlertHandler, matchAlert } from '../../../enforcer/webhook/alerts.js';
import { WebhookAuth } from '../../../enforcer/webhook/auth.js';
import { parsePayload, type WebhookPayload } from '../../../enforcer/webhook/payload.js';
import { EnforcerServer } from '../../../enforcer/webhook/server.js';

const TOKEN = 'test-token-0123456789abcdef';
// bcrypt of "alertmanager-secret", cost 10.
const HASH = '$2b$10$FvZaMSXE9gXoLTcEA900BOiCsG9VD4rz6eI7P9HGFamf5WAEZfNHi';

const setup = compileEnforcerConfig({
  webhook: { auth: { bearer_token: TOKEN, basic_auth_users: { alertmanager: HASH } } },
  alerts: [
    { name: 'port-egress', alertname: 'OvsPortBandwidthHigh', labels: { direction: 'egress' }, target: 'neutron_port_id', limits: { egress: { max_kbps: 5000 } }, ttl: '10m' },
    { name: 'port-ingress', alertname: 'OvsPortBandwidthHigh', labels: { direction: 'ingress' }, target: 'neutron_port_id', limits: { ingress: { max_kbps: 5000 } }, ttl: '10m' },
    { name: 'network', alertname: 'OvsNetworkBandwidthHigh', target: 'network_id', limits: { egress: { max_kbps: 50_000 } }, ttl: 60 },
  ],
}, 'test');

export function payload(status: 'firing' | 'resolved', alerts: { labels: Record<string, string>; fingerprint: string; startsAt?: string }[]): WebhookPayload {
  return {
    version: '4', groupKey: '{}:{alertname="x"}', truncatedAlerts: 0, status, receiver: 'enforcer-compute-1',
    groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://alertmanager:9093',
    alerts: alerts.map((a) => ({
      status, labels: a.labels, annotations: { summary: 'port above 800 Mbit/s' }, startsAt: a.startsAt ?? '2026-01-01T00:00:00Z',
      endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: a.fingerprint,
    })),
  };
}

/** A fresh directory for each test that writes files. */
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'enf-webhook-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('Alertmanager payload v4', () => {
  it('accepts what Alertmanager 0.25 sends and tolerates fields it may add', () => {
    const body = JSON.stringify({ ...payload('firing', [{ labels: { alertname: 'A' }, fingerprint: 'f1' }]), somethingNew: 1 });
    const parsed = parsePayload(body);
    expect(parsed.ok && parsed.payload.alerts[0].fingerprint).toBe('f1');
  });

  it.each([
    ['not json', '{', /^not JSON: /],
    ['wrong version', JSON.stringify({ ...payload('firing', []), version: '3' }), /^version: must be "4"/],
    ['bad status', JSON.stringify({ ...payload('firing', []), status: 'burning' }), /^status: /],
    ['alert without labels', JSON.stringify({ ...payload('firing', [{ labels: {}, fingerprint: 'x' }]), alerts: [{ status: 'firing', startsAt: 'x', fingerprint: 'x' }] }), /^alerts\.0\.labels: /],
    ['label not a string', JSON.stringify({ ...payload('firing', [{ labels: { a: 'b' }, fingerprint: 'x' }]), alerts: [{ status: 'firing', labels: { a: 1 }, startsAt: 'x', fingerprint: 'x' }] }), /^alerts\.0\.labels\.a: /],
    ['no alerts array', JSON.stringify({ version: '4', status: 'firing' }), /^alerts: /],
  ])('%s is malformed, with the field named', (_name, body, error) => {
    const parsed = parsePayload(body);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.error).toMatch(error);
  });
});

describe('webhook auth', () => {
  const auth = new WebhookAuth(setup.config.webhook!.auth, 'test');
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('bearer token and basic auth (bcrypt) pass; anything else fails', async () => {
    expect(await auth.check(`Bearer ${TOKEN}`)).toBe(true);
    expect(await auth.check(`bearer ${TOKEN}`)).toBe(true);
    expect(await auth.check(`Bearer ${TOKEN}x`)).toBe(false);
    expect(await auth.check(undefined)).toBe(false);
    expect(await auth.check('')).toBe(false);
    expect(await auth.check(basic('alertmanager', 'alertmanager-secret'))).toBe(true);
    expect(await auth.check(basic('alertmanager', 'wrong'))).toBe(false);
    expect(await auth.check(basic('nobody', 'alertmanager-secret'))).toBe(false);
    expect(await auth.check(`Token ${TOKEN}`)).toBe(false);
  });

  it('reads the token file at start; a missing file names the key', () => {
    writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
    const fromFile = new WebhookAuth({ bearer_token_file: join(dir, 'token') }, 'f.yml');
    return fromFile.check(`Bearer ${TOKEN}`).then((ok) => {
      expect(ok).toBe(true);
      try {
        new WebhookAuth({ bearer_token_file: join(dir, 'missing') }, 'f.yml');
        expect.unreachable();
      } catch (err) {
        expect(isTelemetryError(err, 'CONFIG_INVALID')).toBe(true);
        expect((err as Error).message).toBe(`f.yml: key webhook.auth.bearer_token_file: cannot read ${join(dir, 'missing')}: ENOENT`);
      }
    });
  });
});

describe('alert mappings', () => {
  it('first mapping whose name, labels and target label match; otherwise why not', () => {
    const alert = (labels: Record<string, string>) => payload('firing', [{ labels, fingerprint: 'f' }]).alerts[0];
    expect(matchAlert(alert({ alertname: 'OvsPortBandwidthHigh', direction: 'ingress', neutron_port_id: 'p1' }), setup.alerts)).toMatchObject({ mapping: { name: 'port-ingress' }, value: 'p1' });
    expect(matchAlert(alert({ alertname: 'Other' }), setup.alerts)).toEqual({ mapping: null, reason: 'no mapping for alertname "Other"' });
    expect(matchAlert(alert({ alertname: 'OvsPortBandwidthHigh', direction: 'up', neutron_port_id: 'p1' }), setup.alerts)).toEqual({
      mapping: null, reason: 'port-egress: label direction is not "egress"; port-ingress: label direction is not "ingress"',
    });
    expect(matchAlert(alert({ alertname: 'OvsNetworkBandwidthHigh' }), setup.alerts)).toEqual({ mapping: null, reason: 'network: the alert has no network_id label' });
  });

  it('firing starts one action per firing (twice = once), resolved ends it, an expired firing is not re-applied', async () => {
    let now = 1_000_000;
    const entries: AuditEntry[] = [];
    const store = new ActionStore(join(dir, 'state.json'));
    const handler = new AlertHandler(setup.alerts, store, new AuditLog((t) => entries.push(...t.trim().split('\n').map((l) => JSON.parse(l) as AuditEntry))), silentLogger, () => now);
    const hot = { labels: { alertname: 'OvsPortBandwidthHigh', direction: 'egress', neutron_port_id: 'p1' }, fingerprint: 'fp1' };
    const first = handler.handle(payload('firing', [hot]));
    expect(first.outcomes[0]).toMatchObject({ decision: 'throttle', mapping: 'port-egress' });
    expect(first.changed).toEqual([expect.objectContaining({ id: 'port-egress/fp1', targetLabel: 'neutron_port_id', targetValue: 'p1' })]);
    await first.saved;
    expect(new ActionStore(join(dir, 'state.json')).active().map((a) => a.id)).toEqual(['port-egress/fp1']);
    const again = handler.handle(payload('firing', [hot]));
    expect(again.outcomes[0].decision).toBe('duplicate');
    expect(again.changed).toEqual([]);
    expect(store.active()).toHaveLength(1);
    expect(store.active()[0]).toMatchObject({ id: 'port-egress/fp1', targetLabel: 'neutron_port_id', targetValue: 'p1', expiresAt: 1_000_000 + 600_000, reason: 'port above 800 Mbit/s', source: 'alertmanager receiver=enforcer-compute-1 http://alertmanager:9093' });
    expect(entries.map((e) => [e.action, e.result])).toEqual([['throttle', 'ok'], ['throttle', 'duplicate']]);
    expect(entries[0]).toMatchObject({ who: 'alert:port-egress', what: { neutron_port_id: 'p1' }, after: { egress: { max_kbps: 5000, max_burst_kbps: 4000, mechanism: 'policing' } } });
    expect(handler.handle(payload('resolved', [hot])).outcomes[0].decision).toBe('restore');
    expect(handler.handle(payload('resolved', [hot])).outcomes[0].decision).toBe('not_active');
    expect(store.active()).toEqual([]);
    // TTL: the same firing, re-sent after its TTL ended, stays ended; a new firing is new.
    handler.handle(payload('firing', [{ ...hot, startsAt: '2026-01-02T00:00:00Z' }]));
    now += 600_000;
    expect(store.expire(now)).toHaveLength(1);
    expect(handler.handle(payload('firing', [{ ...hot, startsAt: '2026-01-02T00:00:00Z' }])).outcomes[0].decision).toBe('already_expired');
    expect(handler.handle(payload('firing', [{ ...hot, startsAt: '2026-01-03T00:00:00Z' }])).outcomes[0].decision).toBe('throttle');
    // The state survives a restart: a new store on the same file.
    await store.commit();
    expect(new ActionStore(join(dir, 'state.json')).active().map((a) => [a.id, a.startsAt])).toEqual([['port-egress/fp1', '2026-01-03T00:00:00Z']]);
    const ignored = handler.handle(payload('firing', [{ labels: { alertname: 'Unrelated' }, fingerprint: 'z' }]));
    expect(ignored.outcomes[0]).toMatchObject({ decision: 'ignored', reason: 'no mapping for alertname "Unrelated"' });
    expect(ignored.changed).toEqual([]);
    expect(entries.at(-1)).toMatchObject({ who: 'webhook', action: 'ignore', result: 'ok' });
  });

  it('one write covers a notification; writes asked for during a write share the next one', async () => {
    const file = join(dir, 'state.json');
    const store = new ActionStore(file);
    const handler = new AlertHandler(setup.alerts, store, new AuditLog(() => undefined), silentLogger);
    const alert = (fp: string) => ({ labels: { alertname: 'OvsPortBandwidthHigh', direction: 'egress', neutron_port_id: fp }, fingerprint: fp });
    const a = handler.handle(payload('firing', [alert('a1'), alert('a2')]));
    // Arrives while the first write runs: its alerts are on disk when its own promise resolves.
    const b = handler.handle(payload('firing', [alert('b1')]));
    await a.saved;
    expect(new ActionStore(file).active().map((x) => x.targetValue)).toEqual(expect.arrayContaining(['a1', 'a2']));
    await b.saved;
    expect(new ActionStore(file).active().map((x) => x.targetValue).sort()).toEqual(['a1', 'a2', 'b1']);
    // Nothing changed: nothing to wait for.
    await handler.handle(payload('firing', [alert('b1')])).saved;
  });

  it('a failed write rejects and leaves the changes pending for the next commit', async () => {
    // The state file's directory turns out to be a file: every write fails until it is moved away.
    const blocker = join(dir, 'sub');
    const store = new ActionStore(join(blocker, 'state.json'));
    writeFileSync(blocker, '');
    const handler = new AlertHandler(setup.alerts, store, new AuditLog(() => undefined), silentLogger);
    const handled = handler.handle(payload('firing', [{ labels: { alertname: 'OvsPortBandwidthHigh', direction: 'egress', neutron_port_id: 'p9' }, fingerprint: 'p9' }]));
    await expect(handled.saved).rejects.toThrow();
    rmSync(blocker);
    await store.commit();
    expect(new ActionStore(join(blocker, 'state.json')).active().map((x) => x.targetValue)).toEqual(['p9']);
  });

  it('a corrupt state file stops the start instead of dropping throttles', () => {
    writeFileSync(join(dir, 'state.json'), '{"format":1,"actions":[{"id":');
    expect(() => new ActionStore(join(dir, 'state.json'))).toThrow(/the enforcer state file is corrupt/);
  });
});

describe('enforcer HTTP endpoint', () => {
  let server: EnforcerServer;
  let url: string;
  let store: ActionStore;
  let reconciles = 0;
  let scopes: unknown[] = [];

  beforeAll(async () => {
    store = new ActionStore(null);
    const audit = new AuditLog(() => undefined);
    server = new EnforcerServer({
      host: '127.0.0.1', port: 0, maxBodyBytes: 4096, logger: silentLogger,
      webhook: { auth: new WebhookAuth(setup.config.webhook!.auth, 'test'), handler: new AlertHandler(setup.alerts, store, audit, silentLogger), reconcile: async (changed) => { reconciles++; scopes.push(changed); return true; } },
      metrics: async () => ({ body: Buffer.from('ovs_enforcer_up 1\n'), contentType: 'text/plain; version=0.0.4' }),
      healthy: () => true,
    });
    const address = await server.listen();
    url = `http://127.0.0.1:${address.port}`;
  });
  afterAll(() => server.close());

  const post = (body: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
    fetch(`${url}/alertmanager`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

  it('401 without or with wrong credentials, 400 malformed, 413 too large, 405 wrong method; none reconciles', async () => {
    const body = JSON.stringify(payload('firing', [{ labels: { alertname: 'OvsPortBandwidthHigh', direction: 'egress', neutron_port_id: 'p1' }, fingerprint: 'a' }]));
    const unauth = await post(body, {});
    expect(unauth.status).toBe(401);
    expect(unauth.headers.get('www-authenticate')).toBe('Basic realm="ovs-telemetry enforcer"');
    expect((await post(body, { authorization: 'Bearer nope' })).status).toBe(401);
    const bad = await post('{"version":"4"');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^not JSON/);
    expect((await post('x'.repeat(5000))).status).toBe(413);
    expect((await fetch(`${url}/alertmanager`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(405);
    expect(reconciles).toBe(0);
    expect(store.active()).toEqual([]);
  });

  it('200 for unknown alerts (ignored, nothing reconciled) and for mapped ones (reconciled before answering)', async () => {
    const unknown = await post(JSON.stringify(payload('firing', [{ labels: { alertname: 'Nope' }, fingerprint: 'n' }])));
    expect(unknown.status).toBe(200);
    expect(await unknown.json()).toMatchObject({ status: 'ok', reconciled: true, alerts: [{ decision: 'ignored' }] });
    expect(reconciles).toBe(0);
    const mapped = await post(JSON.stringify(payload('firing', [{ labels: { alertname: 'OvsNetworkBandwidthHigh', network_id: 'n1' }, fingerprint: 'm' }])));
    expect(await mapped.json()).toMatchObject({ reconciled: true, alerts: [{ decision: 'throttle', mapping: 'network' }] });
    expect(reconciles).toBe(1);
    // Only the ports of the network the alert names are reconciled.
    expect(scopes).toEqual([[expect.objectContaining({ targetLabel: 'network_id', targetValue: 'n1' })]]);
  });

  it('serves /metrics and /healthz', async () => {
    expect(await (await fetch(`${url}/metrics`)).text()).toBe('ovs_enforcer_up 1\n');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/nope`)).status).toBe(404);
  });
});
