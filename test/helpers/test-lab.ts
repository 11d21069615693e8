/**
 * The lab for one test file: takes the machine-wide lab lock, brings the two-host lab up in a temp
 * dir and points OVS_TELEMETRY_LAB_DIR at it (so `collect`, `explain` and the like find it as a
 * user's would); stop() undoes all of it, also after a failed start.
 * Flow exporters not given in `options` are aimed at a port nobody listens on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown, labUp, type LabState, type LabUpOptions } from '../../lab/index.js';
import { acquireLabLock } from './lab-lock.js';
import { freeUdpPort } from './ovsdb-server.js';

export interface TestLab {
  readonly lab: LabState;
  /** The lab's state directory (what OVS_TELEMETRY_LAB_DIR names while it is up). */
  readonly dir: string;
  /** Lab down, temp dir removed, environment restored, lock released. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startTestLab(name: string, options: Omit<LabUpOptions, 'dir'> = {}): Promise<TestLab> {
  const release = await acquireLabLock();
  const previousLabDir = process.env.OVS_TELEMETRY_LAB_DIR;
  const dir = mkdtempSync(join(tmpdir(), `otl-${name}-`));
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (previousLabDir === undefined) delete process.env.OVS_TELEMETRY_LAB_DIR;
    else process.env.OVS_TELEMETRY_LAB_DIR = previousLabDir;
    try {
      await labDown(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      release();
    }
  };
  try {
    const unused = `127.0.0.1:${await freeUdpPort()}`;
    const lab = await labUp({ sflowTarget: unused, ipfixTarget: unused, netflowTarget: unused, ...options, dir });
    process.env.OVS_TELEMETRY_LAB_DIR = dir;
    return { lab, dir, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
