// Counts and sizes that docs and tests quote: the single source of truth for each.

export const LIMITS = {
  /** Failed sign-ins for one email before it is locked for LIFETIMES.loginLockout. */
  loginMaxFailures: 5,
} as const;
