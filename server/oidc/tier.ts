// The trust tier of an app nobody registered in the portal (an open registration or a metadata
// document: AGENT_PROPERTY). Checked wherever a grant is made or used (getResourceServerInfo runs at
// the authorization and token endpoints), before the client's own scope rule: a blocked host ends it,
// and an unverified app may ask only for the self-serve scopes. One look-up, for agents only.
import { errors } from 'oidc-provider';
import { SCOPE_NAMES, SELF_SERVE_SCOPE_NAMES, parseScopeList } from '../../config/scopes.ts';
import { redirectHostOf, type AgentRegistry } from '../agents/registry.ts';
import { AGENT_PROPERTY } from './client-metadata.ts';
import { isMetadataDocumentId } from './metadata-documents.ts';
import { metadataOf, named, type ScopeHolder } from './scope-policy.ts';

export interface TierClient extends ScopeHolder {
  readonly clientId: string;
}

/** True when the client is an unverified app (its grants then hold self-serve scopes only). */
export async function applyTier(client: TierClient, requested: string | undefined, agents: AgentRegistry | undefined, scopesDocs: string): Promise<boolean> {
  const metadata = metadataOf(client);
  if (!metadata[AGENT_PROPERTY] || !agents) return false;
  const redirectUris = Array.isArray(metadata.redirect_uris) ? metadata.redirect_uris.map(String) : [];
  const documentHost = isMetadataDocumentId(client.clientId) ? new URL(client.clientId).hostname : undefined;
  const blocked = await agents.blockedAmong([documentHost, ...redirectUris.map(redirectHostOf)]);
  if (blocked) {
    const refused = new errors.InvalidClient(`apps from ${blocked} are blocked by this server's operator`);
    // Never send the user on to the blocked host: the error page says it instead.
    refused.allow_redirect = false;
    throw refused;
  }
  if (await agents.isVerified(client.clientId)) return false;
  for (const scope of parseScopeList(requested)) {
    if (SCOPE_NAMES.has(scope) && !SELF_SERVE_SCOPE_NAMES.has(scope)) {
      throw new errors.InvalidScope(`scope ${named(scope)} is not available to an unverified app: it may ask only for the self-serve scopes listed at ${scopesDocs}`, scope);
    }
  }
  return true;
}
