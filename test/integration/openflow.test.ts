/**
 * The native OpenFlow client against a real ovs-vswitchd 3.1 (userspace datapath, in its own
 * network namespace), with `ovs-ofctl -O OpenFlow13` as the oracle: flow, table, port, group and
 * meter numbers must equal what ovs-ofctl prints at the same moment, in OF1.3, 1.4 and 1.5.
 * Also: br-tun VLAN <-> VNI mapping, flow_mod/meter_mod, a multi-message reply, tcp: and ssl:
 * targets, and an ovs-vswitchd restart the session survives.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNetnsOvs, type NetnsOvs, type NetnsVm } from '../helpers/netns-ovs.js';
import { OpenFlowClient, type OpenFlowClientOptions } from '../../collector/openflow/client.js';
import { OFP13, OFP14, OFP15, OFPP_LOCAL, type OfVersion } from '../../collector/openflow/constants.js';
import { OpenFlowSession } from '../../collector/openflow/session.js';
import { TunnelVlanMap } from '../../collector/openflow/tunnel-map.js';
import { makeTestPki } from '../helpers/ovsdb-server.js';
import {
  parseAggregate,
  parseDumpFlows,
  parseDumpTables,
  parseGroupStats,
  parseMeterStats,
  parsePortStats,
} from '../unit/openflow/ofctl-oracle.js';

let ovs: NetnsOvs;
let vm1: NetnsVm;
let vm2: NetnsVm;
const clients: OpenFlowClient[] = [];
const children: ChildProcess[] = [];
const servers: net.Server[] = [];

const BR_INT_FLOWS = `cookie=0x11,table=0,priority=10,in_port=1,actions=meter:1,goto_table:1
cookie=0x12,table=0,priority=10,in_port=2,actions=meter:2,goto_table:1
cookie=0x13,table=1,priority=1,actions=NORMAL
cookie=0x14,table=1,priority=100,ip,nw_dst=192.0.2.99,actions=drop
cookie=0x15,table=2,priority=1,actions=group:1
cookie=0x16,table=0,priority=0,actions=drop
`;

// br-tun as neutron-openvswitch-agent's ovs-ofctl driver writes it (OF1.0 syntax), plus one
// flow in the native (os-ken) driver's OF1.3 form.
const BR_TUN_FLOWS = `cookie=0x21,table=0,priority=1,in_port=1,actions=resubmit(,2)
cookie=0x22,table=4,priority=1,tun_id=0x3e9,actions=mod_vlan_vid:1,resubmit(,10)
cookie=0x23,table=4,priority=1,tun_id=0x3ea,actions=mod_vlan_vid:2,resubmit(,10)
cookie=0x24,table=22,priority=1,dl_vlan=1,actions=strip_vlan,set_tunnel:0x3e9,output:2
cookie=0x25,table=22,priority=1,dl_vlan=2,actions=strip_vlan,set_tunnel:0x3ea,output:2,output:3
cookie=0x26,table=20,priority=2,dl_vlan=1,dl_dst=fa:16:3e:00:00:01,actions=load:0->NXM_OF_VLAN_TCI[],load:0x3e9->NXM_NX_TUN_ID[],output:2
`;

function client(target: string, options: Partial<OpenFlowClientOptions> = {}): OpenFlowClient {
  const c = new OpenFlowClient({ target, timeoutMs: 10_000, echoIntervalMs: 0, ...options });
  clients.push(c);
  return c;
}

async function connect(version: OfVersion, bridge = 'br-int'): Promise<OpenFlowClient> {
  const c = client(ovs.mgmt(bridge), { versions: [version] });
  await c.connect();
  return c;
}

async function ping(from: NetnsVm, to: NetnsVm, count: number): Promise<void> {
  await ovs.exec(from.netns, 'ping', '-c', String(count), '-i', '0.1', '-W', '1', to.ip);
}

/**
 * Compares ours with ovs-ofctl's at one moment: ofctl before and after ours must agree (no
 * counter moved in between), then ours must equal them. Retries while counters still settle.
 */
