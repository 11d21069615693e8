/**
 * Keys this exporter adds to the collector config's `web:` section (a fragment for
 * common/config.ts: spread into the existing strictObject).
 */
import { z } from 'zod';

export const WEB_HARDENING_DEFAULTS = {
  /** Above the largest families seen in practice (10,000 interfaces: 10,000 series per family). */
  max_series_per_family: 50_000,
};

export const webHardeningKeys = {
  /** exporter-toolkit web config file: TLS, basic auth (bcrypt), headers. Absent = plain HTTP. */
  config_file: z.string().min(1).optional(),
  /** Cardinality guard: series per metric family and scrape; more are left out and counted. */
  max_series_per_family: z.number().int().min(1).max(100_000_000).default(WEB_HARDENING_DEFAULTS.max_series_per_family),
};
