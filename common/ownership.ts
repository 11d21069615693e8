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

export function isOwnedMeter(meterId: number): boolean {
  return meterId >= METER_BASE && meterId < METER_BASE + METER_SPAN;
}

export function isOwnedCookie(cookie: bigint): boolean {
  return (cookie & COOKIE_MASK) === COOKIE_PREFIX;
}