async function sameMoment<T>(oracle: () => Promise<T>, ours: () => Promise<T>): Promise<T> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const before = await oracle();
    const mine = await ours();
    const after = await oracle();
    if (JSON.stringify(before) === JSON.stringify(after)) {
      expect(mine).toEqual(before);
      return mine;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error('ovs-ofctl output never held still for a comparison');
}

const ofctl13 = (command: string, bridge = 'br-int'): Promise<string> => ovs.ofctl('-O', 'OpenFlow13', command, bridge);

beforeAll(async () => {
  ovs = await startNetnsOvs();
  await ovs.addBridge('br-int');
  await ovs.addBridge('br-tun');
  vm1 = await ovs.addVm('br-int', 'vm1', '10.20.0.1', 1);
  vm2 = await ovs.addVm('br-int', 'vm2', '10.20.0.2', 2);
  // static neighbours: no ARP refreshes to move counters during comparisons
  await ovs.exec(vm1.netns, 'ip', 'neigh', 'replace', vm2.ip, 'lladdr', vm2.mac, 'dev', 'eth0', 'nud', 'permanent');
  await ovs.exec(vm2.netns, 'ip', 'neigh', 'replace', vm1.ip, 'lladdr', vm1.mac, 'dev', 'eth0', 'nud', 'permanent');
  await ovs.ofctl('-O', 'OpenFlow13', 'add-meter', 'br-int', 'meter=1,kbps,band=type=drop,rate=100000');
  await ovs.ofctl('-O', 'OpenFlow13', 'add-meter', 'br-int', 'meter=2,pktps,burst,stats,band=type=drop,rate=1000,burst_size=100');
  await ovs.ofctl('-O', 'OpenFlow13', 'add-group', 'br-int', 'group_id=1,type=select,bucket=weight:10,output:1,bucket=weight:20,output:2');
  await ovs.ofctl('-O', 'OpenFlow13', 'add-group', 'br-int', 'group_id=2,type=all,bucket=output:1,bucket=output:2');
  await ovs.ofctl('del-flows', 'br-int');
  await writeFile(join(ovs.dir, 'br-int.flows'), BR_INT_FLOWS);
  await ovs.ofctl('-O', 'OpenFlow13', 'add-flows', 'br-int', join(ovs.dir, 'br-int.flows'));
  await writeFile(join(ovs.dir, 'br-tun.flows'), BR_TUN_FLOWS);
  await ovs.ofctl('add-flows', 'br-tun', join(ovs.dir, 'br-tun.flows'));
  await ovs.ofctl('-O', 'OpenFlow13', 'add-flow', 'br-tun', 'cookie=0x27,table=4,priority=1,tun_id=0x3eb,actions=push_vlan:0x8100,set_field:4099->vlan_vid,goto_table:10');
  await ping(vm1, vm2, 5);
});

afterAll(async () => {
  for (const c of clients) c.close();
  for (const s of servers) s.close();
  for (const child of children) if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  await ovs?.stop();
});

