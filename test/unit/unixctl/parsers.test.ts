import { describe, expect, it } from 'vitest';
import { parseBondShow } from '../../../collector/unixctl/bond.js';
import { parseCoverageShow } from '../../../collector/unixctl/coverage.js';
import { parseDpctlShow } from '../../../collector/unixctl/dpctl-show.js';
import { parseDpifShow } from '../../../collector/unixctl/dpif-show.js';
import { parseMemoryShow } from '../../../collector/unixctl/memory.js';
import { parsePmdStatsShow } from '../../../collector/unixctl/pmd-stats.js';
import { parseUpcallShow } from '../../../collector/unixctl/upcall.js';

/** Outputs as ovs-vswitchd / ovsdb-server 3.1.0 print them (userspace datapath captured here; kernel forms per OVS sources). */

describe('dpif/show', () => {
  it('parses the userspace datapath as OVS 3.1 prints it', () => {
    const text = `netdev@ovs-netdev: hit:15 missed:18
  br0:
    bp1 3/4: (system)
    br0 65534/1: (tap)
    vm1 1/2: (system)
`;
    const { value, skippedLines } = parseDpifShow(text);
    expect(skippedLines).toBe(0);
    expect(value).toHaveLength(1);
    expect(value[0]).toMatchObject({ name: 'netdev@ovs-netdev', hit: 15, missed: 18 });
    expect(value[0].bridges.map((b) => [b.name, b.ports.map((p) => [p.name, p.ofport, p.dpPort, p.type])])).toEqual([
      [
        'br0',
        [
          ['bp1', 3, 4, 'system'],
          ['br0', 65534, 1, 'tap'],
          ['vm1', 1, 2, 'system'],
        ],
      ],
    ]);
  });

  it('parses a kernel datapath with tunnel and patch ports and two bridges', () => {
    const text = `system@ovs-system: hit:1234567890123 missed:42
  br-int:
    br-int 65534/2: (internal)
    patch-tun 1/none: (patch: peer=patch-int)
    tap1 5/3: (system)
  br-tun:
    br-tun 65534/4: (internal)
    patch-int 1/none: (patch: peer=patch-tun)
    vxlan-c0000202 2/5: (vxlan: df_default=true, in_key=flow, local_ip=192.0.2.1, out_key=flow, remote_ip=192.0.2.2)
`;
    const { value, skippedLines } = parseDpifShow(text);
    expect(skippedLines).toBe(0);
    expect(value[0].hit).toBe(1234567890123);
    expect(value[0].bridges.map((b) => b.name)).toEqual(['br-int', 'br-tun']);
    const patch = value[0].bridges[0].ports[1];
    expect(patch).toMatchObject({ name: 'patch-tun', ofport: 1, dpPort: undefined, type: 'patch' });
    expect(patch.config.get('peer')).toBe('patch-int');
    const vxlan = value[0].bridges[1].ports[2];
    expect(vxlan.type).toBe('vxlan');
    expect(Object.fromEntries(vxlan.config)).toEqual({
      df_default: 'true',
      in_key: 'flow',
      local_ip: '192.0.2.1',
      out_key: 'flow',
      remote_ip: '192.0.2.2',
    });
  });

  it('parses two datapaths and counts lines it does not understand', () => {
    const text = `netdev@ovs-netdev: hit:1 missed:2
  br0:
    br0 65534/1: (tap)
  something new in OVS 9.9
system@ovs-system: hit:3 missed:4
  br1:
    br1 65534/1: (internal)
garbage at column zero
`;
    const { value, skippedLines } = parseDpifShow(text);
    expect(value.map((d) => [d.name, d.hit, d.missed, d.bridges.length])).toEqual([
      ['netdev@ovs-netdev', 1, 2, 1],
      ['system@ovs-system', 3, 4, 1],
    ]);
    expect(skippedLines).toBe(2);
  });

  it('returns nothing for empty output', () => {
    expect(parseDpifShow('')).toEqual({ value: [], skippedLines: 0 });
  });
});

