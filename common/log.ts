import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** The process logger: JSON lines on stderr (stdout stays free for command output). */
export function createLogger(level: LevelWithSilent = 'info', name = 'ovs-telemetry'): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination(2));
}

/** A logger that drops everything, for tests and library defaults. */
export const silentLogger: Logger = pino({ level: 'silent' });

/**
 * Logs at most once per `intervalMs` per key: for packet loops and per-row problems, where the
 * counts go to metrics and the log only needs to say that it happens.
 */
export class SampledLog {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 60_000,
    private readonly maxKeys = 1024,
  ) {}

  warn(key: string, obj: object, msg: string): void {
    const now = Date.now();
    const prev = this.last.get(key);
    if (prev !== undefined && now - prev < this.intervalMs) return;
    if (prev === undefined && this.last.size >= this.maxKeys) this.last.clear();
    this.last.set(key, now);
    this.log.warn(obj, msg);
  }
}
