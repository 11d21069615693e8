/**
 * Dumping 100,000 flows from a real bridge: the native OpenFlow client (every entry decoded: match,
 * instructions, counters) against `ovs-ofctl dump-flows` on the same bridge in the same run, for
 * OF1.3 (the goal: native <= 1.0x ovs-ofctl's wall time) and OF1.5 (what the client negotiates by
 * default with OVS 3.1), with this process's RSS; then the datapath poller on the same bridge: one
 * poll (every OpenFlow statistic, the flows summed per table and cookie: here 100k distinct
 * cookies, the cap's worst case; and ovs-vswitchd's unixctl commands) and one scrape of its result.
 *
 * Run: `npx tsc -p tsconfig.build.json && node dist/bench/openflow-dump.js` (as root).
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { DatapathPoller } from '../collector/datapath/poller.js';
import { OpenFlowClient } from '../collector/openflow/client.js';
import { OFP13, OFP15, type OfVersion } from '../collector/openflow/constants.js';
import { startNetnsOvs, type NetnsOvs } from '../test/helpers/netns-ovs.js';
import type { MetricSink } from '../common/metrics.js';
import type { BenchResult } from './run.js';

const FLOWS = 100_000;
const ROUNDS = 3;
const BRIDGE = 'br-bench';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number, digits = 1): number => Number(x.toFixed(digits));

/** Neutron-ish flows, all distinct: per-port IPv4 ACL-like matches with VLAN and output actions. */
async function writeFlowFile(path: string): Promise<void> {
  const out = createWriteStream(path);
  for (let start = 0; start < FLOWS; start += 1000) {
    let chunk = '';
    for (let i = start; i < start + 1000; i++) {
      chunk += `table=${i % 8},priority=${100 + (i % 50)},cookie=${i},tcp,in_port=${(i % 16) + 1},nw_src=10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255},tp_dst=${i % 65536},actions=mod_vlan_vid:${(i % 4000) + 1},output:${(i % 16) + 1}\n`;
    }
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Native dump: connect, HELLO, one multipart flow request, every entry decoded and looked at. */
async function nativeDump(target: string, version: OfVersion): Promise<{ ms: number; flows: number; matchFields: number }> {
  const start = performance.now();
  const client = new OpenFlowClient({ target, versions: [version], timeoutMs: 60_000, echoIntervalMs: 0 });
  await client.connect();
  let matchFields = 0;
  const flows = await client.flowStats({}, (f) => {
    matchFields += f.match.length;
  });
  client.close();
  return { ms: performance.now() - start, flows, matchFields };
}

/** `ovs-ofctl -O <version> dump-flows BRIDGE`, output read and discarded: its wall time. */
async function ofctlDump(ovs: NetnsOvs, version: string): Promise<{ ms: number; lines: number }> {
  const start = performance.now();
  const child = spawn('ovs-ofctl', ['-O', version, 'dump-flows', BRIDGE], { env: ovs.env, stdio: ['ignore', 'pipe', 'inherit'] });
  let lines = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`ovs-ofctl dump-flows exited with ${code}`);
  return { ms: performance.now() - start, lines };
}

/** The datapath poller on the bench bridge: median poll and collect times, series and cookies. */
async function pollerFigures(ovs: NetnsOvs): Promise<{ figures: Record<string, number>; pollMs: number; collectMs: number }> {
  const poller = new DatapathPoller({ bridges: () => [BRIDGE], interfaces: () => [], rundir: ovs.dir, timeoutMs: 60_000 });
  try {
    const polls: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const start = performance.now();
      await poller.poll();
      polls.push(performance.now() - start);
    }
    let series = 0;
    const counting: MetricSink = { add: () => void series++ };
    const collects: number[] = [];
    for (let i = 0; i < 20; i++) {
      series = 0;
      const start = performance.now();
      poller.collect(counting);
      collects.push(performance.now() - start);
    }
    let overflow = 0;
    poller.collect({ add: (spec, _labels, value) => void (spec.name === 'ovs_openflow_flow_cookies_overflow' && (overflow = value)) });
    const pollMs = median(polls);
    const collectMs = median(collects);
    return { figures: { poll_ms: round(pollMs), collect_ms: round(collectMs, 2), series, cookies_overflowed: overflow }, pollMs, collectMs };
  } finally {
    await poller.stop();
  }
}

export async function benchOpenflowDump(): Promise<BenchResult> {
  const ovs = await startNetnsOvs();
  try {
    await ovs.addBridge(BRIDGE);
    const file = join(ovs.dir, 'flows.txt');
    await writeFlowFile(file);
    const addStart = performance.now();
    await ovs.ofctl('add-flows', BRIDGE, file);
    const addMs = performance.now() - addStart;
    const target = ovs.mgmt(BRIDGE);

    const figures: Record<string, number | string> = { flows: FLOWS, ofctl_add_flows_s: round(addMs / 1000, 1) };
    const rssBefore = process.memoryUsage().rss;
    const ratios: Record<string, number> = {};
    for (const [label, version, ofctlVersion] of [
      ['of13', OFP13, 'OpenFlow13'],
      ['of15', OFP15, 'OpenFlow15'],
    ] as const) {
      const native: number[] = [];
      const ofctl: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const n = await nativeDump(target, version);
        if (n.flows !== FLOWS + 1) throw new Error(`native dump returned ${n.flows} flows, expected ${FLOWS + 1}`);
        figures.native_match_fields_decoded = n.matchFields;
        native.push(n.ms);
        const o = await ofctlDump(ovs, ofctlVersion);
        if (o.lines < FLOWS) throw new Error(`ovs-ofctl printed ${o.lines} lines, expected at least ${FLOWS}`);
        ofctl.push(o.ms);
      }
      figures[`native_${label}_ms`] = round(median(native));
      figures[`ofctl_${label}_ms`] = round(median(ofctl));
      ratios[label] = median(native) / median(ofctl);
      figures[`ratio_${label}`] = round(ratios[label], 2);
      figures[`native_${label}_flows_per_s`] = Math.round((FLOWS / median(native)) * 1000);
    }
    const poll = await pollerFigures(ovs);
    Object.assign(figures, poll.figures);
    figures.rss_before_mb = round(rssBefore / 1e6);
    figures.rss_after_mb = round(process.memoryUsage().rss / 1e6);
    figures.max_rss_mb = round(process.resourceUsage().maxRSS / 1e3);
    return {
      name: 'openflow-dump',
      figures,
      goals: [
        { goal: 'native OF1.3 dump of 100k flows <= 1.0x ovs-ofctl -O OpenFlow13 dump-flows wall time', met: ratios.of13 <= 1.0 },
        { goal: 'native OF1.5 dump <= 1.0x ovs-ofctl -O OpenFlow15 dump-flows wall time', met: ratios.of15 <= 1.0 },
        {
          goal: 'one datapath poll of the 100k-flow bridge (all OpenFlow stats + unixctl) <= 1.0x ovs-ofctl -O OpenFlow15 dump-flows alone',
          met: poll.pollMs <= Number(figures.ofctl_of15_ms),
        },
        { goal: 'a scrape of the poller (collect) takes < 5 ms', met: poll.collectMs < 5 },
      ],
    };
  } finally {
    await ovs.stop();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchOpenflowDump();
  for (const [k, v] of Object.entries(result.figures)) process.stdout.write(`  ${k.padEnd(28)} ${v}\n`);
  for (const g of result.goals) process.stdout.write(`  ${g.met ? 'MET    ' : 'MISSED '} ${g.goal}\n`);
}
