// A webhook's body, whole or partial: where it points (the form of the URL here; where it may point is
// server/http/outbound-url.ts's to decide), which events it hears, and a description.
import { availableEventNames } from '../../config/webhooks.ts';
import { fail, text, type FieldRule, type Schema } from '../http/field-rules.ts';

const webhookUrl: FieldRule = (value, field) => {
  const v = text(2000)(value, field) as string;
  const url = URL.parse(v);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) fail(field, 'must be an https URL');
  if (url.username || url.password) fail(field, 'must not contain credentials');
  return url.href;
};

const eventTypes: FieldRule = (value, field) => {
  const names = availableEventNames();
  if (!Array.isArray(value) || value.length === 0) fail(field, `must be a non-empty array of: ${names.join(', ')}`);
  for (const type of value) {
    if (typeof type !== 'string' || !names.includes(type)) fail(field, `"${String(type).slice(0, 60)}" is not one of: ${names.join(', ')}`);
  }
  return [...new Set(value as string[])];
};

export const WEBHOOK: Schema = {
  fields: { url: webhookUrl, events: eventTypes, description: text(200) },
  required: ['url', 'events'],
};
