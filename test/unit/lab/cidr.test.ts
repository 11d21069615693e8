import { describe, expect, it } from 'vitest';
import { parseIpv4Prefix, prefixesOverlap } from '../../../lab/cidr.js';

describe('IPv4 prefixes', () => {
  it('parses prefixes and host routes, rejects the rest', () => {
    expect(parseIpv4Prefix('172.31.255.7/24')).toEqual({ network: 0xac1fff00, length: 24 });
    expect(parseIpv4Prefix('10.0.0.1')).toEqual({ network: 0x0a000001, length: 32 });
    expect(parseIpv4Prefix('0.0.0.0/0')).toEqual({ network: 0, length: 0 });
    for (const bad of ['default', '256.0.0.0/8', '10.0.0.0/33', 'fe80::/64']) expect(parseIpv4Prefix(bad)).toBeNull();
  });

  it('finds overlaps either way round', () => {
    expect(prefixesOverlap('172.31.0.0/16', '172.31.255.0/24')).toBe(true);
    expect(prefixesOverlap('172.31.255.2', '172.31.255.0/24')).toBe(true);
    expect(prefixesOverlap('172.31.255.0/24', '172.31.254.0/24')).toBe(false);
    expect(prefixesOverlap('192.0.2.0/24', '172.31.255.0/24')).toBe(false);
    expect(prefixesOverlap('default', '172.31.255.0/24')).toBe(false);
  });
});
