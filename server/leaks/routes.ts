// The leak-response routes, outside the Partner API and without authentication: the public
// revocation endpoint and the GitHub secret-scanning intake.
import Router from '@koa/router';
import type { Store } from '../../adapters/contract.ts';
import type { Settings } from '../../config/settings.ts';
import type { Logger } from '../log.ts';
import type { Pepper } from '../secrets.ts';
import { mountGithubScanning } from './github.ts';
import { mountPublicRevocation, type ReportLimits } from './public-routes.ts';

export type LeakRouteOptions = Pick<Settings, 'githubScanningKeysFile' | 'windows'> & ReportLimits;

export function leakRoutes(store: Store, pepper: Pepper, options: LeakRouteOptions, log: Logger): Router {
  const router = new Router();
  // A refresh token spent inside its retry window still works: a report of it revokes its grant.
  const retryWindow = options.windows.refreshRetryWindow;
  mountPublicRevocation(router, store, pepper, log, options, retryWindow);
  mountGithubScanning(router, store, pepper, log, options.githubScanningKeysFile, retryWindow);
  return router;
}
