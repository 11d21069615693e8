/**
 * The ML2/OVS backend: VM ports from the Open_vSwitch database (monitored), limits applied with
 * OVSDB transactions (ovs-ovsdb.ts) and the native OpenFlow client (ovs-openflow.ts).
 * OVSDB changes of one reconcile go out as one atomic transaction (with a comment naming the
 * enforcer, visible in `ovsdb-tool show-log`); when it fails, each change is retried in its own
 * transaction so one conflicting port does not hold up the others.
 */
import type { InterfaceState } from '../../common/model.js';
import type { Logger } from '../../common/log.js';
import { describeError } from '../../common/errors.js';
import type { FlowMod, MeterConfig, MeterMod, OpenFlowClient } from '../../collector/openflow/index.js';
import type { TransactOperation, TransactResult } from '../../collector/ovsdb/transact.js';
import { isPreconditionFailure } from './ovsdb-json.js';
import { planOpenFlow, COOKIE_MASK, COOKIE_PREFIX, isOwnedMeter, meterIdsOf, type BridgeFlows, type OpenFlowChange } from './ovs-openflow.js';
import { OvsdbPlanner, type OvsdbChange } from './ovs-ovsdb.js';
import { meterRecord, ownership, vmPorts, type OvsPort, type Ownership, type TableView } from './ovs-rows.js';
import { formatMeterIds, METERS_KEY } from '../../common/ownership.js';
import { deleteMapKeys, setMapKeys } from './ovsdb-json.js';
import type { RowChange } from '../../collector/ovsdb/replica.js';
import type { ApplyOutcome, Backend, Plan, PortDesire } from './types.js';

export type OvsChange = OvsdbChange | OpenFlowChange;

/** What the backend needs of the replica: its tables, whether it is live, and its changes. */
export interface OvsView extends TableView {
  readonly synced: boolean;
  on(event: 'change', listener: (change: RowChange) => void): unknown;
  on(event: 'reset', listener: () => void): unknown;
}

/** What the backend needs of the OVSDB client. */
export interface Transactor {
  transact(db: string, ops: readonly TransactOperation[]): Promise<TransactResult[]>;
}

/** What the backend needs of an OpenFlow session (collector/openflow OpenFlowSession). */
export interface OpenFlowUser {
  use<T>(fn: (client: OpenFlowClient) => Promise<T>): Promise<T>;
}

export interface OvsBackendOptions {
  readonly ovsdb: Transactor;
  /** The monitored Open_vSwitch replica (OVS_ENFORCER_MONITOR). */
  readonly view: OvsView;
  /**
   * VM interfaces with their tenancy (the collector's VswitchModel): the same array until they
   * change, so the ports built from it are kept until then.
   */
  readonly interfaces: () => readonly InterfaceState[];
  readonly bridges: readonly string[];
  readonly openflow: (bridge: string) => OpenFlowUser;
  readonly logger: Logger;
}

/** Changes per OVSDB transaction. */
const BATCH = 500;
/** OpenFlow requests in flight at once (each is a mod + barrier). */
const OPENFLOW_CONCURRENCY = 32;

function isOvsdbChange(c: OvsChange): c is OvsdbChange {
  return 'ovsdb' in c;
}

