// The leak-response routes, outside the Partner API and without authentication: the public
// revocation endpoint and the GitHub secret-scanning intake.
import Router from '@koa/router';
import { z } from 'zod';
import type { Store } from '../../adapters/contract.ts';
import type { Settings } from '../../config/settings.ts';
import type { Operation } from '../http/operations.ts';
import type { Logger } from '../log.ts';
import type { Pepper } from '../secrets.ts';
import { GITHUB_REPORT, GITHUB_SCANNING_PATH, mountGithubScanning } from './github.ts';
import { LEAK_REPORT, PUBLIC_REVOKE_PATH, mountPublicRevocation, type ReportLimits } from './public-routes.ts';

/** These routes, for the API description (/openapi.json): no credential, each carries its own proof. */
export const LEAK_OPERATIONS: readonly Operation[] = [
  {
    method: 'post', path: PUBLIC_REVOKE_PATH, tag: 'Leaked credentials', summary: 'Report leaked credentials', callers: 'anyone',
    description: 'Anyone who finds a Latchkey credential may kill it, without an account. The answer is the same whatever was sent.',
    body: LEAK_REPORT, status: 202, response: z.object({ received: z.literal(true) }), errors: ['invalid_request', 'payload_too_large'],
    example: { credentials: ['sk_test_not_a_real_key'] },
  },
  {
    method: 'post', path: GITHUB_SCANNING_PATH, tag: 'Leaked credentials', summary: 'GitHub secret scanning', callers: 'anyone',
    description: 'GitHub\'s secret-scanning partner program posts what it found here, signed (`Github-Public-Key-Identifier`, `Github-Public-Key-Signature`).',
    body: GITHUB_REPORT, status: 200,
    response: z.array(z.object({ token_raw: z.string(), token_type: z.string(), label: z.enum(['true_positive', 'false_positive']) })),
    errors: ['invalid_request', 'invalid_signature', 'payload_too_large'],
  },
];

export type LeakRouteOptions = Pick<Settings, 'githubScanningKeysFile' | 'windows'> & ReportLimits;

export function leakRoutes(store: Store, pepper: Pepper, options: LeakRouteOptions, log: Logger): Router {
  const router = new Router();
  // A refresh token spent inside its retry window still works: a report of it revokes its grant.
  const retryWindow = options.windows.refreshRetryWindow;
  mountPublicRevocation(router, store, pepper, log, options, retryWindow);
  mountGithubScanning(router, store, pepper, log, options.githubScanningKeysFile, retryWindow);
  return router;
}
