// Client ID Metadata Documents (LATCHKEY_CLIENT_ID_METADATA=on; docs/agents.md): a client_id that is
// an https URL names the document describing the client, which oidc-provider fetches (through our
// `fetch` hook: server/http/outbound-fetch.ts), caches and never stores. We add what registration
// does: Latchkey's own metadata refused in a document and then set by us (the operator account, live,
// the scopes its type allows), the name and redirect URIs checked as a registration's, blocked hosts
// refused before any fetch and on every use, and each client recorded as seen (server/agents/).
// Such a client is unverified until the operator verifies it (server/oidc/tier.ts).
import Provider, { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { LIFETIMES } from '../../config/lifetimes.ts';
import { LIMITS } from '../../config/limits.ts';
import { parseScopeList } from '../../config/scopes.ts';
import { redirectHostOf, type AgentRegistry } from '../agents/registry.ts';
import { checkName, checkRedirectUris, isDeviceRedirect } from '../clients/input.ts';
import { AGENT_PROPERTY } from './client-metadata.ts';
import { LATCHKEY_PROPERTY, asValidation, registrableScopes } from './registration.ts';

export const METADATA_DOCUMENT_SOURCE = 'metadata_document';

/** A client id that names a metadata document (oidc-provider accepts no other form: https). */
export function isMetadataDocumentId(clientId: unknown): clientId is string {
  return typeof clientId === 'string' && clientId.startsWith('https://');
}

const typeOf = (metadata: Record<string, unknown>) => (metadata.token_endpoint_auth_method === 'none' ? 'public' : 'web');

/**
 * For oidc-provider's extraClientMetadata validator, on a client built from a metadata document:
 * refuses Latchkey's own properties in the document, then sets them. The validator runs for each
 * extra property in turn; this runs once, on the first.
 */
export function describeDocumentClient(metadata: Record<string, unknown>, operatorAccountId: string, ctx: object | undefined): void {
  // The document as fetched (oidc-provider keeps only the properties it knows), then as parsed.
  const ours = (ctx ? latchkeyProperties.get(ctx) : undefined)
    ?? Object.keys(metadata).find((key) => LATCHKEY_PROPERTY.test(key) && metadata[key] !== undefined);
  if (ours) throw new errors.InvalidClientMetadata(`${ours} is Latchkey's own client metadata and cannot be in a client ID metadata document`);
  const type = typeOf(metadata);
  const asked = parseScopeList(typeof metadata.scope === 'string' ? metadata.scope : undefined);
  const allowed = registrableScopes(type, asked);
  const redirectUris = Array.isArray(metadata.redirect_uris) ? metadata.redirect_uris.map(String) : [];
  Object.assign(metadata, {
    'urn:latchkey:account_id': operatorAccountId,
    'urn:latchkey:environment': 'live',
    'urn:latchkey:allowed_scopes': allowed.join(' '),
    [AGENT_PROPERTY]: METADATA_DOCUMENT_SOURCE,
    // As for a registered public client: a loopback port may vary only for a native app.
    ...(type === 'public' && redirectUris.length > 0 && redirectUris.every(isDeviceRedirect) ? { application_type: 'native' } : {}),
  });
  // oidc-provider checks `scope` against its own (OpenID) scopes only; ours are checked per resource.
  delete metadata.scope;
}

function blockedHostError(host: string): errors.InvalidClient {
  return new errors.InvalidClient(`apps from ${host} are blocked by this server's operator`);
}

/** Counts a fetch for a network address; the seconds to wait when over the limit (server/limits/metadata-documents.ts). */
export type FetchLimit = (address: string) => Promise<number | undefined>;

export function metadataDocumentFeature(enabled: boolean, agents: AgentRegistry | undefined, countFetch: FetchLimit) {
  return {
    enabled: enabled && agents !== undefined,
    ack: 'draft-02',
    async allowFetch(ctx: KoaContextWithOIDC, clientId: string): Promise<boolean> {
      const host = new URL(clientId).hostname;
      if (await agents!.isBlocked(host)) throw blockedHostError(host);
      const wait = await countFetch(ctx.ip);
      if (wait !== undefined) {
        throw new errors.TemporarilyUnavailable(`too many client ID metadata documents fetched for this network address; retry in ${wait} seconds`);
      }
      return true;
    },
    // On every use (a cached document too), so a block or a check holds at once.
    async allowClient(_ctx: KoaContextWithOIDC, client: { clientId: string; metadata(): Record<string, unknown> }): Promise<boolean> {
      const metadata = client.metadata();
      const type = typeOf(metadata);
      const redirectUris = Array.isArray(metadata.redirect_uris) ? metadata.redirect_uris.map(String) : [];
      const name = typeof metadata.client_name === 'string' ? metadata.client_name : '';
      asValidation(() => checkName(name));
      asValidation(() => checkRedirectUris(redirectUris, type));
      const host = new URL(client.clientId).hostname;
      const blocked = await agents!.blockedAmong([host, ...redirectUris.map(redirectHostOf)]);
      if (blocked) throw blockedHostError(blocked);
      await agents!.see({ id: client.clientId, source: METADATA_DOCUMENT_SOURCE, name, type, host, redirectUris });
      return true;
    },
    cacheDuration: { min: LIFETIMES.metadataDocumentCacheMin, max: LIFETIMES.metadataDocumentCacheMax },
  };
}

/** oidc-provider's one description for every failed fetch of a document. */
const FETCH_FAILED = 'client_id metadata document fetch failed';
/** What went wrong with this request's fetch, noted by documentFetch: added to that description. */
const fetchFailures = new WeakMap<object, string>();
/** A property of ours found in this request's fetched document (any `urn:latchkey:` name, known or not). */
const latchkeyProperties = new WeakMap<object, string>();
/** Read at most this much of any answer (oidc-provider applies the per-purpose limits after). */
const READ_AT_MOST = 64 * 1024;

function noteFailure(reason: string): void {
  const ctx = Provider.ctx;
  if (ctx && !fetchFailures.has(ctx)) fetchFailures.set(ctx, reason);
}

/** The body, up to `limit` bytes and one more (to tell that it is longer). */
async function readBounded(response: Response, limit: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of (response.body ?? []) as AsyncIterable<Uint8Array>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > limit) {
      await response.body?.cancel().catch(() => undefined);
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, limit + 1);
}

