/**
 * Write-ahead record of what `lab up` creates: each resource is written to state.json before
 * the step that creates it, so `lab down` can remove everything even after a crash half way.
 */
import type { LabResource, LabState, LabStateFile } from './state.js';
import { writeStateFile } from './state.js';

export class Journal {
  private readonly state: LabStateFile;

  constructor(dir: string, prefix: string) {
    this.state = { format: 1, status: 'building', dir, prefix, resources: [], lab: null };
    writeStateFile(this.state);
  }

  /** Records `resource`, then runs the step that creates it. */
  async create<T>(resource: LabResource, step: () => Promise<T>): Promise<T> {
    this.state.resources.push(resource);
    writeStateFile(this.state);
    return step();
  }

  /** Adds what a step learnt about a resource it created (e.g. a daemon's pid). */
  update<R extends LabResource>(resource: R, changes: Partial<R>): void {
    Object.assign(resource, changes);
    writeStateFile(this.state);
  }

  /** Marks the lab as up and stores its description. */
  finish(lab: LabState): void {
    this.state.status = 'up';
    this.state.lab = lab;
    writeStateFile(this.state);
  }
}
