/**
 * `flows.local_exporters`: which flow exporters are this host's Open vSwitch. Only their
 * interface numbers (sFlow ifIndex, IPFIX ingress/egressInterface, NetFlow v5 OpenFlow ports)
 * are matched against this host's ports; other exporters' records are attributed by VNI,
 * VLAN or MAC (collector/flows/local-exporters.ts).
 */
import { isIP } from 'node:net';
import { z } from 'zod';

/** sFlow: the agent address in the datagram; IPFIX / NetFlow: the UDP source address. */
const address = z.string().refine((a) => isIP(a) !== 0, { error: 'must be an IPv4 or IPv6 address' });
const domain = z.number().int().min(0).max(0xffff_ffff);
const engine = z.number().int().min(0).max(255);

/** One exporter: every key given must match; a bare `protocol` matches every exporter of it. */
export const exporterMatchSchema = z.discriminatedUnion(
  'protocol',
  [
    z.strictObject({ protocol: z.literal('sflow'), address: address.optional() }),
    /** observation_domain_id: the IPFIX observation domain / the NetFlow v9 source id. */
    z.strictObject({ protocol: z.literal('ipfix'), address: address.optional(), observation_domain_id: domain.optional() }),
    z.strictObject({ protocol: z.literal('netflow_v9'), address: address.optional(), observation_domain_id: domain.optional() }),
    z.strictObject({
      protocol: z.literal('netflow_v5'),
      address: address.optional(),
      engine_type: engine.optional(),
      engine_id: engine.optional(),
      /** OVS NetFlow add_id_to_interface: the in/out interface's top 7 bits are the engine id's. */
      add_id_to_interface: z.boolean().default(false),
    }),
  ],
  { error: 'protocol must be sflow, ipfix, netflow_v9 or netflow_v5' },
);

export type ExporterMatch = z.infer<typeof exporterMatchSchema>;

export const LOCAL_EXPORTERS_DEFAULTS = { from_ovsdb: true, exporters: [] };

export const localExportersSchema = z
  .strictObject({
    /** Learn them from this host's OVSDB NetFlow, IPFIX and sFlow rows (README "Which exporters are local"). */
    from_ovsdb: z.boolean().default(true),
    /** More exporters that are this host's OVS (false + [] = no exporter is local). */
    exporters: z.array(exporterMatchSchema).max(1024).default([]),
  })
  .default(LOCAL_EXPORTERS_DEFAULTS);
