/**
 * `ovs-telemetry demo`: the README's "run it" command. Brings the lab up (or reuses it), starts
 * the collector on it, drives traffic between the VMs now and every minute, and prints where to
 * look. Runs in the foreground until Ctrl-C; the lab stays up until `ovs-telemetry lab down`.
 */
import { Command } from 'commander';
import { parseConfig } from '../common/config.js';
import { createLogger } from '../common/log.js';
import { TelemetryError } from '../common/errors.js';
import { defaultLabDir, labUp, readLabState, runTraffic, LAB_DIR_ENV, type LabState } from '../lab/index.js';
import { runUntilSignal, startCollector } from './collect.js';

interface DemoFlags {
  dir?: string;
  listen: string;
  trafficSeconds: string;
  trafficEvery: string;
  once?: boolean;
}

function positive(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new TelemetryError('USAGE', `${flag} must be a whole number >= 1, got ${JSON.stringify(text)}`);
  return n;
}

async function trafficRound(lab: LabState, seconds: number, out: (line: string) => void): Promise<void> {
  const report = await runTraffic(lab, { seconds });
  for (const f of report.flows) {
    out(`  ${f.kind.padEnd(6)} ${f.src_vm} -> ${f.dst_vm} on ${f.network_name}${f.crosses_tunnel ? ' (across VXLAN)' : ''}: ${(f.bytes / 1e6).toFixed(1)} MB`);
  }
}

export function demoCommand(): Command {
  return new Command('demo')
    .description('lab up + collector + traffic, and where to look (foreground; Ctrl-C stops the collector)')
    .option('--dir <dir>', 'lab state directory', undefined)
    .option('--listen <address>', 'collector listen address', '127.0.0.1:9477')
    .option('--traffic-seconds <n>', 'length of each traffic round', '5')
    .option('--traffic-every <seconds>', 'seconds between traffic rounds', '60')
    .option('--once', 'one traffic round, print, stop the collector and exit (the lab stays up)')
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
      await trafficRound(lab, seconds, out);
      out('');
      out('Where to look:');
      out(`  ${collector.url}/                      what the collector is connected to`);
      out(`  curl -s ${collector.url}/metrics | grep ovs_network_     per tenant network`);
      out(`  curl -s ${collector.url}/metrics | grep ovs_interface_info   VM ports with Neutron port, network, project`);
      out(`  ./ovs-telemetry lab status                    the lab's VMs, networks and bridges`);
      out(`  ./ovs-telemetry lab down                      remove the lab`);
      if (flags.once) {
        await collector.stop();
        return;
      }
      out(`Traffic again every ${every} s; Ctrl-C stops the collector (the lab stays up).`);
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
        await collector.stop();
      }, createLogger('warn'));
    });
}
