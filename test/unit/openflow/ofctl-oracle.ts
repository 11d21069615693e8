/**
 * Parsers for what `ovs-ofctl -O OpenFlow13 dump-flows / dump-tables / dump-ports / meter-stats /
 * dump-aggregate / dump-group-stats` print (OVS 3.1 lib/ofp-print.c formats): the independent
 * oracle the OpenFlow tests compare the native client against.
 */

export interface OfctlFlow {
  readonly cookie: bigint;
  readonly tableId: number;
  readonly priority: number;
  readonly packetCount: number;
  readonly byteCount: number;
}

/** OFP_DEFAULT_PRIORITY: ovs-ofctl omits `priority=` when it is this. */
const DEFAULT_PRIORITY = 0x8000;

function num(text: string, re: RegExp): number {
  const m = re.exec(text);
  if (m === null) throw new Error(`ovs-ofctl output: no ${re.source} in: ${text}`);
  return Number(m[1]);
}

export function parseDumpFlows(text: string): OfctlFlow[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(' cookie='))
    .map((line) => {
      const head = line.slice(0, line.indexOf(' actions='));
      const priority = /[ ,]priority=(\d+)/.exec(head);
      return {
        cookie: BigInt(/cookie=(0x[0-9a-f]+)/.exec(head)?.[1] ?? '0'),
        tableId: num(head, /table=(\d+)/),
        priority: priority === null ? DEFAULT_PRIORITY : Number(priority[1]),
        packetCount: num(head, /n_packets=(\d+)/),
        byteCount: num(head, /n_bytes=(\d+)/),
      };
    });
}

export interface OfctlTable {
  readonly tableId: number;
  readonly activeCount: number;
  readonly lookupCount: number;
  readonly matchedCount: number;
}

/** dump-tables; expands "tables A...B: ditto" (same numbers as the table printed before). */
export function parseDumpTables(text: string): OfctlTable[] {
  const out: OfctlTable[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const single = /^\s+table (\d+)(?: \("[^"]*"\))?:$/.exec(lines[i]);
    const ditto = /^\s+tables (\d+)\.\.\.(\d+): ditto$/.exec(lines[i]);
    if (single !== null) {
      const stats = lines[i + 1];
      out.push({
        tableId: Number(single[1]),
        activeCount: num(stats, /active=(\d+)/),
        lookupCount: num(stats, /lookup=(\d+)/),
        matchedCount: num(stats, /matched=(\d+)/),
      });
    } else if (ditto !== null) {
      const prev = out[out.length - 1];
      for (let t = Number(ditto[1]); t <= Number(ditto[2]); t++) out.push({ ...prev, tableId: t });
    }
  }
  return out;
}

export interface OfctlPort {
  /** ofport number, or 'LOCAL'. */
  readonly port: string;
  readonly rxPackets: number | undefined;
  readonly rxBytes: number | undefined;
  readonly rxDropped: number | undefined;
  readonly rxErrors: number | undefined;
  readonly txPackets: number | undefined;
  readonly txBytes: number | undefined;
  readonly txDropped: number | undefined;
  readonly txErrors: number | undefined;
}

/** dump-ports: `?` marks a counter the switch does not have. */
export function parsePortStats(text: string): OfctlPort[] {
  const out: OfctlPort[] = [];
  const lines = text.split('\n');
  const value = (line: string, key: string): number | undefined => {
    const m = new RegExp(`${key}=(\\d+|\\?)`).exec(line);
    if (m === null) throw new Error(`ovs-ofctl dump-ports: no ${key} in ${line}`);
    return m[1] === '?' ? undefined : Number(m[1]);
  };
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s+port\s+(\S+): rx (.*)$/.exec(lines[i]);
    if (m === null) continue;
    const tx = lines[i + 1];
    out.push({
      port: m[1],
      rxPackets: value(m[2], 'pkts'),
      rxBytes: value(m[2], 'bytes'),
      rxDropped: value(m[2], 'drop'),
      rxErrors: value(m[2], 'errs'),
      txPackets: value(tx, 'pkts'),
      txBytes: value(tx, 'bytes'),
      txDropped: value(tx, 'drop'),
      txErrors: value(tx, 'errs'),
    });
  }
  return out;
}

export interface OfctlMeter {
  readonly meterId: number;
  readonly flowCount: number;
  readonly packetInCount: number;
  readonly byteInCount: number;
  readonly bands: readonly { readonly packetCount: number; readonly byteCount: number }[];
}

export function parseMeterStats(text: string): OfctlMeter[] {
  const out: { meterId: number; flowCount: number; packetInCount: number; byteInCount: number; bands: { packetCount: number; byteCount: number }[] }[] = [];
  for (const line of text.split('\n')) {
    const meter = /^meter:(\d+) flow_count:(\d+) packet_in_count:(\d+) byte_in_count:(\d+)/.exec(line);
    const band = /^\d+: packet_count:(\d+) byte_count:(\d+)/.exec(line);
    if (meter !== null) {
      out.push({ meterId: Number(meter[1]), flowCount: Number(meter[2]), packetInCount: Number(meter[3]), byteInCount: Number(meter[4]), bands: [] });
    } else if (band !== null && out.length > 0) {
      out[out.length - 1].bands.push({ packetCount: Number(band[1]), byteCount: Number(band[2]) });
    }
  }
  return out;
}

export function parseAggregate(text: string): { packetCount: number; byteCount: number; flowCount: number } {
  return {
    packetCount: num(text, /packet_count=(\d+)/),
    byteCount: num(text, /byte_count=(\d+)/),
    flowCount: num(text, /flow_count=(\d+)/),
  };
}

export interface OfctlGroup {
  readonly groupId: number;
  readonly refCount: number;
  readonly packetCount: number;
  readonly byteCount: number;
  readonly buckets: readonly { readonly packetCount: number; readonly byteCount: number }[];
}

export function parseGroupStats(text: string): OfctlGroup[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(' group_id='))
    .map((line) => ({
      groupId: num(line, /group_id=(\d+)/),
      refCount: num(line, /ref_count=(\d+)/),
      packetCount: num(line, /,packet_count=(\d+)/),
      byteCount: num(line, /,byte_count=(\d+)/),
      buckets: [...line.matchAll(/bucket\d+:packet_count=(\d+),byte_count=(\d+)/g)].map((m) => ({ packetCount: Number(m[1]), byteCount: Number(m[2]) })),
    }));
}

/** Splits a file of `$ command` headers followed by output into command -> output. */
export function splitTranscript(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const block of text.split(/^\$ /m).slice(1)) {
    const nl = block.indexOf('\n');
    out.set(block.slice(0, nl).trim(), block.slice(nl + 1));
  }
  return out;
}
