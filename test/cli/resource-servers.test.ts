// Resource servers from the command line: created for a resource the catalog defines (in the operator
// account), listed, rotated and deleted like other clients; their credentials introspect.
import { expect } from 'chai';
import { OPERATOR_ACCOUNT_ID } from '../../server/clients/resource-servers.ts';
import { call } from '../helpers/api.ts';
import { cli, cliJson } from '../helpers/processes.ts';
import { recordSecret } from '../helpers/secret-registry.ts';
import { introspect, startIntrospectionServer, type Credentials, type IntrospectionServer } from '../introspection/setup.ts';

describe('latchkey resource-server commands', () => {
  let server: IntrospectionServer;
  let env: Record<string, string | undefined>;
  let accountId: string;
  before(async () => {
    server = await startIntrospectionServer();
    env = server.cliEnv;
    accountId = (await server.createUser('Key Holder Co')).accountId;
  });
  after(() => server.stop({ removeData: true }));

  const json = (args: string[]) => cliJson(args, env);

  async function created(name: string): Promise<Credentials> {
    const answer = await json(['resource-server', 'create', '--resource', `${server.issuer}/api`, '--name', name]);
    expect(Object.keys(answer).sort()).to.deep.equal(['client_id', 'client_secret']);
    recordSecret(String(answer.client_secret));
    return { clientId: String(answer.client_id), clientSecret: String(answer.client_secret) };
  }

  const answersFor = async (caller: Credentials) => {
    const { key } = await server.apiKey(accountId, 'read:contacts');
    return introspect(server.issuer, caller, key);
  };

  it('creates a resource server whose credentials introspect API keys', async () => {
    const gateway = await created('Gateway');
    expect((await answersFor(gateway)).body).to.include({ active: true, scope: 'read:contacts', account_id: accountId });
    const record = await server.latchkey.store.findClient(gateway.clientId);
    expect(record).to.include({ type: 'resource_server', accountId: OPERATOR_ACCOUNT_ID, resource: `${server.issuer}/api` });
    expect(record!.scopes).to.deep.equal([]);
  });

  it('refuses a resource the catalog does not define, naming those it does', async () => {
    const result = await cli(['resource-server', 'create', '--resource', 'https://nowhere.example.com', '--name', 'Nowhere', '--json'], env);
    expect(result.code).to.equal(1);
    expect(result.stdout).to.equal('');
    expect(result.stderr).to.include("the catalog has no resource 'https://nowhere.example.com'").and.include(`${server.issuer}/api`);
    const missing = await cli(['resource-server', 'create', '--name', 'Nowhere', '--json'], env);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.include('give the resource');
    const unnamed = await cli(['resource-server', 'create', '--resource', `${server.issuer}/api`, '--json'], env);
    expect(unnamed.code).to.equal(1);
    expect(unnamed.stderr).to.include('name must be');
  });

  it('lists resource servers, and the operator account\'s clients, without secrets', async () => {
    const listed = await created('Listed');
    const record = await server.latchkey.store.findClient(listed.clientId);
    for (const args of [['resource-server', 'list'], ['client', 'list', '--account', OPERATOR_ACCOUNT_ID]]) {
      const list = await json(args);
      const entry = (list.data as Record<string, unknown>[]).find((c) => c.id === listed.clientId);
      expect(entry, args.join(' ')).to.include({ type: 'resource_server', resource: `${server.issuer}/api`, name: 'Listed' });
      expect(JSON.stringify(list)).not.to.include(listed.clientSecret).and.not.include(record!.secrets[0]!.hash);
    }
  });

  it('shows a resource server in /v1/clients of the operator account, where only its name may change', async () => {
    const managed = await created('Managed');
    const { key } = await server.apiKey(OPERATOR_ACCOUNT_ID, 'read:clients write:clients', { env: 'live' });
    const list = await call(server.issuer, 'GET', '/v1/clients', key);
    expect(list.status).to.equal(200);
    expect((list.body.data as Record<string, unknown>[]).find((c) => c.id === managed.clientId)).to.include({ type: 'resource_server' });
    for (const change of [{ scopes: 'read:contacts' }, { redirect_uris: ['https://x.example/cb'] }, { logo_url: 'https://x.example/logo.png' }]) {
      const refused = await call(server.issuer, 'PATCH', `/v1/clients/${managed.clientId}`, key, change);
      expect(refused.status, JSON.stringify(change)).to.equal(400);
      expect(refused.body.error?.message).to.include('a resource server has only a name and secrets');
    }
    const renamed = await call(server.issuer, 'PATCH', `/v1/clients/${managed.clientId}`, key, { name: 'Renamed gateway' });
    expect(renamed.status).to.equal(200);
    expect(renamed.body).to.include({ name: 'Renamed gateway', type: 'resource_server', resource: `${server.issuer}/api` });
    // A partner's account never sees it.
    const { key: partnerKey } = await server.apiKey(accountId, 'read:clients', { env: 'live' });
    expect((await call(server.issuer, 'GET', `/v1/clients/${managed.clientId}`, partnerKey)).status).to.equal(404);
  });

  it('rotates a resource server\'s secret and deletes it', async () => {
    const rotating = await created('Rotating');
    const rotated = await json(['client', 'rotate-secret', rotating.clientId, '--overlap', '0']);
    recordSecret(String(rotated.client_secret));
    expect((await answersFor(rotating)).status, 'the old secret died').to.equal(401);
    const fresh = { clientId: rotating.clientId, clientSecret: String(rotated.client_secret) };
    expect((await answersFor(fresh)).body.active).to.equal(true);
    expect(await json(['client', 'delete', rotating.clientId])).to.deep.equal({ client_id: rotating.clientId, deleted: true });
    const gone = await answersFor(fresh);
    expect(gone.status).to.equal(401);
    expect(gone.body.error).to.equal('invalid_client');
  });
});
