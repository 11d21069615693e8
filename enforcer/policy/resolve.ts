/**
 * What one port should be limited to, and why: the most specific static policy that selects it,
 * tightened by every active alert action that names it. The explanation goes into the audit log.
 */
import type { CompiledPolicy } from './compile.js';
import { tighten, type Limits } from './limits.js';
import { compareSpecificity, type Target } from './selector.js';

/** An alert action as resolution sees it (the action store keeps the rest). */
export interface ThrottleRef {
  readonly id: string;
  readonly mapping: string;
  /** The alert label that names the target, and its value. */
  readonly targetLabel: 'neutron_port_id' | 'network_id' | 'project_id' | 'interface';
  readonly targetValue: string;
  readonly limits: Limits;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

export interface Resolution {
  readonly limits: Limits | null;
  /** The static policy in force, if any. */
  readonly policy: string | null;
  /** Alert actions tightening it, by id. */
  readonly throttles: readonly string[];
  /** One sentence: the winner and why it beat the others. */
  readonly explanation: string;
}

const NOTHING: Resolution = Object.freeze({ limits: null, policy: null, throttles: Object.freeze([]), explanation: 'no policy or alert action selects this port' });

export function throttleApplies(throttle: ThrottleRef, target: Target): boolean {
  switch (throttle.targetLabel) {
    case 'neutron_port_id':
      return target.neutronPortId === throttle.targetValue;
    case 'network_id':
      return target.networkId === throttle.targetValue;
    case 'project_id':
      return target.projectId === throttle.targetValue;
    case 'interface':
      return target.interface !== '' && target.interface === throttle.targetValue;
  }
}

function describeWinner(winner: CompiledPolicy, others: readonly CompiledPolicy[]): string {
  const sel = (p: CompiledPolicy): string => `${p.name} (${Object.keys(p.selector.source).join('+')})`;
  if (others.length === 0) return `policy ${sel(winner)} is the only one selecting this port`;
  const reasons = others.map((o) => {
    const a = winner.selector.specificity;
    const b = o.selector.specificity;
    if (a.rank !== b.rank) return `${sel(o)}: ${a.key} is more specific than ${b.key}`;
    if (a.keys !== b.keys) return `${sel(o)}: ${a.keys} selector keys against ${b.keys}`;
    return `${sel(o)}: equally specific, ${winner.name} comes first in the file`;
  });
  return `policy ${sel(winner)} wins over ${reasons.join('; ')} (order: neutron_port_id > interface > network_id > project_id > bridge)`;
}

/** Explanations kept (they repeat across ports: one per combination of matching policies and throttles). */
const MAX_EXPLANATIONS = 10_000;

/**
 * Resolution for every port of every reconcile: the explanations (strings) are built once per
 * combination of matching policies and throttles, not once per port and run.
 */
export class PolicyResolver {
  private readonly explanations = new Map<string, string>();

  /** `policies` in file order. */
  constructor(private readonly policies: readonly CompiledPolicy[]) {}

  /** `throttles`: the active alert actions. */
  resolve(target: Target, throttles: readonly ThrottleRef[]): Resolution {
    const matching: CompiledPolicy[] = [];
    for (const p of this.policies) if (p.selector.matches(target)) matching.push(p);
    if (matching.length > 1) matching.sort((a, b) => compareSpecificity(a.selector.specificity, b.selector.specificity) || a.index - b.index);
    const applied = throttles.length === 0 ? [] : throttles.filter((t) => throttleApplies(t, target));
    if (matching.length === 0 && applied.length === 0) return NOTHING;
    const winner = matching[0];
    let limits: Limits | null = winner?.limits ?? null;
    for (const t of applied) limits = limits === null ? t.limits : tighten(limits, t.limits);
    const key = `${matching.map((p) => p.index).join(',')}|${applied.map((t) => t.id).join(',')}`;
    let explanation = this.explanations.get(key);
    if (explanation === undefined) {
      explanation = explain(winner, matching.slice(1), applied);
      if (this.explanations.size >= MAX_EXPLANATIONS) this.explanations.clear();
      this.explanations.set(key, explanation);
    }
    return { limits, policy: winner?.name ?? null, throttles: applied.map((t) => t.id), explanation };
  }
}

function explain(winner: CompiledPolicy | undefined, others: readonly CompiledPolicy[], applied: readonly ThrottleRef[]): string {
  const parts: string[] = [];
  if (winner) parts.push(describeWinner(winner, others));
  if (applied.length > 0) {
    parts.push(`tightened by alert action${applied.length > 1 ? 's' : ''} ${applied.map((t) => `${t.mapping} (${t.targetLabel}=${t.targetValue})`).join(', ')}`);
  }
  return parts.join('; ');
}
