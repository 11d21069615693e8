/**
 * `ovs-telemetry decode FILE`: decode the sFlow, NetFlow v5 / v9 and IPFIX datagrams in a
 * pcap or pcapng file and print the records (DESIGN.md "Records"), one JSON object per line
 * or as a table. The pipeline is capture → UDP → decoder (chosen by port, else by sniffing)
 * → optional record stages (enrichment) → printer; decode errors are counted by reason and
 * summarised on stderr, never fatal.
 */
import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { counterRecordToJson, type CounterRecord } from '../common/counters.js';
import { describeError, isTelemetryError, TelemetryError } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import { loadMappingFile, TenancyMapping } from '../collector/tenancy/mapping-file.js';
import { readLabState } from '../lab/state.js';
import { labTenancyMapping } from './local-ovs.js';
import { openTenancyStage } from './decode-tenancy.js';
import { flowRecordToJson, type FlowRecord } from '../common/model.js';
import { readCapture } from '../collector/capture/reader.js';
import { extractUdp, UdpDatagram } from '../collector/capture/udp.js';
import { PacketInfo } from '../collector/packet/fields.js';
import { decodeFlowDatagram, looksLikeNetflow, NetflowContext, type FlowSink, type MessageHeader } from '../collector/ipfix/decode.js';
import { decodeDatagram, looksLikeSflow, SflowContext, SflowDecodeError } from '../collector/sflow/decode.js';

/** Where decoded records go (the same reused instances the decoders fill: copy to keep). */
export interface RecordSink {
  flow(rec: FlowRecord): void;
  counters(rec: CounterRecord): void;
  /** Something a decoder counted without failing (e.g. `netflow:template_missing`), `n` times. */
  note?(what: string, n: number): void;
}

/** A step between decode and print, e.g. enrichment with tenancy: wraps the next sink. */
export type RecordStage = (next: RecordSink) => RecordSink;

/** Where a datagram came from. */
export interface DatagramSource {
  exporterAddress: string;
  exporterPort: number;
  timeReceivedNs: bigint;
}

/**
 * One flow-export protocol. To add NetFlow / IPFIX: implement this (its default ports, a cheap
 * sniff, and decode into the sink) and add it to DEFAULT_DECODERS.
 */
export interface DatagramDecoder {
  readonly name: string;
  readonly defaultPorts: readonly number[];
  sniff(payload: Uint8Array): boolean;
  /** Throws TelemetryError('DECODE'), ideally with a `reason` string to count by. */
  decode(payload: Uint8Array, source: DatagramSource, sink: RecordSink): void;
  /** At the end of a capture: count what is still pending (e.g. data held for a template). */
  finish?(sink: RecordSink): void;
}

export const SFLOW_PORT = 6343;

export function sflowDecoder(): DatagramDecoder {
  const ctx = new SflowContext();
  let target: RecordSink | null = null;
  const adapter = {
    flow: (rec: FlowRecord) => target?.flow(rec),
    counters: (rec: CounterRecord) => target?.counters(rec),
  };
  return {
    name: 'sflow',
    defaultPorts: [SFLOW_PORT],
    sniff: looksLikeSflow,
    decode(payload, source, sink) {
      ctx.timeReceivedNs = source.timeReceivedNs;
      target = sink;
      decodeDatagram(payload, ctx, adapter);
    },
  };
}

export const NETFLOW_PORT = 2055;
export const IPFIX_PORT = 4739;

/**
 * NetFlow v5 / v9 and IPFIX (one decoder: the version is in the datagram). Template state
 * lives in the decoder, so templates of an exporter session apply across the datagrams of a
 * capture; data that came before its template is held and decoded when it comes.
 */
