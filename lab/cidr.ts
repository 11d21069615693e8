/** IPv4 prefix arithmetic for the lab's pre-flight checks. */

interface Prefix {
  readonly network: number;
  readonly length: number;
}

/** `a.b.c.d` or `a.b.c.d/len` (a host route when the length is missing); null if not IPv4. */
export function parseIpv4Prefix(text: string): Prefix | null {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(text);
  if (match === null) return null;
  const octets = match.slice(1, 5).map(Number);
  const length = match[5] === undefined ? 32 : Number(match[5]);
  if (octets.some((o) => o > 255) || length > 32) return null;
  const address = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
  return { network: (address & mask) >>> 0, length };
}

/** Whether two IPv4 prefixes share any address. */
export function prefixesOverlap(a: string, b: string): boolean {
  const pa = parseIpv4Prefix(a);
  const pb = parseIpv4Prefix(b);
  if (pa === null || pb === null) return false;
  const length = Math.min(pa.length, pb.length);
  const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
  return ((pa.network & mask) >>> 0) === ((pb.network & mask) >>> 0);
}
