import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UNKNOWN } from '../../../common/model.js';
import { loadMappingFile, TenancyMapping } from '../../../collector/tenancy/mapping-file.js';
import { TenancyResolver, type InterfaceFacts } from '../../../collector/tenancy/resolver.js';

const fixtures = join(import.meta.dirname, '../../fixtures/tenancy');
const NET = '51c2edfc-179e-49dc-81a4-a3ff2fe04fc1';
const PROJECT = '96f8c917ab334f45842a6ca9ad6fa255';
const PORT = 'a793ab62-f4c1-4a4e-9a55-0d1f7a8f3a11';

function facts(over: Partial<InterfaceFacts> = {}): InterfaceFacts {
  return { name: 'tapa793ab62-f4', bridge: 'br-int', mac: 'fa:16:3e:11:22:33', externalIds: new Map(), portOtherConfig: new Map(), ...over };
}

describe('TenancyResolver', () => {
  const mapping = loadMappingFile(join(fixtures, 'mapping.good.yml'));

  it('ML2/OVS: port from iface-id, network from net_uuid, project from the mapping', () => {
    const t = new TenancyResolver(mapping).resolve(
      facts({
        externalIds: new Map([['iface-id', PORT], ['attached-mac', 'fa:16:3e:11:22:33'], ['vm-uuid', 'vm-1'], ['iface-status', 'active']]),
        portOtherConfig: new Map([['net_uuid', NET], ['network_type', 'vxlan'], ['physical_network', 'None'], ['segmentation_id', '1001'], ['tag', '1']]),
      }),
    );
    expect(t).toMatchObject({ neutronPortId: PORT, networkId: NET, projectId: PROJECT, networkName: 'alpha-net', vmUuid: 'vm-1', networkType: 'vxlan', segmentationId: 1001 });
    expect(t.physicalNetwork).toBeUndefined();
  });

  it('agent-made ports (DHCP, router) with only iface-id are normal', () => {
    const t = new TenancyResolver(TenancyMapping.empty()).resolve(facts({ externalIds: new Map([['iface-id', PORT], ['iface-status', 'active']]) }));
    expect(t).toMatchObject({ neutronPortId: PORT, networkId: UNKNOWN, projectId: UNKNOWN });
    expect(t.vmUuid).toBeUndefined();
  });

  it('ML2/OVN: project and network come from the logical switch port', () => {
    const resolver = new TenancyResolver(TenancyMapping.empty());
    resolver.setOvnPorts(new Map([[PORT, { networkId: NET, projectId: PROJECT, networkName: 'alpha-net', deviceId: 'vm-9' }]]));
    const t = resolver.resolve(facts({ externalIds: new Map([['iface-id', PORT]]) }));
    expect(t).toMatchObject({ neutronPortId: PORT, networkId: NET, projectId: PROJECT, networkName: 'alpha-net', vmUuid: 'vm-9' });
  });

  it('non-OpenStack hosts: interface rules by glob, first match wins', () => {
    const resolver = new TenancyResolver(mapping);
    expect(resolver.resolve(facts({ name: 'vnet3', mac: '52:54:00:aa:bb:cc', bridge: 'br-lab' }))).toMatchObject({ neutronPortId: 'vm1-nic0', networkId: 'lan-a', projectId: 'team-a' });
    expect(resolver.resolve(facts({ name: 'vnet3', mac: 'fa:16:3e:aa:bb:cc', bridge: 'br-lab' }))).toMatchObject({ neutronPortId: UNKNOWN, networkId: 'lab', projectId: UNKNOWN });
    expect(resolver.resolve(facts({ name: 'eth0', bridge: 'br-ex' }))).toMatchObject({ neutronPortId: UNKNOWN, networkId: UNKNOWN, projectId: UNKNOWN });
  });

  it.each(['bad-glob-key.bad.yml', 'empty-match.bad.yml'])('%s is rejected at load with file, key and reason', (file) => {
    const path = join(fixtures, file);
    const expected = /^# error: (.*)$/m.exec(readFileSync(path, 'utf8'))?.[1] ?? '';
    expect(() => loadMappingFile(path)).toThrow(`${path}: ${expected}`);
  });
});
