/**
 * Active alert actions (throttles): what Alertmanager asked for, with reason, source and expiry.
 * Kept in a state file written atomically (temporary file, fsync, rename over the old one), so a
 * crash or `kill -9` at any moment leaves either the old or the new state, never a torn one;
 * after a restart the throttles and their expiries are exactly as they were. The directory is
 * not fsynced after the rename (one fsync per write): after a power loss the file may be one
 * the filesystem had not yet committed the rename of, i.e. the previous state, whole; the
 * notifications since then come again (Alertmanager repeats firing alerts; a throttle whose
 * `resolved` was lost ends at its TTL).
 *
 * Changes are made in memory (the reconciler uses them at once) and written by commit(): one
 * write per call however many alerts a notification carried, done off the event loop, and calls
 * that arrive during a write share the next one (group commit). The webhook answers only once
 * its commit is done, so what Alertmanager was told is on disk.
 *
 * One firing of an alert (same mapping, fingerprint and startsAt) is one action: repeats while it
 * is active are no-ops, and after its TTL ended it is not applied again (the TTL is the longest a
 * throttle lasts); a new firing (a new startsAt) is a new action.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { TelemetryError } from '../../common/errors.js';
import type { Limits } from '../policy/limits.js';
import type { ThrottleRef } from '../policy/resolve.js';

const bandwidth = z.object({ kbps: z.number(), burstKb: z.number(), mechanism: z.string() });
const packets = z.object({ pps: z.number(), burstPackets: z.number() });
const limitsSchema = z.object({
  egress: bandwidth.extend({ mechanism: z.enum(['policing', 'meter']) }).optional(),
  ingress: bandwidth.extend({ mechanism: z.enum(['htb', 'meter']) }).optional(),
  egressPackets: packets.optional(),
  ingressPackets: packets.optional(),
  dscpMark: z.number().int().optional(),
});

const actionSchema = z.object({
  id: z.string(),
  mapping: z.string(),
  alertname: z.string(),
  fingerprint: z.string(),
  startsAt: z.string(),
  labels: z.record(z.string(), z.string()),
  reason: z.string(),
  source: z.string(),
  targetLabel: z.enum(['neutron_port_id', 'network_id', 'project_id', 'interface']),
  targetValue: z.string(),
  limits: limitsSchema,
  appliedAt: z.number(),
  expiresAt: z.number(),
});

/** A firing whose TTL ended: kept so that repeats of it (Alertmanager re-sends while it fires) are not applied again. */
const finishedSchema = z.object({ id: z.string(), startsAt: z.string(), endedAt: z.number() });

const stateSchema = z.object({
  format: z.literal(1),
  actions: z.array(actionSchema),
  finished: z.array(finishedSchema),
});

export type AlertAction = z.infer<typeof actionSchema> & ThrottleRef & { readonly limits: Limits };
type Finished = z.infer<typeof finishedSchema>;

/** Expired firings remembered: until their alert resolves, at most a week, at most this many (newest kept). */
const MAX_FINISHED = 1000;
const FINISHED_MS = 7 * 86_400_000;

export type FireResult = 'applied' | 'duplicate' | 'already_expired';

export class ActionStore {
  private readonly actions = new Map<string, AlertAction>();
  private finished: Finished[] = [];
  /** Changed since the last write began. */
  private dirty = false;
  /** The write in progress, and whether another must follow it. */
  private writing: Promise<void> | null = null;

  /** Loads the state file if there is one (a corrupt file stops the start: throttles must not be lost silently). */
  constructor(private readonly file: string | null) {
    if (file === null) return;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new TelemetryError('CONFIG_UNREADABLE', `${file}: cannot read the enforcer state: ${(err as Error).message}`, { cause: err });
    }
    let parsed: z.infer<typeof stateSchema>;
    try {
      parsed = stateSchema.parse(JSON.parse(text));
    } catch (err) {
      throw new TelemetryError('CONFIG_INVALID', `${file}: the enforcer state file is corrupt (${(err as Error).message.split('\n')[0]}); move it away to start without the throttles it holds`, { cause: err });
    }
    for (const a of parsed.actions) this.actions.set(a.id, a as AlertAction);
    this.finished = parsed.finished;
  }

  active(): readonly AlertAction[] {
    return [...this.actions.values()];
  }

  get(id: string): AlertAction | undefined {
    return this.actions.get(id);
  }

  /** Epoch ms of the next expiry, or null. */
  nextExpiry(): number | null {
    let next: number | null = null;
    for (const a of this.actions.values()) if (next === null || a.expiresAt < next) next = a.expiresAt;
    return next;
  }

  fire(action: AlertAction): FireResult {
    if (this.actions.has(action.id)) return 'duplicate';
    if (this.finished.some((f) => f.id === action.id && f.startsAt === action.startsAt)) return 'already_expired';
    this.actions.set(action.id, action);
    this.dirty = true;
    return 'applied';
  }

  /** Ends an action because its alert resolved (null when it was not active); forgets its expired firings. */
  resolve(id: string): AlertAction | null {
    const action = this.actions.get(id) ?? null;
    const finished = this.finished.filter((f) => f.id !== id);
    if (action === null && finished.length === this.finished.length) return null;
    this.actions.delete(id);
    this.finished = finished;
    this.dirty = true;
    return action;
  }

  /** Ends every action whose TTL has passed. */
  expire(now: number): AlertAction[] {
    const due = [...this.actions.values()].filter((a) => a.expiresAt <= now);
    const stale = this.finished.some((f) => f.endedAt <= now - FINISHED_MS);
    if (due.length === 0 && !stale) return [];
    for (const a of due) {
      this.actions.delete(a.id);
      this.finished.push({ id: a.id, startsAt: a.startsAt, endedAt: now });
    }
    this.finished = this.finished.filter((f) => f.endedAt > now - FINISHED_MS).slice(-MAX_FINISHED);
    this.dirty = true;
    return due;
  }

  /**
   * Resolves once every change made before the call is on disk (at once when there is none). A
   * failed write rejects, and the changes stay pending for the next commit.
   */
  async commit(): Promise<void> {
    while (this.writing !== null || this.dirty) {
      if (this.writing === null) {
        this.dirty = false;
        this.writing = this.save().catch((err: unknown) => {
          this.dirty = true;
          throw err;
        }).finally(() => {
          this.writing = null;
        });
      }
      const write = this.writing;
      const startedAfterUs = !this.dirty;
      await write;
      // That write began after our changes were made: they are on disk.
      if (startedAfterUs) return;
    }
  }

  /** Writes the whole state to a temporary file, flushes it to disk, renames it over the old one. */
  private async save(): Promise<void> {
    if (this.file === null) return;
    const body = `${JSON.stringify({ format: 1, actions: [...this.actions.values()], finished: this.finished }, null, 1)}\n`;
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(body);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.file);
  }
}
