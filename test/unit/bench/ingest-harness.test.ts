/**
 * The ingest harness's CPU accounting: a receiver's CPU time is its process's and its
 * descendants' (pmacct's core forks its plugins), read from /proc while they run.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { treeCpuSeconds } from '../../../bench/ingest-harness.js';

describe('ingest harness', () => {
  const kills: (() => void)[] = [];
  afterEach(() => kills.splice(0).forEach((k) => k()));

  it('counts the CPU time of a process tree: a grandchild busy while its parents wait', async () => {
    // sh (waits) → sh (busy for a while, then sleeps): only the grandchild uses the CPU.
    const child = spawn('sh', ['-c', 'sh -c \'i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done; exec sleep 30\' & wait'], { detached: true, stdio: 'ignore' });
    kills.push(() => process.kill(-child.pid!, 'SIGKILL'));
    const deadline = Date.now() + 20_000;
    let cpu = 0;
    while ((cpu = treeCpuSeconds(child.pid!)) < 0.2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(cpu).toBeGreaterThanOrEqual(0.2);
    expect(treeCpuSeconds(child.pid!)).toBeGreaterThanOrEqual(cpu); // never goes back while the tree lives
    expect(treeCpuSeconds(2 ** 22 + 1)).toBe(0); // no such process
  });
});
