// POST /v1/credentials/revoke: anyone who finds a leaked credential can kill it, without an account.
// The answer is the same 202 whatever was sent (valid, invalid, already revoked, unknown), given
// once the report is stored, so it says nothing about whether a string was a credential.
import type Router from '@koa/router';
import { z } from 'zod';
import type { Context } from 'koa';
import type { CounterStore, Store } from '../../adapters/contract.ts';
import { LIMITS } from '../../config/limits.ts';
import type { Logger } from '../log.ts';
import { addressKey, limitKey, secondsUntil } from '../limits/failures.ts';
import { rateLimited } from '../limits/guard.ts';
import { generateSortableId, type Pepper } from '../secrets.ts';
import { badShape, parseJson, readRawBody } from './body.ts';
import { revokeReported } from './revoke.ts';

export const PUBLIC_REVOKE_PATH = '/v1/credentials/revoke';

/** The one answer, byte for byte. */
export const RECEIVED_BODY = '{"received":true}';

export interface ReportLimits {
  /** Reports one address may send per window (default LIMITS.leakReportsPerSource). */
  readonly reportsPerSource?: number;
  /** Seconds (default LIMITS.leakReportWindow). */
  readonly reportWindow?: number;
}

/** Every report counts against its address, whatever it holds: 429 with Retry-After past the limit. */
async function countReport(counters: Pick<CounterStore, 'hitCounter'>, address: string, limits: ReportLimits): Promise<void> {
  const max = limits.reportsPerSource ?? LIMITS.leakReportsPerSource;
  const counter = await counters.hitCounter(limitKey('leak_report', addressKey(address)), limits.reportWindow ?? LIMITS.leakReportWindow);
  if (counter.count > max) {
    const retryAfter = secondsUntil(counter.resetAt.getTime());
    throw rateLimited(retryAfter, `too many leak reports from this address; retry in ${retryAfter} seconds`);
  }
}

const EACH = `Each credential must be a string of 1 to ${LIMITS.leakReportMaxCredentialLength} characters.`;
const LIST = `credentials must be an array of 1 to ${LIMITS.leakReportMaxCredentials} strings.`;

/** A report: the strings found, whatever they are. */
export const LEAK_REPORT = z.object({
  credentials: z.array(z.string({ error: EACH }).min(1, EACH).max(LIMITS.leakReportMaxCredentialLength, EACH), { error: LIST })
    .min(1, LIST).max(LIMITS.leakReportMaxCredentials, LIST),
}, { error: 'The body must be a JSON object: {"credentials": ["…"]}.' }).meta({ id: 'LeakReport' });

/** `{"credentials": [string, …]}` with 1 to LIMITS.leakReportMaxCredentials strings; 400 otherwise. */
export function parseCredentials(raw: Buffer): string[] {
  const result = LEAK_REPORT.safeParse(parseJson(raw));
  if (!result.success) throw badShape('credentials', result.error.issues[0]!.message);
  return result.data.credentials;
}

export function mountPublicRevocation(
  router: Router, store: Store, pepper: Pepper, log: Logger, limits: ReportLimits, retryWindowSeconds: number,
): void {
  router.post(PUBLIC_REVOKE_PATH, async (ctx: Context) => {
    ctx.set('Cache-Control', 'no-store');
    await countReport(store, ctx.ip, limits);
    const credentials = parseCredentials(await readRawBody(ctx));
    const matched = await revokeReported(store, pepper, credentials, 'report:public', retryWindowSeconds);
    const id = generateSortableId('leak');
    await store.recordLeakReport({ id, source: 'public', receivedAt: new Date(), reported: credentials.length, matched, origin: ctx.ip });
    // Counts only: the strings never reach a log.
    log.info('leak report received', { report_id: id, source: 'public', reported: credentials.length, matched });
    ctx.status = 202;
    ctx.type = 'application/json';
    ctx.body = RECEIVED_BODY;
  });
}
