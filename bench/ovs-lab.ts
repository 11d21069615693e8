/**
 * The captured Neutron-shaped lab of ../shared/testdata/ovs-lab as the collector would see it:
 * the sFlow datagrams of sflow.pcap, and compute-1's OVSDB (ovsdb.json, an `ovsdb-client dump`)
 * read through the real VswitchModel and tenancy resolver, with the networks of truth.json as
 * the mapping file (ML2/OVS keeps projects out of OVSDB). For benchmarks and tests.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InterfaceState } from '../common/model.js';
import { readCapture } from '../collector/capture/reader.js';
import { extractUdp, UdpDatagram } from '../collector/capture/udp.js';
import { FlowAggregator } from '../collector/flows/aggregate.js';
import { FlowEnricher } from '../collector/flows/enrich.js';
import { FlowPipeline } from '../collector/flows/pipeline.js';
import { VswitchModel, type TableView } from '../collector/ovs/model.js';
import { decodeDatum, type Row } from '../collector/ovsdb/datum.js';
import type { Json } from '../collector/ovsdb/json.js';
import { findColumn, parseSchema } from '../collector/ovsdb/schema.js';
import { PacketInfo } from '../collector/packet/fields.js';
import { TenancyMapping } from '../collector/tenancy/mapping-file.js';
import { TenancyResolver } from '../collector/tenancy/resolver.js';

export const VSWITCH_SCHEMA_FILE = '/usr/share/openvswitch/vswitch.ovsschema';

/** The repository root, from bench/ in the source tree or dist/bench/ in the build. */
export function repoRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.basename(path.dirname(here)) === 'dist' ? path.resolve(here, '../..') : path.resolve(here, '..');
}

export function ovsLabDir(): string {
  return path.resolve(repoRoot(), '../shared/testdata/ovs-lab');
}

/** A UDP datagram of a capture: its payload (copied out of the file) and where it came from. */
export interface CapturedDatagram {
  readonly payload: Uint8Array;
  readonly srcAddr: string;
  readonly srcPort: number;
}

export function loadCapture(file: string): CapturedDatagram[] {
  const info = new PacketInfo();
  const udp = new UdpDatagram();
  const out: CapturedDatagram[] = [];
  for (const frame of readCapture(readFileSync(file))) {
    if (extractUdp(frame, info, udp) === null) out.push({ payload: udp.payload.slice(), srcAddr: udp.srcAddr, srcPort: udp.srcPort });
  }
  return out;
}

/** The UDP payloads of a capture. */
export function loadDatagrams(file: string): Uint8Array[] {
  return loadCapture(file).map((d) => d.payload);
}

interface DumpTable {
  caption: string;
  headings: string[];
  data: Json[][];
}

/** An `ovsdb-client dump --format=json` file as a table view (rows decoded with the schema). */
export function loadOvsdbDump(file: string, schemaFile = VSWITCH_SCHEMA_FILE): TableView {
  const schema = parseSchema(JSON.parse(readFileSync(schemaFile, 'utf8')) as Json);
  const tables = new Map<string, Map<string, Row>>();
  for (const line of readFileSync(file, 'utf8').trim().split('\n')) {
    const dump = JSON.parse(line) as DumpTable;
    const name = dump.caption.replace(/ table$/, '');
    const table = schema.tables.get(name);
    if (table === undefined) continue;
    const rows = new Map<string, Row>();
    for (const values of dump.data) {
      const row: Record<string, Row[string]> = {};
      dump.headings.forEach((heading, i) => {
        const column = findColumn(table, heading);
        if (column !== undefined) row[heading] = decodeDatum(values[i], column.type);
      });
      rows.set(String(row._uuid), row);
    }
    tables.set(name, rows);
  }
  return { table: (name) => tables.get(name) ?? new Map() };
}

interface TruthNetwork {
  id: string;
  project_id: string;
  name: string;
  network_type: string;
  segmentation_id: number;
}

export interface OvsLab {
  readonly datagrams: Uint8Array[];
  readonly interfaces: readonly InterfaceState[];
  readonly mapping: TenancyMapping;
  /** truth.json as parsed (ground truth of ports, networks and traffic). */
  readonly truth: Record<string, unknown>;
}

export function loadOvsLab(): OvsLab {
  const dir = ovsLabDir();
  const truth = JSON.parse(readFileSync(path.join(dir, 'truth.json'), 'utf8')) as Record<string, unknown>;
  const networks = (truth.networks as TruthNetwork[]).map((n) => ({
    id: n.id,
    project_id: n.project_id,
    name: n.name,
    network_type: n.network_type,
    segmentation_id: n.segmentation_id,
  }));
  const mapping = TenancyMapping.fromInput({ networks });
  const model = new VswitchModel(loadOvsdbDump(path.join(dir, 'ovsdb.json')), new TenancyResolver(mapping));
  return { datagrams: loadDatagrams(path.join(dir, 'sflow.pcap')), interfaces: model.interfaces(), mapping, truth };
}

/** The collector's flow pipeline (enrichment, aggregation with top talkers) over the lab's state. */
export function labPipeline(lab: OvsLab = loadOvsLab()): FlowPipeline {
  const enricher = new FlowEnricher({ interfaces: () => lab.interfaces, networks: () => lab.mapping.networks.values(), maxPortNames: 65_536 });
  const aggregator = new FlowAggregator({ maxNetworks: 4096, topTalkers: 10, windowSeconds: 600 });
  return new FlowPipeline({ enricher, aggregator });
}
