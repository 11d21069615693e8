/** The text form of an Explanation (`ovs-telemetry explain PORT`, `/api/explain?format=text`). */
import type { InterfaceCounters } from '../../common/model.js';
import type { Explanation, FlowSummary, MeterInfo, PathStep, QosInForce } from './types.js';

const orDash = (v: string | number | null | undefined): string => (v === null || v === undefined || v === '' ? '—' : String(v));

function flowLine(f: FlowSummary): string {
  const match = f.match === '' ? '' : `${f.match} `;
  const hits = f.packets === null ? '' : `  [${f.packets} pkts]`;
  return `      table ${f.table} prio ${f.priority} ${match}→ ${f.actions.join(',') || 'drop'}  (${f.role})${hits}`;
}

function stepLines(step: PathStep, index: number): string[] {
  const n = `${index}.`;
  switch (step.kind) {
    case 'integration': {
      const lines = [
        `${n} ${step.bridge} port ${step.port} (ofport ${orDash(step.ofport)}), local VLAN ${orDash(step.localVlan)}`,
        `    anti-spoofing tables: ${step.antiSpoofingTables.join(', ') || 'none'}; security-group tables: ${step.securityGroupTables.join(', ') || 'none'}`,
      ];
      if (step.tracedTables !== null) lines.push(`    traced path: table ${step.tracedTables.join(' → ') || '(none)'}`);
      if (step.flows.length > 0) lines.push('    flows matching the port:', ...step.flows.map(flowLine));
      return lines;
    }
    case 'patch':
      return [`${n} patch ${step.fromBridge}/${step.fromPort} ⇄ ${step.toBridge}/${step.toPort}`];
    case 'tunnel': {
      const lines = [`${n} ${step.bridge}: local VLAN ${orDash(step.localVlan)} → VNI ${step.vni === null ? '— (no flow maps it)' : `${step.vni} (0x${step.vni.toString(16)})`}` +
        (step.inboundVlan !== null ? `, inbound VNI → VLAN ${step.inboundVlan}` : '')];
      if (step.flows.length > 0) lines.push('    flows:', ...step.flows.map(flowLine));
      for (const t of step.tunnels) {
        lines.push(`    ${t.carriesThisNetwork ? '→' : ' '} ${t.type} ${t.port} (ofport ${orDash(t.ofport)}) ${orDash(t.localIp)} → ${orDash(t.remoteIp)} key=${orDash(t.key)}${t.carriesThisNetwork ? '' : ' (not used by this network)'}`);
      }
      return lines;
    }
    case 'provider': {
      const lines = [`${n} ${step.bridge}: local VLAN ${orDash(step.localVlan)} ⇄ provider VLAN ${step.providerVlan === null ? '— (no flow translates it)' : step.providerVlan}; uplinks ${step.uplinks.join(', ') || '—'}`];
      for (const bridge of new Set(step.flows.map((f) => f.bridge))) {
        lines.push(`    flows on ${bridge}:`, ...step.flows.filter((f) => f.bridge === bridge).map(flowLine));
      }
      return lines;
    }
  }
}

function meterLine(m: MeterInfo): string {
  const bands = m.bands.map((b) => `${b.type} ${b.rate} ${m.unit} burst ${b.burst}`).join('; ') || 'no bands';
  return `  meter ${m.meterId} on ${m.bridge} (${m.direction}, ${m.owner}): ${bands}`;
}

function qosLines(q: QosInForce): string[] {
  const lines: string[] = [];
  if (q.policing) lines.push(`  policing (VM egress): ${q.policing.rateKbps} kbps, burst ${q.policing.burstKb} kb (${q.policing.owner})`);
  if (q.portQos) {
    const cfg = Object.entries(q.portQos.otherConfig).map(([k, v]) => `${k}=${v}`).join(' ');
    lines.push(`  port QoS (VM ingress): ${q.portQos.type} ${cfg} (${q.portQos.owner}${q.portQos.neutronId ? ` ${q.portQos.neutronId}` : ''})`);
    for (const queue of q.portQos.queues) {
      lines.push(`    queue ${queue.queueId}: ${Object.entries(queue.otherConfig).map(([k, v]) => `${k}=${v}`).join(' ') || '—'} (${queue.owner})`);
    }
  }
  lines.push(...q.meters.map(meterLine));
  if (q.queueFlows.length > 0) lines.push('  flows selecting a queue:', ...q.queueFlows.map(flowLine));
  return lines.length > 0 ? lines : ['  none'];
}

function rate(perSecond: InterfaceCounters, key: keyof InterfaceCounters, unit: string, scale = 1): string {
  const v = perSecond[key];
  return v === undefined ? '—' : `${(v * scale).toFixed(v * scale >= 100 ? 0 : 1)} ${unit}`;
}

export function formatExplanation(e: Explanation): string {
  const p = e.port;
  const t = e.tenant;
  const lines = [
    `Port ${p.interface} (matched by ${e.matchedBy} "${e.query}")`,
    `  Neutron port ${orDash(p.neutronPortId)}, VM ${orDash(p.vmUuid)}, MAC ${orDash(p.mac)}, status ${orDash(p.ifaceStatus)}, link ${p.linkUp === null ? '—' : p.linkUp ? 'up' : 'down'}, MTU ${orDash(p.mtu)}`,
    `  network ${t.networkId}${t.networkName ? ` (${t.networkName})` : ''}, project ${t.projectId}, ${orDash(t.networkType)} segment ${orDash(t.segmentationId)}` +
      (t.segmentationFrom ? ` (from ${t.segmentationFrom})` : '') +
      (t.tenancySegmentationId !== null ? ` — tenancy says ${t.tenancySegmentationId}` : '') +
      (t.physicalNetwork ? `, physical network ${t.physicalNetwork}` : ''),
    '',
    'Path (VM → host):',
    `0. VM interface ${p.interface} (${p.type})`,
    ...e.path.flatMap((s, i) => stepLines(s, i + 1)),
    '',
    'QoS in force:',
    ...qosLines(e.qos),
    '',
  ];
  if (e.rates) {
    const r = e.rates.perSecond;
    lines.push(
      `Rates over ${e.rates.intervalSeconds.toFixed(1)} s (rx = from the VM into OVS, tx = towards the VM):`,
      `  rx ${rate(r, 'rx_bytes', 'bit/s', 8)} ${rate(r, 'rx_packets', 'pkt/s')}, dropped ${rate(r, 'rx_dropped', '/s')}, errors ${rate(r, 'rx_errors', '/s')}`,
      `  tx ${rate(r, 'tx_bytes', 'bit/s', 8)} ${rate(r, 'tx_packets', 'pkt/s')}, dropped ${rate(r, 'tx_dropped', '/s')}, errors ${rate(r, 'tx_errors', '/s')}`,
    );
  } else {
    lines.push(`Rates: unavailable (${orDash(e.ratesNote)})`);
  }
  const c = e.counters;
  lines.push(`Totals: rx ${orDash(c.rx_packets)} pkts, ${orDash(c.rx_dropped)} dropped, ${orDash(c.rx_errors)} errors; tx ${orDash(c.tx_packets)} pkts, ${orDash(c.tx_dropped)} dropped, ${orDash(c.tx_errors)} errors`);
  if (e.trace) lines.push('', `Datapath actions (ofproto/trace ${e.trace.flow}):`, `  ${e.trace.datapathActions || '—'}`);
  if (e.warnings.length > 0) lines.push('', 'Warnings:', ...e.warnings.map((w) => `  ${w}`));
  return `${lines.join('\n')}\n`;
}
