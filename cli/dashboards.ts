/**
 * `ovs-telemetry dashboards [--out DIR]`: writes the Grafana boards (JSON) and the provisioning
 * files for them in Grafana's layout under DIR, and with `--rules-out DIR2` the Prometheus
 * recording and alert rules. Prints the files it wrote.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { DASHBOARDS_DIR, DEFAULT_PROMETHEUS_URL, grafanaFiles } from '../dashboards/index.js';
import { ruleFiles } from '../dashboards/rules/index.js';

interface DashboardsFlags {
  out: string;
  prometheusUrl: string;
  dashboardsPath?: string;
  scrapeInterval: string;
  rulesOut?: string;
}

function httpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be a URL, e.g. http://prometheus:9090.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('must be an http:// or https:// URL.');
  return value;
}

function duration(value: string): string {
  if (!/^\d+(ms|s|m|h)$/.test(value)) throw new InvalidArgumentError('must be a Prometheus duration such as 15s or 1m.');
  return value;
}

/** Writes each file under `dir`, creating directories; returns the paths written. */
function writeFiles(dir: string, files: ReadonlyMap<string, string>): string[] {
  return [...files].map(([relative, content]) => {
    const path = join(dir, relative);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    return path;
  });
}

export function dashboardsCommand(): Command {
  return new Command('dashboards')
    .description('write the Grafana dashboards (JSON) and provisioning files, and optionally the Prometheus rules')
    .option('--out <dir>', 'output directory: provisioning/ and dashboards/ as Grafana reads them', 'grafana')
    .option('--prometheus-url <url>', 'URL of Prometheus for the provisioned data source', httpUrl, DEFAULT_PROMETHEUS_URL)
    .option('--dashboards-path <path>', `where Grafana reads the boards from (default: the absolute OUT/${DASHBOARDS_DIR})`)
    .option('--scrape-interval <duration>', 'Prometheus scrape interval (Grafana sizes $__rate_interval with it)', duration, '15s')
    .option('--rules-out <dir>', 'also write the Prometheus recording and alert rule files into this directory')
    .action((flags: DashboardsFlags) => {
      const written = writeFiles(flags.out, grafanaFiles({
        prometheusUrl: flags.prometheusUrl,
        dashboardsPath: flags.dashboardsPath ?? resolve(flags.out, DASHBOARDS_DIR),
        scrapeInterval: flags.scrapeInterval,
      }));
      if (flags.rulesOut !== undefined) written.push(...writeFiles(flags.rulesOut, ruleFiles()));
      process.stdout.write(`${written.join('\n')}\n`);
    });
}
