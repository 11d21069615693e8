/**
 * The sFlow listener on real UDP sockets (IPv4 and IPv6 loopback): datagrams decoded into the
 * sink and accounted per agent, bad datagrams counted by reason and logged once, a failing
 * sink that cannot stop it, a port in use, and (property tests) random or mutated datagrams
 * that never throw out of the handler and never grow its maps past their caps.
 */
import { createSocket } from 'node:dgram';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../common/log.js';
import type { MetricSink, MetricSpec } from '../../../common/metrics.js';
import type { FlowRecord } from '../../../common/model.js';
import { FlowAggregator } from '../../../collector/flows/aggregate.js';
import { FlowEnricher } from '../../../collector/flows/enrich.js';
import { FlowPipeline } from '../../../collector/flows/pipeline.js';
import { SflowListener } from '../../../collector/sflow/listener.js';
import type { SflowSink } from '../../../collector/sflow/types.js';
import { loadOvsLab } from '../../../bench/ovs-lab.js';
import {
  concat,
  counterSample,
  datagram,
  ethernet,
  flowSample,
  genericCounters,
  ipv4Packet,
  opaque,
  rawHeader,
  tagged,
  tcpPacket,
  u32,
} from '../../helpers/sflow-encoder.js';

const frame = ethernet('fa:16:3e:00:00:03', 'fa:16:3e:00:00:01', 0x0800, ipv4Packet({ src: '10.0.0.11', dst: '10.0.0.13', proto: 6 }, tcpPacket(40000, 5201, 0x10)));

function goodDatagram(sequence: number, agent = '192.0.2.1'): Uint8Array {
  return datagram({
    agent,
    sequence,
    uptime: sequence * 1000,
    samples: [
      flowSample({ sequence, sourceType: 2, sourceIndex: 1000, rate: 16, input: 7, output: 9, records: [rawHeader(frame, { frameLength: 1468 })] }),
      counterSample({ sequence, sourceIndex: 7, records: [genericCounters({ ifIndex: 7 }), tagged(1005, opaque(new TextEncoder().encode('tap1')))] }),
    ],
  });
}

class CollectingSink implements SflowSink {
  flows: { src: string; bytes: number; rate: number }[] = [];
  counterSamples = 0;
  flow(rec: FlowRecord): void {
    this.flows.push({ src: rec.src_addr, bytes: rec.bytes, rate: rec.sampling_rate });
  }
  counters(): void {
    this.counterSamples++;
  }
}

function metrics(listener: SflowListener): Map<string, number> {
  const out = new Map<string, number>();
  const sink: MetricSink = { add: (spec: MetricSpec, labels: readonly string[], v: number) => void out.set(`${spec.name}{${labels.join(',')}}`, v) };
  listener.collect(sink);
  return out;
}

async function send(host: string, port: number, datagrams: Uint8Array[]): Promise<void> {
  const client = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  for (const d of datagrams) await new Promise<void>((resolve, reject) => client.send(d, port, host, (err) => (err ? reject(err) : resolve())));
  client.close();
}

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const listeners: SflowListener[] = [];
afterEach(async () => {
  for (const l of listeners.splice(0)) await l.stop();
});

function listener(listenAddress: string, sink: SflowSink, logger = silentLogger, caps = { maxAgents: 16, maxSources: 64 }): SflowListener {
  const l = new SflowListener({ listenAddress, receiveBufferBytes: 1 << 20, ...caps, sink, logger });
  listeners.push(l);
  return l;
}

