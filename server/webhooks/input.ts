// A webhook's body, whole or partial: where it points (the form of the URL here; where it may point is
// server/http/outbound-url.ts's to decide), which events it hears, and a description.
import { z } from 'zod';
import { availableEventNames } from '../../config/webhooks.ts';
import { partialUpdate, trimmedText } from '../http/schema.ts';

const webhookUrl = trimmedText('url', 2000).superRefine((value, ctx) => {
  const url = URL.parse(value);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) ctx.addIssue({ code: 'custom', message: 'url: must be an https URL' });
  else if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'url: must not contain credentials' });
}).transform((value) => new URL(value).href);

// The names are checked when a body is read: the catalog says which events exist (config/webhooks.ts).
const eventTypes = z.array(z.unknown(), { error: () => `events: must be a non-empty array of: ${availableEventNames().join(', ')}` })
  .superRefine((value, ctx) => {
    const names = availableEventNames();
    if (value.length === 0) ctx.addIssue({ code: 'custom', message: `events: must be a non-empty array of: ${names.join(', ')}` });
    const unknown = value.find((type) => typeof type !== 'string' || !names.includes(type));
    if (unknown !== undefined) ctx.addIssue({ code: 'custom', message: `events: "${(typeof unknown === 'string' ? unknown : JSON.stringify(unknown)).slice(0, 60)}" is not one of: ${names.join(', ')}` });
  })
  .transform((value) => [...new Set(value as string[])])
  .meta({ description: 'Event types (see /docs/webhooks)', items: { type: 'string' } });

/** A new webhook. */
export const WEBHOOK = z.strictObject({
  url: webhookUrl,
  events: eventTypes,
  description: trimmedText('description', 200).optional(),
}).meta({ id: 'WebhookInput' });

/** A change to a webhook: any of its fields; null clears the description. */
export const WEBHOOK_CHANGES = partialUpdate(WEBHOOK, ['url', 'events']).meta({ id: 'WebhookChanges' });