describe.each([
  ['OpenFlow 1.3', OFP13],
  ['OpenFlow 1.4', OFP14],
  ['OpenFlow 1.5', OFP15],
] as const)('%s on a real bridge equals ovs-ofctl -O OpenFlow13', (_name, version) => {
  let c: OpenFlowClient;
  beforeAll(async () => {
    c = await connect(version);
    expect(c.version).toBe(version);
  });

  it('features: datapath id and table count', async () => {
    const show = await ovs.ofctl('-O', 'OpenFlow13', 'show', 'br-int');
    const dpid = /dpid:([0-9a-f]{16})/.exec(show)?.[1];
    const features = await c.features();
    expect(features.datapathId).toBe(BigInt(`0x${dpid}`));
    expect(features.nTables).toBe(254);
  });

  it('flow stats: table, priority, packets and bytes of every flow', async () => {
    const key = (rows: { cookie: bigint; tableId: number; priority: number; packetCount?: number; byteCount?: number }[]) =>
      rows.map((r) => ({ cookie: `0x${r.cookie.toString(16)}`, table: r.tableId, priority: r.priority, packets: r.packetCount, bytes: r.byteCount })).sort((a, b) => a.cookie.localeCompare(b.cookie));
    const flows = await sameMoment(
      async () => key(parseDumpFlows(await ofctl13('dump-flows'))),
      async () => key(await c.flowStatsAll()),
    );
    expect(flows).toHaveLength(6);
    for (const cookie of ['0x11', '0x12', '0x13']) expect(flows.find((f) => f.cookie === cookie)?.packets).toBeGreaterThan(0);
  });

  it('table stats: active, lookup and matched of all 254 tables', async () => {
    const tables = await sameMoment(
      async () => parseDumpTables(await ofctl13('dump-tables')),
      async () => c.tableStats(),
    );
    expect(tables).toHaveLength(254);
    expect(tables[0].lookupCount).toBeGreaterThan(0);
    expect(tables[1].activeCount).toBe(2);
  });

  it('port stats: rx/tx packets, bytes, drops and errors of every port', async () => {
    const ports = await sameMoment(
      async () => parsePortStats(await ofctl13('dump-ports')).sort((a, b) => a.port.localeCompare(b.port)),
      async () =>
        (await c.portStats())
          .map((p) => ({
            port: p.portNo === OFPP_LOCAL ? 'LOCAL' : String(p.portNo),
            rxPackets: p.rxPackets,
            rxBytes: p.rxBytes,
            rxDropped: p.rxDropped,
            rxErrors: p.rxErrors,
            txPackets: p.txPackets,
            txBytes: p.txBytes,
            txDropped: p.txDropped,
            txErrors: p.txErrors,
          }))
          .sort((a, b) => a.port.localeCompare(b.port)),
    );
    expect(ports.map((p) => p.port)).toEqual(['1', '2', 'LOCAL']);
    expect(ports[0].rxPackets).toBeGreaterThanOrEqual(5);
  });

  it('port desc: names, numbers and addresses', async () => {
    const ports = await c.portDesc();
    expect(ports.map((p) => [p.portNo, p.name]).sort()).toEqual([
      [1, vm1.port],
      [2, vm2.port],
      [OFPP_LOCAL, 'br-int'],
    ]);
    const show = await ovs.ofctl('-O', 'OpenFlow13', 'show', 'br-int');
    for (const p of ports) expect(show).toContain(`addr:${p.hwAddr}`);
  });

  it('meter stats and meter config', async () => {
    const meters = await sameMoment(
      async () => parseMeterStats(await ofctl13('meter-stats')).sort((a, b) => a.meterId - b.meterId),
      async () => (await c.meterStats()).map(({ durationSec: _d, ...rest }) => rest).sort((a, b) => a.meterId - b.meterId),
    );
    expect(meters.map((m) => m.meterId)).toEqual([1, 2]);
    expect(meters[0].packetInCount).toBeGreaterThan(0);
    expect((await c.meterConfig()).sort((a, b) => a.meterId - b.meterId)).toEqual([
      { meterId: 1, flags: ['kbps'], bands: [{ type: 'drop', rate: 100000, burstSize: 100000 }] },
      { meterId: 2, flags: ['pktps', 'burst', 'stats'], bands: [{ type: 'drop', rate: 1000, burstSize: 100 }] },
    ]);
  });

  it('aggregate and group stats/desc', async () => {
    await sameMoment(
      async () => parseAggregate(await ofctl13('dump-aggregate')),
      async () => c.aggregateStats(),
    );
    // OVS lists groups and meters in hash order: compare sorted by id
    await sameMoment(
      async () => parseGroupStats(await ofctl13('dump-group-stats')).sort((a, b) => a.groupId - b.groupId),
      async () => (await c.groupStats()).map(({ durationSec: _d, ...rest }) => rest).sort((a, b) => a.groupId - b.groupId),
    );
    const desc = (await c.groupDesc()).sort((a, b) => a.groupId - b.groupId);
    expect(desc.map((g) => [g.groupId, g.type, g.buckets.map((b) => b.weight)])).toEqual([
      [1, 'select', [10, 20]],
      [2, 'all', [0, 0]],
    ]);
    expect(await c.queueStats()).toEqual([]);
  });

  it('reads br-tun local VLAN <-> VNI as Neutron wrote it', async () => {
    const tun = await connect(version, 'br-tun');
    const map = new TunnelVlanMap();
    await tun.flowStats({}, (f) => map.add(f));
    expect(map.vniToVlan).toEqual(new Map([
      [0x3e9, 1],
      [0x3ea, 2],
      [0x3eb, 3],
    ]));
    expect(map.vlanToVni).toEqual(new Map([
      [1, 0x3e9],
      [2, 0x3ea],
    ]));
    const table4 = await tun.flowStatsAll({ tableId: 4 });
    expect(table4.map((f) => f.cookie).sort()).toEqual([0x22n, 0x23n, 0x27n]);
  });
});

