import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, withOverrides } from '../../../common/config.js';
import { isTelemetryError } from '../../../common/errors.js';

const dir = join(import.meta.dirname, '../../fixtures/config');
const files = readdirSync(dir);

describe('config files', () => {
  it.each(files.filter((f) => f.endsWith('.good.yml')))('%s loads', (file) => {
    const config = loadConfig(join(dir, file));
    expect(Object.isFrozen(config.web)).toBe(true);
  });

  it.each(files.filter((f) => f.endsWith('.bad.yml')))('%s is rejected naming file, key and reason', (file) => {
    const path = join(dir, file);
    const expected = /^# error: (.*)$/m.exec(readFileSync(path, 'utf8'))?.[1];
    expect(expected).toBeTruthy();
    try {
      loadConfig(path);
      expect.unreachable('config should be rejected');
    } catch (err) {
      expect(isTelemetryError(err, 'CONFIG_INVALID')).toBe(true);
      expect((err as Error).message).toContain(path);
      expect((err as Error).message).toContain(expected);
    }
  });

  it('defaults: loopback listener, system paths, per-interface series', () => {
    const config = loadConfig(undefined);
    expect(config.web.listen_address).toBe('127.0.0.1:9477');
    expect(config.web.telemetry_path).toBe('/metrics');
    expect(config.metrics.per_interface).toBe(true);
    expect(config.ovsdb.endpoint).toBeUndefined();
  });

  it('a full file keeps every value', () => {
    const config = loadConfig(join(dir, 'full.good.yml'));
    expect(config.ovsdb.tls?.ca_cert).toBe('/etc/ovs-telemetry/ca.pem');
    expect(config.tenancy.ovn_northbound?.endpoint).toBe('tcp:[::1]:6641');
    expect(config.metrics.per_interface).toBe(false);
    expect(config.flows.local_exporters.exporters).toEqual([
      { protocol: 'netflow_v5', address: '192.0.2.10', engine_type: 0, engine_id: 3, add_id_to_interface: true },
      { protocol: 'ipfix', address: '2001:db8::10', observation_domain_id: 7 },
      { protocol: 'sflow', address: '192.0.2.11' },
    ]);
  });

  it('local exporters: learned from OVSDB by default, none listed', () => {
    expect(loadConfig(undefined).flows.local_exporters).toEqual({ from_ovsdb: true, exporters: [] });
  });

  it('flags override the file and are validated the same way', () => {
    const config = loadConfig(join(dir, 'full.good.yml'));
    const merged = withOverrides(config, { ovsdb: { endpoint: 'unix:/tmp/db.sock' }, web: { listen_address: '0.0.0.0:1' } }, 'command line');
    expect(merged.ovsdb.endpoint).toBe('unix:/tmp/db.sock');
    expect(merged.ovsdb.tls?.private_key).toBe('/etc/ovs-telemetry/key.pem');
    expect(merged.web.listen_address).toBe('0.0.0.0:1');
    expect(() => withOverrides(config, { ovsdb: { endpoint: 'nope' } }, 'command line')).toThrow(/command line: key ovsdb.endpoint/);
  });

  it('a missing file is a clear error', () => {
    expect(() => loadConfig('/nonexistent/ovs-telemetry.yml')).toThrow(/\/nonexistent\/ovs-telemetry.yml: cannot read/);
  });
});
