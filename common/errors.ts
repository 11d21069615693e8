/** Stable error codes: callers branch on `code`, never on message text. */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'CONFIG_UNREADABLE'
  | 'ENDPOINT_INVALID'
  | 'CONNECTION_FAILED'
  | 'CONNECTION_CLOSED'
  | 'TIMEOUT'
  | 'PROTOCOL'
  | 'RPC_ERROR'
  | 'DECODE'
  | 'LAB'
  | 'USAGE';

export class TelemetryError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TelemetryError';
    this.code = code;
  }
}

export function isTelemetryError(err: unknown, code?: ErrorCode): err is TelemetryError {
  return err instanceof TelemetryError && (code === undefined || err.code === code);
}

/** A one-line description of any thrown value, for logs and CLI messages. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
