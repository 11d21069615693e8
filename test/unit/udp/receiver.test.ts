/**
 * The flow listeners' UDP receiver on real loopback sockets, through both receive paths: the
 * native batch socket (recvmmsg, native/udp_batch.c) and node:dgram. Every datagram must arrive
 * byte for byte with its source address and port, across batches, from many sources.
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger, type Logger } from '../../../common/log.js';
import { METRICS } from '../../../common/metrics.js';
import { loadBatchSocket } from '../../../collector/udp/batch-socket.js';
import { UdpReceiver, type ReceivePath } from '../../../collector/udp/receiver.js';

interface Received {
  bytes: Buffer;
  address: string;
  port: number;
  timeNs: bigint;
}

const open: Array<{ stop(): Promise<void> } | Socket> = [];
afterEach(async () => {
  for (const o of open.splice(0)) await ('stop' in o ? o.stop() : new Promise<void>((r) => o.close(() => r())));
});

function capturingLogger(lines: Array<Record<string, unknown>>): Logger {
  return pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
}

async function receiver(receive: 'batch' | 'dgram', listenAddress = '127.0.0.1:0', logger: Logger = silentLogger) {
  const got: Received[] = [];
  const failures: unknown[] = [];
  const r: UdpReceiver = new UdpReceiver({
    label: 'sflow',
    protocol: 'sFlow',
    listenAddress,
    receiveBufferBytes: 8 << 20,
    logger,
    receive,
    // The datagram is only valid during the call: keep a copy.
    datagram: (buf, address, port) => void got.push({ bytes: Buffer.from(buf), address, port, timeNs: r.receiveTimeNs() }),
    failed: (err) => void failures.push(err),
  });
  const bound = await r.start();
  open.push(r);
  return { r, bound, got, failures };
}

async function sender(address = '127.0.0.1', type: 'udp4' | 'udp6' = 'udp4'): Promise<Socket> {
  const s = createSocket(type);
  open.push(s);
  await new Promise<void>((resolve) => s.bind(0, address, resolve));
  return s;
}

function send(s: Socket, port: number, host: string, payload: Buffer): Promise<void> {
  return new Promise((resolve, reject) => s.send(payload, port, host, (err) => (err ? reject(err) : resolve())));
}

async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('native batch socket', () => {
  it('is built and loads (scripts/build-native.sh, run by npm ci and by npm test setup)', () => {
    const loaded = loadBatchSocket();
    expect('reason' in loaded ? loaded.reason : 'loaded').toBe('loaded');
  });
});

describe.each<['batch' | 'dgram', ReceivePath]>([
  ['batch', 'recvmmsg'],
  ['dgram', 'node:dgram'],
])('UdpReceiver via %s', (receive, path) => {
  it('logs which receive path it bound with', async () => {
    const lines: Array<Record<string, unknown>> = [];
    await receiver(receive, '127.0.0.1:0', capturingLogger(lines));
    expect(lines.find((l) => l.msg === 'sFlow listener bound')?.receive).toBe(path);
  });

  it('delivers 1,000 datagrams of 0 to 65,507 bytes byte for byte, with source address and port, in order', async () => {
    const { bound, got, failures } = await receiver(receive);
    const s = await sender();
    const sizes = Array.from({ length: 1000 }, (_, i) => (i === 0 ? 0 : i === 1 ? 65_507 : 1 + ((i * 7919) % 1500)));
    const payloads = sizes.map((n) => randomBytes(n));
    // In bursts of 100, so the 8 MiB buffer never fills: every datagram must arrive.
    for (let i = 0; i < payloads.length; i += 100) {
      await Promise.all(payloads.slice(i, i + 100).map((p) => send(s, bound.port, '127.0.0.1', p)));
    }
    await until(() => got.length === payloads.length, `${payloads.length} datagrams (got ${got.length})`);
    expect(failures).toEqual([]);
    const from = s.address().port;
    for (let i = 0; i < payloads.length; i++) {
      expect(got[i].bytes.equals(payloads[i]), `datagram ${i} (${sizes[i]} bytes)`).toBe(true);
      expect(got[i].address).toBe('127.0.0.1');
      expect(got[i].port).toBe(from);
    }
    // Datagrams handed over together share one receive time; the clock is read per batch, not per datagram.
    const times = new Set(got.map((g) => g.timeNs));
    expect(times.size).toBeLessThan(got.length);
    expect(Number(got[0].timeNs / 1_000_000n)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('tells 1,100 source addresses apart (more than the native address table holds at once)', async () => {
    const { bound, got } = await receiver(receive);
    const sources: string[] = [];
    for (let i = 0; i < 1100; i++) sources.push(`127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`);
    for (const [i, address] of sources.entries()) {
      const s = await sender(address);
      await send(s, bound.port, '127.0.0.1', Buffer.from(`from ${i}`));
      await new Promise<void>((r) => s.close(() => r()));
      open.splice(open.indexOf(s), 1);
    }
    await until(() => got.length === sources.length, `${sources.length} datagrams (got ${got.length})`);
    for (const g of got) expect(g.address).toBe(sources[Number(g.bytes.toString().slice(5))]);
  });

  it('receives IPv6, and IPv4 on a dual-stack [::] socket as ::ffff:a.b.c.d (as node:dgram reports it)', async () => {
    const { bound, got } = await receiver(receive, '[::]:0');
    expect(bound.family).toBe('IPv6');
    await send(await sender('::1', 'udp6'), bound.port, '::1', Buffer.from('six'));
    await send(await sender('127.0.0.1'), bound.port, '127.0.0.1', Buffer.from('four'));
    await until(() => got.length === 2, 'two datagrams');
    const byText = Object.fromEntries(got.map((g) => [g.bytes.toString(), g.address]));
    expect(byText).toEqual({ six: '::1', four: '::ffff:127.0.0.1' });
  });

  it('binds a host name, reports SO_RCVBUF as granted, and frees the port on stop', async () => {
    const { r, bound } = await receiver(receive, 'localhost:0');
    expect(bound.address).toBe('127.0.0.1');
    const values = new Map<string, number>();
    r.collect({ add: (spec, labels, value) => void values.set(`${spec.name}${labels.join(',')}`, value) });
    // Linux doubles what was asked, capped at net.core.rmem_max: at least some buffer was granted.
    expect(values.get(`${METRICS.udpReceiveBuffer.name}sflow`)).toBeGreaterThan(0);
    expect(values.get(`${METRICS.udpListenerUp.name}sflow,localhost:0`)).toBe(1);
    await r.stop();
    const again = await receiver(receive, `127.0.0.1:${bound.port}`);
    expect(again.bound.port).toBe(bound.port);
  });

  it('fails to bind with the reason: port in use, address not on this host', async () => {
    const { bound } = await receiver(receive);
    await expect(receiver(receive, `127.0.0.1:${bound.port}`)).rejects.toThrow(/cannot bind 127\.0\.0\.1:\d+: .*(EADDRINUSE|Address already in use)/);
    await expect(receiver(receive, '192.0.2.1:0')).rejects.toThrow(/cannot bind 192\.0\.2\.1:0: .*(EADDRNOTAVAIL|Cannot assign requested address)/);
  });
});
