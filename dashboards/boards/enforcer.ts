/** Enforcer: what it enforces, what it did and whether it worked, and what drives it. */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { buildBoard } from '../panels/board.js';
import { actionsOverTime, bandwidthAlerts, driftRepairs, enforcerUp, failedActions, lastReconcileAge, policies, policiesOverTime, reconcileTime, skippedPorts } from '../panels/enforcer.js';
import { BOARDS } from '../panels/links.js';
import { meterDrops } from '../panels/openflow.js';
import { datasourceVariable, hostVariable, VAR } from '../panels/variables.js';

export function enforcer(): Dashboard {
  const host = { host: VAR.host };
  return buildBoard({
    board: BOARDS.enforcer,
    description: 'Policies and throttles in force, actions over time with their results, drift repairs, meter drops, and the bandwidth alerts the enforcer acts on.',
    variables: [datasourceVariable(), hostVariable(true)],
    rows: [
      {
        title: 'Enforcer',
        panels: [enforcerUp(host), policies(host), failedActions(host), lastReconcileAge(host), policiesOverTime(host), actionsOverTime(host), driftRepairs(host), reconcileTime(host), skippedPorts(host), meterDrops(host), bandwidthAlerts(host)],
      },
    ],
  });
}
