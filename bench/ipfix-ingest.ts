/**
 * IPFIX ingest benchmark (ingest-harness.ts): the real Open vSwitch IPFIX of
 * ../shared/testdata/ovs-lab/ipfix.pcap replayed as one unbroken export stream (templates
 * first, sent again every pass as OVS refreshes them) to ovs-telemetry's NetflowListener with
 * the collector's flow pipeline, a bare Node receive loop, and pmacct's nfacctd (memory
 * plugin; what it accounted, the flows' packet counts, is read with `pmacct -s`), searched
 * side by side for their highest loss-free rate. Goals: >= 5x nfacctd, >= 70% of the bare loop.
 */
import { loadavg } from 'node:os';
import { compareIngest, FLUSH_SOURCE } from './ingest-harness.js';
import type { BenchResult } from './run.js';

const FLUSH_DOMAIN = 999;
const FLUSH_TEMPLATE = 300;
const FLUSH_RECORDS = 10;
/** sourceIPv4Address, destinationIPv4Address, protocolIdentifier, packetDeltaCount (IANA ids and lengths). */
const FLUSH_FIELDS = [
  [8, 4],
  [12, 4],
  [4, 1],
  [2, 8],
] as const;

/**
 * An IPFIX message of observation domain FLUSH_DOMAIN (not the replayed stream's) carrying its
 * template and FLUSH_RECORDS one-packet flows from FLUSH_SOURCE (RFC 7011 sections 3.1, 3.3, 3.4.1).
 */
function flushDatagram(n: number): Buffer {
  const template = Buffer.alloc(4 + 4 + 4 * FLUSH_FIELDS.length);
  template.writeUInt16BE(2, 0); // template set
  template.writeUInt16BE(template.length, 2);
  template.writeUInt16BE(FLUSH_TEMPLATE, 4);
  template.writeUInt16BE(FLUSH_FIELDS.length, 6);
  FLUSH_FIELDS.forEach(([id, length], i) => {
    template.writeUInt16BE(id, 8 + 4 * i);
    template.writeUInt16BE(length, 10 + 4 * i);
  });
  const record = Buffer.alloc(17);
  record.set([...FLUSH_SOURCE.split('.').map(Number), 10, 255, 0, 2, 253], 0);
  record.writeBigUInt64BE(1n, 9);
  const data = Buffer.alloc(4 + FLUSH_RECORDS * record.length);
  data.writeUInt16BE(FLUSH_TEMPLATE, 0);
  data.writeUInt16BE(data.length, 2);
  for (let i = 0; i < FLUSH_RECORDS; i++) record.copy(data, 4 + i * record.length);
  const header = Buffer.alloc(16);
  header.writeUInt16BE(10, 0);
  header.writeUInt16BE(16 + template.length + data.length, 2);
  header.writeUInt32BE(Math.floor(Date.now() / 1000), 4);
  header.writeUInt32BE(((n - 1) * FLUSH_RECORDS) >>> 0, 8);
  header.writeUInt32BE(FLUSH_DOMAIN, 12);
  return Buffer.concat([header, template, data]);
}

export async function benchIpfixIngest(): Promise<BenchResult> {
  const loadStart = loadavg()[0].toFixed(2);
  const { figures, goals } = await compareIngest({ stream: 'ipfix', listenerMode: 'ipfix', daemon: 'nfacctd', flushDatagram });
  return {
    name: 'ipfix-ingest',
    figures: {
      load_average_1m: `${loadStart} at the start, ${loadavg()[0].toFixed(2)} at the end (2 cores)`,
      capture: 'ovs-lab/ipfix.pcap (templates, then one flow record a message)',
      ...figures,
    },
    goals,
  };
}
