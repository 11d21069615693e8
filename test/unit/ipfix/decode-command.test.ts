import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runDecode } from '../../../cli/decode.js';
import { concat, ipv4, pcapFile, u32, udpFrame } from '../../helpers/sflow-encoder.js';
import { dataSet, ipfixMessage, templateRecord, templateSet, v5Packet } from './encoder.js';

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('decode command with NetFlow / IPFIX', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'decode-netflow-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const tpl = templateSet(templateRecord(300, [{ id: 8, length: 4 }, { id: 2, length: 4 }]));
  const record = (src: string, packets: number) => concat(ipv4(src), u32(packets));
  const v5 = v5Packet({ sysUptime: 1000, unixSecs: 1700000000 }, [
    { src: ipv4('10.0.0.9'), dst: ipv4('10.0.0.8'), input: 1, output: 2, packets: 3, bytes: 300, first: 500, last: 900, srcPort: 53, dstPort: 5353, tcpFlags: 0, proto: 17, tos: 0 },
  ]);
  const file = path.join(dir, 'flows.pcap');
  writeFileSync(
    file,
    pcapFile([
      { data: udpFrame(ipfixMessage({ sequence: 1 }, dataSet(300, record('10.0.0.1', 5))), 4739) }, // before its template
      { data: udpFrame(ipfixMessage({ sequence: 2 }, tpl, dataSet(300, record('10.0.0.2', 6))), 4739) },
      { data: udpFrame(ipfixMessage({ sequence: 3 }, dataSet(301, record('10.0.0.3', 7))), 4739) }, // template never comes
      { data: udpFrame(v5, 9995) }, // found by sniffing
      { data: udpFrame(concat(ipfixMessage({}), new Uint8Array(2)).subarray(0, 10), 2055) }, // truncated
    ]),
  );

  it('prints IPFIX and NetFlow records, holds early data, counts what never got a template', async () => {
    const out = new Sink();
    const err = new Sink();
    const summary = await runDecode(file, { format: 'json', sflowPort: [] }, { out, err });
    const lines = out.text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.type, l.src_addr, l.packets, l.sequence_num])).toEqual([
      ['IPFIX', '10.0.0.1', 5, 1],
      ['IPFIX', '10.0.0.2', 6, 2],
      ['NETFLOW_V5', '10.0.0.9', 3, 0],
    ]);
    expect(lines[2]).toMatchObject({ sampler_address: '192.0.2.1', dst_port: 5353, proto: 17, etype: 2048, time_flow_start_ns: 1699999999500000000 });
    expect(summary.datagrams).toEqual(new Map([['netflow', 5]]));
    expect(summary.errors).toEqual(new Map([['netflow:truncated', 1]]));
    expect(summary.notes).toEqual(
      new Map([
        ['netflow:template_missing', 2],
        ['netflow:held_decoded', 1],
        ['netflow:held_never_decoded', 1],
      ]),
    );
    expect(err.text).toMatch(/notes: netflow:template_missing=2 netflow:held_decoded=1 netflow:held_never_decoded=1/);
  });

  it('--netflow-port replaces 2055 and 4739', async () => {
    const summary = await runDecode(file, { format: 'json', sflowPort: [], netflowPort: [9995] }, { out: new Sink(), err: new Sink() });
    // 4739 is no longer NetFlow by port, but the IPFIX messages are still recognised by sniffing.
    expect(summary.datagrams).toEqual(new Map([['netflow', 4]]));
    expect(summary.skipped).toEqual(new Map([['no_decoder', 1]]));
    expect(summary.flowRecords).toBe(3);
  });
});
