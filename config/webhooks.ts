// Webhook event types: what a webhook may subscribe to, and what each one tells. Payloads carry ids,
// never a credential's value. The docs' event table is generated from this list. Latchkey's own
// events (credentials and security) are always there; the contact events come with the Partner API
// demo (LATCHKEY_PARTNER_API), and are left out without it.
import { PARTNER_API_ENABLED } from './scopes.ts';

export interface WebhookEventType {
  readonly type: string;
  /** When it is sent, in a line for the docs. */
  readonly when: string;
  /**
   * What the event reveals, as the scope a credential must hold to subscribe a webhook to it, or to
   * act on a webhook that hears it (server/authority).
   */
  readonly scope: string;
  /** An event of the Partner API demo: not offered with LATCHKEY_PARTNER_API=off. */
  readonly partnerApi?: boolean;
}

export const WEBHOOK_EVENT_TYPES = [
  { type: 'contact.created', scope: 'read:contacts', partnerApi: true, when: 'A contact was created through the Partner API.' },
  { type: 'contact.updated', scope: 'read:contacts', partnerApi: true, when: 'A contact was changed through the Partner API.' },
  { type: 'contact.deleted', scope: 'read:contacts', partnerApi: true, when: 'A contact was deleted through the Partner API.' },
  { type: 'api_key.exposed', scope: 'read:api_keys', when: 'An API key was seen in a URL or reported leaked; it is already revoked.' },
  { type: 'api_key.revoked', scope: 'read:api_keys', when: 'An API key was revoked (by a user, a credential, the CLI, or as exposed).' },
  { type: 'api_key.rolled', scope: 'read:api_keys', when: 'An API key was rolled: a new key replaces it, the old one lives for the overlap.' },
  { type: 'client_secret.exposed', scope: 'read:clients', when: 'A client secret was reported leaked; it no longer works.' },
  {
    type: 'credential.leak_reported',
    scope: 'read:clients',
    when: 'A credential that no longer works (revoked, expired, rolled, spent) was reported leaked: nothing was revoked, but find where it leaked from. At most once a day per credential.',
  },
  { type: 'client_secret.rotated', scope: 'read:clients', when: 'A client secret was rotated: a new secret, the old one lives for the overlap.' },
  { type: 'refresh_token.reuse_detected', scope: 'read:clients', when: 'A spent refresh token was presented again: the whole grant was revoked.' },
  { type: 'connected_app.revoked', scope: 'read:clients', when: 'A user revoked an app\'s access under Connected apps.' },
] as const satisfies readonly WebhookEventType[];

export type WebhookEventTypeName = typeof WEBHOOK_EVENT_TYPES[number]['type'];

export const WEBHOOK_EVENT_NAMES: readonly string[] = WEBHOOK_EVENT_TYPES.map((e) => e.type);

/** The events a webhook may hear on this server: the contact ones only with the Partner API. */
export function availableEvents(partnerApi = PARTNER_API_ENABLED): readonly WebhookEventType[] {
  return WEBHOOK_EVENT_TYPES.filter((e: WebhookEventType) => partnerApi || !e.partnerApi);
}

export function availableEventNames(partnerApi = PARTNER_API_ENABLED): string[] {
  return availableEvents(partnerApi).map((e) => e.type);
}

/**
 * The event "Send a test event" sends: to the one webhook it names (`data.webhook_id`), whatever it
 * hears. Nothing subscribes to it; it tells nothing.
 */
export const TEST_EVENT_TYPE = 'webhook.test';

/** The scopes a webhook hearing `events` reveals: what a credential must hold to make or act on it. */
export function scopesRevealedBy(events: readonly string[]): string[] {
  return [...new Set(WEBHOOK_EVENT_TYPES.filter((e) => events.includes(e.type)).map((e) => e.scope))];
}
