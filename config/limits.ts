// Counts and sizes that docs and tests quote: the single source of truth for each.

export const LIMITS = {
  /** Failed sign-ins for one email before it is locked for LIFETIMES.loginLockout. */
  loginMaxFailures: 5,
  /** Live (neither revoked nor expired) API keys one account may hold. */
  apiKeysPerAccount: 1000,
  /** Items on one page of a list (API keys, a key's events) unless `limit` asks for fewer. */
  pageSizeDefault: 100,
  /** The most `limit` may ask for on one page. */
  pageSizeMax: 500,
} as const;
