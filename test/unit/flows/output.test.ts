/**
 * The flow-record output: goflow2-style JSON lines with tenancy, counters only when asked, and
 * bounded buffering (a consumer that stops reading costs records, counted, not memory).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CounterRecord } from '../../../common/counters.js';
import { FlowRecordWriter } from '../../../collector/flows/output.js';
import { NET_A, PROJECT_A, record } from './fixtures.js';

describe('FlowRecordWriter', () => {
  it('writes one JSON object per line with the record fields and tenancy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'otl-flow-output-'));
    try {
      const file = join(dir, 'flows.jsonl');
      const out = FlowRecordWriter.open(file, 1 << 20, false);
      out.flow(record({ time_received_ns: 1795465259966026000n, src_addr: '10.0.0.11', dst_addr: '10.0.0.13', bytes: 1468, sampling_rate: 16, network_id: NET_A, project_id: PROJECT_A, in_neutron_port_id: 'port-1' }));
      out.counters(new CounterRecord());
      out.flow(record({ src_addr: 'fd00::1', etype: 0x86dd }));
      await out.close();
      const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toContain('"time_received_ns":1795465259966026000,');
      const first = JSON.parse(lines[0]) as Record<string, unknown>;
      expect(first).toMatchObject({ type: 'SFLOW_5', src_addr: '10.0.0.11', bytes: 1468, sampling_rate: 16, network_id: NET_A, project_id: PROJECT_A, in_neutron_port_id: 'port-1' });
      expect(out.written).toBe(2);
      expect(out.dropped).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('counters records when include_counters is on', async () => {
    const stream = new PassThrough();
    const chunks: string[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c.toString()));
    const out = new FlowRecordWriter({ stream, name: 'test', maxBufferedBytes: 1 << 20, includeCounters: true });
    const c = new CounterRecord();
    c.has_port_name = true;
    c.port_name = 'tap1';
    out.counters(c);
    await out.close();
    expect(JSON.parse(chunks.join(''))).toMatchObject({ type: 'SFLOW_5_COUNTERS', port_name: 'tap1' });
  });

  it('a consumer that never reads: drops and counts past max_buffer_bytes, memory stays bounded', () => {
    // A writable whose writes never complete: everything stays in its buffer.
    const stuck = new Writable({ highWaterMark: 1024, write: () => undefined });
    const out = new FlowRecordWriter({ stream: stuck, name: 'stuck', maxBufferedBytes: 256 * 1024, includeCounters: false });
    const rec = record({ src_addr: '10.0.0.11', dst_addr: '10.0.0.13' });
    for (let i = 0; i < 20_000; i++) out.flow(rec);
    out.flush();
    expect(out.dropped).toBeGreaterThan(15_000);
    expect(out.written + out.dropped).toBe(20_000);
    expect(stuck.writableLength).toBeLessThan(256 * 1024 + 64 * 1024 + 2048);
    void out.close();
  });
});
