/**
 * iperf3 3.12's UDP handshake hang (lab/iperf.ts), reproduced on a real userspace OVS: a flow
 * drops the client's handshake datagram or the server's reply, so the client hangs exactly as it
 * did in CI when the lab's OVS lost one; the lab kills it, sees that no data moved and runs it again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_IPERF_ATTEMPTS, runIperf, type IperfEndpoint } from '../../lab/iperf.js';
import { startNetnsOvs, type NetnsOvs } from '../helpers/netns-ovs.js';

const PORT = 5301;
const TO_SERVER = `priority=100,udp,nw_dst=10.30.0.2,tp_dst=${PORT}`;
const FROM_SERVER = `priority=100,udp,nw_src=10.30.0.2,tp_src=${PORT}`;
const drop = (match: string) => `${match},actions=drop`;

describe('iperf3 UDP runs through a lost handshake datagram', () => {
  let ovs: NetnsOvs;
  let workDir: string;
  let client: IperfEndpoint;
  let server: IperfEndpoint;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'ovs-telemetry-iperf-'));
    ovs = await startNetnsOvs();
    await ovs.addBridge('br0');
    const vm1 = await ovs.addVm('br0', 'vm1', '10.30.0.1', 1);
    const vm2 = await ovs.addVm('br0', 'vm2', '10.30.0.2', 2);
    client = { name: 'vm1', netns: vm1.netns, ip: vm1.ip };
    server = { name: 'vm2', netns: vm2.netns, ip: vm2.ip };
    await ovs.ofctl('add-flow', 'br0', 'priority=0,actions=NORMAL');
  }, 60_000);

  afterAll(async () => {
    await ovs?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  const request = () => ({ src: client, dst: server, port: PORT, udpLength: 1000, bitrate: '1M', seconds: 1, workDir, reportGraceSeconds: 3 });

  it.each([
    ['handshake datagram', TO_SERVER],
    ['handshake reply', FROM_SERVER],
  ])('a lost %s: kills the hung client and runs the test again once the path works', async (_, match) => {
    await ovs.ofctl('add-flow', 'br0', drop(match));
    // The first attempt's handshake is dropped; the path heals while that client hangs.
    const heal = new Promise<void>((resolve, reject) => {
      setTimeout(() => ovs.ofctl('del-flows', 'br0', '--strict', match).then(() => resolve(), reject), 2_000);
    });
    const result = await runIperf(request());
    await heal;
    expect(result.attempts).toBe(2);
    // 1 Mbit/s for 1 s of 1,000-byte datagrams: 125 of them.
    expect(result.sent.bytes).toBeGreaterThanOrEqual(120_000);
    expect(result.sent.bytes).toBeLessThanOrEqual(130_000);
    expect(result.received.lost_packets).toBe(0);
  }, 60_000);

  it('gives up after a bounded number of attempts, saying why', async () => {
    await ovs.ofctl('add-flow', 'br0', drop(TO_SERVER));
    await expect(runIperf(request())).rejects.toThrow(`it measured nothing ${MAX_IPERF_ATTEMPTS} times`);
    await ovs.ofctl('del-flows', 'br0', '--strict', TO_SERVER);
  }, 60_000);

  it('a TCP test runs once', async () => {
    const { udpLength: _, ...tcp } = request();
    const result = await runIperf(tcp);
    expect(result.attempts).toBe(1);
    expect(result.sent.bytes).toBeGreaterThan(100_000);
  }, 60_000);
});
