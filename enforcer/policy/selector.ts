/**
 * Selectors: which ports a policy applies to, and how specific it is. Every key given must
 * match (AND). When several policies select one port, the most specific wins:
 * neutron_port_id > interface > network_id > project_id > bridge (a policy counts as its most
 * specific key); then the one with more keys; then the one written first.
 */
import { compileGlob } from '../../common/glob.js';
import type { SelectorInput } from './schema.js';

/** What a policy is matched against: one VM port (OVS interface or OVN logical port). */
export interface Target {
  /** Stable identity within one enforcer: `BRIDGE/PORT` (OVS) or `lsp/NAME` (OVN). */
  readonly key: string;
  /** OVS interface name ('' when not known, e.g. an OVN port not bound here). */
  readonly interface: string;
  readonly bridge: string;
  /** Neutron port id, network id and project id; common/model UNKNOWN when not known. */
  readonly neutronPortId: string;
  readonly networkId: string;
  readonly projectId: string;
}

export const SELECTOR_KEYS = ['neutron_port_id', 'interface', 'network_id', 'project_id', 'bridge'] as const;
export type SelectorKey = (typeof SELECTOR_KEYS)[number];

/** Rank of each key: higher is more specific. */
const RANK: Readonly<Record<SelectorKey, number>> = { neutron_port_id: 5, interface: 4, network_id: 3, project_id: 2, bridge: 1 };

const FIELD: Readonly<Record<SelectorKey, (t: Target) => string>> = {
  neutron_port_id: (t) => t.neutronPortId,
  interface: (t) => t.interface,
  network_id: (t) => t.networkId,
  project_id: (t) => t.projectId,
  bridge: (t) => t.bridge,
};

export interface Specificity {
  /** The most specific key the selector uses. */
  readonly key: SelectorKey;
  readonly rank: number;
  readonly keys: number;
}

export interface CompiledSelector {
  readonly source: Readonly<Partial<Record<SelectorKey, string>>>;
  readonly specificity: Specificity;
  matches(target: Target): boolean;
}

export function compileSelector(input: SelectorInput): CompiledSelector {
  const tests: ((t: Target) => boolean)[] = [];
  const source: Partial<Record<SelectorKey, string>> = {};
  let best: SelectorKey = 'bridge';
  for (const key of SELECTOR_KEYS) {
    const wanted = input[key];
    if (wanted === undefined) continue;
    source[key] = wanted;
    if (RANK[key] > RANK[best]) best = key;
    const field = FIELD[key];
    // Only interface names are globs; ids are compared as they are.
    if (key === 'interface') {
      const test = compileGlob(wanted);
      tests.push((t) => t.interface !== '' && test(t.interface));
    } else {
      tests.push((t) => field(t) === wanted);
    }
  }
  const specificity = { key: best, rank: RANK[best], keys: tests.length };
  return Object.freeze({
    source: Object.freeze(source),
    specificity: Object.freeze(specificity),
    matches: (t: Target) => tests.every((test) => test(t)),
  });
}

/** Negative when `a` is more specific than `b` (sorts the winner first); file order breaks ties. */
export function compareSpecificity(a: Specificity, b: Specificity): number {
  return b.rank - a.rank || b.keys - a.keys;
}
