import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/log.js';
import { ActionStore, type AlertAction } from '../../../enforcer/actions/store.js';
import type { ApplyOutcome, Backend, Change, Plan, PortDesire, StateJson } from '../../../enforcer/apply/types.js';
import { changeKey, fingerprint } from '../../../enforcer/apply/types.js';
import { AuditLog, type AuditEntry } from '../../../enforcer/audit/audit-log.js';
import { EnforcerMetrics } from '../../../enforcer/audit/metrics.js';
import { compileEnforcerConfig } from '../../../enforcer/policy/compile.js';
import type { Target } from '../../../enforcer/policy/selector.js';
import { Reconciler } from '../../../enforcer/reconciler.js';

/**
 * A backend over an in-memory "switch": one number per port (the egress limit in kbps), so the
 * reconciler's logic (drift, floor, cap, dry-run, expiry, findings) is tested without OVS.
 */
class FakeBackend implements Backend {
  readonly name = 'fake';
  readonly state = new Map<string, number>();
  readonly foreign = new Set<string>();
  applied: Change[] = [];
  failNext = false;

  constructor(readonly ports: Target[]) {}

  ready(): boolean {
    return true;
  }

  targets(): readonly Target[] {
    return this.ports;
  }

  async plan(desired: readonly PortDesire[]): Promise<Plan> {
    const changes: Change[] = [];
    const inSync = new Map<string, string>();
    const findings = [];
    for (const { port, resolution } of desired) {
      const key = changeKey(port.key, 'ingress_policing');
      const want = resolution.limits?.egress?.kbps;
      const have = this.state.get(port.key);
      const after: StateJson = want === undefined ? null : { rate: want };
      if (this.foreign.has(port.key)) {
        if (want !== undefined) findings.push({ key, target: port, mechanism: 'ingress_policing' as const, reason: 'someone else', state: { rate: have ?? 0 } });
        continue;
      }
      if (want === have) {
        if (after) inSync.set(key, fingerprint(after));
        continue;
      }
      changes.push({
        key, target: port, mechanism: 'ingress_policing', action: want === undefined ? 'remove' : have === undefined ? 'apply' : 'update',
        before: have === undefined ? null : { rate: have }, after, rates: want === undefined ? undefined : { kbps: want }, resolution,
      });
    }
    return { changes, inSync, findings };
  }

  async apply(changes: readonly Change[]): Promise<ApplyOutcome[]> {
    this.applied.push(...changes);
    return changes.map((c) => {
      if (this.failNext) return { key: c.key, ok: false, conflict: true, error: 'timed out' };
      const rate = (c.after as { rate: number } | null)?.rate;
      const port = c.key.split('#')[0];
      if (rate === undefined) this.state.delete(port);
      else this.state.set(port, rate);
      return { key: c.key, ok: true, conflict: false };
    });
  }
}

const port = (i: number): Target => ({ key: `br-int/tap${i}`, interface: `tap${i}`, bridge: 'br-int', neutronPortId: `port-${i}`, networkId: 'net-1', projectId: 'proj-1' });