export function netflowDecoder(): DatagramDecoder {
  const ctx = new NetflowContext();
  let target: RecordSink | null = null;
  const adapter: FlowSink = { flow: (rec: FlowRecord) => target?.flow(rec) };
  const noteHeader = (h: MessageHeader, sink: RecordSink) => {
    if (h.setsWithoutTemplate > 0) sink.note?.('netflow:template_missing', h.setsWithoutTemplate);
    if (h.heldSetsDropped > 0) sink.note?.('netflow:held_dropped', h.heldSetsDropped);
    if (h.releasedRecords > 0) sink.note?.('netflow:held_decoded', h.releasedRecords);
  };
  return {
    name: 'netflow',
    defaultPorts: [NETFLOW_PORT, IPFIX_PORT],
    sniff: looksLikeNetflow,
    decode(payload, source, sink) {
      ctx.setExporter(source.exporterAddress, source.exporterPort);
      ctx.timeReceivedNs = source.timeReceivedNs;
      target = sink;
      try {
        decodeFlowDatagram(payload, ctx, adapter);
      } finally {
        noteHeader(ctx.header, sink);
      }
    },
    finish(sink) {
      if (ctx.templates.heldSets > 0) sink.note?.('netflow:held_never_decoded', ctx.templates.heldSets);
    },
  };
}

export const DEFAULT_DECODERS: ReadonlyArray<() => DatagramDecoder> = [sflowDecoder, netflowDecoder];

/** Picks the decoder for a datagram: by destination port, else the first whose sniff accepts it. */
export class DecoderDispatch {
  private readonly byPort = new Map<number, DatagramDecoder>();
  readonly decoders: readonly DatagramDecoder[];

  /** `portOverrides` replaces a decoder's default ports (by decoder name). */
  constructor(decoders: readonly DatagramDecoder[], portOverrides: ReadonlyMap<string, readonly number[]> = new Map()) {
    this.decoders = decoders;
    for (const decoder of decoders) {
      for (const port of portOverrides.get(decoder.name) ?? decoder.defaultPorts) this.byPort.set(port, decoder);
    }
  }

  pick(dstPort: number, payload: Uint8Array): DatagramDecoder | null {
    const byPort = this.byPort.get(dstPort);
    if (byPort) return byPort;
    for (const decoder of this.decoders) if (decoder.sniff(payload)) return decoder;
    return null;
  }
}

/** Counts for the summary line; keys are stable names. */
export class DecodeSummary {
  frames = 0;
  datagrams = new Map<string, number>();
  flowRecords = 0;
  counterRecords = 0;
  /** `decoder:reason` → count. */
  errors = new Map<string, number>();
  /** Non-fatal things decoders counted (`decoder:what` → count), e.g. data without its template. */
  notes = new Map<string, number>();
  /** Frames that carried no datagram we decode, by why. */
  skipped = new Map<string, number>();
  /** An error in the capture file itself (it stops the read). */
  captureError = '';

