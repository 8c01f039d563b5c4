// Regenerates the tables in docs/ and README.md from config/ (scopes, lifetimes, error codes).
// `npm run docs` writes them; test/docs/docs.test.ts fails when a committed file is out of date.
import { ROLE_DEFINITIONS, ROLES } from '../config/roles.ts';
import { ROLE_ALLOWS } from '../server/authority/rules.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LIFETIMES, WINDOW_SETTINGS, humanDuration } from '../config/lifetimes.ts';
import { LIMITS } from '../config/limits.ts';
import { CODE_EXCHANGE_FAILURES, GRANT_REVOCATION_REASONS } from '../config/revocation.ts';
import { DEFAULT_SCOPES } from '../config/scopes.ts';
import { scopeTable } from '../server/docs/scope-table.ts';
import { errorCatalog, errorSummary } from './error-docs.ts';

const ROOT = join(import.meta.dirname, '..');

const LIFETIME_LABELS: Record<keyof typeof LIFETIMES, string> = {
  authorizationCode: 'Authorization code (single use)',
  accessToken: 'Access token (JWT, every flow)',
  refreshToken: 'Refresh token (each use rotates it; the new one gets this again)',
  grant: 'Grant: the whole refresh family, absolute; then the user consents again',
  session: 'Login session',
  interaction: 'Login or consent page',
  idToken: 'ID token',
  pushedAuthorizationRequest: 'Pushed authorization request (request_uri)',
  clientAssertion: 'Longest validity (exp - iat) of a private_key_jwt client assertion',
  apiKeyMaxOverlap: 'Longest overlap of a rolled API key',
  clientSecretMaxOverlap: 'Longest overlap of a rotated client secret',
  secretReveal: 'A new key or secret waits, encrypted, for the one page that shows it, at most',
  loginLockout: `Longest wait between sign-ins for one email from one address (after ${LIMITS.loginMaxFailures} failures)`,
  signInWindow: 'Failed sign-ins are counted per window of',
  knownSignInAddress: 'An address a user signed in from is exempt from the per-email sign-in ceiling for',
  clientAuthWindow: 'Failed client authentications are counted per window of',
  guardWindow: 'Failed API-key and access-token checks are counted per window of',
  refreshRetryWindow: 'Refresh retry window: a repeat of one refresh inside it gets the identical answer',
  expiredTokenMemory: 'An expired refresh token or grant is still recognised (the error says it expired) for',
  emailVerificationLink: 'A mailed link confirming an email address (single use)',
  invitation: 'An invitation to join an account (single use; sending it again starts anew)',
  initialAccessToken: 'An initial access token for dynamic client registration (LATCHKEY_REGISTRATION=token)',
  unusedRegistration: 'An openly registered client no user authorized, before it is deleted',
  idempotencyKey: 'An Idempotency-Key and the answer it replays',
  metadataDocumentCacheMin: 'A fetched client ID metadata document, at least, before it is fetched again',
  metadataDocumentCacheMax: 'A fetched client ID metadata document, at most (its Cache-Control max-age in between)',
  passwordResetLink: 'A mailed password-reset link (single use)',
  stepUp: 'A sensitive change in the portal (live key or secret, deleting an app, email, password, two-factor) needs a sign-in no older than',
};

function settingOf(name: string): string {
  const setting = (WINDOW_SETTINGS as Record<string, { variable: string } | undefined>)[name];
  return setting ? `\`${setting.variable}\`` : '';
}

const VERB_WORDS = (verbs: readonly string[]) => (verbs.includes('write') ? 'read, change' : verbs.includes('read') ? 'read' : 'none');

