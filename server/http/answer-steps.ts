// Hooks that only look at, or mend, oidc-provider's answer once everything inside has made it. As
// separate provider.use middleware each would cost every request an await of its own (a dozen cost
// a bare provider about 5% of its token requests, docs/performance.md). Steps registered one after
// another share one middleware instead, and run as separate middleware would have: the one
// registered last, which would have been innermost, first. A provider.use in between starts a new
// middleware, so the order around it is kept too.
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';

export interface AnswerStep {
  /** Once the answer is made, like code after `await next()`. May be async: the answer waits for it. */
  answered?(ctx: KoaContextWithOIDC): void | Promise<void>;
  /** When something inside threw, like `catch (err) { …; throw err; }`. */
  threw?(ctx: KoaContextWithOIDC, err: unknown): void;
  /** Either way, before `answered`, like `finally`. */
  settled?(ctx: KoaContextWithOIDC): void;
}

interface Group { steps: AnswerStep[]; endsAt: number }
const lastGroups = new WeakMap<Provider, Group>();

async function runSteps(steps: readonly AnswerStep[], ctx: KoaContextWithOIDC, next: () => Promise<unknown>): Promise<void> {
  let failure: { err: unknown } | undefined;
  try {
    await next();
  } catch (err) {
    failure = { err };
  }
  for (let i = steps.length - 1; i >= 0; i -= 1) {
    const step = steps[i]!;
    if (failure) step.threw?.(ctx, failure.err);
    step.settled?.(ctx);
    if (failure || !step.answered) continue;
    try {
      const pending = step.answered(ctx);
      if (pending) await pending;
    } catch (err) {
      failure = { err };
    }
  }
  if (failure) throw failure.err;
}

/** Adds `step` to oidc-provider's middleware, sharing one middleware with the steps registered just before it. */
export function onAnswer(provider: Provider, step: AnswerStep): void {
  const { middleware } = provider as unknown as { middleware: unknown[] };
  const last = lastGroups.get(provider);
  if (last && last.endsAt === middleware.length) {
    last.steps.push(step);
    return;
  }
  const steps = [step];
  provider.use(function answerSteps(ctx, next) {
    return runSteps(steps, ctx as KoaContextWithOIDC, next);
  });
  lastGroups.set(provider, { steps, endsAt: middleware.length });
}
