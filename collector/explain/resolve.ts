/**
 * Which interface a PORT argument names: a Neutron port id (external_ids:iface-id), a MAC
 * (attached-mac, else mac_in_use), a VM uuid (vm-uuid) or an interface name. A VM with several
 * NICs matches several interfaces: the caller is told which, to ask again by name.
 */
import type { InterfaceState } from '../../common/model.js';
import type { MatchedBy } from './types.js';

/** Identities of an interface explain can match on (its OVSDB external_ids and MAC in use). */
export interface PortIdentity {
  readonly iface: InterfaceState;
  readonly externalIds: ReadonlyMap<string, string>;
  readonly macInUse: string;
}

export type PortMatch =
  | { readonly kind: 'found'; readonly identity: PortIdentity; readonly by: MatchedBy }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'ambiguous'; readonly by: MatchedBy; readonly candidates: readonly string[] };

const MAC = /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/;

export function resolvePort(query: string, identities: readonly PortIdentity[]): PortMatch {
  const q = query.trim();
  const lower = q.toLowerCase();
  const mac = MAC.test(lower) ? lower.replaceAll('-', ':') : undefined;
  // Most specific identity first: an interface named like another's iface-id is not a real case.
  const tests: readonly [MatchedBy, (p: PortIdentity) => boolean][] = [
    ['name', (p) => p.iface.name === q],
    ['iface-id', (p) => p.externalIds.get('iface-id')?.toLowerCase() === lower],
    ['attached-mac', (p) => mac !== undefined && p.externalIds.get('attached-mac')?.toLowerCase() === mac],
    ['mac', (p) => mac !== undefined && p.macInUse.toLowerCase() === mac],
    ['vm-uuid', (p) => p.externalIds.get('vm-uuid')?.toLowerCase() === lower],
  ];
  for (const [by, test] of tests) {
    const hits = identities.filter(test);
    if (hits.length === 1) return { kind: 'found', identity: hits[0], by };
    if (hits.length > 1) return { kind: 'ambiguous', by, candidates: hits.map((h) => `${h.iface.bridge}/${h.iface.name}`).sort() };
  }
  return { kind: 'unknown' };
}