async function inBatches<T>(items: readonly T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

export class OvsBackend implements Backend<OvsPort, OvsChange> {
  readonly name = 'ovs';
  private readonly bridges: ReadonlySet<string>;
  private readonly ovsdbPlanner = new OvsdbPlanner();
  private ports: { readonly from: readonly InterfaceState[]; readonly ports: readonly OvsPort[] } | null = null;
  /** The owned QoS/Queue rows and their references, until a change of QoS, Queue or Port. */
  private owned: Ownership | null = null;
  /** Rows changed since the last complete plan (what the planner's memos may no longer match). */
  private changedRows = new Set<string>();

  constructor(private readonly opts: OvsBackendOptions) {
    this.bridges = new Set(opts.bridges);
    opts.view.on('change', (c) => {
      if (c.table === 'QoS' || c.table === 'Queue' || c.table === 'Port') this.owned = null;
      this.changedRows.add(c.uuid);
    });
    opts.view.on('reset', () => {
      this.owned = null;
      this.ovsdbPlanner.forget();
    });
  }

  ready(): boolean {
    return this.opts.view.synced;
  }

  targets(): readonly OvsPort[] {
    const interfaces = this.opts.interfaces();
    if (this.ports?.from !== interfaces) this.ports = { from: interfaces, ports: vmPorts(interfaces, this.opts.view, this.bridges) };
    return this.ports.ports;
  }

  async plan(desired: readonly PortDesire<OvsPort>[], complete: boolean): Promise<Plan<OvsChange>> {
    const changed = this.changedRows;
    const ovsdb = this.ovsdbPlanner.plan(this.opts.view, desired, complete, () => (this.owned ??= ownership(this.opts.view)), (uuid) => changed.has(uuid));
    // A complete plan looked at every port: later changes are what the next one must look at.
    if (complete) this.changedRows = new Set();
    const changes: OvsChange[] = [...ovsdb.changes];
    const inSync = new Map(ovsdb.inSync);
    const findings = [...ovsdb.findings];
    for (const bridge of this.bridges) {
      let flows: BridgeFlows;
      try {
        flows = await this.readBridge(bridge);
      } catch (err) {
        // Without the switch's view there is nothing safe to change there; OVSDB still goes ahead.
        this.opts.logger.warn({ bridge, err: describeError(err) }, 'enforcer: cannot read flows and meters; OpenFlow changes wait');
        continue;
      }
      const part = planOpenFlow(flows, desired, complete);
      changes.push(...part.changes);
      for (const [k, v] of part.inSync) inSync.set(k, v);
      findings.push(...part.findings);
    }
    return { changes, inSync, findings };
  }

  /** The enforcer's flows and meters on a bridge (ovs-openflow.ts states which meters are its own). */
  private async readBridge(bridge: string): Promise<BridgeFlows> {
    return this.opts.openflow(bridge).use(async (client) => {
      const flowList = await client.flowStatsAll({ cookie: COOKIE_PREFIX, cookieMask: COOKIE_MASK });
      const meterList: MeterConfig[] = await client.meterConfig();
      const ours = new Set([...(meterRecord(this.opts.view, bridge)?.ids ?? []), ...flowList.flatMap((f) => meterIdsOf(f.instructions))]);
      const meters = new Map<number, MeterConfig>();
      const foreignMeters = new Set<number>();
      for (const m of meterList) {
        if (ours.has(m.meterId)) meters.set(m.meterId, m);
        else if (isOwnedMeter(m.meterId)) foreignMeters.add(m.meterId);
      }
      return { bridge, flows: new Map(flowList.map((f) => [f.cookie, f])), meters, foreignMeters };
    });
  }

  /** Writes the bridge's meter record: `add` joins it, `remove` leaves it. */
  private async recordMeters(bridge: string, add: readonly number[], remove: readonly number[]): Promise<void> {
    const record = meterRecord(this.opts.view, bridge);
    if (record === null) throw new Error(`bridge ${bridge} is not in OVSDB`);
    const ids = new Set(record.ids);
    for (const id of add) ids.add(id);
    for (const id of remove) ids.delete(id);
    if (ids.size === record.ids.size && [...ids].every((id) => record.ids.has(id))) return;
    await this.opts.ovsdb.transact('Open_vSwitch', [
      { op: 'comment', comment: `ovs-telemetry enforcer: meters of ${bridge}` },
      ...(ids.size === 0
        ? [deleteMapKeys('Bridge', record.uuid, 'external_ids', [METERS_KEY])]
        : setMapKeys('Bridge', record.uuid, 'external_ids', [[METERS_KEY, formatMeterIds(ids)]])),
    ]);
  }

  async apply(changes: readonly OvsChange[]): Promise<ApplyOutcome[]> {
    const ovsdb = changes.filter(isOvsdbChange);
    const openflow = changes.filter((c): c is OpenFlowChange => !isOvsdbChange(c));
    const outcomes: ApplyOutcome[] = [];
    for (let i = 0; i < ovsdb.length; i += BATCH) outcomes.push(...(await this.applyOvsdb(ovsdb.slice(i, i + BATCH))));
    outcomes.push(...(await this.applyOpenFlow(openflow)));
    return outcomes;
  }

  private async transact(changes: readonly OvsdbChange[]): Promise<void> {
    const what = changes.length === 1 ? `${changes[0].mechanism} ${changes[0].action} ${changes[0].target?.key ?? ''}` : `${changes.length} changes`;
    await this.opts.ovsdb.transact('Open_vSwitch', [{ op: 'comment', comment: `ovs-telemetry enforcer: ${what}` }, ...changes.flatMap((c) => c.ovsdb)]);
  }

  private async applyOvsdb(changes: readonly OvsdbChange[]): Promise<ApplyOutcome[]> {
    if (changes.length === 0) return [];
    try {
      await this.transact(changes);
      return changes.map((c) => ({ key: c.key, ok: true, conflict: false }));
    } catch (err) {
      if (changes.length === 1) return [{ key: changes[0].key, ok: false, conflict: isPreconditionFailure(err), error: describeError(err) }];
    }
    const outcomes: ApplyOutcome[] = [];
    for (const change of changes) {
      try {
        await this.transact([change]);
        outcomes.push({ key: change.key, ok: true, conflict: false });
      } catch (err) {
        outcomes.push({ key: change.key, ok: false, conflict: isPreconditionFailure(err), error: describeError(err) });
      }
    }
    return outcomes;
  }

  /**
   * Per bridge, in phases across all changes: meters first (flows refer to them), then flows,
   * then flow deletions, then meter deletions (deleting a meter deletes the flows that use it).
   */
  private async applyOpenFlow(changes: readonly OpenFlowChange[]): Promise<ApplyOutcome[]> {
    const failed = new Map<string, string>();
    const bridges = [...new Set(changes.map((c) => c.openflow.bridge))];
    for (const bridge of bridges) {
      const mine = changes.filter((c) => c.openflow.bridge === bridge);
      try {
        // A meter is recorded as the enforcer's before it exists, and forgotten once it is gone.
        await this.recordMeters(bridge, mine.flatMap((c) => c.openflow.meters.filter((m) => m.command === 'add').map((m) => m.meterId)), []);
        await this.opts.openflow(bridge).use(async (client) => {
          const run = async (pick: (c: OpenFlowChange) => readonly (FlowMod | MeterMod)[]): Promise<void> => {
            const work = mine.flatMap((c) => pick(c).map((mod) => ({ change: c, mod })));
            await inBatches(work, OPENFLOW_CONCURRENCY, async ({ change, mod }) => {
              if (failed.has(change.key)) return;
              try {
                if ('meterId' in mod) await client.meterMod(mod);
                else await client.flowMod(mod);
              } catch (err) {
                failed.set(change.key, describeError(err));
              }
            });
          };
          await run((c) => c.openflow.meters);
          await run((c) => c.openflow.flows);
          await run((c) => c.openflow.deleteFlows);
          await run((c) => c.openflow.deleteMeters);
        });
        const deleted = mine.filter((c) => !failed.has(c.key)).flatMap((c) => c.openflow.deleteMeters.map((m) => m.meterId));
        await this.recordMeters(bridge, [], deleted).catch((err: unknown) => {
          // Harmless: a recorded id with no meter behind it is only ever re-created by the enforcer.
          this.opts.logger.warn({ bridge, err: describeError(err) }, 'enforcer: cannot update the meter record');
        });
      } catch (err) {
        for (const c of mine) if (!failed.has(c.key)) failed.set(c.key, describeError(err));
      }
    }
    return changes.map((c) => {
      const error = failed.get(c.key);
      return error === undefined ? { key: c.key, ok: true, conflict: false } : { key: c.key, ok: false, conflict: false, error };
    });
  }
}