/**
 * Wraps the outbound fetch so that a document that cannot be used says why (oidc-provider answers
 * every failure alike): its server's status, its size, not JSON, or an address our rules refuse
 * (in words that tell nothing of what an internal name resolves to).
 */
export function documentFetch(fetch: NonNullable<Configuration['fetch']>): NonNullable<Configuration['fetch']> {
  return async (input, init) => {
    let response: Response;
    try {
      response = await fetch(input, init);
    } catch (err) {
      noteFailure(unreachable(err as Error & { code?: string }));
      throw err;
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      noteFailure(`its server answered ${response.status}`);
      return new Response(null, { status: response.status, headers: response.headers });
    }
    const body = await readBounded(response, READ_AT_MOST);
    if (body.length > LIMITS.metadataDocumentMaxBytes) noteFailure(`the document is larger than ${LIMITS.metadataDocumentMaxBytes} bytes`);
    else noteDocument(body);
    return new Response(body, { status: 200, headers: response.headers });
  };
}

/** Why the document's server was not reached, in words that tell nothing of internal names. */
function unreachable(err: Error & { code?: string }): string {
  if (err.message.startsWith('outbound request refused')) return 'its URL must be https on a host that resolves to public internet addresses';
  if (err.name === 'TimeoutError' || err.name === 'AbortError' || /no answer within/.test(err.message)) return 'its server did not answer in time';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(err.code ?? '')) return 'its TLS certificate is not trusted';
  return 'its server could not be reached';
}

/** Notes a body that is not JSON, or a property of ours in it: describeDocumentClient refuses that. */
function noteDocument(body: Uint8Array): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    noteFailure('the document is not JSON');
    return;
  }
  const ours = parsed && typeof parsed === 'object' ? Object.keys(parsed).find((key) => LATCHKEY_PROPERTY.test(key)) : undefined;
  const ctx = Provider.ctx;
  if (ours && ctx) latchkeyProperties.set(ctx, ours);
}

/** An error answer with the failed fetch's reason, when this request noted one. */
export function explainFetchFailure<T extends { error_description?: string | undefined }>(ctx: object, out: T): T {
  const reason = fetchFailures.get(ctx);
  return reason && out.error_description === FETCH_FAILED ? { ...out, error_description: `${FETCH_FAILED}: ${reason}` } : out;
}
