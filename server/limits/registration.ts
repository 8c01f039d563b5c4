// Open dynamic registration (LATCHKEY_REGISTRATION=open) is anyone's: it is limited per network
// address and in total per hour (LIMITS), counted in the store so every instance shares the count.
// Over a limit the answer is RFC 6749's temporarily_unavailable with 429 and Retry-After, as for
// too many failed client authentications.
import type Provider from 'oidc-provider';
import type { CounterStore } from '../../adapters/contract.ts';
import { LIMITS } from '../../config/limits.ts';
import { addressKey, limitKey, secondsUntil } from './failures.ts';

const HOUR = 3600;

export function limitOpenRegistration(provider: Provider, counters: Pick<CounterStore, 'hitCounter'>, issuer: string): void {
  const path = new URL(`${issuer}/reg`).pathname;
  provider.use(async (ctx, next) => {
    if (ctx.method !== 'POST' || ctx.path !== path) {
      await next();
      return;
    }
    const fromAddress = await counters.hitCounter(limitKey('registration:source', addressKey(ctx.ip)), HOUR);
    const total = await counters.hitCounter(limitKey('registration:all'), HOUR);
    const over = fromAddress.count > LIMITS.openRegistrationsPerAddress ? fromAddress : total.count > LIMITS.openRegistrationsPerHour ? total : undefined;
    if (!over) {
      await next();
      return;
    }
    const retryAfter = secondsUntil(over.resetAt.getTime());
    ctx.status = 429;
    ctx.set('Retry-After', String(retryAfter));
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      error: 'temporarily_unavailable',
      error_description: `too many client registrations ${over === fromAddress ? 'from this address' : 'in the last hour'}; retry in ${retryAfter} seconds`,
      error_uri: `${issuer}/docs/errors#temporarily_unavailable`,
    };
  });
}
