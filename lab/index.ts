/** The lab's public API: for the CLI, the tests and the collector (which finds the lab's OVSDB). */
export { labUp, DEFAULT_EXPORTERS, type ExporterOptions, type LabUpOptions } from './up.js';
export { labDown, type LabDownOptions, type LabDownReport } from './down.js';
export { checkTrafficOptions, DEFAULT_TRAFFIC_SECONDS, runTraffic, type TrafficFlow, type TrafficKind, type TrafficOptions, type TrafficReport } from './traffic.js';
export {
  defaultLabDir,
  readLabState,
  readStateFile,
  DEFAULT_LAB_DIR,
  LAB_DIR_ENV,
  type LabAgentPort,
  type LabHost,
  type LabNetwork,
  type LabProject,
  type LabState,
  type LabStateFile,
  type LabVm,
} from './state.js';
export { DEFAULT_PREFIX } from './topology.js';
