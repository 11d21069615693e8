/**
 * The enforcer's ownership markers in OVSDB `external_ids`: the enforcer writes them on what it
 * creates or sets, and only ever changes what carries them; the collector reads them to show
 * which limits are the enforcer's.
 */

/** external_ids key on every row the enforcer creates (OVS QoS/Queue, OVN QoS). */
export const OWNER_KEY = 'ovs-telemetry:owner';
export const OWNER_VALUE = 'enforcer';
/** external_ids key naming the port (OVS port name, OVN logical port) an owned row is for. */
export const PORT_KEY = 'ovs-telemetry:port';
/**
 * On an Interface (a row the enforcer does not create): marks ingress_policing_rate/burst as
 * set by the enforcer, so it only ever changes or clears limits it set itself.
 */
export const POLICING_OWNER_KEY = 'ovs-telemetry:policing-owner';

/** The enforcer's OpenFlow flows carry this cookie prefix (upper 32 bits, "oten"). */
export const COOKIE_PREFIX = 0x6f74656en << 32n;
export const COOKIE_MASK = 0xffffffff00000000n;
/** Its meters take ids from METER_BASE on: two per OpenFlow port (ports end at 0xfeff, OFPP_MAX). */
export const METER_BASE = 0x4f540000;
export const METER_SPAN = 2 * 0x10000;

/** Whether a meter id is in the enforcer's range (where it allocates; ownership is METERS_KEY's record). */
export function isOwnedMeter(meterId: number): boolean {
  return meterId >= METER_BASE && meterId < METER_BASE + METER_SPAN;
}

export function isOwnedCookie(cookie: bigint): boolean {
  return (cookie & COOKIE_MASK) === COOKIE_PREFIX;
}

/**
 * On a Bridge (a row the enforcer does not create): the ids of the OpenFlow meters the enforcer
 * created on it, comma-separated. Meters have no external_ids of their own; this record is how
 * the enforcer knows which meters it may change or delete (enforcer/apply/ovs-openflow.ts states
 * the rule), and how readers tell its meters from others in its id range.
 */
export const METERS_KEY = 'ovs-telemetry:meters';

export function formatMeterIds(ids: Iterable<number>): string {
  return [...new Set(ids)].sort((a, b) => a - b).join(',');
}

/** The ids of a METERS_KEY value; anything that is not a decimal id is ignored. */
export function parseMeterIds(text: string | undefined): Set<number> {
  const ids = new Set<number>();
  for (const part of (text ?? '').split(',')) if (/^\d{1,10}$/.test(part)) ids.add(Number(part));
  return ids;
}
