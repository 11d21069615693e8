/**
 * Only one lab can be up per root network namespace (compute-1 runs there). Test files that
 * bring a lab up take this machine-wide lock first, so test runs started side by side (two
 * developers' sessions, a watch mode) wait for each other instead of failing.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const LOCK_DIR = '/tmp/ovs-telemetry-lab-test.lock';

function holderAlive(): boolean {
  try {
    const pid = Number(readFileSync(`${LOCK_DIR}/pid`, 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits (up to `timeoutMs`) for the lab lock; returns its release function. */
export async function acquireLabLock(timeoutMs = 20 * 60_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(`${LOCK_DIR}/pid`, String(process.pid));
      return () => rmSync(LOCK_DIR, { recursive: true, force: true });
    } catch {
      // A holder that died without releasing leaves a stale lock: take it over.
      if (!holderAlive()) {
        rmSync(LOCK_DIR, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`lab lock ${LOCK_DIR} still held after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
