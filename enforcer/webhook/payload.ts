/**
 * Alertmanager's webhook payload, version 4 (alertmanager notify/webhook: Message with
 * template.Data). Fields Alertmanager may add later are tolerated; the ones the enforcer reads
 * are checked, and anything else that is wrong is a 400 naming the field.
 */
import { z } from 'zod';

/** A payload with more alerts than this is refused (Alertmanager's max_alerts caps what it sends). */
export const MAX_ALERTS = 1000;

const labels = z.record(z.string(), z.string());

const alertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels,
  annotations: labels.default({}),
  startsAt: z.string().min(1),
  endsAt: z.string().default(''),
  generatorURL: z.string().default(''),
  fingerprint: z.string().min(1),
});

export const webhookPayloadSchema = z.object({
  version: z.literal('4', { error: 'must be "4" (Alertmanager webhook payload version 4)' }),
  groupKey: z.string().default(''),
  truncatedAlerts: z.number().int().min(0).default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().default(''),
  groupLabels: labels.default({}),
  commonLabels: labels.default({}),
  commonAnnotations: labels.default({}),
  externalURL: z.string().default(''),
  alerts: z.array(alertSchema).max(MAX_ALERTS),
});

export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;
export type WebhookAlert = WebhookPayload['alerts'][number];

/** The payload, or why it is malformed ("alerts.0.status: ..."). */
export function parsePayload(body: string): { ok: true; payload: WebhookPayload } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  const result = webhookPayloadSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { ok: false, error: `${issue.path.length > 0 ? issue.path.join('.') : '(body)'}: ${issue.message}` };
  }
  return { ok: true, payload: result.data };
}
