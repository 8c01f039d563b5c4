// What the run-wide catalog check asks of each error the suite met (test/helpers/error-recorder.ts):
// it is catalogued (config/error-catalog.ts) in the form it was answered in, and an OAuth error
// links to its entry. Used after the run by test/helpers/run-checks.ts, and by the catalog's tests.
import { ERROR_CATALOG } from '../../config/error-catalog.ts';
import type { SeenError } from './error-recorder.ts';

const catalog: Record<string, { oauth?: object; latchkey?: object } | undefined> = ERROR_CATALOG;

/** What is wrong with one seen error, if anything. */
function problemOf(seen: SeenError): string | undefined {
  const entry = catalog[seen.code];
  if (!entry) return `${seen.code} is not in the catalog (config/errors.ts)`;
  const oauthForm = seen.form === 'oauth' || seen.form === 'redirect';
  if (oauthForm && !entry.oauth) return `${seen.code}: the catalog entry lacks its OAuth form`;
  if (seen.form === 'latchkey' && !entry.latchkey) return `${seen.code}: the catalog entry lacks our form`;
  if (oauthForm && !seen.link?.endsWith(`/docs/errors#${seen.code}`)) return `${seen.code}: no error_uri to its entry`;
  return undefined;
}

/** Each distinct problem once, with the first answer that showed it. */
export function problemsIn(seen: readonly SeenError[]): string[] {
  const problems = new Map<string, string>();
  for (const error of seen) {
    const problem = problemOf(error);
    if (problem && !problems.has(problem)) problems.set(problem, `${problem}\n    ${error.status} ${error.url}\n    ${error.sample.slice(0, 300)}`);
  }
  return [...problems.values()];
}

/** The kind of the run folder's file in which the catalog's test file says it ran. */
export const CATALOG_TEST_RAN = 'catalog-test-ran';
