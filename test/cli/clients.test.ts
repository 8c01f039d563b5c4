// The client lifecycle from the command line: create with a homepage, list (never a secret),
// rotate the secret (with an overlap, without, as leaked), delete.
import { expect } from 'chai';
import { clientCredentials, discover, expectOAuthError } from '../helpers/oauth.ts';
import { cli, cliJson } from '../helpers/processes.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

describe('latchkey client commands', () => {
  let server: TestServer;
  let env: Record<string, string | undefined>;
  let accountId: string;
  before(async () => {
    server = await startServer();
    env = server.cliEnv;
    accountId = (await server.createUser('CLI Clients Co')).accountId;
  });
  after(() => server.stop({ removeData: true }));

  const json = (args: string[]) => cliJson(args, env);

  const works = async (id: string, secret: string) => {
    expect((await clientCredentials(await discover(server.issuer), id, secret, 'read:contacts')).access_token).to.be.a('string');
  };
  const isRefused = async (id: string, secret: string) => {
    const as = await discover(server.issuer);
    expect((await expectOAuthError(() => clientCredentials(as, id, secret, 'read:contacts'))).error).to.equal('invalid_client');
  };

  it('creates a web app with a homepage and lists clients without secrets', async () => {
    const created = await json(['client', 'create', '--account', accountId, '--name', 'Homepage app', '--type', 'web', '--scopes', 'openid read:contacts',
      '--redirect-uri', 'https://home.example/cb', '--homepage', 'https://home.example']);
    const secret = String(created.client_secret);
    recordSecret(secret);
    expect((await server.latchkey.store.findClient(String(created.client_id)))?.homepageUrl).to.equal('https://home.example/');
    const list = await json(['client', 'list', '--account', accountId]);
    const data = list.data as { id: string; homepage_url: string }[];
    expect(data.find((c) => c.id === created.client_id)?.homepage_url).to.equal('https://home.example/');
    const record = await server.latchkey.store.findClient(String(created.client_id));
    expect(JSON.stringify(list)).not.to.include(secret).and.not.include(record!.secrets[0]!.hash);
  });

  it('rotates a secret with an overlap, without one, and as leaked', async () => {
    const { clientId, clientSecret: first } = await server.createClient({ accountId, name: 'CLI rotated', type: 'service', scopes: 'read:contacts' });
    const rotated = await json(['client', 'rotate-secret', clientId, '--overlap', '1h']);
    expect(Object.keys(rotated).sort()).to.deep.equal(['client_id', 'client_secret']);
    expect(rotated.client_id).to.equal(clientId);
    const second = String(rotated.client_secret);
    recordSecret(second);
    await works(clientId, first);
    await works(clientId, second);
    const third = String((await json(['client', 'rotate-secret', clientId, '--overlap', '0'])).client_secret);
    recordSecret(third);
    await isRefused(clientId, second);
    await isRefused(clientId, first); // no overlap: every earlier secret stops, also one in an earlier overlap
    const fourth = String((await json(['client', 'rotate-secret', clientId, '--leaked'])).client_secret);
    recordSecret(fourth);
    await isRefused(clientId, first);
    await isRefused(clientId, third);
    await works(clientId, fourth);
  });

  it('deletes a client, and reports errors on stderr', async () => {
    const { clientId, clientSecret } = await server.createClient({ accountId, name: 'CLI doomed', type: 'service', scopes: 'read:contacts' });
    expect(await json(['client', 'delete', clientId])).to.deep.equal({ client_id: clientId, deleted: true });
    await isRefused(clientId, clientSecret);
    const missing = await cli(['client', 'delete', clientId, '--json'], env);
    expect(missing.code).to.equal(1);
    expect(missing.stdout).to.equal('');
    expect(missing.stderr).to.match(/no client/);
    const badOverlap = await cli(['client', 'rotate-secret', 'client_test_x', '--overlap', '9d', '--json'], env);
    expect(badOverlap.code).to.equal(1);
    const noId = await cli(['client', 'rotate-secret', '--json'], env);
    expect(noId.code).to.equal(2);
  });
});
