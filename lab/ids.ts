/**
 * Deterministic identifiers, derived from names so every `lab up` makes the same UUIDs, MACs and
 * addresses (tests and recorded data can rely on them).
 */
import { createHash } from 'node:crypto';

/** Namespace of the lab's name-based UUIDs (RFC 9562 §5.5, version 5). */
const LAB_UUID_NAMESPACE = Buffer.from('5d0f6c1e4b7a4e2f9c3a8b1d2e6f7a90', 'hex');

function sha1(...parts: (string | Buffer)[]): Buffer {
  const hash = createHash('sha1');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** A version-5 UUID for `kind:name` (e.g. `port:vm1`). */
export function labUuid(kind: string, name: string): string {
  const bytes = sha1(LAB_UUID_NAMESPACE, `${kind}:${name}`).subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Keystone project ids are UUIDs written without dashes. */
export function labProjectId(name: string): string {
  return labUuid('project', name).replaceAll('-', '');
}

/** A Neutron port MAC (`fa:16:3e` is Neutron's default base_mac). */
export function neutronMac(name: string): string {
  const [a, b, c] = sha1('mac:', name);
  return ['fa', '16', '3e', a!, b!, c!].map((x) => (typeof x === 'string' ? x : x.toString(16).padStart(2, '0'))).join(':');
}

/** The host end of a VM's tap as libvirt sets it: the guest MAC with the first octet 0xfe. */
export function tapMac(guestMac: string): string {
  return `fe${guestMac.slice(2)}`;
}

/** Neutron's device name for a port: `tap` + the first 11 characters of the port UUID. */
export function neutronTapName(portId: string): string {
  return `tap${portId.slice(0, 11)}`;
}

/** The 64-bit modified EUI-64 interface id of a MAC (RFC 4291 appendix A), as 4 hex groups. */
function eui64Groups(mac: string): string[] {
  const b = mac.split(':').map((x) => Number.parseInt(x, 16));
  const bytes = [b[0]! ^ 0x02, b[1]!, b[2]!, 0xff, 0xfe, b[3]!, b[4]!, b[5]!];
  const groups: string[] = [];
  for (let i = 0; i < 8; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups;
}

/**
 * The SLAAC address of `mac` in `prefix`::/64, canonical text (RFC 5952). `prefix` is the first
 * two groups, non-zero (the lab's ULA prefixes); the interface id's first group is never zero,
 * so `::` stands exactly for groups 3 and 4.
 */
export function slaacAddress(prefix: string, mac: string): string {
  return `${prefix}::${eui64Groups(mac).join(':')}`;
}

/** Neutron's VXLAN port name: `vxlan-` + the remote IPv4 address in hex. */
export function vxlanPortName(remoteIp: string): string {
  return `vxlan-${remoteIp.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join('')}`;
}

/** A stable 64-bit OpenFlow cookie (hex) per host and agent, like the agent's random one. */
export function flowCookie(host: string): string {
  return `0x${sha1('cookie:', host).subarray(0, 8).toString('hex')}`;
}
