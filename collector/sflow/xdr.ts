/** XDR (RFC 4506) reads the sFlow decoder needs; callers check bounds before calling. */
import { formatIpv4, formatIpv6 } from '../packet/format.js';
import { SflowDecodeError } from './errors.js';

/**
 * An unsigned int: i32 plus the unsigned shift. A value of 2^31 or more crosses a call as a
 * newly allocated heap number, so where most words are that large (the counter records) they
 * are read through i32, whose results are small integers on 64-bit Node (32-bit Smis) and cross
 * calls unboxed (counter-sample.ts).
 */
export function u32(buf: Uint8Array, off: number): number {
  return i32(buf, off) >>> 0;
}

/** The big-endian 32-bit word at `off` as a signed int. */
export function i32(buf: Uint8Array, off: number): number {
  return (buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3];
}

/** Bytes an XDR opaque / string of `length` takes, padded to 4. */
export function padded(length: number): number {
  return (length + 3) & ~3;
}

/** Result slot of readAddress: the text and where the next field starts. */
export class AddressCursor {
  text = '';
  next = 0;
}

/**
 * An sFlow `address` union (type 0 unknown, 1 IPv4, 2 IPv6) at `off`, inside `[off, end)`.
 * Throws bad_record when it does not fit, bad_address_type for other types.
 */
export function readAddress(buf: Uint8Array, off: number, end: number, out: AddressCursor): void {
  if (end - off < 4) throw new SflowDecodeError('bad_record', off, 'address type cut');
  const type = u32(buf, off);
  if (type === 0) {
    out.text = '';
    out.next = off + 4;
  } else if (type === 1) {
    if (end - off < 8) throw new SflowDecodeError('bad_record', off, 'IPv4 address cut');
    out.text = formatIpv4(buf, off + 4);
    out.next = off + 8;
  } else if (type === 2) {
    if (end - off < 20) throw new SflowDecodeError('bad_record', off, 'IPv6 address cut');
    out.text = formatIpv6(buf, off + 4);
    out.next = off + 20;
  } else {
    throw new SflowDecodeError('bad_address_type', off, `address type ${type}`);
  }
}
