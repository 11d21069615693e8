/**
 * OpenFlow 1.3 - 1.5 wire constants (ONF TS-006 1.3.5 §7, TS-024 1.4.1, TS-025 1.5.1) and the
 * Open vSwitch (Nicira) extension numbers OVS 3.1 sends (include/openflow/nicira-ext.h).
 */

/** Wire versions: the `version` byte of every OpenFlow header. */
export const OFP13 = 0x04;
export const OFP14 = 0x05;
export const OFP15 = 0x06;
export type OfVersion = typeof OFP13 | typeof OFP14 | typeof OFP15;
export const SUPPORTED_VERSIONS: readonly OfVersion[] = [OFP13, OFP14, OFP15];

export function versionName(version: number): string {
  return `OpenFlow1${version - 1}`;
}

export const HEADER_LEN = 8;

/** ofp_type (same numbers in 1.3, 1.4 and 1.5 for every type used here). */
export const MsgType = {
  HELLO: 0,
  ERROR: 1,
  ECHO_REQUEST: 2,
  ECHO_REPLY: 3,
  EXPERIMENTER: 4,
  FEATURES_REQUEST: 5,
  FEATURES_REPLY: 6,
  FLOW_MOD: 14,
  MULTIPART_REQUEST: 18,
  MULTIPART_REPLY: 19,
  BARRIER_REQUEST: 20,
  BARRIER_REPLY: 21,
  METER_MOD: 29,
} as const;

/** ofp_multipart_type. OF1.5 renamed FLOW to FLOW_DESC and METER_CONFIG to METER_DESC. */
export const MultipartType = {
  DESC: 0,
  FLOW: 1,
  AGGREGATE: 2,
  TABLE: 3,
  PORT_STATS: 4,
  QUEUE_STATS: 5,
  GROUP: 6,
  GROUP_DESC: 7,
  METER: 9,
  METER_CONFIG: 10,
  PORT_DESC: 13,
} as const;

export const MULTIPART_REPLY_MORE = 1;
export const MULTIPART_HEADER_LEN = HEADER_LEN + 8;

/** Reserved port numbers (ofp_port_no). */
export const OFPP_MAX = 0xffffff00;
export const OFPP_IN_PORT = 0xfffffff8;
export const OFPP_TABLE = 0xfffffff9;
export const OFPP_NORMAL = 0xfffffffa;
export const OFPP_FLOOD = 0xfffffffb;
export const OFPP_ALL = 0xfffffffc;
export const OFPP_CONTROLLER = 0xfffffffd;
export const OFPP_LOCAL = 0xfffffffe;
export const OFPP_ANY = 0xffffffff;

export const OFPG_ALL = 0xfffffffc;
export const OFPG_ANY = 0xffffffff;
export const OFPQ_ALL = 0xffffffff;
export const OFPM_ALL = 0xffffffff;
export const OFPTT_ALL = 0xff;
export const OFP_NO_BUFFER = 0xffffffff;

/** OXM_OF_VLAN_VID carries this bit when a VLAN header is present (OF1.3 §7.2.3.8). */
export const OFPVID_PRESENT = 0x1000;

/** Hello element: version bitmap (OF1.3 §7.5.1). */
export const HELLO_ELEM_VERSIONBITMAP = 1;

/** Experimenter ids. */
export const NX_VENDOR_ID = 0x00002320;
export const ONF_VENDOR_ID = 0x4f4e4600;

/** ofp_error_type names, for error messages (OF1.3 §7.4.4, OF1.4 adds 14-17). */
export const ERROR_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'HELLO_FAILED',
  1: 'BAD_REQUEST',
  2: 'BAD_ACTION',
  3: 'BAD_INSTRUCTION',
  4: 'BAD_MATCH',
  5: 'FLOW_MOD_FAILED',
  6: 'GROUP_MOD_FAILED',
  7: 'PORT_MOD_FAILED',
  8: 'TABLE_MOD_FAILED',
  9: 'QUEUE_OP_FAILED',
  10: 'SWITCH_CONFIG_FAILED',
  11: 'ROLE_REQUEST_FAILED',
  12: 'METER_MOD_FAILED',
  13: 'TABLE_FEATURES_FAILED',
  14: 'BAD_PROPERTY',
  15: 'ASYNC_CONFIG_FAILED',
  16: 'FLOW_MONITOR_FAILED',
  17: 'BUNDLE_FAILED',
  0xffff: 'EXPERIMENTER',
};

export const OFPET_HELLO_FAILED = 0;
export const OFPHFC_INCOMPATIBLE = 0;
