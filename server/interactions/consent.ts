// What the consent page shows: who is asking (the app, its homepage, logo and organisation), for
// which account, each permission in plain words, and where the browser goes next.
import type Provider from 'oidc-provider';
import type { Store } from '../../adapters/contract.ts';
import { appIdentity, type AppIdentity } from '../grants/service.ts';
import { hostOf, scopesInWords, type ScopeWords } from '../grants/words.ts';

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

interface PromptDetails {
  missingOIDCScope?: string[];
  missingResourceScopes?: Record<string, string[]>;
}

/** Scopes the consent prompt still needs, without duplicates, by resource. */
export function missingScopes(details: Details): { openid: string[]; resources: Record<string, string[]> } {
  const prompt = details.prompt.details as PromptDetails;
  return { openid: prompt.missingOIDCScope ?? [], resources: prompt.missingResourceScopes ?? {} };
}

function missingScopeNames(details: Details): string[] {
  const { openid, resources } = missingScopes(details);
  return [...new Set([...openid, ...Object.values(resources).flat()])];
}

async function alreadyGranted(provider: Provider, grantId: string | undefined): Promise<string[]> {
  const grant = grantId ? await provider.Grant.find(grantId) : undefined;
  if (!grant) return [];
  const resourceScopes = Object.keys(grant.resources ?? {}).flatMap((r) => (grant.getResourceScope(r) ?? '').split(' '));
  return [...new Set([...(grant.getOIDCScope() ?? '').split(' '), ...resourceScopes])].filter(Boolean);
}

export interface ConsentView {
  readonly app: AppIdentity;
  readonly email: string;
  /** The signed-in user's organisation (their account's name): whose data the app gets. */
  readonly account: string;
  readonly scopes: readonly ScopeWords[];
  readonly alreadyGranted: readonly ScopeWords[];
  readonly redirectHost: string;
  /** The user signed in before this request (a reused session): offer to switch account. */
  readonly sessionReused: boolean;
}

export async function consentView(provider: Provider, store: Store, details: Details): Promise<ConsentView> {
  const accountId = details.session?.accountId;
  const user = accountId ? await store.findUser(accountId) : undefined;
  const account = user ? await store.findAccount(user.accountId) : undefined;
  return {
    app: await appIdentity(store, String(details.params.client_id)),
    email: user?.email ?? '',
    account: account?.name ?? '',
    scopes: scopesInWords(missingScopeNames(details)),
    alreadyGranted: scopesInWords(await alreadyGranted(provider, details.grantId)),
    redirectHost: hostOf(typeof details.params.redirect_uri === 'string' ? details.params.redirect_uri : undefined),
    sessionReused: !details.lastSubmission?.login,
  };
}
