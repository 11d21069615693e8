/**
 * The audit log: every decision of the enforcer as one JSON line, saying who decided (a static
 * policy, an alert mapping, the reconciler), what (the mechanism on which port), why (the policy
 * resolution, the alert, drift), the state before and after, and the result. Lines of one
 * reconcile or one webhook request are written together, appended to a file opened O_APPEND
 * (whole lines, even with another writer), or to a stream (dry-run prints them on stdout).
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StateJson } from '../apply/types.js';

export type AuditAction =
  | 'apply' | 'update' | 'remove' | 'repair' | 'skip'
  | 'throttle' | 'restore' | 'expire' | 'ignore' | 'start';

export type AuditResult = 'ok' | 'failed' | 'conflict' | 'rejected' | 'dry_run' | 'duplicate' | 'reported';

export interface AuditEntry {
  /** static policy `policy:NAME`, alert mapping `alert:NAME`, or `reconciler` / `webhook`. */
  readonly who: string;
  readonly action: AuditAction;
  readonly result: AuditResult;
  readonly what: Readonly<Record<string, unknown>>;
  readonly why: Readonly<Record<string, unknown>>;
  readonly before?: StateJson;
  readonly after?: StateJson;
  readonly error?: string;
}

export interface AuditSink {
  record(entry: AuditEntry): void;
  flush(): void;
}

export class AuditLog implements AuditSink {
  private lines: string[] = [];
  private fd: number | null;

  /** `target`: a file path, or a function that takes whole text (stdout for dry-run). */
  constructor(private readonly target: string | ((text: string) => void), private readonly now: () => number = Date.now) {
    if (typeof target === 'string') {
      mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
      this.fd = openSync(target, 'a', 0o600);
    } else {
      this.fd = null;
    }
  }

  record(entry: AuditEntry): void {
    this.lines.push(JSON.stringify({ time: new Date(this.now()).toISOString(), ...entry }));
  }

  flush(): void {
    if (this.lines.length === 0) return;
    const text = `${this.lines.join('\n')}\n`;
    this.lines = [];
    if (typeof this.target === 'function') this.target(text);
    else if (this.fd !== null) writeSync(this.fd, text);
  }

  close(): void {
    this.flush();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
