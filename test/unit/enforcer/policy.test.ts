import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTelemetryError } from '../../../common/errors.js';
import { UNKNOWN } from '../../../common/model.js';
import { compileEnforcerConfig, loadEnforcerConfig } from '../../../enforcer/policy/compile.js';
import { compileLimits, tighten } from '../../../enforcer/policy/limits.js';
import { PolicyResolver, type ThrottleRef } from '../../../enforcer/policy/resolve.js';
import type { CompiledPolicy } from '../../../enforcer/policy/compile.js';
import { compileGlob } from '../../../common/glob.js';
import type { Target } from '../../../enforcer/policy/selector.js';

const dir = join(import.meta.dirname, '../../fixtures/enforcer');
const files = readdirSync(dir);

const resolveTarget = (t: Target, policies: readonly CompiledPolicy[], throttles: readonly ThrottleRef[]) => new PolicyResolver(policies).resolve(t, throttles);

const target = (over: Partial<Target> = {}): Target => ({
  key: 'br-int/tap1', interface: 'tap1', bridge: 'br-int', neutronPortId: 'port-1', networkId: 'net-1', projectId: 'proj-1', ...over,
});

describe('enforcer policy files', () => {
  it.each(files.filter((f) => f.endsWith('.good.yml')))('%s loads and is frozen', (file) => {
    const setup = loadEnforcerConfig(join(dir, file));
    expect(Object.isFrozen(setup.config)).toBe(true);
    expect(Object.isFrozen(setup.policies)).toBe(true);
    expect(setup.policies.length).toBeGreaterThan(0);
  });

  it.each(files.filter((f) => f.endsWith('.bad.yml')))('%s is rejected naming file, key and reason', (file) => {
    const path = join(dir, file);
    const expected = /^# error: (.*)$/m.exec(readFileSync(path, 'utf8'))?.[1];
    expect(expected).toBeTruthy();
    try {
      loadEnforcerConfig(path);
      expect.unreachable('file should be rejected');
    } catch (err) {
      expect(isTelemetryError(err, 'CONFIG_INVALID')).toBe(true);
      expect((err as Error).message).toContain(path);
      expect((err as Error).message).toContain(expected);
    }
  });

  it('fills in Neutron defaults: burst 0.8 x rate, policing egress, htb ingress, loopback webhook', () => {
    const setup = loadEnforcerConfig(join(dir, 'full.good.yml'));
    const alpha = setup.policies[0].limits;
    expect(alpha.egress).toEqual({ kbps: 100_000, burstKb: 80_000, mechanism: 'policing' });
    expect(alpha.ingress).toEqual({ kbps: 200_000, burstKb: 100_000, mechanism: 'htb' });
    const noisy = setup.policies[1].limits;
    expect(noisy.egressPackets).toEqual({ pps: 20_000, burstPackets: 2000 });
    expect(noisy.ingress?.mechanism).toBe('meter');
    expect(noisy.dscpMark).toBe(26);
    expect(setup.policies[3].limits.ingressPackets).toEqual({ pps: 1500, burstPackets: 1200 });
    expect(setup.floor).toEqual({ kbps: 1000, pps: 500 });
    expect(setup.alerts[0]).toMatchObject({ alertname: 'PortBandwidthHigh', target: 'neutron_port_id', ttlSeconds: 1800 });
    expect(setup.alerts[0].labels.get('severity')).toBe('critical');
    expect(setup.alerts[1].ttlSeconds).toBe(3600);
    const minimal = loadEnforcerConfig(join(dir, 'minimal.good.yml')).config;
    expect(minimal.web.listen_address).toBe('127.0.0.1:9478');
    expect(minimal.bridges).toEqual(['br-int']);
    expect(minimal.safety.max_changes_per_minute).toBe(600);
    expect(minimal.openflow.poll_ms).toBe(1000);
  });

  it('an inline document names its source in errors', () => {
    expect(() => compileEnforcerConfig({ policies: [{ name: 'x', match: { bridge: 'b' }, limits: { egress: { max_kbps: 0 } } }] }, 'inline'))
      .toThrow(/^inline: key policies\.0\.limits\.egress\.max_kbps: /);
  });
});

