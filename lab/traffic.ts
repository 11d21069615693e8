/**
 * `lab traffic`: ICMP (ping) and TCP/UDP (iperf3) between the lab's VMs, on the same host and
 * across the VXLAN tunnel, all at once for N seconds. Each flow reports the bytes as the sender
 * counted them (iperf3's sum_sent), so tests can compare OVS counters and samples against them.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TelemetryError } from '../common/errors.js';
import { run } from './exec.js';
import { nowSeconds, runIperf } from './iperf.js';
import type { LabState, LabVm } from './state.js';

export type TrafficKind = 'icmp' | 'icmpv6' | 'tcp' | 'udp';

export interface TrafficOptions {
  /** How long each flow runs (default 5). */
  readonly seconds?: number;
  /** iperf3 `-b` target rate for every iperf3 flow (e.g. "50M", "0" = unlimited); default: TCP 100M, UDP 10M. */
  readonly bitrate?: string;
}

export interface TrafficFlow {
  readonly id: string;
  readonly kind: TrafficKind;
  readonly src_vm: string;
  readonly dst_vm: string;
  readonly src_ip: string;
  readonly dst_ip: string;
  readonly network_id: string;
  readonly network_name: string;
  readonly project_id: string;
  readonly vni: number;
  readonly crosses_tunnel: boolean;
  /** Seconds since the epoch. */
  readonly started_at: number;
  readonly ended_at: number;
  /** Payload bytes the sender sent (iperf3 sum_sent; ICMP: IP bytes of the echo requests). */
  readonly bytes: number;
  /** Bytes the receiver got (iperf3 sum_received; ICMP: IP bytes of the echo replies). */
  readonly received_bytes: number;
  /** Datagrams sent (UDP, ICMP); null for TCP. */
  readonly packets: number | null;
  readonly bits_per_second: number;
  readonly retransmits: number | null;
  readonly lost_packets: number | null;
  readonly src_port: number | null;
  readonly dst_port: number | null;
}

export interface TrafficReport {
  readonly seconds: number;
  readonly started_at: number;
  readonly ended_at: number;
  readonly flows: TrafficFlow[];
}

interface FlowSpec {
  readonly kind: TrafficKind;
  readonly src: string;
  readonly dst: string;
  /** iperf3 server port (one server per flow). */
  readonly port?: number;
}

/** Local switching on compute-1 and both directions across the tunnel, on both networks. */
const FLOWS: readonly FlowSpec[] = [
  { kind: 'icmp', src: 'vm1', dst: 'vm3' },
  { kind: 'icmp', src: 'vm1', dst: 'vm4' },
  { kind: 'icmp', src: 'vm2', dst: 'vm5' },
  { kind: 'icmpv6', src: 'vm3', dst: 'vm1' },
  { kind: 'icmpv6', src: 'vm5', dst: 'vm2' },
  { kind: 'tcp', src: 'vm1', dst: 'vm3', port: 5201 },
  { kind: 'tcp', src: 'vm4', dst: 'vm1', port: 5202 },
  { kind: 'udp', src: 'vm2', dst: 'vm5', port: 5203 },
  { kind: 'udp', src: 'vm3', dst: 'vm4', port: 5204 },
];

export const DEFAULT_TRAFFIC_SECONDS = 5;
const PING_INTERVAL_S = 0.2;
const PING_PAYLOAD = 56;
/** IP bytes of one echo: the payload plus the ICMP echo header (8) and IPv4 (20) or IPv6 (40). */
const echoIpBytes = (v6: boolean) => PING_PAYLOAD + 8 + (v6 ? 40 : 20);
/** Below the tenant MTU (1450) minus IP/UDP headers: no fragments. */
const UDP_LENGTH = 1000;
/** Default rates leave CPU to spare on 2 cores, so pings and UDP see no loss. */
const DEFAULT_BITRATE: Readonly<Record<'tcp' | 'udp', string>> = { tcp: '100M', udp: '10M' };

function vmNamed(state: LabState, name: string): LabVm {
  const vm = state.vms.find((v) => v.name === name);
  if (vm === undefined) throw new TelemetryError('LAB', `the lab has no VM named ${name}`);
  return vm;
}

function flowId(spec: FlowSpec): string {
  return `${spec.kind}-${spec.src}-${spec.dst}`;
}

function flowEndpoints(spec: FlowSpec, src: LabVm, dst: LabVm) {
  const v6 = spec.kind === 'icmpv6';
  return {
    id: flowId(spec),
    kind: spec.kind,
    src_vm: src.name,
    dst_vm: dst.name,
    src_ip: v6 ? src.ipv6 : src.ip,
    dst_ip: v6 ? dst.ipv6 : dst.ip,
    network_id: src.network_id,
    network_name: src.network_name,
    project_id: src.project_id,
    vni: src.vni,
    crosses_tunnel: src.host !== dst.host,
  };
}

