/** Flow telemetry health: is the sampled-flow picture complete, and are the exports delivered. */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { buildBoard } from '../panels/board.js';
import { exporterAge, exporterBuffer, exporterDelivery, seriesGuard } from '../panels/exporters.js';
import { attributions } from '../panels/flows.js';
import { ipfixDecodeErrors, ipfixLossRatio, ipfixMessages, ipfixTemplates, samplingRates } from '../panels/ipfix.js';
import { BOARDS } from '../panels/links.js';
import {
  effectiveSamplingRate,
  flowOutput,
  sflowDatagrams,
  sflowDecodeErrors,
  sflowLossRatio,
  sflowLostSamples,
  sflowSamples,
  sflowSequenceAnomalies,
  sflowSkipped,
  sflowTracking,
  udpListener,
  udpListenerUp,
} from '../panels/sflow.js';
import { agentVariable, datasourceVariable, hostVariable, VAR } from '../panels/variables.js';

export function flowHealth(): Dashboard {
  const host = { host: VAR.host };
  const agents = { host: VAR.host, agent: VAR.agent };
  return buildBoard({
    board: BOARDS.flows,
    description: 'sFlow datagrams and samples per agent, IPFIX/NetFlow messages per exporter, loss from sequence gaps, decode errors, templates, sampling rates, the collector\'s listeners and caps, and the push exporters.',
    variables: [datasourceVariable(), hostVariable(true), agentVariable()],
    rows: [
      {
        title: 'sFlow',
        panels: [udpListenerUp(host), effectiveSamplingRate(host), sflowDatagrams(agents), sflowSamples(agents), sflowLossRatio(agents), sflowLostSamples(agents), sflowSequenceAnomalies(agents), sflowDecodeErrors(agents), sflowSkipped(host)],
      },
      { title: 'IPFIX / NetFlow', panels: [ipfixMessages(host), ipfixLossRatio(host), ipfixTemplates(host), ipfixDecodeErrors(host), samplingRates(host)] },
      { title: 'Collector', panels: [udpListener(host), sflowTracking(host), attributions(host), flowOutput(host)] },
      { title: 'Exporters', panels: [exporterDelivery(host), exporterBuffer(host), exporterAge(host), seriesGuard(host)] },
    ],
  });
}
