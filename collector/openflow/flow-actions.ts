/** What a flow does, read across its instructions (OF1.3+ instruction lists, OF1.5 actions). */
import type { Action } from './actions.js';
import type { Instruction } from './instructions.js';

/** Every action of a flow, apply and write lists alike, ct's nested ones included. */
export function* actionsOf(instructions: readonly Instruction[]): Generator<Action> {
  const walk = function* (actions: readonly Action[]): Generator<Action> {
    for (const a of actions) {
      yield a;
      if (a.type === 'ct') yield* walk(a.actions);
    }
  };
  for (const ins of instructions) if (ins.type === 'apply_actions' || ins.type === 'write_actions') yield* walk(ins.actions);
}

/** The meter a flow sends its packets through (OF1.3/1.4 meter instruction, OF1.5 meter action). */
export function meterOf(instructions: readonly Instruction[]): number | undefined {
  for (const ins of instructions) if (ins.type === 'meter') return ins.meterId;
  for (const a of actionsOf(instructions)) if (a.type === 'meter') return a.meterId;
  return undefined;
}
