/**
 * `ovs-telemetry demo`, the README's quick start, as a new user runs it (the real CLI): on the
 * lab it prints where to look — the collector's page and metrics answer — and the enforcer's
 * ready-made alert commands work as printed: the firing notification puts an enforcer-owned
 * linux-htb QoS on the named VM's port, the resolved one takes it off again. Ctrl-C ends it
 * cleanly. compute-1 runs in the root namespace: this file takes the lab lock.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabState, LabVm } from '../../lab/index.js';
import { startCli, type CliResult } from '../helpers/cli.js';
import { startTestLab, type TestLab } from '../helpers/test-lab.js';

const run = promisify(execFile);

describe('ovs-telemetry demo', () => {
  let testLab: TestLab | undefined;
  let lab: LabState;
  let demo: ReturnType<typeof startCli> | undefined;
  let output = '';
  let target: LabVm;
  const vsctl = async (...args: string[]) => (await run('ovs-vsctl', [`--db=${lab.ovsdb}`, ...args])).stdout.trim();
  const lineWith = (text: string): string => output.split('\n').find((l) => l.includes(text))?.trim() ?? '';

  beforeAll(async () => {
    testLab = await startTestLab('demo', { prefix: 'otm' });
    lab = testLab.lab;
    demo = startCli(['demo', '--dir', testLab.dir, '--listen', '127.0.0.1:0', '--enforcer-listen', '127.0.0.1:0', '--traffic-seconds', '2', '--traffic-every', '3600']);
    demo.child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    for (const deadline = Date.now() + 120_000; !output.includes('Traffic again every'); ) {
      if (demo.child.exitCode !== null || Date.now() > deadline) throw new Error(`demo did not get ready: ${output}${(await Promise.race([demo.done, Promise.resolve(null)]))?.stderr ?? ''}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const name = /Throttle (\S+)'s port/.exec(output)?.[1];
    target = lab.vms.find((vm) => vm.name === name)!;
  }, 300_000);

  afterAll(async () => {
    if (demo && demo.child.exitCode === null) {
      demo.child.kill('SIGKILL');
      await demo.done;
    }
    await testLab?.stop();
  }, 120_000);

  it('prints the collector, and its page and metrics answer', async () => {
    const url = /Collector on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    expect(url).toBeDefined();
    expect((await fetch(`${url}/`)).status).toBe(200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain(`neutron_port_id="${lab.vms[0].neutron_port_id}"`);
    expect(output).toMatch(/tcp +vm\d -> vm\d on \S+.*MB/);
    expect(lineWith('./ovs-telemetry explain')).toContain(target.interface);
  });

  it('names a VM of this host, and its printed alert commands throttle and restore that port', async () => {
    expect(target.host).toBe(lab.hosts[0].name);
    const firing = lineWith('alert-firing.json');
    const resolved = lineWith('alert-resolved.json');
    expect(firing).toMatch(/^curl -s -H "Authorization: Bearer \$\(cat .*\/token\)" --data @.*alert-firing\.json http:\/\/127\.0\.0\.1:\d+\/alertmanager$/);

    const fired = JSON.parse((await run('sh', ['-c', firing])).stdout) as { status: string };
    expect(fired.status).toBe('ok');
    const qos = await vsctl('get', 'Port', target.interface, 'qos');
    expect(qos).toMatch(/^[0-9a-f-]{36}$/);
    expect(await vsctl('get', 'QoS', qos, 'type')).toBe('linux-htb');
    expect(await vsctl('get', 'QoS', qos, 'external_ids')).toContain('"ovs-telemetry:owner"=enforcer');

    expect(JSON.parse((await run('sh', ['-c', resolved])).stdout)).toMatchObject({ status: 'ok' });
    expect(await vsctl('get', 'Port', target.interface, 'qos')).toBe('[]');
  }, 60_000);

  it('ends cleanly on Ctrl-C', async () => {
    demo!.child.kill('SIGINT');
    const result: CliResult = await demo!.done;
    expect(result.code).toBe(0);
  }, 30_000);
});
