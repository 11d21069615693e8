/**
 * OpenFlow actions (OF1.3 §7.2.5, OF1.5 §7.2.6) and the Nicira extension actions OVS uses in
 * Neutron's tables (ofp-actions.c: nx_action_resubmit, nx_action_set_tunnel(64),
 * nx_action_reg_load(2), nx_action_note, nx_action_conntrack, nx_action_conjunction).
 *
 * What OVS 3.1 actually sends in OF1.3+ for the br-tun tables (checked on a real bridge):
 * `mod_vlan_vid:1` becomes push_vlan:0x8100 + set_field vlan_vid=0x1001 (OFPVID_PRESENT|1),
 * `strip_vlan` becomes pop_vlan and `set_tunnel:0x3e9` becomes set_field tun_id=0x3e9; flows
 * written as NXAST_REG_LOAD keep that form in OF1.3/1.4. The NX forms are decoded too, for other
 * controllers and older switches.
 */
import { TelemetryError } from '../../common/errors.js';
import { NX_VENDOR_ID, OFP15, type OfVersion } from './constants.js';
import { decodeOxm, encodeOxm, fieldNameOf, oxmLength, type MatchField } from './oxm.js';
import { formatHex, need, pad8, protocolError, writeU64 } from './wire.js';

export type Action =
  | { readonly type: 'output'; readonly port: number; readonly maxLen: number }
  | { readonly type: 'group'; readonly groupId: number }
  | { readonly type: 'set_queue'; readonly queueId: number }
  | { readonly type: 'push_vlan'; readonly ethertype: number }
  | { readonly type: 'pop_vlan' }
  | { readonly type: 'set_field'; readonly field: MatchField }
  | { readonly type: 'dec_nw_ttl' }
  /** OF1.5 OFPAT_METER; in OF1.3/1.4 a meter is the `meter` instruction instead. */
  | { readonly type: 'meter'; readonly meterId: number }
  /** NXAST_RESUBMIT(_TABLE(_CT)); `tableId` undefined = the current table; port OFPP_IN_PORT = unchanged. */
  | { readonly type: 'resubmit'; readonly port: number; readonly tableId: number | undefined; readonly ct: boolean }
  /** NXAST_SET_TUNNEL / NXAST_SET_TUNNEL64. */
  | { readonly type: 'set_tunnel'; readonly tunnelId: bigint }
  /** NXAST_REG_LOAD: bits [ofs, ofs + nBits) of `field` := value. */
  | { readonly type: 'reg_load'; readonly field: string; readonly ofs: number; readonly nBits: number; readonly value: bigint }
  | { readonly type: 'note'; readonly hex: string }
  | {
      readonly type: 'ct';
      readonly commit: boolean;
      /** Immediate zone, or undefined when the zone comes from a field (`zoneField`). */
      readonly zone: number | undefined;
      readonly zoneField: string | undefined;
      readonly recircTable: number | undefined;
      readonly alg: number;
      readonly actions: readonly Action[];
    }
  /** `clause` is 0-based as on the wire (ovs-ofctl prints clause + 1). */
  | { readonly type: 'conjunction'; readonly id: number; readonly clause: number; readonly nClauses: number }
  /** Any other experimenter action, kept by its numbers. */
  | { readonly type: 'experimenter'; readonly experimenter: number; readonly subtype: number }
  /** Any other standard action, kept by its number. */
  | { readonly type: 'other'; readonly code: number };

const OFPAT_OUTPUT = 0;
const OFPAT_PUSH_VLAN = 17;
const OFPAT_POP_VLAN = 18;
const OFPAT_SET_QUEUE = 21;
const OFPAT_GROUP = 22;
const OFPAT_DEC_NW_TTL = 24;
const OFPAT_SET_FIELD = 25;
const OFPAT15_METER = 29;
const OFPAT_EXPERIMENTER = 0xffff;

const NXAST_RESUBMIT = 1;
const NXAST_SET_TUNNEL = 2;
const NXAST_REG_LOAD = 7;
const NXAST_NOTE = 8;
const NXAST_SET_TUNNEL64 = 9;
const NXAST_RESUBMIT_TABLE = 14;
const NXAST_REG_LOAD2 = 33;
const NXAST_CONJUNCTION = 34;
const NXAST_CT = 35;
const NXAST_RESUBMIT_TABLE_CT = 44;

const NX_CT_F_COMMIT = 1;
const NX_TABLE_NONE = 0xff;
/** OF1.0 16-bit reserved ports (0xff00 and up) map onto the 32-bit ones by sign extension. */
const OFPP10_MAX = 0xff00;

