// The README's example answers are the server's real ones: run each example as a new user would and
// compare the answer's shape (its fields, and every value the README spells out) with the README's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { authorize } from '../helpers/flows.ts';
import { discover } from '../helpers/oauth.ts';
import { ROOT } from '../helpers/processes.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The `# -> {…}` answer the README shows after the first line that contains `marker`. */
function documentedAnswer(marker: string): string {
  const lines = README.split('\n');
  const start = lines.findIndex((line) => line.includes(marker));
  expect(start, marker).to.be.at.least(0);
  const answer = lines.slice(start).find((line) => line.startsWith('# -> {'));
  return answer!.slice('# -> '.length).trim();
}

/** The `-d name=value` parameters of the README's curl command on the line with `marker`. */
function curlParameters(marker: string): Record<string, string> {
  const line = README.split('\n').find((l) => l.includes(marker))!;
  return Object.fromEntries([...line.matchAll(/-d (\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
}

/** The first `--scopes "…"` of the README from the line with `marker` on (a command may span lines). */
function cliScopes(marker: string): string {
  return /--scopes "([^"]+)"/.exec(README.slice(README.indexOf(marker)))![1]!;
}

/**
 * `…` in the README stands for a value that varies: a bare `…` any value, `"eyJ…"` a string with
 * that prefix. Every other value must be equal, and the fields must be exactly the documented ones.
 */
function expectShape(actual: Record<string, unknown>, documented: string): void {
  const expected = JSON.parse(documented.replace(/:…/g, ':"…"')) as Record<string, unknown>;
  expect(Object.keys(actual).sort(), 'fields').to.deep.equal(Object.keys(expected).sort());
  for (const [field, value] of Object.entries(expected)) {
    if (typeof value === 'string' && value.includes('…')) {
      if (value === '…') continue;
      const [prefix, suffix] = value.split('…') as [string, string];
      expect(actual[field], field).to.be.a('string').that.satisfies((s: string) => s.startsWith(prefix) && s.endsWith(suffix));
    } else {
      expect(actual[field], field).to.deep.equal(value);
    }
  }
}

async function token(server: TestServer, clientId: string, secret: string, body: Record<string, string>, path = '/token') {
  const response = await fetch(`${server.issuer}${path}`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
    body: new URLSearchParams(body),
  });
  const answer = await response.json() as Record<string, unknown>;
  expect(response.status, JSON.stringify(answer)).to.equal(200);
  return answer;
}

describe('README examples', () => {
  let server: TestServer;
  before(async () => { server = await startServer(); });
  after(() => server.stop({ removeData: true }));

  it('client credentials answers what the README shows', async () => {
    const { clientId, clientSecret } = await server.createClient({ name: 'Nightly export', type: 'service', scopes: cliScopes('--type service') });
    const answer = await token(server, clientId, clientSecret, curlParameters('grant_type=client_credentials'));
    expectShape(answer, documentedAnswer('grant_type=client_credentials'));
  });

  it('the authorization code exchange and a refresh answer what the README shows', async () => {
    const user = await server.createUser();
    const redirectUri = 'http://localhost:8080/callback';
    const { clientId, clientSecret } = await server.createClient({
      accountId: user.accountId, name: 'CRM Sync', type: 'web', scopes: cliScopes('--type web'), redirectUris: [redirectUri],
    });
    const scope = /&scope=([^&\s]+)&/.exec(README)![1]!.replaceAll('%20', ' ');
    const app = { as: await discover(server.issuer), clientId, clientSecret, redirectUri };
    const { callback, verifier } = await authorize(app, user, { scope });
    const exchanged = await token(server, clientId, clientSecret, {
      grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: redirectUri, code_verifier: verifier,
    });
    expectShape(exchanged, documentedAnswer('grant_type=authorization_code'));
    const refreshed = await token(server, clientId, clientSecret, { grant_type: 'refresh_token', refresh_token: exchanged.refresh_token as string });
    expectShape(refreshed, documentedAnswer('grant_type=refresh_token'));
    const introspected = await token(server, clientId, clientSecret, { token: refreshed.refresh_token as string }, '/token/introspection');
    // The README's server is http://localhost:3000; this one listens on a free port.
    expectShape(introspected, documentedAnswer('token=RT http://localhost:3000/token/introspection').replaceAll('http://localhost:3000', server.issuer));
  });
});
