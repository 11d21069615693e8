/**
 * Flow instructions (OF1.3 §7.2.4): what a flow entry does with a packet. OVS 3.1 sends a
 * meter as the `meter` instruction in OF1.3/1.4 and as a `meter` action at the head of
 * apply_actions in OF1.5 (where the instruction is deprecated); `encodeInstructions` accepts the
 * instruction form for every version and converts it for OF1.5.
 */
import { TelemetryError } from '../../common/errors.js';
import { actionsLength, decodeActions, encodeActions, type Action } from './actions.js';
import { OFP15, type OfVersion } from './constants.js';
import { need, protocolError, writeU64 } from './wire.js';

export type Instruction =
  | { readonly type: 'goto_table'; readonly tableId: number }
  | { readonly type: 'write_metadata'; readonly metadata: bigint; readonly mask: bigint }
  | { readonly type: 'write_actions'; readonly actions: readonly Action[] }
  | { readonly type: 'apply_actions'; readonly actions: readonly Action[] }
  | { readonly type: 'clear_actions' }
  | { readonly type: 'meter'; readonly meterId: number }
  | { readonly type: 'other'; readonly code: number };

const OFPIT_GOTO_TABLE = 1;
const OFPIT_WRITE_METADATA = 2;
const OFPIT_WRITE_ACTIONS = 3;
const OFPIT_APPLY_ACTIONS = 4;
const OFPIT_CLEAR_ACTIONS = 5;
const OFPIT_METER = 6;

/** Decodes the instruction list in [offset, end). */
export function decodeInstructions(buf: Buffer, offset: number, end: number): Instruction[] {
  const out: Instruction[] = [];
  let pos = offset;
  while (pos < end) {
    need(pos, 4, end, 'instruction header');
    const type = buf.readUInt16BE(pos);
    const len = buf.readUInt16BE(pos + 2);
    if (len < 8 || len % 8 !== 0) throw protocolError(`instruction type ${type} has length ${len} (must be a multiple of 8, >= 8)`);
    need(pos, len, end, `instruction type ${type}`);
    switch (type) {
      case OFPIT_GOTO_TABLE:
        out.push({ type: 'goto_table', tableId: buf[pos + 4] });
        break;
      case OFPIT_WRITE_METADATA:
        if (len < 24) throw protocolError(`write_metadata instruction has length ${len}, needs 24`);
        out.push({ type: 'write_metadata', metadata: buf.readBigUInt64BE(pos + 8), mask: buf.readBigUInt64BE(pos + 16) });
        break;
      case OFPIT_WRITE_ACTIONS:
        out.push({ type: 'write_actions', actions: decodeActions(buf, pos + 8, pos + len) });
        break;
      case OFPIT_APPLY_ACTIONS:
        out.push({ type: 'apply_actions', actions: decodeActions(buf, pos + 8, pos + len) });
        break;
      case OFPIT_CLEAR_ACTIONS:
        out.push({ type: 'clear_actions' });
        break;
      case OFPIT_METER:
        out.push({ type: 'meter', meterId: buf.readUInt32BE(pos + 4) });
        break;
      default:
        out.push({ type: 'other', code: type });
    }
    pos += len;
  }
  return out;
}

/** OF1.5 moves the meter instruction into apply_actions (OF1.5.1 §5.12, OVS ofpacts_put_openflow_instructions). */
function forVersion(instructions: readonly Instruction[], version: OfVersion): readonly Instruction[] {
  if (version < OFP15) return instructions;
  const meters: Action[] = [];
  const rest: Instruction[] = [];
  for (const ins of instructions) {
    if (ins.type === 'meter') meters.push({ type: 'meter', meterId: ins.meterId });
    else rest.push(ins);
  }
  if (meters.length === 0) return instructions;
  const applyIndex = rest.findIndex((i) => i.type === 'apply_actions');
  if (applyIndex < 0) return [{ type: 'apply_actions', actions: meters }, ...rest];
  const apply = rest[applyIndex] as { readonly actions: readonly Action[] };
  rest[applyIndex] = { type: 'apply_actions', actions: [...meters, ...apply.actions] };
  return rest;
}

function instructionLength(ins: Instruction): number {
  switch (ins.type) {
    case 'goto_table':
    case 'clear_actions':
    case 'meter':
      return 8;
    case 'write_metadata':
      return 24;
    case 'write_actions':
    case 'apply_actions':
      return 8 + actionsLength(ins.actions);
    case 'other':
      throw new TelemetryError('USAGE', `OpenFlow instruction: encoding instruction type ${ins.code} is not supported`);
  }
}

export function instructionsLength(instructions: readonly Instruction[], version: OfVersion): number {
  let total = 0;
  for (const ins of forVersion(instructions, version)) total += instructionLength(ins);
  return total;
}

/** Writes `instructions` at `offset` into a zero-filled buffer; returns the offset after them. */
export function encodeInstructions(buf: Buffer, offset: number, instructions: readonly Instruction[], version: OfVersion): number {
  let pos = offset;
  for (const ins of forVersion(instructions, version)) {
    const len = instructionLength(ins);
    buf.writeUInt16BE(len, pos + 2);
    switch (ins.type) {
      case 'goto_table':
        buf.writeUInt16BE(OFPIT_GOTO_TABLE, pos);
        buf[pos + 4] = ins.tableId;
        break;
      case 'write_metadata':
        buf.writeUInt16BE(OFPIT_WRITE_METADATA, pos);
        writeU64(buf, pos + 8, ins.metadata);
        writeU64(buf, pos + 16, ins.mask);
        break;
      case 'write_actions':
      case 'apply_actions':
        buf.writeUInt16BE(ins.type === 'apply_actions' ? OFPIT_APPLY_ACTIONS : OFPIT_WRITE_ACTIONS, pos);
        encodeActions(buf, pos + 8, ins.actions, version);
        break;
      case 'clear_actions':
        buf.writeUInt16BE(OFPIT_CLEAR_ACTIONS, pos);
        break;
      case 'meter':
        buf.writeUInt16BE(OFPIT_METER, pos);
        buf.writeUInt32BE(ins.meterId, pos + 4);
        break;
      case 'other':
        break;
    }
    pos += len;
  }
  return pos;
}
