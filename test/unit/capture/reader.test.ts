import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { TelemetryError } from '../../../common/errors.js';
import { readCapture } from '../../../collector/capture/reader.js';
import { extractUdp, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP, LINKTYPE_NULL, LINKTYPE_RAW, UdpDatagram } from '../../../collector/capture/udp.js';
import { PacketInfo } from '../../../collector/packet/fields.js';
import { decodeCommand, runDecode } from '../../../cli/decode.js';
import {
  concat,
  counterSample,
  datagram,
  ethernet,
  flowSample,
  genericCounters,
  ipv4Packet,
  ipv6Packet,
  pcapFile,
  pcapngFile,
  rawHeader,
  tcpPacket,
  u16,
  u32,
  udpFrame,
  udpPacket,
} from '../../helpers/sflow-encoder.js';

const sflow = datagram({
  agent: '192.0.2.1',
  sequence: 3,
  samples: [
    flowSample({ rate: 8, input: 7, output: 9, records: [rawHeader(ethernet('fa:16:3e:00:00:02', 'fa:16:3e:00:00:01', 0x0800, ipv4Packet({ src: '10.0.0.11', dst: '10.0.0.13', proto: 6 }, tcpPacket(41379, 5201, 0x18))))] }),
    counterSample({ sourceIndex: 9, records: [genericCounters({ ifIndex: 9, inOctets: 586, outOctets: 1332 })] }),
  ],
});
const ipPayload = ipv4Packet({ src: '127.0.0.1', dst: '127.0.0.1', proto: 17 }, udpPacket(40000, 6343, sflow));
const ip6Payload = ipv6Packet({ src: '::1', dst: '::1', next: 17 }, udpPacket(40000, 6343, sflow));

function frames(bytes: Uint8Array) {
  const info = new PacketInfo();
  const udp = new UdpDatagram();
  const out = [];
  // The reader reuses one frame object: read each one before asking for the next.
  for (const f of readCapture(bytes)) {
    const why = extractUdp(f, info, udp);
    out.push({ number: f.number, ts: f.timestampNs, link: f.linkType, why, port: udp.dstPort, src: udp.srcAddr, payload: udp.payload.slice() });
  }
  return out;
}

