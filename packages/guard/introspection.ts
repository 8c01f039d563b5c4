// API keys through RFC 7662 introspection at Latchkey, with a short, bounded cache keyed by a
// digest of the key. An active answer is reused for `cacheSeconds` (the bound on how long a
// revocation takes to reach this resource server); an inactive one for at most a second.
import { guardError, RETRY_AFTER_SECONDS, type GuardError } from './errors.ts';
import { keyDigest } from './api-key.ts';
import { scopeSet, type Principal } from './principal.ts';

export interface IntrospectionClientOptions {
  /** `$ISSUER/token/introspection` unless set. */
  endpoint: string;
  clientId: string;
  clientSecret: string;
  /** How long an active answer is reused, in seconds (0: never). */
  cacheSeconds: number;
  /** How long an inactive answer is reused, in seconds; never more than cacheSeconds. */
  negativeCacheSeconds: number;
  /** Most answers kept; the oldest goes first. */
  maxEntries?: number;
  timeoutMs?: number;
  /** Called when Latchkey could not be asked (network, 5xx, our own client refused): for logs. */
  onError?: (error: Error) => void;
}

/** An introspection answer for an API key, as Latchkey sends it to a resource-server client. */
interface ApiKeyIntrospection {
  active: boolean;
  token_type?: string;
  scope?: string;
  account_id?: string;
  env?: string;
  key_id?: string;
  exp?: number;
}

interface Entry {
  /** undefined: Latchkey said inactive. */
  principal: Principal | undefined;
  until: number;
}

function principalOfAnswer(answer: ApiKeyIntrospection): Principal | undefined {
  if (answer.active !== true || answer.token_type !== 'api_key') return undefined;
  const { account_id: accountId, env, key_id: keyId } = answer;
  if (typeof accountId !== 'string' || typeof keyId !== 'string' || (env !== 'test' && env !== 'live')) return undefined;
  return { accountId, environment: env, scopes: scopeSet(answer.scope), credential: { kind: 'api_key', id: keyId } };
}

function basicAuthorization(clientId: string, clientSecret: string): string {
  // RFC 6749 section 2.3.1: each part form-encoded before base64.
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

export function unreachable(): GuardError {
  return guardError('store_unavailable', 'the API key could not be checked with the authorization server; retry shortly', {
    headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
  });
}

export function createIntrospectionClient(options: IntrospectionClientOptions) {
  const maxEntries = options.maxEntries ?? 10_000;
  const entries = new Map<string, Entry>();
  /** One question per key at a time: concurrent requests with one key share the answer. */
  const pending = new Map<string, Promise<Principal | undefined>>();

  function remember(digest: string, principal: Principal | undefined, answerExp: number | undefined): void {
    const seconds = principal ? options.cacheSeconds : Math.min(options.negativeCacheSeconds, options.cacheSeconds);
    let until = Date.now() + seconds * 1000;
    if (answerExp !== undefined) until = Math.min(until, answerExp * 1000);
    if (until <= Date.now()) return;
    entries.delete(digest);
    if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
    entries.set(digest, { principal, until });
  }

  async function ask(key: string): Promise<{ principal: Principal | undefined; exp: number | undefined }> {
    let response: Response;
    try {
      response = await fetch(options.endpoint, {
        method: 'POST',
        headers: {
          authorization: basicAuthorization(options.clientId, options.clientSecret),
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ token: key }).toString(),
        signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      });
    } catch (err) {
      options.onError?.(new Error(`introspection request failed: ${(err as Error).message}`));
      throw unreachable();
    }
    if (!response.ok) {
      // 401: this resource server's own credentials are wrong; never the caller's fault.
      options.onError?.(new Error(`introspection answered ${response.status}`));
      throw unreachable();
    }
    const answer = await response.json().catch(() => undefined) as ApiKeyIntrospection | undefined;
    if (!answer || typeof answer !== 'object') {
      options.onError?.(new Error('introspection answered something that is not JSON'));
      throw unreachable();
    }
    const principal = principalOfAnswer(answer);
    return { principal, exp: principal && typeof answer.exp === 'number' ? answer.exp : undefined };
  }

  /** The principal of a well-formed key, or undefined when Latchkey says it is not active. */
  async function principalOf(key: string): Promise<Principal | undefined> {
    const digest = keyDigest(key);
    const cached = entries.get(digest);
    if (cached && cached.until > Date.now()) return cached.principal;
    if (cached) entries.delete(digest);
    const inFlight = pending.get(digest);
    if (inFlight) return inFlight;
    const question = ask(key).then(({ principal, exp }) => {
      remember(digest, principal, exp);
      return principal;
    }).finally(() => pending.delete(digest));
    pending.set(digest, question);
    return question;
  }

  return { principalOf, size: () => entries.size };
}

export type IntrospectionClient = ReturnType<typeof createIntrospectionClient>;
