import { describe, expect, it } from 'vitest';
import { FlowRecord } from '../../../common/model.js';
import { RecordInfo } from '../../../collector/ipfix/decode.js';
import { TOTAL_BYTES } from '../../../collector/ipfix/fields.js';
import { RunningTotals } from '../../../collector/ipfix/running-totals.js';

describe('RunningTotals', () => {
  it('follows at most its bound of flows, forgetting the least recently reported', () => {
    const totals = new RunningTotals(3);
    const info = new RecordInfo();
    info.runningTotals = TOTAL_BYTES;
    const report = (port: number, bytes: number) => {
      const rec = new FlowRecord();
      rec.src_port = port;
      rec.bytes = bytes;
      rec.packets = 1;
      totals.toDeltas('192.0.2.1:9', rec, info);
      return [rec.bytes, rec.packets];
    };
    for (let port = 1; port <= 3; port++) report(port, 100);
    expect(report(1, 150)).toEqual([50, 1]); // flow 1 is now the most recent; packets are not totals here
    report(4, 100); // past the bound: flow 2 goes
    expect(totals.size).toBe(3);
    expect(report(2, 120)).toEqual([120, 1]); // forgotten: counted whole (and flow 3 goes)
    expect(report(1, 170)).toEqual([20, 1]);
    expect(totals.size).toBe(3);
  });
});
