/**
 * The enforcer's file (`ovs-telemetry enforce --config FILE`): where OVS is, the safety limits,
 * the static policies and the Alertmanager mapping rules. Validated strictly (unknown keys
 * rejected), then compiled (compile.ts); the TypeScript types come from this schema.
 *
 * Units follow Neutron's QoS API, so a policy reads like the Neutron rule it stands in for:
 * bandwidth in kbit/s (`max_kbps`, `max_burst_kbps`), packet rate in kpackets/s (`max_kpps`,
 * `max_burst_kpps`). Directions are the VM's: egress = sent by the VM, ingress = towards it.
 */
import { z } from 'zod';
import { listenAddress, ovsdbEndpoint, ovsdbTlsFiles } from '../../common/config-fields.js';

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, 'must be 1-64 letters, digits, _ . : - (starting with a letter or digit)');

/** A number of thousandths at most (kpps down to single packets per second). */
const kpps = z.number().positive().max(100_000_000).multipleOf(0.001, 'at most 3 decimals (1 packet/s)');
const kbps = z.number().int().min(1).max(4_294_967_295);
const burstKbps = z.number().int().min(1).max(4_294_967_295);

const egressBandwidth = z.strictObject({
  max_kbps: kbps,
  /** Default 0.8 × max_kbps, as Neutron's QoS driver. */
  max_burst_kbps: burstKbps.optional(),
  /** policing: Interface.ingress_policing_rate/burst (Neutron's mechanism); meter: an OpenFlow kbps meter. */
  mechanism: z.enum(['policing', 'meter']).default('policing'),
});

const ingressBandwidth = z.strictObject({
  max_kbps: kbps,
  max_burst_kbps: burstKbps.optional(),
  /**
   * htb: Neutron's QoS on Port.qos, a linux-htb QoS with one Queue (on DPDK vhost-user ports an
   * egress-policer QoS, as Neutron does there); meter: an OpenFlow kbps meter.
   */
  mechanism: z.enum(['htb', 'meter']).default('htb'),
});

const packetRate = z.strictObject({
  max_kpps: kpps,
  /** Default 0.8 × max_kpps. */
  max_burst_kpps: kpps.optional(),
});

export const limitsSchema = z
  .strictObject({
    egress: egressBandwidth.optional(),
    ingress: ingressBandwidth.optional(),
    packet_rate: z
      .strictObject({ egress: packetRate.optional(), ingress: packetRate.optional() })
      .refine((p) => p.egress !== undefined || p.ingress !== undefined, 'needs egress or ingress')
      .optional(),
    /** DSCP value written into the IP header of everything the VM sends (0-63). */
    dscp_mark: z.number().int().min(0).max(63).optional(),
  })
  .refine((l) => Object.keys(l).length > 0, 'needs at least one of egress, ingress, packet_rate, dscp_mark');

export const selectorSchema = z
  .strictObject({
    neutron_port_id: z.string().min(1).optional(),
    /** Interface name; `*` and `?` globs. */
    interface: z.string().min(1).optional(),
    network_id: z.string().min(1).optional(),
    project_id: z.string().min(1).optional(),
    bridge: z.string().min(1).optional(),
  })
  .refine((m) => Object.keys(m).length > 0, 'needs at least one of neutron_port_id, interface, network_id, project_id, bridge');

const policySchema = z.strictObject({
  name,
  match: selectorSchema,
  limits: limitsSchema,
});

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };
/** A duration as `90s`, `30m`, `2h`, `1d` (or a number of seconds), in seconds. */
const duration = z
  .union([z.number().int().min(1), z.string().regex(DURATION, 'must be a duration like 90s, 30m, 2h, 1d')])
  .transform((v) => {
    if (typeof v === 'number') return v;
    const [, count, unit] = DURATION.exec(v) as RegExpExecArray;
    return Number(count) * UNIT_SECONDS[unit];
  })
  .refine((s) => s >= 1 && s <= 30 * 86_400, 'must be between 1s and 30d');

/** The alert label that names what to limit. */
export const ALERT_TARGETS = ['neutron_port_id', 'network_id', 'project_id', 'interface'] as const;

const alertMappingSchema = z.strictObject({
  name,
  alertname: z.string().min(1),
  /** Other labels the alert must carry, with these exact values. */
  labels: z.record(z.string().min(1), z.string()).default({}),
  /** Which of the alert's labels names the port, interface, network or project to limit. */
  target: z.enum(ALERT_TARGETS),
  limits: limitsSchema,
  /** The longest the limit stays, even while the alert keeps firing. */
  ttl: duration,
});

