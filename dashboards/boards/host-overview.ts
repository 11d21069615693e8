/** Host overview: is OVS healthy on this hypervisor, how busy are its datapath and interfaces. */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { buildBoard } from '../panels/board.js';
import { bridgesAndInterfaces, collectorsHealthy, ovsdbReconnects, ovsUp, scrapeDuration, versions } from '../panels/health.js';
import { interfaceRates, interfaceTable, linksDown } from '../panels/interfaces.js';
import { BOARDS } from '../panels/links.js';
import { projectTraffic } from '../panels/networks.js';
import { datasourceVariable, hostVariable, interfaceVariable, VAR } from '../panels/variables.js';

export function hostOverview(): Dashboard {
  const host = { host: VAR.host };
  const interfaces = { host: VAR.host, interface: VAR.interface };
  return buildBoard({
    board: BOARDS.host,
    description: 'One hypervisor\'s Open vSwitch: OVSDB and collector health, interfaces (traffic, drops, errors, link state) and the tenant traffic they carry.',
    variables: [datasourceVariable(), hostVariable(false), interfaceVariable(false)],
    rows: [
      { title: 'Health', panels: [ovsUp(host), collectorsHealthy(host), versions(host), bridgesAndInterfaces(host), linksDown(host), ovsdbReconnects(host), scrapeDuration(host), projectTraffic(host)] },
      {
        title: 'Interfaces',
        panels: [interfaceRates('traffic', interfaces), interfaceRates('packets', interfaces), interfaceRates('drops', interfaces), interfaceRates('errors', interfaces), interfaceTable(interfaces)],
      },
    ],
  });
}
