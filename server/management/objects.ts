// What the management routes answer, as zod schemas for the API description (/openapi.json): the
// shapes of presentKey, presentClient, presentMember and presentInvitation. The test suite checks
// live answers against the published document, so a presenter that changes fails it.
import { z } from 'zod';
import { CLIENT_TYPE_SCOPES, type ClientType } from '../../config/scopes.ts';
import { optionalTimestamp, timestamp } from '../http/operations.ts';

const environment = z.enum(['test', 'live']);
const creations = z.object({ api_keys: z.array(z.string()), clients: z.array(z.string()) })
  .meta({ description: 'What this credential created: it is revoked or disabled with it' });

export const API_KEY = z.looseObject({
  id: z.string(), object: z.literal('api_key'), name: z.string().nullable(), environment, scopes: z.array(z.string()),
  hint: z.string().meta({ description: 'The prefix and last four characters, never the key' }),
  status: z.enum(['active', 'rolled', 'expired', 'revoked']),
  created_at: timestamp, created_by: z.string(), expires_at: optionalTimestamp, last_used_at: optionalTimestamp,
  revoked_at: optionalTimestamp, revoked_reason: z.string().nullable(), replaced_by: z.string().nullable(), replaces: z.string().nullable(),
}).meta({ id: 'ApiKey' });

export const API_KEY_WITH_SECRET = API_KEY.extend({
  key: z.string().meta({ description: 'The key itself, shown this once: sk_test_… or sk_live_…' }),
}).meta({ id: 'ApiKeyWithSecret' });
export const API_KEY_ROLLED = API_KEY_WITH_SECRET.extend({ previous: API_KEY }).meta({ id: 'ApiKeyRolled' });
export const API_KEY_DETAIL = API_KEY.extend({ created: creations }).meta({ id: 'ApiKeyDetail' });

export const AUDIT_EVENT = z.looseObject({
  id: z.string(), object: z.literal('audit_event'), action: z.string(), actor: z.string(), reason: z.string().nullable(), at: timestamp,
}).meta({ id: 'AuditEvent' });

const CLIENT_SECRET_INFO = z.looseObject({
  id: z.string(), last4: z.string(), status: z.enum(['active', 'overlapping', 'revoked', 'expired']),
  created_at: timestamp, expires_at: optionalTimestamp, revoked_at: optionalTimestamp, revoked_reason: z.string().nullable(),
});

export const CLIENT = z.looseObject({
  id: z.string(), object: z.literal('client'), name: z.string(),
  type: z.enum(Object.keys(CLIENT_TYPE_SCOPES) as [ClientType, ...ClientType[]]), environment,
  resource: z.string().optional().meta({ description: 'A resource server\'s API (its catalog resource indicator)' }),
  scopes: z.array(z.string()), redirect_uris: z.array(z.string()), post_logout_redirect_uris: z.array(z.string()),
  homepage_url: z.string().nullable(), logo_url: z.string().nullable(), token_endpoint_auth_method: z.string(),
  created_at: timestamp, created_by: z.string(), updated_at: optionalTimestamp, secrets: z.array(CLIENT_SECRET_INFO),
}).meta({ id: 'Client' });

export const CLIENT_WITH_SECRET = CLIENT.extend({
  client_secret: z.string().optional().meta({ description: 'Shown this once; confidential clients only' }),
}).meta({ id: 'ClientWithSecret' });
export const CLIENT_DETAIL = CLIENT.extend({ created: creations }).meta({ id: 'ClientDetail' });

const role = z.enum(['owner', 'admin', 'developer', 'viewer']);
export const MEMBER = z.looseObject({
  id: z.string(), object: z.literal('member'), email: z.string(), role, two_factor: z.boolean(), email_verified: z.boolean(),
  created_at: z.number().int().meta({ description: 'Seconds since the epoch' }),
}).meta({ id: 'Member' });

export const INVITATION = z.looseObject({
  id: z.string(), object: z.literal('invitation'), email: z.string(), role, invited_by: z.string(),
  created_at: z.number().int(), expires_at: z.number().int(), expired: z.boolean(),
}).meta({ id: 'Invitation' });

export const MEMBER_REMOVED = MEMBER.extend({
  removed: z.literal(true),
  still_working: creations.meta({ description: 'What the member created: it stays with the account and keeps working' }),
}).meta({ id: 'MemberRemoved' });
