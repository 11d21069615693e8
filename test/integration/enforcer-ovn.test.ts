/**
 * ML2/OVN: the same policies become OVN northbound QoS rows, on a real OVN NB ovsdb-server
 * (ovn-nb.ovsschema from Debian's ovn-common), checked with `ovn-nbctl qos-list` the way an
 * operator would. A QoS row Neutron wrote (external_ids neutron:port_id) is reported and kept.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../common/log.js';
import { startEnforcer } from '../../cli/enforce.js';
import { loadEnforcerConfig } from '../../enforcer/policy/compile.js';
import { OvsdbClient, type Replica } from '../../collector/ovsdb/client.js';
import { OvnBackend, OVN_NB_MONITOR, type OvnPort } from '../../enforcer/apply/ovn-backend.js';
import type { PortDesire } from '../../enforcer/apply/types.js';
import { startOvsdbServer, type OvsdbServer } from '../helpers/ovsdb-server.js';
import { resolution, waitUntil } from './enforcer-sandbox.js';

const run = promisify(execFile);
const NET = '3f0c1d52-5a0a-4c44-9c35-5f7b0f4f2c11';
const PROJECT = '96f8c917ab334f45842a6ca9ad6fa255';
const PORTS = ['a1b2c3d4-0000-4000-8000-000000000001', 'a1b2c3d4-0000-4000-8000-000000000002', 'a1b2c3d4-0000-4000-8000-000000000003'];

describe('enforcer on ML2/OVN: northbound QoS rows', () => {
  let nb: OvsdbServer;
  let client: OvsdbClient;
  let replica: Replica;
  let backend: OvnBackend;
  const nbctl = async (...args: string[]): Promise<string> => (await run('ovn-nbctl', [`--db=${nb.unixEndpoint}`, ...args])).stdout;
  const qosList = async (): Promise<string[]> => (await nbctl('qos-list', `neutron-${NET}`)).trim().split('\n').map((l) => l.trim()).filter(Boolean).sort();

  const planApply = async (limits: Map<string, Parameters<typeof resolution>[0]>) => {
    const desired: PortDesire<OvnPort>[] = backend.targets().map((port) => ({ port, resolution: resolution(limits.get(port.lsp) ?? null) }));
    const plan = await backend.plan(desired, true);
    const outcomes = await backend.apply(plan.changes);
    // Wait for the replica to see our own writes before the next plan.
    await new Promise((r) => setTimeout(r, 100));
    return { plan, outcomes };
  };

  beforeAll(async () => {
    nb = await startOvsdbServer({ schema: '/usr/share/ovn/ovn-nb.ovsschema' });
    await nbctl('ls-add', `neutron-${NET}`, '--', 'set', 'logical_switch', `neutron-${NET}`, 'external_ids:neutron\\:network_name=alpha-net');
    for (const p of PORTS) {
      await nbctl('lsp-add', `neutron-${NET}`, p, '--', 'set', 'logical_switch_port', p,
        `external_ids:neutron\\:project_id=${PROJECT}`, `external_ids:neutron\\:network_name=neutron-${NET}`);
    }
    // A router port: not a VM port, never a target.
    await nbctl('lsp-add', `neutron-${NET}`, 'router-port', '--', 'lsp-set-type', 'router-port', 'router');
    // Neutron's own QoS on the third port.
    await nbctl('--id=@q', 'create', 'qos', 'priority=2002', 'direction=from-lport', `match="inport == \\"${PORTS[2]}\\""`,
      'bandwidth:rate=5000', `external_ids:neutron\\:port_id=${PORTS[2]}`, '--', 'add', 'logical_switch', `neutron-${NET}`, 'qos_rules', '@q');
    client = new OvsdbClient({ endpoint: nb.unixEndpoint, logger: silentLogger });
    replica = client.monitor('OVN_Northbound', OVN_NB_MONITOR);
    client.start();
    backend = new OvnBackend({ nb: client, view: replica, localPorts: () => null, localPortsOnly: false, host: 'compute-1' });
    await waitUntil('NB replica', () => replica.synced && replica.table('Logical_Switch_Port').size === 4);
  });

  afterAll(async () => {
    await client?.close();
    await nb?.stop();
  });

  it('targets are the VM logical ports with their Neutron network and project', () => {
    const targets = backend.targets();
    expect(targets.map((t) => t.lsp).sort()).toEqual(PORTS);
    expect(targets[0]).toMatchObject({ neutronPortId: targets[0].lsp, networkId: NET, projectId: PROJECT, interface: '', bridge: '' });
  });

  it('writes one row per port and direction, as Neutron\'s OVN driver does; Neutron\'s own row is reported and kept', async () => {
    const { plan, outcomes } = await planApply(new Map([
      [PORTS[0], { egress: { max_kbps: 10_000, max_burst_kbps: 1000 }, ingress: { max_kbps: 20_000 }, dscp_mark: 26 }],
      [PORTS[1], { dscp_mark: 10 }],
      [PORTS[2], { egress: { max_kbps: 7000 } }],
    ]));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(plan.findings.map((f) => f.key)).toEqual([`lsp/${PORTS[2]}#ovn_qos_from_lport`]);
    expect(await qosList()).toEqual([
      `from-lport  2002 (inport == "${PORTS[0]}") rate=10000 burst=1000 dscp=26`,
      `from-lport  2002 (inport == "${PORTS[1]}") dscp=10`,
      `from-lport  2002 (inport == "${PORTS[2]}") rate=5000`,
      `to-lport  2002 (outport == "${PORTS[0]}") rate=20000 burst=16000`,
    ].sort());
    const owned = JSON.parse(await nbctl('--format=json', '--columns=external_ids', 'find', 'qos', 'external_ids:ovs-telemetry\\:owner=enforcer')) as { data: unknown[][] };
    expect(owned.data).toHaveLength(3);
    expect(JSON.stringify(owned.data)).toContain('"ovs-telemetry:host","compute-1"');
  });

  it('is idempotent, updates in place, and repairs a deleted row', async () => {
    const want = new Map<string, Parameters<typeof resolution>[0]>([
      [PORTS[0], { egress: { max_kbps: 10_000, max_burst_kbps: 1000 }, ingress: { max_kbps: 20_000 }, dscp_mark: 26 }],
      [PORTS[1], { dscp_mark: 10 }],
    ]);
    const same = await planApply(want);
    expect(same.plan.changes).toEqual([]);
    want.set(PORTS[1], { dscp_mark: 12, egress: { max_kbps: 3000 } });
    const updated = await planApply(want);
    expect(updated.plan.changes.map((c) => [c.key, c.action])).toEqual([[`lsp/${PORTS[1]}#ovn_qos_from_lport`, 'update']]);
    await nbctl('qos-del', `neutron-${NET}`, 'to-lport', '2002', `outport == "${PORTS[0]}"`);
    const repaired = await planApply(want);
    expect(repaired.plan.changes.map((c) => [c.key, c.action])).toEqual([[`lsp/${PORTS[0]}#ovn_qos_to_lport`, 'apply']]);
    expect(await qosList()).toContain(`to-lport  2002 (outport == "${PORTS[0]}") rate=20000 burst=16000`);
    expect(await qosList()).toContain(`from-lport  2002 (inport == "${PORTS[1]}") rate=3000 burst=2400 dscp=12`);
  });

  it('rows of another host\'s enforcer are not touched; removing the policies removes only this host\'s rows', async () => {
    await nbctl('--id=@q', 'create', 'qos', 'priority=2002', 'direction=to-lport', `match="outport == \\"${PORTS[1]}\\""`, 'bandwidth:rate=9000',
      'external_ids:ovs-telemetry\\:owner=enforcer', `external_ids:ovs-telemetry\\:port=${PORTS[1]}`, 'external_ids:ovs-telemetry\\:host=compute-2',
      '--', 'add', 'logical_switch', `neutron-${NET}`, 'qos_rules', '@q');
    await waitUntil('row in replica', () => replica.table('QoS').size === 5);
    const { outcomes } = await planApply(new Map());
    expect(outcomes.length).toBe(3);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(await qosList()).toEqual([
      `from-lport  2002 (inport == "${PORTS[2]}") rate=5000`,
      `to-lport  2002 (outport == "${PORTS[1]}") rate=9000`,
    ].sort());
  });

  it('as `enforce` runs it: a policy by project becomes rows, a deleted row is back within 2 s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'enf-ovn-'));
    const file = join(dir, 'enforcer.yml');
    writeFileSync(file, `
ovn:
  northbound: { endpoint: "${nb.unixEndpoint}" }
  local_ports_only: false
state_dir: "${dir}"
web: { listen_address: "127.0.0.1:0" }
policies:
  - name: project-cap
    match: { project_id: ${PROJECT} }
    limits: { ingress: { max_kbps: 40000 } }
`);
    const enforcer = await startEnforcer(loadEnforcerConfig(file), silentLogger);
    try {
      const mine = (l: string) => l.startsWith('to-lport') && l.includes('rate=40000');
      // The second port's ingress has a row of another host's enforcer: reported, left alone.
      await waitUntil('rows for the two other ports', async () => (await qosList()).filter(mine).length === 2, 5000);
      expect(await qosList()).toContain(`to-lport  2002 (outport == "${PORTS[1]}") rate=9000`);
      // The third port keeps Neutron's egress row; its ingress had none, so it gets the policy's.
      expect(await qosList()).toContain(`from-lport  2002 (inport == "${PORTS[2]}") rate=5000`);
      expect(await qosList()).toContain(`to-lport  2002 (outport == "${PORTS[2]}") rate=40000 burst=32000`);
      await nbctl('qos-del', `neutron-${NET}`, 'to-lport', '2002', `outport == "${PORTS[0]}"`);
      const start = Date.now();
      await waitUntil('repaired', async () => (await qosList()).filter(mine).length === 2, 2000);
      console.log(`OVN row repaired in ${Date.now() - start} ms`);
      expect(await (await fetch(`${enforcer.url}/metrics`)).text()).toMatch(/^ovs_enforcer_reconcile_drift_total 1$/m);
    } finally {
      await enforcer.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