describe('flow_mod and meter_mod on a real bridge', () => {
  it.each([
    ['OpenFlow 1.3', OFP13],
    ['OpenFlow 1.5', OFP15],
  ] as const)('adds, modifies and deletes a meter and a metered flow (%s)', async (_name, version) => {
    const c = await connect(version);
    await c.meterMod({ command: 'add', meterId: 7, flags: ['pktps', 'stats'], bands: [{ type: 'drop', rate: 10, burstSize: 0 }] });
    await c.flowMod({
      command: 'add',
      tableId: 3,
      priority: 50,
      cookie: 0x77n,
      match: [{ field: 'in_port', value: 1 }, { field: 'eth_type', value: 0x800 }],
      instructions: [{ type: 'meter', meterId: 7 }, { type: 'apply_actions', actions: [{ type: 'output', port: 2, maxLen: 0 }] }],
    });
    expect(await ofctl13('dump-meters')).toMatch(/meter=7 pktps stats bands=\ntype=drop rate=10/);
    expect(await ovs.ofctl('-O', 'OpenFlow13', 'dump-flows', 'br-int', 'table=3')).toMatch(/cookie=0x77, .*priority=50,ip,in_port=1 actions=meter:7,output:2/);
    await c.meterMod({ command: 'modify', meterId: 7, flags: ['pktps'], bands: [{ type: 'drop', rate: 20, burstSize: 0 }] });
    expect(await ofctl13('dump-meters')).toMatch(/meter=7 pktps bands=\ntype=drop rate=20/);
    await c.flowMod({ command: 'delete', cookie: 0x77n, cookieMask: 0xffffffffffffffffn });
    expect(await ovs.ofctl('-O', 'OpenFlow13', 'dump-flows', 'br-int', 'table=3')).not.toMatch(/cookie=0x77/);
    await c.meterMod({ command: 'delete', meterId: 7 });
    expect(await ofctl13('dump-meters')).not.toMatch(/meter=7/);
  });

  it('rejects a flow naming a meter that does not exist with the switch error', async () => {
    const c = await connect(OFP13);
    const err = await c
      .flowMod({ command: 'add', tableId: 3, match: [{ field: 'in_port', value: 2 }], instructions: [{ type: 'meter', meterId: 99 }] })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'RPC_ERROR', typeName: 'METER_MOD_FAILED' });
    expect(c.isOpen).toBe(true);
  });
});

describe('a reply spanning many messages', () => {
  it('streams 10,000 flows and counts what ovs-ofctl counts', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 10_000; i++) lines.push(`table=5,priority=${i % 1000},cookie=${i},ip,nw_src=10.1.${i >> 8}.${i & 255},actions=output:1`);
    await writeFile(join(ovs.dir, 'many.flows'), `${lines.join('\n')}\n`);
    await ovs.ofctl('add-flows', 'br-int', join(ovs.dir, 'many.flows'));
    const c = await connect(OFP15);
    const cookies = new Set<bigint>();
    const n = await c.flowStats({ tableId: 5 }, (f) => cookies.add(f.cookie));
    expect(n).toBe(10_000);
    expect(cookies.size).toBe(10_000);
    expect((await c.aggregateStats({ tableId: 5 })).flowCount).toBe(10_000);
    expect(parseAggregate(await ovs.ofctl('-O', 'OpenFlow13', 'dump-aggregate', 'br-int', 'table=5')).flowCount).toBe(10_000);
    await ovs.ofctl('del-flows', 'br-int', 'table=5');
  });
});

