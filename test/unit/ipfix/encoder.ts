/**
 * Test-only builders for IPFIX messages, NetFlow v9 and v5 packets: small and explicit, so
 * tests state the bytes they feed the decoder.
 */
import { concat, u16, u32 } from '../../helpers/sflow-encoder.js';

export interface FieldSpec {
  id: number;
  /** 65535 = variable length. */
  length: number;
  enterprise?: number;
}

function specifiers(fields: FieldSpec[]): Uint8Array {
  return concat(
    ...fields.map((f) => (f.enterprise ? concat(u16(f.id | 0x8000, f.length), u32(f.enterprise)) : u16(f.id, f.length))),
  );
}

export interface IpfixHeader {
  exportTime?: number;
  sequence?: number;
  domain?: number;
  /** Message length to write instead of the real one. */
  length?: number;
}

export function ipfixMessage(h: IpfixHeader, ...sets: Uint8Array[]): Uint8Array {
  const body = concat(...sets);
  return concat(u16(10, h.length ?? 16 + body.length), u32(h.exportTime ?? 1700000000, h.sequence ?? 0, h.domain ?? 0), body);
}

/** A set with its header (RFC 7011 section 3.3.2); `length` overrides the written length. */
export function set(id: number, body: Uint8Array, length = body.length + 4): Uint8Array {
  return concat(u16(id, length), body);
}

export function templateRecord(id: number, fields: FieldSpec[]): Uint8Array {
  return concat(u16(id, fields.length), specifiers(fields));
}

export function optionsTemplateRecord(id: number, scopeCount: number, fields: FieldSpec[]): Uint8Array {
  return concat(u16(id, fields.length, scopeCount), specifiers(fields));
}

export function templateSet(...records: Uint8Array[]): Uint8Array {
  return set(2, concat(...records));
}

export function optionsTemplateSet(...records: Uint8Array[]): Uint8Array {
  return set(3, concat(...records));
}

export function dataSet(id: number, ...records: Uint8Array[]): Uint8Array {
  return set(id, concat(...records));
}

/** A variable-length value with its 1- or 3-octet length prefix (RFC 7011 section 7). */
export function varField(value: Uint8Array): Uint8Array {
  return value.length < 255 ? concat(new Uint8Array([value.length]), value) : concat(new Uint8Array([255]), u16(value.length), value);
}

export function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** A big-endian unsigned integer in `size` octets. */
export function uint(value: number | bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let v = BigInt(value);
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export interface V9Header {
  count?: number;
  sysUptime?: number;
  unixSecs?: number;
  sequence?: number;
  sourceId?: number;
}

export function v9Packet(h: V9Header, ...flowsets: Uint8Array[]): Uint8Array {
  return concat(u16(9, h.count ?? 0), u32(h.sysUptime ?? 0, h.unixSecs ?? 1700000000, h.sequence ?? 0, h.sourceId ?? 0), ...flowsets);
}

export function v9TemplateFlowset(...records: Uint8Array[]): Uint8Array {
  return set(0, concat(...records));
}

/** A v9 options template record: scope fields (scope types) then option fields, lengths in bytes. */
export function v9OptionsTemplateRecord(id: number, scopes: FieldSpec[], fields: FieldSpec[]): Uint8Array {
  return concat(u16(id, scopes.length * 4, fields.length * 4), specifiers(scopes), specifiers(fields));
}

export function v9OptionsTemplateFlowset(...records: Uint8Array[]): Uint8Array {
  return set(1, concat(...records));
}

export interface V5Header {
  count?: number;
  sysUptime?: number;
  unixSecs?: number;
  unixNsecs?: number;
  sequence?: number;
  engineType?: number;
  engineId?: number;
  sampling?: number;
}

export interface V5Record {
  src: Uint8Array;
  dst: Uint8Array;
  input: number;
  output: number;
  packets: number;
  bytes: number;
  first: number;
  last: number;
  srcPort: number;
  dstPort: number;
  tcpFlags: number;
  proto: number;
  tos: number;
}

export function v5Packet(h: V5Header, records: V5Record[]): Uint8Array {
  const header = concat(
    u16(5, h.count ?? records.length),
    u32(h.sysUptime ?? 0, h.unixSecs ?? 1700000000, h.unixNsecs ?? 0, h.sequence ?? 0),
    new Uint8Array([h.engineType ?? 0, h.engineId ?? 0]),
    u16(h.sampling ?? 0),
  );
  return concat(
    header,
    ...records.map((r) =>
      concat(
        r.src,
        r.dst,
        new Uint8Array(4),
        u16(r.input, r.output),
        u32(r.packets, r.bytes, r.first, r.last),
        u16(r.srcPort, r.dstPort),
        new Uint8Array([0, r.tcpFlags, r.proto, r.tos]),
        new Uint8Array(8),
      ),
    ),
  );
}
