/**
 * Text forms of addresses, as the Records contract wants them: MACs lower-case colon form,
 * IPv4 dotted quad, IPv6 compressed per RFC 5952. The same few addresses repeat in every
 * datagram, so each formatter keeps a small bounded cache keyed by the address as a number:
 * the hot path then reads a few bytes and does one Map lookup instead of building a string.
 */

const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const DEC: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));

/** A Map that forgets everything when full: bounded memory, no per-hit bookkeeping. */
class BoundedCache {
  private readonly map = new Map<number, string>();
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  get(key: number): string | undefined {
    return this.map.get(key);
  }

  set(key: number, value: string): void {
    if (this.map.size >= this.max) this.map.clear();
    this.map.set(key, value);
  }
}

/**
 * Text of byte strings that repeat (IPv6 addresses, datapath ids, port names), keyed by an
 * FNV-1a hash of the bytes and checked byte for byte on a hit; forgets everything when full.
 */
export class BytesTextCache {
  private readonly map = new Map<number, { bytes: Uint8Array; text: string }>();
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  get(buf: Uint8Array, off: number, length: number, build: (buf: Uint8Array, off: number, length: number) => string): string {
    let hash = 0x811c9dc5;
    for (let i = 0; i < length; i++) hash = Math.imul(hash ^ buf[off + i], 0x01000193);
    hash >>>= 0;
    const hit = this.map.get(hash);
    if (hit !== undefined && hit.bytes.length === length) {
      let same = true;
      for (let i = 0; i < length && same; i++) same = hit.bytes[i] === buf[off + i];
      if (same) return hit.text;
    }
    const text = build(buf, off, length);
    if (this.map.size >= this.max) this.map.clear();
    this.map.set(hash, { bytes: buf.slice(off, off + length), text });
    return text;
  }
}

const macCache = new BoundedCache(4096);
const ipv6Cache = new BytesTextCache(4096);
const hex64Cache = new BytesTextCache(1024);
const ipv4Cache = new BoundedCache(4096);

/** `aa:bb:cc:dd:ee:ff` from 6 bytes at `off` (caller checked the bounds). */
export function formatMac(buf: Uint8Array, off: number): string {
  // 48 bits fit exactly in a double.
  const key = (buf[off] * 0x10000 + buf[off + 1] * 0x100 + buf[off + 2]) * 0x1000000 +
    (buf[off + 3] * 0x10000 + buf[off + 4] * 0x100 + buf[off + 5]);
  let text = macCache.get(key);
  if (text === undefined) {
    text = `${HEX2[buf[off]]}:${HEX2[buf[off + 1]]}:${HEX2[buf[off + 2]]}:${HEX2[buf[off + 3]]}:${HEX2[buf[off + 4]]}:${HEX2[buf[off + 5]]}`;
    macCache.set(key, text);
  }
  return text;
}

/** Dotted quad from 4 bytes at `off` (caller checked the bounds). */
export function formatIpv4(buf: Uint8Array, off: number): string {
  const key = buf[off] * 0x1000000 + buf[off + 1] * 0x10000 + buf[off + 2] * 0x100 + buf[off + 3];
  let text = ipv4Cache.get(key);
  if (text === undefined) {
    text = `${DEC[buf[off]]}.${DEC[buf[off + 1]]}.${DEC[buf[off + 2]]}.${DEC[buf[off + 3]]}`;
    ipv4Cache.set(key, text);
  }
  return text;
}

/**
 * RFC 5952 text of 16 bytes at `off`: lower-case hex, no leading zeros, the longest run of two
 * or more zero groups (the first on a tie) as `::`, and IPv4-mapped addresses (::ffff:0:0/96)
 * in mixed notation (section 5).
 */
export function formatIpv6(buf: Uint8Array, off: number): string {
  return ipv6Cache.get(buf, off, 16, buildIpv6);
}

function buildIpv6(buf: Uint8Array, off: number): string {
  let bestStart = -1;
  let bestLen = 0;
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    const zero = buf[off + 2 * i] === 0 && buf[off + 2 * i + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = i;
      const len = i - runStart + 1;
      if (len > bestLen) {
        bestLen = len;
        bestStart = runStart;
      }
    } else {
      runStart = -1;
    }
  }
  if (bestLen < 2) bestStart = -1;
  if (bestStart === 0 && bestLen === 5 && buf[off + 10] === 0xff && buf[off + 11] === 0xff) {
    return `::ffff:${formatIpv4(buf, off + 12)}`;
  }
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      text += '::';
      i += bestLen - 1;
      continue;
    }
    if (text !== '' && !text.endsWith(':')) text += ':';
    text += ((buf[off + 2 * i] << 8) | buf[off + 2 * i + 1]).toString(16);
  }
  return text;
}

/** 8 bytes at `off` as 16 lower-case hex digits (an OpenFlow datapath id, as OVSDB shows it). */
export function formatHex64(buf: Uint8Array, off: number): string {
  return hex64Cache.get(buf, off, 8, buildHex64);
}

function buildHex64(buf: Uint8Array, off: number): string {
  let text = '';
  for (let i = 0; i < 8; i++) text += HEX2[buf[off + i]];
  return text;
}
