/**
 * ovs-vswitchd's view of its datapaths, one unixctl command at a time (each is a poll target of
 * its own: one failing command leaves the others' series): dpctl/show (lookups hit/missed/lost,
 * flows, masks), upcall/show (flow counts, limit, dump duration, revalidator keys),
 * coverage/show (one counter family, event label), memory/show (gauges) and, on the userspace
 * datapath only, dpif-netdev/pmd-stats-show.
 */
import { DATAPATH_METRICS as M } from '../../common/metrics-datapath.js';
import type { UnixctlClient } from '../unixctl/client.js';
import type { Parsed } from '../unixctl/lines.js';
import { SeriesBuffer } from './series.js';

/** The commands a poll runs (a UnixctlClient; fakes in tests). */
export type VswitchdStatsClient = Pick<UnixctlClient, 'dpctlShow' | 'upcallShow' | 'coverageShow' | 'memoryShow' | 'pmdStatsShow'>;

export const PMD_STATS = 'dpif-netdev/pmd-stats-show';

/** pmd-stats-show lines counted per lookup result (lib/dpif-netdev.c pmd_info_show_stats). */
const PMD_RESULTS: readonly (readonly [string, string])[] = [
  ['phwol hits', 'phwol'],
  ['mfex opt hits', 'mfex_opt'],
  ['simple match hits', 'simple_match'],
  ['emc hits', 'emc'],
  ['smc hits', 'smc'],
  ['megaflow hits', 'megaflow'],
  ['miss with success upcall', 'upcall'],
  ['miss with failed upcall', 'upcall_failed'],
];
const PMD_CYCLES: readonly (readonly [string, string])[] = [
  ['idle cycles', 'idle'],
  ['processing cycles', 'processing'],
];

export interface CommandReading {
  readonly series: SeriesBuffer;
  /** Output lines the parser did not understand (an OVS version printing something new). */
  readonly skippedLines: number;
  /** dpctl/show only: whether a userspace (netdev) datapath exists, the only one with PMD statistics. */
  readonly userspaceDatapath?: boolean;
}

export interface VswitchdCommand {
  readonly name: string;
  read(client: VswitchdStatsClient): Promise<CommandReading>;
}

function reading<T>(parsed: Parsed<T>, write: (value: T, series: SeriesBuffer) => void): CommandReading {
  const series = new SeriesBuffer();
  write(parsed.value, series);
  return { series, skippedLines: parsed.skippedLines };
}

export const DPCTL_SHOW: VswitchdCommand = {
  name: 'dpctl/show',
  read: async (client) => {
    const parsed = await client.dpctlShow();
    const read = reading(parsed, (datapaths, series) => {
      for (const dp of datapaths) {
        const labels = [dp.name];
        series.add(M.datapathHits, labels, dp.hit);
        series.add(M.datapathMisses, labels, dp.missed);
        series.add(M.datapathLost, labels, dp.lost);
        series.add(M.datapathFlows, labels, dp.flows);
        series.addKnown(M.datapathMaskHits, labels, dp.masksHit);
        series.addKnown(M.datapathMasks, labels, dp.masksTotal);
      }
    });
    return { ...read, userspaceDatapath: parsed.value.some((dp) => dp.name.startsWith('netdev@')) };
  },
};

export const UPCALL_SHOW: VswitchdCommand = {
  name: 'upcall/show',
  read: async (client) =>
    reading(await client.upcallShow(), (datapaths, series) => {
      for (const dp of datapaths) {
        const labels = [dp.name];
        series.add(M.upcallFlows, labels, dp.flowsCurrent);
        series.add(M.upcallFlowsAverage, labels, dp.flowsAverage);
        series.add(M.upcallFlowsMax, labels, dp.flowsMax);
        series.add(M.upcallFlowLimit, labels, dp.flowLimit);
        series.addKnown(M.upcallOffloadedFlows, labels, dp.offloadedFlows);
        series.add(M.upcallDumpDuration, labels, dp.dumpDurationMs / 1000);
        for (const [thread, keys] of dp.revalidatorKeys) series.add(M.revalidatorKeys, [dp.name, String(thread)], keys);
      }
    }),
};

export const COVERAGE_SHOW: VswitchdCommand = {
  name: 'coverage/show',
  read: async (client) =>
    reading(await client.coverageShow(), (coverage, series) => {
      for (const [event, c] of coverage.counters) series.add(M.coverageEvents, [event], c.total);
    }),
};

export const MEMORY_SHOW: VswitchdCommand = {
  name: 'memory/show',
  read: async (client) =>
    reading(await client.memoryShow(), (memory, series) => {
      for (const [object, count] of memory) series.add(M.memoryObjects, [object], count);
    }),
};

export const PMD_STATS_SHOW: VswitchdCommand = {
  name: PMD_STATS,
  read: async (client) =>
    reading(await client.pmdStatsShow(), (threads, series) => {
      for (const t of threads) {
        const base = [t.kind, t.numaId === undefined ? '' : String(t.numaId), t.coreId === undefined ? '' : String(t.coreId)];
        series.addKnown(M.pmdReceivedPackets, base, t.stats.get('packets received'));
        series.addKnown(M.pmdRecirculations, base, t.stats.get('packet recirculations'));
        for (const [line, result] of PMD_RESULTS) series.addKnown(M.pmdLookups, [...base, result], t.stats.get(line));
        for (const [line, state] of PMD_CYCLES) series.addKnown(M.pmdCycles, [...base, state], t.stats.get(line));
      }
    }),
};

/** The commands every poll runs; pmd-stats-show follows when a userspace datapath exists. */
export const VSWITCHD_COMMANDS: readonly VswitchdCommand[] = [DPCTL_SHOW, UPCALL_SHOW, COVERAGE_SHOW, MEMORY_SHOW];

