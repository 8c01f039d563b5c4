import { expect } from 'chai';
import { clientCredentials, discover, verifyAccessToken } from '../helpers/oauth.ts';
import { cli } from '../helpers/processes.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

describe('latchkey CLI', () => {
  let server: TestServer;
  let env: Record<string, string | undefined>;
  before(async () => {
    server = await startServer();
    env = server.cliEnv;
  });
  after(() => server.stop({ removeData: true }));

  it('creates an account and a service client whose secret works at the running server', async () => {
    const account = await cli(['account', 'create', '--name', 'CLI Co', '--email', 'ops@cli.example', '--password', 'a long enough password', '--json'], env);
    expect(account.code, account.stderr).to.equal(0);
    const { account_id: accountId = '', user_id: userId } = JSON.parse(account.stdout) as Record<string, string>;
    expect(accountId).to.match(/^acct_/);
    expect(userId).to.match(/^user_/);

    const created = await cli(['client', 'create', '--account', accountId, '--name', 'Nightly export', '--type', 'service',
      '--scopes', 'read:contacts read:events', '--env', 'live', '--json'], env);
    expect(created.code, created.stderr).to.equal(0);
    const lines = created.stdout.trim().split('\n');
    expect(lines, 'one JSON object on stdout').to.have.length(1);
    const { client_id: clientId = '', client_secret: clientSecret = '' } = JSON.parse(lines[0]!) as Record<string, string>;
    expect(clientSecret).to.have.length.greaterThanOrEqual(43);

    const as = await discover(server.issuer);
    const tokens = await clientCredentials(as, clientId, clientSecret, 'read:events');
    const claims = await verifyAccessToken(as, tokens.access_token);
    expect(claims.account_id).to.equal(accountId);
    expect(claims.env).to.equal('live');
  });

  it('creates a web client with redirect URIs', async () => {
    const account = JSON.parse((await cli(['account', 'create', '--name', 'Web Co', '--email', 'web@cli.example', '--password', 'a long enough password', '--json'], env)).stdout) as Record<string, string>;
    const created = await cli(['client', 'create', '--account', account.account_id!, '--name', 'Marketplace app', '--type', 'web',
      '--scopes', 'openid offline_access read:contacts', '--redirect-uri', 'https://app.example/cb', '--redirect-uri', 'http://localhost:3001/cb', '--json'], env);
    expect(created.code, created.stderr).to.equal(0);
    const client = await server.latchkey.store.findClient((JSON.parse(created.stdout) as Record<string, string>).client_id!);
    expect(client?.redirectUris).to.deep.equal(['https://app.example/cb', 'http://localhost:3001/cb']);
    expect(client?.environment).to.equal('test');
  });

  it('reports errors on stderr with a non-zero exit and nothing on stdout', async () => {
    const account = JSON.parse((await cli(['account', 'create', '--name', 'Err Co', '--email', 'err@cli.example', '--password', 'a long enough password', '--json'], env)).stdout) as Record<string, string>;
    const cases: [string[], RegExp][] = [
      [['client', 'create', '--account', account.account_id!, '--name', 'x', '--type', 'service', '--scopes', 'read:everything', '--json'], /unknown scope 'read:everything'/],
      [['client', 'create', '--account', account.account_id!, '--name', 'x', '--type', 'web', '--scopes', 'read:contacts', '--redirect-uri', 'http://app.example/cb', '--json'], /must use https/],
      [['client', 'create', '--account', 'acct_nope', '--name', 'x', '--type', 'service', '--scopes', 'read:contacts', '--json'], /no account/],
      [['account', 'create', '--name', 'Dup', '--email', 'err@cli.example', '--password', 'a long enough password', '--json'], /already registered/],
      [['account', 'create', '--name', 'Short', '--email', 'short@cli.example', '--password', 'short', '--json'], /password must be/],
      [['client', 'create', '--name', 'x', '--json'], /missing --account/],
      [['frobnicate', '--json'], /unknown command/],
      [['client', 'create', '--bogus', '--json'], /bogus/],
    ];
    for (const [args, message] of cases) {
      const result = await cli(args, env);
      expect(result.code, args.join(' ')).to.be.greaterThan(0);
      expect(result.stdout, args.join(' ')).to.equal('');
      expect(result.stderr, args.join(' ')).to.match(message);
    }
  });
});
