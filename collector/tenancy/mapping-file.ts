/**
 * The static tenancy mapping file: for ML2/OVS hosts (where OVSDB knows a port's network but not
 * its project) and for non-OpenStack hosts (where nothing in OVSDB names a tenant).
 *
 *   networks:                      # network id -> project and name
 *     - id: 51c2edfc-179e-49dc-81a4-a3ff2fe04fc1
 *       project_id: 96f8c917ab334f45842a6ca9ad6fa255
 *       name: alpha-net
 *       segmentation_id: 1001      # optional: VNI / VLAN of the network
 *   interfaces:                    # interface rules, first match wins
 *     - match: { interface: "vnet*", mac: "52:54:00:*" }   # globs; all given must match
 *       network_id: lan-a
 *       project_id: team-a
 *       port_id: vm1-nic0          # optional
 *
 * Rules compile when the file is loaded, so a bad glob fails at start, not on the first packet.
 */
import { z } from 'zod';
import { compileGlob } from '../../common/glob.js';
import { parseYamlFileWith } from '../../common/yaml-file.js';

const networkSchema = z.strictObject({
  id: z.string().min(1),
  project_id: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  network_type: z.string().min(1).optional(),
  segmentation_id: z.number().int().min(0).max(16_777_215).optional(),
  physical_network: z.string().min(1).optional(),
});

const interfaceRuleSchema = z.strictObject({
  match: z
    .strictObject({
      interface: z.string().min(1).optional(),
      mac: z.string().min(1).optional(),
      bridge: z.string().min(1).optional(),
      iface_id: z.string().min(1).optional(),
    })
    .refine((m) => Object.keys(m).length > 0, 'needs at least one of interface, mac, bridge, iface_id'),
  network_id: z.string().min(1).optional(),
  project_id: z.string().min(1).optional(),
  port_id: z.string().min(1).optional(),
});

export const mappingSchema = z.strictObject({
  networks: z.array(networkSchema).default([]),
  interfaces: z.array(interfaceRuleSchema).default([]),
});

export type MappingInput = z.input<typeof mappingSchema>;

export interface NetworkInfo {
  readonly id: string;
  readonly projectId?: string;
  readonly name?: string;
  readonly networkType?: string;
  readonly segmentationId?: number;
  readonly physicalNetwork?: string;
}

export interface InterfaceRuleTarget {
  readonly networkId?: string;
  readonly projectId?: string;
  readonly portId?: string;
}

/** What a rule is matched against. */
export interface InterfaceKey {
  readonly name: string;
  readonly mac: string;
  readonly bridge: string;
  readonly ifaceId: string | undefined;
}

interface CompiledRule {
  readonly tests: readonly ((key: InterfaceKey) => boolean)[];
  readonly target: InterfaceRuleTarget;
}

export class TenancyMapping {
  readonly networks: ReadonlyMap<string, NetworkInfo>;
  private readonly rules: readonly CompiledRule[];

  constructor(networks: readonly NetworkInfo[], rules: readonly CompiledRule[]) {
    this.networks = new Map(networks.map((n) => [n.id, n]));
    this.rules = rules;
  }

  static empty(): TenancyMapping {
    return new TenancyMapping([], []);
  }

  static fromInput(input: MappingInput): TenancyMapping {
    const data = mappingSchema.parse(input);
    const networks = data.networks.map(
      (n): NetworkInfo => ({
        id: n.id,
        projectId: n.project_id,
        name: n.name,
        networkType: n.network_type,
        segmentationId: n.segmentation_id,
        physicalNetwork: n.physical_network,
      }),
    );
    const rules = data.interfaces.map((r): CompiledRule => {
      const tests: ((key: InterfaceKey) => boolean)[] = [];
      const { interface: name, mac, bridge, iface_id: ifaceId } = r.match;
      if (name !== undefined) tests.push(globTest(name, (k) => k.name));
      if (mac !== undefined) tests.push(globTest(mac.toLowerCase(), (k) => k.mac));
      if (bridge !== undefined) tests.push(globTest(bridge, (k) => k.bridge));
      if (ifaceId !== undefined) tests.push(globTest(ifaceId, (k) => k.ifaceId ?? ''));
      return { tests, target: { networkId: r.network_id, projectId: r.project_id, portId: r.port_id } };
    });
    return new TenancyMapping(networks, rules);
  }

  /** The first interface rule all of whose globs match, if any. */
  matchInterface(key: InterfaceKey): InterfaceRuleTarget | undefined {
    for (const rule of this.rules) {
      if (rule.tests.every((t) => t(key))) return rule.target;
    }
    return undefined;
  }
}

function globTest(glob: string, field: (key: InterfaceKey) => string): (key: InterfaceKey) => boolean {
  const test = compileGlob(glob);
  return (key) => test(field(key));
}

export function loadMappingFile(file: string): TenancyMapping {
  return TenancyMapping.fromInput(parseYamlFileWith(file, mappingSchema));
}
