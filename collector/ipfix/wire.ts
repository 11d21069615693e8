/** Big-endian reads the NetFlow / IPFIX decoders share; callers check bounds before calling. */

export function u16(buf: Uint8Array, off: number): number {
  return (buf[off] << 8) | buf[off + 1];
}

export function u32(buf: Uint8Array, off: number): number {
  return ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
}

/** An unsigned integer of 1-8 octets (reduced-size encoding, RFC 7011 section 6.2); exact below 2^53. */
export function uint(buf: Uint8Array, off: number, len: number): number {
  switch (len) {
    case 1:
      return buf[off];
    case 2:
      return u16(buf, off);
    case 4:
      return u32(buf, off);
    default: {
      let v = 0;
      for (let i = 0; i < len; i++) v = v * 256 + buf[off + i];
      return v;
    }
  }
}

export function allZero(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] !== 0) return false;
  return true;
}
