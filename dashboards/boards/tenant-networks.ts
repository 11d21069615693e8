/**
 * Tenant networks: which project, network and port uses the bandwidth (exact counters), who
 * talks to whom and with which protocols (sampled flows), down to one port.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { buildBoard } from '../panels/board.js';
import { protocolMix, sampledByDirection, topTalkers } from '../panels/flows.js';
import { interfaceRates, interfaceTable } from '../panels/interfaces.js';
import { BOARDS } from '../panels/links.js';
import { networkDrops, networkPackets, networkSegments, networkShare, networkSummary, networkTraffic, projectTraffic } from '../panels/networks.js';
import { datasourceVariable, flowSourceVariable, hostVariable, interfaceVariable, networkVariable, projectVariable, VAR } from '../panels/variables.js';

export function tenantNetworks(): Dashboard {
  const host = { host: VAR.host };
  const networks = { host: VAR.host, project_id: VAR.project, network_id: VAR.network };
  const port = { host: VAR.host, interface: VAR.interface };
  const sampled = { ...networks, source: VAR.source };
  return buildBoard({
    board: BOARDS.tenants,
    description: 'Per project and tenant network: traffic and drops from the exact interface counters, share of the host\'s tenant traffic, top talkers and protocol mix from sampled flows (one flow source at a time); the Port row shows the selected interfaces.',
    variables: [datasourceVariable(), hostVariable(true), projectVariable(), networkVariable(), interfaceVariable(true), flowSourceVariable()],
    rows: [
      {
        title: 'Networks',
        panels: [networkSummary(networks), networkTraffic('receive', networks), networkTraffic('transmit', networks), projectTraffic({ host: VAR.host, project_id: VAR.project }), networkShare(networks, host), networkPackets(networks), networkDrops(networks, host), networkSegments(networks)],
      },
      { title: 'Sampled flows', panels: [topTalkers(sampled), protocolMix(sampled), sampledByDirection(sampled)] },
      { title: 'Port', panels: [interfaceTable(port), interfaceRates('traffic', port), interfaceRates('drops', port)] },
    ],
  });
}
