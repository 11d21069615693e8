import { describe, expect, it } from 'vitest';
import { flowCookie, labProjectId, labUuid, neutronMac, neutronTapName, slaacAddress, tapMac, vxlanPortName } from '../../../lab/ids.js';

describe('lab ids', () => {
  it('makes RFC 9562 version-5 UUIDs (same value as Python uuid.uuid5)', () => {
    expect(labUuid('port', 'vm1')).toBe('112376e9-7f78-50d6-b2bb-2fe881f9ecb9');
    expect(labUuid('port', 'vm1')).toBe(labUuid('port', 'vm1'));
    expect(labUuid('port', 'vm2')).not.toBe(labUuid('port', 'vm1'));
    expect(labUuid('network', 'vm1')).not.toBe(labUuid('port', 'vm1'));
  });

  it('writes Keystone project ids without dashes', () => {
    expect(labProjectId('proj-alpha')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('derives Neutron MACs, libvirt tap MACs and tap names', () => {
    expect(neutronMac('vm1')).toMatch(/^fa:16:3e(:[0-9a-f]{2}){3}$/);
    expect(tapMac('fa:16:3e:4c:91:2a')).toBe('fe:16:3e:4c:91:2a');
    expect(neutronTapName('7b57685d-9a83-4a11-9359-d375b7caa459')).toBe('tap7b57685d-9a');
  });

  it('derives SLAAC addresses in canonical form (values from the recorded lab)', () => {
    expect(slaacAddress('fd00:a1fa', 'fa:16:3e:4c:91:2a')).toBe('fd00:a1fa::f816:3eff:fe4c:912a');
    expect(slaacAddress('fd00:b7a0', 'fa:16:3e:b7:05:d3')).toBe('fd00:b7a0::f816:3eff:feb7:5d3');
    expect(slaacAddress('fe80', 'fa:16:3e:e3:58:6b')).toBe('fe80::f816:3eff:fee3:586b');
  });

  it('names VXLAN ports like the agent and makes 64-bit cookies', () => {
    expect(vxlanPortName('172.31.255.2')).toBe('vxlan-ac1fff02');
    expect(flowCookie('compute-1')).toMatch(/^0x[0-9a-f]{16}$/);
  });
});