describe('dpctl/show', () => {
  it('parses the userspace datapath (lost included)', () => {
    const text = `netdev@ovs-netdev:
  lookups: hit:7 missed:7 lost:0
  flows: 0
  port 0: ovs-netdev (tap)
  port 1: br0 (tap)
  port 2: vm1
`;
    const { value, skippedLines } = parseDpctlShow(text);
    expect(skippedLines).toBe(0);
    expect(value).toEqual([
      {
        name: 'netdev@ovs-netdev',
        hit: 7,
        missed: 7,
        lost: 0,
        flows: 0,
        masksHit: undefined,
        masksTotal: undefined,
        ports: [
          { portNo: 0, name: 'ovs-netdev', type: 'tap' },
          { portNo: 1, name: 'br0', type: 'tap' },
          { portNo: 2, name: 'vm1', type: undefined },
        ],
      },
    ]);
  });

  it('parses the kernel datapath form with masks, caches and tunnel options', () => {
    const text = `system@ovs-system:
  lookups: hit:100 missed:20 lost:3
  flows: 5
  masks: hit:300 total:2 hit/pkt:2.50
  cache: hit:80 hit-rate:66.67%
  caches:
    masks-cache: size:256
  port 0: ovs-system (internal)
  port 1: vxlan_sys_4789 (vxlan: packet_type=ptap)
`;
    const { value, skippedLines } = parseDpctlShow(text);
    expect(value[0]).toMatchObject({ hit: 100, missed: 20, lost: 3, flows: 5, masksHit: 300, masksTotal: 2 });
    expect(value[0].ports[1]).toEqual({ portNo: 1, name: 'vxlan_sys_4789', type: 'vxlan' });
    expect(skippedLines).toBe(2); // "caches:" and "masks-cache: size:256"
  });
});

describe('coverage/show', () => {
  const text = `Event coverage, avg rate over last: 5 seconds, last minute, last hour,  hash=ccdcd4d7:
bridge_reconfigure         0.0/sec     0.000/sec        0.0056/sec   total: 20
ofproto_recv_openflow      0.0/sec     0.000/sec       55.6283/sec   total: 200262
seq_change               1036.4/sec  1036.267/sec      801.4314/sec   total: 2887225
97 events never hit
`;

  it('parses every counter with its rates and the never-hit count', () => {
    const { value, skippedLines } = parseCoverageShow(text);
    expect(skippedLines).toBe(0);
    expect(value.neverHit).toBe(97);
    expect(value.counters.size).toBe(3);
    expect(value.counters.get('seq_change')).toEqual({ per5s: 1036.4, perMinute: 1036.267, perHour: 801.4314, total: 2887225 });
    expect(value.counters.get('ofproto_recv_openflow')?.total).toBe(200262);
  });

  it('skips and counts lines of another shape', () => {
    const { value, skippedLines } = parseCoverageShow(`${text}some_counter  nonsense\n\n`);
    expect(value.counters.size).toBe(3);
    expect(skippedLines).toBe(1);
  });
});

describe('memory/show', () => {
  it('parses ovs-vswitchd and ovsdb-server forms', () => {
    expect(parseMemoryShow('handlers:1 idl-cells-Open_vSwitch:220 ports:3 revalidators:1 rules:16\n')).toEqual({
      value: new Map([
        ['handlers', 1],
        ['idl-cells-Open_vSwitch', 220],
        ['ports', 3],
        ['revalidators', 1],
        ['rules', 16],
      ]),
      skippedLines: 0,
    });
    // OVS 3.1 ovs-vswitchd with datapath flows: "udpif keys" is one name with a space in it
    expect(parseMemoryShow('handlers:1 idl-cells-Open_vSwitch:210 ports:3 revalidators:1 rules:5 udpif keys:4\n').value).toEqual(
      new Map([['handlers', 1], ['idl-cells-Open_vSwitch', 210], ['ports', 3], ['revalidators', 1], ['rules', 5], ['udpif keys', 4]]),
    );
    const db = parseMemoryShow('atoms:251 cells:262 monitors:2 n-weak-refs:0 sessions:1\nraft-backlog-kB:12 raft-connections:2\nwhat is this\n');
    expect(db.value.get('raft-connections')).toBe(2);
    expect(db.value.size).toBe(7);
    expect(db.skippedLines).toBe(1);
  });
});

