// Where the counters are fed: wrappers around the store and the sign-in limits, and middleware for
// Koa and oidc-provider. Success paths only increment counters; nothing here reads the store.
import type { IncomingMessage } from 'node:http';
import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import type { Store } from '../../adapters/contract.ts';
import type { SignInLimits } from '../accounts/sign-in-limits.ts';
import { EXPOSED_REASON } from '../guard/url-credentials.ts';
import type { Metrics } from './registry.ts';
import { onAnswer } from '../http/answer-steps.ts';

/** oidc-provider runs on its own Koa context; the route it matched travels back on the Node request. */
const providerRoutes = new WeakMap<IncomingMessage, string>();

/** Times every request, labelled by route template: @koa/router's layer path or oidc-provider's route name. */
export function timeRequests(metrics: Metrics) {
  return async function requestDuration(ctx: Context, next: Next) {
    const end = metrics.httpDuration.startTimer({ method: ctx.method });
    try {
      await next();
    } finally {
      const matched = (ctx as Context & { _matchedRoute?: string | RegExp })._matchedRoute;
      const route = typeof matched === 'string' ? matched : providerRoutes.get(ctx.req) ?? 'unmatched';
      end({ route, status: String(ctx.res.headersSent || !ctx.respond ? ctx.res.statusCode : ctx.status) });
    }
  };
}

/**
 * Counts token endpoint answers. Registered before the other provider.use hooks, so it is the
 * outermost and sees the final answer (a repeated refresh, a rate-limit refusal).
 */
export function countTokenAnswers(provider: Provider, metrics: Metrics): void {
  onAnswer(provider, {
    threw(ctx, err) {
      if (ctx.oidc?.route === 'token') metrics.tokenErrors.inc({ error: errorCode(err) });
    },
    settled(ctx) {
      if (ctx.oidc?.route) providerRoutes.set(ctx.req, ctx.oidc.route);
    },
    answered(ctx) {
      if (ctx.oidc?.route !== 'token') return;
      if (ctx.status === 200) {
        const environment = ctx.oidc.client?.['urn:latchkey:environment'];
        const grantType = ctx.oidc.params?.grant_type;
        metrics.tokensIssued.inc({
          grant_type: typeof grantType === 'string' ? grantType : 'unknown',
          environment: typeof environment === 'string' ? environment : 'unknown',
        });
      } else if (ctx.status >= 400) {
        metrics.tokenErrors.inc({ error: errorCode(ctx.body) });
      }
    },
  });
}

function errorCode(value: unknown): string {
  const code = (value as { error?: unknown } | undefined)?.error;
  // Only the RFC's short codes become label values; anything else is one bucket.
  return typeof code === 'string' && /^[a-z_]{1,40}$/.test(code) ? code : 'server_error';
}

const API_KEY_ACTIONS: Record<string, string> = { createApiKey: 'created', rollApiKey: 'rolled', revokeApiKey: 'revoked' };

/**
 * The store behind a proxy that times each method, by name (`oidc.<name>` for oidc-provider's
 * records), and counts API-key changes once they are written (create/roll/revoke carry their audit
 * event). Methods run on the real object, so private fields work; tests may still replace a method
 * on the proxy to inject an outage.
 */
export function instrumentStore(store: Store, metrics: Metrics): Store {
  const oidc = timedMethods(store.oidc, 'oidc.', metrics, () => {});
  return timedMethods(store, '', metrics, (name, args, value) => {
    const action = API_KEY_ACTIONS[name];
    if (!action || value === false) return;
    metrics.apiKeyEvents.inc({ action });
    if (name === 'revokeApiKey' && args[2] === EXPOSED_REASON) metrics.apiKeysExposed.inc();
  }, { oidc });
}

type Method = (...args: unknown[]) => unknown;

function timedMethods<T extends object>(
  target: T, prefix: string, metrics: Metrics, succeeded: (name: string, args: unknown[], value: unknown) => void, replaced: Record<string, unknown> = {},
): T {
  const wrapped = new Map<string, { original: unknown; wrapper: Method }>();
  function wrap(name: string, original: Method): Method {
    const operation = prefix + name;
    return function timed(...args: unknown[]): unknown {
      const end = metrics.storeDuration.startTimer({ operation });
      let result: unknown;
      try {
        result = original.apply(target, args);
      } catch (err) {
        end({ outcome: 'error' });
        throw err;
      }
      if (!(result instanceof Promise)) {
        end({ outcome: 'ok' });
        return result;
      }
      return result.then((value: unknown) => {
        end({ outcome: 'ok' });
        succeeded(name, args, value);
        return value;
      }, (err: unknown) => {
        end({ outcome: 'error' });
        throw err;
      });
    };
  }
  return new Proxy(target, {
    get(object, property) {
      if (typeof property === 'string' && property in replaced) return replaced[property];
      const value: unknown = Reflect.get(object, property);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      const cached = wrapped.get(property);
      if (cached?.original === value) return cached.wrapper;
      const wrapper = wrap(property, value as Method);
      wrapped.set(property, { original: value, wrapper });
      return wrapper;
    },
  });
}

/** Counts refused sign-ins: a wrong email or password, and a wait imposed by the limits. */
export function instrumentSignInLimits(limits: SignInLimits, metrics: Metrics): SignInLimits {
  const admit = limits.admit.bind(limits);
  const failed = limits.failed.bind(limits);
  limits.admit = async (email, ip) => {
    const admission = await admit(email, ip);
    if (!admission.allowed) metrics.signIn.inc({ reason: 'throttled' });
    return admission;
  };
  limits.failed = async (reservation) => {
    metrics.signIn.inc({ reason: 'failure' });
    await failed(reservation);
  };
  return limits;
}
