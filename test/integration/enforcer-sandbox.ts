/**
 * Shared by the enforcer's integration tests: a real OVS (ovsdb-server + ovs-vswitchd in its own
 * namespace) with Neutron-style VM ports, the OVS backend wired to it, and readers of the OVSDB
 * state as ovs-vsctl prints it (what an operator would look at).
 */
import { silentLogger } from '../../common/log.js';
import { OpenFlowSession } from '../../collector/openflow/index.js';
import { OvsdbClient, type Replica } from '../../collector/ovsdb/client.js';
import type { Row } from '../../collector/ovsdb/datum.js';
import { getString } from '../../collector/ovsdb/row.js';
import { VswitchModel } from '../../collector/ovs/model.js';
import { TenancyMapping } from '../../collector/tenancy/mapping-file.js';
import { TenancyResolver } from '../../collector/tenancy/resolver.js';
import { OvsBackend } from '../../enforcer/apply/ovs-backend.js';
import { changesPorts, OVS_ENFORCER_MONITOR } from '../../enforcer/apply/ovs-rows.js';
import { compileLimits } from '../../enforcer/policy/limits.js';
import type { Resolution } from '../../enforcer/policy/resolve.js';
import type { z } from 'zod';
import { limitsSchema } from '../../enforcer/policy/schema.js';
import { startNetnsOvs, type NetnsOvs, type NetnsVm } from '../helpers/netns-ovs.js';

export const NETWORK = '5b7b0a52-5a0a-4c44-9c35-5f7b0f4f2c11';
export const PROJECT = '0a1b2c3d4e5f40718293a4b5c6d7e8f9';

export interface SandboxVm extends NetnsVm {
  readonly portId: string;
}

export interface OvsSandbox {
  readonly ovs: NetnsOvs;
  readonly vms: readonly SandboxVm[];
  readonly client: OvsdbClient;
  readonly replica: Replica;
  readonly backend: OvsBackend;
  /** `ovs-vsctl --format=json --columns=... list TABLE [ROW]` as objects keyed by column. */
  list(table: string, row?: string, columns?: readonly string[]): Promise<Record<string, unknown>[]>;
  /**
   * A row by name as the sandbox's own OVSDB monitor holds it: what the switch has right now,
   * without an ovs-vsctl process per look (whose start-up, on a loaded machine, would blur
   * the moment a change is seen).
   */
  named(table: 'Interface' | 'Port', name: string): Row | undefined;
  dumpFlows(): Promise<string>;
  dumpMeters(): Promise<string>;
  waitSynced(): Promise<void>;
  stop(): Promise<void>;
}

/** Neutron's port ids in the lab style: one per VM. */
export const portIdOf = (i: number): string => `0c7f1a4e-2b0d-4d7c-9a53-bb1f2e3d4c${(0x50 + i).toString(16)}`;

function decodeCell(cell: unknown): unknown {
  if (!Array.isArray(cell)) return cell;
  const [kind, value] = cell as [string, unknown];
  if (kind === 'map') return Object.fromEntries((value as [unknown, unknown][]).map(([k, v]) => [String(decodeCell(k)), decodeCell(v)]));
  if (kind === 'set') return (value as unknown[]).map(decodeCell);
  if (kind === 'uuid' || kind === 'named-uuid') return value;
  return cell;
}

export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** OVS with br-int (userspace datapath) and `count` VMs wired as Neutron would (iface-id, attached-mac, net_uuid). */
export async function startOvsSandbox(count: number): Promise<OvsSandbox> {
  const ovs = await startNetnsOvs();
  try {
    await ovs.addBridge('br-int');
    await ovs.ofctl('add-flow', ovs.mgmt('br-int').slice('unix:'.length), 'priority=0,actions=NORMAL');
    const vms: SandboxVm[] = [];
    for (let i = 0; i < count; i++) {
      const vm = await ovs.addVm('br-int', `vm${i}`, `10.77.0.${i + 10}`, i + 2);
      const portId = portIdOf(i);
      await ovs.vsctl('set', 'interface', vm.port, `external_ids:iface-id=${portId}`, `external_ids:attached-mac=${vm.mac}`,
        '--', 'set', 'port', vm.port, `other_config:net_uuid=${NETWORK}`, 'tag=1');
      vms.push({ ...vm, portId });
    }
    const client = new OvsdbClient({ endpoint: ovs.ovsdb.unixEndpoint, logger: silentLogger });
    const replica = client.monitor('Open_vSwitch', OVS_ENFORCER_MONITOR);
    const mapping = TenancyMapping.fromInput({ networks: [{ id: NETWORK, project_id: PROJECT, name: 'sandbox-net' }] });
    const model = new VswitchModel(replica, new TenancyResolver(mapping));
    replica.on('change', (change) => {
      if (changesPorts(change)) model.invalidate();
    });
    for (const event of ['reset', 'synced'] as const) replica.on(event, () => model.invalidate());
    const session = new OpenFlowSession({ target: ovs.mgmt('br-int') });
    client.start();
    const backend = new OvsBackend({
      ovsdb: client, view: replica, interfaces: () => model.interfaces(), bridges: ['br-int'], openflow: () => session, logger: silentLogger,
    });
    const sandbox: OvsSandbox = {
      ovs, vms, client, replica, backend,
      async list(table, row, columns) {
        const args = ['--format=json', ...(columns ? [`--columns=${columns.join(',')}`] : []), 'list', table, ...(row ? [row] : [])];
        const out = JSON.parse(await ovs.vsctl(...args)) as { headings: string[]; data: unknown[][] };
        return out.data.map((r) => Object.fromEntries(out.headings.map((h, i) => [h, decodeCell(r[i])])));
      },
      named(table, name) {
        for (const row of replica.table(table).values()) if (getString(row, 'name') === name) return row;
        return undefined;
      },
      dumpFlows: () => ovs.ofctl('-O', 'OpenFlow13', '--no-stats', 'dump-flows', ovs.mgmt('br-int').slice('unix:'.length)),
      dumpMeters: () => ovs.ofctl('-O', 'OpenFlow13', 'dump-meters', ovs.mgmt('br-int').slice('unix:'.length)),
      waitSynced: () => waitUntil('OVSDB replica', () => replica.synced && model.interfaces().length >= count),
      async stop() {
        session.close();
        await client.close();
        await ovs.stop();
      },
    };
    await sandbox.waitSynced();
    return sandbox;
  } catch (err) {
    await ovs.stop();
    throw err;
  }
}

/** A resolution as the reconciler would hand it to a backend, for limits given as in the policy file. */
export function resolution(limits: z.input<typeof limitsSchema> | null, policy = 'test-policy'): Resolution {
  return { limits: limits === null ? null : compileLimits(limitsSchema.parse(limits)), policy: limits === null ? null : policy, throttles: [], explanation: 'test' };
}