  toString(): string {
    const list = (m: Map<string, number>) => [...m].map(([k, v]) => `${k}=${v}`).join(' ') || 'none';
    const parts = [
      `${this.frames} frames`,
      `datagrams: ${list(this.datagrams)}`,
      `records: flow=${this.flowRecords} counters=${this.counterRecords}`,
      `decode errors: ${list(this.errors)}`,
      ...(this.notes.size > 0 ? [`notes: ${list(this.notes)}`] : []),
      `skipped frames: ${list(this.skipped)}`,
    ];
    if (this.captureError) parts.push(`capture error: ${this.captureError}`);
    return parts.join('; ');
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function errorReason(err: unknown): string {
  if (err instanceof SflowDecodeError) return err.reason;
  const reason = (err as { reason?: unknown } | null)?.reason;
  return typeof reason === 'string' ? reason : 'other';
}

export interface DecodeRun {
  bytes: Uint8Array;
  dispatch: DecoderDispatch;
  sink: RecordSink;
}

/** Decode every frame of a capture into `sink`; decode errors are counted, not thrown. */
export function decodeCapture({ bytes, dispatch, sink }: DecodeRun): DecodeSummary {
  const summary = new DecodeSummary();
  const counting: RecordSink = {
    flow(rec) {
      summary.flowRecords++;
      sink.flow(rec);
    },
    counters(rec) {
      summary.counterRecords++;
      sink.counters(rec);
    },
    note(what, n) {
      summary.notes.set(what, (summary.notes.get(what) ?? 0) + n);
      sink.note?.(what, n);
    },
  };
  const info = new PacketInfo();
  const udp = new UdpDatagram();
  const source: DatagramSource = { exporterAddress: '', exporterPort: 0, timeReceivedNs: 0n };
  try {
    for (const frame of readCapture(bytes)) {
      summary.frames++;
      const notUdp = extractUdp(frame, info, udp);
      if (notUdp) {
        bump(summary.skipped, notUdp);
        continue;
      }
      const decoder = dispatch.pick(udp.dstPort, udp.payload);
      if (!decoder) {
        bump(summary.skipped, 'no_decoder');
        continue;
      }
      bump(summary.datagrams, decoder.name);
      source.exporterAddress = udp.srcAddr;
      source.exporterPort = udp.srcPort;
      source.timeReceivedNs = frame.timestampNs;
      try {
        decoder.decode(udp.payload, source, counting);
      } catch (err) {
        if (!(err instanceof TelemetryError) || err.code !== 'DECODE') throw err;
        bump(summary.errors, `${decoder.name}:${errorReason(err)}`);
      }
    }
  } catch (err) {
    if (!(err instanceof TelemetryError) || err.code !== 'DECODE') throw err;
    summary.captureError = describeError(err);
  }
  for (const decoder of dispatch.decoders) decoder.finish?.(counting);
  return summary;
}

/** Buffers output lines and writes them in large chunks. */
class LineWriter {
  private chunk = '';
  private readonly out: NodeJS.WritableStream;

  constructor(out: NodeJS.WritableStream) {
    this.out = out;
  }

  line(text: string): void {
    this.chunk += text + '\n';
    if (this.chunk.length >= 65536) this.flush();
  }

  flush(): void {
    if (this.chunk === '') return;
    this.out.write(this.chunk);
    this.chunk = '';
  }
}

export type OutputFormat = 'json' | 'table';

function jsonPrinter(w: LineWriter): RecordSink {
  return {
    flow: (rec) => w.line(flowRecordToJson(rec)),
    counters: (rec) => w.line(counterRecordToJson(rec)),
  };
}

function timeOfDay(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString().slice(11, 23);
}

function endpoint(addr: string, port: number, proto: number): string {
  if (addr === '') return '-';
  const host = addr.includes(':') ? `[${addr}]` : addr;
  return proto === 6 || proto === 17 || proto === 132 ? `${host}:${port}` : host;
}

const FLOW_HEADER = [
  'TIME'.padEnd(12),
  'AGENT'.padEnd(15),
  'IN'.padStart(10),
  'OUT'.padStart(10),
  'SRC'.padEnd(30),
  'DST'.padEnd(30),
  'ETYPE'.padEnd(6),
  'PROTO'.padStart(5),
  'BYTES'.padStart(6),
  'RATE'.padStart(6),
  'VLAN'.padStart(4),
  'TUNNEL',
].join(' ');

function tablePrinter(w: LineWriter): RecordSink {
  let headerDone = false;
  return {
    flow(rec) {
      if (!headerDone) {
        w.line(FLOW_HEADER);
        headerDone = true;
      }
      const tunnel = rec.tunnel_id || rec.tunnel_src_addr ? `vni=${rec.tunnel_id} ${rec.tunnel_src_addr}>${rec.tunnel_dst_addr}` : '';
      w.line(
        [
          timeOfDay(rec.time_received_ns).padEnd(12),
          rec.sampler_address.padEnd(15),
          String(rec.in_if).padStart(10),
          String(rec.out_if).padStart(10),
          endpoint(rec.src_addr || rec.src_mac, rec.src_port, rec.proto).padEnd(30),
          endpoint(rec.dst_addr || rec.dst_mac, rec.dst_port, rec.proto).padEnd(30),
          `0x${rec.etype.toString(16).padStart(4, '0')}`.padEnd(6),
          String(rec.proto).padStart(5),
          String(rec.bytes).padStart(6),
          String(rec.sampling_rate).padStart(6),
          String(rec.vlan_id).padStart(4),
          tunnel,
        ].join(' '),
      );
    },
    counters(rec) {
      const name = rec.has_port_name ? ` (${rec.port_name})` : '';
      const line = rec.has_generic
        ? `if ${rec.if_index}${name} in ${rec.if_in_octets} B ${rec.if_in_ucast_pkts} pkts ` +
          `out ${rec.if_out_octets} B ${rec.if_out_ucast_pkts} pkts ` +
          `discards ${rec.if_in_discards}/${rec.if_out_discards} errors ${rec.if_in_errors}/${rec.if_out_errors}`
        : `source ${rec.source_id_type}:${rec.source_id}${name} (no interface counters)`;
      w.line(`${timeOfDay(rec.time_received_ns).padEnd(12)} ${rec.sampler_address.padEnd(15)} COUNTERS ${line}`);
    },
  };
}

export interface DecodeCommandOptions {
  format: OutputFormat;
  sflowPort: number[];
  /** UDP ports carrying NetFlow / IPFIX (default 2055 and 4739). */
  netflowPort?: number[];
  /** OVSDB endpoint to attribute records to Neutron ports, networks and projects. */
  ovsdb?: string;
  /** Tenancy mapping file (projects of ML2/OVS networks); default: the lab's when it is that OVSDB's. */
  tenancyFile?: string;
}

/** The tenancy mapping for `decode --ovsdb`: the given file, else the lab's when the endpoint is the lab's. */
function decodeMapping(options: DecodeCommandOptions): TenancyMapping {
  if (options.tenancyFile !== undefined) return loadMappingFile(options.tenancyFile);
  const lab = readLabState();
  return lab !== null && lab.ovsdb === options.ovsdb ? labTenancyMapping(lab) : TenancyMapping.empty();
}

export interface DecodeDeps {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** Stages applied between decode and print, first = closest to the decoder. */
  stages?: readonly RecordStage[];
  decoders?: ReadonlyArray<() => DatagramDecoder>;
}

/** The command body, separate from argument parsing so tests and other commands can call it. */
export async function runDecode(file: string, options: DecodeCommandOptions, deps: DecodeDeps): Promise<DecodeSummary> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new TelemetryError('USAGE', `cannot read capture ${file}: ${describeError(err)}`, { cause: err });
  }
  const writer = new LineWriter(deps.out);
  const printer = options.format === 'table' ? tablePrinter(writer) : jsonPrinter(writer);
  let sink = printer;
  for (const stage of [...(deps.stages ?? [])].reverse()) sink = stage(sink);
  const overrides = new Map<string, number[]>();
  if (options.sflowPort.length > 0) overrides.set('sflow', options.sflowPort);
  if (options.netflowPort && options.netflowPort.length > 0) overrides.set('netflow', options.netflowPort);
  const dispatch = new DecoderDispatch((deps.decoders ?? DEFAULT_DECODERS).map((make) => make()), overrides);
  const summary = decodeCapture({ bytes, dispatch, sink });
  writer.flush();
  deps.err.write(`decode ${file}: ${summary}\n`);
  if (summary.captureError) throw new TelemetryError('DECODE', `${file}: ${summary.captureError}`);
  return summary;
}