describe('upcall/show', () => {
  it('parses the OVS 3.1 output (with offloaded flows when present)', () => {
    const text = `netdev@ovs-netdev:
  flows         : (current 1) (avg 0) (max 6) (limit 10000)
  offloaded flows : 4
  dump duration : 12ms
  ufid enabled : true

  5: (keys 1)
  6: (keys 9)
`;
    const { value, skippedLines } = parseUpcallShow(text);
    expect(skippedLines).toBe(0);
    expect(value).toEqual([
      {
        name: 'netdev@ovs-netdev',
        flowsCurrent: 1,
        flowsAverage: 0,
        flowsMax: 6,
        flowLimit: 10000,
        offloadedFlows: 4,
        dumpDurationMs: 12,
        ufidEnabled: true,
        revalidatorKeys: new Map([
          [5, 1],
          [6, 9],
        ]),
      },
    ]);
  });

  it('counts unknown lines, including lines before any datapath', () => {
    const { value, skippedLines } = parseUpcallShow('  stray\nsystem@ovs-system:\n  ufid enabled : false\n  flows: weird\n');
    expect(value[0]).toMatchObject({ name: 'system@ovs-system', ufidEnabled: false, flowsCurrent: 0 });
    expect(skippedLines).toBe(2);
  });
});

describe('dpif-netdev/pmd-stats-show', () => {
  it('parses the main thread and PMD threads with numa/core ids', () => {
    const text = `pmd thread numa_id 0 core_id 1:
  packets received: 1000
  packet recirculations: 10
  avg. datapath passes per packet: 1.01
  emc hits: 900
  megaflow hits: 90
  miss with success upcall: 10
  miss with failed upcall: 0
  idle cycles: 2186870 (99.50%)
  processing cycles: 10990 (0.50%)
  avg cycles per packet: 2197.86 (2197860/1000)
main thread:
  packets received: 14
  megaflow hits: 7
`;
    const { value, skippedLines } = parsePmdStatsShow(text);
    expect(skippedLines).toBe(0);
    expect(value.map((t) => [t.kind, t.numaId, t.coreId])).toEqual([
      ['pmd', 0, 1],
      ['main', undefined, undefined],
    ]);
    expect(value[0].stats.get('packets received')).toBe(1000);
    expect(value[0].stats.get('idle cycles')).toBe(2186870);
    expect(value[0].stats.get('avg cycles per packet')).toBe(2197.86);
    expect(value[1].stats.get('megaflow hits')).toBe(7);
  });

  it('counts stat lines before any thread header and lines without a number', () => {
    expect(parsePmdStatsShow('  emc hits: 3\nmain thread:\n  note: n/a\n').skippedLines).toBe(2);
  });
});

describe('bond/show', () => {
  it('parses a balance-slb bond as OVS 3.1 prints it', () => {
    const text = `---- bond0 ----
bond_mode: balance-slb
bond may use recirculation: no, Recirc-ID : -1
bond-hash-basis: 0
lb_output action: disabled, bond-id: -1
all members active: false
updelay: 0 ms
downdelay: 0 ms
next rebalance: 8969 ms
lacp_status: off
lacp_fallback_ab: false
active-backup primary: <none>
active member mac: e2:7e:8c:4d:40:c0(bp1)

member bp1: enabled
  active member
  may_enable: true
  hash 12: 3 kB load
  hash 200: 5 kB load

member bp2: disabled
  may_enable: false

`;
    const { value, skippedLines } = parseBondShow(text);
    expect(skippedLines).toBe(0);
    expect(value).toHaveLength(1);
    expect(value[0]).toMatchObject({ name: 'bond0', mode: 'balance-slb', lacpStatus: 'off' });
    expect(value[0].settings.get('active member mac')).toBe('e2:7e:8c:4d:40:c0(bp1)');
    expect(value[0].members).toEqual([
      { name: 'bp1', enabled: true, active: true, mayEnable: true, loadKb: 8 },
      { name: 'bp2', enabled: false, active: false, mayEnable: false, loadKb: 0 },
    ]);
  });

  it('parses several bonds; empty output is no bonds', () => {
    const two = parseBondShow('---- a ----\nbond_mode: active-backup\nlacp_status: negotiated\n\nmember x: enabled\n---- b ----\nbond_mode: balance-tcp\n');
    expect(two.value.map((b) => [b.name, b.mode, b.lacpStatus, b.members.length])).toEqual([
      ['a', 'active-backup', 'negotiated', 1],
      ['b', 'balance-tcp', undefined, 0],
    ]);
    expect(parseBondShow('')).toEqual({ value: [], skippedLines: 0 });
  });

  it('counts lines it does not understand', () => {
    expect(parseBondShow('preamble\n---- a ----\nmember x: enabled\n  lacp actor weirdness\n\tstrange\n').skippedLines).toBe(3);
  });
});
