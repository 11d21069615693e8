/** InterfaceState and FlowRecord builders for the enrichment and aggregation tests. */
import { FlowRecord, UNKNOWN_TENANT, type InterfaceState, type TenantRef } from '../../../common/model.js';

export const NET_A = 'net-a';
export const NET_B = 'net-b';
export const PROJECT_A = 'project-a';
export const PROJECT_B = 'project-b';

export function iface(name: string, o: Omit<Partial<InterfaceState>, 'tenant'> & { tenant?: Partial<TenantRef> | null } = {}): InterfaceState {
  const tenant: TenantRef = o.tenant === null ? UNKNOWN_TENANT : { neutronPortId: `port-${name}`, networkId: NET_A, projectId: PROJECT_A, ...o.tenant };
  return {
    uuid: `uuid-${name}`,
    name,
    bridge: 'br-int',
    port: name,
    type: 'system',
    ofport: 1,
    mac: '',
    ifindex: null,
    linkUp: true,
    adminUp: true,
    mtu: 1500,
    linkSpeedBitsPerSecond: null,
    counters: {},
    localVlan: null,
    ...o,
    tenant,
  } as InterfaceState;
}

export function record(fields: Partial<FlowRecord>): FlowRecord {
  const rec = new FlowRecord();
  Object.assign(rec, { sampler_address: '127.0.0.1', sampling_rate: 1, packets: 1, bytes: 100, etype: 0x0800, proto: 6, ...fields });
  return rec;
}
