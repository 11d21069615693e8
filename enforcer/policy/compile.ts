/**
 * Loads the enforcer's file and compiles it: selectors into matchers, limits into the units the
 * mechanisms use, alert mappings into lookups by alert name. Everything that can be wrong is found
 * here, at start (a bad glob, a limit below the floor, two meters on one direction, a limit OVN
 * cannot express), with the file, the key and the reason (CONFIG_INVALID, exit code 2).
 */
import { TelemetryError } from '../../common/errors.js';
import { deepFreeze, readYamlFile, validate } from '../../common/yaml-file.js';
import { compileLimits, floorViolations, meterConflicts, type Floor, type Limits } from './limits.js';
import { enforcerConfigSchema, type EnforcerConfig, type LimitsInput } from './schema.js';
import { compileSelector, type CompiledSelector } from './selector.js';

export type AlertTargetLabel = EnforcerConfig['alerts'][number]['target'];

export interface CompiledPolicy {
  readonly name: string;
  /** Position in the file (ties between equally specific policies go to the first). */
  readonly index: number;
  readonly selector: CompiledSelector;
  readonly limits: Limits;
}

export interface CompiledAlertMapping {
  readonly name: string;
  readonly alertname: string;
  readonly labels: ReadonlyMap<string, string>;
  readonly target: AlertTargetLabel;
  readonly limits: Limits;
  readonly ttlSeconds: number;
}

export interface EnforcerSetup {
  /** The file the setup came from (for messages). */
  readonly source: string;
  readonly config: EnforcerConfig;
  readonly floor: Floor;
  readonly policies: readonly CompiledPolicy[];
  readonly alerts: readonly CompiledAlertMapping[];
}

function invalid(source: string, key: string, reason: string): TelemetryError {
  return new TelemetryError('CONFIG_INVALID', `${source}: key ${key}: ${reason}`);
}

function checkedLimits(input: LimitsInput, key: string, floor: Floor, ovn: boolean, source: string): Limits {
  const limits = compileLimits(input);
  for (const [where, why] of [...floorViolations(limits, floor), ...meterConflicts(limits)]) throw invalid(source, `${key}.${where}`, why);
  if (ovn) {
    // OVN northbound QoS rows carry a bandwidth (kbps) and a DSCP action, nothing else.
    if (input.packet_rate) throw invalid(source, `${key}.packet_rate`, 'not supported with ovn (OVN QoS rows have no packet rate)');
    if (input.egress?.mechanism === 'meter') throw invalid(source, `${key}.egress.mechanism`, 'meter is not supported with ovn (OVN applies its own meters)');
    if (input.ingress?.mechanism === 'meter') throw invalid(source, `${key}.ingress.mechanism`, 'meter is not supported with ovn (OVN applies its own meters)');
  }
  return limits;
}

function checkUnique(names: readonly string[], section: string, source: string): void {
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (seen.has(name)) throw invalid(source, `${section}.${i}.name`, `duplicate name "${name}"`);
    seen.add(name);
  });
}

/** Validates and compiles a parsed document; `source` names it in errors. */
export function compileEnforcerConfig(input: unknown, source: string): EnforcerSetup {
  const config = validate(enforcerConfigSchema, input, source);
  const floor: Floor = { kbps: config.safety.floor.max_kbps, pps: Math.round(config.safety.floor.max_kpps * 1000) };
  const ovn = config.ovn !== undefined;
  checkUnique(config.policies.map((p) => p.name), 'policies', source);
  checkUnique(config.alerts.map((a) => a.name), 'alerts', source);
  if (config.alerts.length > 0 && config.webhook === undefined) {
    throw invalid(source, 'webhook', 'alerts are configured but webhook.auth is not: the webhook never runs unauthenticated');
  }
  const policies = config.policies.map((p, index): CompiledPolicy => ({
    name: p.name,
    index,
    selector: compileSelector(p.match),
    limits: checkedLimits(p.limits, `policies.${index}.limits`, floor, ovn, source),
  }));
  const alerts = config.alerts.map((a, index): CompiledAlertMapping => ({
    name: a.name,
    alertname: a.alertname,
    labels: new Map(Object.entries(a.labels)),
    target: a.target,
    limits: checkedLimits(a.limits, `alerts.${index}.limits`, floor, ovn, source),
    ttlSeconds: a.ttl,
  }));
  return deepFreeze({ source, config, floor, policies, alerts });
}

export function loadEnforcerConfig(file: string): EnforcerSetup {
  return compileEnforcerConfig(readYamlFile(file), file);
}
