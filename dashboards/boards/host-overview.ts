/**
 * Host overview: is OVS healthy on this hypervisor, how its datapath copes (hits, misses, lost
 * upcalls, flows, threads, memory), how busy its interfaces and OpenFlow tables are.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { buildBoard } from '../panels/board.js';
import {
  coverageEvents,
  daemonMemory,
  datapathFlows,
  datapathHitRatio,
  datapathLookups,
  lostUpcalls,
  pmdLoad,
  pmdLookupPath,
  pollerHealth,
  pollersOk,
  revalidatorDump,
} from '../panels/datapath.js';
import { bridgesAndInterfaces, collectorsHealthy, ovsdbReconnects, ovsUp, scrapeDuration, versions } from '../panels/health.js';
import { interfaceRates, interfaceTable, linksDown } from '../panels/interfaces.js';
import { BOARDS } from '../panels/links.js';
import { projectTraffic } from '../panels/networks.js';
import { busiestCookies, meterDrops, openflowPorts, tableFlows, tableMisses } from '../panels/openflow.js';
import { datasourceVariable, hostVariable, interfaceVariable, VAR } from '../panels/variables.js';

export function hostOverview(): Dashboard {
  const host = { host: VAR.host };
  const interfaces = { host: VAR.host, interface: VAR.interface };
  return buildBoard({
    board: BOARDS.host,
    description: 'One hypervisor\'s Open vSwitch: OVSDB, collector and poller health, the datapath (hits, misses, lost upcalls, flows, threads, memory), interfaces (traffic, drops, errors, link state) and OpenFlow tables.',
    variables: [datasourceVariable(), hostVariable(false), interfaceVariable(false)],
    rows: [
      {
        title: 'Health',
        panels: [ovsUp(host), collectorsHealthy(host), pollersOk(host), versions(host), linksDown(host), ovsdbReconnects(host), scrapeDuration(host), pollerHealth(host), projectTraffic(host), bridgesAndInterfaces(host)],
      },
      {
        title: 'Datapath',
        panels: [datapathLookups(host), datapathFlows(host), datapathHitRatio(host), lostUpcalls(host), revalidatorDump(host), pmdLoad(host), pmdLookupPath(host), daemonMemory(host), coverageEvents(host)],
      },
      {
        title: 'Interfaces',
        panels: [interfaceRates('traffic', interfaces), interfaceRates('packets', interfaces), interfaceRates('drops', interfaces), interfaceRates('errors', interfaces), interfaceTable(interfaces)],
      },
      { title: 'OpenFlow', panels: [tableFlows(host), tableMisses(host), busiestCookies(host), openflowPorts(host), meterDrops(host)] },
    ],
  });
}
