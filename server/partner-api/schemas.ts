// Validation of Partner API bodies: each error names its field (server/http/field-rules.ts).
import { fail, text, type FieldRule, type Schema } from '../http/field-rules.ts';

export { validate } from '../http/field-rules.ts';

/** Every Partner API list (records, webhooks, deliveries): 20 by default, 100 at most. */
export const PAGE_SIZES = { defaultSize: 20, maxSize: 100 };

const email: FieldRule = (value, field) => {
  const v = text(254)(value, field) as string;
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v)) fail(field, 'must be an email address');
  return v.toLowerCase();
};

export const CONTACT: Schema = {
  fields: { name: text(200), email, phone: text(40), company: text(200) },
  required: ['name'],
};
