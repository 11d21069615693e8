import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { CommanderError } from 'commander';
import { dashboardsCommand } from '../../../cli/dashboards.js';

async function run(args: string[]): Promise<string> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    const command = dashboardsCommand().exitOverride().configureOutput({ writeErr: () => {} });
    await command.parseAsync(args, { from: 'user' });
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe('ovs-telemetry dashboards', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'otl-dashboards-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('writes the boards and provisioning in Grafana\'s layout, the provider pointing at the written boards', async () => {
    const out = tempDir();
    const printed = await run(['--out', out, '--prometheus-url', 'http://prometheus.example:9090', '--scrape-interval', '30s']);
    expect(printed.trim().split('\n')).toHaveLength(6);
    const boards = readdirSync(join(out, 'dashboards/ovs-telemetry')).sort();
    expect(boards).toEqual(['ovs-enforcer.json', 'ovs-flow-telemetry.json', 'ovs-host-overview.json', 'ovs-tenant-networks.json']);
    for (const file of boards) expect(JSON.parse(readFileSync(join(out, 'dashboards/ovs-telemetry', file), 'utf8')).uid).toBe(file.replace('.json', ''));
    const provider = parse(readFileSync(join(out, 'provisioning/dashboards/ovs-telemetry.yml'), 'utf8'));
    expect(provider.providers[0].options.path).toBe(resolve(out, 'dashboards/ovs-telemetry'));
    const datasource = parse(readFileSync(join(out, 'provisioning/datasources/ovs-telemetry.yml'), 'utf8'));
    expect(datasource.datasources[0]).toMatchObject({ url: 'http://prometheus.example:9090', jsonData: { timeInterval: '30s' } });
  });

  it('writes the rule files with --rules-out and takes the provider path from --dashboards-path', async () => {
    const out = tempDir();
    const rules = tempDir();
    await run(['--out', out, '--rules-out', rules, '--dashboards-path', '/srv/boards']);
    expect(readdirSync(rules).sort()).toEqual(['ovs-telemetry.alerts.yml', 'ovs-telemetry.recording.yml']);
    expect(parse(readFileSync(join(out, 'provisioning/dashboards/ovs-telemetry.yml'), 'utf8')).providers[0].options.path).toBe('/srv/boards');
  });

  it('rejects a Prometheus URL that is not http(s) and a malformed scrape interval', async () => {
    await expect(run(['--out', tempDir(), '--prometheus-url', 'ftp://x'])).rejects.toThrow(CommanderError);
    await expect(run(['--out', tempDir(), '--scrape-interval', 'soon'])).rejects.toThrow(/Prometheus duration/);
  });
});
