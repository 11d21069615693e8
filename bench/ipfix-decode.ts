/**
 * NetFlow / IPFIX decode throughput on one core: the real Open vSwitch IPFIX capture
 * (../shared/testdata/ovs-lab/ipfix.pcap: one flow record per message, as OVS sends them,
 * with the VMware tunnel elements) and a Cisco IOS-XR NetFlow v9 capture (pmacct test 101:
 * 40-field records, MPLS and IPv6 elements), decoded over and over into one reused context;
 * records go to a sink that only counts. Templates are learned once; the "with templates"
 * figure re-decodes the template messages too (an exporter refreshing them every pass).
 * Goal: >= 500,000 records/s for each on one core.
 * Run after a build: `npx tsc -p tsconfig.build.json && node dist/bench/ipfix-decode.js`.
 */
import path from 'node:path';
import { decodeFlowDatagram, NetflowContext, type FlowSink } from '../collector/ipfix/decode.js';
import { loadCapture, repoRoot, type CapturedDatagram } from './ovs-lab.js';

const GOAL_RECORDS_PER_SECOND = 500_000;

interface Run {
  recordsPerSecond: number;
  datagramsPerSecond: number;
  recordsPerPass: number;
}

/** Decode `datagrams` repeatedly for about `seconds`; the context keeps its templates. */
function measure(ctx: NetflowContext, datagrams: CapturedDatagram[], seconds: number): Run {
  let records = 0;
  let checksum = 0;
  const sink: FlowSink = {
    flow(rec) {
      records++;
      checksum += rec.bytes;
    },
    options() {
      records++;
    },
  };
  const pass = () => {
    for (const d of datagrams) {
      ctx.setExporter(d.srcAddr, d.srcPort);
      decodeFlowDatagram(d.payload, ctx, sink);
    }
  };
  for (let i = 0; i < 500; i++) pass(); // warm-up: let the JIT settle
  records = 0;
  let passes = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < budget) {
    for (let i = 0; i < 50; i++) pass();
    passes += 50;
    elapsed = process.hrtime.bigint() - start;
  }
  const secs = Number(elapsed) / 1e9;
  if (checksum < 0) throw new Error('unreachable');
  return {
    recordsPerSecond: Math.round(records / secs),
    datagramsPerSecond: Math.round((passes * datagrams.length) / secs),
    recordsPerPass: records / passes,
  };
}

/** Data datagrams only (templates learned first) and the whole capture. */
function benchCapture(file: string, seconds: number): { data: Run; all: Run; datagrams: number } {
  const all = loadCapture(file);
  const ctx = new NetflowContext();
  ctx.timeReceivedNs = BigInt(Date.now()) * 1_000_000n;
  let dataOnly: CapturedDatagram[] = [];
  const counter: FlowSink = { flow() {}, options() {} };
  for (const d of all) {
    ctx.setExporter(d.srcAddr, d.srcPort);
    const h = decodeFlowDatagram(d.payload, ctx, counter);
    if (h.templateRecords + h.optionsTemplateRecords === 0) dataOnly.push(d);
  }
  if (dataOnly.length === 0) dataOnly = all;
  return { data: measure(ctx, dataOnly, seconds), all: measure(ctx, all, seconds), datagrams: all.length };
}

export async function benchIpfixDecode(
  seconds = 2,
): Promise<{ name: string; figures: Record<string, number | string>; goals: { goal: string; met: boolean }[] }> {
  const testdata = path.resolve(repoRoot(), '../shared/testdata');
  const ovs = benchCapture(path.join(testdata, 'ovs-lab/ipfix.pcap'), seconds);
  const v9 = benchCapture(path.join(testdata, 'flows/netflow/pmacct/101-NFv9-CISCO-cust_primitives.pcap'), seconds);
  const figures: Record<string, number | string> = {
    ovs_ipfix_records_per_second: ovs.data.recordsPerSecond,
    ovs_ipfix_datagrams_per_second: ovs.data.datagramsPerSecond,
    ovs_ipfix_with_templates_records_per_second: ovs.all.recordsPerSecond,
    ovs_ipfix_with_templates_datagrams_per_second: ovs.all.datagramsPerSecond,
    netflow_v9_records_per_second: v9.data.recordsPerSecond,
    netflow_v9_datagrams_per_second: v9.data.datagramsPerSecond,
    netflow_v9_with_templates_records_per_second: v9.all.recordsPerSecond,
    notes:
      `one core, records reused; ovs-lab/ipfix.pcap (${ovs.datagrams} datagrams, ${ovs.data.recordsPerPass} records per data pass), ` +
      `pmacct 101 NetFlow v9 (${v9.datagrams} datagrams, ${v9.data.recordsPerPass} records per data pass)`,
  };
  return {
    name: 'ipfix-decode',
    figures,
    goals: [
      { goal: `OVS IPFIX >= ${GOAL_RECORDS_PER_SECOND} records/s on one core`, met: ovs.data.recordsPerSecond >= GOAL_RECORDS_PER_SECOND },
      { goal: `NetFlow v9 >= ${GOAL_RECORDS_PER_SECOND} records/s on one core`, met: v9.data.recordsPerSecond >= GOAL_RECORDS_PER_SECOND },
    ],
  };
}

if (import.meta.main) {
  console.log(JSON.stringify(await benchIpfixDecode(), null, 2));
}
