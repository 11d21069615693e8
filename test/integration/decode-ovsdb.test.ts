/**
 * `decode FILE --ovsdb ENDPOINT`: records attributed from a real ovsdb-server holding a
 * Neutron-style br-int (Interface external_ids, ifindex; Port tag and other_config) and a
 * mapping file for the projects, in process and through the CLI.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../common/log.js';
import { runDecode } from '../../cli/decode.js';
import { openTenancyStage } from '../../cli/decode-tenancy.js';
import { loadMappingFile } from '../../collector/tenancy/mapping-file.js';
import { cli } from '../helpers/cli.js';
import { startOvsdbServer, type OvsdbServer } from '../helpers/ovsdb-server.js';
import { datagram, ethernet, flowSample, ipv4Packet, pcapFile, rawHeader, tagged, tcpPacket, u32, udpFrame } from '../helpers/sflow-encoder.js';
import { v5Packet } from '../unit/ipfix/encoder.js';

const VM1_MAC = 'fa:16:3e:00:00:01';
const REMOTE_MAC = 'fa:16:3e:00:00:99';

function packet(src: string, dst: string): Uint8Array {
  return ethernet(dst, src, 0x0800, ipv4Packet({ src: '10.0.0.11', dst: '10.0.0.14', proto: 6 }, tcpPacket(40000, 5201, 0x10)));
}

/** A VM sending (input = its ifindex) and a tunnel arrival for it (input 0, VNI ingress). */
const capture = pcapFile([
  { data: udpFrame(datagram({ agent: '127.0.0.1', samples: [flowSample({ sourceType: 2, sourceIndex: 1001, rate: 8, input: 7, output: 0x80000001, records: [rawHeader(packet(VM1_MAC, REMOTE_MAC))] })] })) },
  { data: udpFrame(datagram({ agent: '127.0.0.1', subAgent: 1, samples: [flowSample({ sourceType: 2, sourceIndex: 1000, rate: 8, input: 0, output: 0x80000001, records: [rawHeader(packet(REMOTE_MAC, VM1_MAC)), tagged(1030, u32(1001))] })] })) },
]);

/** OVS's NetFlow v5: the VM's traffic with its OpenFlow port (3) as input, not its ifindex (7). */
const netflowCapture = pcapFile([
  {
    data: udpFrame(
      v5Packet({ engineType: 47, engineId: 209 }, [
        { src: new Uint8Array([10, 0, 0, 11]), dst: new Uint8Array([10, 0, 0, 14]), input: 3, output: 0xffff, packets: 10, bytes: 8400, first: 0, last: 0, srcPort: 0, dstPort: 0, tcpFlags: 0, proto: 1, tos: 0 },
      ]),
      2055,
    ),
  },
]);

describe('decode --ovsdb', () => {
  let db: OvsdbServer;
  let dir: string;
  let pcap: string;
  let netflowPcap: string;
  let mappingFile: string;

  beforeAll(async () => {
    db = await startOvsdbServer();
    dir = mkdtempSync(join(tmpdir(), 'otl-decode-ovsdb-'));
    pcap = join(dir, 'sflow.pcap');
    writeFileSync(pcap, capture);
    netflowPcap = join(dir, 'netflow.pcap');
    writeFileSync(netflowPcap, netflowCapture);
    mappingFile = join(dir, 'tenancy.yml');
    writeFileSync(mappingFile, 'networks:\n  - id: net-a\n    project_id: project-a\n    segmentation_id: 1001\n');
    await db.vsctl('add-br', 'br-int');
    await db.vsctl(
      'add-port', 'br-int', 'tap1', '--',
      'set', 'Interface', 'tap1', 'ifindex=7', 'ofport=3', 'external_ids:iface-id=port-1', `external_ids:attached-mac=${VM1_MAC}`, '--',
      'set', 'Port', 'tap1', 'tag=1', 'other_config:net_uuid=net-a', 'other_config:network_type=vxlan', 'other_config:segmentation_id=1001',
    );
  }, 60_000);

  afterAll(async () => {
    await db?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const tenancyOf = (line: string) => {
    const r = JSON.parse(line) as Record<string, unknown>;
    return [r.in_neutron_port_id, r.in_network_id, r.in_project_id, r.out_neutron_port_id, r.out_network_id, r.out_project_id, r.network_id, r.project_id];
  };

  it('a record stage enriches every record from the OVSDB state', async () => {
    const tenancy = await openTenancyStage({ endpoint: db.unixEndpoint, mapping: loadMappingFile(mappingFile), logger: silentLogger });
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    try {
      await runDecode(pcap, { format: 'json', sflowPort: [] }, { out, err: new PassThrough(), stages: [tenancy.stage] });
    } finally {
      await tenancy.close();
    }
    const lines = text.trimEnd().split('\n');
    expect(lines.map(tenancyOf)).toEqual([
      ['port-1', 'net-a', 'project-a', '', 'net-a', 'project-a', 'net-a', 'project-a'],
      ['', 'net-a', 'project-a', 'port-1', 'net-a', 'project-a', 'net-a', 'project-a'],
    ]);
  });

  it("NetFlow v5 input is the OpenFlow port OVS numbers it by (ofport 3 is tap1, whose ifindex is 7)", async () => {
    const res = await cli(['decode', netflowPcap, '--ovsdb', db.unixEndpoint, '--tenancy-file', mappingFile]);
    expect(res.code).toBe(0);
    expect(res.stdout.trimEnd().split('\n').map(tenancyOf)).toEqual([['port-1', 'net-a', 'project-a', '', 'net-a', 'project-a', 'net-a', 'project-a']]);
  });

  it('through the CLI: --ovsdb and --tenancy-file', async () => {
    const res = await cli(['decode', pcap, '--ovsdb', db.unixEndpoint, '--tenancy-file', mappingFile]);
    expect(res.code).toBe(0);
    expect(res.stdout.trimEnd().split('\n').map(tenancyOf)[0]).toEqual(['port-1', 'net-a', 'project-a', '', 'net-a', 'project-a', 'net-a', 'project-a']);
  });

  it('a bad endpoint is a usage error (exit 2); an unreachable one fails to connect', async () => {
    const res = await cli(['decode', pcap, '--ovsdb', 'db.sock']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--ovsdb');
    await expect(openTenancyStage({ endpoint: `unix:${join(dir, 'nothing.sock')}`, mapping: loadMappingFile(mappingFile), logger: silentLogger, timeoutMs: 500 }))
      .rejects.toMatchObject({ code: 'CONNECTION_FAILED' });
  });
});
