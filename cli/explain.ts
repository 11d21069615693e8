/**
 * `ovs-telemetry explain PORT`: how one port's traffic is wired through this host's OVS
 * (collector/explain). Reads OVSDB once (a monitor, synchronised, then closed), the bridges'
 * OpenFlow tables and ofproto/trace through the run directory, and samples the port's counters
 * twice for its rates. Defaults like `collect`: the lab's OVSDB, rundir and tenancy when a lab is
 * up and nothing explicit is given, else the system's; OVN northbound tenancy when the config
 * names it. Unknown port: stderr and exit 2.
 */
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig, withOverrides } from '../common/config.js';
import { TelemetryError } from '../common/errors.js';
import { silentLogger } from '../common/log.js';
import { explainQuery } from '../collector/explain/api.js';
import { formatExplanation } from '../collector/explain/format.js';
import { openRundirSources, sampledRates } from '../collector/explain/live.js';
import { vswitchSources } from './collect.js';

interface ExplainFlags {
  json?: boolean;
  ovsdb?: string;
  rundir?: string;
  config?: string;
  interval: number;
}

const SYNC_TIMEOUT_MS = 10_000;

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 60) throw new InvalidArgumentError('seconds between 0 and 60 (0 = no rates)');
  return n;
}

export function explainCommand(): Command {
  return new Command('explain')
    .description("how one port's traffic is wired through this host's OVS (PORT: Neutron port id, interface name, MAC or VM uuid)")
    .argument('<port>', 'Neutron port id (iface-id), interface name, MAC or VM uuid')
    .option('--json', 'print the explanation as JSON')
    .option('--ovsdb <endpoint>', 'OVSDB endpoint (unix:PATH, tcp:IP:PORT, ssl:IP:PORT)')
    .option('--rundir <dir>', 'ovs-vswitchd run directory (BRIDGE.mgmt, ovs-vswitchd.pid)')
    .option('-c, --config <file>', 'collector YAML config file (ovsdb, tenancy, datapath.rundir)')
    .option('--interval <seconds>', 'seconds between the two counter samples for rates (0 = no rates)', seconds, 1)
    .action(async (port: string, flags: ExplainFlags) => {
      const config = withOverrides(loadConfig(flags.config), { ovsdb: { endpoint: flags.ovsdb }, datapath: { rundir: flags.rundir } }, 'command line');
      const { endpoint, rundir, vswitch, ovn } = vswitchSources(config, silentLogger);
      vswitch.start();
      ovn?.start();
      try {
        await vswitch.systemIdWhenSynced(SYNC_TIMEOUT_MS);
        if (!vswitch.up) throw new TelemetryError('CONNECTION_FAILED', `OVSDB ${endpoint}: not connected and synchronised within ${SYNC_TIMEOUT_MS / 1000} s`);
        // ML2/OVN: projects come from the northbound DB; wait for it as for OVSDB.
        for (const deadline = Date.now() + SYNC_TIMEOUT_MS; ovn !== undefined && !ovn.up; await new Promise((r) => setTimeout(r, 50))) {
          if (Date.now() > deadline) throw new TelemetryError('CONNECTION_FAILED', `OVN northbound ${ovn.endpoint}: not connected and synchronised within ${SYNC_TIMEOUT_MS / 1000} s`);
        }
        const request = openRundirSources(rundir, { tables: vswitch.model.view, interfaces: () => vswitch.model.interfaces() }, (reader) =>
          flags.interval > 0 ? sampledRates(reader, flags.interval * 1000) : () => ({ rates: null, note: '--interval 0' }));
        try {
          const outcome = await explainQuery(port, request.sources);
          if (!outcome.ok) {
            process.stderr.write(`ovs-telemetry explain: ${outcome.error}${outcome.candidates ? `: ${outcome.candidates.join(', ')}` : ''}\n`);
            process.exitCode = 2;
            return;
          }
          process.stdout.write(flags.json ? `${JSON.stringify(outcome.explanation, null, 2)}\n` : formatExplanation(outcome.explanation));
        } finally {
          request.close();
        }
      } finally {
        await ovn?.stop();
        await vswitch.stop();
      }
    });
}
