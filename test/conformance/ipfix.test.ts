/**
 * Conformance of the IPFIX decoder against tshark on the shared captures, read in place from
 * ../shared/testdata (never copied): every capture under flows/ipfix/ and the real Open
 * vSwitch capture ovs-lab/ipfix.pcap. Headers, templates and records are compared field by
 * field (see netflow-tshark.ts); captures that are broken on purpose must give exactly the
 * listed errors. What tshark 4.0 cannot decode is checked against independent references:
 * the VMware (PEN 6876) tunnel elements of OVS against ovs-lab/reference-decode.json, data
 * that came before its template against tshark's decode of a reordered copy.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Comparison, findPcaps, tsharkConformanceTests } from './netflow-tshark.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const testdata = path.resolve(repoRoot, '../shared/testdata');
const present = existsSync(path.join(testdata, 'flows/ipfix'));
if (!present) {
  console.warn(`IPFIX conformance SKIPPED: shared test data not found at ${testdata} (it lives beside the repo, never in it)`);
}

/** Captures broken on purpose (SOURCES.md), and the error each datagram must give. */
const EXPECTED_ERRORS: Record<string, Record<number, string>> = {
  // NetGauze negative vectors: version 0, message length 0, a set longer than the message.
  'netgauze-ipfix-malformed.pcap': { 1: 'bad_version', 2: 'bad_length', 3: 'bad_length' },
  // vflow: a template set whose 9th "template" has id 0 (tshark shows garbage PENs), and a
  // message whose header claims 1366 bytes of which 214 are present.
  'vflow-ipfix-malformed.pcap': { 1: 'bad_template', 2: 'truncated' },
};

describe.skipIf(!present)('IPFIX decoder vs tshark on ../shared/testdata', () => {
  const files = present ? [...findPcaps(path.join(testdata, 'flows/ipfix')), path.join(testdata, 'ovs-lab/ipfix.pcap')] : [];
  const { decode, totals } = tsharkConformanceTests('IPFIX', testdata, files, EXPECTED_ERRORS);

  it('data before its template is decoded when the template comes (ipfix_v10_with_mpls_labels: 10 datagrams)', () => {
    const ours = decode(path.join(testdata, 'flows/ipfix/akvorado/ipfix_v10_with_mpls_labels.pcap'));
    // The capture starts mid-stream: the data of domain 16777216 in frames 2 and 4 waits for
    // the templates of frame 6, that of domain 33554432 in frames 1-16 for those of frame 17.
    expect(Object.fromEntries(ours.releasedAt)).toEqual({ 1: 17, 3: 17, 5: 17, 7: 17, 9: 17, 12: 17, 14: 17, 16: 17, 2: 6, 4: 6 });
    const held = ours.frames.flatMap((f) => f.records.filter((r) => r.held));
    expect(held.length).toBe(36);
    expect(held.every((r) => r.rec.type === 'IPFIX' && Number(r.rec.bytes) > 0)).toBe(true);
  });

  it('ovs-lab: every record matches reference-decode.json, including the VMware tunnel elements', () => {
    const reference = JSON.parse(readFileSync(path.join(testdata, 'ovs-lab/reference-decode.json'), 'utf8')) as {
      ipfix_records: Record<string, unknown>[];
    };
    const ours = decode(path.join(testdata, 'ovs-lab/ipfix.pcap'));
    const records = ours.frames.flatMap((f) => f.records.map((r) => ({ frame: f.number, r })));
    expect(records.length).toBe(reference.ipfix_records.length);
    const c = new Comparison();
    const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
    records.forEach(({ frame, r }, i) => {
      const ref = reference.ipfix_records[i];
      const w = `frame ${frame} record ${i}`;
      const { rec, info } = r;
      c.eq(w, 'frame', frame, str(Number(ref.msg) + 1));
      c.eq(w, 'template', info.templateId, str(ref.template));
      if (r.options) {
        c.eq(w, 'exportingProcessId', info.exportingProcessId, str(ref.exportingProcessId));
        c.eq(w, 'notSentPacketTotalCount', info.notSentPackets, str(ref.notSentPacketTotalCount));
        return;
      }
      c.eq(w, 'observation_domain_id', rec.observation_domain_id, str(ref.domain));
      c.eq(w, 'observationPointId', info.observationPointId, str(ref.observationPointId));
      c.eq(w, 'flowDirection', info.flowDirection, str(ref.flowDirection));
      c.eq(w, 'src_mac', rec.src_mac, str(ref.sourceMacAddress));
      c.eq(w, 'dst_mac', rec.dst_mac, str(ref.destinationMacAddress));
      c.eq(w, 'etype', rec.etype, str(ref.ethernetType));
      c.eq(w, 'in_if', rec.in_if, str(ref.ingressInterface));
      c.eq(w, 'out_if', rec.out_if, str(ref.egressInterface));
      // The reference keeps the last interfaceName of a record: the egress one when there is one.
      c.eq(w, 'interface_name', info.egressInterfaceName || info.ingressInterfaceName, str(ref.interfaceName));
      c.eq(w, 'vlan_id', rec.vlan_id, str(ref.vlanId ?? ref.dot1qVlanId));
      c.eq(w, 'proto', rec.proto, str(ref.protocolIdentifier));
      c.eq(w, 'src_addr', rec.src_addr, str(ref.src_ip));
      c.eq(w, 'dst_addr', rec.dst_addr, str(ref.dst_ip));
      c.eq(w, 'src_port', rec.src_port, str(ref.src_port));
      c.eq(w, 'dst_port', rec.dst_port, str(ref.dst_port));
      c.eq(w, 'icmp_type', rec.icmp_type, str(ref.icmpTypeIPv4 ?? ref.icmpTypeIPv6));
      c.eq(w, 'packets', rec.packets, str(ref.packetDeltaCount));
      c.eq(w, 'bytes', rec.bytes, str(ref.octetDeltaCount ?? ref.layer2OctetDeltaCount));
      c.eq(w, 'layer2Bytes', ref.octetDeltaCount === undefined ? rec.bytes : info.layer2Bytes, str(ref.layer2OctetDeltaCount));
      c.eq(w, 'flowEndReason', info.flowEndReason, str(ref.flowEndReason));
      // VMware PEN 6876, elements 891-897 (tshark 4.0 shows them as bytes only).
      c.eq(w, 'tunnelType', info.tunnelType, str(ref.tunnelType ?? -1));
      c.eq(w, 'tunnel_id', rec.tunnel_id, str(ref.tunnelKey ?? 0));
      c.eq(w, 'tunnel_src_addr', rec.tunnel_src_addr, str(ref.tunnelSourceIPv4Address ?? ''));
      c.eq(w, 'tunnel_dst_addr', rec.tunnel_dst_addr, str(ref.tunnelDestinationIPv4Address ?? ''));
      c.eq(w, 'tunnelProtocol', info.tunnelProtocol, str(ref.tunnelProtocolIdentifier ?? -1));
      c.eq(w, 'tunnelSrcPort', info.tunnelSrcPort, str(ref.tunnelSourceTransportPort ?? -1));
      c.eq(w, 'tunnelDstPort', info.tunnelDstPort, str(ref.tunnelDestinationTransportPort ?? -1));
    });
    expect(c.mismatches).toEqual([]);
    expect(records.filter(({ r }) => r.rec.tunnel_id === 1001 || r.rec.tunnel_id === 1002).length).toBe(14);
    expect(c.fields).toBeGreaterThan(records.length * 15);
    totals.fields += c.fields;
  });
});
