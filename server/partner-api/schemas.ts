// The Partner API's request bodies (zod, read by server/http/schema.ts parseBody): each refusal names its field.
import { z } from 'zod';
import { emailAddress, partialUpdate, trimmedText } from '../http/schema.ts';

/** Every Partner API list (records, webhooks, deliveries): 20 by default, 100 at most. */
export const PAGE_SIZES = { defaultSize: 20, maxSize: 100 };

/** A new contact. */
export const CONTACT = z.strictObject({
  name: trimmedText('name', 200),
  email: emailAddress('email').optional(),
  phone: trimmedText('phone', 40).optional(),
  company: trimmedText('company', 200).optional(),
}).meta({ id: 'ContactInput' });

/** A change to a contact: any of its fields; null clears an optional one. */
export const CONTACT_CHANGES = partialUpdate(CONTACT, ['name']).meta({ id: 'ContactChanges' });
