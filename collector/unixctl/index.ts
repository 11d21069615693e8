/** Public surface of the unixctl (ovs-appctl) client and its output parsers. */
export { UnixctlClient, findControlSocket, type UnixctlOptions } from './client.js';
export type { Parsed } from './lines.js';
export { parseBondShow, type Bond, type BondMember } from './bond.js';
export { parseCoverageShow, type Coverage, type CoverageCounter } from './coverage.js';
export { parseDpctlShow, type DpctlDatapath, type DpctlPort } from './dpctl-show.js';
export { parseDpifShow, type DpifBridge, type DpifDatapath, type DpifPort } from './dpif-show.js';
export { parseMemoryShow } from './memory.js';
export { parsePmdStatsShow, type PmdThread } from './pmd-stats.js';
export { parseUpcallShow, type UpcallDatapath } from './upcall.js';
