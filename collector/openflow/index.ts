/** Public surface of the native OpenFlow client (collector pollers and the enforcer import from here). */
export { OpenFlowClient, OpenFlowError, type OpenFlowClientOptions } from './client.js';
export { OpenFlowSession, type OpenFlowSessionOptions } from './session.js';
export { TunnelVlanMap } from './tunnel-map.js';
export { parseTarget, type Target, type TlsFiles } from './transport.js';
export {
  OFP13,
  OFP14,
  OFP15,
  OFPG_ALL,
  OFPM_ALL,
  OFPP_ANY,
  OFPP_CONTROLLER,
  OFPP_IN_PORT,
  OFPP_LOCAL,
  OFPP_NORMAL,
  OFPQ_ALL,
  OFPVID_PRESENT,
  versionName,
  type OfVersion,
} from './constants.js';
export type { Action } from './actions.js';
export type { Instruction } from './instructions.js';
export type { SwitchFeatures } from './messages.js';
export type { FlowMod, FlowModCommand, MeterMod, MeterModCommand } from './mods.js';
export { findField, type Match, type MatchField, type OxmValue } from './oxm.js';
export type {
  AggregateStats,
  FlowStats,
  FlowStatsRequest,
  GroupBucket,
  GroupDesc,
  GroupStats,
  GroupType,
  MeterBand,
  MeterConfig,
  MeterFlag,
  MeterStats,
  PortDesc,
  PortStats,
  QueueStats,
  TableStats,
} from './stats.js';
