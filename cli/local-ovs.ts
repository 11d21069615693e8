/**
 * The OVS a command reads or drives on this host. What the config names wins; without an OVSDB
 * endpoint it is the lab's (its OVSDB, run directory and tenancy, which stands in for Neutron's
 * API there) when a lab is up, else the system's. An explicit endpoint never picks up a lab's
 * mapping or run directory: ovs-vswitchd's sockets are then looked for beside a unix: endpoint
 * (ovs-vswitchd and ovsdb-server share a run directory), else in the system's.
 */
import { dirname } from 'node:path';
import type { z } from 'zod';
import type { ovsdbTlsFiles } from '../common/config-fields.js';
import { parseEndpoint, type TlsFiles } from '../collector/ovsdb/endpoint.js';
import { loadMappingFile, TenancyMapping } from '../collector/tenancy/mapping-file.js';
import { readLabState, type LabState } from '../lab/state.js';

const SYSTEM_RUNDIR = '/var/run/openvswitch';
const SYSTEM_OVSDB = `unix:${SYSTEM_RUNDIR}/db.sock`;

export interface LocalOvsSettings {
  readonly ovsdbEndpoint: string | undefined;
  readonly mappingFile: string | undefined;
  readonly rundir: string | undefined;
}

export interface LocalOvs {
  readonly endpoint: string;
  /** ovs-vswitchd's run directory (<rundir>/<bridge>.mgmt, ovs-vswitchd.pid). */
  readonly rundir: string;
  readonly mapping: TenancyMapping;
  /** Where the endpoint came from when the config named none: `system` or `lab DIR`. */
  readonly defaultedFrom: string | undefined;
  /** What the tenancy mapping is, for status pages: the file, `from the lab` or `none`. */
  readonly mappingFrom: string;
}

/** The lab's networks and projects as a tenancy mapping (Neutron's API stands in for it there). */
export function labTenancyMapping(lab: LabState): TenancyMapping {
  const networks = lab.networks.map((n) => ({
    id: n.id,
    project_id: n.project_id,
    name: n.name,
    network_type: n.network_type,
    segmentation_id: n.segmentation_id,
  }));
  return TenancyMapping.fromInput({ networks });
}

export function resolveLocalOvs(settings: LocalOvsSettings): LocalOvs {
  const lab = settings.ovsdbEndpoint === undefined ? readLabState() : null;
  const endpoint = settings.ovsdbEndpoint ?? lab?.ovsdb ?? SYSTEM_OVSDB;
  const parsed = parseEndpoint(endpoint);
  const fromLab = settings.mappingFile === undefined && lab !== null;
  return {
    endpoint,
    rundir: settings.rundir ?? lab?.rundir ?? (parsed.kind === 'unix' ? dirname(parsed.path) : SYSTEM_RUNDIR),
    mapping: settings.mappingFile !== undefined ? loadMappingFile(settings.mappingFile) : lab !== null ? labTenancyMapping(lab) : TenancyMapping.empty(),
    defaultedFrom: settings.ovsdbEndpoint !== undefined ? undefined : lab !== null ? `lab ${lab.rundir}` : 'system',
    mappingFrom: settings.mappingFile ?? (fromLab ? 'from the lab' : 'none'),
  };
}

/** The OVSDB client's TLS files from a config's `tls:` key (SSL endpoints). */
export function ovsdbTls(tls: z.infer<typeof ovsdbTlsFiles> | undefined): TlsFiles | undefined {
  return tls && { privateKey: tls.private_key, certificate: tls.certificate, caCert: tls.ca_cert };
}
