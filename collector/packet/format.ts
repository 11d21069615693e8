/**
 * Text forms of addresses, as the Records contract wants them: MACs lower-case colon form,
 * IPv4 dotted quad, IPv6 compressed per RFC 5952. The same few addresses repeat in every
 * datagram, so each formatter keeps a small fixed-size cache of the texts it built: the hot
 * path then hashes and compares a few bytes instead of building a string.
 */

const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const DEC: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));

/**
 * Text of short byte strings that repeat (addresses, datapath ids, port names): a
 * direct-mapped table of `slots` entries (rounded up to a power of two) indexed by an FNV-1a
 * hash of the bytes, each entry's bytes kept in one flat array and compared on a hit. A new
 * string replaces whatever shared its slot, so memory is fixed and a hit allocates nothing.
 * (A Map keyed by the address as a number boxed every key above 2^31 and cost ~10% of the
 * sFlow pipeline.) Strings longer than `maxLength` are built every time.
 */
export class BytesTextCache {
  private readonly mask: number;
  private readonly bytes: Uint8Array;
  /** Length + 1 of each entry's bytes; 0 for an empty slot. */
  private readonly lengths: Uint16Array;
  private readonly texts: string[];

  constructor(
    slots: number,
    private readonly maxLength = 64,
  ) {
    const size = 2 ** Math.ceil(Math.log2(Math.max(1, slots)));
    this.mask = size - 1;
    this.bytes = new Uint8Array(size * maxLength);
    this.lengths = new Uint16Array(size);
    this.texts = new Array<string>(size).fill('');
  }

  get(buf: Uint8Array, off: number, length: number, build: (buf: Uint8Array, off: number, length: number) => string): string {
    if (length > this.maxLength) return build(buf, off, length);
    let hash = 0x811c9dc5;
    for (let i = 0; i < length; i++) hash = Math.imul(hash ^ buf[off + i], 0x01000193);
    const slot = (hash ^ (hash >>> 16)) & this.mask;
    const base = slot * this.maxLength;
    const bytes = this.bytes;
    if (this.lengths[slot] === length + 1) {
      let i = 0;
      while (i < length && bytes[base + i] === buf[off + i]) i++;
      if (i === length) return this.texts[slot];
    }
    const text = build(buf, off, length);
    for (let i = 0; i < length; i++) bytes[base + i] = buf[off + i];
    this.lengths[slot] = length + 1;
    this.texts[slot] = text;
    return text;
  }
}

/** 2^32 / golden ratio: Knuth's multiplicative hashing constant. */
const GOLDEN = 0x9e3779b1 | 0;

/**
 * Text of fixed-size binary values that repeat (addresses, datapath ids), keyed by the value
 * read as four 32-bit words (unused ones 0): a direct-mapped table indexed by a
 * multiplicative hash of the words, so a hit is a few integer compares. Like BytesTextCache,
 * a new value replaces whatever shared its slot.
 */
class WordTextCache {
  private readonly shift: number;
  private readonly keys: Int32Array;
  /** '' marks an empty slot (no value formats to ''). */
  private readonly texts: string[];

  constructor(bits: number) {
    this.shift = 32 - bits;
    this.keys = new Int32Array(4 << bits);
    this.texts = new Array<string>(1 << bits).fill('');
  }

  get(a: number, b: number, c: number, d: number, buf: Uint8Array, off: number, build: (buf: Uint8Array, off: number) => string): string {
    const h = Math.imul(Math.imul(Math.imul(Math.imul(a, GOLDEN) ^ b, GOLDEN) ^ c, GOLDEN) ^ d, GOLDEN);
    const slot = h >>> this.shift;
    const k = slot << 2;
    const keys = this.keys;
    const text = this.texts[slot];
    if (keys[k] === a && keys[k + 1] === b && keys[k + 2] === c && keys[k + 3] === d && text !== '') return text;
    const built = build(buf, off);
    keys[k] = a;
    keys[k + 1] = b;
    keys[k + 2] = c;
    keys[k + 3] = d;
    this.texts[slot] = built;
    return built;
  }
}

/** Big-endian 32-bit word at `off`, as a signed int (the caches only compare words). */
function word(buf: Uint8Array, off: number): number {
  return (buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3];
}

const macCache = new WordTextCache(12);
const ipv4Cache = new WordTextCache(12);
const ipv6Cache = new WordTextCache(12);
const hex64Cache = new WordTextCache(10);

/** `aa:bb:cc:dd:ee:ff` from 6 bytes at `off` (caller checked the bounds). */
export function formatMac(buf: Uint8Array, off: number): string {
  return macCache.get((buf[off] << 8) | buf[off + 1], word(buf, off + 2), 0, 0, buf, off, buildMac);
}

function buildMac(buf: Uint8Array, off: number): string {
  return `${HEX2[buf[off]]}:${HEX2[buf[off + 1]]}:${HEX2[buf[off + 2]]}:${HEX2[buf[off + 3]]}:${HEX2[buf[off + 4]]}:${HEX2[buf[off + 5]]}`;
}

/** Dotted quad from 4 bytes at `off` (caller checked the bounds). */
export function formatIpv4(buf: Uint8Array, off: number): string {
  return ipv4Cache.get(word(buf, off), 0, 0, 0, buf, off, buildIpv4);
}

function buildIpv4(buf: Uint8Array, off: number): string {
  return `${DEC[buf[off]]}.${DEC[buf[off + 1]]}.${DEC[buf[off + 2]]}.${DEC[buf[off + 3]]}`;
}

/**
 * RFC 5952 text of 16 bytes at `off`: lower-case hex, no leading zeros, the longest run of two
 * or more zero groups (the first on a tie) as `::`, and IPv4-mapped addresses (::ffff:0:0/96)
 * in mixed notation (section 5).
 */
export function formatIpv6(buf: Uint8Array, off: number): string {
  return ipv6Cache.get(word(buf, off), word(buf, off + 4), word(buf, off + 8), word(buf, off + 12), buf, off, buildIpv6);
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
  return hex64Cache.get(word(buf, off), word(buf, off + 4), 0, 0, buf, off, buildHex64);
}

function buildHex64(buf: Uint8Array, off: number): string {
  let text = '';
  for (let i = 0; i < 8; i++) text += HEX2[buf[off + i]];
  return text;
}
