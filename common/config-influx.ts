/**
 * The `influxdb:` section of the collector's config (schema and defaults);
 * exporters/influx/config.ts turns it into exporter options.
 */
import { z } from 'zod';
import { clientTlsSchema, httpUrl } from './config-fields.js';

// InfluxQL identifiers are quoted by the client; keep names plain so they need no thought.
const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/, 'must be letters, digits, _ . - (starting with a letter or _)');
const duration = z.string().regex(/^(INF|(\d+(ns|u|µ|ms|s|m|h|d|w))+)$/, 'must be an InfluxQL duration such as 7d, 168h or INF');

const RETENTION_DEFAULTS = { duration: '30d', replication: 1, default: true };

export const INFLUX_DEFAULTS = {
  enabled: false,
  url: 'http://127.0.0.1:8086',
  database: 'ovs_telemetry',
  create_database: true,
  interval_seconds: 10,
  timeout_seconds: 10,
  batch_size: 5000,
  max_buffered_points: 500_000,
  backoff: { initial_seconds: 1, max_seconds: 60 },
};

export const influxConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(INFLUX_DEFAULTS.enabled),
    /** The 1.x HTTP API (InfluxDB 2.x/3.x: their 1.x-compatible API). */
    url: httpUrl.default(INFLUX_DEFAULTS.url),
    database: identifier.default(INFLUX_DEFAULTS.database),
    /** Written to; created (with this duration) when missing and create_database is on. */
    retention_policy: z
      .strictObject({
        name: identifier,
        duration: duration.default(RETENTION_DEFAULTS.duration),
        replication: z.number().int().min(1).max(100).default(RETENTION_DEFAULTS.replication),
        /** Make it the database's default policy when creating it. */
        default: z.boolean().default(RETENTION_DEFAULTS.default),
      })
      .optional(),
    /** CREATE DATABASE / RETENTION POLICY when missing (InfluxDB 1.x; turn off for 2.x/3.x). */
    create_database: z.boolean().default(INFLUX_DEFAULTS.create_database),
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    /** InfluxDB 2.x/3.x API token (sent as the password of the 1.x-compatible API). */
    token: z.string().min(1).optional(),
    tls: clientTlsSchema.optional(),
    interval_seconds: z.number().min(1).max(3600).default(INFLUX_DEFAULTS.interval_seconds),
    timeout_seconds: z.number().min(1).max(300).default(INFLUX_DEFAULTS.timeout_seconds),
    batch_size: z.number().int().min(1).max(100_000).default(INFLUX_DEFAULTS.batch_size),
    /** Points held while InfluxDB is unreachable; beyond that the oldest are dropped (and counted). */
    max_buffered_points: z.number().int().min(1).max(100_000_000).default(INFLUX_DEFAULTS.max_buffered_points),
    backoff: z
      .strictObject({
        initial_seconds: z.number().min(0.01).max(3600).default(INFLUX_DEFAULTS.backoff.initial_seconds),
        max_seconds: z.number().min(0.01).max(3600).default(INFLUX_DEFAULTS.backoff.max_seconds),
      })
      .default(INFLUX_DEFAULTS.backoff),
  })
  .refine((c) => c.token === undefined || c.password === undefined, { error: 'set password or token, not both', path: ['token'] })
  .refine((c) => c.max_buffered_points >= c.batch_size, { error: 'must be at least batch_size', path: ['max_buffered_points'] });

export type InfluxConfig = z.infer<typeof influxConfigSchema>;
