/**
 * `ovs-telemetry lab up|down|status|traffic`: a real Open vSwitch sandbox on this host
 * (see lab/). Progress goes to stderr, results to stdout (`--json` for machines).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { TelemetryError } from '../common/errors.js';
import {
  DEFAULT_EXPORTERS,
  DEFAULT_PREFIX,
  defaultLabDir,
  labDown,
  labUp,
  readLabState,
  readStateFile,
  runTraffic,
  checkTrafficOptions,
  DEFAULT_TRAFFIC_SECONDS,
  type LabDownReport,
  type LabState,
  type TrafficReport,
} from '../lab/index.js';

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number.');
  return Number(value);
}

const dirOption = () => new Option('--dir <dir>', 'lab state directory (env OVS_TELEMETRY_LAB_DIR)').default(defaultLabDir());
const jsonOption = () => new Option('--json', 'print JSON');

function progress(message: string): void {
  process.stderr.write(`lab: ${message}\n`);
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `  ${r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()}`).join('\n');
}

export function formatLab(lab: LabState): string {
  const project = (id: string) => lab.projects.find((p) => p.id === id)?.name ?? id;
  const lines = [
    `Lab up in ${lab.dir} (prefix ${lab.prefix}), created ${lab.created_at}`,
    `OVSDB (compute-1): ${lab.ovsdb}   rundir: ${lab.rundir}`,
    '',
    'Hosts:',
    table([
      ['HOST', 'NETNS', 'TUNNEL IP', 'OVSDB', 'EXPORTS'],
      ...lab.hosts.map((h) => [h.name, h.netns ?? '(root)', h.tunnel_ip, h.ovsdb, h.exporting ? 'sFlow, IPFIX, NetFlow' : '-']),
    ]),
    '',
    'Networks:',
    table([
      ['NETWORK', 'ID', 'VNI', 'CIDR', 'PROJECT', 'LOCAL VLANS'],
      ...lab.networks.map((n) => [
        n.name,
        n.id,
        String(n.segmentation_id),
        `${n.cidr} ${n.ipv6_cidr}`,
        project(n.project_id),
        Object.entries(n.local_vlans)
          .map(([host, vlan]) => `${host}=${vlan}`)
          .join(' '),
      ]),
    ]),
    '',
    'VMs:',
    table([
      ['VM', 'HOST', 'NETNS', 'INTERFACE', 'MAC', 'IP', 'NETWORK', 'VLAN', 'NEUTRON PORT'],
      ...[...lab.vms, ...lab.agent_ports].map((v) => [
        v.name,
        v.host,
        v.netns,
        v.interface,
        v.mac,
        v.ip,
        v.network_name,
        String(v.vlan),
        v.neutron_port_id,
      ]),
    ]),
    '',
    `sFlow   -> ${lab.sflow.targets.join(', ')} on ${lab.sflow.bridges.join(', ')} (1:${lab.sflow.sampling}, header ${lab.sflow.header}, polling ${lab.sflow.polling} s, agent ${lab.sflow.agent})`,
    `IPFIX   -> ${lab.ipfix.targets.join(', ')} on ${lab.ipfix.bridges.map((b) => `${b.bridge} (domain ${b.obs_domain_id})`).join(', ')} (1:${lab.ipfix.sampling})`,
    `NetFlow -> ${lab.netflow.targets.join(', ')} on ${lab.netflow.bridges.join(', ')} (v5, active timeout ${lab.netflow.active_timeout} s)`,
    '',
    `Try: ip netns exec ${lab.vms[0]?.netns ?? `${lab.prefix}-vm1`} ping ${lab.vms[2]?.ip ?? '10.0.0.13'}   or   ovs-telemetry lab traffic --dir ${lab.dir}`,
  ];
  return `${lines.join('\n')}\n`;
}

function formatDown(report: LabDownReport): string {
  const what = [`${report.processes} process(es)`, `${report.netns.length} netns`, `${report.links.length} link(s)`].join(', ');
  return `Lab in ${report.dir} (prefix ${report.prefix}) is down: removed ${what}${report.journal ? '' : ' (found by scanning: no state.json)'}\n`;
}

function formatTraffic(report: TrafficReport): string {
  const rows = report.flows.map((f) => [
    f.kind,
    `${f.src_vm} -> ${f.dst_vm}`,
    `${f.src_ip} -> ${f.dst_ip}`,
    f.network_name,
    String(f.vni),
    f.crosses_tunnel ? 'vxlan' : 'local',
    String(f.bytes),
    String(f.received_bytes),
    `${(f.bits_per_second / 1e6).toFixed(2)}`,
  ]);
  return `${table([['PROTO', 'VMS', 'ADDRESSES', 'NETWORK', 'VNI', 'PATH', 'SENT BYTES', 'RECEIVED BYTES', 'MBIT/S'], ...rows])}\n`;
}

function requireLab(dir: string): LabState {
  const lab = readLabState(dir);
  if (lab !== null) return lab;
  const file = readStateFile(dir);
  if (file === null) throw new TelemetryError('LAB', `no lab is up in ${dir} (start one with "ovs-telemetry lab up")`);
  throw new TelemetryError('LAB', `the lab in ${dir} is not running (${file.status === 'building' ? 'half built' : 'its OVS daemons are gone'}): run "ovs-telemetry lab down --dir ${dir}"`);
}

function upCommand(): Command {
  const d = DEFAULT_EXPORTERS;
  return new Command('up')
    .description('build the two-host Neutron-style OVS lab (userspace datapath) and start exporting to the collector ports')
    .addOption(dirOption())
    .option('--prefix <prefix>', 'prefix of every namespace and link the lab makes', DEFAULT_PREFIX)
    .option('--sflow-target <ip:port>', 'sFlow collector', d.sflowTarget)
    .option('--ipfix-target <ip:port>', 'IPFIX collector', d.ipfixTarget)
    .option('--netflow-target <ip:port>', 'NetFlow v5 collector', d.netflowTarget)
    .option('--sflow-sampling <n>', 'sFlow samples 1 packet in N', wholeNumber, d.sflowSampling)
    .option('--ipfix-sampling <n>', 'IPFIX samples 1 packet in N', wholeNumber, d.ipfixSampling)
    .option('--sflow-polling <seconds>', 'sFlow counter polling interval', wholeNumber, d.sflowPolling)
    .addOption(jsonOption())
    .action(async (opts: { dir: string; prefix: string; sflowTarget: string; ipfixTarget: string; netflowTarget: string; sflowSampling: number; ipfixSampling: number; sflowPolling: number; json?: boolean }) => {
      const started = Date.now();
      const lab = await labUp({ ...opts, onStep: progress });
      progress(`up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      process.stdout.write(opts.json ? `${JSON.stringify(lab, null, 2)}\n` : formatLab(lab));
    });
}

function downCommand(): Command {
  return new Command('down')
    .description('remove everything the lab made (processes, namespaces, links, files), even after a crash half way')
    .addOption(dirOption())
    .option('--prefix <prefix>', 'prefix to scan for when the state file is gone', DEFAULT_PREFIX)
    .addOption(jsonOption())
    .action(async (opts: { dir: string; prefix: string; json?: boolean }) => {
      const report = await labDown(opts.dir, { prefix: opts.prefix, onStep: progress });
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatDown(report));
    });
}

function statusCommand(): Command {
  return new Command('status')
    .description('describe the running lab (--json: the contract other tools read)')
    .addOption(dirOption())
    .addOption(jsonOption())
    .action((opts: { dir: string; json?: boolean }) => {
      const lab = requireLab(opts.dir);
      process.stdout.write(opts.json ? `${JSON.stringify(lab, null, 2)}\n` : formatLab(lab));
    });
}

function trafficCommand(): Command {
  return new Command('traffic')
    .description('run ping and iperf3 TCP/UDP between VMs (same host and across VXLAN) and print the bytes each sender sent')
    .addOption(dirOption())
    .option('--seconds <n>', 'how long each flow runs', wholeNumber, DEFAULT_TRAFFIC_SECONDS)
    .option('--bitrate <rate>', 'iperf3 target rate of every flow, e.g. 50M, 0 = unlimited (default: TCP 100M, UDP 10M)')
    .addOption(jsonOption())
    .action(async (opts: { dir: string; seconds: number; bitrate?: string; json?: boolean }) => {
      const options = { seconds: opts.seconds, bitrate: opts.bitrate };
      checkTrafficOptions(options);
      const report = await runTraffic(requireLab(opts.dir), options);
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatTraffic(report));
    });
}

export function labCommand(): Command {
  const lab = new Command('lab').description('a real Open vSwitch sandbox on this host: two Neutron-style compute nodes joined by VXLAN');
  for (const sub of [upCommand(), downCommand(), statusCommand(), trafficCommand()]) {
    // Usage errors throw (main maps them to exit 2) instead of exiting here.
    lab.addCommand(sub.exitOverride().showHelpAfterError());
  }
  return lab.exitOverride();
}
