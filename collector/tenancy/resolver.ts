/**
 * Who owns an OVS interface: its Neutron port, network and project, from three sources in order
 * of authority:
 *  1. ML2/OVS, written into OVSDB by os-vif and neutron-openvswitch-agent:
 *     Interface.external_ids iface-id (Neutron port UUID), attached-mac, vm-uuid;
 *     Port.tag (host-local VLAN) and Port.other_config net_uuid, network_type,
 *     physical_network, segmentation_id.
 *  2. ML2/OVN, from the northbound DB: the Logical_Switch_Port named by iface-id carries
 *     neutron:project_id, and neutron:network_name = "neutron-<network uuid>" (the switch's own
 *     neutron:network_name is the human-readable name).
 *  3. The static mapping file: network id -> project and name, and interface rules.
 * Missing keys are normal (router and DHCP ports carry only iface-id); what is not known is
 * `unknown`, never an error.
 */
import { UNKNOWN, type TenantRef } from '../../common/model.js';
import type { TenancyMapping } from './mapping-file.js';

/** What OVSDB says about an interface and its port. */
export interface InterfaceFacts {
  readonly name: string;
  readonly bridge: string;
  readonly mac: string;
  readonly externalIds: ReadonlyMap<string, string>;
  readonly portOtherConfig: ReadonlyMap<string, string>;
}

/** A Neutron port as the OVN northbound DB describes it. */
export interface OvnPortInfo {
  readonly networkId?: string;
  readonly projectId?: string;
  readonly networkName?: string;
  readonly deviceId?: string;
}

/** Neutron writes the string "None" for unset values in other_config. */
function present(value: string | undefined): string | undefined {
  return value === undefined || value === '' || value === 'None' ? undefined : value;
}

function intOrUndefined(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

export class TenancyResolver {
  private ovnPorts: ReadonlyMap<string, OvnPortInfo> = new Map();

  constructor(private readonly mapping: TenancyMapping) {}

  /** Replaces the OVN northbound view (keyed by logical port name = Neutron port id). */
  setOvnPorts(ports: ReadonlyMap<string, OvnPortInfo>): void {
    this.ovnPorts = ports;
  }

  resolve(facts: InterfaceFacts): TenantRef {
    const ifaceId = present(facts.externalIds.get('iface-id'));
    const ovn = ifaceId === undefined ? undefined : this.ovnPorts.get(ifaceId);
    const rule = this.mapping.matchInterface({
      name: facts.name,
      mac: facts.mac,
      bridge: facts.bridge,
      ifaceId,
    });
    const networkId = present(facts.portOtherConfig.get('net_uuid')) ?? ovn?.networkId ?? rule?.networkId;
    const network = networkId === undefined ? undefined : this.mapping.networks.get(networkId);
    const projectId = ovn?.projectId ?? rule?.projectId ?? network?.projectId;
    const segmentationId = intOrUndefined(facts.portOtherConfig.get('segmentation_id')) ?? network?.segmentationId;
    return {
      neutronPortId: ifaceId ?? rule?.portId ?? UNKNOWN,
      networkId: networkId ?? UNKNOWN,
      projectId: projectId ?? UNKNOWN,
      networkName: ovn?.networkName ?? network?.name,
      vmUuid: present(facts.externalIds.get('vm-uuid')) ?? present(ovn?.deviceId),
      networkType: present(facts.portOtherConfig.get('network_type')) ?? network?.networkType,
      segmentationId,
      physicalNetwork: present(facts.portOtherConfig.get('physical_network')) ?? network?.physicalNetwork,
    };
  }
}