describe('capture reader', () => {
  it('reads libpcap with microsecond and nanosecond timestamps', () => {
    const us = frames(pcapFile([{ data: udpFrame(sflow), seconds: 1700000000, fraction: 123456 }]));
    expect(us).toMatchObject([{ number: 1, ts: 1700000000123456000n, why: null, port: 6343, src: '192.0.2.1' }]);
    expect(us[0].payload).toEqual(sflow);
    const ns = frames(pcapFile([{ data: udpFrame(sflow), seconds: 1, fraction: 5 }], 1, true));
    expect(ns[0].ts).toBe(1_000_000_005n);
  });

  it('reads big-endian pcap', () => {
    const le = pcapFile([{ data: udpFrame(sflow), seconds: 2 }]);
    const be = le.slice();
    const swap = (off: number, size: number) => be.set(le.subarray(off, off + size).slice().reverse(), off);
    swap(0, 4);
    swap(4, 2);
    swap(6, 2);
    for (const off of [8, 12, 16, 20, 24, 28, 32, 36]) swap(off, 4);
    expect(frames(be)).toMatchObject([{ ts: 2_000_000_000n, why: null, port: 6343 }]);
  });

  it('reads pcapng (both byte orders, if_tsresol) with several interfaces and link types', () => {
    for (const le of [true, false]) {
      const file = pcapngFile(
        [{ linkType: 1 }, { linkType: LINKTYPE_LINUX_SLL2, tsresol: 9 }],
        [
          { iface: 0, ts: 1_700_000_000_000_001n, data: udpFrame(sflow) },
          { iface: 1, ts: 1_700_000_000_000_000_002n, data: concat(u16(0x0800, 0), u32(1), u16(772), Uint8Array.of(0, 6), new Uint8Array(8), ipPayload) },
        ],
        le,
      );
      expect(frames(file)).toMatchObject([
        { number: 1, ts: 1_700_000_000_000_001_000n, why: null, port: 6343 },
        { number: 2, ts: 1_700_000_000_000_000_002n, link: LINKTYPE_LINUX_SLL2, why: null, port: 6343, src: '127.0.0.1' },
      ]);
    }
  });

  it('unwraps Linux cooked (SLL), loopback (NULL, LOOP) and raw IP link types', () => {
    const sll = concat(u16(0, 772, 6), new Uint8Array(8), u16(0x86dd), ip6Payload);
    const nullLe = concat(Uint8Array.of(2, 0, 0, 0), ipPayload);
    const nullV6 = concat(Uint8Array.of(0, 0, 0, 30), ip6Payload); // macOS AF_INET6, big-endian capture host
    const loop = concat(u32(2), ipPayload);
    for (const [link, data, src] of [
      [LINKTYPE_LINUX_SLL, sll, '::1'],
      [LINKTYPE_NULL, nullLe, '127.0.0.1'],
      [LINKTYPE_NULL, nullV6, '::1'],
      [LINKTYPE_LOOP, loop, '127.0.0.1'],
      [LINKTYPE_RAW, ipPayload, '127.0.0.1'],
    ] as const) {
      const [f] = frames(pcapFile([{ data }], link));
      expect([f.why, f.src, f.port]).toEqual([null, src, 6343]);
      expect(f.payload).toEqual(sflow);
    }
  });

  it('says why a frame carries no UDP', () => {
    const tcp = ethernet('00:00:00:00:00:02', '00:00:00:00:00:01', 0x0800, ipv4Packet({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6 }, tcpPacket(1, 2, 0)));
    const frag = ethernet('00:00:00:00:00:02', '00:00:00:00:00:01', 0x0800, ipv4Packet({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17, moreFragments: true }, udpPacket(1, 6343, sflow)));
    const arp = ethernet('ff:ff:ff:ff:ff:ff', '00:00:00:00:00:01', 0x0806, new Uint8Array(28));
    expect(frames(pcapFile([{ data: tcp }, { data: frag }, { data: arp }])).map((f) => f.why)).toEqual(['not_udp', 'fragment', 'not_ip']);
    expect(frames(pcapFile([{ data: udpFrame(sflow) }], 147)).map((f) => f.why)).toEqual(['link_type']);
  });

  it('fails with TelemetryError DECODE on a bad magic or a frame past the end, after the good frames', () => {
    expect(() => frames(new Uint8Array(24))).toThrow(TelemetryError);
    const file = pcapFile([{ data: udpFrame(sflow) }, { data: udpFrame(sflow) }]);
    const cut = file.subarray(0, file.length - 10);
    const seen: number[] = [];
    expect(() => {
      for (const f of readCapture(cut)) seen.push(f.number);
    }).toThrow(/frame 2 claims/);
    expect(seen).toEqual([1]);
  });
});

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('decode command', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'decode-cmd-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const netflow = concat(u16(5, 1), new Uint8Array(68));
  const file = path.join(dir, 'mixed.pcap');
  writeFileSync(
    file,
    pcapFile([
      { data: udpFrame(sflow, 6343) },
      { data: udpFrame(netflow, 6343) },
      { data: udpFrame(sflow, 9999) }, // sniffed
      { data: udpFrame(new Uint8Array(40), 9999) }, // nothing recognisable
    ]),
  );

  it('prints goflow2-named JSON records and counts errors by reason', async () => {
    const out = new Sink();
    const err = new Sink();
    const summary = await runDecode(file, { format: 'json', sflowPort: [] }, { out, err });
    const lines = out.text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.type)).toEqual(['SFLOW_5', 'SFLOW_5_COUNTERS', 'SFLOW_5', 'SFLOW_5_COUNTERS']);
    expect(lines[0]).toMatchObject({ sampler_address: '192.0.2.1', sequence_num: 3, sampling_rate: 8, in_if: 7, out_if: 9, src_addr: '10.0.0.11', dst_port: 5201, proto: 6, etype: 2048, time_received_ns: 1700000000000000000 });
    expect(lines[1]).toMatchObject({ if_index: 9, if_in_octets: 586, if_out_octets: 1332 });
    expect(summary.errors).toEqual(new Map([['sflow:bad_version', 1]]));
    expect(summary.skipped).toEqual(new Map([['no_decoder', 1]]));
    expect(err.text).toMatch(/decode errors: sflow:bad_version=1/);
  });

  it('--sflow-port replaces 6343, and a stage can sit between decode and print', async () => {
    const out = new Sink();
    const seen: string[] = [];
    const stage = (next: { flow(r: never): void; counters(r: never): void }) => ({
      flow: (r: { network_id: string }) => {
        r.network_id = 'net-a';
        seen.push('flow');
        next.flow(r as never);
      },
      counters: (r: never) => next.counters(r),
    });
    const summary = await runDecode(file, { format: 'json', sflowPort: [9999] }, { out, err: new Sink(), stages: [stage as never] });
    // 6343 is no longer sFlow: its sFlow datagram is still found by sniffing, and so is the NetFlow
    // one (by the NetFlow decoder's sniff); the junk on 9999 is now taken for sFlow and fails.
    expect(summary.errors).toEqual(new Map([['sflow:bad_version', 1]]));
    expect(summary.skipped).toEqual(new Map());
    expect(summary.datagrams.get('netflow')).toBe(1);
    expect(seen).toEqual(['flow', 'flow', 'flow']);
    expect(out.text).toContain('"network_id":"net-a"');
  });

  it('prints a table', async () => {
    const out = new Sink();
    await runDecode(file, { format: 'table', sflowPort: [] }, { out, err: new Sink() });
    expect(out.text).toMatch(/TIME\s+AGENT\s+IN\s+OUT\s+SRC/);
    expect(out.text).toContain('10.0.0.11:41379');
    expect(out.text).toMatch(/COUNTERS if 9 in 586 B/);
  });

  it('is a commander command named decode with its options', () => {
    const cmd = decodeCommand();
    expect(cmd.name()).toBe('decode');
    expect(cmd.options.map((o) => o.long)).toEqual(['--format', '--sflow-port', '--netflow-port', '--ovsdb', '--tenancy-file']);
    expect(() => cmd.exitOverride().parse(['x.pcap', '--sflow-port', '70000'], { from: 'user' })).toThrow(/not a UDP port/);
  });

  it('reports an unreadable file as a usage error', async () => {
    await expect(runDecode(path.join(dir, 'missing.pcap'), { format: 'json', sflowPort: [] }, { out: new Sink(), err: new Sink() })).rejects.toMatchObject({ code: 'USAGE' });
  });
});
