/**
 * Limits as the enforcer applies them: compiled from a policy's or an alert mapping's `limits`
 * (defaults filled in, units fixed), checked against the safety floor, and combined when an
 * alert throttles a port that a static policy already limits.
 */
import type { LimitsInput } from './schema.js';

export type EgressMechanism = 'policing' | 'meter';
export type IngressMechanism = 'htb' | 'meter';

export interface BandwidthLimit<M extends string = EgressMechanism | IngressMechanism> {
  readonly kbps: number;
  readonly burstKb: number;
  readonly mechanism: M;
}

export interface PacketRateLimit {
  readonly pps: number;
  readonly burstPackets: number;
}

export interface Limits {
  readonly egress?: BandwidthLimit<EgressMechanism>;
  readonly ingress?: BandwidthLimit<IngressMechanism>;
  readonly egressPackets?: PacketRateLimit;
  readonly ingressPackets?: PacketRateLimit;
  readonly dscpMark?: number;
}

export interface Floor {
  readonly kbps: number;
  readonly pps: number;
}

/** Neutron's default burst when a rule gives none: 80 % of the rate (qos_consts.DEFAULT_BURST_RATE). */
export const DEFAULT_BURST_RATIO = 0.8;

function defaultBurst(rate: number): number {
  return Math.max(1, Math.round(rate * DEFAULT_BURST_RATIO));
}

function packets(kpps: number): number {
  return Math.round(kpps * 1000);
}

export function compileLimits(input: LimitsInput): Limits {
  const limits: { -readonly [K in keyof Limits]: Limits[K] } = {};
  if (input.egress) {
    limits.egress = { kbps: input.egress.max_kbps, burstKb: input.egress.max_burst_kbps ?? defaultBurst(input.egress.max_kbps), mechanism: input.egress.mechanism };
  }
  if (input.ingress) {
    limits.ingress = { kbps: input.ingress.max_kbps, burstKb: input.ingress.max_burst_kbps ?? defaultBurst(input.ingress.max_kbps), mechanism: input.ingress.mechanism };
  }
  const rate = input.packet_rate;
  if (rate?.egress) {
    const pps = packets(rate.egress.max_kpps);
    limits.egressPackets = { pps, burstPackets: rate.egress.max_burst_kpps !== undefined ? packets(rate.egress.max_burst_kpps) : defaultBurst(pps) };
  }
  if (rate?.ingress) {
    const pps = packets(rate.ingress.max_kpps);
    limits.ingressPackets = { pps, burstPackets: rate.ingress.max_burst_kpps !== undefined ? packets(rate.ingress.max_burst_kpps) : defaultBurst(pps) };
  }
  if (input.dscp_mark !== undefined) limits.dscpMark = input.dscp_mark;
  return Object.freeze(limits);
}

/** Where each limit sits in the file, for error messages. */
const KEYS: Readonly<Record<keyof Limits, string>> = {
  egress: 'egress.max_kbps',
  ingress: 'ingress.max_kbps',
  egressPackets: 'packet_rate.egress.max_kpps',
  ingressPackets: 'packet_rate.ingress.max_kpps',
  dscpMark: 'dscp_mark',
};

/** The limits below the floor, as [key relative to `limits`, why]. */
export function floorViolations(limits: Limits, floor: Floor): [string, string][] {
  const out: [string, string][] = [];
  for (const dir of ['egress', 'ingress'] as const) {
    const bw = limits[dir];
    if (bw && bw.kbps < floor.kbps) out.push([KEYS[dir], `${bw.kbps} kbps is below the safety floor of ${floor.kbps} kbps`]);
  }
  for (const dir of ['egressPackets', 'ingressPackets'] as const) {
    const pr = limits[dir];
    if (pr && pr.pps < floor.pps) out.push([KEYS[dir], `${pr.pps} packets/s is below the safety floor of ${floor.pps} packets/s`]);
  }
  return out;
}

/**
 * One OpenFlow meter per direction (a flow carries one meter instruction): a kbps meter
 * (bandwidth mechanism `meter`) and a packet-rate meter cannot both limit one direction.
 */
export function meterConflicts(limits: Limits): [string, string][] {
  const out: [string, string][] = [];
  if (limits.egress?.mechanism === 'meter' && limits.egressPackets) {
    out.push(['packet_rate.egress', 'egress already has a bandwidth meter (egress.mechanism: meter); one meter per direction']);
  }
  if (limits.ingress?.mechanism === 'meter' && limits.ingressPackets) {
    out.push(['packet_rate.ingress', 'ingress already has a bandwidth meter (ingress.mechanism: meter); one meter per direction']);
  }
  return out;
}

function lower<T extends { readonly kbps: number } | { readonly pps: number }>(a: T | undefined, b: T | undefined): T | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const rate = (x: T): number => ('kbps' in x ? x.kbps : x.pps);
  return rate(b) < rate(a) ? b : a;
}

/**
 * A throttle on top of a policy: each limit is the lower of the two (a throttle only ever
 * tightens), DSCP comes from the throttle when it sets one. When the two would put two meters on
 * one direction, the throttle's meter replaces the policy's (one meter per direction).
 */
export function tighten(base: Limits, throttle: Limits): Limits {
  const merged: { -readonly [K in keyof Limits]: Limits[K] } = {
    egress: lower(base.egress, throttle.egress),
    ingress: lower(base.ingress, throttle.ingress),
    egressPackets: lower(base.egressPackets, throttle.egressPackets),
    ingressPackets: lower(base.ingressPackets, throttle.ingressPackets),
    dscpMark: throttle.dscpMark ?? base.dscpMark,
  };
  if (merged.egress?.mechanism === 'meter' && merged.egressPackets) {
    if (throttle.egressPackets) merged.egress = base.egress?.mechanism === 'meter' ? undefined : base.egress;
    else merged.egressPackets = undefined;
  }
  if (merged.ingress?.mechanism === 'meter' && merged.ingressPackets) {
    if (throttle.ingressPackets) merged.ingress = base.ingress?.mechanism === 'meter' ? undefined : base.ingress;
    else merged.ingressPackets = undefined;
  }
  for (const key of Object.keys(merged) as (keyof Limits)[]) if (merged[key] === undefined) delete merged[key];
  return Object.freeze(merged);
}

/** Limits as JSON for the audit log and the dry-run plan (Neutron's units). */
export function describeLimits(limits: Limits | null): Record<string, unknown> | null {
  if (limits === null) return null;
  const out: Record<string, unknown> = {};
  if (limits.egress) out.egress = { max_kbps: limits.egress.kbps, max_burst_kbps: limits.egress.burstKb, mechanism: limits.egress.mechanism };
  if (limits.ingress) out.ingress = { max_kbps: limits.ingress.kbps, max_burst_kbps: limits.ingress.burstKb, mechanism: limits.ingress.mechanism };
  if (limits.egressPackets) out.egress_packet_rate = { max_pps: limits.egressPackets.pps, max_burst_packets: limits.egressPackets.burstPackets };
  if (limits.ingressPackets) out.ingress_packet_rate = { max_pps: limits.ingressPackets.pps, max_burst_packets: limits.ingressPackets.burstPackets };
  if (limits.dscpMark !== undefined) out.dscp_mark = limits.dscpMark;
  return out;
}