async function ping(spec: FlowSpec, src: LabVm, dst: LabVm, seconds: number): Promise<TrafficFlow> {
  const count = Math.max(1, Math.round(seconds / PING_INTERVAL_S));
  const flow = flowEndpoints(spec, src, dst);
  const v6 = spec.kind === 'icmpv6';
  const echoBytes = echoIpBytes(v6);
  const family = v6 ? '-6' : '-4';
  const started = nowSeconds();
  const out = await run('ping', [family, '-n', '-q', '-c', String(count), '-i', String(PING_INTERVAL_S), '-W', '1', '-s', String(PING_PAYLOAD), flow.dst_ip], {
    netns: src.netns,
    timeoutMs: (seconds + 10) * 1000,
  });
  const ended = nowSeconds();
  const match = /(\d+) packets transmitted, (\d+) received/.exec(out);
  if (match === null) throw new TelemetryError('LAB', `unexpected ping output from ${src.name}: ${out.trim()}`);
  const [transmitted, received] = [Number(match[1]), Number(match[2])];
  return {
    ...flow,
    started_at: started,
    ended_at: ended,
    bytes: transmitted * echoBytes,
    received_bytes: received * echoBytes,
    packets: transmitted,
    bits_per_second: (transmitted * echoBytes * 8) / Math.max(ended - started, 1e-3),
    retransmits: null,
    lost_packets: transmitted - received,
    src_port: null,
    dst_port: null,
  };
}

async function iperf(spec: FlowSpec, src: LabVm, dst: LabVm, options: Required<Pick<TrafficOptions, 'seconds'>> & TrafficOptions, workDir: string): Promise<TrafficFlow> {
  const udp = spec.kind === 'udp';
  const result = await runIperf({
    src,
    dst,
    port: spec.port!,
    ...(udp ? { udpLength: UDP_LENGTH } : {}),
    bitrate: options.bitrate ?? DEFAULT_BITRATE[udp ? 'udp' : 'tcp'],
    seconds: options.seconds,
    workDir,
  });
  return {
    ...flowEndpoints(spec, src, dst),
    started_at: result.startedAt,
    ended_at: result.endedAt,
    bytes: result.sent.bytes,
    received_bytes: result.received.bytes,
    packets: udp ? (result.sent.packets ?? null) : null,
    bits_per_second: result.sent.bits_per_second,
    retransmits: udp ? null : (result.sent.retransmits ?? null),
    lost_packets: udp ? (result.received.lost_packets ?? null) : null,
    src_port: result.localPort,
    dst_port: result.remotePort ?? spec.port!,
  };
}

/** Throws TelemetryError('USAGE') for options runTraffic would refuse. */
export function checkTrafficOptions(options: TrafficOptions): void {
  const seconds = options.seconds ?? DEFAULT_TRAFFIC_SECONDS;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) {
    throw new TelemetryError('USAGE', `--seconds must be a whole number from 1 to 3600, got ${seconds}`);
  }
  if (options.bitrate !== undefined && !/^\d+(\.\d+)?[KMG]?$/.test(options.bitrate)) {
    throw new TelemetryError('USAGE', `--bitrate "${options.bitrate}" must be an iperf3 rate such as 500K, 50M or 1G`);
  }
}

export async function runTraffic(state: LabState, options: TrafficOptions = {}): Promise<TrafficReport> {
  checkTrafficOptions(options);
  const seconds = options.seconds ?? DEFAULT_TRAFFIC_SECONDS;
  const pidDir = join(state.dir, 'traffic');
  mkdirSync(pidDir, { recursive: true });
  const started = nowSeconds();
  const pairs = FLOWS.map((spec) => ({ spec, src: vmNamed(state, spec.src), dst: vmNamed(state, spec.dst) }));
  // allSettled: every flow stops its own iperf3 server before a failure is reported.
  const results = await Promise.allSettled(
    pairs.map(({ spec, src, dst }) =>
      spec.kind === 'icmp' || spec.kind === 'icmpv6' ? ping(spec, src, dst, seconds) : iperf(spec, src, dst, { ...options, seconds }, pidDir),
    ),
  );
  const failed = results.find((r) => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  const flows = results.map((r) => (r as PromiseFulfilledResult<TrafficFlow>).value);
  return { seconds, started_at: started, ended_at: nowSeconds(), flows };
}
