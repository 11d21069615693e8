/**
 * Flow sums per (table, cookie) with the cookie cap: exact sums, "other" for cookies beyond the
 * cap, admitted cookies keeping their series from dump to dump, and (property) nothing lost.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlowGroups, OTHER_COOKIE, type FlowGroup } from '../../../collector/datapath/flow-groups.js';
import { flow } from './fakes.js';

function dump(groups: FlowGroups, flows: ReturnType<typeof flow>[]) {
  groups.begin();
  for (const f of flows) groups.add(f);
  const result = groups.end();
  const byKey = Object.fromEntries(result.groups.map((g) => [`${g.table}/${g.cookie}`, { flows: g.flows, packets: g.packets, bytes: g.bytes }]));
  return { byKey, overflow: result.overflowCookies };
}

describe('FlowGroups', () => {
  it('sums flows, packets and bytes per table and cookie (cookie as ovs-ofctl prints it)', () => {
    const { byKey, overflow } = dump(new FlowGroups(10), [
      flow(0, 0x11n, 5, 500),
      flow(0, 0x11n, 1, 60),
      flow(0, 0n, 2, 84),
      flow(3, 0x11n, 7, 700),
      // NO_PKT_COUNTS / NO_BYT_COUNTS: counted as a flow, adds no traffic
      flow(3, 0x11n, undefined, undefined),
    ]);
    expect(byKey).toEqual({
      '0/0x11': { flows: 2, packets: 6, bytes: 560 },
      '0/0x0': { flows: 1, packets: 2, bytes: 84 },
      '3/0x11': { flows: 2, packets: 7, bytes: 700 },
    });
    expect(overflow).toBe(0);
  });

  it('sums cookies beyond the cap under "other", per table, and counts them', () => {
    const { byKey, overflow } = dump(new FlowGroups(2), [
      flow(0, 1n, 1, 10),
      flow(0, 2n, 1, 10),
      flow(0, 3n, 1, 10),
      flow(1, 4n, 2, 20),
      flow(1, 3n, 3, 30),
      flow(1, 1n, 4, 40),
    ]);
    expect(byKey).toEqual({
      '0/0x1': { flows: 1, packets: 1, bytes: 10 },
      '0/0x2': { flows: 1, packets: 1, bytes: 10 },
      [`0/${OTHER_COOKIE}`]: { flows: 1, packets: 1, bytes: 10 },
      [`1/${OTHER_COOKIE}`]: { flows: 2, packets: 5, bytes: 50 },
      '1/0x1': { flows: 1, packets: 4, bytes: 40 },
    });
    expect(overflow).toBe(2);
  });

  it('keeps admitted cookies from dump to dump; a cookie that disappeared frees its place for the next dump', () => {
    const groups = new FlowGroups(2);
    dump(groups, [flow(0, 1n, 1, 1), flow(0, 2n, 1, 1)]);
    // 3 comes first, but 1 and 2 hold their places
    expect(Object.keys(dump(groups, [flow(0, 3n, 1, 1), flow(0, 2n, 1, 1), flow(0, 1n, 1, 1)]).byKey).sort()).toEqual(['0/0x1', '0/0x2', '0/other']);
    // 1 is gone: its place is still held during this dump...
    expect(Object.keys(dump(groups, [flow(0, 3n, 1, 1), flow(0, 2n, 1, 1)]).byKey).sort()).toEqual(['0/0x2', '0/other']);
    // ...and free in the next
    expect(Object.keys(dump(groups, [flow(0, 3n, 1, 1), flow(0, 2n, 1, 1)]).byKey).sort()).toEqual(['0/0x2', '0/0x3']);
  });

  it('with a cap of 0 every flow is "other"; a dump that never ended is forgotten by begin()', () => {
    const groups = new FlowGroups(0);
    groups.begin();
    groups.add(flow(0, 9n, 1, 1));
    expect(dump(groups, [flow(0, 1n, 2, 3)])).toEqual({ byKey: { '0/other': { flows: 1, packets: 2, bytes: 3 } }, overflow: 1 });
  });

  it('property: totals are preserved and groups stay within tables x (cap + 1)', () => {
    const flowArb = fc.record({ table: fc.integer({ min: 0, max: 254 }), cookie: fc.bigInt({ min: 0n, max: 30n }), packets: fc.nat(1000), bytes: fc.nat(100_000) });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8 }), fc.array(fc.array(flowArb, { maxLength: 60 }), { minLength: 1, maxLength: 4 }), (cap, dumps) => {
        const groups = new FlowGroups(cap);
        for (const flows of dumps) {
          groups.begin();
          for (const f of flows) groups.add(flow(f.table, f.cookie, f.packets, f.bytes));
          const { groups: out } = groups.end();
          const sum = (xs: readonly { packets: number; bytes: number }[]) => xs.reduce((a, g) => [a[0] + g.packets, a[1] + g.bytes], [0, 0]);
          expect(sum(out)).toEqual(sum(flows));
          expect(out.reduce((a, g: FlowGroup) => a + g.flows, 0)).toBe(flows.length);
          const tables = new Set(flows.map((f) => f.table)).size;
          expect(out.length).toBeLessThanOrEqual(tables * (cap + 1));
          expect(new Set(out.filter((g) => g.cookie !== OTHER_COOKIE).map((g) => g.cookie)).size).toBeLessThanOrEqual(cap);
        }
      }),
    );
  });
});