describe('SflowListener on UDP', () => {
  it('IPv4: decodes into the sink, accounts the agent, reports its socket', async () => {
    const sink = new CollectingSink();
    const l = listener('127.0.0.1:0', sink);
    const bound = await l.start();
    expect(bound).toMatchObject({ address: '127.0.0.1', family: 'IPv4' });
    expect(bound.port).toBeGreaterThan(0);
    await send('127.0.0.1', bound.port, [goodDatagram(1), goodDatagram(2), goodDatagram(4), u32(4, 1, 0, 0, 0, 0, 0), u32(5, 1)]);
    await until(() => l.received === 5);
    expect(l.decoded).toBe(3);
    expect(sink.flows).toEqual([1, 2, 3].map(() => ({ src: '10.0.0.11', bytes: 1468, rate: 16 })));
    expect(sink.counterSamples).toBe(3);
    const m = metrics(l);
    expect(m.get('ovs_sflow_datagrams_total{192.0.2.1,0}')).toBe(3);
    expect(m.get('ovs_sflow_lost_datagrams_total{192.0.2.1,0}')).toBe(1);
    expect(m.get('ovs_sflow_samples_total{192.0.2.1,0,flow}')).toBe(3);
    expect(m.get('ovs_sflow_lost_samples_total{192.0.2.1,0,flow}')).toBe(1);
    expect(m.get('ovs_sflow_decode_errors_total{127.0.0.1,bad_version}')).toBe(1);
    expect(m.get('ovs_sflow_decode_errors_total{127.0.0.1,truncated}')).toBe(1);
    expect(m.get(`ovs_telemetry_udp_listener_up{sflow,127.0.0.1:0}`)).toBe(1);
    expect(m.get('ovs_telemetry_udp_receive_buffer_bytes{sflow}')).toBeGreaterThanOrEqual(1 << 19);
    // Found in /proc/net/udp by port and inode.
    expect(m.get('ovs_telemetry_udp_receive_buffer_drops_total{sflow}')).toBe(0);
    expect(m.has('ovs_telemetry_udp_receive_queue_bytes{sflow}')).toBe(true);
    await l.stop();
    expect(metrics(l).get(`ovs_telemetry_udp_listener_up{sflow,127.0.0.1:0}`)).toBe(0);
  });

  it('IPv6: [::1] with an IPv6 agent address', async () => {
    const sink = new CollectingSink();
    const l = listener('[::1]:0', sink);
    const bound = await l.start();
    expect(bound).toMatchObject({ address: '::1', family: 'IPv6' });
    await send('::1', bound.port, [goodDatagram(1, '2001:db8::7')]);
    await until(() => l.decoded === 1);
    expect(metrics(l).get('ovs_sflow_datagrams_total{2001:db8::7,0}')).toBe(1);
    expect(metrics(l).get('ovs_telemetry_udp_receive_buffer_drops_total{sflow}')).toBe(0);
  });

  it('a port in use: start rejects with CONNECTION_FAILED naming the address', async () => {
    const first = listener('127.0.0.1:0', new CollectingSink());
    const { port } = await first.start();
    const second = listener(`127.0.0.1:${port}`, new CollectingSink());
    await expect(second.start()).rejects.toMatchObject({ code: 'CONNECTION_FAILED', message: expect.stringContaining(`127.0.0.1:${port}`) });
  });

  it('bad datagrams are counted each time and logged once per reason', () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _enc, done) => void (lines.push(String(chunk)), done()) }));
    const l = listener('127.0.0.1:0', new CollectingSink(), logger);
    for (let i = 0; i < 10; i++) l.handle(u32(5, 1, 0x7f000001), '198.51.100.1');
    for (let i = 0; i < 5; i++) l.handle(u32(9, 1, 0x7f000001, 0, 1, 0, 0), '198.51.100.1');
    expect(l.health.decodeErrors).toBe(15);
    expect(lines.length).toBe(2);
    expect(lines[0]).toContain('"reason":"truncated"');
    expect(lines[1]).toContain('"reason":"bad_version"');
  });

  it('a sink that throws is counted as "internal"; the next datagram is handled', () => {
    let calls = 0;
    const l = listener('127.0.0.1:0', { flow: () => void (calls++ === 0 && (() => { throw new Error('boom'); })()), counters: () => undefined });
    l.handle(goodDatagram(1), '127.0.0.1');
    l.handle(goodDatagram(2), '127.0.0.1');
    expect(metrics(l).get('ovs_sflow_decode_errors_total{127.0.0.1,internal}')).toBe(1);
    expect(l.decoded).toBe(1);
    expect(metrics(l).get('ovs_sflow_datagrams_total{192.0.2.1,0}')).toBe(2);
  });
});

describe('SflowListener on hostile input (property tests)', () => {
  const lab = loadOvsLab();
  const caps = { maxAgents: 8, maxSources: 32 };
  const make = () => {
    const enricher = new FlowEnricher({ interfaces: () => lab.interfaces, networks: () => lab.mapping.networks.values(), maxPortNames: 16 });
    const aggregator = new FlowAggregator({ maxNetworks: 4, topTalkers: 3, windowSeconds: 0 });
    const l = listener('127.0.0.1:0', new FlowPipeline({ enricher, aggregator }), silentLogger, caps);
    return { l, enricher };
  };

  it('random and mutated datagrams never throw out of handle()', () => {
    const { l } = make();
    const seeds = lab.datagrams;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 1500 }),
          fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 12 })).map(([seed, flips]) => {
            const bytes = seed.slice();
            for (const [i, v] of flips) bytes[i % bytes.length] = v;
            return bytes;
          }),
          fc.tuple(fc.constantFrom(...seeds), fc.nat()).map(([seed, cut]) => seed.subarray(0, cut % (seed.length + 1))),
        ),
        (bytes) => {
          l.handle(bytes, '127.0.0.1');
        },
      ),
      { numRuns: 3000 },
    );
    expect(l.received).toBe(3000);
    expect(l.health.decodeErrors + l.decoded).toBe(3000);
    expect(l.health.decodeErrors).toBeGreaterThan(0);
  });

  it('agents, sources, port names and networks stay within their caps', () => {
    const { l, enricher } = make();
    const arb = fc.record({
      agent: fc.ipV4(),
      subAgent: fc.nat({ max: 1000 }),
      sequence: fc.nat(),
      sources: fc.array(fc.nat({ max: 100_000 }), { minLength: 1, maxLength: 5 }),
      vni: fc.nat({ max: 0xffffff }),
    });
    fc.assert(
      fc.property(arb, ({ agent, subAgent, sequence, sources, vni }) => {
        const samples = sources.flatMap((src) => [
          flowSample({ sequence, sourceType: 2, sourceIndex: src, records: [rawHeader(frame), tagged(1030, u32(vni))] }),
          counterSample({ sequence, sourceIndex: src, records: [genericCounters({ ifIndex: src }), tagged(1005, opaque(new TextEncoder().encode(`if${src}`)))] }),
        ]);
        l.handle(concat(datagram({ agent, subAgent, sequence, samples })), agent);
      }),
      { numRuns: 2000 },
    );
    expect(l.decoded).toBe(2000);
    expect(l.health.trackedAgents).toBe(caps.maxAgents);
    expect(l.health.trackedSources).toBeLessThanOrEqual(caps.maxSources);
    expect(l.health.untrackedDatagrams).toBeGreaterThan(0);
    expect(enricher.learnedPortNames).toBeLessThanOrEqual(16);
  });
});
