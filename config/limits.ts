// Counts and sizes that docs and tests quote: the single source of truth for each. The windows the
// rate limits count in are operator settings, in config/lifetimes.ts (WINDOW_SETTINGS).

export const LIMITS = {
  /**
   * Failed sign-ins for one email from one address before each further attempt must wait: first
   * loginFirstWait seconds, doubling with every further failure, up to LIFETIMES.loginLockout.
   */
  loginMaxFailures: 5,
  /** The first of those waits, in seconds. */
  loginFirstWait: 1,
  /** Failed sign-ins from one address, across every email, per LIFETIMES.signInWindow. */
  loginSourceMaxFailures: 100,
  /**
   * Failed sign-ins for one email, across every address, per LIFETIMES.signInWindow. Above what one
   * address can reach through the waits, so one attacker cannot lock a user out everywhere.
   */
  loginEmailMaxFailures: 50,
  /** Failed client authentications for one client_id from one address, per LIFETIMES.clientAuthWindow. */
  clientAuthMaxFailures: 20,
  /** Failed client authentications from one address, across every client, per LIFETIMES.clientAuthWindow. */
  clientAuthSourceMaxFailures: 100,
  /**
   * Failed API-key and access-token checks at the resource-server guard from one address, per
   * LIFETIMES.guardWindow; the same numbers limit failed API-key introspections by resource servers.
   */
  guardSourceMaxFailures: 100,
  /** Live (neither revoked nor expired) API keys one account may hold; LATCHKEY_API_KEYS_PER_ACCOUNT. */
  apiKeysPerAccount: 1000,
  /** Largest client logo, uploaded or fetched, in bytes (PNG, JPEG, GIF or WebP; never SVG). */
  logoMaxBytes: 256 * 1024,
  /** How long fetching a logo at registration may take, in milliseconds, before it is refused. */
  logoFetchTimeoutMs: 5000,
  /**
   * Live secrets one client may hold at once (the newest and those still in an overlap): a rotation
   * that would keep more is refused; rotate with no overlap, or revoke one.
   */
  liveSecretsPerClient: 3,
  /** Verification links one user may have mailed again, per hour. */
  verificationMailsPerHour: 5,
  /** Password-reset mails for one address, per hour (more asks get the same answer and no mail). */
  resetMailsPerEmail: 3,
  /**
   * Milliseconds a "Forgot password?" answer takes at least: a registered address stores a link and
   * queues a mail, an unknown one does not, and the answer must not tell them apart by its time.
   */
  resetAnswerMinMs: 250,
  /** Password-reset requests from one network address, per hour, across every email. */
  resetRequestsPerAddress: 30,
  /** Failed sign-ins recorded in one user's audit log per hour; more are refused alike but not recorded. */
  failedSignInEventsPerHour: 10,
  /** Open dynamic registrations (LATCHKEY_REGISTRATION=open) from one network address, per hour. */
  openRegistrationsPerAddress: 10,
  /** Open dynamic registrations from everyone together, per hour. */
  openRegistrationsPerHour: 500,
  /**
   * New authorizations (a user's first consent) one unverified app may get per day (UTC);
   * LATCHKEY_UNVERIFIED_AUTHORIZATIONS_PER_CLIENT.
   */
  unverifiedAuthorizationsPerClient: 100,
  /**
   * The same, for every unverified app together whose redirect URIs lead to one web host (or one
   * private-use scheme); LATCHKEY_UNVERIFIED_AUTHORIZATIONS_PER_HOST. Loopback is every user's own
   * machine, not a host: it is not counted this way.
   */
  unverifiedAuthorizationsPerRedirectHost: 500,
  /** Largest client ID metadata document Latchkey reads, in bytes. */
  metadataDocumentMaxBytes: 5 * 1024,
  /** Characters of a webhook receiver's answer kept with its delivery, for the owner's delivery log. */
  webhookResponseExcerpt: 512,
  /** Client ID metadata documents fetched (not from the cache) for one network address, per hour. */
  metadataDocumentFetchesPerAddress: 30,
  /** OAuth clients one account may hold; LATCHKEY_CLIENTS_PER_ACCOUNT. */
  clientsPerAccount: 200,
  /** Redirect URIs one client may register. */
  redirectUrisPerClient: 20,
  /**
   * Seconds a client secret that expired or was revoked is still listed (with why) before the next
   * change drops it from the client.
   */
  retiredClientSecretKeptFor: 7 * 24 * 60 * 60,
  /** Strings one public leak report (POST /v1/credentials/revoke) may carry. */
  leakReportMaxCredentials: 1000,
  /** Longest string a leak report may carry, in characters: far longer than any credential we issue. */
  leakReportMaxCredentialLength: 1024,
  /** Largest leak report body, public or from a secret scanner, in bytes. */
  leakReportMaxBytes: 1024 * 1024,
  /** Public leak reports accepted from one address per leakReportWindow; every report counts, valid or not. */
  leakReportsPerSource: 30,
  /** The window those reports count in, in seconds. */
  leakReportWindow: 60 * 60,
  /** Items on one page of a list (API keys, a key's events) unless `limit` asks for fewer. */
  pageSizeDefault: 100,
  /** The most `limit` may ask for on one page. */
  pageSizeMax: 500,
  /**
   * Group commit in the embedded store (adapters/sqlite/database.ts): under load, a batch of writes
   * stays open this many milliseconds after its first write, so that the requests writing meanwhile
   * share its one fsync; a longer window means fewer fsyncs and a longer wait for each answer.
   */
  groupCommitWindowMs: 3,
  /** A batch holding this many statements commits at once. */
  groupCommitMaxStatements: 1000,
} as const;
