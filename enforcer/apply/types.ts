/**
 * What the mechanism backends (OVS: OVSDB + OpenFlow; OVN: northbound QoS rows) and the
 * reconciler exchange: the ports a backend can limit, the plan that turns what is into what
 * should be, and the outcome of applying it.
 */
import type { Resolution } from '../policy/resolve.js';
import type { Target } from '../policy/selector.js';

export const MECHANISMS = [
  'ingress_policing',
  'htb',
  'egress_policer',
  'egress_meter',
  'ingress_meter',
  'dscp',
  'ovn_qos_from_lport',
  'ovn_qos_to_lport',
  'garbage',
] as const;

export type Mechanism = (typeof MECHANISMS)[number];

/** The state of one mechanism as the audit log shows it (null: nothing set). */
export type StateJson = Readonly<Record<string, unknown>> | null;

export interface PortDesire<P extends Target = Target> {
  readonly port: P;
  readonly resolution: Resolution;
}

export interface Change {
  /** `TARGET#MECHANISM`: one mechanism of one port (or a host-wide item). */
  readonly key: string;
  readonly target: Target | null;
  readonly mechanism: Mechanism;
  readonly action: 'apply' | 'update' | 'remove';
  readonly before: StateJson;
  readonly after: StateJson;
  /** The limits the change sets, for the safety floor (absent for removals). */
  readonly rates?: { readonly kbps?: number; readonly pps?: number };
  /** Why the port is limited (absent for removals of what nothing asks for any more). */
  readonly resolution?: Resolution;
}

/** Something the enforcer will not change, reported once per state (e.g. a QoS Neutron made). */
export interface Finding {
  readonly key: string;
  readonly target: Target;
  readonly mechanism: Mechanism;
  readonly reason: string;
  readonly state: StateJson;
}

export interface Plan<C extends Change = Change> {
  readonly changes: readonly C[];
  /** Mechanisms already as desired: key → fingerprint of the desired state (drift detection). */
  readonly inSync: ReadonlyMap<string, string>;
  readonly findings: readonly Finding[];
}

export interface ApplyOutcome {
  readonly key: string;
  readonly ok: boolean;
  /** A precondition (OVSDB wait) failed: the state changed under us; the next reconcile retries. */
  readonly conflict: boolean;
  readonly error?: string;
}

export interface Backend<P extends Target = Target, C extends Change = Change> {
  readonly name: string;
  /** True once the backend's view of OVS is complete (OVSDB replicas synced). */
  ready(): boolean;
  /** The VM ports policies can select. */
  targets(): readonly P[];
  /**
   * Reads what is (OVSDB replica, OpenFlow dumps) and works out the changes. `complete`: the
   * desires cover every target, so owned state nothing asks for may be collected (never when
   * only some ports are reconciled).
   */
  plan(desired: readonly PortDesire<P>[], complete: boolean): Promise<Plan<C>>;
  apply(changes: readonly C[]): Promise<ApplyOutcome[]>;
}

/** A stable fingerprint of a desired state, for "this was in place before" (drift). */
export function fingerprint(state: StateJson): string {
  return JSON.stringify(state);
}

/** Change key of one mechanism of one target. */
export function changeKey(targetKey: string, mechanism: Mechanism): string {
  return `${targetKey}#${mechanism}`;
}
