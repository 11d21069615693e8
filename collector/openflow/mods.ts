/**
 * FLOW_MOD and METER_MOD encoders (OF1.3 §7.3.4.2 and §7.3.4.5; same layouts in 1.4/1.5 except
 * that OF1.4 turned flow_mod's padding into `importance`). Used by the enforcer.
 */
import { TelemetryError } from '../../common/errors.js';
import {
  HEADER_LEN,
  MsgType,
  OFP14,
  OFP_NO_BUFFER,
  OFPG_ANY,
  OFPP_ANY,
  OFPTT_ALL,
  type OfVersion,
} from './constants.js';
import { encodeInstructions, instructionsLength, type Instruction } from './instructions.js';
import { allocMessage } from './messages.js';
import { encodeMatch, matchLength, type Match } from './oxm.js';
import {
  METER_FLAG_BITS,
  OFPMBT_DROP,
  OFPMBT_DSCP_REMARK,
  OFPMBT_EXPERIMENTER,
  type MeterBand,
  type MeterFlag,
} from './stats.js';
import { writeU64 } from './wire.js';

export type FlowModCommand = 'add' | 'modify' | 'modify_strict' | 'delete' | 'delete_strict';
const FLOW_MOD_COMMANDS: Readonly<Record<FlowModCommand, number>> = {
  add: 0,
  modify: 1,
  modify_strict: 2,
  delete: 3,
  delete_strict: 4,
};

export interface FlowMod {
  readonly command: FlowModCommand;
  /** Default 0; deletes default to all tables. */
  readonly tableId?: number;
  /** Default 0x8000 (OFP_DEFAULT_PRIORITY). */
  readonly priority?: number;
  readonly cookie?: bigint;
  /** For modify/delete: which cookie bits must match. */
  readonly cookieMask?: bigint;
  readonly idleTimeout?: number;
  readonly hardTimeout?: number;
  /** OFPFF_* bits. */
  readonly flags?: number;
  /** OF1.4+. */
  readonly importance?: number;
  /** For deletes: only flows that output to this port / group. */
  readonly outPort?: number;
  readonly outGroup?: number;
  readonly match?: Match;
  readonly instructions?: readonly Instruction[];
}

const DEFAULT_PRIORITY = 0x8000;
const FLOW_MOD_FIXED = HEADER_LEN + 40;

export function encodeFlowMod(mod: FlowMod, version: OfVersion, xid: number): Buffer {
  const match = mod.match ?? [];
  const instructions = mod.instructions ?? [];
  const isDelete = mod.command === 'delete' || mod.command === 'delete_strict';
  const length = FLOW_MOD_FIXED + matchLength(match) + instructionsLength(instructions, version);
  const msg = allocMessage(version, MsgType.FLOW_MOD, length, xid);
  writeU64(msg, 8, mod.cookie ?? 0n);
  writeU64(msg, 16, mod.cookieMask ?? 0n);
  msg[24] = mod.tableId ?? (isDelete ? OFPTT_ALL : 0);
  msg[25] = FLOW_MOD_COMMANDS[mod.command];
  msg.writeUInt16BE(mod.idleTimeout ?? 0, 26);
  msg.writeUInt16BE(mod.hardTimeout ?? 0, 28);
  msg.writeUInt16BE(mod.priority ?? DEFAULT_PRIORITY, 30);
  msg.writeUInt32BE(OFP_NO_BUFFER, 32);
  msg.writeUInt32BE(mod.outPort ?? OFPP_ANY, 36);
  msg.writeUInt32BE(mod.outGroup ?? OFPG_ANY, 40);
  msg.writeUInt16BE(mod.flags ?? 0, 44);
  if (mod.importance !== undefined) {
    if (version < OFP14) throw new TelemetryError('USAGE', 'OpenFlow flow_mod: importance needs OpenFlow 1.4 or later');
    msg.writeUInt16BE(mod.importance, 46);
  }
  const afterMatch = encodeMatch(msg, FLOW_MOD_FIXED, match);
  encodeInstructions(msg, afterMatch, instructions, version);
  return msg;
}

export type MeterModCommand = 'add' | 'modify' | 'delete';
const METER_MOD_COMMANDS: Readonly<Record<MeterModCommand, number>> = { add: 0, modify: 1, delete: 2 };

export interface MeterMod {
  readonly command: MeterModCommand;
  readonly meterId: number;
  /** Rate unit and options; exactly one of kbps/pktps for add/modify. */
  readonly flags?: readonly MeterFlag[];
  readonly bands?: readonly MeterBand[];
}

const BAND_LEN = 16;

export function encodeMeterMod(mod: MeterMod, version: OfVersion, xid: number): Buffer {
  const bands = mod.bands ?? [];
  const msg = allocMessage(version, MsgType.METER_MOD, HEADER_LEN + 8 + BAND_LEN * bands.length, xid);
  let flags = 0;
  for (const f of mod.flags ?? []) flags |= METER_FLAG_BITS[f];
  msg.writeUInt16BE(METER_MOD_COMMANDS[mod.command], 8);
  msg.writeUInt16BE(flags, 10);
  msg.writeUInt32BE(mod.meterId, 12);
  let pos = 16;
  for (const band of bands) {
    msg.writeUInt16BE(band.type === 'drop' ? OFPMBT_DROP : band.type === 'dscp_remark' ? OFPMBT_DSCP_REMARK : OFPMBT_EXPERIMENTER, pos);
    msg.writeUInt16BE(BAND_LEN, pos + 2);
    msg.writeUInt32BE(band.rate, pos + 4);
    msg.writeUInt32BE(band.burstSize, pos + 8);
    if (band.type === 'dscp_remark') msg[pos + 12] = band.precLevel;
    else if (band.type === 'experimenter') msg.writeUInt32BE(band.experimenter, pos + 12);
    pos += BAND_LEN;
  }
  return msg;
}
