/**
 * Conformance of the NetFlow v5 / v9 decoder against tshark on the shared captures, read in
 * place from ../shared/testdata (never copied): every capture under flows/netflow/ and the
 * real Open vSwitch NetFlow v5 capture ovs-lab/netflow.pcap, compared field by field (see
 * netflow-tshark.ts); captures broken on purpose must give exactly the listed errors. The OVS
 * records are also checked against the independent ovs-lab/reference-decode.json, and the
 * sampler tables of options records against the rates the akvorado fixtures were made with.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Comparison, findPcaps, tsharkConformanceTests } from './netflow-tshark.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const testdata = path.resolve(repoRoot, '../shared/testdata');
const present = existsSync(path.join(testdata, 'flows/netflow'));
if (!present) {
  console.warn(`NetFlow conformance SKIPPED: shared test data not found at ${testdata} (it lives beside the repo, never in it)`);
}

/** Captures broken on purpose (SOURCES.md), and the error each datagram must give. */
const EXPECTED_ERRORS: Record<string, Record<number, string>> = {
  // logstash: v5 headers counting 55582 and 163 records (30 at most, 1464 bytes present).
  'netflow5-invalid.pcap': { 1: 'too_many_records', 2: 'too_many_records' },
  // NetGauze fuzz vectors: options templates with no fields at all (scope and option length 0).
  'netgauze-netflow-malformed.pcap': { 3: 'bad_template' },
  'netgauze-netflow-vectors.pcap': { 8: 'bad_template' },
};

describe.skipIf(!present)('NetFlow v5 / v9 decoder vs tshark on ../shared/testdata', () => {
  const files = present ? [...findPcaps(path.join(testdata, 'flows/netflow')), path.join(testdata, 'ovs-lab/netflow.pcap')] : [];
  const { decode, totals } = tsharkConformanceTests('NetFlow', testdata, files, EXPECTED_ERRORS);

  it('sampler options give each flow its sampler rate (akvorado fixtures)', () => {
    const rates = (name: string) => {
      const ours = decode(path.join(testdata, 'flows/netflow/akvorado/combined', name));
      const out = new Map<string, number>();
      for (const r of ours.frames.flatMap((f) => f.records.filter((x) => !x.options))) {
        const k = `${String(r.info.samplerId)}:${String(r.rec.sampling_rate)}`;
        out.set(k, (out.get(k) ?? 0) + 1);
      }
      return Object.fromEntries(out);
    };
    // Sampler 1 is 1:2000 and sampler 2 1:4000 in the options data; flows name their sampler.
    expect(rates('multiplesamplingrates.pcap')).toEqual({ '1:2000': 11, '2:4000': 1 });
    expect(rates('options+template+data.pcap')).toEqual({ '1:30000': 4 });
    // The template carries the sampling interval in every record.
    expect(rates('samplingrate.pcap')).toEqual({ '-1:2048': 6 });
  });

  it('data that never gets its template is held, counted and never decoded (ndpi: no template at all)', () => {
    const ours = decode(path.join(testdata, 'flows/netflow/ndpi/netflowv9.pcap'));
    expect(ours.frames.length).toBe(10);
    expect(ours.frames.reduce((n, f) => n + Number(f.header.setsWithoutTemplate), 0)).toBe(23);
    expect(ours.frames.every((f) => f.records.length === 0 && !f.error)).toBe(true);
  });

  it('ovs-lab: every NetFlow v5 record matches reference-decode.json', () => {
    const reference = JSON.parse(readFileSync(path.join(testdata, 'ovs-lab/reference-decode.json'), 'utf8')) as {
      netflow_v5_records: Record<string, unknown>[];
    };
    const ours = decode(path.join(testdata, 'ovs-lab/netflow.pcap'));
    const records = ours.frames.flatMap((f) => f.records.map((r) => ({ frame: f, r })));
    expect(records.length).toBe(reference.netflow_v5_records.length);
    const c = new Comparison();
    const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
    records.forEach(({ frame, r }, i) => {
      const ref = reference.netflow_v5_records[i];
      const w = `frame ${frame.number} record ${i}`;
      const { rec } = r;
      c.eq(w, 'src_addr', rec.src_addr, str(ref.src_ip));
      c.eq(w, 'dst_addr', rec.dst_addr, str(ref.dst_ip));
      c.eq(w, 'in_if', rec.in_if, str(ref.input));
      c.eq(w, 'out_if', rec.out_if, str(ref.output));
      c.eq(w, 'packets', rec.packets, str(ref.packets));
      c.eq(w, 'bytes', rec.bytes, str(ref.octets));
      c.eq(w, 'src_port', rec.src_port, str(ref.src_port));
      c.eq(w, 'dst_port', rec.dst_port, str(ref.dst_port));
      c.eq(w, 'proto', rec.proto, str(ref.proto));
      c.eq(w, 'tcp_flags', rec.tcp_flags, str(ref.tcp_flags));
      c.eq(w, 'ip_tos', rec.ip_tos, str(ref.tos));
      c.eq(w, 'sys_uptime_ms', frame.header.sysUptimeMs, str(ref.sys_uptime_ms));
      c.eq(w, 'unix_secs', frame.header.exportTimeSeconds, str(ref.unix_secs));
      // first / last are sysUptime ms: placed at export time - (sysUptime - first).
      const base = BigInt(Number(ref.unix_secs) * 1000 - Number(ref.sys_uptime_ms)) * 1_000_000n + BigInt(Number(frame.header.exportTimeNanos));
      c.eq(w, 'time_flow_start_ns', rec.time_flow_start_ns, str(ref.first_uptime_ms), (t) => base + BigInt(t) * 1_000_000n);
      c.eq(w, 'time_flow_end_ns', rec.time_flow_end_ns, str(ref.last_uptime_ms), (t) => base + BigInt(t) * 1_000_000n);
      // OVS: ICMP type and code travel in the destination port (type * 256 + code).
      if (rec.proto === 1) c.eq(w, 'icmp_type', rec.icmp_type, str(ref.dst_port), (t) => Number(t) >> 8);
    });
    expect(c.mismatches).toEqual([]);
    expect(c.fields).toBeGreaterThan(records.length * 14);
    totals.fields += c.fields;
  });
});