export const GENERATED: Record<string, () => string> = {
  roles: () => [
    '| Role | In short | API keys | Apps (clients) | Webhooks | Audit log | Members |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...ROLES.map((role) => {
      const allows = ROLE_ALLOWS[role];
      const members = role === 'owner' ? 'invite, change, remove anyone' : role === 'admin' ? 'invite, change, remove all but owners' : 'read';
      return `| \`${role}\` | ${ROLE_DEFINITIONS[role].summary} | ${VERB_WORDS(allows.api_keys)} | ${VERB_WORDS(allows.clients)} | ${VERB_WORDS(allows.webhooks)} | ${VERB_WORDS(allows.audit)} | ${members} |`;
    }),
  ].join('\n'),
  // The default catalog, whatever LATCHKEY_CATALOG_FILE says: the served pages show the running one.
  scopes: () => scopeTable(DEFAULT_SCOPES),
  lifetimes: () => [
    '| Artifact | Lifetime (default) | Seconds | Operator setting |',
    '| --- | --- | --- | --- |',
    ...Object.entries(LIFETIMES).map(([name, seconds]) =>
      `| ${LIFETIME_LABELS[name as keyof typeof LIFETIMES]} | ${humanDuration(seconds)} | ${seconds} | ${settingOf(name)} |`),
  ].join('\n'),
  revocationReasons: () => [
    '| Reason (audit trail) | When | `error_description` of a later refresh |',
    '| --- | --- | --- |',
    ...Object.entries(GRANT_REVOCATION_REASONS).map(([code, { summary, description }]) => `| \`${code}\` | ${summary} | ${description} |`),
  ].join('\n'),
  codeExchangeFailures: () => [
    '| When | `error_description` |',
    '| --- | --- |',
    ...Object.values(CODE_EXCHANGE_FAILURES).map(({ when, description }) => `| ${when} | ${description} |`),
  ].join('\n'),
  errors: errorSummary,
  errorCatalog,
};

export const FILES = ['README.md', 'docs/tokens.md', 'docs/scopes.md', 'docs/errors.md', 'docs/operations.md', 'docs/performance.md', 'docs/api-keys.md', 'docs/partner-api.md', 'docs/mongodb.md', 'docs/leaked-credentials.md', 'docs/clients.md', 'docs/protect-your-api.md', 'docs/webhooks.md', 'docs/accounts.md', 'docs/teams.md', 'docs/agents.md', 'docs/getting-started.md', 'docs/verify-tokens.md', 'docs/quickstart-node.md', 'docs/quickstart-python.md'];

/**
 * Replaces each `<!-- generated:NAME -->…<!-- /generated -->` block with its fresh content, and each
 * inline `<!-- lifetime:NAME -->…<!-- /lifetime -->` with that lifetime in words and each
 * `<!-- limit:NAME -->…<!-- /limit -->` with that limit.
 */
export function render(text: string): string {
  const withValues = text.replace(/<!-- lifetime:(\w+) -->[\s\S]*?<!-- \/lifetime -->/g, (_, name: string) => {
    if (!(name in LIFETIMES)) throw new Error(`unknown lifetime "${name}"`);
    return `<!-- lifetime:${name} -->${humanDuration(LIFETIMES[name as keyof typeof LIFETIMES])}<!-- /lifetime -->`;
  }).replace(/<!-- limit:(\w+) -->[\s\S]*?<!-- \/limit -->/g, (_, name: string) => {
    if (!(name in LIMITS)) throw new Error(`unknown limit "${name}"`);
    return `<!-- limit:${name} -->${LIMITS[name as keyof typeof LIMITS]}<!-- /limit -->`;
  });
  return withValues.replace(/<!-- generated:(\w+) -->[\s\S]*?<!-- \/generated -->/g, (_, name: string) => {
    const make = GENERATED[name];
    if (!make) throw new Error(`unknown generated block "${name}"`);
    return `<!-- generated:${name} -->\n${make()}\n<!-- /generated -->`;
  });
}

if (import.meta.main) {
  for (const file of FILES) {
    const path = join(ROOT, file);
    const before = readFileSync(path, 'utf8');
    const after = render(before);
    if (after !== before) {
      writeFileSync(path, after);
      process.stdout.write(`updated ${file}\n`);
    }
  }
}
