/**
 * Small big-endian readers and writers shared by the OpenFlow codec. Decoders get a Buffer plus
 * offsets; every length that drives a loop is checked against the end with `need()` first, so a
 * truncated or lying message becomes a PROTOCOL error, never an out-of-range read.
 */
import { TelemetryError } from '../../common/errors.js';

const TWO_POW_32 = 0x1_0000_0000;

export function protocolError(message: string): TelemetryError {
  return new TelemetryError('PROTOCOL', `OpenFlow: ${message}`);
}

/** Throws unless [offset, offset + length) lies inside [.., end). */
export function need(offset: number, length: number, end: number, what: string): void {
  if (length < 0 || offset + length > end) {
    throw protocolError(`${what} truncated: needs ${length} bytes at offset ${offset}, only ${end - offset} left`);
  }
}

/** Rounds up to the next multiple of 8 (OpenFlow pads matches, actions and properties to 64 bits). */
export function pad8(length: number): number {
  return (length + 7) & ~7;
}

/**
 * A 64-bit counter as a JS number: exact below 2^53 (9 PB, or 9e15 packets); above that the
 * relative error is under 1e-16, the same float64 Prometheus stores it in. No BigInt per read.
 */
export function readU64(buf: Buffer, offset: number): number {
  return buf.readUInt32BE(offset) * TWO_POW_32 + buf.readUInt32BE(offset + 4);
}

/** A counter where all-ones means "not available" (OF1.3 §7.3.5.6 and §7.3.5.7): `undefined`. */
export function readCounter(buf: Buffer, offset: number): number | undefined {
  const hi = buf.readUInt32BE(offset);
  const lo = buf.readUInt32BE(offset + 4);
  if (hi === 0xffffffff && lo === 0xffffffff) return undefined;
  return hi * TWO_POW_32 + lo;
}

/** sec + nsec as seconds, the way ovs-ofctl prints `duration=`. */
export function readDuration(buf: Buffer, offset: number): number {
  return buf.readUInt32BE(offset) + buf.readUInt32BE(offset + 4) / 1e9;
}

export function formatMac(buf: Buffer, offset: number): string {
  let out = '';
  for (let i = 0; i < 6; i++) {
    const byte = buf[offset + i];
    out += (i === 0 ? '' : ':') + (byte < 16 ? '0' : '') + byte.toString(16);
  }
  return out;
}

export function formatIpv4(buf: Buffer, offset: number): string {
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
}

/** RFC 5952 canonical text: lower case, longest run (>= 2) of zero groups compressed. */
export function formatIpv6(buf: Buffer, offset: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(offset + 2 * i));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string =>
    groups
      .slice(from, to)
      .map((g) => g.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

export function formatHex(buf: Buffer, offset: number, length: number): string {
  return `0x${buf.toString('hex', offset, offset + length)}`;
}

/** A NUL-terminated fixed-size string field (port names). */
export function readCString(buf: Buffer, offset: number, size: number): string {
  const end = buf.indexOf(0, offset);
  return buf.toString('utf8', offset, end < 0 || end > offset + size ? offset + size : end);
}

export function writeU64(buf: Buffer, offset: number, value: bigint | number): void {
  buf.writeBigUInt64BE(BigInt.asUintN(64, BigInt(value)), offset);
}

/** Parses "aa:bb:cc:dd:ee:ff" into 6 bytes at `offset`. */
export function writeMac(buf: Buffer, offset: number, text: string): void {
  const parts = text.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new TelemetryError('USAGE', `not a MAC address: ${text}`);
  }
  for (let i = 0; i < 6; i++) buf[offset + i] = parseInt(parts[i], 16);
}

export function writeIpv4(buf: Buffer, offset: number, text: string): void {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new TelemetryError('USAGE', `not an IPv4 address: ${text}`);
  }
  for (let i = 0; i < 4; i++) buf[offset + i] = Number(parts[i]);
}

export function writeIpv6(buf: Buffer, offset: number, text: string): void {
  const halves = text.split('::');
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const head = parse(halves[0]);
  const tail = halves.length === 2 ? parse(halves[1]) : [];
  const fill = 8 - head.length - tail.length;
  const groups = halves.length === 2 ? [...head, ...new Array<number>(fill).fill(0), ...tail] : head;
  if (halves.length > 2 || groups.length !== 8 || fill < 0 || groups.some((g) => !(g >= 0 && g <= 0xffff))) {
    throw new TelemetryError('USAGE', `not an IPv6 address: ${text}`);
  }
  for (let i = 0; i < 8; i++) buf.writeUInt16BE(groups[i], offset + 2 * i);
}
