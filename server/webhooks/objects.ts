// What the webhook routes of /v1 and /api/v1 answer, as zod schemas for the API description: the
// shapes of presentWebhook and presentDelivery (service.ts).
import { z } from 'zod';
import { optionalTimestamp, timestamp } from '../http/operations.ts';

export const WEBHOOK_OBJECT = z.looseObject({
  id: z.string(), object: z.literal('webhook'), url: z.string(), events: z.array(z.string()),
  description: z.string().optional(), environment: z.enum(['test', 'live']), livemode: z.boolean(),
  created_at: timestamp, updated_at: timestamp,
}).meta({ id: 'Webhook' });

export const WEBHOOK_WITH_SECRET = WEBHOOK_OBJECT.extend({
  secret: z.string().meta({ description: 'The signing secret (whsec_…), shown this once' }),
}).meta({ id: 'WebhookWithSecret' });

export const DELIVERY = z.looseObject({
  id: z.string(), object: z.literal('webhook_delivery'), webhook_id: z.string(), event_id: z.string(), event_type: z.string(),
  status: z.string(), attempts: z.number().int(), last_status_code: z.number().int().nullable(), last_error: z.string().nullable(),
  last_request: z.unknown(), last_response: z.unknown(), last_attempt_at: optionalTimestamp, next_attempt_at: optionalTimestamp,
  delivered_at: optionalTimestamp, created_at: timestamp,
}).meta({ id: 'WebhookDelivery' });

export const WEBHOOK_TEST = z.object({ object: z.literal('webhook_test'), webhook_id: z.string(), event_id: z.string() }).meta({ id: 'WebhookTest' });
