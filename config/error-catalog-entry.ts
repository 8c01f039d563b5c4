// What an entry of the error catalog is (config/error-catalog.ts), and how its examples are
// written: shared by the OAuth endpoints' part (error-catalog-oauth.ts) and our own routes' part.

/** What a client does about an error: the branch a partner's code takes. */
export const REACTIONS = {
  fix: 'fix your client: the same request fails again',
  reauthorize: 'ask the user to authorize again',
  refresh: 'refresh once, retry once, then fail loudly',
  retry: 'retry later: after Retry-After when sent, else with backoff',
  user: 'tell the user',
} as const;

export type Reaction = keyof typeof REACTIONS;

export interface CatalogEntry {
  /** When it happens. */
  when: string;
  reaction: Reaction;
  /** What the integrator should do. */
  action: string;
  /** RFC 6749's form, at the OAuth endpoints or in an authorization redirect. */
  oauth?: { status: string; examples: readonly string[] };
  /** Our form (status and message from ERROR_CODES); examples default to the plain body. */
  latchkey?: { examples?: readonly string[] };
}

// Examples are real answers, with $ISSUER for the server's address ($ISSUER_ENCODED inside a URL).
export const LINK = '"error_uri":"$ISSUER/docs/errors#';
export const CALLBACK = 'https://app.example/callback?error=';
export const ISS = 'state=af0ifjsldkj&iss=$ISSUER_ENCODED&error_uri=$ISSUER_ENCODED%2Fdocs%2Ferrors%23';