describe('selectors and resolution', () => {
  const setup = compileEnforcerConfig({
    policies: [
      { name: 'by-bridge', match: { bridge: 'br-int' }, limits: { ingress: { max_kbps: 100_000 } } },
      { name: 'by-project', match: { project_id: 'proj-1' }, limits: { ingress: { max_kbps: 50_000 } } },
      { name: 'by-network', match: { network_id: 'net-1' }, limits: { ingress: { max_kbps: 40_000 } } },
      { name: 'by-network-2', match: { network_id: 'net-1' }, limits: { ingress: { max_kbps: 30_000 } } },
      { name: 'by-interface', match: { interface: 'tap?' }, limits: { ingress: { max_kbps: 20_000 } } },
      { name: 'by-port', match: { neutron_port_id: 'port-1' }, limits: { egress: { max_kbps: 10_000 } } },
      { name: 'network-and-bridge', match: { network_id: 'net-2', bridge: 'br-int' }, limits: { dscp_mark: 10 } },
      { name: 'network-only', match: { network_id: 'net-2' }, limits: { dscp_mark: 12 } },
    ],
  }, 'test');

  it('port > interface > network > project > bridge, and the audit explanation says why', () => {
    const r = resolveTarget(target(), setup.policies, []);
    expect(r.policy).toBe('by-port');
    expect(r.limits?.egress?.kbps).toBe(10_000);
    // The winner's limits apply whole: nothing merges in from less specific policies.
    expect(r.limits?.ingress).toBeUndefined();
    expect(r.explanation).toContain('by-interface (interface): neutron_port_id is more specific than interface');
    expect(r.explanation).toContain('by-bridge (bridge): neutron_port_id is more specific than bridge');
    expect(resolveTarget(target({ neutronPortId: 'other' }), setup.policies, []).policy).toBe('by-interface');
    expect(resolveTarget(target({ neutronPortId: 'other', interface: 'tap10' }), setup.policies, []).policy).toBe('by-network');
    expect(resolveTarget(target({ neutronPortId: 'other', interface: 'x', networkId: 'n' }), setup.policies, []).policy).toBe('by-project');
    expect(resolveTarget(target({ neutronPortId: 'o', interface: 'x', networkId: 'n', projectId: 'p' }), setup.policies, []).policy).toBe('by-bridge');
    expect(resolveTarget(target({ bridge: 'br-ex', neutronPortId: 'o', interface: 'x', networkId: 'n', projectId: 'p' }), setup.policies, []))
      .toMatchObject({ policy: null, limits: null, explanation: 'no policy or alert action selects this port' });
  });

  it('ties: more selector keys win, then file order', () => {
    const both = resolveTarget(target({ neutronPortId: 'o', interface: 'x', networkId: 'net-2' }), setup.policies, []);
    expect(both.policy).toBe('network-and-bridge');
    expect(both.explanation).toContain('network-only (network_id): 2 selector keys against 1');
    const first = resolveTarget(target({ neutronPortId: 'o', interface: 'x' }), setup.policies, []);
    expect(first.policy).toBe('by-network');
    expect(first.explanation).toContain('by-network-2 (network_id): equally specific, by-network comes first in the file');
  });

  it('unknown tenancy never matches a concrete id, and an unknown interface never matches a glob', () => {
    const r = resolveTarget(target({ neutronPortId: UNKNOWN, interface: '', networkId: UNKNOWN, projectId: UNKNOWN, bridge: 'br-x' }), setup.policies, []);
    expect(r.policy).toBeNull();
    const star = compileEnforcerConfig({ policies: [{ name: 's', match: { interface: '*' }, limits: { dscp_mark: 1 } }] }, 't');
    expect(resolveTarget(target({ interface: '' }), star.policies, []).policy).toBeNull();
  });

  it('alert actions tighten the static limits and never loosen them', () => {
    const throttle: ThrottleRef = {
      id: 'a1', mapping: 'hot', targetLabel: 'network_id', targetValue: 'net-1', expiresAt: Date.now() + 1000,
      limits: compileLimits({ egress: { max_kbps: 5000, mechanism: 'policing' }, ingress: { max_kbps: 80_000, mechanism: 'htb' } }),
    };
    const r = resolveTarget(target(), setup.policies, [throttle]);
    expect(r.policy).toBe('by-port');
    expect(r.throttles).toEqual(['a1']);
    expect(r.limits?.egress?.kbps).toBe(5000);
    expect(r.limits?.ingress?.kbps).toBe(80_000);
    expect(r.explanation).toContain('tightened by alert action hot (network_id=net-1)');
    const looser = { ...throttle, limits: compileLimits({ egress: { max_kbps: 50_000, mechanism: 'policing' } }) };
    expect(resolveTarget(target(), setup.policies, [looser]).limits?.egress?.kbps).toBe(10_000);
    const elsewhere = { ...throttle, targetValue: 'net-9' };
    expect(resolveTarget(target(), setup.policies, [elsewhere]).throttles).toEqual([]);
  });

  it('a throttle on a port no policy selects applies alone', () => {
    const throttle: ThrottleRef = {
      id: 'a2', mapping: 'hot', targetLabel: 'interface', targetValue: 'vnet7', expiresAt: 0,
      limits: compileLimits({ ingress: { max_kbps: 2000, mechanism: 'htb' } }),
    };
    const r = resolveTarget(target({ interface: 'vnet7', bridge: 'br-x', neutronPortId: 'o', networkId: 'n', projectId: 'p' }), setup.policies, [throttle]);
    expect(r.policy).toBeNull();
    expect(r.limits?.ingress).toEqual({ kbps: 2000, burstKb: 1600, mechanism: 'htb' });
  });

  it('one meter per direction: a throttle meter replaces the policy meter of the other kind', () => {
    const base = compileLimits({ ingress: { max_kbps: 10_000, mechanism: 'meter' } });
    const pps = compileLimits({ packet_rate: { ingress: { max_kpps: 2 } } });
    const merged = tighten(base, pps);
    expect(merged.ingress).toBeUndefined();
    expect(merged.ingressPackets?.pps).toBe(2000);
    const reverse = tighten(pps, base);
    expect(reverse.ingressPackets).toBeUndefined();
    expect(reverse.ingress?.kbps).toBe(10_000);
  });

  it('globs: * and ? anchored, the rest literal', () => {
    expect(compileGlob('tap*')('tap1234')).toBe(true);
    expect(compileGlob('tap*')('xtap1')).toBe(false);
    expect(compileGlob('tap?')('tap12')).toBe(false);
    expect(compileGlob('a.b')('axb')).toBe(false);
    expect(compileGlob('qvo[1]')('qvo[1]')).toBe(true);
  });
});
