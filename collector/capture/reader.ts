/**
 * pcap and pcapng file reader: yields one reused frame object per packet, whose `data` is a
 * view into the file bytes (no copy). Formats: libpcap (microsecond and nanosecond magic,
 * either byte order) and pcapng (draft-ietf-opsawg-pcapng: section, interface description,
 * enhanced / simple / obsolete packet blocks, if_tsresol and if_tsoffset, several sections).
 * A length that runs past the file ends the read with a TelemetryError('DECODE').
 */
import { TelemetryError } from '../../common/errors.js';

export class CapturedFrame {
  /** 1-based frame number, as tshark counts. */
  number = 0;
  timestampNs = 0n;
  /** LINKTYPE_* value of the frame's interface. */
  linkType = 0;
  data: Uint8Array = new Uint8Array(0);
  /** Length on the wire (data may be shorter when the capture was cut at a snap length). */
  originalLength = 0;
}

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAPNG_SECTION_HEADER = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;

function fail(detail: string): never {
  throw new TelemetryError('DECODE', `capture file: ${detail}`);
}

/** Detects the format from the first 4 bytes and yields every frame. */
export function* readCapture(bytes: Uint8Array): Generator<CapturedFrame, void, undefined> {
  if (bytes.length < 4) fail('shorter than any capture header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicBE = view.getUint32(0, false);
  if (magicBE === PCAPNG_SECTION_HEADER) {
    yield* readPcapng(bytes, view);
    return;
  }
  const magicLE = view.getUint32(0, true);
  if (magicBE === PCAP_MAGIC_US || magicBE === PCAP_MAGIC_NS) {
    yield* readPcap(bytes, view, false, magicBE === PCAP_MAGIC_NS);
  } else if (magicLE === PCAP_MAGIC_US || magicLE === PCAP_MAGIC_NS) {
    yield* readPcap(bytes, view, true, magicLE === PCAP_MAGIC_NS);
  } else {
    fail(`unknown magic 0x${magicBE.toString(16).padStart(8, '0')} (not pcap or pcapng)`);
  }
}

function* readPcap(bytes: Uint8Array, view: DataView, le: boolean, nanos: boolean): Generator<CapturedFrame> {
  if (bytes.length < 24) fail('pcap header cut');
  // The low 16 bits are the link type; the upper bits may carry FCS information.
  const linkType = view.getUint32(20, le) & 0xffff;
  const frame = new CapturedFrame();
  frame.linkType = linkType;
  const fractionToNs = nanos ? 1n : 1000n;
  let pos = 24;
  let number = 0;
  while (pos < bytes.length) {
    if (bytes.length - pos < 16) fail(`record header of frame ${number + 1} cut at byte ${pos}`);
    const seconds = view.getUint32(pos, le);
    const fraction = view.getUint32(pos + 4, le);
    const captured = view.getUint32(pos + 8, le);
    const original = view.getUint32(pos + 12, le);
    pos += 16;
    if (captured > bytes.length - pos) fail(`frame ${number + 1} claims ${captured} bytes, ${bytes.length - pos} left`);
    frame.number = ++number;
    frame.timestampNs = BigInt(seconds) * 1_000_000_000n + BigInt(fraction) * fractionToNs;
    frame.data = bytes.subarray(pos, pos + captured);
    frame.originalLength = original;
    pos += captured;
    yield frame;
  }
}

interface PcapngInterface {
  linkType: number;
  /** Timestamp units per second, and the offset in seconds (if_tsresol / if_tsoffset). */
  unitsPerSecond: bigint;
  offsetSeconds: bigint;
}

const BLOCK_INTERFACE = 1;
const BLOCK_PACKET_OBSOLETE = 2;
const BLOCK_SIMPLE_PACKET = 3;
const BLOCK_ENHANCED_PACKET = 6;
const OPTION_END = 0;
const OPTION_IF_TSRESOL = 9;
const OPTION_IF_TSOFFSET = 14;
/** More interfaces than any real capture has: bounds what a corrupt file can make us keep. */
const MAX_INTERFACES = 65536;

function* readPcapng(bytes: Uint8Array, view: DataView): Generator<CapturedFrame> {
  const frame = new CapturedFrame();
  let interfaces: PcapngInterface[] = [];
  let le = true;
  let pos = 0;
  let number = 0;
  while (pos < bytes.length) {
    if (bytes.length - pos < 12) fail(`block header cut at byte ${pos}`);
    const typeAnyOrder = view.getUint32(pos, true);
    if (typeAnyOrder === PCAPNG_SECTION_HEADER) {
      // A new section: its byte-order magic decides the endianness of everything in it.
      const bom = view.getUint32(pos + 8, true);
      if (bom === PCAPNG_BYTE_ORDER_MAGIC) le = true;
      else if (bom === 0x4d3c2b1a) le = false;
      else fail(`bad byte-order magic at byte ${pos + 8}`);
      interfaces = [];
    }
    const type = view.getUint32(pos, le);
    const length = view.getUint32(pos + 4, le);
    if (length < 12 || length % 4 !== 0 || length > bytes.length - pos) {
      fail(`block at byte ${pos} has length ${length} (${bytes.length - pos} left)`);
    }
    const body = pos + 8;
    const bodyEnd = pos + length - 4;
    if (type === BLOCK_INTERFACE) {
      if (bodyEnd - body < 8) fail(`interface block at byte ${pos} cut`);
      if (interfaces.length >= MAX_INTERFACES) fail('too many interfaces');
      interfaces.push(readInterface(view, body, bodyEnd, le));
    } else if (type === BLOCK_ENHANCED_PACKET || type === BLOCK_PACKET_OBSOLETE) {
      if (bodyEnd - body < 20) fail(`packet block at byte ${pos} cut`);
      const id = type === BLOCK_ENHANCED_PACKET ? view.getUint32(body, le) : view.getUint16(body, le);
      const iface = interfaces[id];
      if (iface === undefined) fail(`packet block at byte ${pos} names unknown interface ${id}`);
      const high = view.getUint32(body + 4, le);
      const low = view.getUint32(body + 8, le);
      const captured = view.getUint32(body + 12, le);
      if (captured > bodyEnd - (body + 20)) fail(`packet block at byte ${pos} claims ${captured} bytes`);
      frame.number = ++number;
      frame.linkType = iface.linkType;
      frame.timestampNs = toNanoseconds((BigInt(high) << 32n) | BigInt(low), iface);
      frame.originalLength = view.getUint32(body + 16, le);
      frame.data = bytes.subarray(body + 20, body + 20 + captured);
      yield frame;
    } else if (type === BLOCK_SIMPLE_PACKET) {
      const iface = interfaces[0];
      if (iface === undefined) fail(`simple packet block at byte ${pos} before any interface`);
      const original = view.getUint32(body, le);
      const captured = Math.min(original, bodyEnd - (body + 4));
      frame.number = ++number;
      frame.linkType = iface.linkType;
      frame.timestampNs = 0n; // simple packet blocks carry no timestamp
      frame.originalLength = original;
      frame.data = bytes.subarray(body + 4, body + 4 + captured);
      yield frame;
    }
    pos += length;
  }
}

function readInterface(view: DataView, pos: number, end: number, le: boolean): PcapngInterface {
  const iface: PcapngInterface = { linkType: view.getUint16(pos, le), unitsPerSecond: 1_000_000n, offsetSeconds: 0n };
  pos += 8;
  while (end - pos >= 4) {
    const code = view.getUint16(pos, le);
    const length = view.getUint16(pos + 2, le);
    pos += 4;
    if (code === OPTION_END || length > end - pos) break;
    if (code === OPTION_IF_TSRESOL && length >= 1) {
      const resolution = view.getUint8(pos);
      const exponent = BigInt(resolution & 0x7f);
      // MSB set: a negative power of 2, else of 10. Exponents past 2^63 units/s are nonsense.
      if (exponent <= 63n) iface.unitsPerSecond = resolution & 0x80 ? 1n << exponent : 10n ** exponent;
    } else if (code === OPTION_IF_TSOFFSET && length >= 8) {
      iface.offsetSeconds = view.getBigInt64(pos, le);
    }
    pos += (length + 3) & ~3;
  }
  return iface;
}

function toNanoseconds(units: bigint, iface: PcapngInterface): bigint {
  const ns = (units * 1_000_000_000n) / iface.unitsPerSecond;
  return ns + iface.offsetSeconds * 1_000_000_000n;
}
