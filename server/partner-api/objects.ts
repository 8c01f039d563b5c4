// What the Partner API's record routes answer, as zod schemas for the API description: the shape of
// present (routes.ts) for each kind of record.
import { z } from 'zod';
import { timestamp } from '../http/operations.ts';

const recordFields = { id: z.string(), livemode: z.boolean(), created_at: timestamp, updated_at: timestamp };

export const CONTACT_OBJECT = z.looseObject({
  ...recordFields, object: z.literal('contact'), name: z.string(),
  email: z.string().optional(), phone: z.string().optional(), company: z.string().optional(),
}).meta({ id: 'Contact' });

export const EVENT_OBJECT = z.looseObject({ ...recordFields, object: z.literal('event') }).meta({ id: 'Event' });

export const INVOICE_OBJECT = z.looseObject({ ...recordFields, object: z.literal('invoice') }).meta({ id: 'Invoice' });