const DEFAULT_STATE_DIR = '/var/lib/ovs-telemetry';

export const enforcerConfigSchema = z.strictObject({
  ovsdb: z.strictObject({ endpoint: ovsdbEndpoint.optional(), tls: ovsdbTlsFiles.optional() }).default({}),
  /** Bridges whose VM ports the policies apply to (the integration bridge). */
  bridges: z.array(z.string().min(1)).min(1).default(['br-int']),
  openflow: z
    .strictObject({
      /** Where ovs-vswitchd's BRIDGE.mgmt sockets are; default: the lab's, else beside a unix: OVSDB endpoint, else /var/run/openvswitch. */
      rundir: z.string().min(1).optional(),
      /** How often flows and meters are read back to find drift (OVSDB changes are seen at once). */
      poll_ms: z.number().int().min(100).max(60_000).default(1000),
    })
    .default({ poll_ms: 1000 }),
  /** ML2/OVN: write OVN northbound QoS rows instead of changing the local OVS. */
  ovn: z
    .strictObject({
      northbound: z.strictObject({ endpoint: ovsdbEndpoint, tls: ovsdbTlsFiles.optional() }),
      /** Only ports bound on this host (an Interface with external_ids:iface-id = the logical port). */
      local_ports_only: z.boolean().default(true),
    })
    .optional(),
  tenancy: z.strictObject({ mapping_file: z.string().min(1).optional() }).default({}),
  safety: z
    .strictObject({
      /** No limit goes below these. */
      floor: z
        .strictObject({ max_kbps: kbps.default(1000), max_kpps: kpps.default(1) })
        .default({ max_kbps: 1000, max_kpps: 1 }),
      /** Changes to OVS per minute (sliding); more wait for the next minute. */
      max_changes_per_minute: z.number().int().min(1).max(1_000_000).default(600),
    })
    .default({ floor: { max_kbps: 1000, max_kpps: 1 }, max_changes_per_minute: 600 }),
  /** Where the audit log (JSON lines) and the alert-action state file live. */
  state_dir: z.string().min(1).default(DEFAULT_STATE_DIR),
  audit: z.strictObject({ path: z.string().min(1).optional() }).default({}),
  /** The webhook and the enforcer's own /metrics and /healthz. */
  web: z
    .strictObject({
      listen_address: listenAddress.default('127.0.0.1:9478'),
      /** exporter-toolkit web config (TLS, basic auth on every path, headers); absent = plain HTTP. */
      config_file: z.string().min(1).optional(),
      /** Largest webhook body accepted. */
      max_body_bytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
    })
    .default({ listen_address: '127.0.0.1:9478', max_body_bytes: 1024 * 1024 }),
  webhook: z
    .strictObject({
      /** What Alertmanager's http_config sends: a bearer token (file or inline) or basic auth. */
      auth: z
        .strictObject({
          bearer_token: z.string().min(16, 'must be at least 16 characters').optional(),
          bearer_token_file: z.string().min(1).optional(),
          /** user: bcrypt hash, as in the exporter-toolkit web config. */
          basic_auth_users: z.record(z.string().min(1), z.string().regex(/^\$2[aby]\$\d\d\$.{53}$/, 'must be a bcrypt hash')).optional(),
        })
        .refine((a) => a.bearer_token !== undefined || a.bearer_token_file !== undefined || a.basic_auth_users !== undefined,
          'needs bearer_token, bearer_token_file or basic_auth_users')
        .refine((a) => a.bearer_token === undefined || a.bearer_token_file === undefined, 'bearer_token and bearer_token_file are exclusive'),
    })
    .optional(),
  policies: z.array(policySchema).default([]),
  alerts: z.array(alertMappingSchema).default([]),
  log: z
    .strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
    .default({ level: 'info' }),
});

export type EnforcerConfig = z.infer<typeof enforcerConfigSchema>;
export type EnforcerConfigInput = z.input<typeof enforcerConfigSchema>;
export type LimitsInput = z.infer<typeof limitsSchema>;
export type SelectorInput = z.infer<typeof selectorSchema>;
export type AlertMappingInput = z.infer<typeof alertMappingSchema>;