describe('reconciler', () => {
  let dir: string;
  let entries: AuditEntry[];
  let clock: number;

  const setup = (policies: object[], extra: object = {}) => compileEnforcerConfig({ policies, ...extra }, 'test');
  const make = (backend: FakeBackend, opts: { policies?: object[]; dryRun?: boolean; cap?: number; store?: ActionStore } = {}) => {
    const s = setup(opts.policies ?? [{ name: 'net', match: { network_id: 'net-1' }, limits: { egress: { max_kbps: 10_000 } } }]);
    const sink = new AuditLog((text) => entries.push(...text.trim().split('\n').map((l) => JSON.parse(l) as AuditEntry)), () => clock);
    const metrics = new EnforcerMetrics(sink);
    const reconciler = new Reconciler({
      backend, policies: s.policies, actions: opts.store ?? new ActionStore(null), floor: s.floor,
      maxChangesPerMinute: opts.cap ?? 600, dryRun: opts.dryRun ?? false, audit: metrics, logger: silentLogger, now: () => clock,
    });
    return { reconciler, metrics };
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'enf-rec-'));
    entries = [];
    clock = Date.parse('2026-01-01T00:00:00Z');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('applies what the policies ask for, then does nothing while OVS matches', async () => {
    const backend = new FakeBackend([port(1), port(2)]);
    const { reconciler } = make(backend);
    const first = await reconciler.runOnce();
    expect(first).toMatchObject({ ready: true, applied: 2, failed: 0, repaired: 0 });
    expect([...backend.state]).toEqual([['br-int/tap1', 10_000], ['br-int/tap2', 10_000]]);
    expect(entries.map((e) => [e.who, e.action, e.result])).toEqual([['policy:net', 'apply', 'ok'], ['policy:net', 'apply', 'ok']]);
    expect(entries[0].why).toMatchObject({ policy: 'net', explanation: 'policy net (network_id) is the only one selecting this port' });
    expect(entries[0]).toMatchObject({ before: null, after: { rate: 10_000 }, what: { mechanism: 'ingress_policing', neutron_port_id: 'port-1', network_id: 'net-1' } });
    const second = await reconciler.runOnce();
    expect(second.planned).toEqual([]);
  });

  it('a limit someone else changes is drift: repaired and counted', async () => {
    const backend = new FakeBackend([port(1)]);
    const { reconciler, metrics } = make(backend);
    await reconciler.runOnce();
    backend.state.delete('br-int/tap1');
    const report = await reconciler.runOnce();
    expect(report.repaired).toBe(1);
    expect(backend.state.get('br-int/tap1')).toBe(10_000);
    expect(entries.at(-1)).toMatchObject({ action: 'repair', result: 'ok', why: { drift: 'changed or removed by someone else' } });
    expect(metrics.driftTotal).toBe(1);
    // A changed policy is not drift.
    const { reconciler: r2, metrics: m2 } = make(backend, { policies: [{ name: 'net', match: { network_id: 'net-1' }, limits: { egress: { max_kbps: 20_000 } } }] });
    await r2.runOnce();
    expect(entries.at(-1)).toMatchObject({ action: 'update', result: 'ok' });
    expect(m2.driftTotal).toBe(0);
  });

  it('a failed repair stays a repair when retried', async () => {
    const backend = new FakeBackend([port(1)]);
    const { reconciler, metrics } = make(backend);
    await reconciler.runOnce();
    backend.state.set('br-int/tap1', 1);
    backend.failNext = true;
    expect((await reconciler.runOnce()).failed).toBe(1);
    expect(entries.at(-1)).toMatchObject({ action: 'repair', result: 'conflict' });
    backend.failNext = false;
    expect((await reconciler.runOnce()).repaired).toBe(1);
    expect(metrics.driftTotal).toBe(1);
  });

  it('never applies a limit below the floor', async () => {
    const backend = new FakeBackend([port(1)]);
    const { reconciler } = make(backend);
    // A throttle whose limits slipped under the floor (floors are checked at load; this is the last line).
    const store = new ActionStore(null);
    store.fire(throttle('t1', { egress: { kbps: 500, burstKb: 400, mechanism: 'policing' } }));
    const { reconciler: guarded } = make(backend, { store });
    const report = await guarded.runOnce();
    expect(report.rejected).toBe(1);
    expect(backend.state.size).toBe(0);
    expect(entries.at(-1)).toMatchObject({ result: 'rejected', error: 'below the safety floor (1000 kbps, 1000 packets/s)' });
    await reconciler.runOnce();
    expect(backend.state.get('br-int/tap1')).toBe(10_000);
  });

  it('caps changes per minute; the rest wait for the window and are reported once', async () => {
    const backend = new FakeBackend([port(1), port(2), port(3)]);
    const { reconciler } = make(backend, { cap: 2 });
    expect(await reconciler.runOnce()).toMatchObject({ applied: 2, rejected: 1 });
    expect(await reconciler.runOnce()).toMatchObject({ applied: 0, rejected: 1 });
    expect(entries.filter((e) => e.result === 'rejected')).toHaveLength(1);
    expect(entries.find((e) => e.result === 'rejected')?.error).toBe('change cap reached (2 per minute); waits for the next window');
    clock += 60_001;
    expect(await reconciler.runOnce()).toMatchObject({ applied: 1, rejected: 0 });
    expect(backend.state.size).toBe(3);
  });

  it('dry-run records the plan and changes nothing', async () => {
    const backend = new FakeBackend([port(1)]);
    const { reconciler } = make(backend, { dryRun: true });
    const report = await reconciler.runOnce();
    expect(report.planned).toHaveLength(1);
    expect(backend.applied).toEqual([]);
    expect(entries.map((e) => e.result)).toEqual(['dry_run']);
  });

  it('a port someone else limits is reported once per state, never changed', async () => {
    const backend = new FakeBackend([port(1)]);
    backend.foreign.add('br-int/tap1');
    backend.state.set('br-int/tap1', 3000);
    const { reconciler } = make(backend);
    await reconciler.runOnce();
    await reconciler.runOnce();
    expect(entries.map((e) => [e.action, e.result])).toEqual([['skip', 'reported']]);
    expect(backend.applied).toEqual([]);
    expect(backend.state.get('br-int/tap1')).toBe(3000);
  });

  it('an alert action tightens its targets until its TTL, then the policy comes back; the expiry is persisted', async () => {
    const backend = new FakeBackend([port(1), port(2)]);
    const file = join(dir, 'state.json');
    const store = new ActionStore(file);
    store.fire(throttle('t1', { egress: { kbps: 2000, burstKb: 1600, mechanism: 'policing' } }, clock + 5000));
    await store.commit();
    const { reconciler, metrics } = make(backend, { store });
    await reconciler.runOnce();
    expect([...backend.state]).toEqual([['br-int/tap1', 2000], ['br-int/tap2', 10_000]]);
    expect(entries.find((e) => e.what.target === 'br-int/tap1')).toMatchObject({ who: 'alert:hot', why: { throttles: ['t1'] } });
    expect(JSON.parse(readFileSync(file, 'utf8')).actions[0].expiresAt).toBe(clock + 5000);
    clock += 5000;
    await reconciler.runOnce();
    expect(backend.state.get('br-int/tap1')).toBe(10_000);
    expect(entries.find((e) => e.action === 'expire')).toMatchObject({ who: 'alert:hot', result: 'ok', what: { neutron_port_id: 'port-1' } });
    expect(new ActionStore(file).active()).toEqual([]);
    const text: string[] = [];
    metrics.collect({ add: (spec, labels, value) => text.push(`${spec.name}{${labels.join(',')}} ${value}`) });
    expect(text).toContain('ovs_enforcer_actions_total{expire,ok} 1');
    expect(text).toContain('ovs_enforcer_policies_active{alert} 0');
    expect(text).toContain('ovs_enforcer_policies_active{static} 1');
  });

  it('trigger() coalesces and resolves with a run that started after the call', async () => {
    const backend = new FakeBackend([port(1)]);
    const { reconciler } = make(backend);
    const [a, b] = await Promise.all([reconciler.trigger(), reconciler.trigger()]);
    expect(a).toBe(b);
    expect(a.applied).toBe(1);
    reconciler.stop();
  });

  it('an alert reconciles only the ports its action names; the others keep their drift memory for the next full run', async () => {
    const backend = new FakeBackend([port(1), port(2)]);
    const store = new ActionStore(null);
    const { reconciler, metrics } = make(backend, { store });
    await reconciler.runOnce();
    backend.state.set('br-int/tap2', 1);
    const hot = throttle('t1', { egress: { kbps: 2000, burstKb: 1600, mechanism: 'policing' } });
    store.fire(hot);
    const report = await reconciler.reconcileScope([hot]);
    expect(report.planned.map((c) => c.key)).toEqual(['br-int/tap1#ingress_policing']);
    expect([...backend.state]).toEqual([['br-int/tap1', 2000], ['br-int/tap2', 1]]);
    const text: string[] = [];
    metrics.collect({ add: (spec, labels, value) => text.push(`${spec.name}{${labels.join(',')}} ${value}`) });
    expect(text).toContain('ovs_enforcer_policies_active{alert} 1');
    // The full run that follows sees port 2's change as drift: what was in place before is remembered.
    expect(await reconciler.runOnce()).toMatchObject({ applied: 1, repaired: 1 });
    expect(backend.state.get('br-int/tap2')).toBe(10_000);
    reconciler.stop();
  });

  function throttle(id: string, limits: AlertAction['limits'], expiresAt = clock + 60_000): AlertAction {
    return {
      id, mapping: 'hot', alertname: 'PortBandwidthHigh', fingerprint: id, startsAt: '2026-01-01T00:00:00Z', labels: {}, reason: 'test', source: 'test',
      targetLabel: 'neutron_port_id', targetValue: 'port-1', limits, appliedAt: clock, expiresAt,
    };
  }
});