/**
 * OVS listens for tcp/ssl OpenFlow inside its namespace (ptcp:/pssl: on 127.0.0.1 there); two
 * byte-transparent relays (a unix socket between the namespaces) expose it on this namespace's
 * loopback, so the client's tcp: and ssl: transports talk to the real switch.
 */
async function exposeOvsPort(nsPort: number, name: string): Promise<number> {
  const unixPath = join(ovs.dir, `${name}.relay`);
  const relay = `const net=require('net');net.createServer(c=>{const u=net.connect(${nsPort},'127.0.0.1');c.pipe(u);u.pipe(c);c.on('error',()=>u.destroy());u.on('error',()=>c.destroy());}).listen(${JSON.stringify(unixPath)});`;
  const child = spawn('ip', ['netns', 'exec', ovs.netns, process.execPath, '-e', relay], { stdio: 'ignore' });
  children.push(child);
  const server = net.createServer((c) => {
    const u = net.connect(unixPath);
    c.pipe(u);
    u.pipe(c);
    c.on('error', () => u.destroy());
    u.on('error', () => c.destroy());
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(unixPath, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  return (server.address() as net.AddressInfo).port;
}

describe('tcp: and ssl: targets', () => {
  it('reads flows over tcp: and over ssl: with certificates', async () => {
    const pki = await makeTestPki(ovs.dir);
    await ovs.vsctl('set-ssl', pki.server.privateKey, pki.server.certificate, pki.caCert);
    await ovs.vsctl('set-controller', 'br-int', 'ptcp:16653:127.0.0.1', 'pssl:16654:127.0.0.1');
    const tcpPort = await exposeOvsPort(16653, 'tcp');
    const sslPort = await exposeOvsPort(16654, 'ssl');

    // OVS opens its listeners a moment after set-controller: retry with a fresh client
    let overTcp: OpenFlowClient | undefined;
    for (let i = 0; overTcp === undefined; i++) {
      const attempt = client(`tcp:127.0.0.1:${tcpPort}`);
      try {
        await attempt.connect();
        overTcp = attempt;
      } catch (err) {
        if (i > 100) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(overTcp.version).toBe(OFP15);
    expect((await overTcp.flowStatsAll()).some((f) => f.cookie === 0x13n)).toBe(true);

    const tls = { privateKey: pki.client.privateKey, certificate: pki.client.certificate, caCert: pki.caCert };
    const overSsl = client(`ssl:127.0.0.1:${sslPort}`, { tls });
    await overSsl.connect();
    expect((await overSsl.features()).nTables).toBe(254);
    expect((await overSsl.flowStatsAll()).some((f) => f.cookie === 0x13n)).toBe(true);
    await ovs.vsctl('del-controller', 'br-int');
  });
});

describe('ovs-vswitchd restart', () => {
  it('the session reconnects and reads the restarted switch without a new session', async () => {
    const session = new OpenFlowSession({ target: ovs.mgmt('br-int'), timeoutMs: 2000, echoIntervalMs: 500, minBackoffMs: 100, maxBackoffMs: 1000 });
    try {
      const dpid = (await session.use((c) => c.features())).datapathId;
      const before = ovs.vswitchdPid;
      await ovs.restartVswitchd();
      expect(ovs.vswitchdPid).not.toBe(before);
      await expect
        .poll(() => session.use((c) => c.features()).then((f) => f.datapathId, () => undefined), { timeout: 20_000, interval: 200 })
        .toBe(dpid);
      expect(session.connections).toBe(2);
      // flows do not survive a restart; what is added now is what the session reads
      await ovs.ofctl('add-flow', 'br-int', 'cookie=0x99,table=0,priority=7,actions=drop');
      const flows = await session.use((c) => c.flowStatsAll());
      expect(flows.map((f) => f.cookie)).toContain(0x99n);
    } finally {
      session.close();
    }
  });
});
