/**
 * Whole OpenFlow messages: the 8-byte header, HELLO with a version bitmap and its negotiation
 * (OF1.3 §6.3.1), ECHO, FEATURES, BARRIER, ERROR and the multipart request/reply envelope.
 * Pure functions from values to Buffers and back; the connection lives in client.ts.
 */
import {
  ERROR_TYPE_NAMES,
  HEADER_LEN,
  HELLO_ELEM_VERSIONBITMAP,
  MULTIPART_HEADER_LEN,
  MULTIPART_REPLY_MORE,
  MsgType,
  type OfVersion,
} from './constants.js';
import { need, pad8, protocolError } from './wire.js';

export interface Header {
  readonly version: number;
  readonly type: number;
  readonly length: number;
  readonly xid: number;
}

export function decodeHeader(msg: Buffer): Header {
  need(0, HEADER_LEN, msg.length, 'header');
  return { version: msg[0], type: msg[1], length: msg.readUInt16BE(2), xid: msg.readUInt32BE(4) };
}

/** A zero-filled message of `length` bytes with its header written. */
export function allocMessage(version: number, type: number, length: number, xid: number): Buffer {
  if (length > 0xffff) throw protocolError(`message of ${length} bytes exceeds the 65535-byte OpenFlow limit`);
  const buf = Buffer.alloc(length);
  buf[0] = version;
  buf[1] = type;
  buf.writeUInt16BE(length, 2);
  buf.writeUInt32BE(xid, 4);
  return buf;
}

/** HELLO carrying the highest version in the header and every version in a bitmap element. */
export function encodeHello(versions: readonly OfVersion[], xid: number): Buffer {
  const highest = Math.max(...versions);
  const words = Math.floor(highest / 32) + 1;
  const elemLen = 4 + 4 * words;
  const msg = allocMessage(highest, MsgType.HELLO, HEADER_LEN + pad8(elemLen), xid);
  msg.writeUInt16BE(HELLO_ELEM_VERSIONBITMAP, HEADER_LEN);
  msg.writeUInt16BE(elemLen, HEADER_LEN + 2);
  for (const v of versions) {
    const at = HEADER_LEN + 4 + 4 * Math.floor(v / 32);
    msg.writeUInt32BE((msg.readUInt32BE(at) | (1 << (v % 32))) >>> 0, at);
  }
  return msg;
}

/** The versions a peer's HELLO offers: its bitmap when present, else every version up to its header's. */
export function helloVersions(msg: Buffer): { readonly highest: number; readonly bitmap: readonly number[] | undefined } {
  const { version } = decodeHeader(msg);
  const length = msg.length;
  let pos = HEADER_LEN;
  while (pos + 4 <= length) {
    const type = msg.readUInt16BE(pos);
    const elemLen = msg.readUInt16BE(pos + 2);
    if (elemLen < 4) throw protocolError(`HELLO element of length ${elemLen}`);
    need(pos, elemLen, length, 'HELLO element');
    if (type === HELLO_ELEM_VERSIONBITMAP) {
      const bitmap: number[] = [];
      for (let w = 0; (w + 1) * 4 + 4 <= elemLen; w++) {
        const word = msg.readUInt32BE(pos + 4 + 4 * w);
        for (let bit = 0; bit < 32; bit++) if ((word >>> bit) & 1) bitmap.push(w * 32 + bit);
      }
      return { highest: version, bitmap };
    }
    pos += pad8(elemLen);
  }
  return { highest: version, bitmap: undefined };
}

/** Picks the version to speak, or undefined when none is common. */
export function negotiateVersion(ours: readonly OfVersion[], peerHello: Buffer): OfVersion | undefined {
  const peer = helloVersions(peerHello);
  const candidates = ours
    .filter((v) => (peer.bitmap === undefined ? v <= peer.highest : peer.bitmap.includes(v)))
    .sort((a, b) => b - a);
  return candidates[0];
}

export function encodeEcho(version: OfVersion, type: typeof MsgType.ECHO_REQUEST | typeof MsgType.ECHO_REPLY, xid: number, data?: Buffer): Buffer {
  const msg = allocMessage(version, type, HEADER_LEN + (data?.length ?? 0), xid);
  data?.copy(msg, HEADER_LEN);
  return msg;
}

export function encodeEmpty(version: OfVersion, type: number, xid: number): Buffer {
  return allocMessage(version, type, HEADER_LEN, xid);
}

export interface SwitchFeatures {
  readonly datapathId: bigint;
  readonly nBuffers: number;
  readonly nTables: number;
  readonly auxiliaryId: number;
  /** OFPC_* bits: 1 FLOW_STATS, 2 TABLE_STATS, 4 PORT_STATS, 8 GROUP_STATS, 32 IP_REASM, 64 QUEUE_STATS, 256 PORT_BLOCKED. */
  readonly capabilities: number;
}

export function decodeFeaturesReply(msg: Buffer): SwitchFeatures {
  need(0, 32, msg.length, 'FEATURES_REPLY');
  return {
    datapathId: msg.readBigUInt64BE(8),
    nBuffers: msg.readUInt32BE(16),
    nTables: msg[20],
    auxiliaryId: msg[21],
    capabilities: msg.readUInt32BE(24),
  };
}

export interface ErrorMessage {
  readonly type: number;
  readonly code: number;
  readonly typeName: string;
  /** Start of the offending request, hex (at least its 64 first bytes per the spec). */
  readonly dataHex: string;
}

export function decodeError(msg: Buffer): ErrorMessage {
  need(0, HEADER_LEN + 4, msg.length, 'ERROR');
  const type = msg.readUInt16BE(8);
  return {
    type,
    code: msg.readUInt16BE(10),
    typeName: ERROR_TYPE_NAMES[type] ?? `type ${type}`,
    dataHex: msg.toString('hex', 12, Math.min(msg.length, 12 + 64)),
  };
}

export function encodeError(version: OfVersion, xid: number, type: number, code: number, data: Buffer): Buffer {
  const msg = allocMessage(version, MsgType.ERROR, HEADER_LEN + 4 + data.length, xid);
  msg.writeUInt16BE(type, 8);
  msg.writeUInt16BE(code, 10);
  data.copy(msg, 12);
  return msg;
}

/** A multipart request with `bodyLength` body bytes left zero for the caller to fill from offset 16. */
export function allocMultipartRequest(version: OfVersion, mpType: number, bodyLength: number, xid: number): Buffer {
  const msg = allocMessage(version, MsgType.MULTIPART_REQUEST, MULTIPART_HEADER_LEN + bodyLength, xid);
  msg.writeUInt16BE(mpType, 8);
  return msg;
}

export interface MultipartReply {
  readonly mpType: number;
  readonly more: boolean;
  /** The body: a view of the message, valid while it is being handled. */
  readonly body: Buffer;
}

export function decodeMultipartReply(msg: Buffer): MultipartReply {
  need(0, MULTIPART_HEADER_LEN, msg.length, 'MULTIPART_REPLY');
  return {
    mpType: msg.readUInt16BE(8),
    more: (msg.readUInt16BE(10) & MULTIPART_REPLY_MORE) !== 0,
    body: msg.subarray(MULTIPART_HEADER_LEN),
  };
}
