import { TelemetryError } from '../../common/errors.js';

/**
 * Why a NetFlow v5 / v9 or IPFIX datagram could not be decoded (stable strings: the listener
 * counts `…_decode_errors_total{reason}` by them). Thrown, so the rest of the datagram is lost;
 * the records delivered before the fault stay delivered.
 * - truncated: the datagram ends inside a header, or before the length its header declares.
 * - bad_version: not version 5, 9 or 10 (e.g. sFlow sent to the NetFlow port).
 * - bad_length: a message or set length that is impossible (shorter than its header, longer
 *   than what holds it), or a v5 record count the datagram cannot hold.
 * - bad_template: a template or options template record that cannot be right: reserved id,
 *   fields past its set, no scope field in an options template, records of zero length.
 * - too_many_fields: a template with more fields than MAX_TEMPLATE_FIELDS.
 * - too_many_records: a v5 header count above 30 (the format's maximum).
 * - bad_record: a data record that runs past its set (a variable-length field too long).
 *
 * `template_missing` is not thrown: a data set whose template is unknown is held (or dropped
 * when the held buffer is full) and counted in the message header; it is listed here because
 * the listener counts it with the same label.
 */
export type NetflowDecodeReason =
  | 'truncated'
  | 'bad_version'
  | 'bad_length'
  | 'bad_template'
  | 'too_many_fields'
  | 'too_many_records'
  | 'bad_record'
  | 'template_missing';

export const NETFLOW_DECODE_REASONS: readonly NetflowDecodeReason[] = [
  'truncated',
  'bad_version',
  'bad_length',
  'bad_template',
  'too_many_fields',
  'too_many_records',
  'bad_record',
  'template_missing',
];

/** A TelemetryError with code DECODE and a reason to count by. */
export class NetflowDecodeError extends TelemetryError {
  readonly reason: NetflowDecodeReason;
  /** Byte offset in the datagram where decoding stopped. */
  readonly offset: number;

  constructor(reason: NetflowDecodeReason, offset: number, detail: string) {
    super('DECODE', `NetFlow/IPFIX ${reason} at byte ${offset}: ${detail}`);
    this.name = 'NetflowDecodeError';
    this.reason = reason;
    this.offset = offset;
  }
}