function port16to32(port: number): number {
  return port >= OFPP10_MAX ? (port | 0xffff0000) >>> 0 : port;
}

/** Decodes the action list in [offset, end). Nested depth is bounded (ct carries actions). */
export function decodeActions(buf: Buffer, offset: number, end: number, depth = 0): Action[] {
  if (depth > 2) throw protocolError('actions nested too deeply');
  const actions: Action[] = [];
  let pos = offset;
  while (pos < end) {
    need(pos, 4, end, 'action header');
    const type = buf.readUInt16BE(pos);
    const len = buf.readUInt16BE(pos + 2);
    if (len < 8 || len % 8 !== 0) throw protocolError(`action type ${type} has length ${len} (must be a multiple of 8, >= 8)`);
    need(pos, len, end, `action type ${type}`);
    actions.push(decodeAction(buf, pos, len, type, depth));
    pos += len;
  }
  return actions;
}

function decodeAction(buf: Buffer, pos: number, len: number, type: number, depth: number): Action {
  const min = (n: number): void => {
    if (len < n) throw protocolError(`action type ${type} has length ${len}, needs ${n}`);
  };
  switch (type) {
    case OFPAT_OUTPUT:
      min(16);
      return { type: 'output', port: buf.readUInt32BE(pos + 4), maxLen: buf.readUInt16BE(pos + 8) };
    case OFPAT_GROUP:
      return { type: 'group', groupId: buf.readUInt32BE(pos + 4) };
    case OFPAT_SET_QUEUE:
      return { type: 'set_queue', queueId: buf.readUInt32BE(pos + 4) };
    case OFPAT_PUSH_VLAN:
      return { type: 'push_vlan', ethertype: buf.readUInt16BE(pos + 4) };
    case OFPAT_POP_VLAN:
      return { type: 'pop_vlan' };
    case OFPAT_DEC_NW_TTL:
      return { type: 'dec_nw_ttl' };
    case OFPAT15_METER:
      return { type: 'meter', meterId: buf.readUInt32BE(pos + 4) };
    case OFPAT_SET_FIELD:
      return { type: 'set_field', field: decodeOxm(buf, pos + 4, pos + len).field };
    case OFPAT_EXPERIMENTER:
      return decodeExperimenter(buf, pos, len, depth);
    default:
      return { type: 'other', code: type };
  }
}

function decodeExperimenter(buf: Buffer, pos: number, len: number, depth: number): Action {
  const experimenter = buf.readUInt32BE(pos + 4);
  if (len < 16) {
    return { type: 'experimenter', experimenter, subtype: -1 };
  }
  const subtype = buf.readUInt16BE(pos + 8);
  if (experimenter !== NX_VENDOR_ID) return { type: 'experimenter', experimenter, subtype };
  const min = (n: number): void => {
    if (len < n) throw protocolError(`Nicira action ${subtype} has length ${len}, needs ${n}`);
  };
  switch (subtype) {
    case NXAST_RESUBMIT:
    case NXAST_RESUBMIT_TABLE:
    case NXAST_RESUBMIT_TABLE_CT: {
      const table = buf[pos + 12];
      return {
        type: 'resubmit',
        port: port16to32(buf.readUInt16BE(pos + 10)),
        tableId: subtype === NXAST_RESUBMIT || table === NX_TABLE_NONE ? undefined : table,
        ct: subtype === NXAST_RESUBMIT_TABLE_CT,
      };
    }
    case NXAST_SET_TUNNEL:
      return { type: 'set_tunnel', tunnelId: BigInt(buf.readUInt32BE(pos + 12)) };
    case NXAST_SET_TUNNEL64:
      min(24);
      return { type: 'set_tunnel', tunnelId: buf.readBigUInt64BE(pos + 16) };
    case NXAST_REG_LOAD: {
      min(24);
      const ofsNbits = buf.readUInt16BE(pos + 10);
      return {
        type: 'reg_load',
        field: fieldNameOf(buf.readUInt32BE(pos + 12)),
        ofs: ofsNbits >>> 6,
        nBits: (ofsNbits & 0x3f) + 1,
        value: buf.readBigUInt64BE(pos + 16),
      };
    }
    case NXAST_REG_LOAD2:
      return { type: 'set_field', field: decodeOxm(buf, pos + 10, pos + len).field };
    case NXAST_NOTE:
      return { type: 'note', hex: formatHex(buf, pos + 10, len - 10) };
    case NXAST_CONJUNCTION:
      return {
        type: 'conjunction',
        clause: buf[pos + 10],
        nClauses: buf[pos + 11],
        id: buf.readUInt32BE(pos + 12),
      };
    case NXAST_CT: {
      min(24);
      const zoneSrc = buf.readUInt32BE(pos + 12);
      const table = buf[pos + 18];
      return {
        type: 'ct',
        commit: (buf.readUInt16BE(pos + 10) & NX_CT_F_COMMIT) !== 0,
        zone: zoneSrc === 0 ? buf.readUInt16BE(pos + 16) : undefined,
        zoneField: zoneSrc === 0 ? undefined : fieldNameOf(zoneSrc),
        recircTable: table === NX_TABLE_NONE ? undefined : table,
        alg: buf.readUInt16BE(pos + 22),
        actions: decodeActions(buf, pos + 24, pos + len, depth + 1),
      };
    }
    default:
      return { type: 'experimenter', experimenter, subtype };
  }
}

