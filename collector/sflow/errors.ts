import { TelemetryError } from '../../common/errors.js';

/**
 * Why a datagram could not be decoded (stable strings: the listener counts
 * `ovs_sflow_decode_errors_total{reason}` by them).
 * - truncated: the datagram ends inside its header or before its declared samples.
 * - bad_version: not sFlow version 5 (e.g. a NetFlow datagram sent to the sFlow port).
 * - bad_address_type: an address type other than 1 (IPv4) or 2 (IPv6).
 * - too_many_samples / too_many_records: a count above the limit or above what the bytes can hold.
 * - bad_length: a sample longer than the datagram, a record longer than its sample, or a
 *   sample too short for its own fixed fields.
 * - bad_record: a known record whose content does not fit its declared length.
 */
export type SflowDecodeReason =
  | 'truncated'
  | 'bad_version'
  | 'bad_address_type'
  | 'too_many_samples'
  | 'too_many_records'
  | 'bad_length'
  | 'bad_record';

export const SFLOW_DECODE_REASONS: readonly SflowDecodeReason[] = [
  'truncated',
  'bad_version',
  'bad_address_type',
  'too_many_samples',
  'too_many_records',
  'bad_length',
  'bad_record',
];

/** A TelemetryError with code DECODE and a reason to count by. */
export class SflowDecodeError extends TelemetryError {
  readonly reason: SflowDecodeReason;
  /** Byte offset in the datagram where decoding stopped. */
  readonly offset: number;

  constructor(reason: SflowDecodeReason, offset: number, detail: string) {
    super('DECODE', `sFlow ${reason} at byte ${offset}: ${detail}`);
    this.name = 'SflowDecodeError';
    this.reason = reason;
    this.offset = offset;
  }
}
