// onAnswer: steps registered in a row share one oidc-provider middleware and run as separate
// middleware would (innermost first), a provider.use in between keeps its place, and a failure
// inside reaches each step's threw and settled, never its answered. Driven over HTTP against a
// real oidc-provider.
import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { expect } from 'chai';
import Provider, { type JWK } from 'oidc-provider';
import { onAnswer } from '../../server/http/answer-steps.ts';

/** Only the middleware chain is under test: discovery reads no record. */
class NoRecords {
  async upsert() {}
  async find() { return undefined; }
  async findByUserCode() { return undefined; }
  async findByUid() { return undefined; }
  async consume() {}
  async destroy() {}
  async revokeByGrantId() {}
}
const signingKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }) as JWK;

async function serve(provider: Provider): Promise<{ url: string; server: Server }> {
  const handle = provider.callback();
  const server = createServer((req, res) => { void handle(req, res); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const DISCOVERY = '/.well-known/openid-configuration';

describe('answer steps (onAnswer)', () => {
  let provider: Provider;
  let server: Server | undefined;
  const seen: string[] = [];
  const middlewareCount = () => (provider as unknown as { middleware: unknown[] }).middleware.length;

  beforeEach(() => {
    seen.length = 0;
    provider = new Provider('http://127.0.0.1', { adapter: NoRecords, jwks: { keys: [signingKey] }, features: { devInteractions: { enabled: false } } });
    // Quiet: Koa would print the deliberate failures below.
    provider.silent = true;
  });
  afterEach(() => server?.close());

  const step = (name: string) => ({
    answered: () => { seen.push(`${name}.answered`); },
    threw: (_ctx: unknown, err: unknown) => { seen.push(`${name}.threw:${(err as Error).message}`); },
    settled: () => { seen.push(`${name}.settled`); },
  });

  it('runs steps registered in a row in one middleware, the last registered first, after the answer is made', async () => {
    const before = middlewareCount();
    onAnswer(provider, step('outer'));
    onAnswer(provider, {
      answered: (ctx) => {
        seen.push(`inner.answered:${ctx.oidc?.route}:${ctx.status}`);
        // A step may mend the answer: the outer step and the client see the change.
        (ctx.body as Record<string, unknown>).mended = true;
      },
    });
    expect(middlewareCount()).to.equal(before + 1);
    let url: string;
    ({ url, server } = await serve(provider));
    const body = await (await fetch(`${url}${DISCOVERY}`)).json() as Record<string, unknown>;
    expect(body.mended).to.equal(true);
    expect(seen).to.deep.equal(['inner.answered:discovery:200', 'outer.settled', 'outer.answered']);
  });

  it('keeps its place around a provider.use registered between two steps', async () => {
    onAnswer(provider, step('outer'));
    provider.use(async (_ctx, next) => {
      await next();
      seen.push('middleware.after');
    });
    onAnswer(provider, step('inner'));
    let url: string;
    ({ url, server } = await serve(provider));
    expect((await fetch(`${url}${DISCOVERY}`)).status).to.equal(200);
    expect(seen).to.deep.equal(['inner.settled', 'inner.answered', 'middleware.after', 'outer.settled', 'outer.answered']);
  });

  it('gives a failure inside to threw and settled, never to answered, and lets it go on', async () => {
    onAnswer(provider, step('outer'));
    onAnswer(provider, step('inner'));
    provider.use(() => { throw new Error('inside'); });
    let url: string;
    ({ url, server } = await serve(provider));
    expect((await fetch(`${url}${DISCOVERY}`)).status).to.equal(500);
    expect(seen).to.deep.equal(['inner.threw:inside', 'inner.settled', 'outer.threw:inside', 'outer.settled']);
  });

  it('gives a failing step\'s error to the steps outside it, as a throwing middleware would', async () => {
    onAnswer(provider, step('outer'));
    onAnswer(provider, { answered: () => { seen.push('failing.answered'); throw new Error('in a step'); } });
    onAnswer(provider, step('inner'));
    let url: string;
    ({ url, server } = await serve(provider));
    expect((await fetch(`${url}${DISCOVERY}`)).status).to.equal(500);
    expect(seen).to.deep.equal(['inner.settled', 'inner.answered', 'failing.answered', 'outer.threw:in a step', 'outer.settled']);
  });

  it('waits for a step that answers asynchronously before the answer goes out', async () => {
    onAnswer(provider, {
      answered: async (ctx) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        ctx.set('X-Step', 'done');
      },
    });
    let url: string;
    ({ url, server } = await serve(provider));
    expect((await fetch(`${url}${DISCOVERY}`)).headers.get('x-step')).to.equal('done');
  });
});