function usage(message: string): TelemetryError {
  return new TelemetryError('USAGE', `OpenFlow action: ${message}`);
}

/** Encoded size of one action. */
function actionLength(action: Action): number {
  switch (action.type) {
    case 'output':
    case 'resubmit':
      return 16;
    case 'set_tunnel':
      return 24;
    case 'set_field':
      return pad8(4 + oxmLength(action.field));
    case 'group':
    case 'set_queue':
    case 'push_vlan':
    case 'pop_vlan':
    case 'dec_nw_ttl':
    case 'meter':
      return 8;
    default:
      throw usage(`encoding ${action.type} is not supported`);
  }
}

export function actionsLength(actions: readonly Action[]): number {
  let total = 0;
  for (const a of actions) total += actionLength(a);
  return total;
}

/** Writes `actions` at `offset` into a zero-filled buffer; returns the offset after them. */
export function encodeActions(buf: Buffer, offset: number, actions: readonly Action[], version: OfVersion): number {
  let pos = offset;
  for (const action of actions) {
    const len = actionLength(action);
    buf.writeUInt16BE(len, pos + 2);
    switch (action.type) {
      case 'output':
        buf.writeUInt16BE(OFPAT_OUTPUT, pos);
        buf.writeUInt32BE(action.port, pos + 4);
        buf.writeUInt16BE(action.maxLen, pos + 8);
        break;
      case 'group':
        buf.writeUInt16BE(OFPAT_GROUP, pos);
        buf.writeUInt32BE(action.groupId, pos + 4);
        break;
      case 'set_queue':
        buf.writeUInt16BE(OFPAT_SET_QUEUE, pos);
        buf.writeUInt32BE(action.queueId, pos + 4);
        break;
      case 'push_vlan':
        buf.writeUInt16BE(OFPAT_PUSH_VLAN, pos);
        buf.writeUInt16BE(action.ethertype, pos + 4);
        break;
      case 'pop_vlan':
        buf.writeUInt16BE(OFPAT_POP_VLAN, pos);
        break;
      case 'dec_nw_ttl':
        buf.writeUInt16BE(OFPAT_DEC_NW_TTL, pos);
        break;
      case 'meter':
        if (version < OFP15) throw usage('the meter action exists from OF1.5 on; use the meter instruction');
        buf.writeUInt16BE(OFPAT15_METER, pos);
        buf.writeUInt32BE(action.meterId, pos + 4);
        break;
      case 'set_field':
        buf.writeUInt16BE(OFPAT_SET_FIELD, pos);
        encodeOxm(buf, pos + 4, action.field);
        break;
      case 'resubmit':
        writeNxHeader(buf, pos, action.ct ? NXAST_RESUBMIT_TABLE_CT : NXAST_RESUBMIT_TABLE);
        buf.writeUInt16BE(action.port >= 0xffffff00 ? action.port & 0xffff : action.port, pos + 10);
        buf[pos + 12] = action.tableId ?? NX_TABLE_NONE;
        break;
      case 'set_tunnel':
        writeNxHeader(buf, pos, NXAST_SET_TUNNEL64);
        writeU64(buf, pos + 16, action.tunnelId);
        break;
      default:
        throw usage(`encoding ${action.type} is not supported`);
    }
    pos += len;
  }
  return pos;
}

function writeNxHeader(buf: Buffer, pos: number, subtype: number): void {
  buf.writeUInt16BE(OFPAT_EXPERIMENTER, pos);
  buf.writeUInt32BE(NX_VENDOR_ID, pos + 4);
  buf.writeUInt16BE(subtype, pos + 8);
}