function parsePort(value: string, previous: number[]): number[] {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidArgumentError(`"${value}" is not a UDP port (1-65535)`);
  }
  return [...previous, port];
}

export function decodeCommand(): Command {
  return new Command('decode')
    .description('decode the sFlow, NetFlow and IPFIX datagrams in a pcap or pcapng file and print the records')
    .argument('<file>', 'capture file (pcap or pcapng; Ethernet, Linux cooked or loopback link types)')
    .addOption(new Option('--format <format>', 'output format').choices(['json', 'table']).default('json'))
    .option('--sflow-port <port>', `UDP port carrying sFlow, repeatable (default ${SFLOW_PORT})`, parsePort, [])
    .option('--netflow-port <port>', `UDP port carrying NetFlow / IPFIX, repeatable (default ${NETFLOW_PORT}, ${IPFIX_PORT})`, parsePort, [])
    .option('--ovsdb <endpoint>', 'attribute records to Neutron ports, networks and projects from this OVSDB (unix:PATH, tcp:IP:PORT)')
    .option('--tenancy-file <file>', 'tenancy mapping file for --ovsdb (network projects)')
    .action(async (file: string, options: DecodeCommandOptions) => {
      if (options.ovsdb === undefined) {
        await runDecode(file, options, { out: process.stdout, err: process.stderr });
        return;
      }
      let tenancy;
      try {
        tenancy = await openTenancyStage({ endpoint: options.ovsdb, mapping: decodeMapping(options), logger: createLogger('warn') });
      } catch (err) {
        if (isTelemetryError(err, 'ENDPOINT_INVALID')) throw new TelemetryError('USAGE', `--ovsdb: ${describeError(err)}`, { cause: err });
        throw err;
      }
      try {
        await runDecode(file, options, { out: process.stdout, err: process.stderr, stages: [tenancy.stage] });
      } finally {
        await tenancy.close();
      }
    });
}
