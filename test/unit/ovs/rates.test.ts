import { describe, expect, it } from 'vitest';
import type { Row } from '../../../collector/ovsdb/datum.js';
import { InterfaceRateTracker } from '../../../collector/ovs/rates.js';

function iface(stats: Record<string, number>, extra: Record<string, string> = {}): Row {
  return { name: 'tap1', statistics: new Map(Object.entries(stats)), external_ids: new Map(Object.entries(extra)) };
}

describe('InterfaceRateTracker', () => {
  it('reports per-second rates over the last interval, from the second sample on', () => {
    const t = new InterfaceRateTracker();
    t.observe('i1', { rx_bytes: 1000, tx_packets: 10, rx_dropped: 0 }, 10_000);
    expect(t.rates('i1', 10_000)).toBeUndefined();
    t.observe('i1', { rx_bytes: 6000, tx_packets: 20, rx_dropped: 5 }, 15_000);
    expect(t.rates('i1', 15_000)).toEqual({ intervalSeconds: 5, perSecond: { rx_bytes: 1000, tx_packets: 2, rx_dropped: 1 } });
    t.observe('i1', { rx_bytes: 6000, tx_packets: 30, rx_dropped: 5 }, 17_000);
    expect(t.rates('i1', 17_000)).toEqual({ intervalSeconds: 2, perSecond: { rx_bytes: 0, tx_packets: 5, rx_dropped: 0 } });
  });

  it('omits a counter that went backwards or is missing from a sample, and ignores a zero interval', () => {
    const t = new InterfaceRateTracker();
    t.observe('i1', { rx_bytes: 9000, tx_bytes: 100 }, 0);
    t.observe('i1', { rx_bytes: 10, tx_bytes: 300, rx_errors: 4 }, 1000);
    expect(t.rates('i1', 1000)).toEqual({ intervalSeconds: 1, perSecond: { tx_bytes: 200 } });
    t.observe('i1', { rx_bytes: 10, tx_bytes: 999 }, 1000);
    expect(t.rates('i1', 1000)?.perSecond.tx_bytes).toBe(200);
  });

  it('reads as zero once the last sample is stale (OVSDB announces only changes)', () => {
    const t = new InterfaceRateTracker({ staleAfterMs: 12_000 });
    t.observe('i1', { rx_bytes: 0, tx_bytes: 0 }, 0);
    t.observe('i1', { rx_bytes: 5000, tx_bytes: 0 }, 5000);
    expect(t.rates('i1', 17_000)?.perSecond.rx_bytes).toBe(1000);
    expect(t.rates('i1', 17_001)).toEqual({ intervalSeconds: 12.001, perSecond: { rx_bytes: 0, tx_bytes: 0 } });
  });

  it('is bounded: refuses new interfaces when full and counts them', () => {
    const t = new InterfaceRateTracker({ maxInterfaces: 2 });
    for (const key of ['a', 'b', 'c', 'd']) t.observe(key, { rx_bytes: 1 }, 0);
    expect(t.size).toBe(2);
    expect(t.refused).toBe(2);
    t.forget('a');
    t.observe('c', { rx_bytes: 1 }, 0);
    expect(t.size).toBe(2);
    t.clear();
    expect(t.size).toBe(0);
  });

  it('follows replica changes: statistics updates sample, other columns do not, deletes forget', () => {
    let now = 0;
    const t = new InterfaceRateTracker({ now: () => now });
    const first = iface({ rx_bytes: 100, tx_bytes: 0 });
    t.onChange({ table: 'Interface', uuid: 'u1', old: null, new: first });
    now = 5000;
    const second = iface({ rx_bytes: 600, tx_bytes: 50 });
    t.onChange({ table: 'Interface', uuid: 'u1', old: first, new: second });
    expect(t.rates('u1')).toEqual({ intervalSeconds: 5, perSecond: { rx_bytes: 100, tx_bytes: 10 } });
    // link_state/external_ids changed, statistics did not: the interval stays 5 s.
    now = 6000;
    t.onChange({ table: 'Interface', uuid: 'u1', old: second, new: iface({ rx_bytes: 600, tx_bytes: 50 }, { 'iface-status': 'active' }) });
    expect(t.rates('u1')?.intervalSeconds).toBe(5);
    t.onChange({ table: 'Port', uuid: 'u1', old: null, new: null });
    expect(t.size).toBe(1);
    t.onChange({ table: 'Interface', uuid: 'u1', old: second, new: null });
    expect(t.size).toBe(0);
    expect(t.rates('u1')).toBeUndefined();
  });
});
