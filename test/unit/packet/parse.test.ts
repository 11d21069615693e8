import { describe, expect, it } from 'vitest';
import { FlowRecord } from '../../../common/model.js';
import { LAYER_ETHERNET, LAYER_IPV4, LAYER_IPV6, PacketInfo, TUNNEL_GENEVE, TUNNEL_GRE, TUNNEL_IPIP, TUNNEL_VXLAN } from '../../../collector/packet/fields.js';
import { formatIpv4, formatIpv6, formatMac } from '../../../collector/packet/format.js';
import { parsePacket } from '../../../collector/packet/parse.js';
import { applyPacketToRecord } from '../../../collector/packet/record.js';
import {
  concat,
  ethernet,
  geneve,
  gre,
  ipv4Packet,
  ipv6,
  ipv6Packet,
  tcpPacket,
  u16,
  u32,
  udpPacket,
  vxlan,
} from '../../helpers/sflow-encoder.js';

const A = 'fa:16:3e:00:00:01';
const B = 'fa:16:3e:00:00:02';

function parse(bytes: Uint8Array, first = LAYER_ETHERNET): PacketInfo {
  const info = new PacketInfo();
  parsePacket(bytes, 0, bytes.length, first, info);
  return info;
}

describe('address text', () => {
  it.each([
    ['2001:db8::1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['fe80:0:0:0:0:0:0:0', 'fe80::'],
    ['2001:db8:1:1:1:1:0:1', '2001:db8:1:1:1:1:0:1'],
    ['0:0:0:0:0:ffff:c000:201', '::ffff:192.0.2.1'],
  ])('IPv6 %s is written %s (RFC 5952)', (input, text) => {
    expect(formatIpv6(ipv6(input), 0)).toBe(text);
  });

  it('writes MACs lower-case with colons and IPv4 dotted', () => {
    expect(formatMac(Uint8Array.of(0xfa, 0x16, 0x3e, 0xab, 0xcd, 0xef), 0)).toBe('fa:16:3e:ab:cd:ef');
    expect(formatIpv4(Uint8Array.of(10, 0, 0, 255), 0)).toBe('10.0.0.255');
  });

  it('gives the right text for far more addresses than the caches hold (colliding slots are replaced)', () => {
    const bytes = new Uint8Array(16);
    const hex = (b: number) => b.toString(16).padStart(2, '0');
    const wrong: string[] = [];
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 20_000; i++) {
        // The same addresses in both rounds, in a different order, some all-zero.
        const n = round === 0 ? i : 19_999 - i;
        for (let j = 0; j < 16; j++) bytes[j] = n % 7 === 0 ? 0 : (Math.imul(n + 1, 2654435761) >>> (j % 4) * 8) & 0xff ^ j;
        const groups = Array.from({ length: 8 }, (_, g) => ((bytes[2 * g] << 8) | bytes[2 * g + 1]).toString(16));
        const want = [Array.from(bytes.subarray(2, 6)).join('.'), Array.from(bytes.subarray(5, 11), hex).join(':'), n % 7 === 0 ? '::' : groups.join(':')];
        const got = [formatIpv4(bytes, 2), formatMac(bytes, 5), formatIpv6(bytes, 0)];
        if (got.join() !== want.join()) wrong.push(`${got} != ${want}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('parsePacket', () => {
  it('reads Ethernet / IPv4 / TCP', () => {
    const info = parse(ethernet(B, A, 0x0800, ipv4Packet({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6, tos: 0xb8, ttl: 63, id: 77 }, tcpPacket(40000, 443, 0x12))));
    const o = info.outer;
    expect([o.dstMac, o.srcMac, o.etype, o.srcAddr, o.dstAddr, o.proto]).toEqual([B, A, 0x0800, '10.0.0.1', '10.0.0.2', 6]);
    expect([o.tos, o.ttl, o.fragmentId, o.srcPort, o.dstPort, o.tcpFlags]).toEqual([0xb8, 63, 77, 40000, 443, 0x12]);
    expect(info.truncated).toBe(false);
  });

  it('reads 802.1Q and QinQ tags (innermost in vlanId, service tag in outerVlanId)', () => {
    const single = parse(ethernet(B, A, 0x0800, ipv4Packet({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17 }, udpPacket(1, 2, new Uint8Array(0))), [100]));
    expect([single.outer.vlanId, single.outer.outerVlanId, single.outer.etype]).toEqual([100, 0, 0x0800]);
    const qinq = parse(ethernet(B, A, 0x86dd, ipv6Packet({ src: '2001:db8::1', dst: '2001:db8::2', next: 17 }, udpPacket(5, 6, new Uint8Array(0))), [300, 42]));
    expect([qinq.outer.vlanId, qinq.outer.outerVlanId, qinq.outer.etype, qinq.outer.dstPort]).toEqual([42, 300, 0x86dd, 6]);
  });

  it('reads ARP sender and target addresses', () => {
    const arp = concat(u16(1, 0x0800), Uint8Array.of(6, 4), u16(1), new Uint8Array(6), Uint8Array.of(10, 0, 0, 11), new Uint8Array(6), Uint8Array.of(10, 0, 0, 13));
    const info = parse(ethernet('ff:ff:ff:ff:ff:ff', A, 0x0806, arp));
    expect([info.outer.etype, info.outer.arpOp, info.outer.srcAddr, info.outer.dstAddr]).toEqual([0x0806, 1, '10.0.0.11', '10.0.0.13']);
  });

  it('skips IPv4 options and stops at later fragments', () => {
    const withOptions = parse(ipv4Packet({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17, options: Uint8Array.of(1, 1, 1, 0) }, udpPacket(53, 1234, new Uint8Array(4))), LAYER_IPV4);
    expect([withOptions.outer.srcPort, withOptions.outer.dstPort, withOptions.outer.etype]).toEqual([53, 1234, 0x0800]);
    const fragment = parse(ipv4Packet({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17, fragmentOffset: 185, id: 9 }, new Uint8Array(16)), LAYER_IPV4);
    expect([fragment.outer.fragmentOffset, fragment.outer.fragmentId, fragment.outer.srcPort]).toEqual([185, 9, 0]);
    const first = parse(ipv4Packet({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17, moreFragments: true }, udpPacket(7, 8, new Uint8Array(8))), LAYER_IPV4);
    expect([first.outer.moreFragments, first.outer.dstPort]).toEqual([true, 8]);
  });

  it('walks IPv6 extension headers to the transport header', () => {
    const hopByHop = concat(Uint8Array.of(60, 0), new Uint8Array(6));
    const destOpts = concat(Uint8Array.of(44, 0), new Uint8Array(6));
    const fragment = concat(Uint8Array.of(58, 0), u16(0), u32(0xdeadbeef));
    const icmp = Uint8Array.of(128, 0, 0, 0);
    const info = parse(ipv6Packet({ src: 'fd00::1', dst: 'fd00::2', next: 0, trafficClass: 0x2e, hopLimit: 7 }, concat(hopByHop, destOpts, fragment, icmp)), LAYER_IPV6);
    expect([info.outer.proto, info.outer.icmpType, info.outer.fragmentId, info.outer.tos, info.outer.ttl]).toEqual([58, 128, 0xdeadbeef, 0x2e, 7]);
  });

  it('reads ICMP type and code', () => {
    const info = parse(ipv4Packet({ src: '1.1.1.1', dst: '2.2.2.2', proto: 1 }, Uint8Array.of(3, 13, 0, 0)), LAYER_IPV4);
    expect([info.outer.icmpType, info.outer.icmpCode]).toEqual([3, 13]);
  });

  const innerFrame = ethernet(B, A, 0x0800, ipv4Packet({ src: '10.0.0.11', dst: '10.0.0.13', proto: 6 }, tcpPacket(5201, 41000, 0x10)));

  it('looks into VXLAN: VNI and the inner packet', () => {
    const outer = ethernet('52:54:00:00:00:02', '52:54:00:00:00:01', 0x0800, ipv4Packet({ src: '172.31.255.1', dst: '172.31.255.2', proto: 17 }, udpPacket(54000, 4789, vxlan(1001, innerFrame))));
    const info = parse(outer);
    expect([info.tunnelType, info.tunnelId, info.outer.dstPort]).toEqual([TUNNEL_VXLAN, 1001, 4789]);
    expect([info.inner.srcMac, info.inner.srcAddr, info.inner.dstAddr, info.inner.proto, info.inner.srcPort]).toEqual([A, '10.0.0.11', '10.0.0.13', 6, 5201]);
    const rec = new FlowRecord();
    applyPacketToRecord(info, rec);
    expect([rec.src_addr, rec.tunnel_id, rec.tunnel_src_addr, rec.tunnel_dst_addr, rec.inner_src_addr, rec.inner_dst_port, rec.inner_etype]).toEqual([
      '172.31.255.1', 1001, '172.31.255.1', '172.31.255.2', '10.0.0.11', 41000, 0x0800,
    ]);
  });

  it('looks into Geneve (with options) and GRE (with key; also IP-in-GRE)', () => {
    const gen = parse(ipv4Packet({ src: '1.0.0.1', dst: '1.0.0.2', proto: 17 }, udpPacket(1, 6081, geneve(5000, 0x6558, innerFrame, new Uint8Array(8)))), LAYER_IPV4);
    expect([gen.tunnelType, gen.tunnelId, gen.inner.dstAddr]).toEqual([TUNNEL_GENEVE, 5000, '10.0.0.13']);
    const greEth = parse(ipv4Packet({ src: '1.0.0.1', dst: '1.0.0.2', proto: 47 }, gre(0x6558, innerFrame, 0x3e9)), LAYER_IPV4);
    expect([greEth.tunnelType, greEth.tunnelId, greEth.hasTunnelId, greEth.inner.srcPort]).toEqual([TUNNEL_GRE, 0x3e9, true, 5201]);
    const greIp = parse(ipv6Packet({ src: 'fd00::1', dst: 'fd00::2', next: 47 }, gre(0x0800, ipv4Packet({ src: '9.9.9.9', dst: '8.8.8.8', proto: 1 }, Uint8Array.of(8, 0)))), LAYER_IPV6);
    expect([greIp.hasTunnelId, greIp.inner.srcAddr, greIp.inner.proto]).toEqual([false, '9.9.9.9', 1]);
  });

  it('follows IP-in-IP without a key', () => {
    const info = parse(ipv4Packet({ src: '1.0.0.1', dst: '1.0.0.2', proto: 4 }, ipv4Packet({ src: '10.1.1.1', dst: '10.2.2.2', proto: 17 }, udpPacket(9, 10, new Uint8Array(0)))), LAYER_IPV4);
    expect([info.tunnelType, info.hasTunnelId, info.inner.srcAddr, info.inner.dstPort]).toEqual([TUNNEL_IPIP, false, '10.1.1.1', 10]);
  });

  it('decodes truncated headers as far as they go, at every cut', () => {
    const frame = ethernet(B, A, 0x0800, ipv4Packet({ src: '172.31.255.1', dst: '172.31.255.2', proto: 17 }, udpPacket(54000, 4789, vxlan(7, innerFrame))));
    for (let cut = 0; cut <= frame.length; cut++) {
      const info = new PacketInfo();
      parsePacket(frame, 0, cut, LAYER_ETHERNET, info);
      if (cut >= 12) expect(info.outer.srcMac).toBe(A);
      if (cut >= 34) expect(info.outer.dstAddr).toBe('172.31.255.2');
      if (cut >= 38) expect(info.outer.dstPort).toBe(4789);
      if (cut >= 50) expect(info.tunnelId).toBe(7);
      if (cut < frame.length - 20 && cut >= 14) expect(info.truncated).toBe(true);
    }
    const full = parse(frame);
    expect([full.truncated, full.inner.tcpFlags]).toEqual([false, 0x10]);
  });
});
