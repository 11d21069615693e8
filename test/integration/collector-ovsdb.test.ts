/**
 * The collector against real ovsdb-servers (no ovs-vswitchd needed): OVSDB outage and resync,
 * and the ML2/OVN tenancy path through a real OVN northbound database built with ovn-nbctl.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../common/config.js';
import { silentLogger } from '../../common/log.js';
import { startCollector, type RunningCollector } from '../../cli/collect.js';
import { startOvsdbServer, type OvsdbServer } from '../helpers/ovsdb-server.js';
import { promtoolCheckMetrics, seriesOf } from '../helpers/promtool.js';
import { seriesKeys, value, waitForScrape } from '../helpers/scrape.js';

const run = promisify(execFile);
const NET = '0f3d2a8e-5b1c-4c5e-9a0d-3f6b2c1d4e5f';
const PROJECT = '5e9d7c3b1a2f4e6d8c0b9a7f6e5d4c3b';
const PORTS = ['8a1b2c3d-41e5-4000-8000-000000000001', '9b2c3d4e-52f6-4000-8000-000000000002'];
const tap = (id: string): string => `tap${id.slice(0, 11)}`;

async function addVmPort(db: OvsdbServer, portId: string, i: number): Promise<void> {
  const name = tap(portId);
  await db.vsctl('add-port', 'br-int', name, '--', 'set', 'Port', name, 'tag=1',
    `other_config:net_uuid=${NET}`, 'other_config:network_type=vxlan', 'other_config:segmentation_id=1001',
    '--', 'set', 'Interface', name, `external_ids:iface-id=${portId}`, `external_ids:attached-mac=fa:16:3e:00:00:0${i}`,
    `external_ids:vm-uuid=vm-${i}`, 'external_ids:iface-status=active', `ofport_request=${10 + i}`,
    `statistics:rx_bytes=${1000 * (i + 1)}`, `statistics:tx_bytes=${2000 * (i + 1)}`,
    `statistics:rx_packets=${10 * (i + 1)}`, `statistics:tx_packets=${20 * (i + 1)}`);
}

describe('collector: OVSDB outage, resync and no stale series', () => {
  let db: OvsdbServer;
  let collector: RunningCollector;

  beforeAll(async () => {
    db = await startOvsdbServer();
    await db.vsctl('add-br', 'br-int');
    for (const [i, id] of PORTS.entries()) await addVmPort(db, id, i);
    collector = await startCollector(
      parseConfig({ ovsdb: { endpoint: db.unixEndpoint }, web: { listen_address: '127.0.0.1:0' }, sflow: { enabled: false }, ipfix: { enabled: false }, netflow: { enabled: false } }, 'test'),
      silentLogger,
    );
  });

  afterAll(async () => {
    await collector?.stop();
    await db?.stop();
  });

  it('serves the interfaces with counters, network sums and a promtool-clean exposition', async () => {
    const { series, text } = await waitForScrape(collector.url, (s) => value(s, 'ovs_up') === 1 && seriesOf(s, 'ovs_interface_info').length === 3, 5000);
    expect(promtoolCheckMetrics(text)).toBe('');
    expect(value(series, 'ovs_interface_receive_bytes_total', { interface: tap(PORTS[1]) })).toBe(2000);
    expect(value(series, 'ovs_interface_transmit_packets_total', { interface: tap(PORTS[0]) })).toBe(20);
    expect(value(series, 'ovs_network_receive_bytes_total', { network_id: NET })).toBe(3000);
    expect(value(series, 'ovs_network_transmit_bytes_total', { network_id: NET })).toBe(6000);
    expect(value(series, 'ovs_network_interfaces', { network_id: NET })).toBe(2);
    expect(seriesOf(series, 'ovs_interface_info', { interface: 'br-int', neutron_port_id: 'unknown' })).toHaveLength(1);
  });

  it('kill -9 of ovsdb-server: ovs_up 0 within 5 s, back to 1 with the same series and none stale', async () => {
    const before = await waitForScrape(collector.url, (s) => value(s, 'ovs_up') === 1, 5000);
    const keysBefore = seriesKeys(before.series, 'ovs_interface_');
    await db.kill9();
    const down = await waitForScrape(collector.url, (s) => value(s, 'ovs_up') === 0, 5000, 50);
    expect(down.elapsedMs).toBeLessThan(5000);
    expect(seriesKeys(down.series, 'ovs_interface_')).toEqual([]);
    // While the server is down the database changes behind the collector's back: the port leaves
    // br-int (unreferenced Port and Interface rows are then garbage-collected, RFC 7047 §2.1).
    const { stdout } = await run('ovsdb-tool', ['query', db.dbPath, JSON.stringify(['Open_vSwitch',
      { op: 'select', table: 'Port', where: [['name', '==', tap(PORTS[1])]], columns: ['_uuid'] }])]);
    const portUuid = (JSON.parse(stdout) as { rows: { _uuid: [string, string] }[] }[])[0].rows[0]._uuid[1];
    const { stdout: result } = await run('ovsdb-tool', ['transact', db.dbPath, JSON.stringify(['Open_vSwitch',
      { op: 'mutate', table: 'Bridge', where: [['name', '==', 'br-int']], mutations: [['ports', 'delete', ['uuid', portUuid]]] }])]);
    expect(result).not.toContain('error');
    await db.restart();
    // Interface.statistics is ephemeral (not kept on disk): ovs-vswitchd would write it again.
    await db.vsctl('set', 'Interface', tap(PORTS[0]), 'statistics:rx_bytes=1000', 'statistics:tx_bytes=2000', 'statistics:rx_packets=10', 'statistics:tx_packets=20');
    const up = await waitForScrape(collector.url, (s) => value(s, 'ovs_up') === 1 && value(s, 'ovs_interface_receive_bytes_total', { interface: tap(PORTS[0]) }) === 1000, 10_000);
    const keysAfter = seriesKeys(up.series, 'ovs_interface_');
    const gone = keysBefore.filter((k) => k.includes(tap(PORTS[1])));
    expect(gone.length).toBeGreaterThan(0);
    expect(keysAfter).toEqual(keysBefore.filter((k) => !k.includes(tap(PORTS[1]))));
    expect(value(up.series, 'ovs_network_receive_bytes_total', { network_id: NET })).toBe(1000);
    expect(value(up.series, 'ovs_telemetry_ovsdb_reconnects_total', { database: 'Open_vSwitch' })).toBeGreaterThanOrEqual(1);
  });

  it('serves /healthz and a /status page that says what is connected', async () => {
    expect(await (await fetch(`${collector.url}/healthz`)).text()).toBe('ok\n');
    const page = await (await fetch(`${collector.url}/status`)).text();
    expect(page).toContain(db.unixEndpoint);
    expect(page).toContain('connected');
  });
});

describe('collector: ML2/OVN tenancy from a real OVN northbound DB', () => {
  let vswitch: OvsdbServer;
  let nb: OvsdbServer;
  let collector: RunningCollector;
  const nbctl = (...args: string[]) => run('ovn-nbctl', [`--db=${nb.unixEndpoint}`, ...args]);

  beforeAll(async () => {
    vswitch = await startOvsdbServer();
    nb = await startOvsdbServer({ schema: '/usr/share/ovn/ovn-nb.ovsschema' });
    await nbctl('ls-add', `neutron-${NET}`, '--', 'set', 'Logical_Switch', `neutron-${NET}`, 'external_ids:"neutron:network_name"=alpha-net');
    for (const id of PORTS) {
      await nbctl('lsp-add', `neutron-${NET}`, id, '--', 'set', 'Logical_Switch_Port', id,
        `external_ids:"neutron:project_id"=${PROJECT}`, `external_ids:"neutron:network_name"=neutron-${NET}`,
        'external_ids:"neutron:device_id"=vm-ovn', 'external_ids:"neutron:device_owner"=compute:nova');
    }
    await vswitch.vsctl('add-br', 'br-int');
    // ML2/OVN writes only iface-id (and attached-mac, vm-uuid) on the chassis: no net_uuid.
    for (const [i, id] of PORTS.entries()) {
      await vswitch.vsctl('add-port', 'br-int', tap(id), '--', 'set', 'Interface', tap(id), `external_ids:iface-id=${id}`, `external_ids:attached-mac=fa:16:3e:00:01:0${i}`);
    }
    collector = await startCollector(
      parseConfig({ ovsdb: { endpoint: vswitch.unixEndpoint }, tenancy: { ovn_northbound: { endpoint: nb.unixEndpoint } }, web: { listen_address: '127.0.0.1:0' }, sflow: { enabled: false }, ipfix: { enabled: false }, netflow: { enabled: false } }, 'test'),
      silentLogger,
    );
  });

  afterAll(async () => {
    await collector?.stop();
    await nb?.stop();
    await vswitch?.stop();
  });

  it('labels every port with its Neutron network and project from the logical switch port', async () => {
    const { series } = await waitForScrape(collector.url, (s) => seriesOf(s, 'ovs_interface_info', { project_id: PROJECT }).length === 2, 5000);
    for (const id of PORTS) {
      expect(seriesOf(series, 'ovs_interface_info', { interface: tap(id) })[0].labels).toMatchObject({ neutron_port_id: id, network_id: NET, project_id: PROJECT });
    }
  });

  it('follows changes in the northbound DB', async () => {
    await nbctl('set', 'Logical_Switch_Port', PORTS[1], 'external_ids:"neutron:project_id"=other-project');
    const { series } = await waitForScrape(collector.url, (s) => seriesOf(s, 'ovs_interface_info', { project_id: 'other-project' }).length === 1, 2000);
    expect(seriesOf(series, 'ovs_interface_info', { interface: tap(PORTS[1]) })[0].labels.project_id).toBe('other-project');
  });
});
