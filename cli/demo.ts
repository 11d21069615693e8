/**
 * `ovs-telemetry demo`: the README's "run it" command. Brings the lab up (or reuses it), starts
 * the collector and the enforcer on it, drives traffic between the VMs now and every minute, and
 * prints where to look and how to throttle a VM port as an alert would. Runs in the foreground
 * until Ctrl-C; the lab stays up until `ovs-telemetry lab down`.
 */
import { Command } from 'commander';
import { parseConfig } from '../common/config.js';
import { createLogger } from '../common/log.js';
import { describeError, TelemetryError } from '../common/errors.js';
import { defaultLabDir, labUp, readLabState, runTraffic, LAB_DIR_ENV, type LabState, type LabVm, type TrafficReport } from '../lab/index.js';
import { runUntilSignal, startCollector } from './collect.js';
import { DEMO_THROTTLE_KBPS, startDemoEnforcer, type DemoEnforcer } from './demo-enforcer.js';

interface DemoFlags {
  dir?: string;
  listen: string;
  enforcerListen: string;
  trafficSeconds: string;
  trafficEvery: string;
  once?: boolean;
}

function positive(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new TelemetryError('USAGE', `${flag} must be a whole number >= 1, got ${JSON.stringify(text)}`);
  return n;
}

async function trafficRound(lab: LabState, seconds: number, out: (line: string) => void): Promise<TrafficReport> {
  const report = await runTraffic(lab, { seconds });
  for (const f of report.flows) {
    out(`  ${f.kind.padEnd(6)} ${f.src_vm} -> ${f.dst_vm} on ${f.network_name}${f.crosses_tunnel ? ' (across VXLAN)' : ''}: ${(f.bytes / 1e6).toFixed(1)} MB (${((f.bytes * 8) / seconds / 1e6).toFixed(0)} Mbit/s)`);
  }
  return report;
}

/** The VM to throttle: one on this host (the enforcer's) that receives a TCP stream of the traffic rounds. */
function throttleTarget(lab: LabState, report: TrafficReport): LabVm {
  const local = lab.vms.filter((vm) => vm.host === lab.hosts[0].name);
  const receiver = report.flows.find((f) => f.kind === 'tcp' && local.some((vm) => vm.name === f.dst_vm));
  return local.find((vm) => vm.name === receiver?.dst_vm) ?? local[0];
}

function printEnforcer(demo: DemoEnforcer, out: (line: string) => void): void {
  const { enforcer, dir, target } = demo;
  const post = (file: string) => `curl -s -H "Authorization: Bearer $(cat ${dir}/token)" --data @${dir}/${file} ${enforcer.url}/alertmanager`;
  out('');
  out(`Enforcer on ${enforcer.url} (config ${dir}/enforcer.yml). Throttle ${target.name}'s port to ${DEMO_THROTTLE_KBPS / 1000} Mbit/s`);
  out('towards the VM as the OvsPortBandwidthHigh alert would, through its Alertmanager webhook:');
  out(`  ${post('alert-firing.json')}`);
  out(`  ./ovs-telemetry lab traffic --seconds 5        the stream into ${target.name} now runs at about ${DEMO_THROTTLE_KBPS / 1000} Mbit/s`);
  out(`  ./ovs-telemetry explain ${target.interface}      the port's path, and the limit the enforcer owns`);
  out(`  ${post('alert-resolved.json')}`);
  out(`  tail ${dir}/enforcer-audit.jsonl               every decision, with who, what, why, before and after`);
}

export function demoCommand(): Command {
  return new Command('demo')
    .description('lab up + collector + enforcer + traffic, and where to look (foreground; Ctrl-C stops the collector and the enforcer)')
    .option('--dir <dir>', 'lab state directory', undefined)
    .option('--listen <address>', 'collector listen address', '127.0.0.1:9477')
    .option('--enforcer-listen <address>', 'enforcer webhook listen address', '127.0.0.1:9478')
    .option('--traffic-seconds <n>', 'length of each traffic round', '5')
    .option('--traffic-every <seconds>', 'seconds between traffic rounds', '60')
    .option('--once', 'one traffic round, print, stop the collector and the enforcer and exit (the lab stays up)')
    .action(async (flags: DemoFlags) => {
      const out = (line: string): void => void process.stdout.write(`${line}\n`);
      const dir = flags.dir ?? defaultLabDir();
      const seconds = positive('--traffic-seconds', flags.trafficSeconds);
      const every = positive('--traffic-every', flags.trafficEvery);
      let lab = readLabState(dir);
      if (lab === null) {
        out(`Bringing the lab up in ${dir} …`);
        lab = await labUp({ dir, onStep: (step) => out(`  ${step}`) });
      } else {
        out(`Using the lab already up in ${dir}.`);
      }
      process.env[LAB_DIR_ENV] = dir;
      const config = parseConfig({ web: { listen_address: flags.listen }, log: { level: 'warn' } }, 'demo');
      const collector = await startCollector(config, createLogger(config.log.level));
      out(`Collector on ${collector.url} reading ${lab.ovsdb}.`);
      out(`Traffic between the VMs (${seconds} s):`);
      const report = await trafficRound(lab, seconds, out);
      const target = throttleTarget(lab, report);
      out('');
      out('Where to look:');
      out(`  ${collector.url}/                      the host's bridges, tenant networks and VM ports, live (click a port)`);
      out(`  curl -s ${collector.url}/metrics | grep ovs_network_     per tenant network`);
      out(`  curl -s ${collector.url}/metrics | grep ovs_flow_sampled_  sampled flows per network and protocol, top talkers`);
      out(`  curl -s ${collector.url}/metrics | grep ovs_interface_info   VM ports with Neutron port, network, project`);
      out(`  ./ovs-telemetry explain ${target.interface}      how ${target.name}'s traffic is wired through OVS`);
      out(`  ./ovs-telemetry lab status                    the lab's VMs, networks and bridges`);
      out(`  ./ovs-telemetry lab down                      remove the lab`);
      // The enforcer is a separate process in production; here it shares the demo's, and a busy port only costs the demo its enforcer.
      const demoEnforcer = await startDemoEnforcer(dir, target, flags.enforcerListen, createLogger(config.log.level)).catch((err: unknown) => {
        out(`\nEnforcer not started: ${describeError(err)}`);
        return undefined;
      });
      if (demoEnforcer) printEnforcer(demoEnforcer, out);
      const stopAll = async (): Promise<void> => {
        await demoEnforcer?.enforcer.stop();
        await collector.stop();
      };
      if (flags.once) {
        await stopAll();
        return;
      }
      out(`\nTraffic again every ${every} s; Ctrl-C stops the collector and the enforcer (the lab stays up).`);
      const current = lab;
      let busy = false;
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        trafficRound(current, seconds, () => {})
          .catch((err: unknown) => out(`traffic round failed: ${(err as Error).message}`))
          .finally(() => (busy = false));
      }, every * 1000);
      await runUntilSignal(async () => {
        clearInterval(timer);
        await stopAll();
      }, createLogger('warn'));
    });
}
